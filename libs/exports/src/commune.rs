//! One commune of the base, prepared for writing: active objects only, in a stable order
//! (streets and lieux-dits by name, numbers by numero and suffix), with what every format
//! derives from them (names of the commune and former communes, street codes, postcodes,
//! main positions, legal coordinates).
use ban_domain::base::{Address, AddressPosition, Commune, CommuneSource, Toponym};
use ban_domain::PositionType;
use ban_spatial::territories::{Postcode, Territories, Territory};
use ban_spatial::Projector;

use crate::text::round_to;

/// A commune's part of the base, as the store reads it (disabled objects included).
#[derive(Debug, Clone, Copy)]
pub struct CommuneData<'a> {
    pub commune: &'a Commune,
    pub toponyms: &'a [Toponym],
    pub addresses: &'a [Address],
}

/// The prepared commune.
#[derive(Debug)]
pub struct Prepared<'a> {
    pub commune: &'a Commune,
    pub territory: Option<&'static Territory>,
    /// The commune's official name (the COG's, else the one the base holds).
    pub name: String,
    pub streets: Vec<Street<'a>>,
    pub lieux_dits: Vec<Street<'a>>,
    territories: &'static Territories,
}

/// A street (or lieu-dit) with its numbers.
#[derive(Debug)]
pub struct Street<'a> {
    pub toponym: &'a Toponym,
    /// The BAN's street id: `<insee>_<FANTOIR code>` or `<insee>_<pseudo-code>`.
    pub voie_id: String,
    pub addresses: Vec<Located<'a>>,
    /// Where the street is: its lieu-dit position, else the centre of its numbers.
    pub position: Option<[f64; 2]>,
}

/// An address with its derived values.
#[derive(Debug)]
pub struct Located<'a> {
    pub address: &'a Address,
    /// `cle_interop`, lower-case (recomputed from the street id when the file had none).
    pub cle_interop: String,
    /// The position exports show: the best kind (entrée first), the first among equals.
    pub main: Option<&'a AddressPosition>,
    pub postcode: Option<&'static Postcode>,
    pub former: Option<&'static Territory>,
}

impl<'a> Prepared<'a> {
    pub fn new(data: CommuneData<'a>, territories: &'static Territories) -> Self {
        let commune = data.commune;
        let territory = territories.commune(&commune.code);
        let name = territory.map(|t| t.name.clone()).or_else(|| commune.name.clone()).unwrap_or_default();
        let mut streets: Vec<Street<'a>> = data
            .toponyms
            .iter()
            .filter(|t| t.active)
            .map(|toponym| Street {
                toponym,
                voie_id: voie_id(toponym),
                addresses: Vec::new(),
                position: toponym.position,
            })
            .collect();
        streets.sort_by(|a, b| a.toponym.name.cmp(&b.toponym.name).then(a.voie_id.cmp(&b.voie_id)));
        let index: std::collections::HashMap<_, _> =
            streets.iter().enumerate().map(|(i, s)| (s.toponym.id, i)).collect();
        for address in data.addresses.iter().filter(|a| a.active) {
            let Some(&i) = index.get(&address.toponym) else { continue };
            let street = &streets[i];
            let street_code = street.voie_id.split_once('_').map(|(_, code)| code);
            let located = Located {
                address,
                cle_interop: address
                    .cle_interop
                    .as_ref()
                    .map(|cle| cle.to_lowercase())
                    .unwrap_or_else(|| rebuilt_cle(&street.voie_id, address)),
                main: main_position(&address.positions),
                postcode: territories.postcode(
                    &commune.code,
                    address.commune_deleguee.as_deref(),
                    street_code.filter(|code| code.len() == 4),
                ),
                former: address.commune_deleguee.as_deref().and_then(|code| territories.former_commune(code)),
            };
            streets[i].addresses.push(located);
        }
        for street in &mut streets {
            street.addresses.sort_by(|a, b| {
                (a.address.numero, &a.address.suffixe).cmp(&(b.address.numero, &b.address.suffixe))
            });
            if street.position.is_none() {
                street.position =
                    centre(street.addresses.iter().filter_map(|a| a.main).map(|p| p.coordinates));
            }
        }
        let (lieux_dits, streets) = streets.into_iter().partition(|s| s.toponym.lieu_dit);
        Prepared { commune, territory, name, streets, lieux_dits, territories }
    }

    pub fn territories(&self) -> &'static Territories {
        self.territories
    }

    /// The BAN's name for where the data comes from (`source_position`, `source_nom_voie`).
    pub fn source(&self) -> &'static str {
        match self.commune.source {
            CommuneSource::Bal => "commune",
            CommuneSource::Legacy => "inconnue",
        }
    }

    /// The raw source (`bal`, `legacy`), as the lieux-dits and GeoJSON files write it.
    pub fn raw_source(&self) -> &'static str {
        self.commune.source.as_str()
    }

    /// Every address, street by street.
    pub fn addresses(&self) -> impl Iterator<Item = (&Street<'a>, &Located<'a>)> {
        self.streets.iter().flat_map(|s| s.addresses.iter().map(move |a| (s, a)))
    }

    pub fn postcode_of_street(&self, street: &Street<'_>) -> Option<&'static Postcode> {
        let code = street.voie_id.split_once('_').map(|(_, code)| code).filter(|code| code.len() == 4);
        self.territories.postcode(&self.commune.code, None, code)
    }

    /// The street's postcode ([`Self::postcode_of_street`]) first, then the commune's others:
    /// a geocoder indexes them all, so that a query giving another postcode of the same
    /// commune (its main one, say) still finds the street, before a homonym elsewhere.
    pub fn postcodes_of_street(&self, street: &Street<'_>) -> Vec<&'static Postcode> {
        let Some(own) = self.postcode_of_street(street) else { return Vec::new() };
        let all = self.territories.commune(&self.commune.code).map_or(&[][..], |t| &t.postcodes[..]);
        std::iter::once(own).chain(all.iter().filter(|p| p.code != own.code)).collect()
    }
}

/// The street id of a toponym: its `cle_interop` street part when it has one, else a stable
/// 6-character pseudo-code from its BAN id (the BAN's own pseudo-codes are 6 characters too).
pub fn voie_id(toponym: &Toponym) -> String {
    match &toponym.cle_voie {
        // The commune part (the commune's or a former commune's) is an INSEE code, written
        // as the COG writes it (`2B333_0065`, from a `cle_interop` in lower case).
        Some(cle) => match cle.split_once('_') {
            Some((commune, code)) => format!("{}_{code}", commune.to_uppercase()),
            None => cle.clone(),
        },
        None => {
            let simple = toponym.id.to_string().replace('-', "");
            format!("{}_{}", toponym.commune, &simple[..6])
        }
    }
}

fn rebuilt_cle(voie_id: &str, address: &Address) -> String {
    let mut cle = format!("{voie_id}_{:05}", address.numero);
    if let Some(suffixe) = &address.suffixe {
        cle.push('_');
        cle.push_str(suffixe);
    }
    cle.to_lowercase()
}

fn priority(kind: Option<PositionType>) -> u8 {
    match kind {
        Some(PositionType::Entree) => 10,
        Some(PositionType::Batiment) => 8,
        Some(PositionType::CageEscalier) => 7,
        Some(PositionType::Logement) => 6,
        Some(PositionType::ServiceTechnique) => 5,
        Some(PositionType::DelivrancePostale) => 3,
        Some(PositionType::Parcelle) => 2,
        Some(PositionType::Segment) => 1,
        None => 0,
    }
}

fn main_position(positions: &[AddressPosition]) -> Option<&AddressPosition> {
    let best = positions.iter().map(|p| priority(p.kind)).max()?;
    positions.iter().find(|p| priority(p.kind) == best)
}

/// The mean of points (a street's or a commune's centre), rounded like the BAN's (6 decimals).
pub fn centre(points: impl Iterator<Item = [f64; 2]>) -> Option<[f64; 2]> {
    let (mut n, mut lon, mut lat) = (0.0, 0.0, 0.0);
    for [x, y] in points {
        n += 1.0;
        lon += x;
        lat += y;
    }
    (n > 0.0).then(|| [round_to(lon / n, 6), round_to(lat / n, 6)])
}

/// A point's legal x/y, as exports print them (centimetres), when it lies in a territory.
pub fn legal_xy(point: [f64; 2]) -> Option<(f64, f64)> {
    Projector::with_thread_local(|projector| projector.project(point[0], point[1]).ok().flatten())
        .map(|p| (p.x, p.y))
}
