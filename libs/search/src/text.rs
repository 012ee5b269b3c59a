//! addok's text pipeline, as the French national address API runs it (addok 1.3.2 with
//! addok-france 1.2.0 and addok-fr 1.1.0, production `addok.conf`), ported without regexes.
//! Hand-written and kept in one file on purpose: it is a port that must give addok's tokens
//! byte for byte (the geocoder's answers are compared with addok's), read stage by stage
//! against addok's sources, and it runs on every query and every indexed document.
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
//! Latin Extended-A/B, IPA, spacing modifiers, combining marks), U+1D00–U+1DBF, U+1E00–U+1EFF,
//! U+2000–U+218F (punctuation, super/subscripts, currency, letterlike, number forms),
//! U+2460–U+24FF, U+2C60–U+2C7F, U+A720–U+A7FF and U+FF00–U+FF64 (full-width ASCII): their
//! compatibility decomposition (NFKD) restricted to ASCII, except for the characters of
//! `TRANSLIT`. Any other character gets the NFKD-to-ASCII treatment too, which drops what has
//! no ASCII decomposition: Greek, Cyrillic, CJK and the other scripts that unidecode
//! transliterates are dropped here (`"Αθήνα"` → `""` where unidecode gives `"Athena"`).
//! Word characters (`\w`) are Python's (`str.isalnum()` or `_`) up to Unicode 14, the version
//! of the reference Python; characters added since are word characters here.

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
    folded_query_tokens(&fold(query))
}

/// [`query_tokens`] of a query already folded with [`fold`] (the search folds it once for
/// both its tokens and its label scores).
pub fn folded_query_tokens(folded: &str) -> Vec<Token> {
    let processed = preprocess_folded_query(folded);
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
    preprocess_folded_query(&fold(query))
}

fn preprocess_folded_query(folded: &str) -> String {
    let extracted = extract_address(folded);
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

/// Python's `\w` on any character (`str.isalnum()` or `_`): Rust's alphanumerics less the
/// marks and symbols that are `Other_Alphabetic` (combining vowels, circled letters).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    c.is_alphanumeric()
        && !unicode_normalization::char::is_combining_mark(c)
        && !matches!(c, '\u{24B6}'..='\u{24E9}' | '\u{1F130}'..='\u{1F189}')
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
                // `"{} {}".format(previous, token).replace(" ", "")`
                prev.text.extend(token.text.chars().filter(|&c| c != ' '));
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
            emit(phonemicize_cached(word, scratch));
        }
    } else if !token.is_empty() {
        emit(phonemicize_cached(token, scratch));
    }
}

/// Words remembered per thread by [`phonemicize_cached`] before the memory is cleared.
const PHONEMES_CACHED: usize = 100_000;

thread_local! {
    /// Queries and documents repeat the same words (`rue`, city names): each is folded once.
    static PHONEMES: std::cell::RefCell<FxHashMap<Box<str>, Box<str>>> =
        std::cell::RefCell::new(FxHashMap::default());
}

fn phonemicize_cached(word: &str, scratch: &mut Scratch) -> String {
    PHONEMES.with_borrow_mut(|cache| {
        if let Some(known) = cache.get(word) {
            return known.to_string();
        }
        let folded = phonemicize(word, scratch);
        if cache.len() >= PHONEMES_CACHED {
            cache.clear();
        }
        cache.insert(word.into(), folded.as_str().into());
        folded
    })
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
    // Asked for every word boundary of every query: a hash lookup, not a binary search.
    static TYPE_SET: LazyLock<rustc_hash::FxHashSet<&'static [u8]>> =
        LazyLock::new(|| TYPES.iter().map(|t| t.as_bytes()).collect());
    TYPE_SET.contains(&*lower)
}

/// Whether a folded word is one of addok-france's street types (`rue`, `av`, `allee`…).
pub(crate) fn is_street_type(word: &str) -> bool {
    is_type(word.as_bytes())
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
    let has = |q: &str, needle: &str| {
        q.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    // Each substitution only runs when it can match, sparing most queries the copies.
    let mut q = q.to_owned();
    // `([\d]{5})` → ` \1 `
    if q.as_bytes().windows(5).any(|w| w.iter().all(u8::is_ascii_digit)) {
        q = substitute(&q, |b, i, out| {
            if count_digits(b, i) >= 5 {
                out.push(b' ');
                out.extend_from_slice(&b[i..i + 5]);
                out.push(b' ');
                5
            } else {
                0
            }
        });
    }
    // `(^| )(b\.?p\.?|cs|tsa|cidex) *(n(o|°|) *|)[\d]+ *` → `\1` (no `°` once folded)
    if ["b", "cs", "tsa", "cidex"].iter().any(|w| has(&q, w)) {
        q = substitute(&q, postal_box);
    }
    if has(&q, "cedex") {
        // `([\d]{2})[\d]{3}(.*)c(e|é)dex ?[\d]*` → `\1\2`
        q = substitute(&q, |b, i, out| {
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
        q = substitute(&q, |b, i, _| {
            if !starts_with_ci(b, i, "cedex") {
                return 0;
            }
            let mut end = i + 5;
            if b.get(end) == Some(&b' ') {
                end += 1;
            }
            end + count_digits(b, end) - i
        });
    }
    // `\d{,2}(e|[eè]me) ([eé]tage)` → ``
    if has(&q, "e etage") {
        q = substitute(&q, |b, i, _| {
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
    }
    // ` {2,}` → ` `
    if has(&q, "  ") {
        q = substitute(&q, |b, i, out| {
            let spaces = b[i..].iter().take_while(|&&c| c == b' ').count();
            if spaces >= 2 {
                out.push(b' ');
                spaces
            } else {
                0
            }
        });
    }
    // `[ -]s/[ -]` → ` sur `, `[ -]s/s[ -]` → ` sous ` (no `/` once folded; kept for fidelity)
    if has(&q, "s/") {
        let sep = |b: &[u8], k: usize| matches!(b.get(k), Some(b' ' | b'-'));
        q = substitute(&q, |b, i, out| {
            if sep(b, i) && starts_with_ci(b, i + 1, "s/") && sep(b, i + 3) {
                out.extend_from_slice(b" sur ");
                4
            } else {
                0
            }
        });
        q = substitute(&q, |b, i, out| {
            if sep(b, i) && starts_with_ci(b, i + 1, "s/s") && sep(b, i + 4) {
                out.extend_from_slice(b" sous ");
                5
            } else {
                0
            }
        });
    }
    // `^lieux?[ -]?dits?\b(?=.)` → ``
    if let Some(end) = lieu_dit_prefix(q.as_bytes()) {
        q.replace_range(..end, "");
    }
    q.trim().to_owned()
}

/// `(^| )(b\.?p\.?|cs|tsa|cidex) *(n(o|°|) *|)[\d]+ *` → `\1` at `i`.
fn postal_box(b: &[u8], i: usize, out: &mut Vec<u8>) -> usize {
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

/// The characters of the ranges listed in the module documentation that Python `unidecode`
/// 1.4.0 does not render as their ASCII compatibility decomposition, with what it renders them
/// as. Sorted. Generated from unidecode's output.
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
    (0x036B, "m"), (0x036C, "r"), (0x036D, "t"), (0x036E, "v"), (0x036F, "x"), (0x1D00, "A"),
    (0x1D01, "AE"), (0x1D02, "ae"), (0x1D03, "B"), (0x1D04, "C"), (0x1D05, "D"), (0x1D06, "D"),
    (0x1D07, "E"), (0x1D08, "e"), (0x1D09, "i"), (0x1D0A, "J"), (0x1D0B, "K"), (0x1D0C, "L"), (0x1D0D, "M"),
    (0x1D0E, "N"), (0x1D0F, "O"), (0x1D11, "O"), (0x1D13, "O"), (0x1D14, "Oe"), (0x1D15, "Ou"),
    (0x1D18, "P"), (0x1D19, "R"), (0x1D1A, "R"), (0x1D1B, "T"), (0x1D1C, "U"), (0x1D1D, "u"), (0x1D1E, "u"),
    (0x1D1F, "m"), (0x1D20, "V"), (0x1D21, "W"), (0x1D22, "Z"), (0x1D2D, "AE"), (0x1D2F, "B"),
    (0x1D32, "E"), (0x1D3B, "N"), (0x1D3D, "Ou"), (0x1D44, "a"), (0x1D45, "a"), (0x1D46, "ae"),
    (0x1D4B, "e"), (0x1D4C, "e"), (0x1D4E, "i"), (0x1D59, "u"), (0x1D5A, "m"), (0x1D5D, "b"), (0x1D5E, "g"),
    (0x1D5F, "d"), (0x1D60, "f"), (0x1D66, "b"), (0x1D67, "g"), (0x1D68, "r"), (0x1D69, "f"), (0x1D6C, "b"),
    (0x1D6D, "d"), (0x1D6E, "f"), (0x1D6F, "m"), (0x1D70, "n"), (0x1D71, "p"), (0x1D72, "r"), (0x1D73, "r"),
    (0x1D74, "s"), (0x1D75, "t"), (0x1D76, "z"), (0x1D77, "g"), (0x1D7D, "p"), (0x1D80, "b"), (0x1D81, "d"),
    (0x1D82, "f"), (0x1D83, "g"), (0x1D84, "k"), (0x1D85, "l"), (0x1D86, "m"), (0x1D87, "n"), (0x1D88, "p"),
    (0x1D89, "r"), (0x1D8A, "s"), (0x1D8C, "v"), (0x1D8D, "x"), (0x1D8E, "z"), (0x1D9C, ""), (0x1DA0, ""),
    (0x1DBB, ""), (0x1E9B, "S"), (0x1E9E, "SS"), (0x200B, " "), (0x2010, "-"), (0x2011, "-"), (0x2012, "-"),
    (0x2013, "-"), (0x2014, "--"), (0x2015, "--"), (0x2016, "||"), (0x2017, "_"), (0x2018, "'"),
    (0x2019, "'"), (0x201A, ","), (0x201B, "'"), (0x201C, "\""), (0x201D, "\""), (0x201E, ",,"),
    (0x201F, "\""), (0x2020, "+"), (0x2021, "++"), (0x2022, "*"), (0x2023, "*>"), (0x2027, "."),
    (0x2028, "\n"), (0x2029, "\n\n"), (0x2030, "%0"), (0x2031, "%00"), (0x2032, "'"), (0x2033, "''"),
    (0x2034, "'''"), (0x2035, "`"), (0x2036, "``"), (0x2037, "```"), (0x2038, "^"), (0x2039, "<"),
    (0x203A, ">"), (0x203B, "*"), (0x203D, "!?"), (0x203E, "-"), (0x203F, "_"), (0x2040, "-"),
    (0x2041, "^"), (0x2042, "***"), (0x2043, "--"), (0x2044, "/"), (0x2045, "-["), (0x2046, "]-"),
    (0x204A, "&"), (0x204B, "PP"), (0x204C, "(]"), (0x204D, "[)"), (0x204E, "*"), (0x2052, "%"),
    (0x2053, "~"), (0x2057, "''''"), (0x207B, "-"), (0x208B, "-"), (0x20A0, "ECU"), (0x20A1, "CL"),
    (0x20A2, "Cr"), (0x20A3, "FF"), (0x20A4, "L"), (0x20A5, "mil"), (0x20A6, "N"), (0x20A7, "Pts"),
    (0x20A9, "W"), (0x20AA, "NS"), (0x20AB, "D"), (0x20AC, "EUR"), (0x20AD, "K"), (0x20AE, "T"),
    (0x20AF, "Dr"), (0x20B0, "Pf"), (0x20B1, "P"), (0x20B2, "G"), (0x20B3, "A"), (0x20B4, "UAH"),
    (0x20B5, "C|"), (0x20B6, "L"), (0x20B7, "Sm"), (0x20B8, "T"), (0x20B9, "Rs"), (0x20BA, "L"),
    (0x20BB, "M"), (0x20BC, "m"), (0x20BD, "R"), (0x20BE, "l"), (0x20BF, "BTC"), (0x2100, " a/c "),
    (0x2101, " a/s "), (0x2103, "degC"), (0x2105, " c/o "), (0x2106, " c/u "), (0x2109, "degF"),
    (0x2116, "No. "), (0x2117, "(p)"), (0x211F, "R/"), (0x2120, "(sm)"), (0x2122, "(tm)"), (0x2123, "V/"),
    (0x2126, "ohm"), (0x212E, "e"), (0x2132, "F"), (0x214D, "A/S"), (0x214E, "F"), (0x2150, " 1/7 "),
    (0x2151, " 1/9 "), (0x2152, " 1/10 "), (0x2153, " 1/3 "), (0x2154, " 2/3 "), (0x2155, " 1/5 "),
    (0x2156, " 2/5 "), (0x2157, " 3/5 "), (0x2158, " 4/5 "), (0x2159, " 1/6 "), (0x215A, " 5/6 "),
    (0x215B, " 1/8 "), (0x215C, " 3/8 "), (0x215D, " 5/8 "), (0x215E, " 7/8 "), (0x215F, " 1/"),
    (0x2180, "(D"), (0x2181, "D)"), (0x2182, "((|))"), (0x2183, ")"), (0x2189, " 0/3 "), (0x24EB, "11"),
    (0x24EC, "12"), (0x24ED, "13"), (0x24EE, "14"), (0x24EF, "15"), (0x24F0, "16"), (0x24F1, "17"),
    (0x24F2, "18"), (0x24F3, "19"), (0x24F4, "20"), (0x24F5, "1"), (0x24F6, "2"), (0x24F7, "3"),
    (0x24F8, "4"), (0x24F9, "5"), (0x24FA, "6"), (0x24FB, "7"), (0x24FC, "8"), (0x24FD, "9"),
    (0x24FE, "10"), (0x24FF, "0"), (0x2C60, "L"), (0x2C61, "l"), (0x2C62, "L"), (0x2C63, "P"),
    (0x2C64, "R"), (0x2C65, "a"), (0x2C66, "t"), (0x2C67, "H"), (0x2C68, "h"), (0x2C69, "K"), (0x2C6A, "k"),
    (0x2C6B, "Z"), (0x2C6C, "z"), (0x2C6E, "M"), (0x2C6F, "A"), (0x2C7C, ""), (0x2C7D, ""), (0xA7F2, ""),
    (0xA7F3, ""), (0xA7F4, ""), (0xFF61, "."), (0xFF62, "["), (0xFF63, "]"), (0xFF64, ","),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn q(query: &str) -> String {
        query_tokens(query)
            .iter()
            .map(|t| if t.housenumber { format!("{}*", t.text) } else { t.text.clone() })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Spec §4.5 item 3, as production runs it (`*` marks the housenumber tokens).
    #[test]
    fn spec_examples() {
        assert_eq!(q("8 bd du Port 80000 Amiens"), "ui* boulevar du por 80000 amien");
        assert_eq!(q("3 bis rue La Bruyère, 75009 Paris"), "3b* ru la bruier 75009 pari");
        assert_eq!(
            q("SARL Dupont bâtiment B 22 rue des Fleurs 59350 Lille Cedex 23"),
            "22* ru de fleur 59 lil"
        );
        // The spec's `… sur mer` is what `preprocess_query` gives on the raw string; addok's
        // `Search` folds the query first, so `s/` is already `s ` when `clean_query` runs.
        assert_eq!(q("1er chemin St-Jean s/ Mer"), "premier chemin sain jan s mer");
        assert_eq!(q("lieu-dit Les Vignes"), "le vign");
        assert_eq!(q("0012 rue des Lilas"), "douz* ru de lila");
        for (raw, key) in
            [("1", "un"), ("2", "deu"), ("18", "dixui"), ("11bis", "11b"), ("3 ter", "3t"), ("7b", "7b")]
        {
            assert_eq!(housenumber_key(raw), key, "{raw}");
        }
    }

    #[test]
    fn housenumber_keys_match_the_query_side() {
        for (raw, query) in [
            ("3bis", "3 bis rue des Lilas"),
            ("3bis", "3bis rue des Lilas"),
            ("3b", "3 b rue des Lilas"),
            ("3ter", "3 ter avenue Foch"),
            ("12quater", "12 quater impasse X"),
            ("12quinquies", "12 quinquies impasse X"),
            ("8", "8 rue des Sapins"),
            ("18", "18 rue des Sapins"),
            ("20", "20 bd Voltaire"),
            ("100", "100 rue de la Gare"),
            ("1234", "1234 route nationale"),
            ("12", "0012 rue des Lilas"),
        ] {
            let joined: String =
                query_tokens(query).iter().filter(|t| t.housenumber).map(|t| t.text.as_str()).collect();
            assert_eq!(housenumber_key(raw), joined, "{raw} / {query}");
        }
        assert_eq!(housenumber_key("12quinquies"), "12c");
        assert_eq!(housenumber_key("14 sexies"), "14s");
        assert_eq!(housenumber_key("01"), "01");
        assert_eq!(housenumber_key("12345"), "12345");
        assert_eq!(housenumber_key(""), "");
    }

    #[test]
    fn query_processors() {
        assert_eq!(
            preprocess_query("SARL Dupont bâtiment B 22 rue des Fleurs 59350 Lille Cedex 23"),
            "22 rue des fleurs 59 lille"
        );
        assert_eq!(preprocess_query("CS 70001 33000 Bordeaux Cedex"), "33 bordeaux");
        assert_eq!(preprocess_query("TSA 12345 75015 PARIS CEDEX 15"), "75 paris");
        assert_eq!(preprocess_query("2ème étage 4 rue Haute"), "4 rue haute");
        assert_eq!(preprocess_query("Place de la Mairie 2e étage"), "place de la mairie");
        assert_eq!(preprocess_query("lieu dit"), "lieu dit");
        assert_eq!(preprocess_query("Lieux-dits Les Champs"), "les champs");
        assert_eq!(preprocess_query("0001 rue A 01234"), "1 rue a 01234");
        assert_eq!(preprocess_query("000 rue"), "0 rue");
        assert_eq!(preprocess_query("A 12 rue des Pins"), "12 rue des pins");
        assert_eq!(preprocess_query("a12 rue des Pins"), "a12 rue des pins");
        assert_eq!(preprocess_query("12345 rue du Test"), "12345 rue du test");
        assert_eq!(preprocess_query(""), "");
        // The processors themselves, on unfolded strings.
        assert_eq!(clean_query("rue du Lac s/ Mer"), "rue du Lac sur Mer");
        assert_eq!(clean_query("Dompierre s/s Bois"), "Dompierre sous Bois");
        assert_eq!(clean_query("B.P. 12 rue de la Paix"), "rue de la Paix");
        assert_eq!(clean_query("bp no 12 rue X"), "rue X");
        assert_eq!(extract_address("Chez M. Martin, 4 bis, rue du Four"), "4 bis, rue du Four");
        assert_eq!(extract_address("Résidence 12 rond point de l'Europe"), "12 rond point de l'Europe");
        assert_eq!(extract_address("Mairie 12 rue"), "Mairie 12 rue");
        assert_eq!(remove_leading_zeros("0 00 0012 01234 0012b 00123"), "0 0 12 01234 0012b 123");
    }

    #[test]
    fn token_processors() {
        // `glue_ordinal` loses a held number followed by another one, as addok does.
        assert_eq!(q("12 34 rue des Écoles"), "34* ru de ekol");
        // An ordinal is glued only before a street type or at the end.
        assert_eq!(q("12 bis 3 rue"), "douz* bi troi ru");
        assert_eq!(q("12 a b rue"), "douz* a b ru");
        assert_eq!(q("2 B"), "2b*");
        // Ordinals of streets go through the synonyms, roman numerals too.
        assert_eq!(q("18e"), "dix* uitiem*");
        assert_eq!(document_tokens("Rue Louis XIV"), ["ru", "loui", "katorz"]);
        assert_eq!(document_tokens("Rue du 8 mai 1945"), ["ru", "du", "ui", "mai", "1945"]);
        assert_eq!(document_tokens("Gr Rue"), ["grand", "ru", "ru"]);
        assert_eq!(document_tokens(""), Vec::<String>::new());
        assert_eq!(document_tokens("'-"), Vec::<String>::new());
        // A house number is flagged only first or before a street type, and only once.
        assert_eq!(q("rue du 11 novembre 1918"), "ru du onz novenbr 1918");
        assert_eq!(q("6 rue 6"), "six* ru six");
        assert_eq!(q("12 ter avenue 3 rue"), "12t* avenu troi ru");
    }

    #[test]
    fn phonemicize_rules() {
        let mut s = Scratch::default();
        for (word, expected) in [
            ("champs", "chan"),
            ("champvallon", "chanvalon"),
            ("vingtieme", "vintiem"),
            ("vingt", "vin"),
            ("georges", "jorj"),
            ("gueugnon", "geugnon"),
            ("seigneur", "senieur"),
            ("blanc", "blan"),
            ("bach", "bak"),
            ("schloss", "chlos"),
            ("10c", "10c"),
            ("maison", "maizon"),
            ("quai", "kai"),
            ("accent", "aksen"),
            ("philippe", "filip"),
            ("thiers", "tier"),
            ("hotel", "otel"),
            ("wagner", "vagner"),
            ("yves", "iv"),
            ("pforzheim", "pforzaim"),
            ("oeufs", "eu"),
            ("coeur", "keur"),
            ("eaux", "eau"),
            ("hault", "au"),
            ("grand", "gran"),
            ("impossible", "inposibl"),
            ("montbon", "monbon"),
            ("allee", "ale"),
            ("h", "h"),
            ("ingenieur", "injenieur"),
            ("1234", "1234"),
        ] {
            assert_eq!(phonemicize(word, &mut s), expected, "{word}");
        }
    }

    #[test]
    fn unidecode_and_fold() {
        assert_eq!(fold("Allée des Œillets"), "allee des oeillets");
        assert_eq!(fold("Lætitia Straße"), "laetitia strasse");
        assert_eq!(fold("Rue de l’Église — « Nord »"), "rue de l eglise nord");
        assert_eq!(fold("N° 5 € 2½"), "ndeg 5 EUR 2 1 2");
        assert_eq!(fold("  L'Haÿ-les-Roses  "), "l hay les roses");
        assert_eq!(fold("Ｐａｒｉｓ ﬁlature Ⅻ"), "paris filature xii");
        assert_eq!(fold("ÆØÅÐÞŁĐ ıĸŋ"), "aeoadthld ikng");
        assert_eq!(fold("a_b"), "a_b");
        assert_eq!(fold(""), "");
        assert_eq!(fold("Αθήνα Москва"), "", "other scripts are dropped");
        assert_eq!(document_tokens("Rue ¼ de lieue"), ["ru", "1/4", "de", "lieu"]);
        // Decomposed accents: the combining mark is not a word character (Python's `\w`).
        assert_eq!(document_tokens("E\u{301}glise"), ["e", "gliz"]);
        assert_eq!(fold("E\u{301}glise"), "eglise");
    }

    #[test]
    fn tables() {
        assert!(TYPES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(TYPES.len(), 151);
        assert!(TRANSLIT.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(TABLES.synonyms.len(), 362);
        assert_eq!(
            TABLES.synonyms.get("18").map(Vec::as_slice),
            Some(&["dix".to_owned(), "ui".to_owned()][..])
        );
        assert_eq!(TABLES.synonyms.get("cr").map(Vec::as_slice), Some(&["kour".to_owned()][..]));
        assert!(types_match("rue") && types_match("BD") && !types_match("rues") && !types_match(""));
        assert!(
            ordinal_match("bis") && ordinal_match("b") && !ordinal_match("bisou") && !ordinal_match("12")
        );
        assert!(
            number_match("12") && number_match("1234b") && !number_match("12345") && !number_match("12bb")
        );
    }

    /// Inputs, then what the Python pipeline (addok 1.3.2, addok-fr 1.1.0, addok-france 1.2.0,
    /// production configuration) gives: `fold`, the query processors on the folded query, the
    /// query tokens (`*` = housenumber), the document tokens, the joined document tokens
    /// (`housenumber_key`).
    #[rustfmt::skip]
    const GOLDEN: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("8 bd du Port 80000 Amiens", "8 bd du port 80000 amiens", "8 bd du port 80000 amiens", "ui* boulevar du por 80000 amien", "ui boulevar du por 80000 amien", "uiboulevardupor80000amien"),
    ("3 bis rue La Bruyère, 75009 Paris", "3 bis rue la bruyere 75009 paris", "3 bis rue la bruyere 75009 paris", "3b* ru la bruier 75009 pari", "3b ru la bruier 75009 pari", "3brulabruier75009pari"),
    ("SARL Dupont bâtiment B 22 rue des Fleurs 59350 Lille Cedex 23", "sarl dupont batiment b 22 rue des fleurs 59350 lille cedex 23", "22 rue des fleurs 59 lille", "22* ru de fleur 59 lil", "sarl dupon batimen b 22 ru de fleur 59350 lil sedex 23", "sarlduponbatimenb22rudefleur59350lilsedex23"),
    ("1er chemin St-Jean s/ Mer", "1er chemin st jean s mer", "1er chemin st jean s mer", "premier chemin sain jan s mer", "premier chemin sain jan s mer", "premiercheminsainjansmer"),
    ("lieu-dit Les Vignes", "lieu dit les vignes", "les vignes", "le vign", "lieu di le vign", "lieudilevign"),
    ("0012 rue des Lilas", "0012 rue des lilas", "12 rue des lilas", "douz* ru de lila", "0012 ru de lila", "0012rudelila"),
    ("1", "1", "1", "un*", "un", "un"),
    ("2", "2", "2", "deu*", "deu", "deu"),
    ("18", "18", "18", "dix* ui*", "dix ui", "dixui"),
    ("11bis", "11bis", "11bis", "11b*", "11b", "11b"),
    ("3 ter", "3 ter", "3 ter", "3t*", "3t", "3t"),
    ("7b", "7b", "7b", "7b*", "7b", "7b"),
    ("3bis", "3bis", "3bis", "3b*", "3b", "3b"),
    ("3 b", "3 b", "3 b", "3b*", "3b", "3b"),
    ("3B", "3b", "3b", "3b*", "3b", "3b"),
    ("6 quater", "6 quater", "6 quater", "6q*", "6q", "6q"),
    ("12 quinquies", "12 quinquies", "12 quinquies", "12c*", "12c", "12c"),
    ("14 sexies", "14 sexies", "14 sexies", "14s*", "14s", "14s"),
    ("3 Bis Rue de la Paix", "3 bis rue de la paix", "3 bis rue de la paix", "3b* ru de la paix", "3b ru de la paix", "3brudelapaix"),
    ("12 ter avenue Foch", "12 ter avenue foch", "12 ter avenue foch", "12t* avenu fok", "12t avenu fok", "12tavenufok"),
    ("25T Place de la Vieille Poste 02370 Celles-sur-Aisne", "25t place de la vieille poste 02370 celles sur aisne", "25t place de la vieille poste 02370 celles sur aisne", "25t* plas de la viel post 02370 sel sur aisn", "25t plas de la viel post 02370 sel sur aisn", "25tplasdelavielpost02370selsuraisn"),
    ("102 Rte des Etangs 02370 Celles-sur-Aisne", "102 rte des etangs 02370 celles sur aisne", "102 rte des etangs 02370 celles sur aisne", "102* rout de etan 02370 sel sur aisn", "102 rout de etan 02370 sel sur aisn", "102routdeetan02370selsuraisn"),
    ("390 Route des Étangs 02370 Celles-sur-Aisne", "390 route des etangs 02370 celles sur aisne", "390 route des etangs 02370 celles sur aisne", "390* rout de etan 02370 sel sur aisn", "390 rout de etan 02370 sel sur aisn", "390routdeetan02370selsuraisn"),
    ("4 imp. des Roses", "4 imp des roses", "4 imp des roses", "katr* inpas de roz", "katr inpas de roz", "katrinpasderoz"),
    ("5 av. Jean Jaurès", "5 av jean jaures", "5 av jean jaures", "sink* avenu jan jaur", "sink avenu jan jaur", "sinkavenujanjaur"),
    ("7 bld Victor Hugo", "7 bld victor hugo", "7 bld victor hugo", "sep* boulevar viktor ugo", "sep boulevar viktor ugo", "sepboulevarviktorugo"),
    ("9 bvd Gambetta", "9 bvd gambetta", "9 bvd gambetta", "neuf* boulevar ganbeta", "neuf boulevar ganbeta", "neufboulevarganbeta"),
    ("10 pl. de la République", "10 pl de la republique", "10 pl de la republique", "dix* plas de la republik", "dix plas de la republik", "dixplasdelarepublik"),
    ("11 all. des Tilleuls", "11 all des tilleuls", "11 all des tilleuls", "onz* ale de tileul", "onz ale de tileul", "onzaledetileul"),
    ("13 chem. du Moulin", "13 chem du moulin", "13 chem du moulin", "trez* chemin du moulin", "trez chemin du moulin", "trezchemindumoulin"),
    ("15 che des Prés", "15 che des pres", "15 che des pres", "kinz* chemin de pr", "kinz chemin de pr", "kinzchemindepr"),
    ("16 fbg Saint-Antoine", "16 fbg saint antoine", "16 fbg saint antoine", "sez* faubour sain antoin", "sez faubour sain antoin", "sezfauboursainantoin"),
    ("17 faubourg Saint-Honoré", "17 faubourg saint honore", "17 faubourg saint honore", "dix* sep* faubour sain onor", "dix sep faubour sain onor", "dixsepfauboursainonor"),
    ("19 rte de Lyon", "19 rte de lyon", "19 rte de lyon", "dix* neuf* rout de lion", "dix neuf rout de lion", "dixneufroutdelion"),
    ("20 r. Pasteur", "20 r pasteur", "20 r pasteur", "vin* ru pasteur", "vin ru pasteur", "vinrupasteur"),
    ("100 rue de la Gare", "100 rue de la gare", "100 rue de la gare", "sen* ru de la gar", "sen ru de la gar", "senrudelagar"),
    ("1234 route nationale", "1234 route nationale", "1234 route nationale", "1234* rout national", "1234 rout national", "1234routnational"),
    ("12345 rue du Test", "12345 rue du test", "12345 rue du test", "12345 ru du test", "12345 ru du test", "12345rudutest"),
    ("0001 rue A", "0001 rue a", "1 rue a", "un* ru a", "0001 ru a", "0001rua"),
    ("000 impasse B", "000 impasse b", "0 impasse b", "0* inpas b", "000 inpas b", "000inpasb"),
    ("00 chemin C", "00 chemin c", "0 chemin c", "0* chemin c", "00 chemin c", "00cheminc"),
    ("0", "0", "0", "0*", "0", "0"),
    ("7 rue du 8 mai 1945", "7 rue du 8 mai 1945", "7 rue du 8 mai 1945", "sep* ru du ui mai 1945", "sep ru du ui mai 1945", "sepruduuimai1945"),
    ("rue du 11 novembre 1918", "rue du 11 novembre 1918", "rue du 11 novembre 1918", "ru du onz novenbr 1918", "ru du onz novenbr 1918", "ruduonznovenbr1918"),
    ("12 34 rue des Écoles", "12 34 rue des ecoles", "34 rue des ecoles", "34* ru de ekol", "34 ru de ekol", "34rudeekol"),
    ("2ème étage 4 rue Haute", "2eme etage 4 rue haute", "4 rue haute", "katr* ru aut", "deuxiem etaj katr ru aut", "deuxiemetajkatrruaut"),
    ("3e étage 12 avenue des Champs-Élysées", "3e etage 12 avenue des champs elysees", "12 avenue des champs elysees", "douz* avenu de chan elize", "troiziem etaj douz avenu de chan elize", "troiziemetajdouzavenudechanelize"),
    ("BP 123 45000 Orléans", "bp 123 45000 orleans", "45000 orleans", "45000 orlean", "bp 123 45000 orlean", "bp12345000orlean"),
    ("B.P. 12 10 rue de la paix", "b p 12 10 rue de la paix", "10 rue de la paix", "dix* ru de la paix", "b p dix ru de la paix", "bpdixrudelapaix"),
    ("CS 70001 33000 Bordeaux Cedex", "cs 70001 33000 bordeaux cedex", "33 bordeaux", "33* bordeau", "k 70001 33000 bordeau sedex", "k7000133000bordeausedex"),
    ("TSA 12345 75015 PARIS CEDEX 15", "tsa 12345 75015 paris cedex 15", "75 paris", "75* pari", "tsa 12345 75015 pari sedex kinz", "tsa1234575015parisedexkinz"),
    ("CIDEX 45 route de Pau", "cidex 45 route de pau", "45 route de pau", "45* rout de pau", "sidex 45 rout de pau", "sidex45routdepau"),
    ("Cedex 9", "cedex 9", "", "", "sedex neuf", "sedexneuf"),
    ("75008 Paris Cedex 08", "75008 paris cedex 08", "75 paris", "75* pari", "75008 pari sedex 08", "75008parisedex08"),
    ("boulevard Saint-Germain 75005", "boulevard saint germain 75005", "boulevard saint germain 75005", "boulevar sain jermain 75005", "boulevar sain jermain 75005", "boulevarsainjermain75005"),
    ("Place Saint-Michel", "place saint michel", "place saint michel", "plas sain michel", "plas sain michel", "plassainmichel"),
    ("St Jean de Luz", "st jean de luz", "st jean de luz", "sain jan de luz", "sain jan de luz", "sainjandeluz"),
    ("Ste Marie aux Mines", "ste marie aux mines", "ste marie aux mines", "saint mari au min", "saint mari au min", "saintmariaumin"),
    ("Sts Pierre et Paul", "sts pierre et paul", "sts pierre et paul", "sain pier et paul", "sain pier et paul", "sainpieretpaul"),
    ("Saint-Étienne", "saint etienne", "saint etienne", "sain etien", "sain etien", "sainetien"),
    ("L'Haÿ-les-Roses", "l hay les roses", "l hay les roses", "l ai le roz", "l ai le roz", "laileroz"),
    ("Rue de l’Église", "rue de l eglise", "rue de l eglise", "ru de l egliz", "ru de l egliz", "rudelegliz"),
    ("Rue de l'Abbé Grégoire", "rue de l abbe gregoire", "rue de l abbe gregoire", "ru de l ab gregoir", "ru de l ab gregoir", "rudelabgregoir"),
    ("Allée des Œillets", "allee des oeillets", "allee des oeillets", "ale de eulet", "ale de eulet", "aledeeulet"),
    ("Impasse Lætitia", "impasse laetitia", "impasse laetitia", "inpas letitia", "inpas letitia", "inpasletitia"),
    ("Straße", "strasse", "strasse", "stras", "stras", "stras"),
    ("Rue du Général de Gaulle", "rue du general de gaulle", "rue du general de gaulle", "ru du jeneral de gaul", "ru du jeneral de gaul", "rudujeneraldegaul"),
    ("Av. du Maréchal Foch", "av du marechal foch", "av du marechal foch", "avenu du marechal fok", "avenu du marechal fok", "avenudumarechalfok"),
    ("Rue Louis XIV", "rue louis xiv", "rue louis xiv", "ru loui katorz", "ru loui katorz", "rulouikatorz"),
    ("Rue Henri IV", "rue henri iv", "rue henri iv", "ru enri katr", "ru enri katr", "ruenrikatr"),
    ("Place Louis XVIII", "place louis xviii", "place louis xviii", "plas loui dix ui", "plas loui dix ui", "plaslouidixui"),
    ("Rue Jean XXIII", "rue jean xxiii", "rue jean xxiii", "ru jan xi", "ru jan xi", "rujanxi"),
    ("Rue du 14 Juillet", "rue du 14 juillet", "rue du 14 juillet", "ru du katorz juilet", "ru du katorz juilet", "rudukatorzjuilet"),
    ("Chemin rural n° 12", "chemin rural ndeg 12", "chemin rural ndeg 12", "chemin rural nd douz", "chemin rural n douz", "cheminruralndouz"),
    ("CR 5 dit des Vignes", "cr 5 dit des vignes", "cr 5 dit des vignes", "kour sink di de vign", "kour sink di de vign", "koursinkdidevign"),
    ("Lieudit Le Bourg", "lieudit le bourg", "le bourg", "le bour", "lieudi le bour", "lieudilebour"),
    ("Lieux-dits Les Champs", "lieux dits les champs", "les champs", "le chan", "lieu di le chan", "lieudilechan"),
    ("lieu dit", "lieu dit", "lieu dit", "lieu di", "lieu di", "lieudi"),
    ("ZA des Portes", "za des portes", "za des portes", "zon artizanal de port", "zon artizanal de port", "zonartizanaldeport"),
    ("ZI Nord", "zi nord", "zi nord", "zon industriel nor", "zon industriel nor", "zonindustrielnor"),
    ("ZAC du Parc", "zac du parc", "zac du parc", "zon amenajemen konsert du park", "zon amenajemen konsert du park", "zonamenajemenkonsertdupark"),
    ("HLM Les Tours", "hlm les tours", "hlm les tours", "abitation a loier moder le tour", "abitation a loier moder le tour", "abitationaloiermoderletour"),
    ("Résidence Les Pins Bât A", "residence les pins bat a", "residence les pins bat a", "rezidens le pin ba a", "rezidens le pin ba a", "rezidenslepinbaa"),
    ("Rés. du Lac", "res du lac", "res du lac", "rezidens du lak", "rezidens du lak", "rezidensdulak"),
    ("Quai de la Tournelle", "quai de la tournelle", "quai de la tournelle", "kai de la tournel", "kai de la tournel", "kaidelatournel"),
    ("Rond-point de l'Europe", "rond point de l europe", "rond point de l europe", "ron poin de l europ", "ron poin de l europ", "ronpoindeleurop"),
    ("rond point du Général", "rond point du general", "rond point du general", "ron poin du jeneral", "ron poin du jeneral", "ronpoindujeneral"),
    ("Hameau de Chantemerle", "hameau de chantemerle", "hameau de chantemerle", "ameau de chantemerl", "ameau de chantemerl", "ameaudechantemerl"),
    ("Lotissement Les Genêts", "lotissement les genets", "lotissement les genets", "lotisemen le jenet", "lotisemen le jenet", "lotisemenlejenet"),
    ("Cité Jardin", "cite jardin", "cite jardin", "sit jardin", "sit jardin", "sitjardin"),
    ("Square Montholon", "square montholon", "square montholon", "skar montolon", "skar montolon", "skarmontolon"),
    ("Villa Saïd", "villa said", "villa said", "vila sai", "vila sai", "vilasai"),
    ("Chaussée d'Antin", "chaussee d antin", "chaussee d antin", "chause d antin", "chause d antin", "chausedantin"),
    ("Sentier des Douaniers", "sentier des douaniers", "sentier des douaniers", "sentier de douanier", "sentier de douanier", "sentierdedouanier"),
    ("Ruelle aux Chats", "ruelle aux chats", "ruelle aux chats", "ruel au cha", "ruel au cha", "ruelaucha"),
    ("Impasse du Château d'Eau", "impasse du chateau d eau", "impasse du chateau d eau", "inpas du chateau d eau", "inpas du chateau d eau", "inpasduchateaudeau"),
    ("Rue des Champs", "rue des champs", "rue des champs", "ru de chan", "ru de chan", "rudechan"),
    ("Rue de Champvallon", "rue de champvallon", "rue de champvallon", "ru de chanvalon", "ru de chanvalon", "rudechanvalon"),
    ("Rue Vingt-Trois", "rue vingt trois", "rue vingt trois", "ru vin troi", "ru vin troi", "ruvintroi"),
    ("Rue du Seigneur", "rue du seigneur", "rue du seigneur", "ru du senieur", "ru du senieur", "rudusenieur"),
    ("Rue Georges Brassens", "rue georges brassens", "rue georges brassens", "ru jorj brasen", "ru jorj brasen", "rujorjbrasen"),
    ("Rue Philippe Auguste", "rue philippe auguste", "rue philippe auguste", "ru filip august", "ru filip august", "rufilipaugust"),
    ("Rue Thiers", "rue thiers", "rue thiers", "ru tier", "ru tier", "rutier"),
    ("Route de Pforzheim", "route de pforzheim", "route de pforzheim", "rout de pforzaim", "rout de pforzaim", "routdepforzaim"),
    ("Rue des Oeufs", "rue des oeufs", "rue des oeufs", "ru de eu", "ru de eu", "rudeeu"),
    ("Rue Saint-Exupéry", "rue saint exupery", "rue saint exupery", "ru sain exuperi", "ru sain exuperi", "rusainexuperi"),
    ("Rue des Quatre Vents", "rue des quatre vents", "rue des quatre vents", "ru de katr ven", "ru de katr ven", "rudekatrven"),
    ("Rue Guy Môquet", "rue guy moquet", "rue guy moquet", "ru gui moket", "ru gui moket", "ruguimoket"),
    ("Rue de Gueugnon", "rue de gueugnon", "rue de gueugnon", "ru de geugnon", "ru de geugnon", "rudegeugnon"),
    ("Rue du Cygne", "rue du cygne", "rue du cygne", "ru du sign", "ru du sign", "rudusign"),
    ("Chemin des Eaux", "chemin des eaux", "chemin des eaux", "chemin de eau", "chemin de eau", "chemindeeau"),
    ("Rue Blanc", "rue blanc", "rue blanc", "ru blan", "ru blan", "rublan"),
    ("Rue de Bach", "rue de bach", "rue de bach", "ru de bak", "ru de bak", "rudebak"),
    ("Rue du Schloss", "rue du schloss", "rue du schloss", "ru du chlos", "ru du chlos", "ruduchlos"),
    ("Rue Yves Montand", "rue yves montand", "rue yves montand", "ru iv montan", "ru iv montan", "ruivmontan"),
    ("Rue Wilson", "rue wilson", "rue wilson", "ru vilson", "ru vilson", "ruvilson"),
    ("Rue Hoche", "rue hoche", "rue hoche", "ru och", "ru och", "ruoch"),
    ("8", "8", "8", "ui*", "ui", "ui"),
    ("8 rue", "8 rue", "8 rue", "ui* ru", "ui ru", "uiru"),
    ("a", "a", "a", "a", "a", "a"),
    ("B", "b", "b", "b", "b", "b"),
    ("-", "", "", "", "", ""),
    (".", "", "", "", "", ""),
    (" ", "", "", "", "", ""),
    ("1er", "1er", "1er", "premier", "premier", "premier"),
    ("2e", "2e", "2e", "deuxiem*", "deuxiem", "deuxiem"),
    ("18e", "18e", "18e", "dix* uitiem*", "dix uitiem", "dixuitiem"),
    ("2ème", "2eme", "2eme", "deuxiem", "deuxiem", "deuxiem"),
    ("1ère", "1ere", "1ere", "premier", "premier", "premier"),
    ("IIe", "iie", "iie", "deuxiem", "deuxiem", "deuxiem"),
    ("XIXe", "xixe", "xixe", "dix neuviem", "dix neuviem", "dixneuviem"),
    ("2 3", "2 3", "2 3", "deu* troi", "deu troi", "deutroi"),
    ("Mairie", "mairie", "mairie", "mairi", "mairi", "mairi"),
    ("Place de la Mairie 1er étage", "place de la mairie 1er etage", "place de la mairie 1er etage", "plas de la mairi premier etaj", "plas de la mairi premier etaj", "plasdelamairipremieretaj"),
    ("Société Générale 29 boulevard Haussmann 75009 Paris", "societe generale 29 boulevard haussmann 75009 paris", "29 boulevard haussmann 75009 paris", "29* boulevar ausman 75009 pari", "sosiet jeneral 29 boulevar ausman 75009 pari", "sosietjeneral29boulevarausman75009pari"),
    ("Chez M. Martin, 4 bis, rue du Four", "chez m martin 4 bis rue du four", "4 bis rue du four", "4b* ru du four", "chez m martin 4b ru du four", "chezmmartin4brudufour"),
    ("ETS Leclerc 12 ZA du Moulin", "ets leclerc 12 za du moulin", "ets leclerc 12 za du moulin", "et leklerk douz zon artizanal du moulin", "et leklerk douz zon artizanal du moulin", "etleklerkdouzzonartizanaldumoulin"),
    ("Appt 12 Bat C 5 rue Victor Hugo 69003 Lyon", "appt 12 bat c 5 rue victor hugo 69003 lyon", "5 rue victor hugo 69003 lyon", "sink* ru viktor ugo 69003 lion", "ap douz ba c sink ru viktor ugo 69003 lion", "apdouzbacsinkruviktorugo69003lion"),
    ("Paris", "paris", "paris", "pari", "pari", "pari"),
    ("Lyon 3e", "lyon 3e", "lyon 3e", "lion troiziem", "lion troiziem", "liontroiziem"),
    ("Marseille 13001", "marseille 13001", "marseille 13001", "marsel 13001", "marsel 13001", "marsel13001"),
    ("69003", "69003", "69003", "69003", "69003", "69003"),
    ("2A004", "2a004", "2a004", "2a004", "2a004", "2a004"),
    ("97411 Saint-Denis", "97411 saint denis", "97411 saint denis", "97411 sain deni", "97411 sain deni", "97411saindeni"),
    ("98825 Pouembout", "98825 pouembout", "98825 pouembout", "98825 pouenbou", "98825 pouenbou", "98825pouenbou"),
    ("Rue de la Paix s/s sol", "rue de la paix s s sol", "rue de la paix s s sol", "ru de la paix s s sol", "ru de la paix s s sol", "rudelapaixsssol"),
    ("3 allée 1", "3 allee 1", "3 allee 1", "troi* ale un", "troi ale un", "troialeun"),
    ("4 allée du 4 Septembre", "4 allee du 4 septembre", "4 allee du 4 septembre", "katr* ale du katr septenbr", "katr ale du katr septenbr", "katraledukatrseptenbr"),
    ("6 rue 6", "6 rue 6", "6 rue 6", "six* ru six", "six ru six", "sixrusix"),
    ("2 b rue du Pont", "2 b rue du pont", "2 b rue du pont", "2b* ru du pon", "2b ru du pon", "2brudupon"),
    ("2 B", "2 b", "2 b", "2b*", "2b", "2b"),
    ("10 c", "10 c", "10 c", "10c*", "10c", "10c"),
    ("10c", "10c", "10c", "10c*", "10c", "10c"),
    ("10 ch des Ânes", "10 ch des anes", "10 ch des anes", "dix* chemin de an", "dix chemin de an", "dixchemindean"),
    ("Route d'Arles", "route d arles", "route d arles", "rout d arl", "rout d arl", "routdarl"),
    ("Rue d'Alsace-Lorraine", "rue d alsace lorraine", "rue d alsace lorraine", "ru d alsas lorain", "ru d alsas lorain", "rudalsaslorain"),
    ("Boulevard de l'Yser", "boulevard de l yser", "boulevard de l yser", "boulevar de l izer", "boulevar de l izer", "boulevardelizer"),
    ("Rue de Strasbourg", "rue de strasbourg", "rue de strasbourg", "ru de strasbour", "ru de strasbour", "rudestrasbour"),
    ("Rue Nationale", "rue nationale", "rue nationale", "ru national", "ru national", "runational"),
    ("Grand'Rue", "grand rue", "grand rue", "gran ru", "gran ru", "granru"),
    ("Grande Rue", "grande rue", "grande rue", "grand ru", "grand ru", "grandru"),
    ("Gr Rue", "gr rue", "gr rue", "grand ru ru", "grand ru ru", "grandruru"),
    ("Rue St-Pierre", "rue st pierre", "rue st pierre", "ru sain pier", "ru sain pier", "rusainpier"),
    ("Ch. de la Croix", "ch de la croix", "ch de la croix", "chemin de la kroix", "chemin de la kroix", "chemindelakroix"),
    ("N° 5 € 2½", "ndeg 5 EUR 2 1 2", "ndeg 5 EUR 2 1 2", "nd sink eur un deu", "n sink 2 1/2", "nsink21/2"),
    ("Rue ¼ de lieue", "rue 1 4 de lieue", "rue 1 4 de lieue", "ru katr de lieu", "ru 1/4 de lieu", "ru1/4delieu"),
    ("Avenue Nǐ Hǎo", "avenue ni hao", "avenue ni hao", "avenu ni ao", "avenu ni ao", "avenuniao"),
    ("Rue Ｐａｒｉｓ", "rue paris", "rue paris", "ru pari", "ru pari", "rupari"),
    ("Rue de la ﬁlature", "rue de la filature", "rue de la filature", "ru de la filatur", "ru de la filatur", "rudelafilatur"),
    ("Rue du Père Noël", "rue du pere noel", "rue du pere noel", "ru du per neul", "ru du per neul", "ruduperneul"),
    ("Rue de Nîmes", "rue de nimes", "rue de nimes", "ru de nim", "ru de nim", "rudenim"),
    ("Île de Ré", "ile de re", "ile de re", "il de re", "il de re", "ildere"),
    ("Rue de l'Îlot", "rue de l ilot", "rue de l ilot", "ru de l ilo", "ru de l ilo", "rudelilo"),
    ("Rue de Pontoise", "rue de pontoise", "rue de pontoise", "ru de pontoiz", "ru de pontoiz", "rudepontoiz"),
    ("Rue Nungesser et Coli", "rue nungesser et coli", "rue nungesser et coli", "ru nunjeser et koli", "ru nunjeser et koli", "rununjeseretkoli"),
    ("Impasse des Lys", "impasse des lys", "impasse des lys", "inpas de li", "inpas de li", "inpasdeli"),
    ("Rue Dupont-des-Loges", "rue dupont des loges", "rue dupont des loges", "ru dupon de loj", "ru dupon de loj", "rudupondeloj"),
    ("Chemin de Halage", "chemin de halage", "chemin de halage", "chemin de alaj", "chemin de alaj", "chemindealaj"),
    ("Rue des Hérons", "rue des herons", "rue des herons", "ru de eron", "ru de eron", "rudeeron"),
    ("Rue Haute", "rue haute", "rue haute", "ru aut", "ru aut", "ruaut"),
    ("Rue du Heaume", "rue du heaume", "rue du heaume", "ru du eaum", "ru du eaum", "rudueaum"),
    ("Place Hôtel de Ville", "place hotel de ville", "place hotel de ville", "plas otel de vil", "plas otel de vil", "plasoteldevil"),
    ("Rue Jacques Cœur", "rue jacques coeur", "rue jacques coeur", "ru jak keur", "ru jak keur", "rujakkeur"),
    ("Rue Pierre Brossolette", "rue pierre brossolette", "rue pierre brossolette", "ru pier brosolet", "ru pier brosolet", "rupierbrosolet"),
    ("Boulevard Voltaire", "boulevard voltaire", "boulevard voltaire", "boulevar voltair", "boulevar voltair", "boulevarvoltair"),
    ("Rue de Bercy", "rue de bercy", "rue de bercy", "ru de bersi", "ru de bersi", "rudebersi"),
    ("12 rue Saint-Quentin", "12 rue saint quentin", "12 rue saint quentin", "douz* ru sain kentin", "douz ru sain kentin", "douzrusainkentin"),
    ("Quai Ouest", "quai ouest", "quai ouest", "kai ouest", "kai ouest", "kaiouest"),
    ("La Quincaillerie", "la quincaillerie", "la quincaillerie", "la kinkaileri", "la kinkaileri", "lakinkaileri"),
    ("Rue Aquitaine", "rue aquitaine", "rue aquitaine", "ru akitain", "ru akitain", "ruakitain"),
    ("rue des 3 Frères", "rue des 3 freres", "rue des 3 freres", "ru de troi frer", "ru de troi frer", "rudetroifrer"),
    ("rue des 2 Ponts", "rue des 2 ponts", "rue des 2 ponts", "ru de deu pon", "ru de deu pon", "rudedeupon"),
    ("le 100", "le 100", "le 100", "le sen", "le sen", "lesen"),
    ("12 bis", "12 bis", "12 bis", "12b*", "12b", "12b"),
    ("12bis rue", "12bis rue", "12bis rue", "12b* ru", "12b ru", "12bru"),
    ("12 bis 3 rue", "12 bis 3 rue", "12 bis 3 rue", "douz* bi troi ru", "douz bi troi ru", "douzbitroiru"),
    ("12 a b rue", "12 a b rue", "12 a b rue", "douz* a b ru", "douz a b ru", "douzabru"),
    ("12_3 rue", "12_3 rue", "12_3 rue", "12_3 ru", "12_3 ru", "12_3ru"),
    ("A 12 rue des Pins", "a 12 rue des pins", "12 rue des pins", "douz* ru de pin", "a douz ru de pin", "adouzrudepin"),
    ("a12 rue des Pins", "a12 rue des pins", "a12 rue des pins", "a12 ru de pin", "a12 ru de pin", "a12rudepin"),
    ("5, rue des Lilas", "5 rue des lilas", "5 rue des lilas", "sink* ru de lila", "sink ru de lila", "sinkrudelila"),
    ("5 , rue des Lilas", "5 rue des lilas", "5 rue des lilas", "sink* ru de lila", "sink ru de lila", "sinkrudelila"),
    ("Passagge Coluche Anglure-sous-Dun", "passagge coluche anglure sous dun", "passagge coluche anglure sous dun", "pasag koluch anglur sou dun", "pasag koluch anglur sou dun", "pasagkoluchanglursoudun"),
    ("11 rue Alain Gerbault Dumbéa", "11 rue alain gerbault dumbea", "11 rue alain gerbault dumbea", "onz* ru alain jerbau dunbea", "onz ru alain jerbau dunbea", "onzrualainjerbaudunbea"),
    ("18 rue des hêttes gourdon", "18 rue des hettes gourdon", "18 rue des hettes gourdon", "dix* ui* ru de et gourdon", "dix ui ru de et gourdon", "dixuirudeetgourdon"),
    ("7 Rue Adlophe BARRAU Nouméa", "7 rue adlophe barrau noumea", "7 rue adlophe barrau noumea", "sep* ru adlof barau noumea", "sep ru adlof barau noumea", "sepruadlofbaraunoumea"),
    ("9 Rue Paul BOISSERY Nouméa", "9 rue paul boissery noumea", "9 rue paul boissery noumea", "neuf* ru paul boiseri noumea", "neuf ru paul boiseri noumea", "neufrupaulboiserinoumea"),
    ("2 Lotissement des Marais Bannalec", "2 lotissement des marais bannalec", "2 lotissement des marais bannalec", "deu* lotisemen de marai banalek", "deu lotisemen de marai banalek", "deulotisemendemaraibanalek"),
    ("Chemin des Fauvettes, 10400 Saint-Aubin", "chemin des fauvettes 10400 saint aubin", "chemin des fauvettes 10400 saint aubin", "chemin de fauvet 10400 sain aubin", "chemin de fauvet 10400 sain aubin", "chemindefauvet10400sainaubin"),
    ("81 Rue de PAPEETTE Noumea", "81 rue de papeette noumea", "81 rue de papeette noumea", "81* ru de papet noumea", "81 ru de papet noumea", "81rudepapetnoumea"),
    ("3 a rue de la liberté canehan", "3 a rue de la liberte canehan", "3 a rue de la liberte canehan", "3a* ru de la libert kanean", "3a ru de la libert kanean", "3arudelalibertkanean"),
    ("210 Route Terrritoriale N°1 Dumbea", "210 route terrritoriale ndeg1 dumbea", "210 route terrritoriale ndeg1 dumbea", "210* rout teritorial ndeg1 dunbea", "210 rout teritorial n un dunbea", "210routteritorialnundunbea"),
    ("8, Rue des Hteres, Dietwiller", "8 rue des hteres dietwiller", "8 rue des hteres dietwiller", "ui* ru de ter dietviler", "ui ru de ter dietviler", "uirudeterdietviler"),
    ("7, impasse des acacias, le touquet-paris-plage", "7 impasse des acacias le touquet paris plage", "7 impasse des acacias le touquet paris plage", "sep* inpas de akasia le touket pari plaj", "sep inpas de akasia le touket pari plaj", "sepinpasdeakasialetouketpariplaj"),
    ("17 R. de PARIS Nouméa", "17 r de paris noumea", "17 r de paris noumea", "dix* sep* ru de pari noumea", "dix sep ru de pari noumea", "dixseprudeparinoumea"),
    ("5 R Lucien Fuguere Dumbéa", "5 r lucien fuguere dumbea", "5 r lucien fuguere dumbea", "sink* ru lusien fuger dunbea", "sink ru lusien fuger dunbea", "sinkrulusienfugerdunbea"),
    ("30 Voie Privee du Plateau des Koghis Dumbéa", "30 voie privee du plateau des koghis dumbea", "30 voie privee du plateau des koghis dumbea", "30* voi prive du plateau de kogi dunbea", "30 voi prive du plateau de kogi dunbea", "30voipriveduplateaudekogidunbea"),
    ("19 Rue Paul MERCIER Nouméa", "19 rue paul mercier noumea", "19 rue paul mercier noumea", "dix* neuf* ru paul mersier noumea", "dix neuf ru paul mersier noumea", "dixneufrupaulmersiernoumea"),
    ("38 Rue du 5 MAI Noumea", "38 rue du 5 mai noumea", "38 rue du 5 mai noumea", "38* ru du sink mai noumea", "38 ru du sink mai noumea", "38rudusinkmainoumea"),
    ("15 r gal de gaulle 49125 tiercé", "15 r gal de gaulle 49125 tierce", "15 r gal de gaulle 49125 tierce", "kinz* ru jeneral de gaul 49125 tiers", "kinz ru jeneral de gaul 49125 tiers", "kinzrujeneraldegaul49125tiers"),
    ("54b ruote de bisel dietwiller", "54b ruote de bisel dietwiller", "54b ruote de bisel dietwiller", "54b* ruot de bizel dietviler", "54b ruot de bizel dietviler", "54bruotdebizeldietviler"),
    ("6 rue de la rivière, 49125 tiercé", "6 rue de la riviere 49125 tierce", "6 rue de la riviere 49125 tierce", "six* ru de la rivier 49125 tiers", "six ru de la rivier 49125 tiers", "sixrudelarivier49125tiers"),
    ("36 Imp. Celestin Tein Koné", "36 imp celestin tein kone", "36 imp celestin tein kone", "36* inpas selestin ten kon", "36 inpas selestin ten kon", "36inpasselestintenkon"),
    ("11 R. de la BIRLLANTE Noumea", "11 r de la birllante noumea", "11 r de la birllante noumea", "onz* ru de la birlant noumea", "onz ru de la birlant noumea", "onzrudelabirlantnoumea"),
    ("Badens", "badens", "badens", "baden", "baden", "baden"),
    ("Bannalec", "bannalec", "bannalec", "banalek", "banalek", "banalek"),
    ("22 R de la Citadelle 54385 Roières-en-Haye", "22 r de la citadelle 54385 roieres en haye", "22 r de la citadelle 54385 roieres en haye", "22* ru de la sitadel 54385 roier en ai", "22 ru de la sitadel 54385 roier en ai", "22rudelasitadel54385roierenai"),
    ("225 Chem de la Petite Halle 19400 Hautefage", "225 chem de la petite halle 19400 hautefage", "225 chem de la petite halle 19400 hautefage", "225* chemin de la petit al 19400 autefaj", "225 chemin de la petit al 19400 autefaj", "225chemindelapetital19400autefaj"),
    ("1 Avenue du Port, 88700 Nossoncourt", "1 avenue du port 88700 nossoncourt", "1 avenue du port 88700 nossoncourt", "un* avenu du por 88700 nosonkour", "un avenu du por 88700 nosonkour", "unavenudupor88700nosonkour"),
    ("391 BIS Chem des Lilas Allas-Champagne", "391 bis chem des lilas allas champagne", "391 bis chem des lilas allas champagne", "391b* chemin de lila ala chanpagn", "391b chemin de lila ala chanpagn", "391bchemindelilaalachanpagn"),
    ("15 Rue de la Croix, 77177 Brou-sur-Chantereine", "15 rue de la croix 77177 brou sur chantereine", "15 rue de la croix 77177 brou sur chantereine", "kinz* ru de la kroix 77177 brou sur chanteren", "kinz ru de la kroix 77177 brou sur chanteren", "kinzrudelakroix77177brousurchanteren"),
    ("27 rue Patrick DJIRAM Noumea", "27 rue patrick djiram noumea", "27 rue patrick djiram noumea", "27* ru patrik djiram noumea", "27 ru patrik djiram noumea", "27rupatrikdjiramnoumea"),
    ("28 R. BOUQUET DE LA GRYE Nouméa", "28 r bouquet de la grye noumea", "28 r bouquet de la grye noumea", "28* ru bouket de la gri noumea", "28 ru bouket de la gri noumea", "28rubouketdelagrinoumea"),
    ("12 R. du Général GALLIENI Nouméa", "12 r du general gallieni noumea", "12 r du general gallieni noumea", "douz* ru du jeneral galieni noumea", "douz ru du jeneral galieni noumea", "douzrudujeneralgalieninoumea"),
    ("83 Rue de CHARLEROI Nouméa", "83 rue de charleroi noumea", "83 rue de charleroi noumea", "83* ru de charleroi noumea", "83 ru de charleroi noumea", "83rudecharleroinoumea"),
    ("15bis Rue Jean JAURES Nouméa", "15bis rue jean jaures noumea", "15bis rue jean jaures noumea", "15b* ru jan jaur noumea", "15b ru jan jaur noumea", "15brujanjaurnoumea"),
    ("1 Avenue de l'Étang Gourdon", "1 avenue de l etang gourdon", "1 avenue de l etang gourdon", "un* avenu de l etan gourdon", "un avenu de l etan gourdon", "unavenudeletangourdon"),
    ("7 Route de la BAIE DES DAMES - RUE JOSE CASAROLI Nouméa", "7 route de la baie des dames rue jose casaroli noumea", "7 route de la baie des dames rue jose casaroli noumea", "sep* rout de la bai de dam ru joz kazaroli noumea", "sep rout de la bai de dam ru joz kazaroli noumea", "seproutdelabaidedamrujozkazarolinoumea"),
    ("2 Boulevard des Semailles 34810", "2 boulevard des semailles 34810", "2 boulevard des semailles 34810", "deu* boulevar de semail 34810", "deu boulevar de semail 34810", "deuboulevardesemail34810"),
    ("9 Pl Louis Aragon 18380 La Chapelle-d'Angillon", "9 pl louis aragon 18380 la chapelle d angillon", "9 pl louis aragon 18380 la chapelle d angillon", "neuf* plas loui aragon 18380 la chapel d anjilon", "neuf plas loui aragon 18380 la chapel d anjilon", "neufplaslouiaragon18380lachapeldanjilon"),
    ("9 Rue du Vieux Bourg 46300 Gourdon", "9 rue du vieux bourg 46300 gourdon", "9 rue du vieux bourg 46300 gourdon", "neuf* ru du vieu bour 46300 gourdon", "neuf ru du vieu bour 46300 gourdon", "neufruduvieubour46300gourdon"),
    ("4 Rue du SAINT-LOUIS Noumea", "4 rue du saint louis noumea", "4 rue du saint louis noumea", "katr* ru du sain loui noumea", "katr ru du sain loui noumea", "katrrudusainlouinoumea"),
    ("Issoire", "issoire", "issoire", "isoir", "isoir", "isoir"),
    ("Le Bois de l'Étang", "le bois de l etang", "le bois de l etang", "le boi de l etan", "le boi de l etan", "leboideletan"),
    ("Rue des Verreries des Prés", "rue des verreries des pres", "rue des verreries des pres", "ru de vereri de pr", "ru de vereri de pr", "rudevereridepr"),
    ("Manonviller", "manonviller", "manonviller", "manonviler", "manonviler", "manonviler"),
    ("Rue Louis KADDOUR", "rue louis kaddour", "rue louis kaddour", "ru loui kadour", "ru loui kadour", "rulouikadour"),
    ("Semillac", "semillac", "semillac", "semilak", "semilak", "semilak"),
    ("Pullay", "pullay", "pullay", "pulai", "pulai", "pulai"),
    ("Ymare", "ymare", "ymare", "imar", "imar", "imar"),
    ("Nuits-Saint-Georges", "nuits saint georges", "nuits saint georges", "nui sain jorj", "nui sain jorj", "nuisainjorj"),
    ("Trie-la-Ville", "trie la ville", "trie la ville", "tri la vil", "tri la vil", "trilavil"),
    ("Route de la Basse Source", "route de la basse source", "route de la basse source", "rout de la bas sours", "rout de la bas sours", "routdelabassours"),
    ("La Dominelais", "la dominelais", "la dominelais", "la dominelai", "la dominelai", "ladominelai"),
    ("Mouzens", "mouzens", "mouzens", "mouzen", "mouzen", "mouzen"),
    ("Audouville-la-Hubert", "audouville la hubert", "audouville la hubert", "audouvil la uber", "audouvil la uber", "audouvillauber"),
    ("Lesmont", "lesmont", "lesmont", "lesmon", "lesmon", "lesmon"),
    ("Exermont", "exermont", "exermont", "exermon", "exermon", "exermon"),
    ("Montgilbert", "montgilbert", "montgilbert", "monjilber", "monjilber", "monjilber"),
    ("Valenton", "valenton", "valenton", "valenton", "valenton", "valenton"),
    ("Welles-Pérennes", "welles perennes", "welles perennes", "vel peren", "vel peren", "velperen"),
    ("Voyenne", "voyenne", "voyenne", "voien", "voien", "voien"),
    ("Chassenard", "chassenard", "chassenard", "chasenar", "chasenar", "chasenar"),
    ("Impasse Paul Verlaine", "impasse paul verlaine", "impasse paul verlaine", "inpas paul verlain", "inpas paul verlain", "inpaspaulverlain"),
    ("Xaintrailles", "xaintrailles", "xaintrailles", "xaintrail", "xaintrail", "xaintrail"),
    ("Le Poinçonnet", "le poinconnet", "le poinconnet", "le poinkonet", "le poinkonet", "lepoinkonet"),
    ("Lixy", "lixy", "lixy", "lixi", "lixi", "lixi"),
    ("Clerlande", "clerlande", "clerlande", "klerland", "klerland", "klerland"),
    ("Bonnée", "bonnee", "bonnee", "bone", "bone", "bone"),
    ("Saint-Pierre-Brouck", "saint pierre brouck", "saint pierre brouck", "sain pier brouk", "sain pier brouk", "sainpierbrouk"),
    ("Saint-Pierre-la-Bruyère", "saint pierre la bruyere", "saint pierre la bruyere", "sain pier la bruier", "sain pier la bruier", "sainpierlabruier"),
    ("Carcheto-Brustico", "carcheto brustico", "carcheto brustico", "karcheto brustiko", "karcheto brustiko", "karchetobrustiko"),
    ];

    #[test]
    fn golden_cases_from_python() {
        assert!(GOLDEN.len() >= 80);
        for &(input, folded, pre, query, doc, key) in GOLDEN {
            assert_eq!(fold(input), folded, "fold({input:?})");
            assert_eq!(preprocess_query(input), pre, "preprocess_query({input:?})");
            assert_eq!(q(input), query, "query_tokens({input:?})");
            assert_eq!(document_tokens(input).join(" "), doc, "document_tokens({input:?})");
            assert_eq!(housenumber_key(input), key, "housenumber_key({input:?})");
        }
    }
}
