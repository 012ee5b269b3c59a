//! Citizen reports (signalements) in the pages: « Signaler une erreur » (`/signaler`), a form
//! reached from a search result, an address of a map or a commune's page, sent to the depot's
//! `POST /signalements` as the browser's own report (the depot checks every field; its
//! `errors[]` are shown beside each field); a report's public page (`/signalement/{id}`, the
//! receipt); the commune's reports (`/commune/{code}/signalements`, and the last ones on the
//! commune page); and their processing by the town hall (`/commune/{code}/signalements/mairie`)
//! after the same e-mail code consent as the publication ([`crate::consent`]).
//!
//! The pages read the reports from the store (the public view: never their author) and write
//! through the depot as the web's own client ([`DepotClient`]), like the publication flow.
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use ban_domain::{BanId, InseeCode, PositionType};
use ban_reports::{
    Author, ChangesRequested, ExistingLocation, ExistingToponym, GeoPoint, Position, ReportRequest,
};
use ban_service_kit::ApiError;
use ban_spatial::contours::Contours;
use ban_store::{Found, PageRequest, Report, ReportFilter, ReportStatus, ReportType};
use serde::Deserialize;

use crate::commune::not_found;
use crate::consent::{plain, status_of, Consent, Problem};
use crate::depot_client::{Browser, DepotClient, DepotError, ReportDecision};
use crate::pages::{html, Layout};
use crate::publish::{resolve_commune, CommuneChoice};
use crate::WebState;

/// Reports shown on the commune page, newest first (the others on its reports' page).
pub const LAST_REPORTS: u32 = 10;
/// Reports per page of a commune's list.
pub const REPORTS_PER_PAGE: u32 = 20;
/// Pending reports the town hall's page lists at once.
pub const PENDING_SHOWN: u32 = 100;

/// What a report asks, as the form offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// An address that is missing (`LOCATION_TO_CREATE`).
    Missing,
    /// An address that is wrong (`LOCATION_TO_UPDATE` of a `NUMERO`).
    Wrong,
    /// An address to delete (`LOCATION_TO_DELETE`).
    Delete,
    /// A street's name (`LOCATION_TO_UPDATE` of a `VOIE`).
    StreetName,
}

impl Asked {
    pub const ALL: [Asked; 4] = [Asked::Missing, Asked::Wrong, Asked::Delete, Asked::StreetName];

    /// The form's value.
    pub fn value(self) -> &'static str {
        match self {
            Asked::Missing => "adresse-manquante",
            Asked::Wrong => "adresse-erronee",
            Asked::Delete => "adresse-a-supprimer",
            Asked::StreetName => "nom-de-voie",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Asked::Missing => "Une adresse manque",
            Asked::Wrong => "Une adresse est erronée (numéro, suffixe, voie ou position)",
            Asked::Delete => "Une adresse n’existe pas ou plus",
            Asked::StreetName => "Le nom d’une voie est erroné",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Asked::Missing => "Donnez son numéro, sa voie et sa position sur la carte.",
            Asked::Wrong => "Donnez l’adresse telle qu’elle devrait être.",
            Asked::Delete => "Dites pourquoi dans le commentaire.",
            Asked::StreetName => "Donnez le nom actuel de la voie et le nom juste.",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Asked::ALL.into_iter().find(|a| a.value() == text)
    }
}

/// The address a report is about, as the base holds it.
#[derive(Debug, Clone)]
pub struct Existing {
    pub ban_id: String,
    pub numero: u32,
    pub suffixe: Option<String>,
    pub street: String,
    pub street_ban_id: String,
    /// Its first position (longitude, latitude).
    pub point: Option<[f64; 2]>,
}

impl Existing {
    /// « 4 bis Rue Joffre ».
    pub fn label(&self) -> String {
        let suffixe = self.suffixe.as_deref().map(|s| format!(" {s}")).unwrap_or_default();
        format!("{}{suffixe} {}", self.numero, self.street)
    }
}

/// The active address `id` of `commune` (a BAN id, or the `cle_interop` the maps' tiles give).
async fn existing_address(state: &WebState, commune: &str, id: &str) -> Result<Option<Existing>, ApiError> {
    let id = id.trim();
    if id.is_empty() {
        return Ok(None);
    }
    let of = |address: &ban_store::Address, street: &ban_store::Toponym| Existing {
        ban_id: address.id.to_string(),
        numero: address.numero,
        suffixe: address.suffixe.clone(),
        street: street.name.clone(),
        street_ban_id: street.id.to_string(),
        point: address.positions.first().map(|p| p.coordinates),
    };
    if let Ok(ban_id) = BanId::parse(id) {
        let Some(Found::Address(address)) = state.store.find(&ban_id).await? else { return Ok(None) };
        if address.commune != commune || !address.active {
            return Ok(None);
        }
        let Some(Found::Toponym(street)) = state.store.find(&address.toponym).await? else { return Ok(None) };
        return Ok(Some(of(&address, &street)));
    }
    // A map's address: its interoperability key, found in the commune's part of the base.
    let base = state.store.commune_base(commune).await?;
    let Some(address) = base.addresses.iter().find(|a| a.active && a.cle_interop.as_deref() == Some(id))
    else {
        return Ok(None);
    };
    Ok(base.toponyms.iter().find(|t| t.id == address.toponym).map(|street| of(address, street)))
}

/// The form's fields, as posted (and shown again with the errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReportForm {
    pub commune: String,
    /// The address reported (its BAN id), when one was chosen.
    pub adresse: String,
    pub quoi: String,
    pub numero: String,
    pub suffixe: String,
    pub voie: String,
    pub nouveau_nom: String,
    pub lon: String,
    pub lat: String,
    pub commentaire: String,
    pub auteur: String,
    pub courriel: String,
    /// The honeypot, hidden from people: filled, the report is a robot's.
    pub site_web: String,
}

/// A field of the form and what is wrong with it.
#[derive(Debug, Clone)]
pub struct FieldProblem {
    /// The form's field (`numero`, `position`…), or `formulaire` for the whole.
    pub field: &'static str,
    pub message: String,
}

/// The form's field of a path of the depot's request.
fn form_field(path: &str, asked: Option<Asked>) -> &'static str {
    let path = path.split('[').next().unwrap_or(path);
    match path {
        "changesRequested.numero" | "existingLocation.numero" => "numero",
        "changesRequested.suffixe" | "existingLocation.suffixe" => "suffixe",
        "changesRequested.nomVoie" => "voie",
        "changesRequested.nom" if asked == Some(Asked::StreetName) => "nouveau_nom",
        "changesRequested.nom" => "voie",
        "changesRequested.comment" => "commentaire",
        "author.email" => "courriel",
        "author.firstName" | "author.lastName" => "auteur",
        "codeCommune" => "commune",
        p if p.starts_with("changesRequested.positions") || p.starts_with("existingLocation.position") => {
            "position"
        }
        p if p.starts_with("existingLocation") => "quoi",
        _ => "formulaire",
    }
}

/// The depot's field errors in the form's words.
fn field_problems(error: &DepotError, asked: Option<Asked>) -> Vec<FieldProblem> {
    error
        .errors
        .iter()
        .map(|e| FieldProblem { field: form_field(&e.field, asked), message: sentence(&e.message) })
        .collect()
}

/// A message as a sentence: its first letter in capitals, a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut text: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

fn text(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The depot's request of a form: what the form alone can tell wrong (a number that is not
/// one, half a position, an address to correct that was not chosen) is told here, the rest by
/// the depot's checks.
pub fn request_of(
    form: &ReportForm,
    commune: &str,
    existing: Option<&Existing>,
) -> Result<ReportRequest, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut problem = |field: &'static str, message: String| problems.push(FieldProblem { field, message });
    let asked = Asked::parse(&form.quoi);
    if asked.is_none() {
        problem("quoi", "Choisissez ce que vous signalez.".into());
    }
    let numero = match text(&form.numero) {
        None => None,
        Some(n) => match n.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                problem("numero", format!("« {n} » n’est pas un numéro : des chiffres seulement (le suffixe, « bis », a son champ)."));
                None
            }
        },
    };
    let coordinate = |value: &str| text(value).map(|v| v.replace(',', ".").parse::<f64>().map_err(|_| v));
    let point = match (coordinate(&form.lon), coordinate(&form.lat)) {
        (None, None) => None,
        (Some(Ok(lon)), Some(Ok(lat))) => Some([lon, lat]),
        (Some(Err(v)), _) | (_, Some(Err(v))) => {
            problem(
                "position",
                format!("« {v} » n’est pas une coordonnée : un nombre de degrés, par exemple 5.8336."),
            );
            None
        }
        _ => {
            problem("position", "Donnez la longitude et la latitude, ou cliquez sur la carte.".into());
            None
        }
    };
    let point =
        point.or_else(|| if asked == Some(Asked::Wrong) { existing.and_then(|e| e.point) } else { None });
    let positions: Vec<Position> = point
        .map(|coordinates| Position {
            kind: PositionType::Entree,
            point: GeoPoint { kind: "Point".into(), coordinates },
        })
        .into_iter()
        .collect();
    let numbered = |e: &Existing| ExistingLocation::Numero {
        ban_id: Some(e.ban_id.clone()),
        numero: e.numero,
        suffixe: e.suffixe.clone(),
        position: e.point.map(|coordinates| Position {
            kind: PositionType::Entree,
            point: GeoPoint { kind: "Point".into(), coordinates },
        }),
        toponyme: Some(ExistingToponym { nom: e.street.clone(), ban_id: Some(e.street_ban_id.clone()) }),
    };
    let comment = text(&form.commentaire);
    let (kind, existing_location, changes) = match asked {
        None | Some(Asked::Missing) => (
            ReportType::LocationToCreate,
            None,
            ChangesRequested {
                numero,
                suffixe: text(&form.suffixe),
                nom_voie: text(&form.voie),
                positions,
                comment,
                ..ChangesRequested::default()
            },
        ),
        Some(Asked::Wrong) => {
            if existing.is_none() {
                problem(
                    "quoi",
                    "Choisissez d’abord l’adresse à corriger : sur la carte de la commune (« Signaler une erreur » dans la bulle de l’adresse) ou depuis la recherche de l’accueil.".into(),
                );
            }
            (
                ReportType::LocationToUpdate,
                existing.map(numbered),
                ChangesRequested {
                    numero,
                    suffixe: text(&form.suffixe),
                    nom_voie: text(&form.voie),
                    positions,
                    comment,
                    ..ChangesRequested::default()
                },
            )
        }
        Some(Asked::Delete) => {
            let location = match existing {
                Some(e) => Some(numbered(e)),
                None => match numero {
                    Some(numero) => Some(ExistingLocation::Numero {
                        ban_id: None,
                        numero,
                        suffixe: text(&form.suffixe),
                        position: None,
                        toponyme: text(&form.voie).map(|nom| ExistingToponym { nom, ban_id: None }),
                    }),
                    None => {
                        if form.numero.trim().is_empty() {
                            problem("numero", "Obligatoire : le numéro de l’adresse à supprimer.".into());
                        }
                        None
                    }
                },
            };
            (
                ReportType::LocationToDelete,
                location,
                ChangesRequested { comment, ..ChangesRequested::default() },
            )
        }
        Some(Asked::StreetName) => {
            let current = text(&form.voie).or_else(|| existing.map(|e| e.street.clone()));
            let location = match current {
                Some(nom) => Some(ExistingLocation::Voie {
                    ban_id: existing.filter(|e| e.street == nom).map(|e| e.street_ban_id.clone()),
                    nom,
                    position: None,
                }),
                None => {
                    problem("voie", "Obligatoire : le nom actuel de la voie.".into());
                    None
                }
            };
            (
                ReportType::LocationToUpdate,
                location,
                ChangesRequested { nom: text(&form.nouveau_nom), comment, ..ChangesRequested::default() },
            )
        }
    };
    let author = (text(&form.auteur).is_some() || text(&form.courriel).is_some()).then(|| Author {
        first_name: None,
        last_name: text(&form.auteur),
        email: text(&form.courriel),
    });
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ReportRequest {
        code_commune: commune.to_owned(),
        kind,
        existing_location,
        changes_requested: changes,
        author,
    })
}

/// A choice of the form's « what »: its value, label, hint, and whether it is checked.
#[derive(Debug)]
pub struct AskedChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub checked: bool,
}

/// The report form.
#[derive(Debug, Template)]
#[template(path = "report_form.html")]
pub struct ReportFormPage {
    pub layout: Layout,
    /// `None`: the page asks for the commune first.
    pub commune: Option<CommuneChoice>,
    pub existing: Option<Existing>,
    pub form: ReportForm,
    pub choices: Vec<AskedChoice>,
    pub problems: Vec<FieldProblem>,
    pub problem: Option<Problem>,
    /// The map's view: west, south, east, north.
    pub bounds: Option<[f64; 4]>,
    pub basemap: Option<String>,
}

impl ReportFormPage {
    fn new(
        commune: Option<CommuneChoice>,
        existing: Option<Existing>,
        form: ReportForm,
        basemap: Option<String>,
    ) -> Self {
        let checked = Asked::parse(&form.quoi).unwrap_or(if existing.is_some() {
            Asked::Wrong
        } else {
            Asked::Missing
        });
        let bounds = commune.as_ref().and_then(|c| Contours::national().get(&c.code)).map(|c| {
            let rect = geo::BoundingRect::bounding_rect(c.shape());
            rect.map_or([0.0; 4], |r| [r.min().x, r.min().y, r.max().x, r.max().y])
        });
        let mut layout = Layout::new("Signaler une erreur", "");
        if let Some(c) = &commune {
            layout.dynamic_title = Some(format!("Signaler une erreur à {} ({})", c.nom, c.code));
        }
        ReportFormPage {
            layout,
            commune,
            existing,
            form,
            choices: Asked::ALL
                .into_iter()
                .map(|a| AskedChoice {
                    value: a.value(),
                    label: a.label(),
                    hint: a.hint(),
                    checked: a == checked,
                })
                .collect(),
            problems: Vec::new(),
            problem: None,
            bounds,
            basemap,
        }
    }

    /// What is wrong with `field`, if anything (every message of it, joined).
    pub fn error(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> =
            self.problems.iter().filter(|p| p.field == field).map(|p| p.message.as_str()).collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }

    /// Errors that belong to no field of the form.
    pub fn general_errors(&self) -> Vec<&str> {
        self.problems.iter().filter(|p| p.field == "formulaire").map(|p| p.message.as_str()).collect()
    }

    fn with_errors(mut self, title: &str, problems: Vec<FieldProblem>) -> Self {
        let count = problems.len();
        self.problems = problems;
        self.problem = Some(Problem::new(
            title,
            if count > 1 {
                format!("{count} champs sont à corriger : chacun dit ce qui ne va pas.")
            } else {
                "Un champ est à corriger : il dit ce qui ne va pas.".to_owned()
            },
        ));
        if let Some(t) = self.layout.dynamic_title.take() {
            self.layout.dynamic_title = Some(format!("Erreur — {t}"));
        }
        self
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct FormQuery {
    commune: Option<String>,
    adresse: Option<String>,
}

/// `GET /signaler?commune=…&adresse=…`: the form (the commune asked first when not given).
pub async fn form(State(state): State<WebState>, Query(query): Query<FormQuery>) -> Response {
    let basemap = state.basemap_style.as_deref().map(str::to_owned);
    let Some(input) = query.commune.as_deref().filter(|c| !c.trim().is_empty()) else {
        return html(StatusCode::OK, &ReportFormPage::new(None, None, ReportForm::default(), basemap));
    };
    let commune = match resolve_commune(input) {
        Ok(commune) => commune,
        Err(message) => {
            let mut page = ReportFormPage::new(
                None,
                None,
                ReportForm { commune: input.to_owned(), ..ReportForm::default() },
                basemap,
            );
            page = page.with_errors("Commune introuvable", vec![FieldProblem { field: "commune", message }]);
            return html(StatusCode::NOT_FOUND, &page);
        }
    };
    let existing = match query.adresse.as_deref() {
        Some(id) => match existing_address(&state, &commune.code, id).await {
            Ok(existing) => existing,
            Err(error) => return error.into_response(),
        },
        None => None,
    };
    let mut form = ReportForm { commune: commune.code.clone(), ..ReportForm::default() };
    if let Some(e) = &existing {
        form.adresse = e.ban_id.clone();
        form.numero = e.numero.to_string();
        form.suffixe = e.suffixe.clone().unwrap_or_default();
        form.voie = e.street.clone();
        if let Some([lon, lat]) = e.point {
            form.lon = format!("{lon:.6}");
            form.lat = format!("{lat:.6}");
        }
    }
    let mut page = ReportFormPage::new(Some(commune), existing, form, basemap);
    let status = if query.adresse.as_deref().is_some_and(|a| !a.trim().is_empty()) && page.existing.is_none()
    {
        page = page.with_errors(
            "Adresse introuvable",
            vec![FieldProblem {
                field: "formulaire",
                message: "Cette adresse n’est pas (ou plus) dans la Base Adresse Nationale pour cette commune : signalez-la comme manquante, ou choisissez-la à nouveau sur la carte.".into(),
            }],
        );
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    html(status, &page)
}

/// `POST /signaler`: the report sent to the depot, then its receipt (303); or the form again
/// with each field's error and the depot's status.
pub async fn submit(State(state): State<WebState>, browser: Browser, body: Bytes) -> Response {
    let basemap = state.basemap_style.as_deref().map(str::to_owned);
    let form: ReportForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(error) => {
            let page = ReportFormPage::new(None, None, ReportForm::default(), basemap).with_errors(
                "Formulaire illisible",
                vec![FieldProblem {
                    field: "formulaire",
                    message: format!("Le formulaire n’a pas pu être lu : {error}."),
                }],
            );
            return html(StatusCode::BAD_REQUEST, &page);
        }
    };
    let commune = match resolve_commune(&form.commune) {
        Ok(commune) => commune,
        Err(message) => {
            let page = ReportFormPage::new(None, None, form, basemap)
                .with_errors("Commune introuvable", vec![FieldProblem { field: "commune", message }]);
            return html(StatusCode::BAD_REQUEST, &page);
        }
    };
    if !form.site_web.trim().is_empty() {
        // A robot filled the field people do not see: it is told the report was received.
        tracing::info!(commune = %commune.code, "report refused: honeypot filled");
        metrics::counter!("web_reports_honeypot_total").increment(1);
        return receipt_page(&commune, None);
    }
    let existing = match existing_address(&state, &commune.code, &form.adresse).await {
        Ok(existing) => existing,
        Err(error) => return error.into_response(),
    };
    let asked = Asked::parse(&form.quoi);
    let request = request_of(&form, &commune.code, existing.as_ref());
    let page = ReportFormPage::new(Some(commune.clone()), existing, form, basemap);
    let request = match request {
        Ok(request) => request,
        Err(problems) => {
            return html(
                StatusCode::BAD_REQUEST,
                &page.with_errors("Le signalement n’est pas complet", problems),
            )
        }
    };
    let Some(depot) = &state.depot else {
        let page = page.with_errors(
            "Signalement indisponible",
            vec![FieldProblem {
                field: "formulaire",
                message: "Ce serveur n’est relié à aucun service de dépôt (WEB_DEPOT_URL) : les signalements n’y sont pas possibles.".into(),
            }],
        );
        return html(StatusCode::SERVICE_UNAVAILABLE, &page);
    };
    let body = match serde_json::to_value(&request) {
        Ok(body) => body,
        Err(error) => return ApiError::internal("report_encoding", error).into_response(),
    };
    match depot.create_report(&body, browser).await {
        Ok(report) => {
            tracing::info!(report = %report.id, commune = %report.code_commune, "report sent through the web pages");
            Redirect::to(&format!("/signalement/{}?envoye=1", report.id)).into_response()
        }
        Err(error) => {
            let mut problems = field_problems(&error, asked);
            if problems.is_empty() {
                problems.push(FieldProblem { field: "formulaire", message: report_refusal(&error) });
            }
            let status = match error.code.as_str() {
                "reports_not_accepted" => StatusCode::FORBIDDEN,
                _ => status_of(&error),
            };
            html(status, &page.with_errors("Le signalement n’a pas été envoyé", problems))
        }
    }
}

/// A depot's refusal of a report that names no field, in words.
fn report_refusal(error: &DepotError) -> String {
    match error.code.as_str() {
        "rate_limited" => format!(
            "Trop de signalements envoyés depuis votre connexion en peu de temps : réessayez dans {} s.",
            error.retry_after.unwrap_or(60)
        ),
        _ => plain(error),
    }
}

/// A report as the pages list it: what it asks in words, its status and what ended it.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: String,
    pub kind: &'static str,
    /// « Ajouter le 14 bis Allée des Acacias ».
    pub asked: String,
    pub comment: Option<String>,
    /// « 7 décembre 2026 à 17 h 21 UTC ».
    pub date: String,
    /// `PENDING`, `PROCESSED`, `IGNORED`, `EXPIRED`.
    pub status: &'static str,
    pub status_label: &'static str,
    /// The DSFR badge's colour.
    pub badge: &'static str,
    /// How it ended, in words.
    pub detail: Option<String>,
    /// The revision whose publication processed it.
    pub revision: Option<String>,
    pub pending: bool,
}

fn address_words(numero: Option<u32>, suffixe: Option<&str>, street: Option<&str>) -> String {
    [numero.map(|n| n.to_string()), suffixe.map(str::to_owned), street.map(str::to_owned)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

impl ReportRow {
    pub fn of(report: &Report) -> Self {
        let existing: Option<ExistingLocation> =
            report.existing_location.as_ref().and_then(|v| serde_json::from_value(v.clone()).ok());
        let changes: ChangesRequested =
            serde_json::from_value(report.changes_requested.clone()).unwrap_or_default();
        let wanted = address_words(changes.numero, changes.suffixe.as_deref(), changes.nom_voie.as_deref());
        let existing_words = match &existing {
            Some(ExistingLocation::Numero { numero, suffixe, toponyme, .. }) => {
                address_words(Some(*numero), suffixe.as_deref(), toponyme.as_ref().map(|t| t.nom.as_str()))
            }
            Some(ExistingLocation::Voie { nom, .. }) => format!("la voie « {nom} »"),
            Some(ExistingLocation::Toponyme { nom, .. }) => format!("le lieu-dit « {nom} »"),
            None => String::new(),
        };
        let (kind, asked) = match (report.kind, &existing) {
            (ReportType::LocationToCreate, _) if changes.numero.is_none() && changes.nom.is_some() => (
                "Lieu-dit manquant",
                format!("Ajouter le lieu-dit « {} »", changes.nom.clone().unwrap_or_default()),
            ),
            (ReportType::LocationToCreate, _) => ("Adresse manquante", format!("Ajouter le {wanted}")),
            (ReportType::LocationToUpdate, Some(ExistingLocation::Voie { .. })) => (
                "Nom de voie",
                format!("Renommer {existing_words} en « {} »", changes.nom.clone().unwrap_or_default()),
            ),
            (ReportType::LocationToUpdate, Some(ExistingLocation::Toponyme { .. })) => (
                "Lieu-dit erroné",
                format!("Corriger {existing_words} : « {} »", changes.nom.clone().unwrap_or_default()),
            ),
            (ReportType::LocationToUpdate, _) if wanted == existing_words => {
                ("Adresse erronée", format!("Corriger la position du {existing_words}"))
            }
            (ReportType::LocationToUpdate, _) => {
                ("Adresse erronée", format!("Corriger le {existing_words} en {wanted}"))
            }
            (ReportType::LocationToDelete, Some(ExistingLocation::Numero { .. })) => {
                ("Adresse à supprimer", format!("Supprimer le {existing_words}"))
            }
            (ReportType::LocationToDelete, _) => ("À supprimer", format!("Supprimer {existing_words}")),
        };
        let (status_label, badge, detail) = match report.status {
            ReportStatus::Pending => ("En attente", "info", None),
            ReportStatus::Processed => (
                "Traité",
                "success",
                Some(match (&report.processed_revision_id, report.processed_by.as_deref()) {
                    (Some(revision), _) => format!("par la publication de la révision {revision}"),
                    (None, _) => "par la commune".to_owned(),
                }),
            ),
            ReportStatus::Ignored => (
                "Ignoré",
                "warning",
                Some(match &report.rejection_reason {
                    Some(reason) => format!("par la commune : {reason}"),
                    None => "par la commune".to_owned(),
                }),
            ),
            ReportStatus::Expired => ("Expiré", "new", Some("resté sans réponse".to_owned())),
        };
        ReportRow {
            id: report.id.clone(),
            kind,
            asked,
            comment: changes.comment,
            date: crate::french::date(report.created_at),
            status: report.status.as_str(),
            status_label,
            badge,
            detail,
            revision: report.processed_revision_id.clone(),
            pending: report.status == ReportStatus::Pending,
        }
    }
}

/// The last reports of a commune, newest first, and how many it has.
pub async fn commune_reports(
    state: &WebState,
    code: &str,
    page: PageRequest,
) -> Result<(Vec<ReportRow>, u64), ApiError> {
    let filter = ReportFilter { code_commune: Some(code.to_owned()), status: None };
    let found = state.store.reports(&filter, page).await?;
    Ok((found.items.iter().map(ReportRow::of).collect(), found.total))
}

/// The receipt, or a report's public page.
#[derive(Debug, Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub layout: Layout,
    pub commune: CommuneChoice,
    /// `None`: a robot's report, pretended received.
    pub report: Option<ReportRow>,
    /// Just sent: the page is its receipt.
    pub sent: bool,
}

fn receipt_page(commune: &CommuneChoice, report: Option<ReportRow>) -> Response {
    let page = ReportPage {
        layout: Layout::new("Signalement envoyé", ""),
        commune: commune.clone(),
        report,
        sent: true,
    };
    html(StatusCode::OK, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    envoye: Option<String>,
}

/// `GET /signalement/{id}`: a report's public page (the receipt once sent).
pub async fn report(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let found = match state.store.report(&id).await {
        Ok(found) => found,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let Some(report) = found else {
        return not_found(format!("Aucun signalement n’a l’identifiant « {id} »."));
    };
    let commune = crate::publish::commune_of(&report.code_commune);
    let sent = query.envoye.is_some() && report.status == ReportStatus::Pending;
    let mut layout = Layout::new("Signalement", "");
    layout.dynamic_title = Some(if sent {
        format!("Signalement envoyé à {}", commune.nom)
    } else {
        format!("Signalement {} — {}", report.id, commune.nom)
    });
    let mut response =
        html(StatusCode::OK, &ReportPage { layout, commune, report: Some(ReportRow::of(&report)), sent });
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A commune's reports, page by page.
#[derive(Debug, Template)]
#[template(path = "reports_list.html")]
pub struct ReportsListPage {
    pub layout: Layout,
    pub commune: CommuneChoice,
    pub reports: Vec<ReportRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

impl ReportsListPage {
    pub fn caption(&self) -> String {
        format!("Signalements de {}, page {} sur {}", self.commune.nom, self.page, self.pages)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    page: Option<u64>,
}

/// The commune of a path: a code of the COG (`2a004` read as `2A004`).
fn commune_of_path(code: &str) -> Option<CommuneChoice> {
    let known = InseeCode::parse(code).ok().and_then(|c| ban_bal::Cog::get().commune(&c.to_string()))?;
    Some(CommuneChoice { code: known.code.to_owned(), nom: known.nom.to_owned() })
}

/// The 404 page of a path's commune that is not one.
fn unknown_commune(code: &str) -> Response {
    not_found(format!("Aucune commune de code « {code} » dans le Code officiel géographique."))
}

/// `GET /commune/{code}/signalements?page=N`: every report of the commune, newest first.
pub async fn list(
    State(state): State<WebState>,
    Path(code): Path<String>,
    Query(query): Query<ListQuery>,
) -> Response {
    let Some(commune) = commune_of_path(&code) else { return unknown_commune(&code) };
    let page = query.page.unwrap_or(1).max(1);
    let request = PageRequest { offset: (page - 1) * u64::from(REPORTS_PER_PAGE), limit: REPORTS_PER_PAGE };
    let (reports, total) = match commune_reports(&state, &commune.code, request).await {
        Ok(found) => found,
        Err(error) => return error.into_response(),
    };
    let pages = total.div_ceil(u64::from(REPORTS_PER_PAGE)).max(1);
    let mut layout = Layout::new("Signalements", "");
    layout.dynamic_title =
        Some(format!("Signalements de {} ({}) — page {page} sur {pages}", commune.nom, commune.code));
    let status = if page > pages { StatusCode::NOT_FOUND } else { StatusCode::OK };
    let mut response = html(status, &ReportsListPage { layout, commune, reports, total, page, pages });
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The town hall's page: its consent by code, then the pending reports to process.
#[derive(Debug, Template)]
#[template(path = "reports_town_hall.html")]
pub struct TownHallPage {
    pub layout: Layout,
    pub commune: CommuneChoice,
    pub consent: ConsentView,
    pub problem: Option<Problem>,
    /// What was just done (« Le signalement … est marqué traité »).
    pub done: Option<String>,
    pub reports: Vec<PendingReport>,
    pub pending_total: u64,
}

/// A pending report as the town hall sees it: with its author, whom the commune may answer.
#[derive(Debug, Clone)]
pub struct PendingReport {
    pub row: ReportRow,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
}

/// The reasons the town hall is offered to ignore a report (Mes Adresses' list).
pub const REJECTION_REASONS: [&str; 5] = [
    "Signalement non pertinent",
    "Signalement en double",
    "Signalement déjà traité",
    "Signalement mal positionné",
    "Signalement non conforme",
];

impl TownHallPage {
    /// More reports are pending than the page lists.
    pub fn more_pending(&self) -> bool {
        self.pending_total > self.reports.len() as u64
    }
}

/// Where the town hall's consent is, for the page.
#[derive(Debug, Clone, Default)]
pub struct ConsentView {
    /// The form's base path (`…/code`, `…/code/valider` follow it).
    pub action: String,
    pub habilitation_id: Option<String>,
    /// `email`, `code` or `accepted`.
    pub step: &'static str,
    pub emails: Vec<String>,
    pub email: Option<String>,
    pub remaining_attempts: Option<i64>,
    pub rejected: bool,
}

fn town_hall_path(code: &str) -> String {
    format!("/commune/{code}/signalements/mairie")
}

/// The page unavailable: no depot to call.
fn town_hall_unavailable(commune: CommuneChoice) -> Response {
    let page = TownHallPage {
        layout: town_hall_layout(&commune, false),
        consent: ConsentView { action: town_hall_path(&commune.code), step: "email", ..ConsentView::default() },
        commune,
        problem: Some(Problem::new(
            "Traitement indisponible",
            "Ce serveur n’est relié à aucun service de dépôt (WEB_DEPOT_URL) : les signalements ne peuvent pas y être traités.",
        )),
        done: None,
        reports: Vec::new(),
        pending_total: 0,
    };
    html(StatusCode::SERVICE_UNAVAILABLE, &page)
}

fn town_hall_layout(commune: &CommuneChoice, error: bool) -> Layout {
    let mut layout = Layout::new("Traiter les signalements", "");
    layout.dynamic_title = Some(format!(
        "{}Traiter les signalements de {} ({})",
        if error { "Erreur — " } else { "" },
        commune.nom,
        commune.code
    ));
    layout
}

/// The town hall's page at the state of `habilitation`.
async fn town_hall_page(
    state: &WebState,
    depot: &DepotClient,
    commune: CommuneChoice,
    habilitation: Option<&str>,
) -> TownHallPage {
    let mut consent =
        ConsentView { action: town_hall_path(&commune.code), step: "email", ..ConsentView::default() };
    let mut problem = None;
    if let Some(id) = habilitation {
        match depot.habilitation(id).await {
            Ok(h) if h.code_commune != commune.code => {
                problem = Some(Problem::new(
                    "Habilitation d’une autre commune",
                    "Ce lien mêle deux communes : choisissez à nouveau l’adresse de la mairie.",
                ));
            }
            Ok(h) => match Consent::of(&h) {
                Consent::Accepted => {
                    consent.step = "accepted";
                    consent.habilitation_id = Some(h.id);
                }
                Consent::Rejected => consent.rejected = true,
                Consent::CodeSent { email, remaining } => {
                    consent.step = "code";
                    consent.email = email;
                    consent.remaining_attempts = Some(remaining);
                    consent.habilitation_id = Some(h.id);
                }
                Consent::Opened => consent.habilitation_id = Some(h.id),
            },
            Err(error) => {
                problem = Some(Problem::new(
                    "Habilitation introuvable",
                    if error.status == StatusCode::NOT_FOUND || error.status == StatusCode::BAD_REQUEST {
                        "Cette demande de code est introuvable : choisissez à nouveau l’adresse de la mairie."
                            .to_owned()
                    } else {
                        plain(&error)
                    },
                ));
            }
        }
    }
    if consent.step == "email" {
        match depot.emails(&commune.code).await {
            Ok(emails) => consent.emails = emails,
            Err(error) => problem = Some(Problem::new("Adresses de la mairie indisponibles", plain(&error))),
        }
    }
    let mut reports = Vec::new();
    let mut pending_total = 0;
    if consent.step == "accepted" {
        let filter =
            ReportFilter { code_commune: Some(commune.code.clone()), status: Some(ReportStatus::Pending) };
        match state.store.reports(&filter, PageRequest { offset: 0, limit: PENDING_SHOWN }).await {
            Ok(found) => {
                pending_total = found.total;
                reports = found
                    .items
                    .iter()
                    .map(|report| PendingReport {
                        row: ReportRow::of(report),
                        author_name: report.author_name.clone(),
                        author_email: report.author_email.clone(),
                    })
                    .collect();
            }
            Err(error) => {
                tracing::error!(%error, "pending reports unreadable");
                problem = Some(Problem::new(
                    "Signalements illisibles",
                    "Les signalements n’ont pas pu être lus : réessayez dans quelques minutes.",
                ));
            }
        }
    }
    TownHallPage {
        layout: town_hall_layout(&commune, problem.is_some()),
        commune,
        consent,
        problem,
        done: None,
        reports,
        pending_total,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TownHallQuery {
    habilitation: Option<String>,
    /// How many reports were just ignored as spam.
    indesirables: Option<usize>,
    /// A report just decided, and how (`traite`, `ignore`).
    fait: Option<String>,
    decision: Option<String>,
}

/// `GET /commune/{code}/signalements/mairie?habilitation=…`: the town hall's page, at the step
/// its consent is.
pub async fn town_hall(
    State(state): State<WebState>,
    Path(code): Path<String>,
    Query(query): Query<TownHallQuery>,
) -> Response {
    let Some(commune) = commune_of_path(&code) else { return unknown_commune(&code) };
    let Some(depot) = state.depot.clone() else { return town_hall_unavailable(commune) };
    let habilitation = query.habilitation.filter(|h| !h.trim().is_empty());
    let mut page = town_hall_page(&state, &depot, commune, habilitation.as_deref()).await;
    if let Some(count) = query.indesirables {
        page.done = Some(format!("{count} signalement(s) ignoré(s) comme indésirables."));
    }
    if let Some(id) = query.fait {
        page.done = Some(match query.decision.as_deref() {
            Some("ignore") => format!("Le signalement {id} est ignoré : la raison est publiée avec lui."),
            _ => format!("Le signalement {id} est marqué traité."),
        });
    }
    let mut response = html(StatusCode::OK, &page);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A form of the town hall's page (`application/x-www-form-urlencoded`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TownHallForm {
    habilitation: Option<String>,
    email: Option<String>,
    code: Option<String>,
    signalement: Option<String>,
    decision: Option<String>,
    raison: Option<String>,
}

fn read_town_hall_form(body: &Bytes) -> TownHallForm {
    let mut form: TownHallForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
    form.habilitation = form.habilitation.filter(|h| !h.trim().is_empty());
    form
}

fn to_town_hall(code: &str, habilitation: &str) -> Response {
    Redirect::to(&format!("{}?habilitation={habilitation}", town_hall_path(code))).into_response()
}

async fn town_hall_problem(
    state: &WebState,
    depot: &DepotClient,
    commune: CommuneChoice,
    habilitation: Option<&str>,
    status: StatusCode,
    problem: Problem,
) -> Response {
    let mut page = town_hall_page(state, depot, commune, habilitation).await;
    page.layout = town_hall_layout(&page.commune, true);
    page.problem = Some(problem);
    html(status, &page)
}

/// `POST /commune/{code}/signalements/mairie/code`: `email` (and the open `habilitation`): a
/// code sent to the town hall.
pub async fn send_code(
    State(state): State<WebState>,
    Path(code): Path<String>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let Some(commune) = commune_of_path(&code) else { return unknown_commune(&code) };
    let Some(depot) = state.depot.clone() else { return town_hall_unavailable(commune) };
    let form = read_town_hall_form(&body);
    let Some(email) = form.email.filter(|e| !e.is_empty()) else {
        let problem =
            Problem::new("Aucune adresse choisie", "Choisissez l’adresse de la mairie qui recevra le code.");
        return town_hall_problem(
            &state,
            &depot,
            commune,
            form.habilitation.as_deref(),
            StatusCode::BAD_REQUEST,
            problem,
        )
        .await;
    };
    match crate::consent::request_code(&depot, &commune.code, form.habilitation, &email, browser).await {
        Ok(habilitation) => to_town_hall(&commune.code, &habilitation),
        Err((habilitation, error)) => {
            let problem = Problem::new("Le code n’a pas pu être envoyé", plain(&error));
            town_hall_problem(&state, &depot, commune, habilitation.as_deref(), status_of(&error), problem)
                .await
        }
    }
}

/// `POST /commune/{code}/signalements/mairie/code/valider`: `habilitation`, `code`.
pub async fn check_code(
    State(state): State<WebState>,
    Path(code): Path<String>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let Some(commune) = commune_of_path(&code) else { return unknown_commune(&code) };
    let Some(depot) = state.depot.clone() else { return town_hall_unavailable(commune) };
    let form = read_town_hall_form(&body);
    let Some(habilitation) = form.habilitation else {
        return Redirect::to(&town_hall_path(&commune.code)).into_response();
    };
    match crate::consent::check_code(&depot, &habilitation, form.code.as_deref().unwrap_or_default(), browser)
        .await
    {
        Ok(()) => to_town_hall(&commune.code, &habilitation),
        Err(None) => {
            let problem = Problem::new("Code incomplet", crate::consent::INCOMPLETE_CODE);
            town_hall_problem(&state, &depot, commune, Some(&habilitation), StatusCode::BAD_REQUEST, problem)
                .await
        }
        Err(Some(error)) => {
            let problem = Problem::new("Code refusé", plain(&error));
            town_hall_problem(&state, &depot, commune, Some(&habilitation), status_of(&error), problem).await
        }
    }
}

/// `POST /commune/{code}/signalements/mairie/decision`: `habilitation`, `signalement`,
/// `decision` (`traite` or `ignore`) and `raison` (to ignore): the commune's decision.
pub async fn decide(
    State(state): State<WebState>,
    Path(code): Path<String>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let Some(commune) = commune_of_path(&code) else { return unknown_commune(&code) };
    let Some(depot) = state.depot.clone() else { return town_hall_unavailable(commune) };
    let form = read_town_hall_form(&body);
    let Some(habilitation) = form.habilitation else {
        return Redirect::to(&town_hall_path(&commune.code)).into_response();
    };
    let fail = |status: StatusCode, title: &str, message: String| {
        let problem = Problem::new(title, message);
        let (state, depot, commune, habilitation) = (&state, &depot, commune.clone(), habilitation.clone());
        async move { town_hall_problem(state, depot, commune, Some(&habilitation), status, problem).await }
    };
    let Some(report) = form.signalement.filter(|s| !s.trim().is_empty()) else {
        return fail(
            StatusCode::BAD_REQUEST,
            "Aucun signalement choisi",
            "Choisissez le signalement à traiter.".into(),
        )
        .await;
    };
    let (status, decision) = match form.decision.as_deref() {
        Some("traite") => ("PROCESSED", "traite"),
        Some("ignore") => ("IGNORED", "ignore"),
        _ => {
            return fail(
                StatusCode::BAD_REQUEST,
                "Aucune décision",
                "Choisissez « Marquer comme traité » ou « Ignorer ».".into(),
            )
            .await
        }
    };
    let reason = form.raison.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if status == "IGNORED" && reason.is_none() {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Raison manquante",
            format!("Dites pourquoi le signalement {report} est ignoré : la raison est publiée avec lui."),
        )
        .await;
    }
    // A report of another commune is not this page's (the depot would refuse it too).
    match state.store.report(&report).await {
        Ok(Some(found)) if found.code_commune == commune.code => {}
        Ok(_) => {
            return fail(
                StatusCode::NOT_FOUND,
                "Signalement introuvable",
                format!("La commune n’a aucun signalement « {report} »."),
            )
            .await
        }
        Err(error) => return ApiError::from(error).into_response(),
    }
    let decision_body = ReportDecision { status, reason, habilitation: &habilitation };
    match depot.decide_report(&report, decision_body, browser).await {
        Ok(decided) => {
            tracing::info!(report = %decided.id, status, "report decided through the web pages");
            Redirect::to(&format!(
                "{}?habilitation={habilitation}&fait={}&decision={decision}",
                town_hall_path(&commune.code),
                decided.id
            ))
            .into_response()
        }
        Err(error) => {
            let message = match error.code.as_str() {
                "report_not_pending" => {
                    format!("Le signalement {report} n’est plus en attente : il a déjà été traité ou ignoré.")
                }
                _ => plain(&error),
            };
            fail(status_of(&error), "La décision n’a pas été enregistrée", message).await
        }
    }
}

/// `POST /commune/{code}/signalements/mairie/indesirables`: `habilitation`, the `ids` ticked
/// and an optional `raison`: those reports ignored at once as spam (the depot's bulk ignore).
pub async fn ignore_spam(
    State(state): State<WebState>,
    Path(code): Path<String>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let Some(commune) = commune_of_path(&code) else { return unknown_commune(&code) };
    let Some(depot) = state.depot.clone() else { return town_hall_unavailable(commune) };
    // Repeated keys (`ids=…&ids=…`): read as pairs.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let value =
        |key: &str| pairs.iter().find(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim());
    let Some(habilitation) = value("habilitation").map(str::to_owned) else {
        return Redirect::to(&town_hall_path(&commune.code)).into_response();
    };
    let ids: Vec<String> = pairs.iter().filter(|(k, _)| k == "ids").map(|(_, v)| v.clone()).collect();
    if ids.is_empty() {
        let problem = Problem::new(
            "Aucun signalement coché",
            "Cochez « Indésirable » sur les signalements à ignorer en une fois.",
        );
        return town_hall_problem(
            &state,
            &depot,
            commune,
            Some(&habilitation),
            StatusCode::BAD_REQUEST,
            problem,
        )
        .await;
    }
    match depot.ignore_reports(&commune.code, &ids, value("raison"), &habilitation, browser).await {
        Ok(ignored) => {
            tracing::info!(commune = %commune.code, ignored = ignored.len(), "reports ignored as spam through the web pages");
            Redirect::to(&format!(
                "{}?habilitation={habilitation}&indesirables={}",
                town_hall_path(&commune.code),
                ignored.len()
            ))
            .into_response()
        }
        Err(error) => {
            let problem = Problem::new("Les signalements n’ont pas été ignorés", plain(&error));
            town_hall_problem(&state, &depot, commune, Some(&habilitation), status_of(&error), problem).await
        }
    }
}
