//! View models for the catalog pages: Gumroad's objects turned into what a page shows, with
//! amounts formatted in the product's currency and every link built (and escaped) in one place.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::domain::{Currency, CustomFieldKind, Money};
use crate::gumroad::{CustomField, OfferCode, Product, Variant, VariantCategory};

/// Characters that cannot stand in a URL path segment as they are.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    // Browsers read `\` in a URL as `/`.
    .add(b'\\')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// An id or a custom field's name, escaped for use as one segment of our own URLs.
pub fn path_segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// `.` or `..`: a path segment that browsers resolve (also as `%2E`), whatever the encoding.
pub fn is_dot_segment(value: &str) -> bool {
    matches!(value, "." | "..")
}

/// Our page for a product.
pub fn product_href(id: &str) -> String {
    format!("/products/{}", path_segment(id))
}

/// `path` with the filters `query` and, for another page, a cursor (`older` or `newer`).
pub fn list_link(path: &str, query: &str, cursor: Option<(&str, &str)>) -> String {
    let mut link = path.to_owned();
    let mut sep = '?';
    if !query.is_empty() {
        link.push(sep);
        link.push_str(query);
        sep = '&';
    }
    if let Some((name, value)) = cursor {
        link.push(sep);
        link.push_str(name);
        link.push('=');
        link.push_str(value);
    }
    link
}

/// An amount in the product's currency; Gumroad's own formatting if we do not know the currency.
fn money(amount: i64, currency: Option<Currency>) -> String {
    match currency {
        Some(currency) => Money::new(amount, currency).display(),
        None => amount.to_string(),
    }
}

pub struct ProductView {
    pub href: String,
    pub name: String,
    pub price: String,
    /// The price as the edit form shows it ("12.50").
    pub price_input: String,
    pub currency: Option<Currency>,
    pub published: bool,
    pub sales_count: Option<i64>,
    /// Gross sales minus refunds, in USD as Gumroad reports them.
    pub revenue: Option<String>,
    pub short_url: Option<String>,
    pub tags: Vec<String>,
    pub membership: Option<String>,
}

impl ProductView {
    /// Sales and revenue from the local mirror, when it is complete, instead of Gumroad's figures
    /// (which count in USD only).
    pub fn with_figures(
        mut self,
        product_id: &str,
        figures: Option<&crate::web::sales::ProductFigures>,
    ) -> Self {
        if let Some(figures) = figures {
            let (count, revenue) = figures.of(product_id);
            self.sales_count = Some(count);
            self.revenue = Some(revenue);
        }
        self
    }
}

impl From<&Product> for ProductView {
    fn from(product: &Product) -> Self {
        let currency = Currency::parse(&product.currency).ok();
        let price = match (currency, &product.formatted_price) {
            (None, Some(formatted)) => formatted.clone(),
            _ if product.price == 0 && product.customizable_price == Some(true) => {
                "Pay what you want".to_owned()
            }
            _ => money(product.price, currency),
        };
        Self {
            href: product_href(&product.id),
            name: if product.name.trim().is_empty() {
                "(untitled)".to_owned()
            } else {
                product.name.clone()
            },
            price,
            price_input: currency
                .map(|c| Money::new(product.price, c).input_value())
                .unwrap_or_else(|| product.price.to_string()),
            currency,
            published: product.published,
            sales_count: product.sales_count,
            revenue: product
                .sales_usd_cents
                .map(|cents| Money::new(cents, Currency::USD).display()),
            short_url: product.short_url.clone(),
            tags: product.tags.clone(),
            membership: product.subscription_duration.clone(),
        }
    }
}

pub struct VariantCategoryView {
    pub title: String,
    pub href: String,
    pub variants: Vec<VariantView>,
}

impl VariantCategoryView {
    pub fn new(
        category: &VariantCategory,
        product_href: &str,
        variants: &[Variant],
        currency: Option<Currency>,
    ) -> Self {
        let href = format!(
            "{product_href}/variant-categories/{}",
            path_segment(&category.id)
        );
        Self {
            title: if category.title.trim().is_empty() {
                "(untitled category)".to_owned()
            } else {
                category.title.clone()
            },
            variants: variants
                .iter()
                .map(|v| VariantView::new(v, &href, currency))
                .collect(),
            href,
        }
    }
}

pub struct VariantView {
    pub name: String,
    pub description: Option<String>,
    pub price_difference: String,
    pub max_purchase_count: Option<i64>,
    pub href: String,
}

impl VariantView {
    fn new(variant: &Variant, category_href: &str, currency: Option<Currency>) -> Self {
        Self {
            name: variant.name.clone(),
            description: variant.description.clone().filter(|d| !d.trim().is_empty()),
            price_difference: if variant.price_difference_cents == 0 {
                "No extra charge".to_owned()
            } else {
                format!("+{}", money(variant.price_difference_cents, currency))
            },
            max_purchase_count: variant.max_purchase_count,
            href: format!("{category_href}/variants/{}", path_segment(&variant.id)),
        }
    }
}

pub struct OfferCodeView {
    pub name: String,
    pub discount: String,
    pub uses: String,
    pub universal: bool,
    pub href: String,
}

impl OfferCodeView {
    pub fn new(code: &OfferCode, product_href: &str, currency: Option<Currency>) -> Self {
        let discount = match (code.percent_off, code.amount_cents) {
            (Some(percent), _) => format!("{percent}% off"),
            (None, Some(cents)) => format!("{} off", money(cents, currency)),
            (None, None) => "—".to_owned(),
        };
        let uses = match code.max_purchase_count {
            Some(max) => format!("{} of {max}", code.times_used),
            None => format!("{} (no limit)", code.times_used),
        };
        Self {
            name: code.name.clone(),
            discount,
            uses,
            universal: code.universal,
            href: format!("{product_href}/offer-codes/{}", path_segment(&code.id)),
        }
    }
}

pub struct CustomFieldView {
    pub name: String,
    pub kind: String,
    pub required: bool,
    /// `None` for a field named `.` or `..` (made elsewhere than gumdash): browsers resolve such a
    /// path segment, even percent-encoded, so its links would open other pages.
    pub href: Option<String>,
}

impl CustomFieldView {
    pub fn new(field: &CustomField, product_href: &str) -> Self {
        Self {
            name: field.name.clone(),
            kind: CustomFieldKind::parse(&field.kind)
                .map(|k| k.label().to_owned())
                .unwrap_or_else(|_| field.kind.clone()),
            required: field.required,
            href: (!is_dot_segment(&field.name))
                .then(|| format!("{product_href}/custom-fields/{}", path_segment(&field.name))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_named_like_a_dot_segment_gets_no_links() {
        let field = |name: &str| CustomField {
            id: None,
            name: name.to_owned(),
            kind: "text".to_owned(),
            required: false,
        };
        for name in [".", ".."] {
            assert_eq!(CustomFieldView::new(&field(name), "/products/p").href, None);
        }
        assert_eq!(
            CustomFieldView::new(&field("..."), "/products/p")
                .href
                .as_deref(),
            Some("/products/p/custom-fields/...")
        );
    }

    #[test]
    fn names_with_slashes_and_spaces_stay_one_segment() {
        assert_eq!(path_segment("Company / Team?"), "Company%20%2F%20Team%3F");
        assert_eq!(path_segment(r"a\b"), "a%5Cb");
        assert_eq!(
            path_segment("A-m3CDDC5dlrSdKZp0RFhA=="),
            "A-m3CDDC5dlrSdKZp0RFhA=="
        );
    }
}
