//! Lookup by id and commune summaries.
//!
//! `/api/lookup/{id}` takes a BAN id (UUID of a commune, toponym or address) or a legacy id:
//! an INSEE code (commune), a street id `54084_0200` / `98818_qa92s5` (toponym), or a
//! `cle_interop` `54084_0200_00012_bis` (address). Legacy ids start with their commune's code,
//! so they are resolved in that commune's part of the base.
use crate::openapi::{CommuneSummary, LookupAnswer};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ban_domain::departement_of;
use ban_domain::BanId;
use ban_exports::commune::voie_id;
use ban_exports::text::{CsvStyle, CsvWriter};
use ban_service_kit::openapi::CommunePath;
use ban_service_kit::ApiError;
use ban_service_kit::Problem;
use ban_spatial::Territories;
use ban_store::{Address, BaseCommune, CommuneBase, Found, Toponym};
use serde_json::{json, Value};

use crate::DownloadsState;

fn unknown(id: &str) -> ApiError {
    ApiError::not_found("unknown_id", format!("Aucun objet de la base n’a l’identifiant {id}."))
}

/// `GET /api/lookup/{id}`.
#[utoipa::path(
    get,
    path = "/api/lookup/{id}",
    tag = "base",
    summary = "Objet par identifiant BAN (UUID) ou historique (code INSEE, idVoie, clé d’interopérabilité)",
    params(("id" = String, Path, description = "UUID BAN, code INSEE, identifiant de voie ou clé d’interopérabilité", example = "54084_0020_00001")),
    responses(
        (status = 200, description = "L’objet et ce qui le relie à la base", body = LookupAnswer),
        (status = 400, description = "Identifiant illisible", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Aucun objet de la base n’a cet identifiant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn lookup(
    State(state): State<DownloadsState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = &*state.store;
    if let Ok(ban_id) = BanId::parse(&id) {
        let found = store.find(&ban_id).await?.ok_or_else(|| unknown(&id))?;
        let code = match &found {
            Found::Commune(c) => c.code.clone(),
            Found::Toponym(t) => t.commune.clone(),
            Found::Address(a) => a.commune.clone(),
        };
        let base = store.commune_base(&code).await?;
        return Ok(Json(match found {
            Found::Commune(_) => commune_document(&base).ok_or_else(|| unknown(&id))?,
            Found::Toponym(toponym) => toponym_document(&base, &toponym),
            Found::Address(address) => address_document(&base, &address),
        }));
    }
    let legacy = id.to_lowercase();
    let code =
        legacy.get(..5).map(str::to_uppercase).filter(|c| c.bytes().all(|b| b.is_ascii_alphanumeric()));
    let Some(code) = code.filter(|_| legacy.len() == 5 || legacy.as_bytes().get(5) == Some(&b'_')) else {
        return Err(ApiError::bad_request(
            "invalid_id",
            format!("Identifiant {id:?} inconnu : un UUID BAN, un code INSEE, un identifiant de voie ou une clé d’interopérabilité."),
        ));
    };
    let base = store.commune_base(&code).await?;
    if legacy.len() == 5 {
        return commune_document(&base).map(Json).ok_or_else(|| unknown(&id));
    }
    if let Some(toponym) = base.toponyms.iter().find(|t| t.active && voie_id(t).to_lowercase() == legacy) {
        return Ok(Json(toponym_document(&base, toponym)));
    }
    let address = base
        .addresses
        .iter()
        .find(|a| a.active && a.cle_interop.as_deref().is_some_and(|cle| cle.to_lowercase() == legacy));
    address.map(|a| Json(address_document(&base, a))).ok_or_else(|| unknown(&id))
}

fn with_type(kind: &str, state: Value) -> Value {
    let mut document = serde_json::Map::new();
    document.insert("type".into(), json!(kind));
    if let Value::Object(fields) = state {
        document.extend(fields);
    }
    Value::Object(document)
}

fn commune_ref(base: &CommuneBase) -> Value {
    match &base.commune {
        Some(c) => json!({"id": c.id, "code": c.code, "name": c.name}),
        None => Value::Null,
    }
}

fn commune_document(base: &CommuneBase) -> Option<Value> {
    let commune = base.commune.as_ref()?;
    let mut document = with_type("commune", serde_json::to_value(commune).ok()?);
    let toponyms: Vec<Value> = base
        .toponyms
        .iter()
        .filter(|t| t.active)
        .map(|t| {
            let count = base.addresses.iter().filter(|a| a.active && a.toponym == t.id).count();
            json!({"id": t.id, "idVoie": voie_id(t), "name": t.name, "lieuDit": t.lieu_dit, "addresses": count})
        })
        .collect();
    if let Value::Object(fields) = &mut document {
        fields.insert("seq".into(), json!(base.version));
        fields.insert("toponymsList".into(), Value::Array(toponyms));
    }
    Some(document)
}

fn toponym_document(base: &CommuneBase, toponym: &Toponym) -> Value {
    let mut document = with_type("toponym", serde_json::to_value(toponym).unwrap_or_default());
    let mut addresses: Vec<&Address> =
        base.addresses.iter().filter(|a| a.active && a.toponym == toponym.id).collect();
    addresses.sort_by(|a, b| (a.numero, &a.suffixe).cmp(&(b.numero, &b.suffixe)));
    if let Value::Object(fields) = &mut document {
        fields.insert("idVoie".into(), json!(voie_id(toponym)));
        fields.insert("commune".into(), commune_ref(base));
        fields.insert("addresses".into(), json!(addresses));
    }
    document
}

fn address_document(base: &CommuneBase, address: &Address) -> Value {
    let mut document = with_type("address", serde_json::to_value(address).unwrap_or_default());
    let toponym = base.toponyms.iter().find(|t| t.id == address.toponym);
    if let Value::Object(fields) = &mut document {
        fields.insert(
            "toponymRef".into(),
            toponym.map_or(Value::Null, |t| json!({"id": t.id, "idVoie": voie_id(t), "name": t.name})),
        );
        fields.insert("communeRef".into(), commune_ref(base));
    }
    document
}

fn summary(record: &BaseCommune) -> Value {
    let c = &record.commune;
    let territory = Territories::national().commune(&c.code);
    json!({
        "code": c.code,
        "id": c.id,
        "name": territory.map(|t| t.name.clone()).or_else(|| c.name.clone()),
        "departement": departement_of(&c.code),
        "source": c.source,
        "revision": c.revision,
        "revisionPublishedAt": c.revision_published_at,
        "addresses": c.addresses,
        "certifiedAddresses": c.certified_addresses,
        "toponyms": c.toponyms,
        "lastChange": {"seq": record.seq, "at": record.changed_at},
    })
}

/// `GET /api/communes/{code}`.
#[utoipa::path(
    get,
    path = "/api/communes/{code}",
    tag = "base",
    summary = "Résumé d’une commune : comptes, révision courante, dernier changement",
    params(CommunePath),
    responses(
        (status = 200, description = "Le résumé", body = CommuneSummary),
        (status = 400, description = "Code commune invalide", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Commune absente de la base", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn commune_summary(
    State(state): State<DownloadsState>,
    Path(CommunePath { code }): Path<CommunePath>,
) -> Result<Json<Value>, ApiError> {
    let code = code.to_uppercase();
    if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::bad_request("invalid_code", format!("Code commune invalide : {code:?}.")));
    }
    let communes = state.store.base_communes(Some(departement_of(&code))).await?;
    let record = communes.iter().find(|c| c.commune.code == code).ok_or_else(|| {
        ApiError::not_found("unknown_commune", format!("Commune {code} absente de la base."))
    })?;
    Ok(Json(summary(record)))
}

/// `GET /api/communes-summary`.
#[utoipa::path(
    get,
    path = "/api/communes-summary",
    tag = "base",
    summary = "Résumé de toutes les communes (JSON)",
    responses(
        (status = 200, description = "Un résumé par commune de la base", body = Vec<CommuneSummary>),
    )
)]
pub async fn communes_summary_json(State(state): State<DownloadsState>) -> Result<Json<Value>, ApiError> {
    let communes = state.store.base_communes(None).await?;
    Ok(Json(Value::Array(communes.iter().map(summary).collect())))
}

/// The columns of `/api/communes-summary.csv`.
pub const SUMMARY_COLUMNS: [&str; 14] = [
    "region",
    "departement",
    "code_commune",
    "nom_commune",
    "population",
    "id_revision",
    "date_revision",
    "type_composition",
    "nb_toponymes",
    "nb_numeros",
    "nb_numeros_certifies",
    "id_ban_commune",
    "seq",
    "derniere_modification",
];

/// `GET /api/communes-summary.csv`.
#[utoipa::path(
    get,
    path = "/api/communes-summary.csv",
    tag = "base",
    summary = "Résumé de toutes les communes (CSV)",
    responses(
        (status = 200, description = "Colonnes : region, departement, code_commune, nom_commune, population, id_revision, date_revision, type_composition, nb_toponymes, nb_numeros, nb_numeros_certifies, id_ban_commune, seq, derniere_modification", content_type = "text/csv", body = String),
    )
)]
pub async fn communes_summary_csv(State(state): State<DownloadsState>) -> Result<Response, ApiError> {
    let communes = state.store.base_communes(None).await?;
    let territories = Territories::national();
    let mut csv = CsvWriter::new(CsvStyle::Daily);
    let mut body = Vec::new();
    let mut write = |cells: Vec<String>| csv.row(&mut body, cells);
    let io = |e: std::io::Error| ApiError::internal("internal_error", e);
    write(SUMMARY_COLUMNS.iter().map(|s| s.to_string()).collect()).map_err(io)?;
    for record in &communes {
        let c = &record.commune;
        let territory = territories.commune(&c.code);
        write(vec![
            territory.map(|t| t.region.clone()).unwrap_or_default(),
            departement_of(&c.code).to_owned(),
            c.code.clone(),
            territory.map(|t| t.name.clone()).or_else(|| c.name.clone()).unwrap_or_default(),
            territory.map(|t| t.population.to_string()).unwrap_or_default(),
            c.revision.clone().unwrap_or_default(),
            c.revision_published_at.clone().unwrap_or_default(),
            c.source.as_str().to_owned(),
            c.toponyms.to_string(),
            c.addresses.to_string(),
            c.certified_addresses.to_string(),
            c.id.to_string(),
            record.seq.to_string(),
            record.changed_at.to_rfc3339(),
        ])
        .map_err(io)?;
    }
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    Ok(response)
}
