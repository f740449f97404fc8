//! Domain types that parse instead of validate. No I/O here.

mod catalog;
mod money;
mod tenant;

pub use catalog::{
    CustomFieldKind, Discount, FieldError, OfferCodeName, PriceDifference, ProductName,
    ProductPrice, RequiredName, parse_custom_field, parse_optional_limit,
};
pub use money::{AmountError, Currency, Money, UnknownCurrency, parse_amount};
pub use tenant::{CreatorState, TenantId};
