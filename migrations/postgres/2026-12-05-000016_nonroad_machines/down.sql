DROP TABLE nonroad_machines;
