DROP TABLE air_station_days;
DROP TABLE air_reading_corrections;
DROP TABLE air_readings;
DROP TABLE air_stations;
