DROP TABLE air_forecasts;
