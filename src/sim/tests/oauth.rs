//! The OAuth provider, `/v2/user`, faults, rate limits on `/oauth/token`, seeding and controls.

use super::*;

#[tokio::test]
async fn full_code_flow_from_login_to_user() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let authorize = sim.authorize_path(
        &sim.app.client_id,
        CALLBACK,
        "view_profile view_sales",
        "xyz",
    );

    let bounced = sim.get(&authorize).await;
    assert_eq!(bounced.status(), StatusCode::FOUND);
    let login_url = Url::parse(&sim.url(&location(&bounced))).expect("login URL");
    assert_eq!(login_url.path(), "/oauth/login");
    assert_eq!(
        query_value(&login_url, "next").as_deref(),
        Some(authorize.as_str())
    );

    let login_page = sim
        .http
        .get(login_url.as_str())
        .send()
        .await
        .expect("login page");
    let html = login_page.text().await.expect("login body");
    assert!(html.contains("Sign in to Gumroad (simulator)"));
    let document = Html::parse_document(&html);
    let forms = Selector::parse(r#"form.sign-in-as[method="post"][action="/oauth/login"]"#)
        .expect("selector");
    let button = Selector::parse("button").expect("selector");
    let form = document
        .select(&forms)
        .find(|f| {
            f.select(&button)
                .any(|b| b.text().collect::<String>() == creator.name)
        })
        .expect("a sign-in form whose button is the creator's name");
    let fields = hidden_fields(&form.html(), "form");
    assert!(fields.contains(&("user_id".to_owned(), creator.id.clone())));
    assert!(fields.contains(&("next".to_owned(), authorize.clone())));

    let signed_in = sim
        .http
        .post(sim.url("/oauth/login"))
        .form(&fields)
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), StatusCode::FOUND);
    assert_eq!(location(&signed_in), authorize);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("_gumroad_sim_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    let consent = sim
        .get(&authorize)
        .await
        .text()
        .await
        .expect("consent body");
    let consent_text = text_of(&consent);
    for expected in [
        &sim.app.name,
        &creator.name,
        "See your sales, customers and subscribers",
        "Authorize",
        "Deny",
    ] {
        assert!(
            consent_text.contains(expected),
            "consent page shows {expected:?}"
        );
    }
    let back = sim.decide(&authorize, "authorize").await;
    assert_eq!(
        format!("{}://{}{}", back.scheme(), back.authority(), back.path()),
        CALLBACK
    );
    assert_eq!(query_value(&back, "state").as_deref(), Some("xyz"));
    let code = query_value(&back, "code").expect("a code");
    assert_eq!(code.len(), 43);

    let response = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", &sim.app.client_id),
            ("client_secret", &sim.app.client_secret),
        ])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "grant_type defaults to authorization_code"
    );
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let token: Value = response.json().await.expect("token JSON");
    let keys: Vec<&str> = token
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted_keys = keys.clone();
    sorted_keys.sort_unstable();
    assert_eq!(
        sorted_keys,
        [
            "access_token",
            "created_at",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["scope"], "view_profile view_sales");
    assert!(
        token["created_at"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000)
    );
    let access = token["access_token"].as_str().expect("access token");
    assert_eq!(access.len(), 43);

    let user = sim.user(access).await;
    assert_eq!(user.status(), StatusCode::OK);
    let body: Value = user.json().await.expect("user JSON");
    assert_eq!(body["success"], true);
    let user = &body["user"];
    assert_eq!(user["id"], creator.id.as_str());
    assert_eq!(user["user_id"], creator.user_id.as_str());
    assert_eq!(user["email"], creator.email.as_str());
    assert_eq!(user["display_name"], creator.name.as_str());
    assert_eq!(
        user["url"],
        format!("https://{}.gumroad.com", creator.username)
    );
    assert_eq!(
        user["links"].as_array().map(Vec::len),
        Some(23),
        "one short URL per live product"
    );

    let avatar_url = user["profile_url"].as_str().expect("profile_url");
    assert!(avatar_url.starts_with(sim.handle.base_url()));
    let avatar = sim.http.get(avatar_url).send().await.expect("avatar");
    assert_eq!(avatar.status(), StatusCode::OK);
    assert_eq!(avatar.headers()[CONTENT_TYPE], "image/svg+xml");
    assert!(avatar.text().await.expect("svg").contains("<circle"));
}

#[tokio::test]
async fn deny_redirects_back_with_access_denied() {
    let sim = spawn().await;
    sim.login(&sim.creator(0)).await;
    let authorize = sim.authorize_path(&sim.app.client_id, CALLBACK, "view_profile", "s1");

    let back = sim.decide(&authorize, "deny").await;
    assert_eq!(
        query_value(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_value(&back, "error_description").as_deref(),
        Some("The resource owner or authorization server denied the request.")
    );
    assert_eq!(query_value(&back, "state").as_deref(), Some("s1"));
    assert_eq!(query_value(&back, "code"), None);

    let fields = hidden_fields(
        &sim.get(&authorize).await.text().await.expect("consent"),
        "form#authorize",
    );
    let real_delete = sim
        .http
        .delete(sim.url("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(real_delete.status(), StatusCode::FOUND);
    let back = Url::parse(&location(&real_delete)).expect("URL");
    assert_eq!(
        query_value(&back, "error").as_deref(),
        Some("access_denied")
    );

    // Without `state`, none comes back.
    let stateless = format!(
        "/oauth/authorize?client_id={}&redirect_uri={}&scope=view_profile",
        sim.app.client_id,
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
    );
    let back = sim.decide(&stateless, "authorize").await;
    assert!(query_value(&back, "code").is_some());
    assert_eq!(query_value(&back, "state"), None);
}

#[tokio::test]
async fn authorize_errors_are_shown_not_redirected() {
    let sim = spawn().await;
    sim.login(&sim.creator(0)).await;
    let id = sim.app.client_id.clone();
    let cases = [
        (
            "/oauth/authorize?redirect_uri=x&scope=view_profile".to_owned(),
            400,
            "invalid_request",
            "Missing required parameter: client_id.",
        ),
        (
            sim.authorize_path("nope", CALLBACK, "view_profile", ""),
            401,
            "invalid_client",
            INVALID_CLIENT,
        ),
        (
            sim.authorize_path(&id, "https://evil.example/cb", "view_profile", ""),
            400,
            "invalid_redirect_uri",
            "The requested redirect uri is malformed or doesn't match client redirect URI.",
        ),
        (
            format!(
                "{}&response_type=token",
                sim.authorize_path(&id, CALLBACK, "view_profile", "")
            )
            .replace("response_type=code&", ""),
            400,
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        ),
        (
            sim.authorize_path(&id, CALLBACK, "view_profile nonsense", ""),
            400,
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        ),
        (
            sim.authorize_path(&id, CALLBACK, "refund_sales", ""),
            400,
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        ),
        (
            sim.authorize_path(&id, CALLBACK, "", ""),
            400,
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        ),
    ];
    for (path, status, error, description) in cases {
        let response = sim.get(&path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert!(
            response.headers().get(LOCATION).is_none(),
            "{path} must not redirect"
        );
        let text = text_of(&response.text().await.expect("body"));
        assert!(text.contains("An error has occurred"), "{path}");
        assert!(text.contains(error), "{path} shows {error}");
        assert!(text.contains(description), "{path} shows {description:?}");
    }

    // The form's hidden fields are checked again on POST.
    let mut fields = hidden_fields(
        &sim.get(&sim.authorize_path(&id, CALLBACK, "view_profile", ""))
            .await
            .text()
            .await
            .expect("consent"),
        "form#authorize",
    );
    fields.retain(|(k, _)| k != "scope");
    fields.push(("scope".to_owned(), "account mobile_api".to_owned()));
    let response = sim
        .http
        .post(sim.url("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text_of(&response.text().await.expect("body")).contains("invalid_scope"));
}

#[tokio::test]
async fn redirect_uri_matching_rules() {
    let sim = spawn().await;
    sim.login(&sim.creator(0)).await;
    let id = sim.app.client_id.clone();
    let accepted = [
        (
            "http://127.0.0.1:5555/callback",
            "loopback IP ignores the port",
        ),
        (
            "https://app.example/cb?b=2&a=1",
            "registered query, pairs in another order",
        ),
        (
            "https://plain.example/cb?extra=1",
            "query ignored when none is registered",
        ),
    ];
    for (uri, why) in accepted {
        let response = sim
            .get(&sim.authorize_path(&id, uri, "view_profile", ""))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{why}: {uri}");
    }
    let refused = [
        (
            "https://app.example/cb?a=1",
            "registered query needs every pair",
        ),
        ("https://app.example/cb", "registered query needs a query"),
        ("https://plain.example/cb#frag", "fragment"),
        (
            "https://plain.example:8443/cb",
            "port of a non-loopback host",
        ),
        ("http://plain.example/cb", "scheme"),
        (
            "http://localhost:8080/callback",
            "localhost is a name, not a loopback IP",
        ),
        ("/callback", "relative"),
    ];
    for (uri, why) in refused {
        let response = sim
            .get(&sim.authorize_path(&id, uri, "view_profile", ""))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{why}: {uri}");
    }

    // The code is appended to the client's own query with `&`.
    let back = sim
        .decide(
            &sim.authorize_path(&id, "https://plain.example/cb?extra=1", "view_profile", "s"),
            "authorize",
        )
        .await;
    assert!(
        back.as_str()
            .starts_with("https://plain.example/cb?extra=1&code="),
        "{back}"
    );
}

#[tokio::test]
async fn token_endpoint_errors() {
    let sim = spawn().await;
    let code = sim.code_for("view_profile").await;
    let id = sim.app.client_id.clone();

    let wrong_secret = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", &id),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_oauth_error(
        wrong_secret,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        INVALID_CLIENT,
    )
    .await;
    let unknown_client = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", "nope"),
        ])
        .await;
    assert_oauth_error(
        unknown_client,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        INVALID_CLIENT,
    )
    .await;

    let missing_redirect = sim
        .token(&[("code", &code), ("client_id", &id), ("state", "abc")])
        .await;
    let body = assert_oauth_error(
        missing_redirect,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "Missing required parameter: redirect_uri.",
    )
    .await;
    assert_eq!(body["state"], "abc", "state is echoed in errors");

    let wrong_redirect = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", "https://plain.example/cb"),
            ("client_id", &id),
        ])
        .await;
    let body = assert_oauth_error(
        wrong_redirect,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        INVALID_GRANT,
    )
    .await;
    assert!(
        body.get("state").is_none(),
        "no state key when none was sent"
    );

    let other_client = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", "other-client"),
            ("client_secret", "other-secret"),
        ])
        .await;
    assert_oauth_error(
        other_client,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        INVALID_GRANT,
    )
    .await;

    // Refused exchanges leave the code usable; a blank secret is accepted.
    let blank_secret = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", &id),
            ("client_secret", ""),
        ])
        .await;
    assert_eq!(blank_secret.status(), StatusCode::OK);

    let reused = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", &id),
        ])
        .await;
    assert_oauth_error(
        reused,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        INVALID_GRANT,
    )
    .await;

    let password = sim
        .token(&[
            ("grant_type", "password"),
            ("username", "a"),
            ("password", "b"),
            ("client_id", &id),
        ])
        .await;
    assert_oauth_error(
        password,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        "The authorization grant type is not supported by the authorization server.",
    )
    .await;

    // HTTP Basic credentials and a JSON body work too.
    let code = sim.code_for("view_profile").await;
    let basic = sim
        .http
        .post(sim.url("/oauth/token"))
        .basic_auth(&id, Some(&sim.app.client_secret))
        .json(&json!({"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}))
        .send()
        .await
        .expect("token request");
    assert_eq!(basic.status(), StatusCode::OK);
    let basic_wrong = sim
        .http
        .post(sim.url("/oauth/token"))
        .basic_auth(&id, Some("wrong"))
        .form(&[("code", "x"), ("redirect_uri", CALLBACK)])
        .send()
        .await
        .expect("token request");
    assert_oauth_error(
        basic_wrong,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        INVALID_CLIENT,
    )
    .await;
}

#[tokio::test]
async fn codes_expire_after_ten_minutes() {
    let sim = spawn().await;
    let code = sim.code_for("view_profile").await;
    let advanced = sim.control("/_sim/clock", json!({"seconds": 601})).await;
    assert_eq!(advanced.status(), StatusCode::OK);
    let late = sim.redeem(&code).await;
    assert_oauth_error(
        late,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        INVALID_GRANT,
    )
    .await;
}

#[tokio::test]
async fn refresh_revokes_the_old_pair_at_once() {
    let sim = spawn().await;
    let first = sim
        .exchange(&sim.code_for("view_profile view_sales").await)
        .await;
    let old_access = first["access_token"].as_str().expect("access");
    let old_refresh = first["refresh_token"].as_str().expect("refresh");

    let refreshed = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ])
        .await;
    assert_eq!(
        refreshed.status(),
        StatusCode::OK,
        "client credentials are optional for refresh"
    );
    let second: Value = refreshed.json().await.expect("JSON");
    assert_eq!(second["scope"], "view_profile view_sales");
    assert_ne!(second["access_token"], first["access_token"]);
    assert!(second.get("expires_in").is_none());

    let old = sim.user(old_access).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    assert!(
        old.headers()[WWW_AUTHENTICATE]
            .to_str()
            .expect("ASCII")
            .contains("The access token was revoked")
    );
    let reused = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ])
        .await;
    assert_oauth_error(
        reused,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        INVALID_GRANT,
    )
    .await;
    assert_eq!(
        sim.user(second["access_token"].as_str().expect("access"))
            .await
            .status(),
        StatusCode::OK
    );

    // Fewer scopes may be asked for, not more; credentials, when sent, must be right.
    let new_refresh = second["refresh_token"].as_str().expect("refresh");
    let wider = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", new_refresh),
            ("scope", "edit_products"),
        ])
        .await;
    assert_eq!(wider.status(), StatusCode::BAD_REQUEST);
    let wrong_secret = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", new_refresh),
            ("client_id", &sim.app.client_id),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
    let narrower = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", new_refresh),
            ("scope", "view_sales"),
        ])
        .await;
    let narrower: Value = narrower.json().await.expect("JSON");
    assert_eq!(narrower["scope"], "view_sales");
}

#[tokio::test]
async fn pkce_s256_is_checked_when_sent() {
    let sim = spawn().await;
    sim.login(&sim.creator(0)).await;
    let verifier = "dBjftJeZ4CVP-mB92K3uhbUEWJDkNKYnAT2C7U-6Ak8";
    let path = format!(
        "{}&code_challenge=oiunwAYGv6J3YqOaToKg82HLtOXnY5JsliPNxB0rGZ4&code_challenge_method=S256",
        sim.authorize_path(&sim.app.client_id, CALLBACK, "view_profile", "")
    );
    let code = query_value(&sim.decide(&path, "authorize").await, "code").expect("code");
    let id = sim.app.client_id.clone();

    let missing = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", &id),
        ])
        .await;
    assert_oauth_error(
        missing,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "Missing required parameter: code_verifier.",
    )
    .await;
    let wrong = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", &id),
            ("code_verifier", "not-it"),
        ])
        .await;
    assert_oauth_error(
        wrong,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        INVALID_GRANT,
    )
    .await;
    let right = sim
        .token(&[
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", &id),
            ("code_verifier", verifier),
        ])
        .await;
    assert_eq!(right.status(), StatusCode::OK);
}

#[tokio::test]
async fn unauthorized_says_invalid_or_revoked() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let invalid = r#"Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid""#;
    let revoked = r#"Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token was revoked""#;

    for response in [sim.user("unknown-token").await, sim.get("/v2/user").await] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[WWW_AUTHENTICATE], invalid);
        assert!(response.bytes().await.expect("body").is_empty());
    }

    let by_handle = sim
        .handle
        .issue_token(&sim.app.client_id, &creator.id, &["view_profile"]);
    let by_control: Value = sim
        .control(
            "/_sim/tokens",
            json!({"client_id": sim.app.client_id, "user_id": creator.id, "scopes": "view_sales"}),
        )
        .await
        .json()
        .await
        .expect("JSON");
    let by_control = by_control["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(sim.user(&by_handle).await.status(), StatusCode::OK);
    assert_eq!(sim.user(&by_control).await.status(), StatusCode::OK);

    let revoke = sim
        .control("/_sim/tokens/revoke", json!({"token": by_control}))
        .await;
    assert_eq!(revoke.status(), StatusCode::OK);
    let response = sim.user(&by_control).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()[WWW_AUTHENTICATE], revoked);
    assert!(response.bytes().await.expect("body").is_empty());
    assert_eq!(
        sim.user(&by_handle).await.status(),
        StatusCode::OK,
        "only that token died"
    );

    sim.handle.revoke_tokens_of(&creator.id);
    assert_eq!(
        sim.user(&by_handle).await.headers()[WWW_AUTHENTICATE],
        revoked
    );

    // RFC 7009 revocation: 200 {} for unknown tokens and for real ones, which then die.
    let live = sim
        .handle
        .issue_token(&sim.app.client_id, &creator.id, &["view_profile"]);
    for token in ["no-such-token", live.as_str()] {
        let response = sim
            .http
            .post(sim.url("/oauth/revoke"))
            .form(&[("token", token), ("client_id", &sim.app.client_id)])
            .send()
            .await
            .expect("revoke");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.json::<Value>().await.expect("JSON"), json!({}));
    }
    assert_eq!(sim.user(&live).await.headers()[WWW_AUTHENTICATE], revoked);
}

#[tokio::test]
async fn token_without_a_read_scope_is_forbidden() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    for scopes in [&["mobile_api"][..], &["refund_sales"][..]] {
        let token = sim
            .handle
            .issue_token(&sim.app.client_id, &creator.id, scopes);
        let response = sim.user(&token).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{scopes:?}");
        assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
        assert!(response.bytes().await.expect("body").is_empty());
    }
    let public = sim
        .handle
        .issue_token(&sim.app.client_id, &creator.id, &["view_public"]);
    assert_eq!(sim.user(&public).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn user_fields_depend_on_scope() {
    let sim = spawn().await;
    let with_handle = sim.creator(0);
    let without_handle = sim.creator(1);
    assert!(with_handle.twitter_handle.is_some() && without_handle.twitter_handle.is_none());

    let fetch = async |creator: &SeededCreator, scopes: &[&str]| -> Value {
        let token = sim
            .handle
            .issue_token(&sim.app.client_id, &creator.id, scopes);
        let body: Value = sim.user(&token).await.json().await.expect("user JSON");
        body["user"].clone()
    };
    let keys = |user: &Value| -> Vec<String> {
        let mut keys: Vec<String> = user.as_object().expect("object").keys().cloned().collect();
        keys.sort_unstable();
        keys
    };

    let sales = fetch(&without_handle, &["view_sales"]).await;
    assert_eq!(
        keys(&sales),
        [
            "bio",
            "currency_type",
            "email",
            "id",
            "links",
            "name",
            "profile_url",
            "twitter_handle",
            "url",
            "user_id"
        ]
    );
    assert_eq!(
        sales["twitter_handle"],
        Value::Null,
        "kept as null in the full branch"
    );

    let public = fetch(&without_handle, &["edit_emails"]).await;
    assert_eq!(
        keys(&public),
        ["bio", "id", "links", "name", "url", "user_id"],
        "twitter_handle dropped when null"
    );
    let public_with_handle = fetch(&with_handle, &["account"]).await;
    assert_eq!(
        public_with_handle["twitter_handle"],
        with_handle.twitter_handle.as_deref().expect("handle")
    );
    assert!(public_with_handle.get("email").is_none());

    let profile = fetch(&with_handle, &["view_profile"]).await;
    assert_eq!(profile["display_name"], with_handle.name.as_str());
}

#[tokio::test]
async fn token_may_come_from_params_even_on_get() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let token = sim
        .handle
        .issue_token(&sim.app.client_id, &creator.id, &["view_profile"]);

    let in_body = sim
        .http
        .get(sim.url("/v2/user"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("access_token={token}"))
        .send()
        .await
        .expect("GET with body");
    assert_eq!(in_body.status(), StatusCode::OK);
    let in_query = sim.get(&format!("/v2/user?access_token={token}")).await;
    assert_eq!(in_query.status(), StatusCode::OK);
    let bearer_param = sim.get(&format!("/v2/user?bearer_token={token}")).await;
    assert_eq!(bearer_param.status(), StatusCode::OK);
    // The header wins over a parameter.
    let header_first = sim
        .http
        .get(sim.url(&format!("/v2/user?access_token={token}")))
        .bearer_auth("bad")
        .send()
        .await;
    assert_eq!(
        header_first.expect("request").status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn api_alias_json_suffix_and_rails_404s() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let token = sim
        .handle
        .issue_token(&sim.app.client_id, &creator.id, &["view_profile"]);
    for path in ["/api/v2/user.json", "/v2/user.json", "/api/v2/user"] {
        let response = sim.get_as(path, &token).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["user"]["id"], creator.id.as_str());
    }

    let json_404 = sim.get("/v2/nothing.json").await;
    assert_eq!(json_404.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_404.json::<Value>().await.expect("JSON"),
        json!({"status": 404, "error": "Not Found"})
    );
    let html_404 = sim.get("/v2/nothing").await;
    assert_eq!(html_404.status(), StatusCode::NOT_FOUND);
    assert!(
        html_404.headers()[CONTENT_TYPE]
            .to_str()
            .expect("ASCII")
            .starts_with("text/html")
    );
    let wrong_method = sim
        .http
        .post(sim.url("/v2/user"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("POST");
    assert_eq!(
        wrong_method.status(),
        StatusCode::NOT_FOUND,
        "Rails has no POST /v2/user route"
    );
}

#[tokio::test]
async fn faults_apply_to_the_next_matching_requests() {
    let sim = spawn().await;
    let token = sim
        .handle
        .issue_token(&sim.app.client_id, &sim.creator(0).id, &["view_profile"]);

    let added = sim.control("/_sim/faults", json!({"method": "GET", "path": "/v2/user", "kind": "status", "status": 500, "times": 2})).await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let other_method = sim
        .http
        .post(sim.url("/oauth/revoke"))
        .form(&[("token", "x"), ("client_id", &sim.app.client_id)])
        .send()
        .await
        .expect("POST");
    assert_eq!(
        other_method.status(),
        StatusCode::OK,
        "other routes are unaffected"
    );
    let failed = sim
        .http
        .get(sim.url("/api/v2/user.json"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(
        failed.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "normalised paths match"
    );
    assert_eq!(
        failed.json::<Value>().await.expect("JSON"),
        json!({"status": 500, "error": "Internal Server Error"})
    );
    assert_eq!(
        sim.user(&token).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        sim.user(&token).await.status(),
        StatusCode::OK,
        "used up after two"
    );

    sim.control(
        "/_sim/faults",
        json!({"path": "/v2/user", "kind": "status", "status": 429}),
    )
    .await;
    let limited = sim.user(&token).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().get("retry-after").is_none());
    assert_eq!(limited.text().await.expect("body"), "Retry later\n");

    sim.control(
        "/_sim/faults",
        json!({"path": "/v2/*", "kind": "malformed_json"}),
    )
    .await;
    let malformed = sim.user(&token).await;
    assert_eq!(malformed.status(), StatusCode::OK);
    let text = malformed.text().await.expect("body");
    assert!(text.starts_with("{\"success\":true"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());

    sim.control(
        "/_sim/faults",
        json!({"path": "/v2/user", "kind": "html_404"}),
    )
    .await;
    let not_found = sim.user(&token).await;
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    assert!(not_found.text().await.expect("body").contains("doesn"));

    sim.control(
        "/_sim/faults",
        json!({"path": "/v2/user", "kind": "latency", "latency_ms": 300}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(sim.user(&token).await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    sim.control("/_sim/faults", json!({"path": "/v2/user", "kind": "hang"}))
        .await;
    let impatient = sim
        .http
        .get(sim.url("/v2/user"))
        .bearer_auth(&token)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(impatient.is_err_and(|e| e.is_timeout()));

    sim.control(
        "/_sim/faults",
        json!({"path": "/v2/user", "kind": "status", "status": 503, "times": 5}),
    )
    .await;
    let cleared = sim
        .http
        .delete(sim.url("/_sim/faults"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(cleared.status(), StatusCode::OK);
    assert_eq!(sim.user(&token).await.status(), StatusCode::OK);

    let invalid = sim
        .control(
            "/_sim/faults",
            json!({"path": "/v2/user", "kind": "status"}),
        )
        .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn token_endpoint_is_rate_limited_per_ip() {
    let sim = spawn().await;
    // The windows are aligned to the epoch's minutes: start the burst at the start of one, so a burst
    // slowed by a busy machine does not straddle two windows and never reach the limit.
    let into_window = chrono::Utc::now().timestamp().rem_euclid(60);
    sim.control("/_sim/clock", json!({"seconds": 60 - into_window}))
        .await;
    // With no parameters at all, each request is a 400 invalid_request: counted all the same.
    for _ in 0..3000 {
        let response = sim
            .http
            .post(sim.url("/oauth/token"))
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    let limited = sim
        .http
        .post(sim.url("/oauth/token"))
        .send()
        .await
        .expect("token request");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()[CONTENT_TYPE], "text/plain");
    assert!(limited.headers().get("retry-after").is_none());
    assert_eq!(limited.text().await.expect("body"), "Retry later\n");

    let elsewhere = sim
        .http
        .post(sim.url("/oauth/token"))
        .header("CF-Connecting-IP", "203.0.113.9")
        .send()
        .await
        .expect("token");
    assert_eq!(
        elsewhere.status(),
        StatusCode::BAD_REQUEST,
        "counted per CF-Connecting-IP"
    );

    sim.control("/_sim/reset", json!({})).await;
    let after_reset = sim
        .http
        .post(sim.url("/oauth/token"))
        .send()
        .await
        .expect("token request");
    assert_eq!(
        after_reset.status(),
        StatusCode::BAD_REQUEST,
        "reset forgets the counters"
    );
}

#[tokio::test]
async fn seeding_is_deterministic() {
    let (config_a, app_a, _) = config(7);
    let (config_b, app_b, _) = config(7);
    let (config_c, app_c, _) = config(8);
    let a = spawn_with(config_a).await.creators();
    let b = spawn_with(config_b).await.creators();
    let c = spawn_with(config_c).await.creators();
    let summary = |creators: &[SeededCreator]| -> Vec<(String, String, String, String)> {
        creators
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.user_id.clone(),
                    c.name.clone(),
                    c.email.clone(),
                )
            })
            .collect()
    };
    assert_eq!(a.len(), 3);
    assert_eq!(summary(&a), summary(&b));
    assert_ne!(summary(&a), summary(&c));
    assert_eq!(
        (&app_a.client_id, &app_a.client_secret),
        (&app_b.client_id, &app_b.client_secret)
    );
    assert_ne!(app_a.client_id, app_c.client_id);
    for creator in &a {
        assert!(
            creator
                .id
                .parse::<u64>()
                .is_ok_and(|n| n < 10_000_000_000_000)
        );
        assert!(creator.user_id.len() == 24 && creator.user_id.ends_with("=="));
        assert!(creator.email.ends_with("@example.com"));
    }

    // Reset keeps the seeded data and forgets tokens.
    let sim = spawn().await;
    let before = summary(&sim.handle.creators());
    let token = sim
        .handle
        .issue_token(&sim.app.client_id, &sim.creator(0).id, &["view_profile"]);
    let listed: Value = sim.get("/_sim/creators").await.json().await.expect("JSON");
    assert_eq!(listed[0]["id"], before[0].0.as_str());
    sim.control("/_sim/reset", json!({})).await;
    assert_eq!(summary(&sim.handle.creators()), before);
    assert_eq!(sim.user(&token).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_refuses_unknown_creators_and_foreign_next() {
    let sim = spawn().await;
    let unknown = sim
        .http
        .post(sim.url("/oauth/login"))
        .form(&[("user_id", "1"), ("next", "/")])
        .send()
        .await;
    assert_eq!(
        unknown.expect("login").status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let creator = sim.creator(1);
    let foreign = sim
        .http
        .post(sim.url("/oauth/login"))
        .form(&[
            ("user_id", creator.id.as_str()),
            ("next", "https://evil.example/"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(location(&foreign), "/");
    let home = sim.get("/").await.text().await.expect("home");
    assert!(text_of(&home).contains(&creator.name));
}

#[tokio::test]
async fn controls_can_be_turned_off() {
    let (config, ..) = config(42);
    let handle = spawn_with(SimConfig {
        controls_enabled: false,
        ..config
    })
    .await;
    let response = client()
        .get(format!("{}/_sim/creators", handle.base_url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn client_credentials_token_has_no_owner() {
    let sim = spawn().await;
    let response = sim
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &sim.other_app.client_id),
            ("client_secret", &sim.other_app.client_secret),
            ("scope", "view_profile"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.expect("JSON");
    assert!(token.get("refresh_token").is_none());
    let user = sim
        .user(token["access_token"].as_str().expect("token"))
        .await;
    assert_eq!(
        user.status(),
        StatusCode::NOT_FOUND,
        "Gumroad's User.find(nil) raises RecordNotFound"
    );
    let no_scope = sim
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &sim.other_app.client_id),
        ])
        .await;
    assert_eq!(
        no_scope.status(),
        StatusCode::BAD_REQUEST,
        "default view_public is not the app's"
    );
}

#[tokio::test]
async fn profile_2025_04_has_the_2025_04_scopes() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let token_with = |scopes: &[&str]| {
        sim.handle
            .issue_token(&sim.app.client_id, &creator.id, scopes)
    };
    let refund_only = token_with(&["refund_sales"]);
    let edit_sales_only = token_with(&["edit_sales"]);
    assert_eq!(sim.user(&refund_only).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(sim.user(&edit_sales_only).await.status(), StatusCode::OK);
    let client_credentials = async |scope: &str| {
        sim.token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &sim.app.client_id),
            ("scope", scope),
        ])
        .await
        .status()
    };
    assert_eq!(client_credentials("view_payouts").await, StatusCode::OK);
    assert_eq!(
        client_credentials("refund_sales").await,
        StatusCode::BAD_REQUEST,
        "2026: not in a new app's scopes"
    );

    let switched = sim
        .control("/_sim/profile", json!({"profile": "2025-04"}))
        .await;
    assert_eq!(switched.status(), StatusCode::OK);
    assert_eq!(
        sim.user(&refund_only).await.status(),
        StatusCode::OK,
        "refund_sales is a read scope in 2025-04"
    );
    assert_eq!(
        sim.user(&edit_sales_only).await.status(),
        StatusCode::FORBIDDEN,
        "edit_sales is unknown in 2025-04"
    );
    assert_eq!(
        client_credentials("view_payouts").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(client_credentials("refund_sales").await, StatusCode::OK);

    sim.login(&creator).await;
    let path = sim.authorize_path(&sim.app.client_id, CALLBACK, "view_profile edit_sales", "");
    let refused = sim.get(&path).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        text_of(&refused.text().await.expect("body"))
            .contains("The requested scope is invalid, unknown, or malformed.")
    );
    let path = sim.authorize_path(
        &sim.app.client_id,
        CALLBACK,
        "view_profile edit_products view_sales refund_sales",
        "st",
    );
    let back = sim.decide(&path, "authorize").await;
    let code = query_value(&back, "code").expect("a code");
    let token = sim.exchange(&code).await;
    assert_eq!(
        token["scope"],
        "view_profile edit_products view_sales refund_sales"
    );
}

#[tokio::test]
async fn absurd_clock_and_fault_numbers_are_refused() {
    let sim = spawn().await;
    let token = sim
        .handle
        .issue_token(&sim.app.client_id, &sim.creator(0).id, &["view_profile"]);
    // 10¹⁵ s fits chrono's TimeDelta but not its DateTime.
    for seconds in [1_000_000_000_000_000_i64, i64::MAX] {
        let response = sim
            .control("/_sim/clock", json!({ "seconds": seconds }))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{seconds}");
    }
    let fifty_years = 50 * 366 * 86_400;
    let first = sim
        .control("/_sim/clock", json!({ "seconds": fifty_years }))
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let too_far = sim
        .control("/_sim/clock", json!({ "seconds": fifty_years }))
        .await;
    assert_eq!(
        too_far.status(),
        StatusCode::BAD_REQUEST,
        "the total is capped"
    );
    let negative = sim.control("/_sim/clock", json!({ "seconds": -1 })).await;
    assert_eq!(negative.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(sim.user(&token).await.status(), StatusCode::OK);

    for fault in [
        json!({"path": "/v2/user", "kind": "status", "status": 503, "duration_ms": 9_000_000_000_000_000_000_u64}),
        json!({"path": "/v2/user", "kind": "status", "status": 503, "duration_ms": u64::MAX}),
        json!({"path": "/v2/user", "kind": "latency", "latency_ms": 1_000_000_000_000_u64}),
    ] {
        let response = sim.control("/_sim/faults", fault.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{fault}");
    }
    let listed: Value = sim.get("/_sim/faults").await.json().await.expect("faults");
    assert_eq!(listed, json!([]), "nothing stored");
    assert_eq!(sim.user(&token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn used_and_expired_codes_are_dropped_when_new_ones_are_issued() {
    let sim = spawn().await;
    let first = sim.code_for("view_profile").await;
    sim.exchange(&first).await;
    let _unused = sim.code_for("view_profile").await;
    assert_eq!(
        sim.handle.shared.lock().grants.count(),
        1,
        "the used code is gone"
    );
    sim.control("/_sim/clock", json!({"seconds": 601})).await;
    let fresh = sim.code_for("view_profile").await;
    assert_eq!(
        sim.handle.shared.lock().grants.count(),
        1,
        "the expired code is gone"
    );
    let response = sim.redeem(&first).await;
    assert_oauth_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        INVALID_GRANT,
    )
    .await;
    sim.exchange(&fresh).await;
}

#[tokio::test]
async fn sessions_and_rate_limit_counters_are_capped() {
    use crate::sim::rate_limit::{MAX_ENTRIES_PER_RULE, OAUTH_TOKEN_TIERS};
    use crate::sim::store::MAX_SESSIONS;

    let sim = spawn().await;
    let creator = sim.creator(0);
    {
        let mut state = sim.handle.shared.lock();
        for i in 0..MAX_SESSIONS {
            state
                .sessions
                .insert(format!("old-{i}"), creator.id.clone());
        }
        let now = state.now().timestamp();
        for i in 0..MAX_ENTRIES_PER_RULE / OAUTH_TOKEN_TIERS.len() {
            state
                .rate_limiter
                .allow("oauth/token", OAUTH_TOKEN_TIERS, &format!("10.0.{i}"), now);
        }
        assert_eq!(
            state.rate_limiter.entries("oauth/token"),
            MAX_ENTRIES_PER_RULE
        );
    }
    sim.login(&creator).await;
    {
        let state = sim.handle.shared.lock();
        assert_eq!(state.sessions.count(), MAX_SESSIONS);
        assert!(
            state.session_creator("old-0").is_none(),
            "the oldest is forgotten"
        );
        assert!(state.session_creator("old-1").is_some());
    }
    let consent = sim
        .get(&sim.authorize_path(&sim.app.client_id, CALLBACK, "view_profile", ""))
        .await;
    assert_eq!(consent.status(), StatusCode::OK, "the newest session works");

    let response = sim.token(&[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "not throttled");
    assert!(sim.handle.shared.lock().rate_limiter.entries("oauth/token") <= MAX_ENTRIES_PER_RULE);
}
