ALTER TABLE fire_detections DROP COLUMN heat_source_id;
