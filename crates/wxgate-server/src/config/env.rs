//! `WXGATE_…` environment overrides, so a Cloud Hosting container can be configured without a file.
//!
//! Any key can be set as `WXGATE_<SECTION>__<KEY>`, with array indexes as segments:
//! `WXGATE_SERVER__LISTEN`, `WXGATE_ACCOUNTS__0__TOKEN`, `WXGATE_ACCOUNTS__0__DEADLINE__BUDGET_MS`. A one-account
//! setup can use the short forms in [`SHORT_FORMS`]. The value's type comes from the key (a number stays a number,
//! a token made of digits stays a string).

use toml::Value;

use super::error::ConfigError;
use super::raw::{AccountConfig, RawConfig};

/// Short names for the common one-account keys.
pub(crate) const SHORT_FORMS: &[(&str, &str)] = &[
    ("WXGATE_LISTEN", "server.listen"),
    ("WXGATE_BODY_LIMIT", "server.body_limit"),
    ("WXGATE_PATH", "accounts.0.path"),
    ("WXGATE_TOKEN", "accounts.0.token"),
    ("WXGATE_AES_KEY", "accounts.0.aes_key"),
    ("WXGATE_APPID", "accounts.0.appid"),
    ("WXGATE_APPSECRET", "accounts.0.secret"),
    ("WXGATE_ORIGINAL_ID", "accounts.0.original_id"),
    ("WXGATE_DELIVERY", "accounts.0.delivery"),
    ("WXGATE_KIND", "accounts.0.kind"),
    ("WXGATE_ENCRYPTION", "accounts.0.encryption"),
    ("WXGATE_STORE", "store.path"),
    ("WXGATE_STORE_BACKEND", "store.backend"),
    ("WXGATE_REDIS_URL", "store.url"),
    ("WXGATE_SPOOL", "store.spool"),
    ("WXGATE_INSTANCE", "server.instance"),
    ("WXGATE_API_BASE", "accounts.0.api_base"),
    ("WXGATE_LLM_BASE_URL", "accounts.0.llm.base_url"),
    ("WXGATE_LLM_MODEL", "accounts.0.llm.model"),
    ("WXGATE_LLM_API_KEY", "accounts.0.llm.api_key"),
];

/// Variables read by other parts of the CLI, not config keys.
const NOT_CONFIG: &[&str] =
    &["WXGATE_CONFIG", "WXGATE_LOG", "WXGATE_CLOUD", "WXGATE_FROM_APPID", "WXGATE_TOKEN_ENDPOINT"];
/// Prefixes reserved for settings handled elsewhere.
const NOT_CONFIG_PREFIXES: &[&str] = &["WXGATE_SIM_", "WXGATE_TEST_"];

/// The dotted config path an environment variable sets, `None` for variables that are not config keys.
pub(crate) fn env_key_path(var: &str) -> Result<Option<String>, ConfigError> {
    if NOT_CONFIG.contains(&var) || NOT_CONFIG_PREFIXES.iter().any(|p| var.starts_with(p)) {
        return Ok(None);
    }
    if let Some((_, path)) = SHORT_FORMS.iter().find(|(name, _)| *name == var) {
        return Ok(Some((*path).to_owned()));
    }
    let Some(rest) = var.strip_prefix("WXGATE_") else { return Ok(None) };
    if !rest.contains("__") {
        let known: Vec<&str> = SHORT_FORMS.iter().map(|(n, _)| *n).collect();
        return Err(ConfigError::UnknownEnv {
            var: var.to_owned(),
            hint: format!("use one of {} or WXGATE_<SECTION>__<KEY> such as WXGATE_SERVER__LISTEN", known.join(", ")),
        });
    }
    Ok(Some(rest.split("__").map(str::to_ascii_lowercase).collect::<Vec<_>>().join(".")))
}

/// Applies every `WXGATE_…` variable of `vars` to the parsed TOML document.
pub(crate) fn apply_env(doc: &mut Value, vars: impl IntoIterator<Item = (String, String)>) -> Result<(), ConfigError> {
    let schema = schema();
    let mut vars: Vec<(String, String)> = vars.into_iter().filter(|(k, _)| k.starts_with("WXGATE_")).collect();
    vars.sort();
    for (var, raw) in vars {
        let Some(path) = env_key_path(&var)? else { continue };
        let segments: Vec<&str> = path.split('.').collect();
        let kind = schema_kind(&schema, &segments)
            .ok_or_else(|| ConfigError::UnknownEnv { var: var.clone(), hint: format!("no config key `{path}`") })?;
        let value = typed(&kind, &raw).ok_or_else(|| ConfigError::Invalid {
            key: var.clone(),
            reason: format!("{raw:?} is not a valid {}", kind.type_str()),
            fix: format!("set {var} to a {}", kind.type_str()),
        })?;
        set_path(doc, &segments, value).map_err(|reason| ConfigError::Invalid {
            key: var.clone(),
            reason,
            fix: "check the index and the key names".into(),
        })?;
    }
    Ok(())
}

/// The shape of a default config, used to learn each key's type.
fn schema() -> Value {
    let mut raw = RawConfig::default();
    raw.accounts.push(AccountConfig { llm: Some(Default::default()), ..AccountConfig::default() });
    Value::try_from(&raw).expect("the default config serializes")
}

fn schema_kind(schema: &Value, segments: &[&str]) -> Option<Value> {
    let mut node = schema;
    for seg in segments {
        node = match node {
            Value::Table(t) => t.get(*seg)?,
            Value::Array(a) => {
                seg.parse::<usize>().ok()?;
                a.first()?
            }
            _ => return None,
        };
    }
    Some(node.clone())
}

fn typed(kind: &Value, raw: &str) -> Option<Value> {
    match kind {
        Value::Integer(_) => raw.trim().parse().ok().map(Value::Integer),
        Value::Float(_) => raw.trim().parse().ok().map(Value::Float),
        Value::Boolean(_) => raw.trim().parse().ok().map(Value::Boolean),
        Value::String(_) => Some(Value::String(raw.to_owned())),
        _ => None,
    }
}

fn set_path(doc: &mut Value, segments: &[&str], value: Value) -> Result<(), String> {
    let (last, parents) = segments.split_last().ok_or("empty key")?;
    let mut node = doc;
    for seg in parents {
        node = match node {
            Value::Table(t) => {
                let fresh = if seg.parse::<usize>().is_ok() || *seg == "accounts" {
                    Value::Array(Vec::new())
                } else {
                    Value::Table(Default::default())
                };
                t.entry(seg.to_string()).or_insert(fresh)
            }
            Value::Array(a) => {
                let i: usize = seg.parse().map_err(|_| format!("`{seg}` is not an index"))?;
                if i > a.len() {
                    return Err(format!("index {i} skips entries (there are {})", a.len()));
                }
                if i == a.len() {
                    a.push(Value::Table(Default::default()));
                }
                &mut a[i]
            }
            _ => return Err(format!("`{seg}` is not a section")),
        };
    }
    match node {
        Value::Table(t) => {
            t.insert(last.to_string(), value);
            Ok(())
        }
        _ => Err(format!("cannot set `{last}` here")),
    }
}
