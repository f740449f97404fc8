//! What every form page shares: errors shown next to their fields, and the mapping of Gumroad's
//! own refusal messages to the field they are about.

use actix_web::error::UrlencodedError;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;

use super::error::AppError;
use super::session::{AppSession, FlashKind};

/// Errors of one submitted form, by field name, plus one not tied to any field.
#[derive(Debug, Default)]
pub struct FormErrors {
    fields: Vec<(&'static str, String)>,
    pub general: Option<String>,
}

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.fields.push((field, message.into()));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_none()
    }

    /// Records the error of a parse and keeps going, so one submission reports every bad field.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        parsed: Result<T, E>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.to_string());
                None
            }
        }
    }

    /// A unique constraint that fired on a form's write, as a message beside its field: `fields`
    /// maps constraint names to the field and the message. `None` for any other error (which the
    /// caller returns as usual: a 503 when the database is away, else a 500).
    pub fn from_unique_violation(
        error: &sqlx::Error,
        fields: &[(&str, &'static str, &str)],
    ) -> Option<Self> {
        let constraint = crate::store::unique_violation(error)?;
        let (_, field, message) = fields.iter().find(|(name, ..)| *name == constraint)?;
        let mut errors = Self::default();
        errors.add(field, *message);
        Some(errors)
    }

    /// Puts Gumroad's refusal beside the field it names (by keywords, first match wins), else on
    /// top of the form. Gumroad joins several messages into one sentence; it is shown whole.
    pub fn from_gumroad(message: &str, keywords: &[(&str, &'static str)]) -> Self {
        let lower = message.to_ascii_lowercase();
        let mut errors = Self::default();
        match keywords.iter().find(|(word, _)| lower.contains(word)) {
            Some((_, field)) => errors.add(field, message),
            None => errors.general = Some(message.to_owned()),
        }
        errors
    }
}

/// Form bodies up to 256 KiB (product descriptions are HTML); a body we cannot read gets a clear
/// page, not the "form expired" one, and not actix's plain-text error.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(256 * 1024)
        .error_handler(|error, _| {
            let too_large = matches!(error, UrlencodedError::Overflow { .. });
            tracing::info!(%error, "unreadable form body");
            if too_large {
                AppError::TooLarge
            } else {
                AppError::BadRequest
            }
            .into()
        })
}

/// A malformed query string (`?page=abc`) gets the clear 400 page.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        tracing::info!(%error, "unreadable query string");
        AppError::BadRequest.into()
    })
}

/// A form page re-rendered because of bad input: 422, never cached.
pub fn unprocessable(page: &impl Template) -> Result<HttpResponse, AppError> {
    render_with(StatusCode::UNPROCESSABLE_ENTITY, page)
}

/// A form sent back untouched because a limit was reached: 429 with `Retry-After`.
pub fn too_many_requests(
    page: &impl Template,
    wait: std::time::Duration,
) -> Result<HttpResponse, AppError> {
    let mut response = render_with(StatusCode::TOO_MANY_REQUESTS, page)?;
    let seconds = wait.as_secs().max(1);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(response)
}

/// A page with the given status, never cached (a refusal, a missing permission, an unknown outcome).
pub fn render_with(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let html = page.render().map_err(anyhow::Error::from)?;
    Ok(HttpResponse::build(status)
        .content_type(header::ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// A page read with a query that may have been refused in part (filters, ranges): 400 with the
/// messages beside the fields, else 200.
pub fn filtered_page(page: &impl Template, errors: &FormErrors) -> Result<HttpResponse, AppError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let html = page.render().map_err(anyhow::Error::from)?;
    Ok(HttpResponse::build(status)
        .content_type(header::ContentType::html())
        .body(html))
}

/// After a change that worked: say so on the next page, and send the browser there.
pub fn done(
    session: &AppSession,
    message: impl Into<String>,
    location: &str,
) -> Result<HttpResponse, AppError> {
    session.flash(FlashKind::Success, message)?;
    Ok(see_other(location))
}

/// POST-redirect-GET: after a successful change, the browser fetches the result page.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A list page's filters as a query string, blank ones left out, for links that keep them.
pub fn filter_query(filters: &[(&str, &str)]) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in filters {
        if !value.trim().is_empty() {
            url.append_pair(name, value.trim());
        }
    }
    url.finish()
}

/// Typed search text: trimmed, at most `max` characters, without control characters (PostgreSQL
/// text cannot hold U+0000; nobody types the others). `None` when nothing is left.
pub fn search_text(text: &str, max: usize) -> Option<String> {
    let text: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect();
    Some(text).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gumroads_message_lands_beside_the_field_it_names() {
        let keywords = [
            ("discount code", "name"),
            ("quantity", "max_purchase_count"),
        ];
        let errors = FormErrors::from_gumroad("Discount code must be unique.", &keywords);
        assert_eq!(errors.get("name"), Some("Discount code must be unique."));
        let errors = FormErrors::from_gumroad("Refunds are temporarily disabled.", &keywords);
        assert_eq!(
            errors.general.as_deref(),
            Some("Refunds are temporarily disabled.")
        );
        assert!(errors.get("name").is_none());
    }

    #[test]
    fn check_collects_every_bad_field() {
        let mut errors = FormErrors::default();
        let a: Option<i32> = errors.check("a", "x".parse::<i32>());
        let b: Option<i32> = errors.check("b", "2".parse::<i32>());
        assert_eq!((a, b), (None, Some(2)));
        assert!(errors.has("a") && !errors.has("b"));
    }
}
