-- The four-level grid. Cells are addressed by their permanent code; `path` is the chain of codes from
-- the root ("210100/210102/210102001/") so a subtree is one prefix comparison on either backend.
-- Validity is half-open: a cell or assignment applies from valid_from up to, not including, valid_to.
CREATE TABLE grid_cells (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    parent_code TEXT REFERENCES grid_cells (code),
    path        TEXT NOT NULL,
    boundary    TEXT NOT NULL,
    min_lon     REAL NOT NULL,
    min_lat     REAL NOT NULL,
    max_lon     REAL NOT NULL,
    max_lat     REAL NOT NULL,
    properties  TEXT NOT NULL,
    valid_from  DATE NOT NULL,
    valid_to    DATE,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX grid_cells_parent ON grid_cells (parent_code);
CREATE INDEX grid_cells_path ON grid_cells (path);
CREATE INDEX grid_cells_level ON grid_cells (level, code);

-- Responsible people of a cell (grid chief, deputy, grid workers, supervisor), with history.
CREATE TABLE grid_people (
    id          TEXT PRIMARY KEY,
    cell_code   TEXT NOT NULL REFERENCES grid_cells (code),
    name        TEXT NOT NULL,
    phone       TEXT,
    account_id  TEXT,
    role        TEXT NOT NULL,
    valid_from  DATE NOT NULL,
    valid_to    DATE,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX grid_people_cell ON grid_people (cell_code, valid_from);

INSERT INTO revisions (topic, revision, updated_at) VALUES ('grid', 0, CURRENT_TIMESTAMP);
