//! What an import changes: the communes that gain or lose every town-hall office, and those
//! whose offered addresses ([`commune_emails`]) differ. What an operator reads after the
//! daily import, and what `ban directory import` prints.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{commune_emails, TownHall};

/// A commune's offered addresses before and after an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommuneEmails {
    pub code: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

/// The differences between two directories, by commune code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryChanges {
    /// Communes with an office now and none before (`before` empty).
    pub added: Vec<CommuneEmails>,
    /// Communes with an office before and none now (`after` empty).
    pub removed: Vec<CommuneEmails>,
    /// Communes in both whose offered addresses differ (in value or order).
    pub changed: Vec<CommuneEmails>,
}

fn by_commune(town_halls: &[TownHall]) -> BTreeMap<&str, Vec<String>> {
    let mut offices: BTreeMap<&str, Vec<&TownHall>> = BTreeMap::new();
    for office in town_halls {
        offices.entry(office.code_commune.as_str()).or_default().push(office);
    }
    offices.into_iter().map(|(code, offices)| (code, commune_emails(offices))).collect()
}

impl DirectoryChanges {
    /// The changes from `before` to `after` (each in the directory's order).
    pub fn between(before: &[TownHall], after: &[TownHall]) -> Self {
        let (before, after) = (by_commune(before), by_commune(after));
        let mut changes = DirectoryChanges::default();
        for (code, emails) in &after {
            let entry =
                |before: Vec<String>| CommuneEmails { code: code.to_string(), before, after: emails.clone() };
            match before.get(code) {
                None => changes.added.push(entry(Vec::new())),
                Some(old) if old != emails => changes.changed.push(entry(old.clone())),
                Some(_) => {}
            }
        }
        for (code, emails) in &before {
            if !after.contains_key(code) {
                changes.removed.push(CommuneEmails {
                    code: code.to_string(),
                    before: emails.clone(),
                    after: Vec::new(),
                });
            }
        }
        changes
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn office(code: &str, emails: &[&str]) -> TownHall {
        TownHall {
            id: format!("office-{code}"),
            code_commune: code.into(),
            nom: "Mairie".into(),
            siret: None,
            emails: emails.iter().map(|e| e.to_string()).collect(),
            delegated: false,
        }
    }

    #[test]
    fn communes_added_removed_and_changed() {
        let before = [
            office("54084", &["mairie@a.fr"]),
            office("67482", &["mairie@b.fr"]),
            office("31591", &["x@c.fr"]),
            office("54111", &[]),
        ];
        let after = [
            office("54084", &["mairie@a.fr", "invalide"]),
            office("67482", &["accueil@b.fr"]),
            office("54111", &[]),
            office("57463", &["mairie@d.fr"]),
        ];
        let changes = DirectoryChanges::between(&before, &after);
        let codes = |list: &[CommuneEmails]| list.iter().map(|c| c.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes(&changes.added), ["57463"]);
        assert_eq!(codes(&changes.removed), ["31591"]);
        // An invalid address added changes nothing offered.
        assert_eq!(codes(&changes.changed), ["67482"]);
        assert_eq!(changes.changed[0].before, ["mairie@b.fr"]);
        assert_eq!(changes.changed[0].after, ["accueil@b.fr"]);
        assert!(DirectoryChanges::between(&after, &after).is_empty());
        assert_eq!(codes(&DirectoryChanges::between(&[], &after).added).len(), 4);
    }
}
