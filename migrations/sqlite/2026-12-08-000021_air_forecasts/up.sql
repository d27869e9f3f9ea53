-- Daily AQI forecasts per city or district (the latest issued for a day replaces the one before), to set
-- against what was observed.
CREATE TABLE air_forecasts (
    cell_code         TEXT NOT NULL,
    day               DATE NOT NULL,
    aqi               INTEGER NOT NULL,
    primary_pollutant TEXT,
    source            TEXT NOT NULL,
    issued_at         TIMESTAMP NOT NULL,
    entered_by        TEXT NOT NULL,
    PRIMARY KEY (cell_code, day)
);
