//! The simulator's whole state, in memory behind one mutex. Handlers lock it briefly and never across an
//! `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};

use super::catalog::{self, Catalog};
use super::faults::FaultList;
use super::pings::{PingSettings, Pings};
use super::profile::Profile;
use super::rate_limit::RateLimiter;
use super::sales::{self, Sales};
use super::seed::{self, SeededCreator};
use super::tokens::{AccessToken, GrantStore, NewToken, TokenStore};
use super::{SimApp, SimConfig};

/// How far `/_sim/clock` may move the clock in total: about a hundred years, far from chrono's limits.
pub(crate) const MAX_CLOCK_OFFSET: Duration = Duration::days(36_525);

/// Immutable settings plus the locked state; shared by every worker and by `SimHandle`.
pub(crate) struct Shared {
    pub base_url: String,
    state: Mutex<SimState>,
}

impl Shared {
    pub fn new(config: SimConfig, base_url: String) -> Shared {
        Shared {
            base_url,
            state: Mutex::new(SimState::new(config)),
        }
    }

    /// Locks the state. A panic in another handler must not take the simulator down with it, so a poisoned
    /// lock is recovered: every mutation leaves the state consistent at each step.
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(crate) struct SimState {
    seed: u64,
    creator_count: usize,
    extra_sales: usize,
    configured_apps: Vec<SimApp>,
    configured_pings: PingSettings,
    pub creators: Vec<SeededCreator>,
    pub apps: Vec<SimApp>,
    pub sessions: SessionStore,
    pub grants: GrantStore,
    pub tokens: TokenStore,
    pub faults: FaultList,
    pub rate_limiter: RateLimiter,
    pub catalog: Catalog,
    pub sales: Sales,
    pub profile: Profile,
    /// Resource subscriptions, queued pings and the ping log (`pings`).
    pub pings: Pings,
    /// Added to the wall clock, so tests can let codes expire without waiting (`/_sim/clock`).
    clock_offset: Duration,
}

impl SimState {
    fn new(config: SimConfig) -> SimState {
        let mut state = SimState {
            seed: config.seed,
            creator_count: config.creator_count,
            extra_sales: config.extra_sales,
            configured_apps: config.apps,
            configured_pings: config.pings,
            creators: Vec::new(),
            apps: Vec::new(),
            sessions: SessionStore::default(),
            grants: GrantStore::default(),
            tokens: TokenStore::default(),
            faults: FaultList::default(),
            rate_limiter: RateLimiter::default(),
            catalog: Catalog::default(),
            sales: Sales::default(),
            profile: Profile::default(),
            pings: Pings::new(config.pings),
            clock_offset: Duration::zero(),
        };
        state.reset();
        state
    }

    /// Back to the seeded state: same creators, apps, catalogues and sales (their history ending now), no
    /// tokens, codes, sessions, faults or counters, and the default (2026) profile.
    pub fn reset(&mut self) {
        self.creators = seed::creators(self.seed, self.creator_count);
        self.catalog = catalog::seed::catalog(self.seed, &self.creators);
        self.clock_offset = Duration::zero();
        self.sales = sales::seed::sales(
            self.seed,
            &self.creators,
            &self.catalog,
            self.extra_sales,
            self.now(),
        );
        self.profile = Profile::default();
        self.apps = self.configured_apps.clone();
        self.sessions.clear();
        self.grants = GrantStore::default();
        self.tokens = TokenStore::default();
        self.faults = FaultList::default();
        self.rate_limiter = RateLimiter::default();
        self.pings.reset(self.configured_pings);
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    /// Moves the clock forward by `by`; `None` (and no change) when the total offset would go past
    /// `MAX_CLOCK_OFFSET` or `by` is negative.
    pub fn advance_clock(&mut self, by: Duration) -> Option<Duration> {
        let offset = self
            .clock_offset
            .checked_add(&by)
            .filter(|o| by >= Duration::zero() && *o <= MAX_CLOCK_OFFSET)?;
        self.clock_offset = offset;
        Some(offset)
    }

    pub fn creator(&self, id: &str) -> Option<&SeededCreator> {
        self.creators.iter().find(|c| c.id == id)
    }

    /// Controls accept either of a creator's ids.
    pub fn creator_by_either_id(&self, id: &str) -> Option<&SeededCreator> {
        self.creators.iter().find(|c| c.id == id || c.user_id == id)
    }

    /// The index of the creator with this numeric id (sales refer to creators by index).
    pub fn creator_index(&self, id: &str) -> Option<usize> {
        self.creators.iter().position(|c| c.id == id)
    }

    pub fn app(&self, client_id: &str) -> Option<&SimApp> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }

    /// A token with a refresh token, as if the creator had approved the app (controls and `SimHandle`).
    pub fn issue_direct_token(
        &mut self,
        client_id: &str,
        creator_id: &str,
        scopes: Vec<String>,
    ) -> AccessToken {
        let now = self.now();
        self.tokens.issue(NewToken {
            client_id,
            creator_id: Some(creator_id),
            scopes,
            with_refresh_token: true,
            now,
        })
    }

    pub fn session_creator(&self, session_id: &str) -> Option<&SeededCreator> {
        self.sessions
            .get(session_id)
            .and_then(|id| self.creator(id))
    }
}

/// How many login sessions are kept; the oldest are forgotten beyond this (their visitors log in again).
pub(crate) const MAX_SESSIONS: usize = 10_000;

/// Login cookie value → the creator's numeric id, newest `MAX_SESSIONS` only.
#[derive(Default)]
pub(crate) struct SessionStore {
    creators: HashMap<String, String>,
    /// Session ids, oldest first.
    order: VecDeque<String>,
}

impl SessionStore {
    pub fn insert(&mut self, session_id: String, creator_id: String) {
        if self
            .creators
            .insert(session_id.clone(), creator_id)
            .is_none()
        {
            self.order.push_back(session_id);
        }
        while self.order.len() > MAX_SESSIONS {
            if let Some(oldest) = self.order.pop_front() {
                self.creators.remove(&oldest);
            }
        }
    }

    pub fn get(&self, session_id: &str) -> Option<&String> {
        self.creators.get(session_id)
    }

    #[cfg(test)]
    pub fn count(&self) -> usize {
        self.creators.len()
    }

    pub fn clear(&mut self) {
        self.creators.clear();
        self.order.clear();
    }
}
