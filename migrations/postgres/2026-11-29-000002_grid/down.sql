DELETE FROM revisions WHERE topic = 'grid';
DROP TABLE grid_people;
DROP TABLE grid_cells;
