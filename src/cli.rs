//! The command line: `airgrid [serve|migrate|openapi|seed|import|user]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Overrides;

#[derive(Debug, Parser)]
#[command(name = "airgrid", version, about = "Grid-based air-pollution control API", long_about = None)]
pub struct Cli {
    /// Optional TOML configuration file [env: AIRGRID_CONFIG]
    #[arg(long, global = true, env = "AIRGRID_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub overrides: Overrides,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default): applies pending migrations first.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON) to standard output.
    Openapi,
    /// Load demo data (idempotent).
    Seed {
        #[command(subcommand)]
        what: SeedData,
    },
    /// Send a file to a running airgrid, with a progress bar; a large file is followed to the end of its job.
    Import {
        #[command(subcommand)]
        what: ImportData,
    },
    /// Manage accounts without the API (for the first administrator, above all).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create an account.
    Add {
        /// Sign-in name (3–64 letters, digits or . _ - @ +; a phone number works).
        #[arg(long)]
        username: String,
        /// Password: at least 10 characters mixing three of lower, upper, digits, symbols.
        #[arg(long, env = "AIRGRID_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// admin, commander, supervisor, grid_worker, inspector, viewer.
        #[arg(long)]
        role: String,
        /// Home grid cell code (the account's scope); required for every role but admin.
        #[arg(long)]
        cell: Option<String>,
        /// Name shown to others (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportData {
    /// Vehicle emission inspection results (`POST /api/v1/vehicle-inspections/import`).
    VehicleInspections(crate::client::InspectionArgs),
    /// Satellite fire points: a NASA FIRMS CSV or another source's list (`POST /api/v1/fire-points/import`).
    FirePoints(crate::client::FirePointArgs),
    /// Hourly air-quality readings of monitoring stations (`POST /api/v1/air-readings/import`).
    AirReadings(crate::client::AirReadingArgs),
}

#[derive(Debug, Subcommand)]
pub enum SeedData {
    /// The four-level demo grid of Shenyang (2,292 cells) and one demo account per role.
    Demo,
}
