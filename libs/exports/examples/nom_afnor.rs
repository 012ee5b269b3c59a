//! `nom_afnor` of each line of stdin, one line out per line in (for `bench/afnor/check.sh`).
use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in std::io::stdin().lock().lines() {
        writeln!(out, "{}", ban_exports::nom_afnor(&line?))?;
    }
    out.flush()
}
