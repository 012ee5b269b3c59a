-- What the consolidation of a revision gave, for its producer: the counts of an applied plan
-- (JSON {addresses, toponyms} of {added, updated, deleted, unchanged}), the reason of a refused
-- one (JSON {code, …}; the job ends failed, outcome 'refused'), and when an administrator
-- forced a refused plan (the job then applies it despite the rule).
ALTER TABLE jobs ADD COLUMN counts JSONB;
ALTER TABLE jobs ADD COLUMN refusal JSONB;
ALTER TABLE jobs ADD COLUMN forced_at TIMESTAMPTZ;
-- A revision's job (its answer) and a commune's last jobs (its consolidation route).
CREATE INDEX jobs_revision ON jobs (revision_id, id);
CREATE INDEX jobs_commune ON jobs (code_commune, id);

-- The e-mails owed about a refusal: one per revision and kind (the producer, the town hall),
-- queued with the refusal, claimed by a sender under a lease and marked once sent, so that a
-- job refused again or a restarted process sends nothing twice.
CREATE TABLE notices (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('refusal_to_producer', 'refusal_to_town_hall')),
    revision_id TEXT NOT NULL REFERENCES revisions (id),
    job_id      BIGINT NOT NULL REFERENCES jobs (id),
    status      TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'unsendable', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    recipients  TEXT,
    message     TEXT,
    run_after   TIMESTAMPTZ,
    lease_until TIMESTAMPTZ,
    sender      TEXT,
    sent_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (revision_id, kind)
);
CREATE INDEX notices_pending ON notices (status, id);
