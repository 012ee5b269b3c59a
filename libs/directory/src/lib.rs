//! The directory of town halls: the offices of type `mairie` of the State's directory of
//! public services (DILA, "API Annuaire de l'administration et des services publics"), the
//! source of the only addresses a habilitation's PIN code may be sent to. This crate owns
//! what a directory record is ([`TownHall`]), reading the official export ([`read_export`]),
//! which of a commune's addresses are offered ([`commune_emails`], the rules of the
//! production depot), and what changed between two directories ([`DirectoryChanges`]).
//! Storing it is the store's (`ban_store::DirectoryStore`); nothing here does I/O beyond
//! the reader it is given.
use serde::{Deserialize, Serialize};

mod changes;
mod emails;
mod export;

pub use changes::{CommuneEmails, DirectoryChanges};
pub use emails::{commune_emails, is_offered_email};
pub use export::{read_export, Export, ExportError, Skipped};

/// One town-hall office of the directory: a record whose `pivot` has the type `mairie`.
/// A commune may have several (its main office, delegated offices of merged communes,
/// annexes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TownHall {
    /// The office's id in the directory (a UUID).
    pub id: String,
    /// The commune the office serves (`code_insee_commune`).
    pub code_commune: String,
    /// `Mairie - Exempleville`, `Mairie déléguée - Ancienneville`…
    pub nom: String,
    /// The town hall's establishment number (14 digits), when the directory gives one.
    pub siret: Option<String>,
    /// `adresse_courriel` cut at `;`, in the directory's order, as written: which of them are
    /// offered is decided when they are read ([`commune_emails`]).
    pub emails: Vec<String>,
    /// A delegated office (`Mairie déléguée`) or an annex (`Mairie annexe`), not the
    /// commune's main office.
    pub delegated: bool,
}

impl TownHall {
    /// Whether an office's name says it is a delegated office or an annex (the rule of the
    /// producers' website, accents and case aside).
    pub fn is_delegated_name(nom: &str) -> bool {
        let name = ban_domain::deburr::deburr(nom).to_lowercase();
        name.contains("mairie deleguee") || name.contains("mairie annexe")
    }
}
