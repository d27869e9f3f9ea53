//! Who may do what: roles, the permissions they grant, and the password policy. One table, in code, so
//! the README, the OpenAPI document and the checks cannot disagree.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, accounts included.
    Admin,
    /// City command centre: reads everything in scope, changes the grid, runs special controls,
    /// assigns and verifies incidents.
    Commander,
    /// District or street office: manages incidents and responsible people in its subtree.
    Supervisor,
    /// Reports incidents, handles those assigned to it, reads its own cell.
    GridWorker,
    /// Inspection station: submits vehicle inspection results.
    Inspector,
    /// Service account for scripts and platforms; holds explicit scopes.
    Integration,
    /// Read-only in scope.
    Viewer,
}

/// One thing a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Permission {
    /// Read grid cells, locate points, read responsible people.
    #[serde(rename = "grid:read")]
    GridRead,
    /// Create, change, retire, delete and import grid cells.
    #[serde(rename = "grid:write")]
    GridWrite,
    /// Assign and change the responsible people of cells.
    #[serde(rename = "people:write")]
    PeopleWrite,
    /// Manage accounts and service accounts.
    #[serde(rename = "accounts:admin")]
    AccountsAdmin,
    /// Read incidents.
    #[serde(rename = "incidents:read")]
    IncidentsRead,
    /// Report incidents.
    #[serde(rename = "incidents:report")]
    IncidentsReport,
    /// Assign, verify and close incidents.
    #[serde(rename = "incidents:manage")]
    IncidentsManage,
    /// Manage the catalogue of incident categories.
    #[serde(rename = "incidents:configure")]
    IncidentsConfigure,
    /// Import satellite fire points and keep the register of known heat sources.
    #[serde(rename = "fire:manage")]
    FireManage,
    /// Plan, start, change and lift special-control activations, set their plans, record observed AQI.
    #[serde(rename = "controls:run")]
    ControlsRun,
    /// Read special-control activations, their plans, prompts and outcome.
    #[serde(rename = "controls:read")]
    ControlsRead,
    /// Check in on special-control measures and acknowledge prompts (the cells' people).
    #[serde(rename = "controls:respond")]
    ControlsRespond,
    /// Read air-quality stations, readings and figures.
    #[serde(rename = "air:read")]
    AirRead,
    /// Submit and import hourly air-quality readings.
    #[serde(rename = "air:submit")]
    AirSubmit,
    /// Register air-quality monitoring stations.
    #[serde(rename = "air:manage")]
    AirManage,
    /// Submit vehicle inspection results.
    #[serde(rename = "vehicles:submit")]
    VehiclesSubmit,
    /// Bulk-import vehicle inspection results.
    #[serde(rename = "vehicles:import")]
    VehiclesImport,
    /// Read vehicle inspection results.
    #[serde(rename = "vehicles:read")]
    VehiclesRead,
    /// Record enforcement actions on high-emitting vehicles (notices, fines, passed re-tests).
    #[serde(rename = "vehicles:enforce")]
    VehiclesEnforce,
}

impl Permission {
    pub const ALL: [Permission; 19] = [
        Self::GridRead,
        Self::GridWrite,
        Self::PeopleWrite,
        Self::AccountsAdmin,
        Self::IncidentsRead,
        Self::IncidentsReport,
        Self::IncidentsManage,
        Self::IncidentsConfigure,
        Self::FireManage,
        Self::ControlsRun,
        Self::ControlsRead,
        Self::ControlsRespond,
        Self::AirRead,
        Self::AirSubmit,
        Self::AirManage,
        Self::VehiclesSubmit,
        Self::VehiclesImport,
        Self::VehiclesRead,
        Self::VehiclesEnforce,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GridRead => "grid:read",
            Self::GridWrite => "grid:write",
            Self::PeopleWrite => "people:write",
            Self::AccountsAdmin => "accounts:admin",
            Self::IncidentsRead => "incidents:read",
            Self::IncidentsReport => "incidents:report",
            Self::IncidentsManage => "incidents:manage",
            Self::IncidentsConfigure => "incidents:configure",
            Self::FireManage => "fire:manage",
            Self::ControlsRun => "controls:run",
            Self::ControlsRead => "controls:read",
            Self::ControlsRespond => "controls:respond",
            Self::AirRead => "air:read",
            Self::AirSubmit => "air:submit",
            Self::AirManage => "air:manage",
            Self::VehiclesSubmit => "vehicles:submit",
            Self::VehiclesImport => "vehicles:import",
            Self::VehiclesRead => "vehicles:read",
            Self::VehiclesEnforce => "vehicles:enforce",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Role {
    pub const ALL: [Role; 7] = [
        Self::Admin,
        Self::Commander,
        Self::Supervisor,
        Self::GridWorker,
        Self::Inspector,
        Self::Integration,
        Self::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Commander => "commander",
            Self::Supervisor => "supervisor",
            Self::GridWorker => "grid_worker",
            Self::Inspector => "inspector",
            Self::Integration => "integration",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// The permission table. Integration accounts get exactly the scopes granted to them instead.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::Admin => &Permission::ALL,
            Self::Commander => &[
                GridRead,
                GridWrite,
                PeopleWrite,
                IncidentsRead,
                IncidentsReport,
                IncidentsManage,
                FireManage,
                ControlsRun,
                ControlsRead,
                ControlsRespond,
                AirRead,
                AirSubmit,
                AirManage,
                VehiclesRead,
                VehiclesEnforce,
            ],
            Self::Supervisor => &[
                GridRead,
                PeopleWrite,
                IncidentsRead,
                IncidentsReport,
                IncidentsManage,
                ControlsRead,
                ControlsRespond,
                AirRead,
                VehiclesRead,
            ],
            Self::GridWorker => &[GridRead, IncidentsRead, IncidentsReport, ControlsRead, ControlsRespond, AirRead],
            Self::Inspector => &[VehiclesSubmit, VehiclesRead],
            Self::Integration => &[],
            Self::Viewer => &[GridRead, IncidentsRead, ControlsRead, AirRead, VehiclesRead],
        }
    }

    /// Whether an account of this role must have a home cell (only admins may span every grid).
    pub fn needs_home_cell(self) -> bool {
        self != Self::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Scopes an integration account may hold: everything but account administration.
pub fn grantable_scope(p: Permission) -> bool {
    p != Permission::AccountsAdmin
}

/// The minimum password strength: at least 10 characters, three of the four character classes, and not
/// containing the username.
pub fn check_password(password: &str, username: &str) -> Result<(), String> {
    if password.chars().count() < 10 {
        return Err("must be at least 10 characters".into());
    }
    if password.chars().count() > 256 {
        return Err("must be at most 256 characters".into());
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|&&c| c).count() < 3 {
        return Err("must mix at least three of: lower-case letters, upper-case letters, digits, symbols".into());
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("must not contain the username".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_permissions_round_trip_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
    }

    #[test]
    fn the_table_holds_the_promises() {
        assert!(Role::Admin.permissions().contains(&Permission::AccountsAdmin));
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            assert!(!role.permissions().contains(&Permission::AccountsAdmin), "{role}");
        }
        assert!(Role::Commander.permissions().contains(&Permission::GridWrite));
        assert!(!Role::Supervisor.permissions().contains(&Permission::GridWrite));
        assert!(!Role::Viewer.permissions().iter().any(|p| p.as_str().ends_with(":write")));
        assert!(Role::Integration.permissions().is_empty(), "integrations hold explicit scopes only");
    }

    #[test]
    fn password_policy() {
        assert!(check_password("Short1!", "u").is_err());
        assert!(check_password("alllowercaseletters", "u").is_err());
        assert!(check_password("Grid-worker-2026", "wang").is_ok());
        assert!(check_password("Wang-li-2026x", "wang").is_err());
    }
}
