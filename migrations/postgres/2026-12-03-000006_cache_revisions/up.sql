-- Instances cache accounts (with their home cell's path) and cells' current people, so authenticated reads
-- need no database round trip; every write to either bumps its revision, which the caches compare. The
-- `accounts` row exists already (account changes lock it); `people` is new.
INSERT INTO revisions (topic, revision, updated_at) VALUES ('people', 0, CURRENT_TIMESTAMP);
