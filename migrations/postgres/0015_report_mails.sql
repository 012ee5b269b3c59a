-- The e-mails of citizen reports: to the town hall for a new report (at once, or in the day's
-- digest when the commune chose it), and to the author when the report is processed or
-- ignored. Queued with what owes them (the report, the decision; a digest by the depot's
-- notifier once the day is over), claimed under a lease by one sender and marked once sent,
-- like the refusal notices, so that a restarted process sends nothing twice.
--
-- A report keeps the address it was sent from (never answered: it bounds the pending reports
-- of one address and finds the others of a spammer) and whether its town hall is told in the
-- day's digest (the commune's choice when it was sent).
ALTER TABLE reports ADD COLUMN source_ip TEXT;
ALTER TABLE reports ADD COLUMN town_hall_digest BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX reports_source ON reports (code_commune, source_ip) WHERE status = 'PENDING';
CREATE INDEX reports_digest ON reports (created_at) WHERE town_hall_digest;

CREATE TABLE report_mails (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('new_report', 'daily_digest', 'processed_to_author', 'ignored_to_author')),
    code_commune TEXT NOT NULL,
    -- The report (every kind but the digest).
    report_id    TEXT REFERENCES reports (id),
    -- The day (UTC, YYYY-MM-DD) whose new reports a digest lists.
    digest_day   TEXT,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'unsendable', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    recipients   TEXT,
    message      TEXT,
    run_after    TIMESTAMPTZ,
    lease_until  TIMESTAMPTZ,
    sender       TEXT,
    sent_at      TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    CHECK ((kind = 'daily_digest') = (report_id IS NULL AND digest_day IS NOT NULL))
);
-- Once per report and kind; one digest per commune and day.
CREATE UNIQUE INDEX report_mails_report ON report_mails (report_id, kind) WHERE report_id IS NOT NULL;
CREATE UNIQUE INDEX report_mails_digest ON report_mails (code_commune, digest_day) WHERE digest_day IS NOT NULL;
CREATE INDEX report_mails_pending ON report_mails (status, id);
