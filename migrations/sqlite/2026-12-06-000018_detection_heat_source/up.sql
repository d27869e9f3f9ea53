-- The registered heat source that kept a detection from dispatch, when one did.
ALTER TABLE fire_detections ADD COLUMN heat_source_id TEXT REFERENCES heat_sources (id);
