//! The geocoder of `ban serve`, live: a commune published through the depot becomes searchable
//! (and reverse-searchable) once consolidated, and a new revision replaces its answers.
#![allow(clippy::unwrap_used)]
mod support;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ban::serve::{serve, HttpSettings, Services};
use ban_store::Store;
use serde_json::{json, Value};
use support::{Depot, JsonAnswer};

async fn get(http: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls a batch job (at `location`) until it has ended, done or failed; its last state.
async fn ended_job(http: &reqwest::Client, base: &str, location: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, job) = get(http, &format!("{base}{location}")).await;
        assert_eq!(status, 200, "{job}");
        if job["status"] == "done" || job["status"] == "failed" {
            return job;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls a search until its first result has `id`; how long it took.
async fn searchable(http: &reqwest::Client, url: &str, id: &str) -> Duration {
    let started = Instant::now();
    loop {
        let (status, answer) = get(http, url).await;
        if status == 200 && answer["features"][0]["properties"]["id"] == id {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{url} never found {id}: {answer}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publication_becomes_searchable_live() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = ban_service_kit::open_store(&url).await.unwrap();
    let client = support::internal_client(&*store).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let depot = Depot {
        http: reqwest::Client::new(),
        base: base.clone(),
        auth: format!("Token {}", client.token.expose()),
    };
    let http = depot.http.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        tokio::spawn(serve(listener, store.clone(), Services::all(), HttpSettings::default(), async {
            let _ = stopped.await;
        }));

    // The index is built at start (503 until then).
    let started = Instant::now();
    loop {
        let (status, answer) = get(&http, &format!("{base}/search/?q=Mont-Bonvillers")).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{answer}");
        assert!(started.elapsed() < Duration::from_secs(60), "the index was never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let file = std::fs::read(root.join("data/samples/54084_mont-bonvillers.csv")).unwrap();
    depot.publish("54084", file.clone()).await.expect("the sample is valid");
    let query = format!("{base}/search/?q=1+allee+des+acacias+mont-bonvillers");
    let waited = searchable(&http, &query, "54084_0020_00001").await;
    eprintln!("searchable {waited:?} after publication");
    // The commune, and the others of its département (found by name, as in the addok export).
    let (_, town) = get(&http, &format!("{base}/search/?q=Mont-Bonvillers&type=municipality")).await;
    assert_eq!(town["features"][0]["properties"]["citycode"], "54084");
    searchable(&http, &format!("{base}/search/?q=Villers-l%C3%A8s-Nancy&type=municipality"), "54578").await;

    let (status, answer) = get(&http, &query).await;
    assert_eq!(status, 200);
    assert_eq!(
        (answer["type"].as_str(), answer["attribution"].as_str(), answer["licence"].as_str()),
        (Some("FeatureCollection"), Some("BAN"), Some("ETALAB-2.0"))
    );
    let best = &answer["features"][0];
    let properties = &best["properties"];
    assert_eq!(properties["type"], "housenumber");
    assert_eq!(properties["housenumber"], "1");
    assert_eq!(properties["label"], "1 Allee des Acacias 54111 Mont-Bonvillers");
    assert_eq!(properties["street"], "Allee des Acacias");
    assert_eq!(properties["postcode"], "54111");
    let score = properties["score"].as_f64().unwrap();
    assert!(score > 0.8 && score <= 1.0, "score {score}");
    let keys: Vec<&str> = properties.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(&keys[..4], ["label", "score", "housenumber", "id"]);
    let point = best["geometry"]["coordinates"].clone();

    // Reverse at that point: the same address, 0 m away.
    let (lon, lat) = (point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
    let (_, reverse) = get(&http, &format!("{base}/reverse/?lon={lon}&lat={lat}")).await;
    assert_eq!(reverse["features"][0]["properties"]["id"], "54084_0020_00001");
    assert_eq!(reverse["features"][0]["properties"]["distance"], 0);

    // A batch gives what the single call with the same parameters gives.
    let (_, single) = get(&http, &format!("{query}&autocomplete=0&limit=2")).await;
    let batch: Value = http
        .post(format!("{base}/batch"))
        .json(&json!({"requests": [{"id": "a", "operation": "geocode", "params": {"q": "1 allee des acacias mont-bonvillers"}}]}))
        .json_answer()
        .await;
    assert_eq!(batch[0]["status"], "ok");
    for key in ["id", "label", "score", "banId"] {
        assert_eq!(batch[0]["result"][key], single["features"][0]["properties"][key], "{key}");
    }

    // CSV: the file's columns kept, the API's columns appended, rows too short skipped.
    let csv = "adresse;ville\n1 allee des acacias;Mont-Bonvillers\nx;\n";
    let form = || reqwest::multipart::Form::new().text("columns", "adresse").text("columns", "ville");
    let answer = http
        .post(format!("{base}/search/csv/"))
        .multipart(
            form().part("data", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("a.csv")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("adresse;ville;longitude;latitude;result_score;"), "{}", lines[0]);
    assert!(lines[1].contains(";54084_0020_00001;") && lines[1].ends_with(";ok"), "{}", lines[1]);
    assert!(lines[2].ends_with(";skipped"), "{}", lines[2]);
    let broken = "adresse;ville\n\"1 allee;x\n";
    let answer = http
        .post(format!("{base}/search/csv/"))
        .multipart(
            form()
                .part("data", reqwest::multipart::Part::bytes(broken.as_bytes().to_vec()).file_name("b.csv")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("line 2"));
    // A large file as a batch job: taken at once (202), followed, its result downloaded, then
    // deleted. The rows are those the streamed answer gives.
    let mut large = String::from("adresse;ville\n");
    for _ in 0..3_000 {
        large.push_str("1 allee des acacias;Mont-Bonvillers\nx;\n");
    }
    let answer = http
        .post(format!("{base}/geocoder/jobs/search"))
        .multipart(
            form()
                .part("data", reqwest::multipart::Part::bytes(large.clone().into_bytes()).file_name("l.csv")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = answer.json().await.unwrap();
    assert_eq!(job["status"], "queued", "{job}");
    assert_eq!(location, format!("/geocoder/jobs/{}", job["id"].as_str().unwrap()));
    let job = ended_job(&http, &base, &location).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!((job["rows"].as_u64(), job["rowsDone"].as_u64()), (Some(6_000), Some(6_000)), "{job}");
    assert!(job["expiresAt"].is_string(), "{job}");
    let result = http.get(format!("{base}{location}/result")).send().await.unwrap();
    assert_eq!(result.status(), 200);
    let result = result.text().await.unwrap();
    let streamed = http
        .post(format!("{base}/search/csv/"))
        .multipart(
            form().part("data", reqwest::multipart::Part::bytes(large.into_bytes()).file_name("l.csv")),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(result, streamed, "the job's result is the streamed answer");
    assert_eq!(result.lines().count(), 6_001);
    assert_eq!(http.delete(format!("{base}{location}")).send().await.unwrap().status(), 204);
    assert_eq!(get(&http, &format!("{base}{location}")).await.0, 404);
    // A failed job says why; its result is not there.
    let answer = http
        .post(format!("{base}/geocoder/jobs/search"))
        .multipart(
            form()
                .part("data", reqwest::multipart::Part::bytes(broken.as_bytes().to_vec()).file_name("b.csv")),
        )
        .send()
        .await
        .unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let failed = ended_job(&http, &base, &location).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("line 2"), "{failed}");
    assert_eq!(get(&http, &format!("{base}{location}/result")).await.0, 409);

    // Over the limit announced: refused before its body is sent (a client still sending it
    // would race the server's answer and closing).
    let address = base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /search/csv/ HTTP/1.1\r\nHost: {address}\r\nContent-Type: multipart/form-data; boundary=x\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        ban_geocoder::config::DEFAULT_CSV_MAX_BYTES + 1
    );
    tokio::io::AsyncWriteExt::write_all(&mut socket, request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 413"), "{}", String::from_utf8_lossy(&answer));

    // Every route is described.
    let (_, openapi) = get(&http, &format!("{base}/geocoder/openapi.json")).await;
    for path in ["/search/", "/reverse/", "/search/csv/", "/reverse/csv/", "/batch", "/geocoder/jobs/search"]
    {
        assert!(openapi["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }

    // Bad parameters: 400 with a message.
    for bad in ["q=ab", "q=paris&limit=0", "q=paris&lat=48", "q=paris&type=city", "q=paris&citycode=123"] {
        let (status, answer) = get(&http, &format!("{base}/search/?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(answer["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    assert_eq!(get(&http, &format!("{base}/reverse/?lon=5.8")).await.0, 400);

    // A new revision without that street: its numbers leave the index.
    let text = String::from_utf8(file).unwrap();
    let without: String =
        text.lines().filter(|l| !l.contains("Allee des Acacias")).map(|l| format!("{l}\n")).collect();
    depot.publish("54084", without.into_bytes()).await.expect("still valid");
    let started = Instant::now();
    loop {
        let (_, answer) = get(&http, &format!("{query}&type=housenumber")).await;
        let first = answer["features"][0]["properties"]["id"].as_str().map(str::to_owned);
        if first.as_deref() != Some("54084_0020_00001") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the old street stayed in the index");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
