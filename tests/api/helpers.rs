//! The TestApp: the real application on a fresh database, and helpers to talk to it.
#![allow(dead_code)] // not every test module uses every helper

use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use airgrid::Application;
use std::sync::Arc;

use airgrid::auth::service::NewAccount;
use airgrid::auth::tokens::TokenKeys;
use airgrid::config::{DatabaseUrl, Secret, Settings};
use airgrid::db::AnyConnection;
use airgrid::domain::access::Role;
use diesel::connection::SimpleConnection;
use serde_json::Value;

/// A database that exists for one test and is removed after it (`Shared`: another `TestApp`'s, which
/// removes it).
pub enum TestDb {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String },
    Shared,
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
    keys: Arc<TokenKeys>,
    /// The administrator's token that [`TestApp::request`] sends.
    pub token: Option<String>,
    /// The settings the instance runs with.
    pub settings: Settings,
    _db: TestDb,
    /// Where this instance keeps photos (unless the test chose a store).
    _storage: tempfile::TempDir,
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

/// Signing secret of every test instance, so tokens minted by one are valid on another.
const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// Password of accounts made by [`TestApp::account`].
pub const TEST_PASSWORD: &str = "Test-password-2026";

fn test_settings(database_url: DatabaseUrl) -> Settings {
    Settings {
        database_url,
        listen: "127.0.0.1:0".parse().unwrap(),
        workers: Some(1),
        log_filter: "warn".into(),
        jwt_secret: Some(Secret::new(TEST_JWT_SECRET)),
        ..Settings::default()
    }
}

/// Starts the application on a fresh database; `configure` may adjust the settings first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (db, database_url) = TestDb::fresh();
    let app = start(database_url, configure, db).await;
    let admin = app.account(Role::Admin, None).await;
    TestApp { token: Some(admin), ..app }
}

/// Another instance of the application on `app`'s database, as a second server of one deployment runs,
/// checking for grid changes made elsewhere before every locate. Keep `app` alive while it is used.
pub async fn spawn_second_instance(app: &TestApp) -> TestApp {
    spawn_instance_on(app, |settings| {
        settings.grid_refresh_interval_ms = 0;
        settings.account_cache_refresh_ms = 0;
    })
    .await
}

/// Another instance of the application on `app`'s database; `configure` may adjust its settings first.
pub async fn spawn_instance_on(app: &TestApp, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let instance = start(app.database_url.clone(), configure, TestDb::Shared).await;
    TestApp { token: app.token.clone(), ..instance }
}

async fn start(database_url: DatabaseUrl, configure: impl FnOnce(&mut Settings), db: TestDb) -> TestApp {
    let mut settings = test_settings(database_url.clone());
    let storage = tempfile::tempdir().expect("temp dir");
    settings.storage_url = storage.path().display().to_string();
    configure(&mut settings);
    airgrid::telemetry::init(&settings);
    let app = Application::build(settings.clone()).expect("application starts");
    let mut conn = AnyConnection::open(&database_url).unwrap();
    let keys = Arc::new(TokenKeys::load(&settings, &mut conn).expect("token keys"));
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder().timeout(Duration::from_secs(60)).disable_redirects().finish();
    TestApp { address, database_url, client, keys, token: None, settings, _db: db, _storage: storage }
}

impl TestApp {
    /// A request as the test's administrator.
    pub fn request(&self, method: Method, path: &str) -> awc::ClientRequest {
        let request = self.anonymous(method, path);
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// A request without credentials.
    pub fn anonymous(&self, method: Method, path: &str) -> awc::ClientRequest {
        self.client.request(method, format!("{}{path}", self.address))
    }

    /// A request as the holder of `token`.
    pub fn request_as(&self, token: &str, method: Method, path: &str) -> awc::ClientRequest {
        self.anonymous(method, path).bearer_auth(token)
    }

    /// Creates an account with [`TEST_PASSWORD`] directly in the database and returns an access token
    /// for it (sign-in itself is tested through the API in `auth`).
    pub async fn account(&self, role: Role, home_cell: Option<&str>) -> String {
        let username = format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        self.account_named(&username, role, home_cell).await.1
    }

    /// Like [`TestApp::account`] with a chosen username; returns the account id and a token.
    pub async fn account_named(&self, username: &str, role: Role, home_cell: Option<&str>) -> (String, String) {
        let mut conn = AnyConnection::open(&self.database_url).unwrap();
        let new = NewAccount {
            username: username.into(),
            display_name: username.into(),
            role,
            home_cell: home_cell.map(Into::into),
            scopes: Vec::new(),
            password: (role != Role::Integration).then(|| TEST_PASSWORD.into()),
        };
        let (row, _) = {
            let hashed = airgrid::auth::service::Hashed::for_account(&new).unwrap();
            airgrid::auth::service::create_account(&mut conn, &airgrid::auth::Caller::system(), new, hashed)
        }
        .expect("account created");
        (row.id.clone(), self.keys.issue(&row.id).unwrap())
    }

    /// A new access token for an existing account.
    pub async fn token_for(&self, username: &str) -> String {
        let mut conn = AnyConnection::open(&self.database_url).unwrap();
        let row = airgrid::auth::store::find_by_username(&mut conn, username).unwrap().expect("the account exists");
        self.keys.issue(&row.id).unwrap()
    }

    /// A job worker of its own on this instance's database and object store, as another instance runs.
    pub fn worker(&self) -> airgrid::jobs::Worker {
        airgrid::jobs::Worker::connect(&self.settings).expect("worker connects")
    }

    pub async fn get_as(&self, token: &str, path: &str) -> TestResponse {
        self.send(self.request_as(token, Method::GET, path)).await
    }

    pub async fn post_json_as(&self, token: &str, path: &str, body: &Value) -> TestResponse {
        read(self.request_as(token, Method::POST, path).send_json(body).await.expect("request sent")).await
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

    /// Every event of the feed (`query` narrows it: `&types=…`), as the holder of `token` or the admin,
    /// following cursors until the feed says it is caught up; and the cursor after the last event. On
    /// PostgreSQL a write in another database on the server (a test running beside this one) may hold
    /// committed events back for a while, so a page that is empty but not caught up is long-polled.
    pub async fn read_feed(&self, token: Option<&str>, query: &str) -> (Vec<Value>, String) {
        let mut events = Vec::new();
        let mut after = String::new();
        let mut wait = 0;
        for _ in 0..10_000 {
            let path = format!("/api/v1/events?limit=7{query}&after={after}&wait={wait}");
            let res = match token {
                Some(token) => self.get_as(token, &path).await,
                None => self.get(&path).await,
            };
            res.assert_status(200);
            let body = res.json();
            after = body["next_cursor"].as_str().expect("next_cursor is never null").to_owned();
            let page = body["items"].as_array().unwrap();
            wait = if page.is_empty() { 1 } else { 0 };
            events.extend(page.iter().cloned());
            if body["caught_up"] == true {
                return (events, after);
            }
        }
        panic!("the feed never caught up");
    }
}

async fn read<S>(mut res: awc::ClientResponse<S>) -> TestResponse
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let body = res.body().limit(256 * 1024 * 1024).await.expect("body read").to_vec();
    TestResponse { status: res.status(), headers: res.headers().clone(), body }
}
