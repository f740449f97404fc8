use serde::Deserialize;

use super::de;

/// `GET /v2/user`. Which keys appear depends on the token's scopes, so everything but the ids is optional.
#[derive(Clone, Debug, Deserialize)]
pub struct User {
    /// The numeric id, as a string (`"5530311507811"`): what we key creators by.
    #[serde(deserialize_with = "de::opaque_id")]
    pub id: String,
    /// The base64 external id (`"G_-mnBf9b1j9A7a4ub4nFQ=="`).
    #[serde(default, deserialize_with = "de::opt_opaque_id")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
    #[serde(default)]
    pub twitter_handle: Option<String>,
    /// The profile page.
    #[serde(default)]
    pub url: Option<String>,
    /// Despite its name, the avatar image URL.
    #[serde(default)]
    pub profile_url: Option<String>,
    #[serde(default)]
    pub currency_type: Option<String>,
}

impl User {
    /// What to call the creator: display name, else name, else email, else the id.
    pub fn shown_name(&self) -> &str {
        [&self.display_name, &self.name, &self.email]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .unwrap_or(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slim_user_without_profile_scope_still_parses() {
        let user: User = serde_json::from_str(
            r#"{"name": null, "bio": null, "id": 5530311507811, "user_id": "G_-mnBf9b1j9A7a4ub4nFQ==", "url": "https://x.gumroad.com", "links": null, "extra": [1]}"#,
        )
        .unwrap();
        assert_eq!(user.id, "5530311507811");
        assert_eq!(user.shown_name(), "5530311507811");
    }

    #[test]
    fn display_name_wins_over_name() {
        let user: User =
            serde_json::from_str(r#"{"id": "1", "name": "ada", "display_name": "Ada L."}"#)
                .unwrap();
        assert_eq!(user.shown_name(), "Ada L.");
    }
}
