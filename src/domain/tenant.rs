use std::fmt;

/// Our own id of a creator (a tenant). It only ever comes from the signed-in session or from
/// an admin code path, never from a form or a URL, so every store function takes one first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TenantId(i64);

impl TenantId {
    pub fn from_db(id: i64) -> Self {
        Self(id)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    #[cfg(test)]
    pub const fn from_raw_for_tests(id: i64) -> Self {
        Self(id)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Whether a creator can use the dashboard right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreatorState {
    Active,
    /// Gumroad answered 401: the token was revoked, so the creator must sign in again.
    NeedsReconnect,
    /// Switched off by the operator.
    Disabled,
}

impl CreatorState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Self::Active),
            "needs_reconnect" => Some(Self::NeedsReconnect),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creator_state_round_trips_through_its_database_text() {
        for state in [
            CreatorState::Active,
            CreatorState::NeedsReconnect,
            CreatorState::Disabled,
        ] {
            assert_eq!(CreatorState::parse(state.as_str()), Some(state));
        }
        assert_eq!(CreatorState::parse("deleted"), None);
    }
}
