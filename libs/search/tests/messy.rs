//! Messy queries, one of each kind people type, on homonymous communes: the right first answer.
#![allow(clippy::unwrap_used)]
use ban_domain::BanId;
use ban_exports::addok::{Document, DocumentKind, HouseNumber};
use ban_search::{Index, SearchQuery};

struct Commune {
    code: &'static str,
    name: &'static str,
    postcode: &'static str,
    context: &'static str,
    population: u32,
    lon: f64,
    lat: f64,
}

const SAINT_DENIS_93: Commune = Commune {
    code: "93066",
    name: "Saint-Denis",
    postcode: "93200",
    context: "93, Seine-Saint-Denis, Île-de-France",
    population: 149_077,
    lon: 2.3574,
    lat: 48.9356,
};
const SAINT_DENIS_974: Commune = Commune {
    code: "97411",
    name: "Saint-Denis",
    postcode: "97400",
    context: "974, La Réunion",
    population: 155_634,
    lon: 55.4481,
    lat: -20.8789,
};
const SAINT_DENIS_11: Commune = Commune {
    code: "11339",
    name: "Saint-Denis",
    postcode: "11310",
    context: "11, Aude, Occitanie",
    population: 523,
    lon: 2.2231,
    lat: 43.3536,
};

fn town(c: &Commune) -> Document {
    Document {
        kind: DocumentKind::Municipality,
        id: c.code.into(),
        ban_id: None,
        name: c.name.into(),
        postcode: vec![c.postcode.into()],
        citycode: vec![c.code.into()],
        oldcitycode: None,
        oldcity: None,
        city: vec![c.name.into()],
        district: None,
        context: c.context.into(),
        importance: (f64::from(c.population) / 200_000.0).min(1.0),
        population: Some(c.population),
        lon: c.lon,
        lat: c.lat,
        housenumbers: vec![],
    }
}

fn street(c: &Commune, voie: &str, name: &str, numbers: &[&str]) -> Document {
    Document {
        kind: DocumentKind::Street,
        id: format!("{}_{voie}", c.code),
        ban_id: Some(BanId::from_random(u128::from(voie.parse::<u16>().unwrap()))),
        name: name.into(),
        importance: 0.4,
        population: None,
        housenumbers: numbers
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let digits: String = key.chars().take_while(char::is_ascii_digit).collect();
                let suffix = &key[digits.len()..];
                let mut id = format!("{}_{voie}_{:05}", c.code, digits.parse::<u32>().unwrap());
                if !suffix.is_empty() {
                    id.push('_');
                    id.push_str(suffix);
                }
                HouseNumber {
                    key: (*key).into(),
                    id,
                    ban_id: BanId::from_random(10_000 + i as u128),
                    lon: c.lon + 0.0001 * i as f64,
                    lat: c.lat,
                    parcelles: vec![format!("{}000AB{:04}", c.code, i / 2)],
                }
            })
            .collect(),
        ..town(c)
    }
}

fn index() -> Index {
    let mut index = Index::new();
    index.begin_bulk();
    for c in [&SAINT_DENIS_93, &SAINT_DENIS_974, &SAINT_DENIS_11] {
        let numbers = ["1", "4", "4bis", "7", "12", "19"];
        index.replace_commune(
            c.code,
            vec![
                town(c),
                street(c, "0100", "Rue Pasteur", &numbers),
                street(c, "0200", "Avenue Jean Jaurès", &numbers),
                street(c, "0300", "Rue du 8 Mai 1945", &numbers),
                street(c, "0400", "Route des Étangs", &["12", "20002"]),
            ],
        );
    }
    index.finish_bulk();
    index
}

fn first_id(index: &Index, q: &str) -> String {
    let query =
        SearchQuery { q: q.into(), limit: 5, autocomplete: false, center: None, filters: Default::default() };
    let hits = index.search(&query);
    let hit = hits.first().unwrap_or_else(|| panic!("no answer to « {q} »"));
    let doc = index.doc(hit.doc).unwrap();
    match hit.number {
        Some(n) => index.number_id(hit.doc, doc, n),
        None => doc.id.to_string(),
    }
}

#[test]
fn messy_queries_get_the_right_first_answer() {
    let index = index();
    let cases = [
        // Glued number and street.
        ("12Rue Pasteur 93200 Saint-Denis", "93066_0100_00012"),
        ("4bisRue Pasteur 97400 Saint-Denis", "97411_0100_00004_bis"),
        ("7,Avenue Jean Jaurès 11310 Saint-Denis", "11339_0200_00007"),
        // The number after the street.
        ("Avenue Jean Jaurès 19, 97400 Saint-Denis", "97411_0200_00019"),
        ("Rue Pasteur 4 bis, 93200 Saint-Denis", "93066_0100_00004_bis"),
        ("Rue du 8 Mai 1945, 7, 11310 Saint-Denis", "11339_0300_00007"),
        // A suffix apart, the street without its type.
        ("4 b Pasteur 93200 Saint-Denis", "93066_0100_00004_bis"),
        // Noise.
        ("appartement 3, 12 Rue Pasteur 93200 Saint-Denis, France", "93066_0100_00012"),
        ("Résidence les Pins, 1 Avenue Jean Jaurès 97400 Saint-Denis", "97411_0200_00001"),
        // A city qualified by its département or region.
        ("Saint-Denis, La Réunion", "97411"),
        ("Saint-Denis Seine-Saint-Denis", "93066"),
        ("Saint-Denis (11)", "11339"),
        ("Saint-Denis, Occitanie", "11339"),
        // Homonyms: the most populated alone, else the postcode.
        ("Saint-Denis", "97411"),
        ("Saint-Denis 11310", "11339"),
        // Five digits before a street type: a house number, not a postcode.
        ("20002 Route des Étangs 93200 Saint-Denis", "93066_0400_20002"),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(q, expected)| {
            let got = first_id(&index, q);
            (got != *expected).then(|| format!("« {q} »: {got}, expected {expected}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn clean_queries_are_searched_as_typed() {
    let index = index();
    assert_eq!(first_id(&index, "12 Rue Pasteur 93200 Saint-Denis"), "93066_0100_00012");
    assert_eq!(first_id(&index, "7 Rue du 8 Mai 1945 11310 Saint-Denis"), "11339_0300_00007");
}

#[test]
fn a_parcel_id_finds_the_addresses_on_it_and_they_show_their_parcels() {
    let index = index();
    // Numbers 0 and 1 of each street stand on parcel …AB0000 (i / 2), of every street.
    let query = |q: &str| SearchQuery {
        q: q.into(),
        limit: 20,
        autocomplete: true,
        center: None,
        filters: Default::default(),
    };
    let hits = index.search(&query("97411000AB0000"));
    let ids: Vec<String> = hits
        .iter()
        .map(|hit| index.number_id(hit.doc, index.doc(hit.doc).unwrap(), hit.number.unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            "97411_0100_00001",
            "97411_0100_00004",
            "97411_0200_00001",
            "97411_0200_00004",
            "97411_0300_00001",
            "97411_0300_00004",
            "97411_0400_00012",
            "97411_0400_20002",
        ]
    );
    // Any case and spacing; an unknown parcel finds nothing (no text search of its digits).
    assert_eq!(index.search(&query("97411 000 ab 0000")).len(), 8);
    assert!(index.search(&query("97411000AB0999")).is_empty());
    let properties = ban_search::render::properties(&index, &hits[0]);
    assert_eq!(properties["parcelles"], serde_json::json!(["97411000AB0000"]));
    assert_eq!(properties["score"], serde_json::json!(1.0));
}

/// The choices of ranking that go past addok's score: a house number asked is preferred to a
/// lieu-dit without it; a number after a month is the house's; a commune's other postcodes
/// find its streets (the `postcode` filter keeping to the one shown) and score its
/// municipality.
#[test]
fn a_number_asked_a_date_and_a_commune_s_other_postcodes() {
    let c = &SAINT_DENIS_974;
    let mut index = Index::new();
    let with_postcodes = |mut document: Document| {
        document.postcode = vec!["97400".into(), "97490".into()];
        document
    };
    let lieu_dit = Document {
        kind: DocumentKind::Locality,
        id: "97411_z218".into(),
        name: "La Brosse aux Loups".into(),
        housenumbers: vec![],
        ..town(c)
    };
    index.replace_commune(
        c.code,
        vec![
            with_postcodes(town(c)),
            lieu_dit,
            with_postcodes(street(c, "0100", "Rue de la Brosse aux Loups", &["1", "2b"])),
            with_postcodes(street(c, "0200", "Square du 1er Mai", &["8"])),
            with_postcodes(street(c, "0300", "Rue du 19 Mars 1962", &["7"])),
            with_postcodes(street(c, "0400", "Rue Pasteur", &["12"])),
        ],
    );
    let other = &SAINT_DENIS_93;
    index.replace_commune(other.code, vec![town(other), street(other, "0400", "Rue Pasteur", &["12"])]);
    for (q, expected) in [
        ("2 b Brosse aux Loups Saint-Denis", "97411_0100_00002_b"),
        ("Square du 1er Mai 8 Saint-Denis", "97411_0200_00008"),
        ("7 19 Mars 1962 Saint-Denis", "97411_0300_00007"),
        ("Saint-Denis 97490", "97411"),
        ("12 Rue Pasteur 97490", "97411_0400_00012"),
    ] {
        assert_eq!(first_id(&index, q), expected, "« {q} »");
    }
    let filtered = SearchQuery {
        q: "12 Rue Pasteur".into(),
        limit: 5,
        autocomplete: false,
        center: None,
        filters: ban_search::Filters { postcodes: vec!["97490".into()], ..Default::default() },
    };
    assert!(index.search(&filtered).is_empty(), "the filter keeps to the postcode shown");
}
