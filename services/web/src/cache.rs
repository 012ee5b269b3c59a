//! The communes of the base that the commune pages and the map tiles show, kept in memory by
//! version: a commune is read from the store (and its map points computed) once per change of
//! its part of the base, then served from here until it changes again or is pushed out by
//! communes read more recently. Callers ask with the version the store gives now
//! ([`ban_store::BaseStore::commune_versions`], one cheap query), so a publication shows as
//! soon as it is consolidated, in `ban web` alone as in `ban serve`.
//!
//! Also each commune's figures for the map's `communes` layer ([`CommuneFigures`]), read by
//! département from the communes' records only (not their addresses), so that a tile of zoom
//! 8 covering hundreds of communes costs a few small queries once, then nothing until one of
//! them changes.
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use ban_domain::insee::departement_of;
use ban_exports::{CommuneData, Prepared};
use ban_spatial::Territories;
use ban_store::{Commune, CommuneBase, CommuneSource, Store, StoreError, StoreResult};
use lru::LruCache;

use crate::commune::CommuneSummary;
use crate::mvt::PropertyValue;

/// A commune as read at one version, with what its page and the map show of it.
#[derive(Debug)]
pub struct LoadedCommune {
    /// The seq of the commune's last change when it was read.
    pub version: i64,
    /// Its record in the base.
    pub commune: Commune,
    /// Its addresses and toponyms as map points.
    pub map: CommuneMap,
    /// Its figures and streets, for its page.
    pub summary: CommuneSummary,
    /// Its feature's properties in the map's `communes` layer.
    pub figures: Arc<CommuneFigures>,
    /// Its objects (addresses and toponyms, disabled ones included): its weight in the cache.
    objects: usize,
}

impl LoadedCommune {
    /// What the page and the map show of a commune's part of the base; `None` when the
    /// commune is not in the base.
    pub fn of(base: &CommuneBase) -> Option<Self> {
        let commune = base.commune.as_ref()?;
        let data = CommuneData { commune, toponyms: &base.toponyms, addresses: &base.addresses };
        let prepared = Prepared::new(data, Territories::national());
        Some(LoadedCommune {
            version: base.version,
            commune: commune.clone(),
            map: CommuneMap::of(&prepared),
            summary: CommuneSummary::of(&prepared),
            figures: Arc::new(CommuneFigures::of(commune, base.version)),
            objects: base.addresses.len() + base.toponyms.len(),
        })
    }
}

/// A point of the map: where it is in the Web Mercator square (0..1 both ways, y down), and
/// the properties the tiles carry.
#[derive(Debug, Clone)]
pub struct MapPoint {
    pub x: f64,
    pub y: f64,
    pub properties: Vec<(&'static str, PropertyValue)>,
}

/// What the map shows of a commune: the points of the tiles' two layers.
#[derive(Debug, Default)]
pub struct CommuneMap {
    pub addresses: Vec<MapPoint>,
    pub toponyms: Vec<MapPoint>,
}

/// The properties the tiles carry (those of the BAN's tiles), as static names. Not `banId`,
/// which the GeoJSON exports add: random, it would double a tile's compressed size.
const PROPERTIES: [&str; 16] = [
    "id",
    "type",
    "numero",
    "suffixe",
    "nomVoie",
    "lieuDitComplementNom",
    "parcelles",
    "codeCommune",
    "nomCommune",
    "codeAncienneCommune",
    "nomAncienneCommune",
    "sourcePosition",
    "sourceNomVoie",
    "certifie",
    "nbNumeros",
    "dateMAJ",
];

/// What the map's `communes` layer tells of a commune of the base, from its record: `code`,
/// `nom`, `source` (`bal`, or `legacy` for an older BAN export), `nbNumeros`, `nbVoies`
/// (its toponyms: streets and lieux-dits, as the record counts them), `tauxCertification`
/// (the share of certified addresses in percent, rounded up as its page does) and `dateMAJ`
/// (the day its current revision was published, when it has one).
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneFigures {
    /// The seq of the commune's last change when its record was read.
    pub version: i64,
    pub properties: Vec<(&'static str, PropertyValue)>,
}

impl CommuneFigures {
    pub fn of(commune: &Commune, version: i64) -> Self {
        let text = |value: &str| PropertyValue::Text(value.into());
        let mut properties = vec![("code", text(&commune.code))];
        if let Some(name) = &commune.name {
            properties.push(("nom", text(name)));
        }
        let source = match commune.source {
            CommuneSource::Bal => "bal",
            CommuneSource::Legacy => "legacy",
        };
        let addresses = u64::from(commune.addresses);
        let certified = u64::from(commune.certified_addresses);
        properties.extend([
            ("source", text(source)),
            ("nbNumeros", PropertyValue::Unsigned(addresses)),
            ("nbVoies", PropertyValue::Unsigned(u64::from(commune.toponyms))),
            (
                "tauxCertification",
                PropertyValue::Unsigned(if addresses == 0 {
                    0
                } else {
                    (certified * 100).div_ceil(addresses)
                }),
            ),
        ]);
        if let Some(day) = commune.revision_published_at.as_deref().and_then(|at| at.get(..10)) {
            properties.push(("dateMAJ", text(day)));
        }
        CommuneFigures { version, properties }
    }
}

/// Longitude and latitude to the Web Mercator square (0..1, y down), latitudes clamped to
/// the projection's limit.
pub fn mercator([lon, lat]: [f64; 2]) -> (f64, f64) {
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = 0.5 - (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() / (2.0 * std::f64::consts::PI);
    (x, y)
}

/// A GeoJSON feature (of the exports) as a map point; `None` without a point geometry.
fn point_of(feature: &serde_json::Value) -> Option<MapPoint> {
    let coordinates = feature["geometry"]["coordinates"].as_array()?;
    let lon = coordinates.first()?.as_f64()?;
    let lat = coordinates.get(1)?.as_f64()?;
    let (x, y) = mercator([lon, lat]);
    let properties = feature["properties"].as_object()?;
    let properties = PROPERTIES
        .iter()
        .filter_map(|name| Some((*name, PropertyValue::of_json(properties.get(*name)?)?)))
        .collect();
    Some(MapPoint { x, y, properties })
}

impl CommuneMap {
    /// The map points of a commune: its active addresses at their main position, its streets
    /// and lieux-dits at their position, with the properties of the GeoJSON exports.
    pub fn of(prepared: &Prepared<'_>) -> Self {
        let addresses = prepared
            .addresses()
            .filter_map(|(street, located)| ban_exports::address_feature(prepared, street, located))
            .filter_map(|feature| point_of(&feature))
            .collect();
        let toponyms = prepared
            .streets
            .iter()
            .chain(&prepared.lieux_dits)
            .filter_map(|street| ban_exports::toponym_feature(prepared, street))
            .filter_map(|feature| point_of(&feature))
            .collect();
        CommuneMap { addresses, toponyms }
    }
}

/// The communes in memory, least recently used first out past `capacity` objects, and the
/// figures of every commune asked for, by département.
#[derive(Debug)]
pub struct CommuneCache {
    inner: Mutex<Entries>,
    capacity: usize,
    /// Each département's communes' figures, by code (about 35,000 small records for France:
    /// all are kept).
    figures: Mutex<HashMap<String, Arc<FiguresByCode>>>,
}

/// The figures of a département's communes, by code.
type FiguresByCode = HashMap<String, Arc<CommuneFigures>>;

#[derive(Debug)]
struct Entries {
    communes: LruCache<String, Arc<LoadedCommune>>,
    /// Objects of the communes held.
    objects: usize,
}

fn weight(commune: &LoadedCommune) -> usize {
    1 + commune.objects
}

impl CommuneCache {
    pub fn new(capacity_objects: usize) -> Self {
        CommuneCache {
            inner: Mutex::new(Entries { communes: LruCache::unbounded(), objects: 0 }),
            capacity: capacity_objects,
            figures: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves whole entries only: the cache stays usable.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The figures of the communes `versions` names (a code and the seq of its last change,
    /// as [`ban_store::BaseStore::commune_versions`] gives them), by code: a département is
    /// read again (its communes' records, one query) when one of its communes is held at an
    /// older version or not at all.
    pub async fn figures(
        &self,
        store: &dyn Store,
        versions: &[(String, i64)],
    ) -> StoreResult<HashMap<String, Arc<CommuneFigures>>> {
        let held = |figures: &HashMap<String, Arc<FiguresByCode>>, code: &str| {
            figures.get(departement_of(code)).and_then(|communes| communes.get(code)).cloned()
        };
        let stale: BTreeSet<String> = {
            let figures = self.figures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            versions
                .iter()
                .filter(|(code, version)| held(&figures, code).is_none_or(|held| held.version < *version))
                .map(|(code, _)| departement_of(code).to_owned())
                .collect()
        };
        for departement in stale {
            metrics::counter!("web_commune_figures_reads_total").increment(1);
            let communes = store.base_communes(Some(&departement)).await?;
            let read: FiguresByCode = communes
                .into_iter()
                .map(|row| (row.commune.code.clone(), Arc::new(CommuneFigures::of(&row.commune, row.seq))))
                .collect();
            self.figures
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(departement, Arc::new(read));
        }
        let figures = self.figures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(versions.iter().filter_map(|(code, _)| Some((code.clone(), held(&figures, code)?))).collect())
    }

    /// The commune `code` at `version` (or later): from memory when held at that version,
    /// else read from the store. `None` when the commune is not in the base.
    pub async fn get(
        &self,
        store: &dyn Store,
        code: &str,
        version: i64,
    ) -> StoreResult<Option<Arc<LoadedCommune>>> {
        if let Some(held) = self.lock().communes.get(code) {
            if held.version >= version {
                metrics::counter!("web_commune_cache_total", "outcome" => "hit").increment(1);
                return Ok(Some(held.clone()));
            }
        }
        metrics::counter!("web_commune_cache_total", "outcome" => "miss").increment(1);
        let base = store.commune_base(code).await?;
        if base.commune.is_none() {
            return Ok(None);
        }
        let span = tracing::Span::current();
        let loaded = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            LoadedCommune::of(&base)
        })
        .await
        .map_err(StoreError::database)?;
        let Some(loaded) = loaded else { return Ok(None) };
        let loaded = Arc::new(loaded);
        let mut entries = self.lock();
        if let Some(old) = entries.communes.put(code.to_owned(), loaded.clone()) {
            entries.objects -= weight(&old);
        }
        entries.objects += weight(&loaded);
        while entries.objects > self.capacity && entries.communes.len() > 1 {
            let Some((_, old)) = entries.communes.pop_lru() else { break };
            entries.objects -= weight(&old);
        }
        Ok(Some(loaded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mercator_corners_and_centre() {
        assert_eq!(mercator([0.0, 0.0]), (0.5, 0.5));
        let (x, y) = mercator([-180.0, 85.051_128_78]);
        assert!(x.abs() < 1e-12 && y.abs() < 1e-9, "{x} {y}");
        let (x, y) = mercator([180.0, -90.0]);
        assert!((x - 1.0).abs() < 1e-12 && (y - 1.0).abs() < 1e-9, "{x} {y}");
    }
}
