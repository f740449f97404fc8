//! gumdash: a self-hosted, multi-tenant dashboard for Gumroad creators.
//!
//! The folders follow the data flow: `web` (HTTP handlers, extractors, view models) calls `store` (SQL),
//! `vault` (token encryption) and `gumroad` (the API client); `sim` is the Gumroad simulator that demos and
//! tests talk to over real HTTP; `devdb` finds or starts a PostgreSQL server for the demo and the tests.

pub mod cli;
pub mod config;
pub mod context;
pub mod demo;
pub mod devdb;
pub mod domain;
pub mod gumroad;
pub mod jobs;
pub mod lifecycle;
pub mod metrics;
pub mod operators;
pub mod rotation;
pub mod seed_mirror;
pub mod sim;
pub mod startup;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod vault;
pub mod web;
