use std::collections::HashMap;

use gumdash::config::Settings;
use gumdash::vault::KeyRing;

/// A complete environment (other test modules start from it too).
pub fn valid_env() -> HashMap<&'static str, String> {
    HashMap::from([
        (
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/gumdash".to_owned(),
        ),
        ("GUMDASH_PUBLIC_URL", "https://dash.example.com".to_owned()),
        ("GUMROAD_CLIENT_ID", "client-id".to_owned()),
        ("GUMROAD_CLIENT_SECRET", "client-secret".to_owned()),
        ("GUMDASH_TOKEN_KEYS", KeyRing::generate("k1").1),
        (
            "GUMDASH_SESSION_KEY",
            gumdash::config::generate_session_key(),
        ),
    ])
}

fn load(env: &HashMap<&'static str, String>) -> Result<Settings, gumdash::config::ConfigError> {
    Settings::from_lookup(&|name| env.get(name).cloned())
}

#[test]
fn a_complete_environment_gives_settings_with_gumroads_real_urls_by_default() {
    let settings = load(&valid_env()).unwrap();
    assert_eq!(
        settings.gumroad.oauth_url.as_str(),
        "https://gumroad.com/oauth/"
    );
    assert_eq!(
        settings.gumroad.api_url.as_str(),
        "https://api.gumroad.com/v2/"
    );
    assert_eq!(
        settings.redirect_uri().as_str(),
        "https://dash.example.com/auth/gumroad/callback"
    );
    assert!(
        settings.secure_cookies(),
        "https public URL means Secure cookies"
    );
    assert_eq!(settings.listen_addr.to_string(), "127.0.0.1:8080");
}

#[test]
fn every_missing_variable_is_named_at_once() {
    let error = load(&HashMap::new()).unwrap_err();
    for variable in [
        "DATABASE_URL",
        "GUMDASH_PUBLIC_URL",
        "GUMROAD_CLIENT_ID",
        "GUMROAD_CLIENT_SECRET",
        "GUMDASH_TOKEN_KEYS",
        "GUMDASH_SESSION_KEY",
    ] {
        assert!(error.mentions(variable), "{variable} not reported");
        assert!(
            error
                .to_string()
                .contains(&format!("{variable}: is missing"))
        );
    }
}

#[test]
fn a_session_key_that_is_too_short_is_refused_with_the_reason() {
    let mut env = valid_env();
    env.insert("GUMDASH_SESSION_KEY", "c2hvcnQ=".to_owned());
    let error = load(&env).unwrap_err();
    assert_eq!(error.0.len(), 1);
    assert!(error.mentions("GUMDASH_SESSION_KEY"));
    assert!(error.to_string().contains("at least 64"), "{error}");
}

#[test]
fn a_token_key_of_the_wrong_length_is_refused_with_the_reason() {
    let mut env = valid_env();
    env.insert("GUMDASH_TOKEN_KEYS", "k1:c2hvcnQ=".to_owned());
    let error = load(&env).unwrap_err().to_string();
    assert!(error.contains("GUMDASH_TOKEN_KEYS"), "{error}");
    assert!(error.contains("exactly 32 bytes"), "{error}");
}

#[test]
fn a_metrics_token_is_optional_but_must_be_long_and_never_shows_in_debug_output() {
    let mut env = valid_env();
    assert!(load(&env).unwrap().metrics_token.is_none());
    env.insert("GUMDASH_METRICS_TOKEN", "short".to_owned());
    let error = load(&env).unwrap_err();
    assert_eq!(error.0.len(), 1);
    assert!(error.mentions("GUMDASH_METRICS_TOKEN"), "{error}");
    let token = "0123456789abcdef0123456789abcdef-metrics";
    env.insert("GUMDASH_METRICS_TOKEN", token.to_owned());
    let settings = load(&env).unwrap();
    assert!(settings.metrics_token.is_some());
    assert!(!format!("{settings:?}").contains(token));
}

#[test]
fn pool_sizes_default_to_ten_each_and_a_bad_one_is_named() {
    let settings = load(&valid_env()).unwrap();
    assert_eq!(
        settings.db_pools,
        gumdash::config::PoolSizes {
            web: 10,
            workers: 10
        }
    );

    let mut env = valid_env();
    env.insert("GUMDASH_DB_POOL_SIZE", "4".into());
    env.insert("GUMDASH_WORKER_DB_POOL_SIZE", "20".into());
    let settings = load(&env).unwrap();
    assert_eq!(
        settings.db_pools,
        gumdash::config::PoolSizes {
            web: 4,
            workers: 20
        }
    );

    env.insert("GUMDASH_DB_POOL_SIZE", "0".into());
    env.insert("GUMDASH_WORKER_DB_POOL_SIZE", "many".into());
    let error = load(&env).unwrap_err();
    assert!(error.mentions("GUMDASH_DB_POOL_SIZE"), "{error}");
    assert!(error.mentions("GUMDASH_WORKER_DB_POOL_SIZE"), "{error}");
    assert!(
        error
            .to_string()
            .contains("must be a whole number from 1 to 100"),
        "{error}"
    );
}

#[test]
fn malformed_urls_addresses_and_ids_are_named() {
    let mut env = valid_env();
    env.insert("GUMDASH_PUBLIC_URL", "not a url".to_owned());
    env.insert("GUMROAD_API_URL", "ftp://api.example.com".to_owned());
    env.insert("GUMDASH_LISTEN_ADDR", "everywhere".to_owned());
    env.insert("GUMDASH_ADMIN_GUMROAD_IDS", "123, bob".to_owned());
    env.insert("DATABASE_URL", "mysql://nope".to_owned());
    let error = load(&env).unwrap_err();
    for variable in [
        "GUMDASH_PUBLIC_URL",
        "GUMROAD_API_URL",
        "GUMDASH_LISTEN_ADDR",
        "GUMDASH_ADMIN_GUMROAD_IDS",
        "DATABASE_URL",
    ] {
        assert!(error.mentions(variable), "{variable} not reported: {error}");
    }
}

#[test]
fn trusted_proxies_are_addresses_or_networks_and_a_bad_one_is_named() {
    let mut env = valid_env();
    env.insert(
        "GUMDASH_TRUSTED_PROXIES",
        "10.0.0.0/8, 192.168.1.7 ::1".to_owned(),
    );
    let settings = load(&env).unwrap();
    let shown: Vec<String> = settings
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["10.0.0.0/8", "192.168.1.7/32", "::1/128"]);
    env.insert(
        "GUMDASH_TRUSTED_PROXIES",
        "10.0.0.0/8, proxy.local".to_owned(),
    );
    env.insert("GUMDASH_ADMIN_GUMROAD_IDS", "bob".to_owned());
    let error = load(&env).unwrap_err();
    assert!(error.mentions("GUMDASH_TRUSTED_PROXIES"), "{error}");
    assert!(error.mentions("GUMDASH_ADMIN_GUMROAD_IDS"), "{error}");
    assert!(error.to_string().contains("proxy.local"), "{error}");
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let env = valid_env();
    let settings = load(&env).unwrap();
    let debug = format!("{settings:?}");
    assert!(!debug.contains("client-secret"));
    assert!(!debug.contains(&env["GUMDASH_SESSION_KEY"]));
    let token_key = env["GUMDASH_TOKEN_KEYS"]
        .split_once(':')
        .unwrap()
        .1
        .to_owned();
    assert!(!debug.contains(&token_key));
}

#[test]
fn serve_refuses_to_start_and_names_what_is_wrong() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gumdash"))
        .arg("serve")
        .env_clear()
        .env("GUMDASH_SESSION_KEY", "dG9vIHNob3J0")
        .output()
        .expect("run gumdash");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DATABASE_URL: is missing"), "{stderr}");
    assert!(
        stderr.contains("GUMDASH_SESSION_KEY: is 9 bytes long"),
        "{stderr}"
    );
    assert!(stderr.contains("gumdash keygen"), "{stderr}");
}

#[test]
fn keygen_prints_keys_that_the_configuration_accepts() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gumdash"))
        .arg("keygen")
        .output()
        .expect("run gumdash keygen");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut env = valid_env();
    for line in stdout.lines() {
        let (name, value) = line.split_once('=').unwrap();
        let name: &'static str = match name {
            "GUMDASH_TOKEN_KEYS" => "GUMDASH_TOKEN_KEYS",
            "GUMDASH_SESSION_KEY" => "GUMDASH_SESSION_KEY",
            other => panic!("unexpected line {other}"),
        };
        env.insert(name, value.to_owned());
    }
    assert!(load(&env).is_ok());
}

#[test]
fn a_session_key_read_back_from_its_variable_is_the_same_key() {
    use base64::Engine as _;
    let key = actix_web::cookie::Key::generate();
    let mut env = valid_env();
    env.insert(
        "GUMDASH_SESSION_KEY",
        base64::engine::general_purpose::STANDARD.encode(key.master()),
    );
    let settings = load(&env).unwrap();
    assert_eq!(settings.session_key.0.master(), key.master());
}
