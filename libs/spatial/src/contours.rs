//! Commune contours (shipped in `data/communes/contours-2026.geojson.gz`, embedded in the
//! binary, read into `geo` multipolygons): is a point in its commune, how far
//! outside, and which commune is it in.
//!
//! Contours are simplified to a few hundred metres, so callers compare distances with a
//! tolerance. Distances are great-circle distances ([`distance_m`], `geo`'s haversine), for
//! the spatial checks and the consolidation alike (the geocoder keeps addok's arithmetic).
use std::io::Read;
use std::sync::OnceLock;

use geo::{
    BoundingRect, Closest, ClosestPoint, Contains, Coord, Distance, Euclidean, Haversine, Line, LineString,
    MultiPolygon, Point, Polygon,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use rustc_hash::FxHashMap;
use serde::Deserialize;

const EMBEDDED: &[u8] = include_bytes!("../../../data/communes/contours-2026.geojson.gz");

/// Metres per degree of latitude (mean) and of longitude at the equator, for the local flat
/// projections that R-trees of positions work in.
pub const METRES_PER_DEGREE_LAT: f64 = 110_574.0;
const METRES_PER_DEGREE_LON: f64 = 111_320.0;

/// Metres per degree of longitude at a latitude (flat projection around that latitude).
pub fn lon_scale(lat: f64) -> f64 {
    METRES_PER_DEGREE_LON * lat.to_radians().cos()
}

/// Great-circle distance in metres between two WGS84 points `[lon, lat]` (haversine, on the
/// mean Earth radius).
pub fn distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    Haversine.distance(Point::from(a), Point::from(b))
}

/// The contour of a commune or municipal arrondissement.
#[derive(Debug, Clone)]
pub struct Contour {
    pub code: String,
    pub nom: String,
    shape: MultiPolygon<f64>,
    bbox: AABB<[f64; 2]>,
}

impl Contour {
    /// Whether the point (longitude, latitude) is inside.
    pub fn contains(&self, p: [f64; 2]) -> bool {
        rstar::Envelope::contains_point(&self.bbox, &p) && self.shape.contains(&Point::from(p))
    }

    /// The contour itself (longitude, latitude), to draw it.
    pub fn shape(&self) -> &MultiPolygon<f64> {
        &self.shape
    }

    /// Distance in metres from the point to the contour; 0 inside.
    ///
    /// The nearest point of the rings is found in a flat projection around the point (over a
    /// commune's extent it moves by centimetres), then measured on the sphere: `geo`'s
    /// great-circle closest point costs a dozen trigonometric calls per segment, and rings
    /// have hundreds of them.
    pub fn distance_m(&self, p: [f64; 2]) -> f64 {
        if self.contains(p) {
            return 0.0;
        }
        let scale = lon_scale(p[1]) / METRES_PER_DEGREE_LAT;
        let flat = |c: Coord| Coord { x: c.x * scale, y: c.y };
        let target = Point::new(p[0] * scale, p[1]);
        let nearest = self
            .shape
            .iter()
            .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
            .flat_map(LineString::lines)
            .filter_map(|line| match Line::new(flat(line.start), flat(line.end)).closest_point(&target) {
                Closest::Intersection(q) | Closest::SinglePoint(q) => Some(q),
                Closest::Indeterminate => None,
            })
            .min_by(|a, b| Euclidean.distance(*a, target).total_cmp(&Euclidean.distance(*b, target)));
        nearest.map_or(f64::INFINITY, |q| distance_m(p, [q.x() / scale, q.y()]))
    }
}

/// Every contour, indexed by code and by an R-tree of bounding boxes.
#[derive(Debug)]
pub struct Contours {
    contours: Vec<Contour>,
    by_code: FxHashMap<String, usize>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

/// Why contours could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ContoursError {
    #[error("reading contours: {0}")]
    Io(#[from] std::io::Error),
    #[error("contours are not valid GeoJSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The contours' collection, as much of GeoJSON as it uses.
#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    geometry: MultiPolygonGeometry,
}

#[derive(Deserialize)]
struct Properties {
    code: String,
    nom: String,
}

/// A GeoJSON MultiPolygon's coordinates: polygons of rings of `[lon, lat]`.
#[derive(Deserialize)]
struct MultiPolygonGeometry {
    coordinates: Vec<Vec<Vec<[f64; 2]>>>,
}

impl Feature {
    /// Its contour, without degenerate polygons; none when nothing is left.
    fn into_contour(self) -> Option<Contour> {
        let shape: MultiPolygon<f64> = self
            .geometry
            .coordinates
            .into_iter()
            .filter(|rings| rings.first().is_some_and(|outer| outer.len() >= 4))
            .map(|rings| {
                let mut rings = rings.into_iter().map(LineString::from);
                let outer = rings.next().unwrap_or_else(|| LineString::new(Vec::new()));
                Polygon::new(outer, rings.collect())
            })
            .collect();
        let rect = shape.bounding_rect()?;
        let bbox = AABB::from_corners(rect.min().into(), rect.max().into());
        Some(Contour { code: self.properties.code, nom: self.properties.nom, shape, bbox })
    }
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
    ///
    /// Read by serde into the coordinates' arrays, then made `geo` multipolygons: 0.09 s and
    /// 67 MB for the nation, where the `geojson` crate's readers take 0.42 s (streamed, 55 MB)
    /// or 0.52 s (a whole `FeatureCollection`, 325 MB) — and many seconds in a debug build,
    /// on the first validation of a depot.
    pub fn from_geojson_gz(bytes: &[u8]) -> Result<Contours, ContoursError> {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut text)?;
        let collection: Collection = serde_json::from_slice(&text)?;
        Ok(Contours::from_contours(
            collection.features.into_iter().filter_map(Feature::into_contour).collect(),
        ))
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

    /// The communes whose contour's bounding box meets the box from `min` to `max`
    /// (longitude, latitude): those that may have addresses in it (a map tile's).
    pub fn intersecting(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = &Contour> + '_ {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .map(|entry| &self.contours[entry.data])
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
    fn distances() {
        // 0.001 degree of latitude: 111.19 m on the mean sphere.
        assert!((distance_m([2.0, 48.0], [2.0, 48.001]) - 111.195).abs() < 0.01);
        let square = Contour {
            code: "00000".into(),
            nom: "Carré".into(),
            shape: MultiPolygon::new(vec![geo::Polygon::new(
                vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)].into(),
                vec![],
            )]),
            bbox: AABB::from_corners([0.0, 0.0], [1.0, 1.0]),
        };
        assert!(square.contains([0.5, 0.5]) && !square.contains([1.5, 0.5]));
        assert_eq!(square.distance_m([0.5, 0.5]), 0.0);
        let outside = square.distance_m([0.5, -0.001]);
        assert!((outside - 111.195).abs() < 0.01, "{outside}");
    }

    #[test]
    fn distances_to_a_contour_agree_with_great_circle_geometry() {
        use geo::HaversineClosestPoint;
        // Points all around Strasbourg (a large contour), from 10 m to 20 km outside.
        let contour = Contours::national().get("67482").expect("Strasbourg");
        let centre = [7.75, 48.58];
        for step in 0..72 {
            let angle = f64::from(step) * 5.0_f64.to_radians();
            for km in [6.0, 8.0, 10.0, 15.0, 25.0] {
                let p = [centre[0] + km / 74.0 * angle.cos(), centre[1] + km / 111.0 * angle.sin()];
                if contour.contains(p) {
                    continue;
                }
                let point = Point::from(p);
                let exact = contour
                    .shape
                    .iter()
                    .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
                    .filter_map(|ring| match ring.haversine_closest_point(&point) {
                        Closest::Intersection(q) | Closest::SinglePoint(q) => {
                            Some(Haversine.distance(point, q))
                        }
                        Closest::Indeterminate => None,
                    })
                    .fold(f64::INFINITY, f64::min);
                let fast = contour.distance_m(p);
                // Within 0.05 %: metres at the thresholds (200 m, 5 km) of contours simplified
                // to a few hundred metres.
                assert!((fast - exact).abs() < 0.5 + exact * 5e-4, "{p:?}: {fast} m, great-circle {exact} m");
            }
        }
    }
}
