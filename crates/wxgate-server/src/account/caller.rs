//! On whose behalf a platform call is made: the account, and under Cloud Hosting resource reuse the appid of the
//! account a push came for.

/// The account a platform call acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    /// The account's name.
    pub account: &'a str,
    /// Cloud Hosting resource reuse: the using account's appid (`x-wx-from-appid`), passed as `from_appid`.
    pub from_appid: Option<&'a str>,
}

impl<'a> Caller<'a> {
    /// A call for `account` itself.
    pub fn account(account: &'a str) -> Caller<'a> {
        Caller { account, from_appid: None }
    }
}
