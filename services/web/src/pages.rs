//! The HTML pages: askama templates under `templates/`, rendered by the server.
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ban_bal::Profile;
use ban_service_kit::ApiError;

use crate::validate::{self, ValidationAnswer};
use crate::WebState;

/// What every page's layout needs.
#[derive(Debug)]
pub struct Layout {
    /// The URL prefix of the assets (`/static/{version}`).
    pub assets: String,
    /// The page's `<title>`, before the site's name.
    pub title: String,
    /// The path of the page, to mark its menu entry as current.
    pub path: &'static str,
    /// A `<title>` made for this request (a step, a commune), instead of `title`.
    pub dynamic_title: Option<String>,
}

impl Layout {
    pub(crate) fn new(title: impl Into<String>, path: &'static str) -> Self {
        Layout { assets: crate::assets::prefix(), title: title.into(), path, dynamic_title: None }
    }
}

/// A level's French word, for the groups of codes of a report.
pub fn level_word(level: &str) -> &'static str {
    match level {
        "E" => "Erreurs",
        "W" => "Avertissements",
        _ => "Informations",
    }
}

#[derive(Debug, Template)]
#[template(path = "home.html")]
pub struct Home {
    pub layout: Layout,
    /// The basemap style of the results' map (`WEB_BASEMAP_STYLE`).
    pub basemap: Option<String>,
}

/// A profile of the select: its value and its label.
#[derive(Debug)]
pub struct ProfileChoice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Template)]
#[template(path = "validator.html")]
pub struct Validator {
    pub layout: Layout,
    pub profiles: Vec<ProfileChoice>,
    /// The file's name, once validated.
    pub file_name: Option<String>,
    pub report: Option<ValidationAnswer>,
    /// Why the file could not be validated.
    pub problem: Option<String>,
}

impl Validator {
    fn new(selected: Option<Profile>) -> Self {
        let mut profiles = vec![ProfileChoice {
            value: "auto",
            label: "Détection automatique".into(),
            selected: selected.is_none(),
        }];
        profiles.extend(Profile::ALL.iter().map(|p| ProfileChoice {
            value: p.name(),
            label: match p {
                Profile::V1_3Relax => "1.3 (souple)".into(),
                p => format!("BAL {}", p.name()),
            },
            selected: selected == Some(*p),
        }));
        Validator {
            layout: Layout::new("Validateur BAL", "/outils/validateur"),
            profiles,
            file_name: None,
            report: None,
            problem: None,
        }
    }

    /// The level's French word, for the groups of codes.
    pub fn level_word(level: &str) -> &'static str {
        level_word(level)
    }
}

/// A rendered page, or a 500 if a template fails (it should not: they are checked at build).
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            response
        }
        Err(error) => ApiError::internal("template_failed", error).into_response(),
    }
}

/// `GET /`.
pub async fn home(State(state): State<WebState>) -> Response {
    let basemap = state.basemap_style.as_deref().map(str::to_owned);
    html(StatusCode::OK, &Home { layout: Layout::new("Accueil", "/"), basemap })
}

/// `GET /outils/validateur`: the form.
pub async fn validator() -> Response {
    html(StatusCode::OK, &Validator::new(None))
}

/// `POST /outils/validateur`: the form's file validated, the report rendered under the form
/// (the page works without JavaScript). A file that cannot be validated shows why, with the
/// status the API would answer.
pub async fn validator_report(
    State(state): State<WebState>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let mut page = Validator::new(None);
    let outcome = async {
        let form = form.map_err(|e| {
            ApiError::bad_request("invalid_form", format!("Formulaire illisible : {}", e.body_text()))
        })?;
        let permit = state.validation_permit()?;
        let upload = validate::read_form(form).await?;
        let profile = validate::parse_profile(upload.profile.as_deref())?;
        page = Validator::new(profile);
        page.file_name = upload.file_name.clone();
        let report = validate::report_of(permit, upload.bytes, profile).await?;
        Ok::<_, ApiError>(ValidationAnswer::of(&report))
    }
    .await;
    match outcome {
        Ok(report) => {
            page.report = Some(report);
            html(StatusCode::OK, &page)
        }
        Err(error) => {
            let status = error.status;
            page.problem = Some(error.message);
            html(status, &page)
        }
    }
}
