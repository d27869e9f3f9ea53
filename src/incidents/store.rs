//! Incident rows and the queries on them. No policy here: the service decides, this module reads and writes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{
    incident_categories, incident_photos, incident_timeline, incidents, lower, supervision_sheets,
};
use crate::domain::scope::subtree_range;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = incident_categories, treat_none_as_null = true)]
pub struct CategoryRow {
    pub code: String,
    pub parent_code: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    /// `Deadlines` as JSON.
    pub deadlines: String,
    pub duplicate_radius_m: f64,
    pub duplicate_window_hours: i32,
    pub requires_after_photo: bool,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = incidents, treat_none_as_null = true)]
pub struct IncidentRow {
    pub id: String,
    pub category_code: String,
    pub status: String,
    pub severity: String,
    pub source: String,
    pub external_system: Option<String>,
    pub external_ref: Option<String>,
    pub description: String,
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
    pub cell_code: Option<String>,
    pub cell_path: Option<String>,
    /// The cells routing found and who was responsible there (`Routing` as JSON).
    pub routing: String,
    pub reporter_id: Option<String>,
    pub reporter_name: String,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    pub rectifier_id: Option<String>,
    pub duplicate_of: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub reported_at: NaiveDateTime,
    pub status_changed_at: NaiveDateTime,
    pub assigned_at: Option<NaiveDateTime>,
    pub deadline_at: Option<NaiveDateTime>,
    pub deadline_note: Option<String>,
    /// A pending request for more time (`Extension` as JSON).
    pub extension: Option<String>,
    pub rectified_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = incident_timeline)]
pub struct TimelineRow {
    pub id: String,
    pub incident_id: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub note: Option<String>,
    /// The action's own facts (JSON object).
    pub data: String,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = incident_photos)]
pub struct PhotoRow {
    pub id: String,
    pub incident_id: String,
    pub stage: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub taken_at: Option<NaiveDateTime>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// `PhotoFlag`s as JSON.
    pub flags: String,
    pub uploaded_by: Option<String>,
    pub uploader_name: String,
    pub uploaded_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = supervision_sheets, treat_none_as_null = true)]
pub struct SheetRow {
    pub id: String,
    pub kind: String,
    pub cell_code: String,
    pub cell_path: String,
    /// Ids of the incidents concerned (JSON array).
    pub incident_ids: String,
    pub content: String,
    pub deadline_at: NaiveDateTime,
    pub issued_by: Option<String>,
    pub issuer_name: String,
    pub issued_at: NaiveDateTime,
    pub response: Option<String>,
    pub responded_by: Option<String>,
    pub responder_name: Option<String>,
    pub responded_at: Option<NaiveDateTime>,
    pub version: i64,
}

// ---- categories

pub fn categories(conn: &mut AnyConnection) -> QueryResult<Vec<CategoryRow>> {
    incident_categories::table.select(CategoryRow::as_select()).order(incident_categories::code).load(conn)
}

pub fn find_category(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<CategoryRow>> {
    incident_categories::table
        .filter(incident_categories::code.eq(code))
        .select(CategoryRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_category(conn: &mut AnyConnection, row: &CategoryRow) -> QueryResult<()> {
    diesel::insert_into(incident_categories::table).values(row).execute(conn).map(drop)
}

pub fn update_category(conn: &mut AnyConnection, row: &CategoryRow) -> QueryResult<()> {
    diesel::update(incident_categories::table.filter(incident_categories::code.eq(&row.code)))
        .set(row)
        .execute(conn)
        .map(drop)
}

// ---- incidents

pub fn insert(conn: &mut AnyConnection, row: &IncidentRow) -> QueryResult<()> {
    diesel::insert_into(incidents::table).values(row).execute(conn).map(drop)
}

/// Writes the row if its version is still `expected` (optimistic concurrency inside the transaction).
pub fn update(conn: &mut AnyConnection, row: &IncidentRow, expected: i64) -> QueryResult<bool> {
    diesel::update(incidents::table.filter(incidents::id.eq(&row.id)).filter(incidents::version.eq(expected)))
        .set(row)
        .execute(conn)
        .map(|n| n == 1)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<IncidentRow>> {
    incidents::table.filter(incidents::id.eq(id)).select(IncidentRow::as_select()).first(conn).optional()
}

/// Reads the row for a change: on PostgreSQL it stays locked until the transaction ends, so two changes
/// of one incident run one after the other (SQLite has one writer).
pub fn find_for_update(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<IncidentRow>> {
    match conn {
        AnyConnection::Postgresql(c) => incidents::table
            .filter(incidents::id.eq(id))
            .select(IncidentRow::as_select())
            .for_update()
            .first(c)
            .optional(),
        AnyConnection::Sqlite(_) => find(conn, id),
    }
}

pub fn find_by_external(conn: &mut AnyConnection, system: &str, reference: &str) -> QueryResult<Option<IncidentRow>> {
    incidents::table
        .filter(incidents::external_system.eq(system))
        .filter(incidents::external_ref.eq(reference))
        .select(IncidentRow::as_select())
        .first(conn)
        .optional()
}

/// Who may see which incidents.
#[derive(Debug, Clone, Default)]
pub enum Visibility {
    /// Every incident (callers without a home cell).
    #[default]
    Everything,
    /// Incidents in the subtree at `home`, those `reporter` reported, and unrouted ones when `unrouted`.
    Scoped { home: String, reporter: Option<String>, unrouted: bool },
}

/// Which incidents a list returns, newest first.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// A category, with its subtypes.
    pub category: Option<String>,
    pub statuses: Vec<String>,
    pub sources: Vec<String>,
    /// Incidents in the subtree at this path.
    pub within: Option<String>,
    /// Open past their deadline at this moment (`true`), or not (`false`).
    pub overdue: Option<(bool, NaiveDateTime)>,
    pub reported_from: Option<NaiveDateTime>,
    pub reported_to: Option<NaiveDateTime>,
    pub bbox: Option<[f64; 4]>,
    pub assignee: Option<String>,
    /// Case-insensitive text in the description or address.
    pub text: Option<String>,
    pub visible: Visibility,
    /// Ids before this one (the cursor).
    pub before: Option<String>,
}

/// Statuses in which an incident waits for its rectification, so a past deadline makes it overdue.
pub const AWAITING_RECTIFICATION: [&str; 2] = ["assigned", "rectifying"];

type Boxed<'a> = incidents::BoxedQuery<'a, crate::db::MultiBackend>;

fn filtered<'a>(f: &IncidentFilter) -> Boxed<'a> {
    let mut q = incidents::table.into_boxed();
    if let Some(code) = &f.category {
        let subtypes = format!("{}.%", escape_like(code));
        q = q
            .filter(incidents::category_code.eq(code.clone()).or(incidents::category_code.like(subtypes).escape('\\')));
    }
    if !f.statuses.is_empty() {
        q = q.filter(incidents::status.eq_any(f.statuses.clone()));
    }
    if !f.sources.is_empty() {
        q = q.filter(incidents::source.eq_any(f.sources.clone()));
    }
    if let Some(path) = &f.within {
        let (start, end) = subtree_range(path);
        q = q.filter(incidents::cell_path.ge(start).and(incidents::cell_path.lt(end)));
    }
    if let Some((overdue, now)) = f.overdue {
        q = if overdue {
            q.filter(incidents::deadline_at.lt(now).and(incidents::status.eq_any(AWAITING_RECTIFICATION)))
        } else {
            q.filter(
                incidents::deadline_at
                    .is_null()
                    .or(incidents::deadline_at.ge(now))
                    .or(incidents::status.ne_all(AWAITING_RECTIFICATION)),
            )
        };
    }
    if let Some(from) = f.reported_from {
        q = q.filter(incidents::reported_at.ge(from));
    }
    if let Some(to) = f.reported_to {
        q = q.filter(incidents::reported_at.lt(to));
    }
    if let Some([min_lon, min_lat, max_lon, max_lat]) = f.bbox {
        q = q.filter(incidents::lon.between(min_lon, max_lon).and(incidents::lat.between(min_lat, max_lat)));
    }
    if let Some(assignee) = &f.assignee {
        q = q.filter(incidents::assignee_id.eq(assignee.clone()));
    }
    if let Some(text) = &f.text {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        q = q.filter(
            lower(incidents::description).like(pattern.clone()).escape('\\').or(lower(
                incidents::address.assume_not_null(),
            )
            .like(pattern)
            .escape('\\')),
        );
    }
    if let Visibility::Scoped { home, reporter, unrouted } = &f.visible {
        let (start, end) = subtree_range(home);
        let mine = incidents::reporter_id.eq(reporter.clone().unwrap_or_default());
        let below = incidents::cell_path.ge(start).and(incidents::cell_path.lt(end));
        q = if *unrouted {
            q.filter(below.or(mine).or(incidents::cell_path.is_null()))
        } else {
            q.filter(below.or(mine))
        };
    }
    if let Some(before) = &f.before {
        q = q.filter(incidents::id.lt(before.clone()));
    }
    q
}

/// A page of incidents, newest first.
pub fn list(conn: &mut AnyConnection, f: &IncidentFilter, limit: i64) -> QueryResult<Vec<IncidentRow>> {
    filtered(f).select(IncidentRow::as_select()).order(incidents::id.desc()).limit(limit).load(conn)
}

/// The columns the figures are computed from.
pub type FactRow = (
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// The facts of every incident the filter matches (no paging: a district's year is a few thousand rows).
pub fn facts(conn: &mut AnyConnection, f: &IncidentFilter) -> QueryResult<Vec<FactRow>> {
    filtered(f)
        .select((
            incidents::category_code,
            incidents::status,
            incidents::source,
            incidents::reported_at,
            incidents::assigned_at,
            incidents::deadline_at,
            incidents::rectified_at,
            incidents::closed_at,
        ))
        .load(conn)
}

/// Open incidents of `category` reported since `since` whose position lies in the box (the candidates for
/// duplicates; the service measures the real distance).
pub fn open_near(
    conn: &mut AnyConnection,
    category: &str,
    [min_lon, min_lat, max_lon, max_lat]: [f64; 4],
    since: NaiveDateTime,
    except: &str,
) -> QueryResult<Vec<IncidentRow>> {
    incidents::table
        .filter(incidents::category_code.eq(category))
        .filter(incidents::lon.between(min_lon, max_lon))
        .filter(incidents::lat.between(min_lat, max_lat))
        .filter(incidents::reported_at.ge(since))
        .filter(incidents::status.ne_all(["closed", "rejected", "duplicate"]))
        .filter(incidents::id.ne(except))
        .select(IncidentRow::as_select())
        .order(incidents::id.desc())
        .limit(50)
        .load(conn)
}

// ---- timeline and photos

pub fn append_timeline(conn: &mut AnyConnection, row: &TimelineRow) -> QueryResult<()> {
    diesel::insert_into(incident_timeline::table).values(row).execute(conn).map(drop)
}

pub fn timeline(conn: &mut AnyConnection, incident: &str) -> QueryResult<Vec<TimelineRow>> {
    incident_timeline::table
        .filter(incident_timeline::incident_id.eq(incident))
        .select(TimelineRow::as_select())
        .order(incident_timeline::id)
        .load(conn)
}

pub fn insert_photo(conn: &mut AnyConnection, row: &PhotoRow) -> QueryResult<()> {
    diesel::insert_into(incident_photos::table).values(row).execute(conn).map(drop)
}

pub fn photos(conn: &mut AnyConnection, incident: &str) -> QueryResult<Vec<PhotoRow>> {
    incident_photos::table
        .filter(incident_photos::incident_id.eq(incident))
        .select(PhotoRow::as_select())
        .order(incident_photos::id)
        .load(conn)
}

pub fn find_photo(conn: &mut AnyConnection, incident: &str, id: &str) -> QueryResult<Option<PhotoRow>> {
    incident_photos::table
        .filter(incident_photos::incident_id.eq(incident))
        .filter(incident_photos::id.eq(id))
        .select(PhotoRow::as_select())
        .first(conn)
        .optional()
}

/// Photos of a stage uploaded at or after `since`.
pub fn count_photos(conn: &mut AnyConnection, incident: &str, stage: &str, since: NaiveDateTime) -> QueryResult<i64> {
    incident_photos::table
        .filter(incident_photos::incident_id.eq(incident))
        .filter(incident_photos::stage.eq(stage))
        .filter(incident_photos::uploaded_at.ge(since))
        .count()
        .get_result(conn)
}

// ---- supervision sheets

pub fn insert_sheet(conn: &mut AnyConnection, row: &SheetRow) -> QueryResult<()> {
    diesel::insert_into(supervision_sheets::table).values(row).execute(conn).map(drop)
}

pub fn update_sheet(conn: &mut AnyConnection, row: &SheetRow) -> QueryResult<()> {
    diesel::update(supervision_sheets::table.filter(supervision_sheets::id.eq(&row.id)))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn find_sheet(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<SheetRow>> {
    supervision_sheets::table.filter(supervision_sheets::id.eq(id)).select(SheetRow::as_select()).first(conn).optional()
}

/// Sheets to cells in the subtree at `within` (all with `None`), newest first, before the cursor id.
pub fn list_sheets(
    conn: &mut AnyConnection,
    within: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<SheetRow>> {
    let mut q = supervision_sheets::table
        .select(SheetRow::as_select())
        .order(supervision_sheets::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(path) = within {
        let (start, end) = subtree_range(path);
        q = q.filter(supervision_sheets::cell_path.ge(start).and(supervision_sheets::cell_path.lt(end)));
    }
    if let Some(before) = before {
        q = q.filter(supervision_sheets::id.lt(before.to_owned()));
    }
    q.load(conn)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
