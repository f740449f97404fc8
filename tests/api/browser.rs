//! The sign-in flow in a real, headless Chromium driven over WebDriver (Debian's chromium-driver).
//!
//! It runs in CI. Locally, without Chromium, it fails with a message saying what to install; set
//! GUMDASH_SKIP_BROWSER_TESTS=1 to skip it on a machine that cannot have a browser.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::process::{Child, Command};

use crate::helpers::{free_port, spawn_app, spawn_app_with};

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
        // The console, for CSP violations (see `console_errors`).
        "goog:loggingPrefs": {"browser": "ALL"},
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

/// Chromium's console since the last call, through chromedriver's log endpoint (outside the W3C
/// protocol, hence a command of our own). The browser reports CSP violations there.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// The console's messages since the last call.
async fn console_messages(client: &Client) -> Vec<String> {
    let log = client
        .issue_cmd(BrowserLog)
        .await
        .expect("the browser's console log");
    log.as_array()
        .expect("a list of log entries")
        .iter()
        .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The page's text. A page still being replaced (a form's redirect) can drop the body between
/// finding it and reading it: then the new page's is read.
async fn body_text(client: &Client) -> String {
    let mut last_error = None;
    for _ in 0..20 {
        let body = client.wait().for_element(Locator::Css("body")).await;
        match body {
            Ok(body) => match body.text().await {
                Ok(text) => return text,
                Err(error) => last_error = Some(error),
            },
            Err(error) => last_error = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not read the page: {last_error:?}");
}

/// Whether a WebDriver error means the element went with the page it was on (Chromium says so in
/// two ways).
fn went_stale(error: &fantoccini::error::CmdError) -> bool {
    match error {
        fantoccini::error::CmdError::Standard(error) => {
            error.error == fantoccini::error::ErrorStatus::StaleElementReference
                || error.message.contains("does not belong to the document")
        }
        _ => false,
    }
}

/// Clicks the element once it is there. A page still being replaced (the previous click's or
/// form's navigation) can drop the element between finding and clicking it: then it is found again
/// on the new page.
/// The page's text once it holds `words`, or after 30 s whatever it holds: a click's navigation
/// may still be under way when the text is first read.
async fn text_once_it_shows(c: &Client, words: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = body_text(c).await;
        if text.contains(words) || std::time::Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click(c: &Client, locator: Locator<'_>) {
    let mut last_error = None;
    for _ in 0..20 {
        let element = c.wait().for_element(locator).await.unwrap();
        match element.click().await {
            Ok(_) => return,
            Err(error) if went_stale(&error) => {
                last_error = Some(error);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("could not click: {error:?}"),
        }
    }
    panic!("the element kept going stale: {last_error:?}");
}

/// Types `value` into the field, found again if the page was replaced meanwhile (see [`click`]).
async fn fill(c: &Client, field: &str, value: &str) {
    let selector = format!("[name='{field}']");
    let mut last_error = None;
    for _ in 0..20 {
        let input = c.wait().for_element(Locator::Css(&selector)).await.unwrap();
        let typed = async {
            input.clear().await?;
            input.send_keys(value).await
        };
        match typed.await {
            Ok(()) => return,
            Err(error) if went_stale(&error) => {
                last_error = Some(error);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("could not fill {field}: {error:?}"),
        }
    }
    panic!("the field {field} kept going stale: {last_error:?}");
}

async fn submit(c: &Client, form: &str) {
    click(c, Locator::Css(&format!("{form} button[type='submit']"))).await;
}

/// Through the dashboard's button, the simulator's "who are you" page and its consent page.
async fn sign_in(c: &Client, address: &str, creator: &gumdash::sim::SeededCreator) {
    c.goto(address).await.unwrap();
    click(c, Locator::LinkText("Sign in with Gumroad")).await;
    click(
        c,
        Locator::XPath(&format!(
            "//form[contains(@class,'sign-in-as')][.//input[@name='user_id' and @value='{}']]//button",
            creator.id
        )),
    )
    .await;
    click(c, Locator::Css("form#authorize button")).await;
    // The simulator's pages have headings too; only the dashboard has the account menu.
    c.wait()
        .for_element(Locator::Css("header .account"))
        .await
        .unwrap();
}

/// Reloads the page every half second until `done` (up to 60 s), as a creator waiting would.
async fn refresh_until<F: Future<Output = bool>>(
    c: &Client,
    what: &str,
    mut done: impl FnMut() -> F,
) {
    // Only catches what never happens: the whole suite runs beside these tests, and on a loaded
    // two-core machine a sync of 65 pages has taken over a minute.
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    while !done().await {
        assert!(
            std::time::Instant::now() < deadline,
            "waited in vain for {what}: {}",
            body_text(c).await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.refresh().await.unwrap();
    }
}

/// Optional screenshots for people reviewing the look: GUMDASH_SCREENSHOTS=<dir>.
async fn screenshot(c: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("GUMDASH_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

#[tokio::test]
async fn a_creator_signs_in_with_gumroad_in_a_real_browser() {
    let Some(mut driver) = start_browser().await else {
        return;
    };
    let app = spawn_app().await;
    let creator = app.creator(1);
    let c = &driver.client;

    sign_in(c, &app.address, &creator).await;

    let text = body_text(c).await;
    let current = c.current_url().await.unwrap();
    assert_eq!(current.path(), "/dashboard", "{text}");
    assert!(
        text.contains(&format!("Welcome, {}", creator.name)),
        "{text}"
    );
    screenshot(c, "dashboard").await;

    click(c, Locator::Css("form[action='/auth/sign-out'] button")).await;
    c.wait().for_element(Locator::Css(".hero")).await.unwrap();
    assert!(body_text(c).await.contains("You have been signed out."));

    driver.client.clone().close().await.unwrap();
    let _ = driver.process.kill().await;
}

#[tokio::test]
async fn a_creator_builds_and_tears_down_a_product_in_a_real_browser() {
    let Some(mut driver) = start_browser().await else {
        return;
    };
    let app = spawn_app().await;
    let c = &driver.client;
    sign_in(c, &app.address, &app.creator(2)).await;

    click(c, Locator::LinkText("Products")).await;
    c.wait()
        .for_element(Locator::Css(".empty-state"))
        .await
        .unwrap();
    screenshot(c, "products-empty").await;
    click(c, Locator::Css(".page-head a.button-primary")).await;
    fill(c, "price", "0.10").await;
    submit(c, "form.stacked").await;
    c.wait()
        .for_element(Locator::Css(".field-error"))
        .await
        .unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains("Enter a name.") && text.contains("$0.99"),
        "{text}"
    );
    screenshot(c, "new-product-errors").await;
    fill(c, "name", "Watercolour Brushes").await;
    fill(c, "price", "12.50").await;
    submit(c, "form.stacked").await;
    c.wait().for_element(Locator::Id("variants")).await.unwrap();
    assert!(
        body_text(c)
            .await
            .contains("Created “Watercolour Brushes”.")
    );

    click(c, Locator::LinkText("Add variant category")).await;
    fill(c, "title", "Size").await;
    submit(c, "form.stacked").await;
    click(c, Locator::LinkText("Add variant")).await;
    fill(c, "name", "Large").await;
    fill(c, "price_difference", "3").await;
    submit(c, "form.stacked").await;
    c.wait().for_element(Locator::Id("variants")).await.unwrap();
    let text = body_text(c).await;
    assert!(text.contains("Large") && text.contains("+$3.00"), "{text}");

    click(c, Locator::LinkText("New offer code")).await;
    fill(c, "name", "LAUNCH").await;
    fill(c, "amount", "20").await;
    submit(c, "form.stacked").await;
    c.wait()
        .for_element(Locator::Id("offer-codes"))
        .await
        .unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains("LAUNCH") && text.contains("20% off"),
        "{text}"
    );
    screenshot(c, "product").await;
    c.set_window_size(390, 844).await.unwrap();
    screenshot(c, "product-phone").await;
    c.set_window_size(1200, 900).await.unwrap();

    click(c, Locator::LinkText("Edit")).await;
    fill(c, "name", "Watercolour Brushes (set of 6)").await;
    submit(c, "form.stacked").await;
    c.wait().for_element(Locator::Id("variants")).await.unwrap();
    assert!(
        body_text(c)
            .await
            .contains("Saved “Watercolour Brushes (set of 6)”.")
    );

    click(c, Locator::Css("#offer-codes a.danger-link")).await;
    c.wait()
        .for_element(Locator::Css(".confirm"))
        .await
        .unwrap();
    screenshot(c, "confirm-delete").await;
    submit(c, "form.actions").await;
    c.wait()
        .for_element(Locator::Id("offer-codes"))
        .await
        .unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains("Offer code deleted.") && !text.contains("LAUNCH"),
        "{text}"
    );

    click(c, Locator::Css("a.button-danger-outline")).await;
    submit(c, "form.actions").await;
    c.wait()
        .for_element(Locator::Css(".empty-state"))
        .await
        .unwrap();
    assert!(body_text(c).await.contains("Product deleted."));

    driver.client.clone().close().await.unwrap();
    let _ = driver.process.kill().await;
}

#[tokio::test]
async fn a_creator_watches_the_sync_finish_and_browses_their_sales_in_a_real_browser() {
    let Some(mut driver) = start_browser().await else {
        return;
    };
    let app = spawn_app().await;
    // This instance's workers, as `gumdash serve` starts them beside the server.
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(app.background().run(shutdown));
    let c = &driver.client;
    let creator = app.creator(0);
    sign_in(c, &app.address, &creator).await;

    click(c, Locator::LinkText("Sales")).await;
    click(c, Locator::LinkText("Sync status")).await;
    // The status page refreshes itself while the backfill runs; wait for it to say it is complete.
    refresh_until(c, "the sync to finish", || async {
        body_text(c).await.contains("Complete:")
    })
    .await;
    screenshot(c, "sync-status").await;

    click(c, Locator::LinkText("Sales")).await;
    c.wait()
        .for_element(Locator::Css("table.sales"))
        .await
        .unwrap();
    let first_page = body_text(c).await;
    click(c, Locator::Css("a[rel='next']")).await;
    c.wait()
        .for_element(Locator::Css("a[rel='prev']"))
        .await
        .unwrap();
    assert_ne!(
        body_text(c).await,
        first_page,
        "the next page shows other sales"
    );
    click(c, Locator::Css("a[rel='prev']")).await;
    c.wait()
        .for_element(Locator::Css("table.sales"))
        .await
        .unwrap();
    screenshot(c, "sales").await;

    // Filter by a product, then search a buyer's email within it.
    let product = c
        .find(Locator::Css("select#product option:nth-child(2)"))
        .await
        .unwrap();
    let product_name = product.text().await.unwrap();
    product.click().await.unwrap();
    submit(c, "form.filters").await;
    c.wait()
        .for_element(Locator::Css("table.sales"))
        .await
        .unwrap();
    let products: Vec<String> = {
        let cells = c
            .find_all(Locator::Css("table.sales td[data-label='Product']"))
            .await
            .unwrap();
        let mut out = Vec::new();
        for cell in cells {
            out.push(cell.text().await.unwrap());
        }
        out
    };
    assert!(!products.is_empty() && products.iter().all(|p| *p == product_name));
    let email = c
        .find(Locator::Css("table.sales td[data-label='Buyer'] .muted"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    fill(c, "q", &email).await;
    submit(c, "form.filters").await;
    c.wait()
        .for_element(Locator::Css("table.sales"))
        .await
        .unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains(&email) && text.contains("Clear filters"),
        "{text}"
    );
    screenshot(c, "sales-filtered").await;
    c.set_window_size(390, 844).await.unwrap();
    screenshot(c, "sales-phone").await;
    c.set_window_size(1200, 900).await.unwrap();

    click(c, Locator::Css("table.sales td[data-label='Date'] a")).await;
    c.wait()
        .for_element(Locator::Css("dl.details"))
        .await
        .unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains(&email) && text.contains(&product_name),
        "{text}"
    );
    screenshot(c, "sale").await;

    // The overview: charts drawn, nothing refused by the CSP, legible on a phone.
    console_messages(c).await;
    click(c, Locator::LinkText("Home")).await;
    c.wait()
        .for_element(Locator::Css("figure.chart svg rect"))
        .await
        .unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains("Last 30 days") && text.contains("Top products"),
        "{text}"
    );
    click(c, Locator::Css("details.chart-table summary")).await;
    screenshot(c, "overview").await;
    c.set_window_size(390, 844).await.unwrap();
    screenshot(c, "overview-phone").await;
    c.set_window_size(1200, 900).await.unwrap();
    let refused: Vec<String> = console_messages(c)
        .await
        .into_iter()
        .filter(|m| m.contains("Content Security Policy"))
        .collect();
    assert_eq!(
        refused,
        Vec::<String>::new(),
        "no CSP violation on the overview"
    );

    // The Memberships page shows the simulator's active subscribers and their MRR, once the
    // workers have walked them (the page is reloaded until then).
    let wanted = crate::memberships::expected_totals(&app);
    assert!(!wanted.is_empty());
    click(c, Locator::LinkText("Memberships")).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, totals) = crate::memberships::shown_in(&c.source().await.unwrap());
        if totals == wanted {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "memberships never matched: {totals:?} instead of {wanted:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.refresh().await.unwrap();
    }
    let text = body_text(c).await;
    assert!(text.contains("Monthly recurring revenue"), "{text}");
    screenshot(c, "memberships").await;

    stop.send(true).unwrap();
    let _ = workers.await;
    driver.client.clone().close().await.unwrap();
    let _ = driver.process.kill().await;
}

#[tokio::test]
async fn a_creator_refunds_part_of_a_sale_after_confirming_in_a_real_browser() {
    let Some(mut driver) = start_browser().await else {
        return;
    };
    let app = spawn_app_with(|s| s.gumroad.scopes.push("edit_sales".to_owned())).await;
    let creator = app.creator(0);
    let id = app
        .sim
        .sales_of(&creator.id)
        .into_iter()
        .find(|s| {
            s["currency_symbol"] == "$"
                && s["price"].as_i64().unwrap_or(0) >= 1000
                && s["refunded"] == false
                && s["partially_refunded"] == false
        })
        .and_then(|s| s["id"].as_str().map(str::to_owned))
        .expect("a plain USD sale");
    let c = &driver.client;
    sign_in(c, &app.address, &creator).await;
    app.run_jobs().await;

    c.goto(&format!("{}/sales/{id}", app.address))
        .await
        .unwrap();
    click(c, Locator::LinkText("Refund…")).await;
    fill(c, "amount", "2.50").await;
    submit(c, "form.stacked").await;
    c.wait()
        .for_element(Locator::Css("section.confirm"))
        .await
        .unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains("Refund $2.50 of the") && text.contains("Gumroad keeps its fees"),
        "{text}"
    );
    let untouched = |app: &crate::helpers::TestApp| {
        app.sim
            .sales_of(&app.creator(0).id)
            .into_iter()
            .find(|s| s["id"] == id.as_str())
            .map(|s| s["partially_refunded"] == false)
    };
    assert_eq!(untouched(&app), Some(true), "nothing before confirming");
    screenshot(c, "refund-confirm").await;
    click(c, Locator::Css("section.confirm button[type='submit']")).await;
    c.wait()
        .for_element(Locator::Css("#section-history"))
        .await
        .unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains("Refunded $2.50") && text.contains("Partly refunded"),
        "{text}"
    );
    assert_eq!(untouched(&app), Some(false), "Gumroad refunded it");
    screenshot(c, "refunded-sale").await;

    driver.client.clone().close().await.unwrap();
    let _ = driver.process.kill().await;
}

#[tokio::test]
async fn an_operator_finds_and_disables_a_creator_whose_open_session_is_refused_at_the_next_click()
{
    let (Some(mut operator_driver), Some(mut creator_driver)) =
        (start_browser().await, start_browser().await)
    else {
        return;
    };
    // Seeded creators are the same in every simulator: learn the second one's id, then name them
    // the operator of the app under test.
    let operator_id = spawn_app_with(|_| {}).await.creator(1).id;
    let app = spawn_app_with(move |s| s.admin_gumroad_ids = vec![operator_id]).await;
    let creator = app.creator(0);

    // The creator is signed in and busy in their own browser.
    let c = &creator_driver.client;
    sign_in(c, &app.address, &creator).await;
    click(c, Locator::LinkText("Sales")).await;

    // The operator finds them on the Creators page and disables them, with a reason.
    let o = &operator_driver.client;
    sign_in(o, &app.address, &app.creator(1)).await;
    click(o, Locator::LinkText("Admin")).await;
    fill(o, "q", &creator.name).await;
    submit(o, "form.filters").await;
    click(o, Locator::LinkText(&creator.name)).await;
    click(o, Locator::LinkText("Disable")).await;
    fill(o, "reason", "Chargeback fraud reported by Gumroad support").await;
    submit(o, "form.stacked").await;
    o.wait().for_element(Locator::Css(".flash")).await.unwrap();
    let text = body_text(o).await;
    assert!(text.contains("is disabled"), "{text}");
    screenshot(o, "admin-creator-disabled").await;

    // The creator's next click finds them signed out, and signing in again is refused.
    click(c, Locator::LinkText("Products")).await;
    c.wait()
        .for_element(Locator::LinkText("Sign in with Gumroad"))
        .await
        .unwrap();
    assert!(
        c.find(Locator::Css("header .account")).await.is_err(),
        "still signed in: {}",
        body_text(c).await
    );
    click(c, Locator::LinkText("Sign in with Gumroad")).await;
    // The simulator still knows who signed in there: its consent page comes straight away.
    click(c, Locator::Css("form#authorize button")).await;
    let text = text_once_it_shows(c, "disabled").await;
    assert!(text.contains("disabled"), "{text}");
    assert!(c.find(Locator::Css("header .account")).await.is_err());

    operator_driver.client.clone().close().await.unwrap();
    creator_driver.client.clone().close().await.unwrap();
    let _ = operator_driver.process.kill().await;
    let _ = creator_driver.process.kill().await;
}

#[tokio::test]
async fn a_creator_sees_a_new_sale_arrive_by_ping_on_the_sales_page_in_a_real_browser() {
    let Some(mut driver) = start_browser().await else {
        return;
    };
    // No scheduled sync could bring the sale in during the test: only the ping and its fetch-back.
    let app = spawn_app_with(|s| {
        s.sync.incremental_every = Duration::from_secs(24 * 3600);
        s.sync.reconcile_every = Duration::from_secs(30 * 24 * 3600);
    })
    .await;
    app.enable_pings().await;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(app.background().run(shutdown));
    let c = &driver.client;
    let creator = app.creator(0);
    sign_in(c, &app.address, &creator).await;

    // The workers subscribe the creator to Gumroad's pings and mirror their history.
    click(c, Locator::LinkText("Sales")).await;
    click(c, Locator::LinkText("Sync status")).await;
    refresh_until(
        c,
        "the sync to finish and the pings to be subscribed",
        || async {
            body_text(c).await.contains("Complete:") && app.sim_subscriptions(0).len() == 8
        },
    )
    .await;
    click(c, Locator::LinkText("Sales")).await;
    c.wait()
        .for_element(Locator::Css("table.sales"))
        .await
        .unwrap();
    assert!(!body_text(c).await.contains("Ada Pinged"));

    let sale = app
        .sim
        .create_sale(&creator.id, serde_json::json!({"full_name": "Ada Pinged"}));
    refresh_until(c, "the new sale to appear", || async {
        body_text(c).await.contains("Ada Pinged")
    })
    .await;
    screenshot(c, "sales-after-ping").await;
    // It came by ping: the delivery for this sale was fetched back and it changed the mirror.
    let outcomes: Vec<String> = sqlx::query_scalar(
        "SELECT outcome FROM webhook_deliveries WHERE resource_name = 'sale' AND object_id = $1",
    )
    .bind(sale["id"].as_str().unwrap())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    // (Had anything else mirrored it first, the fetch-back would have found it unchanged.)
    assert_eq!(outcomes, ["updated"]);

    stop.send(true).unwrap();
    let _ = workers.await;
    driver.client.clone().close().await.unwrap();
    let _ = driver.process.kill().await;
}
