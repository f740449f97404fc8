//! End-to-end tests: each starts a simulator on 127.0.0.1:0 and talks to it over real HTTP, the way the
//! dashboard and browsers do. Shared helpers live here; `oauth` covers the provider, `/v2/user` and the
//! controls, `catalog` the products API, `leniency` Rails' and Doorkeeper's routing and parsing details.

mod catalog;
mod leniency;
mod oauth;
mod pings;
mod sales;
mod subscribers;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use scraper::{Html, Selector};
use serde_json::{Value, json};
use url::Url;

use super::{SeededCreator, SimApp, SimConfig, SimHandle, start};

const CALLBACK: &str = "http://127.0.0.1:8080/callback";
const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the \
                             redirection URI used in the authorization request, or was issued to another client.";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication \
                              included, or unsupported authentication method.";

struct TestSim {
    handle: SimHandle,
    app: SimApp,
    other_app: SimApp,
    http: reqwest::Client,
}

fn config(seed: u64) -> (SimConfig, SimApp, SimApp) {
    let app = SimApp::with_redirect_uris(
        seed,
        vec![
            CALLBACK.to_owned(),
            "https://app.example/cb?a=1&b=2".to_owned(),
            "https://plain.example/cb".to_owned(),
        ],
    );
    let other_app = SimApp {
        name: "Other app".to_owned(),
        client_id: "other-client".to_owned(),
        client_secret: "other-secret".to_owned(),
        redirect_uris: vec![CALLBACK.to_owned()],
        scopes: vec!["view_profile".to_owned(), "view_sales".to_owned()],
    };
    let config = SimConfig {
        seed,
        apps: vec![app.clone(), other_app.clone()],
        ..SimConfig::default()
    };
    (config, app, other_app)
}

async fn spawn_with(config: SimConfig) -> SimHandle {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let (server, handle) = start(config, listener).expect("start the simulator");
    tokio::spawn(server);
    handle
}

async fn spawn() -> TestSim {
    let (config, app, other_app) = config(42);
    let handle = spawn_with(config).await;
    TestSim {
        handle,
        app,
        other_app,
        http: client(),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("build reqwest client")
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .expect("ASCII Location")
        .to_owned()
}

fn query_value(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The hidden inputs of the form matching `selector`, in document order.
fn hidden_fields(html: &str, selector: &str) -> Vec<(String, String)> {
    let document = Html::parse_document(html);
    let inputs =
        Selector::parse(&format!("{selector} input[type=hidden]")).expect("valid selector");
    document
        .select(&inputs)
        .map(|input| {
            let attr = |name| input.value().attr(name).unwrap_or_default().to_owned();
            (attr("name"), attr("value"))
        })
        .collect()
}

fn text_of(html: &str) -> String {
    Html::parse_document(html)
        .root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
}

impl TestSim {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url(), path)
    }

    fn creator(&self, index: usize) -> SeededCreator {
        self.handle.creators()[index].clone()
    }

    async fn login(&self, creator: &SeededCreator) {
        let response = self
            .http
            .post(self.url("/oauth/login"))
            .form(&[("user_id", creator.id.as_str()), ("next", "/")])
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), StatusCode::FOUND);
    }

    fn authorize_path(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        state: &str,
    ) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", scope)
            .append_pair("state", state)
            .finish();
        format!("/oauth/authorize?{query}")
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("GET request")
    }

    /// Shows the consent page for `path` and clicks the button of `form` ("authorize" or "deny").
    async fn decide(&self, path: &str, form: &str) -> Url {
        let consent = self.get(path).await;
        assert_eq!(consent.status(), StatusCode::OK, "consent page for {path}");
        let html = consent.text().await.expect("consent body");
        let fields = hidden_fields(&html, &format!("form#{form}"));
        let response = self
            .http
            .post(self.url("/oauth/authorize"))
            .form(&fields)
            .send()
            .await
            .expect("decision request");
        assert_eq!(response.status(), StatusCode::FOUND);
        Url::parse(&location(&response)).expect("redirect back is a URL")
    }

    /// Logs in creator 0 and approves `scope` for the main app; returns the code.
    async fn code_for(&self, scope: &str) -> String {
        self.login(&self.creator(0)).await;
        let back = self
            .decide(
                &self.authorize_path(&self.app.client_id, CALLBACK, scope, "st"),
                "authorize",
            )
            .await;
        query_value(&back, "code").expect("a code")
    }

    /// Redeems `code` as the main app would, with a blank secret (Gumroad accepts one), and
    /// returns the raw answer (see `exchange` for the happy path).
    async fn redeem(&self, code: &str) -> reqwest::Response {
        self.token(&[
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("client_id", &self.app.client_id),
        ])
        .await
    }

    /// `GET path` with `token` as the bearer.
    async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    async fn token(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url("/oauth/token"))
            .form(form)
            .send()
            .await
            .expect("token request")
    }

    async fn exchange(&self, code: &str) -> Value {
        let response = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("client_id", &self.app.client_id),
                ("client_secret", &self.app.client_secret),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("token JSON")
    }

    async fn user(&self, token: &str) -> reqwest::Response {
        self.http
            .get(self.url("/v2/user"))
            .bearer_auth(token)
            .send()
            .await
            .expect("user request")
    }

    async fn control(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("control request")
    }
}

async fn assert_oauth_error(
    response: reqwest::Response,
    status: StatusCode,
    error: &str,
    description: &str,
) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store, no-cache");
    let challenge = response.headers()[WWW_AUTHENTICATE]
        .to_str()
        .expect("ASCII header")
        .to_owned();
    assert_eq!(
        challenge,
        format!(r#"Bearer realm="Doorkeeper", error="{error}", error_description="{description}""#)
    );
    let body: Value = response.json().await.expect("error JSON");
    assert_eq!(body["error"], error);
    assert_eq!(body["error_description"], description);
    body
}
