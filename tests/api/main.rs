//! One integration-test binary (one link step) for the whole dashboard: real PostgreSQL (a fresh
//! database per test), the real simulator over real HTTP, and a headless Chromium for the browser test.

mod admin;
mod browser;
mod catalog;
mod catalog_failures;
mod client_edges;
mod config;
mod export;
mod gumroad_failures;
mod health;
mod helpers;
mod isolation;
mod jobs;
mod lifecycle;
mod memberships;
mod metrics;
mod operator;
mod outage;
mod overview;
mod pings;
mod products;
mod rotation;
mod routes;
mod sale_actions;
mod sales;
mod schema;
mod seed_mirror;
mod session_lifetimes;
mod sign_in;
mod sign_out;
mod tenants;
mod vault;
mod view_as;
