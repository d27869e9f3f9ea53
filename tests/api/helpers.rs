//! The TestApp: the real application on a fresh database, and helpers to talk to it.
#![allow(dead_code)] // not every test module uses every helper

use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use airgrid::Application;
use airgrid::config::{DatabaseUrl, Settings};
use airgrid::db::AnyConnection;
use diesel::connection::SimpleConnection;
use serde_json::Value;

/// A database that exists for one test and is removed after it.
pub enum TestDb {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A fresh, empty database on the backend the environment selects.
    pub fn fresh() -> (Self, DatabaseUrl) {
        match std::env::var("AIRGRID_TEST_DATABASE_URL").ok().filter(|v| !v.is_empty()) {
            Some(admin_url) => {
                let name = format!("airgrid_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = admin_connection(&admin_url);
                admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
                let url = replace_database(&admin_url, &name);
                (Self::Postgres { admin_url, name }, DatabaseUrl::parse(&url).unwrap())
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = DatabaseUrl::Sqlite(dir.path().join("airgrid.db"));
                (Self::Sqlite { _dir: dir }, url)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name } = self {
            let _ = admin_connection(admin_url).batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn admin_connection(url: &str) -> AnyConnection {
    AnyConnection::open(&DatabaseUrl::parse(url).unwrap())
        .unwrap_or_else(|e| panic!("AIRGRID_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"))
}

/// `postgres://u:p@h:5432/db?x=y` with its database name replaced.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let (scheme, rest) = base.split_once("://").unwrap();
    let authority = rest.split('/').next().unwrap();
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{scheme}://{authority}/{name}{query}")
}

pub struct TestApp {
    pub address: String,
    pub database_url: DatabaseUrl,
    client: awc::Client,
    _db: TestDb,
}

/// A response read whole.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem with this status and `type`, and returns it.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, kind: &str) -> Value {
        let body = String::from_utf8_lossy(&self.body);
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {body}");
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "body: {body}");
        let problem = self.json();
        assert_eq!(problem["type"], format!("/problems/{kind}"), "body: {body}");
        assert_eq!(problem["status"], status);
        assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(problem["detail"].as_str().is_some_and(|t| !t.is_empty()));
        problem
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&self.body));
        self
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application on a fresh database; `configure` may adjust the settings first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (db, database_url) = TestDb::fresh();
    let mut settings = Settings {
        database_url: database_url.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        workers: Some(1),
        log_filter: "warn".into(),
        ..Settings::default()
    };
    configure(&mut settings);
    airgrid::telemetry::init(&settings);
    let app = Application::build(settings).expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder().timeout(Duration::from_secs(60)).disable_redirects().finish();
    TestApp { address, database_url, client, _db: db }
}

impl TestApp {
    pub fn request(&self, method: Method, path: &str) -> awc::ClientRequest {
        self.client.request(method, format!("{}{path}", self.address))
    }

    pub async fn send(&self, request: awc::ClientRequest) -> TestResponse {
        read(request.send().await.expect("request sent")).await
    }

    pub async fn send_body(&self, request: awc::ClientRequest, body: impl Into<Vec<u8>>) -> TestResponse {
        read(request.send_body(body.into()).await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> TestResponse {
        read(self.request(Method::POST, path).send_json(body).await.expect("request sent")).await
    }
}

async fn read<S>(mut res: awc::ClientResponse<S>) -> TestResponse
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let body = res.body().limit(256 * 1024 * 1024).await.expect("body read").to_vec();
    TestResponse { status: res.status(), headers: res.headers().clone(), body }
}
