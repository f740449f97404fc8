//! The Gumroad simulator: an in-memory stand-in for gumroad.com that demos and tests talk to over real HTTP.
//!
//! Behaviour, quirks and error texts follow `api-facts.md` (the 2026 surface). It shares no code with the
//! dashboard's Gumroad client on purpose: the two must be able to disagree, or tests against the simulator
//! would prove nothing.
//!
//! Served:
//! - `GET /oauth/login`, `POST /oauth/login`: pick a seeded creator (stand-in for Gumroad's sign-in).
//! - `GET`, `POST`, `DELETE /oauth/authorize`, `POST /oauth/token`, `POST /oauth/revoke` (Doorkeeper).
//! - `GET /v2/user` (also `/api/v2/...` and a `.json` suffix); `GET /avatars/<id>.svg` (its `profile_url`).
//! - The catalogue (api-facts §5, §6.1–6.5, §7), same aliases: `/v2/products` (GET index, paginated 10 per page
//!   with `page_key`; POST create), `/v2/products/:id` (GET, PUT/PATCH, DELETE), `…/enable`, `…/disable` (PUT),
//!   `…/custom_fields[/:name]`, `…/offer_codes[/:id]`, `…/variant_categories[/:id][/variants[/:id]]`,
//!   `…/skus`. `:id` is the external id or the unique permalink; everything is scoped to the token's owner.
//!   Product create and PUT/PATCH are rate-limited per IP (§8).
//! - Anything else: Rails' 404 (HTML, or JSON for `.json`).
//!
//! Request details and texts beyond api-facts:
//! - Routing as Rails' router: repeated and trailing slashes are dropped (`/v2/user/` is `/v2/user`), and
//!   `HEAD` answers like `GET` on every GET route (same status and headers, no body); elsewhere a 404.
//! - Parameters come from the query string and the body (form, `multipart/form-data` or JSON) on any method;
//!   a key in both takes the query's value (Rails' `request_parameters.merge(query_parameters)`). Multipart
//!   text parts are values; a file part only counts as sent (so `file` is refused), its content unread.
//! - A scope string holding a tab, newline or carriage return is `invalid_scope` (authorize,
//!   `client_credentials`, refresh; Doorkeeper's `ScopeChecker`); repeated spaces are fine.
//! - `POST /oauth/revoke` needs client authentication (Basic or `client_id`, a blank secret passes): without
//!   it 403 `{"error":"invalid_client","error_description":…}` with the token endpoint's text. This follows
//!   recent Doorkeeper; unconfirmed for Gumroad's 5.7.1 (older releases said `unauthorized_client`).
//! - `next_page_url` percent-encodes everything but letters, digits and `-._~` (Addressable): a space is `%20`.
//! - Product create and update refuse `file`, `preview` and `thumbnail` (checked in that order, before
//!   anything else) with `'<name>' is not an accepted parameter on POST /v2/products.`, or `… on PUT
//!   /v2/products/:id.` for update (PUT and PATCH alike).
//! - Update sending `price` for a tiered membership: "Price cannot be updated for tiered membership products.
//!   Use the variant endpoints to manage tier pricing."
//! - Enable checks the product's live offer codes ("The price after discount for all of your products must
//!   be either $0 or at least $0.99.", in the product's currency) before the payment method.
//! - Offer-code create checks for an amount before looking up the product.
//! - A number that does not fit a 64-bit column (price, counts, amounts, differences): "One or more numeric
//!   values are out of range." (HTTP 200, `success: false`); a variant whose price plus difference overflows
//!   gets the $5,000 maximum message.
//! - `/v2/user` `links`: the short URLs of the creator's products that are not deleted (drafts too), oldest
//!   first, or `null` without any.
//! - Scopes follow the profile's era (api-facts §3.6): what authorize and `client_credentials` accept and
//!   what counts as a read scope (2025-04: `refund_sales` reads, `edit_sales`, `view_payouts`, … are
//!   unknown). Under 2025-04 an app storing exactly the 2026 public list (`SimApp::with_redirect_uris`) is
//!   treated as storing the 2025-04 public list.
//! - Memory stays bounded: issuing a code drops used and expired ones, the newest 10,000 login sessions are
//!   kept, and each rate-limit rule holds at most 10,000 counters.
//!
//! Controls, only with `SimConfig::controls_enabled` (JSON in and out):
//! - `GET /_sim/creators`: array of `SeededCreator`. `GET /_sim/apps`: the registered apps, secrets included.
//! - `POST /_sim/tokens {client_id, user_id, scopes?: "a b" | ["a", "b"]}` → `{access_token, refresh_token,
//!   scope}`; `user_id` may be either id; scopes default to the app's.
//! - `POST /_sim/tokens/revoke {user_id} | {token}` → `{revoked: n}`.
//! - `POST /_sim/faults {method?, path, kind, status?, latency_ms?, times?, duration_ms?}` → 201 with the
//!   fault; `kind` is `status`, `hang`, `malformed_json`, `html_404` or `latency`; `path` is matched after
//!   normalisation (`/v2/user` also catches `/api/v2/user.json`), a trailing `*` matches a prefix.
//!   `GET /_sim/faults` lists them, `DELETE /_sim/faults` clears them. `latency_ms` above 600000 or
//!   `duration_ms` above 604800000 (a week) is a 400; other invalid faults are 422.
//! - `POST /_sim/reset`: back to the seeded state (and the 2026 profile). `POST /_sim/clock {seconds}`: move the
//!   clock forward (negative: 422; past a total of 36525 days: 400, nothing moves).
//! - `GET /_sim/profile`, `POST /_sim/profile {profile?: "2025-04" | "2026", string_values?: bool}` → `{profile,
//!   string_values}`. 2025-04: unpaginated product index, product create/update are Rails 404s, offer-code
//!   update ignores `minimum_amount_cents`. `string_values`: numbers and booleans in catalogue objects as
//!   strings, like Gumroad's docs.
//! - `GET /_sim/catalog/<creator id>`: that creator's products (deleted too), codes and fields with their ids;
//!   `POST /_sim/catalog/<creator id> {has_payment_method}` changes the flag and returns the same.
//!
//! Seeded catalogue (see `catalog::seed`): creator 0 has 23 live products (and one deleted), creator 1 has 4
//! drafts and no payment method, creator 2 has none.
mod api;
mod avatar;
mod catalog;
mod controls;
mod doorkeeper;
mod faults;
mod ids;
mod oauth;
mod params;
mod profile;
mod rails;
mod rate_limit;
mod redirect_uri;
mod scopes;
mod seed;
mod store;
mod tokens;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

pub use seed::SeededCreator;
use store::Shared;

/// How to build the simulator. Everything seeded derives from `seed`.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    /// Seeded creators.
    pub creator_count: usize,
    /// Registered OAuth apps.
    pub apps: Vec<SimApp>,
    /// Serve the `/_sim/...` controls.
    pub controls_enabled: bool,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            seed: 42,
            creator_count: 3,
            apps: Vec::new(),
            controls_enabled: true,
        }
    }
}

/// A registered OAuth application (Doorkeeper's `oauth_applications` row).
#[derive(Clone, Debug)]
pub struct SimApp {
    pub name: String,
    /// Doorkeeper's `uid`.
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    /// The scopes the app stores; requested scopes must be a subset.
    pub scopes: Vec<String>,
}

impl SimApp {
    /// An app with the 2026 public scope list (api-facts §3.6) and the given redirect URIs; client id and
    /// secret are 43 URL-safe characters derived deterministically from `seed` so the demo prints stable
    /// credentials.
    pub fn with_redirect_uris(seed: u64, redirect_uris: Vec<String>) -> SimApp {
        let mut rng = seed::rng_for(seed, seed::APPS_STREAM);
        SimApp {
            name: "gumdash".to_owned(),
            client_id: ids::token_from(&mut rng),
            client_secret: ids::token_from(&mut rng),
            redirect_uris,
            scopes: scopes::PUBLIC_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

/// A handle on a running simulator, for tests and the demo.
#[derive(Clone)]
pub struct SimHandle {
    shared: Arc<Shared>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    pub fn creators(&self) -> Vec<SeededCreator> {
        self.shared.lock().creators.clone()
    }

    /// Like `POST /_sim/tokens`: an access token as if the creator (numeric or Base64 id) had approved the
    /// app for `scopes`. Nothing is checked, so a test can hold a token for an unknown creator or client.
    pub fn issue_token(&self, client_id: &str, creator_id: &str, scopes: &[&str]) -> String {
        let mut state = self.shared.lock();
        let creator_id = state
            .creator_by_either_id(creator_id)
            .map_or_else(|| creator_id.to_owned(), |c| c.id.clone());
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        state
            .issue_direct_token(client_id, &creator_id, scopes)
            .token
    }

    /// The creator's catalogue (either id) as `GET /_sim/catalog/<id>` shows it: products with their external
    /// ids, permalinks and numeric ids, offer codes and custom fields, deleted ones included.
    pub fn catalog(&self, creator_id: &str) -> Option<serde_json::Value> {
        controls::catalog_json(&self.shared.lock(), creator_id)
    }

    /// As if the creator removed every app in their Gumroad settings: all their tokens answer 401 "revoked".
    pub fn revoke_tokens_of(&self, creator_id: &str) {
        let mut state = self.shared.lock();
        let creator_id = state
            .creator_by_either_id(creator_id)
            .map_or_else(|| creator_id.to_owned(), |c| c.id.clone());
        let now = state.now();
        state.tokens.revoke_creator(&creator_id, now);
    }
}

/// Serves the simulator on `listener` (it binds nothing itself). Returns the server, which must be spawned
/// or awaited, and a handle.
pub fn start(
    config: SimConfig,
    listener: TcpListener,
) -> anyhow::Result<(actix_web::dev::Server, SimHandle)> {
    let base_url = base_url_for(listener.local_addr()?);
    let controls_enabled = config.controls_enabled;
    let shared = Arc::new(Shared::new(config, base_url));
    let data = web::Data::from(Arc::clone(&shared));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .configure(|cfg| routes(cfg, controls_enabled))
            .default_service(web::to(rails::not_found))
            .wrap(from_fn(faults::inject))
            .wrap(from_fn(rails::normalize_path))
    })
    .workers(1)
    // A `hang` fault holds requests for a minute; shutting down should not wait for them.
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    Ok((server, SimHandle { shared }))
}

fn routes(cfg: &mut web::ServiceConfig, controls_enabled: bool) {
    cfg.route("/", web::get().to(oauth::home))
        .route("/avatars/{file}", web::get().to(avatar::show))
        .configure(oauth::routes)
        .configure(api::routes);
    if controls_enabled {
        cfg.configure(controls::routes);
    }
}

/// A URL a client on this machine can use: a wildcard bind address becomes loopback.
fn base_url_for(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    // `SocketAddr`'s Display brackets IPv6 addresses, as URLs need.
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}
