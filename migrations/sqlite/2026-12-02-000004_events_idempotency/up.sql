-- The event log: every change appends one row in the transaction that makes the change. It is the audit
-- trail and the change feed. SQLite has one writer at a time, so transactions commit in `seq` order and
-- `tx_id` stays 0; PostgreSQL needs `tx_id` to read in commit-safe order (see that migration).
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_id       BIGINT NOT NULL DEFAULT 0,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    cell_path   TEXT,
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
    body         BLOB,
    locked_until TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Secrets the service makes for itself and every instance must share (the token signing secret when
-- none is configured), so that a token from one instance is valid on all.
CREATE TABLE service_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A level within a subtree ("the communities of this district") is one range of this index.
CREATE INDEX grid_cells_level_path ON grid_cells (level, path);
