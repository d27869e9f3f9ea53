//! Inspection use cases: an import in one transaction (routed, judged, idempotent by source and record id,
//! corrections kept as versions), a record with its history, lists, and the pass-rate figures.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::VehiclePolicy;
use super::read::{Numbered, Parsed, Submitted};
use super::store::{self, InspectionFilter, InspectionRow, VersionRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection, Db};
use crate::domain::access::Permission;
use crate::domain::vehicle::{self, Outcome};
use crate::error::{ApiError, FieldError};
use crate::events::{self, Event, EventData, VehicleImportFacts};
use crate::grid;
use crate::grid::live::{LiveIndex, Snapshot};
use crate::import;

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"rows": 3, "created": 2, "updated": 1, "unchanged": 0, "disagreements": 1,
    "results": {"pass": 2, "fail": 1}}))]
pub struct InspectionImportSummary {
    /// Data rows in the file.
    pub rows: u64,
    /// Records new to airgrid.
    pub created: u64,
    /// Records that replaced a different earlier version (kept in their history).
    pub updated: u64,
    /// Records stored already exactly so (a file sent again).
    pub unchanged: u64,
    /// Created or updated records whose submitted result differs from the server's judgement.
    pub disagreements: u64,
    /// Created or updated records by the server's result.
    pub results: BTreeMap<String, u64>,
}

impl InspectionImportSummary {
    /// Adds what one chunk of a queued import did.
    pub fn add(&mut self, chunk: &Self) {
        self.rows += chunk.rows;
        self.created += chunk.created;
        self.updated += chunk.updated;
        self.unchanged += chunk.unchanged;
        self.disagreements += chunk.disagreements;
        for (result, n) in &chunk.results {
            *self.results.entry(result.clone()).or_default() += n;
        }
    }
}

/// Who may import: inspection stations (`vehicles:submit`) and integrations granted `vehicles:import`.
pub fn require_import(caller: &Caller) -> Result<(), ApiError> {
    if caller.holds(Permission::VehiclesSubmit) { Ok(()) } else { caller.require(Permission::VehiclesImport) }
}

/// Routes every positioned record with this instance's grid index, then writes the import in one
/// transaction. A bad row writes nothing: the answer names it with the rows the reader refused.
pub async fn import(
    db: &Db,
    live: &LiveIndex,
    caller: Caller,
    source: String,
    (rows, errors): Parsed,
    policy: Arc<VehiclePolicy>,
) -> Result<InspectionImportSummary, ApiError> {
    require_import(&caller)?;
    let snapshot = live.current(db, Utc::now().with_timezone(&policy.tz).date_naive()).await?;
    let routed = route(&snapshot, rows);
    db.transaction(move |conn| {
        let summary = write_rows(conn, &caller, &source, &routed, errors, &mut Seen::default(), &policy)?;
        record_imported(conn, &caller, &source, &summary)?;
        Ok(summary)
    })
    .await
}

/// Records with the code of the cell each belongs to: the one it names, or the deepest cell its position
/// lies in (this instance's grid index).
pub type Routed = Vec<(Numbered, Option<String>)>;

pub fn route(snapshot: &Snapshot, rows: Vec<Numbered>) -> Routed {
    rows.into_iter()
        .map(|n| {
            let cell = locate(snapshot, &n);
            (n, cell)
        })
        .collect()
}

/// The cell a record names, or the deepest cell its position lies in.
pub fn locate(snapshot: &Snapshot, n: &Numbered) -> Option<String> {
    n.record.cell.clone().or_else(|| {
        let (lon, lat) = n.record.position?;
        snapshot.index.locate(lon, lat).last().map(|c| c.code.to_string())
    })
}

/// What an import has met so far: the path of each cell code (looked up once; `None`: no such cell) and
/// the line each record id was first on.
#[derive(Debug, Default)]
pub struct Seen {
    paths: HashMap<String, Option<String>>,
    lines: HashMap<String, u64>,
}

/// Checks what a row can only be checked against: its record id new in the file, its named cell existing,
/// its cell in the caller's part of the grid. The cell's path, or what is wrong.
pub fn check(
    conn: &mut AnyConnection,
    caller: &Caller,
    (Numbered { row, record }, code): (&Numbered, Option<&str>),
    seen: &mut Seen,
) -> Result<Result<Option<String>, FieldError>, ApiError> {
    if let Some(first) = seen.lines.insert(record.record_id.clone(), *row) {
        return Ok(Err(FieldError::in_row(*row, "record_id", format!("appears again (first on line {first})"))));
    }
    let path = match code {
        Some(code) => match seen.paths.get(code) {
            Some(path) => path.clone(),
            None => {
                let path = grid::store::find_cell(conn, code)?.map(|c| c.path);
                seen.paths.insert(code.to_owned(), path.clone());
                path
            }
        },
        None => None,
    };
    if record.cell.is_some() && path.is_none() {
        return Ok(Err(FieldError::in_row(*row, "cell", "no cell has this code")));
    }
    if let Some(home) = caller.scope.home_path()
        && !path.as_deref().is_some_and(|p| p.starts_with(home))
    {
        let field = if record.cell.is_some() { "cell" } else { "lon" };
        return Ok(Err(FieldError::in_row(*row, field, "is outside your part of the grid")));
    }
    Ok(Ok(path))
}

/// Checks and writes records of one source: unchanged ones are counted and skipped, changed ones replace
/// their record (the old one kept as a version), new ones inserted. Any bad row (the reader's `errors` and
/// those found here) answers 422 naming every one; the caller's transaction then writes nothing.
pub fn write_rows(
    conn: &mut AnyConnection,
    caller: &Caller,
    source: &str,
    rows: &[(Numbered, Option<String>)],
    mut errors: Vec<FieldError>,
    seen: &mut Seen,
    policy: &VehiclePolicy,
) -> Result<InspectionImportSummary, ApiError> {
    let mut summary = InspectionImportSummary { rows: rows.len() as u64, ..Default::default() };
    let ids: Vec<&str> = rows.iter().map(|(n, _)| n.record.record_id.as_str()).collect();
    let known: HashMap<String, (String, String, i32)> =
        store::known(conn, source, &ids)?.into_iter().map(|(record, id, fp, v)| (record, (id, fp, v))).collect();
    let mut created = Vec::new();
    let now = db::now();
    let by = caller.username.clone();
    for (numbered, code) in rows {
        let path = match check(conn, caller, (numbered, code.as_deref()), seen)? {
            Ok(path) => path,
            Err(bad) => {
                errors.push(bad);
                continue;
            }
        };
        let record = &numbered.record;
        let fingerprint = fingerprint(record);
        let (id, version) = match known.get(&record.record_id) {
            Some((_, fp, _)) if *fp == fingerprint => {
                summary.unchanged += 1;
                continue;
            }
            Some((id, _, version)) => (id.clone(), version + 1),
            None => (db::new_id(), 1),
        };
        let row = inspection_row(record, source, id, version, (code.clone(), path), fingerprint, &by, now, policy)?;
        summary.disagreements += u64::from(row.disagrees);
        *summary.results.entry(row.result.clone()).or_default() += 1;
        if version == 1 {
            summary.created += 1;
            created.push(row);
        } else {
            summary.updated += 1;
            store::replace(conn, &row, &by)?;
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(import::invalid_rows(errors));
    }
    store::insert(conn, &created)?;
    Ok(summary)
}

/// The one event of an import that changed anything.
pub fn record_imported(
    conn: &mut AnyConnection,
    caller: &Caller,
    source: &str,
    summary: &InspectionImportSummary,
) -> Result<(), ApiError> {
    if summary.created + summary.updated > 0 {
        let facts = VehicleImportFacts {
            source: source.to_owned(),
            rows: summary.rows,
            created: summary.created,
            updated: summary.updated,
            unchanged: summary.unchanged,
        };
        events::record_one(conn, caller, Event::new(source, None, EventData::VehicleInspectionsImported(facts)))?;
    }
    Ok(())
}

/// SHA-256 of the normalised record: equal for a row sent again, different for a corrected one.
fn fingerprint(record: &Submitted) -> String {
    let json = serde_json::to_vec(record).expect("a record serialises");
    format!("{:x}", Sha256::digest(json))
}

/// The stored row of a record, with the server's judgement.
#[allow(clippy::too_many_arguments)]
fn inspection_row(
    r: &Submitted,
    source: &str,
    id: String,
    version: i32,
    (cell_code, cell_path): (Option<String>, Option<String>),
    fingerprint: String,
    by: &str,
    now: chrono::NaiveDateTime,
    policy: &VehiclePolicy,
) -> Result<InspectionRow, ApiError> {
    let judged = vehicle::judge(&policy.limits, r.method, r.stage, r.limit_class, &r.measurements, r.result);
    let mut measured: serde_json::Map<String, Value> =
        r.measurements.values.iter().map(|(q, v)| (q.as_str().to_owned(), json!(v))).collect();
    if r.method == vehicle::TestMethod::Obd || !r.measurements.obd_fault_codes.is_empty() {
        measured.insert("obd_fault_codes".into(), json!(r.measurements.obd_fault_codes));
    }
    if let Some(ready) = r.measurements.obd_ready {
        measured.insert("obd_ready".into(), json!(ready));
    }
    let (lon, lat) = r.position.unzip();
    Ok(InspectionRow {
        id,
        source: source.to_owned(),
        record_id: r.record_id.clone(),
        station: r.station.clone(),
        inspected_at: r.inspected_at.naive_utc(),
        plate: r.plate.clone(),
        plate_colour: r.plate_colour.map(|c| c.as_str().to_owned()),
        vin: r.vin.clone(),
        vin_check_ok: r.vin_check_ok,
        vehicle_category: r.vehicle_category.clone(),
        fuel_type: r.fuel_type.clone(),
        stage: r.stage.map(|s| s.as_str().to_owned()),
        method: r.method.as_str().to_owned(),
        limit_class: r.limit_class.as_str().to_owned(),
        lon,
        lat,
        cell_code,
        cell_path,
        measurements: Value::Object(measured).to_string(),
        items: serde_json::to_string(&judged.items).map_err(ApiError::internal)?,
        submitted_result: r.result.map(|o| o.as_str().to_owned()),
        disagrees: r.result.is_some_and(|s| s != judged.result),
        result: judged.result.as_str().to_owned(),
        fingerprint,
        version,
        imported_by: by.to_owned(),
        created_at: now,
        updated_at: now,
    })
}

/// A record the caller may read: records without a cell only for callers who see the whole grid.
fn visible(caller: &Caller, row: &InspectionRow) -> bool {
    match (caller.scope.home_path(), &row.cell_path) {
        (None, _) => true,
        (Some(home), Some(path)) => path.starts_with(home),
        (Some(_), None) => false,
    }
}

/// A record with its earlier versions; 404 when out of the caller's sight.
pub fn get(conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<(InspectionRow, Vec<VersionRow>), ApiError> {
    caller.require(Permission::VehiclesRead)?;
    let row = store::find(conn, id)?.filter(|row| visible(caller, row));
    let row = row.ok_or_else(|| ApiError::NotFound("no inspection here".into()))?;
    let versions = store::versions(conn, id)?;
    Ok((row, versions))
}

/// Records matching `filter` in the caller's part of the grid (or the subtree of `cell`), newest first.
pub fn list(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: InspectionFilter,
    cell: Option<&str>,
    after: Option<(chrono::NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<InspectionRow>, ApiError> {
    caller.require(Permission::VehiclesRead)?;
    filter.within = grid::service::records_within(conn, caller, cell)?;
    Ok(store::list(conn, &filter, after, limit)?)
}

/// Counts of one group of inspections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tally {
    /// Inspections with a pass or fail result (aborted and invalid tests are not counted as tested).
    pub tested: u64,
    pub passed: u64,
    pub failed: u64,
    /// Passed of tested, in percent with two decimals; null when nothing was tested.
    pub pass_rate: Option<f64>,
}

impl Tally {
    fn add(&mut self, result: Outcome) {
        match result {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail => self.failed += 1,
            Outcome::Aborted | Outcome::Invalid => return,
        }
        self.tested += 1;
        self.pass_rate = vehicle::pass_rate(self.passed as i64, self.tested as i64);
    }
}

/// Inspection figures for a period of city-local days.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"from": "2026-01-01", "to": "2026-12-31", "cell": null,
    "tested": 100000, "passed": 97720, "failed": 2280, "pass_rate": 97.72, "aborted": 12, "invalid": 3,
    "target": 90.0, "meets_target": true, "failed_vehicles": 2280, "retested": 2100, "retest_passed": 2050,
    "retest_pass_rate": 97.62, "by_method": {"free_acceleration": {"tested": 60000, "passed": 58800, "failed": 1200, "pass_rate": 98.0}},
    "by_stage": {}, "by_station": {}}))]
pub struct InspectionStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The cell whose subtree was counted; null for everything the caller sees.
    pub cell: Option<String>,
    #[serde(flatten)]
    pub total: Tally,
    /// Tests the station aborted.
    pub aborted: u64,
    /// Tests that could not be judged (a needed value missing, or declared invalid).
    pub invalid: u64,
    /// The pass rate the city is held to, in percent.
    pub target: f64,
    /// Whether the pass rate reaches the target; null when nothing was tested.
    pub meets_target: Option<bool>,
    /// Vehicles (plates) that failed at least once in the period …
    pub failed_vehicles: u64,
    /// … of them, tested again later in the period …
    pub retested: u64,
    /// … and passing a later test.
    pub retest_passed: u64,
    /// Retest passes of retested vehicles, in percent.
    pub retest_pass_rate: Option<f64>,
    pub by_method: BTreeMap<String, Tally>,
    /// By emission stage (`unknown` when the record gives none).
    pub by_stage: BTreeMap<String, Tally>,
    /// By station (`unknown` when the record gives none).
    pub by_station: BTreeMap<String, Tally>,
}

/// The figures for [from, to] (city-local days) in the caller's part of the grid, or the subtree of `cell`.
pub fn stats(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
    (from, to): (NaiveDate, NaiveDate),
    mut filter: InspectionFilter,
    policy: &VehiclePolicy,
) -> Result<InspectionStats, ApiError> {
    caller.require(Permission::VehiclesRead)?;
    filter.within = grid::service::records_within(conn, caller, cell)?;
    let (begin, end) = crate::domain::time::days(from, to, policy.tz)
        .map_err(|m| ApiError::validation(vec![FieldError::new("to", m)]))?;
    (filter.from, filter.to) = (Some(begin.naive_utc()), Some(end.naive_utc()));
    let mut stats = InspectionStats {
        from,
        to,
        cell: cell.map(str::to_owned),
        target: policy.target_percent,
        ..Default::default()
    };
    // Per failed plate: whether a later test happened, and whether one passed.
    let mut failed: HashMap<String, (bool, bool)> = HashMap::new();
    for (plate, _, method, stage, station, _, result) in store::facts(conn, &filter)? {
        let result = Outcome::parse(&result).ok_or_else(|| ApiError::internal(format!("stored result {result}")))?;
        match result {
            Outcome::Aborted => stats.aborted += 1,
            Outcome::Invalid => stats.invalid += 1,
            _ => {}
        }
        stats.total.add(result);
        stats.by_method.entry(method).or_default().add(result);
        stats.by_stage.entry(stage.unwrap_or_else(|| "unknown".into())).or_default().add(result);
        stats.by_station.entry(station.unwrap_or_else(|| "unknown".into())).or_default().add(result);
        match (failed.get_mut(&plate), result) {
            (Some(later), Outcome::Pass) => *later = (true, true),
            (Some(later), Outcome::Fail) => later.0 = true,
            (None, Outcome::Fail) => {
                failed.insert(plate, (false, false));
            }
            _ => {}
        }
    }
    stats.meets_target = stats.total.pass_rate.map(|rate| rate >= policy.target_percent);
    stats.failed_vehicles = failed.len() as u64;
    stats.retested = failed.values().filter(|(retested, _)| *retested).count() as u64;
    stats.retest_passed = failed.values().filter(|(_, passed)| *passed).count() as u64;
    stats.retest_pass_rate = vehicle::pass_rate(stats.retest_passed as i64, stats.retested as i64);
    Ok(stats)
}
