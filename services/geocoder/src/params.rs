//! The parameters of `/search/` and `/reverse/`, checked as the production API checks them
//! (BAN-DOMAIN §4.2), each refusal a 400 naming the parameter.
use ban_search::{Filters, ResultType, ReverseQuery, SearchQuery};
use ban_service_kit::ApiError;

/// The most values of one filter.
pub const MAX_FILTER_VALUES: usize = 10;
pub const MAX_LIMIT: usize = 100;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_parameter", message)
}

/// Every value of a parameter: repeated, or `+`/space-separated (`type=street+locality`).
fn values<'a>(pairs: &'a [(String, String)], names: &[&str]) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| names.contains(&k.as_str()))
        .flat_map(|(_, v)| v.split(['+', ' ']))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The last value of a single-valued parameter.
fn single<'a>(pairs: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| names.contains(&k.as_str())).map(|(_, v)| v.trim())
}

fn parse_pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(raw).map_err(|e| bad(format!("Paramètres illisibles : {e}.")))
}

fn filters(pairs: &[(String, String)]) -> Result<Filters, ApiError> {
    let mut filters = Filters::default();
    for value in values(pairs, &["type"]) {
        let kind = ResultType::parse(value).ok_or_else(|| {
            bad(format!("type invalide : {value:?} (housenumber, street, locality ou municipality)."))
        })?;
        if !filters.types.contains(&kind) {
            filters.types.push(kind);
        }
    }
    for value in values(pairs, &["postcode"]) {
        if value.len() != 5 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("postcode invalide : {value:?} (5 chiffres).")));
        }
        filters.postcodes.push(value.to_owned());
    }
    for value in values(pairs, &["citycode"]) {
        let b = value.as_bytes();
        let valid = b.len() == 5
            && b[0].is_ascii_digit()
            && (b[1].is_ascii_digit() || b[1] == b'A' || b[1] == b'B')
            && b[2..].iter().all(u8::is_ascii_digit);
        if !valid {
            return Err(bad(format!("citycode invalide : {value:?} (code INSEE).")));
        }
        filters.citycodes.push(value.to_owned());
    }
    if filters.types.len() > MAX_FILTER_VALUES
        || filters.postcodes.len() > MAX_FILTER_VALUES
        || filters.citycodes.len() > MAX_FILTER_VALUES
    {
        return Err(bad(format!("{MAX_FILTER_VALUES} valeurs au plus par filtre.")));
    }
    Ok(filters)
}

fn limit(pairs: &[(String, String)], default: usize) -> Result<usize, ApiError> {
    match single(pairs, &["limit"]) {
        None | Some("") => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(bad(format!("limit invalide : {text:?} (entier de 1 à {MAX_LIMIT})."))),
        },
    }
}

fn coordinate(pairs: &[(String, String)], names: &[&str], bound: f64) -> Result<Option<f64>, ApiError> {
    let Some(text) = single(pairs, names).filter(|t| !t.is_empty()) else { return Ok(None) };
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > -bound && v < bound => Ok(Some(v)),
        _ => Err(bad(format!("{} invalide : {text:?}.", names[0]))),
    }
}

fn center(pairs: &[(String, String)]) -> Result<Option<[f64; 2]>, ApiError> {
    let lat = coordinate(pairs, &["lat", "latitude"], 90.0)?;
    let lon = coordinate(pairs, &["lon", "lng", "long", "longitude"], 180.0)?;
    match (lon, lat) {
        (Some(lon), Some(lat)) => Ok(Some([lon, lat])),
        (None, None) => Ok(None),
        _ => Err(bad("lat et lon doivent être donnés ensemble.")),
    }
}

/// `q`: 3 to 200 characters, starting with a letter or a digit.
pub fn check_q(q: &str) -> Result<(), ApiError> {
    if !SearchQuery::accepts_q(q) {
        return Err(bad("q must contain between 3 and 200 chars and start with a number or a letter"));
    }
    Ok(())
}

pub fn search(raw: &str) -> Result<SearchQuery, ApiError> {
    let pairs = parse_pairs(raw)?;
    let q = single(&pairs, &["q"]).unwrap_or("");
    check_q(q)?;
    let autocomplete = match single(&pairs, &["autocomplete"]) {
        None | Some("") => true,
        Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(other) => return Err(bad(format!("autocomplete invalide : {other:?} (0 ou 1)."))),
    };
    Ok(SearchQuery {
        q: q.trim().to_owned(),
        limit: limit(&pairs, 5)?,
        autocomplete,
        center: center(&pairs)?,
        filters: filters(&pairs)?,
    })
}

pub fn reverse(raw: &str) -> Result<ReverseQuery, ApiError> {
    let pairs = parse_pairs(raw)?;
    let Some([lon, lat]) = center(&pairs)? else {
        return Err(bad("lon et lat sont obligatoires."));
    };
    Ok(ReverseQuery { lon, lat, limit: limit(&pairs, 1)?, filters: filters(&pairs)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_parameters_follow_the_production_api() {
        let q = search("q=8+bd+du+port&limit=3&autocomplete=0&lat=49.9&lon=2.3&type=street+locality&citycode=80021&citycode=2A004")
            .expect("valid");
        assert_eq!(q.q, "8 bd du port");
        assert_eq!((q.limit, q.autocomplete, q.center), (3, false, Some([2.3, 49.9])));
        assert_eq!(q.filters.types, vec![ResultType::Street, ResultType::Locality]);
        assert_eq!(q.filters.citycodes, vec!["80021", "2A004"]);
        let defaults = search("q=paris").expect("valid");
        assert_eq!((defaults.limit, defaults.autocomplete, defaults.center), (5, true, None));
        for bad in [
            "",
            "q=ab",
            "q=-paris",
            "q=paris&limit=0",
            "q=paris&limit=101",
            "q=paris&lat=48",
            "q=paris&lat=91&lon=2",
            "q=paris&type=city",
            "q=paris&postcode=7500",
            "q=paris&citycode=7505",
            "q=paris&autocomplete=yes",
        ] {
            assert_eq!(search(bad).expect_err(bad).status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
        }
        assert!(search(&format!("q={}", "a".repeat(201))).is_err());
    }

    #[test]
    fn reverse_needs_a_point() {
        let r = reverse("lon=2.35&lat=48.85&type=housenumber").expect("valid");
        assert_eq!((r.lon, r.lat, r.limit), (2.35, 48.85, 1));
        assert!(reverse("lon=2.35").is_err());
        assert!(reverse("lat=48&lon=200").is_err());
    }

    proptest::proptest! {
        /// Any query string is read into a query or refused with a 400 that says why: never
        /// a panic, never another status.
        #[test]
        fn any_query_string_is_parsed_or_refused_with_a_400(
            raw in "([a-z]{1,12}=[a-zA-Z0-9%+.,;_ -]{0,30}&?){0,8}|\\PC{0,60}",
        ) {
            for parsed in [search(&raw).map(|_| ()), reverse(&raw).map(|_| ())] {
                if let Err(error) = parsed {
                    proptest::prop_assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
                    proptest::prop_assert!(!error.message.is_empty());
                }
            }
        }
    }
}
