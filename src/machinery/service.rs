//! Registering machines, reading them and counting them.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::schema::nonroad_machines;
use crate::db::{self, AnyConnection, Db};
use crate::domain::access::Permission;
use crate::domain::scope::subtree_range;
use crate::error::ApiError;
use crate::grid;
use crate::grid::live::LiveIndex;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = nonroad_machines)]
pub struct MachineRow {
    pub id: String,
    pub registration_code: String,
    pub owner: String,
    pub machine_type: String,
    pub engine_stage: String,
    pub engine_number: Option<String>,
    pub site: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub cell_code: String,
    pub cell_path: String,
    pub registered_on: NaiveDate,
    pub registered_by: String,
    pub created_at: NaiveDateTime,
}

/// A machine to register, checked.
pub struct NewMachine {
    pub registration_code: String,
    pub owner: String,
    pub machine_type: String,
    pub engine_stage: String,
    pub engine_number: Option<String>,
    pub site: Option<String>,
    pub position: Option<(f64, f64)>,
    /// The cell it works in; without one, the deepest cell its position lies in.
    pub cell: Option<String>,
    pub registered_on: NaiveDate,
}

/// Registers a machine in a cell of the caller's subtree (named, or located from its position with this
/// instance's grid index); a registration code is registered once (409).
pub async fn register(
    db: &Db,
    live: &LiveIndex,
    caller: Caller,
    mut new: NewMachine,
    today: NaiveDate,
) -> Result<MachineRow, ApiError> {
    // The stations and platforms that submit vehicle data register machines too.
    crate::vehicles::service::require_import(&caller)?;
    if new.cell.is_none()
        && let Some((lon, lat)) = new.position
    {
        let snapshot = live.current(db, today).await?;
        new.cell = snapshot.index.locate(lon, lat).last().map(|c| c.code.to_string());
    }
    db.transaction(move |conn| write(conn, &caller, new)).await
}

fn write(conn: &mut AnyConnection, caller: &Caller, new: NewMachine) -> Result<MachineRow, ApiError> {
    let Some(code) = new.cell.as_deref() else {
        return Err(ApiError::validation(vec![crate::error::FieldError::new(
            "cell",
            "is required when the position lies in no cell of the grid",
        )]));
    };
    let cell = grid::service::target_cell(conn, caller, code, "cell")?;
    let taken = nonroad_machines::table
        .filter(nonroad_machines::registration_code.eq(&new.registration_code))
        .select(nonroad_machines::id)
        .first::<String>(conn)
        .optional()?;
    if taken.is_some() {
        return Err(ApiError::Conflict(format!("{} is registered already", new.registration_code)));
    }
    let (lon, lat) = new.position.unzip();
    let row = MachineRow {
        id: db::new_id(),
        registration_code: new.registration_code,
        owner: new.owner,
        machine_type: new.machine_type,
        engine_stage: new.engine_stage,
        engine_number: new.engine_number,
        site: new.site,
        lon,
        lat,
        cell_code: cell.code,
        cell_path: cell.path,
        registered_on: new.registered_on,
        registered_by: caller.username.clone(),
        created_at: db::now(),
    };
    diesel::insert_into(nonroad_machines::table).values(&row).execute(conn)?;
    Ok(row)
}

/// The machine with this registration code, if the caller sees its cell (404 otherwise).
pub fn get(conn: &mut AnyConnection, caller: &Caller, code: &str) -> Result<MachineRow, ApiError> {
    caller.require(Permission::VehiclesRead)?;
    let row = nonroad_machines::table
        .filter(nonroad_machines::registration_code.eq(code))
        .select(MachineRow::as_select())
        .first(conn)
        .optional()?;
    row.filter(|m| caller.scope.covers(&m.cell_path)).ok_or_else(|| ApiError::NotFound("no machine here".into()))
}

/// Filters of machine lists and counts.
#[derive(Debug, Clone, Default)]
pub struct MachineFilter {
    pub machine_type: Option<String>,
    pub engine_stage: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn matching<'a>(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
    f: &MachineFilter,
) -> Result<nonroad_machines::BoxedQuery<'a, crate::db::MultiBackend>, ApiError> {
    caller.require(Permission::VehiclesRead)?;
    let within = grid::service::records_within(conn, caller, cell)?;
    let mut q = nonroad_machines::table.into_boxed();
    if let Some(path) = within {
        let (start, end) = subtree_range(&path);
        q = q.filter(nonroad_machines::cell_path.ge(start).and(nonroad_machines::cell_path.lt(end)));
    }
    if let Some(t) = &f.machine_type {
        q = q.filter(nonroad_machines::machine_type.eq(t.clone()));
    }
    if let Some(s) = &f.engine_stage {
        q = q.filter(nonroad_machines::engine_stage.eq(s.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(nonroad_machines::registered_on.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(nonroad_machines::registered_on.le(to));
    }
    Ok(q)
}

/// Machines in the caller's part of the grid (or `cell`'s subtree), by registration code after the cursor.
pub fn list(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
    filter: &MachineFilter,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<MachineRow>, ApiError> {
    let mut q = matching(conn, caller, cell, filter)?;
    if let Some(after) = after {
        q = q.filter(nonroad_machines::registration_code.gt(after));
    }
    Ok(q.order(nonroad_machines::registration_code.asc()).limit(limit).select(MachineRow::as_select()).load(conn)?)
}

/// Registrations in a period: the total, by machine type, by engine stage and by month (`2026-03`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"registered": 3854, "by_type": {"excavator": 2100, "loader": 900}, "by_stage": {"china_3": 2500},
    "by_month": {"2026-03": 410}}))]
pub struct MachineCounts {
    pub registered: u64,
    pub by_type: BTreeMap<String, u64>,
    pub by_stage: BTreeMap<String, u64>,
    pub by_month: BTreeMap<String, u64>,
}

pub fn counts(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
    filter: &MachineFilter,
) -> Result<MachineCounts, ApiError> {
    let rows: Vec<(String, String, NaiveDate)> = matching(conn, caller, cell, filter)?
        .select((nonroad_machines::machine_type, nonroad_machines::engine_stage, nonroad_machines::registered_on))
        .load(conn)?;
    let mut counts = MachineCounts::default();
    for (machine_type, stage, on) in rows {
        counts.registered += 1;
        *counts.by_type.entry(machine_type).or_default() += 1;
        *counts.by_stage.entry(stage).or_default() += 1;
        *counts.by_month.entry(format!("{}-{:02}", on.year(), on.month())).or_default() += 1;
    }
    Ok(counts)
}
