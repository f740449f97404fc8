//! OAuth scopes (api-facts §3.6).

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

/// Whether the server knows the scope at all (default, public or optional).
pub fn is_known(scope: &str) -> bool {
    scope == DEFAULT_SCOPE || PUBLIC_SCOPES.contains(&scope) || OPTIONAL_SCOPES.contains(&scope)
}

/// Doorkeeper's `Scopes.from_string`: split on whitespace, keep the first occurrence of each.
pub fn parse(text: &str) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in text.split_whitespace() {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    scopes
}

/// Doorkeeper's "any of these scopes" check.
pub fn holds_any(granted: &[String], wanted: &[&str]) -> bool {
    granted.iter().any(|g| wanted.contains(&g.as_str()))
}

/// What READ endpoints accept: any public scope or the default one (any normal token).
pub fn holds_read(granted: &[String]) -> bool {
    holds_any(granted, PUBLIC_SCOPES) || granted.iter().any(|g| g == DEFAULT_SCOPE)
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
    fn parse_splits_on_any_whitespace_and_dedupes() {
        assert_eq!(
            parse(" view_sales\tedit_products view_sales "),
            vec!["view_sales", "edit_products"]
        );
        assert!(parse("   ").is_empty());
    }

    #[test]
    fn refund_sales_alone_is_not_read_in_2026() {
        assert!(!holds_read(&["refund_sales".to_owned()]));
        assert!(holds_read(&["view_public".to_owned()]));
        assert!(holds_read(&["account".to_owned()]));
    }
}
