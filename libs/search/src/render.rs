//! GeocodeJSON answers, property for property as addok writes them (BAN-DOMAIN §4.3): `label`,
//! `score`, `housenumber`, then the document's fields in its order (absent and empty ones left
//! out, lists by their first value), then `street`/`locality`/`municipality` = the name, and
//! `distance` in metres when there is a centre.
use crate::index::Doc;
use crate::{Filters, Hit, Index, ReverseQuery, SearchQuery};
use ban_exports::addok::DocumentKind;
use ban_exports::commune::legal_xy;
use serde_json::{json, Map, Value};

fn put_text(properties: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        properties.insert(key.into(), json!(value));
    }
}

/// The properties of a hit.
pub fn properties(index: &Index, hit: &Hit) -> Map<String, Value> {
    properties_with(index, hit, true)
}

/// The properties of a hit, with the legal `x`/`y` or without (projecting costs more than
/// everything else of a CSV row: batch geocoding asks for them only when a column needs them).
pub fn properties_with(index: &Index, hit: &Hit, with_xy: bool) -> Map<String, Value> {
    let mut p = Map::new();
    let Some(doc) = index.doc(hit.doc) else { return p };
    let number = hit.number.and_then(|n| doc.numbers.get(n as usize).map(|number| (n, number)));
    let [lon, lat] = hit.point(index);
    let xy = if with_xy { legal_xy([lon, lat]) } else { None };
    p.insert("label".into(), json!(hit.label));
    p.insert("score".into(), json!(hit.score));
    if let Some((_, number)) = number {
        p.insert("housenumber".into(), json!(index.number_key(number)));
    }
    let kind = hit.kind(index);
    let (id, ban_id, name) = match number {
        Some((n, number)) => (
            index.number_id(hit.doc, doc, n),
            Some(number.ban_id().to_string()),
            format!("{} {}", index.number_key(number), doc.name),
        ),
        None => (doc.id.to_string(), doc.ban_id.map(|id| id.to_string()), doc.name.to_string()),
    };
    let first = |values: &[std::sync::Arc<str>]| values.first().map(|v| v.to_string());
    let put_common_head = |p: &mut Map<String, Value>| {
        p.insert("id".into(), json!(id));
        put_text(p, "banId", ban_id.as_deref());
    };
    let put_xy = |p: &mut Map<String, Value>| {
        if let Some((x, y)) = xy {
            p.insert("x".into(), json!(x));
            p.insert("y".into(), json!(y));
        }
    };
    match doc.kind {
        DocumentKind::Municipality => {
            put_common_head(&mut p);
            p.insert("type".into(), json!(kind.as_str()));
            p.insert("name".into(), json!(name));
            put_text(&mut p, "postcode", first(&doc.postcode).as_deref());
            put_text(&mut p, "citycode", first(&doc.citycode).as_deref());
            put_xy(&mut p);
            if doc.population > 0 {
                p.insert("population".into(), json!(doc.population));
            }
            put_text(&mut p, "city", first(&doc.city).as_deref());
            put_text(&mut p, "context", Some(&doc.context));
            put_importance(&mut p, doc);
        }
        DocumentKind::Street | DocumentKind::Locality => {
            if doc.kind == DocumentKind::Locality {
                p.insert("type".into(), json!(kind.as_str()));
                put_importance(&mut p, doc);
            }
            put_common_head(&mut p);
            p.insert("name".into(), json!(name));
            put_text(&mut p, "postcode", first(&doc.postcode).as_deref());
            put_text(&mut p, "citycode", first(&doc.citycode).as_deref());
            put_text(&mut p, "oldcitycode", doc.oldcitycode.as_deref());
            put_xy(&mut p);
            put_text(&mut p, "city", first(&doc.city).as_deref());
            put_text(&mut p, "district", doc.district.as_deref());
            put_text(&mut p, "oldcity", doc.oldcity.as_deref());
            put_text(&mut p, "context", Some(&doc.context));
            if doc.kind == DocumentKind::Street {
                p.insert("type".into(), json!(kind.as_str()));
                put_importance(&mut p, doc);
            }
        }
    }
    let type_key = match doc.kind {
        DocumentKind::Municipality => "municipality",
        DocumentKind::Street => "street",
        DocumentKind::Locality => "locality",
    };
    if !p.contains_key(type_key) {
        p.insert(type_key.into(), json!(doc.name.to_string()));
    }
    if let Some(distance) = hit.distance {
        p.insert("distance".into(), json!(distance.round() as i64));
    }
    // Not in addok's answers: the cadastral parcels of an address, when the BAL gives them.
    if let Some((n, _)) = number {
        let parcels = index.parcels_of(hit.doc, n);
        if !parcels.is_empty() {
            p.insert("parcelles".into(), json!(parcels));
        }
    }
    p
}

fn put_importance(p: &mut Map<String, Value>, doc: &Doc) {
    if doc.importance > 0.0 {
        // Stored as f32: printed with the export's 5 decimals.
        let value = (f64::from(doc.importance) * 1e5).round() / 1e5;
        p.insert("importance".into(), json!(value));
    }
}

fn feature(index: &Index, hit: &Hit) -> Value {
    let [lon, lat] = hit.point(index);
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties(index, hit),
    })
}

fn filters_json(filters: &Filters) -> Option<Value> {
    let mut map = Map::new();
    if !filters.types.is_empty() {
        map.insert("type".into(), json!(filters.types.iter().map(|t| t.as_str()).collect::<Vec<_>>()));
    }
    if !filters.postcodes.is_empty() {
        map.insert("postcode".into(), json!(filters.postcodes));
    }
    if !filters.citycodes.is_empty() {
        map.insert("citycode".into(), json!(filters.citycodes));
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

fn collection(
    index: &Index,
    hits: &[Hit],
    query: Option<&str>,
    filters: &Filters,
    center: Option<[f64; 2]>,
    limit: usize,
) -> Value {
    let mut top = Map::new();
    top.insert("type".into(), json!("FeatureCollection"));
    top.insert("version".into(), json!("draft"));
    top.insert("features".into(), Value::Array(hits.iter().map(|h| feature(index, h)).collect()));
    top.insert("attribution".into(), json!("BAN"));
    top.insert("licence".into(), json!("ETALAB-2.0"));
    if let Some(query) = query {
        top.insert("query".into(), json!(query));
    }
    if let Some(filters) = filters_json(filters) {
        top.insert("filters".into(), filters);
    }
    if let Some(center) = center {
        top.insert("center".into(), json!(center));
    }
    top.insert("limit".into(), json!(limit));
    Value::Object(top)
}

pub fn search_collection(index: &Index, query: &SearchQuery, hits: &[Hit]) -> Value {
    collection(index, hits, Some(&query.q), &query.filters, query.center, query.limit)
}

pub fn reverse_collection(index: &Index, query: &ReverseQuery, hits: &[Hit]) -> Value {
    collection(index, hits, None, &query.filters, Some([query.lon, query.lat]), query.limit)
}

/// A batch answer: the best hit's properties with `next_score`, `lon`, `lat`.
pub fn batch_result(index: &Index, hits: &[Hit]) -> (&'static str, Value) {
    let Some(best) = hits.first() else { return ("not-found", json!({})) };
    let mut result = properties(index, best);
    result.insert("next_score".into(), json!(hits.get(1).map(|h| h.score)));
    let [lon, lat] = best.point(index);
    result.insert("lon".into(), json!(lon));
    result.insert("lat".into(), json!(lat));
    ("ok", Value::Object(result))
}
