//! Commune contours (shipped in `data/communes/contours-2026.geojson.gz`, embedded in the
//! binary): is a point in its commune, how far outside, and which commune is it in.
//!
//! Contours are simplified to a few hundred metres, so callers compare distances with a
//! tolerance. Distances are computed on a local flat projection around the point
//! (equirectangular), accurate to well under 1 % over the tens of kilometres involved.
use std::io::Read;
use std::sync::OnceLock;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{Envelope, RTree, AABB};
use rustc_hash::FxHashMap;
use serde::Deserialize;

const EMBEDDED: &[u8] = include_bytes!("../../../data/communes/contours-2026.geojson.gz");

/// Metres per degree of latitude (mean) and of longitude at the equator.
pub const METRES_PER_DEGREE_LAT: f64 = 110_574.0;
const METRES_PER_DEGREE_LON: f64 = 111_320.0;

type Ring = Vec<[f64; 2]>;

/// One polygon: its outer ring, then its holes.
#[derive(Debug, Clone)]
pub struct Polygon {
    rings: Vec<Ring>,
}

/// The contour of a commune or municipal arrondissement.
#[derive(Debug, Clone)]
pub struct Contour {
    pub code: String,
    pub nom: String,
    polygons: Vec<Polygon>,
    bbox: AABB<[f64; 2]>,
}

/// Whether `p` is inside `ring` (even-odd rule).
fn in_ring(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let mut j = ring.len().wrapping_sub(1);
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Distance in metres from `p` to the segment `a`–`b` (degrees), on a flat projection at `p`.
fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2], lon_scale: f64) -> f64 {
    let to_m = |q: [f64; 2]| [(q[0] - p[0]) * lon_scale, (q[1] - p[1]) * METRES_PER_DEGREE_LAT];
    let (a, b) = (to_m(a), to_m(b));
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length = dx * dx + dy * dy;
    let t = if length == 0.0 { 0.0 } else { (-(a[0] * dx + a[1] * dy) / length).clamp(0.0, 1.0) };
    let (x, y) = (a[0] + t * dx, a[1] + t * dy);
    (x * x + y * y).sqrt()
}

/// Metres per degree of longitude at a latitude.
pub fn lon_scale(lat: f64) -> f64 {
    METRES_PER_DEGREE_LON * lat.to_radians().cos()
}

/// Distance in metres between two WGS84 points (flat approximation, for short distances).
pub fn distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let scale = lon_scale((a[1] + b[1]) / 2.0);
    let (dx, dy) = ((a[0] - b[0]) * scale, (a[1] - b[1]) * METRES_PER_DEGREE_LAT);
    (dx * dx + dy * dy).sqrt()
}

impl Contour {
    /// Whether the point (longitude, latitude) is inside.
    pub fn contains(&self, p: [f64; 2]) -> bool {
        self.bbox.contains_point(&p)
            && self.polygons.iter().any(|polygon| {
                let mut rings = polygon.rings.iter();
                rings.next().is_some_and(|outer| in_ring(outer, p)) && !rings.any(|hole| in_ring(hole, p))
            })
    }

    /// Distance in metres from the point to the contour; 0 inside.
    pub fn distance_m(&self, p: [f64; 2]) -> f64 {
        if self.contains(p) {
            return 0.0;
        }
        let scale = lon_scale(p[1]);
        let mut best = f64::INFINITY;
        for ring in self.polygons.iter().flat_map(|polygon| &polygon.rings) {
            for pair in ring.windows(2) {
                best = best.min(segment_distance(p, pair[0], pair[1], scale));
            }
        }
        best
    }
}

/// Every contour, indexed by code and by an R-tree of bounding boxes.
#[derive(Debug)]
pub struct Contours {
    contours: Vec<Contour>,
    by_code: FxHashMap<String, usize>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    geometry: Geometry,
}

#[derive(Deserialize)]
struct Properties {
    code: String,
    nom: String,
}

#[derive(Deserialize)]
struct Geometry {
    coordinates: Vec<Vec<Ring>>,
}

/// Why contours could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ContoursError {
    #[error("reading contours: {0}")]
    Io(#[from] std::io::Error),
    #[error("contours are not valid GeoJSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Contours {
    /// The embedded national contours, loaded once on first use (a few hundred milliseconds).
    pub fn national() -> &'static Contours {
        static CONTOURS: OnceLock<Contours> = OnceLock::new();
        CONTOURS.get_or_init(|| {
            // The embedded file is checked by the tests; an empty set would only disable checks.
            Contours::from_geojson_gz(EMBEDDED).unwrap_or_else(|_| Contours::from_contours(Vec::new()))
        })
    }

    /// Reads a gzip-compressed GeoJSON collection of MultiPolygons with `code` and `nom`.
    pub fn from_geojson_gz(bytes: &[u8]) -> Result<Contours, ContoursError> {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut text)?;
        let collection: Collection = serde_json::from_slice(&text)?;
        let contours = collection
            .features
            .into_iter()
            .filter_map(|f| {
                let polygons: Vec<Polygon> = f
                    .geometry
                    .coordinates
                    .into_iter()
                    .map(|rings| Polygon { rings })
                    .filter(|p| p.rings.first().is_some_and(|r| r.len() >= 4))
                    .collect();
                let points = polygons.iter().flat_map(|p| p.rings.first()).flatten().copied();
                let bbox = AABB::from_points(points.collect::<Vec<_>>().iter());
                (!polygons.is_empty()).then_some(Contour {
                    code: f.properties.code,
                    nom: f.properties.nom,
                    polygons,
                    bbox,
                })
            })
            .collect();
        Ok(Contours::from_contours(contours))
    }

    fn from_contours(contours: Vec<Contour>) -> Contours {
        let by_code = contours.iter().enumerate().map(|(i, c)| (c.code.clone(), i)).collect();
        let boxes = contours
            .iter()
            .enumerate()
            .map(|(i, c)| GeomWithData::new(Rectangle::from_aabb(c.bbox), i))
            .collect();
        Contours { contours, by_code, tree: RTree::bulk_load(boxes) }
    }

    pub fn len(&self) -> usize {
        self.contours.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contours.is_empty()
    }

    /// The contour of a commune.
    pub fn get(&self, code: &str) -> Option<&Contour> {
        self.by_code.get(code).map(|&i| &self.contours[i])
    }

    /// The communes whose contour contains the point.
    pub fn containing(&self, p: [f64; 2]) -> impl Iterator<Item = &Contour> + '_ {
        self.tree
            .locate_all_at_point(&p)
            .map(|entry| &self.contours[entry.data])
            .filter(move |c| c.contains(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_contours_locate_communes() {
        let contours = Contours::national();
        assert!(contours.len() > 34_000, "{}", contours.len());
        // Mont-Bonvillers (54084): a point of its BAL is inside, Nancy's centre is not.
        let mont = contours.get("54084").expect("Mont-Bonvillers");
        assert!(mont.contains([5.833622, 49.322203]));
        assert!(!mont.contains([6.173, 48.688]));
        let nancy = [6.173, 48.688];
        assert!(contours.containing(nancy).any(|c| c.code == "54395"));
        let away = mont.distance_m(nancy);
        assert!((60_000.0..90_000.0).contains(&away), "{away}");
    }

    #[test]
    fn rings_and_distances() {
        let square = vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]];
        assert!(in_ring(&square, [0.5, 0.5]));
        assert!(!in_ring(&square, [1.5, 0.5]));
        let d = segment_distance([0.0, 0.001], [-1.0, 0.0], [1.0, 0.0], lon_scale(0.0));
        assert!((d - 110.574).abs() < 0.01, "{d}");
        assert!((distance_m([2.0, 48.0], [2.0, 48.001]) - 110.574).abs() < 0.01);
    }
}
