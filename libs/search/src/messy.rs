//! Reading addresses as people type them, before addok's pipeline (`text`) sees them: where
//! addok takes the query's words as they come, this recognises the common shapes of a messy
//! address and rewrites the query into the clean form addok reads best.
//!
//! * noise around the address is dropped: `France` / `(France)`, `appartement 3`, `Bât B`,
//!   `escalier 2`, `porte 12`, `3e étage`, a `Résidence …` or `chez …` part (addok's own
//!   `clean_query` already drops `BP 45`, `CS 123`, `CEDEX 9` and `3e étage` glued to nothing);
//! * a number glued to its street is parted from it: `14chemin des Vignes`, `3Allée …`,
//!   `12bisrue …`, `7,rue …`;
//! * a number after its street is put before it: `Avenue Foch 12`, `Rue Jean Jaurès 7 bis,
//!   31000 Toulouse`, `Rue de la République, 19, Pigny` — unless it belongs to the name
//!   (`Rue du 8 Mai 1945`, `Rue des 3 Frères`, `Route Nationale 7`);
//! * a suffix written apart before a street named without its type is glued to its number
//!   (`4 b Pasteur Vannes` → `4b Pasteur Vannes`);
//! * a five-digit number before a street type is a house number (`20002 rue Joffre`), where
//!   addok reads any five digits as a postcode.
//!
//! A query none of this applies to is left exactly as it is, so that clean queries get addok's
//! answers. The search falls back to the query as typed when the rewritten one finds nothing.
use crate::text::{fold, is_street_type};

/// What the query was understood to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Understood {
    /// The query rewritten in the order addok reads best: number, street, postcode, city.
    pub text: String,
    /// A house number addok would not take for one (five digits), to be matched as such.
    pub housenumber: Option<String>,
}

/// Words that open a part of the address that is not the address: the part is dropped.
const NOISE_PARTS: &[&str] = &["residence", "res", "chez", "immeuble", "imm", "c/o", "co"];
/// Words that, with the word after them, say where inside a building: both are dropped.
const NOISE_PAIRS: &[&str] = &[
    "appartement",
    "appart",
    "appt",
    "apt",
    "app",
    "logement",
    "log",
    "bat",
    "batiment",
    "bt",
    "escalier",
    "esc",
    "porte",
    "etage",
    "entree",
];
/// Words after which a number is part of the street's name, not its house number.
const NAME_NUMBER_BEFORE: &[&str] = &[
    "du",
    "de",
    "des",
    "d",
    "l",
    "le",
    "la",
    "les",
    "au",
    "aux",
    "nationale",
    "departementale",
    "communale",
    "rurale",
    "vicinale",
    "rn",
    "rd",
    "cd",
    "vc",
    "cr",
    "n",
    "no",
    "numero",
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
];
/// Words after which a number is part of the street's name (a date: `8 Mai 1945`).
const MONTHS: &[&str] = &[
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
];
/// Words after which the letter before them is a street type's abbreviation (`9 v des Fours`).
const ARTICLES: &[&str] = &["de", "du", "des", "d", "la", "le", "les", "l"];
const ORDINALS: &[&str] = &["bis", "ter", "quater", "quinquies", "sexies"];

/// The query rewritten, or `None` when nothing in it needed reading differently.
pub fn understand(query: &str) -> Option<Understood> {
    let mut parts = split_parts(query);
    let mut changed = parts.len() > 1 && query.contains(['(', ')', ';']);
    changed |= drop_noise(&mut parts);
    for part in &mut parts {
        changed |= unglue_number(part);
    }
    if let Some(first) = parts.first_mut() {
        changed |= glue_suffix(first);
        changed |= name_a_date(first);
    }
    changed |= place_number(&mut parts);
    let housenumber = parts.first().and_then(|words| five_digit_number(words));
    if !changed && housenumber.is_none() {
        return None;
    }
    let text =
        parts.iter().map(|words| words.join(" ")).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(Understood { text, housenumber })
}

/// The query's parts (between commas, semicolons and parentheses), each as its words.
fn split_parts(query: &str) -> Vec<Vec<String>> {
    query
        .split([',', ';', '(', ')'])
        .map(|part| part.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|words| !words.is_empty())
        .collect()
}

fn folded(word: &str) -> String {
    fold(word).trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_owned()
}

fn is_number(word: &str, max_digits: usize) -> bool {
    !word.is_empty() && word.len() <= max_digits && word.bytes().all(|b| b.is_ascii_digit())
}

fn is_ordinal(word: &str) -> bool {
    let word = folded(word);
    ORDINALS.contains(&word.as_str()) || (word.len() == 1 && word.as_bytes()[0].is_ascii_alphabetic())
}

/// Drops the parts and words that are not the address; whether anything was dropped.
fn drop_noise(parts: &mut Vec<Vec<String>>) -> bool {
    let before: usize = parts.iter().map(Vec::len).sum::<usize>() + parts.len();
    // A part that is only the country; a part that opens with a word of a building's name or
    // a person, when another part is a whole address (`4B, Résidence des Pins, Gap` names
    // its street so).
    if parts.len() > 1 {
        let has_address = |words: &Vec<String>| {
            words.len() >= 2
                && words[0].bytes().next().is_some_and(|b| b.is_ascii_digit())
                && words[1..].iter().take(2).any(|w| is_street_type(&folded(w)))
        };
        let addressed = parts.iter().any(has_address);
        parts.retain(|words| {
            let first = folded(&words[0]);
            !(words.len() == 1 && first == "france" || addressed && NOISE_PARTS.contains(&first.as_str()))
        });
    }
    for words in parts.iter_mut() {
        // `appartement 3`, `Bât B`, `3e étage` opening a part (`Porte de Paris` is a street:
        // what follows the word must look like a door's or a storey's mark).
        while words.len() >= 2 {
            let word = folded(&words[0]);
            let mark = folded(&words[1]);
            let storey = mark == "etage"
                && (word.ends_with('e') || word.ends_with("eme") || word.ends_with("er"))
                && word.bytes().next().is_some_and(|b| b.is_ascii_digit());
            let door = NOISE_PAIRS.contains(&word.as_str())
                && !mark.is_empty()
                && mark.len() <= 4
                && (mark.len() == 1 || mark.bytes().any(|b| b.is_ascii_digit()))
                && words.get(2).is_none_or(|w| w.bytes().next().is_some_and(|b| b.is_ascii_digit()));
            if !(storey || door) {
                break;
            }
            words.drain(0..2);
        }
        // A trailing `France`.
        if words.len() > 1 && words.last().is_some_and(|w| folded(w) == "france") {
            words.pop();
        }
    }
    parts.retain(|words| !words.is_empty());
    let after: usize = parts.iter().map(Vec::len).sum::<usize>() + parts.len();
    after != before
}

/// `14chemin` → `14 chemin`, `12bisrue` → `12 bis rue`, `3Allée` → `3 Allée` at the start of a part
/// (`6b`, a number and its suffix letter, is left: addok reads it).
fn unglue_number(words: &mut Vec<String>) -> bool {
    let Some(first) = words.first() else { return false };
    let digits = first.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits == first.len() || digits > 5 {
        return false;
    }
    let rest = &first[digits..];
    if rest.chars().count() == 1 {
        return false;
    }
    let folded_rest = fold(rest);
    let mut replacement = vec![first[..digits].to_owned()];
    match ORDINALS.iter().find(|o| folded_rest.starts_with(**o)) {
        // `12bis`: addok reads it.
        Some(ordinal) if folded_rest.len() == ordinal.len() => return false,
        // `12bisrue`: the ordinal's bytes are ASCII in the original too.
        Some(ordinal) if rest.is_char_boundary(ordinal.len()) => {
            replacement.push(rest[..ordinal.len()].to_owned());
            replacement.push(rest[ordinal.len()..].to_owned());
        }
        _ => replacement.push(rest.to_owned()),
    }
    words.splice(0..1, replacement);
    true
}

/// `4 b Pasteur` → `4b Pasteur`: a number's suffix written apart before a street named without
/// its type (addok glues them only before a street type or at the end, and otherwise looks
/// for number 4, not 4 bis).
fn glue_suffix(words: &mut Vec<String>) -> bool {
    match words.as_slice() {
        // `2 R. Marcel Pagnol`, `9 v des Fours`: a letter that is a street type's abbreviation
        // (`r`, `v`…), or with its abbreviation's period, is not a suffix.
        [number, suffix, next, ..]
            if is_number(number, 4)
                && is_ordinal(suffix)
                && !suffix.contains('.')
                && !is_street_type(&folded(suffix))
                && !["r", "v"].contains(&folded(suffix).as_str())
                && !is_street_type(&folded(next))
                && !ARTICLES.contains(&folded(next).as_str()) =>
        {
            let glued = format!("{number}{suffix}");
            words.splice(0..2, [glued]);
            true
        }
        _ => false,
    }
}

/// `7 19 Mars 1962` → `7 du 19 Mars 1962`: a house number before a street named by a date,
/// its type left out. Read as typed, the two numbers in a row find the street but not its
/// number; with the article every such name has (`Rue du 19 Mars 1962`), they do.
fn name_a_date(words: &mut Vec<String>) -> bool {
    match words.as_slice() {
        [number, day, month, ..]
            if (is_number(number, 4) || glued_ordinal(number))
                && (is_number(day, 2) || folded(day) == "1er")
                && MONTHS.contains(&folded(month).as_str()) =>
        {
            words.insert(1, "du".to_owned());
            true
        }
        _ => false,
    }
}

/// A number with its suffix glued (`4b`, `12bis`).
fn glued_ordinal(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    (1..=4).contains(&digits) && is_ordinal(&word[digits..])
}

/// Puts a house number written after its street before it; whether it moved one.
fn place_number(parts: &mut Vec<Vec<String>>) -> bool {
    // `Rue de la République, 19, Pigny` / `7, rue Victor Hugo`: a part that is a number alone
    // (and its suffix) joins the street it follows or precedes.
    for i in 0..parts.len() {
        let lone = matches!(parts[i].as_slice(), [n] if is_number(n, 4))
            || matches!(parts[i].as_slice(), [n, s] if is_number(n, 4) && is_ordinal(s));
        if !lone {
            continue;
        }
        let street = if i > 0 && starts_with_type(&parts[i - 1]) {
            i - 1
        } else if i + 1 < parts.len() && starts_with_type(&parts[i + 1]) {
            i + 1
        } else {
            continue;
        };
        let number = parts.remove(i);
        let street = if street > i { street - 1 } else { street };
        parts[street].splice(0..0, number);
        if street > 0 {
            let moved = parts.remove(street);
            parts.insert(0, moved);
        }
        return true;
    }
    // `Avenue Foch 12`, `Rue Jean Jaurès 7 bis 31000 Toulouse`.
    for words in parts.iter_mut() {
        if !starts_with_type(words) {
            continue;
        }
        let found = (2..words.len()).find(|&k| {
            let before = folded(&words[k - 1]);
            // After a month, a year is the date's (`8 Mai 1945`), a smaller number the house's
            // (`Square du 1er Mai 8`).
            let names_it = NAME_NUMBER_BEFORE.contains(&before.as_str())
                && (!MONTHS.contains(&before.as_str()) || is_year(&words[k]));
            is_number(&words[k], 4)
                && !names_it
                && !words.get(k + 1).is_some_and(|next| MONTHS.contains(&folded(next).as_str()))
        });
        let Some(k) = found else { continue };
        let end = if words.get(k + 1).is_some_and(|w| is_ordinal(w) && !is_street_type(&folded(w))) {
            k + 2
        } else {
            k + 1
        };
        let number: Vec<String> = words.drain(k..end).collect();
        words.splice(0..0, number);
        return true;
    }
    false
}

/// A year of a date in a street's name (`1945`).
fn is_year(word: &str) -> bool {
    word.len() == 4 && word.parse::<u32>().is_ok_and(|year| (1000..=2100).contains(&year))
}

fn starts_with_type(words: &[String]) -> bool {
    words.first().is_some_and(|w| is_street_type(&folded(w)))
}

/// A five-digit number opening the address before a street type (`20002 rue Joffre`).
fn five_digit_number(words: &[String]) -> Option<String> {
    match words {
        [number, street_type, ..]
            if is_number(number, 5) && number.len() == 5 && is_street_type(&folded(street_type)) =>
        {
            Some(number.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(query: &str) -> Option<String> {
        understand(query).map(|u| u.text)
    }

    #[test]
    fn clean_queries_are_left_alone() {
        for query in [
            "8 rue Victor Hugo 75001 Paris",
            "25T Place de la Vieille Poste 02370 Celles-sur-Aisne",
            "Rue du 8 Mai 1945 Vitry-sur-Seine",
            "Rue des 3 Frères Valence",
            "Route Nationale 7 Valence",
            "Saint-Denis 93200",
            "6b Boulevard de la Basse Carrière 26000 Valence",
            "Porte de Paris, Valence",
            "2 R. Marcel Pagnol 02370 Celles-sur-Aisne",
            "9 v des grands fours st-martin dizy-le-gros",
            "5 R Jean Jaurès Saint-Aubin",
            // A residence that is the street's name stays.
            "4B, Résidence des Pins, Gap",
        ] {
            assert_eq!(understand(query), None, "{query}");
        }
    }

    #[test]
    fn glued_numbers_are_parted() {
        assert_eq!(text("14chemin des Vignes Valence").as_deref(), Some("14 chemin des Vignes Valence"));
        assert_eq!(text("12bisrue de la Paix").as_deref(), Some("12 bis rue de la Paix"));
        assert_eq!(understand("12bis rue de la Paix"), None);
        assert_eq!(text("3Allée des Tilleuls").as_deref(), Some("3 Allée des Tilleuls"));
        assert_eq!(text("7,rue Victor Hugo Pigny").as_deref(), Some("7 rue Victor Hugo Pigny"));
    }

    #[test]
    fn a_suffix_apart_before_a_street_without_its_type_is_glued() {
        assert_eq!(text("4 b Pasteur Vannes").as_deref(), Some("4b Pasteur Vannes"));
        assert_eq!(text("6 bis 18 Juin 1940 Valence").as_deref(), Some("6bis du 18 Juin 1940 Valence"));
        assert_eq!(understand("4 b rue Pasteur Vannes"), None);
    }

    #[test]
    fn a_number_before_a_date_is_the_house_s() {
        assert_eq!(
            text("7 19 Mars 1962 Le Touquet-Paris-Plage").as_deref(),
            Some("7 du 19 Mars 1962 Le Touquet-Paris-Plage")
        );
        assert_eq!(text("12 14 Juillet Damigny").as_deref(), Some("12 du 14 Juillet Damigny"));
        assert_eq!(text("4b 1er Mai Valence").as_deref(), Some("4b du 1er Mai Valence"));
        assert_eq!(understand("7 rue du 19 Mars 1962 Valence"), None);
        assert_eq!(understand("19 Mars 1962 Valence"), None);
    }

    #[test]
    fn numbers_after_the_street_go_before_it() {
        assert_eq!(text("Avenue Foch 12").as_deref(), Some("12 Avenue Foch"));
        assert_eq!(
            text("Rue Jean Jaurès 7 bis, 31000 Toulouse").as_deref(),
            Some("7 bis Rue Jean Jaurès 31000 Toulouse")
        );
        assert_eq!(text("Rue de la République, 19, Pigny").as_deref(), Some("19 Rue de la République Pigny"));
        assert_eq!(text("Rue du 8 Mai 1945 12 Valence").as_deref(), Some("12 Rue du 8 Mai 1945 Valence"));
        assert_eq!(text("Square du 1er Mai 8 Tiercé").as_deref(), Some("8 Square du 1er Mai Tiercé"));
        assert_eq!(
            text("Passage du 8 Mai 7, 26000 Valence").as_deref(),
            Some("7 Passage du 8 Mai 26000 Valence")
        );
        assert_eq!(understand("Rue du 8 Mai 1945, 26000 Valence"), None);
    }

    #[test]
    fn noise_is_dropped() {
        let cases = [
            ("4 rue Pasteur 56000 Vannes, France", "4 rue Pasteur 56000 Vannes"),
            ("4 rue Pasteur 56000 Vannes (France)", "4 rue Pasteur 56000 Vannes"),
            ("appartement 3, 4 rue Pasteur Vannes", "4 rue Pasteur Vannes"),
            ("Bât B, 4 rue Pasteur Vannes", "4 rue Pasteur Vannes"),
            ("3e étage, 4 rue Pasteur Vannes", "4 rue Pasteur Vannes"),
            ("Bât B 4 rue Pasteur Vannes", "4 rue Pasteur Vannes"),
            ("Résidence les Pins, 4 rue Pasteur Vannes", "4 rue Pasteur Vannes"),
            ("chez M. Martin, 4 rue Pasteur Vannes", "4 rue Pasteur Vannes"),
        ];
        for (query, expected) in cases {
            assert_eq!(text(query).as_deref(), Some(expected), "{query}");
        }
    }

    #[test]
    fn five_digit_numbers_before_a_street_are_house_numbers() {
        let understood = understand("20002 rue Joffre 26000 Valence").expect("understood");
        assert_eq!(understood.housenumber.as_deref(), Some("20002"));
        assert_eq!(understand("26000 Valence"), None);
    }
}
