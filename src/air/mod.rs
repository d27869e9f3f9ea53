//! Air quality: monitoring stations routed to the grid, their hourly readings imported idempotently (a
//! corrected hour replaces the old value and is recorded), each station's daily statistics by GB 3095's
//! validity rules, and the daily AQI and yearly figures of a station or an area by the standard in force on
//! each date (HJ 633-2012 before 2026-03-01, HJ 633-2026 from then).

mod api;
pub mod read;
pub mod service;
pub mod store;

pub use api::routes;
