-- Which worker holds a running job (`host:pid` by default): a worker that starts takes back at
-- once the jobs of the dead workers it can recognise (its own identity, or a process of its
-- host that no longer runs) instead of waiting for their leases to run out.
ALTER TABLE jobs ADD COLUMN worker TEXT;
