#![allow(dead_code)] // each test binary uses part of it
//! What the end-to-end tests share.
use ban_store::ids::{object_id, token};
use ban_store::{AuthorizationStrategy, Client, NewClient, Store};
use serde_json::{json, Value};

/// The URL of a fresh schema `name` of the PostgreSQL database of `TEST_DATABASE_URL`; `None`
/// (the test is skipped, and says so) without that variable.
pub async fn fresh_postgres_schema(name: &str) -> Option<String> {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return None;
    };
    Some(ban_store_postgres::fresh_schema(&url, name).await.unwrap())
}

/// A client of the platform allowed to publish for any commune.
pub async fn internal_client(store: &dyn Store) -> Client {
    store
        .create_client(NewClient {
            id: object_id(chrono::Utc::now()),
            nom: "Éditeur".into(),
            mandataire: "Éditeur".into(),
            email: None,
            authorization_strategy: AuthorizationStrategy::Internal,
            perimeters: vec![],
            token: token(),
        })
        .await
        .expect("the client is created")
}

/// The depot of a running server, driven as a client does.
pub struct Depot {
    pub http: reqwest::Client,
    pub base: String,
    pub auth: String,
}

impl Depot {
    /// Creates, uploads, computes and (when valid) publishes a revision; its id if published.
    pub async fn publish(&self, code: &str, bal: Vec<u8>) -> Option<String> {
        let revision: Value = self
            .http
            .post(format!("{}/api-depot/communes/{code}/revisions", self.base))
            .header("Authorization", &self.auth)
            .json(&json!({"context": {"nomComplet": "Test", "organisation": "Mairie"}}))
            .json_answer()
            .await;
        let id = revision["id"].as_str().unwrap().to_owned();
        let upload = self
            .http
            .put(format!("{}/api-depot/revisions/{id}/files/bal", self.base))
            .header("Authorization", &self.auth)
            .body(bal)
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), 200);
        let computed: Value = self
            .http
            .post(format!("{}/api-depot/revisions/{id}/compute", self.base))
            .header("Authorization", &self.auth)
            .json_answer()
            .await;
        if computed["validation"]["valid"] != true {
            return None;
        }
        let published = self
            .http
            .post(format!("{}/api-depot/revisions/{id}/publish", self.base))
            .header("Authorization", &self.auth)
            .send()
            .await
            .unwrap();
        assert_eq!(published.status(), 200);
        Some(id)
    }
}

/// A request sent and its JSON answer read, panicking (a test) if either fails.
pub trait JsonAnswer {
    async fn json_answer(self) -> Value;
}

impl JsonAnswer for reqwest::RequestBuilder {
    async fn json_answer(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}
