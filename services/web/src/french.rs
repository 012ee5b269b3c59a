//! Dates as the pages write them in French.
use chrono::{DateTime, Datelike, Timelike, Utc};

/// `7 décembre 2026 à 17 h 21 UTC`.
pub fn date(at: DateTime<Utc>) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let month = MONTHS[at.month0() as usize];
    let day = if at.day() == 1 { "1er".to_owned() } else { at.day().to_string() };
    format!("{day}\u{a0}{month} {} à {}\u{a0}h\u{a0}{:02} UTC", at.year(), at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn dates_in_french() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 5, 0).single().expect("a date");
        assert_eq!(super::date(at), "1er\u{a0}décembre 2026 à 9\u{a0}h\u{a0}05 UTC");
    }
}
