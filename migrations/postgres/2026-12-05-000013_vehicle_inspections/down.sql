DROP TABLE vehicle_inspection_versions;
DROP TABLE vehicle_inspections;
