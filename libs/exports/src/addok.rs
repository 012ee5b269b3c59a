//! The geocoder's documents of a commune, as the BAN's addok export defines them: one
//! `municipality`, a `street` per street with numbers (its house numbers inside), a `locality`
//! per lieu-dit with a position. The addok export writes them as JSON lines; the geocoder
//! indexes the same documents, so both always agree.
use ban_domain::BanId;
use ban_spatial::territories::{Territory, TerritoryKind};
use serde_json::{json, Map, Value};

use crate::commune::{centre, legal_xy, Located, Prepared, Street};
use crate::text::round_to;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    Municipality,
    Street,
    Locality,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Municipality => "municipality",
            DocumentKind::Street => "street",
            DocumentKind::Locality => "locality",
        }
    }
}

/// A house number of a street document.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseNumber {
    /// `<numero><suffixe>` as stored: `12`, `12bis`, `3a`.
    pub key: String,
    /// The address's `cle_interop`.
    pub id: String,
    pub ban_id: BanId,
    pub lon: f64,
    pub lat: f64,
    /// Its cadastral parcels (`cad_parcelles`), for the geocoder's parcel search; not part of
    /// the ndjson export.
    pub parcelles: Vec<String>,
}

/// One geocoder document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: DocumentKind,
    /// INSEE code (municipality) or street id.
    pub id: String,
    pub ban_id: Option<BanId>,
    pub name: String,
    /// Every postcode of a municipality; a street's own first, then its commune's others
    /// (indexed for search; only the first is shown and written to the export).
    pub postcode: Vec<String>,
    /// The commune, then its former commune or (arrondissements) its parent commune.
    pub citycode: Vec<String>,
    pub oldcitycode: Option<String>,
    pub oldcity: Option<String>,
    /// Displayed city first (Paris for its arrondissements), then the commune, the former one.
    pub city: Vec<String>,
    /// Arrondissement name (Paris, Lyon, Marseille).
    pub district: Option<String>,
    /// `<dep code>, <dep name>, <region name>`.
    pub context: String,
    pub importance: f64,
    /// Municipalities only.
    pub population: Option<u32>,
    pub lon: f64,
    pub lat: f64,
    /// Street documents only, numbers first in numeric order, then suffixed ones.
    pub housenumbers: Vec<HouseNumber>,
}

/// `(ln(1 + population/3) + ln(1 + numbers)) / 20`, 5 decimals: the BAN's importance.
pub fn importance(population: u32, numbers: usize) -> f64 {
    let value = ((1.0 + f64::from(population) / 3.0).ln() + (1.0 + numbers as f64).ln()) / 20.0;
    round_to(value, 5)
}

/// `54, Meurthe-et-Moselle, Grand Est` (overseas collectivities: code and name only).
pub fn context(territory: &Territory) -> String {
    let mut parts = vec![territory.departement.as_str(), territory.departement_name.as_str()];
    if !territory.region_name.is_empty() && territory.region_name != territory.departement_name {
        parts.push(territory.region_name.as_str());
    }
    parts.join(", ")
}

/// The municipality document of a commune, at `centre`.
pub fn municipality(territory: &Territory, ban_id: Option<BanId>, centre: [f64; 2]) -> Document {
    Document {
        kind: DocumentKind::Municipality,
        id: territory.code.clone(),
        ban_id,
        name: territory.name.clone(),
        postcode: territory.postcodes.iter().map(|p| p.code.clone()).collect(),
        citycode: vec![territory.code.clone()],
        oldcitycode: None,
        oldcity: None,
        city: vec![territory.name.clone()],
        district: None,
        context: context(territory),
        importance: importance(territory.population, 0),
        population: Some(territory.population),
        lon: centre[0],
        lat: centre[1],
        housenumbers: Vec::new(),
    }
}

/// The documents of a commune, in the export's order: localities, the municipality (when the
/// commune has numbered streets), streets.
pub fn commune_documents(commune: &Prepared<'_>) -> Vec<Document> {
    let mut documents = Vec::new();
    let Some(territory) = commune.territory else { return documents };
    let population = territory.population;
    for street in &commune.lieux_dits {
        let Some(position) = street.position else { continue };
        let mut document = toponym_document(commune, territory, street, position, None);
        document.kind = DocumentKind::Locality;
        document.importance = importance(population, 1);
        documents.push(document);
    }
    let streets: Vec<&Street<'_>> = commune
        .streets
        .iter()
        .filter(|s| s.position.is_some() && s.addresses.iter().any(|a| a.main.is_some()))
        .collect();
    if streets.is_empty() {
        return documents;
    }
    let positions =
        streets.iter().flat_map(|s| s.addresses.iter()).filter_map(|a| a.main).map(|p| p.coordinates);
    if let Some(centre) = centre(positions) {
        documents.push(municipality(territory, Some(commune.commune.id), centre));
    }
    // Two streets of one commune with the same name are told apart by their former commune.
    let mut names = std::collections::HashMap::new();
    for street in &streets {
        *names.entry(street.toponym.name.to_lowercase()).or_insert(0) += 1;
    }
    for street in streets {
        let Some(position) = street.position else { continue };
        let numbered: Vec<&Located<'_>> = street.addresses.iter().filter(|a| a.main.is_some()).collect();
        let former = numbered.iter().find_map(|a| a.former);
        let duplicate = names.get(&street.toponym.name.to_lowercase()).copied().unwrap_or(0) > 1;
        let mut document = toponym_document(
            commune,
            territory,
            street,
            position,
            if duplicate { former.map(|t| t.name.as_str()) } else { None },
        );
        document.importance = importance(population, numbered.len());
        document.housenumbers = housenumbers(&numbered);
        documents.push(document);
    }
    documents
}

fn toponym_document(
    commune: &Prepared<'_>,
    territory: &Territory,
    street: &Street<'_>,
    position: [f64; 2],
    former_name: Option<&str>,
) -> Document {
    let territories = commune.territories();
    let former = street.addresses.iter().find_map(|a| a.former);
    let parent = territory
        .parent
        .as_deref()
        .filter(|_| territory.kind == TerritoryKind::Arrondissement)
        .and_then(|code| territories.commune(code));
    let mut citycode = vec![territory.code.clone()];
    let mut city = Vec::new();
    if let Some(parent) = parent {
        citycode.push(parent.code.clone());
        city.push(parent.name.clone());
    } else if let Some(former) = former {
        citycode.push(former.code.clone());
    }
    city.push(commune.name.clone());
    if let Some(former) = former {
        city.push(former.name.clone());
    }
    let mut name = street.toponym.name.clone();
    if let Some(former_name) = former_name {
        name = format!("{name} ({former_name})");
    } else if street.toponym.lieu_dit {
        if let Some(former) = former {
            name = format!("{name} ({})", former.name);
        }
    }
    let position = position.map(|v| round_to(v, 6));
    Document {
        kind: DocumentKind::Street,
        id: street.voie_id.clone(),
        ban_id: Some(street.toponym.id),
        name,
        postcode: commune.postcodes_of_street(street).into_iter().map(|p| p.code.clone()).collect(),
        citycode,
        oldcitycode: former.map(|t| t.code.clone()),
        oldcity: former.map(|t| t.name.clone()),
        city,
        district: parent.map(|_| territory.name.clone()),
        context: context(territory),
        importance: 0.0,
        population: None,
        lon: position[0],
        lat: position[1],
        housenumbers: Vec::new(),
    }
}

/// Integer keys first in numeric order, then the others in order, as JavaScript orders an
/// object's keys (the export is a JSON object).
fn housenumbers(numbered: &[&Located<'_>]) -> Vec<HouseNumber> {
    let mut plain = Vec::new();
    let mut suffixed = Vec::new();
    for located in numbered {
        let Some(main) = located.main else { continue };
        let address = located.address;
        let point = main.coordinates.map(|v| round_to(v, 6));
        let number = HouseNumber {
            key: match &address.suffixe {
                Some(suffixe) => format!("{}{suffixe}", address.numero),
                None => address.numero.to_string(),
            },
            id: located.cle_interop.clone(),
            ban_id: address.id,
            lon: point[0],
            lat: point[1],
            parcelles: address.parcelles.clone(),
        };
        if address.suffixe.is_none() {
            plain.push((address.numero, number));
        } else {
            suffixed.push(number);
        }
    }
    plain.sort_by_key(|(numero, _)| *numero);
    let mut numbers: Vec<HouseNumber> = plain.into_iter().map(|(_, n)| n).collect();
    // A key given twice keeps its last position (a JavaScript object), at its first place.
    numbers.extend(suffixed);
    let mut seen = std::collections::HashMap::new();
    let mut unique: Vec<HouseNumber> = Vec::with_capacity(numbers.len());
    for number in numbers {
        match seen.get(&number.key) {
            Some(&i) => unique[i] = number,
            None => {
                seen.insert(number.key.clone(), unique.len());
                unique.push(number);
            }
        }
    }
    unique
}

fn xy_json(lon: f64, lat: f64) -> (Value, Value) {
    match legal_xy([lon, lat]) {
        Some((x, y)) => (json!(x), json!(y)),
        None => (Value::Null, Value::Null),
    }
}

impl Document {
    /// The export's JSON line (key order as ban-plateforme writes it).
    pub fn to_json(&self) -> Value {
        let (x, y) = xy_json(self.lon, self.lat);
        let ban_id = json!(self.ban_id.map(|id| id.to_string()));
        let mut document = Map::new();
        if self.kind == DocumentKind::Municipality {
            document.insert("id".into(), json!(self.id));
            document.insert("banId".into(), ban_id);
            document.insert("type".into(), json!("municipality"));
            document.insert("name".into(), json!(self.name));
            document.insert("postcode".into(), json!(self.postcode));
            document.insert("citycode".into(), json!(self.citycode.first()));
            document.insert("x".into(), x);
            document.insert("y".into(), y);
            document.insert("lon".into(), json!(self.lon));
            document.insert("lat".into(), json!(self.lat));
            document.insert("population".into(), json!(self.population.unwrap_or(0)));
            document.insert("city".into(), json!(self.city.first()));
            document.insert("context".into(), json!(self.context));
            document.insert("importance".into(), json!(self.importance));
            return Value::Object(document);
        }
        if self.kind == DocumentKind::Locality {
            document.insert("type".into(), json!("locality"));
            document.insert("importance".into(), json!(self.importance));
        }
        document.insert("id".into(), json!(self.id));
        document.insert("banId".into(), ban_id);
        document.insert("name".into(), json!(self.name));
        document.insert("postcode".into(), json!(self.postcode.first()));
        document.insert("citycode".into(), json!(self.citycode));
        document.insert("oldcitycode".into(), json!(self.oldcitycode));
        document.insert("lon".into(), json!(self.lon));
        document.insert("lat".into(), json!(self.lat));
        document.insert("x".into(), x);
        document.insert("y".into(), y);
        document.insert("city".into(), json!(self.city));
        if let Some(district) = &self.district {
            document.insert("district".into(), json!(district));
        }
        document.insert("oldcity".into(), json!(self.oldcity));
        document.insert("context".into(), json!(self.context));
        if self.kind == DocumentKind::Street {
            document.insert("type".into(), json!("street"));
            document.insert("importance".into(), json!(self.importance));
            let mut numbers = Map::new();
            for number in &self.housenumbers {
                let (x, y) = xy_json(number.lon, number.lat);
                numbers.insert(
                    number.key.clone(),
                    json!({"id": number.id, "banId": number.ban_id.to_string(), "x": x, "y": y, "lon": number.lon, "lat": number.lat}),
                );
            }
            document.insert("housenumbers".into(), Value::Object(numbers));
        }
        Value::Object(document)
    }
}
