-- Stations change (name, whether they count for their areas, their end) under If-Match.
ALTER TABLE air_stations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
