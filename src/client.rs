//! `airgrid import …`: sends a file to a running airgrid as scripts do, streaming it with a progress bar,
//! and follows the import job it becomes when the file is large.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::BoxError;

/// The file and the service it goes to.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// The file: CSV (`.csv`, `.tsv`; UTF-8, or GBK as Excel exports it) or NDJSON (`.ndjson`, `.jsonl`).
    pub file: PathBuf,
    /// Base URL of the airgrid service, e.g. `https://airgrid.example.gov.cn`.
    #[arg(long, env = "AIRGRID_URL")]
    pub url: String,
    /// Access token of an account that may import.
    #[arg(long, env = "AIRGRID_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The media type, when the file's extension does not say it (e.g. `text/csv; charset=gbk`).
    #[arg(long)]
    pub content_type: Option<String>,
}

/// Vehicle inspections to import.
#[derive(Debug, Clone, clap::Args)]
pub struct InspectionArgs {
    #[command(flatten)]
    pub target: Target,
    /// The system the records come from (2–32 of a–z, 0–9, `_`, `-`).
    #[arg(long)]
    pub source: String,
    /// Coordinates of `lon`/`lat` columns: wgs84, gcj02 or bd09.
    #[arg(long, default_value = "wgs84")]
    pub crs: String,
}

/// Satellite fire points to import.
#[derive(Debug, Clone, clap::Args)]
pub struct FirePointArgs {
    #[command(flatten)]
    pub target: Target,
    /// Where the list comes from: `firms` (NASA FIRMS) or another source's slug (2–32 of a–z, 0–9, `_`, `-`).
    #[arg(long, default_value = "firms")]
    pub source: String,
}

/// Hourly air-quality readings to import.
#[derive(Debug, Clone, clap::Args)]
pub struct AirReadingArgs {
    #[command(flatten)]
    pub target: Target,
    /// Where the readings come from (2–32 of a–z, 0–9, `_`, `-`).
    #[arg(long, default_value = "station")]
    pub source: String,
}

/// Imports hourly air-quality readings; fails (non-zero exit) when the service refuses the file, naming
/// every bad row.
pub async fn import_air_readings(args: AirReadingArgs) -> Result<(), BoxError> {
    let path = format!("/api/v1/air-readings/import?source={}", args.source);
    let summary = send(&args.target, &path, &args.source).await?;
    let n = |k: &str| summary[k].as_u64().unwrap_or(0);
    println!(
        "{}: {} rows; {} new, {} corrected, {} unchanged; {} station-days computed",
        args.target.file.display(),
        n("rows"),
        n("created"),
        n("corrected"),
        n("unchanged"),
        n("days_recomputed")
    );
    Ok(())
}

/// Imports vehicle inspections; fails (non-zero exit) when the service refuses the file, naming every bad row.
pub async fn import_vehicle_inspections(args: InspectionArgs) -> Result<(), BoxError> {
    let path = format!("/api/v1/vehicle-inspections/import?source={}&crs={}", args.source, args.crs);
    let summary = send(&args.target, &path, &args.source).await?;
    let n = |k: &str| summary[k].as_u64().unwrap_or(0);
    println!(
        "{}: {} rows; {} created, {} updated, {} unchanged; {} disagree with the station's result",
        args.target.file.display(),
        n("rows"),
        n("created"),
        n("updated"),
        n("unchanged"),
        n("disagreements")
    );
    Ok(())
}

/// Imports satellite fire points; fails (non-zero exit) when the service refuses the file.
pub async fn import_fire_points(args: FirePointArgs) -> Result<(), BoxError> {
    let path = format!("/api/v1/fire-points/import?source={}", args.source);
    let summary = send(&args.target, &path, &args.source).await?;
    let n = |k: &str| summary[k].as_u64().unwrap_or(0);
    let screened: u64 = summary["screened"].as_object().into_iter().flatten().filter_map(|(_, v)| v.as_u64()).sum();
    println!(
        "{}: {} rows; {} new ({} screened out), {} already known, {} outside the grid; {} fire events created, {} joined existing ones",
        args.target.file.display(),
        n("rows"),
        n("imported"),
        screened,
        n("already_known"),
        n("outside_grid"),
        n("events_created"),
        n("joined_existing")
    );
    Ok(())
}

/// Streams the file to `path` with a progress bar and answers the import's summary: at once, or at the end
/// of the job a large file becomes.
async fn send(target: &Target, path: &str, source: &str) -> Result<Value, BoxError> {
    let content_type = match &target.content_type {
        Some(given) => given.clone(),
        None => media_type(&target.file)?.to_owned(),
    };
    let length = tokio::fs::metadata(&target.file).await.map_err(|e| format!("{}: {e}", target.file.display()))?.len();
    // The same file and source always carry the same key: running the command again after a dropped
    // connection answers the first import again instead of importing twice.
    let key = format!("import-{source}-{}", file_sha256(&target.file).await?);
    let base = target.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build()?;

    let bar = ProgressBar::new(length)
        .with_style(ProgressStyle::with_template("uploading {bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")?);
    let counted = bar.clone();
    let file = tokio::fs::File::open(&target.file).await?;
    let stream = tokio_util::io::ReaderStream::new(file).inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            counted.inc(chunk.len() as u64);
        }
    });
    let res = client
        .post(format!("{base}{path}"))
        .bearer_auth(&target.token)
        .header(CONTENT_TYPE, content_type)
        .header(CONTENT_LENGTH, length)
        .header("Idempotency-Key", key)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await?;
    bar.finish_and_clear();
    match res.status() {
        StatusCode::OK => Ok(res.json::<Value>().await?),
        StatusCode::ACCEPTED => {
            let location = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).ok_or("202 without Location")?;
            let job = follow(&client, &format!("{base}{location}"), &target.token).await?;
            match job["status"].as_str() {
                Some("succeeded") => Ok(job["summary"].clone()),
                _ => Err(refusal(&job["problem"])),
            }
        }
        _ => Err(refusal(&res.json::<Value>().await.unwrap_or_default())),
    }
}

/// The media type a file's extension names.
fn media_type(file: &std::path::Path) -> Result<&'static str, BoxError> {
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    Ok(match extension.as_str() {
        "csv" | "txt" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "ndjson" | "jsonl" => "application/x-ndjson",
        _ => return Err(format!("{}: say its type with --content-type", file.display()).into()),
    })
}

async fn file_sha256(path: &std::path::Path) -> Result<String, BoxError> {
    let path = path.to_owned();
    let hash = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        let mut hasher = Sha256::new();
        std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
        Ok(format!("{:x}", hasher.finalize()))
    })
    .await??;
    Ok(hash[..32].to_owned())
}

/// Polls the job until it ends, showing rows done of rows total.
async fn follow(client: &reqwest::Client, url: &str, token: &str) -> Result<Value, BoxError> {
    let bar =
        ProgressBar::new(0).with_style(ProgressStyle::with_template("importing {bar:40} {pos}/{len} rows {eta}")?);
    loop {
        let job: Value = client.get(url).bearer_auth(token).send().await?.error_for_status()?.json().await?;
        bar.set_length(job["rows_total"].as_u64().unwrap_or(0));
        bar.set_position(job["rows_done"].as_u64().unwrap_or(0));
        if matches!(job["status"].as_str(), Some("succeeded" | "failed")) {
            bar.finish_and_clear();
            return Ok(job);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The service's problem as an error: its detail, then every bad row.
fn refusal(problem: &Value) -> BoxError {
    let mut text = problem["detail"].as_str().unwrap_or("the service refused the import").to_owned();
    for e in problem["errors"].as_array().into_iter().flatten() {
        text.push_str(&format!("\n  {}: {}", e["field"].as_str().unwrap_or("?"), e["message"].as_str().unwrap_or("")));
    }
    text.into()
}
