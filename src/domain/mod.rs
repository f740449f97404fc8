//! Domain types that parse instead of validate. No I/O here.

mod tenant;

pub use tenant::{CreatorState, TenantId};
