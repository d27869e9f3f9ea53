-- Incidents and their closed loop (report → assign → rectify → verify → close).

-- The catalogue of incident categories; an administrator extends it. `deadlines` holds the default time to
-- rectify per severity as JSON ({"low": {"amount": 5, "unit": "working_days"}, …}).
CREATE TABLE incident_categories (
    code                   TEXT PRIMARY KEY,
    parent_code            TEXT REFERENCES incident_categories (code),
    name_zh                TEXT NOT NULL,
    name_en                TEXT NOT NULL,
    deadlines              TEXT NOT NULL,
    duplicate_radius_m     DOUBLE PRECISION NOT NULL,
    duplicate_window_hours INTEGER NOT NULL,
    requires_after_photo   BOOLEAN NOT NULL,
    active                 BOOLEAN NOT NULL,
    version                BIGINT NOT NULL,
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL
);

-- One incident. `cell_code`/`cell_path` name the cell it belongs to now (routed, or assigned to); NULL while
-- unrouted. `routing` keeps what routing found at report time: the chain of cells and who was responsible
-- (JSON). `extension` is a pending request for more time (JSON: until, note).
CREATE TABLE incidents (
    id                TEXT PRIMARY KEY,
    category_code     TEXT NOT NULL REFERENCES incident_categories (code),
    status            TEXT NOT NULL,
    severity          TEXT NOT NULL,
    source            TEXT NOT NULL,
    external_system   TEXT,
    external_ref      TEXT,
    description       TEXT NOT NULL,
    address           TEXT,
    lon               DOUBLE PRECISION NOT NULL,
    lat               DOUBLE PRECISION NOT NULL,
    accuracy_m        DOUBLE PRECISION,
    cell_code         TEXT,
    cell_path         TEXT,
    routing           TEXT NOT NULL,
    reporter_id       TEXT,
    reporter_name     TEXT NOT NULL,
    assignee_id       TEXT,
    assignee_name     TEXT,
    rectifier_id      TEXT,
    duplicate_of      TEXT REFERENCES incidents (id),
    occurred_at       TIMESTAMP NOT NULL,
    reported_at       TIMESTAMP NOT NULL,
    status_changed_at TIMESTAMP NOT NULL,
    assigned_at       TIMESTAMP,
    deadline_at       TIMESTAMP,
    deadline_note     TEXT,
    extension         TEXT,
    rectified_at      TIMESTAMP,
    closed_at         TIMESTAMP,
    version           BIGINT NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
-- A hotline ticket is one incident however often its platform sends it.
CREATE UNIQUE INDEX incidents_external ON incidents (external_system, external_ref);
-- Lists are newest first (ids are time-ordered) within a subtree, a status or a category.
CREATE INDEX incidents_cell ON incidents (cell_path, id);
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_category ON incidents (category_code, reported_at);
CREATE INDEX incidents_reported ON incidents (reported_at);
CREATE INDEX incidents_reporter ON incidents (reporter_id, id);
CREATE INDEX incidents_position ON incidents (lon, lat);

-- What happened to an incident, in order: who, when, from, to, note, and the action's own facts (JSON).
CREATE TABLE incident_timeline (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    note        TEXT,
    data        TEXT NOT NULL,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, id);

-- Photo evidence; the bytes live in the object store under `storage_key`.
CREATE TABLE incident_photos (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    stage       TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    taken_at    TIMESTAMP,
    lon         DOUBLE PRECISION,
    lat         DOUBLE PRECISION,
    flags       TEXT NOT NULL,
    uploaded_by TEXT,
    uploader_name TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_photos_incident ON incident_photos (incident_id, id);

-- Prompt sheets (提示单) and supervision sheets (督办单) a commander issues to a cell about incidents.
CREATE TABLE supervision_sheets (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    cell_code     TEXT NOT NULL,
    cell_path     TEXT NOT NULL,
    incident_ids  TEXT NOT NULL,
    content       TEXT NOT NULL,
    deadline_at   TIMESTAMP NOT NULL,
    issued_by     TEXT,
    issuer_name   TEXT NOT NULL,
    issued_at     TIMESTAMP NOT NULL,
    response      TEXT,
    responded_by  TEXT,
    responder_name TEXT,
    responded_at  TIMESTAMP,
    version       BIGINT NOT NULL
);
CREATE INDEX supervision_sheets_cell ON supervision_sheets (cell_path, id);

-- The starting catalogue. Deadlines are defaults an administrator can change per category.
INSERT INTO incident_categories
    (code, parent_code, name_zh, name_en, deadlines, duplicate_radius_m, duplicate_window_hours,
     requires_after_photo, active, version, created_at, updated_at)
VALUES
    ('dust', NULL, '扬尘', 'Dust',
     '{"low":{"amount":5,"unit":"working_days"},"medium":{"amount":3,"unit":"working_days"},"high":{"amount":1,"unit":"working_days"}}',
     200, 72, TRUE, TRUE, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('open_burning', NULL, '露天焚烧', 'Open burning',
     '{"low":{"amount":24,"unit":"hours"},"medium":{"amount":4,"unit":"hours"},"high":{"amount":2,"unit":"hours"}}',
     300, 24, TRUE, TRUE, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('straw_fire', NULL, '秸秆焚烧火点', 'Straw-burning fire point',
     '{"low":{"amount":24,"unit":"hours"},"medium":{"amount":24,"unit":"hours"},"high":{"amount":12,"unit":"hours"}}',
     1000, 12, TRUE, TRUE, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('open_barbecue', NULL, '露天烧烤', 'Open-air barbecue',
     '{"low":{"amount":24,"unit":"hours"},"medium":{"amount":24,"unit":"hours"},"high":{"amount":12,"unit":"hours"}}',
     100, 24, TRUE, TRUE, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('open_spray_painting', NULL, '露天喷漆', 'Open spray painting',
     '{"low":{"amount":5,"unit":"working_days"},"medium":{"amount":3,"unit":"working_days"},"high":{"amount":1,"unit":"working_days"}}',
     100, 72, TRUE, TRUE, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO incident_categories
    (code, parent_code, name_zh, name_en, deadlines, duplicate_radius_m, duplicate_window_hours,
     requires_after_photo, active, version, created_at, updated_at)
SELECT sub.code, 'dust', sub.name_zh, sub.name_en, dust.deadlines, dust.duplicate_radius_m,
       dust.duplicate_window_hours, TRUE, TRUE, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM incident_categories dust,
     (SELECT 'dust.construction_site' AS code, '施工工地扬尘' AS name_zh, 'Construction-site dust' AS name_en
      UNION ALL SELECT 'dust.road', '道路扬尘', 'Road dust'
      UNION ALL SELECT 'dust.bare_soil', '裸露地面未苫盖', 'Uncovered bare soil'
      UNION ALL SELECT 'dust.material_yard', '物料堆场扬尘', 'Material-yard dust'
      UNION ALL SELECT 'dust.muck_truck', '渣土车遗撒', 'Muck-truck spillage') sub
WHERE dust.code = 'dust';
