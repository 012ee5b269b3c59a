-- The directory of town halls: the offices of type `mairie` of the DILA directory of public
-- services, in the imported file's order (`position`), replaced whole by each import
-- (`ban directory import`). `emails` is the office's `adresse_courriel` cut at `;` (a JSON
-- array of text, as written: which are offered is decided when read).
CREATE TABLE town_halls (
    position     BIGINT PRIMARY KEY,
    id           TEXT NOT NULL,
    code_commune TEXT NOT NULL,
    nom          TEXT NOT NULL,
    siret        TEXT,
    emails       JSONB NOT NULL DEFAULT '[]',
    delegated    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX town_halls_commune ON town_halls (code_commune, position);

-- Each import: the file, when, and what it changed.
CREATE TABLE directory_imports (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    town_halls  BIGINT NOT NULL,
    communes    BIGINT NOT NULL,
    added       BIGINT NOT NULL,
    removed     BIGINT NOT NULL,
    changed     BIGINT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL
);

-- The audit log, append-only: who (a client's id, or `admin`) did what to which object, when
-- and from which address. Read newest first, by commune, client or action.
CREATE TABLE audit_log (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_id    TEXT,
    code_commune TEXT,
    client_id    TEXT,
    ip           TEXT,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_commune ON audit_log (code_commune, id);
CREATE INDEX audit_log_client ON audit_log (client_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- Pending habilitations of a client for a commune are counted at each new one (their cap).
CREATE INDEX habilitations_client_pending ON habilitations (client_id, code_commune) WHERE status = 'pending';
