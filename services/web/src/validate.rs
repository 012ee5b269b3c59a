//! `POST /api/validate`: a BAL file checked as the depot checks it, not stored. The answer is
//! the report in JSON (verdict, profile, every code with its French label and count, the first
//! findings of each), or every finding streamed as CSV or NDJSON (`?format=`). The validator
//! page renders the same [`ValidationAnswer`].
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ban_bal::{Finding, Options, Profile, Report};
use ban_domain::Level;
use ban_service_kit::{ApiError, Problem};
use serde::{Deserialize, Serialize};
use tokio::sync::OwnedSemaphorePermit;

use crate::WebState;

/// The largest file accepted, as the depot's (50 MB).
pub const MAX_FILE_BYTES: usize = 50_000_000;
/// What a multipart form adds around the file (its boundaries and other fields).
pub const FORM_OVERHEAD_BYTES: usize = 64 * 1024;
/// Findings of each code kept in the JSON report and shown on the page.
pub const FINDINGS_PER_CODE: usize = 20;
/// Bytes of findings gathered before they are sent, when streamed.
const FINDINGS_CHUNK: usize = 64 * 1024;

/// The query of `POST /api/validate`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValidateQuery {
    /// `json` (le rapport, par défaut), `csv` ou `ndjson` (toutes les anomalies, en flux).
    #[param(example = "json")]
    pub format: Option<String>,
    /// Profil imposé : `1.3`, `1.4`, `1.5` ou `1.3-relax` ; détecté d’après les colonnes par défaut (`auto`).
    #[param(example = "1.4")]
    pub profile: Option<String>,
}

/// How the findings are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerFormat {
    Json,
    Csv,
    Ndjson,
}

impl AnswerFormat {
    pub fn parse(format: Option<&str>) -> Result<Self, ApiError> {
        match format.unwrap_or("json") {
            "json" => Ok(AnswerFormat::Json),
            "csv" => Ok(AnswerFormat::Csv),
            "ndjson" => Ok(AnswerFormat::Ndjson),
            other => Err(ApiError::bad_request(
                "invalid_format",
                format!("Format inconnu : {other} (json, csv ou ndjson)."),
            )),
        }
    }
}

/// A profile as a form or a query gives it: `auto` (or nothing) lets the validator detect it.
pub fn parse_profile(name: Option<&str>) -> Result<Option<Profile>, ApiError> {
    match name.map(str::trim) {
        None | Some("") | Some("auto") => Ok(None),
        Some(name) => Profile::parse(name).map(Some).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_profile",
                format!("Profil inconnu : {name} (auto, 1.3, 1.4, 1.5 ou 1.3-relax)."),
            )
        }),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!("Le fichier dépasse la taille maximale de {MAX_FILE_BYTES} octets."),
    )
}

fn missing() -> ApiError {
    ApiError::bad_request("file_missing", "Aucun fichier reçu : joignez un fichier BAL (champ « file »).")
}

/// A file received, with the profile its form named (if any).
#[derive(Debug)]
pub struct Upload {
    pub bytes: Bytes,
    /// The name the form gave the file.
    pub file_name: Option<String>,
    pub profile: Option<String>,
}

/// Reads a multipart form: its `file` field (at most [`MAX_FILE_BYTES`], read a chunk at a
/// time so that a larger one is refused before it is all in memory) and its `profile`.
pub async fn read_form(mut form: Multipart) -> Result<Upload, ApiError> {
    let invalid = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request("invalid_form", format!("Formulaire illisible : {}", e.body_text()))
        }
    };
    let (mut file, mut file_name, mut profile) = (None, None, None);
    while let Some(mut field) = form.next_field().await.map_err(invalid)? {
        match field.name() {
            Some("file") => {
                file_name = field.file_name().map(str::to_owned);
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(invalid)? {
                    if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(Bytes::from(bytes));
            }
            Some("profile") => profile = Some(field.text().await.map_err(invalid)?),
            _ => {}
        }
    }
    let bytes = file.filter(|b| !b.is_empty()).ok_or_else(missing)?;
    Ok(Upload { bytes, file_name, profile })
}

/// Reads the request's file: a multipart form, or the raw body.
async fn read_upload(request: Request) -> Result<Upload, ApiError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let form = Multipart::from_request(request, &()).await.map_err(|e| {
            ApiError::bad_request("invalid_form", format!("Formulaire illisible : {}", e.body_text()))
        })?;
        return read_form(form).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_FILE_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(request.into_body(), MAX_FILE_BYTES).await.map_err(|_| too_large())?;
    if bytes.is_empty() {
        return Err(missing());
    }
    Ok(Upload { bytes, file_name: None, profile: None })
}

/// A 422 for a file that is not text in an encoding the standard allows.
fn unreadable(refusal: &ban_bal::Refusal) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "file_unreadable",
        format!("Le fichier n’est pas lisible : {refusal}."),
    )
}

/// Validates `bytes` under the permit, off the async threads; the report keeps the first
/// [`FINDINGS_PER_CODE`] findings of each code.
pub async fn report_of(
    permit: OwnedSemaphorePermit,
    bytes: Bytes,
    profile: Option<Profile>,
) -> Result<Report, ApiError> {
    let options = Options { profile, max_findings_per_code: Some(FINDINGS_PER_CODE), ..Options::default() };
    let outcome = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        ban_bal::validate(&bytes[..], &options)
    })
    .await
    .map_err(|e| ApiError::internal("validation_failed", e))?;
    outcome.map_err(|refusal| unreadable(&refusal))
}

/// One finding in a report: where it is and what was written.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FoundAt {
    /// Ligne du fichier (à partir de 1, l’en-tête étant la ligne 1).
    pub line: Option<u32>,
    /// Ligne de données (à partir de 0), comme le validateur de référence.
    pub row: Option<u32>,
    /// La colonne en cause.
    pub field: Option<String>,
    /// La valeur telle qu’écrite, ou le message d’une erreur de lecture.
    pub value: Option<String>,
}

/// A code found in the file, with its level, label, count and first findings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeReport {
    #[schema(example = "numero.type_invalide")]
    pub code: String,
    /// `E` (erreur), `W` (avertissement) ou `I` (information) sous le profil appliqué.
    #[schema(example = "E")]
    pub level: String,
    /// Le libellé du code, en français.
    pub label: String,
    /// Anomalies de ce code dans tout le fichier (0 pour un code du fichier, comme une colonne absente).
    pub count: usize,
    /// Les premières anomalies (20 au plus ; toutes avec `?format=csv|ndjson`).
    pub findings: Vec<FoundAt>,
}

/// The JSON report of `POST /api/validate`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ValidationAnswer {
    /// Le verdict : aucune erreur sous le profil appliqué.
    pub valid: bool,
    /// Le profil appliqué (imposé ou détecté) ; absent si le fichier n’a pu être lu.
    #[schema(example = "1.4")]
    pub profile: Option<String>,
    /// Si les lignes ont pu être découpées.
    pub parsed: bool,
    #[schema(example = "UTF-8")]
    pub encoding: String,
    #[schema(example = "LF")]
    pub linebreak: String,
    #[schema(example = ";")]
    pub delimiter: Option<String>,
    /// Lignes de données lues.
    pub rows_count: usize,
    /// Codes INSEE des communes des lignes.
    pub communes: Vec<String>,
    /// Anomalies de niveau erreur, avertissement et information (lignes), dans tout le fichier.
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Chaque code trouvé : erreurs, puis avertissements, puis informations.
    pub codes: Vec<CodeReport>,
    /// Les colonnes du fichier et le champ BAL reconnu.
    pub columns: Vec<ColumnReport>,
    /// Anomalies gardées par code au plus.
    pub findings_per_code: usize,
}

/// A column of the file and the BAL field it was recognised as.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ColumnReport {
    pub name: String,
    pub field: Option<String>,
}

fn level_rank(level: Level) -> u8 {
    match level {
        Level::Error => 0,
        Level::Warning => 1,
        Level::Info => 2,
    }
}

impl ValidationAnswer {
    /// The answer of a report: its codes sorted by level, then by code.
    pub fn of(report: &Report) -> Self {
        let mut file_issues = report.file_issues.clone();
        file_issues.sort_by(|a, b| level_rank(a.level).cmp(&level_rank(b.level)).then(a.code.cmp(&b.code)));
        let mut codes: Vec<CodeReport> = file_issues
            .iter()
            .map(|issue| CodeReport {
                code: issue.code.to_string(),
                level: issue.level.letter().to_owned(),
                label: ban_bal::labels::label(&issue.code).into_owned(),
                count: report.counts.per_code.get(&issue.code).copied().unwrap_or(0),
                findings: report
                    .issues
                    .iter()
                    .filter(|i| i.code == issue.code)
                    .take(FINDINGS_PER_CODE)
                    .map(|i| FoundAt {
                        line: Some(i.line),
                        row: Some(i.row),
                        field: i.field.as_deref().map(str::to_owned),
                        value: i.value.as_deref().map(str::to_owned),
                    })
                    .collect(),
            })
            .collect();
        // Rows that could not be cut: errors too, before the others.
        let mut parse_codes: Vec<CodeReport> = Vec::new();
        for error in &report.parse_errors {
            let found = FoundAt {
                line: error.line.map(|l| l as u32),
                row: error.row.map(|r| r as u32),
                field: None,
                value: Some(error.message.clone()),
            };
            match parse_codes.iter_mut().find(|c| c.code == error.code) {
                Some(code) => {
                    code.count += 1;
                    if code.findings.len() < FINDINGS_PER_CODE {
                        code.findings.push(found);
                    }
                }
                None => parse_codes.push(CodeReport {
                    code: error.code.to_owned(),
                    level: Level::Error.letter().to_owned(),
                    label: ban_bal::labels::label(error.code).into_owned(),
                    count: 1,
                    findings: vec![found],
                }),
            }
        }
        if let [only] = parse_codes.as_mut_slice() {
            // The kept ones are the first: the count is the whole file's.
            only.count = report.counts.parse_errors.max(only.count);
        }
        parse_codes.append(&mut codes);
        ValidationAnswer {
            valid: report.valid(),
            profile: report.profile.map(|p| p.name().to_owned()),
            parsed: report.parsed,
            encoding: report.encoding.to_owned(),
            linebreak: report.linebreak.to_owned(),
            delimiter: report.delimiter.map(String::from),
            rows_count: report.rows_count,
            communes: report.communes.clone(),
            errors: report.count(Level::Error) + report.counts.parse_errors,
            warnings: report.count(Level::Warning),
            infos: report.count(Level::Info),
            codes: parse_codes,
            columns: report
                .columns
                .iter()
                .map(|c| ColumnReport { name: c.name.clone(), field: c.field.map(str::to_owned) })
                .collect(),
            findings_per_code: FINDINGS_PER_CODE,
        }
    }

    /// The codes at `level` (`E`, `W`, `I`).
    pub fn codes_at<'a>(&'a self, level: &'a str) -> impl Iterator<Item = &'a CodeReport> + 'a {
        self.codes.iter().filter(move |c| c.level == level)
    }
}

/// `POST /api/validate`.
#[utoipa::path(
    post,
    path = "/api/validate",
    tag = "validation",
    summary = "Valider un fichier BAL (50 000 000 octets au plus, non conservé)",
    description = "Le fichier, en multipart/form-data (champ `file`, et `profile` facultatif) ou en corps brut, est validé comme au dépôt, sans jeton et sans être conservé. Réponse : le rapport en JSON (verdict, profil, chaque code avec son libellé et son nombre, ses 20 premières anomalies), ou avec `?format=csv|ndjson` toutes les anomalies en flux (colonnes line;row;field;code;level;value;label). Les validations simultanées sont limitées (503 avec Retry-After au-delà).",
    params(ValidateQuery),
    request_body(content(
        (Vec<u8> = "multipart/form-data"),
        (String = "text/csv"),
    ), description = "Le fichier BAL"),
    responses(
        (status = 200, description = "Le rapport, ou toutes les anomalies avec ?format=csv|ndjson", content(
            (ValidationAnswer = "application/json"),
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        )),
        (status = 400, description = "Aucun fichier, formulaire illisible, format ou profil inconnus", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Fichier trop gros", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Le fichier n’est pas lisible comme du texte", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de requêtes (en-tête Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Trop de validations en cours (en-tête Retry-After)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn validate(
    State(state): State<WebState>,
    query: Result<Query<ValidateQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let format = AnswerFormat::parse(query.format.as_deref())?;
    // Taken before the file is read: at most so many files are in memory at once.
    let permit = state.validation_permit()?;
    let upload = read_upload(request).await?;
    let profile = parse_profile(query.profile.as_deref().or(upload.profile.as_deref()))?;
    match format {
        AnswerFormat::Json => {
            let report = report_of(permit, upload.bytes, profile).await?;
            Ok(Json(ValidationAnswer::of(&report)).into_response())
        }
        AnswerFormat::Csv | AnswerFormat::Ndjson => stream_findings(permit, upload.bytes, profile, format),
    }
}

/// Every finding of the file, written as it is found and sent in chunks.
fn stream_findings(
    permit: OwnedSemaphorePermit,
    bytes: Bytes,
    profile: Option<Profile>,
    format: AnswerFormat,
) -> Result<Response, ApiError> {
    if let Err(refusal) = ban_bal::read::detect(&bytes[..]) {
        return Err(unreadable(&refusal));
    }
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let _permit = permit;
        // A full channel holds the validation back (the client reads slowly); a closed one
        // (the client left) makes the rest a no-op.
        let pending = Arc::new(std::sync::Mutex::new((Vec::with_capacity(FINDINGS_CHUNK), false)));
        let flush = {
            let sender = sender.clone();
            move |buffer: &mut Vec<u8>, closed: &mut bool| {
                if !*closed && !buffer.is_empty() {
                    let chunk = Bytes::from(std::mem::replace(buffer, Vec::with_capacity(FINDINGS_CHUNK)));
                    *closed = sender.blocking_send(Ok(chunk)).is_err();
                }
                buffer.clear();
            }
        };
        if format == AnswerFormat::Csv {
            lock(&pending).0.extend_from_slice(ban_bal::findings::CSV_HEADER.as_bytes());
        }
        let sink = {
            let (pending, flush) = (pending.clone(), flush.clone());
            ban_bal::FindingSink::new(move |finding: Finding<'_>| {
                let mut guard = lock(&pending);
                let (buffer, closed) = &mut *guard;
                if *closed {
                    return;
                }
                match format {
                    AnswerFormat::Csv => finding.write_csv(buffer),
                    _ => finding.write_ndjson(buffer),
                }
                if buffer.len() >= FINDINGS_CHUNK {
                    flush(buffer, closed);
                }
            })
        };
        // Nothing is kept in the report: the findings leave through the sink.
        let options =
            Options { profile, max_findings_per_code: Some(0), on_finding: Some(sink), ..Options::default() };
        let outcome = ban_bal::validate(&bytes[..], &options);
        let mut guard = lock(&pending);
        let (buffer, closed) = &mut *guard;
        match outcome {
            Ok(_) => flush(buffer, closed),
            Err(refusal) => {
                let _ = sender.blocking_send(Err(std::io::Error::other(refusal.to_string())));
            }
        }
    });
    let (content_type, name) = match format {
        AnswerFormat::Csv => ("text/csv; charset=utf-8", "anomalies.csv"),
        _ => ("application/x-ndjson", "anomalies.ndjson"),
    };
    let mut response =
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// A lock whose holder may have panicked.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
