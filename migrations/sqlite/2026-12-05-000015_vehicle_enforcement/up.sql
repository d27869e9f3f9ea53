-- What was done about a high-emitting vehicle with the police (联合执法): a notice, a fine, a passed re-test.
CREATE TABLE vehicle_enforcement_actions (
    id            TEXT PRIMARY KEY,
    plate         TEXT NOT NULL,
    -- notice, fine, passed_retest
    action        TEXT NOT NULL,
    note          TEXT,
    inspection_id TEXT REFERENCES vehicle_inspections (id),
    acted_at      TIMESTAMP NOT NULL,
    recorded_by   TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX vehicle_enforcement_actions_plate ON vehicle_enforcement_actions (plate, acted_at);
