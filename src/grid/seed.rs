//! The Shenyang demo grid, shipped in the binary: 2,292 cells over four levels with real names and
//! codes (levels 1–2 real boundaries, levels 3–4 synthetic; see the README).

use diesel::Connection;

use super::api::parse_geojson;
use super::service::{self, ImportSummary};
use crate::auth::{self, Caller, service::NewAccount};
use crate::config::Settings;
use crate::db::{BoxError, Db};
use crate::domain::access::{Permission, Role};
use crate::domain::crs::Crs;

pub const DEMO_GRID: &str = include_str!("shenyang_grid_demo.geojson");

/// Loads the demo grid; running it again changes nothing.
pub fn seed_demo(db: &Db, settings: &Settings) -> Result<ImportSummary, BoxError> {
    let drafts = parse_geojson(DEMO_GRID.as_bytes(), Crs::Wgs84, settings.grid_max_vertices)?;
    let (tol, today) = (settings.grid_tolerances(), settings.today());
    let mut conn = db.get()?;
    Ok(conn.transaction(|conn| service::import(conn, &Caller::system(), drafts.into(), tol, today, false))?)
}

/// One demo account per role, each at home in a real part of the demo grid. Their passwords are public
/// (README): for demonstrations only.
pub const DEMO_ACCOUNTS: [(&str, Role, Option<&str>, &str); 7] = [
    ("demo-admin", Role::Admin, None, "Shenyang-Admin-2026"),
    ("demo-commander", Role::Commander, Some("210100"), "Shenyang-Command-2026"),
    ("demo-supervisor", Role::Supervisor, Some("210102"), "Shenyang-Heping-2026"),
    ("demo-worker", Role::GridWorker, Some("210102022022"), "Shenyang-Grid-2026"),
    ("demo-inspector", Role::Inspector, Some("210100"), "Shenyang-Station-2026"),
    ("demo-integration", Role::Integration, Some("210100"), ""),
    ("demo-viewer", Role::Viewer, Some("210103"), "Shenyang-View-2026"),
];

/// Creates the demo accounts that do not exist yet; returns their usernames with the client secret of
/// the service account.
pub fn seed_demo_accounts(db: &Db) -> Result<Vec<(String, Option<String>)>, BoxError> {
    let mut conn = db.get()?;
    let mut created = Vec::new();
    for (username, role, cell, password) in DEMO_ACCOUNTS {
        if auth::store::find_by_username(&mut conn, username)?.is_some() {
            continue;
        }
        let new = NewAccount {
            username: username.into(),
            display_name: username.into(),
            role,
            home_cell: cell.map(Into::into),
            scopes: if role == Role::Integration { vec![Permission::GridRead] } else { Vec::new() },
            password: (!password.is_empty()).then(|| password.into()),
        };
        let (_, secret) = conn.transaction(|c| {
            let hashed = auth::service::Hashed::for_account(&new)?;
            auth::service::create_account(c, &Caller::system(), new, hashed)
        })?;
        created.push((username.to_owned(), secret));
    }
    Ok(created)
}
