//! The JSON shape of fault rules the control API accepts (user actions: `crate::push::UserAction::from_json`).

use std::time::Duration;

use serde::Deserialize;

use crate::faults::{FaultKind, FaultRule, Trigger};

/// A fault rule as JSON: `{"path":"/cgi-bin/token","kind":"errcode","value":-1,"count":2}`; `kind` is
/// `errcode`, `http_status`, `latency_ms` or `drop`; `count` or `rate` (neither = always).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    path: String,
    kind: String,
    #[serde(default)]
    value: i64,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    rate: Option<f64>,
}

impl FaultSpec {
    /// The rule this spec describes, or why it is not one.
    pub(crate) fn rule(self) -> Result<FaultRule, String> {
        let kind = match self.kind.as_str() {
            "errcode" => FaultKind::Errcode(self.value),
            "http_status" => FaultKind::HttpStatus(u16::try_from(self.value).map_err(|_| "bad HTTP status")?),
            "latency_ms" => FaultKind::Latency(Duration::from_millis(self.value.max(0) as u64)),
            "drop" => FaultKind::Drop,
            "drop_after" => FaultKind::DropAfter,
            other => return Err(format!("unknown fault kind {other:?}")),
        };
        let trigger = match (self.count, self.rate) {
            (Some(n), _) => Trigger::Count(n),
            (None, Some(p)) => Trigger::Rate(p),
            (None, None) => Trigger::Always,
        };
        Ok(FaultRule::new(self.path, kind, trigger))
    }
}
