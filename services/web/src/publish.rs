//! The publication flow `/publier`, for a town hall without an account, in five steps (the
//! production site's « formulaire de publication »): the commune and its file (validated by
//! the depot: errors block, warnings are shown), the town hall's address (from the directory)
//! that receives a 6-digit code, the code, the publication, then its follow-up until the
//! addresses are consolidated and searchable.
//!
//! Every step is a server-rendered form (no JavaScript needed) that calls the depot as the
//! web's own client ([`DepotClient`]); the step shown is derived from the depot's state
//! (`/publier/{revision}?habilitation={id}`), so a reload or the back button resumes where the
//! person is, and the file, uploaded once, stays with the depot's revision.
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use ban_bal::Cog;
use ban_domain::Level;
use ban_store::ChangeCounts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::{plain, status_of, Consent, Problem};
use crate::depot_client::{Browser, DepotClient, DepotError, Habilitation, Revision, RevisionStatus};
use crate::pages::{html, Layout};
use crate::validate::{CodeReport, FoundAt, ValidationAnswer, FINDINGS_PER_CODE, MAX_FILE_BYTES};
use crate::WebState;

/// The five steps, as the stepper names them.
pub const STEPS: [&str; 5] = [
    "Dépôt du fichier BAL",
    "Choix de l’adresse de la mairie",
    "Validation du code",
    "Publication des adresses",
    "Suivi de la publication",
];

/// A commune of the COG, as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct CommuneChoice {
    pub code: String,
    pub nom: String,
}

/// A name folded for comparison: no accents, lower case, words separated by one space.
fn folded(text: &str) -> String {
    let deburred = ban_domain::deburr(text).to_lowercase();
    deburred.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The communes with their folded names, built once.
fn communes() -> &'static [(String, &'static str, &'static str)] {
    static INDEX: OnceLock<Vec<(String, &'static str, &'static str)>> = OnceLock::new();
    INDEX.get_or_init(|| Cog::get().communes().map(|c| (folded(c.nom), c.code, c.nom)).collect())
}

fn choice(code: &str, nom: &str) -> CommuneChoice {
    CommuneChoice { code: code.to_owned(), nom: nom.to_owned() }
}

/// Communes whose code or name starts with `text` (then whose name contains it), at most
/// `limit`: what the autocomplete offers.
pub fn search_communes(text: &str, limit: usize) -> Vec<CommuneChoice> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    if text.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        let code = text.to_ascii_uppercase();
        return communes()
            .iter()
            .filter(|(_, c, _)| c.starts_with(&code))
            .take(limit)
            .map(|(_, c, n)| choice(c, n))
            .collect();
    }
    let key = folded(text);
    if key.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<_> = communes().iter().filter(|(k, _, _)| k.starts_with(&key)).collect();
    // The exact name first, then the shortest names (« Metz » before « Metzeresche »).
    found.sort_by_key(|(k, _, _)| (k != &key, k.len()));
    if found.len() < limit {
        found.extend(
            communes().iter().filter(|(k, _, _)| !k.starts_with(&key) && k.contains(&format!(" {key}"))),
        );
    }
    found.into_iter().take(limit).map(|(_, c, n)| choice(c, n)).collect()
}

/// The commune a person typed: a code, a name, or the autocomplete's « Nom (code) »; a clear
/// French message otherwise.
pub fn resolve_commune(input: &str) -> Result<CommuneChoice, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Indiquez la commune : son nom ou son code INSEE (5 caractères).".into());
    }
    let cog = Cog::get();
    let code = match input.strip_suffix(')').and_then(|rest| rest.rsplit_once('(')) {
        Some((_, code)) => Some(code.trim()),
        None if input.len() == 5 && input.chars().next().is_some_and(|c| c.is_ascii_digit()) => Some(input),
        None => None,
    };
    if let Some(code) = code {
        return cog.commune(&code.to_ascii_uppercase()).map(|c| choice(c.code, c.nom)).ok_or_else(|| {
            format!("Aucune commune n’a le code « {code} » dans le Code officiel géographique 2026.")
        });
    }
    let key = folded(input);
    let same: Vec<_> = communes().iter().filter(|(k, _, _)| *k == key).collect();
    match same.as_slice() {
        [(_, code, nom)] => Ok(choice(code, nom)),
        [] => Err(format!(
            "Aucune commune ne s’appelle « {input} » : vérifiez l’orthographe, ou donnez son code INSEE."
        )),
        several => Err(format!(
            "Plusieurs communes s’appellent « {input} » : choisissez-la par son code ({}).",
            several.iter().map(|(_, code, _)| *code).collect::<Vec<_>>().join(", ")
        )),
    }
}

pub fn commune_of(code: &str) -> CommuneChoice {
    match Cog::get().commune(code) {
        Some(c) => choice(c.code, c.nom),
        None => choice(code, code),
    }
}

/// The validation the depot stored on a revision (`libs/bal` `revision::to_json`): the
/// verdict, the codes by level, the first findings of each code and their counts.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DepotValidation {
    valid: bool,
    format: Option<String>,
    errors: Vec<String>,
    warnings: Vec<String>,
    infos: Vec<String>,
    rows_count: usize,
    parse_errors: Vec<StoredParseError>,
    parse_errors_count: usize,
    issues: Vec<StoredIssue>,
    issue_counts: HashMap<String, usize>,
    /// Why a file could not be read at all.
    message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredParseError {
    code: String,
    message: String,
    line: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredIssue {
    line: u32,
    row: u32,
    field: Option<String>,
    code: String,
    value: Option<String>,
}

impl DepotValidation {
    /// The report as the validator page shows it (same groups, labels and first lines).
    pub fn answer(&self) -> ValidationAnswer {
        let mut codes = Vec::new();
        let mut parse_codes: Vec<CodeReport> = Vec::new();
        for error in &self.parse_errors {
            let found =
                FoundAt { line: error.line, row: None, field: None, value: Some(error.message.clone()) };
            match parse_codes.iter_mut().find(|c| c.code == error.code) {
                Some(code) => {
                    code.count += 1;
                    code.findings.extend((code.findings.len() < FINDINGS_PER_CODE).then_some(found));
                }
                None => parse_codes.push(code_report(&error.code, Level::Error, 1, vec![found])),
            }
        }
        if let [only] = parse_codes.as_mut_slice() {
            only.count = self.parse_errors_count.max(only.count);
        }
        codes.append(&mut parse_codes);
        for (level, list) in
            [(Level::Error, &self.errors), (Level::Warning, &self.warnings), (Level::Info, &self.infos)]
        {
            let mut list = list.clone();
            list.sort();
            for code in list {
                let findings = self
                    .issues
                    .iter()
                    .filter(|i| i.code == code)
                    .take(FINDINGS_PER_CODE)
                    .map(|i| FoundAt {
                        line: Some(i.line),
                        row: Some(i.row),
                        field: i.field.clone(),
                        value: i.value.clone(),
                    })
                    .collect();
                let count = self.issue_counts.get(&code).copied().unwrap_or(0);
                codes.push(code_report(&code, level, count, findings));
            }
        }
        let count_at = |level: &str| codes.iter().filter(|c| c.level == level).map(|c| c.count.max(1)).sum();
        ValidationAnswer {
            valid: self.valid,
            profile: self.format.clone(),
            parsed: self.parse_errors.is_empty() && self.message.is_none(),
            encoding: String::new(),
            linebreak: String::new(),
            delimiter: None,
            rows_count: self.rows_count,
            communes: Vec::new(),
            errors: count_at("E"),
            warnings: count_at("W"),
            infos: count_at("I"),
            columns: Vec::new(),
            findings_per_code: FINDINGS_PER_CODE,
            codes,
        }
    }

    fn has(&self, code: &str) -> bool {
        self.errors.iter().any(|c| c == code)
    }
}

fn code_report(code: &str, level: Level, count: usize, findings: Vec<FoundAt>) -> CodeReport {
    CodeReport {
        code: code.to_owned(),
        level: level.letter().to_owned(),
        label: ban_bal::labels::label(code).into_owned(),
        count,
        findings,
    }
}

/// The page of a step of the flow.
#[derive(Debug, Template)]
#[template(path = "publish.html")]
pub struct PublishPage {
    pub layout: Layout,
    /// 1 to 4 (the fifth is the follow-up page).
    pub step: usize,
    pub commune: Option<CommuneChoice>,
    /// What the commune field holds (step 1).
    pub commune_input: String,
    pub revision_id: Option<String>,
    pub habilitation_id: Option<String>,
    pub problem: Option<Problem>,
    /// The depot's report on the file (step 1 when it has errors, step 2 otherwise).
    pub report: Option<ValidationAnswer>,
    /// The file concerns another commune than the chosen one.
    pub other_commune: bool,
    /// Step 2: the town hall's addresses.
    pub emails: Vec<String>,
    /// Step 2: the habilitation was rejected (no try left).
    pub rejected: bool,
    /// Step 3: where the code went, and the tries left.
    pub email: Option<String>,
    pub remaining_attempts: Option<i64>,
    /// Step 4: a BAL of the commune is published already.
    pub replaces_current: bool,
}

impl PublishPage {
    fn new(step: usize) -> Self {
        PublishPage {
            layout: Layout::new("Publier une Base Adresse Locale", "/publier"),
            step,
            commune: None,
            commune_input: String::new(),
            revision_id: None,
            habilitation_id: None,
            problem: None,
            report: None,
            other_commune: false,
            emails: Vec::new(),
            rejected: false,
            email: None,
            remaining_attempts: None,
            replaces_current: false,
        }
    }

    pub fn step_title(&self) -> &'static str {
        STEPS[self.step - 1]
    }

    pub fn next_title(&self) -> &'static str {
        STEPS[self.step]
    }

    pub fn level_word(level: &str) -> &'static str {
        crate::pages::level_word(level)
    }

    /// The page's `<title>`: the step, so that each step is told apart (RGAA 8.6).
    fn titled(mut self) -> Self {
        self.layout.dynamic_title = Some(format!(
            "{} — étape {} sur 5 — Publier une Base Adresse Locale",
            self.step_title(),
            self.step
        ));
        if self.problem.is_some() {
            self.layout.dynamic_title = self.layout.dynamic_title.map(|t| format!("Erreur — {t}"));
        }
        self
    }
}

fn page(status: StatusCode, page: PublishPage) -> Response {
    html(status, &page.titled())
}

/// The flow when the server has no depot to call.
fn unavailable() -> Response {
    let mut p = PublishPage::new(1);
    p.problem = Some(Problem::new(
        "Publication indisponible",
        "Ce serveur n’est relié à aucun service de dépôt (WEB_DEPOT_URL) : la publication n’y est pas possible.",
    ));
    page(StatusCode::SERVICE_UNAVAILABLE, p)
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    commune: Option<String>,
}

/// `GET /publier`: step 1, the commune and the file.
pub async fn start(State(state): State<WebState>, Query(query): Query<StartQuery>) -> Response {
    if state.depot.is_none() {
        return unavailable();
    }
    let mut p = PublishPage::new(1);
    if let Some(commune) = query.commune.as_deref().and_then(|c| resolve_commune(c).ok()) {
        p.commune_input = format!("{} ({})", commune.nom, commune.code);
    }
    page(StatusCode::OK, p)
}

/// `GET /publier/communes?q=`: the autocomplete's communes (10 at most), JSON.
pub async fn commune_search(Query(query): Query<HashMap<String, String>>) -> Json<Vec<CommuneChoice>> {
    Json(search_communes(query.get("q").map(String::as_str).unwrap_or(""), 10))
}

/// The step 1 form: the commune typed and the file.
struct Upload {
    commune: String,
    file: Option<Bytes>,
}

async fn read_upload(mut form: Multipart) -> Result<Upload, (StatusCode, String)> {
    let invalid = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            (StatusCode::BAD_REQUEST, format!("Le formulaire n’a pas pu être lu : {}", e.body_text()))
        }
    };
    let mut upload = Upload { commune: String::new(), file: None };
    while let Some(mut field) = form.next_field().await.map_err(invalid)? {
        match field.name() {
            Some("commune") => upload.commune = field.text().await.map_err(invalid)?,
            Some("file") => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(invalid)? {
                    if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                upload.file = Some(Bytes::from(bytes)).filter(|b| !b.is_empty());
            }
            _ => {}
        }
    }
    Ok(upload)
}

fn too_large() -> (StatusCode, String) {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("Le fichier dépasse la taille maximale de {MAX_FILE_BYTES} octets (50 Mo)."),
    )
}

/// `POST /publier`: the file given to the depot for the commune (a revision, the file, its
/// validation), then the next step (303, so that a reload does not send it again); or step 1
/// again with what is wrong.
pub async fn submit(
    State(state): State<WebState>,
    browser: Browser,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Some(depot) = &state.depot else { return unavailable() };
    let mut p = PublishPage::new(1);
    let upload = match form {
        Ok(form) => read_upload(form).await,
        Err(e) => {
            Err((StatusCode::BAD_REQUEST, format!("Le formulaire n’a pas pu être lu : {}", e.body_text())))
        }
    };
    let upload = match upload {
        Ok(upload) => upload,
        Err((status, message)) => {
            p.problem = Some(Problem::new("Le fichier n’a pas pu être reçu", message));
            return page(status, p);
        }
    };
    p.commune_input = upload.commune.clone();
    let commune = match resolve_commune(&upload.commune) {
        Ok(commune) => commune,
        Err(message) => {
            p.problem = Some(Problem::new("Commune introuvable", message));
            return page(StatusCode::BAD_REQUEST, p);
        }
    };
    p.commune_input = format!("{} ({})", commune.nom, commune.code);
    let Some(file) = upload.file else {
        p.problem =
            Some(Problem::new("Aucun fichier", "Choisissez le fichier BAL de la commune (un fichier CSV)."));
        return page(StatusCode::BAD_REQUEST, p);
    };
    match depot.submit(&commune.code, file, browser).await {
        Ok(revision) => {
            tracing::info!(revision = %revision.id, commune = %commune.code, valid = revision.is_ready, "publication started");
            Redirect::to(&format!("/publier/{}", revision.id)).into_response()
        }
        Err(error) => {
            p.problem = Some(Problem::new("Le fichier n’a pas pu être déposé", plain(&error)));
            page(status_of(&error), p)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct StepQuery {
    habilitation: Option<String>,
}

/// The revision of a step's URL, or the page that says why it cannot be read.
/// The revision `id` while it is not published yet; a published one leads to its follow-up.
async fn unpublished_revision(depot: &DepotClient, id: &str) -> Result<Revision, Response> {
    let revision = revision_or_page(depot, id).await?;
    if revision.status == RevisionStatus::Published {
        return Err(Redirect::to(&format!("/publier/{id}/suivi")).into_response());
    }
    Ok(revision)
}

async fn revision_or_page(depot: &DepotClient, id: &str) -> Result<Revision, Response> {
    depot.revision(id).await.map_err(|error| {
        let mut p = PublishPage::new(1);
        let message = if error.status == StatusCode::BAD_REQUEST || error.status == StatusCode::NOT_FOUND || error.code == "revision_not_published" {
            "Cette publication est introuvable : le lien est peut-être incomplet. Recommencez depuis la première étape.".to_owned()
        } else {
            plain(&error)
        };
        p.problem = Some(Problem::new("Publication introuvable", message));
        let status = if error.status == StatusCode::BAD_REQUEST { StatusCode::NOT_FOUND } else { status_of(&error) };
        page(status, p)
    })
}

/// The step a revision (and its habilitation) is at, as a page.
async fn step_page(depot: &DepotClient, revision: &Revision, habilitation: Option<&str>) -> PublishPage {
    let validation: DepotValidation =
        revision.validation.as_ref().and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default();
    let commune = commune_of(&revision.code_commune);
    if !revision.is_ready {
        let mut p = PublishPage::new(1);
        p.commune_input = format!("{} ({})", commune.nom, commune.code);
        p.other_commune = validation.has("commune_insee.valeur_inattendue");
        p.report = Some(validation.answer());
        p.commune = Some(commune);
        p.revision_id = Some(revision.id.clone());
        return p;
    }
    let mut p = PublishPage::new(2);
    p.revision_id = Some(revision.id.clone());
    p.report = Some(validation.answer());
    let found: Option<Result<Habilitation, DepotError>> = match habilitation {
        Some(id) => Some(depot.habilitation(id).await),
        None => None,
    };
    match found {
        Some(Ok(h)) if h.code_commune != revision.code_commune => {
            p.problem = Some(Problem::new(
                "Habilitation d’une autre commune",
                "Ce lien mêle deux communes : choisissez à nouveau l’adresse de la mairie.",
            ));
        }
        Some(Ok(h)) => match Consent::of(&h) {
            Consent::Accepted => {
                p.step = 4;
                p.habilitation_id = Some(h.id);
                p.replaces_current = matches!(depot.current_revision(&revision.code_commune).await, Ok(Some(current)) if current.id != revision.id);
            }
            Consent::Rejected => p.rejected = true,
            Consent::CodeSent { email, remaining } => {
                p.step = 3;
                p.email = email;
                p.remaining_attempts = Some(remaining);
                p.habilitation_id = Some(h.id);
            }
            Consent::Opened => p.habilitation_id = Some(h.id),
        },
        Some(Err(error)) => {
            p.problem = Some(Problem::new(
                "Habilitation introuvable",
                if error.status == StatusCode::NOT_FOUND || error.status == StatusCode::BAD_REQUEST {
                    "Cette demande de code est introuvable : choisissez à nouveau l’adresse de la mairie."
                        .to_owned()
                } else {
                    plain(&error)
                },
            ));
        }
        None => {}
    }
    if p.step == 2 {
        match depot.emails(&revision.code_commune).await {
            Ok(emails) => p.emails = emails,
            Err(error) => {
                p.problem = Some(Problem::new("Adresses de la mairie indisponibles", plain(&error)))
            }
        }
    }
    p.commune = Some(commune);
    p
}

/// `GET /publier/{revision}?habilitation={id}`: the step the publication is at.
pub async fn step(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Query(query): Query<StepQuery>,
) -> Response {
    let Some(depot) = &state.depot else { return unavailable() };
    let revision = match unpublished_revision(depot, &id).await {
        Ok(revision) => revision,
        Err(response) => return response,
    };
    let p = step_page(depot, &revision, query.habilitation.as_deref()).await;
    let status = if p.step == 1 { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    page(status, p)
}

/// A form of the steps (`application/x-www-form-urlencoded`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StepForm {
    habilitation: Option<String>,
    email: Option<String>,
    code: Option<String>,
    confirm: Option<String>,
}

fn read_step_form(body: &Bytes) -> StepForm {
    let mut form: StepForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
    form.habilitation = form.habilitation.filter(|h| !h.trim().is_empty());
    form
}

fn to_step(revision: &str, habilitation: &str) -> Response {
    Redirect::to(&format!("/publier/{revision}?habilitation={habilitation}")).into_response()
}

/// `POST /publier/{revision}/code`: `email` (and the `habilitation` when one is open): a code
/// sent to the town hall, then step 3; a resend for an open habilitation.
pub async fn send_code(
    State(state): State<WebState>,
    Path(id): Path<String>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let Some(depot) = &state.depot else { return unavailable() };
    let form = read_step_form(&body);
    let revision = match unpublished_revision(depot, &id).await {
        Ok(revision) => revision,
        Err(response) => return response,
    };
    let fail = |p: PublishPage, title: &str, error: &DepotError| {
        let mut p = p;
        p.problem = Some(Problem::new(title, plain(error)));
        page(status_of(error), p)
    };
    let Some(email) = form.email.filter(|e| !e.is_empty()) else {
        let mut p = step_page(depot, &revision, form.habilitation.as_deref()).await;
        p.problem = Some(Problem::new(
            "Aucune adresse choisie",
            "Choisissez l’adresse de la mairie qui recevra le code.",
        ));
        return page(StatusCode::BAD_REQUEST, p);
    };
    match crate::consent::request_code(depot, &revision.code_commune, form.habilitation, &email, browser)
        .await
    {
        Ok(habilitation) => to_step(&id, &habilitation),
        Err((habilitation, error)) => {
            let title = if habilitation.is_some() {
                "Le code n’a pas pu être envoyé"
            } else {
                "Le code n’a pas pu être demandé"
            };
            fail(step_page(depot, &revision, habilitation.as_deref()).await, title, &error)
        }
    }
}

/// `POST /publier/{revision}/code/valider`: `habilitation`, `code`: the town hall's code
/// checked, then step 4; or step 3 again with what is wrong (tries left, expiry, too many).
pub async fn check_code(
    State(state): State<WebState>,
    Path(id): Path<String>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let Some(depot) = &state.depot else { return unavailable() };
    let form = read_step_form(&body);
    let revision = match revision_or_page(depot, &id).await {
        Ok(revision) => revision,
        Err(response) => return response,
    };
    let Some(habilitation) = form.habilitation else {
        return Redirect::to(&format!("/publier/{id}")).into_response();
    };
    match crate::consent::check_code(depot, &habilitation, form.code.as_deref().unwrap_or_default(), browser)
        .await
    {
        Ok(()) => to_step(&id, &habilitation),
        Err(None) => {
            let mut p = step_page(depot, &revision, Some(&habilitation)).await;
            p.problem = Some(Problem::new("Code incomplet", crate::consent::INCOMPLETE_CODE));
            page(StatusCode::BAD_REQUEST, p)
        }
        Err(Some(error)) => {
            let mut p = step_page(depot, &revision, Some(&habilitation)).await;
            p.problem = Some(Problem::new("Code refusé", plain(&error)));
            page(status_of(&error), p)
        }
    }
}

/// `POST /publier/{revision}/publication`: `habilitation` (and `confirm` when a BAL is
/// published already): the revision published, then its follow-up.
pub async fn publish(
    State(state): State<WebState>,
    Path(id): Path<String>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let Some(depot) = &state.depot else { return unavailable() };
    let form = read_step_form(&body);
    let revision = match unpublished_revision(depot, &id).await {
        Ok(revision) => revision,
        Err(response) => return response,
    };
    let Some(habilitation) = form.habilitation else {
        return Redirect::to(&format!("/publier/{id}")).into_response();
    };
    let p = step_page(depot, &revision, Some(&habilitation)).await;
    if p.step != 4 {
        return page(StatusCode::PRECONDITION_FAILED, p);
    }
    if p.replaces_current && form.confirm.as_deref() != Some("oui") {
        let mut p = p;
        p.problem = Some(Problem::new(
            "Confirmation requise",
            "Cochez la case pour confirmer que ce fichier remplace la Base Adresse Locale déjà publiée.",
        ));
        return page(StatusCode::BAD_REQUEST, p);
    }
    match depot.publish(&id, &habilitation, browser).await {
        Ok(published) => {
            tracing::info!(revision = %published.id, commune = %published.code_commune, "published through the web pages");
            Redirect::to(&format!("/publier/{id}/suivi")).into_response()
        }
        Err(error) => {
            let mut p = p;
            p.problem = Some(Problem::new("La publication a échoué", plain(&error)));
            page(status_of(&error), p)
        }
    }
}

/// Where a stage of the follow-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StageState {
    Done,
    Current,
    Failed,
    Waiting,
}

/// A stage of the follow-up: published, consolidated, searchable.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub key: &'static str,
    pub name: &'static str,
    pub state: StageState,
    /// What happened, in words.
    pub detail: String,
    /// What to do (a refusal's advice).
    pub advice: Option<String>,
    /// When it was reached, and how long it took from the previous stage.
    pub at: Option<DateTime<Utc>>,
    pub took: Option<String>,
}

impl Stage {
    pub fn at_text(&self) -> String {
        self.at.map(|at| at.format("%d/%m/%Y à %H:%M:%S UTC").to_string()).unwrap_or_default()
    }

    /// The state's key, for classes and the script (`done`, `current`, `failed`, `waiting`).
    pub fn state_key(&self) -> &'static str {
        match self.state {
            StageState::Done => "done",
            StageState::Current => "current",
            StageState::Failed => "failed",
            StageState::Waiting => "waiting",
        }
    }

    pub fn state_word(&self) -> &'static str {
        match self.state {
            StageState::Done => "terminée",
            StageState::Current => "en cours",
            StageState::Failed => "échouée",
            StageState::Waiting => "à venir",
        }
    }
}

/// The follow-up of a publication.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracking {
    pub revision_id: String,
    pub code_commune: String,
    pub nom_commune: String,
    pub stages: Vec<Stage>,
    /// Nothing more will change: the page stops refreshing itself.
    #[serde(rename = "final")]
    pub settled: bool,
    /// The geocoder's first answer for an address of the commune, once searchable.
    pub found: Option<String>,
}

/// A duration in words: « 2 min 5 s », « 0,4 s ».
fn took(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let ms = (to - from).num_milliseconds().max(0);
    if ms < 10_000 {
        format!("{},{} s", ms / 1000, (ms % 1000) / 100)
    } else if ms < 3_600_000 {
        let s = ms / 1000;
        if s < 60 {
            format!("{s} s")
        } else {
            format!("{} min {} s", s / 60, s % 60)
        }
    } else {
        format!("{} h {} min", ms / 3_600_000, (ms / 60_000) % 60)
    }
}

fn counts_text(counts: &ChangeCounts) -> String {
    let a = &counts.addresses;
    format!(
        "{} adresse(s) ajoutée(s), {} modifiée(s), {} supprimée(s), {} inchangée(s) ; {} voie(s) et lieu(x)-dit(s) ajouté(s), {} modifié(s), {} supprimé(s).",
        a.added, a.updated, a.deleted, a.unchanged, counts.toponyms.added, counts.toponyms.updated, counts.toponyms.deleted
    )
}

/// When each revision was first seen searchable (the geocoder does not say when it indexed
/// a change): kept in memory, a few thousand at most.
#[derive(Debug, Default)]
pub struct SeenSearchable(Mutex<HashMap<String, DateTime<Utc>>>);

const SEEN_KEPT: usize = 10_000;

impl SeenSearchable {
    fn first_seen(&self, revision: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= SEEN_KEPT && !seen.contains_key(revision) {
            seen.clear();
        }
        *seen.entry(revision.to_owned()).or_insert(now)
    }
}

/// The follow-up of `revision`: the depot's consolidation, the base's commune and the
/// geocoder's index.
async fn tracking(state: &WebState, depot: &DepotClient, revision: &Revision) -> Tracking {
    let commune = commune_of(&revision.code_commune);
    let published_at = revision.published_at;
    let mut stages = vec![Stage {
        key: "publiee",
        name: "Publiée",
        state: StageState::Done,
        detail: "Le fichier est publié : il est la Base Adresse Locale courante de la commune.".into(),
        advice: None,
        at: published_at,
        took: published_at.map(|at| format!("{} après le dépôt du fichier", took(revision.created_at, at))),
    }];
    let mut settled = false;
    let mut found = None;
    let consolidation = revision.consolidation.as_ref();
    let consolidated = match consolidation {
        None => {
            stages.push(waiting_stage(
                "consolidee",
                "Consolidée",
                StageState::Current,
                "En attente d’intégration dans la Base Adresse Nationale.",
            ));
            None
        }
        Some(c) => {
            let since = published_at.map(|p| format!("en {}", took(p, c.updated_at)));
            match c.status.as_str() {
                "pending" | "running" => {
                    stages.push(waiting_stage(
                        "consolidee",
                        "Consolidée",
                        StageState::Current,
                        &format!("{}.", c.label),
                    ));
                    None
                }
                "applied" | "unchanged" => {
                    let detail = match &c.changes {
                        Some(counts) => format!("{} : {}", c.label, counts_text(counts)),
                        None => format!("{}.", c.label),
                    };
                    stages.push(Stage {
                        key: "consolidee",
                        name: "Consolidée",
                        state: StageState::Done,
                        detail,
                        advice: None,
                        at: Some(c.updated_at),
                        took: since,
                    });
                    Some(c.updated_at)
                }
                _ => {
                    settled = true;
                    let (detail, advice) = match &c.refusal {
                        Some(refusal) => {
                            (format!("{} : {}", c.label, refusal.message), Some(refusal.advice.clone()))
                        }
                        None => (format!("{}.", c.label), None),
                    };
                    stages.push(Stage {
                        key: "consolidee",
                        name: "Consolidée",
                        state: StageState::Failed,
                        detail,
                        advice,
                        at: Some(c.updated_at),
                        took: since,
                    });
                    None
                }
            }
        }
    };
    match consolidated {
        None if settled => stages.push(waiting_stage(
            "consultable",
            "Consultable",
            StageState::Waiting,
            "Les adresses de cette publication ne sont pas dans la Base Adresse Nationale.",
        )),
        None => stages.push(waiting_stage(
            "consultable",
            "Consultable",
            StageState::Waiting,
            "Après la consolidation, les adresses sont consultables dans le géocodeur.",
        )),
        Some(applied_at) => {
            let base = state
                .store
                .base_communes(Some(ban_domain::insee::departement_of(&revision.code_commune)))
                .await
                .ok()
                .and_then(|communes| communes.into_iter().find(|c| c.commune.code == revision.code_commune));
            let indexed = match (&base, depot.geocoder_seq().await) {
                (Some(base), Some(seq)) => seq >= base.seq,
                _ => false,
            };
            let replaced =
                base.as_ref().is_some_and(|b| b.commune.revision.as_deref() != Some(revision.id.as_str()));
            if !depot.has_geocoder() {
                settled = true;
                stages.push(waiting_stage("consultable", "Consultable", StageState::Waiting, "Ce serveur ne connaît pas de géocodeur (WEB_GEOCODER_URL) : la recherche n’a pas pu être vérifiée."));
            } else if replaced {
                settled = true;
                stages.push(waiting_stage("consultable", "Consultable", StageState::Done, "Une publication plus récente de la commune a remplacé celle-ci dans la Base Adresse Nationale."));
            } else if indexed {
                settled = true;
                let seen = state.seen_searchable.first_seen(&revision.id, Utc::now());
                let text = match an_address_of(&*state.store, &commune.code).await {
                    Some(address) => format!("{address} {}", commune.nom),
                    None => commune.nom.clone(),
                };
                found = depot.first_result(&text, &commune.code).await;
                let addresses = base.map(|b| b.commune.addresses).unwrap_or(0);
                stages.push(Stage {
                    key: "consultable",
                    name: "Consultable",
                    state: StageState::Done,
                    detail: format!("Les {addresses} adresses de la commune sont consultables dans le géocodeur et les téléchargements."),
                    advice: None,
                    at: Some(seen),
                    took: Some(format!("au plus {} après la consolidation", took(applied_at, seen))),
                });
            } else {
                stages.push(waiting_stage(
                    "consultable",
                    "Consultable",
                    StageState::Current,
                    "Le géocodeur intègre les adresses de la commune.",
                ));
            }
        }
    }
    Tracking {
        revision_id: revision.id.clone(),
        code_commune: commune.code,
        nom_commune: commune.nom,
        stages,
        settled,
        found,
    }
}

/// An address of the commune as it would be searched (« 1 Allée des Acacias »), from the
/// first rows of the commune's part of the base in the change feed.
async fn an_address_of(store: &dyn ban_store::Store, code: &str) -> Option<String> {
    let query = ban_store::FeedQuery {
        since: 0,
        limit: 200,
        communes: vec![code.to_owned()],
        current_only: true,
        ..ban_store::FeedQuery::default()
    };
    let rows = store.feed(&query).await.ok()?;
    let streets: HashMap<ban_domain::BanId, String> = rows
        .iter()
        .filter(|row| row.kind == ban_store::ObjectKind::Toponym)
        .filter_map(|row| serde_json::from_str::<ban_store::Toponym>(row.state.get()).ok())
        .map(|toponym| (toponym.id, toponym.name))
        .collect();
    rows.iter()
        .filter(|row| row.kind == ban_store::ObjectKind::Address)
        .filter_map(|row| serde_json::from_str::<ban_store::Address>(row.state.get()).ok())
        .filter(|address| address.active)
        .find_map(|address| {
            let street = streets.get(&address.toponym)?;
            let suffix = address.suffixe.map(|s| format!(" {s}")).unwrap_or_default();
            Some(format!("{}{suffix} {street}", address.numero))
        })
}

fn waiting_stage(key: &'static str, name: &'static str, state: StageState, detail: &str) -> Stage {
    Stage { key, name, state, detail: detail.to_owned(), advice: None, at: None, took: None }
}

#[derive(Debug, Template)]
#[template(path = "publish_status.html")]
pub struct StatusPage {
    pub layout: Layout,
    pub tracking: Tracking,
}

/// The published revision of a follow-up URL, or the page that says why there is none.
async fn published_or_page(state: &WebState, id: &str) -> Result<(DepotClient, Revision), Response> {
    let Some(depot) = state.depot.clone() else { return Err(unavailable()) };
    let revision = revision_or_page(&depot, id).await?;
    if revision.status != RevisionStatus::Published {
        return Err(Redirect::to(&format!("/publier/{id}")).into_response());
    }
    Ok((depot, revision))
}

/// `GET /publier/{revision}/suivi`: the follow-up (refreshes itself until it is settled).
pub async fn status(State(state): State<WebState>, Path(id): Path<String>) -> Response {
    let (depot, revision) = match published_or_page(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let tracking = tracking(&state, &depot, &revision).await;
    let mut layout = Layout::new("Suivi de la publication", "/publier");
    layout.dynamic_title = Some(format!(
        "Suivi de la publication de {} — Publier une Base Adresse Locale",
        tracking.nom_commune
    ));
    html(StatusCode::OK, &StatusPage { layout, tracking })
}

/// `GET /publier/{revision}/suivi.json`: the same follow-up, for the page's script.
pub async fn status_json(State(state): State<WebState>, Path(id): Path<String>) -> Response {
    let (depot, revision) = match published_or_page(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut response = Json(tracking(&state, &depot, &revision).await).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
