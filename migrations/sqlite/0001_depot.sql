-- The submission service: clients, habilitations, revisions, their files, and the job queue.
-- Times are RFC 3339 UTC text; JSON documents are text.

CREATE TABLE clients (
    id                     TEXT PRIMARY KEY,
    nom                    TEXT NOT NULL,
    mandataire             TEXT NOT NULL,
    email                  TEXT,
    authorization_strategy TEXT NOT NULL CHECK (authorization_strategy IN ('internal', 'chef-de-file', 'habilitation')),
    perimeters             TEXT NOT NULL DEFAULT '[]',
    is_active              INTEGER NOT NULL DEFAULT 1,
    token                  TEXT NOT NULL UNIQUE,
    created_at             TEXT NOT NULL
);

CREATE TABLE revisions (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL REFERENCES clients (id),
    code_commune TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'published')),
    is_ready     INTEGER NOT NULL DEFAULT 0,
    is_current   INTEGER NOT NULL DEFAULT 0,
    context      TEXT NOT NULL,
    validation   TEXT,
    rows_count   INTEGER,
    habilitation TEXT,
    published_at TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX revisions_commune ON revisions (code_commune, created_at);
CREATE INDEX revisions_client ON revisions (client_id, created_at);
-- At most one current revision per commune, whatever happens concurrently.
CREATE UNIQUE INDEX revisions_current ON revisions (code_commune) WHERE is_current = 1;

CREATE TABLE files (
    id          TEXT PRIMARY KEY,
    revision_id TEXT NOT NULL UNIQUE REFERENCES revisions (id),
    size        INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE habilitations (
    id                  TEXT PRIMARY KEY,
    client_id           TEXT NOT NULL REFERENCES clients (id),
    code_commune        TEXT NOT NULL,
    email_commune       TEXT,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    strategy            TEXT,
    pin_code            TEXT,
    pin_code_expiration TEXT,
    pin_sent_at         TEXT,
    remaining_attempts  INTEGER NOT NULL,
    accepted_at         TEXT,
    rejected_at         TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX habilitations_commune ON habilitations (code_commune, client_id);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    code_commune TEXT NOT NULL,
    revision_id  TEXT NOT NULL REFERENCES revisions (id),
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX jobs_pending ON jobs (status, id);
