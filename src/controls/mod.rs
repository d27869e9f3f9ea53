//! Special-control activations (特别管控) for heavy-pollution episodes: planned on a forecast at a level of
//! the city's ladder over a set of cells, started and lifted at their planned times (or by hand), changed in
//! level along the way; each cell with its plan of measures (一区一策) and its people's check-ins; prompts
//! to the grid (分类提示) and their acknowledgements; tightened deadlines for new incidents under control;
//! and the outcome: days under control, and forecast light-pollution days pulled back to good (轻污拉良).

mod api;
pub mod outcome;
pub mod plans;
pub mod prompts;
pub mod service;
pub mod store;

pub use api::routes;

use crate::config::Settings;
use crate::db::BoxError;
use crate::domain::control::Ladder;

/// The built-in ladder, or the configured file's.
pub fn load_ladder(s: &Settings) -> Result<Ladder, BoxError> {
    let Some(path) = &s.control_ladder_file else { return Ok(Ladder::builtin()) };
    let bad = |e: String| format!("control_ladder_file {}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    Ok(Ladder::from_json(&text).map_err(bad)?)
}
