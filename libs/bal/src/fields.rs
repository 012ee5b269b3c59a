//! Reading one value of one column: trimming, the required check, then the column's own
//! parse rule. Each rule yields the parsed value (or nothing, when the value is dropped) and
//! the issue names it found (`type_invalide`, …), in the reference validator's order.
use std::borrow::Cow;

use ban_domain::{BanId, PositionType};

use crate::cog::Cog;
use crate::read::{is_js_whitespace, js_trim};
use crate::schema::Field;

/// Issue names found while reading one value (at most a few).
pub type Findings = smallvec_lite::Findings;

/// A tiny inline list, enough for the few findings of one value.
pub mod smallvec_lite {
    #[derive(Debug, Default, Clone)]
    pub struct Findings {
        items: [&'static str; 4],
        len: usize,
    }

    impl Findings {
        pub fn push(&mut self, item: &'static str) {
            if self.len < self.items.len() {
                self.items[self.len] = item;
                self.len += 1;
            }
        }

        pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
            self.items[..self.len].iter().copied()
        }

        pub fn is_empty(&self) -> bool {
            self.len == 0
        }

        pub fn clear(&mut self) {
            self.len = 0;
        }
    }
}

/// The parts of a `cle_interop` the row rules use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleParts<'a> {
    /// First segment, upper-cased.
    pub commune: Cow<'a, str>,
    /// Street code, upper-cased; `None` when malformed or a placeholder (`xxxx`, `0000`).
    pub voie: Option<Cow<'a, str>>,
    /// Number segment without leading zeros.
    pub numero: &'a str,
}

/// BAN ids carried by a legacy `uid_adresse` value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UidIds<'a> {
    pub commune: Option<&'a str>,
    pub toponyme: Option<&'a str>,
    pub adresse: Option<&'a str>,
}

/// A parsed value, borrowing from the text it was read from where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Cle(CleParts<'a>),
    Uid(UidIds<'a>),
    /// A BAN id as written, and its value.
    Id(&'a str, BanId),
    Numero(u32),
    Position(PositionType),
    Number(f64),
    /// Cadastral parcels (their normalised form is not needed by any rule).
    Parcelles(usize),
    Bool(bool),
}

/// What reading one value gave.
#[derive(Debug, Default)]
pub struct Read<'a> {
    pub value: Option<Value<'a>>,
    pub findings: Findings,
}

/// Upper-cases, borrowing when nothing changes.
fn upper(s: &str) -> Cow<'_, str> {
    if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_uppercase())
    }
}

/// Reads `raw` as a value of `field`. Regional-language columns (`localized`) may be empty.
pub fn read_value<'a>(
    field: Field,
    raw: &'a str,
    localized: bool,
    cog: &Cog<'_>,
    today: (i32, u32, u32),
) -> Read<'a> {
    let mut findings = Findings::default();
    let value = read_value_into(field, raw, localized, cog, today, &mut findings);
    Read { value, findings }
}

/// [`read_value`], with the findings pushed onto `f` (no copy of a result per value, which
/// matters at a few million values per second).
pub fn read_value_into<'a>(
    field: Field,
    raw: &'a str,
    localized: bool,
    cog: &Cog<'_>,
    today: (i32, u32, u32),
    f: &mut Findings,
) -> Option<Value<'a>> {
    let trimmed = js_trim(raw);
    if trimmed.len() != raw.len() {
        f.push("espaces_debut_fin");
    }
    if trimmed.is_empty() {
        if field.required() && !localized {
            f.push("valeur_manquante");
        }
        return None;
    }
    match field {
        Field::CleInterop => parse_cle_interop(trimmed, cog, f),
        Field::UidAdresse => parse_uid_adresse(trimmed, f),
        Field::IdBanCommune | Field::IdBanToponyme | Field::IdBanAdresse => {
            if let Ok(id) = BanId::parse(trimmed) {
                Some(Value::Id(trimmed, id))
            } else {
                f.push("type_invalide");
                None
            }
        }
        Field::VoieNom | Field::Toponyme => parse_street_name(trimmed, f),
        Field::Numero => parse_numero(trimmed, f),
        Field::Suffixe => parse_suffixe(trimmed, f),
        Field::CommuneInsee => {
            let code = upper(trimmed);
            if cog.is_current(&code) {
                Some(Value::Text(code))
            } else if cog.is_former(&code) {
                f.push("commune_ancienne");
                Some(Value::Text(code))
            } else {
                f.push("commune_invalide");
                None
            }
        }
        Field::CommuneNom => {
            if !changes_case(trimmed, Case::Lower) {
                f.push("casse_incorrecte");
            }
            if !changes_case(trimmed, Case::Upper) {
                f.push("casse_incorrecte");
            }
            Some(Value::Text(Cow::Borrowed(trimmed)))
        }
        Field::CommuneDelegueeInsee => {
            let code = upper(trimmed);
            if !cog.is_current(&code) && !cog.is_former(&code) {
                f.push("commune_invalide");
            }
            Some(Value::Text(code))
        }
        Field::Position => parse_position(trimmed, f),
        Field::X | Field::Y | Field::Long | Field::Lat => parse_number(trimmed, f),
        Field::CadParcelles => parse_parcelles(trimmed, f),
        Field::DateDerMaj => parse_date(trimmed, today, f),
        Field::CertificationCommune => match trimmed {
            "1" => Some(Value::Bool(true)),
            "0" => Some(Value::Bool(false)),
            _ => {
                f.push("valeur_invalide");
                None
            }
        },
        Field::LieuditComplementNom | Field::CommuneDelegueeNom | Field::Source => {
            Some(Value::Text(Cow::Borrowed(trimmed)))
        }
    }
}

#[derive(Clone, Copy)]
enum Case {
    Lower,
    Upper,
}

/// Whether changing the case of `s` changes it (JavaScript's `s.toLowerCase() !== s`).
fn changes_case(s: &str, case: Case) -> bool {
    if s.is_ascii() {
        return match case {
            Case::Lower => s.bytes().any(|b| b.is_ascii_uppercase()),
            Case::Upper => s.bytes().any(|b| b.is_ascii_lowercase()),
        };
    }
    match case {
        Case::Lower => s.to_lowercase() != s,
        Case::Upper => s.to_uppercase() != s,
    }
}

/// Length in UTF-16 code units, as JavaScript counts.
fn js_length(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

fn parse_cle_interop<'a>(v: &'a str, cog: &Cog<'_>, f: &mut Findings) -> Option<Value<'a>> {
    if changes_case(v, Case::Lower) {
        f.push("casse_invalide");
    }
    let mut parts = v.split('_');
    let (Some(commune), Some(voie), Some(numero)) = (parts.next(), parts.next(), parts.next()) else {
        f.push("structure_invalide");
        return None;
    };
    if commune.is_empty() || voie.is_empty() || numero.is_empty() || parts.any(str::is_empty) {
        f.push("structure_invalide");
        return None;
    }
    let commune = upper(commune);
    if !cog.is_current(&commune) && !cog.is_former(&commune) {
        f.push("commune_invalide");
    } else if cog.is_former(&commune) {
        f.push("commune_ancienne");
    }
    let voie_ok = if js_length(voie) != 4 {
        f.push("voie_invalide");
        false
    } else if voie.eq_ignore_ascii_case("xxxx") || voie == "0000" {
        f.push("voie_non_renseignee");
        false
    } else {
        true
    };
    if !numero.bytes().all(|b| b.is_ascii_digit()) {
        f.push("numero_invalide");
        return None;
    }
    if numero.len() != 5 {
        f.push("numero_prefixe_manquant");
    }
    Some(Value::Cle(CleParts {
        commune,
        voie: voie_ok.then(|| upper(voie)),
        numero: numero.trim_start_matches('0'),
    }))
}

/// The first `@c:`/`@v:`/`@a:` token (case-insensitive), up to the next blank.
fn uid_token(v: &str, tag: char) -> Option<&str> {
    let bytes = v.as_bytes();
    let mut i = 0;
    while i + 3 < bytes.len() + 1 {
        if bytes[i] == b'@'
            && bytes.get(i + 1).is_some_and(|b| b.eq_ignore_ascii_case(&(tag as u8)))
            && bytes.get(i + 2) == Some(&b':')
        {
            let rest = &v[i + 3..];
            let end = rest.find(is_regex_space).unwrap_or(rest.len());
            if end > 0 {
                return Some(&rest[..end]);
            }
        }
        i += 1;
    }
    None
}

/// JavaScript's `\s`.
fn is_regex_space(c: char) -> bool {
    is_js_whitespace(c)
}

fn parse_uid_adresse<'a>(v: &'a str, f: &mut Findings) -> Option<Value<'a>> {
    let ids = UidIds { commune: uid_token(v, 'c'), toponyme: uid_token(v, 'v'), adresse: uid_token(v, 'a') };
    let bad =
        [ids.commune, ids.toponyme, ids.adresse].into_iter().flatten().any(|id| BanId::parse(id).is_err());
    if bad {
        f.push("type_invalide");
        return None;
    }
    Some(Value::Uid(ids))
}

fn parse_street_name<'a>(v: &'a str, f: &mut Findings) -> Option<Value<'a>> {
    let length = js_length(v);
    if length < 3 {
        f.push("trop_court");
        return None;
    }
    if length > 200 {
        f.push("trop_long");
        return None;
    }
    if v.contains('\u{fffd}') {
        f.push("caractere_invalide");
        return None;
    }
    let mut name = Cow::Borrowed(v);
    if v.contains('_') {
        f.push("contient_tiret_bas");
        name = Cow::Owned(v.replace('_', " "));
    }
    if !changes_case(&name, Case::Upper) {
        f.push("casse_incorrecte");
    }
    Some(Value::Text(name))
}

fn parse_numero(v: &str, f: &mut Findings) -> Option<Value<'static>> {
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        f.push("type_invalide");
        return None;
    }
    let significant = v.trim_start_matches('0');
    let n: u32 = if significant.is_empty() {
        0
    } else if significant.len() > 5 {
        f.push("trop_grand");
        return None;
    } else {
        significant.parse().unwrap_or(u32::MAX)
    };
    if n > 99_999 {
        f.push("trop_grand");
        return None;
    }
    if n == 0 {
        f.push("not_to_be_zero");
    }
    if v.starts_with('0') && n != 0 {
        f.push("contient_prefixe");
    }
    Some(Value::Numero(n))
}

const ACCENTED: &str = "àáâãäåæçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ";

fn parse_suffixe<'a>(v: &'a str, f: &mut Findings) -> Option<Value<'a>> {
    if !v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
        f.push("debut_invalide");
        return None;
    }
    if js_length(v) > 9 {
        f.push("trop_long");
        return None;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || is_regex_space(c) || ACCENTED.contains(c);
    if !v.chars().all(allowed) {
        f.push("caractere_invalide");
    }
    Some(Value::Text(Cow::Borrowed(v)))
}

/// The comparison form of a position type: accents removed, runs of anything but ASCII
/// letters, digits and `_` turned into one space, trimmed, lower-cased.
fn position_key(v: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = if v.is_ascii() { v.to_owned() } else { v.nfc().collect() };
    let plain = ban_domain::deburr(&nfc);
    let mut key = String::with_capacity(plain.len());
    let mut gap = false;
    for c in plain.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if gap && !key.is_empty() {
                key.push(' ');
            }
            gap = false;
            key.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    key
}

fn parse_position(v: &str, f: &mut Findings) -> Option<Value<'static>> {
    use unicode_normalization::UnicodeNormalization;
    if let Some(p) = PositionType::from_canonical(v) {
        return Some(Value::Position(p));
    }
    let key = position_key(v);
    match PositionType::ALL.into_iter().find(|p| position_key(p.as_str()) == key) {
        Some(p) => {
            let nfc: String = v.nfc().collect();
            if p.as_str() != nfc {
                f.push("enum_fuzzy");
            }
            Some(Value::Position(p))
        }
        None => {
            f.push("valeur_invalide");
            None
        }
    }
}

/// Matches `^-?(0|[1-9]\d*)(S\d+)?\d?$` where S is the decimal separator.
fn is_plain_decimal(v: &str, separator: u8) -> bool {
    let b = v.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let leading_zero = match b.get(i) {
        Some(b'0') => {
            i += 1;
            true
        }
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            false
        }
        _ => return false,
    };
    let rest = &b[i..];
    match rest.first() {
        None => true,
        Some(&c) if c == separator => rest.len() > 1 && rest[1..].iter().all(u8::is_ascii_digit),
        // After a single 0, one more digit is let through.
        Some(c) if c.is_ascii_digit() => leading_zero && rest.len() == 1,
        _ => false,
    }
}

fn parse_number(v: &str, f: &mut Findings) -> Option<Value<'static>> {
    if is_plain_decimal(v, b'.') {
        return v.parse().ok().map(Value::Number);
    }
    if is_plain_decimal(v, b',') {
        f.push("separateur_decimal_invalide");
        return v.replacen(',', ".", 1).parse().ok().map(Value::Number);
    }
    f.push("valeur_invalide");
    None
}

fn parse_parcelles(v: &str, f: &mut Findings) -> Option<Value<'static>> {
    let inner = v.trim_matches('|');
    if inner.len() != v.len() {
        f.push("pipe_debut_fin");
    }
    if inner.is_empty() {
        f.push("valeur_invalide");
        return None;
    }
    // 14 characters, or 15 in the DGFiP form (with an extra third character).
    if inner.split('|').any(|p| !matches!(js_length(p), 14 | 15)) {
        f.push("valeur_invalide");
        return None;
    }
    Some(Value::Parcelles(inner.split('|').count()))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// `YYYY-MM-DD` and a real calendar date; before 2010 is old, after today is dropped.
fn parse_date<'a>(v: &'a str, today: (i32, u32, u32), f: &mut Findings) -> Option<Value<'a>> {
    let b = v.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let parsed = shape
        .then(|| {
            let year: i32 = v[..4].parse().ok()?;
            let month: u32 = v[5..7].parse().ok()?;
            let day: u32 = v[8..].parse().ok()?;
            ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
                .then_some((year, month, day))
        })
        .flatten();
    let Some(date) = parsed else {
        f.push("date_invalide");
        return None;
    };
    if date < (2010, 1, 1) {
        f.push("date_ancienne");
    }
    if date > today {
        f.push("date_future");
        return None;
    }
    Some(Value::Text(Cow::Borrowed(v)))
}

/// Today's date (UTC) as (year, month, day).
pub fn today_utc() -> (i32, u32, u32) {
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    civil_from_days((secs / 86_400) as i64)
}

/// Proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(field: Field, raw: &str) -> (Option<Value<'_>>, Vec<&'static str>) {
        let r = read_value(field, raw, false, Cog::get(), (2026, 11, 24));
        (r.value, r.findings.iter().collect())
    }

    #[test]
    fn decimals_follow_the_reference_grammar() {
        for ok in ["0", "-0", "12", "1.5", "-7.25", "05", "00", "0.55"] {
            assert!(is_plain_decimal(ok, b'.'), "{ok}");
        }
        for bad in ["012", ".5", "1.", "+1", "1e5", "-07.5", "", "-", "1.5.2"] {
            assert!(!is_plain_decimal(bad, b'.'), "{bad}");
        }
        assert_eq!(
            findings(Field::X, "1,5"),
            (Some(Value::Number(1.5)), vec!["separateur_decimal_invalide"])
        );
    }

    #[test]
    fn numero_rules() {
        assert_eq!(findings(Field::Numero, "12"), (Some(Value::Numero(12)), vec![]));
        assert_eq!(findings(Field::Numero, "012").1, vec!["contient_prefixe"]);
        assert_eq!(findings(Field::Numero, "000").1, vec!["not_to_be_zero"]);
        assert_eq!(findings(Field::Numero, "100000"), (None, vec!["trop_grand"]));
        assert_eq!(findings(Field::Numero, "12b"), (None, vec!["type_invalide"]));
        assert_eq!(findings(Field::Numero, " 3 ").1, vec!["espaces_debut_fin"]);
        assert_eq!(findings(Field::Numero, "").1, vec!["valeur_manquante"]);
    }

    #[test]
    fn cle_interop_rules() {
        let (v, f) = findings(Field::CleInterop, "31591_xxxx_00009");
        assert_eq!(f, vec!["voie_non_renseignee"]);
        assert!(matches!(v, Some(Value::Cle(CleParts { numero: "9", voie: None, .. }))));
        assert_eq!(
            findings(Field::CleInterop, "31591_A1B2_9_bis").1,
            vec!["casse_invalide", "numero_prefixe_manquant"]
        );
        assert_eq!(findings(Field::CleInterop, "31591__00009").1, vec!["structure_invalide"]);
        assert_eq!(findings(Field::CleInterop, "99999_abcd_00001").1, vec!["commune_invalide"]);
    }

    #[test]
    fn positions_and_suffixes() {
        assert_eq!(findings(Field::Position, "entrée").1, Vec::<&str>::new());
        assert_eq!(findings(Field::Position, "Entree").1, vec!["enum_fuzzy"]);
        assert_eq!(findings(Field::Position, "cage d'escalier").1, vec!["enum_fuzzy"]);
        assert_eq!(findings(Field::Position, "porte").1, vec!["valeur_invalide"]);
        assert_eq!(findings(Field::Suffixe, "bis").1, Vec::<&str>::new());
        assert_eq!(findings(Field::Suffixe, "A-B").1, vec!["caractere_invalide"]);
        assert_eq!(findings(Field::Suffixe, "-a").1, vec!["debut_invalide"]);
    }

    #[test]
    fn dates() {
        assert_eq!(findings(Field::DateDerMaj, "2024-02-29").1, Vec::<&str>::new());
        assert_eq!(findings(Field::DateDerMaj, "2023-02-29").1, vec!["date_invalide"]);
        assert_eq!(findings(Field::DateDerMaj, "2009-12-31").1, vec!["date_ancienne"]);
        assert_eq!(findings(Field::DateDerMaj, "2099-01-01"), (None, vec!["date_future"]));
        assert_eq!(findings(Field::DateDerMaj, "24/02/2024").1, vec!["date_invalide"]);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_416), (2025, 11, 24));
    }

    #[test]
    fn parcels() {
        assert_eq!(
            findings(Field::CadParcelles, "|12345000AA0001|123450000AA0002"),
            (Some(Value::Parcelles(2)), vec!["pipe_debut_fin"])
        );
        assert_eq!(findings(Field::CadParcelles, "12345").1, vec!["valeur_invalide"]);
    }
}
