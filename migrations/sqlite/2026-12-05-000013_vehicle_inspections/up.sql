-- Vehicle emission inspections, one row per (source, record id): what the source sent, normalised, and the
-- server's judgement of it. A corrected row replaces the record and keeps the earlier one as a version.
CREATE TABLE vehicle_inspections (
    id               TEXT PRIMARY KEY,
    source           TEXT NOT NULL,
    record_id        TEXT NOT NULL,
    station          TEXT,
    inspected_at     TIMESTAMP NOT NULL,
    plate            TEXT NOT NULL,
    plate_colour     TEXT,
    vin              TEXT,
    vin_check_ok     BOOLEAN,
    vehicle_category TEXT,
    fuel_type        TEXT,
    stage            TEXT,
    method           TEXT NOT NULL,
    limit_class      TEXT NOT NULL,
    lon              REAL,
    lat              REAL,
    cell_code        TEXT,
    cell_path        TEXT,
    -- JSON: the measured values, OBD fault codes and readiness, and the judged items with their limits.
    measurements     TEXT NOT NULL,
    items            TEXT NOT NULL,
    submitted_result TEXT,
    result           TEXT NOT NULL,
    disagrees        BOOLEAN NOT NULL,
    -- SHA-256 of the normalised record: an import that sends it again changes nothing.
    fingerprint      TEXT NOT NULL,
    version          INTEGER NOT NULL,
    imported_by      TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (source, record_id)
);
CREATE INDEX vehicle_inspections_inspected_at ON vehicle_inspections (inspected_at, id);
CREATE INDEX vehicle_inspections_plate ON vehicle_inspections (plate, inspected_at);
CREATE INDEX vehicle_inspections_vin ON vehicle_inspections (vin);
CREATE INDEX vehicle_inspections_cell_path ON vehicle_inspections (cell_path);

-- Earlier versions of corrected records, as the JSON of the record they were.
CREATE TABLE vehicle_inspection_versions (
    inspection_id TEXT NOT NULL REFERENCES vehicle_inspections (id),
    version       INTEGER NOT NULL,
    record        TEXT NOT NULL,
    replaced_at   TIMESTAMP NOT NULL,
    replaced_by   TEXT NOT NULL,
    PRIMARY KEY (inspection_id, version)
);
