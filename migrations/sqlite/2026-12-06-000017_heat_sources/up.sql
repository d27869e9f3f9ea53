-- The register of known static heat sources (power plants, steelworks, refineries, kilns): satellite
-- detections inside a site or within its radius are kept from dispatch. Retired ones screen nothing.
CREATE TABLE heat_sources (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    -- GeoJSON Polygon or MultiPolygon of the site in WGS-84; NULL for a point source.
    boundary      TEXT,
    radius_m      REAL NOT NULL,
    note          TEXT,
    cell_code     TEXT NOT NULL,
    cell_path     TEXT NOT NULL,
    -- The fire event whose ground finding added it, if one did.
    fire_event_id TEXT REFERENCES fire_events (id),
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    retired_at    TIMESTAMP
);
CREATE INDEX heat_sources_cell_path ON heat_sources (cell_path);
