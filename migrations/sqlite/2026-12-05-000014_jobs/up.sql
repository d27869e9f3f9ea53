-- Background jobs (large imports): any instance claims a queued job, or one whose lease ran out because its
-- instance died, and works through it in chunks; each chunk commits with the job's checkpoint, so a job
-- taken over resumes where the last commit left it, with no row done twice or lost.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    -- queued, running, succeeded, failed
    status      TEXT NOT NULL,
    -- JSON: what the kind needs (source, format, …); the file is in the object store under `object_key`.
    params      TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES accounts (id),
    lease_owner TEXT,
    lease_until TIMESTAMP,
    attempts    INTEGER NOT NULL,
    rows_total  BIGINT,
    checkpoint  BIGINT NOT NULL,
    -- JSON: the running summary, and the per-row error report of a failed job.
    summary     TEXT NOT NULL,
    errors      TEXT,
    created_at  TIMESTAMP NOT NULL,
    started_at  TIMESTAMP,
    finished_at TIMESTAMP,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, created_at);
