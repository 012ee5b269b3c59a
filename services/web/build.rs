//! Embeds `assets/` in the binary: a table of every file (its path under `/static/` and its
//! bytes), and a version that changes with any byte of them, which the asset URLs carry so
//! that they can be cached for a year.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("assets");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    // FNV-1a over names and bytes: a cache key, not a security hash.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut table = String::from("/// Every asset: its path under `/static/{version}/`, and its bytes.\npub static ASSETS: &[(&str, &[u8])] = &[\n");
    for path in &paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.strip_prefix(&root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        for byte in name.bytes().chain(std::fs::read(path).unwrap_or_default()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        let _ = writeln!(table, "    ({name:?}, include_bytes!({:?})),", path.display().to_string());
    }
    table.push_str("];\n");
    let _ = writeln!(
        table,
        "/// Changes with any asset: part of their URLs.\npub const VERSION: &str = \"{:08x}\";",
        hash as u32
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("assets.rs");
    if let Err(error) = std::fs::write(&out, table) {
        panic!("writing {}: {error}", out.display());
    }
}
