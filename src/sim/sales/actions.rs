//! What a seller does to a sale after it was made (api-facts §6.7, §6.9): refunds with the seller's
//! account-level refusals, shipments, receipts sent again, and license keys (uses, enabled). The state
//! lives beside the sales (`Sales::actions`) so a reset forgets it with them.

use std::collections::HashMap;

use super::{Detail, RefundError, Sales, flag};
use crate::sim::catalog::Catalog;

/// Why a seller's refunds fail whatever the sale (Gumroad's `refund_and_save!`), set by a control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Refusal {
    /// A Stripe Connect account that is no longer active.
    Disconnected,
    /// `seller.refunds_disabled?`
    Disabled,
    /// PayPal's insufficient funds.
    PaypalFunds,
    /// The charge processor is unavailable.
    Temporary,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Disconnected => {
                "We cannot refund this sale because you have disconnected the associated payment account on \
                 Stripe. Please connect it and try again."
            }
            Refusal::Disabled => "Refunds are temporarily disabled in your account.",
            Refusal::PaypalFunds => {
                "Your PayPal account does not have sufficient funds to make this refund."
            }
            Refusal::Temporary => "There is a temporary problem. Try to refund later.",
        }
    }
}

/// A license's counters (Gumroad's `licenses` row).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct License {
    pub uses: i64,
    pub disabled: bool,
}

/// Per-sale and per-seller action state.
#[derive(Debug, Default)]
pub(crate) struct SaleActions {
    /// Sale id → license counters (absent: never used, enabled).
    licenses: HashMap<u32, License>,
    /// Creator index → why their refunds fail.
    refusals: HashMap<u32, Refusal>,
    /// Sale id → receipts sent again.
    receipts: HashMap<u32, u32>,
}

/// Why a refund through the API failed: the sale's own reasons or the seller's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ApiRefundError {
    Sale(RefundError),
    Seller(Refusal),
}

impl ApiRefundError {
    pub fn message(self) -> &'static str {
        match self {
            ApiRefundError::Sale(error) => error.message(),
            ApiRefundError::Seller(refusal) => refusal.message(),
        }
    }
}

impl Sales {
    pub fn license(&self, id: u32) -> License {
        self.actions.licenses.get(&id).copied().unwrap_or_default()
    }

    pub fn license_mut(&mut self, id: u32) -> &mut License {
        self.actions.licenses.entry(id).or_default()
    }

    pub fn set_refusal(&mut self, creator: u32, refusal: Option<Refusal>) {
        match refusal {
            Some(refusal) => self.actions.refusals.insert(creator, refusal),
            None => self.actions.refusals.remove(&creator),
        };
    }

    pub fn receipts_sent(&self, id: u32) -> u32 {
        self.actions.receipts.get(&id).copied().unwrap_or(0)
    }

    pub fn resend_receipt(&mut self, id: u32) {
        *self.actions.receipts.entry(id).or_default() += 1;
    }

    /// Gumroad's order: already refunded (the controller), too much, then `refund_and_save!`: a free
    /// sale does nothing ("unable to be modified"), then the seller's account, then the refund itself.
    pub fn refund_as_seller(
        &mut self,
        id: u32,
        amount: Option<i64>,
        catalog: &Catalog,
    ) -> Result<(), ApiRefundError> {
        let sale = *self
            .get(u64::from(id))
            .ok_or(ApiRefundError::Sale(RefundError::NotFound))?;
        if sale.is_refunded() {
            return Err(ApiRefundError::Sale(RefundError::AlreadyRefunded));
        }
        if amount.is_some_and(|a| a > sale.refundable()) {
            return Err(ApiRefundError::Sale(RefundError::TooMuch));
        }
        if sale.price == 0 {
            return Err(ApiRefundError::Sale(RefundError::Free));
        }
        if let Some(refusal) = self.actions.refusals.get(&sale.creator) {
            return Err(ApiRefundError::Seller(*refusal));
        }
        self.refund(u64::from(id), amount, catalog)
            .map_err(ApiRefundError::Sale)
    }

    /// Gumroad's `mark_as_shipped`: a shipment, with `tracking_url` when sent (even blank).
    pub fn mark_shipped(&mut self, id: u32, tracking_url: Option<&str>) {
        let Some(position) = (id as usize).checked_sub(1) else {
            return;
        };
        let Some(sale) = self.sales.get(position).copied() else {
            return;
        };
        self.sales[position].flags |= flag::SHIPPED;
        let Some(url) = tracking_url else {
            return;
        };
        self.sales[position].flags |= flag::TRACKING;
        match (sale.detail as usize).checked_sub(1) {
            Some(index) => self.details[index].tracking_url = Some(url.to_owned()),
            None => {
                self.details.push(Detail {
                    tracking_url: Some(url.to_owned()),
                    ..Detail::default()
                });
                self.sales[position].detail = u32::try_from(self.details.len()).unwrap_or(0);
            }
        }
    }

    /// The seller revoked the buyer's access (Gumroad's `is_access_revoked`).
    pub fn revoke_access(&mut self, id: u32) {
        if let Some(sale) = (id as usize)
            .checked_sub(1)
            .and_then(|p| self.sales.get_mut(p))
        {
            sale.flags |= flag::ACCESS_REVOKED;
        }
    }

    /// The sale of `product` (catalogue index) whose license key is `key`, test purchases included.
    pub fn by_license_key(&self, product: u32, key: &str) -> Option<u32> {
        self.sales
            .iter()
            .filter(|s| s.product == product)
            .find(|s| self.license_key(s) == key)
            .map(|s| s.id)
    }

    /// Any licensed sale whose key is `key` (`License.find_by(serial:)`).
    pub fn any_by_license_key(&self, catalog: &Catalog, key: &str) -> Option<u32> {
        self.sales
            .iter()
            .filter(|s| {
                catalog
                    .products
                    .get(s.product as usize)
                    .is_some_and(|p| p.is_licensed)
            })
            .find(|s| self.license_key(s) == key)
            .map(|s| s.id)
    }
}
