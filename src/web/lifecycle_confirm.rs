//! The confirmation step of the account-wide actions (disable, sign out everywhere, revoke and
//! forget, …), shared by the operator's creator page and the creator's Account page: what will
//! happen, a button that does it, a way back, and for operators a required reason. After Gumroad
//! failed to revoke, the same page says so and offers to try again or to forget locally only.

use askama::Template;
use askama_web::WebTemplate;

use super::forms::FormErrors;
use super::layout::{Layout, Nav};

/// The longest reason kept in the audit log.
pub const REASON_MAX_CHARS: usize = 1000;

pub struct Confirm {
    pub title: String,
    pub consequence: &'static str,
    pub button: &'static str,
    pub danger: bool,
    pub action: String,
    pub cancel: String,
    /// Operators say why; the reason goes into the audit log.
    pub ask_reason: bool,
    pub reason: String,
    /// Gumroad did not confirm the revocation: why, shown on top, with the local-only form below.
    pub failure: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "lifecycle/confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub confirm: Confirm,
    pub errors: FormErrors,
}

/// The operator's reason, trimmed: required, and at most [`REASON_MAX_CHARS`].
pub fn parse_reason(reason: &str) -> Result<String, &'static str> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("Write why you are doing this: the reason is kept in the audit log.");
    }
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err("Keep the reason under 1000 characters.");
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_trimmed_and_bounded() {
        assert!(parse_reason("   \n").is_err());
        assert_eq!(
            parse_reason("  support ticket 12 ").as_deref(),
            Ok("support ticket 12")
        );
        assert!(parse_reason(&"x".repeat(REASON_MAX_CHARS + 1)).is_err());
    }
}
