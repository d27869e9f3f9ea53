-- Special-control activations (特别管控) during heavy-pollution episodes: the catalogue of measures, each
-- activation with its scope cells and their plans (一区一策), level history, prompts to the grid (分类提示) and
-- their acknowledgements, check-ins on the measures, and the observed daily city AQI their outcome is judged by.
CREATE TABLE control_measures (
    code       TEXT PRIMARY KEY,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    -- JSON list of the incident categories the measure targets (new incidents there get tightened deadlines).
    categories TEXT NOT NULL,
    active     BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO control_measures (code, name_zh, name_en, categories, active, created_at) VALUES
    ('stop_earthworks', '停止土石方和拆除作业', 'Stop earthworks and demolition', '["dust"]', TRUE, CURRENT_TIMESTAMP),
    ('cover_bare_soil', '裸土和物料堆场全部苫盖', 'Cover bare soil and material piles', '["dust"]', TRUE, CURRENT_TIMESTAMP),
    ('road_washing', '加密道路清扫洒水', 'More road washing and sprinkling', '["dust.road", "dust.muck_truck"]', TRUE, CURRENT_TIMESTAMP),
    ('ban_open_burning', '禁止露天焚烧', 'Ban open burning', '["open_burning", "straw_fire"]', TRUE, CURRENT_TIMESTAMP),
    ('ban_barbecue_fireworks', '禁止露天烧烤和燃放烟花爆竹', 'Ban open-air barbecue and fireworks', '["open_barbecue"]', TRUE, CURRENT_TIMESTAMP),
    ('stop_spray_painting', '停止露天喷涂作业', 'Stop outdoor spray painting', '["open_spray_painting"]', TRUE, CURRENT_TIMESTAMP),
    ('restrict_diesel_trucks', '限制高排放柴油货车通行', 'Restrict high-emission diesel trucks', '[]', TRUE, CURRENT_TIMESTAMP),
    ('stop_old_machinery', '停用国二及以下非道路移动机械', 'Stop old non-road machinery (China II and below)', '[]', TRUE, CURRENT_TIMESTAMP),
    ('industrial_limits', '工业企业限产减排', 'Industrial production limits', '[]', TRUE, CURRENT_TIMESTAMP);

-- Activation writers that claim cells for a time bump this first: overlap checks then see each other.
INSERT INTO revisions (topic, revision, updated_at) VALUES ('controls', 0, CURRENT_TIMESTAMP);

CREATE TABLE control_activations (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    level_code    TEXT NOT NULL,
    -- JSON: the forecast that triggered it (days with AQI and primary pollutant, source, consultation note).
    forecast      TEXT NOT NULL,
    status        TEXT NOT NULL,
    planned_start TIMESTAMP NOT NULL,
    planned_end   TIMESTAMP,
    actual_start  TIMESTAMP,
    actual_end    TIMESTAMP,
    -- The lowest cell holding every scope cell: where its events are seen from.
    scope_path    TEXT COLLATE "C" NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    version       BIGINT NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX control_activations_due ON control_activations (status, planned_start);

-- Each scope cell with its plan: who is responsible and which measures, with what detail.
CREATE TABLE control_cells (
    activation_id     TEXT NOT NULL REFERENCES control_activations (id),
    cell_code         TEXT NOT NULL,
    cell_path         TEXT COLLATE "C" NOT NULL,
    cell_name         TEXT NOT NULL,
    responsible_id    TEXT,
    responsible_name  TEXT,
    responsible_phone TEXT,
    -- JSON list of {code, detail}.
    measures          TEXT NOT NULL,
    plan_version      BIGINT NOT NULL,
    plan_updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (activation_id, cell_code)
);
CREATE INDEX control_cells_path ON control_cells (cell_path);

CREATE TABLE control_level_changes (
    activation_id TEXT NOT NULL REFERENCES control_activations (id),
    seq           INTEGER NOT NULL,
    from_level    TEXT,
    to_level      TEXT NOT NULL,
    note          TEXT,
    changed_by    TEXT NOT NULL,
    changed_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (activation_id, seq)
);

CREATE TABLE control_prompts (
    id            TEXT PRIMARY KEY,
    activation_id TEXT NOT NULL REFERENCES control_activations (id),
    -- The level change it was issued for.
    seq           INTEGER NOT NULL,
    cell_code     TEXT NOT NULL,
    cell_path     TEXT COLLATE "C" NOT NULL,
    level_code    TEXT NOT NULL,
    -- JSON list of {audience, text}.
    items         TEXT NOT NULL,
    issued_at     TIMESTAMP NOT NULL,
    -- Set when a later level change or the lift replaced it.
    superseded_at TIMESTAMP
);
CREATE INDEX control_prompts_activation ON control_prompts (activation_id, seq);
CREATE INDEX control_prompts_path ON control_prompts (cell_path);

CREATE TABLE control_prompt_acks (
    prompt_id       TEXT NOT NULL REFERENCES control_prompts (id),
    account_id      TEXT NOT NULL,
    acknowledged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (prompt_id, account_id)
);

CREATE TABLE control_check_ins (
    id               TEXT PRIMARY KEY,
    activation_id    TEXT NOT NULL REFERENCES control_activations (id),
    cell_code        TEXT NOT NULL,
    measure_code     TEXT NOT NULL,
    done             BOOLEAN NOT NULL,
    note             TEXT,
    photo_key        TEXT,
    photo_media_type TEXT,
    photo_sha256     TEXT,
    photo_taken_at   TIMESTAMP,
    checked_by       TEXT,
    checker_name     TEXT NOT NULL,
    checked_at       TIMESTAMP NOT NULL
);
CREATE INDEX control_check_ins_plan ON control_check_ins (activation_id, cell_code, measure_code, checked_at);

-- The observed daily city AQI (Beijing days) that outcomes are judged by, entered through the API.
CREATE TABLE observed_daily_aqi (
    day               DATE PRIMARY KEY,
    aqi               INTEGER NOT NULL,
    primary_pollutant TEXT,
    entered_by        TEXT NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
