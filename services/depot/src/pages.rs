//! The pages of the depot's lists: `?page=N&limit=M` read and checked, and the answer's
//! headers that say where the rest is. The body stays the JSON array the production API
//! answers (an existing client reads the first page unchanged); `X-Total-Count` gives the
//! whole list's size and `Link` (RFC 8288) the `first`, `prev`, `next` and `last` pages.
use axum::http::{HeaderMap, HeaderValue, Uri};
use ban_service_kit::ApiError;
use ban_store::{Page, PageRequest};
use serde::Deserialize;

/// Items of a page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;
/// The largest `limit` accepted.
pub const MAX_LIMIT: u32 = 1000;

/// `page` and `limit`, as given: read as text so that a wrong value gets an answer that
/// names it.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// La page, à partir de 1 (1 par défaut).
    #[param(value_type = Option<u64>, minimum = 1, example = 1)]
    page: Option<String>,
    /// Éléments par page, de 1 à 1 000 (100 par défaut).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, example = 100)]
    limit: Option<String>,
}

/// A checked page: its number (from 1) and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub limit: u32,
}

impl PageQuery {
    /// The page asked for, or a 400 that names the parameter and its range.
    pub fn paging(&self) -> Result<Paging, ApiError> {
        let page = match self.page.as_deref() {
            None => 1,
            Some(text) => text.trim().parse::<u64>().ok().filter(|&n| n >= 1).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_page",
                    format!("page « {text} » : attendu un entier à partir de 1."),
                )
            })?,
        };
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(text) => {
                text.trim().parse::<u32>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_limit",
                        format!("limit « {text} » : attendu un entier de 1 à {MAX_LIMIT}."),
                    )
                })?
            }
        };
        // Far pages are empty, not an overflow.
        if page.checked_mul(u64::from(limit)).is_none() {
            return Err(ApiError::bad_request("invalid_page", format!("page « {page} » : trop grande.")));
        }
        Ok(Paging { page, limit })
    }
}

impl Paging {
    /// The rows the store reads for this page.
    pub fn request(&self) -> PageRequest {
        PageRequest { offset: (self.page - 1) * u64::from(self.limit), limit: self.limit }
    }

    /// `X-Total-Count` and `Link` for this page of a list of `total` items read at `uri`
    /// (the request's, whose other parameters the links keep).
    pub fn headers<T>(&self, uri: &Uri, page: &Page<T>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-total-count", HeaderValue::from(page.total));
        let last = page.total.div_ceil(u64::from(self.limit)).max(1);
        let mut links = vec![(1, "first")];
        if self.page > 1 {
            links.push(((self.page - 1).min(last), "prev"));
        }
        if self.page < last {
            links.push((self.page + 1, "next"));
        }
        links.push((last, "last"));
        let link = links
            .iter()
            .map(|(number, rel)| format!("<{}>; rel=\"{rel}\"", self.link(uri, *number)))
            .collect::<Vec<_>>()
            .join(", ");
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.insert(axum::http::header::LINK, value);
        }
        headers
    }

    /// `uri` with `page=number` and this page's `limit`, its other parameters kept.
    fn link(&self, uri: &Uri, number: u64) -> String {
        let mut query: Vec<&str> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page=") && !p.starts_with("limit="))
            .collect();
        let paging = format!("page={number}&limit={}", self.limit);
        query.push(&paging);
        format!("{}?{}", uri.path(), query.join("&"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn query(page: Option<&str>, limit: Option<&str>) -> PageQuery {
        PageQuery { page: page.map(Into::into), limit: limit.map(Into::into) }
    }

    #[test]
    fn pages_are_checked() {
        assert_eq!(query(None, None).paging().unwrap(), Paging { page: 1, limit: DEFAULT_LIMIT });
        assert_eq!(query(Some("3"), Some("1000")).paging().unwrap(), Paging { page: 3, limit: 1000 });
        for (page, limit, code) in [
            (Some("0"), None, "invalid_page"),
            (Some("-1"), None, "invalid_page"),
            (Some("un"), None, "invalid_page"),
            (Some("18446744073709551615"), Some("2"), "invalid_page"),
            (None, Some("0"), "invalid_limit"),
            (None, Some("1001"), "invalid_limit"),
            (None, Some("dix"), "invalid_limit"),
        ] {
            let error = query(page, limit).paging().unwrap_err();
            assert_eq!(error.code, code, "{page:?} {limit:?}");
        }
    }

    #[test]
    fn links_keep_the_other_parameters() {
        let uri: Uri = "/api-depot/communes/54084/revisions?status=all&page=2&limit=2".parse().unwrap();
        let paging = Paging { page: 2, limit: 2 };
        let headers = paging.headers(&uri, &Page::<()> { items: vec![], total: 5 });
        assert_eq!(headers["x-total-count"], "5");
        let path = "/api-depot/communes/54084/revisions?status=all";
        assert_eq!(
            headers["link"],
            format!(
                "<{path}&page=1&limit=2>; rel=\"first\", <{path}&page=1&limit=2>; rel=\"prev\", \
                 <{path}&page=3&limit=2>; rel=\"next\", <{path}&page=3&limit=2>; rel=\"last\""
            )
        );
    }
}
