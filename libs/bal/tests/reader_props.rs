//! Any byte sequence gets a report or a clear refusal, never a panic, and reports are
//! internally consistent.
use ban_bal::{validate, Options};
use ban_domain::Level;
use proptest::prelude::*;

fn check(bytes: &[u8]) {
    match validate(bytes, &Options::default()) {
        Err(refusal) => assert!(!refusal.to_string().is_empty()),
        Ok(report) => {
            assert!(report.issues.windows(2).all(|w| w[0].row <= w[1].row), "issues sorted by row");
            assert!(report.issues.iter().all(|i| (i.row as usize) < report.rows_count.max(1)));
            assert!(report.rows_with_issues() <= report.rows_count);
            if report.valid() {
                assert!(report.parsed);
                assert!(report.file_issues.iter().all(|i| i.level != Level::Error));
            }
            if !report.parsed {
                assert!(!report.valid() && !report.parse_errors.is_empty());
            }
        }
    }
}

/// Pieces that exercise the reader's corners: separators, quotes, line breaks, BOMs,
/// Latin-1 and UTF-8 bytes, BAL column names and typical values.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b";".to_vec()),
        Just(b",".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\xef\xbb\xbf".to_vec()),
        Just(b"\xe9".to_vec()),
        Just("é".as_bytes().to_vec()),
        Just(b"cle_interop;voie_nom;numero;suffixe;commune_insee;commune_nom;long;lat;x;y;source;date_der_maj".to_vec()),
        Just(b"id_ban_commune;id_ban_toponyme;id_ban_adresse;toponyme;voie_nom_bre".to_vec()),
        Just(b"31591_xxxx_00009;Rue des 3 Places;9;bis;31591;Escoulis;1.028392;43.111637;539416.13;6225601.11;commune;2020-11-09".to_vec()),
        Just(b"99999".to_vec()),
        Just(b"0246e48c-f33d-433a-8984-034219be842e".to_vec()),
        "[a-zA-Z0-9 _.|@:-]{0,12}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..8),
    ]
}

proptest! {
    // 400 cases in CI; PROPTEST_CASES sets the budget (bench/props.sh).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check(&bytes);
    }

    #[test]
    fn csv_like_input_never_panics(pieces in proptest::collection::vec(piece(), 0..60)) {
        check(&pieces.concat());
    }
}

#[test]
fn edge_files() {
    for bytes in [
        &b""[..],
        b"\xef\xbb\xbf",
        b"\n\n\n",
        b"numero;voie_nom\n",
        b"numero;voie_nom\n\n\n",
        b"\"",
        b"a;\"b\n",
        b"\xff\xfe\x00\x00",
        b"\x89PNG\r\n\x1a\n",
        b"numero;voie_nom\r1;Rue\r",
    ] {
        check(bytes);
    }
}
