//! The four-level grid: cells with boundaries and responsible people, GeoJSON in and out, and the
//! point index that routes any coordinate to its cells.

mod api;
pub mod index;
pub mod live;
pub mod people;
pub mod seed;
pub mod service;
pub mod store;

pub use api::{parse_geojson, routes};
