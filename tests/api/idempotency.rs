//! `Idempotency-Key` on state-changing POSTs: replays, conflicts, concurrency, other instances, expiry.

use actix_web::http::Method;
use airgrid::domain::access::Role;
use serde_json::{Value, json};

use crate::grid_support::{list_codes, new_cell, small_grid};
use crate::helpers::{TestApp, TestResponse, spawn_app, spawn_app_with, spawn_instance_on};

const CELLS: &str = "/api/v1/grid/cells";

async fn post_with_key(app: &TestApp, token: Option<&str>, path: &str, key: &str, body: &Value) -> TestResponse {
    let req = match token {
        Some(token) => app.request_as(token, Method::POST, path),
        None => app.request(Method::POST, path),
    };
    let req = req.insert_header(("Idempotency-Key", key)).insert_header(("Content-Type", "application/json"));
    app.send_body(req, serde_json::to_vec(body).unwrap()).await
}

fn street(code: &str) -> Value {
    new_cell(code, 3, Some("210103"), (6.0, 0.0, 1.0))
}

async fn streets_of_210103(app: &TestApp) -> Vec<String> {
    list_codes(app, &format!("{CELLS}?parent=210103")).await
}

#[actix_web::test]
async fn a_retry_gets_the_first_answer_and_acts_once() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let first = post_with_key(&app, None, CELLS, "key-1", &street("210103002")).await;
    first.assert_status(201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = post_with_key(&app, None, CELLS, "\"key-1\"", &street("210103002")).await;
    again.assert_status(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(streets_of_210103(&app).await, ["210103001", "210103002"]);

    // Without a key the same request acts again (and here breaks a rule).
    let res = app.post_json(CELLS, &street("210103002")).await;
    res.assert_problem(422, "grid-duplicate-code");
}

#[actix_web::test]
async fn a_key_reused_for_another_request_is_refused() {
    let app = spawn_app().await;
    small_grid(&app).await;
    post_with_key(&app, None, CELLS, "key-2", &street("210103002")).await.assert_status(201);
    let other = post_with_key(&app, None, CELLS, "key-2", &street("210103003")).await;
    other.assert_problem(422, "idempotency-key-reused");
    let elsewhere = post_with_key(&app, None, "/api/v1/grid/cells/210103/people", "key-2", &street("210103002")).await;
    elsewhere.assert_problem(422, "idempotency-key-reused");
    assert_eq!(streets_of_210103(&app).await, ["210103001", "210103002"]);
}

#[actix_web::test]
async fn keys_belong_to_the_account_not_the_token() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let (_, commander) = app.account_named("commander-1", Role::Commander, Some("210100")).await;
    let first = post_with_key(&app, Some(&commander), CELLS, "shared", &street("210103002")).await;
    first.assert_status(201);
    // The same key from another account is another request: it runs (and finds the code taken).
    let other = post_with_key(&app, None, CELLS, "shared", &street("210103002")).await;
    other.assert_problem(422, "grid-duplicate-code");
    // The same account with a fresh token replays.
    let fresh = app.token_for("commander-1").await;
    let replay = post_with_key(&app, Some(&fresh), CELLS, "shared", &street("210103002")).await;
    replay.assert_status(201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
}

#[actix_web::test]
async fn rule_failures_replay_but_refusals_of_the_caller_run_again() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let bad = new_cell("210103009", 3, Some("210103"), (60.0, 60.0, 1.0)); // outside its parent
    let first = post_with_key(&app, None, CELLS, "bad", &bad).await;
    first.assert_problem(422, "grid-outside-parent");
    let again = post_with_key(&app, None, CELLS, "bad", &bad).await;
    again.assert_problem(422, "grid-outside-parent");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    // A 403 depends on the caller's role at the time, not the request: it is not kept.
    let (_, worker) = app.account_named("worker-1", Role::GridWorker, Some("210103")).await;
    post_with_key(&app, Some(&worker), CELLS, "k", &street("210103002")).await.assert_problem(403, "forbidden");
    let again = post_with_key(&app, Some(&worker), CELLS, "k", &street("210103002")).await;
    again.assert_problem(403, "forbidden");
    assert_eq!(again.header("idempotent-replayed"), None);
}

#[actix_web::test]
async fn parallel_retries_of_one_key_create_one_row() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let body = street("210103002");
    let attempts = (0..8).map(|_| post_with_key(&app, None, CELLS, "burst", &body));
    let answers = futures_util::future::join_all(attempts).await;
    let mut executed = 0;
    for res in &answers {
        match res.status.as_u16() {
            201 if res.header("idempotent-replayed").is_none() => executed += 1,
            201 => {}
            409 => {
                res.assert_problem(409, "idempotency-key-in-use");
                assert!(res.header("retry-after").is_some());
            }
            other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&res.body)),
        }
    }
    assert_eq!(executed, 1, "exactly one attempt ran");
    assert_eq!(streets_of_210103(&app).await, ["210103001", "210103002"]);
}

#[actix_web::test]
async fn another_instance_replays_the_same_key() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let second = spawn_instance_on(&app, |_| {}).await;
    post_with_key(&app, None, CELLS, "across", &street("210103002")).await.assert_status(201);
    let replay = post_with_key(&second, None, CELLS, "across", &street("210103002")).await;
    replay.assert_status(201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
}

#[actix_web::test]
async fn expired_keys_are_forgotten() {
    let app = spawn_app_with(|s| s.idempotency_ttl_secs = 0).await;
    small_grid(&app).await;
    post_with_key(&app, None, CELLS, "short-lived", &street("210103002")).await.assert_status(201);
    // Kept for no time at all: the same key now stands for a new request.
    let other = new_cell("210103003", 3, Some("210103"), (7.0, 0.0, 1.0));
    let next = post_with_key(&app, None, CELLS, "short-lived", &other).await;
    next.assert_status(201);
    assert_eq!(next.header("idempotent-replayed"), None);
}

#[actix_web::test]
async fn malformed_keys_are_refused_and_sign_in_ignores_keys() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let long = "k".repeat(256);
    for key in ["", long.as_str(), "spaces are not allowed"] {
        let res = post_with_key(&app, None, CELLS, key, &street("210103002")).await;
        res.assert_problem(400, "invalid-parameter");
    }
    assert_eq!(streets_of_210103(&app).await, ["210103001"]);
    let (_, _) = app.account_named("signer", Role::Viewer, Some("210103")).await;
    let body = json!({"username": "signer", "password": crate::helpers::TEST_PASSWORD});
    for _ in 0..2 {
        let res = post_with_key(&app, None, "/api/v1/auth/token", "login", &body).await;
        res.assert_status(200);
        assert_eq!(res.header("idempotent-replayed"), None, "tokens are never replayed");
    }
}

#[actix_web::test]
async fn keyed_uploads_larger_than_memory_and_the_bulk_limit_are_spooled_whole() {
    // Smaller than the 2 MiB file below: a keyed upload must not be held to the JSON bulk limit.
    let app = spawn_app_with(|s| s.import_body_limit_bytes = 64 * 1024).await;
    let mut file = String::from("latitude,longitude,acq_date,acq_time,satellite,confidence\n");
    for i in 0..60_000 {
        file.push_str(&format!("30.{i:05},100.5,2020-10-02,0255,T,50\n")); // far outside any grid
    }
    assert!(file.len() > 2 * 1024 * 1024);
    let upload = |key: &str, body: String| {
        let req = app
            .request(Method::POST, "/api/v1/fire-points/import")
            .insert_header(("Idempotency-Key", key))
            .insert_header(("Content-Type", "text/csv"));
        app.send_body(req, body)
    };
    let first = upload("upload-1", file.clone()).await;
    first.assert_status(200);
    assert_eq!(first.json()["rows"], 60_000);
    let again = upload("upload-1", file.clone()).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    // The fingerprint covers the part that went to disk: the last row alone differs.
    let changed = format!("{}1\n", file.trim_end_matches("0\n"));
    upload("upload-1", changed).await.assert_problem(422, "idempotency-key-reused");
}
