//! Vehicle inspections and their earlier versions in the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::db::schema::{vehicle_inspection_versions, vehicle_inspections};
use crate::domain::scope::subtree_range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = vehicle_inspections, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct InspectionRow {
    pub id: String,
    pub source: String,
    pub record_id: String,
    pub station: Option<String>,
    pub inspected_at: NaiveDateTime,
    pub plate: String,
    pub plate_colour: Option<String>,
    pub vin: Option<String>,
    pub vin_check_ok: Option<bool>,
    pub vehicle_category: Option<String>,
    pub fuel_type: Option<String>,
    pub stage: Option<String>,
    pub method: String,
    pub limit_class: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub cell_code: Option<String>,
    pub cell_path: Option<String>,
    pub measurements: String,
    pub items: String,
    pub submitted_result: Option<String>,
    pub result: String,
    pub disagrees: bool,
    pub fingerprint: String,
    pub version: i32,
    pub imported_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = vehicle_inspection_versions)]
pub struct VersionRow {
    pub inspection_id: String,
    pub version: i32,
    pub record: String,
    pub replaced_at: NaiveDateTime,
    pub replaced_by: String,
}

/// What is stored of a source's records: record id → (id, fingerprint, version).
pub fn known(
    conn: &mut AnyConnection,
    source: &str,
    record_ids: &[&str],
) -> QueryResult<Vec<(String, String, String, i32)>> {
    if let AnyConnection::Postgresql(pg) = conn {
        // The table grows from empty during a large import: a generic plan made while it was small would go
        // on scanning it whole. Plan each lookup for the table as it is (this transaction only).
        diesel::sql_query("SET LOCAL plan_cache_mode = force_custom_plan").execute(pg)?;
    }
    let mut known = Vec::new();
    for chunk in record_ids.chunks(2_000) {
        known.extend(
            vehicle_inspections::table
                .filter(vehicle_inspections::source.eq(source).and(vehicle_inspections::record_id.eq_any(chunk)))
                .select((
                    vehicle_inspections::record_id,
                    vehicle_inspections::id,
                    vehicle_inspections::fingerprint,
                    vehicle_inspections::version,
                ))
                .load::<(String, String, String, i32)>(conn)?,
        );
    }
    Ok(known)
}

/// PostgreSQL plans the record lookups from the table's statistics, which a table a bulk import is filling
/// does not yet have (it then guesses that a source holds 0.5% of the rows and scans them all for every
/// lookup). A job refreshes them after its first chunk; SQLite needs nothing.
pub fn refresh_statistics(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query("ANALYZE vehicle_inspections").execute(pg)?;
    }
    Ok(())
}

/// Inserts new records by each database's fast path: `COPY … FROM STDIN` on PostgreSQL, a prepared
/// `INSERT` a row on SQLite (in the caller's transaction either way).
pub fn insert(conn: &mut AnyConnection, rows: &[InspectionRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::copy_from(vehicle_inspections::table).from_insertable(rows).execute(pg)?;
        }
        AnyConnection::Sqlite(lite) => {
            // One cached statement a row: unlike a multi-row INSERT it needs no statement journal.
            for row in rows {
                diesel::insert_into(vehicle_inspections::table).values(row).execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Replaces a record (keeping when it was first imported), and the one it replaces as a version.
pub fn replace(conn: &mut AnyConnection, row: &InspectionRow, replaced_by: &str) -> QueryResult<()> {
    let old = find(conn, &row.id)?.ok_or(diesel::result::Error::NotFound)?;
    let row = InspectionRow { created_at: old.created_at, ..row.clone() };
    let version = VersionRow {
        inspection_id: old.id.clone(),
        version: old.version,
        record: serde_json::to_string(&old).expect("a row serialises"),
        replaced_at: row.updated_at,
        replaced_by: replaced_by.to_owned(),
    };
    diesel::insert_into(vehicle_inspection_versions::table).values(&version).execute(conn)?;
    diesel::update(vehicle_inspections::table.find(&row.id)).set(&row).execute(conn).map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<InspectionRow>> {
    vehicle_inspections::table.find(id).select(InspectionRow::as_select()).first(conn).optional()
}

/// The earlier versions of a record, oldest first.
pub fn versions(conn: &mut AnyConnection, id: &str) -> QueryResult<Vec<VersionRow>> {
    vehicle_inspection_versions::table
        .filter(vehicle_inspection_versions::inspection_id.eq(id))
        .order(vehicle_inspection_versions::version.asc())
        .select(VersionRow::as_select())
        .load(conn)
}

/// Filters of lists and figures; every one narrows.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    pub plate: Option<String>,
    pub vin: Option<String>,
    pub station: Option<String>,
    pub method: Option<String>,
    pub result: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// A cell path: its subtree. `None`: every record, with or without a cell.
    pub within: Option<String>,
}

type Boxed<'a> = vehicle_inspections::BoxedQuery<'a, crate::db::MultiBackend>;

fn filtered<'a>(filter: &InspectionFilter) -> Boxed<'a> {
    use vehicle_inspections as vi;
    let mut query = vi::table.into_boxed();
    if let Some(plate) = &filter.plate {
        query = query.filter(vi::plate.eq(plate.clone()));
    }
    if let Some(vin) = &filter.vin {
        query = query.filter(vi::vin.eq(vin.clone()));
    }
    if let Some(station) = &filter.station {
        query = query.filter(vi::station.eq(station.clone()));
    }
    if let Some(method) = &filter.method {
        query = query.filter(vi::method.eq(method.clone()));
    }
    if let Some(result) = &filter.result {
        query = query.filter(vi::result.eq(result.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(vi::inspected_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(vi::inspected_at.lt(to));
    }
    if let Some(path) = &filter.within {
        let (start, end) = subtree_range(path);
        query = query.filter(vi::cell_path.ge(start).and(vi::cell_path.lt(end)));
    }
    query
}

/// Newest inspection first, after the keyset position (inspected_at, id) of the previous page.
pub fn list(
    conn: &mut AnyConnection,
    filter: &InspectionFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<InspectionRow>> {
    use vehicle_inspections as vi;
    let mut query = filtered(filter);
    if let Some((at, id)) = after {
        query = query.filter(vi::inspected_at.lt(at).or(vi::inspected_at.eq(at).and(vi::id.lt(id))));
    }
    query.order((vi::inspected_at.desc(), vi::id.desc())).limit(limit).select(InspectionRow::as_select()).load(conn)
}

/// The facts figures are computed from: plate, time, method, stage, station, cell code, result.
pub type Fact = (String, NaiveDateTime, String, Option<String>, Option<String>, Option<String>, String);

pub fn facts(conn: &mut AnyConnection, filter: &InspectionFilter) -> QueryResult<Vec<Fact>> {
    use vehicle_inspections as vi;
    filtered(filter)
        .order((vi::inspected_at.asc(), vi::id.asc()))
        .select((vi::plate, vi::inspected_at, vi::method, vi::stage, vi::station, vi::cell_code, vi::result))
        .load(conn)
}
