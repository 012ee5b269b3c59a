//! The depot's OpenAPI 3.1 description (`/api-depot/openapi.json`) and a browsable page
//! (`/api-depot/docs`). The document is written as data next to the routes it describes; a
//! test checks that every route of the router is in it.
use axum::response::Html;
use axum::Json;
use serde_json::{json, Value};

/// Every route: method, path, summary, whether a client token is needed, success status.
pub const ROUTES: &[(&str, &str, &str, Auth, u16)] = &[
    ("post", "/communes/{code}/revisions", "Créer une révision pour une commune", Auth::Client, 201),
    (
        "get",
        "/communes/{code}/revisions",
        "Révisions d’une commune (?status=published|pending|all)",
        Auth::None,
        200,
    ),
    ("get", "/communes/{code}/current-revision", "Révision courante d’une commune", Auth::None, 200),
    (
        "get",
        "/communes/{code}/current-revision/files/bal/download",
        "Fichier BAL courant d’une commune",
        Auth::None,
        200,
    ),
    ("get", "/current-revisions", "Révisions courantes (?publishedSince, ?codesCommunes)", Auth::None, 200),
    ("get", "/revisions/{id}", "Une révision, avec son rapport de validation complet", Auth::None, 200),
    (
        "put",
        "/revisions/{id}/files/bal",
        "Déposer le fichier BAL (corps brut, 50 000 000 octets au plus)",
        Auth::Client,
        200,
    ),
    ("get", "/revisions/{id}/files/bal/download", "Télécharger le fichier d’une révision", Auth::None, 200),
    ("post", "/revisions/{id}/compute", "Valider le fichier de la révision", Auth::Client, 200),
    ("post", "/revisions/{id}/publish", "Publier une révision valide ({habilitationId?})", Auth::Client, 200),
    ("get", "/revisions/client/{client_id}", "Révisions d’un client", Auth::None, 200),
    (
        "post",
        "/communes/{code}/habilitations",
        "Demander une habilitation pour une commune",
        Auth::Client,
        201,
    ),
    ("post", "/habilitations/are-valid", "Habilitations acceptées ({ids} → {id: bool})", Auth::Client, 200),
    ("get", "/habilitations/{id}", "Une habilitation", Auth::Client, 200),
    (
        "post",
        "/habilitations/{id}/authentication/email/send-pin-code",
        "Envoyer un code PIN à la mairie ({email})",
        Auth::Client,
        200,
    ),
    (
        "post",
        "/habilitations/{id}/authentication/email/validate-pin-code",
        "Valider le code PIN ({code})",
        Auth::Client,
        200,
    ),
    ("put", "/habilitations/{id}/validate", "Accepter une habilitation (administration)", Auth::Admin, 200),
];

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    Client,
    Admin,
}

fn operation(summary: &str, path: &str, auth: Auth, success: u16) -> Value {
    let parameters: Vec<Value> = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    let problem = json!({"description": "Erreur", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let mut responses = serde_json::Map::new();
    responses
        .insert(success.to_string(), json!({"description": "Succès", "content": {"application/json": {}}}));
    for status in ["400", "404", "412"] {
        responses.insert(status.into(), problem.clone());
    }
    if auth != Auth::None {
        responses.insert("401".into(), problem.clone());
        responses.insert("403".into(), problem.clone());
    }
    if path.ends_with("/files/bal") {
        responses.insert("413".into(), problem.clone());
    }
    let mut op = json!({"summary": summary, "parameters": parameters, "responses": responses});
    if auth != Auth::None {
        op["security"] = json!([{"token": []}]);
    }
    if path.ends_with("/files/bal") {
        op["requestBody"] = json!({"required": true, "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}});
    }
    op
}

/// The OpenAPI document.
pub fn spec() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, auth, success) in ROUTES {
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = operation(summary, path, *auth, *success);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "BAN Sync — API de dépôt",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Publication des Bases Adresses Locales, compatible avec l’API de dépôt de la Base Adresse Nationale."
        },
        "servers": [{"url": "/api-depot"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Token <jeton>"}},
            "schemas": {"Problem": {"type": "object", "required": ["type", "title", "status", "detail", "code"], "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}, "statusCode": {"type": "integer"},
                "requestId": {"type": "string", "description": "5xx only: the request id (x-request-id) under which the error is logged"}
            }}}
        }
    })
}

/// `GET /openapi.json`
pub async fn document() -> Json<Value> {
    Json(spec())
}

/// `GET /docs`: the description rendered by Redoc (loaded from its CDN by the browser).
pub async fn docs_page() -> Html<&'static str> {
    Html(
        r#"<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>BAN Sync — API de dépôt</title></head>
<body><redoc spec-url="openapi.json"></redoc>
<script src="https://cdn.redoc.ly/redoc/latest/bundles/redoc.standalone.js"></script>
<noscript>La description de l’API est disponible en JSON : <a href="openapi.json">openapi.json</a>.</noscript>
</body></html>"#,
    )
}
