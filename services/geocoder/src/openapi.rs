//! The geocoder's OpenAPI 3.1 description (`/geocoder/openapi.json`), written as data next
//! to the routes it describes.
use axum::Json;
use serde_json::{json, Value};

/// Every route: method, path, summary, query parameters.
pub const ROUTES: &[(&str, &str, &str, &[&str])] = &[
    (
        "get",
        "/search/",
        "Géocodage : adresses, voies, lieux-dits et communes les plus proches du texte q (GeocodeJSON)",
        &["q", "limit", "autocomplete", "lat", "lon", "type", "postcode", "citycode"],
    ),
    ("get", "/reverse/", "Géocodage inverse : les plus proches de lon/lat", &["lon", "lat", "limit", "type", "postcode", "citycode"]),
    (
        "post",
        "/search/csv/",
        "Géocodage d’un fichier CSV (multipart : data, columns, citycode, postcode, type, lat, lon, result_columns ; 50 Mio au plus)",
        &[],
    ),
    ("post", "/reverse/csv/", "Géocodage inverse d’un fichier CSV (multipart : data, lat, lon, result_columns)", &[]),
    ("post", "/batch", "Lot de 100 requêtes au plus ({requests: [{id, operation: geocode|reverse, params}]})", &[]),
    ("get", "/geocoder/status", "État de l’index : construction, seq suivi, comptes, mémoire", &[]),
];

/// `GET /geocoder/openapi.json`.
pub async fn document() -> Json<Value> {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, parameters) in ROUTES {
        let parameters: Vec<Value> = parameters
            .iter()
            .map(|name| json!({"name": name, "in": "query", "required": *name == "q", "schema": {"type": "string"}}))
            .collect();
        paths.insert(
            (*path).to_owned(),
            json!({*method: {
                "summary": summary,
                "parameters": parameters,
                "responses": {
                    "200": {"description": "OK"},
                    "400": {"description": "Paramètre invalide", "content": {"application/problem+json": {}}},
                    "413": {"description": "Fichier trop gros", "content": {"application/problem+json": {}}},
                    "503": {"description": "Index en construction", "content": {"application/problem+json": {}}}
                }
            }}),
        );
    }
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "BAN Sync — géocodage (compatible API Adresse)", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
    }))
}
