//! Scope is checked inside the writing transaction, on the rows as they are then, for every kind of
//! resource: cells, responsible people and accounts.

use actix_web::http::Method;
use airgrid::domain::access::Role;
use serde_json::{Value, json};

use crate::grid_support::{new_cell, retire_cell, send_if_match, small_grid, square};
use crate::helpers::{TEST_PASSWORD, TestApp, spawn_app};

async fn patch_any(app: &TestApp, token: &str, path: &str, body: &Value) -> crate::helpers::TestResponse {
    let req = app
        .request_as(token, Method::PATCH, path)
        .insert_header(("If-Match", "*"))
        .insert_header(("Content-Type", "application/json"));
    app.send_body(req, serde_json::to_vec(body).unwrap()).await
}

/// While an administrator moves a street from one district to the other, a commander of the first
/// district renames it and assigns a person to it. Whatever the interleaving, the commander never
/// changes or attaches to a cell that is outside its district at the moment of writing.
#[actix_web::test]
async fn a_scoped_caller_cannot_act_on_a_cell_that_moves_out_of_its_subtree() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let commander = app.account(Role::Commander, Some("210102")).await;
    let admin = app.token.clone().unwrap();
    for round in 0..6 {
        let code = format!("21010200{}", round + 3);
        let x = 0.25 + 0.5 * round as f64;
        let created = app.post_json("/api/v1/grid/cells", &new_cell(&code, 3, Some("210102"), (x, 2.5, 0.4))).await;
        created.assert_status(201);
        let path = format!("/api/v1/grid/cells/{code}");
        let moved = json!({"parent_code": "210103", "boundary": square(4.25 + 0.5 * round as f64, 2.5, 0.4)});
        let person = json!({"name": format!("worker {round}"), "role": "grid_worker"});
        let rename = json!({"name": format!("renamed {round}")});
        let (moving, renaming, attaching) = futures_util::future::join3(
            patch_any(&app, &admin, &path, &moved),
            patch_any(&app, &commander, &path, &rename),
            app.post_json_as(&commander, &format!("{path}/people"), &person),
        )
        .await;
        moving.assert_status(200);
        match renaming.status.as_u16() {
            200 => assert_eq!(renaming.json()["parent_code"], "210102", "renamed only while in the district"),
            404 => {}
            other => panic!("rename answered {other}: {}", String::from_utf8_lossy(&renaming.body)),
        }
        match attaching.status.as_u16() {
            // Attached while the street was still in the district: the assignment precedes the move.
            201 => {
                let (items, _) = app.read_feed(None, "&types=grid.person.assigned,grid.cell.updated").await;
                let id = attaching.json()["id"].as_str().unwrap().to_owned();
                let seq = |found: Option<&Value>| found.expect("an event")["seq"].as_i64().unwrap();
                let assigned = seq(items.iter().find(|e| e["subject"] == id.as_str()));
                let moved = seq(items
                    .iter()
                    .find(|e| e["subject"] == code.as_str() && e["data"]["previous_parent_code"] == "210102"));
                assert!(assigned < moved, "assigned after the move: {assigned} > {moved}");
            }
            404 => {}
            other => panic!("assignment answered {other}: {}", String::from_utf8_lossy(&attaching.body)),
        }
    }
}

#[actix_web::test]
async fn a_scoped_administrator_manages_only_accounts_in_its_subtree() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let (_, district_admin) = app.account_named("district-admin", Role::Admin, Some("210102")).await;
    let (inside, _) = app.account_named("inside", Role::Viewer, Some("210102001")).await;
    let (outside, _) = app.account_named("outside", Role::Viewer, Some("210103")).await;
    let me = app.get_as(&app.token.clone().unwrap(), "/api/v1/auth/me").await.json()["id"].as_str().unwrap().to_owned();

    let listed = app.get_as(&district_admin, "/api/v1/accounts").await.json();
    let names: Vec<&str> =
        listed["items"].as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["district-admin", "inside"]);

    app.get_as(&district_admin, &format!("/api/v1/accounts/{inside}")).await.assert_status(200);
    for id in [&outside, &me] {
        app.get_as(&district_admin, &format!("/api/v1/accounts/{id}")).await.assert_problem(404, "not-found");
        let reset = json!({"password": "Taken-over-2026"});
        patch_any(&app, &district_admin, &format!("/api/v1/accounts/{id}"), &reset)
            .await
            .assert_problem(404, "not-found");
        let rotate = app.post_json_as(&district_admin, &format!("/api/v1/accounts/{id}/secret"), &json!({})).await;
        rotate.assert_problem(404, "not-found");
    }
    // It cannot create or grant a wider scope than its own, for others or itself.
    let unscoped = json!({"username": "root2", "display_name": "r", "role": "admin", "password": "Wider-scope-2026"});
    app.post_json_as(&district_admin, "/api/v1/accounts", &unscoped).await.assert_problem(403, "forbidden");
    // A cell out of its sight does not exist for it; an ancestor it sees is out of its reach.
    let account_at = |cell: &str| json!({"username": "other", "display_name": "o", "role": "viewer", "home_cell": cell, "password": "Wider-scope-2026"});
    let problem = app.post_json_as(&district_admin, "/api/v1/accounts", &account_at("210103")).await;
    assert_eq!(problem.assert_problem(422, "validation")["errors"][0]["field"], "home_cell");
    app.post_json_as(&district_admin, "/api/v1/accounts", &account_at("210100")).await.assert_problem(403, "forbidden");
    let (own, _) = app.account_named("district-admin-2", Role::Admin, Some("210102")).await;
    let widen = json!({"home_cell": null});
    patch_any(&app, &district_admin, &format!("/api/v1/accounts/{own}"), &widen).await.assert_problem(403, "forbidden");
    let up = json!({"home_cell": "210100"});
    patch_any(&app, &district_admin, &format!("/api/v1/accounts/{inside}"), &up).await.assert_problem(403, "forbidden");
    // Inside its subtree it administers as usual.
    let fine = json!({"username": "new-worker", "display_name": "w", "role": "grid_worker", "home_cell": "210102002",
                      "password": TEST_PASSWORD});
    app.post_json_as(&district_admin, "/api/v1/accounts", &fine).await.assert_status(201);
}

#[actix_web::test]
async fn people_link_only_to_visible_accounts_and_never_to_retired_cells() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let supervisor = app.account(Role::Supervisor, Some("210102")).await;
    let (inside, _) = app.account_named("inside", Role::GridWorker, Some("210102001")).await;
    let (outside, _) = app.account_named("outside", Role::GridWorker, Some("210103001")).await;
    let people = "/api/v1/grid/cells/210102001/people";
    let link = |id: &str| json!({"name": "王丽", "role": "grid_worker", "account_id": id});
    app.post_json_as(&supervisor, people, &link(&inside)).await.assert_status(201);
    for id in [outside.as_str(), "no-such-account"] {
        let problem = app.post_json_as(&supervisor, people, &link(id)).await.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "account_id", "the same answer for hidden and missing: {problem}");
    }

    retire_cell(&app, "210102002", Some("2020-06-01")).await.assert_status(200);
    let res =
        app.post_json("/api/v1/grid/cells/210102002/people", &json!({"name": "李强", "role": "grid_worker"})).await;
    res.assert_problem(409, "conflict");
    let res = send_if_match(&app, Method::GET, "/api/v1/grid/cells/210102002/people", None, None).await;
    assert_eq!(res.json(), json!([]));
}
