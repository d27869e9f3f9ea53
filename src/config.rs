//! Typed, layered settings: built-in defaults → optional TOML file → `AIRGRID_*` environment → command-line
//! flags (the last one wins). Everything is parsed and checked once, at start-up.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize};

/// All settings of one airgrid instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://PATH` (default `sqlite://airgrid.db`), `postgres://…` or `postgresql://…`.
    pub database_url: DatabaseUrl,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// `pretty` (human-readable) or `json` (one object per line).
    pub log_format: LogFormat,
    /// tracing env-filter directives, e.g. `info,airgrid=debug`.
    pub log_filter: String,
    /// Queries slower than this many milliseconds are logged at WARN.
    pub slow_query_ms: u64,
    /// HTTP worker threads; defaults to the number of CPU cores.
    pub workers: Option<usize>,
    /// Largest accepted request body for ordinary JSON endpoints, in bytes.
    pub body_limit_bytes: usize,
    /// Largest accepted request body for bulk imports, in bytes.
    pub import_body_limit_bytes: usize,
    /// Largest accepted file for streamed CSV/NDJSON imports, in bytes (spooled to disk, never held in memory).
    pub upload_limit_bytes: u64,
    /// Time a client has to send the request head, in seconds.
    pub client_request_timeout_secs: u64,
    /// Idle keep-alive connection lifetime, in seconds.
    pub keep_alive_secs: u64,
    /// Grace period for in-flight requests on SIGTERM/SIGINT, in seconds.
    pub shutdown_timeout_secs: u64,
    /// Most pooled database connections; defaults to 10 on PostgreSQL and 4 on SQLite.
    pub pool_max_size: Option<u32>,
    /// How long a request waits for a pooled connection before answering 503, in seconds.
    pub pool_timeout_secs: u64,
    /// The city's time zone: what "today" means for validity dates and daily figures.
    pub timezone: chrono_tz::Tz,
    /// Largest share of a grid cell's area allowed outside its parent.
    pub grid_outside_parent_tolerance: f64,
    /// Largest overlap of two sibling cells, as a share of the smaller one.
    pub grid_sibling_overlap_tolerance: f64,
    /// How often an instance checks whether another changed the grid, in milliseconds (0 = every locate).
    pub grid_refresh_interval_ms: u64,
    /// Most positions one cell boundary may have (all its rings together).
    pub grid_max_vertices: usize,
    /// How often an instance checks whether accounts changed elsewhere, in milliseconds (0 = every request):
    /// the longest a deactivation or role change made on another instance takes to apply here.
    pub account_cache_refresh_ms: u64,
    /// Where the instance keeps generated files (the token signing secret when none is configured).
    pub data_dir: PathBuf,
    /// Token signing algorithm: `HS256` (shared secret), `EdDSA` or `RS256` (key pair).
    pub jwt_algorithm: JwtAlgorithm,
    /// HS256 secret (at least 32 bytes). Without it the first start generates one in `data_dir`.
    pub jwt_secret: Option<Secret>,
    /// EdDSA/RS256: PEM file of the private key that signs tokens.
    pub jwt_private_key_file: Option<PathBuf>,
    /// EdDSA/RS256: `kid` put in the tokens this instance signs.
    pub jwt_key_id: Option<String>,
    /// EdDSA/RS256: `kid=PEM-file` pairs of public keys accepted for verification, comma-separated.
    pub jwt_public_keys: Option<String>,
    /// `iss` of issued tokens, and the only one accepted.
    pub jwt_issuer: String,
    /// `aud` of issued tokens, and the only one accepted.
    pub jwt_audience: String,
    /// Lifetime of access tokens, in seconds.
    pub access_token_ttl_secs: u64,
    /// Lifetime of refresh tokens, in seconds.
    pub refresh_token_ttl_secs: u64,
    /// Failed sign-ins per account within the window before further attempts answer 429.
    pub sign_in_max_failures_per_account: u32,
    /// Failed sign-ins per client address within the window before further attempts answer 429.
    pub sign_in_max_failures_per_address: u32,
    /// Length of the sign-in failure window, in seconds.
    pub sign_in_window_secs: u64,
    /// Load balancers and proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` /
    /// `Forwarded` headers name the client; requests from anywhere else are taken from their TCP peer.
    pub trusted_proxies: String,
    /// How long a stored response to an `Idempotency-Key` is replayed, in seconds.
    pub idempotency_ttl_secs: u64,
    /// How long a request holding an `Idempotency-Key` keeps retries of it waiting (409) before they may
    /// run again, in seconds; covers an instance that died mid-request.
    pub idempotency_lease_secs: u64,
    /// How often a long poll of the event feed looks for events written by other instances, in
    /// milliseconds (this instance's own commits wake it at once).
    pub events_poll_interval_ms: u64,
    /// Where photos and uploaded files are kept: a directory (`data/objects`, `file:///srv/airgrid`) or
    /// S3-compatible storage (`s3://bucket/prefix`, endpoint and keys from the standard `AWS_*` variables).
    /// Several instances must share it.
    pub storage_url: String,
    /// A JSON file of holidays and working weekends (the format of the built-in 2024–2026 calendar) whose
    /// years replace or extend the built-in ones; deadlines in working days follow it.
    pub work_calendar_file: Option<PathBuf>,
    /// An open incident shows yellow when less than this share of its allowed time is left.
    pub incident_warn_share: f64,
    /// Largest photo accepted, in bytes.
    pub incident_photo_max_bytes: usize,
    /// A photo whose EXIF position is farther than this from its incident, in metres, is flagged.
    pub incident_photo_max_distance_m: f64,
    /// A photo taken more than this many hours before its incident was reported is flagged.
    pub incident_photo_max_age_hours: f64,
    /// Most reports in one offline batch.
    pub incident_batch_max_items: usize,
    /// Hours a satellite fire event may wait for its ground verification (shorter under special control).
    pub fire_verify_hours: u32,
    /// Detections of one fire by repeat passes: at most this far apart, in metres …
    pub fire_merge_distance_m: f64,
    /// … and this many hours apart.
    pub fire_merge_window_hours: u32,
    /// Minimum percentage confidence (MODIS and other percentage sources) for a detection to be sent out.
    pub fire_min_confidence_percent: u8,
    /// Minimum class confidence (VIIRS): `low`, `nominal` or `high`.
    pub fire_min_confidence_class: crate::domain::fire::ConfidenceClass,
    /// The diesel-vehicle inspection pass rate the city is held to, in percent (national target: 90).
    pub vehicle_pass_target_percent: f64,
    /// A JSON file of inspection limits over the built-in table: a list of
    /// `{"method", "quantity", "stage" (optional), "class", "limit"}`, e.g.
    /// `[{"method": "free_acceleration", "quantity": "opacity_k", "class": "b", "limit": 0.7}]`.
    pub vehicle_limits_file: Option<PathBuf>,
    /// A JSON file with the city's special-control ladder over the built-in one (temporary control, then
    /// yellow, orange and red warnings): a list of levels, lowest first, each with `code`, `name_zh`,
    /// `name_en`, `response`, `trigger`, `measures`, `prompts` and tightened incident `deadlines`.
    pub control_ladder_file: Option<PathBuf>,
    /// Inspection files larger than this (bytes) are imported as a background job (202); smaller ones at
    /// once, unless the client sends `Prefer: respond-async`.
    pub vehicle_import_sync_max_bytes: u64,
    /// Whether this instance runs background jobs (every instance does by default).
    pub jobs_enabled: bool,
    /// How often an idle instance looks for jobs, in milliseconds.
    pub job_poll_ms: u64,
    /// Seconds a job's claim lasts without progress before another instance takes it over.
    pub job_lease_secs: u32,
}

/// `10.0.0.0/8, 192.168.1.7` → networks; a bare address is a one-address network.
fn parse_networks(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{s} is not an IP address or CIDR range"))
        })
        .collect()
}

/// A secret value: shown as `***` in logs and debug output.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JwtAlgorithm {
    HS256,
    EdDSA,
    RS256,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DatabaseUrl::Sqlite("airgrid.db".into()),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: LogFormat::Pretty,
            log_filter: "info,actix_web_prom=error".into(),
            slow_query_ms: 200,
            workers: None,
            body_limit_bytes: 1024 * 1024,
            import_body_limit_bytes: 64 * 1024 * 1024,
            upload_limit_bytes: 2 * 1024 * 1024 * 1024,
            client_request_timeout_secs: 10,
            keep_alive_secs: 75,
            shutdown_timeout_secs: 30,
            pool_max_size: None,
            pool_timeout_secs: 5,
            timezone: chrono_tz::Asia::Shanghai,
            grid_outside_parent_tolerance: 0.05,
            grid_sibling_overlap_tolerance: 0.02,
            grid_refresh_interval_ms: 1000,
            grid_max_vertices: 100_000,
            account_cache_refresh_ms: 1000,
            data_dir: "data".into(),
            jwt_algorithm: JwtAlgorithm::HS256,
            jwt_secret: None,
            jwt_private_key_file: None,
            jwt_key_id: None,
            jwt_public_keys: None,
            jwt_issuer: "airgrid".into(),
            jwt_audience: "airgrid".into(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            sign_in_max_failures_per_account: 5,
            sign_in_max_failures_per_address: 20,
            sign_in_window_secs: 15 * 60,
            trusted_proxies: String::new(),
            idempotency_ttl_secs: 24 * 3600,
            idempotency_lease_secs: 300,
            events_poll_interval_ms: 500,
            storage_url: "data/objects".into(),
            work_calendar_file: None,
            incident_warn_share: 0.25,
            incident_photo_max_bytes: 10 * 1024 * 1024,
            incident_photo_max_distance_m: 500.0,
            incident_photo_max_age_hours: 24.0,
            incident_batch_max_items: 200,
            fire_verify_hours: 24,
            fire_merge_distance_m: 1_000.0,
            fire_merge_window_hours: 12,
            fire_min_confidence_percent: 0,
            fire_min_confidence_class: crate::domain::fire::ConfidenceClass::Low,
            vehicle_pass_target_percent: 90.0,
            vehicle_limits_file: None,
            control_ladder_file: None,
            vehicle_import_sync_max_bytes: 4 * 1024 * 1024,
            jobs_enabled: true,
            job_poll_ms: 1_000,
            job_lease_secs: 60,
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers in charge.
#[derive(Debug, Default, Clone, Serialize, clap::Args)]
pub struct Overrides {
    /// Database URL [env: AIRGRID_DATABASE_URL or DATABASE_URL] [default: sqlite://airgrid.db]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Listen address [env: AIRGRID_LISTEN] [default: 127.0.0.1:8080]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Log format: pretty or json [env: AIRGRID_LOG_FORMAT] [default: pretty]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
}

/// `AIRGRID_*` variables that belong to the command line, the tests or the tooling, not to the settings.
/// Any other unknown `AIRGRID_*` variable stops start-up, so a misspelt setting is not silently ignored.
const NOT_SETTINGS: [&str; 5] = ["config", "user_password", "test_", "bench_", "ci_"];

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads the layers in order of precedence and validates the result.
    pub fn load(file: Option<&std::path::Path>, flags: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!("configuration file {} does not exist", path.display())));
            }
            figment = figment.merge(Toml::file(path));
        }
        let settings: Settings = figment
            .merge(Env::raw().only(&["DATABASE_URL"]).lowercase(true))
            .merge(
                Env::prefixed("AIRGRID_")
                    .filter(|key| !NOT_SETTINGS.iter().any(|p| key.as_str().to_ascii_lowercase().starts_with(p))),
            )
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("body_limit_bytes", self.body_limit_bytes as u64),
            ("import_body_limit_bytes", self.import_body_limit_bytes as u64),
            ("upload_limit_bytes", self.upload_limit_bytes),
            ("pool_timeout_secs", self.pool_timeout_secs),
            ("client_request_timeout_secs", self.client_request_timeout_secs),
            ("grid_max_vertices", self.grid_max_vertices as u64),
            ("incident_photo_max_bytes", self.incident_photo_max_bytes as u64),
            ("incident_batch_max_items", self.incident_batch_max_items as u64),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError(format!("{name} must be greater than 0")));
        }
        if self.pool_max_size == Some(0) || self.workers == Some(0) {
            return Err(ConfigError("pool_max_size and workers must be greater than 0".into()));
        }
        for (name, share) in [
            ("grid_outside_parent_tolerance", self.grid_outside_parent_tolerance),
            ("grid_sibling_overlap_tolerance", self.grid_sibling_overlap_tolerance),
            ("incident_warn_share", self.incident_warn_share),
        ] {
            if !(0.0..1.0).contains(&share) {
                return Err(ConfigError(format!("{name} must be a share between 0 and 1")));
            }
        }
        if self.jwt_secret.as_ref().is_some_and(|s| s.expose().len() < 32) {
            return Err(ConfigError("jwt_secret must be at least 32 bytes".into()));
        }
        if self.jwt_algorithm != JwtAlgorithm::HS256
            && (self.jwt_private_key_file.is_none() || self.jwt_key_id.is_none() || self.jwt_public_keys.is_none())
        {
            return Err(ConfigError(
                "EdDSA and RS256 need jwt_private_key_file, jwt_key_id and jwt_public_keys".into(),
            ));
        }
        if self.access_token_ttl_secs == 0 || self.refresh_token_ttl_secs == 0 || self.sign_in_window_secs == 0 {
            return Err(ConfigError("token lifetimes and the sign-in window must be greater than 0".into()));
        }
        if !(self.incident_photo_max_distance_m > 0.0 && self.incident_photo_max_age_hours > 0.0) {
            return Err(ConfigError("incident photo limits must be greater than 0".into()));
        }
        if let Err(e) = parse_networks(&self.trusted_proxies) {
            return Err(ConfigError(format!("trusted_proxies: {e}")));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log_filter) {
            return Err(ConfigError(format!("log_filter: {e}")));
        }
        Ok(())
    }

    /// The parsed `trusted_proxies` (validated at start-up).
    pub fn trusted_proxies(&self) -> Vec<ipnet::IpNet> {
        parse_networks(&self.trusted_proxies).unwrap_or_default()
    }

    pub fn pool_max_size(&self) -> u32 {
        self.pool_max_size.unwrap_or(match self.database_url {
            DatabaseUrl::Postgres(_) => 10,
            DatabaseUrl::Sqlite(_) => 4,
        })
    }

    pub fn pool_timeout(&self) -> Duration {
        Duration::from_secs(self.pool_timeout_secs)
    }

    pub fn grid_tolerances(&self) -> crate::domain::grid::Tolerances {
        crate::domain::grid::Tolerances {
            outside_parent: self.grid_outside_parent_tolerance,
            sibling_overlap: self.grid_sibling_overlap_tolerance,
        }
    }

    /// Today's date in the city's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.timezone).date_naive()
    }

    pub fn slow_query_threshold(&self) -> Duration {
        Duration::from_millis(self.slow_query_ms)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A database location whose scheme selects the backend. Its `Debug` and `Display` hide any password, so
/// it can be logged.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// Path of the SQLite database file.
    Sqlite(PathBuf),
    /// A libpq connection URL.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")).unwrap_or(raw);
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(format!(
                "unsupported database URL scheme `{scheme}`: use sqlite://PATH, postgres://… or postgresql://…"
            ));
        }
        if path.is_empty() {
            return Err("the SQLite database path is empty".into());
        }
        Ok(Self::Sqlite(path.into()))
    }

    /// The string to hand to the database driver. Contains the password: never log it.
    pub fn expose(&self) -> String {
        match self {
            Self::Sqlite(path) => path.to_string_lossy().into_owned(),
            Self::Postgres(url) => url.clone(),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Sqlite(_) => s.serialize_str(&self.to_string()),
            Self::Postgres(url) => s.serialize_str(url),
        }
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// `postgres://user:secret@host/db?password=x` → `postgres://user:***@host/db?password=***`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (location, query) = rest.split_once('?').map_or((rest, None), |(l, q)| (l, Some(q)));
    // The userinfo ends at the last '@' (a password may hold '/' or '@').
    let location = match location.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => location.to_owned(),
    };
    let query = query.map(|q| {
        let pairs = q.split('&').map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_owned(),
        });
        format!("?{}", pairs.collect::<Vec<_>>().join("&"))
    });
    format!("{scheme}://{location}{}", query.unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's test jail returns its large error type
mod tests {
    use super::*;

    #[test]
    fn scheme_selects_backend() {
        assert_eq!(DatabaseUrl::parse("sqlite://a.db"), Ok(DatabaseUrl::Sqlite("a.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:a.db"), Ok(DatabaseUrl::Sqlite("a.db".into())));
        assert_eq!(DatabaseUrl::parse("data/a.db"), Ok(DatabaseUrl::Sqlite("data/a.db".into())));
        assert!(matches!(DatabaseUrl::parse("postgres://h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert!(matches!(DatabaseUrl::parse("postgresql://h/db"), Ok(DatabaseUrl::Postgres(_))));
    }

    #[test]
    fn unknown_scheme_names_the_accepted_ones() {
        let err = DatabaseUrl::parse("mysql://root@localhost/db").unwrap_err();
        assert!(err.contains("mysql") && err.contains("sqlite://") && err.contains("postgres://"), "{err}");
    }

    #[test]
    fn password_never_shows() {
        let url = DatabaseUrl::parse("postgres://airgrid:s3cret@db:5432/airgrid?sslmode=require").unwrap();
        let settings =
            Settings { database_url: url.clone(), jwt_secret: Some(Secret::new("s3cret")), ..Default::default() };
        for shown in [url.to_string(), format!("{url:?}"), format!("{settings:?}")] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("airgrid:***@db:5432/airgrid"), "{shown}");
        }
    }

    #[test]
    fn passwords_in_odd_places_are_hidden_too() {
        for url in [
            "postgres://u@h/db?password=s3cret",
            "postgres://u:s3/cr@t@h:5432/db",
            "postgres://u:s3cret@h?sslmode=require",
        ] {
            let shown = DatabaseUrl::parse(url).unwrap().to_string();
            assert!(!shown.contains("s3"), "{shown}");
        }
    }

    #[test]
    fn flags_beat_environment_beats_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("airgrid.toml", "listen = \"127.0.0.1:1000\"\nslow_query_ms = 5\nlog_filter = \"warn\"")?;
            jail.set_env("AIRGRID_LISTEN", "127.0.0.1:2000");
            jail.set_env("AIRGRID_LOG_FILTER", "debug");
            let flags = Overrides { listen: Some("127.0.0.1:3000".into()), ..Default::default() };
            let s = Settings::load(Some("airgrid.toml".as_ref()), &flags).unwrap();
            assert_eq!(s.listen.port(), 3000);
            assert_eq!(s.log_filter, "debug");
            assert_eq!(s.slow_query_ms, 5);
            Ok(())
        });
    }

    #[test]
    fn plain_database_url_is_accepted_but_airgrid_prefix_wins() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DATABASE_URL", "postgres://h/plain");
            let s = Settings::load(None, &Overrides::default()).unwrap();
            assert_eq!(s.database_url, DatabaseUrl::Postgres("postgres://h/plain".into()));
            jail.set_env("AIRGRID_DATABASE_URL", "sqlite://x.db");
            let s = Settings::load(None, &Overrides::default()).unwrap();
            assert_eq!(s.database_url, DatabaseUrl::Sqlite("x.db".into()));
            Ok(())
        });
    }

    #[test]
    fn tooling_variables_are_not_settings_but_typos_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("AIRGRID_USER_PASSWORD", "x");
            jail.set_env("AIRGRID_BENCH_CLOCK", "wall");
            jail.set_env("AIRGRID_TEST_DATABASE_URL", "postgres://h/db");
            assert!(Settings::load(None, &Overrides::default()).is_ok());
            jail.set_env("AIRGRID_LISTN", "127.0.0.1:1");
            assert!(Settings::load(None, &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn bad_values_stop_start_up() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("AIRGRID_DATABASE_URL", "mysql://x");
            assert!(Settings::load(None, &Overrides::default()).is_err());
            jail.set_env("AIRGRID_DATABASE_URL", "sqlite://x.db");
            jail.set_env("AIRGRID_LOG_FORMAT", "xml");
            assert!(Settings::load(None, &Overrides::default()).is_err());
            jail.set_env("AIRGRID_LOG_FORMAT", "json");
            jail.set_env("AIRGRID_BODY_LIMIT_BYTES", "0");
            assert!(Settings::load(None, &Overrides::default()).is_err());
            Ok(())
        });
    }
}
