//! Shared helpers for the incident tests: a small grid with people and accounts, reports, transitions.
#![allow(dead_code)] // not every incident test module uses every helper

use actix_web::http::Method;
use airgrid::domain::access::Role;
use serde_json::{Value, json};

use crate::grid_support::small_grid;
use crate::helpers::{TestApp, TestResponse};

pub const INCIDENTS: &str = "/api/v1/incidents";

/// The small grid (see `grid_support::small_grid`) with accounts at work in it.
pub struct Desk {
    /// At home in the city (210100): the command centre.
    pub commander: String,
    /// A second commander, to verify what the first rectified.
    pub verifier: String,
    /// District office of 210102.
    pub supervisor: String,
    /// District office of the other district, 210103.
    pub other_supervisor: String,
    /// Grid worker of community 210102002001, and its account id.
    pub worker: String,
    pub worker_id: String,
    /// Grid worker of street 210103001 (another district).
    pub other_worker: String,
    pub viewer: String,
}

pub async fn desk(app: &TestApp) -> Desk {
    small_grid(app).await;
    let (worker_id, worker) = app.account_named("worker-2001", Role::GridWorker, Some("210102002001")).await;
    Desk {
        commander: app.account(Role::Commander, Some("210100")).await,
        verifier: app.account(Role::Commander, Some("210100")).await,
        supervisor: app.account(Role::Supervisor, Some("210102")).await,
        other_supervisor: app.account(Role::Supervisor, Some("210103")).await,
        worker,
        worker_id,
        other_worker: app.account(Role::GridWorker, Some("210103001")).await,
        viewer: app.account(Role::Viewer, Some("210100")).await,
    }
}

/// A report body at (lon, lat) in WGS-84: inside community 210102002001 at (2.5, 0.5).
pub fn report_at(category: &str, lon: f64, lat: f64) -> Value {
    json!({"category": category, "description": "河边焚烧垃圾", "lon": lon, "lat": lat, "address": "浑河北岸"})
}

pub async fn try_report(app: &TestApp, token: &str, body: &Value) -> TestResponse {
    app.post_json_as(token, INCIDENTS, body).await
}

/// Reports; it must succeed. Returns the answer.
pub async fn report(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = try_report(app, token, body).await;
    res.assert_status(201);
    res.json()
}

/// GETs an incident as `token`.
pub async fn incident(app: &TestApp, token: &str, id: &str) -> TestResponse {
    app.get_as(token, &format!("{INCIDENTS}/{id}")).await
}

/// POSTs a transition with `If-Match` of `version`.
pub async fn try_act(app: &TestApp, token: &str, id: &str, version: i64, body: &Value) -> TestResponse {
    let req = app
        .request_as(token, Method::POST, &format!("{INCIDENTS}/{id}/transitions"))
        .insert_header(("If-Match", format!("\"{version}\"")))
        .insert_header(("Content-Type", "application/json"));
    app.send_body(req, serde_json::to_vec(body).unwrap()).await
}

/// Takes an action on the incident at its current version; it must succeed. Returns the incident.
pub async fn act(app: &TestApp, token: &str, id: &str, body: Value) -> Value {
    let version = incident(app, token, id).await.json()["version"].as_i64().expect("a version");
    let res = try_act(app, token, id, version, &body).await;
    res.assert_status(200);
    res.json()
}

/// Uploads a photo as multipart form data.
pub async fn upload(app: &TestApp, token: &str, id: &str, stage: &str, file: &[u8], name: &str) -> TestResponse {
    let boundary = "airgrid-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"stage\"\r\n\r\n{stage}\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = app
        .request_as(token, Method::POST, &format!("{INCIDENTS}/{id}/photos"))
        .insert_header(("Content-Type", format!("multipart/form-data; boundary={boundary}")));
    app.send_body(req, body).await
}

/// A real JPEG with EXIF (taken 2026-12-01 09:30 Beijing time at 123.4 E, 41.79 N).
pub const PHOTO_EXIF: &[u8] = include_bytes!("fixtures/photo_exif.jpg");
/// A real PNG without EXIF.
pub const PHOTO_PLAIN: &[u8] = include_bytes!("fixtures/photo_plain.png");

/// Reports in 210102002001 and takes it to `rectifying` (assigned by the commander, started by the worker).
pub async fn rectifying(app: &TestApp, desk: &Desk, category: &str) -> String {
    let id = report(app, &desk.worker, &report_at(category, 2.5, 0.5)).await["id"].as_str().unwrap().to_owned();
    act(app, &desk.commander, &id, json!({"action": "assign"})).await;
    act(app, &desk.worker, &id, json!({"action": "start"})).await;
    id
}

/// A category that needs no photo to be rectified (for tests about anything else).
pub async fn photo_free_category(app: &TestApp, code: &str) {
    let body = json!({
        "code": code, "name_zh": "测试", "name_en": "Test", "requires_after_photo": false,
        "deadlines": {"low": {"amount": 3, "unit": "working_days"}, "medium": {"amount": 24, "unit": "hours"},
                      "high": {"amount": 2, "unit": "hours"}},
    });
    app.post_json("/api/v1/incident-categories", &body).await.assert_status(201);
}

/// Event types of the feed about `subject`, in order.
pub async fn event_types(app: &TestApp, subject: &str) -> Vec<String> {
    let (events, _) = app.read_feed(None, &format!("&subject={subject}")).await;
    events.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}
