-- The revision a computed revision was checked against: the commune's current revision when
-- its file was validated (NULL: none). The mass-deletion check compares the file with it, so
-- a revision is published only while that revision is still the current one.
ALTER TABLE revisions ADD COLUMN checked_against TEXT;
-- Pending revisions computed before this column: a ready one was checked against the current
-- revision (a publication made the others not ready).
UPDATE revisions SET checked_against =
    (SELECT c.id FROM revisions c WHERE c.code_commune = revisions.code_commune AND c.is_current)
WHERE status = 'pending' AND is_ready;
