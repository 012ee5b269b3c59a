//! The geocoder service (`ban geocoder`, and at the root of `ban serve`): the API of the French
//! address API (addok) — `GET /search/`, `GET /reverse/`, `POST /batch` — with its parameters,
//! errors and GeocodeJSON answers (BAN-DOMAIN §4.2–4.3), on a live index of the base.
pub mod config;
pub mod live;
pub mod openapi;
pub mod params;

use axum::extract::{DefaultBodyLimit, Multipart, RawQuery, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use ban_search::{csv, render, Index};
use ban_service_kit::{ApiError, Problem};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::cors::{Any, CorsLayer};

pub use config::GeocoderArgs;
pub use live::LiveIndex;
use openapi::also_without_slash;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes with their description: every route is added here, by its handler, whose
/// `#[utoipa::path]` gives its path, method and description (see [`openapi`]).
fn routes() -> OpenApiRouter<LiveIndex> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(also_without_slash(routes!(search)))
        .routes(also_without_slash(routes!(reverse)))
        .routes(routes!(batch))
        .merge(
            OpenApiRouter::new()
                .routes(also_without_slash(routes!(search_csv)))
                .routes(also_without_slash(routes!(reverse_csv)))
                .layer(DefaultBodyLimit::max(MAX_CSV_BYTES))
                .layer(axum::middleware::from_fn(refuse_announced_large)),
        )
        .routes(routes!(status))
        .routes(routes!(openapi::document))
}

/// The routes, at the root of the server. Every route answers any origin (CORS, preflight
/// included): the API is public and without credentials, and autocomplete widgets on other
/// sites call it from the browser, as they call the national address API.
pub fn router(live: LiveIndex) -> Router {
    let (router, _) = routes().split_for_parts();
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any)
        .max_age(std::time::Duration::from_secs(86_400));
    router.layer(cors).with_state(live)
}

fn not_ready() -> ApiError {
    ApiError::unavailable(
        "index_building",
        "L’index du géocodeur est en cours de construction ; réessayez dans quelques secondes.",
    )
}

fn read_index(live: &LiveIndex) -> Result<std::sync::RwLockReadGuard<'_, Index>, ApiError> {
    if !live.is_ready() {
        return Err(not_ready());
    }
    Ok(live.index.read().unwrap_or_else(|e| e.into_inner()))
}

#[utoipa::path(
    get,
    path = "/search/",
    tag = "geocodage",
    summary = "Géocodage : adresses, voies, lieux-dits et communes les plus proches du texte q (GeocodeJSON)",
    params(openapi::SearchParams),
    responses(
        (status = 200, description = "Les résultats, les meilleurs d’abord", body = openapi::GeocodeCollection),
        (status = 400, description = "Paramètre invalide", body = Problem, content_type = "application/problem+json"),
        openapi::IndexBuilding,
    )
)]
async fn search(State(live): State<LiveIndex>, RawQuery(raw): RawQuery) -> Result<Json<Value>, ApiError> {
    let query = params::search(raw.as_deref().unwrap_or(""))?;
    let index = read_index(&live)?;
    let hits = index.search(&query);
    Ok(Json(render::search_collection(&index, &query, &hits)))
}

#[utoipa::path(
    get,
    path = "/reverse/",
    tag = "geocodage",
    summary = "Géocodage inverse : les plus proches de lon/lat",
    params(openapi::ReverseParams),
    responses(
        (status = 200, description = "Les résultats, les plus proches d’abord", body = openapi::GeocodeCollection),
        (status = 400, description = "Paramètre invalide", body = Problem, content_type = "application/problem+json"),
        openapi::IndexBuilding,
    )
)]
async fn reverse(State(live): State<LiveIndex>, RawQuery(raw): RawQuery) -> Result<Json<Value>, ApiError> {
    let query = params::reverse(raw.as_deref().unwrap_or(""))?;
    let index = read_index(&live)?;
    let hits = index.reverse(&query);
    Ok(Json(render::reverse_collection(&index, &query, &hits)))
}

#[utoipa::path(
    get,
    path = "/geocoder/status",
    tag = "etat",
    summary = "État de l’index : construction, seq suivi, comptes, mémoire",
    responses(
        (status = 200, description = "L’état de l’index", body = openapi::IndexStatus),
    )
)]
async fn status(State(live): State<LiveIndex>) -> Json<Value> {
    let (stats, bytes) = {
        let index = live.index.read().unwrap_or_else(|e| e.into_inner());
        (index.stats(), index.heap_bytes())
    };
    let progress = match *live.progress.borrow() {
        live::Progress::Building { communes_done, communes } => {
            json!({"state": "building", "communesDone": communes_done, "communes": communes})
        }
        live::Progress::Following { seq } => json!({"state": "following", "seq": seq}),
    };
    Json(json!({
        "progress": progress,
        "communes": stats.communes,
        "documents": stats.documents,
        "housenumbers": stats.numbers,
        "tokens": stats.tokens,
        "indexBytes": bytes,
        "indexBytesPerHousenumber": bytes.checked_div(stats.numbers).unwrap_or(0),
    }))
}

/// The body of `POST /batch`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct BatchRequest {
    /// Parameters of every request (a request's own win).
    #[serde(default)]
    #[schema(value_type = Object)]
    params: serde_json::Map<String, Value>,
    /// 100 at most.
    requests: Vec<BatchItem>,
}

/// One request of a batch.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct BatchItem {
    /// Given back with the answer.
    #[schema(value_type = Object)]
    id: Value,
    /// `geocode` (or `search`) or `reverse`.
    operation: String,
    /// The parameters of `/search/` or `/reverse/` (defaults: `limit` 2, `autocomplete` 0).
    #[serde(default)]
    #[schema(value_type = Object)]
    params: serde_json::Map<String, Value>,
}

/// The most requests of one batch.
pub const MAX_BATCH: usize = 100;

/// `POST /batch` (addok-server): each request answered as the single call with the same
/// parameters would be (defaults: `limit` 2, `autocomplete` off).
#[utoipa::path(
    post,
    path = "/batch",
    tag = "geocodage",
    summary = "Lot de 100 requêtes au plus",
    request_body(content = BatchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Une réponse par requête, dans l’ordre (une requête invalide répond status error)", body = Vec<openapi::BatchAnswer>),
        (status = 400, description = "Corps invalide, ou plus de 100 requêtes", body = Problem, content_type = "application/problem+json"),
        openapi::IndexBuilding,
    )
)]
async fn batch(State(live): State<LiveIndex>, body: axum::body::Bytes) -> Result<Json<Value>, ApiError> {
    let request: BatchRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_batch", format!("Corps JSON invalide : {e}.")))?;
    if request.requests.len() > MAX_BATCH {
        return Err(ApiError::bad_request(
            "invalid_batch",
            format!("{} requêtes : {MAX_BATCH} au plus par lot.", request.requests.len()),
        ));
    }
    let index = read_index(&live)?;
    let mut answers = Vec::with_capacity(request.requests.len());
    for item in request.requests {
        let mut merged = serde_json::Map::new();
        merged.insert("limit".into(), json!(2));
        merged.insert("autocomplete".into(), json!(0));
        merged.extend(request.params.clone());
        merged.extend(item.params);
        let pairs: Vec<(String, String)> = merged
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
            .collect();
        let raw = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let answer = match item.operation.as_str() {
            "geocode" | "search" => params::search(&raw).map(|q| {
                let hits = index.search(&q);
                render::batch_result(&index, &hits)
            }),
            "reverse" => params::reverse(&raw).map(|q| {
                let hits = index.reverse(&q);
                render::batch_result(&index, &hits)
            }),
            other => {
                Err(ApiError::bad_request("invalid_operation", format!("Opération inconnue : {other:?}.")))
            }
        };
        answers.push(match answer {
            Ok((status, result)) => json!({"id": item.id, "status": status, "result": result}),
            Err(error) => json!({"id": item.id, "status": "error", "result": {"error": error.message}}),
        });
    }
    Ok(Json(Value::Array(answers)))
}

/// The largest CSV upload (the production site's tools cap uploads at 50 MiB).
pub const MAX_CSV_BYTES: usize = 50 * 1024 * 1024;

/// Refuses an upload whose announced `Content-Length` is over the limit before reading it
/// (an upload without one is cut at the limit while it is read: `DefaultBodyLimit`).
async fn refuse_announced_large(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|length| length > MAX_CSV_BYTES) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("Fichier trop gros : {MAX_CSV_BYTES} octets au plus."),
        )
        .into_response();
    }
    next.run(request).await
}

/// The file and options of a CSV request (multipart form).
async fn csv_request(mut form: Multipart) -> Result<(Vec<u8>, csv::CsvOptions), ApiError> {
    let mut data = None;
    let mut options = csv::CsvOptions::default();
    let refused = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(
            e.status(),
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "invalid_form" },
            e.body_text(),
        )
    };
    while let Some(field) = form.next_field().await.map_err(refused)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "data" {
            data = Some(field.bytes().await.map_err(refused)?.to_vec());
            continue;
        }
        let value = field.text().await.map_err(refused)?.trim().to_owned();
        match name.as_str() {
            "columns" => options.columns.push(value),
            "result_columns" => options.result_columns.push(value),
            "citycode" => options.citycode = Some(value),
            "postcode" => options.postcode = Some(value),
            "type" => options.kind = Some(value),
            "lat" | "latitude" => options.lat = Some(value),
            "lon" | "lng" | "long" | "longitude" => options.lon = Some(value),
            _ => {}
        }
    }
    let data = data.ok_or_else(|| {
        ApiError::bad_request("missing_data", "Le fichier CSV (champ data) est obligatoire.")
    })?;
    Ok((data, options))
}

async fn run_csv(live: LiveIndex, form: Multipart, geocode: csv::CsvGeocoding) -> Result<Response, ApiError> {
    let (data, options) = csv_request(form).await?;
    if !live.is_ready() {
        return Err(not_ready());
    }
    // The answer is streamed while the rows are geocoded. The channel is unbounded so that
    // the geocoding (which holds the index's read lock) never waits for a slow client.
    let index = live.index.clone();
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Result<Vec<u8>, csv::CsvError>>();
    tokio::task::spawn_blocking(move || {
        let index = index.read().unwrap_or_else(|e| e.into_inner());
        let blocks = sender.clone();
        let mut sink = move |block: Vec<u8>| {
            let _ = blocks.send(Ok(block));
        };
        let run = csv::CsvRun {
            index: &index,
            bytes: &data,
            options: &options,
            progress: &|_| {},
            sink: &mut sink,
        };
        if let Err(error) = geocode(run) {
            let _ = sender.send(Err(error));
        }
    });
    // Errors come before any output: the first message says which answer this is.
    let first = match receiver.recv().await {
        Some(Ok(block)) => block,
        Some(Err(error)) => return Err(ApiError::bad_request("invalid_csv", error.to_string())),
        None => return Err(ApiError::internal("internal_error", "CSV geocoding stopped")),
    };
    use tokio_stream::StreamExt as _;
    let rest = tokio_stream::wrappers::UnboundedReceiverStream::new(receiver);
    let body = tokio_stream::once(Ok::<_, csv::CsvError>(first))
        .chain(rest)
        .map(|block| block.map(axum::body::Bytes::from).map_err(std::io::Error::other));
    let output = axum::body::Body::from_stream(body);
    let mut response = output.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"geocoded.csv\""),
    );
    Ok(response)
}

#[utoipa::path(
    post,
    path = "/search/csv/",
    tag = "geocodage",
    summary = "Géocodage d’un fichier CSV",
    request_body(content = openapi::CsvForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Le fichier, avec les colonnes de résultat ajoutées (géocodé au fil de l’envoi)", content_type = "text/csv", body = String, headers(("content-disposition" = String, description = "attachment; filename=\"geocoded.csv\""))),
        openapi::CsvProblems,
        openapi::IndexBuilding,
    )
)]
async fn search_csv(State(live): State<LiveIndex>, form: Multipart) -> Result<Response, ApiError> {
    run_csv(live, form, csv::search_csv).await
}

#[utoipa::path(
    post,
    path = "/reverse/csv/",
    tag = "geocodage",
    summary = "Géocodage inverse d’un fichier CSV",
    request_body(content = openapi::CsvForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Le fichier, avec les colonnes de résultat ajoutées (géocodé au fil de l’envoi)", content_type = "text/csv", body = String, headers(("content-disposition" = String, description = "attachment; filename=\"geocoded.csv\""))),
        openapi::CsvProblems,
        openapi::IndexBuilding,
    )
)]
async fn reverse_csv(State(live): State<LiveIndex>, form: Multipart) -> Result<Response, ApiError> {
    run_csv(live, form, csv::reverse_csv).await
}
