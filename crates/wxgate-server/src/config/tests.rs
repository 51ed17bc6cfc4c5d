//! Configuration: TOML, environment overrides (long and short forms), and errors that name the key and the fix.

use crate::account::DeliveryMode;
use crate::config::{self, ConfigError};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn a_container_needs_no_file() {
    let cfg = config::load_str(
        "",
        "empty",
        env(&[
            ("WXGATE_LISTEN", "0.0.0.0:80"),
            ("WXGATE_PATH", "/"),
            ("WXGATE_TOKEN", "123456"),
            ("WXGATE_APPID", "wx2c2769f8efd9abc2"),
            ("WXGATE_AES_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"),
            ("WXGATE_ACCOUNTS__0__DEADLINE__BUDGET_MS", "3000"),
            ("WXGATE_SERVER__TIMESTAMP_WINDOW_SECS", "0"),
            ("WXGATE_CONFIG", "ignored.toml"),
            ("HOME", "/root"),
        ]),
    )
    .unwrap();
    assert_eq!(cfg.listen.to_string(), "0.0.0.0:80");
    assert_eq!(cfg.timestamp_window, None);
    let a = &cfg.accounts[0];
    assert_eq!(a.path, "/");
    assert_eq!(a.crypto.token(), "123456", "a numeric token stays a string");
    assert!(a.crypto.can_encrypt());
    assert_eq!(a.deadline.budget.as_millis(), 3000);
}

#[test]
fn environment_overrides_the_file() {
    let file = "[[accounts]]\ntoken = \"t\"\n[[accounts]]\npath = \"/b\"\ntoken = \"u\"\n";
    let cfg = config::load_str(
        file,
        "f",
        env(&[("WXGATE_ACCOUNTS__1__DELIVERY", "cloud"), ("WXGATE_ACCOUNTS__1__APPID", "wx1")]),
    )
    .unwrap();
    assert_eq!(cfg.accounts[1].delivery, DeliveryMode::Cloud);
    assert_eq!(cfg.accounts[1].appid, "wx1");
}

fn err(file: &str, vars: &[(&str, &str)]) -> String {
    let e = config::load_str(file, "f", env(vars)).unwrap_err();
    e.to_string()
}

#[test]
fn mistakes_name_the_key_and_the_fix() {
    let e = err("", &[]);
    assert!(e.contains("`accounts`") && e.contains("WXGATE_TOKEN"), "{e}");
    let e = err("[[accounts]]\npath = \"/wx\"\n", &[]);
    assert!(e.contains("accounts[0].token") && e.contains("服务器配置"), "{e}");
    let e = err("[[accounts]]\ntoken = \"t\"\nappid = \"wx1\"\naes_key = \"tooshort\"\n", &[]);
    assert!(e.contains("accounts[0].aes_key") && e.contains("43"), "{e}");
    let e = err("[[accounts]]\ntoken = \"t\"\naes_key = \"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\"\n", &[]);
    assert!(e.contains("accounts[0].appid"), "{e}");
    let e = err("[[accounts]]\ntoken = \"t\"\ntokn = \"typo\"\n", &[]);
    assert!(e.contains("tokn"), "{e}");
    let e = err(
        "[[accounts]]\ntoken = \"t\"\n[[accounts.rules]]\nregex = \"(\"\nreply = { type = \"text\", content = \"x\" }\n",
        &[],
    );
    assert!(e.contains("accounts[0].rules[0].regex"), "{e}");
    let e = err("[server]\nlisten = \"nowhere\"\n[[accounts]]\ntoken = \"t\"\n", &[]);
    assert!(e.contains("server.listen"), "{e}");
    let e = err("[[accounts]]\ntoken = \"t\"\n", &[("WXGATE_TOKN", "x")]);
    assert!(e.contains("WXGATE_TOKN") && e.contains("WXGATE_TOKEN"), "{e}");
    let e = err("[[accounts]]\ntoken = \"t\"\n", &[("WXGATE_SERVER__BODY_LIMIT", "lots")]);
    assert!(e.contains("WXGATE_SERVER__BODY_LIMIT") && e.contains("integer"), "{e}");
    let e = err("[[accounts]]\ntoken = \"t\"\n[[accounts]]\ntoken = \"t\"\n", &[]);
    assert!(e.contains("accounts[1].path"), "{e}");
    for (key, value, fix) in [
        ("body_limit", "10", "1024"),
        ("body_timeout_ms", "5", "100 to 600000"),
        ("header_timeout_ms", "0", "100 to 600000"),
        ("max_connections", "2", "16"),
        ("max_body_reads", "0", "at least 1"),
    ] {
        let e = err(&format!("[server]\n{key} = {value}\n[[accounts]]\ntoken = \"t\"\n"), &[]);
        assert!(e.contains(&format!("server.{key}")) && e.contains(fix), "{e}");
    }
    assert!(matches!(config::load(Some(std::path::Path::new("/nonexistent.toml"))), Err(ConfigError::Io { .. })));
}

#[test]
fn the_embedded_default_loads() {
    let cfg = config::load_str(config::DEFAULT_CONFIG, "embedded", Vec::new()).unwrap();
    assert_eq!(cfg.accounts.len(), 1);
    assert_eq!(cfg.accounts[0].rules.len(), 8);
}

#[test]
fn secrets_never_reach_debug_output() {
    let token = "tok-SECRET-123";
    let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    let file = format!(
        "[store]\nbackend = \"redis\"\nurl = \"redis://:redis-PASS@10.0.0.5:6379/2\"\n\
         [[accounts]]\ntoken = \"{token}\"\nappid = \"wx1\"\naes_key = \"{key}\"\nsecret = \"appsecret-XYZ\"\n"
    );
    let cfg = config::load_str(&file, "f", Vec::new()).unwrap();
    let raw: config::raw::RawConfig = toml::from_str(&file).unwrap();
    for shown in [format!("{cfg:?}"), format!("{raw:?}"), format!("{:?}", cfg.accounts[0])] {
        assert!(!shown.contains(token) && !shown.contains(key) && !shown.contains("appsecret-XYZ"), "{shown}");
        assert!(!shown.contains("redis-PASS"), "{shown}");
    }
    assert!(format!("{cfg:?}").contains("10.0.0.5:6379/2"), "the Redis host is still shown");
}

#[test]
fn a_model_from_the_environment() {
    let base = [("WXGATE_TOKEN", "t"), ("WXGATE_APPID", "wx1")];
    let mut vars = base.to_vec();
    vars.extend([
        ("WXGATE_LLM_BASE_URL", "http://127.0.0.1:11434/v1"),
        ("WXGATE_LLM_MODEL", "qwen2.5"),
        ("WXGATE_LLM_API_KEY", "sk-secret"),
    ]);
    let cfg = config::load_str("", "env", env(&vars)).unwrap();
    let llm = &cfg.llm[&cfg.accounts[0].name];
    assert_eq!(
        (llm.base_url.as_str(), llm.model.as_str(), llm.api_key.as_str()),
        ("http://127.0.0.1:11434/v1", "qwen2.5", "sk-secret")
    );
    assert!(!format!("{cfg:?}").contains("sk-secret"));
    let mut half = base.to_vec();
    half.push(("WXGATE_LLM_MODEL", "qwen2.5"));
    let e = config::load_str("", "env", env(&half)).unwrap_err().to_string();
    assert!(e.contains("accounts[0].llm.base_url") && e.contains("WXGATE_LLM_BASE_URL"), "{e}");
}

#[test]
fn the_store_backend_is_chosen_by_config_or_environment() {
    use config::StoreChoice;
    let one = "[[accounts]]\ntoken = \"t\"\n";
    let cfg = config::load_str(one, "f", Vec::new()).unwrap();
    assert_eq!(cfg.store, StoreChoice::Sqlite { path: "wxgate.sqlite".into(), full_sync: true }, "SQLite by default");
    let vars = [
        ("WXGATE_STORE_BACKEND", "redis"),
        ("WXGATE_REDIS_URL", "redis://127.0.0.1:6379/"),
        ("WXGATE_INSTANCE", "replica 1"),
    ];
    let cfg = config::load_str(one, "f", env(&vars)).unwrap();
    assert_eq!(
        cfg.store,
        StoreChoice::Redis {
            url: config::RedisUrl("redis://127.0.0.1:6379/".into()),
            prefix: "wxgate:".into(),
            spool: "wxgate-spool-replica_1.sqlite".into()
        }
    );
    let e = err(one, &[("WXGATE_STORE_BACKEND", "redis")]);
    assert!(e.contains("store.url") && e.contains("WXGATE_REDIS_URL"), "{e}");
    let e = err(&format!("[store]\nbackend = \"redis\"\nurl = \"localhost:6379\"\n{one}"), &[]);
    assert!(e.contains("store.url") && e.contains("redis://"), "{e}");
    let e = err(&format!("[store]\nbackend = \"postgres\"\n{one}"), &[]);
    assert!(e.contains("store.backend") && e.contains("\"redis\""), "{e}");
    let e = err(&format!("[store]\ndurability = \"fast\"\n{one}"), &[]);
    assert!(e.contains("store.durability"), "{e}");
    let e = err(&format!("[store]\nwork_lease_ms = 10\n{one}"), &[]);
    assert!(e.contains("store.work_lease_ms") && e.contains("1000"), "{e}");
}

#[test]
fn a_replica_is_named_by_its_host_and_address_unless_told() {
    let one = "[server]\nlisten = \"127.0.0.1:9123\"\n[[accounts]]\ntoken = \"t\"\n";
    let cfg = config::load_str(one, "f", Vec::new()).unwrap();
    assert!(cfg.instance.ends_with("/127.0.0.1:9123") && cfg.instance.len() > 15, "{}", cfg.instance);
    assert_eq!(cfg.work_lease, std::time::Duration::from_secs(30));
    let cfg = config::load_str(one, "f", env(&[("WXGATE_INSTANCE", "replica-1")])).unwrap();
    assert_eq!(cfg.instance, "replica-1");
}

#[test]
fn every_example_config_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut loaded = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        // sim.toml configures the simulator, not the gateway.
        if path.extension().is_some_and(|e| e == "toml") && path.file_name().is_some_and(|n| n != "sim.toml") {
            // Files the examples name are relative to the repository root, where they are meant to be run from.
            let assets = dir.join("assets/").display().to_string();
            let text = std::fs::read_to_string(&path).unwrap().replace("examples/assets/", &assets);
            config::load_str(&text, &path.display().to_string(), Vec::new())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            loaded += 1;
        }
    }
    assert!(loaded >= 5, "{loaded} examples");
    let replicas = std::fs::read_to_string(dir.join("replicas.toml")).unwrap();
    let cfg = config::load_str(&replicas, "replicas", Vec::new()).unwrap();
    assert!(matches!(cfg.store, config::StoreChoice::Redis { .. }));
}

#[test]
fn a_mini_program_is_refused_what_it_cannot_send_at_start_up() {
    let mp = "[[accounts]]\nkind = \"mini_program\"\ndelivery = \"cloud\"\nappid = \"wx1\"\n";
    let e = err(
        &format!("{mp}[[accounts.rules]]\nkeyword = \"v\"\nreply = {{ type = \"voice\", media_id = \"m\" }}\n"),
        &[],
    );
    assert!(e.contains("accounts[0].rules[0].reply") && e.contains("voice") && e.contains("fix:"), "{e}");
    let e = err(&format!("{mp}deadline = {{ strategy = \"passive_only\" }}\n"), &[]);
    assert!(e.contains("accounts[0].deadline.strategy"), "{e}");
    let e =
        err(&format!("{mp}[[accounts.rules]]\nkeyword = \"m\"\nsend = [{{ type = \"msgmenu\", list = [] }}]\n"), &[]);
    assert!(e.contains("accounts[0].rules[0].send[0].type") && e.contains("msgmenu"), "{e}");
    // The same voice rule is fine for an Official Account, and the kind can come from the environment.
    let oa = "[[accounts]]\ntoken = \"t\"\n[[accounts.rules]]\nkeyword = \"v\"\nreply = { type = \"voice\", media_id = \"m\" }\n";
    assert!(config::load_str(oa, "f", Vec::new()).is_ok());
    let e = err(oa, &[("WXGATE_KIND", "mini_program")]);
    assert!(e.contains("accounts[0].rules[0].reply"), "{e}");
    let cfg = config::load_str("", "env", env(&[("WXGATE_TOKEN", "t"), ("WXGATE_KIND", "mini_program")])).unwrap();
    assert_eq!(cfg.accounts[0].kind(), crate::account::AccountKind::MiniProgram);
}

#[test]
fn media_limits_default_to_the_platform_s_and_can_be_set() {
    let cfg = config::load_str("[[accounts]]\ntoken = \"t\"\n", "f", Vec::new()).unwrap();
    let limits = cfg.accounts[0].media_limits;
    assert_eq!((limits.image, limits.voice, limits.video, limits.thumb), (10 << 20, 2 << 20, 10 << 20, 64 << 10));
    let cfg =
        config::load_str("[media]\nimage_max_bytes = 2097152\n[[accounts]]\ntoken = \"t\"\n", "f", Vec::new()).unwrap();
    assert_eq!(cfg.accounts[0].media_limits.image, 2 << 20);
    assert!(err("[media]\nvoice_max_bytes = 0\n[[accounts]]\ntoken = \"t\"\n", &[]).contains("media.voice_max_bytes"));
}
