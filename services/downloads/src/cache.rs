//! The France files, written once per version of the base and then served from disk, with
//! byte ranges (a 1 GB download that breaks can resume). Département and commune files are
//! small enough to stream every time.
//!
//! A file is named after the version it holds (`{seq}-{time of that change}-{folder}_{name}`), so a
//! version is never served for another, even by several services sharing the directory or
//! after a store is recreated. The first request of a version streams it while writing the
//! file; later requests read the file. Older versions are removed when a new one is complete.
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ban_exports::Format;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tracing::Instrument;

use crate::export::{ExportStream, Version};

/// Where the France files are kept.
#[derive(Debug, Clone)]
pub struct ExportCache {
    dir: PathBuf,
}

impl ExportCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ExportCache { dir: dir.into() }
    }

    /// The name a France file of `format` is kept under: its folder and its file name
    /// (`csv`, `csv-bal` and `csv-bal-1.4` all name theirs `adresses-france.csv.gz`).
    pub fn key(format: Format, file_name: &str) -> String {
        format!("{}_{file_name}", format.folder())
    }

    /// The file of a version of `name` (a [`key`](Self::key)).
    pub fn path(&self, name: &str, version: &Version) -> PathBuf {
        let millis = version.changed_at.map_or(0, |at| at.timestamp_millis());
        self.dir.join(format!("{}-{millis}-{name}", version.seq))
    }

    /// The complete files kept for `name` (partial ones left out), newest version first. It
    /// reads the directory (a few system calls): call it off the async threads.
    pub fn stored(&self, name: &str) -> Vec<StoredFile> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut files: Vec<StoredFile> = entries
            .flatten()
            .filter_map(|entry| {
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let (seq, millis) = parse_version(file_name.strip_suffix(name)?.strip_suffix('-')?)?;
                let metadata = entry.metadata().ok().filter(std::fs::Metadata::is_file)?;
                Some(StoredFile {
                    seq,
                    changed_at_millis: millis,
                    bytes: metadata.len(),
                    written_at: metadata.modified().ok(),
                })
            })
            .collect();
        files.sort_by_key(|f| std::cmp::Reverse(f.seq));
        files
    }

    /// The kept file of `name` at `version`, if it has been written.
    pub fn stored_version(&self, name: &str, version: &Version) -> Option<StoredFile> {
        let millis = version.changed_at.map_or(0, |at| at.timestamp_millis());
        self.stored(name).into_iter().find(|f| f.seq == version.seq && f.changed_at_millis == millis)
    }

    /// Streams `stream` to the client and to `path` (the file is kept only when complete;
    /// the export goes on to the end if the client leaves, to fill the cache).
    pub fn stream_and_keep(&self, mut stream: ExportStream, path: PathBuf, name: String, seq: i64) -> Body {
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
        let dir = self.dir.clone();
        let export = async move {
            // Unique per writer: two first requests of a version each write their own copy.
            static WRITERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let writer = WRITERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let partial = path.with_extension(format!("partial-{}-{writer}", std::process::id()));
            let mut file = match tokio::fs::create_dir_all(&dir).await {
                Ok(()) => tokio::fs::File::create(&partial).await.ok(),
                Err(_) => None,
            };
            let mut client = Some(sender);
            loop {
                match stream.next_chunk().await {
                    Ok(Some(chunk)) => {
                        if let Some(f) = file.as_mut() {
                            if f.write_all(&chunk).await.is_err() {
                                file = None;
                            }
                        }
                        if let Some(sender) = &client {
                            if sender.send(Ok(chunk)).await.is_err() {
                                client = None;
                            }
                        }
                        if client.is_none() && file.is_none() {
                            break;
                        }
                    }
                    Ok(None) => {
                        if let Some(mut f) = file.take() {
                            if f.flush().await.is_ok() && tokio::fs::rename(&partial, &path).await.is_ok() {
                                remove_older(&dir, seq, &name).await;
                            }
                        }
                        break;
                    }
                    Err(error) => {
                        tracing::error!(%error, "export stopped");
                        if let Some(sender) = &client {
                            let _ = sender.send(Err(std::io::Error::other(error.to_string()))).await;
                        }
                        break;
                    }
                }
            }
            let _ = tokio::fs::remove_file(&partial).await;
        };
        // In the request's span: a failure is logged under its request id.
        tokio::spawn(export.in_current_span());
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver))
    }
}

/// A France file kept on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The version it holds: the seq of the base's last change, and that change's time.
    pub seq: i64,
    pub changed_at_millis: i64,
    pub bytes: u64,
    /// When it was written.
    pub written_at: Option<SystemTime>,
}

/// The `{seq}-{millis}` prefix of a kept file's name.
fn parse_version(prefix: &str) -> Option<(i64, i64)> {
    let (seq, millis) = prefix.split_once('-')?;
    Some((seq.parse().ok()?, millis.parse().ok()?))
}

/// Removes the versions of `name` older than `seq` (a directory shared by services of
/// different stores keeps each one's latest).
async fn remove_older(dir: &Path, seq: i64, name: &str) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else { return };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let older = file_name
            .strip_suffix(&format!("-{name}"))
            .and_then(|prefix| prefix.split('-').next())
            .and_then(|s| s.parse::<i64>().ok())
            .is_some_and(|s| s < seq);
        if older {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

/// The byte range a `Range` header asks of a file of `len` bytes: `Some(Ok((start, end)))`
/// (inclusive), `Some(Err(()))` when it cannot be satisfied, `None` to send the whole file
/// (no header, or several ranges).
pub fn requested_range(headers: &HeaderMap, len: u64) -> Option<Result<(u64, u64), ()>> {
    let value = headers.get(header::RANGE)?.to_str().ok()?;
    let spec = value.strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let range = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            (n > 0 && len > 0).then(|| (len.saturating_sub(n), len - 1))
        }
        (start, "") => {
            let start: u64 = start.parse().ok()?;
            (start < len).then(|| (start, len - 1))
        }
        (start, end) => {
            let (start, end): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
            (start <= end && start < len).then(|| (start, end.min(len - 1)))
        }
    };
    Some(range.ok_or(()))
}

/// A stored file, whole or the requested range.
pub async fn serve_file(path: &Path, headers: &HeaderMap) -> std::io::Result<Response> {
    let mut file = tokio::fs::File::open(path).await?;
    let len = file.metadata().await?.len();
    let (status, start, end) = match requested_range(headers, len) {
        None => (StatusCode::OK, 0, len.saturating_sub(1)),
        Some(Ok((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(Err(())) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    file.seek(SeekFrom::Start(start)).await?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut left = count;
        while left > 0 {
            let mut buffer = vec![0; left.min(256 * 1024) as usize];
            let read = match file.read(&mut buffer).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(error) => {
                    let _ = sender.send(Err(error)).await;
                    break;
                }
            };
            buffer.truncate(read);
            left -= read as u64;
            if sender.send(Ok(buffer)).await.is_err() {
                break;
            }
        }
    });
    let mut response =
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver)).into_response();
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            headers.insert(header::CONTENT_RANGE, value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).expect("header"));
        requested_range(&headers, len)
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range("bytes=0-99", 1000), Some(Ok((0, 99))));
        assert_eq!(range("bytes=900-", 1000), Some(Ok((900, 999))));
        assert_eq!(range("bytes=-100", 1000), Some(Ok((900, 999))));
        assert_eq!(range("bytes=990-2000", 1000), Some(Ok((990, 999))));
        assert_eq!(range("bytes=1000-", 1000), Some(Err(())));
        assert_eq!(range("bytes=5-1", 1000), Some(Err(())));
        assert_eq!(range("bytes=0-1,5-6", 1000), None);
        assert_eq!(range("items=0-1", 1000), None);
        assert_eq!(requested_range(&HeaderMap::new(), 1000), None);
    }
}
