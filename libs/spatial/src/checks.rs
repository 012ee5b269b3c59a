//! Spatial checks of a commune's address positions, with R-trees: positions outside the
//! commune or in another one, several addresses stacked on one spot, one address at places
//! far apart, and numbers far from the rest of their street.
//!
//! Codes (all `spatial.*`), with their level:
//! - `spatial.hors_commune` (W): outside the contour by more than [`CONTOUR_TOLERANCE_M`]
//!   (contours are simplified) and up to [`OUTSIDE_ERROR_M`];
//! - `spatial.hors_commune_eloigne` (E): more than [`OUTSIDE_ERROR_M`] outside (the national
//!   platform drops such points);
//! - `spatial.dans_autre_commune` (W): outside its commune and inside another (value: its code);
//! - `spatial.positions_superposees` (W): different addresses less than [`STACKED_M`] apart;
//! - `spatial.adresse_dispersee` (W): one address (street, number, suffix) at places more
//!   than [`SCATTERED_M`] apart;
//! - `spatial.numero_isole` (W): a number far from the others of its street (more than
//!   [`OUTLIER_MIN_M`] and [`OUTLIER_FACTOR`] times the street's median spread).
use ban_domain::{InseeCode, Level};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use rustc_hash::FxHashMap;

use crate::contours::{distance_m, lon_scale, Contours, METRES_PER_DEGREE_LAT};

/// Contours are simplified: closer than this outside is not reported.
pub const CONTOUR_TOLERANCE_M: f64 = 200.0;
/// Beyond this outside the commune, a position is an error.
pub const OUTSIDE_ERROR_M: f64 = 5_000.0;
/// Different addresses closer than this are stacked.
pub const STACKED_M: f64 = 0.5;
/// One address at places farther apart than this is scattered.
pub const SCATTERED_M: f64 = 100.0;
/// A number is an outlier only beyond this distance from its street's centre…
pub const OUTLIER_MIN_M: f64 = 1_000.0;
/// …and beyond this many times the street's median distance to its centre.
pub const OUTLIER_FACTOR: f64 = 10.0;
/// Streets with fewer numbered positions are not checked for outliers.
pub const OUTLIER_MIN_POSITIONS: usize = 5;

/// One position of a row, with the keys that identify its address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// 1-based line of the file.
    pub line: u32,
    /// 0-based data row.
    pub row: u32,
    pub lon: f64,
    pub lat: f64,
    /// Street identity (any stable key: interned normalised name).
    pub street: u32,
    /// Address identity: street, number, suffix, commune déléguée (stable keys).
    pub address: [u32; 4],
    /// A named place (lieu-dit or street without number): not an address position.
    pub toponym: bool,
}

/// A spatial finding on a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub row: u32,
    pub line: u32,
    pub code: &'static str,
    pub level: Level,
    pub value: Option<String>,
}

/// Runs every check on the positions of one commune's file.
pub fn check_positions(commune: InseeCode, positions: &[Position], contours: &Contours) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_outside(commune, positions, contours, &mut findings);
    check_stacked(positions, &mut findings);
    check_scattered(positions, &mut findings);
    check_outliers(positions, &mut findings);
    findings.sort_by_key(|f| f.row);
    findings
}

fn finding(p: &Position, code: &'static str, level: Level, value: Option<String>) -> Finding {
    Finding { row: p.row, line: p.line, code, level, value }
}

fn check_outside(commune: InseeCode, positions: &[Position], contours: &Contours, out: &mut Vec<Finding>) {
    let commune = commune.as_str();
    // A commune without a contour (created this year, or not in the reference) is not checked.
    let Some(contour) = contours.get(commune) else { return };
    for p in positions {
        let point = [p.lon, p.lat];
        let outside = contour.distance_m(point);
        if outside <= CONTOUR_TOLERANCE_M {
            continue;
        }
        let metres = Some(format!("{outside:.0} m"));
        if outside > OUTSIDE_ERROR_M {
            out.push(finding(p, "spatial.hors_commune_eloigne", Level::Error, metres));
        } else {
            out.push(finding(p, "spatial.hors_commune", Level::Warning, metres));
        }
        if let Some(other) = contours.containing(point).find(|c| c.code != commune) {
            out.push(finding(
                p,
                "spatial.dans_autre_commune",
                Level::Warning,
                Some(format!("{} {}", other.code, other.nom)),
            ));
        }
    }
}

/// Positions in metres on a flat projection centred on the commune, for the R-tree.
fn projected(positions: &[Position]) -> Vec<[f64; 2]> {
    let lat0 = positions.iter().map(|p| p.lat).sum::<f64>() / positions.len().max(1) as f64;
    let scale = lon_scale(lat0);
    positions.iter().map(|p| [p.lon * scale, p.lat * METRES_PER_DEGREE_LAT]).collect()
}

fn check_stacked(positions: &[Position], out: &mut Vec<Finding>) {
    let points = projected(positions);
    let entries: Vec<_> = points
        .iter()
        .enumerate()
        .filter(|(i, _)| !positions[*i].toponym)
        .map(|(i, p)| GeomWithData::new(*p, i))
        .collect();
    let tree = RTree::bulk_load(entries);
    for (i, p) in positions.iter().enumerate() {
        if p.toponym {
            continue;
        }
        let stacked_with = tree
            .locate_within_distance(points[i], STACKED_M * STACKED_M)
            .map(|entry| &positions[entry.data])
            .find(|other| other.address != p.address);
        if let Some(other) = stacked_with {
            out.push(finding(
                p,
                "spatial.positions_superposees",
                Level::Warning,
                Some(format!("ligne {}", other.line)),
            ));
        }
    }
}

fn check_scattered(positions: &[Position], out: &mut Vec<Finding>) {
    let mut by_address: FxHashMap<[u32; 4], Vec<usize>> = FxHashMap::default();
    for (i, p) in positions.iter().enumerate().filter(|(_, p)| !p.toponym) {
        by_address.entry(p.address).or_default().push(i);
    }
    for rows in by_address.values().filter(|rows| rows.len() > 1) {
        for &i in rows {
            let p = &positions[i];
            let farthest = rows
                .iter()
                .map(|&j| distance_m([p.lon, p.lat], [positions[j].lon, positions[j].lat]))
                .fold(0.0, f64::max);
            if farthest > SCATTERED_M {
                out.push(finding(
                    p,
                    "spatial.adresse_dispersee",
                    Level::Warning,
                    Some(format!("{farthest:.0} m")),
                ));
            }
        }
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn check_outliers(positions: &[Position], out: &mut Vec<Finding>) {
    let mut by_street: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for (i, p) in positions.iter().enumerate().filter(|(_, p)| !p.toponym) {
        by_street.entry(p.street).or_default().push(i);
    }
    for rows in by_street.values().filter(|rows| rows.len() >= OUTLIER_MIN_POSITIONS) {
        let centre = [
            median(&mut rows.iter().map(|&i| positions[i].lon).collect::<Vec<_>>()),
            median(&mut rows.iter().map(|&i| positions[i].lat).collect::<Vec<_>>()),
        ];
        let distances: Vec<f64> =
            rows.iter().map(|&i| distance_m(centre, [positions[i].lon, positions[i].lat])).collect();
        let spread = median(&mut distances.clone());
        let limit = OUTLIER_MIN_M.max(OUTLIER_FACTOR * spread);
        for (&i, &d) in rows.iter().zip(&distances) {
            if d > limit {
                out.push(finding(
                    &positions[i],
                    "spatial.numero_isole",
                    Level::Warning,
                    Some(format!("{d:.0} m du reste de la voie")),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> InseeCode {
        InseeCode::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn at(row: u32, lon: f64, lat: f64, street: u32, numero: u32) -> Position {
        Position { line: row + 2, row, lon, lat, street, address: [street, numero, 0, 0], toponym: false }
    }

    fn codes(findings: &[Finding]) -> Vec<(u32, &'static str)> {
        findings.iter().map(|f| (f.row, f.code)).collect()
    }

    #[test]
    fn positions_in_and_out_of_their_commune() {
        let contours = Contours::national();
        let inside = at(0, 5.833622, 49.322203, 1, 1);
        let nancy = at(1, 6.173, 48.688, 1, 2);
        let found = check_positions(code("54084"), &[inside, nancy], contours);
        assert_eq!(
            codes(&found),
            vec![(1, "spatial.hors_commune_eloigne"), (1, "spatial.dans_autre_commune")]
        );
        assert_eq!(found[0].level, Level::Error);
        assert_eq!(found[1].value.as_deref(), Some("54395 Nancy"));
        // A commune without a contour is not checked for it.
        assert!(check_positions(code("99999"), &[nancy], contours).is_empty());
    }

    #[test]
    fn stacked_scattered_and_isolated() {
        let contours = Contours::national();
        let mut street: Vec<Position> =
            (0..8).map(|i| at(i, 5.8300 + f64::from(i) * 0.0002, 49.3220, 1, i + 1)).collect();
        // Number 20 of another street exactly on number 1.
        street.push(at(8, 5.8300, 49.3220, 2, 20));
        // Number 3 again, 300 m away.
        street.push(at(9, 5.8300 + 0.0004, 49.3247, 1, 3));
        // Number 9 of street 1, 3 km away (still in the commune's surroundings).
        street.push(at(10, 5.8300, 49.3490, 1, 9));
        let found = codes(&check_positions(code("54084"), &street, contours));
        assert!(found.contains(&(0, "spatial.positions_superposees")), "{found:?}");
        assert!(found.contains(&(8, "spatial.positions_superposees")), "{found:?}");
        assert!(
            found.contains(&(2, "spatial.adresse_dispersee"))
                && found.contains(&(9, "spatial.adresse_dispersee")),
            "{found:?}"
        );
        assert!(found.contains(&(10, "spatial.numero_isole")), "{found:?}");
        assert!(!found.iter().any(|(row, code)| *row == 5 && *code != "spatial.hors_commune"), "{found:?}");
    }
}
