//! Online key rotation: every token re-sealed under the ring's first key, in batches, while the
//! servers serve; one run at a time; afterwards the old key can leave the ring.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gumdash::domain::TenantId;
use gumdash::rotation::{self, RotationError};
use gumdash::store;
use gumdash::vault::{KeyRing, Purpose};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use crate::helpers::{TestApp, page_text, spawn_app, spawn_app_with};

/// `count` made-up creators with tokens sealed under the app's first key (no Gumroad behind them):
/// enough rows for several batches. Returns each tenant with its plaintext token.
async fn seed_connections(app: &TestApp, count: usize) -> Vec<(TenantId, String)> {
    let mut seeded = Vec::with_capacity(count);
    for n in 0..count {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO creators (gumroad_user_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind(format!("9{n:012}"))
        .bind(format!("Seeded {n}"))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        let tenant = TenantId::from_db(id);
        let token = format!("token-{n}-{}", id * 7919);
        let sealed = app.settings.token_keys.seal(
            tenant,
            Purpose::GumroadAccessToken,
            &SecretString::from(token.clone()),
        );
        store::connections::save(&app.pool, tenant, &sealed, "view_sales")
            .await
            .unwrap();
        seeded.push((tenant, token));
    }
    seeded
}

async fn key_counts(app: &TestApp) -> Vec<(String, i64)> {
    store::connections::count_by_key(&app.pool).await.unwrap()
}

/// The ring of a deployment mid-rotation: the new key first, the old one after it.
fn rotated_ring(app: &TestApp) -> (KeyRing, KeyRing) {
    let (new_only, new_spec) = KeyRing::generate("test2");
    let both = KeyRing::parse(&format!("{new_spec},{}", app.token_keys_spec)).unwrap();
    (both, new_only)
}

#[tokio::test]
async fn rotation_under_concurrent_browsing_leaves_every_creator_working_and_no_old_key() {
    let app = spawn_app().await;
    let mut browsers = Vec::new();
    for index in 0..3 {
        browsers.push(Arc::new(app.signed_in(index).await));
    }
    let seeded = seed_connections(&app, 240).await;
    let (both, new_only) = rotated_ring(&app);
    // Every instance first gets the new key at the head of its ring (and keeps the old one).
    let serving = {
        let both = both.clone();
        app.start_another_dashboard(move |s| s.token_keys = both)
            .await
            .unwrap()
    };

    // Several signed-in creators browse pages that open their token, in parallel, throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for browser in &browsers {
        let (browser, stop, serving) = (browser.clone(), stop.clone(), serving.clone());
        tasks.push(tokio::spawn(async move {
            let mut pages = 0;
            while !stop.load(Ordering::Relaxed) || pages < 4 {
                for path in ["/products", "/dashboard", "/sales"] {
                    let (status, html) = browser.get_html(&format!("{serving}{path}")).await;
                    assert_eq!(status, StatusCode::OK, "{path}: {}", page_text(&html));
                    pages += 1;
                }
            }
            pages
        }));
    }
    let mut batches = 0;
    let report = rotation::rotate(&app.pool, &both, 20, "test", |_| batches += 1)
        .await
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        assert!(task.await.unwrap() >= 4);
    }

    assert_eq!(report.rotated, 243, "{report:?}");
    assert_eq!((report.remaining, report.unreadable), (0, 0));
    assert!(batches >= 12, "{batches} batches");
    assert_eq!(key_counts(&app).await, vec![("test2".to_owned(), 243)]);
    for (tenant, token) in &seeded {
        let connection = store::connections::load(&app.pool, *tenant)
            .await
            .unwrap()
            .unwrap();
        let opened = new_only
            .open(*tenant, Purpose::GumroadAccessToken, &connection.token)
            .unwrap();
        assert_eq!(opened.expose_secret(), token);
    }
    // The old key leaves the ring: the startup check passes and every creator still works.
    let restarted = app
        .start_another_dashboard(move |s| s.token_keys = new_only)
        .await
        .expect("starts with only the new key");
    for (index, browser) in browsers.iter().enumerate() {
        let (status, html) = browser.get_html(&format!("{restarted}/products")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page_text(&html).contains(&app.creator(index).name));
    }
    let run = store::rotation::latest(&app.pool).await.unwrap().unwrap();
    assert_eq!(
        (run.state.as_str(), run.rotated, run.total),
        ("done", 243, 243)
    );
}

#[tokio::test]
async fn two_rotations_at_once_do_not_conflict_and_a_second_run_changes_nothing() {
    let app = spawn_app().await;
    app.signed_in(0).await;
    seed_connections(&app, 150).await;
    let (both, _) = rotated_ring(&app);

    let (first, second) = tokio::join!(
        rotation::rotate(&app.pool, &both, 10, "test", |_| {}),
        rotation::rotate(&app.pool, &both, 10, "test", |_| {}),
    );
    let mut rotated = 0;
    for result in [first, second] {
        match result {
            Ok(report) => {
                assert_eq!(report.remaining, 0);
                rotated += report.rotated;
            }
            Err(RotationError::AlreadyRunning) => {}
            Err(error) => panic!("{error}"),
        }
    }
    assert_eq!(rotated, 151, "every token re-sealed exactly once");
    assert_eq!(key_counts(&app).await, vec![("test2".to_owned(), 151)]);

    // While another instance holds the lock, a run is refused and touches nothing.
    let mut other = app.pool.acquire().await.unwrap();
    assert!(store::rotation::try_lock(&mut other).await.unwrap());
    let refused = rotation::rotate(&app.pool, &both, 10, "test", |_| {}).await;
    assert!(
        matches!(refused, Err(RotationError::AlreadyRunning)),
        "{refused:?}"
    );
    assert!(store::rotation::lock_held(&app.pool).await.unwrap());
    store::rotation::unlock(&mut other).await.unwrap();

    let again = rotation::rotate(&app.pool, &both, 10, "test", |_| {})
        .await
        .unwrap();
    assert_eq!((again.rotated, again.remaining), (0, 0));
    assert!(!store::rotation::lock_held(&app.pool).await.unwrap());
}

#[tokio::test]
async fn a_ring_without_a_key_the_database_uses_is_refused_before_anything_changes() {
    let app = spawn_app().await;
    app.signed_in(0).await;
    let (new_only, _) = KeyRing::generate("test2");
    let refused = rotation::rotate(&app.pool, &new_only, 10, "test", |_| {}).await;
    assert!(
        matches!(refused, Err(RotationError::MissingKeys(ref ids)) if ids == &["test1".to_owned()])
    );
    assert_eq!(key_counts(&app).await, vec![("test1".to_owned(), 1)]);
}

#[tokio::test]
async fn the_operator_rotates_from_the_keys_page_and_a_worker_does_it() {
    let operator_id = spawn_app_with(|_| {}).await.creator(1).id;
    let (_, new_spec) = KeyRing::generate("test2");
    // The app under test starts with the old key alone, seals the tokens, then an instance with the
    // rotated ring serves the operator and runs the job.
    let app = spawn_app_with(move |s| s.admin_gumroad_ids = vec![operator_id]).await;
    let creator = app.signed_in(0).await;
    let operator = app.signed_in(1).await;
    let both = KeyRing::parse(&format!("{new_spec},{}", app.token_keys_spec)).unwrap();
    let serving = {
        let both = both.clone();
        app.start_another_dashboard(move |s| s.token_keys = both)
            .await
            .unwrap()
    };

    for browser in [&creator, &app.new_browser()] {
        let (status, _) = browser.get_html(&format!("{serving}/admin/keys")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let response = browser
            .post_form(&format!("{serving}/admin/keys/rotate"), &[("reason", "x")])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let (status, html) = operator.get_html(&format!("{serving}/admin/keys")).await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(text.contains("test2") && text.contains("test1"), "{text}");
    assert!(
        text.contains("2 token(s) are sealed with an older key"),
        "{text}"
    );

    // Without the CSRF token: refused; without a reason: asked again; then enqueued and audited.
    let forged = operator
        .post_form(
            &format!("{serving}/admin/keys/rotate"),
            &[("reason", "yearly")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let (status, _) = operator
        .get_html(&format!("{serving}/admin/keys/rotate"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let unexplained = operator
        .submit(&format!("{serving}/admin/keys/rotate"), &[("reason", " ")])
        .await;
    assert_eq!(unexplained.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (status, text) = operator
        .submit_and_follow(
            &format!("{serving}/admin/keys/rotate"),
            &[("reason", "yearly rotation")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("rotation has started"), "{text}");
    assert!(text.contains("waiting for a worker"), "{text}");

    // A worker of an instance that still seals with the old key leaves the job alone.
    let stale = app.background();
    gumdash::jobs::run_pending_jobs(&stale.queue, stale.handler.as_ref()).await;
    assert_eq!(key_counts(&app).await, vec![("test1".to_owned(), 2)]);
    let waiting: Option<String> = sqlx::query_scalar(
        "SELECT last_error FROM jobs WHERE kind = 'rotate_keys' AND state = 'pending'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(waiting.unwrap().contains("put \"test2\" first"));
    let (_, html) = operator.get_html(&format!("{serving}/admin/keys")).await;
    assert!(page_text(&html).contains("It is waiting because this instance seals with key"));

    // It waits half a minute for another instance; here that instance comes at once.
    sqlx::query("UPDATE jobs SET run_at = now() WHERE kind = 'rotate_keys'")
        .execute(&app.pool)
        .await
        .unwrap();
    let mut settings = app.settings.clone();
    settings.token_keys = both;
    let background = gumdash::startup::Background::new(&settings, app.pool.clone());
    gumdash::jobs::run_pending_jobs(&background.queue, background.handler.as_ref()).await;

    assert_eq!(key_counts(&app).await, vec![("test2".to_owned(), 2)]);
    let (_, html) = operator.get_html(&format!("{serving}/admin/keys")).await;
    let text = page_text(&html);
    assert!(text.contains("2 of 2 re-sealed"), "{text}");
    assert!(text.contains("Every token is sealed with test2"), "{text}");
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, detail->>'reason' FROM audit_events WHERE action = 'key_rotation' AND detail ? 'requested'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        vec![(
            format!("admin:{}", app.creator(1).id),
            "yearly rotation".to_owned()
        )]
    );
    assert_eq!(app.failed_jobs().await, vec![]);
}

#[tokio::test]
async fn gumdash_keys_rotate_reports_progress_refuses_a_second_run_and_is_safe_to_repeat() {
    let app = spawn_app().await;
    app.signed_in(0).await;
    seed_connections(&app, 30).await;
    let (_, new_spec) = KeyRing::generate("test2");
    let ring = format!("{new_spec},{}", app.token_keys_spec);
    let rotate = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_gumdash"))
            .args(["keys", "rotate", "--batch-size", "8"])
            .env_clear()
            .env(
                "DATABASE_URL",
                crate::helpers::database_url(&app.settings.database),
            )
            .env("GUMDASH_TOKEN_KEYS", &ring)
            .output()
            .unwrap()
    };

    // Another instance is rotating: this one says so and changes nothing.
    let mut other = app.pool.acquire().await.unwrap();
    assert!(store::rotation::try_lock(&mut other).await.unwrap());
    let refused = rotate();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("already running"), "{stderr}");
    assert_eq!(key_counts(&app).await, vec![("test1".to_owned(), 31)]);
    store::rotation::unlock(&mut other).await.unwrap();

    let done = rotate();
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(stdout.contains("8 of 31 re-encrypted"), "{stdout}");
    assert!(
        stdout.contains("done: 31 token(s) re-encrypted"),
        "{stdout}"
    );
    assert_eq!(key_counts(&app).await, vec![("test2".to_owned(), 31)]);

    let again = rotate();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("done: 0 token(s)"));
}
