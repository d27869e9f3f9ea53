//! Grid use cases. Each runs inside the caller's transaction: lock the grid, build the prospective
//! state around the change, check the rules, then write and tell the other instances.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::store::{self, CellFilter, CellRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::domain::geometry::{Boundary, GeometryJson};
use crate::domain::grid::{self, CellCode, CellShape, Level, Tolerances, Violation};
use crate::domain::scope::Scope;
use crate::error::{ApiError, FieldError};
use crate::events::{self, CellChange, CellFacts, CellRemoval, CellRetirement, Event, EventData, GridImport};
use crate::http::IfMatch;

/// A parsed, valid new cell.
#[derive(Debug, Clone)]
pub struct CellDraft {
    pub code: CellCode,
    pub name: String,
    pub level: Level,
    pub parent: Option<CellCode>,
    pub geometry: GeometryJson,
    pub boundary: Boundary,
    pub properties: Map<String, Value>,
    pub valid_from: Option<NaiveDate>,
}

/// Parsed changes to an existing cell; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct CellChanges {
    pub name: Option<String>,
    pub parent: Option<CellCode>,
    pub geometry: Option<(GeometryJson, Boundary)>,
    pub properties: Option<Map<String, Value>>,
    pub valid_from: Option<NaiveDate>,
}

/// The result of a bulk import.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Features in the file.
    pub total: usize,
    /// Cells created.
    pub created: usize,
    /// Existing cells whose content changed.
    pub updated: usize,
    /// Existing cells already exactly as in the file.
    pub unchanged: usize,
    /// True when nothing was written because `dry_run` was asked for.
    pub dry_run: bool,
}

/// A cell the caller may see; 404 otherwise (no existence leak).
pub fn visible_cell(conn: &mut AnyConnection, caller: &Caller, code: &CellCode) -> Result<CellRow, ApiError> {
    let row = existing(conn, code)?;
    caller.may_see(&row.path, "grid cell")?;
    Ok(row)
}

/// A cell the caller may change, as it stands inside the writing transaction (and held there until it
/// ends): 404 out of sight, 403 seen but outside the caller's subtree.
pub(super) fn changeable(conn: &mut AnyConnection, caller: &Caller, code: &CellCode) -> Result<CellRow, ApiError> {
    store::hold_cell(conn, code.as_str())?;
    let row = existing(conn, code)?;
    caller.may_change(&row.path, "grid cell")?;
    Ok(row)
}

/// The caller may put a cell below `parent` (a parent that does not exist is the rules' business), or at
/// the top only when it reaches the whole grid.
fn may_attach(conn: &mut AnyConnection, caller: &Caller, parent: Option<&CellCode>) -> Result<(), ApiError> {
    match parent {
        Some(parent) => match store::find_cell(conn, parent.as_str())? {
            Some(row) => caller.may_change(&row.path, "parent cell"),
            None => Ok(()),
        },
        None if caller.scope != Scope::Everywhere => {
            Err(ApiError::Forbidden("only callers without a home cell may create top-level cells".into()))
        }
        None => Ok(()),
    }
}

/// The path of the visible cell `code`, for filters by subtree; 422 naming `field` for a cell the caller cannot
/// see or that does not exist (they answer alike).
pub fn subtree_of(conn: &mut AnyConnection, caller: &Caller, code: &str, field: &str) -> Result<String, ApiError> {
    store::find_cell(conn, code)?
        .filter(|r| caller.scope.sees_cell(&r.path))
        .map(|r| r.path)
        .ok_or_else(|| ApiError::validation(vec![FieldError::new(field, "no cell has this code")]))
}

/// A cell the caller may attach records to (incidents, machines…): current, and in its subtree; held against
/// a concurrent retirement until the transaction ends. 422 naming `field` when there is no such cell.
pub fn target_cell(conn: &mut AnyConnection, caller: &Caller, code: &str, field: &str) -> Result<CellRow, ApiError> {
    store::hold_cell(conn, code)?;
    let cell = store::find_cell(conn, code)?
        .filter(|c| caller.scope.sees_cell(&c.path) && c.valid_to.is_none())
        .ok_or_else(|| ApiError::validation(vec![FieldError::new(field, "no current cell has this code")]))?;
    caller.may_change(&cell.path, field)?;
    Ok(cell)
}

/// Where records attached to cells (sheets, fire points…) may be read: the subtree of `cell`, a code the
/// caller sees, narrowed to the caller's home when it is one of the home's ancestors (records are seen in the
/// subtree only); without `cell`, the caller's home subtree, or everywhere (`None`) for an unscoped caller.
pub fn records_within(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let home = caller.scope.home_path();
    Ok(match cell {
        None => home.map(str::to_owned),
        Some(code) => {
            let path = subtree_of(conn, caller, code, "cell")?;
            Some(match home {
                Some(home) if home.starts_with(&path) => home.to_owned(),
                _ => path,
            })
        }
    })
}

/// Cells matching `filter` that the caller may see; `within` (a code) narrows it to a visible subtree.
pub fn list_cells(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: CellFilter,
    within: Option<String>,
    limit: i64,
) -> Result<Vec<CellRow>, ApiError> {
    if let Some(code) = within {
        filter.within_path = Some(subtree_of(conn, caller, &code, "within")?);
    }
    filter.visible_from = caller.scope.home_path().map(str::to_owned);
    Ok(store::list_cells(conn, &filter, limit)?)
}

/// A visible cell's ancestors, root first, ending with the cell, as far as the caller may see them.
pub fn ancestors(conn: &mut AnyConnection, caller: &Caller, code: &CellCode) -> Result<Vec<CellRow>, ApiError> {
    let cell = visible_cell(conn, caller, code)?;
    let codes: Vec<String> = cell.path.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect();
    let mut rows = store::cells_by_code(conn, &codes)?;
    rows.retain(|r| caller.scope.sees_cell(&r.path));
    rows.sort_by_key(|r| r.level);
    Ok(rows)
}

pub fn create_cell(
    conn: &mut AnyConnection,
    caller: &Caller,
    draft: CellDraft,
    tol: Tolerances,
    today: NaiveDate,
) -> Result<CellRow, ApiError> {
    store::lock_grid(conn)?;
    may_attach(conn, caller, draft.parent.as_ref())?;
    if store::find_cell(conn, draft.code.as_str())?.is_some() {
        return Err(rejected(vec![Violation::DuplicateCode { code: draft.code.to_string() }]));
    }
    let mut grid = neighbourhood(conn, &draft.code, draft.parent.as_ref(), today)?;
    grid.insert(draft.code.clone(), shape_of(&draft, today));
    check(&grid, [draft.code.clone()].into(), tol)?;

    let path = path_under(conn, draft.parent.as_ref(), &draft.code)?;
    let now = db::now();
    let row = new_row(&draft, path, today, now);
    store::insert_cell(conn, &row)?;
    store::bump_grid_revision(conn, now)?;
    events::record_one(conn, caller, cell_event(&row, EventData::CellCreated(cell_facts(&row))))?;
    Ok(row)
}

pub fn update_cell(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &CellCode,
    changes: CellChanges,
    if_match: IfMatch,
    tol: Tolerances,
    today: NaiveDate,
) -> Result<CellRow, ApiError> {
    store::lock_grid(conn)?;
    let mut row = changeable(conn, caller, code)?;
    if_match.check(row.version)?;
    if row.valid_to.is_some_and(|d| d <= today) {
        return Err(ApiError::Conflict(format!("cell {code} is retired; retired cells are kept as history")));
    }
    let old_parent = row.parent_code.clone();
    let new_parent = changes.parent.clone().or_else(|| old_parent.as_deref().and_then(|p| CellCode::parse(p).ok()));
    if changes.parent.is_some() {
        may_attach(conn, caller, new_parent.as_ref())?;
    }
    let mut changed = Vec::new();
    let mut grid = neighbourhood(conn, code, new_parent.as_ref(), today)?;
    let mut shape = grid.remove(code).map_or_else(|| stored_shape(&row), Ok)?;
    shape.parent = new_parent.clone();
    if let Some(day) = changes.valid_from {
        shape.valid_from = day;
    }
    if let Some((geometry, boundary)) = changes.geometry {
        let before = row.boundary.clone();
        set_boundary(&mut row, &geometry, &boundary);
        shape.boundary = boundary;
        note(&mut changed, "boundary", before != row.boundary);
    }
    grid.insert(code.clone(), shape);
    check(&grid, [code.clone()].into(), tol)?;

    let now = db::now();
    let moved = new_parent.as_ref().map(CellCode::as_str) != old_parent.as_deref();
    if moved {
        let new_path = path_under(conn, new_parent.as_ref(), code)?;
        store::move_subtree(conn, &row.path, &new_path)?;
        row.path = new_path;
        row.parent_code = new_parent.map(String::from);
        changed.push("parent_code".into());
    }
    if let Some(name) = changes.name {
        note(&mut changed, "name", name != row.name);
        row.name = name;
    }
    if let Some(properties) = changes.properties {
        let properties = properties_json(&properties);
        note(&mut changed, "properties", properties != row.properties);
        row.properties = properties;
    }
    if let Some(day) = changes.valid_from {
        // A cell that starts later drops out of today's grid: refuse that while cells hang below it.
        let has_children = store::count_children(conn, code.as_str())? > 0;
        if day > today && has_children {
            let message = "cannot move past today while the cell has child cells";
            return Err(ApiError::validation(vec![FieldError::new("valid_from", message)]));
        }
        note(&mut changed, "valid_from", day != row.valid_from);
        row.valid_from = day;
    }
    row.version += 1;
    row.updated_at = now;
    store::update_cell(conn, &row)?;
    store::bump_grid_revision(conn, now)?;
    let previous_parent_code = if moved { old_parent } else { None };
    let change = CellChange { cell: cell_facts(&row), changed, previous_parent_code };
    events::record_one(conn, caller, cell_event(&row, EventData::CellUpdated(change)))?;
    Ok(row)
}

/// Retires the cell and its whole subtree on `day`, ending their assignments too. History stays.
pub fn retire_cell(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &CellCode,
    day: NaiveDate,
    if_match: IfMatch,
) -> Result<CellRow, ApiError> {
    store::lock_grid(conn)?;
    let row = changeable(conn, caller, code)?;
    if_match.check(row.version)?;
    if row.valid_to.is_some() {
        return Err(ApiError::Conflict(format!("cell {code} is already retired")));
    }
    if let Some(later) = store::starting_after(conn, &row.path, day)? {
        let message = format!("cell {later} or one of its assignments only starts after this day; retire later");
        return Err(ApiError::validation(vec![FieldError::new("on", message)]));
    }
    let now = db::now();
    let (cells, assignments) = store::retire_subtree(conn, &row.path, day, now)?;
    store::bump_grid_revision(conn, now)?;
    let row = existing(conn, code)?;
    let retirement = CellRetirement { cell: cell_facts(&row), cells: cells as u64, assignments: assignments as u64 };
    events::record_one(conn, caller, cell_event(&row, EventData::CellRetired(retirement)))?;
    Ok(row)
}

/// Deletes a cell that nothing refers to; anything else must be retired instead.
pub fn delete_cell(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &CellCode,
    if_match: IfMatch,
) -> Result<(), ApiError> {
    store::lock_grid(conn)?;
    let row = changeable(conn, caller, code)?;
    if_match.check(row.version)?;
    let children = store::count_children(conn, code.as_str())?;
    let people = store::count_people(conn, code.as_str())?;
    let accounts = store::count_accounts_at_home(conn, code.as_str())?;
    if children > 0 || people > 0 || accounts > 0 {
        let reason = format!(
            "it still has {children} child cell(s), {people} responsible-person record(s) and {accounts} account(s) \
             at home there; retire it instead to keep history"
        );
        return Err(rejected(vec![Violation::InUse { code: code.to_string(), reason }]));
    }
    store::delete_cell(conn, code.as_str())?;
    store::bump_grid_revision(conn, db::now())?;
    events::record_one(conn, caller, cell_event(&row, EventData::CellDeleted(CellRemoval { code: row.code.clone() })))
}

/// What events say about a cell.
pub fn cell_facts(row: &CellRow) -> CellFacts {
    CellFacts {
        code: row.code.clone(),
        name: row.name.clone(),
        level: row.level,
        parent_code: row.parent_code.clone(),
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        version: row.version,
    }
}

fn cell_event(row: &CellRow, data: EventData) -> Event {
    Event::new(row.code.clone(), Some(row.path.clone()), data)
}

fn note(changed: &mut Vec<String>, field: &str, differs: bool) {
    if differs {
        changed.push(field.to_owned());
    }
}

/// A parsed import file: the features that parsed, with their positions in the file, and the errors of
/// those that did not.
#[derive(Debug, Default)]
pub struct ImportFile {
    pub features: Vec<(usize, CellDraft)>,
    pub rejected: Vec<FieldError>,
    /// Codes of features that did not parse (so the rules do not also call them missing parents).
    pub rejected_codes: BTreeSet<String>,
}

impl From<Vec<CellDraft>> for ImportFile {
    fn from(drafts: Vec<CellDraft>) -> Self {
        Self { features: drafts.into_iter().enumerate().collect(), ..Default::default() }
    }
}

/// Refuses (403) an import by a caller with a home cell when a feature's cell exists outside its subtree, or
/// would be put under a parent outside it; features whose parent is new in the file are judged later, with
/// the rules. Cheap, so it runs before any geometry is checked.
pub fn import_in_scope(
    conn: &mut AnyConnection,
    caller: &Caller,
    placements: &[(String, Option<String>)],
) -> Result<(), ApiError> {
    let Some(home) = caller.scope.home_path() else { return Ok(()) };
    let codes: Vec<String> =
        placements.iter().flat_map(|(code, parent)| std::iter::once(code.clone()).chain(parent.clone())).collect();
    let known: HashMap<String, String> = codes
        .chunks(10_000)
        .map(|chunk| store::cells_by_code(conn, chunk))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .map(|row| (row.code, row.path))
        .collect();
    let outside: Vec<&str> = placements
        .iter()
        .filter(|(code, parent)| match (known.get(code), parent.as_ref().and_then(|p| known.get(p))) {
            (Some(path), _) => !path.starts_with(home),
            (None, Some(parent_path)) => !format!("{parent_path}{code}/").starts_with(home),
            (None, None) => parent.is_none(),
        })
        .map(|(code, _)| code.as_str())
        .collect();
    if outside.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("outside your part of the grid: {}", outside.join(", "))))
    }
}

/// Upserts a whole set of cells by code: every cell is checked first, then all are written or none.
/// With a `scope` (a home-cell path), every changed cell must fall inside it.
pub fn import(
    conn: &mut AnyConnection,
    caller: &Caller,
    file: ImportFile,
    tol: Tolerances,
    today: NaiveDate,
    dry_run: bool,
) -> Result<ImportSummary, ApiError> {
    store::lock_grid(conn)?;
    let total = file.features.len();
    let position: HashMap<CellCode, usize> = file.features.iter().map(|(i, d)| (d.code.clone(), *i)).collect();
    let drafts: Vec<CellDraft> = file.features.into_iter().map(|(_, d)| d).collect();
    let mut violations = duplicates_in_file(&drafts);

    let existing: HashMap<String, CellRow> = store::list_cells(conn, &CellFilter::default(), i64::MAX)?
        .into_iter()
        .map(|row| (row.code.clone(), row))
        .collect();
    let mut grid = HashMap::new();
    for row in existing.values().filter(|r| is_active(r, today)) {
        grid.insert(CellCode::parse(&row.code).map_err(ApiError::internal)?, stored_shape(row)?);
    }

    let mut summary = ImportSummary { total, dry_run, ..Default::default() };
    let mut changed = BTreeSet::new();
    for draft in &drafts {
        match existing.get(draft.code.as_str()) {
            Some(row) if !is_active(row, today) => {
                violations.push(Violation::DuplicateCode { code: draft.code.to_string() })
            }
            Some(row) if same_content(row, draft) => summary.unchanged += 1,
            found => {
                if found.is_some() {
                    summary.updated += 1
                } else {
                    summary.created += 1
                }
                changed.insert(draft.code.clone());
                grid.insert(draft.code.clone(), shape_of(draft, found.map_or(today, |row| row.valid_from)));
            }
        }
    }
    // Scope first, so a refusal says nothing about cells the caller cannot see. A cell must be inside the
    // scope where it stands now and where the file puts it.
    let paths = paths_of(&grid);
    if let Some(scope) = caller.scope.home_path() {
        let outside: Vec<&str> = changed
            .iter()
            .filter(|c| {
                !paths[*c].starts_with(scope)
                    || existing.get(c.as_str()).is_some_and(|old| !old.path.starts_with(scope))
            })
            .map(CellCode::as_str)
            .collect();
        if !outside.is_empty() {
            return Err(ApiError::Forbidden(format!("outside your part of the grid: {}", outside.join(", "))));
        }
    }
    violations.extend(grid::check(&grid, &changed, tol));
    violations
        .retain(|v| !matches!(v, Violation::UnknownParent { parent, .. } if file.rejected_codes.contains(parent)));
    if !violations.is_empty() || !file.rejected.is_empty() {
        return Err(import_rejected(file.rejected, &violations, &position));
    }
    if dry_run || changed.is_empty() {
        return Ok(summary);
    }

    let now = db::now();
    let mut events = Vec::new();
    let mut new_rows: Vec<&CellDraft> =
        drafts.iter().filter(|d| changed.contains(&d.code) && !existing.contains_key(d.code.as_str())).collect();
    new_rows.sort_by_key(|d| d.level);
    for draft in new_rows {
        let row = new_row(draft, paths[&draft.code].clone(), today, now);
        store::insert_cell(conn, &row)?;
        events.push(cell_event(&row, EventData::CellCreated(cell_facts(&row))));
    }
    for draft in drafts.iter().filter(|d| changed.contains(&d.code)) {
        let Some(old) = existing.get(draft.code.as_str()) else { continue };
        let mut row = old.clone();
        row.name = draft.name.clone();
        row.level = draft.level.get().into();
        row.parent_code = draft.parent.as_ref().map(ToString::to_string);
        set_boundary(&mut row, &draft.geometry, &draft.boundary);
        row.properties = properties_json(&draft.properties);
        row.valid_from = draft.valid_from.unwrap_or(old.valid_from);
        row.version += 1;
        row.updated_at = now;
        store::update_cell(conn, &row)?;
        row.path = paths[&draft.code].clone();
        let moved = row.parent_code != old.parent_code;
        let changed = [
            ("name", row.name != old.name),
            ("level", row.level != old.level),
            ("parent_code", moved),
            ("boundary", row.boundary != old.boundary),
            ("properties", row.properties != old.properties),
            ("valid_from", row.valid_from != old.valid_from),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(field, _)| field.to_owned())
        .collect();
        let previous_parent_code = if moved { old.parent_code.clone() } else { None };
        let change = CellChange { cell: cell_facts(&row), changed, previous_parent_code };
        events.push(cell_event(&row, EventData::CellUpdated(change)));
    }
    // Moves re-root whole subtrees: bring every stored path in line with the new hierarchy.
    for (code, path) in &paths {
        if let Some(old) = existing.get(code.as_str()).filter(|old| &old.path != path) {
            store::move_subtree(conn, &old.path, path)?;
        }
    }
    store::bump_grid_revision(conn, now)?;
    let counts = GridImport {
        total: summary.total as u64,
        created: summary.created as u64,
        updated: summary.updated as u64,
        unchanged: summary.unchanged as u64,
    };
    let scope = caller.scope.home_path().map(str::to_owned);
    events.push(Event::new("grid", scope, EventData::GridImported(counts)));
    events::record(conn, caller, events)?;
    Ok(summary)
}

/// The row of a new cell at `path`.
fn new_row(draft: &CellDraft, path: String, today: NaiveDate, now: chrono::NaiveDateTime) -> CellRow {
    let mut row = CellRow {
        id: db::new_id(),
        code: draft.code.to_string(),
        name: draft.name.clone(),
        level: draft.level.get().into(),
        parent_code: draft.parent.as_ref().map(ToString::to_string),
        path,
        boundary: String::new(),
        min_lon: 0.0,
        min_lat: 0.0,
        max_lon: 0.0,
        max_lat: 0.0,
        properties: properties_json(&draft.properties),
        valid_from: draft.valid_from.unwrap_or(today),
        valid_to: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    set_boundary(&mut row, &draft.geometry, &draft.boundary);
    row
}

/// Stores a boundary with the bounding box that list filters use.
fn set_boundary(row: &mut CellRow, geometry: &GeometryJson, boundary: &Boundary) {
    let bbox = boundary.bbox();
    (row.min_lon, row.min_lat, row.max_lon, row.max_lat) = (bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y);
    row.boundary = to_json(geometry);
}

fn existing(conn: &mut AnyConnection, code: &CellCode) -> Result<CellRow, ApiError> {
    store::find_cell(conn, code.as_str())?.ok_or_else(|| ApiError::NotFound(format!("no grid cell has code {code}")))
}

pub fn is_active(row: &CellRow, day: NaiveDate) -> bool {
    row.valid_from <= day && row.valid_to.is_none_or(|end| end > day)
}

/// What the rules need around one changed cell: the new parent and its ancestors, the siblings, and
/// the cell's own children, all as they stand today.
fn neighbourhood(
    conn: &mut AnyConnection,
    code: &CellCode,
    parent: Option<&CellCode>,
    today: NaiveDate,
) -> Result<HashMap<CellCode, CellShape>, ApiError> {
    let mut rows = Vec::new();
    if let Some(parent) = parent {
        if let Some(parent_row) = store::find_cell(conn, parent.as_str())?.filter(|r| is_active(r, today)) {
            let ancestors: Vec<String> =
                parent_row.path.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect();
            rows.extend(store::cells_by_code(conn, &ancestors)?);
        }
        rows.extend(children(conn, parent.as_str(), today)?);
    }
    if parent.is_none() {
        // Level-1 cells are one another's siblings.
        let roots = CellFilter { level: Some(1), as_of: Some(today), ..Default::default() };
        rows.extend(store::list_cells(conn, &roots, i64::MAX)?);
    }
    rows.extend(children(conn, code.as_str(), today)?);
    rows.extend(store::find_cell(conn, code.as_str())?);
    let mut grid = HashMap::new();
    for row in rows.iter().filter(|r| is_active(r, today)) {
        grid.insert(CellCode::parse(&row.code).map_err(ApiError::internal)?, stored_shape(row)?);
    }
    Ok(grid)
}

fn children(conn: &mut AnyConnection, code: &str, today: NaiveDate) -> Result<Vec<CellRow>, ApiError> {
    let filter = CellFilter { parent: Some(code.to_owned()), as_of: Some(today), ..Default::default() };
    Ok(store::list_cells(conn, &filter, i64::MAX)?)
}

fn path_under(conn: &mut AnyConnection, parent: Option<&CellCode>, code: &CellCode) -> Result<String, ApiError> {
    let prefix = match parent {
        Some(p) => existing(conn, p)?.path,
        None => String::new(),
    };
    Ok(format!("{prefix}{code}/"))
}

/// The path of every cell of a prospective grid. A chain longer than the four levels (a cycle, or a file
/// that breaks the level rule) is cut short: the rules reject such cells anyway.
fn paths_of(grid: &HashMap<CellCode, CellShape>) -> HashMap<CellCode, String> {
    fn path(
        code: &CellCode,
        grid: &HashMap<CellCode, CellShape>,
        memo: &mut HashMap<CellCode, String>,
        depth: u8,
    ) -> String {
        if let Some(p) = memo.get(code) {
            return p.clone();
        }
        let prefix = match grid.get(code).and_then(|c| c.parent.as_ref()) {
            Some(parent) if depth < Level::DEEPEST.get() + 1 => path(parent, grid, memo, depth + 1),
            _ => String::new(),
        };
        let p = format!("{prefix}{code}/");
        memo.insert(code.clone(), p.clone());
        p
    }
    let mut memo = HashMap::new();
    for code in grid.keys() {
        path(code, grid, &mut memo, 0);
    }
    memo
}

pub fn stored_shape(row: &CellRow) -> Result<CellShape, ApiError> {
    let geometry: GeometryJson = serde_json::from_str(&row.boundary).map_err(ApiError::internal)?;
    Ok(CellShape {
        code: CellCode::parse(&row.code).map_err(ApiError::internal)?,
        level: Level::try_from(i64::from(row.level)).map_err(ApiError::internal)?,
        parent: row.parent_code.as_deref().map(CellCode::parse).transpose().map_err(ApiError::internal)?,
        boundary: Boundary::from_trusted(&geometry).map_err(ApiError::internal)?,
        valid_from: row.valid_from,
    })
}

/// The shape of a draft that applies from `valid_from` (its own, or the default chosen by the caller).
fn shape_of(draft: &CellDraft, valid_from: NaiveDate) -> CellShape {
    CellShape {
        code: draft.code.clone(),
        level: draft.level,
        parent: draft.parent.clone(),
        boundary: draft.boundary.clone(),
        valid_from: draft.valid_from.unwrap_or(valid_from),
    }
}

fn same_content(row: &CellRow, draft: &CellDraft) -> bool {
    row.name == draft.name
        && i64::from(row.level) == i64::from(draft.level)
        && row.parent_code.as_deref() == draft.parent.as_ref().map(CellCode::as_str)
        && row.boundary == to_json(&draft.geometry)
        && row.properties == properties_json(&draft.properties)
        && draft.valid_from.is_none_or(|d| d == row.valid_from)
}

fn duplicates_in_file(drafts: &[CellDraft]) -> Vec<Violation> {
    let mut seen = BTreeSet::new();
    drafts
        .iter()
        .filter(|d| !seen.insert(&d.code))
        .map(|d| Violation::DuplicateCode { code: d.code.to_string() })
        .collect()
}

fn properties_json(properties: &Map<String, Value>) -> String {
    serde_json::to_string(properties).expect("a JSON object serialises")
}

fn to_json(geometry: &GeometryJson) -> String {
    serde_json::to_string(geometry).expect("geometry serialises")
}

fn check(grid: &HashMap<CellCode, CellShape>, changed: BTreeSet<CellCode>, tol: Tolerances) -> Result<(), ApiError> {
    let violations = grid::check(grid, &changed, tol);
    if violations.is_empty() { Ok(()) } else { Err(rejected(violations)) }
}

/// A refusal for a single-cell change: the first rule broken gives the type, all are listed.
pub fn rejected(violations: Vec<Violation>) -> ApiError {
    let first = &violations[0];
    ApiError::Rule {
        slug: first.slug(),
        title: first.title(),
        detail: first.to_string(),
        errors: violations.iter().map(|v| entry(v, format!("cells.{}", v.code()))).collect(),
    }
}

/// A refusal for an import: every bad feature, by its position in the file.
fn import_rejected(
    mut errors: Vec<FieldError>,
    violations: &[Violation],
    position: &HashMap<CellCode, usize>,
) -> ApiError {
    errors.extend(violations.iter().map(|v| {
        let in_file =
            v.codes().into_iter().find_map(|c| CellCode::parse(c).ok().and_then(|c| position.get(&c).copied()));
        let field = in_file.map_or_else(|| format!("cells.{}", v.code()), |i| format!("features[{i}]"));
        entry(v, field)
    }));
    errors.sort_by_key(|e| feature_index(&e.field));
    ApiError::Rule {
        slug: "grid-import-rejected",
        title: "The grid import was rejected; nothing was written",
        detail: format!("{} problem(s) found; each is listed in `errors`", errors.len()),
        errors,
    }
}

/// `features[12].…` → 12, for listing errors in file order.
fn feature_index(field: &str) -> usize {
    field.strip_prefix("features[").and_then(|r| r.split(']').next()).and_then(|n| n.parse().ok()).unwrap_or(usize::MAX)
}

fn entry(v: &Violation, field: String) -> FieldError {
    FieldError { kind: Some(format!("/problems/{}", v.slug())), ..FieldError::new(field, v.to_string()) }
}
