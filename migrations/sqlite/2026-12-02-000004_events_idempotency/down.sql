DROP INDEX grid_cells_level_path;
DROP TABLE service_secrets;
DROP TABLE idempotency_keys;
DROP TABLE events;
