ALTER TABLE air_station_days DROP COLUMN o3_hours;
