use reqwest::StatusCode;

use crate::helpers::{captured_logs, location, page_text, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_creator_signs_in_and_lands_on_their_own_dashboard() {
    let app = spawn_app().await;
    let creator = app.creator(0);

    app.browser.sign_in_as(&creator).await;
    let (status, html) = app.browser.get_html("/dashboard").await;

    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(
        text.contains(&format!("Welcome, {}", creator.name)),
        "{text}"
    );
    assert!(text.contains(&creator.email));
    assert!(text.contains(&format!("Signed in as {}.", creator.name)));
    assert_eq!(app.creator_count().await, 1);
}

#[tokio::test]
async fn the_flash_message_is_shown_once() {
    let app = spawn_app().await;
    app.browser.sign_in_as(&app.creator(0)).await;
    let (_, first) = app.browser.get_html("/dashboard").await;
    let (_, second) = app.browser.get_html("/dashboard").await;
    assert!(page_text(&first).contains("Signed in as"));
    assert!(!page_text(&second).contains("Signed in as"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_renewed_at_sign_in() {
    let app = spawn_app().await;
    let started = app.browser.get("/auth/gumroad").await;
    let before = session_cookie(&started).expect("sign-in start sets a session cookie");
    assert!(before.to_ascii_lowercase().contains("httponly"));
    assert!(before.to_ascii_lowercase().contains("samesite=lax"));
    // Plain-http local instance: no Secure flag, or browsers would drop the cookie.
    assert!(!before.to_ascii_lowercase().contains("secure"));

    let authorize = location(&started);
    let callback = app.browser.consent(&authorize, &app.creator(0), true).await;
    let finished = app.browser.finish_sign_in(&callback).await;
    let after = session_cookie(&finished).expect("sign-in sets a new session cookie");

    assert_ne!(
        cookie_value(&before),
        cookie_value(&after),
        "session id must change at sign-in"
    );
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("gumdash_session="))
}

fn cookie_value(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[tokio::test]
async fn the_authorize_request_carries_state_scopes_and_our_redirect_uri() {
    let app = spawn_app().await;
    let authorize = url::Url::parse(&app.browser.start_sign_in().await).unwrap();
    let query: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();

    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{}/oauth/authorize", app.sim.base_url()))
    );
    assert!(query["state"].len() >= 16, "state must be long and random");
    assert_eq!(query["scope"], "view_profile edit_products view_sales");
    assert_eq!(
        query["redirect_uri"],
        format!("{}/auth/gumroad/callback", app.address)
    );
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["code_challenge_method"], "S256");
}

#[tokio::test]
async fn a_callback_with_another_state_is_rejected_and_nothing_is_stored() {
    let app = spawn_app().await;
    let authorize = app.browser.start_sign_in().await;
    let callback = app.browser.consent(&authorize, &app.creator(0), true).await;
    let forged = replace_param(&callback.0, "state", "forged-state");

    let response = app.browser.get(&forged).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(page_text(&response.text().await.unwrap()).contains("Sign-in link expired"));
    assert_eq!(app.creator_count().await, 0);
    let (status, _) = app.browser.get_html("/dashboard").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "still signed out");
}

#[tokio::test]
async fn a_callback_in_a_browser_that_never_started_sign_in_is_rejected() {
    let app = spawn_app().await;
    let authorize = app.browser.start_sign_in().await;
    let callback = app.browser.consent(&authorize, &app.creator(0), true).await;

    // An attacker's code and state, replayed in the victim's browser (login CSRF).
    let victim = app.new_browser();
    let response = victim.finish_sign_in(&callback).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.creator_count().await, 0);
}

#[tokio::test]
async fn a_state_works_only_once() {
    let app = spawn_app().await;
    let authorize = app.browser.start_sign_in().await;
    let callback = app.browser.consent(&authorize, &app.creator(0), true).await;
    assert_eq!(
        app.browser.finish_sign_in(&callback).await.status(),
        StatusCode::SEE_OTHER
    );

    let replay = app.browser.finish_sign_in(&callback).await;

    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn denying_consent_shows_a_clear_page_and_signs_nobody_in() {
    let app = spawn_app().await;
    let authorize = app.browser.start_sign_in().await;
    let callback = app
        .browser
        .consent(&authorize, &app.creator(0), false)
        .await;
    assert!(callback.0.contains("error=access_denied"));

    let response = app.browser.finish_sign_in(&callback).await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let text = page_text(&response.text().await.unwrap());
    assert!(text.contains("Sign-in cancelled"), "{text}");
    assert!(text.contains("Sign in with Gumroad again"));
    assert_eq!(app.creator_count().await, 0);
}

#[tokio::test]
async fn a_bad_code_is_refused_by_gumroad_and_explained() {
    let app = spawn_app().await;
    let authorize = app.browser.start_sign_in().await;
    let callback = app.browser.consent(&authorize, &app.creator(0), true).await;
    let bad = replace_param(&callback.0, "code", "not-a-real-code");

    let response = app.browser.get(&bad).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(page_text(&response.text().await.unwrap()).contains("Sign-in code rejected"));
    assert_eq!(app.creator_count().await, 0);
}

#[tokio::test]
async fn a_wrong_client_secret_401_from_the_token_endpoint_is_an_operator_problem_page() {
    let app = spawn_app_with(|settings| {
        settings.gumroad.client_secret = secrecy::SecretString::from("wrong-secret".to_owned());
    })
    .await;
    let authorize = app.browser.start_sign_in().await;
    let callback = app.browser.consent(&authorize, &app.creator(0), true).await;

    let response = app.browser.finish_sign_in(&callback).await;

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let text = page_text(&response.text().await.unwrap());
    assert!(text.contains("gumdash is not set up correctly"), "{text}");
    assert!(text.contains("GUMROAD_CLIENT_SECRET"));
    assert_eq!(app.creator_count().await, 0);
}

#[tokio::test]
async fn signing_in_again_updates_the_creator_instead_of_duplicating_it() {
    let app = spawn_app().await;
    let creator = app.creator(0);
    app.browser.sign_in_as(&creator).await;
    let second_browser = app.new_browser();
    second_browser.sign_in_as(&creator).await;

    assert_eq!(app.creator_count().await, 1);
    let connections: i64 = sqlx::query_scalar("SELECT count(*) FROM gumroad_connections")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(connections, 1);
    // Both browsers stay signed in: each has its own session.
    assert_eq!(app.browser.get("/dashboard").await.status(), StatusCode::OK);
    assert_eq!(
        second_browser.get("/dashboard").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_revoked_token_asks_the_creator_to_reconnect_and_reconnecting_works() {
    let app = spawn_app().await;
    let creator = app.creator(0);
    app.browser.sign_in_as(&creator).await;

    app.sim.revoke_tokens_of(&creator.id);
    // The home page asks Gumroad nothing; the first page that does finds out.
    let (status, _) = app.browser.get_html("/products").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, html) = app.browser.get_html("/dashboard").await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let text = page_text(&html);
    assert!(text.contains("Reconnect with Gumroad"), "{text}");
    let state: String = sqlx::query_scalar("SELECT state FROM creators")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(state, "needs_reconnect");

    app.browser.sign_in_as(&creator).await;
    let (status, html) = app.browser.get_html("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&html).contains(&creator.name));
}

#[tokio::test]
async fn pages_for_signed_in_creators_send_others_to_the_start_page() {
    let app = spawn_app().await;
    let response = app.browser.get("/dashboard").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");

    let (status, html) = app.browser.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&html).contains("Sign in with Gumroad"));
}

fn replace_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

#[tokio::test]
async fn the_oauth_code_and_state_never_reach_the_logs() {
    let app = spawn_app().await;
    let authorize = app.browser.start_sign_in().await;
    let callback = app.browser.consent(&authorize, &app.creator(0), true).await;
    let query: std::collections::HashMap<_, _> = url::Url::parse(&callback.0)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();

    app.browser.finish_sign_in(&callback).await;

    let logs = captured_logs();
    assert!(
        logs.contains("/auth/gumroad/callback"),
        "the request itself is logged"
    );
    assert!(
        !logs.contains(&query["code"]),
        "the code leaked into the logs"
    );
    assert!(
        !logs.contains(&query["state"]),
        "the state leaked into the logs"
    );
}

#[tokio::test]
async fn hammering_sign_in_from_one_address_is_slowed_down_with_a_clear_page() {
    let app = spawn_app().await;
    let creator = app.signed_in(0).await;
    let mut limited = None;
    for _ in 0..45 {
        let response = app.browser.get("/auth/gumroad").await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }

    let limited = limited.expect("a burst of sign-in starts gets limited");
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    assert!(page_text(&limited.text().await.unwrap()).contains("Too many attempts"));
    // Other pages are not limited, and neither is signing out.
    assert_eq!(app.browser.get("/").await.status(), StatusCode::OK);
    let signed_out = creator.submit("/auth/sign-out", &[]).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    let (status, _) = creator.get_html("/dashboard").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_secure_and_hsts_is_sent() {
    let app = spawn_app_with(|settings| {
        settings.public_url = url::Url::parse("https://dash.example.com/").unwrap();
    })
    .await;

    let response = app.browser.get("/auth/gumroad").await;

    let cookie = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .find(|v| v.starts_with("gumdash_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("secure") && cookie.contains("httponly"),
        "{cookie}"
    );
    assert!(response.headers().contains_key("strict-transport-security"));
    let authorize = url::Url::parse(&location(&response)).unwrap();
    let redirect_uri: String = authorize
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(
        redirect_uri,
        "https://dash.example.com/auth/gumroad/callback"
    );
}

#[tokio::test]
async fn a_forged_oauth_error_cannot_write_log_lines_or_terminal_escapes() {
    let app = spawn_app().await;
    let authorize = app.browser.start_sign_in().await;
    let state = url::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let marker = "FORGED-LINE-7f3a";
    let evil = format!("server_error\n{{\"level\":\"INFO\",\"message\":\"{marker}\"}}\u{1b}[2J");
    let mut url = url::Url::parse(&app.browser.url("/auth/gumroad/callback")).unwrap();
    url.query_pairs_mut()
        .append_pair("state", &state)
        .append_pair("error", &evil)
        .append_pair("error_description", &evil);
    let response = app.browser.get(url.as_str()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let text = page_text(&response.text().await.unwrap());
    assert!(text.contains("Gumroad could not sign you in"), "{text}");
    assert!(!text.contains(marker));
    let logs = captured_logs();
    assert!(!logs.contains(marker), "the forged text reached the logs");
    assert!(
        !logs.contains('\u{1b}'),
        "a terminal escape reached the logs"
    );
}

#[tokio::test]
async fn a_visitor_sent_to_sign_in_is_not_logged_as_an_error() {
    let app = spawn_app().await;
    let response = app.new_browser().get("/sales").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    crate::helpers::assert_logged_without_error(&response);
}

#[tokio::test]
async fn a_disabled_creator_cannot_sign_in_and_nothing_of_the_attempt_is_stored() {
    let app = spawn_app().await;
    app.signed_in(0).await;
    let creator = app.creator(0);
    sqlx::query("UPDATE creators SET state = 'disabled' WHERE gumroad_user_id = $1")
        .bind(&creator.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let token_before: Vec<u8> =
        sqlx::query_scalar("SELECT token_ciphertext FROM gumroad_connections")
            .fetch_one(&app.pool)
            .await
            .unwrap();

    let browser = app.new_browser();
    let authorize = browser.start_sign_in().await;
    let callback = browser.consent(&authorize, &creator, true).await;
    let response = browser.finish_sign_in(&callback).await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(page_text(&response.text().await.unwrap()).contains("Account disabled"));
    let token_after: Vec<u8> =
        sqlx::query_scalar("SELECT token_ciphertext FROM gumroad_connections")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(token_after, token_before, "no new token stored");
    let (status, _) = browser.get_html("/dashboard").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "not signed in");
}
