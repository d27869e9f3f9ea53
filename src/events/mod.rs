//! The event log: every change appends an event in the transaction that makes it, so nothing is announced
//! that did not commit and nothing that committed goes unannounced. It is the audit trail ("who changed
//! what, when") and the change feed (`GET /api/v1/events`) that command platforms follow by cursor.

mod api;
pub mod store;
mod types;

pub use api::routes;
pub use types::*;

use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::error::ApiError;
use store::NewEventRow;

/// One change to record: what happened, to what, and where in the grid.
#[derive(Debug, Clone)]
pub struct Event {
    /// Id or code of the thing that changed.
    pub subject: String,
    /// Path of the cell the change concerns; `None` for changes outside the grid (unscoped accounts).
    pub cell_path: Option<String>,
    pub data: EventData,
}

impl Event {
    pub fn new(subject: impl Into<String>, cell_path: Option<String>, data: EventData) -> Self {
        Self { subject: subject.into(), cell_path, data }
    }
}

/// Appends events by `actor`; call it inside the transaction that makes the changes.
pub fn record(conn: &mut AnyConnection, actor: &Caller, events: Vec<Event>) -> Result<(), ApiError> {
    let now = db::now();
    let rows = events
        .into_iter()
        .map(|e| {
            let mut json = serde_json::to_value(&e.data).map_err(ApiError::internal)?;
            let kind = json["type"].as_str().unwrap_or_default().to_owned();
            Ok(NewEventRow {
                id: db::new_id(),
                kind,
                subject: e.subject,
                cell_path: e.cell_path,
                actor_id: actor.account().map(str::to_owned),
                actor_name: Some(actor.username.clone()),
                data: json["data"].take().to_string(),
                occurred_at: now,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(store::append(conn, &rows)?)
}

/// Records one event.
pub fn record_one(conn: &mut AnyConnection, actor: &Caller, event: Event) -> Result<(), ApiError> {
    record(conn, actor, vec![event])
}
