//! Which of a commune's directory addresses are offered for its PIN code, by the rules of the
//! production depot (`getEmailsCommune`, shared/spec/PARTICIPATION.md §1.5): every office's
//! `adresse_courriel` cut at `;`, in record order, kept when the lower-cased piece matches
//! the depot's e-mail pattern, duplicates dropped (first kept). Nothing is trimmed:
//! `"a@x.fr; b@x.fr"` offers `a@x.fr` only, the leading space failing the pattern, as in
//! production. Case is kept in what is offered.
use std::sync::OnceLock;

use regex::Regex;

use crate::TownHall;

/// ECMAScript's `\s`, for use inside a character class.
const JS_SPACE: &str =
    r"\t\n\x0B\x0C\r \u{A0}\u{1680}\u{2000}-\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}\u{FEFF}";

/// The production depot's pattern (`validateEmail`), in Rust's syntax. JavaScript's `\s`,
/// `\d` and `.` are spelled out so that the same texts match: `\s` is ECMAScript's white
/// space and line terminators (U+FEFF included, U+0085 not), `\d` the ASCII digits, and `.`
/// anything but a line terminator.
fn pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        let local = format!(r#"[^<>()\[\]\\.,;:{JS_SPACE}@"]+"#);
        let pattern = format!(
            r#"^(({local}(\.{local})*)|("[^\n\r\u{{2028}}\u{{2029}}]+"))@((\[([0-9]{{1,3}}\.){{3}}[0-9]{{1,3}}\])|(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{{2,}}))$"#
        );
        Regex::new(&pattern).expect("the e-mail pattern compiles")
    })
}

/// Whether one piece of an `adresse_courriel` is offered: its lower-cased text matches the
/// production depot's pattern.
pub fn is_offered_email(piece: &str) -> bool {
    pattern().is_match(&piece.to_lowercase())
}

/// The addresses a commune's PIN code may be sent to, from its town-hall offices in the
/// directory's order: what `GET /communes/{code}/emails` answers, and what `send-pin-code`
/// accepts (byte for byte). Empty when the commune has no office, or none with a valid
/// address.
pub fn commune_emails<'a>(town_halls: impl IntoIterator<Item = &'a TownHall>) -> Vec<String> {
    let mut offered: Vec<String> = Vec::new();
    for piece in town_halls.into_iter().flat_map(|office| &office.emails) {
        if is_offered_email(piece) && !offered.iter().any(|kept| kept == piece) {
            offered.push(piece.clone());
        }
    }
    offered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office(emails: &[&str]) -> TownHall {
        TownHall {
            id: "4b3bd44a-0000-4000-8000-000000000001".into(),
            code_commune: "99001".into(),
            nom: "Mairie - Exempleville".into(),
            siret: None,
            emails: emails.iter().map(|e| e.to_string()).collect(),
            delegated: false,
        }
    }

    /// Each case answered as the production depot's regular expression answers it (checked
    /// with Node.js, December 2026).
    #[test]
    fn the_production_pattern() {
        for valid in [
            "mairie@exempleville.fr",
            "Mairie.Secretariat@Exempleville.FR",
            "a+b@sous-domaine.exemple.org",
            "\"quoted local\"@exemple.fr",
            "x@[192.168.0.1]",
            "état-civil@exemple.fr",
            // Not white space for JavaScript: U+0085; lower-cased to ASCII: the Kelvin sign.
            "a\u{85}b@x.fr",
            "a@\u{212A}elvin.fr",
        ] {
            assert!(is_offered_email(valid), "{valid}");
        }
        for invalid in [
            "",
            " mairie@exempleville.fr",
            "mairie@exempleville.fr ",
            "mairie@exempleville",
            "mairie@exempleville.f",
            "mairie.@exempleville.fr",
            "mai rie@exempleville.fr",
            "mairie@@exempleville.fr",
            "mairie@exemple_ville.fr",
            "\u{FEFF}mairie@exempleville.fr",
            "mairie@exempleville.fr\n",
            "non renseigné",
            "\"a\nb\"@x.fr",
        ] {
            assert!(!is_offered_email(invalid), "{invalid:?}");
        }
    }

    /// The cases of the production depot's tests (api_annuaire.spec.ts).
    #[test]
    fn what_a_commune_offers() {
        let main = office(&["mairie@exempleville.fr", "secretariat@exempleville.fr"]);
        let delegated = TownHall { delegated: true, ..office(&["ancienneville@exempleville.fr"]) };
        assert_eq!(
            commune_emails([&main, &delegated]),
            ["mairie@exempleville.fr", "secretariat@exempleville.fr", "ancienneville@exempleville.fr"]
        );
        assert_eq!(commune_emails([&delegated]), ["ancienneville@exempleville.fr"]);
        assert_eq!(commune_emails([&office(&["ok"])]), Vec::<String>::new());
        assert_eq!(commune_emails([]), Vec::<String>::new());
        // No trim: the piece after "; " starts with a space and is not offered.
        assert_eq!(commune_emails([&office(&["a@x.fr", " b@x.fr"])]), ["a@x.fr"]);
        // The first of duplicates is kept, case as written.
        let twice = office(&["Mairie@X.fr", "mairie@x.fr", "Mairie@X.fr"]);
        assert_eq!(commune_emails([&twice, &office(&["Mairie@X.fr"])]), ["Mairie@X.fr", "mairie@x.fr"]);
    }
}
