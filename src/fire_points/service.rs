//! Fire-point use cases: an import in one transaction (routed, deduplicated, screened, merged, dispatched),
//! the ground finding, and the figures.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::FirePolicy;
use super::read::Numbered;
use super::store::{self, DetectionRow, EventRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection, Db};
use crate::domain::access::Permission;
use crate::domain::fire::{self, Finding, HeatSourceKind, Merger, Placement};
use crate::domain::incident::{CategoryCode, Severity, Source};
use crate::error::ApiError;
use crate::events::{self, Event, EventData, FireFindingFacts, FireImportFacts};
use crate::grid;
use crate::grid::live::LiveIndex;
use crate::incidents::Policy;
use crate::incidents::service::{self as incidents, ChainCell, ReportDraft};

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, ToSchema)]
pub struct ImportSummary {
    /// Data rows in the file.
    pub rows: u64,
    /// Rows outside every grid cell: counted, not kept.
    pub outside_grid: u64,
    /// Rows already stored (an earlier or overlapping import, or twice in this file).
    pub already_known: u64,
    /// New detections kept.
    pub imported: u64,
    /// New detections kept from dispatch, by reason (`low_confidence`, `static_land_source`, `heat_source`).
    pub screened: HashMap<String, u64>,
    /// Fire events created (each dispatched as an incident).
    pub events_created: u64,
    /// Their ids.
    pub event_ids: Vec<String>,
    /// New detections that joined an existing fire event.
    pub joined_existing: u64,
}

/// Routes every detection with this instance's grid index, then writes the import in one transaction.
pub async fn import(
    db: &Db,
    live: &LiveIndex,
    caller: Caller,
    source: String,
    rows: Vec<Numbered>,
    policy: FirePolicy,
    incident_policy: Arc<Policy>,
) -> Result<ImportSummary, ApiError> {
    // It keeps the register's detections and reports new fires as incidents.
    caller.require(Permission::FireManage)?;
    caller.require(Permission::IncidentsReport)?;
    let today = Utc::now().with_timezone(&policy.tz).date_naive();
    let snapshot = live.current(db, today).await?;
    let total = rows.len() as u64;
    let located: Vec<(fire::Detection, Vec<ChainCell>)> = rows
        .into_iter()
        .map(|n| {
            let chain = snapshot
                .index
                .locate(n.detection.lon, n.detection.lat)
                .iter()
                .map(|c| ChainCell { code: c.code.to_string(), name: c.name.clone(), level: c.level.get().into() })
                .collect::<Vec<_>>();
            (n.detection, chain)
        })
        .collect();
    db.transaction(move |conn| {
        let summary = write_import(conn, &caller, total, located, &policy, &incident_policy)?;
        if summary.imported > 0 {
            let facts = FireImportFacts {
                source: source.clone(),
                rows: summary.rows,
                imported: summary.imported,
                screened: summary.screened.values().sum(),
                already_known: summary.already_known,
                outside_grid: summary.outside_grid,
                events_created: summary.events_created,
                joined_existing: summary.joined_existing,
            };
            events::record_one(conn, &caller, Event::new(source, None, EventData::FirePointsImported(facts)))?;
        }
        Ok(summary)
    })
    .await
}

fn write_import(
    conn: &mut AnyConnection,
    caller: &Caller,
    rows: u64,
    located: Vec<(fire::Detection, Vec<ChainCell>)>,
    policy: &FirePolicy,
    incident_policy: &Policy,
) -> Result<ImportSummary, ApiError> {
    let mut summary = ImportSummary { rows, ..Default::default() };
    let (inside, outside): (Vec<_>, Vec<_>) = located.into_iter().partition(|(_, chain)| !chain.is_empty());
    summary.outside_grid = outside.len() as u64;
    let identities: Vec<String> = inside.iter().map(|(d, _)| d.identity()).collect();
    let mut seen: HashSet<String> = store::known_identities(conn, &identities)?.into_iter().collect();
    let mut fresh: Vec<(fire::Detection, Vec<ChainCell>, String)> = Vec::new();
    for ((d, chain), identity) in inside.into_iter().zip(identities) {
        if seen.insert(identity.clone()) {
            fresh.push((d, chain, identity));
        } else {
            summary.already_known += 1;
        }
    }
    fresh.sort_by_key(|(d, _, _)| d.acquired_at);
    let (Some(first), Some(last)) = (fresh.first(), fresh.last()) else { return Ok(summary) };
    let window = policy.merge.window;
    let (from, to) = ((first.0.acquired_at - window).naive_utc(), (last.0.acquired_at + window).naive_utc());
    let (mut events, members) = store::events_near_in_time(conn, from, to)?;
    let index_of: HashMap<String, usize> = events.iter().enumerate().map(|(i, e)| (e.id.clone(), i)).collect();
    let existing = events.len();
    let mut merger = Merger::new(policy.merge);
    for (event, lon, lat, at) in &members {
        merger.add_existing(index_of[event], *lon, *lat, at.and_utc());
    }
    let heat_sources = super::heat_sources::in_force(conn)?;
    let now = db::now();
    for (d, chain, identity) in fresh {
        let deepest = chain.last().expect("inside the grid");
        let cell = grid::store::find_cell(conn, &deepest.code)?
            .ok_or_else(|| ApiError::Unavailable("the grid changed while routing; retry".into()))?;
        let register = heat_sources.iter().map(|(id, h)| (id.as_str(), h));
        let (screened, heat_source_id) = fire::screen(&d, &policy.thresholds, register).unzip();
        let event_id = match &screened {
            Some(reason) => {
                *summary.screened.entry(reason.as_str().to_owned()).or_default() += 1;
                None
            }
            None => match merger.place(d.lon, d.lat, d.acquired_at) {
                Placement::Joined(i) => {
                    let event = &mut events[i];
                    event.detections += 1;
                    event.first_at = event.first_at.min(d.acquired_at.naive_utc());
                    event.last_at = event.last_at.max(d.acquired_at.naive_utc());
                    if i < existing {
                        summary.joined_existing += 1;
                    }
                    store::extend_event(conn, event)?;
                    Some(event.id.clone())
                }
                Placement::New(i) => {
                    debug_assert_eq!(i, events.len());
                    let event = dispatch(conn, caller, &d, chain.clone(), &cell, policy, incident_policy)?;
                    summary.events_created += 1;
                    let id = event.id.clone();
                    summary.event_ids.push(id.clone());
                    events.push(event);
                    Some(id)
                }
            },
        };
        store::insert_detection(
            conn,
            &DetectionRow {
                id: db::new_id(),
                identity,
                source: d.source.clone(),
                satellite: d.satellite.to_string(),
                instrument: d.satellite.instrument().map(str::to_owned),
                acquired_at: d.acquired_at.naive_utc(),
                lon: d.lon,
                lat: d.lat,
                brightness: d.brightness,
                brightness_2: d.brightness_2,
                frp: d.frp,
                confidence: d.confidence.map(|c| c.as_text()),
                daynight: d.daynight.clone(),
                version: d.version.clone(),
                fire_type: d.fire_type.map(i32::from),
                cell_code: cell.code.clone(),
                cell_path: cell.path.clone(),
                screened: screened.map(|r| r.as_str().to_owned()),
                event_id,
                imported_at: now,
                heat_source_id: heat_source_id.flatten(),
            },
        )?;
        summary.imported += 1;
    }
    Ok(summary)
}

/// Whether the grid knows the cell as farmland: `"land_use": "farmland"` (or `耕地`) in its properties.
/// Fires there are straw burning (秸秆焚烧); elsewhere open burning.
pub fn is_farmland(properties: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(properties)
        .ok()
        .and_then(|p| p.get("land_use").and_then(|v| v.as_str()).map(|v| v == "farmland" || v == "耕地"))
        .unwrap_or(false)
}

/// A new fire event, dispatched as an incident through the incidents' own report path.
fn dispatch(
    conn: &mut AnyConnection,
    caller: &Caller,
    d: &fire::Detection,
    chain: Vec<ChainCell>,
    cell: &grid::store::CellRow,
    policy: &FirePolicy,
    incident_policy: &Policy,
) -> Result<EventRow, ApiError> {
    let category = if is_farmland(&cell.properties) { "straw_fire" } else { "open_burning" };
    let local = d.acquired_at.with_timezone(&policy.tz).format("%Y-%m-%d %H:%M");
    let confidence = d.confidence.map(|c| c.as_text()).unwrap_or_else(|| "?".into());
    let draft = ReportDraft {
        category: CategoryCode::parse(category).map_err(ApiError::internal)?,
        description: format!(
            "卫星火点 satellite fire point: {} at {local} (city time), confidence {confidence}",
            d.satellite
        ),
        lon: d.lon,
        lat: d.lat,
        accuracy_m: None,
        address: None,
        occurred_at: d.acquired_at.naive_utc(),
        source: Source::Satellite,
        severity: Severity::High,
        external: None,
    };
    let (incident, _) = incidents::report(conn, caller, draft, chain, incident_policy)?;
    let control = incidents::routing(&incident)?.control;
    let now = db::now();
    let event = EventRow {
        id: db::new_id(),
        incident_id: Some(incident.id),
        cell_code: cell.code.clone(),
        cell_path: cell.path.clone(),
        lon: d.lon,
        lat: d.lat,
        first_at: d.acquired_at.naive_utc(),
        last_at: d.acquired_at.naive_utc(),
        detections: 1,
        verify_by: policy.verify_by(now.and_utc(), control.as_ref(), incident_policy).naive_utc(),
        finding: None,
        finding_note: None,
        verified_at: None,
        verified_by: None,
        created_at: now,
    };
    store::insert_event(conn, &event)?;
    Ok(event)
}

/// A fire event the caller may see, with its detections; 404 outside the caller's subtree.
pub fn get(conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<(EventRow, Vec<DetectionRow>), ApiError> {
    caller.require(Permission::IncidentsRead)?;
    let event = visible(conn, caller, id)?;
    let detections = store::detections_of(conn, &event.id)?;
    Ok((event, detections))
}

/// Detections in the caller's part of the grid (or the subtree of `cell`), newest first.
pub fn list_detections(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: store::FireFilter,
    cell: Option<&str>,
    after: Option<(chrono::NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<DetectionRow>, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    filter.within = grid::service::records_within(conn, caller, cell)?;
    Ok(store::list_detections(conn, &filter, after, limit)?)
}

/// Fire events in the caller's part of the grid (or the subtree of `cell`), newest first, each with its
/// detections.
pub fn list_events(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: store::FireFilter,
    cell: Option<&str>,
    after: Option<(chrono::NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<(EventRow, Vec<DetectionRow>)>, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    filter.within = grid::service::records_within(conn, caller, cell)?;
    let events = store::list_events(conn, &filter, after, limit)?;
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let mut by_event: HashMap<String, Vec<DetectionRow>> = HashMap::new();
    for d in store::detections_of_events(conn, &ids)? {
        by_event.entry(d.event_id.clone().unwrap_or_default()).or_default().push(d);
    }
    Ok(events
        .into_iter()
        .map(|e| {
            let detections = by_event.remove(&e.id).unwrap_or_default();
            (e, detections)
        })
        .collect())
}

fn visible(conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<EventRow, ApiError> {
    store::find_event(conn, id)?
        .filter(|e| caller.scope.covers(&e.cell_path))
        .ok_or_else(|| ApiError::NotFound("no fire event here".into()))
}

/// Records the ground finding once, on the event and on its incident's timeline; the incident then goes on
/// through the closed loop (assigned for rectification, or rejected as a false alarm by its manager).
pub fn verify(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    finding: Finding,
    note: Option<String>,
    register: Option<(String, HeatSourceKind, f64)>,
) -> Result<EventRow, ApiError> {
    caller.require(Permission::IncidentsReport)?;
    let mut event = visible(conn, caller, id)?;
    if event.finding.is_some() {
        return Err(ApiError::Conflict("the ground finding of this fire event is recorded already".into()));
    }
    if let Some((name, kind, radius_m)) = register {
        caller.require(Permission::FireManage)?;
        if !matches!(finding, Finding::IndustrialHeatSource | Finding::OtherHeatSource) {
            let message = "only a heat-source finding adds to the register";
            return Err(ApiError::validation(vec![crate::error::FieldError::new("register", message)]));
        }
        let new = super::heat_sources::NewHeatSource {
            name,
            kind,
            lon: event.lon,
            lat: event.lat,
            boundary: None,
            outline_cells: Vec::new(),
            radius_m,
            note: note.clone(),
        };
        super::heat_sources::register(conn, caller, (&event.cell_code, "register"), new, Some(event.id.clone()))?;
    }
    let now = db::now();
    event.finding = Some(finding.as_str().to_owned());
    event.finding_note = note.clone();
    event.verified_at = Some(now);
    event.verified_by = caller.account().map(str::to_owned);
    // Conditional, so of two findings sent at once only one is recorded.
    if !store::record_finding(conn, &event)? {
        return Err(ApiError::Conflict("the ground finding of this fire event is recorded already".into()));
    }
    if let Some(incident_id) = &event.incident_id {
        let incident = crate::incidents::store::find(conn, incident_id)?
            .ok_or_else(|| ApiError::internal(format!("fire event {} lost incident {incident_id}", event.id)))?;
        let status = incidents::stored_status(&incident)?;
        let data = json!({"fire_event_id": event.id, "finding": finding, "within_deadline": now <= event.verify_by});
        incidents::record_entry(conn, caller, incident_id, "ground_finding", Some(status), status, note, data)?;
    }
    let facts = FireFindingFacts {
        fire_event_id: event.id.clone(),
        incident_id: event.incident_id.clone(),
        cell_code: event.cell_code.clone(),
        finding: finding.as_str().to_owned(),
        within_deadline: now <= event.verify_by,
    };
    let recorded = Event::new(event.id.clone(), Some(event.cell_path.clone()), EventData::FireEventVerified(facts));
    events::record_one(conn, caller, recorded)?;
    Ok(event)
}

/// Whether an event's check is late at `now`: unverified past its deadline, or verified after it.
pub fn overdue(event: &EventRow, now: DateTime<Utc>) -> bool {
    match event.verified_at {
        Some(at) => at > event.verify_by,
        None => now.naive_utc() > event.verify_by,
    }
}

/// Fire-point figures for a period of city-local days.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, ToSchema)]
pub struct FireStats {
    /// Detections inside the grid (the part asked for) acquired in the period.
    pub detections: u64,
    /// Of them, kept from dispatch, by reason.
    pub screened: std::collections::BTreeMap<String, u64>,
    /// Fire events first detected in the period: the count the city is judged on.
    pub fire_events: u64,
    /// Fire events whose ground check was recorded by its deadline.
    pub verified_within_deadline: u64,
    /// Fire events still unverified past their deadline, or verified late.
    pub overdue: u64,
    /// Burning confirmed or traces of burning.
    pub confirmed_burnings: u64,
    /// False alarms by finding (`industrial_heat_source`, `other_heat_source`, `nothing_found`).
    pub false_alarms: std::collections::BTreeMap<String, u64>,
    /// Fire events per city-local day of their first detection.
    pub per_day: std::collections::BTreeMap<chrono::NaiveDate, u64>,
}

/// The figures for [from, to] (city-local days) in the caller's part of the grid, or the subtree of `cell`.
pub fn stats(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<FireStats, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    let within = grid::service::records_within(conn, caller, cell)?;
    let (begin, end) = crate::domain::time::days(from, to, tz)
        .map(|(b, e)| (b.naive_utc(), e.naive_utc()))
        .map_err(|m| ApiError::validation(vec![crate::error::FieldError::new("to", m)]))?;
    let mut stats = FireStats::default();
    for (_, screened) in store::detections_between(conn, within.as_deref(), begin, end)? {
        stats.detections += 1;
        if let Some(reason) = screened {
            *stats.screened.entry(reason).or_default() += 1;
        }
    }
    let now = Utc::now();
    for event in store::events_between(conn, within.as_deref(), begin, end)? {
        stats.fire_events += 1;
        *stats.per_day.entry(event.first_at.and_utc().with_timezone(&tz).date_naive()).or_default() += 1;
        if overdue(&event, now) {
            stats.overdue += 1;
        } else if event.verified_at.is_some() {
            stats.verified_within_deadline += 1;
        }
        match event.finding.as_deref().and_then(Finding::parse) {
            Some(f) if f.is_burning() => stats.confirmed_burnings += 1,
            Some(f) => *stats.false_alarms.entry(f.as_str().to_owned()).or_default() += 1,
            None => {}
        }
    }
    Ok(stats)
}
