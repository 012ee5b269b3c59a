//! The legal projection of each French territory, and WGS84 → legal x/y as the BAN computes it.
//!
//! The territory is chosen from the point itself (first bounding box that contains it, in a
//! fixed order), never from the commune code, and the result is rounded to the centimetre:
//! this is what BAL producers and the reference validator do, so x/y can be compared with
//! the values written in BAL files.
use std::cell::OnceCell;

use proj::Proj;

/// One legal coordinate reference system and the WGS84 box it is used for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LegalProjection {
    pub name: &'static str,
    pub territory: &'static str,
    pub epsg: u32,
    /// `[min_lon, min_lat, max_lon, max_lat]`, inclusive.
    pub bounds: [f64; 4],
    /// The projection as PROJ operations on geodetic coordinates (no datum shift: the legal
    /// datums are WGS84-compatible, and MOP78 is used without a shift, as BAL producers do).
    pub operation: &'static str,
}

impl LegalProjection {
    fn contains(&self, lon: f64, lat: f64) -> bool {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounds;
        lon <= max_lon && lon >= min_lon && lat <= max_lat && lat >= min_lat
    }
}

const fn legal(
    name: &'static str,
    territory: &'static str,
    epsg: u32,
    bounds: [f64; 4],
    operation: &'static str,
) -> LegalProjection {
    LegalProjection { name, territory, epsg, bounds, operation }
}

/// The legal projections, in the order in which their boxes are tried.
pub const LEGAL_PROJECTIONS: [LegalProjection; 12] = [
    legal("RGF93 / Lambert-93", "France métropolitaine", 2154, [-9.86, 41.15, 10.38, 51.56],
        "+proj=lcc +lat_1=49 +lat_2=44 +lat_0=46.5 +lon_0=3 +x_0=700000 +y_0=6600000 +ellps=GRS80"),
    legal("RGAF09 / UTM zone 20N", "Antilles françaises", 5490, [-63.66, 14.08, -57.52, 18.54],
        "+proj=utm +zone=20 +ellps=GRS80"),
    legal("RGFG95 / UTM zone 22N", "Guyane", 2972, [-54.6, 2.11, -49.46, 8.88],
        "+proj=utm +zone=22 +ellps=GRS80"),
    legal("RGR92 / UTM zone 40S", "La Réunion", 2975, [51.83, -24.72, 58.24, -18.28],
        "+proj=utm +zone=40 +south +ellps=GRS80"),
    legal("RGM04 / UTM zone 38S", "Mayotte", 4471, [43.68, -14.49, 46.7, -11.33],
        "+proj=utm +zone=38 +south +ellps=GRS80"),
    legal("RGSPM06 / UTM zone 21N", "Saint-Pierre-et-Miquelon", 4467, [-57.1, 43.41, -55.9, 47.37],
        "+proj=utm +zone=21 +ellps=GRS80"),
    legal("RGNC91-93 / Lambert New Caledonia", "Nouvelle-Calédonie", 3163, [163.55, -22.75, 168.2, -19.54],
        "+proj=lcc +lat_1=-20.66666666666667 +lat_2=-22.33333333333333 +lat_0=-21.5 +lon_0=166 +x_0=400000 +y_0=300000 +ellps=GRS80"),
    legal("RGPF / UTM zone 5S", "Polynésie française", 3296, [-155.0, -24.0, -150.0, -9.0],
        "+proj=utm +zone=5 +south +ellps=GRS80"),
    legal("RGPF / UTM zone 6S", "Polynésie française", 3297, [-150.0, -29.0, -144.0, -13.0],
        "+proj=utm +zone=6 +south +ellps=GRS80"),
    legal("RGPF / UTM zone 7S", "Polynésie française", 3298, [-144.0, -29.0, -138.0, -7.0],
        "+proj=utm +zone=7 +south +ellps=GRS80"),
    legal("RGPF / UTM zone 8S", "Polynésie française", 3299, [-138.0, -25.0, -132.0, -18.0],
        "+proj=utm +zone=8 +south +ellps=GRS80"),
    legal("MOP78 / UTM zone 1S", "Wallis-et-Futuna", 2988, [-177.0, -14.0, -176.0, -13.0],
        "+proj=utm +zone=1 +south +ellps=intl"),
];

/// The legal projection used for a WGS84 point, if the point lies in a French territory.
pub fn legal_projection_for(lon: f64, lat: f64) -> Option<&'static LegalProjection> {
    LEGAL_PROJECTIONS.iter().find(|p| p.contains(lon, lat))
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("invalid WGS84 coordinates: longitude {lon}, latitude {lat}")]
    InvalidWgs84 { lon: f64, lat: f64 },
    #[error("cannot set up projection {name}: {source}")]
    Setup {
        name: &'static str,
        #[source]
        source: proj::ProjCreateError,
    },
    #[error("cannot project ({lon}, {lat}) with {name}: {source}")]
    Transform {
        name: &'static str,
        lon: f64,
        lat: f64,
        #[source]
        source: proj::ProjError,
    },
}

/// A point in a legal projection, rounded to the centimetre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projected {
    pub x: f64,
    pub y: f64,
    pub projection: &'static LegalProjection,
}

/// Projects WGS84 points to their territory's legal CRS. PROJ objects are set up on first
/// use and reused; a `Projector` belongs to one thread (PROJ contexts are not shareable).
#[derive(Default)]
pub struct Projector {
    transforms: [OnceCell<Proj>; LEGAL_PROJECTIONS.len()],
}

impl std::fmt::Debug for Projector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ready = self.transforms.iter().filter(|t| t.get().is_some()).count();
        f.debug_struct("Projector").field("ready", &ready).finish()
    }
}

thread_local! {
    static THREAD_PROJECTOR: Projector = Projector::new();
}

impl Projector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` with this thread's projector: setting PROJ up costs ~20 ms per thread (it
    /// opens its database), so long-lived threads pay it once.
    pub fn with_thread_local<R>(f: impl FnOnce(&Projector) -> R) -> R {
        THREAD_PROJECTOR.with(f)
    }

    /// Projects `(lon, lat)`: `Ok(None)` when the point lies in no French territory,
    /// an error when it is not a WGS84 coordinate at all.
    pub fn project(&self, lon: f64, lat: f64) -> Result<Option<Projected>, ProjectionError> {
        let world = [-180.0, -90.0, 180.0, 90.0];
        if !(lon <= world[2] && lon >= world[0] && lat <= world[3] && lat >= world[1]) {
            return Err(ProjectionError::InvalidWgs84 { lon, lat });
        }
        let Some(index) = LEGAL_PROJECTIONS.iter().position(|p| p.contains(lon, lat)) else {
            return Ok(None);
        };
        let projection = &LEGAL_PROJECTIONS[index];
        let transform = match self.transforms[index].get() {
            Some(t) => t,
            None => {
                let definition = format!(
                    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {}",
                    projection.operation
                );
                let created = Proj::new(&definition)
                    .map_err(|source| ProjectionError::Setup { name: projection.name, source })?;
                self.transforms[index].get_or_init(|| created)
            }
        };
        let (x, y) = transform.convert((lon, lat)).map_err(|source| ProjectionError::Transform {
            name: projection.name,
            lon,
            lat,
            source,
        })?;
        Ok(Some(Projected { x: round_cm(x), y: round_cm(y), projection }))
    }
}

/// Rounds half up to two decimals, like `Math.round(v * 100) / 100`.
fn round_cm(v: f64) -> f64 {
    (v * 100.0 + 0.5).floor() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(lon: f64, lat: f64) -> Projected {
        match Projector::new().project(lon, lat) {
            Ok(Some(p)) => p,
            other => panic!("({lon}, {lat}) did not project: {other:?}"),
        }
    }

    #[test]
    fn lambert93_origin_meridian() {
        // On the central meridian at the origin latitude: x = false easting exactly.
        let p = project(3.0, 46.5);
        assert_eq!(p.projection.epsg, 2154);
        assert_eq!(p.x, 700000.0);
        assert_eq!(p.y, 6600000.0);
    }

    #[test]
    fn lambert93_matches_a_real_bal_row() {
        // Escoulis (31591), a row of its published BAL: long/lat and the x/y written beside them.
        let p = project(1.028392, 43.111637);
        assert!((p.x - 539_416.13).abs() < 0.05, "x = {}", p.x);
        assert!((p.y - 6_225_601.11).abs() < 0.05, "y = {}", p.y);
    }

    #[test]
    fn overseas_points_use_their_territory() {
        assert_eq!(project(55.45, -20.88).projection.epsg, 2975);
        assert_eq!(project(166.44, -22.27).projection.epsg, 3163);
        assert_eq!(project(-61.5, 16.2).projection.epsg, 5490);
        assert_eq!(project(-176.2, -13.3).projection.epsg, 2988);
    }

    /// Legal x/y written to the centimetre give back the WGS84 point to the centimetre, in
    /// every territory: a point inside each box (its centre, and near two of its corners)
    /// projected, rounded, then projected back by the inverse operation.
    #[test]
    fn positions_round_trip_to_the_centimetre_in_every_territory() {
        let projector = Projector::new();
        for projection in &LEGAL_PROJECTIONS {
            let inverse = Proj::new(&format!(
                "+proj=pipeline +step +inv {} +step +proj=unitconvert +xy_in=rad +xy_out=deg",
                projection.operation
            ))
            .unwrap_or_else(|e| panic!("{}: {e}", projection.name));
            let [min_lon, min_lat, max_lon, max_lat] = projection.bounds;
            let points = [
                [(min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0],
                [min_lon + 0.01, min_lat + 0.01],
                [max_lon - 0.01, max_lat - 0.01],
            ];
            for [lon, lat] in points {
                let Ok(Some(p)) = projector.project(lon, lat) else {
                    panic!("{}: ({lon}, {lat})", projection.name)
                };
                if p.projection.epsg != projection.epsg {
                    continue; // in an earlier box (the Polynesian zones overlap)
                }
                let (back_lon, back_lat) =
                    inverse.convert((p.x, p.y)).unwrap_or_else(|e| panic!("{}: {e}", projection.name));
                let metres = crate::contours::distance_m([lon, lat], [back_lon, back_lat]);
                assert!(metres < 0.01, "{}: ({lon}, {lat}) came back {metres:.4} m away", projection.name);
            }
        }
    }

    #[test]
    fn outside_every_territory_is_none_and_outside_the_world_an_error() {
        assert!(matches!(Projector::new().project(-30.0, 40.0), Ok(None)));
        assert!(matches!(Projector::new().project(200.0, 40.0), Err(ProjectionError::InvalidWgs84 { .. })));
        assert!(matches!(
            Projector::new().project(f64::NAN, 40.0),
            Err(ProjectionError::InvalidWgs84 { .. })
        ));
    }
}
