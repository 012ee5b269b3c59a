-- The national base and its change feed.
--
-- The feed (`changes`) is the history: every change to a commune, toponym or address, with
-- the object's full new state, numbered by `seq` (strictly increasing, in commit order).
-- The base tables say which objects exist, where, whether active, and which change holds
-- their current state: the state is stored once, in the feed.
-- Times are RFC 3339 UTC text; JSON documents are text.

CREATE TABLE changes (
    seq      INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL CHECK (kind IN ('commune', 'toponym', 'address')),
    id       TEXT NOT NULL,
    op       TEXT NOT NULL CHECK (op IN ('created', 'updated', 'disabled')),
    commune  TEXT NOT NULL,
    revision TEXT,
    state    TEXT NOT NULL,
    at       TEXT NOT NULL
);

CREATE TABLE base_communes (
    code   TEXT PRIMARY KEY,
    id     TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('bal', 'legacy')),
    revision_id TEXT,
    -- The commune's last change: a consolidation planned on an older one is refused.
    seq    INTEGER NOT NULL
);

-- Keyed by their UUIDs only (no rowid): one b-tree to write per object, not two.
CREATE TABLE base_toponyms (
    id      TEXT PRIMARY KEY,
    commune TEXT NOT NULL,
    active  INTEGER NOT NULL,
    seq     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX base_toponyms_commune ON base_toponyms (commune);

CREATE TABLE base_addresses (
    id      TEXT PRIMARY KEY,
    commune TEXT NOT NULL,
    active  INTEGER NOT NULL,
    seq     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX base_addresses_commune ON base_addresses (commune);

-- Jobs are claimed for a time (a worker that dies releases them when it runs out), and say
-- how they ended.
ALTER TABLE jobs ADD COLUMN lease_until TEXT;
ALTER TABLE jobs ADD COLUMN outcome TEXT;
ALTER TABLE jobs ADD COLUMN message TEXT;
