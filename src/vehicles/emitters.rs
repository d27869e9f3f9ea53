//! High-emitting vehicles for joint enforcement with the police: vehicles failing often in a period (or twice
//! in remote sensing), and what was done about each: a notice, a fine, a passed re-test.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::{self, InspectionFilter};
use crate::auth::Caller;
use crate::db::schema::{vehicle_enforcement_actions, vehicle_inspections};
use crate::db::{self, AnyConnection};
use crate::domain::access::Permission;
use crate::domain::vehicle::{Outcome, TestMethod};
use crate::error::{ApiError, FieldError};
use crate::events::{self, Event, EventData, VehicleEnforcement};
use crate::grid;

/// What was done about a vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// A rectification notice to the owner (整改通知).
    Notice,
    /// A fine by the police (处罚).
    Fine,
    /// The vehicle passed a re-test after repair (复检合格).
    PassedRetest,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = vehicle_enforcement_actions)]
pub struct ActionRow {
    pub id: String,
    pub plate: String,
    pub action: String,
    pub note: Option<String>,
    pub inspection_id: Option<String>,
    pub acted_at: NaiveDateTime,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

/// An enforcement action as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnforcementAction {
    pub id: String,
    #[schema(example = "辽A12345")]
    pub plate: String,
    pub action: ActionKind,
    pub note: Option<String>,
    /// The inspection it answers, if any.
    pub inspection_id: Option<String>,
    pub acted_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
}

impl EnforcementAction {
    fn of(row: ActionRow) -> Result<Self, ApiError> {
        let action = serde_json::from_value(serde_json::Value::String(row.action.clone()))
            .map_err(|_| ApiError::internal(format!("stored enforcement action {}", row.action)))?;
        Ok(Self {
            id: row.id,
            plate: row.plate,
            action,
            note: row.note,
            inspection_id: row.inspection_id,
            acted_at: row.acted_at.and_utc(),
            recorded_by: row.recorded_by,
        })
    }
}

/// A vehicle that qualifies for joint enforcement, with what was done about it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HighEmitter {
    #[schema(example = "辽A12345")]
    pub plate: String,
    /// Failed tests in the period.
    pub failures: u64,
    /// Of them, remote-sensing failures on the road.
    pub remote_sensing_failures: u64,
    /// All its tests in the period.
    pub inspections: u64,
    pub last_failed_at: DateTime<Utc>,
    /// Whether a test after its last failure passed.
    pub passed_since: bool,
    /// Enforcement actions recorded for the plate, oldest first.
    pub actions: Vec<EnforcementAction>,
}

/// Vehicles in the caller's part of the grid (or `cell`'s subtree) failing at least `min_failures` times in
/// the period, or twice in remote sensing; most failures first.
pub fn high_emitters(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
    mut filter: InspectionFilter,
    min_failures: u64,
) -> Result<Vec<HighEmitter>, ApiError> {
    caller.require(Permission::VehiclesRead)?;
    filter.within = grid::service::records_within(conn, caller, cell)?;
    let mut by_plate: BTreeMap<String, HighEmitter> = BTreeMap::new();
    for (plate, at, method, _, _, _, result) in store::facts(conn, &filter)? {
        let at = at.and_utc();
        let entry = by_plate.entry(plate.clone()).or_insert_with(|| HighEmitter {
            plate,
            failures: 0,
            remote_sensing_failures: 0,
            inspections: 0,
            last_failed_at: at,
            passed_since: false,
            actions: Vec::new(),
        });
        entry.inspections += 1;
        match Outcome::parse(&result) {
            Some(Outcome::Fail) => {
                entry.failures += 1;
                entry.remote_sensing_failures +=
                    u64::from(TestMethod::parse(&method) == Some(TestMethod::RemoteSensing));
                entry.last_failed_at = at;
                entry.passed_since = false;
            }
            Some(Outcome::Pass) if entry.failures > 0 => entry.passed_since = true,
            _ => {}
        }
    }
    let mut found: Vec<HighEmitter> =
        by_plate.into_values().filter(|v| v.failures >= min_failures || v.remote_sensing_failures >= 2).collect();
    let plates: Vec<&str> = found.iter().map(|v| v.plate.as_str()).collect();
    let mut actions: HashMap<String, Vec<EnforcementAction>> = HashMap::new();
    for chunk in plates.chunks(500) {
        let rows: Vec<ActionRow> = vehicle_enforcement_actions::table
            .filter(vehicle_enforcement_actions::plate.eq_any(chunk))
            .order((vehicle_enforcement_actions::acted_at.asc(), vehicle_enforcement_actions::id.asc()))
            .select(ActionRow::as_select())
            .load(conn)?;
        for row in rows {
            actions.entry(row.plate.clone()).or_default().push(EnforcementAction::of(row)?);
        }
    }
    for vehicle in &mut found {
        vehicle.actions = actions.remove(&vehicle.plate).unwrap_or_default();
    }
    found.sort_by(|a, b| b.failures.cmp(&a.failures).then_with(|| a.plate.cmp(&b.plate)));
    Ok(found)
}

/// A new enforcement action.
pub struct NewAction {
    pub plate: String,
    pub action: ActionKind,
    pub note: Option<String>,
    pub inspection_id: Option<String>,
    pub acted_at: DateTime<Utc>,
}

/// Records an action on a vehicle the caller sees inspections of (404 otherwise), with its event.
pub fn record(conn: &mut AnyConnection, caller: &Caller, new: NewAction) -> Result<EnforcementAction, ApiError> {
    caller.require(Permission::VehiclesEnforce)?;
    let within = grid::service::records_within(conn, caller, None)?;
    let mut seen = vehicle_inspections::table.filter(vehicle_inspections::plate.eq(new.plate.clone())).into_boxed();
    if let Some(path) = &within {
        let (start, end) = crate::domain::scope::subtree_range(path);
        seen = seen.filter(vehicle_inspections::cell_path.ge(start).and(vehicle_inspections::cell_path.lt(end)));
    }
    let ids: Vec<String> = seen.select(vehicle_inspections::id).load(conn)?;
    if ids.is_empty() {
        return Err(ApiError::NotFound("no inspections of this vehicle in your part of the grid".into()));
    }
    if let Some(id) = &new.inspection_id
        && !ids.contains(id)
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "inspection_id",
            "is not an inspection of this vehicle",
        )]));
    }
    let action = serde_json::to_value(new.action).map_err(ApiError::internal)?;
    let row = ActionRow {
        id: db::new_id(),
        plate: new.plate,
        action: action.as_str().unwrap_or_default().to_owned(),
        note: new.note,
        inspection_id: new.inspection_id,
        acted_at: new.acted_at.naive_utc(),
        recorded_by: caller.username.clone(),
        created_at: db::now(),
    };
    diesel::insert_into(vehicle_enforcement_actions::table).values(&row).execute(conn)?;
    let facts = VehicleEnforcement { plate: row.plate.clone(), action: row.action.clone(), action_id: row.id.clone() };
    events::record_one(
        conn,
        caller,
        Event::new(row.plate.clone(), within, EventData::VehicleEnforcementRecorded(facts)),
    )?;
    EnforcementAction::of(row)
}
