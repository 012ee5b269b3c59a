//! The statistics routes (`/stats/…`) and `/last-revisions`, open to everyone. Production
//! keeps `/stats/…` to its administrators; here they are public, like the rest of what they
//! count: every figure is derived from published revisions, which the public read routes
//! already show commune by commune (`/last-revisions` shows drafts to their client and the
//! administrators only). Every answer is bounded: date ranges are checked and capped, lists
//! come in pages. Days are UTC days.
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use ban_service_kit::{ApiError, Problem};
use ban_store::{LastRevision, PageRequest, PublicationCounts};
use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::openapi::ReaderProblems;
use crate::pages::PageQuery;
use crate::{DepotState, Reader};

type AppState = State<Arc<DepotState>>;

/// The longest range of `/stats/firsts-publications`, in days (its answer has a row a day).
pub const MAX_FIRSTS_DAYS: u64 = 3_660;
/// The longest range of `/stats/publications`, in days (its answer has a row a day and
/// commune published).
pub const MAX_PUBLICATIONS_DAYS: u64 = 366;
/// Communes a page of `/stats/metrics-incubateur` gives at most, and by default.
pub const MAX_METRICS_LIMIT: u32 = 1_000;
pub const DEFAULT_METRICS_LIMIT: u32 = 100;

/// `from` and `to`, days `AAAA-MM-JJ`: both or neither (the last month, to today).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateRangeQuery {
    /// Premier jour (AAAA-MM-JJ), avec `to` ; un mois avant aujourd’hui par défaut.
    #[param(example = "2026-01-01")]
    from: Option<String>,
    /// Dernier jour (AAAA-MM-JJ, inclus), avec `from` ; aujourd’hui par défaut.
    #[param(example = "2026-01-31")]
    to: Option<String>,
}

/// The days of a range, `from` to `to` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    /// The range asked for, checked: both days or neither, real days, in order, at most
    /// `max_days` of them; 400 otherwise (the production API's messages).
    pub fn read(query: &DateRangeQuery, today: NaiveDate, max_days: u64) -> Result<DayRange, ApiError> {
        let day = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
        let range = match (query.from.as_deref(), query.to.as_deref()) {
            (None, None) => {
                DayRange { from: today.checked_sub_months(Months::new(1)).unwrap_or(today), to: today }
            }
            (Some(from), Some(to)) => match (day(from), day(to)) {
                (Some(from), Some(to)) => DayRange { from, to },
                _ => {
                    return Err(ApiError::bad_request(
                        "invalid_date",
                        "Les dates ne sont pas valides : attendu AAAA-MM-JJ.",
                    ))
                }
            },
            _ => return Err(ApiError::bad_request("missing_date", "Il manque une date from ou to.")),
        };
        if range.from > range.to {
            return Err(ApiError::bad_request(
                "invalid_date_range",
                "La date from est postérieure à la date to.",
            ));
        }
        if range.days() > max_days {
            return Err(ApiError::bad_request(
                "date_range_too_long",
                format!("De {} à {} : {} jours, {max_days} au plus.", range.from, range.to, range.days()),
            ));
        }
        Ok(range)
    }

    /// How many days it has.
    pub fn days(&self) -> u64 {
        u64::try_from((self.to - self.from).num_days()).unwrap_or(0) + 1
    }

    /// Its first instant (UTC).
    fn start(&self) -> DateTime<Utc> {
        self.from.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The instant after its last day (UTC).
    fn end(&self) -> DateTime<Utc> {
        self.to.checked_add_days(Days::new(1)).unwrap_or(self.to).and_time(chrono::NaiveTime::MIN).and_utc()
    }

    fn each(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|day| day <= &self.to)
    }
}

/// A day of `/stats/firsts-publications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirstPublicationsDay {
    /// AAAA-MM-JJ
    pub date: String,
    /// Communes publiées une première fois ce jour-là ou avant.
    pub total_creations: u64,
    /// …dont la première publication vient de Mes Adresses.
    pub via_mes_adresses: u64,
    /// …dont la première publication vient du moissonneur.
    pub via_moissonneur: u64,
}

/// The publications of a commune on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommuneCounts {
    pub total: u64,
    pub via_mes_adresses: u64,
    pub via_moissonneur: u64,
}

impl From<PublicationCounts> for CommuneCounts {
    fn from(counts: PublicationCounts) -> Self {
        CommuneCounts {
            total: counts.total,
            via_mes_adresses: counts.via_mes_adresses,
            via_moissonneur: counts.via_moissonneur,
        }
    }
}

/// A day of `/stats/publications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicationsDay {
    /// AAAA-MM-JJ
    pub date: String,
    /// Par code commune, ses publications du jour.
    #[serde(rename = "publishedBAL")]
    pub published_bal: BTreeMap<String, CommuneCounts>,
}

/// `/stats/firsts-publications`: for each day of the range, the communes published for the
/// first time that day or before, out of `firsts` (the first publications by day, oldest
/// first).
pub fn cumulated_firsts(
    range: DayRange,
    firsts: &[ban_store::FirstPublications],
) -> Vec<FirstPublicationsDay> {
    let mut sum = PublicationCounts::default();
    let mut next = firsts.iter().peekable();
    range
        .each()
        .map(|day| {
            let key = day.format("%Y-%m-%d").to_string();
            while let Some(first) = next.next_if(|first| first.day <= key) {
                sum.total += first.counts.total;
                sum.via_mes_adresses += first.counts.via_mes_adresses;
                sum.via_moissonneur += first.counts.via_moissonneur;
            }
            FirstPublicationsDay {
                date: key,
                total_creations: sum.total,
                via_mes_adresses: sum.via_mes_adresses,
                via_moissonneur: sum.via_moissonneur,
            }
        })
        .collect()
}

/// `GET /stats/firsts-publications?from=AAAA-MM-JJ&to=AAAA-MM-JJ`
#[utoipa::path(
    get,
    path = "/stats/firsts-publications",
    tag = "statistiques",
    summary = "Communes publiées, cumul jour par jour",
    description = "Pour chaque jour de from à to (le dernier mois par défaut ; 3 660 jours au plus), le nombre de \
        communes dont la première publication a eu lieu ce jour-là ou avant, et combien d’entre elles l’ont été \
        d’abord par Mes Adresses (client `mes-adresses`) et par le moissonneur (`moissonneur-bal`). Jours UTC.",
    params(DateRangeQuery),
    responses(
        (status = 200, description = "Un élément par jour, dans l’ordre", body = Vec<FirstPublicationsDay>),
        (status = 400, description = "from ou to seul, date invalide, from après to, intervalle trop long", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn firsts_publications(
    State(state): AppState,
    Query(query): Query<DateRangeQuery>,
) -> Result<Json<Vec<FirstPublicationsDay>>, ApiError> {
    let range = DayRange::read(&query, Utc::now().date_naive(), MAX_FIRSTS_DAYS)?;
    let firsts = state.store.first_publications(range.end()).await?;
    Ok(Json(cumulated_firsts(range, &firsts)))
}

/// `GET /stats/publications?from=AAAA-MM-JJ&to=AAAA-MM-JJ`
#[utoipa::path(
    get,
    path = "/stats/publications",
    tag = "statistiques",
    summary = "Publications par jour et par commune",
    description = "Les jours de from à to (le dernier mois par défaut ; 366 jours au plus) qui ont eu des \
        publications, et pour chacun les communes publiées, avec le nombre de publications, dont par Mes Adresses \
        et par le moissonneur. Jours UTC.",
    params(DateRangeQuery),
    responses(
        (status = 200, description = "Un élément par jour qui a eu des publications, dans l’ordre", body = Vec<PublicationsDay>),
        (status = 400, description = "from ou to seul, date invalide, from après to, intervalle trop long", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn publications(
    State(state): AppState,
    Query(query): Query<DateRangeQuery>,
) -> Result<Json<Vec<PublicationsDay>>, ApiError> {
    let range = DayRange::read(&query, Utc::now().date_naive(), MAX_PUBLICATIONS_DAYS)?;
    let rows = state.store.publications(range.start(), range.end()).await?;
    let mut days: Vec<PublicationsDay> = Vec::new();
    for row in rows {
        if days.last().is_none_or(|last| last.date != row.day) {
            days.push(PublicationsDay { date: row.day.clone(), published_bal: BTreeMap::new() });
        }
        if let Some(day) = days.last_mut() {
            day.published_bal.insert(row.code_commune, row.counts.into());
        }
    }
    Ok(Json(days))
}

/// `offset` and `limit` of `/stats/metrics-incubateur`, as text so that a wrong one is named.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OffsetQuery {
    /// Communes sautées (0 par défaut).
    #[param(value_type = Option<u64>, minimum = 0)]
    offset: Option<String>,
    /// Communes données, de 1 à 1 000 (100 par défaut).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

impl OffsetQuery {
    fn request(&self) -> Result<PageRequest, ApiError> {
        let offset = match self.offset.as_deref() {
            None => 0,
            Some(text) => text.trim().parse::<u64>().map_err(|_| {
                ApiError::bad_request(
                    "invalid_offset",
                    format!("offset « {text} » : attendu un entier positif."),
                )
            })?,
        };
        let limit = match self.limit.as_deref() {
            None => DEFAULT_METRICS_LIMIT,
            Some(text) => {
                text.trim().parse::<u32>().ok().filter(|n| (1..=MAX_METRICS_LIMIT).contains(n)).ok_or_else(
                    || {
                        ApiError::bad_request(
                            "invalid_limit",
                            format!("limit « {text} » : attendu un entier de 1 à {MAX_METRICS_LIMIT}."),
                        )
                    },
                )?
            }
        };
        Ok(PageRequest { offset, limit })
    }
}

/// Whether a commune published within the last year, month, week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Metrics {
    /// 1 : la commune a publié (toujours).
    pub tu: u8,
    /// 1 si sa dernière publication date de moins d’un an.
    pub yau: u8,
    /// …de moins d’un mois.
    pub mau: u8,
    /// …de moins d’une semaine.
    pub wau: u8,
}

impl Metrics {
    /// The metrics of a commune last published at `published_at`, seen at `now`.
    pub fn of(published_at: DateTime<Utc>, now: DateTime<Utc>) -> Metrics {
        let since = |then: Option<DateTime<Utc>>| u8::from(then.is_some_and(|then| then <= published_at));
        Metrics {
            tu: 1,
            yau: since(now.checked_sub_months(Months::new(12))),
            mau: since(now.checked_sub_months(Months::new(1))),
            wau: since(now.checked_sub_days(Days::new(7))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MetricsCommune {
    /// Code INSEE
    pub insee: String,
    pub metrics: Metrics,
}

/// `/stats/metrics-incubateur`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MetricsIncubateur {
    /// Communes qui ont une révision publiée.
    pub count: u64,
    /// Cette page, par code commune.
    pub results: Vec<MetricsCommune>,
}

/// `GET /stats/metrics-incubateur?offset=N&limit=M`
#[utoipa::path(
    get,
    path = "/stats/metrics-incubateur",
    tag = "statistiques",
    summary = "Activité des communes publiées",
    description = "Pour chaque commune qui a publié, par code commune : tu = 1, et yau, mau, wau = 1 si sa dernière \
        publication date de moins d’un an, d’un mois, d’une semaine. count est le nombre de ces communes ; \
        offset et limit choisissent la page (100 communes par défaut, 1 000 au plus).",
    params(OffsetQuery),
    responses(
        (status = 200, description = "Le nombre de communes et une page de leurs métriques", body = MetricsIncubateur),
        (status = 400, description = "offset ou limit invalide", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn metrics_incubateur(
    State(state): AppState,
    Query(query): Query<OffsetQuery>,
) -> Result<Json<MetricsIncubateur>, ApiError> {
    let page = query.request()?;
    // The last publication of a commune is its current revision.
    let found = state.store.current_revisions(None, None, page).await?;
    let now = Utc::now();
    let results = found
        .items
        .into_iter()
        .filter_map(|r| {
            Some(MetricsCommune { metrics: Metrics::of(r.published_at?, now), insee: r.code_commune })
        })
        .collect();
    Ok(Json(MetricsIncubateur { count: found.total, results }))
}

/// `GET /last-revisions?page=N&limit=M`
#[utoipa::path(
    get,
    path = "/last-revisions",
    tag = "revisions",
    summary = "Dernière révision de chaque commune, par page",
    description = "Par code commune, la dernière révision créée (sans son rapport) : son statut, si elle est prête \
        et si son fichier était valide. Sans jeton, parmi les révisions publiées ; un client voit aussi ses \
        brouillons, les administrateurs tous. Le corps est la page (un tableau) ; X-Total-Count (le nombre de \
        communes) et Link (first, prev, next, last) disent le reste.",
    params(PageQuery),
    security((), ("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "Une page des dernières révisions", body = Vec<LastRevision>, headers(
            ("x-total-count" = u64, description = "Nombre de communes de la liste entière"),
            ("link" = String, description = "Les pages first, prev, next et last (RFC 8288)"))),
        (status = 400, description = "page ou limit invalide", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
    )
)]
pub async fn last_revisions(
    State(state): AppState,
    Query(page): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
    reader: Reader,
) -> Result<(HeaderMap, Json<Vec<LastRevision>>), ApiError> {
    let paging = page.paging()?;
    let found = state.store.last_revisions(reader.viewer(), paging.request()).await?;
    let headers = paging.headers(&uri, &found);
    Ok((headers, Json(found.items)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    fn query(from: Option<&str>, to: Option<&str>) -> DateRangeQuery {
        DateRangeQuery { from: from.map(Into::into), to: to.map(Into::into) }
    }

    #[test]
    fn ranges_are_checked() {
        let today = day("2026-03-31");
        let default = DayRange::read(&query(None, None), today, 366).ok();
        assert_eq!(default, Some(DayRange { from: day("2026-02-28"), to: today }));
        let range = DayRange::read(&query(Some("2000-01-01"), Some("2000-02-28")), today, 366).ok();
        assert_eq!(range.map(|r| r.days()), Some(59));
        for (from, to, code) in [
            (Some("2000-01-01"), None, "missing_date"),
            (None, Some("2000-01-01"), "missing_date"),
            (Some("2000-13-01"), Some("2000-12-01"), "invalid_date"),
            (Some("hier"), Some("2000-12-01"), "invalid_date"),
            (Some("2000-02-01"), Some("2000-01-01"), "invalid_date_range"),
            (Some("2000-01-01"), Some("2001-12-31"), "date_range_too_long"),
        ] {
            match DayRange::read(&query(from, to), today, 366) {
                Err(e) => assert_eq!(e.code, code, "{from:?} {to:?}"),
                Ok(r) => panic!("{from:?} {to:?}: {r:?}"),
            }
        }
    }

    #[test]
    fn first_publications_add_up_day_after_day() {
        let counts =
            |total, via_mes_adresses| PublicationCounts { total, via_mes_adresses, via_moissonneur: 0 };
        let firsts = [
            ban_store::FirstPublications { day: "1999-12-31".into(), counts: counts(3, 1) },
            ban_store::FirstPublications { day: "2000-01-02".into(), counts: counts(1, 0) },
            ban_store::FirstPublications { day: "2000-01-04".into(), counts: counts(2, 2) },
        ];
        let range = DayRange { from: day("2000-01-01"), to: day("2000-01-04") };
        let days = cumulated_firsts(range, &firsts);
        let totals: Vec<(String, u64, u64)> =
            days.into_iter().map(|d| (d.date, d.total_creations, d.via_mes_adresses)).collect();
        assert_eq!(
            totals,
            [
                ("2000-01-01".into(), 3, 1),
                ("2000-01-02".into(), 4, 1),
                ("2000-01-03".into(), 4, 1),
                ("2000-01-04".into(), 6, 3)
            ]
        );
    }

    #[test]
    fn metrics_of_a_last_publication() {
        let now = Utc::now();
        let ago = |days| now - chrono::Duration::days(days);
        assert_eq!(Metrics::of(ago(730), now), Metrics { tu: 1, yau: 0, mau: 0, wau: 0 });
        assert_eq!(Metrics::of(ago(60), now), Metrics { tu: 1, yau: 1, mau: 0, wau: 0 });
        assert_eq!(Metrics::of(ago(10), now), Metrics { tu: 1, yau: 1, mau: 1, wau: 0 });
        assert_eq!(Metrics::of(ago(2), now), Metrics { tu: 1, yau: 1, mau: 1, wau: 1 });
    }
}
