use std::process::ExitCode;

use airgrid::cli::{Cli, Command};
use airgrid::config::Settings;
use airgrid::db::{BoxError, Db};
use airgrid::{Application, openapi, telemetry};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("airgrid: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), BoxError> {
    if let Some(Command::Openapi) = cli.command {
        println!("{}", openapi::document().to_pretty_json()?);
        return Ok(());
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
        Command::Openapi => unreachable!("handled above"),
    }
    Ok(())
}
