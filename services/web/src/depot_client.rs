//! The web pages as a platform client of their own of the depot (and a reader of the
//! geocoder's status): [`DepotClient`] calls the depot's HTTP API with the web's client token,
//! in process when `ban serve` runs the depot too (its `Router`, called without a socket), over
//! HTTP when `ban web` runs alone (`WEB_DEPOT_URL`, `WEB_DEPOT_TOKEN`). Only the routes the
//! publication flow needs are here: the pages are no open proxy, and the token never leaves
//! the server.
use std::net::{IpAddr, SocketAddr};

use ban_service_kit::limits::client_address;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use tower::ServiceExt as _;

pub use ban_store::{Habilitation, HabilitationStatus, RevisionStatus};

/// Where a service answers: its router in this process, or its base URL.
#[derive(Clone)]
pub enum Upstream {
    /// Called with `oneshot`, without a socket (`ban serve`).
    InProcess(Router),
    /// `http://host:port/prefix`, without a trailing slash (`ban web` alone).
    Http { base: String, http: reqwest::Client },
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Upstream::InProcess(_) => f.write_str("InProcess"),
            Upstream::Http { base, .. } => f.debug_tuple("Http").field(base).finish(),
        }
    }
}

/// Seconds an HTTP call to another service may take (a compute of a large file included).
const HTTP_TIMEOUT_S: u64 = 120;

impl Upstream {
    pub fn http(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(HTTP_TIMEOUT_S))
            .build()
            .unwrap_or_default();
        Upstream::Http { base: base.trim_end_matches('/').to_owned(), http }
    }
}

/// The browser a call is made for: its address is passed on, so that the depot's limits per
/// address (PIN code checks, failed authentications) count the person, not the web server.
/// The address is the connection's, or the proxy's `X-Forwarded-For` when the server trusts
/// it (`TRUST_FORWARDED_FOR`), as the depot reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Browser(pub Option<IpAddr>);

impl axum::extract::FromRequestParts<crate::WebState> for Browser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::WebState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(Browser(client_address(parts, state.trust_forwarded_for)))
    }
}

/// A call that did not succeed: the depot's problem (status, stable code, French message), or
/// a depot that could not be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct DepotError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Seconds to wait (`Retry-After`), on a 429 or a 503.
    pub retry_after: Option<u64>,
    /// The fields at fault, each with what is wrong (`errors` of the depot's answer).
    pub errors: Vec<FieldError>,
}

/// A field of a request the depot refused, and why (`errors[]` of its problem answer).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    /// The field's path in the request (`changesRequested.numero`).
    pub field: String,
    pub message: String,
}

impl DepotError {
    fn unreachable(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "depot unreachable");
        DepotError {
            status: StatusCode::BAD_GATEWAY,
            code: "depot_unreachable".into(),
            message: "Le service de dépôt ne répond pas : réessayez dans quelques minutes.".into(),
            retry_after: None,
            errors: Vec::new(),
        }
    }
}

/// The answer of a call: its status and body.
struct Answer {
    status: StatusCode,
    retry_after: Option<u64>,
    body: Bytes,
}

impl Answer {
    fn json<T: DeserializeOwned>(self) -> Result<T, DepotError> {
        if !self.status.is_success() {
            #[derive(Deserialize)]
            struct Problem {
                code: Option<String>,
                detail: Option<String>,
                field: Option<String>,
                #[serde(default)]
                errors: Vec<FieldError>,
            }
            let problem: Option<Problem> = serde_json::from_slice(&self.body).ok();
            let (code, detail, mut errors) = problem
                .map(|p| (p.code, p.detail.clone(), field_errors(p.field, p.detail, p.errors)))
                .unwrap_or_default();
            errors.retain(|e| !e.field.is_empty());
            return Err(DepotError {
                status: self.status,
                code: code.unwrap_or_else(|| "depot_error".into()),
                message: detail.unwrap_or_else(|| format!("Le service de dépôt a répondu {}.", self.status)),
                retry_after: self.retry_after,
                errors,
            });
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| DepotError::unreachable(format!("unexpected answer: {e}")))
    }
}

impl Upstream {
    /// `method path` with `body`, and the web's token when given.
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&SecretString>,
        body: Option<(&'static str, Bytes)>,
        browser: Browser,
    ) -> Result<Answer, DepotError> {
        match self {
            Upstream::InProcess(router) => {
                let mut request = Request::builder().method(method).uri(path);
                if let Some(token) = token {
                    request =
                        request.header(header::AUTHORIZATION, format!("Token {}", token.expose_secret()));
                }
                let request = match body {
                    Some((content_type, bytes)) => {
                        request.header(header::CONTENT_TYPE, content_type).body(Body::from(bytes))
                    }
                    None => request.body(Body::empty()),
                };
                let mut request = request.map_err(DepotError::unreachable)?;
                // As if the browser had called the depot itself.
                if let Some(ip) = browser.0 {
                    request.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 0)));
                }
                let response = router.clone().oneshot(request).await.map_err(DepotError::unreachable)?;
                let status = response.status();
                let retry_after = retry_after(response.headers().get(header::RETRY_AFTER));
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .map_err(DepotError::unreachable)?;
                Ok(Answer { status, retry_after, body })
            }
            Upstream::Http { base, http } => {
                let mut request = http.request(method, format!("{base}{path}"));
                if let Some(token) = token {
                    request =
                        request.header(header::AUTHORIZATION, format!("Token {}", token.expose_secret()));
                }
                // Read by a depot that trusts its proxies (`TRUST_FORWARDED_FOR`).
                if let Some(ip) = browser.0 {
                    request = request.header("x-forwarded-for", ip.to_string());
                }
                if let Some((content_type, bytes)) = body {
                    request = request.header(header::CONTENT_TYPE, content_type).body(bytes);
                }
                let response = request.send().await.map_err(DepotError::unreachable)?;
                let status = response.status();
                let retry_after = retry_after(response.headers().get(header::RETRY_AFTER));
                let body = response.bytes().await.map_err(DepotError::unreachable)?;
                Ok(Answer { status, retry_after, body })
            }
        }
    }
}

/// The fields at fault of a problem: its `errors`, or its one `field` with its `detail`.
fn field_errors(field: Option<String>, detail: Option<String>, errors: Vec<FieldError>) -> Vec<FieldError> {
    match (errors.is_empty(), field) {
        (true, Some(field)) => vec![FieldError { field, message: detail.unwrap_or_default() }],
        _ => errors,
    }
}

fn retry_after(value: Option<&HeaderValue>) -> Option<u64> {
    value?.to_str().ok()?.trim().parse().ok()
}

/// A revision as the flow reads it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    pub id: String,
    pub code_commune: String,
    pub status: RevisionStatus,
    pub is_ready: bool,
    #[serde(default)]
    pub is_current: bool,
    /// The stored validation (see [`crate::publish::DepotValidation`]), once computed.
    pub validation: Option<Value>,
    #[serde(default)]
    pub context: Value,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// What became of the publication (absent before it).
    pub consolidation: Option<Consolidation>,
}

/// The consolidation of a published revision.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consolidation {
    /// `pending`, `running`, `applied`, `unchanged`, `superseded`, `skipped`, `refused`, `failed`.
    pub status: String,
    /// The status in plain French.
    pub label: String,
    pub updated_at: DateTime<Utc>,
    pub changes: Option<ban_store::ChangeCounts>,
    pub refusal: Option<Refusal>,
}

/// Why a consolidation was refused, in words.
#[derive(Debug, Clone, Deserialize)]
pub struct Refusal {
    pub message: String,
    pub advice: String,
}

/// A report as the depot answers it (public view: never its author).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportView {
    pub id: String,
    pub code_commune: String,
    #[serde(rename = "type")]
    pub kind: ban_store::ReportType,
    pub status: ban_store::ReportStatus,
    pub created_at: DateTime<Utc>,
}

/// What the commune decides on a report.
#[derive(Debug, Clone, Copy)]
pub struct ReportDecision<'a> {
    /// `PROCESSED` or `IGNORED`.
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub habilitation: &'a str,
}

/// The depot, as the web's own client.
#[derive(Clone)]
pub struct DepotClient {
    depot: Upstream,
    token: SecretString,
    /// The geocoder, to tell when a publication is searchable.
    geocoder: Option<Upstream>,
}

impl std::fmt::Debug for DepotClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DepotClient").field("depot", &self.depot).field("geocoder", &self.geocoder).finish()
    }
}

const JSON: &str = "application/json";

impl DepotClient {
    pub fn new(depot: Upstream, token: SecretString, geocoder: Option<Upstream>) -> Self {
        DepotClient { depot, token, geocoder }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<(&'static str, Bytes)>,
        browser: Browser,
    ) -> Result<T, DepotError> {
        self.depot.call(method, path, Some(&self.token), body, browser).await?.json()
    }

    fn json_body(value: Value) -> Option<(&'static str, Bytes)> {
        Some((JSON, Bytes::from(value.to_string())))
    }

    /// `GET /communes/{code}/emails`: the town hall's addresses a code may be sent to.
    pub async fn emails(&self, code: &str) -> Result<Vec<String>, DepotError> {
        self.depot
            .call(Method::GET, &format!("/communes/{code}/emails"), None, None, Browser::default())
            .await?
            .json()
    }

    /// `POST /communes/{code}/revisions`, then the file put and computed: the revision with its
    /// validation.
    pub async fn submit(&self, code: &str, file: Bytes, browser: Browser) -> Result<Revision, DepotError> {
        let context = json!({"context": {"organisation": "Mairie", "extras": {"via": "publier"}}});
        let created: Revision = self
            .send(Method::POST, &format!("/communes/{code}/revisions"), Self::json_body(context), browser)
            .await?;
        let _: Value = self
            .send(
                Method::PUT,
                &format!("/revisions/{}/files/bal", created.id),
                Some(("text/csv", file)),
                browser,
            )
            .await?;
        self.send(Method::POST, &format!("/revisions/{}/compute", created.id), None, browser).await
    }

    /// `GET /revisions/{id}` (a draft of the web's is readable with its token).
    pub async fn revision(&self, id: &str) -> Result<Revision, DepotError> {
        self.send(Method::GET, &format!("/revisions/{id}"), None, Browser::default()).await
    }

    /// `GET /communes/{code}/current-revision`: `None` when the commune has none.
    pub async fn current_revision(&self, code: &str) -> Result<Option<Revision>, DepotError> {
        match self
            .send(Method::GET, &format!("/communes/{code}/current-revision"), None, Browser::default())
            .await
        {
            Ok(revision) => Ok(Some(revision)),
            Err(e) if e.status == StatusCode::NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /communes/{code}/habilitations`.
    pub async fn open_habilitation(&self, code: &str, browser: Browser) -> Result<Habilitation, DepotError> {
        self.send(Method::POST, &format!("/communes/{code}/habilitations"), None, browser).await
    }

    /// `GET /habilitations/{id}`.
    pub async fn habilitation(&self, id: &str) -> Result<Habilitation, DepotError> {
        self.send(Method::GET, &format!("/habilitations/{id}"), None, Browser::default()).await
    }

    /// `POST /habilitations/{id}/authentication/email/send-pin-code`.
    pub async fn send_code(
        &self,
        id: &str,
        email: &str,
        browser: Browser,
    ) -> Result<Habilitation, DepotError> {
        let path = format!("/habilitations/{id}/authentication/email/send-pin-code");
        self.send(Method::POST, &path, Self::json_body(json!({"email": email})), browser).await
    }

    /// `POST /habilitations/{id}/authentication/email/validate-pin-code`.
    pub async fn check_code(
        &self,
        id: &str,
        code: &str,
        browser: Browser,
    ) -> Result<Habilitation, DepotError> {
        let path = format!("/habilitations/{id}/authentication/email/validate-pin-code");
        self.send(Method::POST, &path, Self::json_body(json!({"code": code})), browser).await
    }

    /// `POST /revisions/{id}/publish` with the habilitation.
    pub async fn publish(
        &self,
        id: &str,
        habilitation: &str,
        browser: Browser,
    ) -> Result<Revision, DepotError> {
        let body = Self::json_body(json!({"habilitationId": habilitation}));
        self.send(Method::POST, &format!("/revisions/{id}/publish"), body, browser).await
    }

    /// `POST /signalements`: a citizen's report, sent without the web's token (the depot counts
    /// it as the page's, from the browser's address); the report as recorded.
    pub async fn create_report(&self, report: &Value, browser: Browser) -> Result<ReportView, DepotError> {
        let body = Self::json_body(report.clone());
        self.depot.call(Method::POST, "/signalements", None, body, browser).await?.json()
    }

    /// `GET /signalements/{id}` (public view).
    pub async fn report(&self, id: &str) -> Result<ReportView, DepotError> {
        self.depot
            .call(Method::GET, &format!("/signalements/{id}"), None, None, Browser::default())
            .await?
            .json()
    }

    /// `PUT /signalements/{id}`: the commune's decision, with its accepted habilitation.
    pub async fn decide_report(
        &self,
        id: &str,
        decision: ReportDecision<'_>,
        browser: Browser,
    ) -> Result<ReportView, DepotError> {
        let body = Self::json_body(json!({
            "status": decision.status,
            "rejectionReason": decision.reason,
            "habilitationId": decision.habilitation,
        }));
        self.send(Method::PUT, &format!("/signalements/{id}"), body, browser).await
    }

    /// `POST /communes/{code}/signalements/ignore`: reports ignored at once as spam, with the
    /// commune's accepted habilitation; the ids ignored (those not pending any more are left).
    pub async fn ignore_reports(
        &self,
        code: &str,
        ids: &[String],
        reason: Option<&str>,
        habilitation: &str,
        browser: Browser,
    ) -> Result<Vec<String>, DepotError> {
        #[derive(Deserialize)]
        struct Ignored {
            ignored: Vec<String>,
        }
        let body =
            Self::json_body(json!({"ids": ids, "rejectionReason": reason, "habilitationId": habilitation}));
        let path = format!("/communes/{code}/signalements/ignore");
        let ignored: Ignored = self.send(Method::POST, &path, body, browser).await?;
        Ok(ignored.ignored)
    }

    /// The feed seq the geocoder's index has reached (`GET /geocoder/status`), `None` while it
    /// builds or when no geocoder is known.
    pub async fn geocoder_seq(&self) -> Option<i64> {
        let geocoder = self.geocoder.as_ref()?;
        let status: Value = geocoder
            .call(Method::GET, "/geocoder/status", None, None, Browser::default())
            .await
            .ok()?
            .json()
            .ok()?;
        status["progress"]["seq"].as_i64()
    }

    /// The first result of a search restricted to a commune (`GET /search/?q=…&citycode=…`).
    pub async fn first_result(&self, text: &str, code: &str) -> Option<String> {
        let geocoder = self.geocoder.as_ref()?;
        let query = serde_urlencoded::to_string([("q", text), ("citycode", code), ("limit", "1")]).ok()?;
        let found: Value = geocoder
            .call(Method::GET, &format!("/search/?{query}"), None, None, Browser::default())
            .await
            .ok()?
            .json()
            .ok()?;
        found["features"][0]["properties"]["label"].as_str().map(str::to_owned)
    }

    /// Whether a geocoder is known (else searchability cannot be told).
    pub fn has_geocoder(&self) -> bool {
        self.geocoder.is_some()
    }
}
