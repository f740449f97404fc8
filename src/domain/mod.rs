//! Domain types that parse instead of validate. No I/O here.

mod actions;
mod catalog;
mod money;
pub mod periods;
mod ping_key;
mod sales;
mod tenant;

pub use actions::{
    Access, ApiVersion, LicenseKey, LicenseKeyError, RefundAmount, RefundAmountError, SaleAction,
    TrackingUrl, TrackingUrlError,
};
pub use catalog::{
    CustomFieldKind, Discount, FieldError, OfferCodeName, PriceDifference, ProductName,
    ProductPrice, RequiredName, parse_custom_field, parse_optional_limit,
};
pub use money::{AmountError, Currency, Money, UnknownCurrency, parse_amount};
pub use ping_key::{PING_PATH_PREFIX, PingKey, redact_ping_path};
pub use sales::{
    SaleRecord, SalesCursor, bool_of, parse_decimal_amount, utc_offset_from_daystamp,
    zone_for_offset, zone_label,
};
pub use tenant::{CreatorState, TenantId};
