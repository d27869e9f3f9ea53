DROP TABLE supervision_sheets;
DROP TABLE incident_photos;
DROP TABLE incident_timeline;
DROP TABLE incidents;
DROP TABLE incident_categories;
