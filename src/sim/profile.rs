//! The compatibility profile (`/_sim/profile`, api-facts §1.1): which Gumroad the simulator imitates.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Era {
    /// Commit `8c16285`: products unpaginated, product create/update are Rails 404s, offer-code update takes
    /// only `max_purchase_count`.
    #[serde(rename = "2025-04")]
    V2025_04,
    /// The current surface (the default).
    #[default]
    #[serde(rename = "2026")]
    V2026,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Profile {
    pub profile: Era,
    /// Numbers and booleans in catalogue objects sent as strings, as Gumroad's docs show them.
    pub string_values: bool,
}

impl Profile {
    pub fn is_2025_04(self) -> bool {
        self.profile == Era::V2025_04
    }
}
