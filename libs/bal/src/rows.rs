//! Rules across rows: BAN identifiers used consistently (all rows or none, one commune id,
//! one id per street and per address and the other way round) and lieux-dits declared.
//!
//! Rows are not kept: each contributes a compact record of interned keys while the file
//! streams, and the rules run on those records at the end.
use rustc_hash::FxHashMap;

use ban_domain::TOPONYM_NUMERO;

/// Interns strings to small integers, so per-row records stay small.
#[derive(Debug, Default)]
pub struct Interner {
    ids: FxHashMap<Box<str>, u32>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(s.into(), id);
        id
    }
}

/// Interns BAN ids (already checked to be UUIDs). Ids are compared as written, so an
/// upper-case spelling is another id; the usual lower-case spelling is stored as a number.
#[derive(Debug, Default)]
pub struct IdInterner {
    canonical: FxHashMap<u128, u32>,
    other: FxHashMap<Box<str>, u32>,
}

impl IdInterner {
    fn next(&self) -> u32 {
        (self.canonical.len() + self.other.len()) as u32
    }

    /// A lower-case id, by its value.
    pub fn intern_canonical(&mut self, value: u128) -> u32 {
        let next = self.next();
        *self.canonical.entry(value).or_insert(next)
    }

    /// Any other spelling, as written.
    pub fn intern_written(&mut self, id: &str) -> u32 {
        if let Some(&known) = self.other.get(id) {
            return known;
        }
        let next = self.next();
        self.other.insert(id.into(), next);
        next
    }
}

/// "No value" in interned keys.
pub const NONE: u32 = u32::MAX;

/// What the multi-row rules need of one row (ids are interned strings).
#[derive(Debug, Clone, Copy)]
pub struct RowKeys {
    /// Index of the row in the report.
    pub row: u32,
    /// `NONE` when absent, as for every other key.
    pub numero: u32,
    /// Street identity: normalised name and street code of `cle_interop`.
    pub street: (u32, u32),
    /// Address identity: numero, suffixe, normalised street name, commune déléguée.
    pub address: [u32; 4],
    pub id_commune: u32,
    pub id_toponyme: u32,
    pub id_adresse: u32,
    /// The raw street name (for lieux-dits: numero 99999).
    pub name: u32,
    pub lieudit: u32,
}

impl RowKeys {
    fn is_toponym(&self) -> bool {
        self.numero == TOPONYM_NUMERO
    }

    fn id_commune(&self) -> Option<u32> {
        some(self.id_commune)
    }

    fn id_toponyme(&self) -> Option<u32> {
        some(self.id_toponyme)
    }

    fn id_adresse(&self) -> Option<u32> {
        some(self.id_adresse)
    }
}

fn some(key: u32) -> Option<u32> {
    (key != NONE).then_some(key)
}

impl Default for RowKeys {
    fn default() -> Self {
        RowKeys {
            row: 0,
            numero: NONE,
            street: (NONE, NONE),
            address: [NONE; 4],
            id_commune: NONE,
            id_toponyme: NONE,
            id_adresse: NONE,
            name: NONE,
            lieudit: NONE,
        }
    }
}

/// Row records in fixed-size chunks: growing never copies, nor doubles, what is stored.
#[derive(Debug, Default)]
pub struct Records {
    chunks: Vec<Vec<RowKeys>>,
    len: usize,
}

impl Records {
    const CHUNK: usize = 8192;

    pub fn push(&mut self, record: RowKeys) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(record),
            _ => {
                let mut chunk = Vec::with_capacity(Self::CHUNK);
                chunk.push(record);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &RowKeys> + '_ {
        self.chunks.iter().flatten()
    }
}

impl FromIterator<RowKeys> for Records {
    fn from_iter<I: IntoIterator<Item = RowKeys>>(iter: I) -> Self {
        let mut records = Records::default();
        for record in iter {
            records.push(record);
        }
        records
    }
}

/// Findings of the multi-row rules.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RowsFindings {
    /// File-level codes (`rows.*`).
    pub file: Vec<&'static str>,
    /// (row, code) pairs.
    pub rows: Vec<(u32, &'static str)>,
}

/// Runs the multi-row rules over the records of every data row.
pub fn check_rows(records: &Records) -> RowsFindings {
    let mut out = RowsFindings::default();
    if records.is_empty() {
        out.file.push("rows.empty");
    }
    check_id_usage(records, &mut out);
    check_toponym_ids(records, &mut out);
    check_address_ids(records, &mut out);
    check_lieux_dits(records, &mut out);
    out
}

/// Either every row carries its BAN ids (then with one commune id) or none does.
fn check_id_usage(records: &Records, out: &mut RowsFindings) {
    let mut using = 0usize;
    let mut communes: Vec<u32> = Vec::new();
    for r in records.iter() {
        let complete =
            r.id_commune != NONE && r.id_toponyme != NONE && (r.id_adresse != NONE || r.is_toponym());
        if complete {
            using += 1;
            if let Some(c) = r.id_commune() {
                if !communes.contains(&c) {
                    communes.push(c);
                }
            }
        }
    }
    if using == records.len() {
        if communes.len() > 1 {
            out.file.push("rows.multi_id_ban_commune");
        }
    } else if using > 0 {
        out.file.push("rows.every_line_required_id_ban");
    }
}

/// Flags every row of each group whose rows disagree on `value`.
fn flag_disagreeing_groups<K: std::hash::Hash + Eq + Copy, V: PartialEq + Copy>(
    records: &Records,
    key: impl Fn(&RowKeys) -> Option<K>,
    value: impl Fn(&RowKeys) -> V,
    code: &'static str,
    out: &mut RowsFindings,
) {
    // Per group: the first value seen and whether another was seen; then the rows of the
    // groups that disagree, in order (two passes keep no list of rows per group).
    let mut groups: FxHashMap<K, (V, bool)> = FxHashMap::default();
    for r in records.iter() {
        let Some(k) = key(r) else { continue };
        let v = value(r);
        let group = groups.entry(k).or_insert((v, false));
        if group.0 != v {
            group.1 = true;
        }
    }
    for r in records.iter() {
        if key(r).and_then(|k| groups.get(&k)).is_some_and(|(_, differs)| *differs) {
            out.rows.push((r.row, code));
        }
    }
}

fn check_toponym_ids(records: &Records, out: &mut RowsFindings) {
    flag_disagreeing_groups(
        records,
        |r| r.id_toponyme(),
        |r| r.street,
        "row.different_voie_nom_with_same_id_ban_toponyme",
        out,
    );
    // Lieux-dits and streets of the same name are kept apart here.
    flag_disagreeing_groups(
        records,
        |r| r.id_toponyme().map(|_| (r.street, r.is_toponym())),
        |r| r.id_toponyme(),
        "row.different_id_ban_toponyme_with_same_voie_nom",
        out,
    );
}

fn check_address_ids(records: &Records, out: &mut RowsFindings) {
    flag_disagreeing_groups(
        records,
        |r| if r.is_toponym() { None } else { r.id_adresse() },
        |r| r.address,
        "row.different_adresse_with_same_id_ban_adresse",
        out,
    );
    // A row without an id in a group of rows with one also disagrees.
    flag_disagreeing_groups(
        records,
        |r| (!r.is_toponym()).then_some(r.address),
        |r| r.id_adresse,
        "row.different_id_ban_adresses_with_same_adresse",
        out,
    );
}

/// Every `lieudit_complement_nom` must be the exact name of some lieu-dit row (99999).
fn check_lieux_dits(records: &Records, out: &mut RowsFindings) {
    let declared: rustc_hash::FxHashSet<u32> =
        records.iter().filter(|r| r.is_toponym()).filter_map(|r| some(r.name)).collect();
    for r in records.iter() {
        if let Some(l) = some(r.lieudit) {
            if !declared.contains(&l) {
                out.rows.push((r.row, "row.lieudit_complement_nom_not_declared"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(row: u32, street: u32, address: u32, ids: (Option<u32>, Option<u32>, Option<u32>)) -> RowKeys {
        RowKeys {
            row,
            numero: row + 1,
            street: (street, NONE),
            address: [address, 0, 0, 0],
            id_commune: ids.0.unwrap_or(NONE),
            id_toponyme: ids.1.unwrap_or(NONE),
            id_adresse: ids.2.unwrap_or(NONE),
            ..RowKeys::default()
        }
    }

    #[test]
    fn empty_file() {
        assert_eq!(check_rows(&Records::default()).file, vec!["rows.empty"]);
    }

    #[test]
    fn partial_id_usage_and_several_communes() {
        let some = [keys(0, 1, 1, (Some(1), Some(2), Some(3))), keys(1, 1, 2, (None, None, None))];
        assert!(check_rows(&some.into_iter().collect()).file.contains(&"rows.every_line_required_id_ban"));
        let two = [keys(0, 1, 1, (Some(1), Some(2), Some(3))), keys(1, 1, 2, (Some(9), Some(2), Some(4)))];
        assert!(check_rows(&two.into_iter().collect()).file.contains(&"rows.multi_id_ban_commune"));
    }

    #[test]
    fn one_address_id_for_two_addresses_flags_both_rows() {
        let rows = [keys(0, 1, 10, (Some(1), Some(2), Some(3))), keys(1, 1, 11, (Some(1), Some(2), Some(3)))];
        let found = check_rows(&rows.into_iter().collect());
        assert!(found.rows.contains(&(0, "row.different_adresse_with_same_id_ban_adresse")));
        assert!(found.rows.contains(&(1, "row.different_adresse_with_same_id_ban_adresse")));
    }

    #[test]
    fn undeclared_lieu_dit() {
        let mut lieu = keys(0, 1, 1, (None, None, None));
        lieu.numero = TOPONYM_NUMERO;
        lieu.name = 7;
        let mut a = keys(1, 2, 2, (None, None, None));
        a.lieudit = 7;
        let mut b = keys(2, 2, 3, (None, None, None));
        b.lieudit = 8;
        assert_eq!(
            check_rows(&[lieu, a, b].into_iter().collect()).rows,
            vec![(2, "row.lieudit_complement_nom_not_declared")]
        );
    }
}
