//! The permission table, end to end: every role against representative endpoints, inside and outside
//! its part of the grid. Out-of-scope single resources answer 404, missing permissions 403.

use actix_web::http::Method;
use airgrid::domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn square(x: f64, y: f64, size: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]})
}

/// City C; districts D1 (west) and D2 (east); street S1 in D1; community V1 in S1.
async fn small_grid(app: &TestApp) {
    let feature = |code: &str, level: u8, parent: Option<&str>, geometry: Value| json!({"type": "Feature", "properties": {"code": code, "name": code, "level": level, "parent_code": parent}, "geometry": geometry});
    let collection = json!({"type": "FeatureCollection", "features": [
        feature("C", 1, None, square(0.0, 0.0, 10.0)),
        feature("D1", 2, Some("C"), json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [5.0, 0.0], [5.0, 10.0], [0.0, 10.0], [0.0, 0.0]]]})),
        feature("D2", 2, Some("C"), json!({"type": "Polygon", "coordinates": [[[5.0, 0.0], [10.0, 0.0], [10.0, 10.0], [5.0, 10.0], [5.0, 0.0]]]})),
        feature("S1", 3, Some("D1"), square(0.0, 0.0, 1.0)),
        feature("V1", 4, Some("S1"), square(0.0, 0.0, 0.5)),
    ]});
    app.post_json("/api/v1/grid/import", &collection).await.assert_status(200);
}

/// What one request should answer, for each caller.
struct Case {
    name: &'static str,
    method: Method,
    path: &'static str,
    /// A body template; `{n}` in a cell code is replaced by a per-request number so creates don't clash.
    body: Option<fn(usize) -> Value>,
}

fn new_street(n: usize) -> Value {
    let (col, row) = ((n % 3) as f64, (n / 3) as f64);
    json!({"code": format!("S-new-{n}"), "name": "new street", "level": 3, "parent_code": "D1",
           "boundary": square(1.2 + col * 1.2, 1.2 + row * 0.4, 0.3)})
}

fn new_street_in_d2(n: usize) -> Value {
    json!({"code": format!("S-east-{n}"), "name": "east street", "level": 3, "parent_code": "D2",
           "boundary": square(5.5 + (n % 8) as f64 * 0.5, 5.0, 0.3)})
}

fn person(_: usize) -> Value {
    json!({"name": "王丽", "role": "grid_worker"})
}

fn cases() -> Vec<Case> {
    vec![
        Case { name: "read D1", method: Method::GET, path: "/api/v1/grid/cells/D1", body: None },
        Case { name: "read D2", method: Method::GET, path: "/api/v1/grid/cells/D2", body: None },
        Case { name: "read V1", method: Method::GET, path: "/api/v1/grid/cells/V1", body: None },
        Case { name: "people of D2", method: Method::GET, path: "/api/v1/grid/cells/D2/people", body: None },
        Case { name: "create in D1", method: Method::POST, path: "/api/v1/grid/cells", body: Some(new_street) },
        Case { name: "create in D2", method: Method::POST, path: "/api/v1/grid/cells", body: Some(new_street_in_d2) },
        Case { name: "assign in D1", method: Method::POST, path: "/api/v1/grid/cells/D1/people", body: Some(person) },
        Case { name: "assign in V1", method: Method::POST, path: "/api/v1/grid/cells/V1/people", body: Some(person) },
        Case { name: "list accounts", method: Method::GET, path: "/api/v1/accounts", body: None },
    ]
}

/// (role, home cell, expected status per case in the order of `cases()`).
const TABLE: [(Role, Option<&str>, [u16; 9]); 9] = [
    //                                      D1   D2   V1  pplD2 cD1  cD2  aD1  aV1  accts
    (Role::Admin, None, /*           */ [200, 200, 200, 200, 201, 201, 201, 201, 200]),
    (Role::Commander, Some("C"), /*  */ [200, 200, 200, 200, 201, 201, 201, 201, 403]),
    (Role::Commander, Some("D1"), /* */ [200, 404, 200, 404, 201, 404, 201, 201, 403]),
    (Role::Supervisor, Some("D1"), /**/ [200, 404, 200, 404, 403, 403, 201, 201, 403]),
    (Role::GridWorker, Some("V1"), /**/ [200, 404, 200, 404, 403, 403, 403, 403, 403]),
    (Role::Inspector, Some("C"), /*  */ [403, 403, 403, 403, 403, 403, 403, 403, 403]),
    (Role::Viewer, Some("D1"), /*    */ [200, 404, 200, 404, 403, 403, 403, 403, 403]),
    (Role::Viewer, Some("S1"), /*    */ [200, 404, 200, 404, 403, 403, 403, 403, 403]),
    (Role::Viewer, Some("D2"), /*    */ [404, 200, 404, 200, 403, 403, 403, 403, 403]),
];

#[actix_web::test]
async fn every_role_gets_exactly_what_the_table_promises() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let cases = cases();
    let mut n = 0;
    let mut failures = Vec::new();
    for (role, home, expected) in TABLE {
        let token = app.account(role, home).await;
        for (case, want) in cases.iter().zip(expected) {
            n += 1;
            let req = app.request_as(&token, case.method.clone(), case.path);
            let res = match case.body {
                Some(body) => app.send_body(req.content_type("application/json"), body(n).to_string()).await,
                None => app.send(req).await,
            };
            if res.status.as_u16() != want {
                failures.push(format!(
                    "{role} at {home:?}, {}: expected {want}, got {} {}",
                    case.name,
                    res.status,
                    String::from_utf8_lossy(&res.body)
                ));
            } else if want >= 400 {
                let kind = match want {
                    403 => "forbidden",
                    404 => "not-found",
                    _ => unreachable!(),
                };
                res.assert_problem(want, kind);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[actix_web::test]
async fn an_integration_holds_exactly_its_scopes() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let body = json!({"username": "reader", "display_name": "r", "role": "integration", "home_cell": "C", "scopes": ["grid:read"]});
    let secret = app.post_json("/api/v1/accounts", &body).await.json()["client_secret"].as_str().unwrap().to_owned();
    let req = app.anonymous(Method::POST, "/api/v1/auth/token").content_type("application/json");
    let res = app.send_body(req, json!({"client_id": "reader", "client_secret": secret}).to_string()).await;
    let token = res.json()["access_token"].as_str().unwrap().to_owned();
    app.get_as(&token, "/api/v1/grid/cells/D2").await.assert_status(200);
    app.post_json_as(&token, "/api/v1/grid/cells", &new_street(0)).await.assert_problem(403, "forbidden");
    app.post_json_as(&token, "/api/v1/grid/cells/D1/people", &person(0)).await.assert_problem(403, "forbidden");
    app.get_as(&token, "/api/v1/accounts").await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn lists_and_locate_leave_out_what_is_out_of_scope() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let token = app.account(Role::Viewer, Some("D1")).await;

    let codes = |res: &crate::helpers::TestResponse| -> Vec<String> {
        res.json()["items"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(codes(&app.get_as(&token, "/api/v1/grid/cells?level=2").await), ["D1"]);
    assert_eq!(codes(&app.get_as(&token, "/api/v1/grid/cells").await), ["C", "D1", "S1", "V1"]);
    assert_eq!(codes(&app.get_as(&token, "/api/v1/grid/cells/C/children").await), ["D1"]);
    let features = app.get_as(&token, "/api/v1/grid/features").await.json();
    assert_eq!(features["numberReturned"], 4);

    let located = app.get_as(&token, "/api/v1/grid/locate?lon=7.5&lat=5").await.json();
    let chain: Vec<&str> = located["cells"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(chain, ["C"], "D2 is out of scope");
    let located = app.get_as(&token, "/api/v1/grid/locate?lon=0.2&lat=0.2").await.json();
    assert_eq!(located["cells"].as_array().unwrap().len(), 4);
}

#[actix_web::test]
async fn changes_outside_the_subtree_are_refused() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let token = app.account(Role::Commander, Some("D1")).await;
    let etag = app.get("/api/v1/grid/cells/C").await.header("etag").unwrap().to_owned();
    // C is visible (an ancestor) but not this commander's to change.
    let req = app.request_as(&token, Method::PATCH, "/api/v1/grid/cells/C").insert_header(("If-Match", etag));
    app.send_body(req.content_type("application/json"), r#"{"name": "renamed"}"#)
        .await
        .assert_problem(403, "forbidden");
    // D2 is out of sight altogether.
    let req = app.request_as(&token, Method::PATCH, "/api/v1/grid/cells/D2").insert_header(("If-Match", "\"1\""));
    app.send_body(req.content_type("application/json"), r#"{"name": "renamed"}"#)
        .await
        .assert_problem(404, "not-found");
    // An import touching D2 is refused whole.
    let collection = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "S-east", "name": "e", "level": 3, "parent_code": "D2"}, "geometry": square(6.0, 6.0, 1.0)}
    ]});
    app.post_json_as(&token, "/api/v1/grid/import", &collection).await.assert_problem(403, "forbidden");
    assert_eq!(app.get("/api/v1/grid/cells/S-east").await.status.as_u16(), 404, "nothing was written");
}

#[actix_web::test]
async fn permission_and_scope_come_before_preconditions() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let worker = app.account(Role::GridWorker, Some("V1")).await;
    // No grid:write: 403, whether or not If-Match is there.
    app.send(app.request_as(&worker, Method::DELETE, "/api/v1/grid/cells/V1")).await.assert_problem(403, "forbidden");
    let supervisor = app.account(Role::Supervisor, Some("D1")).await;
    // Out of scope: 404 before any word about If-Match.
    let req =
        app.request_as(&supervisor, Method::PATCH, "/api/v1/grid/cells/D2/people/x").content_type("application/json");
    app.send_body(req, "{}").await.assert_problem(404, "not-found");
}

#[actix_web::test]
async fn a_home_cell_in_use_cannot_be_deleted() {
    let app = spawn_app().await;
    small_grid(&app).await;
    app.account(Role::Viewer, Some("V1")).await;
    let req = app.request(Method::DELETE, "/api/v1/grid/cells/V1").insert_header(("If-Match", "*"));
    let problem = app.send(req).await.assert_problem(422, "grid-cell-in-use");
    assert!(problem["detail"].as_str().unwrap().contains("1 account"), "{problem}");
}

#[actix_web::test]
async fn a_linked_account_must_exist() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let body = json!({"name": "王丽", "role": "grid_worker", "account_id": "no-such-account"});
    let problem = app.post_json("/api/v1/grid/cells/V1/people", &body).await.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "account_id");
    let id = app.get("/api/v1/auth/me").await.json()["id"].as_str().unwrap().to_owned();
    let body = json!({"name": "王丽", "role": "grid_worker", "account_id": id});
    app.post_json("/api/v1/grid/cells/V1/people", &body).await.assert_status(201);
}

#[actix_web::test]
async fn an_import_cannot_pull_a_cell_into_the_callers_subtree() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let east =
        json!({"code": "S2", "name": "east", "level": 3, "parent_code": "D2", "boundary": square(6.0, 6.0, 1.0)});
    app.post_json("/api/v1/grid/cells", &east).await.assert_status(201);
    let token = app.account(Role::Commander, Some("D1")).await;
    let collection = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "S2", "name": "taken", "level": 3, "parent_code": "D1"}, "geometry": square(2.0, 6.0, 1.0)}
    ]});
    app.post_json_as(&token, "/api/v1/grid/import", &collection).await.assert_problem(403, "forbidden");
    let cell = app.get("/api/v1/grid/cells/S2").await.json();
    assert_eq!((cell["parent_code"].as_str(), cell["name"].as_str()), (Some("D2"), Some("east")));
}

#[actix_web::test]
async fn an_import_outside_the_subtree_is_refused_before_its_geometry_is_checked() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let token = app.account(Role::Commander, Some("D1")).await;
    // A bow tie: invalid geometry, which would answer 422 if it were checked first.
    let bow_tie =
        json!({"type": "Polygon", "coordinates": [[[6.0, 6.0], [7.0, 7.0], [7.0, 6.0], [6.0, 7.0], [6.0, 6.0]]]});
    for (code, parent) in [("S9", Some("D2")), ("T9", None)] {
        let collection = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": code, "name": "x", "level": 3, "parent_code": parent}, "geometry": bow_tie}
        ]});
        let problem =
            app.post_json_as(&token, "/api/v1/grid/import", &collection).await.assert_problem(403, "forbidden");
        assert!(problem["detail"].as_str().unwrap().contains(code), "{problem}");
    }
    // Inside the subtree the same geometry is a rule problem.
    let collection = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "S9", "name": "x", "level": 3, "parent_code": "D1"}, "geometry": bow_tie}
    ]});
    app.post_json_as(&token, "/api/v1/grid/import", &collection).await.assert_problem(422, "grid-import-rejected");
}
