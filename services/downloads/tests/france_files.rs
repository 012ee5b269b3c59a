//! The France files kept on disk: each format keeps its own, even where two formats share a
//! file name (`csv/adresses-france.csv.gz` and `csv-bal/adresses-france.csv.gz`), and the
//! cache says which version of each it holds.
#![allow(clippy::unwrap_used)]
use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ban_downloads::cache::ExportCache;
use ban_downloads::export::{communes_of, version_of};
use ban_downloads::{router, DownloadsArgs, DownloadsState};
use ban_exports::{BalVersion, Format, Scope};
use ban_store::{BanId, BaseChanges, ChangeCounts, Commune, CommuneSource, Store};
use tower::ServiceExt;

async fn first_line(app: &axum::Router, uri: &str) -> String {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{uri}");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
    text.lines().next().unwrap().to_owned()
}

#[tokio::test]
async fn formats_sharing_a_file_name_keep_their_own_france_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.unwrap());
    let commune = Commune {
        id: BanId::from_random(0x5408_4000_0000_0000_0000_0000_0000_0001),
        code: "54084".into(),
        name: Some("Mont-Bonvillers".into()),
        source: CommuneSource::Bal,
        revision: None,
        revision_published_at: None,
        addresses: 0,
        certified_addresses: 0,
        toponyms: 0,
    };
    let changes = BaseChanges {
        commune,
        planned_on: 0,
        toponyms: vec![],
        addresses: vec![],
        job: None,
        counts: ChangeCounts::default(),
        at: chrono::Utc::now(),
    };
    store.apply_changes(changes).await.unwrap();
    let args = DownloadsArgs { export_cache_dir: dir.path().join("exports") };
    let app = router(DownloadsState::new(store.clone(), &args));

    let csv = first_line(&app, "/data/ban/adresses/latest/csv/adresses-france.csv.gz").await;
    assert!(csv.starts_with("id;id_fantoir;numero;"), "{csv}");
    // Once the first is kept, the second is still its own format, and so is each later read.
    for _ in 0..2 {
        let bal = first_line(&app, "/data/ban/adresses/latest/csv-bal/adresses-france.csv.gz").await;
        assert!(bal.starts_with("uid_adresse;cle_interop;"), "{bal}");
        let csv = first_line(&app, "/data/ban/adresses/latest/csv/adresses-france.csv.gz").await;
        assert!(csv.starts_with("id;id_fantoir;numero;"), "{csv}");
    }

    // The cache tells which version of each file it holds (written once the stream ends).
    let cache = ExportCache::new(&args.export_cache_dir);
    let version = version_of(&communes_of(&*store, &Scope::France).await.unwrap());
    let name = Format::Csv.file_name(&Scope::France);
    for format in [Format::Csv, Format::Bal(BalVersion::V1_3)] {
        let key = ExportCache::key(format, &name);
        let started = std::time::Instant::now();
        let kept = loop {
            if let Some(kept) = cache.stored_version(&key, &version) {
                break kept;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "{key} never kept");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert!(kept.bytes > 20 && kept.written_at.is_some(), "{kept:?}");
        assert_eq!(kept.seq, version.seq);
    }
    assert!(cache
        .stored_version(&ExportCache::key(Format::Addok, "adresses-addok-france.ndjson.gz"), &version)
        .is_none());
}
