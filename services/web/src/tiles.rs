//! The map's vector tiles, `GET /tiles/ban/{z}/{x}/{y}.pbf`: the BAN's layers `adresses` and
//! `toponymes` (PARTICIPATION §4.6) at the BAN's zooms 10 to 14 (maps overzoom beyond), and
//! our `communes` layer (each commune's contour, with its figures) at those and at zooms 8
//! and 9, which are ours: there a tile covers hundreds of communes and up to hundreds of
//! thousands of addresses, so it holds the communes only, made from their records and the
//! embedded contours without reading their addresses. Mapbox Vector Tile 2.1, gzip.
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
use std::collections::HashMap;

use ban_spatial::contours::{lon_scale, Contour, Contours, METRES_PER_DEGREE_LAT};
use geo::{LineString, MultiPolygon, Simplify as _};
use lru::LruCache;
use prost::Message as _;

use crate::cache::{mercator, CommuneFigures, LoadedCommune, MapPoint};
use crate::mvt::{clip_ring, LayerWriter, PropertyValue, Ring, Tile, EXTENT};
use crate::WebState;

/// The zooms tiles are made for: the BAN's (10 to 14), and ours below (8 and 9, communes only).
pub const MIN_ZOOM: u8 = 8;
pub const MAX_ZOOM: u8 = 14;
/// The first zoom with the layers `adresses` and `toponymes` (the BAN's first).
pub const ADDRESS_MIN_ZOOM: u8 = 10;
/// Tile units drawn around a tile, so that circles across its edge are whole on both sides.
const BUFFER: f64 = 64.0;
/// Changes with what a tile holds for the same base (properties, layers): part of the ETag.
const TILE_FORMAT: u32 = 2;
/// Contours are simplified to this many tile units (Douglas–Peucker): a pixel of a tile drawn
/// 512 pixels wide at zooms 8 and 9, a quarter of one from 10 (the contours embedded are
/// simplified to a few hundred metres already).
fn simplification(z: u8) -> f64 {
    if z < ADDRESS_MIN_ZOOM {
        f64::from(EXTENT) / 512.0
    } else {
        f64::from(EXTENT) / 2048.0
    }
}

/// A tile's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// `z`, `x` and `{y}.pbf` as the URL gives them; `None` for anything but a tile of zoom
    /// 8 to 14 that exists.
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

    /// The communes that may have addresses in the tile (their contours, by code): those
    /// whose contour's bounding box, widened by 5 km, meets the tile (which also takes in
    /// every contour that meets the tile's buffer, a few hundred metres at zoom 8).
    pub fn contours<'a>(&self, contours: &'a Contours) -> Vec<&'a Contour> {
        let ([west, south], [east, north]) = self.bounds();
        let margin_lat = OUTSIDE_ERROR_M / METRES_PER_DEGREE_LAT;
        let margin_lon = OUTSIDE_ERROR_M / lon_scale(south.abs().max(north.abs()).min(85.0));
        let mut found: Vec<&Contour> = contours
            .intersecting([west - margin_lon, south - margin_lat], [east + margin_lon, north + margin_lat])
            .collect();
        found.sort_by(|a, b| a.code.cmp(&b.code));
        found
    }

    /// The codes of [`TileId::contours`].
    pub fn communes(&self, contours: &Contours) -> Vec<String> {
        self.contours(contours).into_iter().map(|contour| contour.code.clone()).collect()
    }

    /// A point of the Web Mercator square in this tile's units (0..4096 inside it).
    fn units(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let scale = f64::from(1u32 << self.z);
        (
            (x * scale - f64::from(self.x)) * f64::from(EXTENT),
            (y * scale - f64::from(self.y)) * f64::from(EXTENT),
        )
    }

    /// A point of the Web Mercator square in this tile's units, when it is inside or in the
    /// buffer around.
    fn place(&self, point: &MapPoint) -> Option<(i32, i32)> {
        let (x, y) = self.units((point.x, point.y));
        let range = -BUFFER..=f64::from(EXTENT) + BUFFER;
        (range.contains(&x) && range.contains(&y)).then(|| (x.round() as i32, y.round() as i32))
    }

    /// A contour (longitude, latitude) in this tile's units: each ring projected, clipped to
    /// the tile and its buffer, simplified for the zoom and rounded; rings outside left out
    /// (and a polygon whose exterior ring is).
    pub fn polygons(&self, shape: &MultiPolygon<f64>) -> Vec<crate::mvt::Polygon> {
        let (min, max) = (-BUFFER, f64::from(EXTENT) + BUFFER);
        let tolerance = simplification(self.z);
        let ring = |line: &LineString<f64>| -> Option<Ring> {
            let mut points: Vec<(f64, f64)> =
                line.coords().map(|c| self.units(mercator([c.x, c.y]))).collect();
            if points.len() > 1 && points.first() == points.last() {
                points.pop();
            }
            let mut clipped = clip_ring(&points, min, max);
            let first = *clipped.first()?;
            clipped.push(first);
            let simplified = LineString::from(clipped).simplify(tolerance);
            let ring: Ring = simplified.coords().map(|c| (c.x.round() as i32, c.y.round() as i32)).collect();
            (ring.len() >= 4).then_some(ring)
        };
        shape
            .iter()
            .filter_map(|polygon| {
                let exterior = ring(polygon.exterior())?;
                Some(std::iter::once(exterior).chain(polygon.interiors().iter().filter_map(ring)).collect())
            })
            .collect()
    }
}

/// The tile's layers (layers without features left out, as the BAN's are): `communes`, one
/// feature per contour of `contours` that meets the tile, with its `figures` when it is in the
/// base (else its code and name only); from zoom 10, the points of `communes`' addresses and
/// toponyms.
pub fn render(
    tile: TileId,
    contours: &[&Contour],
    figures: &HashMap<String, Arc<CommuneFigures>>,
    communes: &[Arc<LoadedCommune>],
) -> Tile {
    // Those outside the base: their code and name, from the contour.
    let outside: Vec<Vec<(&'static str, PropertyValue)>> = contours
        .iter()
        .filter(|contour| !figures.contains_key(&contour.code))
        .map(|contour| {
            vec![
                ("code", PropertyValue::Text(contour.code.as_str().into())),
                ("nom", PropertyValue::Text(contour.nom.as_str().into())),
            ]
        })
        .collect();
    let mut outside_properties = outside.iter();
    let mut communes_layer = LayerWriter::new("communes");
    for contour in contours {
        let properties = match figures.get(&contour.code) {
            Some(figures) => figures.properties.as_slice(),
            None => outside_properties.next().map(Vec::as_slice).unwrap_or_default(),
        };
        communes_layer.push_polygons(&tile.polygons(contour.shape()), properties);
    }
    let mut addresses = LayerWriter::new("adresses");
    let mut toponyms = LayerWriter::new("toponymes");
    for commune in communes.iter().filter(|_| tile.z >= ADDRESS_MIN_ZOOM) {
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
    let layers = [communes_layer, addresses, toponyms]
        .into_iter()
        .filter(|layer| !layer.is_empty())
        .map(LayerWriter::finish);
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

/// Reads the communes of `tile` at their `versions` (from zoom 10 whole, below their figures
/// only), and encodes and compresses the tile.
async fn make(
    state: &WebState,
    tile: TileId,
    contours: Vec<&'static Contour>,
    versions: &[(String, i64)],
) -> Result<Bytes, ApiError> {
    let mut communes = Vec::with_capacity(versions.len());
    let figures = if tile.z >= ADDRESS_MIN_ZOOM {
        for (code, version) in versions {
            if let Some(commune) = state.communes.get(&*state.store, code, *version).await? {
                communes.push(commune);
            }
        }
        communes.iter().map(|commune| (commune.commune.code.clone(), commune.figures.clone())).collect()
    } else {
        state.communes.figures(&*state.store, versions).await?
    };
    let span = tracing::Span::current();
    let encoded = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        gzip(&render(tile, &contours, &figures, &communes).encode_to_vec())
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
    description = "Les communes (couche `communes` : leur contour, `code`, `nom`, `source`, \
        `nbNumeros`, `nbVoies`, `tauxCertification`, `dateMAJ`), des niveaux de zoom 8 à 14, et, \
        des niveaux 10 à 14, les adresses (couche `adresses`) et les voies et lieux-dits (couche \
        `toponymes`) de la Base Adresse Nationale, au format Mapbox Vector Tile 2.1 compressé \
        (gzip) ; au-delà de 14, la carte agrandit le niveau 14. Propriétés des adresses et \
        toponymes : celles des tuiles de la BAN (`id`, `numero`, `suffixe`, `nomVoie`, \
        `certifie`, `sourcePosition`…). \
        L'ETag change dès qu'une publication d'une commune de la tuile est consolidée ; \
        `If-None-Match` répond 304.",
    params(
        ("z" = u8, Path, description = "Niveau de zoom, de 8 à 14"),
        ("x" = u32, Path, description = "Colonne de la tuile"),
        ("y" = String, Path, description = "Ligne de la tuile suivie de `.pbf`", example = "343.pbf"),
        ("If-None-Match" = Option<String>, Header, description = "L'ETag d'une version déjà reçue"),
    ),
    responses(
        (status = 200, description = "La tuile (Content-Encoding: gzip)", content_type = "application/x-protobuf", body = Vec<u8>),
        (status = 304, description = "La tuile n'a pas changé depuis l'ETag donné"),
        (status = 404, description = "Pas de tuile à cette adresse (zoom hors de 8 à 14)", body = Problem, content_type = "application/problem+json"),
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
    let contours = tile.contours(Contours::national());
    let codes: Vec<String> = contours.iter().map(|contour| contour.code.clone()).collect();
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
                let bytes = make(state, tile, contours, &versions).await?;
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
    fn only_tiles_of_zoom_8_to_14_exist() {
        assert_eq!(TileId::parse("14", "8457", "5710.pbf"), Some(TileId { z: 14, x: 8457, y: 5710 }));
        assert_eq!(TileId::parse("8", "132", "87.pbf"), Some(TileId { z: 8, x: 132, y: 87 }));
        for (z, x, y) in [
            ("7", "1", "1.pbf"),
            ("8", "256", "1.pbf"),
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
