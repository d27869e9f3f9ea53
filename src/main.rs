use std::process::ExitCode;

use airgrid::cli::{Cli, Command, ImportData, SeedData, UserAction};
use airgrid::config::Settings;
use airgrid::db::{BoxError, Db};
use airgrid::{Application, openapi, telemetry};
use clap::Parser;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("airgrid: {e}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives each thread that allocates its own arena and keeps what is freed there for that thread, so
/// work handed between the blocking threads (database calls, an import's chunks) grew the peak memory with
/// the thread count. Two arenas keep a bulk import's peak at about half.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn run(cli: Cli) -> Result<(), BoxError> {
    if let Some(Command::Openapi) = cli.command {
        println!("{}", openapi::document().to_pretty_json()?);
        return Ok(());
    }
    // A client of a running service: no settings, no database.
    if let Some(Command::Import { what }) = cli.command {
        let runtime = actix_web::rt::System::new();
        return match what {
            ImportData::VehicleInspections(args) => runtime.block_on(airgrid::client::import_vehicle_inspections(args)),
            ImportData::FirePoints(args) => runtime.block_on(airgrid::client::import_fire_points(args)),
            ImportData::AirReadings(args) => runtime.block_on(airgrid::client::import_air_readings(args)),
        };
    }
    let settings = Settings::load(cli.config.as_deref(), &cli.overrides)?;
    telemetry::init(&settings);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => actix_web::rt::System::new()
            .block_on(async { Application::build(settings)?.run_until_stopped().await.map_err(BoxError::from) })?,
        Command::Migrate => {
            let applied = Db::connect(&settings)?.get()?.migrate()?;
            println!(
                "applied {} migration(s){}",
                applied.len(),
                if applied.is_empty() { String::new() } else { format!(": {}", applied.join(", ")) }
            );
        }
        Command::Seed { what: SeedData::Demo } => {
            let db = Db::connect(&settings)?;
            db.get()?.migrate()?;
            let s = airgrid::grid::seed::seed_demo(&db, &settings).inspect_err(|e| {
                if let Some(airgrid::error::ApiError::Rule { errors, .. }) = e.downcast_ref() {
                    errors.iter().for_each(|e| eprintln!("  {}: {}", e.field, e.message));
                }
            })?;
            println!(
                "demo grid: {} cells, {} created, {} updated, {} unchanged",
                s.total, s.created, s.updated, s.unchanged
            );
            for (username, secret) in airgrid::grid::seed::seed_demo_accounts(&db)? {
                match secret {
                    Some(secret) => println!("created {username}; its client secret (shown once): {secret}"),
                    None => println!("created {username} (password in the README)"),
                }
            }
        }
        Command::User { action: UserAction::Add { username, password, role, cell, display_name } } => {
            let db = Db::connect(&settings)?;
            db.get()?.migrate()?;
            let role = airgrid::domain::access::Role::parse(&role)
                .filter(|r| *r != airgrid::domain::access::Role::Integration)
                .ok_or("role must be admin, commander, supervisor, grid_worker, inspector or viewer")?;
            let new = airgrid::auth::service::NewAccount {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                role,
                home_cell: cell,
                scopes: Vec::new(),
                password: Some(password),
            };
            let mut conn = db.get()?;
            let (row, _) = diesel::Connection::transaction(&mut *conn, |c| {
                let hashed = airgrid::auth::service::Hashed::for_account(&new)?;
                airgrid::auth::service::create_account(c, &airgrid::auth::Caller::system(), new, hashed)
            })
            .map_err(|e| match e {
                airgrid::error::ApiError::Validation { errors, .. } => {
                    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ").into()
                }
                other => BoxError::from(other),
            })?;
            println!("created account {} ({}) with id {}", row.username, row.role, row.id);
        }
        Command::Openapi | Command::Import { .. } => unreachable!("handled above"),
    }
    Ok(())
}
