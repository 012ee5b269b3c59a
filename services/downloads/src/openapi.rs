//! The downloads service's OpenAPI 3.1 description (`/api/openapi.json`), written as data next
//! to the routes it describes.
use axum::Json;
use serde_json::{json, Value};

/// Every route: path, summary.
pub const ROUTES: &[(&str, &str)] = &[
    (
        "/data/ban/adresses/latest/{folder}/{file}",
        "Export (gzip) de la France, d’un département ou d’une commune : csv/adresses-{54|france|54084}.csv.gz, \
         csv/lieux-dits-{…}-beta.csv.gz, csv-with-ids/adresses-with-ids-{…}.csv.gz, \
         csv-with-ids/lieux-dits-with-ids-{…}-beta.csv.gz, csv-bal/adresses-{…}.csv.gz (BAL 1.3), \
         csv-bal-1.4/adresses-{…}.csv.gz, geojson/adresses-{…}.geojson.gz, geojson/toponymes-{…}.geojson.gz, \
         geojson/adresses-{…}.geojsonl.gz, addok/adresses-addok-{…}.ndjson.gz. ETag lié au seq du flux, If-None-Match → 304.",
    ),
    (
        "/ban/communes/{code}/download/{format}/{kind}",
        "CSV d’une commune : csv-bal/adresses (?version=1.3|1.4|1.5), csv-legacy/adresses, csv-legacy/lieux-dits",
    ),
    (
        "/api/changes",
        "Flux des changements (ndjson) : ?since=SEQ&limit=N (≤ 10 000)&commune=…&departement=…&current=true&wait=S (≤ 60) ; \
         Accept: text/event-stream pour un flux continu (Last-Event-ID)",
    ),
    ("/api/lookup/{id}", "Objet par identifiant BAN (UUID) ou historique (code INSEE, idVoie, clé d’interopérabilité)"),
    ("/api/communes/{code}", "Résumé d’une commune : comptes, révision courante, dernier changement"),
    ("/api/communes-summary", "Résumé de toutes les communes (JSON)"),
    ("/api/communes-summary.csv", "Résumé de toutes les communes (CSV)"),
];

/// `GET /api/openapi.json`.
pub async fn document() -> Json<Value> {
    let mut paths = serde_json::Map::new();
    for (path, summary) in ROUTES {
        let parameters: Vec<Value> = path
            .split('/')
            .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        paths.insert(
            (*path).to_owned(),
            json!({"get": {
                "summary": summary,
                "parameters": parameters,
                "responses": {
                    "200": {"description": "OK"},
                    "304": {"description": "Non modifié (If-None-Match)"},
                    "400": {"description": "Paramètre invalide", "content": {"application/problem+json": {}}},
                    "404": {"description": "Inconnu", "content": {"application/problem+json": {}}}
                }
            }}),
        );
    }
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "BAN Sync — téléchargements, recherche par identifiant, flux des changements", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
    }))
}
