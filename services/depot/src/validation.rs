//! Computing a revision: its file validated by [`ban_bal::revision`] (the rules, the depot's
//! checks, the spatial checks) off the async runtime, the verdict stored; which communes a
//! chef de file's perimeter covers (communes, départements, EPCI); the stored form of the file.
use ban_bal::depot::DepotContext;
pub use ban_bal::revision::{Computed, VALIDATOR_VERSION};
use ban_domain::insee::InvalidInseeCode;
use ban_domain::InseeCode;
use ban_spatial::epci::{city_of, Epcis};
use ban_store::ids::object_id;
use ban_store::{
    AuthorizationStrategy, Client, ComputedValidation, Perimeter, PerimeterKind, Revision, Store, StoreError,
    StoredFile,
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The stored form of a revision's BAL file: its size and SHA-256.
pub fn bal_file(revision_id: &str, bytes: &[u8], at: DateTime<Utc>) -> StoredFile {
    StoredFile {
        id: object_id(at),
        revision_id: revision_id.to_owned(),
        size: bytes.len() as i64,
        hash: hex::encode(Sha256::digest(bytes)),
        kind: "bal".into(),
        created_at: at,
    }
}

/// Why a revision could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the validation stopped: {0}")]
    Stopped(String),
    /// The revision's commune code, read from the store, is not an INSEE code.
    #[error(transparent)]
    Commune(#[from] InvalidInseeCode),
}

/// Computes `bytes`, the file of the pending `revision` submitted by `client`, off the async
/// runtime (mass deletion measured against the commune's current revision), and stores the
/// validation: the revision as saved, ready when the file is valid.
pub async fn compute_revision(
    store: &dyn Store,
    revision: &Revision,
    client: &Client,
    bytes: Vec<u8>,
) -> Result<Revision, ComputeError> {
    compute_revision_report(store, revision, client, bytes).await.map(|(revision, _)| revision)
}

/// How many times a file is checked when publications of its commune keep coming while it is.
const CHECK_ATTEMPTS: usize = 3;

/// [`compute_revision`], with the typed report of the file too (`None` when it could not be
/// read as text), for callers that act on the findings (`ban import --drop-invalid-rows`).
///
/// The mass-deletion check compares the file with the commune's current revision, read
/// before the validation; the store saves the verdict only if that revision is still the
/// current one (see [`DepotStore::save_validation`](ban_store::DepotStore::save_validation)).
/// If another revision was published meanwhile, the file is checked again against it, a few
/// times at most; then the store's `Conflict` is returned.
pub async fn compute_revision_report(
    store: &dyn Store,
    revision: &Revision,
    client: &Client,
    bytes: Vec<u8>,
) -> Result<(Revision, Option<ban_bal::Report>), ComputeError> {
    let commune = InseeCode::parse(&revision.code_commune)?;
    let bytes: std::sync::Arc<[u8]> = bytes.into();
    for attempt in 1.. {
        let current = store.current_revision(&revision.code_commune).await?;
        let previous_rows = current.as_ref().and_then(|r| r.rows_count).unwrap_or(0);
        let checked_against = current.map(|r| r.id);
        let (client, bytes) = (client.clone(), bytes.clone());
        let span = tracing::Span::current();
        let computed = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let started = std::time::Instant::now();
            let computed = compute(&bytes, commune, &client, previous_rows.max(0) as usize);
            let verdict = if computed.valid { "valid" } else { "invalid" };
            metrics::histogram!("validation_duration_seconds", "verdict" => verdict)
                .record(started.elapsed().as_secs_f64());
            metrics::counter!("validation_rows_total").increment(computed.rows_count.max(0) as u64);
            computed
        })
        .await
        .map_err(|e| ComputeError::Stopped(e.to_string()))?;
        let saved = ComputedValidation {
            validation: computed.validation,
            is_ready: computed.valid,
            rows_count: computed.rows_count,
            checked_against: checked_against.clone(),
        };
        match store.save_validation(&revision.id, saved, Utc::now()).await {
            Ok(saved) => {
                tracing::info!(revision = %saved.id, valid = computed.valid, rows = computed.rows_count, checked_against = ?checked_against, "revision computed");
                return Ok((saved, computed.report));
            }
            Err(StoreError::Conflict(reason)) if attempt < CHECK_ATTEMPTS => {
                tracing::info!(revision = %revision.id, %reason, "another revision published meanwhile, checking again");
            }
            Err(error) => return Err(error.into()),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// Validates `bytes` as the file of a revision of `commune` submitted by `client`
/// ([`ban_bal::revision::compute`]): a chef de file publishes only for the communes of its
/// perimeter.
pub fn compute(bytes: &[u8], commune: InseeCode, client: &Client, previous_rows: usize) -> Computed {
    let within_perimeter = client.authorization_strategy != AuthorizationStrategy::ChefDeFile
        || client.perimeters.iter().any(|p| in_perimeter(p, commune));
    ban_bal::revision::compute(bytes, &DepotContext { commune, previous_rows }, within_perimeter)
}

/// Whether `commune` belongs to a perimeter. An arrondissement belongs to its city's
/// perimeter, and to its city's EPCI. An `epci` perimeter names the EPCI by its SIREN; its
/// members are those of the COG 2026 ([`Epcis`]).
pub fn in_perimeter(perimeter: &Perimeter, commune: InseeCode) -> bool {
    match perimeter.kind {
        PerimeterKind::Commune => {
            perimeter.code == commune.as_str() || city_of(commune.as_str()) == Some(perimeter.code.as_str())
        }
        PerimeterKind::Departement => commune.departement() == perimeter.code,
        PerimeterKind::Epci => Epcis::national().contains(&perimeter.code, commune.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> InseeCode {
        InseeCode::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn perimeters_of_departements_and_cities() {
        let paris = Perimeter { kind: PerimeterKind::Commune, code: "75056".into() };
        assert!(in_perimeter(&paris, code("75112")));
        assert!(!in_perimeter(&paris, code("69381")));
        let meurthe = Perimeter { kind: PerimeterKind::Departement, code: "54".into() };
        assert!(in_perimeter(&meurthe, code("54084")));
        assert!(!in_perimeter(&meurthe, code("57001")));
        // 98x communes belong to three-character départements, as the COG files them
        let caledonia = Perimeter { kind: PerimeterKind::Departement, code: "988".into() };
        assert!(in_perimeter(&caledonia, code("98818")));
        let truncated = Perimeter { kind: PerimeterKind::Departement, code: "98".into() };
        assert!(!in_perimeter(&truncated, code("98818")));
    }

    #[test]
    fn perimeters_of_epci() {
        // CC Coeur du Pays Haut, of Mont-Bonvillers; Eurométropole de Strasbourg.
        let pays_haut = Perimeter { kind: PerimeterKind::Epci, code: "200070290".into() };
        let eurometropole = Perimeter { kind: PerimeterKind::Epci, code: "246700488".into() };
        assert!(in_perimeter(&pays_haut, code("54084")));
        assert!(!in_perimeter(&pays_haut, code("67482")));
        assert!(in_perimeter(&eurometropole, code("67482")));
        assert!(!in_perimeter(&eurometropole, code("54084")));
        // Métropole du Grand Paris: Paris is a member, its arrondissements publish.
        let grand_paris = Perimeter { kind: PerimeterKind::Epci, code: "200054781".into() };
        assert!(in_perimeter(&grand_paris, code("75112")));
        let unknown = Perimeter { kind: PerimeterKind::Epci, code: "000000000".into() };
        assert!(!in_perimeter(&unknown, code("54084")));
    }
}
