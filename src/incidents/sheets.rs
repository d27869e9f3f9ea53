//! Prompt sheets (提示单) and supervision sheets (督办单): a commander or supervisor sends one to a cell about
//! one or more incidents there, with a deadline for the cell's written response.

use chrono::NaiveDateTime;

use super::service::{self, not_found, record_entry, stored_status};
use super::store::{self, SheetRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::domain::access::Permission;
use crate::domain::grid::CellCode;
use crate::domain::incident::SheetKind;
use crate::error::{ApiError, FieldError};
use crate::events::{self, Event, EventData, SheetFacts};
use crate::grid;
use crate::http::IfMatch;

/// A parsed new sheet.
#[derive(Debug, Clone)]
pub struct NewSheet {
    pub kind: SheetKind,
    pub cell: CellCode,
    pub incident_ids: Vec<String>,
    pub content: String,
    pub deadline_at: NaiveDateTime,
}

pub fn issue(conn: &mut AnyConnection, caller: &Caller, new: NewSheet) -> Result<SheetRow, ApiError> {
    caller.require(Permission::IncidentsManage)?;
    let now = db::now();
    if new.deadline_at <= now {
        return Err(ApiError::validation(vec![FieldError::new("deadline_at", "must be in the future")]));
    }
    grid::store::hold_cell(conn, new.cell.as_str())?;
    let cell = grid::store::find_cell(conn, new.cell.as_str())?
        .filter(|c| caller.scope.sees_cell(&c.path))
        .ok_or_else(|| ApiError::validation(vec![FieldError::new("cell", "no cell has this code")]))?;
    caller.may_change(&cell.path, "cell")?;
    for (i, id) in new.incident_ids.iter().enumerate() {
        let incident = store::find(conn, id)?.filter(|r| service::sees(caller, r));
        let inside = incident.as_ref().and_then(|r| r.cell_path.as_deref()).is_some_and(|p| p.starts_with(&cell.path));
        if !inside {
            let message = "no incident with this id lies in the sheet's cell";
            return Err(ApiError::validation(vec![FieldError::new(format!("incident_ids[{i}]"), message)]));
        }
    }
    let row = SheetRow {
        id: db::new_id(),
        kind: new.kind.as_str().into(),
        cell_code: cell.code,
        cell_path: cell.path,
        incident_ids: serde_json::to_string(&new.incident_ids).map_err(ApiError::internal)?,
        content: new.content,
        deadline_at: new.deadline_at,
        issued_by: caller.account().map(str::to_owned),
        issuer_name: caller.username.clone(),
        issued_at: now,
        response: None,
        responded_by: None,
        responder_name: None,
        responded_at: None,
        version: 1,
    };
    store::insert_sheet(conn, &row)?;
    for id in &new.incident_ids {
        let incident = store::find(conn, id)?.ok_or_else(not_found)?;
        let status = stored_status(&incident)?;
        let note = format!("{} {} issued", new.kind.as_str(), row.id);
        let data = serde_json::json!({"sheet_id": row.id, "kind": row.kind});
        record_entry(conn, caller, id, "sheet_issued", Some(status), status, Some(note), data)?;
    }
    events::record_one(conn, caller, event(&row, EventData::SheetIssued(facts(&row)?)))?;
    Ok(row)
}

/// The cell's written response; anyone who may report incidents in the cell answers for it.
pub fn respond(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    response: String,
    if_match: IfMatch,
) -> Result<SheetRow, ApiError> {
    let mut row = get(conn, caller, id)?;
    if_match.check(row.version)?;
    caller.require(Permission::IncidentsReport)?;
    caller.may_change(&row.cell_path, "sheet")?;
    if row.responded_at.is_some() {
        return Err(ApiError::Conflict("the sheet has been answered already".into()));
    }
    row.response = Some(response);
    row.responded_by = caller.account().map(str::to_owned);
    row.responder_name = Some(caller.username.clone());
    row.responded_at = Some(db::now());
    row.version += 1;
    store::update_sheet(conn, &row)?;
    events::record_one(conn, caller, event(&row, EventData::SheetResponded(facts(&row)?)))?;
    Ok(row)
}

pub fn get(conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<SheetRow, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    store::find_sheet(conn, id)?
        .filter(|r| caller.scope.covers(&r.cell_path))
        .ok_or_else(|| ApiError::NotFound("no sheet here".into()))
}

/// Sheets to cells in the caller's subtree (narrowed to `within`, a code), newest first.
pub fn list(
    conn: &mut AnyConnection,
    caller: &Caller,
    within: Option<String>,
    before: Option<String>,
    limit: i64,
) -> Result<Vec<SheetRow>, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    let within = grid::service::records_within(conn, caller, within.as_deref())?;
    Ok(store::list_sheets(conn, within.as_deref(), before.as_deref(), limit)?)
}

pub fn facts(row: &SheetRow) -> Result<SheetFacts, ApiError> {
    Ok(SheetFacts {
        id: row.id.clone(),
        kind: SheetKind::parse(&row.kind).ok_or_else(|| ApiError::internal(format!("sheet kind {}", row.kind)))?,
        cell_code: row.cell_code.clone(),
        incident_ids: serde_json::from_str(&row.incident_ids).map_err(ApiError::internal)?,
        deadline_at: row.deadline_at.and_utc(),
        responded: row.responded_at.is_some(),
    })
}

fn event(row: &SheetRow, data: EventData) -> Event {
    Event::new(row.id.clone(), Some(row.cell_path.clone()), data)
}
