-- Readers of the feed: mirrors that follow one commune or one département read the feed by
-- commune, in order.
CREATE INDEX changes_commune_seq ON changes (commune, seq);
