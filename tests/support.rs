//! What the end-to-end tests share.
use ban_store::ids::{object_id, token};
use ban_store::{AuthorizationStrategy, Client, NewClient, Store};

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
