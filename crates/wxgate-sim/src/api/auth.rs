//! Who is calling: an access token (`?access_token=`), or — for accounts in Cloud Hosting token-free mode — no
//! token at all, with an optional `from_appid` (Cloud Hosting's open interface service, 开放接口服务). Without
//! `from_appid` the call acts for the environment owner: the token-free account with the smallest appid (a
//! simulator serves several accounts on one address, where the real sidecar serves one environment).

use std::collections::HashMap;

use crate::answer::ApiError;
use crate::world::{Shared, World};

/// The account an API call acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub appid: String,
    /// True when the call came in token-free (the answer then carries `x-openapi-seqid`).
    pub token_free: bool,
}

/// A token looks like one we issue: ≥ 32 chars of `[A-Za-z0-9_-]`. Anything else is 40014.
fn well_formed(token: &str) -> bool {
    token.len() >= 32 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Shared {
    /// Resolves the caller of an API request from its query parameters.
    pub(crate) fn caller(&self, world: &World, query: &HashMap<String, String>) -> Result<Caller, ApiError> {
        let now = self.clock.now_ms();
        match query.get("access_token").map(String::as_str) {
            Some(token) if !token.is_empty() => {
                if !well_formed(token) {
                    return Err(ApiError::new(40014, "invalid access_token"));
                }
                let rec = world
                    .tokens
                    .get(token)
                    .ok_or(ApiError::new(40001, "invalid credential, access_token is invalid or not latest"))?;
                if rec.valid_until_ms.is_some_and(|t| now >= t) {
                    return Err(ApiError::new(40001, "invalid credential, access_token is invalid or not latest"));
                }
                if now >= rec.expires_ms {
                    return Err(ApiError::new(42001, "access_token expired"));
                }
                Ok(Caller { appid: rec.appid.clone(), token_free: false })
            }
            _ => {
                let missing = ApiError::new(41001, "access_token missing");
                let from = query.get("from_appid").filter(|s| !s.is_empty());
                let appid = match from {
                    Some(appid) => world.accounts.get(appid).filter(|a| a.account.token_free).map(|a| &a.account.appid),
                    None => {
                        let mut owners: Vec<&String> = world
                            .accounts
                            .values()
                            .filter(|a| a.account.token_free)
                            .map(|a| &a.account.appid)
                            .collect();
                        owners.sort();
                        owners.first().copied()
                    }
                };
                appid.map(|a| Caller { appid: a.clone(), token_free: true }).ok_or(missing)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape() {
        assert!(well_formed(&"a".repeat(64)));
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}!", "a".repeat(64))));
    }
}
