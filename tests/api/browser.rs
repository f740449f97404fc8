//! The sign-in flow in a real, headless Chromium driven over WebDriver (Debian's chromium-driver).
//!
//! It runs in CI. Locally, without Chromium, it fails with a message saying what to install; set
//! GUMDASH_SKIP_BROWSER_TESTS=1 to skip it on a machine that cannot have a browser.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::process::{Child, Command};

use crate::helpers::spawn_app;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver {
    process: Child,
    client: Client,
    _profile: TempDir,
}

/// A fresh profile directory per browser, removed afterwards.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start_browser() -> Option<Driver> {
    if std::env::var_os("GUMDASH_SKIP_BROWSER_TESTS").is_some() {
        eprintln!("GUMDASH_SKIP_BROWSER_TESTS is set: skipping the browser test");
        return None;
    }
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "the browser test needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver \
         (or set GUMDASH_SKIP_BROWSER_TESTS=1 where no browser can be installed)"
    );
    // Two rustls crypto providers are compiled in (reqwest's and sqlx's pick theirs explicitly);
    // fantoccini uses the process default, so name one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = free_port();
    let process = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    let profile = TempDir(std::env::temp_dir().join(format!("gumdash-chromium-{port}")));
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1200,900",
                format!("--user-data-dir={}", profile.0.display()),
            ]
        }
    });
    let capabilities = match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!(),
    };
    let url = format!("http://127.0.0.1:{port}");
    let mut last_error = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .expect("rustls connector")
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Some(Driver {
                    process,
                    client,
                    _profile: profile,
                });
            }
            Err(error) => {
                last_error = Some(error);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("chromedriver did not start: {last_error:?}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn body_text(client: &Client) -> String {
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_creator_signs_in_with_gumroad_in_a_real_browser() {
    let Some(mut driver) = start_browser().await else {
        return;
    };
    let app = spawn_app().await;
    let creator = app.creator(1);
    let c = &driver.client;

    c.goto(&app.address).await.unwrap();
    c.find(Locator::LinkText("Sign in with Gumroad"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The simulator's "which creator are you" page, then its consent page.
    c.wait()
        .for_element(Locator::XPath(&format!(
            "//form[contains(@class,'sign-in-as')][.//input[@name='user_id' and @value='{}']]//button",
            creator.id
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("form#authorize button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("h1")).await.unwrap();

    let text = body_text(c).await;
    let current = c.current_url().await.unwrap();
    assert_eq!(current.path(), "/dashboard", "{text}");
    assert!(
        text.contains(&format!("Welcome, {}", creator.name)),
        "{text}"
    );
    assert!(text.contains("Sign out"));

    c.find(Locator::Css("form[action='/auth/sign-out'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css(".hero")).await.unwrap();
    assert!(body_text(c).await.contains("You have been signed out."));

    driver.client.clone().close().await.unwrap();
    let _ = driver.process.kill().await;
}
