//! Rows of special control and the queries on them. No policy here: the service decides.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::cache::bump_revision;
use crate::db::schema::{
    accounts, control_activations, control_cells, control_check_ins, control_level_changes, control_measures,
    control_prompt_acks, control_prompts, grid_cells, observed_daily_aqi,
};
use crate::domain::scope::subtree_range;
use crate::with_inner;

/// Taken first by every write that claims cells for a time, so concurrent overlap checks see each other.
pub const CONTROLS_TOPIC: &str = "controls";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = control_measures)]
pub struct MeasureRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// JSON list of incident category codes.
    pub categories: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = control_activations, treat_none_as_null = true)]
pub struct ActivationRow {
    pub id: String,
    pub title: String,
    pub reason: String,
    pub level_code: String,
    /// `Forecast` as JSON.
    pub forecast: String,
    pub status: String,
    pub planned_start: NaiveDateTime,
    pub planned_end: Option<NaiveDateTime>,
    pub actual_start: Option<NaiveDateTime>,
    pub actual_end: Option<NaiveDateTime>,
    pub scope_path: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

/// A scope cell of an activation with its plan (一区一策).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = control_cells, treat_none_as_null = true)]
pub struct ControlCellRow {
    pub activation_id: String,
    pub cell_code: String,
    pub cell_path: String,
    pub cell_name: String,
    pub responsible_id: Option<String>,
    pub responsible_name: Option<String>,
    pub responsible_phone: Option<String>,
    /// `Vec<PlannedMeasure>` as JSON.
    pub measures: String,
    pub plan_version: i64,
    pub plan_updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = control_level_changes)]
pub struct LevelChangeRow {
    pub activation_id: String,
    pub seq: i32,
    pub from_level: Option<String>,
    pub to_level: String,
    pub note: Option<String>,
    pub changed_by: String,
    pub changed_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = control_prompts)]
pub struct PromptRow {
    pub id: String,
    pub activation_id: String,
    pub seq: i32,
    pub cell_code: String,
    pub cell_path: String,
    pub level_code: String,
    /// `Vec<PromptItem>` as JSON.
    pub items: String,
    pub issued_at: NaiveDateTime,
    pub superseded_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = control_prompt_acks)]
pub struct AckRow {
    pub prompt_id: String,
    pub account_id: String,
    pub acknowledged_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = control_check_ins)]
pub struct CheckInRow {
    pub id: String,
    pub activation_id: String,
    pub cell_code: String,
    pub measure_code: String,
    pub done: bool,
    pub note: Option<String>,
    pub photo_key: Option<String>,
    pub photo_media_type: Option<String>,
    pub photo_sha256: Option<String>,
    pub photo_taken_at: Option<NaiveDateTime>,
    pub checked_by: Option<String>,
    pub checker_name: String,
    pub checked_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = observed_daily_aqi, treat_none_as_null = true)]
pub struct ObservedRow {
    pub day: NaiveDate,
    pub aqi: i32,
    pub primary_pollutant: Option<String>,
    pub entered_by: String,
    pub updated_at: NaiveDateTime,
}

/// Someone who should acknowledge a prompt.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Recipient {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub home_cell: Option<String>,
}

pub fn lock_controls(conn: &mut AnyConnection) -> QueryResult<()> {
    bump_revision(conn, CONTROLS_TOPIC)
}

// Measures.

pub fn list_measures(conn: &mut AnyConnection) -> QueryResult<Vec<MeasureRow>> {
    control_measures::table.order(control_measures::created_at.asc()).then_order_by(control_measures::code).load(conn)
}

pub fn find_measure(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<MeasureRow>> {
    control_measures::table.find(code).select(MeasureRow::as_select()).first(conn).optional()
}

pub fn insert_measure(conn: &mut AnyConnection, row: &MeasureRow) -> QueryResult<()> {
    diesel::insert_into(control_measures::table).values(row).execute(conn).map(drop)
}

// Activations.

pub fn insert_activation(conn: &mut AnyConnection, row: &ActivationRow, cells: &[ControlCellRow]) -> QueryResult<()> {
    diesel::insert_into(control_activations::table).values(row).execute(conn)?;
    for cell in cells {
        diesel::insert_into(control_cells::table).values(cell).execute(conn)?;
    }
    Ok(())
}

pub fn find_activation(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<ActivationRow>> {
    control_activations::table.find(id).select(ActivationRow::as_select()).first(conn).optional()
}

/// Writes a changed activation if it is still at `expected`; false when a concurrent change won.
pub fn update_activation(conn: &mut AnyConnection, row: &ActivationRow, expected: i64) -> QueryResult<bool> {
    let target = control_activations::table.find(&row.id).filter(control_activations::version.eq(expected));
    Ok(diesel::update(target).set(row).execute(conn)? == 1)
}

pub fn cells_of(conn: &mut AnyConnection, activation: &str) -> QueryResult<Vec<ControlCellRow>> {
    control_cells::table
        .filter(control_cells::activation_id.eq(activation))
        .order(control_cells::cell_path)
        .select(ControlCellRow::as_select())
        .load(conn)
}

/// Writes a changed plan if it is still at `expected`.
pub fn update_plan(conn: &mut AnyConnection, row: &ControlCellRow, expected: i64) -> QueryResult<bool> {
    let target = control_cells::table
        .find((&row.activation_id, &row.cell_code))
        .filter(control_cells::plan_version.eq(expected));
    Ok(diesel::update(target).set(row).execute(conn)? == 1)
}

/// Every scope cell of a planned or active activation, with it (a city runs a handful at a time).
pub fn holding(conn: &mut AnyConnection) -> QueryResult<Vec<(ActivationRow, ControlCellRow)>> {
    control_activations::table
        .inner_join(control_cells::table.on(control_cells::activation_id.eq(control_activations::id)))
        .filter(control_activations::status.eq_any(["planned", "active"]))
        .select((ActivationRow::as_select(), ControlCellRow::as_select()))
        .load(conn)
}

/// Active activations over `paths` (a cell and its ancestors), with the scope cell that covers it.
pub fn active_over(conn: &mut AnyConnection, paths: &[String]) -> QueryResult<Vec<(ActivationRow, ControlCellRow)>> {
    control_activations::table
        .inner_join(control_cells::table.on(control_cells::activation_id.eq(control_activations::id)))
        .filter(control_activations::status.eq("active"))
        .filter(control_cells::cell_path.eq_any(paths))
        .select((ActivationRow::as_select(), ControlCellRow::as_select()))
        .load(conn)
}

/// What a list of activations is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ActivationFilter {
    pub status: Option<String>,
    /// Activations with a scope cell in this subtree or above it: (path, its ancestors).
    pub touching: Option<(String, Vec<String>)>,
    /// Starting (actually, else as planned) before this instant.
    pub starts_before: Option<NaiveDateTime>,
    /// Not ended (actually, else as planned) before this instant.
    pub ends_after: Option<NaiveDateTime>,
    /// Starting in this window (for the year's figures).
    pub started_within: Option<(NaiveDateTime, NaiveDateTime)>,
}

/// Activations matching `filter`, newest planned start first, after the cursor `(planned_start, id)`.
pub fn list_activations(
    conn: &mut AnyConnection,
    filter: &ActivationFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<ActivationRow>> {
    use control_activations as a;
    let mut q = a::table.select(ActivationRow::as_select()).into_boxed();
    if let Some(status) = &filter.status {
        q = q.filter(a::status.eq(status.clone()));
    }
    if let Some((path, ancestors)) = &filter.touching {
        let (start, end) = subtree_range(path);
        let cells = control_cells::table.filter(control_cells::activation_id.eq(a::id)).filter(
            control_cells::cell_path
                .ge(start)
                .and(control_cells::cell_path.lt(end))
                .or(control_cells::cell_path.eq_any(ancestors.clone())),
        );
        q = q.filter(diesel::dsl::exists(cells));
    }
    if let Some(before) = filter.starts_before {
        q = q.filter(a::actual_start.lt(before).or(a::actual_start.is_null().and(a::planned_start.lt(before))));
    }
    if let Some(after) = filter.ends_after {
        q = q.filter(
            a::actual_end
                .gt(after)
                .or(a::actual_end.is_null().and(a::planned_end.is_null().or(a::planned_end.gt(after)))),
        );
    }
    if let Some((from, to)) = filter.started_within {
        q = q.filter(a::actual_start.ge(from).and(a::actual_start.lt(to)));
    }
    if let Some((start, id)) = after {
        q = q.filter(a::planned_start.lt(start).or(a::planned_start.eq(start).and(a::id.lt(id))));
    }
    q.order((a::planned_start.desc(), a::id.desc())).limit(limit).load(conn)
}

/// Planned activations due to start and active ones due to be lifted at `now`, oldest first.
pub fn due(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<Vec<ActivationRow>> {
    use control_activations as a;
    a::table
        .filter(
            a::status
                .eq("planned")
                .and(a::planned_start.le(now))
                .or(a::status.eq("active").and(a::planned_end.le(now))),
        )
        .order(a::planned_start.asc())
        .select(ActivationRow::as_select())
        .load(conn)
}

// Level history.

pub fn insert_level_change(conn: &mut AnyConnection, row: &LevelChangeRow) -> QueryResult<()> {
    diesel::insert_into(control_level_changes::table).values(row).execute(conn).map(drop)
}

pub fn level_changes(conn: &mut AnyConnection, activation: &str) -> QueryResult<Vec<LevelChangeRow>> {
    control_level_changes::table
        .filter(control_level_changes::activation_id.eq(activation))
        .order(control_level_changes::seq)
        .select(LevelChangeRow::as_select())
        .load(conn)
}

// Prompts.

pub fn insert_prompts(conn: &mut AnyConnection, rows: &[PromptRow]) -> QueryResult<()> {
    for row in rows {
        diesel::insert_into(control_prompts::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// Marks an activation's current prompts as replaced.
pub fn supersede_prompts(conn: &mut AnyConnection, activation: &str, at: NaiveDateTime) -> QueryResult<()> {
    let current = control_prompts::table
        .filter(control_prompts::activation_id.eq(activation))
        .filter(control_prompts::superseded_at.is_null());
    diesel::update(current).set(control_prompts::superseded_at.eq(at)).execute(conn).map(drop)
}

pub fn prompts_of(conn: &mut AnyConnection, activation: &str) -> QueryResult<Vec<PromptRow>> {
    control_prompts::table
        .filter(control_prompts::activation_id.eq(activation))
        .order((control_prompts::seq.desc(), control_prompts::cell_path.asc()))
        .select(PromptRow::as_select())
        .load(conn)
}

pub fn find_prompt(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<PromptRow>> {
    control_prompts::table.find(id).select(PromptRow::as_select()).first(conn).optional()
}

/// Current prompts for cells at `paths` (a home cell and its ancestors), or for every cell (`None`).
pub fn current_prompts(conn: &mut AnyConnection, paths: Option<&[String]>) -> QueryResult<Vec<PromptRow>> {
    let mut q = control_prompts::table
        .filter(control_prompts::superseded_at.is_null())
        .select(PromptRow::as_select())
        .into_boxed();
    if let Some(paths) = paths {
        q = q.filter(control_prompts::cell_path.eq_any(paths.to_vec()));
    }
    q.order((control_prompts::issued_at.desc(), control_prompts::id)).load(conn)
}

pub fn acks_of(conn: &mut AnyConnection, prompts: &[String]) -> QueryResult<Vec<AckRow>> {
    control_prompt_acks::table
        .filter(control_prompt_acks::prompt_id.eq_any(prompts))
        .select(AckRow::as_select())
        .load(conn)
}

/// Records an acknowledgement unless there is one (a concurrent one included); the one that stands.
pub fn acknowledge(conn: &mut AnyConnection, row: &AckRow) -> QueryResult<AckRow> {
    with_inner!(&mut *conn, |c| diesel::insert_into(control_prompt_acks::table)
        .values(row)
        .on_conflict((control_prompt_acks::prompt_id, control_prompt_acks::account_id))
        .do_nothing()
        .execute(c))?;
    control_prompt_acks::table.find((&row.prompt_id, &row.account_id)).select(AckRow::as_select()).first(conn)
}

/// The active grid workers and supervisors at home in the subtree of `path`: the people a prompt there is for.
pub fn recipients(conn: &mut AnyConnection, path: &str) -> QueryResult<Vec<Recipient>> {
    let (start, end) = subtree_range(path);
    accounts::table
        .inner_join(grid_cells::table.on(grid_cells::code.nullable().eq(accounts::home_cell)))
        .filter(grid_cells::path.ge(start).and(grid_cells::path.lt(end)))
        .filter(accounts::active.eq(true))
        .filter(accounts::role.eq_any(["grid_worker", "supervisor"]))
        .order(accounts::username)
        .select((accounts::id, accounts::username, accounts::display_name, accounts::home_cell))
        .load(conn)
}

// Check-ins.

pub fn insert_check_in(conn: &mut AnyConnection, row: &CheckInRow) -> QueryResult<()> {
    diesel::insert_into(control_check_ins::table).values(row).execute(conn).map(drop)
}

pub fn find_check_in(conn: &mut AnyConnection, activation: &str, id: &str) -> QueryResult<Option<CheckInRow>> {
    control_check_ins::table
        .filter(control_check_ins::activation_id.eq(activation))
        .filter(control_check_ins::id.eq(id))
        .select(CheckInRow::as_select())
        .first(conn)
        .optional()
}

/// An activation's check-ins (in `cells` when given), oldest first, after the cursor id.
pub fn check_ins(
    conn: &mut AnyConnection,
    activation: &str,
    cells: Option<&[String]>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CheckInRow>> {
    let mut q = control_check_ins::table
        .filter(control_check_ins::activation_id.eq(activation))
        .select(CheckInRow::as_select())
        .into_boxed();
    if let Some(cells) = cells {
        q = q.filter(control_check_ins::cell_code.eq_any(cells.to_vec()));
    }
    if let Some(after) = after {
        q = q.filter(control_check_ins::id.gt(after.to_owned()));
    }
    q.order(control_check_ins::id.asc()).limit(limit).load(conn)
}

/// What the latest check-in per (cell, measure) of an activation said.
pub fn latest_check_ins(
    conn: &mut AnyConnection,
    activation: &str,
) -> QueryResult<std::collections::BTreeMap<(String, String), bool>> {
    let rows: Vec<(String, String, bool)> = control_check_ins::table
        .filter(control_check_ins::activation_id.eq(activation))
        .order((control_check_ins::checked_at.asc(), control_check_ins::id.asc()))
        .select((control_check_ins::cell_code, control_check_ins::measure_code, control_check_ins::done))
        .load(conn)?;
    // Later rows overwrite earlier ones.
    Ok(rows.into_iter().map(|(cell, measure, done)| ((cell, measure), done)).collect())
}

// Observed daily AQI.

/// Records a day, replacing what was there (a concurrent write of the same day included).
pub fn upsert_observed(conn: &mut AnyConnection, row: &ObservedRow) -> QueryResult<()> {
    with_inner!(&mut *conn, |c| diesel::insert_into(observed_daily_aqi::table)
        .values(row)
        .on_conflict(observed_daily_aqi::day)
        .do_update()
        .set(row)
        .execute(c))
    .map(drop)
}

pub fn observed_between(conn: &mut AnyConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<Vec<ObservedRow>> {
    observed_daily_aqi::table
        .filter(observed_daily_aqi::day.ge(from).and(observed_daily_aqi::day.le(to)))
        .order(observed_daily_aqi::day)
        .select(ObservedRow::as_select())
        .load(conn)
}
