//! Whether an account's credentials have the form the platform gives them: an appid is `wx` and 16 hex digits,
//! an original id `gh_` and 12, an AppSecret 32 hex digits, a Token 3 to 32 letters and digits (the console
//! refuses others). A credential of the wrong form is a copy-and-paste mistake that otherwise shows only as
//! refused pushes or a refused token; `wxgate check` reports it before that. (The EncodingAESKey's form is
//! checked when the config is loaded.)

use super::modes::DeliveryMode;

/// One credential of the wrong form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    /// The config key, e.g. `accounts[0].appid`.
    pub key: String,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

fn hex_id(value: &str, prefix: &str, digits: usize) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| rest.len() == digits && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An account's credentials, as `form` checks them.
pub(super) struct Credentials<'a> {
    /// Its place in the config.
    pub(super) index: usize,
    pub(super) delivery: DeliveryMode,
    pub(super) appid: &'a str,
    pub(super) original_id: Option<&'a str>,
    pub(super) secret: Option<&'a str>,
    pub(super) token: &'a str,
    /// The token is the embedded default's public one.
    pub(super) demo_token: bool,
}

/// The credentials whose form is wrong; empty when all are right.
pub(super) fn problems(c: &Credentials<'_>) -> Vec<FormProblem> {
    let mut problems = Vec::new();
    let mut add = |field: &str, problem: String, fix: &str| {
        problems.push(FormProblem { key: format!("accounts[{}].{field}", c.index), problem, fix: fix.to_owned() });
    };
    if (c.delivery == DeliveryMode::Classic || !c.appid.is_empty()) && !hex_id(c.appid, "wx", 16) {
        add(
            "appid",
            format!("{:?} is not wx followed by 16 hex digits", c.appid),
            "copy the AppID from 设置与开发 → 基本配置 (WXGATE_APPID)",
        );
    }
    if let Some(id) = c.original_id
        && !hex_id(id, "gh_", 12)
    {
        add("original_id", format!("{id:?} is not gh_ followed by 12 hex digits"), "copy the 原始ID, or remove it");
    }
    if let Some(secret) = c.secret
        && !hex_id(secret, "", 32)
    {
        add(
            "secret",
            format!("{} characters, not 32 hex digits", secret.len()),
            "copy the AppSecret from 基本配置 (WXGATE_APPSECRET); reset it there if it is lost",
        );
    }
    if c.delivery == DeliveryMode::Classic {
        if c.demo_token {
            add("token", "the public demo token".into(), "set your own Token here and in 服务器配置 (WXGATE_TOKEN)");
        } else if !(3..=32).contains(&c.token.len()) || !c.token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            add(
                "token",
                format!("{} characters; the console accepts 3 to 32 letters and digits", c.token.len()),
                "use the Token exactly as entered in 服务器配置 (WXGATE_TOKEN)",
            );
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::hex_id;

    #[test]
    fn ids_have_their_prefix_and_hex_digits() {
        assert!(hex_id("wx2c2769f8efd9abc2", "wx", 16));
        assert!(!hex_id("wx2c2769f8efd9abc", "wx", 16));
        assert!(hex_id("gh_0123456789ab", "gh_", 12));
        assert!(!hex_id("0123456789ab", "gh_", 12));
    }
}
