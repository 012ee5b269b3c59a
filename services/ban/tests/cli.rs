//! `ban validate` as users run it: exit statuses, human and JSON output.
use std::path::Path;
use std::process::Command;

fn ban(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ban")).args(args).output().expect("ban runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples").join(name).display().to_string()
}

#[test]
fn valid_file_exits_zero_with_a_summary() {
    let (status, out) = ban(&["validate", &sample("54084_mont-bonvillers.csv")]);
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("valid — profile 1.3, 486 rows"), "{out}");
}

#[test]
fn invalid_file_exits_one_with_line_numbers_and_labels() {
    let path = sample("67482_strasbourg_with-defects.csv");
    let (status, out) = ban(&["validate", &path]);
    assert_eq!(status, 1, "{out}");
    assert!(out.contains(&format!("{path}:16: error numero.type_invalide")), "{out}");
    assert!(out.contains("(numero = \"163,0000000000\")"), "{out}");
    assert!(out.contains("error field.commune_insee.missing"), "{out}");
}

#[test]
fn json_has_the_reference_keys() {
    let (status, out) = ban(&["validate", "--format", "json", &sample("67482_strasbourg_with-defects.csv")]);
    assert_eq!(status, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["valid"], false);
    assert_eq!(v["profile"], "1.3");
    assert_eq!(v["rowsCount"], 15);
    assert!(v["errors"].as_array().is_some_and(|e| e.iter().any(|c| c == "numero.type_invalide")));
    let row = v["rows"].as_array().and_then(|r| r.iter().find(|r| r["line"] == 14)).expect("row 14");
    assert_eq!(row["fileLine"], 16);
    assert!(row["errors"]
        .as_array()
        .is_some_and(|e| e.iter().any(|e| e["code"] == "numero.type_invalide" && e["level"] == "E")));
}

#[test]
fn forced_profile_changes_levels() {
    let (_, out) =
        ban(&["validate", "--format", "json", "--profile", "1.4", &sample("54084_mont-bonvillers.csv")]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["profile"], "1.4");
    assert!(v["warnings"].as_array().is_some_and(|w| w.iter().any(|c| c == "field.id_ban_adresse.missing")));
}

#[test]
fn unreadable_files_exit_two() {
    let dir = std::env::temp_dir().join(format!("ban-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let png = dir.join("image.csv");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("write");
    let (status, out) = ban(&["validate", "--format", "json", &png.display().to_string()]);
    assert_eq!(status, 2);
    assert!(out.contains("\"thrown\""), "{out}");
    let (status, _) = ban(&["validate", &dir.join("missing.csv").display().to_string()]);
    assert_eq!(status, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn executables_are_refused_as_binary() {
    // The `ban` executable itself: an ELF file, which the reference's sniffer does not know.
    let (status, out) = ban(&["validate", "--format", "json", env!("CARGO_BIN_EXE_ban")]);
    assert_eq!(status, 2, "{out}");
    assert!(out.contains("looks like a elf file"), "{out}");
}
