//! Access tokens and authorization codes, as Doorkeeper stores them for Gumroad.
//!
//! Tokens never expire (Gumroad sets no `access_token_expires_in`); they only get revoked. The refresh token is
//! a column of the access token row, so revoking either revokes both.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::ids;

/// How long an authorization code can be exchanged (Doorkeeper's default, 10 minutes).
pub(crate) const CODE_LIFETIME: Duration = Duration::minutes(10);

#[derive(Clone, Debug)]
pub(crate) struct AccessToken {
    pub token: String,
    pub refresh_token: Option<String>,
    pub client_id: String,
    /// The creator's numeric id; `None` for `client_credentials` tokens, which have no resource owner.
    pub creator_id: Option<String>,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl AccessToken {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    pub fn scope_string(&self) -> String {
        self.scopes.join(" ")
    }
}

/// What a token lookup finds; "unknown" and "revoked" get different 401 descriptions.
pub(crate) enum TokenStatus {
    Unknown,
    Revoked,
    Active(AccessToken),
}

/// Everything needed to mint a token.
pub(crate) struct NewToken<'a> {
    pub client_id: &'a str,
    pub creator_id: Option<&'a str>,
    pub scopes: Vec<String>,
    pub with_refresh_token: bool,
    pub now: DateTime<Utc>,
}

#[derive(Default)]
pub(crate) struct TokenStore {
    tokens: Vec<AccessToken>,
    by_token: HashMap<String, usize>,
    by_refresh_token: HashMap<String, usize>,
}

impl TokenStore {
    pub fn issue(&mut self, new: NewToken<'_>) -> AccessToken {
        let token = AccessToken {
            token: ids::random_token(),
            refresh_token: new.with_refresh_token.then(ids::random_token),
            client_id: new.client_id.to_owned(),
            creator_id: new.creator_id.map(str::to_owned),
            scopes: new.scopes,
            created_at: new.now,
            revoked_at: None,
        };
        let index = self.tokens.len();
        self.by_token.insert(token.token.clone(), index);
        if let Some(refresh) = &token.refresh_token {
            self.by_refresh_token.insert(refresh.clone(), index);
        }
        self.tokens.push(token.clone());
        token
    }

    pub fn status(&self, token: &str) -> TokenStatus {
        match self.by_token.get(token).map(|&i| &self.tokens[i]) {
            None => TokenStatus::Unknown,
            Some(t) if t.is_revoked() => TokenStatus::Revoked,
            Some(t) => TokenStatus::Active(t.clone()),
        }
    }

    pub fn by_refresh_token(&self, refresh_token: &str) -> Option<&AccessToken> {
        self.by_refresh_token
            .get(refresh_token)
            .map(|&i| &self.tokens[i])
    }

    /// RFC 7009 lookup: the string may be an access or a refresh token. Returns whether one was found.
    pub fn revoke_any(&mut self, token: &str, now: DateTime<Utc>) -> bool {
        let index = self
            .by_token
            .get(token)
            .or_else(|| self.by_refresh_token.get(token))
            .copied();
        if let Some(i) = index {
            self.revoke_at(i, now);
        }
        index.is_some()
    }

    /// As if the creator removed every app in their settings. Returns how many live tokens died.
    pub fn revoke_creator(&mut self, creator_id: &str, now: DateTime<Utc>) -> usize {
        let indices: Vec<usize> = (0..self.tokens.len())
            .filter(|&i| {
                self.tokens[i].creator_id.as_deref() == Some(creator_id)
                    && !self.tokens[i].is_revoked()
            })
            .collect();
        for &i in &indices {
            self.revoke_at(i, now);
        }
        indices.len()
    }

    /// Every token issued to the creator, oldest first (revoked ones too).
    pub fn of_creator(&self, creator_id: &str) -> Vec<&AccessToken> {
        self.tokens
            .iter()
            .filter(|t| t.creator_id.as_deref() == Some(creator_id))
            .collect()
    }

    /// Whether the creator holds an unrevoked token of the app with `scope` (pings need `view_sales`).
    pub fn holds(&self, creator_id: &str, client_id: &str, scope: &str) -> bool {
        self.tokens.iter().any(|t| {
            !t.is_revoked()
                && t.client_id == client_id
                && t.creator_id.as_deref() == Some(creator_id)
                && t.scopes.iter().any(|s| s == scope)
        })
    }

    fn revoke_at(&mut self, index: usize, now: DateTime<Utc>) {
        let token = &mut self.tokens[index];
        token.revoked_at.get_or_insert(now);
    }
}

/// PKCE parameters remembered with a code.
#[derive(Clone, Debug)]
pub(crate) struct Pkce {
    pub challenge: String,
    pub method: PkceMethod,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PkceMethod {
    Plain,
    S256,
}

impl PkceMethod {
    /// Doorkeeper treats a blank method as `plain`.
    pub fn parse(method: Option<&str>) -> Option<PkceMethod> {
        match method.map(str::trim).unwrap_or("") {
            "" | "plain" => Some(PkceMethod::Plain),
            "S256" => Some(PkceMethod::S256),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PkceMethod::Plain => "plain",
            PkceMethod::S256 => "S256",
        }
    }
}

/// An authorization code and what it was issued for.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub client_id: String,
    pub creator_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    pub pkce: Option<Pkce>,
}

#[derive(Default)]
pub(crate) struct GrantStore {
    grants: HashMap<String, Grant>,
}

impl GrantStore {
    /// Stores the grant under a fresh code and returns the code. Codes that can no longer be exchanged
    /// (used or expired) are dropped first, so the store holds only live ones.
    pub fn issue(&mut self, grant: Grant, now: DateTime<Utc>) -> String {
        self.grants.retain(|_, g| !g.used && g.expires_at > now);
        let code = ids::random_token();
        self.grants.insert(code.clone(), grant);
        code
    }

    /// A code that exists, is unused and unexpired; `None` covers every `invalid_grant` case at lookup.
    pub fn usable(&self, code: &str, now: DateTime<Utc>) -> Option<&Grant> {
        self.grants
            .get(code)
            .filter(|g| !g.used && g.expires_at > now)
    }

    /// How many codes are stored.
    #[cfg(test)]
    pub fn count(&self) -> usize {
        self.grants.len()
    }

    pub fn mark_used(&mut self, code: &str) {
        if let Some(grant) = self.grants.get_mut(code) {
            grant.used = true;
        }
    }
}
