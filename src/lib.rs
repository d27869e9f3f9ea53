//! airgrid: a REST/JSON API for a city's grid-based air-pollution control.
//!
//! [`Application`] is the one way to start the service; `main`, the tests and the OpenAPI export all go
//! through it or through [`routes`], so what is documented is what is served.

pub mod air;
pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod controls;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod fire_points;
pub mod grid;
pub mod http;
pub mod idempotency;
pub mod import;
pub mod incidents;
pub mod jobs;
pub mod machinery;
pub mod openapi;
pub mod ops;
pub mod storage;
pub mod telemetry;
pub mod vehicles;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::{BoxError, Db};
use crate::http::{BodyLimit, RouteTable};

/// Registers every documented route. The OpenAPI document is generated from this same function.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .configure(auth::routes)
        .configure(grid::routes)
        .configure(incidents::routes)
        .configure(fire_points::routes)
        .configure(controls::routes)
        .configure(air::routes)
        .configure(vehicles::routes)
        .configure(jobs::routes)
        .configure(machinery::routes)
        .configure(events::routes);
}

/// A configured, bound, migrated service, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    purge_every: Duration,
    /// Runs background jobs while the server runs (`None` when `jobs_enabled` is off).
    worker: Option<jobs::Worker>,
}

impl Application {
    /// Connects to the database, applies pending migrations and binds the listener.
    pub fn build(settings: Settings) -> Result<Self, BoxError> {
        let db = Db::connect(&settings)?;
        let mut conn = db.get()?;
        let applied = conn.migrate()?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied database migrations");
        }
        let snapshot = grid::live::Snapshot::load(&mut conn, settings.today())?;
        let token_keys = web::Data::new(auth::tokens::TokenKeys::load(&settings, &mut conn)?);
        drop(conn);
        tracing::info!(cells = snapshot.index.len(), "grid index built");
        let callers = web::Data::new(auth::CallerCache::new(
            auth::CALLER_TOPICS,
            Duration::from_millis(settings.account_cache_refresh_ms),
        ));
        let policy = web::Data::new(incidents::Policy::from_settings(&settings)?);
        let vehicle_policy = web::Data::new(vehicles::VehiclePolicy::from_settings(&settings)?);
        let storage = web::Data::new(storage::Storage::from_url(&settings.storage_url)?);
        tracing::info!(storage = %storage.describe(), "object storage ready");
        let live = web::Data::new(grid::live::LiveIndex::new(
            snapshot,
            Duration::from_millis(settings.grid_refresh_interval_ms),
        ));
        let listener =
            TcpListener::bind(settings.listen).map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        let port = listener.local_addr()?.port();

        let openapi = openapi::document();
        let route_table = web::Data::new(RouteTable::new(
            &openapi,
            &[
                ("/metrics", Method::GET),
                ("/openapi.json", Method::GET),
                ("/docs", Method::GET),
                ("/docs/", Method::GET),
            ],
        ));
        let metrics = ops::metrics(&db)?;
        let openapi = Arc::new(openapi);
        let body_limit = BodyLimit {
            json: settings.body_limit_bytes,
            bulk: settings.import_body_limit_bytes,
            upload: settings.upload_limit_bytes,
        };
        let purge_every = Duration::from_secs(settings.idempotency_ttl_secs.clamp(1, 600));
        let background_db = db.clone();
        let worker = jobs::Worker::new(
            db.clone(),
            storage.get_ref().clone(),
            live.clone(),
            vehicle_policy.clone().into_inner(),
            policy.ladder.clone(),
            &settings,
        );
        let worker_data = web::Data::new(worker.clone());
        let worker = settings.jobs_enabled.then_some(worker);
        let db = web::Data::new(db);
        let settings_data = web::Data::new(settings.clone());

        let mut server = HttpServer::new(move || {
            let app = App::new()
                .into_utoipa_app()
                .app_data(db.clone())
                .app_data(settings_data.clone())
                .app_data(live.clone())
                .app_data(token_keys.clone())
                .app_data(callers.clone())
                .app_data(policy.clone())
                .app_data(vehicle_policy.clone())
                .app_data(worker_data.clone())
                .app_data(storage.clone())
                .app_data(route_table.clone())
                .app_data(body_limit)
                .configure(routes)
                .openapi_service(|_| SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", (*openapi).clone()))
                .default_service(web::to(http::not_found_or_wrong_method))
                .into_app()
                .route("/docs", web::get().to(|| async { web::Redirect::to("/docs/") }));
            app.configure(http::extractor_config)
                .wrap(from_fn(idempotency::middleware))
                .wrap(from_fn(http::problems_everywhere))
                .wrap(metrics.clone())
                .wrap(from_fn(telemetry::request_span))
        })
        .listen(listener)?
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(settings.client_request_timeout_secs))
        .keep_alive(Duration::from_secs(settings.keep_alive_secs));
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        tracing::info!(listen = %settings.listen, port, database = %settings.database_url, "airgrid is serving");
        Ok(Self { port, server: server.run(), db: background_db, purge_every, worker })
    }

    /// The bound port (useful with `listen = "127.0.0.1:0"`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish within the shutdown timeout.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let purge = actix_web::rt::spawn(idempotency::purge_expired(self.db, self.purge_every));
        let worker = self.worker.map(|w| actix_web::rt::spawn(w.run()));
        let served = self.server.await;
        purge.abort();
        if let Some(worker) = worker {
            // A job cut off here resumes on this or another instance once its lease runs out.
            worker.abort();
        }
        served
    }
}
