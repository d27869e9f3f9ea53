//! Pure domain logic: parsed values, rules and calculations. No HTTP, no database.

pub mod access;
pub mod aqi;
pub mod calendar;
pub mod control;
pub mod crs;
pub mod fire;
pub mod geometry;
pub mod grid;
pub mod incident;
pub mod photo;
pub mod scope;
pub mod time;
pub mod vehicle;
pub mod workflow;
