//! OAuth scopes (api-facts §3.6). The server's scope lists depend on the compatibility profile: 2025-04
//! knows neither `edit_sales` nor the other 2026 additions, and has `refund_sales` in its public list.

use std::borrow::Cow;

use super::profile::Era;

/// The 2026 public scope list: what a new app stores at creation, and what READ endpoints accept.
pub const PUBLIC_SCOPES: &[&str] = &[
    "edit_products",
    "edit_emails",
    "view_sales",
    "mark_sales_as_shipped",
    "edit_sales",
    "revenue_share",
    "ifttt",
    "view_profile",
    "edit_profile",
    "view_payouts",
    "view_tax_data",
    "account",
];

/// The 2025-04 public scope list (commit `8c16285`).
pub const PUBLIC_SCOPES_2025_04: &[&str] = &[
    "edit_products",
    "view_sales",
    "mark_sales_as_shipped",
    "refund_sales",
    "revenue_share",
    "ifttt",
    "view_profile",
];

/// The public list of the era.
pub fn public_scopes(era: Era) -> &'static [&'static str] {
    match era {
        Era::V2025_04 => PUBLIC_SCOPES_2025_04,
        Era::V2026 => PUBLIC_SCOPES,
    }
}

/// Doorkeeper's default scope. A normal app does not store it, so asking for it (or for nothing) fails.
pub const DEFAULT_SCOPE: &str = "view_public";

/// Optional scopes beyond the public list: known to the server, grantable only to apps that store them.
const OPTIONAL_SCOPES: &[&str] = &["refund_sales", "mobile_api", "creator_api", "unfurl"];

/// Scopes that unlock the full `/v2/user` object (api-facts §6.6).
pub const FULL_USER_SCOPES: &[&str] = &[
    "edit_products",
    "view_sales",
    "revenue_share",
    "ifttt",
    "view_profile",
];

/// Optional scopes beyond the 2025-04 public list (`refund_sales` is public there).
const OPTIONAL_SCOPES_2025_04: &[&str] = &["mobile_api", "creator_api", "unfurl"];

/// Whether the era's server knows the scope (default, public or optional): what may be requested at
/// `/oauth/authorize` and with `client_credentials`.
pub fn is_known_in(scope: &str, era: Era) -> bool {
    let optional = match era {
        Era::V2025_04 => OPTIONAL_SCOPES_2025_04,
        Era::V2026 => OPTIONAL_SCOPES,
    };
    scope == DEFAULT_SCOPE || public_scopes(era).contains(&scope) || optional.contains(&scope)
}

/// Whether either era knows the scope (the `/_sim/tokens` control accepts both).
pub fn is_known(scope: &str) -> bool {
    is_known_in(scope, Era::V2025_04) || is_known_in(scope, Era::V2026)
}

/// The scopes an app stores, as the era sees them. An app storing exactly the 2026 public list (what
/// `SimApp::with_redirect_uris` gives, "a new app's stored scopes") stores the 2025-04 public list under the
/// 2025-04 profile, so the same configuration can ask for `refund_sales` there; other apps keep their list.
pub fn stored_by_app(app_scopes: &[String], era: Era) -> Cow<'_, [String]> {
    let is_default_2026 = app_scopes.len() == PUBLIC_SCOPES.len()
        && PUBLIC_SCOPES
            .iter()
            .all(|p| app_scopes.iter().any(|s| s == p));
    if era == Era::V2025_04 && is_default_2026 {
        Cow::Owned(
            PUBLIC_SCOPES_2025_04
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        )
    } else {
        Cow::Borrowed(app_scopes)
    }
}

/// Doorkeeper's `Scopes.from_string`: Ruby's `split` on ASCII whitespace (space, tab, newline, vertical
/// tab, form feed, carriage return; not Unicode spaces), keep the first occurrence of each.
pub fn parse(text: &str) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    let separator = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r');
    for scope in text.split(separator).filter(|s| !s.is_empty()) {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    scopes
}

/// Doorkeeper's `ScopeChecker::Validator`: a scope string holding a tab, newline or carriage return is
/// malformed (`invalid_scope`) even when every scope in it is fine. Repeated spaces pass.
pub fn well_formed(text: &str) -> bool {
    !text.contains(['\t', '\n', '\r'])
}

/// Doorkeeper's "any of these scopes" check.
pub fn holds_any(granted: &[String], wanted: &[&str]) -> bool {
    granted.iter().any(|g| wanted.contains(&g.as_str()))
}

/// What READ endpoints accept: any of the era's public scopes or the default one (any normal token).
pub fn holds_read(granted: &[String], era: Era) -> bool {
    holds_any(granted, public_scopes(era)) || granted.iter().any(|g| g == DEFAULT_SCOPE)
}

/// The consent page's wording for a scope.
pub fn describe(scope: &str) -> &'static str {
    match scope {
        "edit_products" => "Create new products and edit your existing products",
        "edit_emails" => "Create and edit your emails to customers",
        "view_sales" => "See your sales, customers and subscribers",
        "mark_sales_as_shipped" => "Mark your sales as shipped",
        "edit_sales" => "Refund your sales and resend receipts",
        "refund_sales" => "Refund your sales",
        "revenue_share" => "Share revenue with you",
        "ifttt" => "Connect your account to IFTTT",
        "view_profile" => "See your profile: name, email address, avatar and bio",
        "edit_profile" => "Edit your profile",
        "view_payouts" => "See your payouts",
        "view_tax_data" => "See your tax data",
        "account" => "Manage your whole account",
        "view_public" => "See your public information",
        _ => "Use an internal Gumroad permission",
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn parse_splits_on_ascii_whitespace_and_dedupes() {
        assert_eq!(
            parse(" view_sales\tedit_products view_sales "),
            vec!["view_sales", "edit_products"]
        );
        assert!(parse("   ").is_empty());
        assert_eq!(parse("a\u{a0}b"), vec!["a\u{a0}b"]);
        assert!(well_formed(" a  b "));
        assert!(!well_formed("a\tb") && !well_formed("a\nb") && !well_formed("a\r"));
    }

    #[test]
    fn read_scopes_depend_on_the_era() {
        let one = |s: &str| vec![s.to_owned()];
        assert!(!holds_read(&one("refund_sales"), Era::V2026));
        assert!(holds_read(&one("refund_sales"), Era::V2025_04));
        assert!(holds_read(&one("view_public"), Era::V2026));
        assert!(holds_read(&one("view_public"), Era::V2025_04));
        assert!(holds_read(&one("account"), Era::V2026));
        assert!(!holds_read(&one("edit_sales"), Era::V2025_04));
        assert!(!is_known_in("view_payouts", Era::V2025_04));
        assert!(is_known_in("refund_sales", Era::V2026));
        assert!(is_known("edit_sales") && is_known("refund_sales"));
    }
}
