-- A monotonically increasing revision per piece of shared state that instances cache in memory
-- (the grid index, for one). A write bumps it in the same transaction; every instance polls it and
-- reloads when it moved, so several instances on one database stay consistent.
CREATE TABLE revisions (
    topic      TEXT PRIMARY KEY,
    revision   BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);
