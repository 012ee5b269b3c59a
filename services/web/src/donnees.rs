//! The downloads page `/donnees`: every export the downloads service offers, of France and
//! of each département, in each format, with the size and date of the France files already
//! written (the downloads service keeps them, one per version of the base), the state of the
//! base for each département, the licence, and how to follow the change feed.
//!
//! Nothing is exported while the page renders: it reads the base's communes (once per
//! version of the feed, kept in [`SummaryCache`]) and the directory of kept France files.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use ban_domain::departement_of;
use ban_downloads::cache::{ExportCache, StoredFile};
use ban_downloads::export::{version_of, Version};
use ban_exports::{BalVersion, Format, Scope};
use ban_service_kit::ApiError;
use ban_store::BaseCommune;
use chrono::{DateTime, Utc};

use crate::pages::{html, Layout};
use crate::WebState;

/// Where the exports are served.
const DATA_PREFIX: &str = "/data/ban/adresses/latest";

/// What the page says of a format.
#[derive(Debug, Clone, Copy)]
pub struct FormatInfo {
    pub format: Format,
    /// Its title in the France table.
    pub title: &'static str,
    /// Its short name in the départements' table.
    pub short: &'static str,
    pub description: &'static str,
}

/// Every format of the downloads service, in the order of [`Format::ALL`].
pub fn formats() -> Vec<FormatInfo> {
    Format::ALL
        .into_iter()
        .map(|format| {
            let (title, short, description) = match format {
                Format::Csv => (
                    "CSV des adresses",
                    "CSV",
                    "Le format historique de la BAN : une ligne par adresse, avec sa position principale (23 colonnes).",
                ),
                Format::CsvWithIds => (
                    "CSV des adresses avec identifiants BAN",
                    "CSV + id",
                    "Les mêmes colonnes, plus les identifiants BAN de l’adresse, de sa voie et de sa commune.",
                ),
                Format::LieuxDits => {
                    ("CSV des lieux-dits (bêta)", "Lieux-dits", "Les lieux-dits, une ligne chacun (13 colonnes).")
                }
                Format::LieuxDitsWithIds => (
                    "CSV des lieux-dits avec identifiants BAN (bêta)",
                    "Lieux-dits + id",
                    "Les lieux-dits avec les identifiants BAN du lieu-dit et de sa commune.",
                ),
                Format::Bal(BalVersion::V1_3) => (
                    "Base Adresse Locale 1.3",
                    "BAL 1.3",
                    "La base au format BAL 1.3 : une ligne par position, identifiants dans uid_adresse, lieux-dits en numéro 99999.",
                ),
                Format::Bal(BalVersion::V1_4) => (
                    "Base Adresse Locale 1.4",
                    "BAL 1.4",
                    "La base au format BAL 1.4 (aussi pour la 1.5) : les identifiants BAN dans leurs colonnes.",
                ),
                Format::GeoJson => (
                    "GeoJSON des adresses",
                    "GeoJSON",
                    "Les adresses en points, dans une FeatureCollection (identifiants BAN compris).",
                ),
                Format::GeoJsonToponyms => (
                    "GeoJSON des voies et lieux-dits",
                    "GeoJSON voies",
                    "Les voies et les lieux-dits en points, dans une FeatureCollection.",
                ),
                Format::GeoJsonLines => (
                    "GeoJSON Lines des adresses",
                    "GeoJSONL",
                    "Une adresse par ligne : un fichier à lire en flux ou à découper.",
                ),
                Format::Addok => (
                    "Documents du géocodeur Addok",
                    "Addok",
                    "Communes, voies avec leurs numéros et lieux-dits, un document JSON par ligne.",
                ),
            };
            FormatInfo { format, title, short, description }
        })
        .collect()
}

/// The URL of an export.
pub fn export_url(format: Format, scope: &Scope) -> String {
    format!("{DATA_PREFIX}/{}/{}", format.folder(), format.file_name(scope))
}

/// A département of the reference (or of the base), with what the base holds of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartementSummary {
    pub code: String,
    pub name: String,
    /// Communes of the base in it.
    pub communes: usize,
    /// Active addresses of those communes.
    pub addresses: u64,
    /// The last change to its communes: the version of its files.
    pub changed_at: Option<DateTime<Utc>>,
}

/// What the page shows of the base, computed once per version of the feed.
#[derive(Debug, Clone)]
pub struct BaseSummary {
    /// The feed's head when it was read.
    pub head: i64,
    /// The version of the France files: the last change to any commune.
    pub version: Version,
    pub communes: usize,
    pub addresses: u64,
    /// Every département of the reference, in code order, and any other of the base.
    pub departements: Vec<DepartementSummary>,
}

/// The départements (and overseas collectivités) of the COG, by code, with their names.
fn reference_departements() -> &'static BTreeMap<String, String> {
    static DEPARTEMENTS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    DEPARTEMENTS.get_or_init(|| {
        ban_spatial::Territories::national()
            .communes()
            .map(|t| (t.departement.clone(), t.departement_name.clone()))
            .collect()
    })
}

impl BaseSummary {
    /// The summary of the base's communes (read at feed head `head`).
    pub fn of(head: i64, communes: &[BaseCommune]) -> Self {
        let mut departements: BTreeMap<String, DepartementSummary> = reference_departements()
            .iter()
            .map(|(code, name)| {
                let summary = DepartementSummary {
                    code: code.clone(),
                    name: name.clone(),
                    communes: 0,
                    addresses: 0,
                    changed_at: None,
                };
                (code.clone(), summary)
            })
            .collect();
        for record in communes {
            let code = departement_of(&record.commune.code);
            let entry = departements.entry(code.to_owned()).or_insert_with(|| DepartementSummary {
                code: code.to_owned(),
                name: code.to_owned(),
                communes: 0,
                addresses: 0,
                changed_at: None,
            });
            entry.communes += 1;
            entry.addresses += u64::from(record.commune.addresses);
            entry.changed_at = entry.changed_at.max(Some(record.changed_at));
        }
        BaseSummary {
            head,
            version: version_of(communes),
            communes: communes.len(),
            addresses: communes.iter().map(|c| u64::from(c.commune.addresses)).sum(),
            departements: departements.into_values().collect(),
        }
    }
}

/// The last [`BaseSummary`], kept until the feed moves.
#[derive(Debug, Clone, Default)]
pub struct SummaryCache(Arc<Mutex<Option<Arc<BaseSummary>>>>);

impl SummaryCache {
    /// The summary at the feed's current head: the kept one if the feed has not moved.
    pub async fn current(&self, store: &dyn ban_store::Store) -> Result<Arc<BaseSummary>, ApiError> {
        let head = store.last_seq().await?;
        if let Some(kept) = self.kept().filter(|s| s.head == head) {
            return Ok(kept);
        }
        // Communes read after the head: the summary is at least as new as `head` says.
        let communes = store.base_communes(None).await?;
        let summary = Arc::new(BaseSummary::of(head, &communes));
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(summary.clone());
        Ok(summary)
    }

    fn kept(&self) -> Option<Arc<BaseSummary>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A France file in the page.
#[derive(Debug)]
pub struct FranceFile {
    pub info: FormatInfo,
    pub url: String,
    pub file_name: String,
    /// Its size and when it was written, when the current version is on disk.
    pub written: Option<(String, Timestamp)>,
    /// The size of an older version still on disk, as an idea of what to expect.
    pub previous_size: Option<String>,
}

/// A link to one export of a département.
#[derive(Debug)]
pub struct ExportLink {
    pub short: &'static str,
    pub title: &'static str,
    pub url: String,
}

/// A row of the départements' table.
#[derive(Debug)]
pub struct DepartementRow {
    pub code: String,
    pub name: String,
    pub communes: String,
    pub addresses: String,
    pub changed: Option<Timestamp>,
    pub links: Vec<ExportLink>,
}

/// A time as the page shows it, and as `<time datetime>` gives it to machines.
#[derive(Debug, Clone)]
pub struct Timestamp {
    pub text: String,
    pub machine: String,
}

impl Timestamp {
    pub fn of(at: DateTime<Utc>) -> Self {
        Timestamp {
            text: crate::french::date(at),
            machine: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "donnees.html")]
pub struct DownloadsPage {
    pub layout: Layout,
    /// The scheme and host the page was asked on, for the examples.
    pub origin: String,
    pub updated: Option<Timestamp>,
    pub head: i64,
    /// `3 communes`, `1 adresse`.
    pub communes: String,
    pub addresses: String,
    pub france: Vec<FranceFile>,
    pub departements: Vec<DepartementRow>,
    /// A département of the base for the examples (the first with communes).
    pub example_departement: String,
    /// Why the département asked for cannot be shown.
    pub problem: Option<String>,
}

/// The query of `/donnees`: the département chosen in the form that leads to its row.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DownloadsQuery {
    pub departement: Option<String>,
}

/// `GET /donnees`; `?departement=54` (the form « Aller au département ») sends to that
/// département's row (`/donnees#departement-54`), without a script.
pub async fn page(
    State(state): State<WebState>,
    query: Result<Query<DownloadsQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    // An unreadable query is no choice: the page itself.
    let chosen = query.ok().and_then(|Query(q)| q.departement).map(|d| d.trim().to_uppercase());
    let mut page = match render(&state, &headers).await {
        Ok(page) => page,
        Err(error) => return error.into_response(),
    };
    match chosen.filter(|code| !code.is_empty()) {
        None => html(StatusCode::OK, &page),
        Some(code) if page.departements.iter().any(|d| d.code == code) => {
            Redirect::to(&format!("/donnees#departement-{code}")).into_response()
        }
        Some(code) => {
            page.problem = Some(format!(
                "Aucun département {code} : choisissez-en un dans la liste (01 à 95, 2A, 2B, 971 à 976, collectivités d’outre-mer)."
            ));
            html(StatusCode::NOT_FOUND, &page)
        }
    }
}

async fn render(state: &WebState, headers: &HeaderMap) -> Result<DownloadsPage, ApiError> {
    let summary = state.base_summary.current(&*state.store).await?;
    let formats = formats();
    let france_names: Vec<(Format, String)> =
        formats.iter().map(|f| (f.format, f.format.file_name(&Scope::France))).collect();
    let cache = state.exports.clone();
    let version = summary.version.clone();
    // The directory is read off the async threads.
    let stored = tokio::task::spawn_blocking(move || {
        france_names
            .into_iter()
            .map(|(format, name)| {
                let kept = cache.stored(&ExportCache::key(format, &name));
                let current = kept.iter().find(|f| is_version(f, &version)).cloned();
                let previous = kept.into_iter().find(|f| f.seq < version.seq);
                (current, previous)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::internal("exports_unreadable", e))?;
    let france = formats
        .iter()
        .zip(stored)
        .map(|(info, (current, previous))| FranceFile {
            info: *info,
            url: export_url(info.format, &Scope::France),
            file_name: info.format.file_name(&Scope::France),
            written: current.map(|f| {
                let at = f.written_at.map_or_else(Utc::now, DateTime::<Utc>::from);
                (french_size(f.bytes), Timestamp::of(at))
            }),
            previous_size: previous.map(|f| french_size(f.bytes)),
        })
        .collect();
    let departements: Vec<DepartementRow> = summary
        .departements
        .iter()
        .map(|d| {
            let scope = Scope::Departement(d.code.clone());
            DepartementRow {
                code: d.code.clone(),
                name: d.name.clone(),
                communes: french_number(d.communes as u64),
                addresses: french_number(d.addresses),
                changed: d.changed_at.map(Timestamp::of),
                links: formats
                    .iter()
                    .map(|f| ExportLink { short: f.short, title: f.title, url: export_url(f.format, &scope) })
                    .collect(),
            }
        })
        .collect();
    let example_departement = summary
        .departements
        .iter()
        .find(|d| d.communes > 0)
        .map_or_else(|| "54".to_owned(), |d| d.code.clone());
    Ok(DownloadsPage {
        layout: Layout::new("Télécharger les données", "/donnees"),
        origin: origin(headers),
        updated: summary.version.changed_at.map(Timestamp::of),
        head: summary.head,
        communes: counted(summary.communes as u64, "commune", "communes"),
        addresses: counted(summary.addresses, "adresse", "adresses"),
        france,
        departements,
        example_departement,
        problem: None,
    })
}

fn is_version(file: &StoredFile, version: &Version) -> bool {
    file.seq == version.seq
        && file.changed_at_millis == version.changed_at.map_or(0, |at| at.timestamp_millis())
}

/// `scheme://host` of the request, for examples to copy: the `Host` header when it is a
/// plain host name or address (and `X-Forwarded-Proto` when a proxy says https).
pub fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost:8080");
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// `1 234 567`, with the narrow no-break spaces of French typography.
pub fn french_number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(digit);
    }
    out
}

/// `0 commune`, `1 commune`, `2 communes`: French takes the plural from 2.
pub fn counted(n: u64, singular: &str, plural: &str) -> String {
    format!("{} {}", french_number(n), if n >= 2 { plural } else { singular })
}

/// A size in French units (powers of 1000, decimal comma): `850 octets`, `12 ko`, `1,4 Go`.
pub fn french_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["ko", "Mo", "Go", "To"];
    if bytes < 1000 {
        return format!("{bytes}\u{a0}octets");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let text = if value < 9.95 { format!("{value:.1}").replace('.', ",") } else { format!("{value:.0}") };
    format!("{text}\u{a0}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sizes_and_dates_are_written_the_french_way() {
        assert_eq!(french_number(0), "0");
        assert_eq!(french_number(999), "999");
        assert_eq!(french_number(1_000), "1\u{202f}000");
        assert_eq!(french_number(26_012_345), "26\u{202f}012\u{202f}345");
        assert_eq!(counted(1, "commune", "communes"), "1 commune");
        assert_eq!(counted(1_200, "commune", "communes"), "1\u{202f}200 communes");
        assert_eq!(french_size(850), "850\u{a0}octets");
        assert_eq!(french_size(1_450), "1,4\u{a0}ko");
        assert_eq!(french_size(12_400), "12\u{a0}ko");
        assert_eq!(french_size(999_960), "1,0\u{a0}Mo");
        assert_eq!(french_size(1_234_000_000), "1,2\u{a0}Go");
    }

    #[test]
    fn the_reference_has_every_departement() {
        let departements = reference_departements();
        let metropolitan = departements.keys().filter(|c| c.len() == 2).count();
        assert_eq!(metropolitan, 96, "95 numbers without 20, plus 2A and 2B");
        for code in ["01", "2A", "2B", "95", "971", "972", "973", "974", "976"] {
            assert!(departements.contains_key(code), "{code}");
        }
        assert_eq!(departements["54"], "Meurthe-et-Moselle");
    }

    #[test]
    fn the_origin_comes_from_a_plain_host_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(origin(&headers), "http://localhost:8080");
        headers.insert(header::HOST, "ban.example.org".parse().expect("a header"));
        headers.insert("x-forwarded-proto", "https".parse().expect("a header"));
        assert_eq!(origin(&headers), "https://ban.example.org");
        headers.insert(header::HOST, "evil\"><script>".parse().expect("a header"));
        assert_eq!(origin(&headers), "https://localhost:8080");
    }
}
