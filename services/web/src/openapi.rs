//! The OpenAPI 3.1 description of `POST /api/validate` and of the map's tiles
//! (`/tiles/ban/{z}/{x}/{y}.pbf`), served at `/api/validate/openapi.json`: a document of its
//! own, like each service's, so that the web service run alone (`ban web`) describes what it
//! answers; the pages are HTML and not in it.
use ban_service_kit::Problem;
use utoipa::OpenApi;

use crate::validate::{CodeReport, ColumnReport, FoundAt, ValidationAnswer};

/// What the generated operations do not say: title, shared schemas.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "BAN Sync — validation de fichiers BAL et tuiles de la carte",
        description = "Le validateur public : un fichier BAL est vérifié comme au dépôt, sans jeton, \
            sans être conservé. Les tuiles vectorielles des adresses, tirées de la base à jour. Les \
            erreurs répondent application/problem+json avec un code stable."
    ),
    paths(crate::tiles::tile),
    components(schemas(Problem, ValidationAnswer, CodeReport, FoundAt, ColumnReport)),
    tags(
        (name = "validation", description = "Valider un fichier BAL"),
        (name = "carte", description = "Les tuiles vectorielles de la carte des adresses"),
        (name = "description", description = "Cette description")
    )
)]
pub struct ApiDoc;

ban_service_kit::openapi_document!(
    /// `GET /api/validate/openapi.json`.
    path = "/api/validate/openapi.json", tag = "description", routes = crate::routes
);
