//! Black-box tests of the HTTP API. Every test starts the real application on a fresh database:
//! a temporary SQLite file, or a fresh PostgreSQL database when `AIRGRID_TEST_DATABASE_URL` names a
//! server (see the README).

mod helpers;

mod access;
mod air;
mod auth;
mod caches;
mod controls;
mod errors;
mod events;
mod fire_points;
mod grid_cells;
mod grid_import;
mod grid_locate;
mod grid_people;
mod grid_support;
mod idempotency;
mod incident_extras;
mod incident_photos;
mod incident_support;
mod incidents;
mod large_subtree;
mod machinery;
mod migrations;
mod openapi;
mod operations;
mod scope;
mod vehicles;
