DROP TABLE service_secrets;
DROP TABLE idempotency_keys;
DROP TABLE events;
