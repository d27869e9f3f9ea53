-- Registered non-road mobile machinery (非道路移动机械编码登记): excavators, loaders, forklifts… with their
-- engine's emission stage, owner and site, routed to the grid.
CREATE TABLE nonroad_machines (
    id                TEXT PRIMARY KEY,
    registration_code TEXT NOT NULL UNIQUE,
    owner             TEXT NOT NULL,
    machine_type      TEXT NOT NULL,
    engine_stage      TEXT NOT NULL,
    engine_number     TEXT,
    site              TEXT,
    lon               DOUBLE PRECISION,
    lat               DOUBLE PRECISION,
    cell_code         TEXT NOT NULL,
    cell_path         TEXT NOT NULL,
    registered_on     DATE NOT NULL,
    registered_by     TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX nonroad_machines_cell_path ON nonroad_machines (cell_path);
CREATE INDEX nonroad_machines_registered_on ON nonroad_machines (registered_on);
