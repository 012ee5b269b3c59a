//! The map's vector tiles, `GET /tiles/ban/{z}/{x}/{y}.pbf`: the BAN's layers `adresses` and
//! `toponymes` (PARTICIPATION §4.6), zooms 10 to 14 (maps overzoom beyond), Mapbox Vector
//! Tile 2.1, gzip.
//!
//! A tile's features come from the communes that may have addresses in it: those whose
//! contour's bounding box, widened by 5 km, meets the tile (the consolidation drops positions
//! farther than 5 km outside their commune, so none is missed). Their versions (one query to
//! the store) version the tile: its `ETag` is the sum of their seqs, which grows with any
//! change to any of them, so a tile changes as soon as a publication is consolidated and a
//! client that holds it revalidates it for the price of that query (`304`). The communes are
//! read through [`CommuneCache`](crate::cache::CommuneCache) and encoded tiles are kept by
//! version too, so that a tile asked again is not encoded again.
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ban_service_kit::{ApiError, Problem};
use ban_spatial::checks::OUTSIDE_ERROR_M;
use ban_spatial::contours::{lon_scale, Contours, METRES_PER_DEGREE_LAT};
use lru::LruCache;
use prost::Message as _;

use crate::cache::{LoadedCommune, MapPoint};
use crate::mvt::{PointLayer, Tile, EXTENT};
use crate::WebState;

/// The zooms tiles are made for (as the BAN's).
pub const MIN_ZOOM: u8 = 10;
pub const MAX_ZOOM: u8 = 14;
/// Tile units drawn around a tile, so that circles across its edge are whole on both sides.
const BUFFER: f64 = 64.0;
/// Changes with what a tile holds for the same base (properties, layers): part of the ETag.
const TILE_FORMAT: u32 = 1;

/// A tile's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// `z`, `x` and `{y}.pbf` as the URL gives them; `None` for anything but a tile of zoom
    /// 10 to 14 that exists.
    pub fn parse(z: &str, x: &str, file: &str) -> Option<TileId> {
        let z: u8 = z.parse().ok()?;
        let x: u32 = x.parse().ok()?;
        let y: u32 = file.strip_suffix(".pbf")?.parse().ok()?;
        let side = 1u32 << z.min(31);
        ((MIN_ZOOM..=MAX_ZOOM).contains(&z) && x < side && y < side).then_some(TileId { z, x, y })
    }

    /// The tile's corners as longitude, latitude: (west-south, east-north).
    pub fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        let side = f64::from(1u32 << self.z);
        let lon = |x: f64| x / side * 360.0 - 180.0;
        let lat = |y: f64| (std::f64::consts::PI * (1.0 - 2.0 * y / side)).sinh().atan().to_degrees();
        let (x, y) = (f64::from(self.x), f64::from(self.y));
        ([lon(x), lat(y + 1.0)], [lon(x + 1.0), lat(y)])
    }

    /// The communes that may have addresses in the tile, by code.
    pub fn communes(&self, contours: &Contours) -> Vec<String> {
        let ([west, south], [east, north]) = self.bounds();
        let margin_lat = OUTSIDE_ERROR_M / METRES_PER_DEGREE_LAT;
        let margin_lon = OUTSIDE_ERROR_M / lon_scale(south.abs().max(north.abs()).min(85.0));
        let mut codes: Vec<String> = contours
            .intersecting([west - margin_lon, south - margin_lat], [east + margin_lon, north + margin_lat])
            .map(|contour| contour.code.clone())
            .collect();
        codes.sort();
        codes
    }

    /// A point of the Web Mercator square in this tile's units (0..4096 inside it), when it
    /// is inside or in the buffer around.
    fn place(&self, point: &MapPoint) -> Option<(i32, i32)> {
        let scale = f64::from(1u32 << self.z);
        let x = (point.x * scale - f64::from(self.x)) * f64::from(EXTENT);
        let y = (point.y * scale - f64::from(self.y)) * f64::from(EXTENT);
        let range = -BUFFER..=f64::from(EXTENT) + BUFFER;
        (range.contains(&x) && range.contains(&y)).then(|| (x.round() as i32, y.round() as i32))
    }
}

/// The tile's layers from the communes' points (layers without features left out, as the
/// BAN's are).
pub fn render(tile: TileId, communes: &[Arc<LoadedCommune>]) -> Tile {
    let mut addresses = PointLayer::new("adresses");
    let mut toponyms = PointLayer::new("toponymes");
    for commune in communes {
        for point in &commune.map.addresses {
            if let Some((x, y)) = tile.place(point) {
                addresses.push(x, y, &point.properties);
            }
        }
        for point in &commune.map.toponyms {
            if let Some((x, y)) = tile.place(point) {
                toponyms.push(x, y, &point.properties);
            }
        }
    }
    let layers = [addresses, toponyms].into_iter().filter(|layer| !layer.is_empty()).map(PointLayer::finish);
    Tile { layers: layers.collect() }
}

/// Encoded tiles by address, each with the ETag it was made for, least recently used first
/// out past a number of bytes.
#[derive(Debug)]
pub struct TileCache {
    inner: Mutex<HeldTiles>,
    capacity_bytes: usize,
}

#[derive(Debug)]
struct HeldTiles {
    /// Each tile's ETag and gzip bytes.
    tiles: LruCache<TileId, (String, Bytes)>,
    bytes: usize,
}

impl TileCache {
    pub fn new(capacity_bytes: usize) -> Self {
        TileCache { inner: Mutex::new(HeldTiles { tiles: LruCache::unbounded(), bytes: 0 }), capacity_bytes }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HeldTiles> {
        // A panic while holding the lock leaves whole entries only: the cache stays usable.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, tile: TileId, etag: &str) -> Option<Bytes> {
        let mut held = self.lock();
        held.tiles.get(&tile).filter(|(made_for, _)| made_for == etag).map(|(_, bytes)| bytes.clone())
    }

    fn put(&self, tile: TileId, etag: String, bytes: Bytes) {
        let mut held = self.lock();
        held.bytes += bytes.len();
        if let Some((_, old)) = held.tiles.put(tile, (etag, bytes)) {
            held.bytes -= old.len();
        }
        while held.bytes > self.capacity_bytes {
            let Some((_, (_, old))) = held.tiles.pop_lru() else { break };
            held.bytes -= old.len();
        }
    }
}

fn not_found() -> Response {
    ApiError::not_found(
        "tile_not_found",
        format!(
            "Tuile introuvable : les tuiles vont des niveaux de zoom {MIN_ZOOM} à {MAX_ZOOM} \
             (/tiles/ban/{{z}}/{{x}}/{{y}}.pbf, x et y inférieurs à 2^z)."
        ),
    )
    .into_response()
}

/// Whether `If-None-Match` names `etag` (or `*`).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
    })
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Reads the communes of `tile` at their `versions`, and encodes and compresses the tile.
async fn make(state: &WebState, tile: TileId, versions: &[(String, i64)]) -> Result<Bytes, ApiError> {
    let mut communes = Vec::with_capacity(versions.len());
    for (code, version) in versions {
        if let Some(commune) = state.communes.get(&*state.store, code, *version).await? {
            communes.push(commune);
        }
    }
    let span = tracing::Span::current();
    let encoded = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        gzip(&render(tile, &communes).encode_to_vec())
    })
    .await
    .map_err(|e| ApiError::internal("tile_failed", e))?
    .map_err(|e| ApiError::internal("tile_failed", e))?;
    Ok(Bytes::from(encoded))
}

/// `GET /tiles/ban/{z}/{x}/{y}.pbf`.
#[utoipa::path(
    get,
    path = "/tiles/ban/{z}/{x}/{y}.pbf",
    tag = "carte",
    summary = "Tuile vectorielle des adresses",
    description = "Les adresses (couche `adresses`) et les voies et lieux-dits (couche `toponymes`) \
        de la Base Adresse Nationale, au format Mapbox Vector Tile 2.1 compressé (gzip), des niveaux \
        de zoom 10 à 14 (au-delà, la carte agrandit le niveau 14). Propriétés : celles des tuiles \
        de la BAN (`id`, `numero`, `suffixe`, `nomVoie`, `certifie`, `sourcePosition`…). \
        L'ETag change dès qu'une publication d'une commune de la tuile est consolidée ; \
        `If-None-Match` répond 304.",
    params(
        ("z" = u8, Path, description = "Niveau de zoom, de 10 à 14"),
        ("x" = u32, Path, description = "Colonne de la tuile"),
        ("y" = String, Path, description = "Ligne de la tuile suivie de `.pbf`", example = "343.pbf"),
        ("If-None-Match" = Option<String>, Header, description = "L'ETag d'une version déjà reçue"),
    ),
    responses(
        (status = 200, description = "La tuile (Content-Encoding: gzip)", content_type = "application/x-protobuf", body = Vec<u8>),
        (status = 304, description = "La tuile n'a pas changé depuis l'ETag donné"),
        (status = 404, description = "Pas de tuile à cette adresse (zoom hors de 10 à 14)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tile(
    State(state): State<WebState>,
    Path((z, x, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(tile) = TileId::parse(&z, &x, &file) else { return not_found() };
    match answer(&state, tile, &headers).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn answer(state: &WebState, tile: TileId, headers: &HeaderMap) -> Result<Response, ApiError> {
    let codes = tile.communes(Contours::national());
    let versions = state.store.commune_versions(&codes).await?;
    let etag = format!("\"ban-{TILE_FORMAT}-{}\"", versions.iter().map(|(_, seq)| seq).sum::<i64>());
    let mut response = if matches(headers, &etag) {
        metrics::counter!("web_tiles_total", "outcome" => "not_modified").increment(1);
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let bytes = match state.tiles.get(tile, &etag) {
            Some(bytes) => {
                metrics::counter!("web_tiles_total", "outcome" => "cached").increment(1);
                bytes
            }
            None => {
                metrics::counter!("web_tiles_total", "outcome" => "made").increment(1);
                let bytes = make(state, tile, &versions).await?;
                state.tiles.put(tile, etag.clone(), bytes.clone());
                bytes
            }
        };
        let accepts_gzip = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("gzip") || v.contains('*'));
        let mut response = if accepts_gzip {
            let mut response = bytes.into_response();
            response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        } else {
            // Rare (browsers and map libraries all take gzip): inflate for this client.
            let mut plain = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain)
                .map_err(|e| ApiError::internal("tile_failed", e))?;
            plain.into_response()
        };
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"));
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    // Kept by caches, asked again each time: the answer is a 304 until a commune changes.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tiles_of_zoom_10_to_14_exist() {
        assert_eq!(TileId::parse("14", "8457", "5710.pbf"), Some(TileId { z: 14, x: 8457, y: 5710 }));
        for (z, x, y) in [
            ("9", "1", "1.pbf"),
            ("15", "1", "1.pbf"),
            ("10", "1024", "1.pbf"),
            ("10", "1", "1"),
            ("a", "1", "1.pbf"),
        ] {
            assert_eq!(TileId::parse(z, x, y), None, "{z}/{x}/{y}");
        }
    }

    #[test]
    fn a_tile_of_mont_bonvillers_lists_its_commune() {
        // 5.8336 E, 49.3222 N at zoom 14.
        let tile = TileId { z: 14, x: 8457, y: 5604 };
        let ([west, south], [east, north]) = tile.bounds();
        assert!(
            west < 5.8336 && 5.8336 < east && south < 49.3222 && 49.3222 < north,
            "{west} {south} {east} {north}"
        );
        let codes = tile.communes(Contours::national());
        assert!(codes.contains(&"54084".to_owned()), "{codes:?}");
        assert!(codes.len() < 60, "{codes:?}");
    }
}
