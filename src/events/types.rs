//! The event types and their payloads: a contract with every consumer of the change feed (command
//! platforms, and later webhooks and server-sent events). Add fields as optional, never rename or remove.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::access::{Permission, Role};
use crate::domain::control::ControlStatus;
use crate::domain::grid::Duty;
use crate::domain::incident::{Severity, SheetKind, Source};
use crate::domain::workflow::{Action, Status};

/// What happened, with the facts a consumer needs; `type` names the event, `data` carries them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum EventData {
    /// A grid cell was created (by hand or by an import).
    #[serde(rename = "grid.cell.created")]
    CellCreated(CellFacts),
    /// A grid cell's name, boundary, parent, properties or start changed (by hand or by an import).
    #[serde(rename = "grid.cell.updated")]
    CellUpdated(CellChange),
    /// A cell and its whole subtree were retired, with their responsible-person assignments.
    #[serde(rename = "grid.cell.retired")]
    CellRetired(CellRetirement),
    /// A cell created by mistake was deleted.
    #[serde(rename = "grid.cell.deleted")]
    CellDeleted(CellRemoval),
    /// A grid import changed cells; each changed cell also has its own created/updated event.
    #[serde(rename = "grid.imported")]
    GridImported(GridImport),
    /// A responsible person was assigned to a cell.
    #[serde(rename = "grid.person.assigned")]
    PersonAssigned(PersonFacts),
    /// An assignment changed (including its end).
    #[serde(rename = "grid.person.updated")]
    PersonUpdated(PersonFacts),
    /// An assignment entered by mistake was deleted.
    #[serde(rename = "grid.person.removed")]
    PersonRemoved(PersonFacts),
    /// An account or service account was created.
    #[serde(rename = "account.created")]
    AccountCreated(AccountFacts),
    /// An account's name, role, scope, activity or password changed (secrets are never in events).
    #[serde(rename = "account.updated")]
    AccountUpdated(AccountChange),
    /// A service account's client secret was replaced.
    #[serde(rename = "account.secret_rotated")]
    AccountSecretRotated(AccountFacts),
    /// An incident was reported (routed to a cell, or unrouted when outside the grid).
    #[serde(rename = "incident.reported")]
    IncidentReported(IncidentSummary),
    /// An unrouted incident was routed to a cell by hand.
    #[serde(rename = "incident.routed")]
    IncidentRouted(IncidentTransition),
    /// An incident was assigned (交办) to a cell and maybe a person, with a deadline.
    #[serde(rename = "incident.assigned")]
    IncidentAssigned(IncidentTransition),
    /// An assigned incident was given to another cell, person or deadline.
    #[serde(rename = "incident.reassigned")]
    IncidentReassigned(IncidentTransition),
    /// The handler accepted an incident and started rectifying it (整改中).
    #[serde(rename = "incident.started")]
    IncidentStarted(IncidentTransition),
    /// The handler reported the incident rectified (已整改), with evidence.
    #[serde(rename = "incident.rectified")]
    IncidentRectified(IncidentTransition),
    /// The rectification was verified and the incident closed (核查销号).
    #[serde(rename = "incident.closed")]
    IncidentClosed(IncidentTransition),
    /// Verification failed or the problem came back: back to rectifying.
    #[serde(rename = "incident.reopened")]
    IncidentReopened(IncidentTransition),
    /// The incident was rejected as not a real problem.
    #[serde(rename = "incident.rejected")]
    IncidentRejected(IncidentTransition),
    /// The incident was marked a duplicate of another (`duplicate_of`).
    #[serde(rename = "incident.marked_duplicate")]
    IncidentMarkedDuplicate(IncidentTransition),
    /// The handler asked for more time.
    #[serde(rename = "incident.extension_requested")]
    IncidentExtensionRequested(IncidentTransition),
    /// A request for more time was approved (the deadline moved) or declined.
    #[serde(rename = "incident.extension_decided")]
    IncidentExtensionDecided(IncidentTransition),
    /// A photo was added to an incident.
    #[serde(rename = "incident.photo_added")]
    IncidentPhotoAdded(IncidentPhoto),
    /// An incident category was added to the catalogue.
    #[serde(rename = "incident.category.created")]
    CategoryCreated(CategoryFacts),
    /// An incident category changed.
    #[serde(rename = "incident.category.updated")]
    CategoryUpdated(CategoryFacts),
    /// A prompt sheet (提示单) or supervision sheet (督办单) was issued to a cell.
    #[serde(rename = "supervision.issued")]
    SheetIssued(SheetFacts),
    /// A cell answered a prompt or supervision sheet.
    #[serde(rename = "supervision.responded")]
    SheetResponded(SheetFacts),
    /// An import of vehicle inspections created or corrected records (one event per import, not per row).
    #[serde(rename = "vehicle_inspections.imported")]
    VehicleInspectionsImported(VehicleImportFacts),
    /// An enforcement action on a high-emitting vehicle was recorded.
    #[serde(rename = "vehicle.enforcement_recorded")]
    VehicleEnforcementRecorded(VehicleEnforcement),
    /// An import of satellite fire points kept new detections (one event per import; each new fire event is
    /// also an `incident.reported`).
    #[serde(rename = "fire_points.imported")]
    FirePointsImported(FireImportFacts),
    /// The ground finding of a fire event was recorded.
    #[serde(rename = "fire.event_verified")]
    FireEventVerified(FireFindingFacts),
    /// A heat source was added to the register.
    #[serde(rename = "heat_source.registered")]
    HeatSourceRegistered(HeatSourceFacts),
    /// A heat source was retired from the register.
    #[serde(rename = "heat_source.retired")]
    HeatSourceRetired(HeatSourceFacts),
    /// A special-control activation was planned.
    #[serde(rename = "control.planned")]
    ControlPlanned(ActivationFacts),
    /// An activation's title, reason, forecast or planned times changed.
    #[serde(rename = "control.updated")]
    ControlUpdated(ActivationFacts),
    /// An activation came into force (prompts went to its cells).
    #[serde(rename = "control.started")]
    ControlStarted(ActivationFacts),
    /// An activation moved to another level of the ladder (`previous_level` says from which).
    #[serde(rename = "control.level_changed")]
    ControlLevelChanged(ActivationFacts),
    /// An activation was lifted.
    #[serde(rename = "control.lifted")]
    ControlLifted(ActivationFacts),
    /// A planned activation was called off.
    #[serde(rename = "control.cancelled")]
    ControlCancelled(ActivationFacts),
    /// The plan of one of an activation's cells changed.
    #[serde(rename = "control.plan_updated")]
    ControlPlanUpdated(PlanFacts),
    /// Someone checked in on a measure of a cell's plan.
    #[serde(rename = "control.checked_in")]
    ControlCheckedIn(CheckInFacts),
    /// A measure was added to the catalogue.
    #[serde(rename = "control.measure_created")]
    ControlMeasureCreated(MeasureFacts),
    /// An air-quality monitoring station was registered.
    #[serde(rename = "air.station_created")]
    AirStationCreated(AirStationFacts),
    /// An import of hourly readings created or corrected station-hours (one event per import).
    #[serde(rename = "air_readings.imported")]
    AirReadingsImported(AirImportFacts),
}

/// Who may read events of a type, and whether they are about a cell itself (then, like the cell, they are
/// visible from below: to callers at home in its subtree and to those whose home it contains).
#[derive(Debug, Clone, Copy)]
pub struct EventType {
    pub name: &'static str,
    pub permission: Permission,
    pub about_cell: bool,
    /// Which callers with a home cell see events of this type that concern no cell.
    pub without_cell: CellFree,
}

/// Readers of events recorded without a cell, besides callers who see the whole grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellFree {
    Nobody,
    /// Everyone holding the type's permission (the incident catalogue).
    Everyone,
    /// Callers at home in a top-level cell, who see the queue of unrouted incidents.
    CommandCentre,
}

const fn grid(name: &'static str, about_cell: bool) -> EventType {
    EventType { name, permission: Permission::GridRead, about_cell, without_cell: CellFree::Nobody }
}

const fn account(name: &'static str) -> EventType {
    EventType { name, permission: Permission::AccountsAdmin, about_cell: false, without_cell: CellFree::Nobody }
}

const fn incident(name: &'static str, without_cell: CellFree) -> EventType {
    EventType { name, permission: Permission::IncidentsRead, about_cell: false, without_cell }
}

const fn control(name: &'static str, without_cell: CellFree) -> EventType {
    EventType { name, permission: Permission::ControlsRead, about_cell: true, without_cell }
}

/// Every event type, once.
pub const EVENT_TYPES: [EventType; 45] = [
    grid("grid.cell.created", true),
    grid("grid.cell.updated", true),
    grid("grid.cell.retired", true),
    grid("grid.cell.deleted", true),
    grid("grid.imported", false),
    grid("grid.person.assigned", false),
    grid("grid.person.updated", false),
    grid("grid.person.removed", false),
    account("account.created"),
    account("account.updated"),
    account("account.secret_rotated"),
    incident("incident.reported", CellFree::CommandCentre),
    incident("incident.routed", CellFree::CommandCentre),
    incident("incident.assigned", CellFree::CommandCentre),
    incident("incident.reassigned", CellFree::CommandCentre),
    incident("incident.started", CellFree::CommandCentre),
    incident("incident.rectified", CellFree::CommandCentre),
    incident("incident.closed", CellFree::CommandCentre),
    incident("incident.reopened", CellFree::CommandCentre),
    incident("incident.rejected", CellFree::CommandCentre),
    incident("incident.marked_duplicate", CellFree::CommandCentre),
    incident("incident.extension_requested", CellFree::CommandCentre),
    incident("incident.extension_decided", CellFree::CommandCentre),
    incident("incident.photo_added", CellFree::CommandCentre),
    incident("incident.category.created", CellFree::Everyone),
    incident("incident.category.updated", CellFree::Everyone),
    incident("supervision.issued", CellFree::Nobody),
    incident("supervision.responded", CellFree::Nobody),
    EventType {
        name: "vehicle_inspections.imported",
        permission: Permission::VehiclesRead,
        about_cell: false,
        without_cell: CellFree::Nobody,
    },
    EventType {
        name: "vehicle.enforcement_recorded",
        permission: Permission::VehiclesRead,
        about_cell: false,
        without_cell: CellFree::Nobody,
    },
    incident("fire_points.imported", CellFree::Nobody),
    incident("fire.event_verified", CellFree::Nobody),
    incident("heat_source.registered", CellFree::Nobody),
    incident("heat_source.retired", CellFree::Nobody),
    control("control.planned", CellFree::Nobody),
    control("control.updated", CellFree::Nobody),
    control("control.started", CellFree::Nobody),
    control("control.level_changed", CellFree::Nobody),
    control("control.lifted", CellFree::Nobody),
    control("control.cancelled", CellFree::Nobody),
    control("control.plan_updated", CellFree::Nobody),
    control("control.checked_in", CellFree::Nobody),
    control("control.measure_created", CellFree::Everyone),
    EventType {
        name: "air.station_created",
        permission: Permission::AirRead,
        about_cell: false,
        without_cell: CellFree::Nobody,
    },
    EventType {
        name: "air_readings.imported",
        permission: Permission::AirRead,
        about_cell: false,
        without_cell: CellFree::Nobody,
    },
];

/// The event type of an incident action.
pub fn incident_event(action: Action, change: IncidentTransition) -> EventData {
    match action {
        Action::Route => EventData::IncidentRouted(change),
        Action::Assign => EventData::IncidentAssigned(change),
        Action::Reassign => EventData::IncidentReassigned(change),
        Action::Start => EventData::IncidentStarted(change),
        Action::Rectify => EventData::IncidentRectified(change),
        Action::Close => EventData::IncidentClosed(change),
        Action::Reopen => EventData::IncidentReopened(change),
        Action::Reject => EventData::IncidentRejected(change),
        Action::MarkDuplicate => EventData::IncidentMarkedDuplicate(change),
        Action::RequestExtension => EventData::IncidentExtensionRequested(change),
        Action::DecideExtension => EventData::IncidentExtensionDecided(change),
    }
}

pub fn event_type(name: &str) -> Option<&'static EventType> {
    EVENT_TYPES.iter().find(|t| t.name == name)
}

/// A grid cell as events describe it (without its boundary: read the cell for that).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "210102001", "name": "浑河湾街道", "level": 3, "parent_code": "210102",
    "valid_from": "2026-01-01", "valid_to": null, "version": 1}))]
pub struct CellFacts {
    pub code: String,
    pub name: String,
    /// 1 city, 2 district/county, 3 street/township, 4 community/village.
    pub level: i32,
    pub parent_code: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// The cell's version after the change (its ETag).
    pub version: i64,
}

/// A changed cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CellChange {
    #[serde(flatten)]
    pub cell: CellFacts,
    /// Names of the fields that changed: `name`, `boundary`, `parent_code`, `properties`, `valid_from`, `level`.
    pub changed: Vec<String>,
    /// The parent before a move; null when the parent did not change.
    pub previous_parent_code: Option<String>,
}

/// A retired subtree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CellRetirement {
    /// The root of the retired subtree, as it is now.
    #[serde(flatten)]
    pub cell: CellFacts,
    /// Cells retired, the root included.
    pub cells: u64,
    /// Responsible-person assignments ended with them.
    pub assignments: u64,
}

/// A deleted cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CellRemoval {
    pub code: String,
}

/// What a grid import changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GridImport {
    pub total: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// A responsible-person assignment (the phone number is left out of the log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d", "cell_code": "210102001", "name": "王丽",
    "role": "grid_worker", "account_id": null, "valid_from": "2026-01-01", "valid_to": null, "version": 1}))]
pub struct PersonFacts {
    pub id: String,
    pub cell_code: String,
    pub name: String,
    pub role: Duty,
    pub account_id: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub version: i64,
}

/// An account as events describe it; never a password or secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountFacts {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub home_cell: Option<String>,
    pub scopes: Vec<Permission>,
    pub active: bool,
    pub version: i64,
}

/// A changed account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountChange {
    #[serde(flatten)]
    pub account: AccountFacts,
    /// Names of the fields that changed: `display_name`, `role`, `home_cell`, `scopes`, `active`, `password`.
    pub changed: Vec<String>,
}

/// An incident as events describe it (read the incident for its description, location and timeline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d", "category": "open_burning", "status": "assigned",
    "severity": "medium", "source": "patrol", "cell_code": "210102022022", "assignee_id": null,
    "deadline_at": "2026-12-01T12:00:00Z", "version": 2}))]
pub struct IncidentSummary {
    pub id: String,
    pub category: String,
    pub status: Status,
    pub severity: Severity,
    pub source: Source,
    /// The cell the incident belongs to now; null while unrouted.
    pub cell_code: Option<String>,
    pub assignee_id: Option<String>,
    pub deadline_at: Option<DateTime<Utc>>,
    /// The incident's version after the change (its ETag).
    pub version: i64,
}

/// A step of an incident through its closed loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentTransition {
    #[serde(flatten)]
    pub incident: IncidentSummary,
    /// The action taken.
    pub action: Action,
    /// The status before it.
    pub previous_status: Status,
    /// The note given with it, if any.
    pub note: Option<String>,
}

/// A photo added to an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentPhoto {
    pub incident_id: String,
    pub photo_id: String,
    /// `before`, `after` or `other`.
    pub stage: String,
    /// Why the photo deserves a second look, if it does (far from the incident, taken long before…).
    pub flagged: bool,
}

/// An incident category as events describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CategoryFacts {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
    pub version: i64,
}

/// What an import of vehicle inspections did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VehicleImportFacts {
    /// The source system the records came from.
    pub source: String,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// An enforcement action on a vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VehicleEnforcement {
    pub plate: String,
    /// `notice`, `fine` or `passed_retest`.
    pub action: String,
    pub action_id: String,
}

/// What a fire-point import kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FireImportFacts {
    pub source: String,
    pub rows: u64,
    /// New detections kept (screened ones included).
    pub imported: u64,
    pub screened: u64,
    pub already_known: u64,
    pub outside_grid: u64,
    pub events_created: u64,
    pub joined_existing: u64,
}

/// A fire event's ground finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FireFindingFacts {
    pub fire_event_id: String,
    pub incident_id: Option<String>,
    pub cell_code: String,
    /// `burning_confirmed`, `traces_of_burning`, `industrial_heat_source`, `other_heat_source`, `nothing_found`.
    pub finding: String,
    /// Recorded by the event's verification deadline.
    pub within_deadline: bool,
}

/// A heat source of the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HeatSourceFacts {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub cell_code: String,
}

/// A special-control activation as events describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ActivationFacts {
    pub id: String,
    pub title: String,
    pub status: ControlStatus,
    pub level: String,
    /// The level before a level change.
    pub previous_level: Option<String>,
    pub cell_codes: Vec<String>,
    pub planned_start: DateTime<Utc>,
    pub planned_end: Option<DateTime<Utc>>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub version: i64,
}

/// A cell's plan of an activation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanFacts {
    pub activation_id: String,
    pub cell_code: String,
    pub measures: Vec<String>,
    pub responsible_name: Option<String>,
    pub version: i64,
}

/// A check-in on a measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckInFacts {
    pub activation_id: String,
    pub check_in_id: String,
    pub cell_code: String,
    pub measure: String,
    pub done: bool,
    pub photo: bool,
}

/// A measure of the special-control catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MeasureFacts {
    pub code: String,
    pub name_zh: String,
    pub categories: Vec<String>,
}

/// An air-quality station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AirStationFacts {
    pub code: String,
    pub name: String,
    pub cell_code: String,
}

/// An import of hourly air-quality readings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AirImportFacts {
    pub source: String,
    pub rows: u64,
    pub created: u64,
    pub corrected: u64,
}

/// A prompt or supervision sheet as events describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SheetFacts {
    pub id: String,
    pub kind: SheetKind,
    pub cell_code: String,
    pub incident_ids: Vec<String>,
    pub deadline_at: DateTime<Utc>,
    pub responded: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell() -> CellFacts {
        CellFacts {
            code: "C".into(),
            name: "c".into(),
            level: 1,
            parent_code: None,
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            valid_to: None,
            version: 1,
        }
    }

    fn person() -> PersonFacts {
        PersonFacts {
            id: "p".into(),
            cell_code: "C".into(),
            name: "王丽".into(),
            role: Duty::GridWorker,
            account_id: None,
            valid_from: cell().valid_from,
            valid_to: None,
            version: 1,
        }
    }

    fn account() -> AccountFacts {
        AccountFacts {
            id: "a".into(),
            username: "u".into(),
            display_name: "u".into(),
            role: Role::Viewer,
            home_cell: None,
            scopes: vec![],
            active: true,
            version: 1,
        }
    }

    fn incident() -> IncidentSummary {
        IncidentSummary {
            id: "i".into(),
            category: "dust".into(),
            status: Status::Assigned,
            severity: Severity::Medium,
            source: Source::Patrol,
            cell_code: Some("C".into()),
            assignee_id: None,
            deadline_at: None,
            version: 2,
        }
    }

    fn category() -> CategoryFacts {
        CategoryFacts {
            code: "dust".into(), name_zh: "扬尘".into(), name_en: "Dust".into(), active: true, version: 1
        }
    }

    fn heat_source() -> HeatSourceFacts {
        HeatSourceFacts {
            id: "h".into(),
            name: "热电厂".into(),
            kind: "power_plant".into(),
            cell_code: "210100".into(),
        }
    }

    fn sheet() -> SheetFacts {
        SheetFacts {
            id: "s".into(),
            kind: SheetKind::Supervision,
            cell_code: "C".into(),
            incident_ids: vec!["i".into()],
            deadline_at: DateTime::<Utc>::MIN_UTC,
            responded: false,
        }
    }

    fn activation() -> ActivationFacts {
        ActivationFacts {
            id: "a".into(),
            title: "重污染天气橙色预警".into(),
            status: ControlStatus::Active,
            level: "orange".into(),
            previous_level: Some("yellow".into()),
            cell_codes: vec!["210102".into()],
            planned_start: DateTime::UNIX_EPOCH,
            planned_end: None,
            actual_start: Some(DateTime::UNIX_EPOCH),
            actual_end: None,
            version: 3,
        }
    }

    /// Every payload names a type listed in the table, and reads back as written.
    #[test]
    fn every_variant_is_a_listed_type_and_round_trips() {
        let all = [
            EventData::CellCreated(cell()),
            EventData::CellUpdated(CellChange {
                cell: cell(),
                changed: vec!["name".into()],
                previous_parent_code: None,
            }),
            EventData::CellRetired(CellRetirement { cell: cell(), cells: 3, assignments: 1 }),
            EventData::CellDeleted(CellRemoval { code: "C".into() }),
            EventData::GridImported(GridImport { total: 1, created: 1, updated: 0, unchanged: 0 }),
            EventData::PersonAssigned(person()),
            EventData::PersonUpdated(person()),
            EventData::PersonRemoved(person()),
            EventData::AccountCreated(account()),
            EventData::AccountUpdated(AccountChange { account: account(), changed: vec!["role".into()] }),
            EventData::AccountSecretRotated(account()),
            EventData::IncidentReported(incident()),
            EventData::IncidentPhotoAdded(IncidentPhoto {
                incident_id: "i".into(),
                photo_id: "p".into(),
                stage: "after".into(),
                flagged: false,
            }),
            EventData::CategoryCreated(category()),
            EventData::CategoryUpdated(category()),
            EventData::SheetIssued(sheet()),
            EventData::SheetResponded(sheet()),
            EventData::VehicleInspectionsImported(VehicleImportFacts {
                source: "station".into(),
                rows: 2,
                created: 1,
                updated: 1,
                unchanged: 0,
            }),
            EventData::VehicleEnforcementRecorded(VehicleEnforcement {
                plate: "辽A12345".into(),
                action: "fine".into(),
                action_id: "a".into(),
            }),
            EventData::FirePointsImported(FireImportFacts {
                source: "firms".into(),
                rows: 3,
                imported: 2,
                screened: 1,
                already_known: 1,
                outside_grid: 0,
                events_created: 1,
                joined_existing: 0,
            }),
            EventData::FireEventVerified(FireFindingFacts {
                fire_event_id: "f".into(),
                incident_id: Some("i".into()),
                cell_code: "210122".into(),
                finding: "nothing_found".into(),
                within_deadline: true,
            }),
            EventData::HeatSourceRegistered(heat_source()),
            EventData::HeatSourceRetired(heat_source()),
            EventData::ControlPlanned(activation()),
            EventData::ControlUpdated(activation()),
            EventData::ControlStarted(activation()),
            EventData::ControlLevelChanged(activation()),
            EventData::ControlLifted(activation()),
            EventData::ControlCancelled(activation()),
            EventData::ControlPlanUpdated(PlanFacts {
                activation_id: "a".into(),
                cell_code: "210102".into(),
                measures: vec!["ban_open_burning".into()],
                responsible_name: Some("王伟".into()),
                version: 2,
            }),
            EventData::ControlCheckedIn(CheckInFacts {
                activation_id: "a".into(),
                check_in_id: "c".into(),
                cell_code: "210102".into(),
                measure: "ban_open_burning".into(),
                done: true,
                photo: false,
            }),
            EventData::AirStationCreated(AirStationFacts {
                code: "1098A".into(),
                name: "太原街".into(),
                cell_code: "210102".into(),
            }),
            EventData::AirReadingsImported(AirImportFacts {
                source: "cnemc".into(),
                rows: 2,
                created: 1,
                corrected: 1,
            }),
            EventData::ControlMeasureCreated(MeasureFacts {
                code: "m".into(),
                name_zh: "措施".into(),
                categories: vec![],
            }),
        ];
        let all = all.into_iter().chain(Action::ALL.into_iter().map(|action| {
            let change =
                IncidentTransition { incident: incident(), action, previous_status: Status::Reported, note: None };
            incident_event(action, change)
        }));
        let all: Vec<EventData> = all.collect();
        assert_eq!(all.len(), EVENT_TYPES.len());
        for data in all {
            let json = serde_json::to_value(&data).unwrap();
            let name = json["type"].as_str().unwrap();
            assert!(event_type(name).is_some(), "{name} is not in EVENT_TYPES");
            assert_eq!(serde_json::from_value::<EventData>(json).unwrap(), data);
        }
    }
}
