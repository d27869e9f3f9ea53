//! Grid rows and the queries on them. No policy here: the service decides, this module reads and writes.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::cache::bump_revision;
use crate::db::schema::{accounts, grid_cells, grid_people, lower, revisions, substr};
use crate::domain::scope::subtree_range;

pub const GRID_TOPIC: &str = "grid";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = grid_cells, treat_none_as_null = true)]
pub struct CellRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub level: i32,
    pub parent_code: Option<String>,
    pub path: String,
    pub boundary: String,
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
    pub properties: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = grid_people, treat_none_as_null = true)]
pub struct PersonRow {
    pub id: String,
    pub cell_code: String,
    pub name: String,
    pub phone: Option<String>,
    pub account_id: Option<String>,
    pub role: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Which cells a list returns.
#[derive(Debug, Default, Clone)]
pub struct CellFilter {
    pub level: Option<i32>,
    /// Direct children of this cell.
    pub parent: Option<String>,
    /// This cell's subtree, given as its path.
    pub within_path: Option<String>,
    pub code_prefix: Option<String>,
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
    /// Cells whose bounding box meets [min_lon, min_lat, max_lon, max_lat].
    pub bbox: Option<[f64; 4]>,
    /// Cells valid on this day; `None` means any day.
    pub as_of: Option<NaiveDate>,
    /// Rows after this sort key (cursor): see [`sort_key`].
    pub after: Option<String>,
    /// Only cells a caller with this home-cell path may see: its subtree and its home's ancestors.
    pub visible_from: Option<String>,
}

/// What a list is ordered by and its cursor continues from: the path for a subtree (`within`), else the code.
pub fn sort_key(row: &CellRow, subtree: bool) -> String {
    if subtree { row.path.clone() } else { row.code.clone() }
}

pub fn find_cell(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<CellRow>> {
    grid_cells::table.filter(grid_cells::code.eq(code)).select(CellRow::as_select()).first(conn).optional()
}

pub fn list_cells(conn: &mut AnyConnection, f: &CellFilter, limit: i64) -> QueryResult<Vec<CellRow>> {
    let mut q = grid_cells::table.select(CellRow::as_select()).limit(limit).into_boxed();
    // A subtree is listed in tree order (parents first, siblings by code), so the path index serves both
    // the range and the order; ordering by code instead leads planners to scan the code index.
    q = if f.within_path.is_some() { q.order(grid_cells::path) } else { q.order(grid_cells::code) };
    if let Some(level) = f.level {
        q = q.filter(grid_cells::level.eq(level));
    }
    if let Some(parent) = &f.parent {
        q = q.filter(grid_cells::parent_code.eq(parent.clone()));
    }
    if let Some(path) = &f.within_path {
        q = q.filter(in_subtree(path));
    }
    if let Some(prefix) = &f.code_prefix {
        q = q.filter(substr(grid_cells::code, 1, char_len(prefix)).eq(prefix.clone()));
    }
    if let Some(name) = &f.name {
        q = q.filter(lower(grid_cells::name).like(format!("%{}%", escape_like(&name.to_lowercase()))).escape('\\'));
    }
    if let Some([min_lon, min_lat, max_lon, max_lat]) = f.bbox {
        q = q.filter(
            grid_cells::max_lon
                .ge(min_lon)
                .and(grid_cells::min_lon.le(max_lon))
                .and(grid_cells::max_lat.ge(min_lat))
                .and(grid_cells::min_lat.le(max_lat)),
        );
    }
    if let Some(day) = f.as_of {
        q = q.filter(
            grid_cells::valid_from.le(day).and(grid_cells::valid_to.is_null().or(grid_cells::valid_to.gt(day))),
        );
    }
    if let Some(after) = &f.after {
        q = if f.within_path.is_some() {
            q.filter(grid_cells::path.gt(after.clone()))
        } else {
            q.filter(grid_cells::code.gt(after.clone()))
        };
    }
    if let Some(home) = &f.visible_from {
        let ancestors: Vec<String> = home.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect();
        q = q.filter(in_subtree(home).or(grid_cells::code.eq_any(ancestors)));
    }
    q.load(conn)
}

/// Every cell valid on `day`: the input of the rules and of the point index.
pub fn active_cells(conn: &mut AnyConnection, day: NaiveDate) -> QueryResult<Vec<CellRow>> {
    list_cells(conn, &CellFilter { as_of: Some(day), ..Default::default() }, i64::MAX)
}

pub fn insert_cell(conn: &mut AnyConnection, row: &CellRow) -> QueryResult<()> {
    diesel::insert_into(grid_cells::table).values(row).execute(conn).map(drop)
}

pub fn update_cell(conn: &mut AnyConnection, row: &CellRow) -> QueryResult<()> {
    diesel::update(grid_cells::table.filter(grid_cells::id.eq(&row.id))).set(row).execute(conn).map(drop)
}

/// Cells in the subtree at `path` (the root included), as a range of the path index: `substr` or `LIKE`
/// would scan the table.
fn in_subtree(
    path: &str,
) -> diesel::dsl::And<diesel::dsl::GtEq<grid_cells::path, String>, diesel::dsl::Lt<grid_cells::path, String>> {
    let (start, end) = subtree_range(path);
    grid_cells::path.ge(start).and(grid_cells::path.lt(end))
}

/// Rewrites the path prefix of every cell under `old` (the cell itself included) after a move: one
/// statement whatever the size of the subtree.
pub fn move_subtree(conn: &mut AnyConnection, old: &str, new: &str) -> QueryResult<usize> {
    let old_len = char_len(old);
    diesel::update(grid_cells::table.filter(in_subtree(old)))
        .set(grid_cells::path.eq(new.to_owned().into_sql::<diesel::sql_types::Text>().concat(substr(
            grid_cells::path,
            old_len + 1,
            i32::MAX,
        ))))
        .execute(conn)
}

/// The first cell of the subtree, or cell with an assignment, that only starts after `day`.
pub fn starting_after(conn: &mut AnyConnection, path: &str, day: NaiveDate) -> QueryResult<Option<String>> {
    let cell: Option<String> = grid_cells::table
        .filter(in_subtree(path))
        .filter(grid_cells::valid_from.gt(day))
        .select(grid_cells::code)
        .first(conn)
        .optional()?;
    if cell.is_some() {
        return Ok(cell);
    }
    let codes = grid_cells::table.filter(in_subtree(path)).select(grid_cells::code);
    grid_people::table
        .filter(grid_people::cell_code.eq_any(codes))
        .filter(grid_people::valid_from.gt(day))
        .select(grid_people::cell_code)
        .first(conn)
        .optional()
}

/// Ends the validity of a subtree's active cells and of their active assignments on `day`, set-based
/// (no parameter per cell). Answers the cells and assignments retired.
pub fn retire_subtree(
    conn: &mut AnyConnection,
    path: &str,
    day: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<(usize, usize)> {
    let still_valid = grid_cells::valid_to.is_null().or(grid_cells::valid_to.gt(day));
    let codes = grid_cells::table.filter(in_subtree(path)).filter(still_valid).select(grid_cells::code);
    let assignments = diesel::update(grid_people::table)
        .filter(grid_people::cell_code.eq_any(codes))
        .filter(grid_people::valid_to.is_null().or(grid_people::valid_to.gt(day)))
        .set((
            grid_people::valid_to.eq(day),
            grid_people::version.eq(grid_people::version + 1),
            grid_people::updated_at.eq(now),
        ))
        .execute(conn)?;
    let cells = diesel::update(grid_cells::table)
        .filter(in_subtree(path))
        .filter(grid_cells::valid_to.is_null().or(grid_cells::valid_to.gt(day)))
        .set((
            grid_cells::valid_to.eq(day),
            grid_cells::version.eq(grid_cells::version + 1),
            grid_cells::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok((cells, assignments))
}

pub fn delete_cell(conn: &mut AnyConnection, code: &str) -> QueryResult<usize> {
    diesel::delete(grid_cells::table.filter(grid_cells::code.eq(code))).execute(conn)
}

pub fn count_children(conn: &mut AnyConnection, code: &str) -> QueryResult<i64> {
    grid_cells::table.filter(grid_cells::parent_code.eq(code)).count().get_result(conn)
}

pub fn count_accounts_at_home(conn: &mut AnyConnection, code: &str) -> QueryResult<i64> {
    accounts::table.filter(accounts::home_cell.eq(code)).count().get_result(conn)
}

pub fn count_people(conn: &mut AnyConnection, code: &str) -> QueryResult<i64> {
    grid_people::table.filter(grid_people::cell_code.eq(code)).count().get_result(conn)
}

/// Cells by code, for resolving names along a chain.
pub fn cells_by_code(conn: &mut AnyConnection, codes: &[String]) -> QueryResult<Vec<CellRow>> {
    grid_cells::table.filter(grid_cells::code.eq_any(codes)).select(CellRow::as_select()).load(conn)
}

pub fn people_of(conn: &mut AnyConnection, cell: &str, as_of: Option<NaiveDate>) -> QueryResult<Vec<PersonRow>> {
    let mut q = grid_people::table
        .filter(grid_people::cell_code.eq(cell.to_owned()))
        .select(PersonRow::as_select())
        .order((grid_people::valid_from, grid_people::id))
        .into_boxed();
    if let Some(day) = as_of {
        q = q.filter(
            grid_people::valid_from.le(day).and(grid_people::valid_to.is_null().or(grid_people::valid_to.gt(day))),
        );
    }
    q.load(conn)
}

/// The current top-level cells (a city's grid has one).
pub fn top_level_cells(conn: &mut AnyConnection) -> QueryResult<Vec<CellRow>> {
    grid_cells::table
        .filter(grid_cells::parent_code.is_null())
        .filter(grid_cells::valid_to.is_null())
        .order(grid_cells::code)
        .select(CellRow::as_select())
        .load(conn)
}

pub fn find_person(conn: &mut AnyConnection, cell: &str, id: &str) -> QueryResult<Option<PersonRow>> {
    grid_people::table
        .filter(grid_people::cell_code.eq(cell))
        .filter(grid_people::id.eq(id))
        .select(PersonRow::as_select())
        .first(conn)
        .optional()
}

/// The `revisions` topic of responsible people: every change bumps it, so instances' people caches follow.
pub const PEOPLE_TOPIC: &str = "people";

pub fn insert_person(conn: &mut AnyConnection, row: &PersonRow) -> QueryResult<()> {
    diesel::insert_into(grid_people::table).values(row).execute(conn)?;
    bump_revision(conn, PEOPLE_TOPIC)
}

pub fn update_person(conn: &mut AnyConnection, row: &PersonRow) -> QueryResult<()> {
    diesel::update(grid_people::table.filter(grid_people::id.eq(&row.id))).set(row).execute(conn)?;
    bump_revision(conn, PEOPLE_TOPIC)
}

pub fn delete_person(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    let deleted = diesel::delete(grid_people::table.filter(grid_people::id.eq(id))).execute(conn)?;
    bump_revision(conn, PEOPLE_TOPIC)?;
    Ok(deleted)
}

pub fn grid_revision(conn: &mut AnyConnection) -> QueryResult<i64> {
    revisions::table.filter(revisions::topic.eq(GRID_TOPIC)).select(revisions::revision).first(conn)
}

/// Tells every instance the grid changed; runs inside the writing transaction.
pub fn bump_grid_revision(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(revisions::table.filter(revisions::topic.eq(GRID_TOPIC)))
        .set((revisions::revision.eq(revisions::revision + 1), revisions::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

fn char_len(s: &str) -> i32 {
    s.chars().count() as i32
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Holds a cell where it is until the transaction ends, for writes that attach records to it: a move or
/// retirement of the cell (which updates its row) waits, and one that committed first is seen. A share
/// lock on PostgreSQL, so attachments to one cell do not wait for each other; SQLite has one writer.
pub fn hold_cell(conn: &mut AnyConnection, code: &str) -> QueryResult<()> {
    if let AnyConnection::Postgresql(_) = conn {
        diesel::sql_query("SELECT code FROM grid_cells WHERE code = $1 FOR SHARE")
            .bind::<diesel::sql_types::Text, _>(code)
            .execute(conn)?;
    }
    Ok(())
}

/// Serialises grid writers: the first statement of every grid-changing transaction. It takes the row
/// lock on PostgreSQL (across instances) and the write lock on SQLite, before anything is read.
pub fn lock_grid(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::update(revisions::table.filter(revisions::topic.eq(GRID_TOPIC)))
        .set(revisions::revision.eq(revisions::revision))
        .execute(conn)
        .map(drop)
}
