-- SQLite cannot drop a column that references another table: rebuild the table without it.
CREATE TABLE fire_detections_previous (
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
INSERT INTO fire_detections_previous (id, identity, source, satellite, instrument, acquired_at, lon, lat, brightness, brightness_2, frp, confidence, daynight, version, fire_type, cell_code, cell_path, screened, event_id, imported_at)
    SELECT id, identity, source, satellite, instrument, acquired_at, lon, lat, brightness, brightness_2, frp, confidence, daynight, version, fire_type, cell_code, cell_path, screened, event_id, imported_at FROM fire_detections;
DROP TABLE fire_detections;
ALTER TABLE fire_detections_previous RENAME TO fire_detections;
CREATE INDEX fire_detections_acquired_at ON fire_detections (acquired_at);
CREATE INDEX fire_detections_event ON fire_detections (event_id);
