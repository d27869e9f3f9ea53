//! Fire detections and fire events in the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{fire_detections, fire_events, heat_sources};
use crate::domain::scope::subtree_range;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = fire_detections)]
pub struct DetectionRow {
    pub id: String,
    pub identity: String,
    pub source: String,
    pub satellite: String,
    pub instrument: Option<String>,
    pub acquired_at: NaiveDateTime,
    pub lon: f64,
    pub lat: f64,
    pub brightness: Option<f64>,
    pub brightness_2: Option<f64>,
    pub frp: Option<f64>,
    pub confidence: Option<String>,
    pub daynight: Option<String>,
    pub version: Option<String>,
    pub fire_type: Option<i32>,
    pub cell_code: String,
    pub cell_path: String,
    pub screened: Option<String>,
    pub event_id: Option<String>,
    pub imported_at: NaiveDateTime,
    /// The registered heat source that screened it.
    pub heat_source_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = fire_events)]
pub struct EventRow {
    pub id: String,
    pub incident_id: Option<String>,
    pub cell_code: String,
    pub cell_path: String,
    pub lon: f64,
    pub lat: f64,
    pub first_at: NaiveDateTime,
    pub last_at: NaiveDateTime,
    pub detections: i32,
    pub verify_by: NaiveDateTime,
    pub finding: Option<String>,
    pub finding_note: Option<String>,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_by: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Which of these identities are stored already.
pub fn known_identities(conn: &mut AnyConnection, identities: &[String]) -> QueryResult<Vec<String>> {
    let mut known = Vec::new();
    for chunk in identities.chunks(500) {
        known.extend(
            fire_detections::table
                .filter(fire_detections::identity.eq_any(chunk))
                .select(fire_detections::identity)
                .load::<String>(conn)?,
        );
    }
    Ok(known)
}

pub fn insert_detection(conn: &mut AnyConnection, row: &DetectionRow) -> QueryResult<()> {
    diesel::insert_into(fire_detections::table).values(row).execute(conn).map(drop)
}

pub fn insert_event(conn: &mut AnyConnection, row: &EventRow) -> QueryResult<()> {
    diesel::insert_into(fire_events::table).values(row).execute(conn).map(drop)
}

/// Widens an event by a detection that joined it (only these columns: a ground finding recorded meanwhile
/// stays).
pub fn extend_event(conn: &mut AnyConnection, row: &EventRow) -> QueryResult<()> {
    use fire_events as e;
    diesel::update(e::table.find(&row.id))
        .set((e::detections.eq(row.detections), e::first_at.eq(row.first_at), e::last_at.eq(row.last_at)))
        .execute(conn)
        .map(drop)
}

/// Records an event's ground finding unless one is recorded already; whether it was.
pub fn record_finding(conn: &mut AnyConnection, row: &EventRow) -> QueryResult<bool> {
    use fire_events as e;
    let updated = diesel::update(e::table.find(&row.id).filter(e::finding.is_null()))
        .set((
            e::finding.eq(&row.finding),
            e::finding_note.eq(&row.finding_note),
            e::verified_at.eq(row.verified_at),
            e::verified_by.eq(&row.verified_by),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

pub fn find_event(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<EventRow>> {
    fire_events::table.find(id).select(EventRow::as_select()).first(conn).optional()
}

/// A merged detection: event id, lon, lat, time.
pub type Member = (String, f64, f64, NaiveDateTime);

/// Events whose detections a detection between `from` and `to` could join, with those detections
/// (event id, lon, lat, time), oldest first.
pub fn events_near_in_time(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<(Vec<EventRow>, Vec<Member>)> {
    let events: Vec<EventRow> = fire_events::table
        .filter(fire_events::last_at.ge(from).and(fire_events::first_at.le(to)))
        .order(fire_events::first_at.asc())
        .select(EventRow::as_select())
        .load(conn)?;
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let mut members = Vec::new();
    for chunk in ids.chunks(500) {
        members.extend(
            fire_detections::table
                .filter(fire_detections::event_id.eq_any(chunk))
                .filter(fire_detections::acquired_at.ge(from).and(fire_detections::acquired_at.le(to)))
                .select((
                    fire_detections::event_id.assume_not_null(),
                    fire_detections::lon,
                    fire_detections::lat,
                    fire_detections::acquired_at,
                ))
                .load::<(String, f64, f64, NaiveDateTime)>(conn)?,
        );
    }
    members.sort_by_key(|m| m.3);
    Ok((events, members))
}

/// The detections of an event, oldest first.
pub fn detections_of(conn: &mut AnyConnection, event: &str) -> QueryResult<Vec<DetectionRow>> {
    fire_detections::table
        .filter(fire_detections::event_id.eq(event))
        .order(fire_detections::acquired_at.asc())
        .select(DetectionRow::as_select())
        .load(conn)
}

/// Events in a subtree (`within` a path prefix, None = all) whose first detection lies in [from, to).
pub fn events_between(
    conn: &mut AnyConnection,
    within: Option<&str>,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<EventRow>> {
    let mut query = fire_events::table
        .filter(fire_events::first_at.ge(from).and(fire_events::first_at.lt(to)))
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(path) = within {
        let (start, end) = subtree_range(path);
        query = query.filter(fire_events::cell_path.ge(start).and(fire_events::cell_path.lt(end)));
    }
    query.order(fire_events::first_at.asc()).load(conn)
}

/// Detections in a subtree acquired in [from, to): (time, screened).
pub fn detections_between(
    conn: &mut AnyConnection,
    within: Option<&str>,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(NaiveDateTime, Option<String>)>> {
    let mut query = fire_detections::table
        .filter(fire_detections::acquired_at.ge(from).and(fire_detections::acquired_at.lt(to)))
        .select((fire_detections::acquired_at, fire_detections::screened))
        .into_boxed();
    if let Some(path) = within {
        let (start, end) = subtree_range(path);
        query = query.filter(fire_detections::cell_path.ge(start).and(fire_detections::cell_path.lt(end)));
    }
    query.load(conn)
}

/// Filters of detection and event lists; every one narrows.
#[derive(Debug, Clone, Default)]
pub struct FireFilter {
    /// Detections acquired, or events first detected, in [from, to).
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// A cell path: its subtree. `None`: everywhere.
    pub within: Option<String>,
    /// Detections by this satellite; events with one.
    pub satellite: Option<String>,
    /// Detections with this confidence, as the source gave it.
    pub confidence: Option<String>,
    /// Detections kept from dispatch (`true`) or dispatched (`false`).
    pub screened: Option<bool>,
    /// Events with this finding; `Some(None)`: not yet verified.
    pub finding: Option<Option<String>>,
}

/// Detections newest first, after the keyset position (acquired_at, id) of the previous page.
pub fn list_detections(
    conn: &mut AnyConnection,
    f: &FireFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<DetectionRow>> {
    use fire_detections as d;
    let mut query = d::table.select(DetectionRow::as_select()).into_boxed();
    if let Some(from) = f.from {
        query = query.filter(d::acquired_at.ge(from));
    }
    if let Some(to) = f.to {
        query = query.filter(d::acquired_at.lt(to));
    }
    if let Some(path) = &f.within {
        let (start, end) = subtree_range(path);
        query = query.filter(d::cell_path.ge(start).and(d::cell_path.lt(end)));
    }
    if let Some(satellite) = &f.satellite {
        query = query.filter(d::satellite.eq(satellite.clone()));
    }
    if let Some(confidence) = &f.confidence {
        query = query.filter(d::confidence.eq(confidence.clone()));
    }
    match f.screened {
        Some(true) => query = query.filter(d::screened.is_not_null()),
        Some(false) => query = query.filter(d::screened.is_null()),
        None => {}
    }
    if let Some((at, id)) = after {
        query = query.filter(d::acquired_at.lt(at).or(d::acquired_at.eq(at).and(d::id.lt(id))));
    }
    query.order((d::acquired_at.desc(), d::id.desc())).limit(limit).load(conn)
}

/// Events newest first detected first, after the keyset position (first_at, id) of the previous page.
pub fn list_events(
    conn: &mut AnyConnection,
    f: &FireFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    use fire_events as e;
    let mut query = e::table.select(EventRow::as_select()).into_boxed();
    if let Some(from) = f.from {
        query = query.filter(e::first_at.ge(from));
    }
    if let Some(to) = f.to {
        query = query.filter(e::first_at.lt(to));
    }
    if let Some(path) = &f.within {
        let (start, end) = subtree_range(path);
        query = query.filter(e::cell_path.ge(start).and(e::cell_path.lt(end)));
    }
    if let Some(satellite) = &f.satellite {
        let by = fire_detections::table
            .filter(fire_detections::satellite.eq(satellite.clone()))
            .select(fire_detections::event_id.assume_not_null());
        query = query.filter(e::id.eq_any(by));
    }
    match &f.finding {
        Some(Some(finding)) => query = query.filter(e::finding.eq(finding.clone())),
        Some(None) => query = query.filter(e::finding.is_null()),
        None => {}
    }
    if let Some((at, id)) = after {
        query = query.filter(e::first_at.lt(at).or(e::first_at.eq(at).and(e::id.lt(id))));
    }
    query.order((e::first_at.desc(), e::id.desc())).limit(limit).load(conn)
}

/// The detections of these events, oldest first.
pub fn detections_of_events(conn: &mut AnyConnection, events: &[&str]) -> QueryResult<Vec<DetectionRow>> {
    let mut found = Vec::new();
    for chunk in events.chunks(500) {
        found.extend(
            fire_detections::table
                .filter(fire_detections::event_id.eq_any(chunk))
                .order(fire_detections::acquired_at.asc())
                .select(DetectionRow::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = heat_sources)]
pub struct HeatSourceRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub lon: f64,
    pub lat: f64,
    /// GeoJSON of the site's outline.
    pub boundary: Option<String>,
    pub radius_m: f64,
    pub note: Option<String>,
    pub cell_code: String,
    pub cell_path: String,
    pub fire_event_id: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
}

pub fn insert_heat_source(conn: &mut AnyConnection, row: &HeatSourceRow) -> QueryResult<()> {
    diesel::insert_into(heat_sources::table).values(row).execute(conn).map(drop)
}

pub fn find_heat_source(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<HeatSourceRow>> {
    heat_sources::table.find(id).select(HeatSourceRow::as_select()).first(conn).optional()
}

/// The heat sources in force: every one not retired (a city registers tens, not thousands).
pub fn active_heat_sources(conn: &mut AnyConnection) -> QueryResult<Vec<HeatSourceRow>> {
    heat_sources::table.filter(heat_sources::retired_at.is_null()).select(HeatSourceRow::as_select()).load(conn)
}

/// Heat sources in force in a subtree (`within` a path, None = all), by id after the cursor.
pub fn list_heat_sources(
    conn: &mut AnyConnection,
    within: Option<&str>,
    kind: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<HeatSourceRow>> {
    use heat_sources as h;
    let mut query = h::table.filter(h::retired_at.is_null()).select(HeatSourceRow::as_select()).into_boxed();
    if let Some(path) = within {
        let (start, end) = subtree_range(path);
        query = query.filter(h::cell_path.ge(start).and(h::cell_path.lt(end)));
    }
    if let Some(kind) = kind {
        query = query.filter(h::kind.eq(kind.to_owned()));
    }
    if let Some(after) = after {
        query = query.filter(h::id.gt(after.to_owned()));
    }
    query.order(h::id.asc()).limit(limit).load(conn)
}

/// Retires a heat source in force; whether it was in force (a concurrent retirement wins once).
pub fn retire_heat_source(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let in_force = heat_sources::table.find(id).filter(heat_sources::retired_at.is_null());
    Ok(diesel::update(in_force).set(heat_sources::retired_at.eq(at)).execute(conn)? == 1)
}
