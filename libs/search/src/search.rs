//! Search and reverse search over the index, scored as addok scores (BAN-DOMAIN §4.7–4.9).
//!
//! **Candidates.** The query's words (processed tokens, house number set aside) are looked up
//! exactly; the last one, with autocomplete, also as a prefix; a word the vocabulary does not
//! know is replaced by its known one-edit neighbours (typos). A document must contain at least
//! ⌈2/3⌉ of the words (then fewer, if nothing does). By the pigeonhole principle such a
//! document is in the postings of one of the `n − m + 1` rarest words, so only those lists are
//! read: a common word (`rue`, a département name) never drives the search.
//!
//! **Score**, in [0, 1], explainable and stable (same inputs, same score, whatever the batch):
//! `(string + 0.1 × importance + geo) / (1 + 0.1 + 0.1 if a centre is given)` where
//! - `string` compares the folded query with the result's labels (`8 Rue des Sapins 62520 Le
//!   Touquet-Paris-Plage`, `Rue des Sapins …`): with autocomplete, 1 if equal, 0.9 if a label
//!   starts with the query, 0.7 if it contains it, else 0.9 × bigram similarity; without, the
//!   best bigram similarity (shared bigrams / all bigrams of both);
//! - `importance` is the BAN's (population of the commune, numbers in the street), in [0, 1];
//! - `geo` = `0.1 × exp(−(d / 50 km)²)` when `lat`/`lon` are given (0 beyond 100 km).
use std::collections::BinaryHeap;
use std::sync::Arc;

use ban_exports::addok::DocumentKind;
use rustc_hash::FxHashSet;

use crate::index::{degrees, hash_key, sphere_point, Doc, DocId, Index, TreePoint, NO_NUMBER};
use crate::{messy, parcels, text};

/// Results kept from the candidates' first ranking for full scoring.
const SCORED_CANDIDATES: usize = 100;
/// Municipalities kept besides them.
const SCORED_TOWNS: usize = 10;
/// Documents read at most for one query (bounds the slowest query).
const MAX_CANDIDATES: usize = 200_000;
/// Tokens a prefix may stand for.
const PREFIX_EXPANSIONS: usize = 64;
pub const MIN_SCORE: f64 = 0.1;
/// Results looked at for one in the département or region a query names.
const QUALIFIED_POOL: usize = 10;

/// What a result may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultType {
    Housenumber,
    Street,
    Locality,
    Municipality,
}

impl ResultType {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "housenumber" => Some(ResultType::Housenumber),
            "street" => Some(ResultType::Street),
            "locality" => Some(ResultType::Locality),
            "municipality" => Some(ResultType::Municipality),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResultType::Housenumber => "housenumber",
            ResultType::Street => "street",
            ResultType::Locality => "locality",
            ResultType::Municipality => "municipality",
        }
    }

    fn of(kind: DocumentKind) -> Self {
        match kind {
            DocumentKind::Municipality => ResultType::Municipality,
            DocumentKind::Street => ResultType::Street,
            DocumentKind::Locality => ResultType::Locality,
        }
    }
}

/// Exact-match filters: any value of a filter, every filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub types: Vec<ResultType>,
    pub postcodes: Vec<String>,
    pub citycodes: Vec<String>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.types.is_empty() && self.postcodes.is_empty() && self.citycodes.is_empty()
    }

    fn accepts_doc(&self, doc: &Doc) -> bool {
        let kind = ResultType::of(doc.kind);
        let type_ok = self.types.is_empty()
            || self.types.contains(&kind)
            || (self.types.contains(&ResultType::Housenumber) && !doc.numbers.is_empty());
        type_ok
            && (self.postcodes.is_empty() || {
                // A street's other postcodes are its commune's, indexed for the search only:
                // the filter keeps to the one it shows.
                let shown = if doc.kind == DocumentKind::Municipality {
                    &doc.postcode[..]
                } else {
                    &doc.postcode[..doc.postcode.len().min(1)]
                };
                shown.iter().any(|p| self.postcodes.iter().any(|f| **f == **p))
            })
            && (self.citycodes.is_empty()
                || doc.citycode.iter().any(|c| self.citycodes.iter().any(|f| **f == **c)))
    }

    fn accepts(&self, kind: ResultType) -> bool {
        self.types.is_empty() || self.types.contains(&kind)
    }
}

/// A search request.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub q: String,
    pub limit: usize,
    pub autocomplete: bool,
    /// Longitude, latitude: a preference, not a filter.
    pub center: Option<[f64; 2]>,
    pub filters: Filters,
}

impl SearchQuery {
    /// Whether `q` is a text the API searches: 3 to 200 characters once trimmed, the first a
    /// letter or a digit (else `/search/` answers 400 and a CSV row is `skipped`).
    pub fn accepts_q(q: &str) -> bool {
        let q = q.trim();
        let length = q.chars().count();
        (3..=200).contains(&length) && q.chars().next().is_some_and(|c| c.is_alphanumeric())
    }
}

/// A reverse request.
#[derive(Debug, Clone, PartialEq)]
pub struct ReverseQuery {
    pub lon: f64,
    pub lat: f64,
    pub limit: usize,
    pub filters: Filters,
}

/// One result: a document, or one of its house numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub doc: DocId,
    /// The house number matched (index in the document's numbers).
    pub number: Option<u32>,
    pub score: f64,
    /// Metres from the centre (reverse, or search with `lat`/`lon`).
    pub distance: Option<f64>,
    pub label: String,
}

impl Hit {
    pub fn kind(&self, index: &Index) -> ResultType {
        match (self.number, index.doc(self.doc)) {
            (Some(_), _) => ResultType::Housenumber,
            (None, Some(doc)) => ResultType::of(doc.kind),
            (None, None) => ResultType::Street,
        }
    }

    /// Longitude, latitude of the result.
    pub fn point(&self, index: &Index) -> [f64; 2] {
        let Some(doc) = index.doc(self.doc) else { return [0.0, 0.0] };
        match self.number.and_then(|n| doc.numbers.get(n as usize)) {
            Some(number) => [degrees(number.lon), degrees(number.lat)],
            None => [degrees(doc.lon), degrees(doc.lat)],
        }
    }
}

/// A word of the query and the tokens that stand for it.
#[derive(Debug)]
struct Word {
    tokens: Vec<u32>,
    /// The word itself, when the vocabulary has it (the other tokens are its completions or
    /// its typo neighbours, which weigh less).
    exact: Option<u32>,
    /// Documents in its postings (to choose the rarest).
    size: usize,
}

/// Letters only, as addok's `make_fuzzy` (`string.ascii_lowercase`).
const TYPO_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// Calls `visit` with the UTF-8 bytes of every string one edit away from `word` (a deletion
/// for words of more than 3 characters, a transposition, a substitution, an insertion), in a
/// reused buffer: a word yields hundreds of them and none is kept.
fn for_each_one_edit(word: &str, mut visit: impl FnMut(&[u8])) {
    if !word.is_ascii() {
        // The pipeline's tokens are ASCII; anything else gets the slow path.
        return one_edit_neighbours(word).iter().for_each(|n| visit(n.as_bytes()));
    }
    let bytes = word.as_bytes();
    let n = bytes.len();
    let mut buffer: Vec<u8> = Vec::with_capacity(n + 1);
    if n > 3 {
        for i in 0..n {
            buffer.clear();
            buffer.extend_from_slice(&bytes[..i]);
            buffer.extend_from_slice(&bytes[i + 1..]);
            visit(&buffer);
        }
    }
    for i in 0..n.saturating_sub(1) {
        buffer.clear();
        buffer.extend_from_slice(bytes);
        buffer.swap(i, i + 1);
        visit(&buffer);
    }
    buffer.clear();
    buffer.extend_from_slice(bytes);
    for i in 0..n {
        for &c in TYPO_ALPHABET {
            if c != bytes[i] {
                buffer[i] = c;
                visit(&buffer);
            }
        }
        buffer[i] = bytes[i];
    }
    for i in 0..=n {
        buffer.clear();
        buffer.extend_from_slice(&bytes[..i]);
        buffer.push(b'a');
        buffer.extend_from_slice(&bytes[i..]);
        for &c in TYPO_ALPHABET {
            buffer[i] = c;
            visit(&buffer);
        }
    }
}

/// The same neighbours as `for_each_one_edit`, for words with non-ASCII characters.
fn one_edit_neighbours(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let alphabet = TYPO_ALPHABET.iter().map(|b| char::from(*b));
    let mut out = Vec::new();
    let join = |v: &[char]| v.iter().collect::<String>();
    if chars.len() > 3 {
        for i in 0..chars.len() {
            let mut v = chars.clone();
            v.remove(i);
            out.push(join(&v));
        }
    }
    for i in 0..chars.len().saturating_sub(1) {
        let mut v = chars.clone();
        v.swap(i, i + 1);
        out.push(join(&v));
    }
    for i in 0..chars.len() {
        for c in alphabet.clone() {
            if c != chars[i] {
                let mut v = chars.clone();
                v[i] = c;
                out.push(join(&v));
            }
        }
    }
    for i in 0..=chars.len() {
        for c in alphabet.clone() {
            let mut v = chars.clone();
            v.insert(i, c);
            out.push(join(&v));
        }
    }
    out
}

impl Index {
    fn resolve(&self, token: &str, last: bool, autocomplete: bool) -> Word {
        let mut tokens: Vec<u32> = Vec::new();
        if let Some(id) = self.token(token) {
            tokens.push(id);
        }
        if last && autocomplete {
            for id in self.tokens_with_prefix(token, PREFIX_EXPANSIONS) {
                if !tokens.contains(&id) {
                    tokens.push(id);
                }
            }
        }
        // Typos: one edit away, for words of 3 characters and more that are not numbers.
        if tokens.is_empty() && token.chars().count() >= 3 && !token.bytes().all(|b| b.is_ascii_digit()) {
            for_each_one_edit(token, |neighbour| {
                if let Some(id) = self.token_of_bytes(neighbour) {
                    if !tokens.contains(&id) {
                        tokens.push(id);
                    }
                }
            });
        }
        let size = tokens.iter().map(|t| self.postings(*t).len()).sum();
        Word { exact: tokens.first().copied().filter(|id| self.token_text(*id) == token), tokens, size }
    }

    /// Forward search: the addresses on a cadastral parcel when the query is a parcel's id
    /// ([`parcels`]); else of the query as understood when it is messy ([`messy`]), else (or
    /// when that finds nothing) of the query as typed, which addok's pipeline reads alone.
    pub fn search(&self, query: &SearchQuery) -> Vec<Hit> {
        if let Some(parcel) = parcels::parcel_id(&query.q) {
            return self.on_parcel(&parcel, query);
        }
        let understood = messy::understand(&query.q);
        let (q, housenumber) = understood
            .as_ref()
            .map_or((query.q.as_str(), None), |u| (u.text.as_str(), u.housenumber.as_deref()));
        let folded = text::fold(q);
        // The query as typed says whether a code was in parentheses.
        let qualifier = self.qualifier(&folded).filter(|(name, _)| qualifies(&query.q, &folded, name));
        // Among homonyms, the one in the département or region the query ends with: looked
        // for among more results than asked.
        let limit = if qualifier.is_some() { query.limit.max(QUALIFIED_POOL) } else { query.limit };
        let mut hits = self.search_text(q, housenumber, query, limit, None);
        if hits.is_empty() && understood.is_some() {
            hits = self.search_text(&query.q, None, query, limit, None);
        }
        if let Some((name, contexts)) = qualifier {
            if !self.answers_qualifier(hits.first(), &name, &folded) {
                // The qualifier names no result's label, so it weighs against the right ones
                // in the score: the rest of the query is searched among its communes alone
                // (unless the query gives the first result's postcode, which says more).
                let rest = folded[..folded.len() - name.len()].trim();
                let within = if SearchQuery::accepts_q(rest) {
                    self.search_text(rest, housenumber, query, query.limit, Some(&contexts))
                } else {
                    Vec::new()
                };
                if within.is_empty() {
                    self.prefer_qualified(&mut hits, &contexts);
                } else {
                    hits = within;
                }
            }
        }
        hits.truncate(query.limit);
        hits
    }

    /// The house numbers on a cadastral parcel, in the order of the base, scored 1.
    fn on_parcel(&self, parcel: &str, query: &SearchQuery) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (doc_id, number) in self.numbers_on_parcel(parcel) {
            let Some(doc) = self.doc(doc_id) else { continue };
            if !query.filters.accepts_doc(doc) || !query.filters.accepts(ResultType::Housenumber) {
                continue;
            }
            let label = self.labels(doc, Some(number)).into_iter().next().unwrap_or_default();
            let mut hit = Hit { doc: doc_id, number: Some(number), score: 1.0, distance: None, label };
            if let Some(center) = query.center {
                hit.distance = Some(distance_m(center, hit.point(self)));
            }
            hits.push(hit);
            if hits.len() == query.limit {
                break;
            }
        }
        hits
    }

    /// Whether the first result answers a query ending with a département's or a region's
    /// name without it: the query gives its postcode, or its city is called so (`… 38200
    /// Vienne`, the city, is not the département of Vienne).
    fn answers_qualifier(&self, top: Option<&Hit>, name: &str, folded: &str) -> bool {
        let Some(doc) = top.and_then(|hit| self.doc(hit.doc)) else { return false };
        let words: Vec<&str> = folded.split_whitespace().collect();
        doc.postcode.iter().any(|postcode| words.contains(&&**postcode))
            || doc.city.iter().any(|city| text::fold(city).trim() == name)
            || (doc.kind == DocumentKind::Municipality && text::fold(&doc.name).trim() == name)
    }

    /// Puts first the results in the département or region the query ended with.
    fn prefer_qualified(&self, hits: &mut [Hit], contexts: &[Arc<str>]) {
        let within = |hit: &Hit| self.doc(hit.doc).is_some_and(|doc| contexts.contains(&doc.context));
        // A stable partition: the order within each side is kept.
        let (mut first, rest): (Vec<Hit>, Vec<Hit>) = hits.iter().cloned().partition(within);
        first.extend(rest);
        hits.clone_from_slice(&first);
    }

    /// Searches `q`, the best `limit` results; `housenumber`, a word of it to take for the
    /// house number (addok takes five digits for a postcode).
    /// `within`: the only contexts (département, region) whose documents are taken.
    fn search_text(
        &self,
        q: &str,
        housenumber: Option<&str>,
        query: &SearchQuery,
        limit: usize,
        within: Option<&[Arc<str>]>,
    ) -> Vec<Hit> {
        // addok scores labels against the whole folded query (not the cleaned one).
        let folded_query = FoldedQuery::new(q);
        let mut tokens = text::folded_query_tokens(&folded_query.text);
        if let Some(number) = housenumber.filter(|_| !tokens.iter().any(|t| t.housenumber)) {
            if let Some(token) = tokens.iter_mut().find(|t| t.text == number) {
                token.housenumber = true;
            }
        }
        let number_key: String =
            tokens.iter().filter(|t| t.housenumber).map(|t| t.text.as_str()).collect::<Vec<_>>().join("");
        let number_hash = (!number_key.is_empty()).then(|| hash_key(&number_key));
        let word_texts: Vec<&str> =
            tokens.iter().filter(|t| !t.housenumber).map(|t| t.text.as_str()).collect();
        let count = word_texts.len();
        let words: Vec<Word> = word_texts
            .iter()
            .enumerate()
            .map(|(i, t)| self.resolve(t, i + 1 == count, query.autocomplete))
            .collect();
        if words.iter().all(|w| w.tokens.is_empty()) {
            return Vec::new();
        }
        // Documents with every word first (addok's "cream"), then with 2/3 of them, then fewer.
        let found = words.iter().filter(|w| !w.tokens.is_empty()).count();
        let two_thirds = (2 * count).div_ceil(3).max(1);
        let mut thresholds = vec![found];
        thresholds.extend((1..=two_thirds.min(found.saturating_sub(1))).rev());
        for threshold in thresholds {
            let candidates = self.candidates(&words, threshold, query, within);
            let mut scratch = ScoreScratch::default();
            let mut hits: Vec<Hit> = candidates
                .into_iter()
                .filter_map(|doc| self.score(doc, number_hash, &folded_query, query, &mut scratch))
                .filter(|h| h.score >= MIN_SCORE)
                .collect();
            if hits.is_empty() {
                continue;
            }
            hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
            if number_hash.is_some() {
                self.prefer_numbers(&mut hits);
            }
            hits.truncate(limit);
            for hit in &mut hits {
                if let Some(doc) = self.doc(hit.doc) {
                    hit.label = self.labels(doc, hit.number).into_iter().next().unwrap_or_default();
                }
            }
            return hits;
        }
        Vec::new()
    }

    /// Documents matching at least `threshold` words and the filters, best first by a cheap
    /// ranking (words matched, in the name first, importance), at most `SCORED_CANDIDATES`.
    fn candidates(
        &self,
        words: &[Word],
        threshold: usize,
        query: &SearchQuery,
        within: Option<&[Arc<str>]>,
    ) -> Vec<DocId> {
        // The words found, rarest first.
        let mut by_rarity: Vec<usize> = (0..words.len()).filter(|w| !words[*w].tokens.is_empty()).collect();
        if by_rarity.len() < threshold {
            return Vec::new();
        }
        by_rarity.sort_by_key(|w| words[*w].size);
        let sources = by_rarity.len() - threshold + 1;
        let mut seen: FxHashSet<DocId> = FxHashSet::default();
        let mut ranked: BinaryHeap<std::cmp::Reverse<(u64, DocId)>> = BinaryHeap::new();
        let mut towns: BinaryHeap<std::cmp::Reverse<(u64, DocId)>> = BinaryHeap::new();
        let documents = self.documents().max(1) as f64;
        let idfs: Vec<f64> = words.iter().map(|w| (1.0 + documents / (1.0 + w.size as f64)).ln()).collect();
        let allowed_misses = by_rarity.len() - threshold;
        let mut weights = vec![f64::NAN; words.len()];
        let mut read = 0;
        for word in by_rarity[..sources].iter().map(|w| &words[*w]) {
            for token in &word.tokens {
                for &doc_id in self.postings(*token) {
                    read += 1;
                    if read > MAX_CANDIDATES {
                        break;
                    }
                    if !seen.insert(doc_id) {
                        continue;
                    }
                    let Some(doc) = self.doc(doc_id) else { continue };
                    if !query.filters.accepts_doc(doc) || within.is_some_and(|c| !c.contains(&doc.context)) {
                        continue;
                    }
                    // Rare words weigh more (idf), words of the name four times more. The
                    // rarest words are tried first: a document missing too many is left as
                    // soon as that is known.
                    let mut misses = 0;
                    for &w in &by_rarity {
                        let word = &words[w];
                        let exact = word.exact.and_then(|t| doc.has_token(t));
                        let (best, factor) = match exact {
                            Some(in_name) => (Some(in_name), 1.0),
                            None => (word.tokens.iter().filter_map(|t| doc.has_token(*t)).max(), 0.5),
                        };
                        weights[w] = match best {
                            Some(in_name) => factor * idfs[w] * if in_name { 4.0 } else { 1.0 },
                            None => {
                                misses += 1;
                                f64::NAN
                            }
                        };
                        if misses > allowed_misses {
                            break;
                        }
                    }
                    if misses > allowed_misses {
                        continue;
                    }
                    // Summed in the query's order (the rank does not depend on the trial order).
                    let weight: f64 = weights.iter().filter(|w| !w.is_nan()).sum();
                    let near = query.center.map_or(0.0, |c| {
                        let km = distance_m(c, [degrees(doc.lon), degrees(doc.lat)]) / 1000.0;
                        (-(km / 50.0).powi(2)).exp()
                    });
                    let rank = ((weight * 100.0) as u64) << 24
                        | (((f64::from(doc.importance) * 0.5 + near * 0.5) * 16_777_215.0) as u64)
                            .min(16_777_215);
                    // Municipalities are few and their labels short: a few always get scored.
                    let heap = if doc.kind == DocumentKind::Municipality { &mut towns } else { &mut ranked };
                    heap.push(std::cmp::Reverse((rank, doc_id)));
                    let cap =
                        if doc.kind == DocumentKind::Municipality { SCORED_TOWNS } else { SCORED_CANDIDATES };
                    if heap.len() > cap {
                        heap.pop();
                    }
                }
            }
        }
        ranked.into_iter().chain(towns).map(|std::cmp::Reverse((_, doc))| doc).collect()
    }

    fn score(
        &self,
        doc_id: DocId,
        number_hash: Option<u32>,
        folded_query: &FoldedQuery,
        query: &SearchQuery,
        scratch: &mut ScoreScratch,
    ) -> Option<Hit> {
        let doc = self.doc(doc_id)?;
        let number = number_hash
            .and_then(|hash| doc.numbers.iter().position(|n| n.key_hash == hash))
            .map(|i| i as u32);
        let kind = if number.is_some() { ResultType::Housenumber } else { ResultType::of(doc.kind) };
        if !query.filters.accepts(kind) {
            return None;
        }
        let labels = self.folded_labels(doc, number, &mut scratch.cities);
        let string = string_score(&labels, folded_query, query.autocomplete, &mut scratch.counts);
        // The displayed label is written for the results kept only.
        let mut hit = Hit { doc: doc_id, number, score: 0.0, distance: None, label: String::new() };
        let (mut total, mut ceiling) = (string + 0.1 * f64::from(doc.importance), 1.1);
        if let Some(center) = query.center {
            let metres = distance_m(center, hit.point(self));
            let km = metres / 1000.0;
            total += if km > 100.0 { 0.0 } else { 0.1 * (-(km / 50.0).powi(2)).exp() };
            ceiling += 0.1;
            hit.distance = Some(metres);
        }
        hit.score = total / ceiling;
        Some(hit)
    }

    /// addok-france's labels, the displayed one first: `<number> <name> <postcode> <city>`,
    /// `<name> <postcode> <city>`, `<name> <city>`, `<name>` (municipality: its name first).
    pub fn labels(&self, doc: &Doc, number: Option<u32>) -> Vec<String> {
        let number = number.and_then(|n| doc.numbers.get(n as usize)).map(|n| self.number_key(n));
        build_labels(doc, &doc.name, number.as_deref(), doc.city.first().map(|c| &**c))
    }

    /// The labels folded as `text::fold` folds them, built from folded parts (a commune's and
    /// a street's names are folded once, not once per label).
    fn folded_labels(
        &self,
        doc: &Doc,
        number: Option<u32>,
        cities: &mut Vec<(usize, String)>,
    ) -> Vec<String> {
        let number =
            number.and_then(|n| doc.numbers.get(n as usize)).map(|n| text::fold(&self.number_key(n)));
        // The candidates of a query share a few cities: each is folded once.
        let city = doc.city.first().map(|c| {
            let key = Arc::as_ptr(c) as *const u8 as usize;
            match cities.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    cities.push((key, text::fold(c)));
                    cities.len() - 1
                }
            }
        });
        let city = city.map(|i| cities[i].1.as_str());
        build_labels(doc, &text::fold(&doc.name), number.as_deref(), city)
    }

    /// Reverse search: the nearest documents' points and house numbers.
    pub fn reverse(&self, query: &ReverseQuery) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        let mut seen_docs: FxHashSet<DocId> = FxHashSet::default();
        let only_numbers = query.filters.types == [ResultType::Housenumber];
        // Postcode and citycode filters apply to the document; the type, to the result.
        let place = Filters { types: Vec::new(), ..query.filters.clone() };
        let accepts_numbers =
            query.filters.accepts(ResultType::Housenumber) || query.filters.accepts(ResultType::Street);
        // Nearest points first; one result per document (its closest point), within 1 km.
        for (point, exact) in self.nearest_exact(query.lon, query.lat).take(10_000) {
            let (doc_id, number) = point.data;
            let Some(doc) = self.doc(doc_id) else { continue };
            let number = (number != NO_NUMBER).then_some(number);
            if only_numbers && number.is_none() {
                continue;
            }
            let kind = if number.is_some() { ResultType::Housenumber } else { ResultType::of(doc.kind) };
            // A street's number answers a `street` filter too (addok's closest point of a street).
            let accepted = query.filters.accepts(kind)
                || (kind == ResultType::Housenumber && query.filters.accepts(ResultType::Street));
            if !accepted {
                continue;
            }
            if !place.is_empty() && !place.accepts_doc(doc) {
                continue;
            }
            let mut hit = Hit { doc: doc_id, number, score: 0.0, distance: None, label: String::new() };
            let mut metres = exact;
            // A street's own point ties with its numbers placed on it: the number wins, as in
            // addok (numbers are compared first).
            if hit.number.is_none() && !seen_docs.contains(&doc_id) && accepts_numbers {
                let closest = doc
                    .numbers
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (i, distance_m([query.lon, query.lat], [degrees(n.lon), degrees(n.lat)])))
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((i, d)) = closest.filter(|(_, d)| *d <= metres + 0.01) {
                    hit.number = Some(i as u32);
                    metres = d;
                }
            }
            if metres > 1_000.0 && !hits.is_empty() {
                break;
            }
            if seen_docs.contains(&doc_id) {
                continue;
            }
            hit.distance = Some(metres);
            hit.score = (-(metres / 1000.0 / 50.0).powi(2)).exp();
            hit.label = self.labels(doc, number).into_iter().next().unwrap_or_default();
            seen_docs.insert(doc_id);
            hits.push(hit);
            if hits.len() >= query.limit {
                break;
            }
        }
        hits
    }

    /// The tree's points, nearest to (`lon`, `lat`) first by their exact distance on the
    /// ground, with that distance in metres. The tree's own order is exact but for the rounding
    /// of its f32 coordinates (under a metre in all): a point is given once no point still in
    /// the tree can be closer than it by more than that.
    fn nearest_exact(&self, lon: f64, lat: f64) -> impl Iterator<Item = (&TreePoint, f64)> + '_ {
        /// The most the tree's distance can differ from the exact one, in metres.
        const ROUNDING_M: f64 = 1.0;
        let center = sphere_point(lon, lat);
        let mut tree = self.tree().nearest_neighbor_iter(&center);
        let mut held: BinaryHeap<Held> = BinaryHeap::new();
        // The tree's distance of the last point taken from it: those after are not closer.
        let mut frontier = 0.0_f64;
        let mut exhausted = false;
        std::iter::from_fn(move || loop {
            if let Some(first) = held.peek() {
                if exhausted || first.metres + ROUNDING_M <= frontier {
                    return held.pop().map(|h| (h.point, h.metres));
                }
            } else if exhausted {
                return None;
            }
            match tree.next() {
                Some(point) => {
                    frontier = chord_m(&center, point.geom());
                    let metres = distance_m([lon, lat], self.tree_position(point));
                    held.push(Held { metres, point });
                }
                None => exhausted = true,
            }
        })
    }

    /// The position of a point of the tree, in degrees.
    fn tree_position(&self, point: &TreePoint) -> [f64; 2] {
        let (doc_id, number) = point.data;
        let Some(doc) = self.doc(doc_id) else { return [0.0, 0.0] };
        match doc.numbers.get(number as usize) {
            Some(n) if number != NO_NUMBER => [degrees(n.lon), degrees(n.lat)],
            _ => [degrees(doc.lon), degrees(doc.lat)],
        }
    }
}

/// addok-france's labels from their parts: `<number> <name> <postcode> <city>`,
/// `<name> <postcode> <city>`, `<name> <city>`, `<name>` (a municipality: its name first).
fn build_labels(doc: &Doc, name: &str, number: Option<&str>, city: Option<&str>) -> Vec<String> {
    let postcode = doc.postcode.first().map(|p| &**p);
    // Whether the city differs from the name is decided on the raw values.
    let city = city.filter(|_| doc.city.first().is_some_and(|c| **c != *doc.name));
    let mut built = Vec::with_capacity(6);
    let mut add = |label: String| {
        if let Some(number) = number {
            built.push(format!("{number} {label}"));
        }
        built.push(label);
    };
    if doc.kind == DocumentKind::Municipality {
        // A commune's other postcodes, for the score alone (they end up last): `97423
        // Saint-Paul` is the commune, not a street of it whose label shows 97423.
        for other in doc.postcode.iter().skip(1) {
            add(format!("{name} {other}"));
            add(format!("{other} {name}"));
        }
        if let Some(postcode) = postcode {
            add(format!("{name} {postcode}"));
            add(format!("{postcode} {name}"));
        }
        add(name.to_owned());
    } else {
        add(name.to_owned());
        if let Some(city) = city {
            add(format!("{name} {city}"));
            if let Some(postcode) = postcode {
                add(format!("{name} {postcode} {city}"));
            }
        }
    }
    built.reverse();
    // `add` pushed "<number> label" before "label": reversed, the label comes first.
    if number.is_some() {
        for pair in built.chunks_mut(2) {
            pair.reverse();
        }
    }
    built
}

/// The straight line between two points of the unit sphere, in metres on the ground (the
/// chord: shorter than the arc by under a millimetre below 10 km).
fn chord_m(a: &[f32; 3], b: &[f32; 3]) -> f64 {
    let squared: f64 = a.iter().zip(b).map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2)).sum();
    squared.sqrt() * EARTH_RADIUS_M
}

/// A point taken from the tree, held until its turn: the heap gives the nearest first.
struct Held<'a> {
    metres: f64,
    point: &'a TreePoint,
}

impl PartialEq for Held<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Held<'_> {}

impl PartialOrd for Held<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Held<'_> {
    /// Reversed, so that the max-heap gives the nearest; ties by the tree's data, so that the
    /// order does not depend on the tree's.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.metres.total_cmp(&self.metres).then_with(|| other.point.data.cmp(&self.point.data))
    }
}

/// The mean radius of the Earth (IUGG), as the great-circle distances use it.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres (haversine), in the geocoder's own arithmetic: the
/// distances and scores it answers are compared with addok's digit for digit, and the same
/// formula in `geo`'s order of operations differs in the last bits (the rest of BAN Sync uses
/// `ban_spatial::contours::distance_m`).
pub fn distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (lat1, lat2) = (a[1].to_radians(), b[1].to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b[0] - a[0]).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// Shared bigrams / all bigrams of both strings (python-ngram's `NGram.compare`, N = 2), as the
/// search computes it between its folded query and a label.
pub fn bigram_similarity(a: &str, b: &str) -> f64 {
    FoldedQuery::of_folded(a.to_owned()).best_similarity(&[b.to_owned()], &mut Vec::new())
}

/// A string's bigrams as sorted integers.
fn bigrams(s: &str, out: &mut Vec<u64>) {
    out.clear();
    let mut chars = s.chars();
    if let Some(mut previous) = chars.next() {
        for c in chars {
            out.push(bigram(previous, c));
            previous = c;
        }
    }
    out.sort_unstable();
}

fn bigram(first: char, second: char) -> u64 {
    (u64::from(first) << 32) | u64::from(second)
}

/// Buffers and memos of one search's scoring.
#[derive(Default)]
struct ScoreScratch {
    /// The query's bigram counts, consumed label by label.
    counts: Vec<u8>,
    /// Cities folded, by the address of their shared string.
    cities: Vec<(usize, String)>,
}

/// The folded query, and its bigrams counted once for all the labels it is compared with.
struct FoldedQuery {
    text: String,
    /// Its distinct bigrams, sorted, and how many times each occurs.
    bigrams: Vec<u64>,
    counts: Vec<u8>,
    /// Its bigrams, with multiplicity.
    total: usize,
}

impl FoldedQuery {
    fn new(query: &str) -> Self {
        Self::of_folded(text::fold(query))
    }

    fn of_folded(text: String) -> Self {
        let mut all = Vec::new();
        bigrams(&text, &mut all);
        let total = all.len();
        let (mut grams, mut counts) = (Vec::with_capacity(total), Vec::with_capacity(total));
        for gram in all {
            if grams.last() == Some(&gram) {
                if let Some(count) = counts.last_mut() {
                    *count = u8::saturating_add(*count, 1);
                }
            } else {
                grams.push(gram);
                counts.push(1u8);
            }
        }
        FoldedQuery { text, bigrams: grams, counts, total }
    }

    /// The best bigram similarity with one of the labels (`bigram_similarity`, with the
    /// query's side counted once). A label whose bigram count is too far from the query's to
    /// beat the best so far is not compared (with `m` and `n` bigrams, the similarity is at
    /// most `min(m, n) / max(m, n)`).
    fn best_similarity(&self, labels: &[String], left: &mut Vec<u8>) -> f64 {
        let mut best: f64 = 0.0;
        let n = self.total;
        for label in labels {
            if *label == self.text {
                return 1.0;
            }
            let m = label.chars().count().saturating_sub(1);
            if m.min(n) as f64 <= best * m.max(n) as f64 {
                continue;
            }
            left.clear();
            left.extend_from_slice(&self.counts);
            let mut shared = 0usize;
            let mut chars = label.chars();
            if let Some(mut previous) = chars.next() {
                for c in chars {
                    if let Ok(k) = self.bigrams.binary_search(&bigram(previous, c)) {
                        if left[k] > 0 {
                            left[k] -= 1;
                            shared += 1;
                        }
                    }
                    previous = c;
                }
            }
            let all = (m + n) as f64 - shared as f64;
            if all > 0.0 {
                best = best.max(shared as f64 / all);
            }
        }
        best
    }
}

fn string_score(folded: &[String], query: &FoldedQuery, autocomplete: bool, scratch: &mut Vec<u8>) -> f64 {
    if autocomplete {
        let mut best: f64 = 0.0;
        for label in folded {
            let value = if *label == query.text {
                1.0
            } else if label.starts_with(&query.text) {
                0.9
            } else if label.contains(&query.text) {
                0.7
            } else {
                0.0
            };
            best = best.max(value);
        }
        if best > 0.0 {
            return best;
        }
        return 0.9 * query.best_similarity(folded, scratch);
    }
    query.best_similarity(folded, scratch)
}

/// Words after which a département's or region's name belongs to a commune's (`Vitry-sur-Orne`,
/// `Mussey-sur-Marne`, `Châlons-en-Champagne`): no qualifier there.
const BEFORE_A_NAME_IN_A_NAME: &[&str] =
    &["sur", "sous", "en", "les", "lez", "de", "du", "des", "la", "le", "aux", "et", "d", "l"];

/// Whether the département or region `name` that `folded` (the query `q` folded) ends with
/// qualifies the place: not when it ends a commune's name, and a département's code only in
/// parentheses or after a comma (`Saint-Benoît (04)`, `Valence, 26`: `CEDEX 16`, `BP 27` or a
/// house number are not codes).
fn qualifies(q: &str, folded: &str, name: &str) -> bool {
    let before = folded[..folded.len() - name.len()].split_whitespace().next_back();
    if before.is_none_or(|word| BEFORE_A_NAME_IN_A_NAME.contains(&word)) {
        return false;
    }
    let is_code = name.len() <= 3 && name.bytes().any(|b| b.is_ascii_digit());
    if !is_code {
        return true;
    }
    let raw = q.trim_end();
    raw.ends_with(')') || raw.rsplit_once(',').is_some_and(|(_, tail)| tail.trim().eq_ignore_ascii_case(name))
}

/// How far below the first result a house number found may score and still come first.
const NUMBER_MARGIN: f64 = 0.15;

/// Words that do not tell one name from another: articles, and what a lieu-dit's name holds
/// in front of a street's (`La Brosse aux Loups` / `Rue de la Brosse aux Loups`).
const NAME_FILLERS: &[&str] = &["le", "la", "les", "l", "de", "du", "des", "d", "aux", "au", "a", "en"];

impl Index {
    /// A query with a house number asks for an address: a result that has that number comes
    /// before a lieu-dit or a street without it whose label resembles the query more only
    /// because it lacks the street's type (`2 b Brosse aux Loups` is number 2b of the Rue de
    /// la Brosse aux Loups, not the lieu-dit La Brosse aux Loups) — when it scores within
    /// [`NUMBER_MARGIN`] of it and its name shares a word with the first's (plurals aside:
    /// `Le Moulin Saint-Martin`, `Rue des Moulins Saint-Martin`), so that another street's
    /// number never stands for the street asked. addok ranks by the score alone.
    fn prefer_numbers(&self, hits: &mut [Hit]) {
        let Some(top) = hits.first() else { return };
        let Some(top_doc) = self.doc(top.doc).filter(|_| top.number.is_none()) else { return };
        let words = |name: &str| -> Vec<String> {
            text::fold(name)
                .split_whitespace()
                .filter(|w| !NAME_FILLERS.contains(w) && !text::is_street_type(w))
                .map(|w| w.trim_end_matches(['s', 'x']).to_owned())
                .collect()
        };
        let wanted = words(&top_doc.name);
        let floor = top.score - NUMBER_MARGIN;
        let found = hits.iter().position(|h| {
            h.number.is_some()
                && h.score >= floor
                && self.doc(h.doc).is_some_and(|doc| words(&doc.name).iter().any(|w| wanted.contains(w)))
        });
        if let Some(i) = found {
            hits[..=i].rotate_right(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::qualifies;

    #[test]
    fn a_qualifier_is_a_place_apart_not_the_end_of_a_name_nor_a_cedex() {
        assert!(qualifies("Valence, Drôme", "valence drome", "drome"));
        assert!(qualifies("Saint-Pierre Bas-Rhin", "saint pierre bas rhin", "bas rhin"));
        assert!(qualifies("Saint-Benoît (04)", "saint benoit 04", "04"));
        assert!(qualifies("Valence, 26", "valence 26", "26"));
        assert!(!qualifies(
            "1 Rue des Écoles 57185 Vitry-sur-Orne",
            "1 rue des ecoles 57185 vitry sur orne",
            "orne"
        ));
        assert!(!qualifies(
            "1 Allée du Presbytère 26000 Valence CEDEX 16",
            "1 allee du presbytere 26000 valence cedex 16",
            "16"
        ));
        assert!(!qualifies(
            "14 Chemin de la Bruyère 67170 Geudertheim BP 27",
            "14 chemin de la bruyere 67170 geudertheim bp 27",
            "27"
        ));
        assert!(!qualifies("Drôme", "drome", "drome"));
    }

    use super::*;

    #[test]
    fn bigram_similarity_is_python_ngrams() {
        // ab bc cd / ab bc ce: 2 shared of 4 distinct.
        assert_eq!(bigram_similarity("abcd", "abce"), 0.5);
        // With multiplicity: aa aa / aa → 1 shared of 2.
        assert_eq!(bigram_similarity("aaa", "aa"), 0.5);
        assert_eq!(bigram_similarity("rue", "rue"), 1.0);
        assert_eq!(bigram_similarity("a", "b"), 0.0);
        assert_eq!(bigram_similarity("abc", "xyz"), 0.0);
    }

    #[test]
    fn one_edit_neighbours_are_the_same_on_both_paths() {
        for word in ["rue", "sapins", "a1b2", "xy"] {
            let mut fast = Vec::new();
            for_each_one_edit(word, |n| fast.push(String::from_utf8_lossy(n).into_owned()));
            assert_eq!(fast, one_edit_neighbours(word), "{word}");
        }
        let mut seen = Vec::new();
        for_each_one_edit("éte", |n| seen.push(String::from_utf8_lossy(n).into_owned()));
        assert!(seen.contains(&"ete".to_owned()) && seen.contains(&"éto".to_owned()));
    }
}
