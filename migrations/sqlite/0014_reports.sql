-- Citizen reports (signalements): a request to create, change or delete an address or a
-- toponym of a commune, from anyone (the web page) or a partner client. The author's name and
-- e-mail are never answered publicly. Every change of status is kept in report_events.
CREATE TABLE reports (
    id                    TEXT PRIMARY KEY,
    code_commune          TEXT NOT NULL,
    kind                  TEXT NOT NULL CHECK (kind IN ('LOCATION_TO_CREATE', 'LOCATION_TO_UPDATE', 'LOCATION_TO_DELETE')),
    status                TEXT NOT NULL CHECK (status IN ('PENDING', 'PROCESSED', 'IGNORED', 'EXPIRED')),
    existing_location     TEXT,
    changes_requested     TEXT NOT NULL,
    lon                   REAL,
    lat                   REAL,
    author_name           TEXT,
    author_email          TEXT,
    source_client_id      TEXT REFERENCES clients (id),
    processed_by          TEXT,
    processed_revision_id TEXT,
    rejection_reason      TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX reports_commune ON reports (code_commune, status, created_at);
CREATE INDEX reports_pending ON reports (status, created_at) WHERE status = 'PENDING';

CREATE TABLE report_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id   TEXT NOT NULL REFERENCES reports (id),
    at          TEXT NOT NULL,
    status      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT,
    revision_id TEXT
);
CREATE INDEX report_events_report ON report_events (report_id, id);

-- A commune's choices: whether it accepts reports, and whether its town hall gets one e-mail
-- per report or a daily digest. No row: the defaults (accepted, one e-mail per report).
CREATE TABLE report_settings (
    code_commune TEXT PRIMARY KEY,
    accepted     INTEGER NOT NULL,
    daily_digest INTEGER NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
