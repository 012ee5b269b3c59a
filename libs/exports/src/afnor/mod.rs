//! "Nom AFNOR" of a street name: the postal form of the name (upper case, no accents, only
//! `A-Z`, `0-9` and spaces, shortened towards 32 characters by successive abbreviation passes).
//!
//! This is a port of the npm package `@etalab/normadresse` 1.2.0 (MIT), the code the BAN uses
//! to fill its `nom_afnor` column. It reproduces `index.js` exactly, quirks included; the
//! abbreviation table is `data/afnor/rules.tsv`, built from the package's `rules.json` by
//! `data/afnor/build.py` (each row is the regular expression and replacement string that
//! `index.js` actually builds for a pass). The algorithm:
//!
//! - preprocessing: lodash `deburr` ([`ban_domain::deburr`]: Latin-1 and Latin Extended-A letters to ASCII,
//!   combining marks removed), upper case, every UTF-16 unit that is not `A-Z`/`0-9` becomes
//!   a space, then each pair of spaces becomes one (runs of spaces are halved, not collapsed).
//!   If the result has at most 32 characters, it is the answer (not trimmed);
//! - pass 1: street types (`AVENUE ` → `av `, anywhere in the string, even inside a word);
//! - pass 2: titles, twice over (` GENERAL ` → ` gal `);
//! - pass 4: general words, three times over (`(^| )NATIONAL ` → ` nal `), trimming after
//!   each rule;
//! - pass 5: street types anywhere but at the start, twice over (`rules["5"]` then
//!   `rules["1"]`);
//! - pass 3: first names (`JEAN` → `j`) in every word but the first and the last, unless the
//!   previous word starts with `SAINT`; a rule matches when its name occurs anywhere in the
//!   word (`MARCHE` contains `MARC`), and the last matching rule wins;
//! - pass 6: ` SAINT ` → ` st `, ` SAINTE ` → ` ste `…, twice over;
//! - pass 5bis: street type at the start (`^CHEMIN ` → `chem `);
//! - pass 9: particles of surnames protected by lower-casing them (`DE LA FAYETTE` →
//!   `de la FAYETTE`);
//! - pass 10: removal of upper-case articles (` LE `, ` DE `…), one at a time, up to 6;
//! - pass 11: remaining upper-case words (but the first and the last) reduced to their
//!   initial, one at a time;
//! - pass 12: removal of lower-case articles, one at a time, up to 4;
//!
//! and the result is upper-cased. Each `replace` replaces the first match only. After each of
//! passes 1 to 5bis, `selectShortWords` keeps the shortest prefix of abbreviated words (the
//! rest taken from the pass's input) that fits in 32 characters; abbreviations that
//! swallowed several words leave `@` placeholders so that words stay aligned. The function
//! returns as soon as the name fits, so the result may still be longer than 32 characters.
//!
//! One behaviour cannot be reproduced: when a pass ends with a string that has no space and
//! more than 32 characters, `selectShortWords` returns `undefined` and the JavaScript code
//! throws a `TypeError`. [`nom_afnor`] returns that string instead (upper-cased).
//!
//! What is hand-written here is what must reproduce the package byte for byte: the order of
//! the passes and their repetitions, `selectShortWords` with its JavaScript array holes, the
//! preprocessing (`deburr`, per-UTF-16-unit filtering, halving of spaces) and the word-level
//! passes 3 and 11. The table's regular expressions run on the `regex` crate (`rules`), with
//! JavaScript's replacement syntax read by a few lines there. The whole was checked name for
//! name against the package on 505,000 names: `bench/afnor/check.sh`.

mod rules;

use std::sync::LazyLock;

use ban_domain::deburr::{deburr_letter, is_combining_mark};

use rules::{Pass, Rules};

/// Length limit of a nom AFNOR (the package's default `maxLength`).
const MAX_LEN: usize = 32;

/// The abbreviation table, parsed once.
static RULES: LazyLock<Rules> = LazyLock::new(|| {
    Rules::parse(include_str!("../../../../data/afnor/rules.tsv"))
        .expect("data/afnor/rules.tsv is embedded at compile time and must be valid")
});

/// Nom AFNOR of a street name, as `@etalab/normadresse` 1.2.0 computes it with its default
/// maximum length of 32 characters.
pub fn nom_afnor(name: &str) -> String {
    let mut out = normalize(&RULES, name, MAX_LEN);
    out.make_ascii_uppercase();
    out
}

/// `normalize(input, maxLength)` of `index.js`, without the final upper-casing.
///
/// Every string handled here is ASCII: [`preprocess`] only produces `A-Z`, `0-9` and spaces,
/// and the table's replacements are ASCII (checked when it is parsed).
fn normalize(rules: &Rules, name: &str, max: usize) -> String {
    let mut input = preprocess(name);
    if input.len() <= max {
        return input;
    }
    let mut output = input.clone();

    // 1 - abréviation du type de voie
    // 2 - abréviation des titres militaires, religieux et civils
    // 4 - abréviations générales (the string is trimmed after every rule)
    // 5 - abréviation type de voies
    for (pass, times, after_each) in [
        (&rules.pass1, 1, untouched as AfterRule),
        (&rules.pass2, 2, untouched),
        (&rules.pass4, 3, trim),
        (&rules.pass5, 2, untouched),
    ] {
        if table_pass(pass, times, after_each, &mut input, &mut output, max) {
            return output;
        }
    }

    // 3 - abréviations prénoms sauf pour ST prénoms
    let replaced = {
        let mut words: Vec<&str> = output.split(' ').collect();
        let mut changed = false;
        for i in 1..words.len().saturating_sub(1) {
            let word = words[i];
            if !words[i - 1].starts_with("SAINT") {
                for (re, short) in &rules.pass3 {
                    if re.is_match(word) {
                        words[i] = short;
                        changed = true;
                    }
                }
            }
        }
        changed.then(|| words.join(" "))
    };
    if let Some(replaced) = replaced {
        output = replaced;
    }
    if end_of_pass(&mut input, &mut output, max) {
        return output;
    }

    // 6 - abréviation saint/sainte
    // 5bis - type de voie en début
    for (pass, times) in [(&rules.pass6, 2), (&rules.pass5bis, 1)] {
        if table_pass(pass, times, untouched, &mut input, &mut output, max) {
            return output;
        }
    }

    // 9 - remplacement des particules des noms propres pour ne pas les supprimer
    rules.pass9.apply(&mut output, |_| false);

    // 10 - élimination des articles
    for _ in 0..6 {
        let replaced = rules.articles_upper.replace_first(&mut output);
        if output.len() <= max {
            return output;
        }
        if !replaced {
            break; // nothing left to remove: the remaining steps would change nothing
        }
    }

    // 11 - abréviations résiduelles: upper-case words (but the first and the last) → initial
    let replaced = {
        let mut words: Vec<&str> = output.split(' ').collect();
        let mut len = output.len();
        let mut changed = false;
        for i in 1..words.len().saturating_sub(1) {
            let word = words[i];
            let bytes = word.as_bytes();
            // `word === word.toUpperCase() && word.length > 1 && word.charCodeAt(0) >= 65`
            if bytes.len() > 1 && bytes[0] >= b'A' && !bytes.iter().any(u8::is_ascii_lowercase) {
                words[i] = &word[..1];
                len -= bytes.len() - 1;
                changed = true;
                if len <= max {
                    return words.join(" ");
                }
            }
        }
        changed.then(|| words.join(" "))
    };
    if let Some(replaced) = replaced {
        output = replaced;
    }

    // 12 - élimination des articles (lower case, i.e. those protected or produced above)
    for _ in 0..4 {
        let replaced = rules.articles_lower.replace_first(&mut output);
        if output.len() <= max {
            return output;
        }
        if !replaced {
            break;
        }
    }

    output
}

/// What runs after each rule of a table pass; says whether it changed the string.
type AfterRule = fn(&mut String) -> bool;

/// Nothing after a rule.
fn untouched(_: &mut String) -> bool {
    false
}

/// A pass of the table (1, 2, 4, 5, 6, 5bis): its rules applied `times` times, `after_each`
/// after each rule, then [`end_of_pass`]. Returns whether `normalize` must return `output`.
fn table_pass(
    pass: &Pass,
    times: usize,
    after_each: AfterRule,
    input: &mut String,
    output: &mut String,
    max: usize,
) -> bool {
    for _ in 0..times {
        pass.apply(output, after_each);
    }
    end_of_pass(input, output, max)
}

/// The end of passes 1 to 5bis: `output = selectShortWords(input, output, maxLength)`, return
/// if it fits, else `input = output`. Returns whether `normalize` must return `output`.
fn end_of_pass(input: &mut String, output: &mut String, max: usize) -> bool {
    match select_short_words(input, output, max) {
        // JavaScript throws here (`undefined.length`); keep the string as it is.
        None => true,
        Some(next) => {
            *output = next;
            if output.len() <= max {
                return true;
            }
            input.clear();
            input.push_str(output);
            false
        }
    }
}

/// In-place `String.prototype.trim` (the strings handled only have ASCII spaces); returns
/// whether it changed the string.
fn trim(text: &mut String) -> bool {
    let before = text.len();
    let end = text.trim_end_matches(' ').len();
    text.truncate(end);
    let start = text.len() - text.trim_start_matches(' ').len();
    if start > 0 {
        text.drain(..start);
    }
    text.len() != before
}

/// `selectShortWords(input, output, maxLength)`: `input` and `output` are the same name
/// before and after a pass, word for word (`@` marks a word swallowed by the abbreviation
/// before it). Returns the first `i` abbreviated words followed by the other words of
/// `input`, for the smallest `i` (at least 1, at most `words - 1`) that fits in `max`; or the
/// last candidate if none fits. Empty words (from repeated spaces) are dropped. `None` when
/// `output` has a single word (JavaScript returns `undefined`).
fn select_short_words(input: &str, output: &str, max: usize) -> Option<String> {
    // JavaScript arrays with holes (`delete`): `None` is a hole or `undefined`.
    let mut long: Vec<Option<&str>> = input.split(' ').map(Some).collect();
    let mut short: Vec<Option<&str>> = output.split(' ').map(Some).collect();

    for i in (0..short.len()).rev() {
        if short[i] == Some("@") {
            if i > 0 {
                // `long[i - 1] = short[i - 1]`, which extends `long` if needed.
                if long.len() < i {
                    long.resize(i, None);
                }
                long[i - 1] = short[i - 1];
            }
            if let Some(word) = long.get_mut(i) {
                *word = None;
            }
            short[i] = None;
        }
    }

    let last = short.len().checked_sub(1).filter(|&last| last >= 1)?;
    let mut next = String::new();
    for i in 1..=last {
        let tail = long.get(i..).unwrap_or_default();
        let words = || short[..i].iter().chain(tail).filter_map(|w| w.filter(|w| !w.is_empty()));
        let (count, chars) = words().fold((0usize, 0), |(count, chars), w| (count + 1, chars + w.len()));
        let len = chars + count.saturating_sub(1);
        if len <= max || i == last {
            next.reserve(len);
            for (k, word) in words().enumerate() {
                if k > 0 {
                    next.push(' ');
                }
                next.push_str(word);
            }
            break;
        }
    }
    Some(next)
}

/// `deburr(input).toUpperCase().replace(/[^A-Z0-9s]/g, ' ').replace(/ {2}/g, ' ')`.
fn preprocess(name: &str) -> String {
    let mut out = Collapser { out: String::with_capacity(name.len()), spaces: 0 };
    for c in name.chars() {
        if c.is_ascii() {
            out.push(c as u8);
        } else if let Some(letters) = deburr_letter(c) {
            // ASCII letters (and the `'` of `'n`), upper-cased and filtered by `push`
            letters.bytes().for_each(|b| out.push(b));
        } else if is_combining_mark(c) {
            // combining marks, removed by deburr
        } else {
            for u in c.to_uppercase() {
                if u.is_ascii() {
                    out.push(u as u8);
                } else {
                    // One space per UTF-16 code unit: the JavaScript regex has no `u` flag.
                    (0..u.len_utf16()).for_each(|_| out.push(b' '));
                }
            }
        }
    }
    out.finish()
}

/// Builds the upper-cased, filtered string, turning each run of `n` spaces into `ceil(n / 2)`
/// spaces as `.replace(/ {2}/g, ' ')` does.
struct Collapser {
    out: String,
    spaces: usize,
}

impl Collapser {
    fn push(&mut self, b: u8) {
        let b = b.to_ascii_uppercase();
        if b.is_ascii_uppercase() || b.is_ascii_digit() {
            self.flush();
            self.out.push(char::from(b));
        } else {
            self.spaces += 1;
        }
    }

    fn flush(&mut self) {
        let n = self.spaces.div_ceil(2);
        self.out.extend(std::iter::repeat_n(' ', n));
        self.spaces = 0;
    }

    fn finish(mut self) -> String {
        self.flush();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_word_too_long_is_kept_where_javascript_throws() {
        // JavaScript: TypeError (selectShortWords returns undefined).
        assert_eq!(nom_afnor("anticonstitutionnellementissimement"), "ANTICONSTITUTIONNELLEMENTISSIMEMENT");
        assert_eq!(nom_afnor("-Anticonstitutionnellement-Élevées"), "ANTICONSTITUTIONNELLEMENT ELEVEES");
    }

    #[test]
    fn embedded_table_is_complete() {
        let r = &*RULES;
        let counts = [
            r.pass1.len(),
            r.pass2.len(),
            r.pass4.len(),
            r.pass5.len(),
            r.pass3.len(),
            r.pass6.len(),
            r.pass5bis.len(),
            r.pass9.len(),
        ];
        // pass 5: 123 rules of `rules["5"]`, then the 29 of `rules["1"]`
        assert_eq!(counts, [29, 39, 116, 123 + 29, 21, 4, 123, 9]);
    }

    // The expected values of the two tests below were also checked under Node.js (with
    // lodash `deburr`, `index.js`'s `selectShortWords` and `String.prototype.replace`).

    #[test]
    fn preprocessing_follows_deburr_upper_case_and_space_halving() {
        for (input, expected) in [
            ("", ""),
            ("Rue de l'Église", "RUE DE L EGLISE"),
            ("a  b   c    d", "A B  C  D"),
            ("Cœur Ærø straße ŉ ×", "COEUR AERO STRASSE N "),
            // combining marks are removed, other characters are upper-cased then filtered
            ("e\u{301}te\u{301} ﬁn ǰ µ", "ETE FIN J  "),
            // one space per UTF-16 unit: an astral character gives two
            ("a 😀b", "A  B"),
        ] {
            assert_eq!(preprocess(input), expected, "{input}");
        }
    }

    #[test]
    fn select_short_words_aligns_words_and_placeholders() {
        // first i words abbreviated, the rest from the input
        assert_eq!(select_short_words("AAAA BBBB CCCC", "a b c", 11).as_deref(), Some("a BBBB CCCC"));
        assert_eq!(select_short_words("AAAA BBBB CCCC", "a b c", 8).as_deref(), Some("a b CCCC"));
        // the last word is never taken from the output
        assert_eq!(select_short_words("AAAA BBBB CCCC", "a b c", 3).as_deref(), Some("a b CCCC"));
        // `@` marks words swallowed by the abbreviation before it
        assert_eq!(select_short_words("ZONE INDUSTRIELLE NORD", "zi @ NORD", 32).as_deref(), Some("zi NORD"));
        assert_eq!(select_short_words("RUE NOTRE DAME", "RUE nd @", 8).as_deref(), Some("RUE nd"));
        // empty words are dropped
        assert_eq!(select_short_words(" A  B ", " a  b ", 0).as_deref(), Some("a b"));
        // a single word: JavaScript returns undefined
        assert_eq!(select_short_words("ABC", "ABC", 1), None);
    }
}
