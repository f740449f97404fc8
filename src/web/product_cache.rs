//! A short-lived cache of each creator's whole product list.
//!
//! Gumroad has no name search, so the list page needs every product, one sequential call per ten,
//! and Gumroad's rate limit is per IP, shared by every creator on this instance. The list is kept
//! for a minute, keyed by the creator's `catalog_version`, which every product change made through
//! gumdash bumps in the database: the next list after a creator's own change is always fresh, on
//! any instance. Changes made on gumroad.com show within a minute, or at once with "Refresh".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::TenantId;
use crate::gumroad::Product;

const FRESH_FOR: Duration = Duration::from_secs(60);
const MAX_CREATORS: usize = 10_000;

struct Entry {
    version: i64,
    fetched_at: Instant,
    products: Arc<Vec<Product>>,
}

#[derive(Default)]
pub struct ProductListCache {
    entries: Mutex<HashMap<TenantId, Entry>>,
}

/// A list and how old it is.
pub struct Listing {
    pub products: Arc<Vec<Product>>,
    pub age: Duration,
}

impl ProductListCache {
    pub fn get(&self, tenant: TenantId, version: i64) -> Option<Listing> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(&tenant)?;
        let age = entry.fetched_at.elapsed();
        (entry.version == version && age < FRESH_FOR).then(|| Listing {
            products: entry.products.clone(),
            age,
        })
    }

    pub fn put(&self, tenant: TenantId, version: i64, products: Arc<Vec<Product>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_CREATORS {
            entries.retain(|_, entry| entry.fetched_at.elapsed() < FRESH_FOR);
            if entries.len() >= MAX_CREATORS {
                entries.clear();
            }
        }
        entries.insert(
            tenant,
            Entry {
                version,
                fetched_at: Instant::now(),
                products,
            },
        );
    }

    pub fn forget(&self, tenant: TenantId) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&tenant);
    }
}
