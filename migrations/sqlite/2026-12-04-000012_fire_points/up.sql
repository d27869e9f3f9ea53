-- Satellite fire points: each detection once (by its identity), and the fire events repeat passes merge into.

-- One fire: merged detections, the incident it was dispatched as, and its ground verification.
CREATE TABLE fire_events (
    id           TEXT PRIMARY KEY,
    incident_id  TEXT REFERENCES incidents (id),
    cell_code    TEXT NOT NULL,
    cell_path    TEXT NOT NULL,
    lon          REAL NOT NULL,
    lat          REAL NOT NULL,
    first_at     TIMESTAMP NOT NULL,
    last_at      TIMESTAMP NOT NULL,
    detections   INTEGER NOT NULL,
    verify_by    TIMESTAMP NOT NULL,
    finding      TEXT,
    finding_note TEXT,
    verified_at  TIMESTAMP,
    verified_by  TEXT,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX fire_events_last_at ON fire_events (last_at);
CREATE INDEX fire_events_cell_path ON fire_events (cell_path);

-- One detection inside the grid. `screened` says why it was kept from dispatch (low_confidence,
-- static_land_source); such detections belong to no event.
CREATE TABLE fire_detections (
    id           TEXT PRIMARY KEY,
    identity     TEXT NOT NULL UNIQUE,
    source       TEXT NOT NULL,
    satellite    TEXT NOT NULL,
    instrument   TEXT,
    acquired_at  TIMESTAMP NOT NULL,
    lon          REAL NOT NULL,
    lat          REAL NOT NULL,
    brightness   REAL,
    brightness_2 REAL,
    frp          REAL,
    confidence   TEXT,
    daynight     TEXT,
    version      TEXT,
    fire_type    INTEGER,
    cell_code    TEXT NOT NULL,
    cell_path    TEXT NOT NULL,
    screened     TEXT,
    event_id     TEXT REFERENCES fire_events (id),
    imported_at  TIMESTAMP NOT NULL
);
CREATE INDEX fire_detections_acquired_at ON fire_detections (acquired_at);
CREATE INDEX fire_detections_event ON fire_detections (event_id);
