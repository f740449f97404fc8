//! Rails and Doorkeeper leniencies and strictnesses around the routes: trailing slashes, `HEAD`, multipart
//! bodies, malformed scope strings, client authentication on revoke, `next_page_url` encoding.

use reqwest::header::CONTENT_LENGTH;

use super::*;

const BOUNDARY: &str = "----gumdashBoundary7MA4YWxk";

/// A `multipart/form-data` body like `curl -F`: text fields, then file parts `(name, filename, bytes)`.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, filename, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn trailing_slashes_route_like_the_plain_path() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let token = sim
        .handle
        .issue_token(&sim.app.client_id, &creator.id, &["view_profile"]);
    for path in ["/v2/user/", "/api/v2/user.json/", "//v2//user//"] {
        let response = sim.get_as(path, &token).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["user"]["id"], creator.id.as_str(), "{path}");
    }
    let products = sim.get_as("/v2/products/", &token).await;
    assert_eq!(products.status(), StatusCode::OK);
    let body: Value = products.json().await.expect("JSON");
    assert_eq!(body["products"].as_array().expect("products").len(), 10);
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let sim = spawn().await;
    let token = sim
        .handle
        .issue_token(&sim.app.client_id, &sim.creator(0).id, &["view_profile"]);
    let get = sim.user(&token).await;
    let get_type = get.headers()[CONTENT_TYPE].clone();
    let get_length = get.bytes().await.expect("GET body").len();
    assert!(get_length > 0);
    for path in ["/v2/user", "/v2/user/", "/api/v2/user.json"] {
        let head = sim
            .http
            .head(sim.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("HEAD");
        assert_eq!(head.status(), StatusCode::OK, "{path}");
        assert_eq!(head.headers()[CONTENT_TYPE], get_type, "{path}");
        if let Some(length) = head.headers().get(CONTENT_LENGTH) {
            assert_eq!(length.to_str().expect("ASCII"), get_length.to_string());
        }
        assert!(head.bytes().await.expect("HEAD body").is_empty(), "{path}");
    }
    let unauthorized = sim
        .http
        .head(sim.url("/v2/user"))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    assert!(unauthorized.headers().contains_key(WWW_AUTHENTICATE));
    let no_get_route = sim
        .http
        .head(sim.url("/oauth/token"))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(
        no_get_route.status(),
        StatusCode::NOT_FOUND,
        "HEAD only borrows GET routes"
    );
    assert!(no_get_route.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn multipart_text_fields_are_parameters() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let token = sim.handle.issue_token(
        &sim.app.client_id,
        &creator.id,
        &["view_profile", "edit_products"],
    );
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let user = sim
        .http
        .get(sim.url("/v2/user"))
        .header(CONTENT_TYPE, &content_type)
        .body(multipart(&[("access_token", &token)], &[]))
        .send()
        .await
        .expect("GET");
    assert_eq!(user.status(), StatusCode::OK, "curl -F access_token=…");
    let body: Value = user.json().await.expect("JSON");
    assert_eq!(body["user"]["id"], creator.id.as_str());

    // A file part is sent (and refused), though its content is never read as text.
    let created = sim
        .http
        .post(sim.url("/v2/products"))
        .bearer_auth(&token)
        .header(CONTENT_TYPE, &content_type)
        .body(multipart(
            &[("name", "Zine"), ("price", "500")],
            &[("file", "zine.pdf", b"%PDF-1.7\xff\xfe")],
        ))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), StatusCode::OK);
    let body: Value = created.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({"success": false, "message": "'file' is not an accepted parameter on POST /v2/products."})
    );
}

#[tokio::test]
async fn scope_strings_with_tabs_or_newlines_are_invalid() {
    let sim = spawn().await;
    sim.login(&sim.creator(0)).await;
    let id = sim.app.client_id.clone();
    for scope in [
        "view_profile\tview_sales",
        "view_profile\nview_sales",
        "view_profile\r\nview_sales",
        "view_profile\u{a0}view_sales",
    ] {
        let response = sim.get(&sim.authorize_path(&id, CALLBACK, scope, "")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{scope:?}");
        let text = text_of(&response.text().await.expect("body"));
        assert!(text.contains("invalid_scope"), "{scope:?}");
    }
    let spaced = sim
        .get(&sim.authorize_path(&id, CALLBACK, " view_profile  view_sales ", ""))
        .await;
    assert_eq!(spaced.status(), StatusCode::OK, "repeated spaces are fine");

    let tabbed = sim
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &sim.other_app.client_id),
            ("client_secret", &sim.other_app.client_secret),
            ("scope", "view_profile\tview_sales"),
        ])
        .await;
    assert_oauth_error(
        tabbed,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
        "The requested scope is invalid, unknown, or malformed.",
    )
    .await;

    let code = sim.code_for("view_profile view_sales").await;
    let pair = sim.exchange(&code).await;
    let refresh_token = pair["refresh_token"].as_str().expect("refresh token");
    let refreshed = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", "view_profile\nview_sales"),
        ])
        .await;
    assert_oauth_error(
        refreshed,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
        "The requested scope is invalid, unknown, or malformed.",
    )
    .await;
}

#[tokio::test]
async fn revoke_needs_client_authentication() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let forbidden = json!({"error": "invalid_client", "error_description": INVALID_CLIENT});
    let live = sim
        .handle
        .issue_token(&sim.app.client_id, &creator.id, &["view_profile"]);
    let attempts: [&[(&str, &str)]; 3] = [
        &[("token", &live)],
        &[("token", &live), ("client_id", "no-such-client")],
        &[
            ("token", &live),
            ("client_id", &sim.app.client_id),
            ("client_secret", "wrong"),
        ],
    ];
    for form in attempts {
        let response = sim
            .http
            .post(sim.url("/oauth/revoke"))
            .form(form)
            .send()
            .await
            .expect("revoke");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{form:?}");
        assert_eq!(response.json::<Value>().await.expect("JSON"), forbidden);
    }
    assert_eq!(
        sim.user(&live).await.status(),
        StatusCode::OK,
        "still alive"
    );

    // Basic auth, or a client id with a blank secret (a public client): 200 {}, unknown tokens too.
    let unknown = sim
        .http
        .post(sim.url("/oauth/revoke"))
        .basic_auth(&sim.app.client_id, Some(&sim.app.client_secret))
        .form(&[("token", "no-such-token")])
        .send()
        .await
        .expect("revoke");
    assert_eq!(unknown.status(), StatusCode::OK);
    assert_eq!(unknown.json::<Value>().await.expect("JSON"), json!({}));
    let revoked = sim
        .http
        .post(sim.url("/oauth/revoke"))
        .form(&[("token", live.as_str()), ("client_id", &sim.app.client_id)])
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(revoked.json::<Value>().await.expect("JSON"), json!({}));
    assert_eq!(sim.user(&live).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn next_page_url_encodes_spaces_as_percent_20() {
    let sim = spawn().await;
    let token = sim
        .handle
        .issue_token(&sim.app.client_id, &sim.creator(0).id, &["edit_products"]);
    let response = sim
        .http
        .get(sim.url("/v2/products?q=a%20b+c*&x%20y=1"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.expect("JSON");
    let key = page["next_page_key"].as_str().expect("next_page_key");
    assert_eq!(
        page["next_page_url"],
        format!("/v2/products?page_key={key}&q=a%20b%20c%2A&x%20y=1")
    );
}
