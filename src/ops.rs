//! Operations endpoints: liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, get, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use diesel::RunQueryDsl;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Opts, Registry};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{AnyConnection, BoxError, Db};
use crate::error::{ApiError, Problem};

/// Health status.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Health {
    /// `ok` when alive, `ready` when able to serve.
    #[schema(example = "ok")]
    pub status: String,
    /// The database backend in use (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "postgresql")]
    pub database: Option<String>,
}

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(
    operation_id = "healthz",
    tag = "operations",
    responses((status = 200, description = "The process is alive", body = Health, example = json!({"status": "ok"}))),
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok".into(), database: None })
}

/// Readiness: the database answers and its schema is current.
#[utoipa::path(
    operation_id = "readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health, example = json!({"status": "ready", "database": "sqlite"})),
        (status = 503, description = "Database unreachable or migrations pending", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/readyz")]
pub async fn readyz(db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let backend = db
        .run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            let pending = conn.migrations_pending().map_err(ApiError::internal)?;
            if pending {
                return Err(ApiError::Unavailable("database migrations are pending".into()));
            }
            Ok(match conn {
                AnyConnection::Postgresql(_) => "postgresql",
                AnyConnection::Sqlite(_) => "sqlite",
            })
        })
        .await
        .map_err(|e| match e {
            ApiError::Unavailable(_) => e,
            other => ApiError::Unavailable(format!("database not ready: {other}")),
        })?;
    Ok(HttpResponse::Ok().json(Health { status: "ready".into(), database: Some(backend.into()) }))
}

/// Request counts by route template and status, a latency histogram, and pool usage, at `/metrics`.
pub fn metrics(db: &Db) -> Result<PrometheusMetrics, BoxError> {
    let registry = Registry::new();
    registry.register(Box::new(PoolCollector::new(db.clone())?))?;
    PrometheusMetricsBuilder::new("airgrid")
        .registry(registry)
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNMATCHED")
        .exclude_regex("^/docs")
        .build()
}

/// Reads the pool's state at scrape time.
struct PoolCollector {
    db: Db,
    open: IntGauge,
    idle: IntGauge,
    max: IntGauge,
}

impl PoolCollector {
    fn new(db: Db) -> Result<Self, prometheus::Error> {
        let gauge = |name: &str, help: &str| IntGauge::with_opts(Opts::new(name, help).namespace("airgrid"));
        Ok(Self {
            db,
            open: gauge("db_pool_connections", "Open database connections")?,
            idle: gauge("db_pool_idle_connections", "Idle database connections")?,
            max: gauge("db_pool_max_connections", "Largest allowed number of database connections")?,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        [&self.open, &self.idle, &self.max].into_iter().flat_map(|g| g.desc()).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let state = self.db.state();
        self.open.set(state.connections.into());
        self.idle.set(state.idle_connections.into());
        self.max.set(self.db.max_size().into());
        [&self.open, &self.idle, &self.max].into_iter().flat_map(|g| g.collect()).collect()
    }
}
