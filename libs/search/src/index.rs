//! The in-memory index: the addok documents of every commune (municipality, streets with their
//! house numbers, localities), a vocabulary of processed tokens with posting lists, and an
//! R-tree of every point for reverse search.
//!
//! Updated a commune at a time: a commune's documents are replaced whole when the change feed
//! says it changed (old documents are marked dead, new ones appended), never the whole index.
//!
//! Why these structures: the vocabulary is a `BTreeMap`, which gives prefix ranges for
//! autocomplete and inserts for live updates (an `fst` set would need rebuilding at each new
//! word; typos are found by looking up one-edit neighbours, not by a Levenshtein automaton),
//! beside a `hashbrown::HashTable` of token ids for exact lookups (four bytes a token); posting lists are ascending `u32` doc
//! ids (documents are appended with increasing ids, so lists stay sorted without re-sorting);
//! house numbers are kept in ~40 bytes each (id, number, a hash of their processed key,
//! micro-degree coordinates), not as strings.
use std::collections::BTreeMap;
use std::sync::Arc;

use ban_domain::BanId;
use ban_exports::addok::{Document, DocumentKind};
use hashbrown::HashTable;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use rustc_hash::FxHashMap;

use crate::parcels::{self, CommuneParcels};
use crate::text;

pub type DocId = u32;
/// A point of the R-tree (on the unit sphere, see [`sphere_point`]): the document, and the
/// house number (`NO_NUMBER` for the document's own point).
pub type TreePoint = GeomWithData<[f32; 3], (DocId, u32)>;
pub const NO_NUMBER: u32 = u32::MAX;

/// Tokens of the name field carry this bit in a document's token list (they weigh more).
pub const NAME_BIT: u32 = 1 << 31;

/// A house number of a street document.
#[derive(Debug, Clone)]
pub struct Number {
    /// The BAN id's bytes (an array, not a `u128`, so the struct packs in 36 bytes).
    ban_id: [u8; 16],
    /// Micro-degrees (the export's 6 decimals, exactly).
    pub lon: i32,
    pub lat: i32,
    pub numero: u32,
    /// Index in the index's suffix table (0: none).
    pub suffix: u16,
    /// Its `cle_interop` is the street id + number (else it is in `Index::odd_ids`).
    pub standard_id: bool,
    /// Hash of its processed key (`text::housenumber_key`), to match a query's number.
    pub key_hash: u32,
}

/// A document of the index.
impl Number {
    pub fn ban_id(&self) -> BanId {
        BanId::from_random(u128::from_le_bytes(self.ban_id))
    }
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: DocumentKind,
    pub commune: Arc<str>,
    pub id: Box<str>,
    pub ban_id: Option<BanId>,
    pub name: Box<str>,
    pub postcode: Box<[Arc<str>]>,
    pub citycode: Box<[Arc<str>]>,
    pub oldcitycode: Option<Arc<str>>,
    pub oldcity: Option<Arc<str>>,
    pub city: Box<[Arc<str>]>,
    pub district: Option<Arc<str>>,
    pub context: Arc<str>,
    pub importance: f32,
    pub population: u32,
    pub lon: i32,
    pub lat: i32,
    /// Sorted, unique token ids of its indexed fields (`NAME_BIT` set for the name's).
    pub tokens: Box<[u32]>,
    pub numbers: Box<[Number]>,
}

impl Doc {
    pub fn has_token(&self, token: u32) -> Option<bool> {
        let i = self.tokens.partition_point(|t| (t & !NAME_BIT) < token);
        self.tokens.get(i).filter(|t| (*t & !NAME_BIT) == token).map(|t| t & NAME_BIT != 0)
    }
}

pub fn micro(degrees: f64) -> i32 {
    (degrees * 1e6).round() as i32
}

pub fn degrees(micro: i32) -> f64 {
    f64::from(micro) / 1e6
}

/// A position as the R-tree holds it: the point of the unit sphere. The straight-line distance
/// between two such points grows with the distance on the ground, everywhere: nearest in the
/// tree is nearest on the ground, at 166°E as at Greenwich, across the antimeridian too. (A
/// plane of longitude × cos(latitude) shears away from Greenwich: at 166°E a point 9 m north
/// came out about 9 m east too, and reverse geocoding in Nouméa picked farther numbers.)
/// The f32 coordinates round positions by under 0.2 m, which [`crate::search`] allows for.
pub fn sphere_point(lon: f64, lat: f64) -> [f32; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [(lat.cos() * lon.cos()) as f32, (lat.cos() * lon.sin()) as f32, lat.sin() as f32]
}

fn token_hash(text: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(text)
}

pub fn hash_key(key: &str) -> u32 {
    // FNV-1a: stable across runs and platforms.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in key.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The whole index.
#[derive(Default)]
pub struct Index {
    docs: Vec<Option<Doc>>,
    by_commune: FxHashMap<Arc<str>, Vec<DocId>>,
    /// Ordered, for autocomplete's prefix ranges.
    vocabulary: BTreeMap<Box<str>, u32>,
    /// The same tokens hashed (ids into `token_texts`), for exact lookups: a typo's hundreds
    /// of one-edit neighbours are looked up at one hash each, not a tree descent each.
    exact: HashTable<u32>,
    token_texts: Vec<Box<str>>,
    postings: Vec<Vec<DocId>>,
    tree: RTree<TreePoint>,
    suffixes: Vec<Box<str>>,
    suffix_ids: FxHashMap<Box<str>, u16>,
    strings: FxHashMap<Box<str>, Arc<str>>,
    /// `cle_interop`s that do not follow the street id (doc, number index).
    odd_ids: FxHashMap<(DocId, u32), Box<str>>,
    live_docs: usize,
    live_numbers: usize,
    dead_docs: usize,
    /// The documents' distinct contexts (`02, Aisne, Hauts-de-France`), with how many hold
    /// each: the départements and regions a query may name ([`Index::qualifier`]).
    contexts: FxHashMap<Arc<str>, u32>,
    /// Each commune's cadastral parcels and the numbers on them.
    parcels: FxHashMap<Arc<str>, CommuneParcels>,
    /// While the index is first built, the R-tree is loaded at the end in one go (packed
    /// nodes: a third smaller and faster than one insert at a time).
    bulk: bool,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("documents", &self.live_docs)
            .field("numbers", &self.live_numbers)
            .field("tokens", &self.token_texts.len())
            .finish()
    }
}

/// Counts of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    pub communes: usize,
    pub documents: usize,
    pub numbers: usize,
    pub tokens: usize,
    pub dead_documents: usize,
}

impl Index {
    pub fn new() -> Self {
        Index { suffixes: vec!["".into()], ..Index::default() }
    }

    /// Starts the first build: points go to the R-tree at `finish_bulk`.
    pub fn begin_bulk(&mut self) {
        self.bulk = true;
    }

    /// Loads the R-tree with every point of the index.
    pub fn finish_bulk(&mut self) {
        self.bulk = false;
        let mut points = Vec::with_capacity(self.live_docs + self.live_numbers);
        for (id, doc) in self.docs.iter().enumerate() {
            let Some(doc) = doc else { continue };
            let id = id as DocId;
            points.push(GeomWithData::new(sphere_point(degrees(doc.lon), degrees(doc.lat)), (id, NO_NUMBER)));
            for (i, number) in doc.numbers.iter().enumerate() {
                points.push(GeomWithData::new(
                    sphere_point(degrees(number.lon), degrees(number.lat)),
                    (id, i as u32),
                ));
            }
        }
        self.tree = RTree::bulk_load(points);
    }

    /// The memory the index holds, counted from its structures' sizes and capacities (what
    /// the allocator adds on top is not counted).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let arcs = |values: &[Arc<str>]| std::mem::size_of_val(values);
        let mut bytes = self.docs.capacity() * size_of::<Option<Doc>>();
        for doc in self.docs.iter().flatten() {
            bytes += doc.id.len() + doc.name.len();
            bytes += arcs(&doc.postcode) + arcs(&doc.citycode) + arcs(&doc.city);
            bytes += std::mem::size_of_val(&*doc.tokens) + std::mem::size_of_val(&*doc.numbers);
        }
        bytes += self.strings.keys().map(|k| 2 * k.len() + 64).sum::<usize>();
        bytes += self.vocabulary.keys().map(|k| 2 * k.len() + 48).sum::<usize>();
        bytes += self.exact.capacity() * (size_of::<u32>() + 1);
        bytes += self.postings.iter().map(|p| p.capacity() * size_of::<DocId>() + 24).sum::<usize>();
        bytes += self.by_commune.values().map(|d| d.capacity() * size_of::<DocId>() + 48).sum::<usize>();
        bytes += self.odd_ids.values().map(|v| v.len() + 40).sum::<usize>();
        // R-tree: a node per point in its parent's children (the enum of leaf and parent).
        bytes += self.tree.size() * size_of::<rstar::RTreeNode<TreePoint>>() * 11 / 10;
        bytes
    }

    pub fn stats(&self) -> IndexStats {
        IndexStats {
            communes: self.by_commune.values().filter(|docs| !docs.is_empty()).count(),
            documents: self.live_docs,
            numbers: self.live_numbers,
            tokens: self.token_texts.len(),
            dead_documents: self.dead_docs,
        }
    }

    /// Live documents (what `stats` counts, without walking the communes: read per search).
    pub fn documents(&self) -> usize {
        self.live_docs
    }

    pub fn doc(&self, id: DocId) -> Option<&Doc> {
        self.docs.get(id as usize).and_then(Option::as_ref)
    }

    pub fn token(&self, text: &str) -> Option<u32> {
        self.token_of_bytes(text.as_bytes())
    }

    /// `token` of a string's bytes (typo neighbours are made as bytes).
    pub fn token_of_bytes(&self, text: &[u8]) -> Option<u32> {
        let texts = &self.token_texts;
        self.exact.find(token_hash(text), |id| texts[*id as usize].as_bytes() == text).copied()
    }

    pub fn token_text(&self, id: u32) -> &str {
        self.token_texts.get(id as usize).map_or("", |t| t)
    }

    /// Tokens starting with `prefix` (at most `limit`, the exact one included).
    pub fn tokens_with_prefix(&self, prefix: &str, limit: usize) -> Vec<u32> {
        self.vocabulary
            .range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(|(t, _)| t.starts_with(prefix))
            .take(limit)
            .map(|(_, id)| *id)
            .collect()
    }

    pub fn postings(&self, token: u32) -> &[DocId] {
        self.postings.get(token as usize).map_or(&[], |p| p)
    }

    pub fn tree(&self) -> &RTree<TreePoint> {
        &self.tree
    }

    pub fn suffix(&self, id: u16) -> &str {
        self.suffixes.get(usize::from(id)).map_or("", |s| s)
    }

    /// The raw key of a number as the export writes it (`12bis`).
    pub fn number_key(&self, number: &Number) -> String {
        format!("{}{}", number.numero, self.suffix(number.suffix))
    }

    /// The `cle_interop` of a number of a document.
    pub fn number_id(&self, doc_id: DocId, doc: &Doc, index: u32) -> String {
        if let Some(id) = self.odd_ids.get(&(doc_id, index)) {
            return id.to_string();
        }
        let Some(number) = doc.numbers.get(index as usize) else { return String::new() };
        standard_id(&doc.id, number.numero, self.suffix(number.suffix))
    }

    /// The département or region a folded query ends with (`saint denis la reunion`,
    /// `valence drome`, `saint denis 974`): its folded words, and the contexts of the
    /// documents it names. The longest such ending is taken; none when it is the whole query.
    pub(crate) fn qualifier(&self, folded_query: &str) -> Option<(String, Vec<Arc<str>>)> {
        let mut best: Option<(String, Vec<Arc<str>>)> = None;
        for context in self.contexts.keys() {
            // `code, département[, region]`.
            for (i, part) in context.split(',').enumerate() {
                let name = text::fold(part);
                let name = name.trim();
                let ends = folded_query.len() > name.len() + 1
                    && folded_query.ends_with(name)
                    && folded_query.as_bytes()[folded_query.len() - name.len() - 1] == b' ';
                if name.is_empty() || !ends || (i == 0 && name.len() > 3) {
                    continue;
                }
                match &mut best {
                    Some((best_name, contexts)) if best_name == name => contexts.push(context.clone()),
                    Some((best_name, _)) if best_name.len() >= name.len() => {}
                    _ => best = Some((name.to_owned(), vec![context.clone()])),
                }
            }
        }
        best
    }

    fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(text.into(), shared.clone());
        shared
    }

    fn token_id(&mut self, token: &str) -> u32 {
        if let Some(id) = self.token(token) {
            return id;
        }
        let id = self.token_texts.len() as u32;
        self.vocabulary.insert(token.into(), id);
        let texts = &self.token_texts;
        self.exact
            .insert_unique(token_hash(token.as_bytes()), id, |id| token_hash(texts[*id as usize].as_bytes()));
        self.token_texts.push(token.into());
        self.postings.push(Vec::new());
        id
    }

    fn suffix_id(&mut self, suffix: &str) -> u16 {
        if let Some(id) = self.suffix_ids.get(suffix) {
            return *id;
        }
        let id = self.suffixes.len().min(usize::from(u16::MAX)) as u16;
        self.suffixes.push(suffix.into());
        self.suffix_ids.insert(suffix.into(), id);
        id
    }

    /// Replaces every document of `commune` by `documents` (none: the commune leaves the index).
    pub fn replace_commune(&mut self, commune: &str, documents: Vec<Document>) {
        self.remove_commune(commune);
        let commune = self.intern(commune);
        let mut ids = Vec::with_capacity(documents.len());
        let mut parcels: Vec<(String, DocId, u32)> = Vec::new();
        for mut document in documents {
            // The document's id once added.
            let id = self.docs.len() as DocId;
            for (i, number) in document.housenumbers.iter_mut().enumerate() {
                parcels.extend(std::mem::take(&mut number.parcelles).into_iter().map(|p| (p, id, i as u32)));
            }
            ids.push(self.add(commune.clone(), document));
        }
        let parcels = CommuneParcels::new(parcels.iter().map(|(p, doc, n)| (p.as_str(), *doc, *n)));
        if !parcels.is_empty() {
            self.parcels.insert(commune.clone(), parcels);
        }
        self.by_commune.insert(commune, ids);
    }

    /// The house numbers on a cadastral parcel (its id as [`parcels::parcel_id`] writes it).
    pub fn numbers_on_parcel(&self, parcel: &str) -> Vec<(DocId, u32)> {
        self.parcels.get(parcels::commune_of(parcel)).map_or_else(Vec::new, |p| p.numbers_on(parcel))
    }

    /// The cadastral parcels of a document's house number.
    pub fn parcels_of(&self, doc_id: DocId, number: u32) -> Vec<String> {
        let Some(doc) = self.doc(doc_id) else { return Vec::new() };
        self.parcels.get(&doc.commune).map_or_else(Vec::new, |p| p.parcels_of(doc_id, number))
    }

    fn remove_commune(&mut self, commune: &str) {
        self.parcels.remove(commune);
        let Some(ids) = self.by_commune.remove(commune) else { return };
        for id in ids {
            let Some(doc) = self.docs.get_mut(id as usize).and_then(Option::take) else { continue };
            self.live_docs -= 1;
            self.live_numbers -= doc.numbers.len();
            self.dead_docs += 1;
            if let Some(count) = self.contexts.get_mut(&doc.context) {
                *count -= 1;
                if *count == 0 {
                    self.contexts.remove(&doc.context);
                }
            }
            self.tree.remove(&GeomWithData::new(
                sphere_point(degrees(doc.lon), degrees(doc.lat)),
                (id, NO_NUMBER),
            ));
            for (i, number) in doc.numbers.iter().enumerate() {
                let point = sphere_point(degrees(number.lon), degrees(number.lat));
                self.tree.remove(&GeomWithData::new(point, (id, i as u32)));
                self.odd_ids.remove(&(id, i as u32));
            }
            // Postings keep the dead id (skipped when read) until they are next compacted.
        }
    }

    fn add(&mut self, commune: Arc<str>, document: Document) -> DocId {
        let id = self.docs.len() as DocId;
        let mut tokens: Vec<u32> = Vec::new();
        let name_tokens = text::document_tokens(&document.name);
        for token in &name_tokens {
            let token = self.token_id(token);
            tokens.push(token | NAME_BIT);
        }
        let mut other = Vec::new();
        for value in document
            .postcode
            .iter()
            .chain(&document.city)
            .chain(&document.citycode)
            .chain(document.oldcitycode.iter())
            .chain(document.oldcity.iter())
            .chain(document.district.iter())
            .chain(std::iter::once(&document.context))
        {
            other.extend(text::document_tokens(value));
        }
        for token in &other {
            let token = self.token_id(token);
            tokens.push(token);
        }
        // One entry per token, the name's bit kept when the token is in the name.
        tokens.sort_unstable_by_key(|t| (t & !NAME_BIT, std::cmp::Reverse(t & NAME_BIT)));
        tokens.dedup_by_key(|t| *t & !NAME_BIT);
        for token in &tokens {
            let postings = &mut self.postings[(token & !NAME_BIT) as usize];
            postings.push(id);
            // Dead ids pile up in very common tokens' lists: drop them when the list doubles.
            if postings.len().is_power_of_two() && postings.len() >= 1024 {
                let docs = &self.docs;
                postings.retain(|d| *d == id || docs.get(*d as usize).is_some_and(Option::is_some));
            }
        }
        let mut numbers = Vec::with_capacity(document.housenumbers.len());
        for (i, number) in document.housenumbers.iter().enumerate() {
            let digits = number.key.bytes().take_while(u8::is_ascii_digit).count();
            let (numero, suffix) = number.key.split_at(digits);
            let numero: u32 = numero.parse().unwrap_or(0);
            let suffix_id = self.suffix_id(suffix);
            let standard = standard_id(&document.id, numero, suffix) == number.id;
            if !standard {
                self.odd_ids.insert((id, i as u32), number.id.as_str().into());
            }
            let (lon, lat) = (micro(number.lon), micro(number.lat));
            if !self.bulk {
                self.tree.insert(GeomWithData::new(sphere_point(degrees(lon), degrees(lat)), (id, i as u32)));
            }
            numbers.push(Number {
                ban_id: number.ban_id.as_u128().to_le_bytes(),
                lon,
                lat,
                numero,
                suffix: suffix_id,
                standard_id: standard,
                key_hash: hash_key(&text::housenumber_key(&number.key)),
            });
        }
        if !self.bulk {
            let (lon, lat) = (degrees(micro(document.lon)), degrees(micro(document.lat)));
            self.tree.insert(GeomWithData::new(sphere_point(lon, lat), (id, NO_NUMBER)));
        }
        let doc = Doc {
            kind: document.kind,
            commune,
            id: document.id.into(),
            ban_id: document.ban_id,
            name: document.name.into(),
            postcode: document.postcode.iter().map(|p| self.intern(p)).collect(),
            citycode: document.citycode.iter().map(|c| self.intern(c)).collect(),
            oldcitycode: document.oldcitycode.as_deref().map(|c| self.intern(c)),
            oldcity: document.oldcity.as_deref().map(|c| self.intern(c)),
            city: document.city.iter().map(|c| self.intern(c)).collect(),
            district: document.district.as_deref().map(|d| self.intern(d)),
            context: self.intern(&document.context),
            importance: document.importance as f32,
            population: document.population.unwrap_or(0),
            lon: micro(document.lon),
            lat: micro(document.lat),
            tokens: tokens.into_boxed_slice(),
            numbers: numbers.into_boxed_slice(),
        };
        self.live_docs += 1;
        self.live_numbers += doc.numbers.len();
        *self.contexts.entry(doc.context.clone()).or_default() += 1;
        self.docs.push(Some(doc));
        id
    }
}

fn standard_id(street_id: &str, numero: u32, suffix: &str) -> String {
    let mut id = format!("{street_id}_{numero:05}");
    if !suffix.is_empty() {
        id.push('_');
        id.push_str(suffix);
    }
    id.to_lowercase()
}
