-- People and programs that sign in. A user has a password; a service account (integration) has a
-- client secret and explicit scopes. Both secrets are stored as Argon2id hashes.
CREATE TABLE accounts (
    id                 TEXT PRIMARY KEY,
    username           TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    role               TEXT NOT NULL,
    home_cell          TEXT REFERENCES grid_cells (code),
    scopes             TEXT NOT NULL,
    password_hash      TEXT,
    client_secret_hash TEXT,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    version            BIGINT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

-- Refresh tokens, stored as SHA-256 of the random token. Rotation links tokens in a family; presenting
-- a token that was already rotated revokes its whole family (a stolen token was replayed).
CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  TIMESTAMP NOT NULL,
    rotated_at  TIMESTAMP,
    revoked_at  TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Failed sign-ins per account and per client address, shared by every instance.
CREATE TABLE sign_in_failures (
    subject      TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL
);

-- Account changes that must see each other (never remove the last administrator) lock this row.
INSERT INTO revisions (topic, revision, updated_at) VALUES ('accounts', 0, CURRENT_TIMESTAMP);
