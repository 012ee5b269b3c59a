-- A file's bytes in pieces (256 KiB each, `FILE_PIECE_BYTES`), read one at a time by downloads:
-- SQLite reads a whole value to take a part of it, so a file kept as one value cannot be
-- streamed with constant memory. Files attached before this migration keep their bytes in
-- files.data (read there, piece by piece, with substr); files attached after it have an empty
-- files.data.
CREATE TABLE file_pieces (
    revision_id TEXT NOT NULL REFERENCES files (revision_id),
    seq         INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (revision_id, seq)
);
