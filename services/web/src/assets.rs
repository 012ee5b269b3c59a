//! The assets embedded in the binary (see `build.rs`), served under `/static/{version}/`.
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The URL prefix of the assets of this build: `/static/{version}`.
pub fn prefix() -> String {
    format!("/static/{VERSION}")
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("md") => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /static/{version}/{path}`: an asset, cached for a year when `version` is this build's
/// (its URL changes with its bytes); an older version is served too, briefly cached, so that a
/// page loaded before a deploy still finds its stylesheet.
pub async fn asset(Path((version, path)): Path<(String, String)>) -> Response {
    let Some((_, bytes)) = ASSETS.iter().find(|(name, _)| *name == path) else {
        return (StatusCode::NOT_FOUND, "Fichier introuvable.").into_response();
    };
    let cache =
        if version == VERSION { "public, max-age=31536000, immutable" } else { "public, max-age=300" };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
