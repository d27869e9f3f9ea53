DELETE FROM revisions WHERE topic = 'people';
