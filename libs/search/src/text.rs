//! addok's text pipeline, as the French national address API runs it (addok 1.3.2 with
//! addok-france 1.2.0 and addok-fr 1.1.0, production `addok.conf`), ported without regexes.
//!
//! * Queries: addok folds the raw query first (`Search.query = ascii(query.strip())`), then
//!   runs the query processors `extract_address`, `clean_query`, `remove_leading_zeros` on
//!   that folded string ([`preprocess_query`]), then the token processors ([`query_tokens`]).
//! * Documents: each field value goes through the token processors only
//!   ([`document_tokens`]); a house number's index key is its tokens joined
//!   ([`housenumber_key`]).
//! * Token processors: `tokenize` (runs of `\w`), `normalize` (lower-case + unidecode),
//!   `glue_ordinal`, `fold_ordinal`, `flag_housenumber`, `synonymize` (addok-fr synonyms,
//!   `data/geocoder/synonyms.tsv`), `phonemicize` (addok-fr's 38 ordered rules).
//! * Scoring strings: addok compares [`fold`]`(raw query)` with [`fold`]`(label)`: the query
//!   processors play no part there.
//!
//! unidecode: Python `unidecode` 1.4.0 is reproduced exactly for U+0080–U+036F (Latin-1,
//! Latin Extended-A/B, IPA, spacing modifiers, combining marks), U+1E00–U+1EFF, U+2000–U+218F
//! (punctuation, super/subscripts, currency, letterlike, number forms), U+2460–U+24FF and
//! U+FF00–U+FF64 (full-width ASCII): the compatibility decomposition (NFKD) restricted to
//! ASCII, plus the exceptions of `TRANSLIT`. Any other character also gets the NFKD-to-ASCII
//! treatment, which drops what has no ASCII decomposition: Greek, Cyrillic, CJK and other
//! scripts that unidecode transliterates are dropped here (`"Αθήνα"` → `""`, unidecode `"Athena"`).
//! Word characters are Rust's `char::is_alphanumeric` or `_`, Python's `\w` (`str.isalnum`
//! or `_`) for every Latin character; they differ only on a few combining marks of other
//! scripts.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

/// One processed token of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub housenumber: bool,
}

/// The whole query pipeline: query processors, then token processors.
pub fn query_tokens(query: &str) -> Vec<Token> {
    let processed = preprocess_query(query);
    let mut tokens = Vec::new();
    for word in processed.split(|c: char| !is_word_byte(c as u32)).filter(|w| !w.is_empty()) {
        // `normalize` on an already folded string: only ASCII lower-casing can change it.
        tokens.push(Tok { text: word.to_ascii_lowercase(), first: tokens.is_empty(), housenumber: false });
    }
    let mut tokens = glue_ordinal(tokens);
    fold_ordinals(&mut tokens);
    flag_housenumber(&mut tokens);
    let mut out = Vec::with_capacity(tokens.len() + 2);
    let mut scratch = Scratch::default();
    for tok in &tokens {
        synonymize_phonemicize(&tok.text, &mut scratch, |text| {
            out.push(Token { text, housenumber: tok.housenumber });
        });
    }
    out
}

/// The query processors only (extract_address, clean_query, remove_leading_zeros), applied as
/// addok applies them: to the folded query ([`fold`]). This is the string addok tokenizes; it
/// scores labels against `fold(query)`, not against this string.
pub fn preprocess_query(query: &str) -> String {
    let folded = fold(query);
    let extracted = extract_address(&folded);
    let cleaned = clean_query(extracted);
    remove_leading_zeros(&cleaned)
}

/// The token pipeline applied to a document field value (no housenumber flagging).
pub fn document_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut scratch = Scratch::default();
    for tok in document_pipeline(text) {
        synonymize_phonemicize(&tok.text, &mut scratch, |text| out.push(text));
    }
    out
}

/// The index key of a house number of a document (`"3bis"` → `"3b"`, `"1"` → `"un"` …), equal
/// to the joined housenumber tokens of a query naming that number.
pub fn housenumber_key(raw: &str) -> String {
    // Fast path, most numbers: digits only, one token that only synonyms can change
    // (phonemicize leaves digits alone).
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return match TABLES.synonyms.get(raw) {
            Some(words) => words.concat(),
            None => raw.to_owned(),
        };
    }
    let mut out = String::with_capacity(raw.len() + 4);
    let mut scratch = Scratch::default();
    for tok in document_pipeline(raw) {
        synonymize_phonemicize(&tok.text, &mut scratch, |text| out.push_str(&text));
    }
    out
}

/// addok's light folding for string scores: lower-case, unidecode, non-word → space, collapsed
/// spaces (`addok.helpers.text.ascii`).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut push = |b: u8, out: &mut String| {
        if is_word_byte(u32::from(b)) {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(char::from(b));
        } else {
            pending_space = true;
        }
    };
    for c in text.chars() {
        if c.is_ascii() {
            push(c.to_ascii_lowercase() as u8, &mut out);
        } else {
            for lower in c.to_lowercase() {
                unidecode_char(lower, |b| push(b, &mut out));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tokens.

/// A token between the processors: `first` is addok's `is_first` (it comes from the first word
/// of the string), `housenumber` its `kind == "housenumber"`.
#[derive(Debug)]
struct Tok {
    text: String,
    first: bool,
    housenumber: bool,
}

/// Python's `\w` on an ASCII string: `[A-Za-z0-9_]`.
fn is_word_byte(b: u32) -> bool {
    b < 128 && ((b as u8).is_ascii_alphanumeric() || b == u32::from(b'_'))
}

/// Python's `\w` on any character (`str.isalnum()` or `_`).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `tokenize`, `normalize`, `glue_ordinal`, `fold_ordinal` on a document value.
fn document_pipeline(text: &str) -> Vec<Tok> {
    let mut tokens: Vec<Tok> = Vec::new();
    let mut current: Option<String> = None;
    for c in text.chars() {
        if is_word_char(c) {
            let buf = current.get_or_insert_with(String::new);
            if c.is_ascii() {
                buf.push(c.to_ascii_lowercase());
            } else {
                for lower in c.to_lowercase() {
                    unidecode_char(lower, |b| buf.push(char::from(b)));
                }
            }
        } else if let Some(word) = current.take() {
            tokens.push(Tok { text: word, first: tokens.is_empty(), housenumber: false });
        }
    }
    if let Some(word) = current.take() {
        tokens.push(Tok { text: word, first: tokens.is_empty(), housenumber: false });
    }
    let mut tokens = glue_ordinal(tokens);
    fold_ordinals(&mut tokens);
    tokens
}

/// Python `str.isdigit()` on our ASCII tokens.
fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `addok_france.glue_ordinal`: `3 bis rue` → `3bis rue`. A number (≤ 4 digits, not last) is
/// held back; if the next token is an ordinal that ends the string or precedes a street type,
/// both are glued, else the number is given back. As in addok, a held number followed by
/// another number that is held in turn is lost (`12 34 rue` → `34 rue`).
fn glue_ordinal(tokens: Vec<Tok>) -> Vec<Tok> {
    let n = tokens.len();
    // Python's `next_` is falsy when missing or empty.
    let has_next: Vec<bool> = (0..n).map(|i| tokens.get(i + 1).is_some_and(|t| !t.text.is_empty())).collect();
    let next_is_type: Vec<bool> =
        (0..n).map(|i| tokens.get(i + 1).is_some_and(|t| types_match(&t.text))).collect();
    let mut out = Vec::with_capacity(n);
    let mut previous: Option<Tok> = None;
    for (i, mut token) in tokens.into_iter().enumerate() {
        if has_next[i] && is_digits(&token.text) && token.text.len() < 5 {
            previous = Some(token);
            continue;
        }
        if let Some(mut prev) = previous.take() {
            if ordinal_match(&token.text) && (!has_next[i] || next_is_type[i]) {
                prev.text.push_str(&token.text);
                token = prev;
            } else {
                out.push(prev);
            }
        }
        out.push(token);
    }
    out
}

/// `addok_france.fold_ordinal`: `6bis` → `6b`, `3ter` → `3t`, `12quinquies` → `12c`.
fn fold_ordinals(tokens: &mut [Tok]) {
    for tok in tokens {
        let bytes = tok.text.as_bytes();
        if bytes.first().is_none_or(|b| !b.is_ascii_digit()) || is_digits(&tok.text) {
            continue;
        }
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 4 {
            continue;
        }
        // `^(\d{1,4})(bis|ter|quater|quinquies|sexies|[a-z])$`: a single letter stays as it is.
        let ordinal = &bytes[digits..];
        let Some(index) = ORDINALS.iter().position(|o| ordinal.eq_ignore_ascii_case(o.as_bytes())) else {
            continue;
        };
        tok.text.truncate(digits);
        tok.text.push_str(["b", "t", "q", "c", "s"][index]);
    }
}

/// `addok_france.flag_housenumber`: the first token matching `\d{1,4}[a-z]?` that is the first
/// word or precedes a street type.
fn flag_housenumber(tokens: &mut [Tok]) {
    for i in 0..tokens.len() {
        let next_is_type = tokens.get(i + 1).is_some_and(|t| !t.text.is_empty() && types_match(&t.text));
        let tok = &mut tokens[i];
        if (tok.first || next_is_type) && number_match(&tok.text) {
            tok.housenumber = true;
            return;
        }
    }
}

/// `synonymize` then `phonemicize`, handing each resulting word to `emit`.
fn synonymize_phonemicize(token: &str, scratch: &mut Scratch, mut emit: impl FnMut(String)) {
    if let Some(words) = TABLES.synonyms.get(token) {
        for word in words {
            emit(word.clone());
        }
        return;
    }
    // Python's `str.split()`: a token can only hold spaces through unidecode (`¼` → ` 1/4`).
    if token.bytes().any(|b| b.is_ascii_whitespace()) {
        for word in token.split_ascii_whitespace() {
            emit(phonemicize(word, scratch));
        }
    } else if !token.is_empty() {
        emit(phonemicize(token, scratch));
    }
}

// ---------------------------------------------------------------------------------------------
// Patterns of addok-france, on ASCII.

/// The ASCII words of addok-france's 67 `TYPES` regexes (`TYPES_REGEX`), expanded: 151
/// strings, sorted (the accented variants cannot occur after folding).
const TYPES: &[&str] = &[
    "aer",
    "aerodrome",
    "all",
    "allee",
    "allees",
    "anc",
    "ancien",
    "ancienne",
    "av",
    "avenue",
    "bcle",
    "bd",
    "ber",
    "berge",
    "berges",
    "bld",
    "blvd",
    "bois",
    "boucle",
    "boulevard",
    "bvd",
    "car",
    "carefour",
    "carr",
    "carrefour",
    "centre",
    "ch",
    "champ",
    "chaussee",
    "che",
    "chem",
    "chemin",
    "chm",
    "chmin",
    "chp",
    "cite",
    "clos",
    "cote",
    "cour",
    "cours",
    "cr",
    "crs",
    "ctre",
    "desserte",
    "devi",
    "deviation",
    "dig",
    "digue",
    "dom",
    "domaine",
    "embr",
    "embranchement",
    "esp",
    "espanade",
    "espl",
    "esplanade",
    "etang",
    "etng",
    "faubourg",
    "fbg",
    "fbourg",
    "fg",
    "giratoire",
    "gr",
    "grand",
    "grande",
    "gre",
    "gres",
    "grs",
    "ham",
    "hameau",
    "ilot",
    "imp",
    "impasse",
    "jard",
    "jardin",
    "jetee",
    "jtee",
    "lot",
    "lotissement",
    "mont",
    "montee",
    "p",
    "parc",
    "parvis",
    "pas",
    "pass",
    "passage",
    "passe",
    "passerelle",
    "pl",
    "place",
    "placette",
    "ple",
    "plle",
    "porte",
    "pre",
    "prm",
    "prmenade",
    "prom",
    "promenade",
    "prv",
    "prvs",
    "pte",
    "ptte",
    "pvr",
    "q",
    "qai",
    "qrt",
    "qrtier",
    "qu",
    "qua",
    "quai",
    "quart",
    "quartier",
    "r",
    "rdpt",
    "res",
    "residence",
    "rle",
    "rlle",
    "rocade",
    "rond point",
    "rond-point",
    "route",
    "rpt",
    "rte",
    "rue",
    "ruelle",
    "sente",
    "sentier",
    "sq",
    "sqare",
    "squ",
    "square",
    "taillis",
    "terrasse",
    "trav",
    "traverse",
    "tsse",
    "tun",
    "tunel",
    "tunn",
    "tunnel",
    "via",
    "viad",
    "viaduc",
    "villa",
    "vla",
    "vlla",
    "voie",
];
const MAX_TYPE_LEN: usize = 13;

/// Whether `s` (ASCII, any case) is one of the street types.
fn is_type(s: &[u8]) -> bool {
    if s.is_empty() || s.len() > MAX_TYPE_LEN {
        return false;
    }
    let mut buf = [0u8; MAX_TYPE_LEN];
    let lower = &mut buf[..s.len()];
    lower.copy_from_slice(s);
    lower.make_ascii_lowercase();
    TYPES.binary_search_by(|t| t.as_bytes().cmp(lower)).is_ok()
}

/// `TYPES_PATTERN.match(token)`: `\b(TYPES)\b` at the start of the token.
fn types_match(token: &str) -> bool {
    let b = token.as_bytes();
    (0..=b.len().min(MAX_TYPE_LEN))
        .filter(|&k| k == b.len() || !is_word_byte(u32::from(b[k])))
        .any(|k| is_type(&b[..k]))
}

const ORDINALS: [&str; 5] = ["bis", "ter", "quater", "quinquies", "sexies"];

/// `ORDINAL_PATTERN.match(token)`: `\b(bis|ter|quater|quinquies|sexies|[a-z])\b`, ignoring case.
fn ordinal_match(token: &str) -> bool {
    let b = token.as_bytes();
    let boundary_at = |k: usize| k == b.len() || !is_word_byte(u32::from(b[k]));
    if b.first().is_some_and(|c| c.is_ascii_alphabetic()) && boundary_at(1) {
        return true;
    }
    ORDINALS.iter().any(|o| {
        b.len() >= o.len() && b[..o.len()].eq_ignore_ascii_case(o.as_bytes()) && boundary_at(o.len())
    })
}

/// `NUMBER_PATTERN.match(token)`: `\b\d{1,4}[a-z]?\b`, ignoring case.
fn number_match(token: &str) -> bool {
    let b = token.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 4 {
        return false;
    }
    let boundary_at = |k: usize| k == b.len() || !is_word_byte(u32::from(b[k]));
    boundary_at(digits) || (b[digits].is_ascii_alphabetic() && boundary_at(digits + 1))
}

/// `addok_france.extract_address`: from the first `<1–4 digits>[ ordinal][,] <type> ` on,
/// `(\b\d{1,4}( *(ORDINAL))?,? +(TYPES) .*(\d{5})?).*`, searched ignoring case.
fn extract_address(q: &str) -> &str {
    let b = q.as_bytes();
    for p in 0..b.len() {
        if !b[p].is_ascii_digit() || (p > 0 && is_word_byte(u32::from(b[p - 1]))) {
            continue;
        }
        let digits_end = p + b[p..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits_end - p > 4 {
            continue;
        }
        // Where the optional ` *(ORDINAL)` group may end.
        let mut ends = [digits_end; 7];
        let mut count = 1;
        let ord_start = digits_end + b[digits_end..].iter().take_while(|&&c| c == b' ').count();
        let rest = &b[ord_start..];
        for o in ORDINALS {
            if rest.len() >= o.len() && rest[..o.len()].eq_ignore_ascii_case(o.as_bytes()) {
                ends[count] = ord_start + o.len();
                count += 1;
            }
        }
        if rest.first().is_some_and(|c| c.is_ascii_alphabetic()) {
            ends[count] = ord_start + 1;
            count += 1;
        }
        if ends[..count].iter().any(|&e| type_follows(b, e)) {
            return &q[p..];
        }
    }
    q
}

/// `,? +(TYPES) ` at `at`.
fn type_follows(b: &[u8], mut at: usize) -> bool {
    if b.get(at) == Some(&b',') {
        at += 1;
    }
    let spaces = b[at.min(b.len())..].iter().take_while(|&&c| c == b' ').count();
    if spaces == 0 {
        return false;
    }
    let start = at + spaces;
    let limit = (start + MAX_TYPE_LEN + 1).min(b.len());
    (start + 1..limit).any(|k| b[k] == b' ' && is_type(&b[start..k]))
}

fn starts_with_ci(b: &[u8], at: usize, needle: &str) -> bool {
    b.len() >= at + needle.len() && b[at..at + needle.len()].eq_ignore_ascii_case(needle.as_bytes())
}

fn count_digits(b: &[u8], at: usize) -> usize {
    b[at.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Applies one regex-like substitution over `s`: `rule(bytes, i, out)` returns how many bytes
/// it matched at `i` (after writing the replacement) or 0.
fn substitute(s: &str, mut rule: impl FnMut(&[u8], usize, &mut Vec<u8>) -> usize) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len() + 8);
    let mut i = 0;
    while i < b.len() {
        let n = rule(b, i, &mut out);
        if n == 0 {
            out.push(b[i]);
            i += 1;
        } else {
            i += n;
        }
    }
    // The rules only cut or insert ASCII at ASCII positions.
    String::from_utf8(out).unwrap_or_default()
}

/// `addok_france.clean_query` (its nine substitutions, then `strip`).
fn clean_query(q: &str) -> String {
    // `([\d]{5})` → ` \1 `
    let q = substitute(q, |b, i, out| {
        if count_digits(b, i) >= 5 {
            out.push(b' ');
            out.extend_from_slice(&b[i..i + 5]);
            out.push(b' ');
            5
        } else {
            0
        }
    });
    // `(^| )(b\.?p\.?|cs|tsa|cidex) *(n(o|°|) *|)[\d]+ *` → `\1` (`°` cannot occur once folded)
    let q = substitute(&q, |b, i, out| {
        let (lead, mut j) = if i == 0 && b[0] != b' ' {
            (false, 0)
        } else if b[i] == b' ' {
            (true, i + 1)
        } else {
            return 0;
        };
        if starts_with_ci(b, j, "b") {
            j += 1;
            if b.get(j) == Some(&b'.') {
                j += 1;
            }
            if !starts_with_ci(b, j, "p") {
                return 0;
            }
            j += 1;
            if b.get(j) == Some(&b'.') {
                j += 1;
            }
        } else if let Some(word) = ["cs", "tsa", "cidex"].iter().find(|w| starts_with_ci(b, j, w)) {
            j += word.len();
        } else {
            return 0;
        }
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        if starts_with_ci(b, j, "n") {
            let mut k = j + 1;
            if starts_with_ci(b, k, "o") {
                k += 1;
            }
            while b.get(k) == Some(&b' ') {
                k += 1;
            }
            if count_digits(b, k) == 0 {
                return 0;
            }
            j = k;
        }
        let digits = count_digits(b, j);
        if digits == 0 {
            return 0;
        }
        j += digits;
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        if lead {
            out.push(b' ');
        }
        j - i
    });
    // `([\d]{2})[\d]{3}(.*)c(e|é)dex ?[\d]*` → `\1\2`
    let q = substitute(&q, |b, i, out| {
        if count_digits(b, i) < 5 {
            return 0;
        }
        let Some(cedex) = (i + 5..b.len()).rev().find(|&k| starts_with_ci(b, k, "cedex")) else {
            return 0;
        };
        let mut end = cedex + 5;
        if b.get(end) == Some(&b' ') {
            end += 1;
        }
        end += count_digits(b, end);
        out.extend_from_slice(&b[i..i + 2]);
        out.extend_from_slice(&b[i + 5..cedex]);
        end - i
    });
    // `c(e|é)dex ?[\d]*` → ``
    let q = substitute(&q, |b, i, _| {
        if !starts_with_ci(b, i, "cedex") {
            return 0;
        }
        let mut end = i + 5;
        if b.get(end) == Some(&b' ') {
            end += 1;
        }
        end + count_digits(b, end) - i
    });
    // `\d{,2}(e|[eè]me) ([eé]tage)` → ``
    let q = substitute(&q, |b, i, _| {
        let digits = count_digits(b, i);
        if digits > 2 {
            return 0;
        }
        let j = i + digits;
        if starts_with_ci(b, j, "e etage") {
            j + 7 - i
        } else if starts_with_ci(b, j, "eme etage") {
            j + 9 - i
        } else {
            0
        }
    });
    // ` {2,}` → ` `
    let q = substitute(&q, |b, i, out| {
        let spaces = b[i..].iter().take_while(|&&c| c == b' ').count();
        if spaces >= 2 {
            out.push(b' ');
            spaces
        } else {
            0
        }
    });
    // `[ -]s/[ -]` → ` sur `, `[ -]s/s[ -]` → ` sous ` (no `/` once folded; kept for fidelity)
    let q = substitute(&q, |b, i, out| {
        let sep = |k: usize| matches!(b.get(k), Some(b' ' | b'-'));
        if sep(i) && starts_with_ci(b, i + 1, "s/") && sep(i + 3) {
            out.extend_from_slice(b" sur ");
            4
        } else {
            0
        }
    });
    let mut q = substitute(&q, |b, i, out| {
        let sep = |k: usize| matches!(b.get(k), Some(b' ' | b'-'));
        if sep(i) && starts_with_ci(b, i + 1, "s/s") && sep(i + 4) {
            out.extend_from_slice(b" sous ");
            5
        } else {
            0
        }
    });
    // `^lieux?[ -]?dits?\b(?=.)` → ``
    if let Some(end) = lieu_dit_prefix(q.as_bytes()) {
        q.replace_range(..end, "");
    }
    q.trim().to_owned()
}

fn lieu_dit_prefix(b: &[u8]) -> Option<usize> {
    if !starts_with_ci(b, 0, "lieu") {
        return None;
    }
    let mut j = 4;
    if starts_with_ci(b, j, "x") {
        j += 1;
    }
    if matches!(b.get(j), Some(b' ' | b'-')) {
        j += 1;
    }
    if !starts_with_ci(b, j, "dit") {
        return None;
    }
    j += 3;
    if starts_with_ci(b, j, "s") {
        j += 1;
    }
    // `\b(?=.)`: a non-word character (not a newline) must follow.
    match b.get(j) {
        Some(&c) if !is_word_byte(u32::from(c)) && c != b'\n' => Some(j),
        _ => None,
    }
}

/// `addok_france.remove_leading_zeros`: `\b0+(\d{1,3})\b` → `\1` (`0012` → `12`, `000` → `0`,
/// `01234` untouched).
fn remove_leading_zeros(q: &str) -> String {
    substitute(q, |b, i, out| {
        if b[i] != b'0' || (i > 0 && is_word_byte(u32::from(b[i - 1]))) {
            return 0;
        }
        let run = count_digits(b, i);
        if run < 2 || b.get(i + run).is_some_and(|&c| is_word_byte(u32::from(c))) {
            return 0;
        }
        let zeros = b[i..i + run].iter().take_while(|&&c| c == b'0').count();
        let keep = if zeros == run { 1 } else { run - zeros };
        if keep > 3 {
            return 0;
        }
        out.extend_from_slice(&b[i + run - keep..i + run]);
        run
    })
}

// ---------------------------------------------------------------------------------------------
// Synonyms.

#[derive(Debug)]
struct Tables {
    /// addok-fr synonyms: token → replacement words, already phonemicized.
    synonyms: FxHashMap<&'static str, Vec<String>>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let raw = include_str!("../../../data/geocoder/synonyms.tsv");
    let mut synonyms = FxHashMap::default();
    let mut scratch = Scratch::default();
    for line in raw.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (key, words) = line.split_once('\t').expect("synonyms.tsv: every line is key<TAB>words");
        let words = words.split_ascii_whitespace().map(|w| phonemicize(w, &mut scratch)).collect();
        synonyms.insert(key, words);
    }
    Tables { synonyms }
});

// ---------------------------------------------------------------------------------------------
// Phonemicize: addok-fr's `RULES`, in order, each a global substitution over the word whose
// look-behinds see the word as it was before that rule.

/// Reusable buffers for [`phonemicize`].
#[derive(Debug, Default)]
struct Scratch {
    a: Vec<u8>,
    b: Vec<u8>,
}

/// A rule: the lower-case letters any match needs (bit `c - b'a'`), and the matcher, which
/// returns the length matched at `i` after writing the replacement, or 0.
type Rule = (u32, fn(&[u8], usize, &mut Vec<u8>) -> usize);

const fn letters(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut mask = 0;
    let mut i = 0;
    while i < b.len() {
        mask |= 1 << (b[i] - b'a');
        i += 1;
    }
    mask
}

fn letter_mask(s: &[u8]) -> u32 {
    s.iter().filter(|c| c.is_ascii_lowercase()).fold(0, |m, c| m | 1 << (c - b'a'))
}

fn at(s: &[u8], i: usize) -> Option<u8> {
    s.get(i).copied()
}
fn before(s: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).map(|k| s[k])
}
fn vowel_y(c: Option<u8>) -> bool {
    matches!(c, Some(b'a' | b'e' | b'i' | b'o' | b'u' | b'y'))
}
fn digit(c: Option<u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_digit())
}
fn lower(c: Option<u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_lowercase())
}
fn word(c: Option<u8>) -> bool {
    c.is_some_and(|c| is_word_byte(u32::from(c)))
}
fn is(s: &[u8], i: usize, lit: &[u8]) -> bool {
    s.len() >= i + lit.len() && &s[i..i + lit.len()] == lit
}
fn put(out: &mut Vec<u8>, lit: &[u8], n: usize) -> usize {
    out.extend_from_slice(lit);
    n
}

const RULES: [Rule; 38] = [
    // (?<=a)(mp|nd|nt)s?$ → n  (champ(s) > cham)
    (letters("a"), |s, i, o| {
        if before(s, i) != Some(b'a') || !(is(s, i, b"mp") || is(s, i, b"nd") || is(s, i, b"nt")) {
            0
        } else if i + 2 == s.len() {
            put(o, b"n", 2)
        } else if i + 3 == s.len() && s[i + 2] == b's' {
            put(o, b"n", 3)
        } else {
            0
        }
    }),
    // ([aeiouy])mp(?=[^aeiouyr]) → \1n  (champvallon -> chanvalon)
    (letters("mp"), |s, i, o| {
        let next = at(s, i + 3);
        if vowel_y(at(s, i)) && is(s, i + 1, b"mp") && next.is_some() && !vowel_y(next) && next != Some(b'r')
        {
            put(o, &[s[i], b'n'], 3)
        } else {
            0
        }
    }),
    // ngt(?=[aeiouy]) → nt  (vingtieme > vintieme)
    (letters("ngt"), |s, i, o| if is(s, i, b"ngt") && vowel_y(at(s, i + 3)) { put(o, b"nt", 3) } else { 0 }),
    // ngt → n  (vingt > vin)
    (letters("ngt"), |s, i, o| if is(s, i, b"ngt") { put(o, b"n", 3) } else { 0 }),
    // ((?<=[^g])g|^g)(?=[eyi]) → j
    (letters("g"), |s, i, o| {
        if s[i] == b'g' && before(s, i) != Some(b'g') && matches!(at(s, i + 1), Some(b'e' | b'y' | b'i')) {
            put(o, b"j", 1)
        } else {
            0
        }
    }),
    // (?<=g)u(?=[aeio]) → ''
    (letters("gu"), |s, i, _| {
        usize::from(
            s[i] == b'u'
                && before(s, i) == Some(b'g')
                && matches!(at(s, i + 1), Some(b'a' | b'e' | b'i' | b'o')),
        )
    }),
    // (?<=ei)gn([aeiouy]) → ni\1  (seigneur -> senieur)
    (letters("eign"), |s, i, o| {
        if i >= 2 && &s[i - 2..i] == b"ei" && is(s, i, b"gn") && vowel_y(at(s, i + 2)) {
            put(o, &[b'n', b'i', s[i + 2]], 3)
        } else {
            0
        }
    }),
    // je([aeiouy]) → j\1  (georges -> jorj)
    (
        letters("je"),
        |s, i, o| if is(s, i, b"je") && vowel_y(at(s, i + 2)) { put(o, &[b'j', s[i + 2]], 3) } else { 0 },
    ),
    // c(?=[^hieyw]) → k
    (letters("c"), |s, i, o| {
        if s[i] == b'c' && at(s, i + 1).is_some_and(|c| !matches!(c, b'h' | b'i' | b'e' | b'y' | b'w')) {
            put(o, b"k", 1)
        } else {
            0
        }
    }),
    // anc$ → an  (blanc -> blan)
    (letters("anc"), |s, i, o| if i + 3 == s.len() && is(s, i, b"anc") { put(o, b"an", 3) } else { 0 }),
    // ((?<=[^s])ch|(?<=[^0-9])c)$ → k  (final "c", "ch", but not "sch" and not 10c)
    (letters("c"), |s, i, o| {
        if s[i] != b'c' || i == 0 {
            0
        } else if s[i - 1] != b's' && at(s, i + 1) == Some(b'h') && i + 2 == s.len() {
            put(o, b"k", 2)
        } else if !s[i - 1].is_ascii_digit() && i + 1 == s.len() {
            put(o, b"k", 1)
        } else {
            0
        }
    }),
    // (?<=[aeiouy])s(?=[aeiouy]) → z
    (letters("s"), |s, i, o| {
        if s[i] == b's' && vowel_y(before(s, i)) && vowel_y(at(s, i + 1)) {
            put(o, b"z", 1)
        } else {
            0
        }
    }),
    // ((?<=[^0-9])q|^q)u? → k
    (letters("q"), |s, i, o| {
        if s[i] != b'q' || digit(before(s, i)) {
            0
        } else if at(s, i + 1) == Some(b'u') {
            put(o, b"k", 2)
        } else {
            put(o, b"k", 1)
        }
    }),
    // cc(?=[ie]) → s
    (letters("c"), |s, i, o| {
        if is(s, i, b"cc") && matches!(at(s, i + 2), Some(b'i' | b'e')) {
            put(o, b"s", 2)
        } else {
            0
        }
    }),
    // ck → k
    (letters("ck"), |s, i, o| if is(s, i, b"ck") { put(o, b"k", 2) } else { 0 }),
    // ph → f
    (letters("ph"), |s, i, o| if is(s, i, b"ph") { put(o, b"f", 2) } else { 0 }),
    // th$ → te  (this t sounds)
    (letters("th"), |s, i, o| if i + 2 == s.len() && is(s, i, b"th") { put(o, b"te", 2) } else { 0 }),
    // (?<=[^sc0-9])h → ''
    (letters("h"), |s, i, _| {
        usize::from(s[i] == b'h' && before(s, i).is_some_and(|c| !matches!(c, b's' | b'c' | b'0'..=b'9')))
    }),
    // ^h(?=.)+ → ''
    (letters("h"), |s, i, _| usize::from(i == 0 && s[0] == b'h' && at(s, 1).is_some_and(|c| c != b'\n'))),
    // sc → s
    (letters("sc"), |s, i, o| if is(s, i, b"sc") { put(o, b"s", 2) } else { 0 }),
    // sh → ch
    (letters("sh"), |s, i, o| if is(s, i, b"sh") { put(o, b"ch", 2) } else { 0 }),
    // ((?<=[^0-9])w|^w) → v
    (letters("w"), |s, i, o| if s[i] == b'w' && !digit(before(s, i)) { put(o, b"v", 1) } else { 0 }),
    // c(?=[eiy]) → s
    (letters("c"), |s, i, o| {
        if s[i] == b'c' && matches!(at(s, i + 1), Some(b'e' | b'i' | b'y')) {
            put(o, b"s", 1)
        } else {
            0
        }
    }),
    // ((?<=[^0-9])y|^y) → i
    (letters("y"), |s, i, o| if s[i] == b'y' && !digit(before(s, i)) { put(o, b"i", 1) } else { 0 }),
    // esn → en
    (letters("esn"), |s, i, o| if is(s, i, b"esn") { put(o, b"en", 3) } else { 0 }),
    // eim( |$) → aim  (pforzheim -> pforzaim)
    (letters("eim"), |s, i, o| {
        if !is(s, i, b"eim") {
            0
        } else if at(s, i + 3) == Some(b' ') {
            put(o, b"aim", 4)
        } else if i + 3 == s.len() {
            put(o, b"aim", 3)
        } else {
            0
        }
    }),
    // (ae|ei)(?=\w) → e
    (letters("e"), |s, i, o| {
        if (is(s, i, b"ae") || is(s, i, b"ei")) && word(at(s, i + 2)) {
            put(o, b"e", 2)
        } else {
            0
        }
    }),
    // oeufs( |$) → eu
    (letters("oeufs"), |s, i, o| {
        if !is(s, i, b"oeufs") {
            0
        } else if at(s, i + 5) == Some(b' ') {
            put(o, b"eu", 6)
        } else if i + 5 == s.len() {
            put(o, b"eu", 5)
        } else {
            0
        }
    }),
    // oeu?(?=\w) → eu
    (letters("oe"), |s, i, o| {
        if !is(s, i, b"oe") {
            0
        } else if at(s, i + 2) == Some(b'u') && word(at(s, i + 3)) {
            put(o, b"eu", 3)
        } else if word(at(s, i + 2)) {
            put(o, b"eu", 2)
        } else {
            0
        }
    }),
    // (?<=[^0-9])s$ → ''
    (letters("s"), |s, i, _| {
        usize::from(s[i] == b's' && i + 1 == s.len() && before(s, i).is_some_and(|c| !c.is_ascii_digit()))
    }),
    // (?<=u)l?x$ → ''  (eaux, eux, aux, aulx)
    (letters("ux"), |s, i, _| {
        if before(s, i) != Some(b'u') {
            0
        } else if i + 2 == s.len() && is(s, i, b"lx") {
            2
        } else {
            usize::from(i + 1 == s.len() && s[i] == b'x')
        }
    }),
    // (?<=u)lt$ → t
    (letters("ult"), |s, i, o| {
        if before(s, i) == Some(b'u') && i + 2 == s.len() && is(s, i, b"lt") {
            put(o, b"t", 2)
        } else {
            0
        }
    }),
    // (?<=[a-z])[dg]$ → ''
    (0, |s, i, _| usize::from(i + 1 == s.len() && matches!(s[i], b'd' | b'g') && lower(before(s, i)))),
    // (?<=[^es0-9])t$ → ''
    (letters("t"), |s, i, _| {
        usize::from(
            s[i] == b't'
                && i + 1 == s.len()
                && before(s, i).is_some_and(|c| !matches!(c, b'e' | b's' | b'0'..=b'9')),
        )
    }),
    // (?<=[aeiou])(m)(?=[pbgft]) → n  (impossible -> inpossible)
    (letters("m"), |s, i, o| {
        if s[i] == b'm'
            && matches!(before(s, i), Some(b'a' | b'e' | b'i' | b'o' | b'u'))
            && matches!(at(s, i + 1), Some(b'p' | b'b' | b'g' | b'f' | b't'))
        {
            put(o, b"n", 1)
        } else {
            0
        }
    }),
    // (?<=[a-z]{2})(e$) → ''
    (letters("e"), |s, i, _| {
        usize::from(
            s[i] == b'e' && i + 1 == s.len() && i >= 2 && lower(Some(s[i - 1])) && lower(Some(s[i - 2])),
        )
    }),
    // (?<=[aeiouy])n[dt](?=[^aeiouyr]) → n  (montbon -> monbon)
    (letters("n"), |s, i, o| {
        let next = at(s, i + 2);
        if s[i] == b'n'
            && vowel_y(before(s, i))
            && matches!(at(s, i + 1), Some(b'd' | b't'))
            && next.is_some()
            && !vowel_y(next)
            && next != Some(b'r')
        {
            put(o, b"n", 2)
        } else {
            0
        }
    }),
    // ([a-z])\1+ → \1  (duplicate letters)
    (0, |s, i, o| {
        let c = s[i];
        let run = s[i..].iter().take_while(|&&x| x == c).count();
        if c.is_ascii_lowercase() && run >= 2 {
            put(o, &[c], run)
        } else {
            0
        }
    }),
];

/// `addok_fr.phonemicize` on one word.
fn phonemicize(word: &str, scratch: &mut Scratch) -> String {
    let bytes = word.as_bytes();
    let mut mask = letter_mask(bytes);
    // Every rule needs a lower-case letter; tokens are ASCII (see `unidecode_char`).
    if mask == 0 || !word.is_ascii() {
        return word.to_owned();
    }
    let Scratch { a: cur, b: next } = scratch;
    cur.clear();
    cur.extend_from_slice(bytes);
    for (needs, rule) in RULES {
        if mask & needs != needs {
            continue;
        }
        next.clear();
        let mut changed = false;
        let mut i = 0;
        while i < cur.len() {
            let n = rule(cur, i, next);
            if n == 0 {
                next.push(cur[i]);
                i += 1;
            } else {
                i += n;
                changed = true;
            }
        }
        if changed {
            std::mem::swap(cur, next);
            mask = letter_mask(cur);
        }
    }
    cur.iter().map(|&b| char::from(b)).collect()
}

// ---------------------------------------------------------------------------------------------
// unidecode.

/// Python `unidecode` of one character, byte by byte (always ASCII).
fn unidecode_char(c: char, mut emit: impl FnMut(u8)) {
    if c.is_ascii() {
        emit(c as u8);
        return;
    }
    let cp = c as u32;
    if let Ok(k) = TRANSLIT.binary_search_by_key(&cp, |&(code, _)| code) {
        TRANSLIT[k].1.bytes().for_each(emit);
        return;
    }
    unicode_normalization::char::decompose_compatible(c, |d| {
        if d.is_ascii() {
            emit(d as u8);
        }
    });
}

/// The characters of U+0080–U+036F, U+1E00–U+1EFF, U+2000–U+218F, U+2460–U+24FF and
/// U+FF00–U+FF64 that Python `unidecode` 1.4.0 does not render as their ASCII compatibility
/// decomposition, with what it renders them as. Sorted.
#[rustfmt::skip]
const TRANSLIT: &[(u32, &str)] = &[
    (0x00A1, "!"), (0x00A2, "C/"), (0x00A3, "PS"), (0x00A4, "$?"), (0x00A5, "Y="), (0x00A6, "|"),
    (0x00A7, "SS"), (0x00A8, "\""), (0x00A9, "(c)"), (0x00AB, "<<"), (0x00AC, "!"), (0x00AE, "(r)"),
    (0x00AF, "-"), (0x00B0, "deg"), (0x00B1, "+-"), (0x00B4, "'"), (0x00B5, "u"), (0x00B6, "P"),
    (0x00B7, "*"), (0x00B8, ","), (0x00BB, ">>"), (0x00BC, " 1/4"), (0x00BD, " 1/2"), (0x00BE, " 3/4"),
    (0x00BF, "?"), (0x00C6, "AE"), (0x00D0, "D"), (0x00D7, "x"), (0x00D8, "O"), (0x00DE, "Th"),
    (0x00DF, "ss"), (0x00E6, "ae"), (0x00F0, "d"), (0x00F7, "/"), (0x00F8, "o"), (0x00FE, "th"),
    (0x0110, "D"), (0x0111, "d"), (0x0126, "H"), (0x0127, "h"), (0x0131, "i"), (0x0138, "k"), (0x0141, "L"),
    (0x0142, "l"), (0x0149, "'n"), (0x014A, "NG"), (0x014B, "ng"), (0x0152, "OE"), (0x0153, "oe"),
    (0x0166, "T"), (0x0167, "t"), (0x0180, "b"), (0x0181, "B"), (0x0182, "B"), (0x0183, "b"), (0x0184, "6"),
    (0x0185, "6"), (0x0186, "O"), (0x0187, "C"), (0x0188, "c"), (0x0189, "D"), (0x018A, "D"), (0x018B, "D"),
    (0x018C, "d"), (0x018D, "d"), (0x018E, "3"), (0x018F, "@"), (0x0190, "E"), (0x0191, "F"), (0x0192, "f"),
    (0x0193, "G"), (0x0194, "G"), (0x0195, "hv"), (0x0196, "I"), (0x0197, "I"), (0x0198, "K"),
    (0x0199, "k"), (0x019A, "l"), (0x019B, "l"), (0x019C, "W"), (0x019D, "N"), (0x019E, "n"), (0x019F, "O"),
    (0x01A2, "OI"), (0x01A3, "oi"), (0x01A4, "P"), (0x01A5, "p"), (0x01A6, "YR"), (0x01A7, "2"),
    (0x01A8, "2"), (0x01A9, "SH"), (0x01AA, "sh"), (0x01AB, "t"), (0x01AC, "T"), (0x01AD, "t"),
    (0x01AE, "T"), (0x01B1, "Y"), (0x01B2, "V"), (0x01B3, "Y"), (0x01B4, "y"), (0x01B5, "Z"), (0x01B6, "z"),
    (0x01B7, "ZH"), (0x01B8, "ZH"), (0x01B9, "zh"), (0x01BA, "zh"), (0x01BB, "2"), (0x01BC, "5"),
    (0x01BD, "5"), (0x01BE, "ts"), (0x01BF, "w"), (0x01C0, "|"), (0x01C1, "||"), (0x01C2, "|="),
    (0x01C3, "!"), (0x01DD, "@"), (0x01E2, "AE"), (0x01E3, "ae"), (0x01E4, "G"), (0x01E5, "g"),
    (0x01EE, "ZH"), (0x01EF, "zh"), (0x01F6, "HV"), (0x01F7, "W"), (0x01FC, "AE"), (0x01FD, "ae"),
    (0x01FE, "O"), (0x01FF, "o"), (0x021C, "Y"), (0x021D, "y"), (0x0220, "N"), (0x0221, "d"),
    (0x0222, "OU"), (0x0223, "ou"), (0x0224, "Z"), (0x0225, "z"), (0x0234, "l"), (0x0235, "n"),
    (0x0236, "t"), (0x0237, "j"), (0x0238, "db"), (0x0239, "qp"), (0x023A, "A"), (0x023B, "C"),
    (0x023C, "c"), (0x023D, "L"), (0x023E, "T"), (0x023F, "s"), (0x0240, "z"), (0x0243, "B"), (0x0244, "U"),
    (0x0245, "^"), (0x0246, "E"), (0x0247, "e"), (0x0248, "J"), (0x0249, "j"), (0x024A, "q"), (0x024B, "q"),
    (0x024C, "R"), (0x024D, "r"), (0x024E, "Y"), (0x024F, "y"), (0x0250, "a"), (0x0251, "a"), (0x0252, "a"),
    (0x0253, "b"), (0x0254, "o"), (0x0255, "c"), (0x0256, "d"), (0x0257, "d"), (0x0258, "e"), (0x0259, "@"),
    (0x025A, "@"), (0x025B, "e"), (0x025C, "e"), (0x025D, "e"), (0x025E, "e"), (0x025F, "j"), (0x0260, "g"),
    (0x0261, "g"), (0x0262, "g"), (0x0263, "g"), (0x0264, "u"), (0x0265, "Y"), (0x0266, "h"), (0x0267, "h"),
    (0x0268, "i"), (0x0269, "i"), (0x026A, "I"), (0x026B, "l"), (0x026C, "l"), (0x026D, "l"),
    (0x026E, "lZ"), (0x026F, "W"), (0x0270, "W"), (0x0271, "m"), (0x0272, "n"), (0x0273, "n"),
    (0x0274, "n"), (0x0275, "o"), (0x0276, "OE"), (0x0277, "O"), (0x0278, "F"), (0x0279, "r"),
    (0x027A, "r"), (0x027B, "r"), (0x027C, "r"), (0x027D, "r"), (0x027E, "r"), (0x027F, "r"), (0x0280, "R"),
    (0x0281, "R"), (0x0282, "s"), (0x0283, "S"), (0x0284, "j"), (0x0285, "S"), (0x0286, "S"), (0x0287, "t"),
    (0x0288, "t"), (0x0289, "u"), (0x028A, "U"), (0x028B, "v"), (0x028C, "^"), (0x028D, "w"), (0x028E, "y"),
    (0x028F, "Y"), (0x0290, "z"), (0x0291, "z"), (0x0292, "Z"), (0x0293, "Z"), (0x0294, "?"), (0x0295, "?"),
    (0x0296, "?"), (0x0297, "C"), (0x0298, "@"), (0x0299, "B"), (0x029A, "E"), (0x029B, "G"), (0x029C, "H"),
    (0x029D, "j"), (0x029E, "k"), (0x029F, "L"), (0x02A0, "q"), (0x02A1, "?"), (0x02A2, "?"),
    (0x02A3, "dz"), (0x02A4, "dZ"), (0x02A5, "dz"), (0x02A6, "ts"), (0x02A7, "tS"), (0x02A8, "tC"),
    (0x02A9, "fN"), (0x02AA, "ls"), (0x02AB, "lz"), (0x02AC, "WW"), (0x02AD, "]]"), (0x02AE, "h"),
    (0x02AF, "h"), (0x02B1, "h"), (0x02B4, "r"), (0x02B5, "r"), (0x02B6, "r"), (0x02B9, "'"),
    (0x02BA, "\""), (0x02BB, "`"), (0x02BC, "'"), (0x02BD, "`"), (0x02BE, "`"), (0x02BF, "'"),
    (0x02C0, "?"), (0x02C1, "?"), (0x02C2, "<"), (0x02C3, ">"), (0x02C4, "^"), (0x02C5, "V"), (0x02C6, "^"),
    (0x02C7, "V"), (0x02C8, "'"), (0x02C9, "-"), (0x02CA, "/"), (0x02CB, "\\"), (0x02CC, ","),
    (0x02CD, "_"), (0x02CE, "\\"), (0x02CF, "/"), (0x02D0, ":"), (0x02D1, "."), (0x02D2, "`"),
    (0x02D3, "'"), (0x02D4, "^"), (0x02D5, "V"), (0x02D6, "+"), (0x02D7, "-"), (0x02D8, "V"), (0x02D9, "."),
    (0x02DA, "@"), (0x02DB, ","), (0x02DC, "~"), (0x02DD, "\""), (0x02DE, "R"), (0x02DF, "X"),
    (0x02E0, "G"), (0x02E4, "?"), (0x02EC, "V"), (0x02ED, "="), (0x02EE, "\""), (0x0363, "a"),
    (0x0364, "e"), (0x0365, "i"), (0x0366, "o"), (0x0367, "u"), (0x0368, "c"), (0x0369, "d"), (0x036A, "h"),
    (0x036B, "m"), (0x036C, "r"), (0x036D, "t"), (0x036E, "v"), (0x036F, "x"), (0x1E9B, "S"),
    (0x1E9E, "SS"), (0x200B, " "), (0x2010, "-"), (0x2011, "-"), (0x2012, "-"), (0x2013, "-"),
    (0x2014, "--"), (0x2015, "--"), (0x2016, "||"), (0x2017, "_"), (0x2018, "'"), (0x2019, "'"),
    (0x201A, ","), (0x201B, "'"), (0x201C, "\""), (0x201D, "\""), (0x201E, ",,"), (0x201F, "\""),
    (0x2020, "+"), (0x2021, "++"), (0x2022, "*"), (0x2023, "*>"), (0x2027, "."), (0x2028, "\n"),
    (0x2029, "\n\n"), (0x2030, "%0"), (0x2031, "%00"), (0x2032, "'"), (0x2033, "''"), (0x2034, "'''"),
    (0x2035, "`"), (0x2036, "``"), (0x2037, "```"), (0x2038, "^"), (0x2039, "<"), (0x203A, ">"),
    (0x203B, "*"), (0x203D, "!?"), (0x203E, "-"), (0x203F, "_"), (0x2040, "-"), (0x2041, "^"),
    (0x2042, "***"), (0x2043, "--"), (0x2044, "/"), (0x2045, "-["), (0x2046, "]-"), (0x204A, "&"),
    (0x204B, "PP"), (0x204C, "(]"), (0x204D, "[)"), (0x204E, "*"), (0x2052, "%"), (0x2053, "~"),
    (0x2057, "''''"), (0x207B, "-"), (0x208B, "-"), (0x20A0, "ECU"), (0x20A1, "CL"), (0x20A2, "Cr"),
    (0x20A3, "FF"), (0x20A4, "L"), (0x20A5, "mil"), (0x20A6, "N"), (0x20A7, "Pts"), (0x20A9, "W"),
    (0x20AA, "NS"), (0x20AB, "D"), (0x20AC, "EUR"), (0x20AD, "K"), (0x20AE, "T"), (0x20AF, "Dr"),
    (0x20B0, "Pf"), (0x20B1, "P"), (0x20B2, "G"), (0x20B3, "A"), (0x20B4, "UAH"), (0x20B5, "C|"),
    (0x20B6, "L"), (0x20B7, "Sm"), (0x20B8, "T"), (0x20B9, "Rs"), (0x20BA, "L"), (0x20BB, "M"),
    (0x20BC, "m"), (0x20BD, "R"), (0x20BE, "l"), (0x20BF, "BTC"), (0x2100, " a/c "), (0x2101, " a/s "),
    (0x2103, "degC"), (0x2105, " c/o "), (0x2106, " c/u "), (0x2109, "degF"), (0x2116, "No. "),
    (0x2117, "(p)"), (0x211F, "R/"), (0x2120, "(sm)"), (0x2122, "(tm)"), (0x2123, "V/"), (0x2126, "ohm"),
    (0x212E, "e"), (0x2132, "F"), (0x214D, "A/S"), (0x214E, "F"), (0x2150, " 1/7 "), (0x2151, " 1/9 "),
    (0x2152, " 1/10 "), (0x2153, " 1/3 "), (0x2154, " 2/3 "), (0x2155, " 1/5 "), (0x2156, " 2/5 "),
    (0x2157, " 3/5 "), (0x2158, " 4/5 "), (0x2159, " 1/6 "), (0x215A, " 5/6 "), (0x215B, " 1/8 "),
    (0x215C, " 3/8 "), (0x215D, " 5/8 "), (0x215E, " 7/8 "), (0x215F, " 1/"), (0x2180, "(D"),
    (0x2181, "D)"), (0x2182, "((|))"), (0x2183, ")"), (0x2189, " 0/3 "), (0x24EB, "11"), (0x24EC, "12"),
    (0x24ED, "13"), (0x24EE, "14"), (0x24EF, "15"), (0x24F0, "16"), (0x24F1, "17"), (0x24F2, "18"),
    (0x24F3, "19"), (0x24F4, "20"), (0x24F5, "1"), (0x24F6, "2"), (0x24F7, "3"), (0x24F8, "4"),
    (0x24F9, "5"), (0x24FA, "6"), (0x24FB, "7"), (0x24FC, "8"), (0x24FD, "9"), (0x24FE, "10"),
    (0x24FF, "0"), (0xFF61, "."), (0xFF62, "["), (0xFF63, "]"), (0xFF64, ","),
];
