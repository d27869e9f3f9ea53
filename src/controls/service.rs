//! Activation use cases: plan, change, start, change level, lift, cancel, and the schedule that starts and
//! lifts activations at their planned times. Each runs in the caller's transaction. An activation is seen by
//! callers whose part of the grid shares ground with one of its cells, and changed by commanders (and admins)
//! whose part of the grid holds all of them.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::prompts;
use super::store::{self, ActivationFilter, ActivationRow, ControlCellRow, LevelChangeRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection, Db};
use crate::domain::access::Permission;
use crate::domain::calendar::Span;
use crate::domain::control::{self, ControlAction, ControlStatus, Ladder, Level};
use crate::domain::scope::ancestor_paths;
use crate::error::{ApiError, FieldError};
use crate::events::{self, ActivationFacts, Event, EventData};
use crate::grid;
use crate::http::IfMatch;

/// One forecast day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-12-10", "aqi": 135, "primary_pollutant": "pm2_5"}))]
pub struct ForecastDay {
    /// A Beijing-time day.
    pub date: NaiveDate,
    /// The forecast daily AQI (0–500).
    #[schema(minimum = 0, maximum = 500)]
    pub aqi: u16,
    /// `so2`, `no2`, `co`, `o3`, `pm10` or `pm2_5` (`PM2.5` is understood).
    #[schema(value_type = Option<crate::domain::aqi::Pollutant>)]
    pub primary_pollutant: Option<String>,
}

/// The forecast an activation was decided on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "沈阳市环境监测中心站", "note": "会商：静稳天气持续，PM2.5累积",
    "days": [{"date": "2026-12-10", "aqi": 135, "primary_pollutant": "pm2_5"}]}))]
pub struct Forecast {
    /// Who forecast it (the monitoring centre, the provincial platform…), 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub source: String,
    /// The consultation note (会商意见).
    pub note: Option<String>,
    /// Daily forecasts, one per date.
    pub days: Vec<ForecastDay>,
}

/// A measure in a cell's plan, with what it means there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "stop_earthworks", "detail": "浑南新区12个在建工地停止土石方作业"}))]
pub struct PlannedMeasure {
    /// A catalogue code.
    pub code: String,
    pub detail: Option<String>,
}

/// Why a new incident's deadline is tighter than its category's: the activation over its cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tightening {
    pub activation_id: String,
    pub title: String,
    pub level: String,
    pub level_name: String,
    pub deadline: Span,
    /// In words, e.g. "2 h under special control 重污染橙色预警 (橙色预警): measure ban_open_burning".
    pub reason: String,
}

/// A parsed new activation.
#[derive(Debug, Clone)]
pub struct NewActivation {
    pub title: String,
    pub reason: String,
    pub level: String,
    pub forecast: Forecast,
    /// `None`: the caller's part of the grid (every top-level cell for a caller without a home cell).
    pub cells: Option<Vec<String>>,
    /// `None`: the level's measures.
    pub measures: Option<Vec<String>>,
    pub planned_start: NaiveDateTime,
    pub planned_end: Option<NaiveDateTime>,
}

/// A parsed change of an activation's description or planned times (`None` keeps a field).
#[derive(Debug, Clone, Default)]
pub struct ActivationEdit {
    pub title: Option<String>,
    pub reason: Option<String>,
    pub forecast: Option<Forecast>,
    pub planned_start: Option<NaiveDateTime>,
    pub planned_end: Option<Option<NaiveDateTime>>,
}

/// What a lifecycle action carries.
#[derive(Debug, Clone, Default)]
pub struct ActRequest {
    /// When it happened, if earlier than now (an order given by phone, recorded later).
    pub at: Option<NaiveDateTime>,
    pub note: Option<String>,
    /// The new level (`change_level`).
    pub level: Option<String>,
}

/// An activation with its cells (and their plans) and level history.
#[derive(Debug, Clone)]
pub struct ActivationView {
    pub row: ActivationRow,
    pub cells: Vec<ControlCellRow>,
    pub levels: Vec<LevelChangeRow>,
}

/// The catalogue of measures.
pub fn measures(conn: &mut AnyConnection, caller: &Caller) -> Result<Vec<store::MeasureRow>, ApiError> {
    caller.require(Permission::ControlsRead)?;
    Ok(store::list_measures(conn)?)
}

/// Adds a measure (code, Chinese and English names, targeted incident categories) to the catalogue.
pub fn create_measure(
    conn: &mut AnyConnection,
    caller: &Caller,
    (code, name_zh, name_en, categories): (String, String, String, Vec<String>),
) -> Result<store::MeasureRow, ApiError> {
    caller.require(Permission::ControlsRun)?;
    let mut errors = Vec::new();
    for (i, category) in categories.iter().enumerate() {
        if crate::incidents::store::find_category(conn, category)?.is_none() {
            errors.push(FieldError::new(format!("categories[{i}]"), format!("{category} is no incident category")));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if store::find_measure(conn, &code)?.is_some() {
        return Err(ApiError::Conflict(format!("measure {code} exists")));
    }
    let row = store::MeasureRow {
        code,
        name_zh,
        name_en,
        categories: to_json(&categories),
        active: true,
        created_at: db::now(),
    };
    store::insert_measure(conn, &row)?;
    let facts = events::MeasureFacts { code: row.code.clone(), name_zh: row.name_zh.clone(), categories };
    events::record_one(conn, caller, Event::new(row.code.clone(), None, EventData::ControlMeasureCreated(facts)))?;
    Ok(row)
}

/// Plans an activation.
pub fn create(
    conn: &mut AnyConnection,
    caller: &Caller,
    ladder: &Ladder,
    today: NaiveDate,
    new: NewActivation,
) -> Result<ActivationView, ApiError> {
    caller.require(Permission::ControlsRun)?;
    let mut errors = Vec::new();
    let level = level_of(ladder, &new.level, "level", &mut errors);
    check_window(new.planned_start, new.planned_end, "planned_end", &mut errors);
    if new.planned_start < earliest() {
        errors.push(FieldError::new("planned_start", "must not be before 2000"));
    }
    let measures = match &new.measures {
        Some(codes) => codes.clone(),
        None => level.map(|l| l.measures.clone()).unwrap_or_default(),
    };
    check_measures(conn, measures.iter().map(String::as_str), "measures", &mut errors)?;
    if new.cells.as_ref().is_some_and(Vec::is_empty) {
        errors.push(FieldError::new("cells", "must name at least one cell (leave it out for the whole city)"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let cells = scope_cells(conn, caller, new.cells.as_deref())?;
    store::lock_controls(conn)?;
    let window = (new.planned_start.and_utc(), new.planned_end.map(|e| e.and_utc()));
    let paths: Vec<(String, String)> = cells.iter().map(|c| (c.code.clone(), c.path.clone())).collect();
    check_free(conn, None, &paths, window)?;
    let now = db::now();
    let id = db::new_id();
    let plan: Vec<PlannedMeasure> = measures.into_iter().map(|code| PlannedMeasure { code, detail: None }).collect();
    let mut rows = Vec::with_capacity(cells.len());
    for cell in &cells {
        let people = grid::store::people_of(conn, &cell.code, Some(today))?;
        let chief = people.iter().find(|p| p.role == "grid_chief").or(people.first()).cloned();
        rows.push(ControlCellRow {
            activation_id: id.clone(),
            cell_code: cell.code.clone(),
            cell_path: cell.path.clone(),
            cell_name: cell.name.clone(),
            responsible_id: chief.as_ref().and_then(|p| p.account_id.clone()),
            responsible_name: chief.as_ref().map(|p| p.name.clone()),
            responsible_phone: chief.and_then(|p| p.phone),
            measures: to_json(&plan),
            plan_version: 1,
            plan_updated_at: now,
        });
    }
    let row = ActivationRow {
        id: id.clone(),
        title: new.title,
        reason: new.reason,
        level_code: new.level.clone(),
        forecast: to_json(&new.forecast),
        status: ControlStatus::Planned.as_str().into(),
        planned_start: new.planned_start,
        planned_end: new.planned_end,
        actual_start: None,
        actual_end: None,
        scope_path: common_path(cells.iter().map(|c| c.path.as_str())),
        created_by: caller.username.clone(),
        created_at: now,
        version: 1,
        updated_at: now,
    };
    store::insert_activation(conn, &row, &rows)?;
    let first = LevelChangeRow {
        activation_id: id,
        seq: 1,
        from_level: None,
        to_level: new.level,
        note: None,
        changed_by: caller.username.clone(),
        changed_at: now,
    };
    store::insert_level_change(conn, &first)?;
    let view = ActivationView { row, cells: rows, levels: vec![first] };
    announce(conn, caller, &view, None, EventData::ControlPlanned)?;
    Ok(view)
}

/// An activation the caller may see, with the cells (and plans) in its sight.
pub fn get(conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<ActivationView, ApiError> {
    let mut view = load(conn, caller, id)?;
    view.cells.retain(|c| caller.scope.sees_cell(&c.cell_path));
    Ok(view)
}

/// An activation with every cell, for a caller who sees at least one of them; 404 otherwise.
fn load(conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<ActivationView, ApiError> {
    caller.require(Permission::ControlsRead)?;
    let row = store::find_activation(conn, id)?.ok_or_else(not_found)?;
    let cells = store::cells_of(conn, id)?;
    if !cells.iter().any(|c| caller.scope.sees_cell(&c.cell_path)) {
        return Err(not_found());
    }
    let levels = store::level_changes(conn, id)?;
    Ok(ActivationView { row, cells, levels })
}

/// What a list is narrowed to, as the caller asked.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub status: Option<ControlStatus>,
    pub cell: Option<String>,
    /// In force (or planned to be) on some day in this range of Beijing days.
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// Activations the caller may see, newest first.
pub fn list(
    conn: &mut AnyConnection,
    caller: &Caller,
    request: ListRequest,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<ActivationView>, ApiError> {
    caller.require(Permission::ControlsRead)?;
    let touching = grid::service::records_within(conn, caller, request.cell.as_deref())?.map(|path| {
        let ancestors = ancestor_paths(&path);
        (path, ancestors)
    });
    let filter = ActivationFilter {
        status: request.status.map(|s| s.as_str().to_owned()),
        touching,
        starts_before: request.to,
        ends_after: request.from,
        started_within: None,
    };
    let rows = store::list_activations(conn, &filter, after, limit)?;
    rows.into_iter().map(|row| seen(conn, caller, row)).collect()
}

/// A listed activation as the caller sees it: with the cells in its sight and the level history.
pub(super) fn seen(conn: &mut AnyConnection, caller: &Caller, row: ActivationRow) -> Result<ActivationView, ApiError> {
    let mut cells = store::cells_of(conn, &row.id)?;
    cells.retain(|c| caller.scope.sees_cell(&c.cell_path));
    let levels = store::level_changes(conn, &row.id)?;
    Ok(ActivationView { row, cells, levels })
}

/// Changes an activation's description or planned times.
pub fn edit(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    edit: ActivationEdit,
    if_match: IfMatch,
) -> Result<ActivationView, ApiError> {
    let mut view = changeable(conn, caller, id, &if_match)?;
    let status = stored_status(&view.row)?;
    if status.after(ControlAction::Edit).is_none() {
        return Err(wrong_state(status, ControlAction::Edit));
    }
    let row = &mut view.row;
    let mut errors = Vec::new();
    if let Some(start) = edit.planned_start {
        if status != ControlStatus::Planned {
            errors.push(FieldError::new("planned_start", "can change only before the activation starts"));
        }
        if start < earliest() {
            errors.push(FieldError::new("planned_start", "must not be before 2000"));
        }
        row.planned_start = start;
    }
    if let Some(end) = edit.planned_end {
        row.planned_end = end;
    }
    check_window(row.actual_start.unwrap_or(row.planned_start), row.planned_end, "planned_end", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if edit.planned_start.is_some() || edit.planned_end.is_some() {
        store::lock_controls(conn)?;
        check_free(conn, Some(&row.id), &scope_of(&view.cells), window_of(row))?;
    }
    let row = &mut view.row;
    if let Some(title) = edit.title {
        row.title = title;
    }
    if let Some(reason) = edit.reason {
        row.reason = reason;
    }
    if let Some(forecast) = edit.forecast {
        row.forecast = to_json(&forecast);
    }
    save(conn, row)?;
    announce(conn, caller, &view, None, EventData::ControlUpdated)?;
    Ok(view)
}

/// Takes a lifecycle step by hand: start, change level, lift or cancel.
pub fn act(
    conn: &mut AnyConnection,
    caller: &Caller,
    ladder: &Ladder,
    id: &str,
    action: ControlAction,
    request: ActRequest,
    if_match: IfMatch,
) -> Result<ActivationView, ApiError> {
    let mut view = changeable(conn, caller, id, &if_match)?;
    let now = db::now();
    let at = request.at.unwrap_or(now);
    if at > now + chrono::Duration::minutes(1) {
        return Err(ApiError::validation(vec![FieldError::new("at", "must not be in the future")]));
    }
    step(conn, caller, ladder, &mut view, action, at, request)?;
    Ok(view)
}

/// One lifecycle step on a loaded activation, by hand or by the schedule: the activation is saved first
/// (a conditional update: of two concurrent steps one wins, the other answers 412), then what follows from
/// the step (level history, prompts) and its event.
fn step(
    conn: &mut AnyConnection,
    caller: &Caller,
    ladder: &Ladder,
    view: &mut ActivationView,
    action: ControlAction,
    at: NaiveDateTime,
    request: ActRequest,
) -> Result<(), ApiError> {
    let status = stored_status(&view.row)?;
    let after = status.after(action).ok_or_else(|| wrong_state(status, action))?;
    let refuse = |message: &str| Err(ApiError::validation(vec![FieldError::new("at", message)]));
    let mut change = None;
    match action {
        ControlAction::Start => {
            if view.row.planned_end.is_some_and(|end| at >= end) {
                return refuse("must be before the planned end (change or clear planned_end first)");
            }
            if at < earliest() {
                return refuse("must not be before 2000");
            }
            store::lock_controls(conn)?;
            let window = (at.and_utc(), view.row.planned_end.map(|e| e.and_utc()));
            check_free(conn, Some(&view.row.id), &scope_of(&view.cells), window)?;
            view.row.actual_start = Some(at);
        }
        ControlAction::Lift => {
            if view.row.actual_start.is_some_and(|start| at < start) {
                return refuse("must not be before the start");
            }
            view.row.actual_end = Some(at);
        }
        ControlAction::Cancel => {}
        ControlAction::ChangeLevel => {
            let mut errors = Vec::new();
            let code = request.level.clone().unwrap_or_default();
            if request.level.is_none() {
                errors.push(FieldError::new("level", "is required"));
            } else if code == view.row.level_code {
                errors.push(FieldError::new("level", "is the activation's level already"));
            }
            level_of(ladder, &code, "level", &mut errors);
            // Not before the start, nor before an earlier change (the first entry is the planned level).
            let floor = view.levels.iter().skip(1).map(|l| l.changed_at).chain(view.row.actual_start).max();
            if floor.is_some_and(|floor| at < floor) {
                errors.push(FieldError::new("at", "must not be before the start or the previous level change"));
            }
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            change = Some(LevelChangeRow {
                activation_id: view.row.id.clone(),
                seq: view.levels.last().map_or(0, |l| l.seq) + 1,
                from_level: Some(std::mem::replace(&mut view.row.level_code, code.clone())),
                to_level: code,
                note: request.note.clone(),
                changed_by: caller.username.clone(),
                changed_at: at,
            });
        }
        ControlAction::Edit => return Err(wrong_state(status, action)),
    }
    view.row.status = after.as_str().into();
    save(conn, &mut view.row)?;

    let now = db::now();
    let previous_level = change.as_ref().and_then(|c| c.from_level.clone());
    if let Some(change) = change {
        store::insert_level_change(conn, &change)?;
        view.levels.push(change);
    }
    let seq = view.levels.last().map_or(1, |l| l.seq);
    match action {
        ControlAction::Start => prompts::issue(conn, view, stored_level(ladder, &view.row)?, seq, now)?,
        ControlAction::ChangeLevel if status == ControlStatus::Active => {
            store::supersede_prompts(conn, &view.row.id, now)?;
            prompts::issue(conn, view, stored_level(ladder, &view.row)?, seq, now)?;
        }
        ControlAction::Lift => store::supersede_prompts(conn, &view.row.id, now)?,
        _ => {}
    }
    let kind = match action {
        ControlAction::Start => EventData::ControlStarted,
        ControlAction::Lift => EventData::ControlLifted,
        ControlAction::Cancel => EventData::ControlCancelled,
        _ => EventData::ControlLevelChanged,
    };
    announce(conn, caller, view, previous_level, kind)
}

/// The earliest time an activation may be dated to.
fn earliest() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default()
}

/// Starts the planned activations whose start has come and lifts the active ones whose planned end has,
/// at their planned times (a lift never before the start). Any instance may run it: each step is a
/// conditional update, so one wins and the others find nothing to do. An activation whose step fails (another
/// holds its cells then) is logged and left as it is; the others go on. How many steps were taken.
pub async fn apply_schedule(db: &Db, ladder: std::sync::Arc<Ladder>) -> Result<usize, ApiError> {
    let due = db.run(|conn| Ok(store::due(conn, db::now())?)).await?;
    let mut taken = 0;
    for row in due {
        let ladder = ladder.clone();
        let id = row.id.clone();
        let result = db
            .transaction(move |conn| {
                let system = Caller::system();
                let mut taken = 0;
                loop {
                    let Some(row) = store::find_activation(conn, &id)? else { return Ok(taken) };
                    let now = db::now();
                    let (action, at) = match (stored_status(&row)?, row.planned_end) {
                        (ControlStatus::Planned, _) if row.planned_start <= now => {
                            (ControlAction::Start, row.planned_start)
                        }
                        (ControlStatus::Active, Some(end)) if end <= now => {
                            (ControlAction::Lift, row.actual_start.map_or(end, |start| start.max(end)))
                        }
                        _ => return Ok(taken),
                    };
                    let mut view = ActivationView {
                        cells: store::cells_of(conn, &id)?,
                        levels: store::level_changes(conn, &id)?,
                        row,
                    };
                    let note = Some("at the planned time".to_owned());
                    step(conn, &system, &ladder, &mut view, action, at, ActRequest { note, ..Default::default() })?;
                    taken += 1;
                }
            })
            .await;
        match result {
            Ok(n) => taken += n,
            // Another instance took the step first.
            Err(ApiError::PreconditionFailed) => {}
            Err(e) => {
                tracing::warn!(activation = %row.id, problem = %e, "a scheduled activation step could not be taken");
            }
        }
    }
    Ok(taken)
}

/// The deadline special control sets for a new incident of `category` in the cell at `path`: from the
/// active activation over the cell (overlaps are refused, so there is at most one) when its plan there
/// targets the category and its level has a deadline for it.
pub fn tightening(
    conn: &mut AnyConnection,
    ladder: &Ladder,
    path: &str,
    category: &str,
) -> Result<Option<Tightening>, ApiError> {
    let mut paths = ancestor_paths(path);
    paths.push(path.to_owned());
    let Some((activation, cell)) = store::active_over(conn, &paths)?.into_iter().next() else { return Ok(None) };
    let Some(level) = ladder.get(&activation.level_code) else { return Ok(None) };
    let Some(deadline) = level.deadline_for(category) else { return Ok(None) };
    let catalogue = store::list_measures(conn)?;
    let targeting = plan_of(&cell)?
        .into_iter()
        .find(|m| catalogue.iter().any(|c| c.code == m.code && measure_targets(c, category)));
    Ok(targeting.map(|measure| Tightening {
        reason: format!(
            "{deadline} under special control {} ({}): measure {}",
            activation.title, level.name_zh, measure.code
        ),
        activation_id: activation.id,
        title: activation.title,
        level: level.code.clone(),
        level_name: level.name_zh.clone(),
        deadline,
    }))
}

/// Whether a catalogue measure targets an incident category (or its parent category).
fn measure_targets(measure: &store::MeasureRow, category: &str) -> bool {
    let targets: Vec<String> = serde_json::from_str(&measure.categories).unwrap_or_default();
    let parent = category.split_once('.').map(|(p, _)| p);
    targets.iter().any(|t| t == category || Some(t.as_str()) == parent)
}

/// An activation the caller may change, at the version `If-Match` names.
fn changeable(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    if_match: &IfMatch,
) -> Result<ActivationView, ApiError> {
    caller.require(Permission::ControlsRun)?;
    let view = load(conn, caller, id)?;
    if let Some(cell) = view.cells.iter().find(|c| !caller.scope.covers(&c.cell_path)) {
        return Err(ApiError::Forbidden(format!(
            "cell {} of the activation is outside your part of the grid",
            cell.cell_code
        )));
    }
    if_match.check(view.row.version)?;
    Ok(view)
}

/// Saves a changed activation; 412 when a concurrent change won.
fn save(conn: &mut AnyConnection, row: &mut ActivationRow) -> Result<(), ApiError> {
    let expected = row.version;
    row.version += 1;
    row.updated_at = db::now();
    if store::update_activation(conn, row, expected)? { Ok(()) } else { Err(ApiError::PreconditionFailed) }
}

/// The scope cells: those named (current, in the caller's part of the grid, none inside another), or the
/// caller's home cell, or every top-level cell for a caller without one.
fn scope_cells(
    conn: &mut AnyConnection,
    caller: &Caller,
    named: Option<&[String]>,
) -> Result<Vec<grid::store::CellRow>, ApiError> {
    let cells = match (named, &caller.home) {
        (Some(codes), _) => {
            let mut cells = Vec::with_capacity(codes.len());
            for (i, code) in codes.iter().enumerate() {
                cells.push(grid::service::target_cell(conn, caller, code, &format!("cells[{i}]"))?);
            }
            cells
        }
        (None, Some(home)) => vec![grid::service::target_cell(conn, caller, &home.code, "cells")?],
        (None, None) => grid::store::top_level_cells(conn)?,
    };
    if cells.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new("cells", "the grid has no cells yet")]));
    }
    let mut errors = Vec::new();
    for (i, a) in cells.iter().enumerate() {
        if let Some(b) = cells.iter().enumerate().find(|(j, b)| *j != i && a.path.starts_with(&b.path)).map(|(_, b)| b)
        {
            errors.push(FieldError::new(format!("cells[{i}]"), format!("lies within {} (or is named twice)", b.code)));
        }
    }
    if errors.is_empty() { Ok(cells) } else { Err(ApiError::validation(errors)) }
}

/// 409 when another planned or active activation holds one of the cells during the window.
fn check_free(
    conn: &mut AnyConnection,
    this: Option<&str>,
    paths: &[(String, String)],
    window: control::Window,
) -> Result<(), ApiError> {
    for (other, cell) in store::holding(conn)? {
        if Some(other.id.as_str()) == this || !control::windows_overlap(window, window_of(&other)) {
            continue;
        }
        if let Some((code, _)) = paths.iter().find(|(_, path)| control::cells_overlap(path, &cell.cell_path)) {
            let until = other.planned_end.map_or("until lifted".to_owned(), |e| format!("to {}", e.and_utc()));
            return Err(ApiError::InvalidState {
                slug: "control-overlap",
                title: "Another activation holds these cells at that time",
                detail: format!(
                    "activation {} ({}, {}) holds {} from {} {until}, which shares ground with {code}",
                    other.id,
                    other.title,
                    other.status,
                    cell.cell_code,
                    other.actual_start.unwrap_or(other.planned_start).and_utc(),
                ),
                errors: vec![FieldError::new("cells", format!("{code} is held by activation {}", other.id))],
            });
        }
    }
    Ok(())
}

/// When an activation holds its cells: from its (actual, else planned) start to its actual or planned end.
fn window_of(row: &ActivationRow) -> control::Window {
    let start = row.actual_start.unwrap_or(row.planned_start).and_utc();
    (start, row.actual_end.or(row.planned_end).map(|e| e.and_utc()))
}

fn scope_of(cells: &[ControlCellRow]) -> Vec<(String, String)> {
    cells.iter().map(|c| (c.cell_code.clone(), c.cell_path.clone())).collect()
}

fn check_window(start: NaiveDateTime, end: Option<NaiveDateTime>, field: &str, errors: &mut Vec<FieldError>) {
    if end.is_some_and(|end| end <= start) {
        errors.push(FieldError::new(field, "must be after the start"));
    }
}

fn level_of<'l>(ladder: &'l Ladder, code: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<&'l Level> {
    let level = ladder.get(code);
    if level.is_none() {
        errors
            .push(FieldError::new(field, format!("must be one of the ladder's levels: {}", ladder.codes().join(", "))));
    }
    level
}

/// Every code must be an active measure of the catalogue.
pub(super) fn check_measures<'c>(
    conn: &mut AnyConnection,
    codes: impl Iterator<Item = &'c str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    let mut seen = BTreeSet::new();
    for (i, code) in codes.enumerate() {
        if !store::find_measure(conn, code)?.is_some_and(|m| m.active) {
            errors.push(FieldError::new(format!("{field}[{i}]"), format!("{code} is no measure of the catalogue")));
        } else if !seen.insert(code) {
            errors.push(FieldError::new(format!("{field}[{i}]"), format!("{code} is named twice")));
        }
    }
    Ok(())
}

/// The longest path every one of `paths` starts with, cut at a cell boundary.
fn common_path<'p>(mut paths: impl Iterator<Item = &'p str>) -> String {
    let Some(first) = paths.next() else { return String::new() };
    let mut common = first.to_owned();
    for path in paths {
        while !path.starts_with(&common) {
            common.pop();
            while !common.is_empty() && !common.ends_with('/') {
                common.pop();
            }
        }
    }
    common
}

pub fn stored_status(row: &ActivationRow) -> Result<ControlStatus, ApiError> {
    ControlStatus::parse(&row.status)
        .ok_or_else(|| ApiError::internal(format!("stored activation status {:?}", row.status)))
}

fn stored_level<'l>(ladder: &'l Ladder, row: &ActivationRow) -> Result<&'l Level, ApiError> {
    ladder.get(&row.level_code).ok_or_else(|| {
        ApiError::internal(format!(
            "activation {} is at level {}, which the ladder no longer has",
            row.id, row.level_code
        ))
    })
}

pub fn plan_of(cell: &ControlCellRow) -> Result<Vec<PlannedMeasure>, ApiError> {
    serde_json::from_str(&cell.measures).map_err(|e| ApiError::internal(format!("plan of {}: {e}", cell.cell_code)))
}

pub fn forecast_of(row: &ActivationRow) -> Result<Forecast, ApiError> {
    serde_json::from_str(&row.forecast).map_err(|e| ApiError::internal(format!("activation {} forecast: {e}", row.id)))
}

fn wrong_state(status: ControlStatus, action: ControlAction) -> ApiError {
    let allowed = status.allowed();
    let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
    ApiError::InvalidState {
        slug: "invalid-transition",
        title: "The action is not allowed in the activation's current status",
        detail: format!(
            "the activation is {}; {} is not allowed (allowed: {})",
            status.as_str(),
            action.as_str(),
            if names.is_empty() { "nothing".to_owned() } else { names.join(", ") }
        ),
        errors: names.iter().map(|a| FieldError::new("action", format!("{a} is allowed now"))).collect(),
    }
}

pub(super) fn not_found() -> ApiError {
    ApiError::NotFound("no activation here".into())
}

pub(super) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// Records an activation event, seen from the lowest cell holding all its cells.
fn announce(
    conn: &mut AnyConnection,
    caller: &Caller,
    view: &ActivationView,
    previous_level: Option<String>,
    kind: fn(ActivationFacts) -> EventData,
) -> Result<(), ApiError> {
    let row = &view.row;
    let facts = ActivationFacts {
        id: row.id.clone(),
        title: row.title.clone(),
        status: stored_status(row)?,
        level: row.level_code.clone(),
        previous_level,
        cell_codes: view.cells.iter().map(|c| c.cell_code.clone()).collect(),
        planned_start: row.planned_start.and_utc(),
        planned_end: row.planned_end.map(|t| t.and_utc()),
        actual_start: row.actual_start.map(|t| t.and_utc()),
        actual_end: row.actual_end.map(|t| t.and_utc()),
        version: row.version,
    };
    let path = (!row.scope_path.is_empty()).then(|| row.scope_path.clone());
    events::record_one(conn, caller, Event::new(row.id.clone(), path, kind(facts)))
}

#[cfg(test)]
mod tests {
    use super::common_path;

    #[test]
    fn the_common_path_stops_at_a_cell() {
        assert_eq!(common_path(["C/D1/", "C/D2/"].into_iter()), "C/");
        assert_eq!(common_path(["C/D1/S1/", "C/D1/S2/"].into_iter()), "C/D1/");
        assert_eq!(common_path(["C/D1/", "C/D10/"].into_iter()), "C/");
        assert_eq!(common_path(["C/D1/"].into_iter()), "C/D1/");
        assert_eq!(common_path(["A/", "B/"].into_iter()), "");
    }
}
