//! `ban mirror URL`: keeps a local store in sync with a remote BAN Sync through its change
//! feed (protocol: `docs/sync.md`).
//!
//! Catch-up reads the remote's current states after the local cursor (`current=true`: the
//! base, without the history in between), then the mirror follows the whole feed with long
//! polls. Every page is written in one transaction, rows keeping their remote seqs, so the
//! local last seq is the cursor: a mirror stopped at any point resumes where it was.
use std::time::Duration;

use anyhow::{bail, Context};
use ban_service_kit::{DatabaseArgs, LogArgs};
use ban_store::FeedChange;

#[derive(Debug, clap::Args)]
pub struct MirrorArgs {
    /// The remote instance, e.g. http://ban.example.org (its /api/changes is read).
    pub url: String,
    /// Rows per page.
    #[arg(long, default_value_t = 5_000)]
    pub page: u32,
    /// Stop once caught up, instead of following the feed.
    #[arg(long)]
    pub once: bool,
    /// Only these départements (comma-separated).
    #[arg(long)]
    pub departement: Option<String>,
    #[command(flatten)]
    pub store: DatabaseArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

struct Page {
    rows: Vec<FeedChange>,
    head: i64,
}

async fn fetch(client: &reqwest::Client, url: &str, query: &[(&str, String)]) -> anyhow::Result<Page> {
    let response = client.get(url).query(query).send().await.with_context(|| format!("reading {url}"))?;
    let status = response.status();
    let head = response
        .headers()
        .get("x-ban-feed-head")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body = response.text().await?;
    if !status.is_success() {
        bail!("{url} answered {status}: {body}");
    }
    let rows = body
        .lines()
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).with_context(|| format!("line {} of a page of {url}", i + 1))
        })
        .collect::<anyhow::Result<Vec<FeedChange>>>()?;
    Ok(Page { rows, head })
}

pub async fn mirror(args: &MirrorArgs) -> anyhow::Result<()> {
    args.log.init("warn");
    let store = args.store.open().await.context("opening the local store")?;
    let url = format!("{}/api/changes", args.url.trim_end_matches('/'));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?;
    let mut cursor = store.last_seq().await?;
    let start = cursor;
    let filter: Vec<(&str, String)> = args.departement.iter().map(|d| ("departement", d.clone())).collect();
    let page_size = args.page.clamp(1, 10_000).to_string();

    // Catch up on the current states.
    let bar = crate::import::bar(0, "catching up");
    loop {
        let mut query =
            vec![("since", cursor.to_string()), ("limit", page_size.clone()), ("current", "true".into())];
        query.extend(filter.iter().cloned());
        let page = fetch(&client, &url, &query).await?;
        bar.set_length(page.head.max(cursor) as u64);
        let Some(last) = page.rows.last().map(|r| r.seq) else { break };
        store.replicate(&page.rows).await?;
        cursor = last;
        bar.set_position(cursor as u64);
    }
    bar.finish_and_clear();
    let (communes, toponyms, addresses) = store.base_counts().await?;
    println!(
        "caught up at seq {cursor} (from {start}): {communes} communes, {toponyms} toponyms, {addresses} addresses"
    );
    if args.once {
        return Ok(());
    }

    // Follow every change.
    loop {
        let mut query =
            vec![("since", cursor.to_string()), ("limit", page_size.clone()), ("wait", "30".into())];
        query.extend(filter.iter().cloned());
        let page = match fetch(&client, &url, &query).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "reading the remote feed; retrying in 5 s");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        if let Some(last) = page.rows.last().map(|r| r.seq) {
            store.replicate(&page.rows).await?;
            println!("seq {last}: {} changes", page.rows.len());
            cursor = last;
        }
    }
}
