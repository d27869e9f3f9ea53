DROP TABLE heat_sources;
