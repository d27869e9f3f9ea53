DROP INDEX grid_cells_level_path;
DROP TABLE service_secrets;
DROP INDEX grid_cells_path;
ALTER TABLE grid_cells ALTER COLUMN path TYPE TEXT COLLATE "default";
CREATE INDEX grid_cells_path ON grid_cells (path);
DROP TABLE idempotency_keys;
DROP TABLE events;
