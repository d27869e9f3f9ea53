DROP TABLE fire_detections;
DROP TABLE fire_events;
