//! Authenticated reads from caches that instances keep fresh: account state and the people of cells are
//! read once and then answered from memory, and a change on any instance applies everywhere within the
//! refresh interval (at once on the instance that made it).

use airgrid::domain::access::Role;
use serde_json::json;

use crate::grid_support::{etag_of, patch, small_grid, square};
use crate::helpers::{TestApp, spawn_app_with, spawn_instance_on};

/// An instance that checks for changes made elsewhere only once a minute.
async fn slow_instance() -> TestApp {
    spawn_app_with(|s| {
        s.account_cache_refresh_ms = 60_000;
        s.grid_refresh_interval_ms = 60_000;
    })
    .await
}

async fn deactivate(app: &TestApp, id: &str) {
    let path = format!("/api/v1/accounts/{id}");
    let etag = etag_of(app, &path).await;
    patch(app, &path, Some(&etag), &json!({"active": false})).await.assert_status(200);
}

#[actix_web::test]
async fn a_deactivation_applies_at_once_here_and_within_the_interval_elsewhere() {
    let app = slow_instance().await;
    small_grid(&app).await;
    let (id, token) = app.account_named("viewer-1", Role::Viewer, Some("210102")).await;
    // Read once: from now on the account comes from the cache.
    app.get_as(&token, "/api/v1/auth/me").await.assert_status(200);
    let checking = spawn_instance_on(&app, |s| s.account_cache_refresh_ms = 0).await;
    let unchecked = spawn_instance_on(&app, |s| s.account_cache_refresh_ms = 60_000).await;
    checking.get_as(&token, "/api/v1/auth/me").await.assert_status(200);
    unchecked.get_as(&token, "/api/v1/auth/me").await.assert_status(200);

    deactivate(&app, &id).await;
    app.get_as(&token, "/api/v1/auth/me").await.assert_problem(401, "unauthorized");
    checking.get_as(&token, "/api/v1/auth/me").await.assert_problem(401, "unauthorized");
    // An instance that has not checked yet still answers from its cache: that is the documented bound.
    unchecked.get_as(&token, "/api/v1/auth/me").await.assert_status(200);
}

#[actix_web::test]
async fn a_role_change_and_a_moved_home_cell_apply_at_once_on_the_instance_that_made_them() {
    let app = slow_instance().await;
    small_grid(&app).await;
    let (id, token) = app.account_named("commander-1", Role::Commander, Some("210102")).await;
    app.get_as(&token, "/api/v1/grid/cells?level=3").await.assert_status(200);
    let path = format!("/api/v1/accounts/{id}");
    let etag = etag_of(&app, &path).await;
    patch(&app, &path, Some(&etag), &json!({"role": "viewer"})).await.assert_status(200);
    let cell = json!({"code": "210102009", "name": "x", "level": 3, "parent_code": "210102",
        "boundary": {"type": "Polygon", "coordinates": [[[0.0, 2.0], [1.0, 2.0], [1.0, 3.0], [0.0, 3.0], [0.0, 2.0]]]}});
    app.post_json_as(&token, "/api/v1/grid/cells", &cell).await.assert_problem(403, "forbidden");

    // The home cell moves under another parent: the caller's scope follows it at once.
    let (_, worker) = app.account_named("worker-1", Role::GridWorker, Some("210102001")).await;
    let ancestors = "/api/v1/grid/cells/210102001/ancestors";
    assert_eq!(app.get_as(&worker, ancestors).await.json().as_array().unwrap().len(), 3);
    let moved = crate::grid_support::patch_cell(
        &app,
        "210102001",
        &json!({"parent_code": "210103", "boundary": square(6.0, 2.0, 1.0)}),
    )
    .await;
    moved.assert_status(200);
    let after = app.get_as(&worker, ancestors).await.json();
    let codes: Vec<&str> = after.as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["210100", "210103", "210102001"]);
}

#[actix_web::test]
async fn locate_answers_the_people_of_today_from_the_cache() {
    let app = slow_instance().await;
    small_grid(&app).await;
    let (_, worker) = app.account_named("worker-1", Role::GridWorker, Some("210102002001")).await;
    let locate = "/api/v1/grid/locate?lon=2.5&lat=0.5";
    assert_eq!(app.get_as(&worker, locate).await.json()["people"], json!([]));
    let checking = spawn_instance_on(&app, |s| s.grid_refresh_interval_ms = 0).await;
    assert_eq!(checking.get_as(&worker, locate).await.json()["people"], json!([]));

    let person = json!({"name": "王丽", "role": "grid_worker"});
    app.post_json("/api/v1/grid/cells/210102002001/people", &person).await.assert_status(201);
    // Here at once, elsewhere at the next check.
    assert_eq!(app.get_as(&worker, locate).await.json()["people"][0]["name"], "王丽");
    assert_eq!(checking.get_as(&worker, locate).await.json()["people"][0]["name"], "王丽");
}
