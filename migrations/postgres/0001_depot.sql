-- The submission service: clients, habilitations, revisions, their files, and the job queue.

CREATE TABLE clients (
    id                     TEXT PRIMARY KEY,
    nom                    TEXT NOT NULL,
    mandataire             TEXT NOT NULL,
    email                  TEXT,
    authorization_strategy TEXT NOT NULL CHECK (authorization_strategy IN ('internal', 'chef-de-file', 'habilitation')),
    perimeters             JSONB NOT NULL DEFAULT '[]',
    is_active              BOOLEAN NOT NULL DEFAULT TRUE,
    token                  TEXT NOT NULL UNIQUE,
    created_at             TIMESTAMPTZ NOT NULL
);

CREATE TABLE revisions (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL REFERENCES clients (id),
    code_commune TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'published')),
    is_ready     BOOLEAN NOT NULL DEFAULT FALSE,
    is_current   BOOLEAN NOT NULL DEFAULT FALSE,
    context      JSONB NOT NULL,
    validation   JSONB,
    rows_count   BIGINT,
    habilitation JSONB,
    published_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX revisions_commune ON revisions (code_commune, created_at);
CREATE INDEX revisions_client ON revisions (client_id, created_at);
-- At most one current revision per commune, whatever happens concurrently.
CREATE UNIQUE INDEX revisions_current ON revisions (code_commune) WHERE is_current;

CREATE TABLE files (
    id          TEXT PRIMARY KEY,
    revision_id TEXT NOT NULL UNIQUE REFERENCES revisions (id),
    size        BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE habilitations (
    id                  TEXT PRIMARY KEY,
    client_id           TEXT NOT NULL REFERENCES clients (id),
    code_commune        TEXT NOT NULL,
    email_commune       TEXT,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    strategy            TEXT,
    pin_code            TEXT,
    pin_code_expiration TIMESTAMPTZ,
    pin_sent_at         TIMESTAMPTZ,
    remaining_attempts  INTEGER NOT NULL,
    accepted_at         TIMESTAMPTZ,
    rejected_at         TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX habilitations_commune ON habilitations (code_commune, client_id);

CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    code_commune TEXT NOT NULL,
    revision_id  TEXT NOT NULL REFERENCES revisions (id),
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_pending ON jobs (status, id);
