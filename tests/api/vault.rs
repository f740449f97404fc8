use gumdash::store;
use gumdash::vault::{KeyRing, Purpose};
use reqwest::StatusCode;
use secrecy::ExposeSecret;

use crate::helpers::{captured_logs, page_text, spawn_app};

/// The plaintext token, recovered the only legitimate way: through the vault.
async fn stored_token(app: &crate::helpers::TestApp, tenant: gumdash::domain::TenantId) -> String {
    let connection = store::connections::load(&app.pool, tenant)
        .await
        .unwrap()
        .unwrap();
    app.settings
        .token_keys
        .open(tenant, Purpose::GumroadAccessToken, &connection.token)
        .unwrap()
        .expose_secret()
        .to_owned()
}

#[tokio::test]
async fn the_database_and_the_logs_never_hold_the_plaintext_token() {
    let app = spawn_app().await;
    let creator = app.creator(0);
    app.browser.sign_in_as(&creator).await;
    assert_eq!(app.browser.get("/dashboard").await.status(), StatusCode::OK);
    let token = stored_token(&app, app.tenant_id_of(&creator).await).await;
    assert!(
        token.len() >= 20,
        "the simulator issues real-looking tokens"
    );

    let token_hex: String = token.bytes().map(|b| format!("{b:02x}")).collect();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(tables.contains(&"gumroad_connections".to_owned()));
    for table in tables {
        // Every row as JSON text; bytea shows up as hex there, so look for both spellings.
        let query = format!(
            "SELECT count(*) FROM (SELECT row_to_json(t)::text AS j FROM \"{table}\" t) rows
             WHERE position($1 in j) > 0 OR position($2 in j) > 0"
        );
        let hits: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(query))
            .bind(&token)
            .bind(&token_hex)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(hits, 0, "plaintext token found in table {table}");
    }
    assert!(
        !captured_logs().contains(&token),
        "plaintext token found in the logs"
    );
}

#[tokio::test]
async fn a_token_copied_to_another_creators_row_does_not_decrypt() {
    let app = spawn_app().await;
    let (alice, bob) = (app.creator(0), app.creator(1));
    let alices_browser = app.new_browser();
    alices_browser.sign_in_as(&alice).await;
    app.new_browser().sign_in_as(&bob).await;
    let (alice_id, bob_id) = (app.tenant_id_of(&alice).await, app.tenant_id_of(&bob).await);

    // An attacker with database access copies Bob's sealed token onto Alice's row.
    sqlx::query(
        "UPDATE gumroad_connections SET token_ciphertext =
             (SELECT token_ciphertext FROM gumroad_connections WHERE creator_id = $2)
         WHERE creator_id = $1",
    )
    .bind(alice_id.get())
    .bind(bob_id.get())
    .execute(&app.pool)
    .await
    .unwrap();
    // The product list is the first page that needs the token (the home page reads only the mirror).
    let (status, html) = alices_browser.get_html("/products").await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let text = page_text(&html);
    assert!(text.contains("Something went wrong"), "{text}");
    assert!(!text.contains(&bob.email) && !text.contains(&bob.name));
}

#[tokio::test]
async fn the_dashboard_refuses_to_start_without_a_key_the_database_still_needs() {
    let app = spawn_app().await;
    app.browser.sign_in_as(&app.creator(0)).await;

    let result = app
        .start_another_dashboard(|settings| settings.token_keys = KeyRing::generate("other").0)
        .await;

    let error = result.expect_err("startup must fail").to_string();
    assert!(error.contains("test1"), "{error}");
    assert!(error.contains("GUMDASH_TOKEN_KEYS"), "{error}");
}

#[tokio::test]
async fn a_wrong_key_under_the_right_id_gives_an_error_page_not_a_crash() {
    let app = spawn_app().await;
    app.browser.sign_in_as(&app.creator(0)).await;

    let impostor = app
        .start_another_dashboard(|settings| settings.token_keys = KeyRing::generate("test1").0)
        .await
        .unwrap();
    let response = app.browser.get(&format!("{impostor}/products")).await;

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn after_rotation_tokens_sealed_with_the_old_key_stay_readable() {
    let app = spawn_app().await;
    let creator = app.creator(0);
    app.browser.sign_in_as(&creator).await;
    let (_, new_spec) = KeyRing::generate("test2");

    // The new key goes first (it seals from now on); the old one stays so old tokens open.
    let rotated_spec = format!("{new_spec},{}", app.token_keys_spec);
    let rotated = app
        .start_another_dashboard(|settings| {
            settings.token_keys = KeyRing::parse(&rotated_spec).unwrap();
        })
        .await
        .unwrap();
    let (status, html) = app.browser.get_html(&format!("{rotated}/products")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&html).contains(&creator.name));
}
