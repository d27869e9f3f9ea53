-- Air quality: monitoring stations, their hourly readings (concentrations in thousandths: µg/m³, CO mg/m³,
-- exact), corrections of readings already held, and each station's daily statistics (GB 3095 表4 validity),
-- kept up to date by every import so that daily AQI and the year's figures read 365 rows per station.
CREATE TABLE air_stations (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    -- national, provincial, district or micro.
    kind        TEXT NOT NULL,
    lon         REAL NOT NULL,
    lat         REAL NOT NULL,
    cell_code   TEXT NOT NULL,
    cell_path   TEXT NOT NULL,
    -- JSON list of the pollutants it measures.
    pollutants  TEXT NOT NULL,
    -- Whether it counts towards the values of the areas it lies in.
    assessment  BOOLEAN NOT NULL,
    active_from DATE NOT NULL,
    active_to   DATE,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX air_stations_cell_path ON air_stations (cell_path);

CREATE TABLE air_readings (
    station_code TEXT NOT NULL REFERENCES air_stations (code),
    -- The start of the hour, UTC (the 01:00 value of the national platform is 00:00–01:00).
    hour_start   TIMESTAMP NOT NULL,
    so2          BIGINT,
    no2          BIGINT,
    co           BIGINT,
    o3           BIGINT,
    pm10         BIGINT,
    pm2_5        BIGINT,
    -- False for an hour the station flagged invalid (calibration, power cut): kept, left out of statistics.
    valid        BOOLEAN NOT NULL,
    source       TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    imported_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (station_code, hour_start)
);

CREATE TABLE air_reading_corrections (
    id           TEXT PRIMARY KEY,
    station_code TEXT NOT NULL,
    hour_start   TIMESTAMP NOT NULL,
    -- JSON of the values replaced.
    previous     TEXT NOT NULL,
    replaced_by  TEXT NOT NULL,
    replaced_at  TIMESTAMP NOT NULL
);
CREATE INDEX air_reading_corrections_hour ON air_reading_corrections (station_code, hour_start);

CREATE TABLE air_station_days (
    station_code TEXT NOT NULL REFERENCES air_stations (code),
    -- A Beijing-time day.
    day          DATE NOT NULL,
    so2_24h      BIGINT,
    no2_24h      BIGINT,
    co_24h       BIGINT,
    pm10_24h     BIGINT,
    pm2_5_24h    BIGINT,
    o3_8h_max    BIGINT,
    o3_1h_max    BIGINT,
    hours        INTEGER NOT NULL,
    PRIMARY KEY (station_code, day)
);
CREATE INDEX air_station_days_day ON air_station_days (day);
