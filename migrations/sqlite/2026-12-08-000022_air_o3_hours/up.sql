-- A station-day's 24 hourly O3 values (thousandths, JSON; null where missing): an area's O3 8-h and 1-h
-- maxima come from its hourly mean over stations, not from the stations' own maxima.
ALTER TABLE air_station_days ADD COLUMN o3_hours TEXT;
