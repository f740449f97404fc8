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
//! - Sales (api-facts §6.7, §7, §8), same aliases and `view_sales` (else an empty 403): `GET /v2/sales`
//!   (10 per page, newest first, `page_key` / `next_page_key` / `next_page_url` as for products, both keys
//!   absent on the last page; filters `after`, `before`, `email`, `product_id`, `order_id`; deprecated
//!   `page=N`) and `GET /v2/sales/:id`. Refund, `mark_as_shipped` and `resend_receipt` are not served yet.
//! - Resource subscriptions and pings (api-facts §9, module `pings`): `PUT`, `GET
//!   /v2/resource_subscriptions`, `DELETE /v2/resource_subscriptions/:id` (`view_sales`); pings are
//!   posted by a background task 10 s after a sale and 5 s after other events (`SimConfig::pings`
//!   scales the delays and can allow loopback post URLs), retried on 499/500/502/503/504.
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
//! - Sales index details (Gumroad's `sales_controller`): parameters are checked in the order `page`,
//!   `before`, `after`, `product_id`, `order_id`, `page_key`, the first bad one answering 400
//!   `{"status":400,"error":…}`. `page` is checked whenever sent (`(params[:page] || 1).to_i` must be
//!   positive: blank, `0`, `abc` are 400s, even beside a `page_key`); when sent it wins and `page_key` is
//!   ignored; it is an offset of 10 per page over the filtered list and still returns the next keys. A
//!   request whose `page` (query or body) is above 10 is throttled at 10 per second per IP before the
//!   token is checked. `before` / `after` are checked whenever sent (blank is a bad date) and must parse as
//!   `%Y-%m-%d` (a one-digit month or day passes, as Ruby's `strptime`); `after` is inclusive from 00:00
//!   UTC, `before` exclusive. `email` (ignored when blank) is trimmed, then matched exactly, case too.
//!   `product_id` filters by the external id of one of the owner's products (deleted ones too); another
//!   id this simulator issued (another creator's product, any catalogue object, a sale) decrypts in
//!   Gumroad, so it filters to nothing; anything else, the unique permalink included, is "Invalid product
//!   ID.". `order_id` must be what Ruby's `to_i.to_s` gives back (digits, maybe a minus; no padding or
//!   spaces), else "Invalid order ID."; a number no sale has lists nothing. The 2026 `query` parameter is
//!   ignored (Gumroad then searches with other exclusions: not simulated). The index never lists the
//!   seller's own test purchases, but show finds them (Gumroad's show skips the index's `for_sales_api`
//!   scope; the sale JSON says nothing about being a test); another creator's sale, an unknown or
//!   undecodable id is HTTP 200 "The sale was not found.".
//! - Sale JSON (`sales::json`): keys in `Purchase#as_json` order, every null dropped from the main block;
//!   `card` (`bin`, `expiry_*` always null; free sales have a null `visual` and `type`) and
//!   `product_rating` (null when unrated) are always there. `price` and `gumroad_fee` are USD cents,
//!   converted at fixed rates per major unit of USD (`catalog::money`: 0.92 EUR, 0.79 GBP, 150 JPY, …); the
//!   fee is 10% + 50¢, 30% for Discover sales. `formatted_display_price` is what was paid in the product's
//!   currency, whole amounts without cents, thousands separated (`"€12"`, `"$9.99"`, `"¥1,500"`), with the
//!   period for subscriptions (`"$10 a month"`, `"$50 a year"`); `formatted_total_price` the same without
//!   the period. `amount_refundable_in_currency` is Money's `format(no_cents_if_whole: true, symbol:
//!   false)` of the price minus refunds: `"9.99"`, `"12"`, `"7.50"`, `"1,500"`, `"0"` once fully refunded.
//!   `daystamp` is `created_at` in the seller's IANA zone (`SeededCreator::time_zone`) as strftime `%e %b %Y
//!   %l:%M %p`: day and hour padded with a space (`" 5 Jan 2021 11:38 AM"`, `"15 Jul 2021  9:05 AM"`).
//!   `timestamp` is Rails' `time_ago_in_words` + " ago" ("about 2 months ago"). `variants_and_quantity` is
//!   `"(Patron, Qty: 2)"` or `""`. `chargedback` is disputed and not won. `transaction_url_for_seller`,
//!   `ppp`, `upsell`, affiliates, preorders, bundles and shipping costs are never present.
//! - Products' `sales_count` and `sales_usd_cents` are derived from the sales: listed sales (refunded
//!   ones too) and their USD gross minus refunds.
//! - Memory stays bounded: issuing a code drops used and expired ones, the newest 10,000 login sessions are
//!   kept, and each rate-limit rule holds at most 10,000 counters.
//!
//! Controls, only with `SimConfig::controls_enabled` (JSON in and out):
//! - `GET /_sim/creators`: array of `SeededCreator`. `GET /_sim/apps`: the registered apps, secrets included.
//! - `POST /_sim/tokens {client_id, user_id, scopes?: "a b" | ["a", "b"]}` → `{access_token, refresh_token,
//!   scope}`; `user_id` may be either id; scopes default to the app's.
//! - `POST /_sim/tokens/revoke {user_id} | {token}` → `{revoked: n}`.
//! - `GET /_sim/tokens?user_id=…` → the creator's tokens without their secrets: `[{client_id, scope,
//!   created_at, revoked_at}]`, so a test can see that the dashboard revoked its token.
//! - `POST /_sim/faults {method?, path, kind, status?, latency_ms?, times?, duration_ms?}` → 201 with the
//!   fault; `kind` is `status`, `hang`, `malformed_json`, `html_404` or `latency`; `path` is matched after
//!   normalisation (`/v2/user` also catches `/api/v2/user.json`), a trailing `*` matches a prefix.
//!   `GET /_sim/faults` lists them, `DELETE /_sim/faults` clears them. `latency_ms` above 600000 or
//!   `duration_ms` above 604800000 (a week) is a 400; other invalid faults are 422.
//! - `POST /_sim/reset`: back to the seeded state, sales included (their history ending at the reset), and
//!   the 2026 profile. `POST /_sim/clock {seconds}`: move the clock forward (negative: 422; past a total
//!   of 36525 days: 400, nothing moves).
//! - `GET /_sim/profile`, `POST /_sim/profile {profile?: "2025-04" | "2026", string_values?: bool}` → `{profile,
//!   string_values}`. 2025-04: unpaginated product index, product create/update are Rails 404s, offer-code
//!   update ignores `minimum_amount_cents`. `string_values`: numbers and booleans in catalogue objects as
//!   strings, like Gumroad's docs.
//! - `GET /_sim/catalog/<creator id>`: that creator's products (deleted too), codes and fields with their ids;
//!   `POST /_sim/catalog/<creator id> {has_payment_method}` changes the flag and returns the same.
//! - `POST /_sim/sales {creator_id, product_id?, email?, full_name?, price_cents?, quantity?, offer_code?,
//!   variants?: {title: option}, custom_fields?: {name: answer}, recurrence?, referrer?, test?}` → 201 with
//!   the sale as the API renders it: a sale made now (the next id). `creator_id` is either id; `product_id`
//!   the external id or unique permalink (default: the newest published product); `price_cents` the total
//!   paid in the product currency's smallest unit (default: price and variants, or the tier's price for
//!   `recurrence`, less the offer code, times `quantity`); unnamed variant categories get their first
//!   option; an offer code (a live one of the product) adds to its `times_used`; `test: true` makes a test
//!   purchase (never listed, found by show). Anything unknown: 422 `{error}`. Gifts and shipments
//!   are not made here yet; the sale is pinged (see below).
//! - `POST /_sim/sales/<sale id>/refund {amount_cents?}` (product currency; all that is left when absent)
//!   → 200 with the sale; 422 `{error}` with Gumroad's text ("Purchase is already refunded.", "Refund
//!   amount cannot be greater than the purchase price.", "The sale was unable to be modified." for free
//!   sales). `POST /_sim/sales/<sale id>/dispute {won?}` and `…/chargeback` (a dispute not won) → the sale.
//!   Sale ids here find any creator's sales, test purchases too.
//! - Every sale control pings its event: `POST /_sim/sales` a `sale`, `…/refund` a `refund`,
//!   `…/dispute` a `dispute` (and `dispute_won` with `won`), `…/chargeback` a `dispute`, and
//!   `POST /_sim/sales/<sale id>/dispute_won` (a disputed sale's dispute won, else 422) a `dispute_won`.
//! - `GET /_sim/pings`: every ping attempt `{at, url, resource_name, content_type, body, status, error,
//!   retry_count}`, oldest first (the newest 1,000); `DELETE /_sim/pings` clears it.
//!   `GET`/`POST /_sim/pings/settings {allow_loopback?, block_private?, time_scale?}` (time scale 0–1000).
//!   `GET /_sim/resource_subscriptions/<creator id>`: the creator's live subscriptions, every app's.
//! - Membership events, each pinging its §9.4 payload (`<id>` a sale's `subscription_id`; 422 when
//!   the state does not allow it): `POST /_sim/subscriptions/<id>/cancel {by?: buyer|seller|admin,
//!   payment_failed?}` (a live one), `…/end {reason?}` (not ended yet), `…/restart` (a cancelled or
//!   ended one), `…/update {type?: upgrade|downgrade, new_tier?, new_recurrence?, new_price_cents?}`
//!   (a live one; old and new plans) → `{subscription_id, state}`. Cancelling keeps the subscriber
//!   active (`pending_cancellation`) until the paid period runs out; after failed charges, at once.
//! - Subscribers (api-facts §6.8, `api::subscribers`): `GET /v2/products/:id/subscribers` lists the
//!   product's active subscribers, newest first, all at once unless `paginated` or `page_key` asks for
//!   pages of 100; `GET /v2/subscribers/:id` shows one (any status) under `subscriber`.
//! - `GET /_sim/sales/<creator id>` → `{count, usd_cents_total, ids}`: the listed sales, ids newest first,
//!   and their USD gross minus refunds (what the products' `sales_usd_cents` add up to).
//!
//! Seeded catalogue (see `catalog::seed`): creator 0 has 23 live products (and one deleted), creator 1 has 4
//! drafts and no payment method, creator 2 has none.
//!
//! Seeded sales (see `sales::seed`): 400 days ending when the simulator starts (or is reset). Creator 0 has
//! about 650 in usd, eur, gbp and jpy, with every kind of sale and a launch day of 60–100 sales; creators 1
//! and 2 have none; later creators with products 20–60. `SimConfig::extra_sales` adds more, Zipf-like by
//! creator order, so creator 0 holds the largest share. Sales live in a compact store (`sales`): 56 bytes a
//! sale, buyers and ids derived from numbers, JSON rendered per request; a million seed in about half a
//! second (release build; about 80 MB resident, 100 MB at the peak).
mod api;
mod avatar;
mod catalog;
mod controls;
mod doorkeeper;
mod faults;
mod ids;
mod oauth;
mod params;
mod pings;
mod profile;
mod rails;
mod rate_limit;
mod redirect_uri;
mod sales;
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

pub use pings::PingSettings;
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
    /// Sales seeded on top of the default ones, spread Zipf-like over the creators with products,
    /// creator 0 getting the largest share (`gumdash sim --sales N`).
    pub extra_sales: usize,
    /// Webhook pings: loopback post URLs, the 2026 private-address block, the time scale.
    pub pings: PingSettings,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            seed: 42,
            creator_count: 3,
            apps: Vec::new(),
            controls_enabled: true,
            extra_sales: 0,
            pings: PingSettings::default(),
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

    /// How many sales the simulator holds, test purchases included.
    pub fn sale_count(&self) -> usize {
        self.shared.lock().sales.len()
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

    /// Every sale the API lists for the creator (either id), newest first, rendered as `/v2/sales` does.
    pub fn sales_of(&self, creator_id: &str) -> Vec<serde_json::Value> {
        controls::sales::sales_of(&self.shared.lock(), creator_id)
    }

    /// Like [`SimHandle::sales_of`], a slice at a time (newest first, `skip` then `take`), so a creator
    /// with hundreds of thousands of sales is never rendered at once nor holds the simulator's lock long.
    pub fn sales_slice_of(
        &self,
        creator_id: &str,
        skip: usize,
        take: usize,
    ) -> Vec<serde_json::Value> {
        let state = self.shared.lock();
        state
            .creator_by_either_id(creator_id)
            .and_then(|c| state.creator_index(&c.id))
            .map_or_else(Vec::new, |creator| {
                api::sales::rendered(&state, creator, skip, take)
            })
    }

    /// The creator's (either id) subscriptions as the simulator holds them, newest first, for tests to
    /// compute what a memberships page must show: `{id, product_id, status, active, recurrence, tier,
    /// price_cents, currency, email, created_at, cancelled_at, ended_at, failed_at}`, where `tier` is the first variant category's option of the
    /// last charge and `price_cents` that charge in the product's currency. Test purchases left out.
    pub fn subscriptions_of(&self, creator_id: &str) -> Vec<serde_json::Value> {
        let state = self.shared.lock();
        let Some(creator) = state.creator_by_either_id(creator_id).map(|c| c.id.clone()) else {
            return Vec::new();
        };
        let Some(index) = state.creator_index(&creator) else {
            return Vec::new();
        };
        let now = state.now().timestamp_micros();
        sales::subscriptions::of_creator(&state, index)
            .into_iter()
            .filter(sales::subscriptions::Subscription::listed)
            .map(|subscription| {
                let rendered =
                    serde_json::to_value(sales::subscriptions::subscriber(&state, &subscription))
                        .unwrap_or_default();
                let last = subscription
                    .charges
                    .last()
                    .copied()
                    .unwrap_or(*subscription.first());
                let product = state.catalog.products.get(last.product as usize);
                let tier = product
                    .and_then(|p| p.variant_categories.first())
                    .and_then(|c| c.variants.get(last.variant_option(0)?))
                    .map(|v| v.name.clone());
                let times = subscription.times(&state);
                serde_json::json!({
                    "id": rendered["id"],
                    "product_id": rendered["product_id"],
                    "email": rendered["email"],
                    "status": rendered["status"],
                    "active": times.active(now),
                    "recurrence": rendered["recurrence"],
                    "tier": tier,
                    "price_cents": last.price,
                    "currency": product.map(|p| p.currency.clone()),
                    "created_at": rendered["created_at"],
                    "cancelled_at": rendered["cancelled_at"],
                    "ended_at": rendered["ended_at"],
                    "failed_at": rendered["failed_at"],
                })
            })
            .collect()
    }

    /// Like `POST /_sim/sales` with `sale` as the body minus `creator_id`: a sale made now, as the API
    /// renders it, or `{"error": "…"}` when the body does not describe one.
    pub fn create_sale(&self, creator_id: &str, sale: serde_json::Value) -> serde_json::Value {
        let mut body = sale;
        if let Some(object) = body.as_object_mut() {
            object.insert("creator_id".to_owned(), creator_id.into());
        }
        let result = serde_json::from_value::<controls::sales::NewSale>(body)
            .map_err(|e| e.to_string())
            .and_then(|request| controls::sales::create_sale(&mut self.shared.lock(), request));
        result.unwrap_or_else(|error| serde_json::json!({ "error": error }))
    }

    /// Like `POST /_sim/sales/<id>/refund`: refunds `amount_cents` (product currency; all that is left
    /// when `None`) and returns the sale, or `{"error": "…"}` (e.g. "Purchase is already refunded.").
    pub fn refund_sale(&self, sale_id: &str, amount_cents: Option<i64>) -> serde_json::Value {
        controls::sales::refund_sale(&mut self.shared.lock(), sale_id, amount_cents)
            .unwrap_or_else(|error| serde_json::json!({ "error": error }))
    }

    /// Every ping attempt so far, oldest first, as `GET /_sim/pings` lists them.
    pub fn ping_log(&self) -> serde_json::Value {
        controls::pings::log_json(&self.shared.lock())
    }

    /// The creator's (either id) live resource subscriptions, every app's, as
    /// `GET /_sim/resource_subscriptions/<id>` lists them (an empty list for an unknown creator).
    pub fn resource_subscriptions(&self, creator_id: &str) -> serde_json::Value {
        controls::pings::subscriptions_json(&self.shared.lock(), creator_id)
            .unwrap_or_else(|| serde_json::json!([]))
    }

    /// Like `GET /_sim/sales/<id>/actions`: `{license_key, uses, disabled, receipts_sent}` of any sale.
    pub fn sale_actions(&self, sale_id: &str) -> Option<serde_json::Value> {
        controls::sale_actions::actions_of(&self.shared.lock(), sale_id)
    }

    /// Like `POST /_sim/refund_refusal`: every refund of the creator fails with `refusal`
    /// (`"disconnected"`, `"disabled"`, `"paypal_funds"`, `"temporary"`; `None` lifts it).
    pub fn refuse_refunds(&self, creator_id: &str, refusal: Option<&str>) {
        let request = serde_json::from_value(
            serde_json::json!({"creator_id": creator_id, "refusal": refusal}),
        );
        if let Ok(request) = request {
            let _ = controls::sale_actions::set_refusal(&mut self.shared.lock(), &request);
        }
    }

    /// Like `POST /_sim/sales/<id>/revoke_access`: the buyer's license then "has expired".
    pub fn revoke_access(&self, sale_id: &str) {
        controls::sale_actions::revoke_access(&mut self.shared.lock(), sale_id);
    }

    /// As if the creator removed every app in their Gumroad settings: all their tokens answer 401 "revoked".
    pub fn revoke_tokens_of(&self, creator_id: &str) {
        let mut state = self.shared.lock();
        let creator_id = state
            .creator_by_either_id(creator_id)
            .map_or_else(|| creator_id.to_owned(), |c| c.id.clone());
        let now = state.now();
        state.tokens.revoke_creator(&creator_id, now);
        state.pings.creator_revoked(&creator_id);
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
    pings::delivery::start(&shared);
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
