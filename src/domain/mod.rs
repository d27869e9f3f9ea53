//! Pure domain logic: parsed values, rules and calculations. No HTTP, no database.

pub mod access;
pub mod crs;
pub mod geometry;
pub mod grid;
pub mod scope;
