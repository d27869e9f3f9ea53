//! The command line: `airgrid [serve|migrate|openapi]`.

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
}

#[derive(Debug, Subcommand)]
pub enum SeedData {
    /// The four-level demo grid of Shenyang (2,292 cells).
    Demo,
}
