//! Sale actions as rules: which scopes each needs in which Gumroad API, what a refund request is, and
//! which tracking URLs are acceptable. No I/O.

use std::fmt;

use url::Url;

use super::money::{AmountError, Money, parse_amount};

/// The Gumroad API generation: 2025-04 refunds need `refund_sales` and cannot resend receipts; 2026
/// refunds with `edit_sales` (or `refund_sales`) and resends receipts with `edit_sales`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    V2025_04,
    V2026,
}

impl ApiVersion {
    pub fn parse(value: &str) -> Result<Self, String> {
        match value {
            "2025-04" => Ok(Self::V2025_04),
            "2026" => Ok(Self::V2026),
            other => Err(format!("{other:?} must be 2026 or 2025-04")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2025_04 => "2025-04",
            Self::V2026 => "2026",
        }
    }

    pub fn default_action_scopes(self) -> &'static str {
        match self {
            Self::V2025_04 => "refund_sales mark_sales_as_shipped",
            Self::V2026 => "edit_sales mark_sales_as_shipped",
        }
    }
}

/// Something a creator does to a sale at Gumroad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaleAction {
    Refund,
    MarkShipped,
    ResendReceipt,
    /// Enable, disable, decrement a license's uses.
    ChangeLicense,
}

impl SaleAction {
    /// The name in the audit log and in idempotency keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::MarkShipped => "mark_as_shipped",
            Self::ResendReceipt => "resend_receipt",
            Self::ChangeLicense => "change_license",
        }
    }

    /// Scopes Gumroad accepts for the action (holding any one is enough); empty when this API has no
    /// such action.
    pub fn accepted_scopes(self, version: ApiVersion) -> &'static [&'static str] {
        match (self, version) {
            (Self::Refund, ApiVersion::V2025_04) => &["refund_sales"],
            (Self::Refund, ApiVersion::V2026) => &["edit_sales", "refund_sales"],
            (Self::MarkShipped, _) => &["mark_sales_as_shipped"],
            (Self::ResendReceipt, ApiVersion::V2025_04) => &[],
            (Self::ResendReceipt, ApiVersion::V2026) => &["edit_sales"],
            (Self::ChangeLicense, _) => &["edit_products"],
        }
    }

    /// Whether the creator's granted scopes allow the action, and if not what to ask for.
    pub fn access(self, version: ApiVersion, granted: &[String], configured: &[String]) -> Access {
        let accepted = self.accepted_scopes(version);
        if accepted.is_empty() {
            return Access::Unsupported;
        }
        if granted.iter().any(|g| accepted.contains(&g.as_str())) {
            return Access::Granted;
        }
        match accepted
            .iter()
            .find(|a| configured.iter().any(|c| c == *a) || **a == "edit_products")
        {
            Some(scope) => Access::Missing {
                scope: (*scope).to_owned(),
            },
            None => Access::NotOffered {
                scope: accepted[0].to_owned(),
            },
        }
    }
}

/// Whether a creator's token may do an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Granted,
    /// The token lacks `scope`, which the creator can grant ("Grant access").
    Missing {
        scope: String,
    },
    /// The token lacks `scope` and this instance is not configured to ask for it.
    NotOffered {
        scope: String,
    },
    /// This Gumroad API has no such action.
    Unsupported,
}

impl Access {
    pub fn is_granted(&self) -> bool {
        matches!(self, Self::Granted)
    }
}

/// What to refund: everything that is left, or part of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundAmount {
    Full,
    Partial(Money),
}

/// Why a refund request was refused before asking Gumroad.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefundAmountError {
    #[error(transparent)]
    Amount(#[from] AmountError),
    #[error("Enter more than zero.")]
    Zero,
    #[error("That is more than the {0} left to refund.")]
    MoreThanLeft(String),
    #[error("gumdash does not know this sale's currency, so it can only refund all of it.")]
    UnknownCurrency,
    #[error("That amount is too large to send to Gumroad.")]
    TooLarge,
}

impl RefundAmount {
    /// `typed` blank means everything left. `left` is what Gumroad said is still refundable (when
    /// known): more than that is refused here rather than sent.
    pub fn parse(
        typed: &str,
        currency: Option<super::Currency>,
        left: Option<i64>,
    ) -> Result<RefundAmount, RefundAmountError> {
        if typed.trim().is_empty() {
            return Ok(RefundAmount::Full);
        }
        let currency = currency.ok_or(RefundAmountError::UnknownCurrency)?;
        let cents = parse_amount(typed, currency, false)?;
        if cents == 0 {
            return Err(RefundAmountError::Zero);
        }
        if let Some(left) = left
            && cents > left
        {
            return Err(RefundAmountError::MoreThanLeft(
                Money::new(left, currency).display(),
            ));
        }
        Ok(RefundAmount::Partial(Money::new(cents, currency)))
    }

    /// `amount_cents` to send: none for a full refund.
    pub fn cents(self) -> Option<i64> {
        match self {
            Self::Full => None,
            Self::Partial(money) => Some(money.amount),
        }
    }

    /// `amount_cents` to send to Gumroad speaking `version`: none for a full refund. 2026 reads it in
    /// the currency's smallest unit; 2025-04 divides it by 100 whatever the currency (api-facts §6.7),
    /// so ¥1,500 goes out as 150000 there. An error when the figure does not fit in Gumroad's integer.
    pub fn wire_cents(self, version: ApiVersion) -> Result<Option<i64>, RefundAmountError> {
        let Self::Partial(money) = self else {
            return Ok(None);
        };
        let sent = match version {
            ApiVersion::V2026 => Some(money.amount),
            ApiVersion::V2025_04 => 10_i64
                .checked_pow(2 - money.currency.decimals().min(2))
                .and_then(|per_unit| money.amount.checked_mul(per_unit)),
        };
        sent.map(Some).ok_or(RefundAmountError::TooLarge)
    }

    /// What the form's hidden field carries to the confirmation step and back.
    pub fn input_value(self) -> String {
        match self {
            Self::Full => String::new(),
            Self::Partial(money) => money.input_value(),
        }
    }
}

/// A shipment's tracking link: an absolute http(s) URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackingUrl(String);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("Enter a full web address starting with https:// or http://.")]
pub struct TrackingUrlError;

impl TrackingUrl {
    /// Blank is none.
    pub fn parse_optional(typed: &str) -> Result<Option<TrackingUrl>, TrackingUrlError> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        let url = Url::parse(typed).map_err(|_| TrackingUrlError)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(TrackingUrlError);
        }
        Ok(Some(TrackingUrl(url.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A license key as typed: trimmed, 1–100 characters of letters, digits and dashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseKey(String);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("Enter the license key, like 83DB262A-C19D3B06-A5235A6B-8C079166.")]
pub struct LicenseKeyError;

impl LicenseKey {
    pub fn parse(typed: &str) -> Result<LicenseKey, LicenseKeyError> {
        let key = typed.trim();
        let fits = (1..=100).contains(&key.len())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        fits.then(|| LicenseKey(key.to_owned()))
            .ok_or(LicenseKeyError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    #[test]
    fn refund_amounts_go_out_in_the_units_each_api_reads() {
        let yen = RefundAmount::Partial(Money::new(1500, Currency::JPY));
        let dollars = RefundAmount::Partial(Money::new(1500, Currency::USD));
        assert_eq!(yen.wire_cents(ApiVersion::V2026), Ok(Some(1500)));
        assert_eq!(yen.wire_cents(ApiVersion::V2025_04), Ok(Some(150_000)));
        assert_eq!(dollars.wire_cents(ApiVersion::V2025_04), Ok(Some(1500)));
        assert_eq!(
            RefundAmount::Full.wire_cents(ApiVersion::V2025_04),
            Ok(None)
        );
        let huge = RefundAmount::Partial(Money::new(i64::MAX / 10, Currency::JPY));
        assert_eq!(
            huge.wire_cents(ApiVersion::V2025_04),
            Err(RefundAmountError::TooLarge)
        );
    }

    fn scopes(list: &str) -> Vec<String> {
        list.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn access_depends_on_the_api_and_what_is_configured() {
        let configured = scopes("edit_sales mark_sales_as_shipped");
        let sign_in = scopes("view_profile edit_products view_sales");
        let v26 = ApiVersion::V2026;
        assert_eq!(
            SaleAction::Refund.access(v26, &sign_in, &configured),
            Access::Missing {
                scope: "edit_sales".into()
            }
        );
        assert!(
            SaleAction::Refund
                .access(v26, &scopes("view_sales refund_sales"), &configured)
                .is_granted()
        );
        assert_eq!(
            SaleAction::Refund.access(ApiVersion::V2025_04, &sign_in, &configured),
            Access::NotOffered {
                scope: "refund_sales".into()
            }
        );
        assert_eq!(
            SaleAction::ResendReceipt.access(ApiVersion::V2025_04, &sign_in, &configured),
            Access::Unsupported
        );
        assert!(
            SaleAction::ChangeLicense
                .access(v26, &sign_in, &configured)
                .is_granted()
        );
    }

    #[test]
    fn refund_amounts_parse_in_the_sales_currency() {
        let usd = Currency::parse("usd").ok();
        let jpy = Currency::parse("jpy").ok();
        assert_eq!(
            RefundAmount::parse("  ", usd, Some(100)),
            Ok(RefundAmount::Full)
        );
        assert_eq!(
            RefundAmount::parse("7.50", usd, Some(2000)).map(RefundAmount::cents),
            Ok(Some(750))
        );
        assert_eq!(
            RefundAmount::parse("1500", jpy, None).map(RefundAmount::cents),
            Ok(Some(1500))
        );
        assert_eq!(
            RefundAmount::parse("20.01", usd, Some(2000)),
            Err(RefundAmountError::MoreThanLeft("$20.00".into()))
        );
        assert_eq!(
            RefundAmount::parse("0", usd, None),
            Err(RefundAmountError::Zero)
        );
        assert!(RefundAmount::parse("-1", usd, None).is_err());
        assert_eq!(
            RefundAmount::parse("5", None, None),
            Err(RefundAmountError::UnknownCurrency)
        );
    }

    #[test]
    fn tracking_urls_are_absolute_http() {
        assert!(TrackingUrl::parse_optional(" ").unwrap().is_none());
        assert_eq!(
            TrackingUrl::parse_optional("https://track.example/1Z?x=1")
                .unwrap()
                .unwrap()
                .as_str(),
            "https://track.example/1Z?x=1"
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://x.example/a",
            "track.example/1Z",
            "http://",
        ] {
            assert_eq!(
                TrackingUrl::parse_optional(bad),
                Err(TrackingUrlError),
                "{bad}"
            );
        }
        assert!(LicenseKey::parse(" 83DB262A-C19D3B06 ").is_ok());
        assert!(LicenseKey::parse("a b").is_err() && LicenseKey::parse("").is_err());
    }
}
