//! The commune page, `/commune/{code}`: what the national base holds of a commune (its
//! figures, its streets and lieux-dits with their numbers, a map of its addresses), where it
//! comes from (the current revision, who published it, the last publications and what their
//! consolidation made of them) and the links to download it in every format. Rendered by the
//! server: everything but the map works without JavaScript, and the map shows nothing that
//! the tables do not list. Also `/commune/{code}/contour.geojson`, the commune's contour
//! that the map draws (no external background is needed).
use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ban_domain::InseeCode;
use ban_exports::{Format, Prepared, Scope};
use ban_service_kit::ApiError;
use ban_spatial::contours::Contours;
use ban_spatial::Territories;
use ban_store::{Job, JobStatus, PageRequest, RevisionFilter, RevisionSummary, Viewer};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::pages::{html, Layout};
use crate::WebState;

/// Streets listed per page of the table (a large city has thousands).
pub const STREETS_PER_PAGE: usize = 200;
/// Publications listed, newest first.
const LAST_REVISIONS: u64 = 5;

/// A publication as the page lists it.
#[derive(Debug, Clone)]
pub struct RevisionRow {
    pub id: String,
    /// « le 7 décembre 2026 à 17:21 (UTC) ».
    pub date: String,
    /// The client that published it.
    pub client: String,
    pub current: bool,
    pub consolidation: Consolidation,
}

/// What the consolidation made of a publication, in words, with the DSFR badge it wears.
#[derive(Debug, Clone)]
pub struct Consolidation {
    pub label: String,
    /// `success`, `error`, `info`, `new`.
    pub badge: &'static str,
    /// Details (the counts, or why it was refused).
    pub detail: Option<String>,
}

/// A street or lieu-dit of the table.
#[derive(Debug, Clone)]
pub struct StreetRow {
    pub name: String,
    pub lieu_dit: bool,
    pub addresses: usize,
    pub certified: usize,
    /// « 1, 2, 4 bis… ».
    pub numbers: String,
}

/// A download link.
#[derive(Debug)]
pub struct Download {
    pub label: String,
    pub href: String,
    pub detail: &'static str,
}

/// The commune's figures.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub addresses: usize,
    pub streets: usize,
    pub lieux_dits: usize,
    pub certified: usize,
    /// Rounded up, as the BAN's site does.
    pub certified_percent: u64,
}

/// What the page shows of a commune's part of the base, computed once per version of it
/// (kept with the commune in [`CommuneCache`](crate::cache::CommuneCache)): a large city's
/// page then only cuts its page of streets.
#[derive(Debug, Clone)]
pub struct CommuneSummary {
    pub figures: Figures,
    /// Streets then lieux-dits, each in alphabetical order.
    pub streets: Vec<StreetRow>,
}

impl CommuneSummary {
    pub fn of(prepared: &Prepared<'_>) -> Self {
        let all = || prepared.streets.iter().chain(&prepared.lieux_dits);
        let addresses: usize = all().map(|s| s.addresses.len()).sum();
        let certified = all().flat_map(|s| &s.addresses).filter(|a| a.address.certified).count();
        let streets = all()
            .map(|street| StreetRow {
                name: street.toponym.name.clone(),
                lieu_dit: street.toponym.lieu_dit,
                addresses: street.addresses.len(),
                certified: street.addresses.iter().filter(|a| a.address.certified).count(),
                numbers: street
                    .addresses
                    .iter()
                    .map(|a| match &a.address.suffixe {
                        Some(suffixe) => format!("{} {suffixe}", a.address.numero),
                        None => a.address.numero.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect();
        CommuneSummary {
            figures: Figures {
                addresses,
                streets: prepared.streets.len(),
                lieux_dits: prepared.lieux_dits.len(),
                certified,
                certified_percent: if addresses == 0 {
                    0
                } else {
                    (certified * 100).div_ceil(addresses) as u64
                },
            },
            streets,
        }
    }
}

/// The commune page.
#[derive(Debug, Template)]
#[template(path = "commune.html")]
pub struct CommunePage {
    pub layout: Layout,
    pub code: String,
    pub name: String,
    pub departement: Option<String>,
    pub region: Option<String>,
    pub postcodes: Vec<String>,
    pub population: Option<u32>,
    /// `None` when the commune has no address in the base yet.
    pub figures: Option<Figures>,
    /// « Base Adresse Locale » or « Ancien export de la BAN ».
    pub source: Option<&'static str>,
    pub ban_id: Option<String>,
    pub current: Option<RevisionRow>,
    pub revisions: Vec<RevisionRow>,
    pub last_consolidation: Option<(String, Consolidation)>,
    pub streets: Vec<StreetRow>,
    pub page: usize,
    pub pages: usize,
    pub downloads: Vec<Download>,
    /// The map's view: west, south, east, north.
    pub bounds: Option<[f64; 4]>,
    pub basemap: Option<String>,
    /// The last reports of the commune, newest first, and how many it has.
    pub reports: Vec<crate::reports::ReportRow>,
    pub reports_total: u64,
}

impl CommunePage {
    /// The commune has more reports than the page lists.
    pub fn more_reports(&self) -> bool {
        self.reports_total > self.reports.len() as u64
    }

    pub fn reports_caption(&self) -> String {
        format!("Les {} derniers signalements de {}", self.reports.len(), self.name)
    }
}

/// The 404 page.
#[derive(Debug, Template)]
#[template(path = "not_found.html")]
pub struct NotFound {
    pub layout: Layout,
    pub message: String,
}

/// A page saying what was not found, with a 404.
pub fn not_found(message: String) -> Response {
    html(StatusCode::NOT_FOUND, &NotFound { layout: Layout::new("Page introuvable", ""), message })
}

/// « le 7 décembre 2026 à 17 h 21 UTC ».
fn french_date(at: DateTime<Utc>) -> String {
    format!("le {}", crate::french::date(at))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n > 1 { many } else { one })
}

impl Consolidation {
    /// What became of a publication, from its last consolidation job (`None`: none queued,
    /// as for a revision published before the base existed).
    pub fn of(job: Option<&Job>) -> Self {
        let Some(job) = job else {
            return Consolidation { label: "Non consolidée".into(), badge: "new", detail: None };
        };
        let (label, badge, detail) = match (job.status, job.outcome.as_deref()) {
            (JobStatus::Pending, _) => ("En attente".into(), "info", None),
            (JobStatus::Running, _) => ("En cours".into(), "info", None),
            (JobStatus::Done, Some("applied")) => {
                let detail = job.counts.map(|c| {
                    let a = c.addresses;
                    format!(
                        "{}, {}, {}, {}",
                        plural(a.added, "adresse ajoutée", "adresses ajoutées"),
                        plural(a.updated, "modifiée", "modifiées"),
                        plural(a.deleted, "supprimée", "supprimées"),
                        plural(a.unchanged, "inchangée", "inchangées")
                    )
                });
                ("Intégrée".into(), "success", detail)
            }
            (JobStatus::Done, Some("unchanged")) => {
                ("Intégrée".into(), "success", Some("Aucun changement dans la base.".into()))
            }
            (JobStatus::Done, Some("superseded")) => {
                ("Remplacée".into(), "new", Some("Une publication plus récente l’a remplacée.".into()))
            }
            (JobStatus::Done, _) => ("Intégrée".into(), "success", job.message.clone()),
            (JobStatus::Failed, _) => match &job.refusal {
                Some(refusal) => ("Refusée".into(), "error", Some(refusal.message())),
                // The message of a failure may be technical: it stays in the operators' logs.
                None => (
                    "Échec".into(),
                    "error",
                    Some("La consolidation a échoué ; l’équipe de la BAN doit intervenir.".into()),
                ),
            },
        };
        Consolidation { label, badge, detail }
    }
}

/// The query of the page: which page of streets.
#[derive(Debug, Deserialize)]
pub struct CommuneQuery {
    pub page: Option<usize>,
}

/// The download links of a commune: every export format, the BAL and BAN CSV of the
/// commune's routes, and the published file itself.
fn downloads(code: &str, current: Option<&str>) -> Vec<Download> {
    let scope = Scope::Commune(code.to_owned());
    let mut links = Vec::new();
    if current.is_some() {
        links.push(Download {
            label: "Base Adresse Locale publiée".into(),
            href: format!("/api-depot/communes/{code}/current-revision/files/bal/download"),
            detail: "le fichier tel que la commune l’a publié (CSV)",
        });
    }
    links.push(Download {
        label: "Format BAL 1.4".into(),
        href: format!("/ban/communes/{code}/download/csv-bal/adresses?version=1.4"),
        detail: "la base de la commune en BAL, avec les identifiants BAN (CSV)",
    });
    links.push(Download {
        label: "Format national (BAN)".into(),
        href: format!("/ban/communes/{code}/download/csv-legacy/adresses"),
        detail: "le CSV historique de la BAN (CSV)",
    });
    for format in Format::ALL {
        let (label, detail) = match format {
            Format::Csv => ("Adresses, CSV", "une ligne par adresse"),
            Format::CsvWithIds => ("Adresses, CSV avec identifiants", "avec les identifiants BAN"),
            Format::LieuxDits => ("Lieux-dits, CSV", "un lieu-dit par ligne"),
            Format::LieuxDitsWithIds => ("Lieux-dits, CSV avec identifiants", "avec les identifiants BAN"),
            Format::Bal(ban_exports::BalVersion::V1_3) => ("BAL 1.3", "une ligne par position"),
            Format::Bal(ban_exports::BalVersion::V1_4) => {
                ("BAL 1.4", "une ligne par position, identifiants en tête")
            }
            Format::GeoJson => ("Adresses, GeoJSON", "points des adresses"),
            Format::GeoJsonToponyms => ("Voies et lieux-dits, GeoJSON", "points des voies et lieux-dits"),
            Format::GeoJsonLines => ("Adresses, GeoJSON Lines", "un objet par ligne"),
            Format::Addok => ("Addok", "documents du géocodeur (NDJSON)"),
        };
        links.push(Download {
            label: format!("{label} ({})", format.file_name(&scope)),
            href: format!("/data/ban/adresses/latest/{}/{}", format.folder(), format.file_name(&scope)),
            detail,
        });
    }
    links
}

/// `GET /commune/{code}`.
pub async fn page(
    State(state): State<WebState>,
    Path(code): Path<String>,
    Query(query): Query<CommuneQuery>,
) -> Response {
    let Ok(insee) = InseeCode::parse(&code) else {
        return not_found(format!(
            "« {code} » n’est pas un code de commune : un code INSEE a cinq caractères (54084, 2A004)."
        ));
    };
    let code = insee.to_string();
    match render(&state, &code, query.page.unwrap_or(1)).await {
        Ok(Some(page)) => {
            let mut response = html(StatusCode::OK, &page);
            // Always the base as it is now (a publication shows at once).
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Ok(None) => not_found(format!(
            "Aucune commune de code {code} dans le Code officiel géographique ni dans la base."
        )),
        Err(error) => error.into_response(),
    }
}

async fn render(state: &WebState, code: &str, page: usize) -> Result<Option<CommunePage>, ApiError> {
    let territory = Territories::national().commune(code);
    let versions = state.store.commune_versions(&[code.to_owned()]).await?;
    let loaded = match versions.first() {
        Some((_, version)) => state.communes.get(&*state.store, code, *version).await?,
        None => None,
    };
    let commune = loaded.as_ref().map(|l| &l.commune);
    if territory.is_none() && commune.is_none() {
        return Ok(None);
    }
    let name = territory
        .map(|t| t.name.clone())
        .or_else(|| commune.and_then(|c| c.name.clone()))
        .unwrap_or_else(|| code.to_owned());

    // The last publications, newest first, with what became of them.
    let page_of = |offset, limit| PageRequest { offset, limit };
    let total = state
        .store
        .commune_revisions(code, RevisionFilter::Published, Viewer::Anyone, page_of(0, 1))
        .await?
        .total;
    let mut revisions = state
        .store
        .commune_revisions(
            code,
            RevisionFilter::Published,
            Viewer::Anyone,
            page_of(total.saturating_sub(LAST_REVISIONS), LAST_REVISIONS as u32),
        )
        .await?
        .items;
    revisions.reverse();
    let jobs = state.store.recent_jobs(code, 20).await?;
    let mut clients: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::with_capacity(revisions.len());
    for revision in &revisions {
        rows.push(revision_row(state, revision, &jobs, &mut clients).await?);
    }
    let last_consolidation = jobs.first().map(|job| {
        let at = french_date(job.updated_at);
        (at, Consolidation::of(Some(job)))
    });
    // The current revision is the last one published.
    let current = rows.iter().find(|row| row.current).cloned();
    let (reports, reports_total) = crate::reports::commune_reports(
        state,
        code,
        PageRequest { offset: 0, limit: crate::reports::LAST_REPORTS },
    )
    .await?;

    let mut page_view = CommunePage {
        layout: Layout::new(format!("{name} – {code}"), ""),
        code: code.to_owned(),
        name,
        departement: territory.map(|t| format!("{} ({})", t.departement_name, t.departement)),
        region: territory.map(|t| t.region_name.clone()),
        postcodes: territory
            .map(|t| t.postcodes.iter().map(|p| p.code.clone()).collect())
            .unwrap_or_default(),
        population: territory.map(|t| t.population),
        figures: None,
        source: None,
        ban_id: None,
        current,
        revisions: rows,
        last_consolidation,
        streets: Vec::new(),
        page: 1,
        pages: 1,
        downloads: Vec::new(),
        bounds: Contours::national().get(code).map(|c| {
            let rect = geo::BoundingRect::bounding_rect(c.shape());
            rect.map_or([0.0; 4], |r| [r.min().x, r.min().y, r.max().x, r.max().y])
        }),
        basemap: state.basemap_style.as_deref().map(str::to_owned),
        reports,
        reports_total,
    };
    if let Some(loaded) = &loaded {
        let commune = &loaded.commune;
        let summary = &loaded.summary;
        page_view.figures = Some(summary.figures);
        page_view.source = Some(match commune.source {
            ban_store::CommuneSource::Bal => "Base Adresse Locale",
            ban_store::CommuneSource::Legacy => "Ancien export de la BAN",
        });
        page_view.ban_id = Some(commune.id.to_string());
        page_view.pages = summary.streets.len().div_ceil(STREETS_PER_PAGE).max(1);
        page_view.page = page.clamp(1, page_view.pages);
        let first = (page_view.page - 1) * STREETS_PER_PAGE;
        page_view.streets = summary.streets.iter().skip(first).take(STREETS_PER_PAGE).cloned().collect();
        page_view.downloads = downloads(code, page_view.current.as_ref().map(|r| r.id.as_str()));
    }
    Ok(Some(page_view))
}

async fn revision_row(
    state: &WebState,
    revision: &RevisionSummary,
    jobs: &[Job],
    clients: &mut HashMap<String, String>,
) -> Result<RevisionRow, ApiError> {
    let client = match clients.get(&revision.client_id) {
        Some(name) => name.clone(),
        None => {
            let name = state
                .store
                .client(&revision.client_id)
                .await?
                .map_or_else(|| "Client inconnu".to_owned(), |c| c.nom);
            clients.insert(revision.client_id.clone(), name.clone());
            name
        }
    };
    // Jobs are newest first: the first of the revision is its last consolidation.
    let job = jobs.iter().find(|job| job.revision_id == revision.id);
    Ok(RevisionRow {
        id: revision.id.clone(),
        date: french_date(revision.published_at.unwrap_or(revision.updated_at)),
        client,
        current: revision.is_current,
        consolidation: Consolidation::of(job),
    })
}

/// `GET /commune/{code}/contour.geojson`: the commune's contour (simplified, as the spatial
/// checks use it), the background the map draws.
pub async fn contour(Path(code): Path<String>) -> Response {
    let code = InseeCode::parse(&code).map(|c| c.to_string()).unwrap_or(code);
    let Some(contour) = Contours::national().get(&code) else {
        return ApiError::not_found("commune_not_found", format!("Aucun contour pour la commune {code}."))
            .into_response();
    };
    let polygons: Vec<Vec<Vec<[f64; 2]>>> = contour
        .shape()
        .iter()
        .map(|polygon| {
            std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .map(|ring| ring.coords().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect();
    let feature = serde_json::json!({
        "type": "Feature",
        "properties": {"code": contour.code, "nom": contour.nom},
        "geometry": {"type": "MultiPolygon", "coordinates": polygons},
    });
    let mut response = axum::Json(feature).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"));
    // Contours change with the binary (the yearly COG), not with publications.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}
