//! The checks of a report's request: every field that is wrong is named, with what is wrong
//! in French, so that a form can show each error beside its field. What needs the base (the
//! object named by its BAN id exists and is of the commune) is checked by the caller, which
//! holds the store.
use ban_bal::fields::{read_value, today_utc};
use ban_bal::schema::Field;
use ban_bal::Cog;
use ban_domain::BanId;
use ban_spatial::contours::Contours;
use ban_store::ReportType;

use crate::model::{Author, ChangesRequested, ExistingLocation, Position, ReportRequest};

/// Positions a report may ask for.
pub const MAX_POSITIONS: usize = 10;
/// Parcels a report may name.
const MAX_PARCELLES: usize = 50;
/// Characters of a comment.
const MAX_COMMENT: usize = 2_000;
/// Characters of an author's first or last name.
const MAX_NAME: usize = 100;
/// How far outside its commune's contour a position may be, in metres (contours are
/// simplified; a house on the limit must not be refused).
const CONTOUR_MARGIN_M: f64 = 100.0;

/// A field of the request that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Its path in the request: `changesRequested.positions[0].point`.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} : {}", self.field, self.message)
    }
}

/// A request that passed the checks, its texts trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub request: ReportRequest,
    /// Where the report is, for maps: its first requested position, or the object's.
    pub point: Option<[f64; 2]>,
    /// The BAN id of the object it is about, to be found in the commune.
    pub ban_id: Option<BanId>,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
}

/// Checks `request`: the request trimmed, or every error found.
pub fn check(mut request: ReportRequest) -> Result<Checked, Vec<FieldError>> {
    let mut errors = Errors::default();
    trim_request(&mut request);
    let commune = request.code_commune.clone();
    if Cog::get().commune(&commune).is_none() {
        errors.push("codeCommune", format!("« {commune} » n’est pas le code INSEE d’une commune."));
    }
    check_target(&request, &mut errors);
    let changes = &request.changes_requested;
    let fields = [
        ("changesRequested.nomVoie", Field::VoieNom, changes.nom_voie.as_deref()),
        ("changesRequested.nom", Field::VoieNom, changes.nom.as_deref()),
        ("changesRequested.nomComplement", Field::LieuditComplementNom, changes.nom_complement.as_deref()),
        ("changesRequested.suffixe", Field::Suffixe, changes.suffixe.as_deref()),
    ];
    for (path, field, value) in fields {
        if let Some(value) = value {
            bal_rule(path, field, value, &mut errors);
        }
    }
    if let Some(numero) = changes.numero {
        check_numero("changesRequested.numero", numero, &mut errors);
    }
    if changes.parcelles.len() > MAX_PARCELLES {
        errors.push("changesRequested.parcelles", format!("{MAX_PARCELLES} parcelles au plus."));
    }
    for (i, parcelle) in changes.parcelles.iter().enumerate() {
        bal_rule(&format!("changesRequested.parcelles[{i}]"), Field::CadParcelles, parcelle, &mut errors);
    }
    if changes.positions.len() > MAX_POSITIONS {
        errors.push("changesRequested.positions", format!("{MAX_POSITIONS} positions au plus."));
    }
    for (i, position) in changes.positions.iter().enumerate() {
        check_position(&format!("changesRequested.positions[{i}]"), position, &commune, &mut errors);
    }
    if let Some(position) = request.existing_location.as_ref().and_then(ExistingLocation::position) {
        check_position("existingLocation.position", position, &commune, &mut errors);
    }
    if changes.comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT) {
        errors.push("changesRequested.comment", format!("{MAX_COMMENT} caractères au plus."));
    }
    let ban_id = match request.existing_location.as_ref().and_then(ExistingLocation::ban_id) {
        Some(text) => match BanId::parse(text) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(
                    "existingLocation.banId",
                    format!("« {text} » n’est pas un identifiant BAN (UUID)."),
                );
                None
            }
        },
        None => None,
    };
    let (author_name, author_email) = check_author(request.author.as_ref(), &mut errors);
    if !errors.0.is_empty() {
        return Err(errors.0);
    }
    let point = changes
        .positions
        .first()
        .or_else(|| request.existing_location.as_ref().and_then(ExistingLocation::position))
        .map(|p| p.point.coordinates);
    Ok(Checked { request, point, ban_id, author_name, author_email })
}

#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }
}

/// Every text of the request without its surrounding spaces; empty texts are absent.
fn trim_request(request: &mut ReportRequest) {
    fn trim(text: &mut Option<String>) {
        if let Some(t) = text.as_mut() {
            let trimmed = t.trim();
            if trimmed.len() != t.len() {
                *t = trimmed.to_owned();
            }
        }
        if text.as_deref() == Some("") {
            *text = None;
        }
    }
    request.code_commune = request.code_commune.trim().to_owned();
    let changes = &mut request.changes_requested;
    for text in [
        &mut changes.suffixe,
        &mut changes.nom_voie,
        &mut changes.nom,
        &mut changes.nom_complement,
        &mut changes.comment,
    ] {
        trim(text);
    }
    for parcelle in &mut changes.parcelles {
        *parcelle = parcelle.trim().to_owned();
    }
    if let Some(author) = request.author.as_mut() {
        for text in [&mut author.first_name, &mut author.last_name, &mut author.email] {
            trim(text);
        }
    }
}

/// What each kind of report needs: the object it is about, and the fields of the state it
/// asks for.
fn check_target(request: &ReportRequest, errors: &mut Errors) {
    let changes = &request.changes_requested;
    let existing = request.existing_location.as_ref();
    match (request.kind, existing) {
        (ReportType::LocationToCreate, Some(ExistingLocation::Numero { .. })) => errors.push(
            "existingLocation.type",
            "une création ne porte pas sur une adresse existante : NUMERO est réservé aux modifications et suppressions.",
        ),
        (ReportType::LocationToCreate, _) => {
            // A toponym when its name is given without a number, else an address.
            if changes.nom.is_some() && changes.numero.is_none() {
                require_toponym(changes, errors);
            } else {
                require_address(changes, errors);
            }
        }
        (ReportType::LocationToUpdate | ReportType::LocationToDelete, None) => {
            errors.push("existingLocation", "obligatoire : l’adresse, la voie ou le lieu-dit concerné.")
        }
        (ReportType::LocationToUpdate, Some(ExistingLocation::Numero { .. })) => require_address(changes, errors),
        (ReportType::LocationToUpdate, Some(ExistingLocation::Toponyme { .. })) => require_toponym(changes, errors),
        (ReportType::LocationToUpdate, Some(ExistingLocation::Voie { .. })) => {
            if changes.nom.is_none() {
                errors.push("changesRequested.nom", "obligatoire : le nouveau nom de la voie.");
            }
        }
        (ReportType::LocationToDelete, Some(_)) => {
            if changes.comment.is_none() {
                errors.push("changesRequested.comment", "obligatoire : la raison de la suppression.");
            }
        }
    }
    if let Some(ExistingLocation::Numero { numero, suffixe, .. }) = existing {
        check_numero("existingLocation.numero", *numero, errors);
        if let Some(suffixe) = suffixe.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            bal_rule("existingLocation.suffixe", Field::Suffixe, suffixe, errors);
        }
    }
}

fn require_address(changes: &ChangesRequested, errors: &mut Errors) {
    if changes.numero.is_none() {
        errors.push("changesRequested.numero", "obligatoire : le numéro de l’adresse.");
    }
    if changes.nom_voie.is_none() {
        errors.push("changesRequested.nomVoie", "obligatoire : le nom de la voie de l’adresse.");
    }
    if changes.positions.is_empty() {
        errors.push("changesRequested.positions", "obligatoire : au moins une position de l’adresse.");
    }
}

fn require_toponym(changes: &ChangesRequested, errors: &mut Errors) {
    if changes.nom.is_none() {
        errors.push("changesRequested.nom", "obligatoire : le nom du lieu-dit.");
    }
    if changes.positions.is_empty() {
        errors.push("changesRequested.positions", "obligatoire : au moins une position du lieu-dit.");
    }
}

/// The BAL's rule for `field` on `value`: each finding is an error, with the reference
/// validator's label (a report asks only for what the commune could publish).
fn bal_rule(path: &str, field: Field, value: &str, errors: &mut Errors) {
    let read = read_value(field, value, false, Cog::get(), today_utc());
    for finding in read.findings.iter() {
        let label = ban_bal::labels::label(&format!("{}.{finding}", field.name()));
        errors.push(path, format!("« {value} » : {label}"));
    }
}

fn check_numero(path: &str, numero: u32, errors: &mut Errors) {
    if numero >= 99_999 {
        errors.push(
            path,
            format!("{numero} : un numéro d’adresse va de 0 à 99998 (99999 désigne un lieu-dit)."),
        );
    }
}

/// A point of the WGS84 world, inside the commune (or within the margin of its contour).
fn check_position(path: &str, position: &Position, commune: &str, errors: &mut Errors) {
    let point = &position.point;
    if point.kind != "Point" {
        errors.push(&format!("{path}.point.type"), format!("« {} » : attendu « Point ».", point.kind));
        return;
    }
    let [lon, lat] = point.coordinates;
    if !(lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat))
    {
        errors.push(
            &format!("{path}.point.coordinates"),
            format!("[{lon}, {lat}] : attendu [longitude, latitude] en degrés WGS84."),
        );
        return;
    }
    let Some(contour) = Contours::national().get(commune) else { return };
    let outside = contour.distance_m([lon, lat]);
    if outside > CONTOUR_MARGIN_M {
        errors.push(
            &format!("{path}.point.coordinates"),
            format!(
                "[{lon}, {lat}] est hors de la commune {} ({commune}), à {:.0} m de ses limites.",
                contour.nom, outside
            ),
        );
    }
}

/// The author's name (first and last, joined) and e-mail, checked.
fn check_author(author: Option<&Author>, errors: &mut Errors) -> (Option<String>, Option<String>) {
    let Some(author) = author else { return (None, None) };
    for (field, text) in [("author.firstName", &author.first_name), ("author.lastName", &author.last_name)] {
        if text.as_ref().is_some_and(|t| t.chars().count() > MAX_NAME) {
            errors.push(field, format!("{MAX_NAME} caractères au plus."));
        }
    }
    if let Some(email) = &author.email {
        if !is_email(email) {
            errors.push("author.email", format!("« {email} » n’est pas une adresse électronique."));
        }
    }
    let names: Vec<&str> =
        [&author.first_name, &author.last_name].into_iter().flatten().map(String::as_str).collect();
    let name = (!names.is_empty()).then(|| names.join(" "));
    (name, author.email.clone())
}

/// A plain `local@domain.tld` address without spaces, of at most 254 characters.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    text.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(value: serde_json::Value) -> ReportRequest {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn creation() -> serde_json::Value {
        json!({
            "codeCommune": "54084",
            "type": "LOCATION_TO_CREATE",
            "existingLocation": {"type": "VOIE", "nom": "Allée des Acacias"},
            "changesRequested": {
                "numero": 3, "suffixe": "bis", "nomVoie": " Allée des Acacias ",
                "parcelles": ["54084000AB0123"],
                "positions": [{"type": "entrée", "point": {"type": "Point", "coordinates": [5.8335, 49.3259]}}],
                "comment": "Nouvelle maison"
            },
            "author": {"firstName": "Jeanne", "lastName": "Martin", "email": "jeanne@example.org"}
        })
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_good_creation_is_trimmed_and_placed() {
        let checked = check(request(creation())).unwrap();
        assert_eq!(checked.request.changes_requested.nom_voie.as_deref(), Some("Allée des Acacias"));
        assert_eq!(checked.point, Some([5.8335, 49.3259]));
        assert_eq!(checked.author_name.as_deref(), Some("Jeanne Martin"));
        assert_eq!(checked.author_email.as_deref(), Some("jeanne@example.org"));
    }

    #[test]
    fn every_wrong_field_is_named() {
        let mut body = creation();
        body["changesRequested"]["numero"] = json!(99999);
        body["changesRequested"]["suffixe"] = json!("-bis");
        body["changesRequested"]["nomVoie"] = json!("RUE EN MAJUSCULES");
        body["changesRequested"]["parcelles"] = json!(["12"]);
        body["changesRequested"]["positions"][0]["point"]["coordinates"] = json!([2.35, 48.85]);
        body["author"]["email"] = json!("jeanne at example.org");
        let errors = check(request(body)).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "changesRequested.nomVoie",
                "changesRequested.suffixe",
                "changesRequested.numero",
                "changesRequested.parcelles[0]",
                "changesRequested.positions[0].point.coordinates",
                "author.email"
            ],
            "{errors:?}"
        );
        assert!(errors[4].message.contains("hors de la commune Mont-Bonvillers (54084)"), "{}", errors[4]);
    }

    #[test]
    fn each_kind_asks_for_its_fields() {
        let update = json!({"codeCommune": "54084", "type": "LOCATION_TO_UPDATE", "changesRequested": {}});
        assert_eq!(fields(&check(request(update)).unwrap_err()), ["existingLocation"]);
        let delete = json!({"codeCommune": "54084", "type": "LOCATION_TO_DELETE",
            "existingLocation": {"type": "NUMERO", "numero": 3, "banId": "not-an-id"}, "changesRequested": {}});
        assert_eq!(
            fields(&check(request(delete)).unwrap_err()),
            ["changesRequested.comment", "existingLocation.banId"]
        );
        let rename = json!({"codeCommune": "54084", "type": "LOCATION_TO_UPDATE",
            "existingLocation": {"type": "VOIE", "nom": "Rue Haute"}, "changesRequested": {"nom": "Rue Basse"}});
        assert!(check(request(rename)).is_ok());
        let unknown = json!({"codeCommune": "99999", "type": "LOCATION_TO_CREATE", "changesRequested": {"nom": "Le Bois",
            "positions": [{"type": "segment", "point": {"type": "Point", "coordinates": [5.8335, 49.3259]}}]}});
        assert_eq!(fields(&check(request(unknown)).unwrap_err()), ["codeCommune"]);
    }
}
