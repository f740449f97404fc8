//! What a creator does to one sale (api-facts §5, §6.7): refund (whole or part), mark as shipped, and
//! (2026) resend the receipt. Writes: repeated only after a 429, never after a timeout.

use secrecy::SecretString;

use super::api::{ApiClient, Call};
use super::error::GumroadError;
use super::sales::Sale;

/// Gumroad's refusals of a refund (its texts, api-facts §6.7), typed so pages can say them plainly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundRefusal {
    AlreadyRefunded,
    TooMuch,
    RefundsDisabled,
    PaypalFunds,
    Temporary,
    /// "…disconnected the associated payment account on <processor>…"
    Disconnected,
    /// A free sale: "The sale was unable to be modified."
    Unmodifiable,
    /// Another text, kept as Gumroad sent it.
    Other(String),
}

impl RefundRefusal {
    /// The refusal in a Gumroad error, if it is one (`success:false` with a message).
    pub fn from_error(error: &GumroadError) -> Option<RefundRefusal> {
        let GumroadError::Rejected { message } = error else {
            return None;
        };
        Some(match message.as_str() {
            "Purchase is already refunded." => Self::AlreadyRefunded,
            "Refund amount cannot be greater than the purchase price." => Self::TooMuch,
            "Refunds are temporarily disabled in your account." => Self::RefundsDisabled,
            "Your PayPal account does not have sufficient funds to make this refund." => {
                Self::PaypalFunds
            }
            "There is a temporary problem. Try to refund later." => Self::Temporary,
            "The sale was unable to be modified." => Self::Unmodifiable,
            m if m.starts_with("We cannot refund this sale because you have disconnected") => {
                Self::Disconnected
            }
            other => Self::Other(other.to_owned()),
        })
    }

    /// Plain words for the creator.
    pub fn plain(&self) -> String {
        match self {
            Self::AlreadyRefunded => "This sale has already been refunded in full.".into(),
            Self::TooMuch => {
                "That is more than what is left to refund on this sale (Gumroad: \"Refund amount cannot be \
                 greater than the purchase price.\")"
                    .into()
            }
            Self::RefundsDisabled => {
                "Refunds are switched off on your Gumroad account for now; Gumroad support can say why."
                    .into()
            }
            Self::PaypalFunds => {
                "Your PayPal account does not have enough money in it for this refund.".into()
            }
            Self::Temporary => {
                "Gumroad's payment processor had a temporary problem; nothing was refunded. Try again later."
                    .into()
            }
            Self::Disconnected => {
                "The payment account this sale was paid into is disconnected from Gumroad. Connect it again \
                 in Gumroad, then refund."
                    .into()
            }
            Self::Unmodifiable => "This sale cannot be refunded (it was free).".into(),
            Self::Other(message) => format!("Gumroad refused: {message}"),
        }
    }

    /// Whether the refusal is about the amount typed (shown beside that field).
    pub fn is_about_amount(&self) -> bool {
        matches!(self, Self::TooMuch)
    }
}

impl ApiClient {
    /// `PUT /sales/:id/refund`: `amount_cents` as the configured API reads it (the smallest unit in
    /// 2026, hundredths of a major unit in 2025-04: see `RefundAmount::wire_cents`), or all that is
    /// left when `None`. Returns the sale as Gumroad has it now.
    pub async fn refund_sale(
        &self,
        token: &SecretString,
        id: &str,
        amount_cents: Option<i64>,
    ) -> Result<Sale, GumroadError> {
        let call = Call::put(&["sales", id, "refund"])
            .optional_field("amount_cents", amount_cents.map(|a| a.to_string()));
        self.sale_write(token, call).await
    }

    /// `PUT /sales/:id/mark_as_shipped` with an optional tracking URL.
    pub async fn mark_sale_shipped(
        &self,
        token: &SecretString,
        id: &str,
        tracking_url: Option<&str>,
    ) -> Result<Sale, GumroadError> {
        let call = Call::put(&["sales", id, "mark_as_shipped"])
            .optional_field("tracking_url", tracking_url);
        self.sale_write(token, call).await
    }

    /// `POST /sales/:id/resend_receipt` (2026; older Gumroad answers a Rails 404: `RouteNotFound`).
    pub async fn resend_receipt(&self, token: &SecretString, id: &str) -> Result<(), GumroadError> {
        self.call(token, &Call::post(&["sales", id, "resend_receipt"]))
            .await
            .map(drop)
    }

    async fn sale_write(&self, token: &SecretString, call: Call<'_>) -> Result<Sale, GumroadError> {
        let json: serde_json::Value = self.fetch(token, call, "sale").await?;
        Sale::from_json(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_typed_from_gumroads_texts() {
        let refusal = |m: &str| {
            RefundRefusal::from_error(&GumroadError::Rejected {
                message: m.to_owned(),
            })
        };
        assert_eq!(
            refusal("Refund amount cannot be greater than the purchase price."),
            Some(RefundRefusal::TooMuch)
        );
        assert_eq!(
            refusal(
                "We cannot refund this sale because you have disconnected the associated payment \
                 account on Paypal. Please connect it and try again."
            ),
            Some(RefundRefusal::Disconnected)
        );
        assert_eq!(
            refusal("Something new."),
            Some(RefundRefusal::Other("Something new.".into()))
        );
        assert_eq!(RefundRefusal::from_error(&GumroadError::Timeout), None);
        assert!(RefundRefusal::TooMuch.is_about_amount());
    }
}
