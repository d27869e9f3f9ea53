-- The event log: every change appends one row in the transaction that makes the change. It is the audit
-- trail and the change feed.
--
-- Concurrent transactions take `seq` values in one order and may commit in another, so a reader that
-- followed `seq` alone could pass over a lower number that commits later. Each row therefore records the
-- id of its transaction (`tx_id`), and readers only return rows of transactions older than the oldest
-- one still running (`pg_snapshot_xmin`), ordered by (tx_id, seq): every row that can still appear sorts
-- after everything already returned.
CREATE TABLE events (
    seq         BIGSERIAL PRIMARY KEY,
    tx_id       BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    cell_path   TEXT COLLATE "C",
    actor_id    TEXT,
    actor_name  TEXT,
    data        TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX events_feed ON events (tx_id, seq);
CREATE INDEX events_subject ON events (subject, seq);
CREATE INDEX events_cell_path ON events (cell_path);

-- Responses to state-changing POSTs, by caller and Idempotency-Key, so a retried request gets the first
-- answer again instead of acting twice. `status` is NULL while the first request is still running.
CREATE TABLE idempotency_keys (
    account_id   TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       INTEGER,
    headers      TEXT,
    body         BYTEA,
    locked_until TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Subtrees are ranges of the materialised path (`path >= p AND path < upper(p)`), which a B-tree index
-- answers only under byte-wise ("C") collation; a linguistic collation would also misorder '/'.
DROP INDEX grid_cells_path;
ALTER TABLE grid_cells ALTER COLUMN path TYPE TEXT COLLATE "C";
CREATE INDEX grid_cells_path ON grid_cells (path);

-- Secrets the service makes for itself and every instance must share (the token signing secret when
-- none is configured), so that a token from one instance is valid on all.
CREATE TABLE service_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A level within a subtree ("the communities of this district") is one range of this index.
CREATE INDEX grid_cells_level_path ON grid_cells (level, path);
