//! Per-cell plans (一区一策) and the check-ins of the cells' people on their measures, with photos kept in the
//! incidents' object store.

use actix_web::web::Bytes;
use sha2::{Digest, Sha256};

use super::service::{self, ActivationView, PlannedMeasure, stored_status, to_json};
use super::store::{self, CheckInRow, ControlCellRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection, Db};
use crate::domain::access::Permission;
use crate::domain::control::ControlStatus;
use crate::domain::photo;
use crate::error::{ApiError, FieldError};
use crate::events::{self, CheckInFacts, Event, EventData, PlanFacts};
use crate::http::IfMatch;
use crate::incidents::Policy;
use crate::storage::Storage;

/// A cell's plan as set by a commander.
#[derive(Debug, Clone)]
pub struct PlanUpdate {
    /// An account at home in the cell's subtree; its display name is shown.
    pub responsible_id: Option<String>,
    pub responsible_name: Option<String>,
    pub responsible_phone: Option<String>,
    pub measures: Vec<PlannedMeasure>,
}

/// A check-in as the cell's people send it.
#[derive(Debug, Clone)]
pub struct CheckInDraft {
    pub measure: String,
    pub done: bool,
    pub note: Option<String>,
}

/// Sets the plan of one of an activation's cells (`If-Match`: the plan's version).
pub fn set_plan(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    cell: &str,
    update: PlanUpdate,
    if_match: IfMatch,
) -> Result<ControlCellRow, ApiError> {
    caller.require(Permission::ControlsRun)?;
    let view = service::get(conn, caller, id)?;
    let mut plan = plan_cell(&view, cell)?;
    caller.may_change(&plan.cell_path, "cell")?;
    if_match.check(plan.plan_version)?;
    if !stored_status(&view.row)?.holds_cells() {
        return Err(ApiError::Conflict(format!("the activation is {}; its plans are closed", view.row.status)));
    }
    let mut errors = Vec::new();
    service::check_measures(conn, update.measures.iter().map(|m| m.code.as_str()), "measures", &mut errors)?;
    let responsible = match &update.responsible_id {
        Some(account) => {
            let row = crate::auth::store::find_account_with_home(conn, account)?
                .filter(|(a, home)| a.active && home.as_deref().is_some_and(|h| h.starts_with(&plan.cell_path)));
            if row.is_none() {
                errors.push(FieldError::new("responsible_id", "no active account at home in this cell has this id"));
            }
            row.map(|(a, _)| a.display_name)
        }
        None => update.responsible_name.clone(),
    };
    if responsible.is_none() {
        errors.push(FieldError::new("responsible_name", "name the responsible person (or give responsible_id)"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let expected = plan.plan_version;
    plan.responsible_id = update.responsible_id;
    plan.responsible_name = responsible;
    plan.responsible_phone = update.responsible_phone;
    plan.measures = to_json(&update.measures);
    plan.plan_version += 1;
    plan.plan_updated_at = db::now();
    if !store::update_plan(conn, &plan, expected)? {
        return Err(ApiError::PreconditionFailed);
    }
    let facts = PlanFacts {
        activation_id: plan.activation_id.clone(),
        cell_code: plan.cell_code.clone(),
        measures: update.measures.into_iter().map(|m| m.code).collect(),
        responsible_name: plan.responsible_name.clone(),
        version: plan.plan_version,
    };
    let event =
        Event::new(plan.activation_id.clone(), Some(plan.cell_path.clone()), EventData::ControlPlanUpdated(facts));
    events::record_one(conn, caller, event)?;
    Ok(plan)
}

/// Records a check-in on a measure of a cell's plan while the activation is in force, by someone at work in
/// the cell (at home in it, above it, or below it), with an optional photo.
pub async fn check_in(
    db: &Db,
    storage: &Storage,
    caller: Caller,
    (id, cell): (String, String),
    draft: CheckInDraft,
    photo: Option<Bytes>,
    policy: &Policy,
) -> Result<CheckInRow, ApiError> {
    caller.require(Permission::ControlsRespond)?;
    let kind = photo.as_deref().map(crate::incidents::photos::sniffed).transpose()?;
    let (seer, activation, code, measure) = (caller.clone(), id.clone(), cell.clone(), draft.measure.clone());
    db.run(move |conn| open_plan(conn, &seer, &activation, &code, &measure).map(drop)).await?;
    let now = db::now();
    let check_in_id = db::new_id();
    let mut row = CheckInRow {
        id: check_in_id.clone(),
        activation_id: id.clone(),
        cell_code: cell,
        measure_code: draft.measure,
        done: draft.done,
        note: draft.note,
        photo_key: None,
        photo_media_type: None,
        photo_sha256: None,
        photo_taken_at: None,
        checked_by: caller.account().map(str::to_owned),
        checker_name: caller.username.clone(),
        checked_at: now,
    };
    if let (Some(bytes), Some(kind)) = (photo, kind) {
        let key = format!("controls/{id}/{check_in_id}.{}", kind.extension());
        row.photo_key = Some(key.clone());
        row.photo_media_type = Some(kind.media_type().into());
        row.photo_sha256 = Some(format!("{:x}", Sha256::digest(&bytes)));
        row.photo_taken_at = photo::read_meta(&bytes, policy.tz).taken_at.map(|t| t.naive_utc());
        storage.put(&key, bytes).await.map_err(ApiError::internal)?;
    }
    let stored = row.clone();
    let written = db
        .transaction(move |conn| {
            let plan = open_plan(conn, &caller, &stored.activation_id, &stored.cell_code, &stored.measure_code)?;
            store::insert_check_in(conn, &stored)?;
            let facts = CheckInFacts {
                activation_id: stored.activation_id.clone(),
                check_in_id: stored.id.clone(),
                cell_code: stored.cell_code.clone(),
                measure: stored.measure_code.clone(),
                done: stored.done,
                photo: stored.photo_key.is_some(),
            };
            let event =
                Event::new(stored.activation_id.clone(), Some(plan.cell_path), EventData::ControlCheckedIn(facts));
            events::record_one(conn, &caller, event)
        })
        .await;
    if let Err(e) = written {
        if let Some(key) = &row.photo_key {
            // Nothing refers to the object: remove it rather than leave it behind.
            let _ = storage.delete(key).await;
        }
        return Err(e);
    }
    Ok(row)
}

/// An activation's check-ins in the cells the caller sees (or in `cell`), oldest first.
pub fn check_ins(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    cell: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<CheckInRow>, ApiError> {
    let view = service::get(conn, caller, id)?;
    let cells: Vec<String> = view
        .cells
        .iter()
        .filter(|c| caller.scope.sees_cell(&c.cell_path) && cell.is_none_or(|code| code == c.cell_code))
        .map(|c| c.cell_code.clone())
        .collect();
    Ok(store::check_ins(conn, id, Some(&cells), after, limit)?)
}

/// A check-in's photo, for callers who see its cell.
pub async fn photo(
    db: &Db,
    storage: &Storage,
    caller: Caller,
    id: String,
    check_in: String,
) -> Result<(CheckInRow, Bytes), ApiError> {
    let row = db
        .run(move |conn| {
            let view = service::get(conn, &caller, &id)?;
            let row = store::find_check_in(conn, &id, &check_in)?.filter(|r| r.photo_key.is_some()).filter(|r| {
                view.cells.iter().any(|c| c.cell_code == r.cell_code && caller.scope.sees_cell(&c.cell_path))
            });
            row.ok_or_else(|| ApiError::NotFound("no photo here".into()))
        })
        .await?;
    let bytes = storage.get(row.photo_key.as_deref().unwrap_or_default()).await.map_err(ApiError::internal)?;
    Ok((row, bytes))
}

/// The plan a check-in goes to: the activation in force, the cell one of its own with the measure in its plan,
/// and the caller at work there.
fn open_plan(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    cell: &str,
    measure: &str,
) -> Result<ControlCellRow, ApiError> {
    let view = service::get(conn, caller, id)?;
    let plan = plan_cell(&view, cell)?;
    if !caller.scope.sees_cell(&plan.cell_path) {
        return Err(ApiError::NotFound(format!("cell {cell} is not one of the activation's cells")));
    }
    if stored_status(&view.row)? != ControlStatus::Active {
        return Err(ApiError::Conflict(format!(
            "the activation is {}; check-ins are for activations in force",
            view.row.status
        )));
    }
    if !service::plan_of(&plan)?.iter().any(|m| m.code == measure) {
        return Err(ApiError::validation(vec![FieldError::new(
            "measure",
            format!("{measure} is not in the plan of {cell}"),
        )]));
    }
    Ok(plan)
}

fn plan_cell(view: &ActivationView, cell: &str) -> Result<ControlCellRow, ApiError> {
    view.cells
        .iter()
        .find(|c| c.cell_code == cell)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("cell {cell} is not one of the activation's cells")))
}
