//! The downloads service: the national base for reusers and mirrors.
//!
//! - `/data/ban/adresses/latest/{folder}/{file}`: exports of France, a département or a
//!   commune, streamed from the store (gzip), versioned by the feed (`ETag`, `Last-Modified`,
//!   `If-None-Match` → 304);
//! - `/ban/communes/{code}/download/{csv-bal|csv-legacy}/{adresses|lieux-dits}`: the
//!   per-commune CSV of the production platform (uncompressed);
//! - `/api/changes`: the change feed (ndjson pages, long poll with `wait`, or Server-Sent
//!   Events), by commune or département, or the base itself (`current=true`) for a new mirror;
//! - `/api/lookup/{id}`: an object by BAN id or legacy id; `/api/communes/{code}` and
//!   `/api/communes-summary(.csv)`.
pub mod cache;
pub mod config;
pub mod export;
pub mod feed;
pub mod lookup;
pub mod openapi;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use ban_exports::{BalVersion, CsvStyle, Format, Scope};
use ban_service_kit::{ApiError, Problem};
use ban_store::Store;
use serde::Deserialize;
use tracing::Instrument;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crate::config::DownloadsArgs;
use crate::export::{communes_of, version_of, ExportStream, Version};

/// What the routes share.
#[derive(Clone)]
pub struct DownloadsState {
    pub store: Arc<dyn Store>,
    pub head: feed::Head,
    pub cache: cache::ExportCache,
}

impl std::fmt::Debug for DownloadsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadsState").finish_non_exhaustive()
    }
}

impl DownloadsState {
    /// The state of a service on `store` (watches the feed's head for live readers; France
    /// files are kept in the directory of `args`).
    pub fn new(store: Arc<dyn Store>, args: &DownloadsArgs) -> Self {
        let head = feed::Head::watch(store.clone());
        DownloadsState { store, head, cache: cache::ExportCache::new(args.export_cache_dir.clone()) }
    }
}

/// The routes with their description: every route is added here, by its handler, whose
/// `#[utoipa::path]` gives its path, method and description (see [`openapi`]).
fn routes() -> OpenApiRouter<DownloadsState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(data_file))
        .routes(routes!(commune_download))
        .routes(routes!(feed::changes))
        .routes(routes!(lookup::lookup))
        .routes(routes!(lookup::commune_summary))
        .routes(routes!(lookup::communes_summary_json))
        .routes(routes!(lookup::communes_summary_csv))
        .routes(routes!(openapi::document))
}

/// The routes, at the root of the server.
pub fn router(state: DownloadsState) -> Router {
    let (router, _) = routes().split_for_parts();
    router.with_state(state)
}

/// A download of the site's layout.
#[utoipa::path(
    get,
    path = "/data/ban/adresses/latest/{folder}/{file}",
    tag = "exports",
    summary = "Export (gzip) de la France, d’un département ou d’une commune",
    description = "csv/adresses-{54|france|54084}.csv.gz, csv/lieux-dits-{…}-beta.csv.gz, csv-with-ids/adresses-with-ids-{…}.csv.gz, csv-with-ids/lieux-dits-with-ids-{…}-beta.csv.gz, csv-bal/adresses-{…}.csv.gz (BAL 1.3), csv-bal-1.4/adresses-{…}.csv.gz, geojson/adresses-{…}.geojson.gz, geojson/toponymes-{…}.geojson.gz, geojson/adresses-{…}.geojsonl.gz, addok/adresses-addok-{…}.ndjson.gz. ETag lié au seq du flux, If-None-Match → 304 ; plages d’octets pour les fichiers France déjà écrits.",
    params(("folder" = String, Path, description = "Format : csv, csv-with-ids, csv-bal, csv-bal-1.4, geojson, addok", example = "csv"), ("file" = String, Path, description = "Nom du fichier", example = "adresses-54.csv.gz"), ("if-none-match" = Option<String>, Header, description = "ETag d’une version déjà reçue")),
    responses(
        (status = 200, description = "Le fichier, compressé (gzip)", content_type = "application/gzip", body = String, headers(("etag" = String, description = "Version : format, périmètre et seq du dernier changement"), ("last-modified" = String), ("x-ban-seq" = i64, description = "Seq du dernier changement contenu"))),
        (status = 304, description = "Non modifié (If-None-Match)"),
        (status = 404, description = "Fichier ou commune inconnus", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn data_file(
    State(state): State<DownloadsState>,
    Path((folder, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (format, scope) = Format::parse_path(&folder, &file).ok_or_else(|| {
        ApiError::not_found(
            "unknown_file",
            format!("Aucun fichier {folder}/{file} : voir /api/openapi.json pour les formats et les noms."),
        )
    })?;
    let communes = communes_of(&*state.store, &scope).await?;
    if communes.is_empty() && matches!(scope, Scope::Commune(_)) {
        return Err(ApiError::not_found(
            "unknown_commune",
            format!("Commune {} absente de la base.", scope.name()),
        ));
    }
    let version = version_of(&communes);
    let etag = etag_of(format, &scope, &version);
    // Kept under the folder and the name: csv, csv-bal and csv-bal-1.4 share file names.
    let kept = cache::ExportCache::key(format, &file);
    let cached = (scope == Scope::France).then(|| state.cache.path(&kept, &version));
    let mut ranges = false;
    let mut response = if not_modified(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = if let Some(path) = cached.as_ref().filter(|p| p.exists()) {
            ranges = true;
            cache::serve_file(path, &headers)
                .await
                .map_err(|e| ApiError::internal("cache_unreadable", format!("{}: {e}", path.display())))?
        } else {
            let stream =
                ExportStream::new(state.store.clone(), format, scope, &communes, CsvStyle::Daily, true);
            match cached {
                Some(path) => state.cache.stream_and_keep(stream, path, kept, version.seq),
                None => streamed(stream),
            }
            .into_response()
        };
        // A `.gz` file, as a static site serves it (not a transfer encoding of the content).
        attachment(&mut response, "application/gzip", &file);
        response
    };
    version_headers(response.headers_mut(), &etag, &version, ranges);
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct DownloadQuery {
    version: Option<String>,
}

/// The per-commune CSV of the production platform (`csv-bal` in BAL 1.3, 1.4 or 1.5;
/// `csv-legacy` addresses or lieux-dits), uncompressed, CRLF.
#[utoipa::path(
    get,
    path = "/ban/communes/{code}/download/{format}/{kind}",
    tag = "exports",
    summary = "CSV d’une commune : csv-bal/adresses (?version=1.3|1.4|1.5), csv-legacy/adresses, csv-legacy/lieux-dits",
    params(("code" = String, Path, description = "Code INSEE de la commune", example = "54084"), ("format" = String, Path, description = "csv-bal ou csv-legacy"), ("kind" = String, Path, description = "adresses ou lieux-dits"), ("version" = Option<String>, Query, description = "csv-bal : 1.3 (par défaut), 1.4 ou 1.5"), ("if-none-match" = Option<String>, Header, description = "ETag d’une version déjà reçue")),
    responses(
        (status = 200, description = "Le fichier CSV, non compressé", content_type = "text/csv", body = String, headers(("etag" = String, description = "Version : format, périmètre et seq du dernier changement"), ("last-modified" = String), ("x-ban-seq" = i64, description = "Seq du dernier changement contenu"))),
        (status = 304, description = "Non modifié (If-None-Match)"),
        (status = 404, description = "Format, version ou commune inconnus", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn commune_download(
    State(state): State<DownloadsState>,
    Path((code, format, kind)): Path<(String, String, String)>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = match (format.as_str(), kind.as_str(), query.version.as_deref().unwrap_or("1.3")) {
        ("csv-bal", "adresses", "1.3") => Format::Bal(BalVersion::V1_3),
        ("csv-bal", "adresses", "1.4" | "1.5") => Format::Bal(BalVersion::V1_4),
        ("csv-bal", "adresses", other) => {
            return Err(ApiError::not_found(
                "unknown_version",
                format!("La version {other} n’est pas disponible (1.3, 1.4 ou 1.5)."),
            ))
        }
        ("csv-legacy", "adresses", _) => Format::Csv,
        ("csv-legacy", "lieux-dits", _) => Format::LieuxDits,
        _ => {
            return Err(ApiError::not_found(
                "unknown_format",
                format!("Format {format}/{kind} inconnu : csv-bal/adresses, csv-legacy/adresses ou csv-legacy/lieux-dits."),
            ))
        }
    };
    let scope = Scope::Commune(code.to_uppercase());
    let communes = communes_of(&*state.store, &scope).await?;
    if communes.is_empty() {
        return Err(ApiError::not_found(
            "unknown_commune",
            format!("Commune {code} non présente dans la BAN."),
        ));
    }
    let version = version_of(&communes);
    let etag = etag_of(format, &scope, &version);
    let mut response = if not_modified(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let stream =
            ExportStream::new(state.store.clone(), format, scope, &communes, CsvStyle::Download, false);
        let mut response = streamed(stream).into_response();
        attachment(&mut response, "text/csv; charset=utf-8", &format!("{kind}-{code}.csv"));
        response
    };
    version_headers(response.headers_mut(), &etag, &version, false);
    Ok(response)
}

/// An export's version tag: its format, scope and the last change it holds.
fn etag_of(format: Format, scope: &Scope, version: &Version) -> String {
    format!("\"{}-{}-{}\"", format.name(), scope.name(), version.seq)
}

/// A file to save: its type and name.
fn attachment(response: &mut Response, content_type: &'static str, file_name: &str) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
}

/// Whether the client already has this version (`If-None-Match`).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        })
}

fn version_headers(headers: &mut HeaderMap, etag: &str, version: &Version, ranges: bool) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(at) = version.changed_at {
        if let Ok(value) = HeaderValue::from_str(&at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
            headers.insert(header::LAST_MODIFIED, value);
        }
    }
    headers.insert("x-ban-seq", HeaderValue::from(version.seq));
    // Streamed exports are written on the fly: byte ranges only from a stored France file.
    if !ranges {
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("none"));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
}

/// A body fed by an export task, chunk by chunk (the task stops when the client leaves).
fn streamed(mut stream: ExportStream) -> axum::body::Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let export = async move {
        loop {
            let next = stream.next_chunk().await;
            let message = match next {
                Ok(Some(chunk)) => Ok(chunk),
                Ok(None) => break,
                Err(error) => {
                    tracing::error!(%error, "export stopped");
                    Err(std::io::Error::other(error.to_string()))
                }
            };
            let failed = message.is_err();
            if sender.send(message).await.is_err() || failed {
                break;
            }
        }
    };
    // In the request's span: a failure is logged under its request id.
    tokio::spawn(export.in_current_span());
    axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver))
}
