//! WeChat Cloud Hosting push (云托管消息推送): no signature, the `x-wx-source` trust rule, the path probe.

use std::sync::Arc;

use bytes::Bytes;
use wxgate_proto::{Format, Inbound, tree};

use super::reject::Reject;
use crate::account::{Account, DeliveryMode};
use crate::context::CloudInfo;

/// What a Cloud Hosting request turned out to be.
pub(crate) enum CloudPush {
    /// The `CheckContainerPath` probe: answer 200 `success`.
    Probe,
    /// A push for an account.
    Push(Arc<Account>, Box<Inbound>, Format),
}

/// Answers the probe (it carries nothing and changes nothing, so it is answered before any check), picks the
/// account by appid header, checks the trust rule, decodes.
pub(crate) fn open(accounts: &[Arc<Account>], info: &CloudInfo, body: &Bytes) -> Result<CloudPush, Reject> {
    let format = Format::sniff(body)?;
    let fields = tree::decode(body, format)?;
    if fields.text("action") == Some("CheckContainerPath") {
        return Ok(CloudPush::Probe);
    }
    let cloud: Vec<&Arc<Account>> = accounts.iter().filter(|a| a.delivery == DeliveryMode::Cloud).collect();
    let account = match info.target_appid() {
        Some(appid) => cloud.iter().find(|a| a.appid == appid).or(if cloud.len() == 1 { cloud.first() } else { None }),
        None if cloud.len() == 1 => cloud.first(),
        None => None,
    };
    let Some(account) = account.copied() else {
        return Err(Reject::bad_request("no Cloud Hosting account matches x-wx-appid / x-wx-from-appid"));
    };
    if account.require_wx_source && info.source.is_none() {
        return Err(Reject::unauthorized("missing x-wx-source: not sent through WeChat Cloud Hosting"));
    }
    Ok(CloudPush::Push(account.clone(), Box::new(Inbound::from_fields(fields)?), format))
}
