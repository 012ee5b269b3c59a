//! The geocoder service (`ban geocoder`, and at the root of `ban serve`): the API of the French
//! address API (addok) — `GET /search/`, `GET /reverse/`, `POST /batch`, the CSV files — with
//! its parameters, errors and GeocodeJSON answers (BAN-DOMAIN §4.2–4.3), on a live index of the
//! base; and batch jobs for files too large for one request ([`jobs`]).
pub mod config;
pub mod jobs;
pub mod live;
pub mod openapi;
pub mod params;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef, Multipart, Path, RawQuery, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use ban_search::{csv, render, Index};
use ban_service_kit::{ApiError, Problem};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::cors::{Any, CorsLayer};

pub use config::GeocoderArgs;
use jobs::{JobError, JobRecord, Jobs, Operation};
pub use live::LiveIndex;
use openapi::also_without_slash;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What the routes share: the live index, the batch jobs, where uploads go and how large.
#[derive(Clone, Debug)]
pub struct GeocoderState {
    pub live: LiveIndex,
    jobs: Arc<Jobs>,
    uploads: PathBuf,
    csv_max_bytes: u64,
    job_max_bytes: u64,
    /// The files' directory held: its lock, and the directory itself when it is the
    /// process's own (removed with the last clone of the state).
    _files: Arc<(std::fs::File, Option<tempfile::TempDir>)>,
}

impl FromRef<GeocoderState> for LiveIndex {
    fn from_ref(state: &GeocoderState) -> LiveIndex {
        state.live.clone()
    }
}

impl GeocoderState {
    /// The routes' state on `live`, with the settings' files directory (made if missing,
    /// locked for this process, the uploads left by a killed process removed) and its batch
    /// jobs, run until `stop` resolves. Call it within a Tokio runtime.
    pub fn start(
        live: LiveIndex,
        settings: &GeocoderArgs,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<GeocoderState> {
        let (dir, own) = match settings.files_dir() {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                (dir, None)
            }
            None => {
                let own = tempfile::Builder::new().prefix("ban-geocoder-").tempdir()?;
                (own.path().to_owned(), Some(own))
            }
        };
        // Two processes on one directory would run each other's jobs: the second is refused.
        let lock = std::fs::File::create(dir.join("lock"))?;
        lock.try_lock().map_err(|_| {
            std::io::Error::other(format!("{} is used by another geocoder process", dir.display()))
        })?;
        let uploads = dir.join("uploads");
        let _ = std::fs::remove_dir_all(&uploads);
        std::fs::create_dir_all(&uploads)?;
        let jobs = Arc::new(Jobs::open(&dir.join("jobs"), settings.job_ttl_hours, settings.max_queued_jobs)?);
        jobs.start(live.clone(), stop);
        Ok(GeocoderState {
            live,
            jobs,
            uploads,
            csv_max_bytes: settings.csv_max_bytes,
            job_max_bytes: settings.job_max_bytes,
            _files: Arc::new((lock, own)),
        })
    }
}

/// The routes with their description: every route is added here, by its handler, whose
/// `#[utoipa::path]` gives its path, method and description (see [`openapi`]).
fn routes() -> OpenApiRouter<GeocoderState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(also_without_slash(routes!(search)))
        .routes(also_without_slash(routes!(reverse)))
        .routes(routes!(batch))
        .merge(
            // The CSV files are limited by the settings as they are written to disk.
            OpenApiRouter::new()
                .routes(also_without_slash(routes!(search_csv)))
                .routes(also_without_slash(routes!(reverse_csv)))
                .routes(routes!(submit_search_job))
                .routes(routes!(submit_reverse_job))
                .layer(DefaultBodyLimit::disable()),
        )
        .routes(routes!(job, delete_job))
        .routes(routes!(job_result))
        .routes(routes!(status))
        .routes(routes!(openapi::document))
}

/// The routes, at the root of the server. Every route answers any origin (CORS, preflight
/// included): the API is public and without credentials, and autocomplete widgets on other
/// sites call it from the browser, as they call the national address API.
pub fn router(state: GeocoderState) -> Router {
    let (router, _) = routes().split_for_parts();
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers(Any)
        .max_age(std::time::Duration::from_secs(86_400));
    router.layer(cors).with_state(state)
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

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("Fichier trop gros : {limit} octets au plus."),
    )
}

/// A CSV request's file, written to disk as it comes (never whole in memory), and its options.
struct CsvUpload {
    file: tempfile::NamedTempFile,
    bytes: u64,
    options: csv::CsvOptions,
}

/// Reads the multipart form of a CSV request: the `data` field to a file of the uploads'
/// directory, at most `limit` bytes (413 beyond; at once when the request announces more, so
/// that its client need not send it), the other fields as options (they may come before or
/// after the file).
async fn csv_upload(
    state: &GeocoderState,
    headers: &axum::http::HeaderMap,
    mut form: Multipart,
    limit: u64,
) -> Result<CsvUpload, ApiError> {
    use tokio::io::AsyncWriteExt as _;
    let announced =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit) {
        return Err(too_large(limit));
    }
    let mut upload = None;
    let mut options = csv::CsvOptions::default();
    let refused = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(
            e.status(),
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "invalid_form" },
            e.body_text(),
        )
    };
    let disk = |e: std::io::Error| {
        tracing::error!(error = %e, "geocoder: cannot write an upload");
        ApiError::internal("upload_failed", "Le fichier n’a pas pu être enregistré.")
    };
    while let Some(mut field) = form.next_field().await.map_err(refused)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "data" {
            let file = tempfile::NamedTempFile::new_in(&state.uploads).map_err(disk)?;
            let mut writer = tokio::io::BufWriter::with_capacity(
                1 << 20,
                tokio::fs::File::from_std(file.reopen().map_err(disk)?),
            );
            let mut bytes = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(refused)? {
                bytes += chunk.len() as u64;
                if bytes > limit {
                    return Err(too_large(limit));
                }
                writer.write_all(&chunk).await.map_err(disk)?;
            }
            writer.flush().await.map_err(disk)?;
            upload = Some((file, bytes));
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
    let (file, bytes) = upload.ok_or_else(|| {
        ApiError::bad_request("missing_data", "Le fichier CSV (champ data) est obligatoire.")
    })?;
    Ok(CsvUpload { file, bytes, options })
}

/// Blocks of the answer waiting to be sent, at most: a slow client holds the geocoding
/// (which reads the index a block at a time, so that the index is never held for it).
const BLOCKS_IN_FLIGHT: usize = 8;

async fn run_csv(
    state: GeocoderState,
    headers: axum::http::HeaderMap,
    form: Multipart,
    geocode: csv::CsvGeocoding,
) -> Result<Response, ApiError> {
    let upload = csv_upload(&state, &headers, form, state.csv_max_bytes).await?;
    if !state.live.is_ready() {
        return Err(not_ready());
    }
    // The file is checked whole, then geocoded and sent a block at a time, in constant memory.
    let index = state.live.index.clone();
    let (sender, mut receiver) =
        tokio::sync::mpsc::channel::<Result<Vec<u8>, csv::CsvError>>(BLOCKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let CsvUpload { file, options, .. } = upload;
        let source = ban_bal::read::FileSource(file.path().to_owned());
        let blocks = sender.clone();
        let mut sink = move |block: Vec<u8>| {
            blocks
                .blocking_send(Ok(block))
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))
        };
        let run = csv::CsvRun {
            index: &*index,
            file: &source,
            options: &options,
            progress: &|_, _| {},
            sink: &mut sink,
        };
        match geocode(run) {
            Ok(()) | Err(csv::CsvError::Output(_)) => {}
            Err(error) => {
                let _ = sender.blocking_send(Err(error));
            }
        }
        // The upload is deleted here, once geocoded.
        drop(file);
    });
    // Errors come before any output: the first message says which answer this is.
    let first = match receiver.recv().await {
        Some(Ok(block)) => block,
        Some(Err(error)) => return Err(ApiError::bad_request("invalid_csv", error.to_string())),
        None => return Err(ApiError::internal("internal_error", "CSV geocoding stopped")),
    };
    use tokio_stream::StreamExt as _;
    let rest = tokio_stream::wrappers::ReceiverStream::new(receiver);
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
    summary = "Géocodage d’un fichier CSV (colonnes de l’API Adresse ajoutées)",
    request_body(content = openapi::CsvForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Le fichier, avec les colonnes de résultat ajoutées (géocodé au fil de l’envoi)", content_type = "text/csv", body = String, headers(("content-disposition" = String, description = "attachment; filename=\"geocoded.csv\""))),
        openapi::CsvProblems,
        openapi::IndexBuilding,
    )
)]
async fn search_csv(
    State(state): State<GeocoderState>,
    headers: axum::http::HeaderMap,
    form: Multipart,
) -> Result<Response, ApiError> {
    run_csv(state, headers, form, csv::search_csv).await
}

#[utoipa::path(
    post,
    path = "/reverse/csv/",
    tag = "geocodage",
    summary = "Géocodage inverse d’un fichier CSV (colonnes lat et lon)",
    request_body(content = openapi::CsvForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Le fichier, avec les colonnes de résultat ajoutées (géocodé au fil de l’envoi)", content_type = "text/csv", body = String, headers(("content-disposition" = String, description = "attachment; filename=\"geocoded.csv\""))),
        openapi::CsvProblems,
        openapi::IndexBuilding,
    )
)]
async fn reverse_csv(
    State(state): State<GeocoderState>,
    headers: axum::http::HeaderMap,
    form: Multipart,
) -> Result<Response, ApiError> {
    run_csv(state, headers, form, csv::reverse_csv).await
}

/// A job's record with the links to follow it.
fn job_answer(record: &JobRecord) -> Value {
    let mut answer = serde_json::to_value(record).unwrap_or(Value::Null);
    let id = &record.id;
    answer["links"] = json!({
        "self": format!("/geocoder/jobs/{id}"),
        "result": format!("/geocoder/jobs/{id}/result"),
    });
    answer
}

fn job_problem(error: JobError) -> ApiError {
    match error {
        JobError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "job_not_found", "Tâche inconnue."),
        JobError::Expired => ApiError::new(
            StatusCode::GONE,
            "job_expired",
            "Tâche terminée depuis plus longtemps que sa durée de conservation : ses fichiers sont supprimés.",
        ),
        JobError::Full => ApiError::unavailable(
            "jobs_queue_full",
            "Trop de tâches en attente : réessayez dans quelques minutes.",
        )
        .retry_after(60),
        JobError::NotDone(status) => ApiError::new(
            StatusCode::CONFLICT,
            "job_not_done",
            format!("Le résultat n’est pas prêt : la tâche est {}.", match status {
                jobs::JobStatus::Queued => "en attente",
                jobs::JobStatus::Running => "en cours",
                jobs::JobStatus::Failed => "en échec (voir error)",
                jobs::JobStatus::Done => "terminée",
            }),
        ),
    }
}

async fn submit_job(
    state: GeocoderState,
    headers: axum::http::HeaderMap,
    form: Multipart,
    operation: Operation,
) -> Result<Response, ApiError> {
    // A full queue refuses before the file is read.
    state.jobs.room().map_err(job_problem)?;
    let upload = csv_upload(&state, &headers, form, state.job_max_bytes).await?;
    let jobs = state.jobs.clone();
    let record = tokio::task::spawn_blocking(move || {
        jobs.submit(operation, upload.options, upload.file, upload.bytes)
    })
    .await
    .map_err(|e| ApiError::internal("internal_error", e.to_string()))?
    .map_err(|e| {
        tracing::error!(error = %e, "geocoder: cannot keep a batch job");
        ApiError::internal("upload_failed", "La tâche n’a pas pu être enregistrée.")
    })?
    .map_err(job_problem)?;
    let mut response = (StatusCode::ACCEPTED, Json(job_answer(&record))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/geocoder/jobs/{}", record.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(
    post,
    path = "/geocoder/jobs/search",
    tag = "taches",
    summary = "Tâche de géocodage d’un gros fichier CSV : répond tout de suite, à suivre",
    request_body(content = openapi::CsvForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "La tâche, en attente (à suivre à l’adresse Location)", body = openapi::JobAnswer, headers(("location" = String, description = "/geocoder/jobs/{id}"))),
        openapi::CsvProblems,
        (status = 503, description = "Trop de tâches en attente (GEOCODER_MAX_QUEUED_JOBS) : réessayer après Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn submit_search_job(
    State(state): State<GeocoderState>,
    headers: axum::http::HeaderMap,
    form: Multipart,
) -> Result<Response, ApiError> {
    submit_job(state, headers, form, Operation::Search).await
}

#[utoipa::path(
    post,
    path = "/geocoder/jobs/reverse",
    tag = "taches",
    summary = "Tâche de géocodage inverse d’un gros fichier CSV",
    request_body(content = openapi::CsvForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "La tâche, en attente (à suivre à l’adresse Location)", body = openapi::JobAnswer, headers(("location" = String, description = "/geocoder/jobs/{id}"))),
        openapi::CsvProblems,
        (status = 503, description = "Trop de tâches en attente (GEOCODER_MAX_QUEUED_JOBS) : réessayer après Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn submit_reverse_job(
    State(state): State<GeocoderState>,
    headers: axum::http::HeaderMap,
    form: Multipart,
) -> Result<Response, ApiError> {
    submit_job(state, headers, form, Operation::Reverse).await
}

#[utoipa::path(
    get,
    path = "/geocoder/jobs/{id}",
    tag = "taches",
    summary = "Où en est une tâche : lignes faites, sur combien",
    params(("id" = String, Path, description = "L’identifiant de la tâche")),
    responses(
        (status = 200, description = "La tâche", body = openapi::JobAnswer),
        (status = 404, description = "Tâche inconnue", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Tâche expirée, fichiers supprimés", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn job(State(state): State<GeocoderState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    state.jobs.get(&id).map(|record| Json(job_answer(&record))).map_err(job_problem)
}

#[utoipa::path(
    get,
    path = "/geocoder/jobs/{id}/result",
    tag = "taches",
    summary = "Le fichier géocodé d’une tâche terminée",
    params(("id" = String, Path, description = "L’identifiant de la tâche")),
    responses(
        (status = 200, description = "Le fichier, avec les colonnes de résultat ajoutées", content_type = "text/csv", body = String),
        (status = 404, description = "Tâche inconnue", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Pas encore terminée, ou en échec", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Tâche expirée, fichiers supprimés", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn job_result(
    State(state): State<GeocoderState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (path, _) = state.jobs.result(&id).map_err(job_problem)?;
    let file = tokio::fs::File::open(&path).await.map_err(|_| job_problem(JobError::NotFound))?;
    let length = file.metadata().await.map(|m| m.len()).ok();
    let body = axum::body::Body::from_stream(file_stream(file));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"geocoded.csv\""),
    );
    Ok(response)
}

#[utoipa::path(
    delete,
    path = "/geocoder/jobs/{id}",
    tag = "taches",
    summary = "Annule une tâche, ou supprime ses fichiers",
    params(("id" = String, Path, description = "L’identifiant de la tâche")),
    responses(
        (status = 204, description = "Annulée, fichiers supprimés"),
        (status = 404, description = "Tâche inconnue", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Tâche expirée, fichiers supprimés", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_job(
    State(state): State<GeocoderState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.jobs.delete(&id).map(|()| StatusCode::NO_CONTENT).map_err(job_problem)
}

/// A file read a chunk at a time, as a body's stream.
fn file_stream(
    mut file: tokio::fs::File,
) -> tokio_stream::wrappers::ReceiverStream<std::io::Result<axum::body::Bytes>> {
    use tokio::io::AsyncReadExt as _;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let chunk = match file.read(&mut buffer).await {
                Ok(0) => return,
                Ok(n) => Ok(axum::body::Bytes::copy_from_slice(&buffer[..n])),
                Err(error) => Err(error),
            };
            let failed = chunk.is_err();
            if sender.send(chunk).await.is_err() || failed {
                return;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}
