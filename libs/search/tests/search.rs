//! The index and its searches on a few hand-made documents.
#![allow(clippy::unwrap_used)]
use ban_domain::BanId;
use ban_exports::addok::{Document, DocumentKind, HouseNumber};
use ban_search::{Filters, Index, ResultType, ReverseQuery, SearchQuery};

fn id(n: u128) -> BanId {
    BanId::from_random(n)
}

fn street(
    code: &str,
    voie: &str,
    name: &str,
    city: &str,
    postcode: &str,
    numbers: &[(&str, f64, f64)],
) -> Document {
    Document {
        kind: DocumentKind::Street,
        id: format!("{code}_{voie}"),
        ban_id: Some(id(u128::from(voie.parse::<u16>().unwrap_or(1)))),
        name: name.into(),
        importance: 0.4,
        population: None,
        housenumbers: numbers
            .iter()
            .enumerate()
            .map(|(i, (key, lon, lat))| HouseNumber {
                key: (*key).into(),
                id: format!(
                    "{code}_{voie}_{:05}",
                    key.trim_end_matches(char::is_alphabetic).parse::<u32>().unwrap()
                ),
                ban_id: id(1000 + i as u128),
                lon: *lon,
                lat: *lat,
                parcelles: vec![],
            })
            .collect(),
        // The commune's fields, and the street's position: that of its first number.
        ..town(code, city, postcode, numbers[0].1, numbers[0].2)
    }
}

fn town(code: &str, name: &str, postcode: &str, lon: f64, lat: f64) -> Document {
    Document {
        kind: DocumentKind::Municipality,
        id: code.into(),
        ban_id: None,
        name: name.into(),
        postcode: vec![postcode.into()],
        citycode: vec![code.into()],
        oldcitycode: None,
        oldcity: None,
        city: vec![name.into()],
        district: None,
        context: "54, Meurthe-et-Moselle, Grand Est".into(),
        importance: 0.3,
        population: Some(1000),
        lon,
        lat,
        housenumbers: vec![],
    }
}

fn index() -> Index {
    let mut index = Index::new();
    index.begin_bulk();
    index.replace_commune(
        "54084",
        vec![
            town("54084", "Mont-Bonvillers", "54111", 5.8335, 49.3259),
            street(
                "54084",
                "0020",
                "Allée des Acacias",
                "Mont-Bonvillers",
                "54111",
                &[("1", 5.834932, 49.325142), ("3", 5.8351, 49.3253), ("3bis", 5.8352, 49.3254)],
            ),
            street(
                "54084",
                "0150",
                "Rue Jeanne d'Arc",
                "Mont-Bonvillers",
                "54111",
                &[("12", 5.8356, 49.3234)],
            ),
        ],
    );
    index.replace_commune(
        "54578",
        vec![
            town("54578", "Villers-lès-Nancy", "54600", 6.128, 48.66),
            street(
                "54578",
                "0010",
                "Rue Albert 1er",
                "Villers-lès-Nancy",
                "54600",
                &[("6", 6.1281, 48.6601)],
            ),
        ],
    );
    index.finish_bulk();
    index
}

fn search(index: &Index, q: &str) -> Vec<(String, String)> {
    let query =
        SearchQuery { q: q.into(), limit: 5, autocomplete: true, center: None, filters: Filters::default() };
    index
        .search(&query)
        .iter()
        .map(|hit| {
            let doc = index.doc(hit.doc).unwrap();
            let id = match hit.number {
                Some(n) => index.number_id(hit.doc, doc, n),
                None => doc.id.to_string(),
            };
            (id, hit.label.clone())
        })
        .collect()
}

#[test]
fn numbers_streets_and_towns_are_found_with_abbreviations_typos_and_suffix_spellings() {
    let index = index();
    let best = |q: &str| search(&index, q).first().map(|(id, _)| id.clone());
    assert_eq!(best("1 allée des acacias mont-bonvillers").as_deref(), Some("54084_0020_00001"));
    assert_eq!(best("1 all des acacias 54111").as_deref(), Some("54084_0020_00001"));
    assert_eq!(best("1 allee des acaccias").as_deref(), Some("54084_0020_00001"));
    for q in
        ["3 bis allee des acacias", "3bis allee des acacias", "3 b allee des acacias", "3b allee des acacias"]
    {
        assert_eq!(best(q).as_deref(), Some("54084_0020_00003"), "{q}");
        let label = &search(&index, q)[0].1;
        assert!(label.starts_with("3bis "), "{q}: {label}");
    }
    assert_eq!(best("rue jeanne d arc").as_deref(), Some("54084_0150"));
    assert_eq!(best("Mont-Bonvillers").as_deref(), Some("54084"));
    assert_eq!(best("6 rue albert premier villers").as_deref(), Some("54578_0010_00006"));
    // Autocomplete on the last word.
    assert_eq!(best("villers-les-nan").as_deref(), Some("54578"));
    assert!(search(&index, "zzzz qqqq").is_empty());
}

#[test]
fn filters_and_scores() {
    let index = index();
    let query = |filters: Filters| SearchQuery {
        q: "Mont-Bonvillers".into(),
        limit: 5,
        autocomplete: true,
        center: None,
        filters,
    };
    let streets = index.search(&query(Filters { types: vec![ResultType::Street], ..Filters::default() }));
    assert!(!streets.is_empty() && streets.iter().all(|h| h.kind(&index) == ResultType::Street));
    let elsewhere = index.search(&query(Filters { citycodes: vec!["54578".into()], ..Filters::default() }));
    assert!(elsewhere.iter().all(|h| index.doc(h.doc).unwrap().citycode[0].as_ref() == "54578"));
    let hits = index.search(&query(Filters::default()));
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(hits.iter().all(|h| (0.0..=1.0).contains(&h.score)));
    // Same query, same score.
    assert_eq!(index.search(&query(Filters::default())), hits);
}

#[test]
fn reverse_finds_the_closest_number_and_a_commune_replaced_leaves_no_trace() {
    let mut index = index();
    let near = ReverseQuery { lon: 5.834933, lat: 49.325143, limit: 1, filters: Filters::default() };
    let hit = &index.reverse(&near)[0];
    assert_eq!(hit.number, Some(0));
    assert!(hit.distance.unwrap() < 1.0);
    let before = index.stats();
    index.replace_commune("54084", vec![town("54084", "Mont-Bonvillers", "54111", 5.8335, 49.3259)]);
    assert_eq!(index.stats().numbers, before.numbers - 4);
    // Every point of the replaced documents left the R-tree.
    let stats = index.stats();
    assert_eq!(index.tree().size(), stats.documents + stats.numbers);
    assert!(search(&index, "allee des acacias").iter().all(|(id, _)| !id.starts_with("54084_0020")));
    let hit = &index.reverse(&near)[0];
    assert_eq!(index.doc(hit.doc).unwrap().id.as_ref(), "54084");
}

/// Search in every territory the base covers: a number of a street of a real commune of each
/// (its INSEE code, postcode, name with its accents, hyphens and apostrophes; Corsica's codes
/// with a letter), found by the address as people type it, with or without the postcode, in
/// lower case without accents; homonym communes of two territories (Saint-Pierre of La
/// Réunion and of Saint-Pierre-et-Miquelon) told apart by the postcode; the `citycode` filter
/// keeps to the commune; reverse at the number finds it.
#[test]
fn every_territory_is_searched() {
    // (territory, INSEE code, postcode, commune, context, street, number, lon, lat)
    let communes = [
        (
            "métropole",
            "67482",
            "67000",
            "Strasbourg",
            "67, Bas-Rhin, Grand Est",
            "Rue du Vieux-Marché-aux-Poissons",
            "12",
            7.7505,
            48.5799,
        ),
        (
            "Corse-du-Sud",
            "2A004",
            "20000",
            "Ajaccio",
            "2A, Corse-du-Sud, Corse",
            "Cours Napoléon",
            "41",
            8.7362,
            41.9220,
        ),
        (
            "Haute-Corse",
            "2B033",
            "20200",
            "Bastia",
            "2B, Haute-Corse, Corse",
            "Boulevard Paoli",
            "7",
            9.4478,
            42.6993,
        ),
        (
            "Guadeloupe",
            "97120",
            "97110",
            "Pointe-à-Pitre",
            "971, Guadeloupe",
            "Rue Frébault",
            "25",
            -61.5339,
            16.2390,
        ),
        (
            "Martinique",
            "97209",
            "97200",
            "Fort-de-France",
            "972, Martinique",
            "Rue Victor Schœlcher",
            "8",
            -61.0703,
            14.6040,
        ),
        (
            "Guyane",
            "97302",
            "97300",
            "Cayenne",
            "973, Guyane",
            "Avenue du Général de Gaulle",
            "30",
            -52.3287,
            4.9385,
        ),
        (
            "La Réunion",
            "97416",
            "97410",
            "Saint-Pierre",
            "974, La Réunion",
            "Rue des Bons Enfants",
            "4",
            55.4781,
            -21.3393,
        ),
        (
            "La Réunion",
            "97411",
            "97400",
            "Saint-Denis",
            "974, La Réunion",
            "Rue de Paris",
            "16",
            55.4491,
            -20.8794,
        ),
        ("Mayotte", "97611", "97600", "Mamoudzou", "976, Mayotte", "Rue du Commerce", "3", 45.2278, -12.7810),
        (
            "Saint-Pierre-et-Miquelon",
            "97502",
            "97500",
            "Saint-Pierre",
            "975, Saint-Pierre-et-Miquelon",
            "Rue des Bons Enfants",
            "4",
            -56.1780,
            46.7790,
        ),
        (
            "Saint-Barthélemy",
            "97701",
            "97133",
            "Saint-Barthélemy",
            "977, Saint-Barthélemy",
            "Rue de la République",
            "2",
            -62.8500,
            17.8965,
        ),
        (
            "Saint-Martin",
            "97801",
            "97150",
            "Saint-Martin",
            "978, Saint-Martin",
            "Rue de la Liberté",
            "11",
            -63.0840,
            18.0680,
        ),
        (
            "Wallis-et-Futuna",
            "98613",
            "98600",
            "Uvéa",
            "986, Wallis-et-Futuna",
            "Route de Mata'Utu",
            "1",
            -176.1760,
            -13.2820,
        ),
        (
            "Polynésie française",
            "98735",
            "98714",
            "Papeete",
            "987, Polynésie française",
            "Avenue Pouvanaa a Oopa",
            "9",
            -149.5680,
            -17.5350,
        ),
        (
            "Nouvelle-Calédonie",
            "98818",
            "98800",
            "Nouméa",
            "988, Nouvelle-Calédonie",
            "Rue de l'Alma",
            "39",
            166.4420,
            -22.2740,
        ),
    ];
    let mut index = Index::new();
    index.begin_bulk();
    for (_, code, postcode, name, context, street_name, number, lon, lat) in communes {
        let place =
            Document { context: context.into(), ..town(code, name, postcode, lon + 0.002, lat + 0.002) };
        let numbers = [(number, lon, lat), ("99", lon + 0.003, lat - 0.003)];
        let way = Document {
            context: context.into(),
            ..street(code, "0100", street_name, name, postcode, &numbers)
        };
        index.replace_commune(code, vec![place, way]);
    }
    index.finish_bulk();
    let plain = |text: &str| ban_domain::deburr(text).to_lowercase().replace(['-', '\''], " ");
    for (territory, code, postcode, name, _, street_name, number, lon, lat) in communes {
        let expected = format!("{code}_0100_{:05}", number.parse::<u32>().unwrap());
        for q in [
            format!("{number} {street_name} {postcode} {name}"),
            format!("{number} {street_name}, {postcode} {name}"),
            plain(&format!("{number} {street_name} {postcode} {name}")),
        ] {
            let found = search(&index, &q);
            assert_eq!(
                found.first().map(|(id, _)| id.as_str()),
                Some(expected.as_str()),
                "{territory}: {q:?} → {found:?}"
            );
        }
        // Without the postcode: the homonyms' same street is told apart by nothing else.
        let q = format!("{number} {street_name} {name}");
        let found: Vec<String> = search(&index, &q).into_iter().map(|(id, _)| id).collect();
        assert!(found.iter().take(2).any(|id| *id == expected), "{territory}: {q:?} → {found:?}");
        let query = SearchQuery {
            q: format!("{number} {street_name}"),
            limit: 5,
            autocomplete: false,
            center: None,
            filters: Filters { citycodes: vec![code.into()], ..Filters::default() },
        };
        let hits = index.search(&query);
        assert!(!hits.is_empty(), "{territory}: citycode {code}");
        assert!(hits.iter().all(|h| index.doc(h.doc).unwrap().citycode[0].as_ref() == code), "{territory}");
        let reverse = ReverseQuery { lon, lat, limit: 1, filters: Filters::default() };
        let hit = &index.reverse(&reverse)[0];
        let doc = index.doc(hit.doc).unwrap();
        assert_eq!(index.number_id(hit.doc, doc, hit.number.unwrap()), expected, "{territory}: reverse");
    }
    // The commune alone: the postcode decides between the homonyms.
    for (q, code) in
        [("Saint-Pierre 97500", "97502"), ("Saint-Pierre 97410", "97416"), ("saint pierre 97410", "97416")]
    {
        let found = search(&index, q);
        assert_eq!(found.first().map(|(id, _)| id.as_str()), Some(code), "{q:?} → {found:?}");
    }
}

/// Reverse geocoding returns the truly nearest number in every territory the base covers, far
/// from Greenwich too (at 166°E the old plane of longitude × cos(latitude) sheared a point 9 m
/// north about 9 m east, and picked farther numbers in Nouméa): random numbers within 40 m of
/// a point of each territory, random queries among them, checked against the haversine
/// distance to each number.
#[test]
fn reverse_gives_the_nearest_number_in_every_territory() {
    use ban_search::search::distance_m;
    let territories = [
        ("Strasbourg", 7.7521, 48.5734),
        ("Brest", -4.4861, 48.3904),
        ("Ajaccio", 8.7369, 41.9192),
        ("Pointe-à-Pitre", -61.5331, 16.2411),
        ("Fort-de-France", -61.0588, 14.6161),
        ("Cayenne", -52.3260, 4.9372),
        ("Saint-Denis (La Réunion)", 55.4504, -20.8823),
        ("Mamoudzou", 45.2279, -12.7806),
        ("Saint-Pierre", -56.1773, 46.7811),
        ("Gustavia", -62.8489, 17.8962),
        ("Marigot", -63.0823, 18.0676),
        ("Mata-Utu", -176.1745, -13.2825),
        ("Papeete", -149.5585, -17.5516),
        ("Nouméa", 166.4572, -22.2758),
        ("Pouembout", 164.9000, -21.1200),
    ];
    // xorshift64: the same layouts at every run.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for (name, lon, lat) in territories.map(|(n, lon, lat): (&str, f64, f64)| (n, lon, lat)) {
        // Degrees per metre, east and north, at this latitude.
        let (east, north) = (1.0 / (111_320.0 * lat.to_radians().cos()), 1.0 / 110_574.0);
        for layout in 0..100 {
            let mut offset = |spread: f64| {
                let (x, y) = ((random() - 0.5) * 2.0 * spread, (random() - 0.5) * 2.0 * spread);
                (lon + x * east, lat + y * north)
            };
            let numbers: Vec<(String, f64, f64)> = (0..8)
                .map(|i| {
                    let (x, y) = offset(40.0);
                    ((2 * i + 1).to_string(), (x * 1e6).round() / 1e6, (y * 1e6).round() / 1e6)
                })
                .collect();
            let keys: Vec<(&str, f64, f64)> = numbers.iter().map(|(k, x, y)| (k.as_str(), *x, *y)).collect();
            let mut index = Index::new();
            index
                .replace_commune("98818", vec![street("98818", "0010", "Rue du Test", name, "98800", &keys)]);
            let (qlon, qlat) = offset(40.0);
            let query = ReverseQuery { lon: qlon, lat: qlat, limit: 1, filters: Filters::default() };
            let hit = &index.reverse(&query)[0];
            let distances: Vec<f64> =
                keys.iter().map(|(_, x, y)| distance_m([qlon, qlat], [*x, *y])).collect();
            let nearest = distances.iter().copied().fold(f64::INFINITY, f64::min);
            let got = hit.number.map(|n| distances[n as usize]);
            assert!(
                got.is_some_and(|d| d - nearest < 0.01),
                "{name}, layout {layout}: number at {got:?} m, the nearest is at {nearest:.2} m"
            );
            assert!(
                (hit.distance.unwrap() - nearest).abs() < 0.01,
                "{name}: {:?} for {nearest}",
                hit.distance
            );
        }
    }
}

/// The real addresses of New Caledonia (an addok export of the BAN, in `../shared/data`), as
/// documents of the index: each street or locality with its numbers; and the position of each
/// number by its id.
fn new_caledonia() -> (Index, std::collections::HashMap<String, [f64; 2]>) {
    use std::io::BufRead;
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/real-addok/adresses-addok-988.ndjson.gz");
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let texts = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect(),
            _ => vec![],
        }
    };
    let mut communes: std::collections::BTreeMap<String, Vec<Document>> = Default::default();
    let mut serial = 0u128;
    let mut positions = std::collections::HashMap::new();
    for line in std::io::BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let kind = match v["type"].as_str().unwrap() {
            "municipality" => DocumentKind::Municipality,
            "street" => DocumentKind::Street,
            _ => DocumentKind::Locality,
        };
        let citycode = texts(&v["citycode"]);
        let mut housenumbers: Vec<HouseNumber> = v["housenumbers"]
            .as_object()
            .map(|numbers| {
                numbers
                    .iter()
                    .map(|(key, n)| {
                        serial += 1;
                        let (lon, lat) = (n["lon"].as_f64().unwrap(), n["lat"].as_f64().unwrap());
                        positions.insert(n["id"].as_str().unwrap().to_owned(), [lon, lat]);
                        HouseNumber {
                            key: key.clone(),
                            id: n["id"].as_str().unwrap().to_owned(),
                            ban_id: id(serial),
                            lon,
                            lat,
                            parcelles: vec![],
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        housenumbers.sort_by(|a, b| a.id.cmp(&b.id));
        let document = Document {
            kind,
            id: v["id"].as_str().unwrap().to_owned(),
            ban_id: None,
            name: v["name"].as_str().unwrap().to_owned(),
            postcode: texts(&v["postcode"]),
            citycode: citycode.clone(),
            oldcitycode: None,
            oldcity: None,
            city: texts(&v["city"]),
            district: None,
            context: v["context"].as_str().unwrap_or_default().to_owned(),
            importance: v["importance"].as_f64().unwrap_or(0.0),
            population: v["population"].as_u64().map(|p| p as u32),
            lon: v["lon"].as_f64().unwrap(),
            lat: v["lat"].as_f64().unwrap(),
            housenumbers,
        };
        communes.entry(citycode[0].clone()).or_default().push(document);
    }
    let mut index = Index::new();
    index.begin_bulk();
    for (code, documents) in communes {
        index.replace_commune(&code, documents);
    }
    index.finish_bulk();
    (index, positions)
}

/// Reverse geocoding of the real points near New Caledonia's addresses (`reverse.tsv`: a point
/// a few metres from an address, and that address's id): the nearest number is that address,
/// or one at most as far (a point between two addresses may be nearer the other).
#[test]
fn reverse_in_new_caledonia_finds_the_address_each_point_was_taken_from() {
    use ban_search::search::distance_m;
    let (index, positions) = new_caledonia();
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/real-addok/988-queries/reverse.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let (mut points, mut same, mut farther) = (0, 0, Vec::new());
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (lon, lat, expected) = (fields[0].parse().unwrap(), fields[1].parse().unwrap(), fields[2]);
        let query = ReverseQuery { lon, lat, limit: 1, filters: Filters::default() };
        let hits = index.reverse(&query);
        let hit = &hits[0];
        let doc = index.doc(hit.doc).unwrap();
        let got = hit.number.map(|n| index.number_id(hit.doc, doc, n));
        points += 1;
        if got.as_deref() == Some(expected) {
            same += 1;
            continue;
        }
        // Another answer is right only if it is no farther than the expected address.
        let expected_at = positions.get(expected).map(|p| distance_m([lon, lat], *p));
        if expected_at.is_some_and(|e| hit.distance.unwrap() > e + 0.01) {
            farther.push(format!("{line}: got {got:?} at {:?} m", hit.distance));
        }
    }
    assert!(points > 4000, "{points} points");
    assert!(
        farther.is_empty(),
        "{} of {points} answers farther than the expected address:\n{}",
        farther.len(),
        farther[..farther.len().min(10)].join("\n")
    );
    assert!(same * 100 >= points * 99, "{same} of {points} points give their own address");
}

/// Pieces of messy address queries: numbers, suffixes, street types, names, postcodes,
/// punctuation, accents, and noise.
fn query_piece() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        "[0-9]{1,6}",
        Just("bis".to_owned()),
        Just("ter".to_owned()),
        Just("rue".to_owned()),
        Just("allée".to_owned()),
        Just("des".to_owned()),
        Just("Acacias".to_owned()),
        Just("Jeanne d'Arc".to_owned()),
        Just("Mont-Bonvillers".to_owned()),
        Just("54111".to_owned()),
        Just(",".to_owned()),
        Just("-".to_owned()),
        Just("'".to_owned()),
        Just("   ".to_owned()),
        "\\PC{1,8}",
    ]
}

proptest::proptest! {
    /// Any text the API accepts is searched without a panic: at most `limit` hits, scores
    /// within [0, 1], best first (but for a house number asked, put first from just below).
    #[test]
    fn any_accepted_text_is_searched(
        pieces in proptest::collection::vec(query_piece(), 1..12),
        autocomplete: bool,
        limit in 1usize..20,
    ) {
        static INDEX: std::sync::LazyLock<Index> = std::sync::LazyLock::new(index);
        let q = pieces.join(" ");
        if SearchQuery::accepts_q(&q) {
            let query = SearchQuery { q: q.trim().to_owned(), limit, autocomplete, center: None, filters: Filters::default() };
            let hits = INDEX.search(&query);
            proptest::prop_assert!(hits.len() <= limit);
            proptest::prop_assert!(hits.iter().all(|h| (0.0..=1.0).contains(&h.score)));
            // Best first; a house number asked may come first from up to 0.15 below.
            proptest::prop_assert!(hits.iter().skip(1).collect::<Vec<_>>().windows(2).all(|w| w[0].score >= w[1].score));
            proptest::prop_assert!(hits.windows(2).take(1).all(|w| w[0].score >= w[1].score - 0.15 - 1e-9));
        }
    }
}
