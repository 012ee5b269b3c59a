//! The live index: built from the store at start, then kept up to date from the change feed,
//! a commune at a time (a commune whose rows appear in the feed is read again and its
//! documents replaced). Several geocoder processes can follow one database: each keeps its
//! own cursor. Its settings ([`GeocoderArgs`]) are given at start.
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use ban_domain::departement_of;
use ban_exports::addok::{commune_documents, municipality, DocumentKind};
use ban_exports::{CommuneData, Prepared};
use ban_search::Index;
use ban_spatial::Territories;
use ban_store::{FeedQuery, Store, StoreError};
use rustc_hash::FxHashSet;
use tokio::sync::watch;

use crate::GeocoderArgs;

/// Feed rows read at once.
const FEED_PAGE: i64 = 10_000;

/// Where the index is: building, or up to date with the feed at some seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Building { communes_done: usize, communes: usize },
    Following { seq: i64 },
}

/// The index shared by the routes, and where it stands.
#[derive(Clone)]
pub struct LiveIndex {
    pub index: Arc<RwLock<Index>>,
    pub progress: watch::Receiver<Progress>,
}

impl std::fmt::Debug for LiveIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveIndex").field("progress", &*self.progress.borrow()).finish()
    }
}

impl LiveIndex {
    /// Starts building the index from `store` and following its feed (every `settings.poll`
    /// when it has nothing new).
    pub fn start(store: Arc<dyn Store>, settings: GeocoderArgs) -> LiveIndex {
        LiveIndex::start_until(store, settings, std::future::pending())
    }

    /// [`LiveIndex::start`], the building and following stopped when `stop` resolves (a
    /// server shutting down: nothing is left running on a runtime that is going away).
    pub fn start_until(
        store: Arc<dyn Store>,
        settings: GeocoderArgs,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> LiveIndex {
        let index = Arc::new(RwLock::new(Index::new()));
        let (sender, progress) = watch::channel(Progress::Building { communes_done: 0, communes: 0 });
        let shared = index.clone();
        let work = async move {
            // The first build starts over until it succeeds; afterwards a failed read of the
            // feed is retried from the same cursor: the index keeps serving meanwhile.
            let (mut cursor, mut covered) = loop {
                match build(&*store, &shared, &sender, settings.empty_communes).await {
                    Ok(built) => break built,
                    Err(error) => {
                        tracing::warn!(%error, "geocoder index: building from the store failed; retrying in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            loop {
                match follow(&*store, &shared, &sender, &mut cursor, &mut covered, &settings).await {
                    Ok(()) => return,
                    Err(error) => {
                        metrics::counter!("geocoder_feed_errors_total").increment(1);
                        tracing::warn!(%error, seq = cursor, "geocoder index: reading the feed failed; retrying in 1 s (the index keeps serving)");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        };
        tokio::spawn(async move {
            tokio::select! {
                () = work => {}
                () = stop => tracing::debug!("geocoder index: stopped"),
            }
        });
        LiveIndex { index, progress }
    }

    pub fn is_ready(&self) -> bool {
        matches!(*self.progress.borrow(), Progress::Following { .. })
    }

    /// For `/readyz`: not ready while the index is being built.
    pub fn readiness(&self) -> ban_service_kit::ReadinessCheck {
        let progress = self.progress.clone();
        Arc::new(move || match *progress.borrow() {
            Progress::Following { .. } => Ok(()),
            Progress::Building { communes: 0, .. } => Err("the geocoder index is being built".to_owned()),
            Progress::Building { communes_done, communes } => {
                Err(format!("the geocoder index is being built ({communes_done} of {communes} communes)"))
            }
        })
    }
}

/// Reads a commune from the store and turns it into its documents.
async fn load_commune(
    store: &dyn Store,
    code: &str,
) -> Result<Vec<ban_exports::addok::Document>, StoreError> {
    let base = store.commune_base(code).await?;
    Ok(tokio::task::block_in_place(|| documents_of(code, &base)))
}

pub(crate) fn documents_of(code: &str, base: &ban_store::CommuneBase) -> Vec<ban_exports::addok::Document> {
    let territories = Territories::national();
    let mut documents = match &base.commune {
        Some(commune) => {
            let data = CommuneData { commune, toponyms: &base.toponyms, addresses: &base.addresses };
            commune_documents(&Prepared::new(data, territories))
        }
        None => Vec::new(),
    };
    // A commune is found by its name even without numbered streets, at its centre.
    if !documents.iter().any(|d| d.kind == DocumentKind::Municipality) {
        if let Some(territory) = territories.commune(code) {
            if let Some(centre) = territory.centre {
                let ban_id = base.commune.as_ref().map(|c| c.id);
                documents.push(municipality(territory, ban_id, centre));
            }
        }
    }
    documents
}

/// Builds the index from the base; returns the feed's seq it reflects and the départements
/// whose empty communes are indexed (when `empty_communes`).
async fn build(
    store: &dyn Store,
    index: &RwLock<Index>,
    progress: &watch::Sender<Progress>,
    empty_communes: bool,
) -> Result<(i64, FxHashSet<String>), StoreError> {
    let started = Instant::now();
    // Changes after this seq are read from the feed afterwards (re-reading one is harmless).
    let cursor = store.last_seq().await?;
    let communes = store.base_communes(None).await?;
    let in_base: FxHashSet<&str> = communes.iter().map(|c| c.commune.code.as_str()).collect();
    {
        // From nothing (a build that failed half-way starts over).
        let mut index = index.write().unwrap_or_else(|e| e.into_inner());
        *index = Index::new();
        index.begin_bulk();
    }
    // As the addok export does, the communes without data of a département with data get
    // their municipality (found by name, at their centre).
    let mut covered: FxHashSet<String> = FxHashSet::default();
    for code in &in_base {
        cover_departement(index, departement_of(code), &in_base, &mut covered, empty_communes);
    }
    let total = communes.len();
    for (done, record) in communes.iter().enumerate() {
        let documents = load_commune(store, &record.commune.code).await?;
        index.write().unwrap_or_else(|e| e.into_inner()).replace_commune(&record.commune.code, documents);
        let _ = progress.send(Progress::Building { communes_done: done + 1, communes: total });
    }
    index.write().unwrap_or_else(|e| e.into_inner()).finish_bulk();
    let stats = index.read().unwrap_or_else(|e| e.into_inner()).stats();
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        documents = stats.documents,
        numbers = stats.numbers,
        tokens = stats.tokens,
        seconds,
        numbers_per_second = (stats.numbers as f64 / seconds.max(1e-9)) as u64,
        "geocoder index built"
    );
    metrics::gauge!("geocoder_index_build_seconds").set(seconds);
    record_index(&stats, cursor);
    let _ = progress.send(Progress::Following { seq: cursor });
    Ok((cursor, covered))
}

/// Applies the feed from `cursor` on, for ever (returns only on a store error).
async fn follow(
    store: &dyn Store,
    index: &RwLock<Index>,
    progress: &watch::Sender<Progress>,
    cursor: &mut i64,
    covered: &mut FxHashSet<String>,
    settings: &GeocoderArgs,
) -> Result<(), StoreError> {
    loop {
        let rows = store.feed(&FeedQuery::since(*cursor, FEED_PAGE)).await?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            // Caught up with the feed.
            metrics::gauge!("geocoder_feed_lag_seconds").set(0.0);
            metrics::gauge!("geocoder_feed_lag_changes").set(0.0);
            tokio::time::sleep(settings.poll).await;
            continue;
        };
        // Behind by the changes read (and more, if the page is full): how long the oldest of
        // them has waited to be searchable.
        if let Some(first) = rows.first() {
            let waited = (chrono::Utc::now() - first.at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::gauge!("geocoder_feed_lag_seconds").set(waited);
            metrics::gauge!("geocoder_feed_lag_changes").set(rows.len() as f64);
        }
        let mut touched: Vec<&str> = rows.iter().map(|r| r.commune.as_str()).collect();
        touched.sort_unstable();
        touched.dedup();
        for code in touched {
            let documents = load_commune(store, code).await?;
            index.write().unwrap_or_else(|e| e.into_inner()).replace_commune(code, documents);
            if !covered.contains(departement_of(code)) {
                let in_base: FxHashSet<String> = store
                    .base_communes(Some(departement_of(code)))
                    .await?
                    .into_iter()
                    .map(|c| c.commune.code)
                    .collect();
                let in_base: FxHashSet<&str> = in_base.iter().map(String::as_str).collect();
                cover_departement(index, departement_of(code), &in_base, covered, settings.empty_communes);
            }
        }
        *cursor = last;
        // Commit of a change → searchable, for every change applied.
        let now = chrono::Utc::now();
        for row in &rows {
            let delay = (now - row.at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::histogram!("geocoder_change_visible_seconds").record(delay);
        }
        record_index(&index.read().unwrap_or_else(|e| e.into_inner()).stats(), *cursor);
        let _ = progress.send(Progress::Following { seq: *cursor });
        tracing::debug!(seq = *cursor, "geocoder index up to date");
    }
}

/// The index's counts and the feed position it reflects, as gauges.
fn record_index(stats: &ban_search::IndexStats, seq: i64) {
    metrics::gauge!("geocoder_index_seq").set(seq as f64);
    metrics::gauge!("geocoder_index_documents").set(stats.documents as f64);
    metrics::gauge!("geocoder_index_housenumbers").set(stats.numbers as f64);
}

/// Adds the municipality of every commune of `departement` that has no data in the base,
/// when `empty_communes` (`GEOCODER_EMPTY_COMMUNES`, default true; false indexes only what
/// the base holds, e.g. to compare with a geocoder loaded with the same sample).
fn cover_departement(
    index: &RwLock<Index>,
    departement: &str,
    in_base: &FxHashSet<&str>,
    covered: &mut FxHashSet<String>,
    empty_communes: bool,
) {
    if !covered.insert(departement.to_owned()) || !empty_communes {
        return;
    }
    let territories = Territories::national();
    let mut index = index.write().unwrap_or_else(|e| e.into_inner());
    for territory in territories.communes() {
        if territory.departement != departement || in_base.contains(territory.code.as_str()) {
            continue;
        }
        if let Some(centre) = territory.centre {
            index.replace_commune(&territory.code, vec![municipality(territory, None, centre)]);
        }
    }
}
