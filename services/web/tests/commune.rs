//! The commune page and the map's tiles, through the router in process, on a store where the
//! sample commune (Mont-Bonvillers, 54084) was published and consolidated for real (the
//! consolidator's worker on the sample's file): the tiles decode to the commune's addresses
//! and toponyms with the BAN's properties, revalidate with their ETag until a publication
//! changes them, and exist only from zoom 8 to 14 (tests/tiles.rs: the `communes` layer);
//! the page's figures are the store's.
#![allow(clippy::unwrap_used)]
mod published;
use std::collections::BTreeSet;

use axum::http::{header, StatusCode};
use ban_web::mvt::{point_of, Tile};
use prost::Message as _;
use published::{decode, get, publish, published, sample};
use std::io::Read as _;

/// Mont-Bonvillers whole, at zoom 10 (5.83 E, 49.32 N).
const COMMUNE_TILE: &str = "/tiles/ban/10/528/350.pbf";

/// The properties of a layer's features, as `name=value` texts.
fn properties(tile: &Tile, layer: &str) -> Vec<BTreeSet<String>> {
    let Some(layer) = tile.layers.iter().find(|l| l.name == layer) else { return Vec::new() };
    layer
        .features
        .iter()
        .map(|feature| {
            feature
                .tags
                .chunks(2)
                .map(|pair| {
                    let value = &layer.values[pair[1] as usize];
                    let value = value
                        .string_value
                        .clone()
                        .or(value.uint_value.map(|n| n.to_string()))
                        .or(value.bool_value.map(|b| b.to_string()))
                        .unwrap_or_default();
                    format!("{}={value}", layer.keys[pair[0] as usize])
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_tile_holds_the_communes_addresses_and_toponyms_with_the_bans_properties() {
    let published = published().await;
    let gzip = [(header::ACCEPT_ENCODING, "gzip, deflate")];
    let (status, headers, body) = get(&published.state, COMMUNE_TILE, &gzip).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/x-protobuf");
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(headers[header::CACHE_CONTROL], "public, no-cache");
    let tile = decode(&body);
    assert_eq!(
        tile.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["communes", "adresses", "toponymes"]
    );
    assert!(tile.layers.iter().all(|l| l.version == 2 && l.extent == Some(4096)));

    // Every active address of the base, once, with its key; every street at its place.
    let base = published.store.commune_base("54084").await.unwrap();
    let active: BTreeSet<String> =
        base.addresses.iter().filter(|a| a.active).filter_map(|a| a.cle_interop.clone()).collect();
    let addresses = properties(&tile, "adresses");
    let ids: BTreeSet<String> = addresses
        .iter()
        .flat_map(|p| p.iter().filter_map(|kv| kv.strip_prefix("id=").map(str::to_owned)))
        .collect();
    assert_eq!(addresses.len(), active.len());
    assert_eq!(ids, active);
    let streets = base.toponyms.iter().filter(|t| t.active).count();
    assert_eq!(properties(&tile, "toponymes").len(), streets);

    let first = addresses.iter().find(|p| p.contains("id=54084_0200_00001")).unwrap();
    let expected = [
        "numero=1",
        "nomVoie=Rue Joffre",
        "codeCommune=54084",
        "nomCommune=Mont-Bonvillers",
        "sourcePosition=bal",
        "sourceNomVoie=bal",
        "certifie=false",
        "parcelles=",
    ];
    for property in expected {
        assert!(first.contains(property), "{property} in {first:?}");
    }
    // As the BAN's tiles: no `banId` (random, it would double a tile's compressed size).
    assert!(!first.iter().any(|p| p.starts_with("banId=")), "{first:?}");
    let joffre =
        properties(&tile, "toponymes").into_iter().find(|p| p.contains("nomVoie=Rue Joffre")).unwrap();
    assert!(joffre.contains("type=voie") && joffre.contains("id=54084_0200"), "{joffre:?}");
    assert!(joffre.iter().any(|p| p.starts_with("nbNumeros=")), "{joffre:?}");

    // At zoom 14, the address is where its position is: 5.833622 E, 49.322203 N is at
    // column 8457.4946 and row 5604.2038 of zoom 14, so at (2026, 835) of tile 8457/5604.
    let (_, _, body) = get(&published.state, "/tiles/ban/14/8457/5604.pbf", &gzip).await;
    let tile = decode(&body);
    let layer = tile.layers.iter().find(|l| l.name == "adresses").unwrap();
    let index = properties(&tile, "adresses").iter().position(|p| p.contains("id=54084_0200_00001")).unwrap();
    let (x, y) = point_of(&layer.features[index]).unwrap();
    assert!((x - 2026).abs() <= 1 && (y - 835).abs() <= 1, "({x}, {y})");

    // No address far away (Brittany), and no empty layer.
    let (status, _, body) = get(&published.state, "/tiles/ban/14/7900/5600.pbf", &gzip).await;
    assert_eq!(status, StatusCode::OK);
    assert!(decode(&body).layers.iter().all(|l| l.name == "communes" && !l.features.is_empty()));

    // A client that does not take gzip gets the tile inflated.
    let (_, headers, body) = get(&published.state, COMMUNE_TILE, &[]).await;
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(Tile::decode(body.as_slice()).unwrap().layers.len(), 3);
}

#[tokio::test]
async fn a_tile_revalidates_until_a_publication_changes_it() {
    let published = published().await;
    let (_, headers, _) = get(&published.state, COMMUNE_TILE, &[]).await;
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with("\"ban-") && etag.ends_with('"'), "{etag}");
    let (status, headers, body) =
        get(&published.state, COMMUNE_TILE, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers[header::ETAG], etag.as_str());
    let weak = format!("W/{etag}");
    let (status, _, _) = get(&published.state, COMMUNE_TILE, &[(header::IF_NONE_MATCH, &weak)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    // A new publication without the first street: the tile changes as soon as it is consolidated.
    let text = String::from_utf8(sample("54084_mont-bonvillers.csv")).unwrap();
    let fewer: String =
        text.lines().filter(|l| !l.contains("54084_0200_00001")).map(|l| format!("{l}\n")).collect();
    publish(&published.store, &published.client, fewer.as_bytes()).await;
    let (status, headers, body) =
        get(&published.state, COMMUNE_TILE, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers[header::ETAG], etag.as_str());
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(body.as_slice()).read_to_end(&mut bytes).unwrap_or_default();
    let tile = if bytes.is_empty() {
        Tile::decode(body.as_slice()).unwrap()
    } else {
        Tile::decode(bytes.as_slice()).unwrap()
    };
    let addresses = properties(&tile, "adresses");
    assert!(!addresses.iter().any(|p| p.contains("id=54084_0200_00001")));
    assert!(addresses.iter().any(|p| p.contains("id=54084_0200_00002")));
}

#[tokio::test]
async fn tiles_exist_from_zoom_8_to_14_only() {
    let published = published().await;
    for uri in [
        "/tiles/ban/7/66/43.pbf",
        "/tiles/ban/15/16915/11207.pbf",
        "/tiles/ban/10/1024/350.pbf",
        "/tiles/ban/10/528/350.png",
        "/tiles/ban/dix/528/350.pbf",
    ] {
        let (status, headers, body) = get(&published.state, uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json", "{uri}");
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["code"], "tile_not_found");
        assert!(
            problem["detail"].as_str().unwrap_or_default().contains("de 8 à 14")
                || problem.to_string().contains("8 à 14"),
            "{problem}"
        );
    }
}

#[tokio::test]
async fn the_commune_page_shows_the_figures_of_the_store() {
    let published = published().await;
    let (status, headers, body) = get(&published.state, "/commune/54084", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let html = String::from_utf8(body).unwrap();
    let commune = published.store.base_commune("54084").await.unwrap().unwrap();
    let base = published.store.commune_base("54084").await.unwrap();
    let streets = base.toponyms.iter().filter(|t| t.active && !t.lieu_dit).count();
    let lieux_dits = base.toponyms.iter().filter(|t| t.active && t.lieu_dit).count();
    assert!(html.contains("<h1 id=\"commune-titre\">Mont-Bonvillers – 54084</h1>"), "{html}");
    assert!(html.contains(&format!("id=\"nb-adresses\">{}<", commune.addresses)), "{html}");
    assert!(html.contains(&format!("id=\"nb-voies\">{streets}<")));
    assert!(html.contains(&format!("id=\"nb-lieux-dits\">{lieux_dits}<")));
    assert!(html.contains("id=\"taux-certification\">0 %<"));
    assert!(html.contains("Éditeur de la mairie"));
    assert!(html.contains(">Intégrée<"));
    assert!(html.contains("<th scope=\"row\">Rue Joffre</th>"));
    assert!(html.contains("/data/ban/adresses/latest/csv/adresses-54084.csv.gz"));
    assert!(html.contains("/ban/communes/54084/download/csv-legacy/adresses"));
    assert!(html.contains("data-tiles=\"/tiles/ban/{z}/{x}/{y}.pbf\""));

    let (status, headers, body) = get(&published.state, "/commune/54084/contour.geojson", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/geo+json");
    let contour: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(contour["geometry"]["type"], "MultiPolygon");
    assert_eq!(contour["properties"]["nom"], "Mont-Bonvillers");

    // A commune of the COG without addresses in the base: its page says so.
    let (status, _, body) = get(&published.state, "/commune/57463", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("Metz – 57463") && html.contains("Aucune adresse dans la Base Adresse Nationale"));
    // Unknown, or not a code at all: a French 404 page.
    for uri in ["/commune/99999", "/commune/abc"] {
        let (status, headers, body) = get(&published.state, uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(String::from_utf8(body).unwrap().contains("Page introuvable"));
    }
}
