//! Incident use cases. Each runs in the caller's transaction and checks scope on the rows as they are then:
//! an incident is seen by callers whose subtree holds its cell, by its reporter, and (while unrouted) by the
//! command centre (callers at home in a level-1 cell, or without a home cell).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::Policy;
use super::store::{self, CategoryRow, IncidentFilter, IncidentRow, TimelineRow, Visibility};
use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::domain::access::Permission;
use crate::domain::calendar::{self, Light, Span};
use crate::domain::crs::distance_m;
use crate::domain::grid::CellCode;
use crate::domain::incident::{CategoryCode, Deadlines, Severity, Source};
use crate::domain::scope::Scope;
use crate::domain::workflow::{self, Action, ActorFacts, Refusal, Status, Submission};
use crate::error::{ApiError, FieldError};
use crate::events::{self, Event, EventData, IncidentSummary, IncidentTransition};
use crate::grid;
use crate::http::IfMatch;

/// A parsed report.
#[derive(Debug, Clone)]
pub struct ReportDraft {
    pub category: CategoryCode,
    pub description: String,
    /// WGS-84.
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
    pub address: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub source: Source,
    pub severity: Severity,
    /// (system, ticket number), e.g. ("12345", "SY20261201-0042").
    pub external: Option<(String, String)>,
}

/// A cell of the chain routing found, root first.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChainCell {
    pub code: String,
    pub name: String,
    pub level: i32,
}

/// Someone responsible for the incident's cell when it was reported.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Responsible {
    pub name: String,
    /// `grid_chief`, `deputy_chief`, `grid_worker` or `supervisor`.
    pub role: String,
    pub phone: Option<String>,
    pub account_id: Option<String>,
}

/// What routing found: the chain of cells, root first (empty outside the grid), who was responsible for the
/// deepest cell then, and the special control in force there.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Routing {
    pub chain: Vec<ChainCell>,
    pub responsible: Vec<Responsible>,
    /// The special control in force over the cell then, if it tightens the incident's deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<crate::controls::service::Tightening>,
}

/// A pending request for more time.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Extension {
    pub until: DateTime<Utc>,
    pub note: Option<String>,
}

/// An open incident near a new report, of the same category and within its time window.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PossibleDuplicate {
    pub id: String,
    pub status: Status,
    pub distance_m: f64,
    pub reported_at: DateTime<Utc>,
}

/// What a transition request carries, parsed; which fields an action needs is the workflow's table.
#[derive(Debug, Clone, Default)]
pub struct TransitionRequest {
    pub note: Option<String>,
    pub cell: Option<CellCode>,
    pub assignee_id: Option<String>,
    pub deadline_at: Option<NaiveDateTime>,
    pub span: Option<Span>,
    pub original_id: Option<String>,
    pub until: Option<NaiveDateTime>,
    pub approve: Option<bool>,
}

/// An incident row with what the caller may do with it next.
#[derive(Debug, Clone)]
pub struct Seen {
    pub row: IncidentRow,
    pub available: Vec<Action>,
}

/// Reports an incident at the position the handler located (`chain`: root first; empty outside the grid).
pub fn report(
    conn: &mut AnyConnection,
    caller: &Caller,
    draft: ReportDraft,
    chain: Vec<ChainCell>,
    policy: &Policy,
) -> Result<(IncidentRow, Vec<PossibleDuplicate>), ApiError> {
    caller.require(Permission::IncidentsReport)?;
    let category = active_category(conn, &draft.category)?;
    if let Some((system, reference)) = &draft.external
        && let Some(existing) = store::find_by_external(conn, system, reference)?
    {
        return Err(ApiError::Conflict(format!(
            "ticket {reference} of {system} is already incident {}; send changes to it instead",
            existing.id
        )));
    }
    let now = db::now();
    if draft.occurred_at > now + chrono::Duration::minutes(5) {
        return Err(ApiError::validation(vec![FieldError::new("occurred_at", "must not be in the future")]));
    }
    let today = now.and_utc().with_timezone(&policy.tz).date_naive();
    let (cell, responsible) = match chain.last() {
        Some(deepest) => {
            // The cell must still be there as located: held until the report is written.
            grid::store::hold_cell(conn, &deepest.code)?;
            let row = grid::store::find_cell(conn, &deepest.code)?
                .ok_or_else(|| ApiError::Unavailable("the grid changed while routing; retry".into()))?;
            let people = responsible_for(conn, &row.code, today)?;
            (Some((row.code, row.path)), people)
        }
        None => (None, Vec::new()),
    };
    let status = if cell.is_some() { Status::Reported } else { Status::Unrouted };
    let control = match &cell {
        Some((_, path)) => crate::controls::service::tightening(conn, &policy.ladder, path, &category.code)?,
        None => None,
    };
    let (external_system, external_ref) = draft.external.unzip();
    let row = IncidentRow {
        id: db::new_id(),
        category_code: category.code.clone(),
        status: status.as_str().into(),
        severity: draft.severity.as_str().into(),
        source: draft.source.as_str().into(),
        external_system,
        external_ref,
        description: draft.description,
        address: draft.address,
        lon: draft.lon,
        lat: draft.lat,
        accuracy_m: draft.accuracy_m,
        cell_code: cell.as_ref().map(|c| c.0.clone()),
        cell_path: cell.map(|c| c.1),
        routing: to_json(&Routing { chain, responsible, control }),
        reporter_id: caller.account().map(str::to_owned),
        reporter_name: caller.username.clone(),
        assignee_id: None,
        assignee_name: None,
        rectifier_id: None,
        duplicate_of: None,
        occurred_at: draft.occurred_at,
        reported_at: now,
        status_changed_at: now,
        assigned_at: None,
        deadline_at: None,
        deadline_note: None,
        extension: None,
        rectified_at: None,
        closed_at: None,
        version: 1,
        updated_at: now,
    };
    store::insert(conn, &row)?;
    record_entry(conn, caller, &row.id, "report", None, status, None, json!({"source": row.source}))?;
    events::record_one(conn, caller, event_of(&row, EventData::IncidentReported(summary(&row)?)))?;
    let duplicates = possible_duplicates(conn, caller, &row, &category)?;
    Ok((row, duplicates))
}

/// Takes one step of the closed loop. `If-Match` guards against lost updates; the workflow's table decides
/// what is allowed from the current status (409 naming the allowed actions) and for whom (403).
pub fn transition(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    action: Action,
    request: TransitionRequest,
    if_match: IfMatch,
    policy: &Policy,
) -> Result<Seen, ApiError> {
    let mut row = store::find_for_update(conn, id)?.filter(|r| sees(caller, r)).ok_or_else(not_found)?;
    if_match.check(row.version)?;
    if !acts_on(caller, &row) {
        return Err(ApiError::Forbidden("the incident is outside your part of the grid".into()));
    }
    let before = stored_status(&row)?;
    let facts = actor_facts(caller, &row);
    let after = workflow::decide(before, action, &facts).map_err(refused)?;
    let category = store::find_category(conn, &row.category_code)?.ok_or_else(not_found)?;
    let now = db::now();
    let after_photos = if action == Action::Rectify {
        store::count_photos(conn, &row.id, "after", row.status_changed_at)? as usize
    } else {
        0
    };
    let submission = Submission {
        cell: request.cell.is_some(),
        note: request.note.is_some(),
        after_photos,
        requires_after_photo: category.requires_after_photo,
        original: request.original_id.is_some(),
        until: request.until.is_some(),
        decision: request.approve.is_some(),
    };
    let missing = workflow::missing(action, &submission);
    if !missing.is_empty() {
        return Err(ApiError::validation(missing.into_iter().map(|(f, m)| FieldError::new(f, m)).collect()));
    }
    let mut data = json!({});
    match action {
        Action::Route => {
            let code = request.cell.as_ref().ok_or_else(not_found)?;
            let cell = target_cell(conn, caller, code)?;
            let chain = grid::service::ancestors(conn, caller, code)?
                .into_iter()
                .map(|c| ChainCell { code: c.code, name: c.name, level: c.level })
                .collect();
            let today = now.and_utc().with_timezone(&policy.tz).date_naive();
            let responsible = responsible_for(conn, &cell.code, today)?;
            let control = crate::controls::service::tightening(conn, &policy.ladder, &cell.path, &row.category_code)?;
            row.routing = to_json(&Routing { chain, responsible, control });
            data = json!({"cell": cell.code});
            row.cell_code = Some(cell.code);
            row.cell_path = Some(cell.path);
        }
        Action::Assign | Action::Reassign => {
            if let Some(code) = &request.cell {
                let cell = target_cell(conn, caller, code)?;
                row.cell_code = Some(cell.code);
                row.cell_path = Some(cell.path);
            }
            let path = row.cell_path.clone().ok_or_else(|| ApiError::Conflict("route the incident first".into()))?;
            match &request.assignee_id {
                Some(account) => {
                    let name = assignee(conn, account, &path)?;
                    row.assignee_id = Some(account.clone());
                    row.assignee_name = Some(name);
                }
                None if action == Action::Reassign => {}
                None => (row.assignee_id, row.assignee_name) = (None, None),
            }
            let severity = Severity::parse(&row.severity).ok_or_else(|| bad_stored("severity", &row.severity))?;
            let normal = stored_deadlines(&category)?.for_severity(severity);
            let control = routing(&row)?.control;
            let span = request.span.or(control.as_ref().map(|c| c.deadline)).unwrap_or(normal);
            let deadline = match request.deadline_at {
                Some(at) if at <= now => {
                    return Err(ApiError::validation(vec![FieldError::new("deadline_at", "must be in the future")]));
                }
                Some(at) => at,
                None => calendar::deadline(now.and_utc(), span, &policy.calendar, policy.tz).naive_utc(),
            };
            row.assigned_at = Some(now);
            row.deadline_at = Some(deadline);
            row.deadline_note = Some(match request.deadline_at {
                Some(_) => "set by hand".into(),
                None if request.span.is_none() && control.is_some() => {
                    let reason = control.map(|c| c.reason).unwrap_or_default();
                    format!("{reason}, instead of {normal} for {category} ({severity})", category = row.category_code)
                }
                None => format!("{span} for {category} ({severity})", category = row.category_code),
            });
            row.extension = None;
            data = json!({"cell": row.cell_code, "assignee_id": row.assignee_id, "deadline_at": deadline.and_utc()});
        }
        Action::Start => {}
        Action::Rectify => {
            row.rectified_at = Some(now);
            row.rectifier_id = caller.account().map(str::to_owned);
            data = json!({"after_photos": after_photos});
        }
        Action::Close => row.closed_at = Some(now),
        Action::Reopen => (row.rectified_at, row.closed_at, row.rectifier_id) = (None, None, None),
        Action::Reject => {}
        Action::MarkDuplicate => {
            let original = request.original_id.as_deref().unwrap_or_default();
            let original = duplicate_target(conn, caller, &row, original)?;
            row.duplicate_of = Some(original.id.clone());
            data = json!({"original_id": original.id});
            let note = format!("incident {} was marked a duplicate of this one", row.id);
            let status = stored_status(&original)?;
            let data = json!({"duplicate_id": row.id});
            record_entry(conn, caller, &original.id, "duplicate_linked", Some(status), status, Some(note), data)?;
        }
        Action::RequestExtension => {
            let until = request.until.unwrap_or(now);
            if row.deadline_at.is_some_and(|d| until <= d) || until <= now {
                let message = "must be later than the current deadline and than now";
                return Err(ApiError::validation(vec![FieldError::new("until", message)]));
            }
            row.extension = Some(to_json(&Extension { until: until.and_utc(), note: request.note.clone() }));
            data = json!({"until": until.and_utc()});
        }
        Action::DecideExtension => {
            let pending = extension(&row)?
                .ok_or_else(|| ApiError::Conflict("no extension has been requested for this incident".into()))?;
            let approve = request.approve.unwrap_or(false);
            if approve {
                row.deadline_at = Some(pending.until.naive_utc());
                row.deadline_note = Some(format!("extended on request: {}", pending.note.as_deref().unwrap_or("")));
            }
            row.extension = None;
            data = json!({"approved": approve, "until": pending.until});
        }
    }
    if after != before {
        row.status = after.as_str().into();
        row.status_changed_at = now;
    }
    let expected = row.version;
    row.version += 1;
    row.updated_at = now;
    if !store::update(conn, &row, expected)? {
        return Err(ApiError::PreconditionFailed);
    }
    record_entry(conn, caller, &row.id, action.as_str(), Some(before), after, request.note.clone(), data)?;
    let change = IncidentTransition { incident: summary(&row)?, action, previous_status: before, note: request.note };
    events::record_one(conn, caller, event_of(&row, events::incident_event(action, change)))?;
    let available = workflow::available(after, &actor_facts(caller, &row));
    Ok(Seen { row, available })
}

/// One incident the caller may see, with its timeline and photos.
pub fn get(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<(Seen, Vec<TimelineRow>, Vec<store::PhotoRow>), ApiError> {
    let row = visible(conn, caller, id)?;
    let timeline = store::timeline(conn, id)?;
    let photos = store::photos(conn, id)?;
    Ok((seen(caller, row)?, timeline, photos))
}

/// An incident the caller may see; 404 otherwise (no existence leak).
pub fn visible(conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<IncidentRow, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    store::find(conn, id)?.filter(|r| sees(caller, r)).ok_or_else(not_found)
}

/// Incidents matching `filter` that the caller may see; `within` (a code) narrows to a visible subtree.
pub fn list(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: IncidentFilter,
    within: Option<String>,
    limit: i64,
) -> Result<Vec<Seen>, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    if let Some(code) = within {
        filter.within = Some(grid::service::subtree_of(conn, caller, &code, "cell")?);
    }
    filter.visible = visibility(caller);
    store::list(conn, &filter, limit)?.into_iter().map(|row| seen(caller, row)).collect()
}

/// Who sees what: the store's form of [`sees`].
pub fn visibility(caller: &Caller) -> Visibility {
    match caller.scope.home_path() {
        None => Visibility::Everything,
        Some(home) => Visibility::Scoped {
            home: home.to_owned(),
            reporter: caller.account().map(str::to_owned),
            unrouted: sees_unrouted(&caller.scope),
        },
    }
}

/// The figures the stats endpoint reports, as of now.
pub fn facts(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: IncidentFilter,
) -> Result<Vec<crate::domain::incident::IncidentFacts>, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    filter.visible = visibility(caller);
    store::facts(conn, &filter)?
        .into_iter()
        .map(|(category, status, source, reported, assigned, deadline, rectified, closed)| {
            Ok(crate::domain::incident::IncidentFacts {
                status: Status::parse(&status).ok_or_else(|| bad_stored("status", &status))?,
                source: Source::parse(&source).ok_or_else(|| bad_stored("source", &source))?,
                category,
                reported_at: reported.and_utc(),
                assigned_at: assigned.map(|t| t.and_utc()),
                deadline_at: deadline.map(|t| t.and_utc()),
                rectified_at: rectified.map(|t| t.and_utc()),
                closed_at: closed.map(|t| t.and_utc()),
            })
        })
        .collect()
}

/// The incident's traffic light and whether it is overdue, now.
pub fn light(row: &IncidentRow, policy: &Policy, now: DateTime<Utc>) -> Option<(Light, bool)> {
    let (start, due) = (row.assigned_at?.and_utc(), row.deadline_at?.and_utc());
    let done = match Status::parse(&row.status)? {
        Status::Assigned | Status::Rectifying => None,
        Status::Rectified | Status::Closed => Some(row.rectified_at.unwrap_or(row.status_changed_at).and_utc()),
        _ => return None,
    };
    Some((calendar::light(start, due, done, now, policy.warn_share), calendar::overdue(due, done, now)))
}

/// The row with what the caller may do with it next.
pub fn seen(caller: &Caller, row: IncidentRow) -> Result<Seen, ApiError> {
    let status = stored_status(&row)?;
    let available =
        if acts_on(caller, &row) { workflow::available(status, &actor_facts(caller, &row)) } else { vec![] };
    Ok(Seen { row, available })
}

/// The caller sees the incident: it is in the caller's subtree, the caller reported it, or it is unrouted
/// and the caller is the command centre.
pub fn sees(caller: &Caller, row: &IncidentRow) -> bool {
    acts_on(caller, row) || (row.reporter_id.is_some() && row.reporter_id.as_deref() == caller.account())
}

/// The caller may act on the incident: in its subtree (the reporter of an incident elsewhere only reads it).
pub fn acts_on(caller: &Caller, row: &IncidentRow) -> bool {
    match &row.cell_path {
        Some(path) => caller.scope.covers(path),
        None => sees_unrouted(&caller.scope),
    }
}

/// The command centre: no home cell, or at home in a top-level cell.
fn sees_unrouted(scope: &Scope) -> bool {
    scope.home_path().is_none_or(|home| home.matches('/').count() == 1)
}

fn actor_facts(caller: &Caller, row: &IncidentRow) -> ActorFacts {
    let me = caller.account();
    ActorFacts {
        manages: caller.holds(Permission::IncidentsManage),
        reports: caller.holds(Permission::IncidentsReport),
        is_handler: row.assignee_id.is_none() || row.assignee_id.as_deref() == me,
        is_rectifier: row.rectifier_id.is_some() && row.rectifier_id.as_deref() == me,
    }
}

fn refused(refusal: Refusal) -> ApiError {
    match &refusal {
        Refusal::WrongState { allowed, .. } => ApiError::InvalidState {
            slug: "invalid-transition",
            title: "The action is not allowed in the incident's current status",
            detail: refusal.to_string(),
            errors: allowed.iter().map(|a| FieldError::new("action", format!("{a} is allowed now"))).collect(),
        },
        Refusal::NotPermitted { .. } => ApiError::Forbidden(refusal.to_string()),
    }
}

/// A cell the caller may put incidents in: current, and in its subtree.
fn target_cell(conn: &mut AnyConnection, caller: &Caller, code: &CellCode) -> Result<grid::store::CellRow, ApiError> {
    grid::service::target_cell(conn, caller, code.as_str(), "cell")
}

/// The display name of an active account that can see incidents at `path` (at home above or at it).
fn assignee(conn: &mut AnyConnection, account: &str, path: &str) -> Result<String, ApiError> {
    match crate::auth::store::find_account_with_home(conn, account)? {
        Some((row, home)) if row.active && home.as_deref().is_none_or(|h| path.starts_with(h)) => Ok(row.display_name),
        _ => Err(ApiError::validation(vec![FieldError::new(
            "assignee_id",
            "no active account with this id is responsible for the incident's cell",
        )])),
    }
}

/// The incident a duplicate points to: visible, another one, and itself no duplicate.
fn duplicate_target(
    conn: &mut AnyConnection,
    caller: &Caller,
    row: &IncidentRow,
    original: &str,
) -> Result<IncidentRow, ApiError> {
    let invalid = |m: &str| ApiError::validation(vec![FieldError::new("original_id", m)]);
    let target = store::find_for_update(conn, original)?
        .filter(|t| sees(caller, t))
        .ok_or_else(|| invalid("no incident has this id"))?;
    if target.id == row.id {
        return Err(invalid("an incident cannot duplicate itself"));
    }
    if target.duplicate_of.is_some() {
        return Err(invalid("that incident is itself a duplicate; point to its original"));
    }
    Ok(target)
}

fn active_category(conn: &mut AnyConnection, code: &CategoryCode) -> Result<CategoryRow, ApiError> {
    store::find_category(conn, code.as_str())?.filter(|c| c.active).ok_or_else(|| ApiError::Rule {
        slug: "incident-unknown-category",
        title: "The incident category is not in the catalogue",
        detail: format!("{code} is not an active category; GET /api/v1/incident-categories lists them"),
        errors: vec![FieldError::new("category", "not an active category")],
    })
}

fn possible_duplicates(
    conn: &mut AnyConnection,
    caller: &Caller,
    row: &IncidentRow,
    category: &CategoryRow,
) -> Result<Vec<PossibleDuplicate>, ApiError> {
    let radius = category.duplicate_radius_m;
    // A box a little larger than the radius (degrees of longitude shrink towards the poles).
    let dlat = radius / 111_000.0 * 1.1;
    let dlon = dlat / row.lat.to_radians().cos().max(0.01);
    let since = row.reported_at - chrono::Duration::hours(i64::from(category.duplicate_window_hours));
    let bbox = [row.lon - dlon, row.lat - dlat, row.lon + dlon, row.lat + dlat];
    let mut found: Vec<PossibleDuplicate> = store::open_near(conn, &row.category_code, bbox, since, &row.id)?
        .into_iter()
        .filter(|other| sees(caller, other))
        .filter_map(|other| {
            let distance = distance_m((row.lon, row.lat), (other.lon, other.lat));
            (distance <= radius).then(|| {
                Ok(PossibleDuplicate {
                    status: stored_status(&other)?,
                    id: other.id,
                    distance_m: (distance * 10.0).round() / 10.0,
                    reported_at: other.reported_at.and_utc(),
                })
            })
        })
        .collect::<Result<_, ApiError>>()?;
    found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    Ok(found)
}

/// Appends a timeline entry to incident `id`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_entry(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    action: &str,
    from: Option<Status>,
    to: Status,
    note: Option<String>,
    data: serde_json::Value,
) -> Result<(), ApiError> {
    let entry = TimelineRow {
        id: db::new_id(),
        incident_id: id.to_owned(),
        action: action.into(),
        from_status: from.map(|s| s.as_str().into()),
        to_status: to.as_str().into(),
        actor_id: caller.account().map(str::to_owned),
        actor_name: caller.username.clone(),
        note,
        data: data.to_string(),
        at: db::now(),
    };
    Ok(store::append_timeline(conn, &entry)?)
}

/// What routing found for the incident.
pub fn routing(row: &IncidentRow) -> Result<Routing, ApiError> {
    serde_json::from_str(&row.routing).map_err(|e| ApiError::internal(format!("incident {} routing: {e}", row.id)))
}

/// The incident's pending request for more time.
pub fn extension(row: &IncidentRow) -> Result<Option<Extension>, ApiError> {
    row.extension
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| ApiError::internal(format!("incident {} extension: {e}", row.id)))
}

/// Who is responsible for a cell on a day.
fn responsible_for(conn: &mut AnyConnection, cell: &str, day: chrono::NaiveDate) -> Result<Vec<Responsible>, ApiError> {
    Ok(grid::store::people_of(conn, cell, Some(day))?
        .into_iter()
        .map(|p| Responsible { name: p.name, role: p.role, phone: p.phone, account_id: p.account_id })
        .collect())
}

/// What events say about an incident.
pub fn summary(row: &IncidentRow) -> Result<IncidentSummary, ApiError> {
    Ok(IncidentSummary {
        id: row.id.clone(),
        category: row.category_code.clone(),
        status: stored_status(row)?,
        severity: Severity::parse(&row.severity).ok_or_else(|| bad_stored("severity", &row.severity))?,
        source: Source::parse(&row.source).ok_or_else(|| bad_stored("source", &row.source))?,
        cell_code: row.cell_code.clone(),
        assignee_id: row.assignee_id.clone(),
        deadline_at: row.deadline_at.map(|t| t.and_utc()),
        version: row.version,
    })
}

pub(super) fn event_of(row: &IncidentRow, data: EventData) -> Event {
    Event::new(row.id.clone(), row.cell_path.clone(), data)
}

pub fn stored_status(row: &IncidentRow) -> Result<Status, ApiError> {
    Status::parse(&row.status).ok_or_else(|| bad_stored("status", &row.status))
}

pub fn stored_deadlines(row: &CategoryRow) -> Result<Deadlines, ApiError> {
    serde_json::from_str(&row.deadlines)
        .map_err(|e| ApiError::internal(format!("category {} deadlines: {e}", row.code)))
}

fn bad_stored(what: &str, value: &str) -> ApiError {
    ApiError::internal(format!("stored incident {what} {value:?} is not known"))
}

pub(super) fn not_found() -> ApiError {
    ApiError::NotFound("no incident here".into())
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// Routes a report with this instance's grid index, then writes it in one transaction.
pub async fn report_located(
    db: &crate::db::Db,
    live: &grid::live::LiveIndex,
    caller: Caller,
    draft: ReportDraft,
    policy: std::sync::Arc<Policy>,
) -> Result<(IncidentRow, Vec<PossibleDuplicate>), ApiError> {
    caller.require(Permission::IncidentsReport)?;
    let today = Utc::now().with_timezone(&policy.tz).date_naive();
    let snapshot = live.current(db, today).await?;
    let chain = snapshot
        .index
        .locate(draft.lon, draft.lat)
        .iter()
        .map(|c| ChainCell { code: c.code.to_string(), name: c.name.clone(), level: c.level.get().into() })
        .collect();
    db.transaction(move |conn| report(conn, &caller, draft, chain, &policy)).await
}
