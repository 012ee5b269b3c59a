//! Cadastral parcels (`cad_parcelles`): which house numbers stand on a parcel, and which
//! parcels a house number stands on, for the parcel search (`54084000AB0123` as a query, as the
//! national geocoder's `index=parcel`) and the `parcelles` of an address's answer.
//!
//! Kept per commune (a parcel id starts with its commune's INSEE code, so a lookup goes
//! straight to one commune, and a commune's update replaces its part), as 16-byte entries: a
//! parcel id packed losslessly into a `u64` (52 bits), the document and the number. Sorted by
//! document and number (the order numbers are added in) for an address's parcels, with a
//! permutation sorted by parcel for a parcel's addresses: 20 bytes per parcel of an address.
use crate::index::DocId;

/// A commune's parcels.
#[derive(Debug, Clone, Default)]
pub struct CommuneParcels {
    /// (parcel, document, number index), sorted by document then number.
    entries: Vec<(u64, DocId, u32)>,
    /// Indices into `entries`, sorted by parcel.
    by_parcel: Vec<u32>,
}

impl CommuneParcels {
    /// From `(parcel id, document, number)` triples in the order of documents and numbers;
    /// ids that are not parcel ids are left out.
    pub fn new<'a>(parcels: impl IntoIterator<Item = (&'a str, DocId, u32)>) -> Self {
        let mut entries: Vec<(u64, DocId, u32)> =
            parcels.into_iter().filter_map(|(id, doc, n)| Some((pack(id)?, doc, n))).collect();
        entries.sort_unstable_by_key(|&(key, doc, n)| (doc, n, key));
        entries.dedup();
        let mut by_parcel: Vec<u32> = (0..entries.len() as u32).collect();
        by_parcel.sort_unstable_by_key(|&i| (entries[i as usize].0, i));
        CommuneParcels { entries, by_parcel }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The house numbers on a parcel, in the order of the base.
    pub fn numbers_on(&self, parcel: &str) -> Vec<(DocId, u32)> {
        let Some(key) = pack(parcel) else { return Vec::new() };
        let start = self.by_parcel.partition_point(|&i| self.entries[i as usize].0 < key);
        self.by_parcel[start..]
            .iter()
            .map(|&i| self.entries[i as usize])
            .take_while(|entry| entry.0 == key)
            .map(|(_, doc, n)| (doc, n))
            .collect()
    }

    /// The parcels a house number stands on.
    pub fn parcels_of(&self, doc: DocId, number: u32) -> Vec<String> {
        let start = self.entries.partition_point(|&(_, d, n)| (d, n) < (doc, number));
        self.entries[start..]
            .iter()
            .take_while(|&&(_, d, n)| (d, n) == (doc, number))
            .map(|&(key, _, _)| unpack(key))
            .collect()
    }
}

/// Whether `text` is a parcel id: `54084000AB0123` (INSEE code, 3-digit prefix, 2-character
/// section, 4-digit number), spaces ignored, any case; written in capitals.
pub fn parcel_id(text: &str) -> Option<String> {
    let id: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    pack(&id).map(unpack)
}

/// The INSEE code of a parcel id.
pub fn commune_of(parcel: &str) -> &str {
    parcel.get(..5).unwrap_or("")
}

/// 52 bits: commune (17), prefix (10), section (11), number (14). The DGFiP's 15-character
/// form (a third character more, `710346000AI0188`) is the 14-character one without it, as
/// the BAL validator reads it.
fn pack(id: &str) -> Option<u64> {
    let b = id.as_bytes();
    let fifteen: [u8; 14];
    let b = match b.len() {
        14 => b,
        15 => {
            fifteen = std::array::from_fn(|i| if i < 2 { b[i] } else { b[i + 1] });
            &fifteen
        }
        _ => return None,
    };
    let commune = commune_number(&b[..5])?;
    let prefix = digits(&b[5..8])?;
    let section = alnum(b[8])? * 36 + alnum(b[9])?;
    let number = digits(&b[10..14])?;
    Some(commune << 35 | prefix << 25 | section << 14 | number)
}

fn unpack(key: u64) -> String {
    let commune = key >> 35;
    let (prefix, section, number) = ((key >> 25) & 0x3ff, (key >> 14) & 0x7ff, key & 0x3fff);
    let insee = match commune {
        100_000..=100_999 => format!("2A{:03}", commune - 100_000),
        101_000..=101_999 => format!("2B{:03}", commune - 101_000),
        _ => format!("{commune:05}"),
    };
    let symbol = |v: u64| char::from(if v < 10 { b'0' + v as u8 } else { b'A' + (v - 10) as u8 });
    format!("{insee}{prefix:03}{}{}{number:04}", symbol(section / 36), symbol(section % 36))
}

/// `54084` → 54084; Corsica's `2A004` / `2B033` after the 100,000 numeric codes.
fn commune_number(b: &[u8]) -> Option<u64> {
    match b {
        [b'2', b'A' | b'a', rest @ ..] => Some(100_000 + digits(rest)?),
        [b'2', b'B' | b'b', rest @ ..] => Some(101_000 + digits(rest)?),
        _ => digits(b),
    }
}

fn digits(b: &[u8]) -> Option<u64> {
    b.iter().try_fold(0u64, |v, c| c.is_ascii_digit().then(|| v * 10 + u64::from(c - b'0')))
}

fn alnum(c: u8) -> Option<u64> {
    match c {
        b'0'..=b'9' => Some(u64::from(c - b'0')),
        b'A'..=b'Z' => Some(u64::from(c - b'A') + 10),
        b'a'..=b'z' => Some(u64::from(c - b'a') + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parcel_ids_pack_losslessly() {
        for id in ["54084000AB0123", "2A004000OA0001", "2B033123ZZ9999", "97411000BX0042", "00001000000001"] {
            assert_eq!(pack(id).map(unpack).as_deref(), Some(id));
        }
        assert_eq!(parcel_id("54084 000 ab 0123").as_deref(), Some("54084000AB0123"));
        assert_eq!(parcel_id("710346000AI0188").as_deref(), Some("71346000AI0188"));
        for not in
            ["54084000AB012", "54084000A-0123", "5408400AB01234XY", "rue de la paix 12", "2C004000OA0001"]
        {
            assert_eq!(parcel_id(not), None, "{not}");
        }
    }

    #[test]
    fn a_parcel_gives_its_numbers_and_a_number_its_parcels() {
        let parcels = CommuneParcels::new([
            ("54084000AB0123", 1, 0),
            ("54084000AB0124", 1, 0),
            ("54084000AB0123", 1, 1),
            ("54084000AC0001", 2, 0),
            ("not a parcel", 2, 1),
        ]);
        assert_eq!(parcels.numbers_on("54084000AB0123"), vec![(1, 0), (1, 1)]);
        assert_eq!(parcels.numbers_on("54084000AB9999"), vec![]);
        assert_eq!(parcels.parcels_of(1, 0), vec!["54084000AB0123", "54084000AB0124"]);
        assert_eq!(parcels.parcels_of(2, 1), Vec::<String>::new());
    }
}
