ALTER TABLE air_stations DROP COLUMN version;
