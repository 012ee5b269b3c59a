//! The map's tiles at every zoom, through the router in process, on a store where the sample
//! commune (Mont-Bonvillers, 54084) was published and consolidated for real: zooms 8 and 9
//! hold the `communes` layer only (every contour that meets the tile, the commune of the base
//! with its record's figures, the others with their code and name), zoom 10 adds the
//! addresses and toponyms; the polygons decode to rings inside the tile's buffer, wound as
//! MVT 2.1 asks, and the commune's contains its addresses; a publication changes the ETag
//! and the figures of the zoom-8 tile; there is no tile below 8 nor above 14.
#![allow(clippy::unwrap_used)]
mod published;
use std::collections::BTreeMap;

use axum::http::{header, StatusCode};
use ban_web::cache::mercator;
use ban_web::mvt::{point_of, ring_area, rings_of, GeomType, Layer, Ring, Tile, Value};
use chrono::Utc;
use published::{decode, get, publish, published, sample};

/// A position of the sample (its first address, 1 rue Joffre).
const JOFFRE_1: [f64; 2] = [5.833622, 49.322203];

/// The tile of zoom `z` holding a point, and the point in that tile's units.
fn tile_of(z: u8, [lon, lat]: [f64; 2]) -> (String, (f64, f64)) {
    let (x, y) = mercator([lon, lat]);
    let side = f64::from(1u32 << z);
    let (column, row) = ((x * side).floor(), (y * side).floor());
    let uri = format!("/tiles/ban/{z}/{column}/{row}.pbf");
    (uri, ((x * side - column) * 4096.0, (y * side - row) * 4096.0))
}

fn text(value: &Value) -> String {
    value
        .string_value
        .clone()
        .or(value.uint_value.map(|n| n.to_string()))
        .or(value.bool_value.map(|b| b.to_string()))
        .unwrap_or_default()
}

/// Each feature of a layer: its properties by name, and its rings.
fn features(layer: &Layer) -> Vec<(BTreeMap<String, String>, Vec<Ring>)> {
    layer
        .features
        .iter()
        .map(|feature| {
            let properties = feature
                .tags
                .chunks(2)
                .map(|pair| (layer.keys[pair[0] as usize].clone(), text(&layer.values[pair[1] as usize])))
                .collect();
            assert_eq!(feature.r#type, Some(GeomType::Polygon as i32));
            (properties, rings_of(feature).expect("polygon commands"))
        })
        .collect()
}

fn layer<'a>(tile: &'a Tile, name: &str) -> &'a Layer {
    tile.layers.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("no layer {name}"))
}

/// Whether a point is inside a polygon's rings (even-odd: holes count out).
fn inside(rings: &[Ring], (x, y): (f64, f64)) -> bool {
    let mut inside = false;
    for ring in rings {
        let mut previous = ring[ring.len() - 1];
        for &point in ring {
            let ((x1, y1), (x2, y2)) =
                ((f64::from(previous.0), f64::from(previous.1)), (f64::from(point.0), f64::from(point.1)));
            if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
                inside = !inside;
            }
            previous = point;
        }
    }
    inside
}

/// Checks the `communes` layer's geometry: every ring inside the tile's buffer, every
/// feature starting with an exterior ring (positive area); returns the features by code.
fn communes_by_code(tile: &Tile) -> BTreeMap<String, (BTreeMap<String, String>, Vec<Ring>)> {
    let mut by_code = BTreeMap::new();
    for (properties, rings) in features(layer(tile, "communes")) {
        assert!(!rings.is_empty());
        assert!(ring_area(&rings[0]) > 0, "the first ring is an exterior ring: {properties:?}");
        for ring in &rings {
            assert!(ring.len() >= 3);
            assert!(ring.iter().all(|&(x, y)| (-64..=4160).contains(&x) && (-64..=4160).contains(&y)));
        }
        let code = properties["code"].clone();
        assert!(by_code.insert(code.clone(), (properties, rings)).is_none(), "{code} twice");
    }
    by_code
}

#[tokio::test]
async fn tiles_of_zoom_8_and_9_hold_every_commune_and_the_figures_of_those_of_the_base() {
    let published = published().await;
    let commune = published.store.base_commune("54084").await.unwrap().unwrap();
    let today = Utc::now().format("%Y-%m-%d").to_string();
    for z in [8, 9] {
        let (uri, joffre) = tile_of(z, JOFFRE_1);
        let (status, headers, body) = get(&published.state, &uri, &[(header::ACCEPT_ENCODING, "gzip")]).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
        let tile = decode(&body);
        assert_eq!(tile.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["communes"], "{uri}");
        let communes = communes_by_code(&tile);
        // A zoom-8 tile of Lorraine meets some 700 communes, a zoom-9 one a quarter.
        let expected = if z == 8 { 500..1500 } else { 120..500 };
        assert!(expected.contains(&communes.len()), "{uri}: {} communes", communes.len());
        eprintln!("{uri}: {} communes, {} bytes gzip", communes.len(), body.len());

        let (mont, rings) = &communes["54084"];
        let figures = [
            ("nom", "Mont-Bonvillers".to_owned()),
            ("source", "bal".into()),
            ("nbNumeros", commune.addresses.to_string()),
            ("nbVoies", commune.toponyms.to_string()),
            ("tauxCertification", "0".into()),
            ("dateMAJ", today.clone()),
        ];
        for (name, value) in figures {
            assert_eq!(mont.get(name), Some(&value), "{name} in {mont:?}");
        }
        assert!(inside(rings, joffre), "1 rue Joffre at {joffre:?} is in the commune's polygon at zoom {z}");
        // Metz, not in this base: its contour, code and name, no figures.
        let (metz, _) = &communes["57463"];
        assert_eq!(metz.keys().map(String::as_str).collect::<Vec<_>>(), ["code", "nom"]);
        assert_eq!(metz["nom"], "Metz");
    }
}

#[tokio::test]
async fn from_zoom_10_tiles_add_the_addresses_to_the_communes() {
    let published = published().await;
    let (uri, joffre) = tile_of(10, JOFFRE_1);
    let (status, _, body) = get(&published.state, &uri, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    let tile = decode(&body);
    assert_eq!(
        tile.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["communes", "adresses", "toponymes"]
    );
    let communes = communes_by_code(&tile);
    let (mont, rings) = &communes["54084"];
    let addresses = layer(&tile, "adresses");
    assert_eq!(mont["nbNumeros"], addresses.features.len().to_string());
    assert!(inside(rings, joffre));
    // The commune's addresses are inside its contour, but for a few along its edge: the
    // contours are simplified to a few hundred metres (the spatial checks allow for it).
    let outside: Vec<_> = addresses
        .features
        .iter()
        .filter_map(point_of)
        .filter(|&(x, y)| !inside(rings, (f64::from(x), f64::from(y))))
        .collect();
    assert!(
        outside.len() * 50 < addresses.features.len(),
        "{} of {}: {outside:?}",
        outside.len(),
        addresses.features.len()
    );
}

#[tokio::test]
async fn a_publication_changes_the_zoom_8_tile() {
    let published = published().await;
    let (uri, _) = tile_of(8, JOFFRE_1);
    let (_, headers, body) = get(&published.state, &uri, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let before: usize = communes_by_code(&decode(&body))["54084"].0["nbNumeros"].parse().unwrap();
    let (status, _, _) = get(&published.state, &uri, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    let text = String::from_utf8(sample("54084_mont-bonvillers.csv")).unwrap();
    let fewer: String =
        text.lines().filter(|l| !l.contains("54084_0200_00001")).map(|l| format!("{l}\n")).collect();
    publish(&published.store, &published.client, fewer.as_bytes()).await;
    let (status, headers, body) =
        get(&published.state, &uri, &[(header::IF_NONE_MATCH, &etag), (header::ACCEPT_ENCODING, "gzip")])
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers[header::ETAG], etag.as_str());
    let after: usize = communes_by_code(&decode(&body))["54084"].0["nbNumeros"].parse().unwrap();
    assert_eq!(after, before - 1);
}

#[tokio::test]
async fn tiles_exist_from_zoom_8_to_14_only() {
    let published = published().await;
    for uri in ["/tiles/ban/7/66/43.pbf", "/tiles/ban/15/16915/11207.pbf", "/tiles/ban/8/256/87.pbf"] {
        let (status, headers, body) = get(&published.state, uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json", "{uri}");
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["code"], "tile_not_found");
        assert!(problem["detail"].as_str().unwrap().contains("zoom 8 à 14"), "{problem}");
    }
}
