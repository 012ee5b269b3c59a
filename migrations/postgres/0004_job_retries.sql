-- A job that failed for a passing reason (the database busy or away) goes back to the queue
-- but is not claimed before `run_after`: its attempts are spread out (exponential backoff)
-- instead of being spent within milliseconds of one another.
ALTER TABLE jobs ADD COLUMN run_after TIMESTAMPTZ;
