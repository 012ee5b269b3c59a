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
    /// within [0, 1], best first.
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
            proptest::prop_assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
        }
    }
}
