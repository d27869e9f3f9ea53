//! Grid cells: create, read, list, walk, change, retire, delete, and every grid rule.

use actix_web::http::Method;
use airgrid::config::Settings;
use airgrid::domain::crs::{Crs, distance_m};
use serde_json::{Value, json};

use crate::grid_support::{
    codes, collection, create_cell, create_cell_from, delete_cell, error_fields, error_for, etag_of, feature, import,
    list_codes, new_cell, next_link, patch, patch_cell, polygon, rectangle, retire_cell, send_if_match, small_grid,
    square, try_create_cell,
};
use crate::helpers::{TestApp, spawn_app};

const CELLS: &str = "/api/v1/grid/cells";

fn cell_path(code: &str) -> String {
    format!("{CELLS}/{code}")
}

fn today() -> String {
    Settings::default().today().to_string()
}

/// Asserts a rule problem (422 with this type) whose detail names every one of `codes`.
#[track_caller]
fn assert_rule(res: &crate::helpers::TestResponse, slug: &str, codes: &[&str]) -> Value {
    let problem = res.assert_problem(422, slug);
    let detail = problem["detail"].as_str().unwrap();
    for code in codes {
        assert!(detail.contains(code), "the detail should name {code}: {problem}");
    }
    let errors = problem["errors"].as_array().expect("the broken rules are listed");
    assert!(!errors.is_empty(), "{problem}");
    assert!(errors.iter().any(|e| e["type"] == format!("/problems/{slug}")), "{problem}");
    problem
}

// ---------------------------------------------------------------------------------------------------
// Create and read
// ---------------------------------------------------------------------------------------------------

#[actix_web::test]
async fn create_answers_201_with_location_etag_and_the_cell_and_get_returns_the_same() {
    let app = spawn_app().await;
    let body = json!({
        "code": "210100", "name": "  沈阳市  ", "level": 1,
        "boundary": square(123.0, 41.5, 1.0),
        "properties": {"source": "survey 2024", "households": 12},
        "valid_from": "2020-01-01",
    });
    let res = try_create_cell(&app, &body).await;
    res.assert_status(201);
    assert_eq!(res.header("location"), Some("/api/v1/grid/cells/210100"));
    assert_eq!(res.header("etag"), Some("\"1\""));
    let cell = res.json();
    assert_eq!(cell["code"], "210100");
    assert_eq!(cell["name"], "沈阳市", "names are trimmed");
    assert_eq!(cell["level"], 1);
    assert_eq!(cell["parent_code"], Value::Null);
    assert_eq!(cell["boundary"], square(123.0, 41.5, 1.0));
    assert_eq!(cell["bbox"], json!([123.0, 41.5, 124.0, 42.5]));
    assert_eq!(cell["properties"], json!({"source": "survey 2024", "households": 12}));
    assert_eq!(cell["valid_from"], "2020-01-01");
    assert_eq!(cell["valid_to"], Value::Null);
    assert_eq!(cell["version"], 1);
    assert!(cell["created_at"].is_string() && cell["updated_at"].is_string(), "{cell}");

    let got = app.get(res.header("location").unwrap()).await;
    got.assert_status(200);
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.json(), cell);
}

#[actix_web::test]
async fn a_new_cell_is_valid_from_today_by_default() {
    let app = spawn_app().await;
    let cell = create_cell(&app, "C1", 1, None, (10.0, 10.0, 1.0)).await;
    assert_eq!(cell["valid_from"], today());
    assert_eq!(cell["properties"], json!({}));
    assert_eq!(list_codes(&app, CELLS).await, ["C1"], "valid today, so listed today");
}

#[actix_web::test]
async fn get_unknown_or_malformed_code_is_a_problem() {
    let app = spawn_app().await;
    let problem = app.get(&cell_path("210100")).await.assert_problem(404, "not-found");
    assert!(problem["detail"].as_str().unwrap().contains("210100"), "{problem}");
    app.get(&cell_path("a%20b")).await.assert_problem(400, "invalid-parameter");
}

#[actix_web::test]
async fn create_reports_every_bad_field_at_once() {
    let app = spawn_app().await;
    let body =
        json!({"code": "a/b", "name": "   ", "level": 5, "parent_code": "x y", "boundary": square(0.0, 0.0, 1.0)});
    let problem = try_create_cell(&app, &body).await.assert_problem(422, "validation");
    let mut fields = error_fields(&problem);
    fields.sort();
    assert_eq!(fields, ["code", "level", "name", "parent_code"], "{problem}");
    assert!(list_codes(&app, CELLS).await.is_empty());

    let missing = json!({"code": "C1", "level": 1, "boundary": square(0.0, 0.0, 1.0)});
    let problem = try_create_cell(&app, &missing).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["name"], "{problem}");

    let point =
        json!({"code": "C1", "name": "x", "level": 1, "boundary": {"type": "Point", "coordinates": [1.0, 2.0]}});
    try_create_cell(&app, &point).await.assert_problem(422, "validation");
}

// ---------------------------------------------------------------------------------------------------
// Lists, filters, pagination
// ---------------------------------------------------------------------------------------------------

#[actix_web::test]
async fn list_filters_by_level_parent_subtree_prefix_name_bbox_and_day() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let all = ["210100", "210102", "210102001", "210102002", "210102002001", "210103", "210103001"];
    assert_eq!(list_codes(&app, CELLS).await, all, "ordered by code");

    let res = app.get(CELLS).await;
    let first = &res.json()["items"][0];
    assert_eq!(first["bbox"], json!([0.0, 0.0, 8.0, 4.0]));
    assert_eq!(first["name"], "Shenyang");
    assert!(first.get("boundary").is_none(), "lists leave boundaries out: {first}");
    assert_eq!(res.json()["next_cursor"], Value::Null);
    assert_eq!(res.header("link"), None);

    let cases: &[(&str, &[&str])] = &[
        ("level=2", &["210102", "210103"]),
        ("level=4", &["210102002001"]),
        ("parent=210102", &["210102001", "210102002"]),
        ("parent=210102002001", &[]),
        ("within=210102", &["210102", "210102001", "210102002", "210102002001"]),
        ("within=210103001", &["210103001"]),
        ("code_prefix=210102", &["210102", "210102001", "210102002", "210102002001"]),
        ("code_prefix=2101020", &["210102001", "210102002", "210102002001"]),
        ("code_prefix=9", &[]),
        ("name=HEPING", &["210102", "210102001", "210102002"]),
        ("name=second", &["210102002", "210102002001"]),
        ("name=%25", &[]),
        ("name=_", &[]),
        ("bbox=4.5,0.5,5,1", &["210100", "210103", "210103001"]),
        ("bbox=20,20,21,21", &[]),
        ("level=3&within=210102", &["210102001", "210102002"]),
        ("level=3&name=first", &["210102001", "210103001"]),
        ("as_of=2019-12-31", &[]),
        ("as_of=2020-01-01", &all),
    ];
    for (query, expected) in cases {
        assert_eq!(list_codes(&app, &format!("{CELLS}?{query}")).await, *expected, "?{query}");
    }
}

#[actix_web::test]
async fn list_filters_that_are_not_valid_are_named() {
    let app = spawn_app().await;
    small_grid(&app).await;
    for (query, field) in [
        ("level=5", "level"),
        ("level=0", "level"),
        ("within=999999", "within"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=3,0,1,1", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
    ] {
        let problem = app.get(&format!("{CELLS}?{query}")).await.assert_problem(422, "validation");
        assert_eq!(error_fields(&problem), [field], "?{query}: {problem}");
    }
    app.get(&format!("{CELLS}?as_of=yesterday")).await.assert_problem(400, "invalid-parameter");
    app.get(&format!("{CELLS}?level=two")).await.assert_problem(400, "invalid-parameter");
}

/// Follows `Link: rel="next"` from `first`, returning the codes of every page and the page sizes.
async fn walk_pages(app: &TestApp, first: &str) -> (Vec<String>, Vec<usize>) {
    let (mut all, mut sizes) = (Vec::new(), Vec::new());
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        let res = app.get(&path).await;
        res.assert_status(200);
        let body = res.json();
        let page = codes(&body);
        next = next_link(&res);
        match &next {
            Some(link) => {
                let cursor = body["next_cursor"].as_str().expect("a cursor when a next page exists");
                assert!(link.contains(&format!("cursor={cursor}")), "{link}");
                assert!(!page.iter().any(|code| code == cursor), "cursors are opaque, not codes: {cursor}");
            }
            None => assert_eq!(body["next_cursor"], Value::Null, "no cursor on the last page"),
        }
        sizes.push(page.len());
        all.extend(page);
        assert!(sizes.len() < 20, "pagination does not end");
    }
    (all, sizes)
}

#[actix_web::test]
async fn list_pages_with_a_cursor_and_a_link_header_keeping_the_filters() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let everything = list_codes(&app, CELLS).await;

    let first = app.get(&format!("{CELLS}?limit=3")).await;
    first.assert_status(200);
    assert_eq!(codes(&first.json()), ["210100", "210102", "210102001"]);
    let cursor = first.json()["next_cursor"].as_str().unwrap().to_owned();
    assert_ne!(cursor, "210102001", "cursors are opaque");
    assert_eq!(
        first.header("link"),
        Some(format!("</api/v1/grid/cells?limit=3&cursor={cursor}>; rel=\"next\"").as_str())
    );
    app.get(&format!("{CELLS}?cursor=not-a-cursor!")).await.assert_problem(400, "invalid-parameter");

    let (all, sizes) = walk_pages(&app, &format!("{CELLS}?limit=3")).await;
    assert_eq!(all, everything, "every cell once, in order");
    assert_eq!(sizes, [3, 3, 1]);

    let (level3, sizes) = walk_pages(&app, &format!("{CELLS}?level=3&limit=2")).await;
    assert_eq!(level3, ["210102001", "210102002", "210103001"], "the next link keeps the level filter");
    assert_eq!(sizes, [2, 1]);

    let (exact, sizes) = walk_pages(&app, &format!("{CELLS}?level=2&limit=2")).await;
    assert_eq!(exact, ["210102", "210103"]);
    assert_eq!(sizes, [2], "a full last page has no next link");
}

#[actix_web::test]
async fn children_ancestors_and_subtree_walk_the_hierarchy() {
    let app = spawn_app().await;
    small_grid(&app).await;
    assert_eq!(list_codes(&app, &format!("{CELLS}/210102/children")).await, ["210102001", "210102002"]);
    assert_eq!(list_codes(&app, &format!("{CELLS}/210100/children")).await, ["210102", "210103"]);
    assert!(list_codes(&app, &format!("{CELLS}/210102002001/children")).await.is_empty());

    let (children, sizes) = walk_pages(&app, &format!("{CELLS}/210102/children?limit=1")).await;
    assert_eq!(children, ["210102001", "210102002"]);
    assert_eq!(sizes, [1, 1]);

    let res = app.get(&format!("{CELLS}/210102002001/ancestors")).await;
    res.assert_status(200);
    let ancestors = res.json();
    assert_eq!(
        codes(&ancestors),
        ["210100", "210102", "210102002", "210102002001"],
        "root first, ending with the cell"
    );
    let levels: Vec<i64> = ancestors.as_array().unwrap().iter().map(|c| c["level"].as_i64().unwrap()).collect();
    assert_eq!(levels, [1, 2, 3, 4]);
    assert_eq!(list_codes(&app, &format!("{CELLS}/210100/ancestors")).await, ["210100"]);

    assert_eq!(
        list_codes(&app, &format!("{CELLS}/210102/subtree")).await,
        ["210102", "210102001", "210102002", "210102002001"]
    );
    assert_eq!(list_codes(&app, &format!("{CELLS}/210103/subtree")).await, ["210103", "210103001"]);
    let (subtree, _) = walk_pages(&app, &format!("{CELLS}/210100/subtree?limit=2")).await;
    assert_eq!(subtree.len(), 7);

    for walk in ["children", "ancestors", "subtree"] {
        app.get(&format!("{CELLS}/999999/{walk}")).await.assert_problem(404, "not-found");
    }
}

// ---------------------------------------------------------------------------------------------------
// Changes with If-Match
// ---------------------------------------------------------------------------------------------------

#[actix_web::test]
async fn patch_needs_the_current_etag_and_answers_the_new_one() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let path = cell_path("210102001");
    assert_eq!(etag_of(&app, &path).await, "\"1\"");

    let res = patch(&app, &path, Some("\"1\""), &json!({"name": "Renamed", "properties": {"k": "v"}})).await;
    res.assert_status(200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    let cell = res.json();
    assert_eq!(
        (&cell["name"], &cell["version"], &cell["properties"]),
        (&json!("Renamed"), &json!(2), &json!({"k": "v"}))
    );
    assert_eq!(cell["boundary"], square(0.0, 0.0, 2.0), "absent fields keep their value");
    assert_eq!(cell["parent_code"], "210102");
    let got = app.get(&path).await;
    assert_eq!(got.header("etag"), Some("\"2\""));
    assert_eq!(got.json(), cell);

    let stale = patch(&app, &path, Some("\"1\""), &json!({"name": "Lost update"})).await;
    stale.assert_problem(412, "precondition-failed");
    let missing = patch(&app, &path, None, &json!({"name": "No precondition"})).await;
    missing.assert_problem(428, "precondition-required");
    patch(&app, &path, Some("not-a-version"), &json!({"name": "Garbage"}))
        .await
        .assert_problem(412, "precondition-failed");
    assert_eq!(app.get(&path).await.json()["name"], "Renamed", "refused changes write nothing");

    // If-Match compares strongly: a weak tag never matches.
    patch(&app, &path, Some("W/\"2\""), &json!({"name": "Weak"})).await.assert_problem(412, "precondition-failed");
    let listed = patch(&app, &path, Some("\"9\", \"2\""), &json!({"name": "Listed"})).await;
    listed.assert_status(200);
    assert_eq!(listed.header("etag"), Some("\"3\""));
    let any = patch(&app, &path, Some("*"), &json!({"name": "Any"})).await;
    any.assert_status(200);
    assert_eq!(any.header("etag"), Some("\"4\""));

    let problem = patch(&app, &path, Some("\"4\""), &json!({"name": ""})).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["name"]);
    patch(&app, &path, Some("\"4\""), &json!({"level": 2})).await.assert_problem(422, "validation");
    patch(&app, &cell_path("999999"), Some("\"1\""), &json!({"name": "x"})).await.assert_problem(404, "not-found");
    assert_eq!(etag_of(&app, &path).await, "\"4\"");
}

#[actix_web::test]
async fn patch_boundary_is_checked_against_parent_children_and_siblings() {
    let app = spawn_app().await;
    small_grid(&app).await;

    // Shrinking a district leaves one of its streets outside it.
    let res = patch_cell(&app, "210102", &json!({"boundary": rectangle(0.0, 0.0, 2.5, 4.0)})).await;
    let problem = assert_rule(&res, "grid-outside-parent", &["210102002", "210102"]);
    assert_eq!(error_for(&problem, "cells.210102002")["type"], "/problems/grid-outside-parent");

    // Growing it into the neighbouring district overlaps that sibling.
    let res = patch_cell(&app, "210102", &json!({"boundary": rectangle(0.0, 0.0, 5.0, 4.0)})).await;
    assert_rule(&res, "grid-sibling-overlap", &["210102", "210103"]);

    // Moving a street outside its district.
    let res = patch_cell(&app, "210102001", &json!({"boundary": square(10.0, 10.0, 1.0)})).await;
    assert_rule(&res, "grid-outside-parent", &["210102001", "210102"]);

    // A bowtie is not a boundary.
    let bowtie = polygon(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]);
    assert_rule(
        &patch_cell(&app, "210102001", &json!({"boundary": bowtie})).await,
        "grid-invalid-geometry",
        &["210102001"],
    );

    assert_eq!(etag_of(&app, &cell_path("210102")).await, "\"1\"", "refused changes write nothing");
    assert_eq!(app.get(&cell_path("210102001")).await.json()["boundary"], square(0.0, 0.0, 2.0));

    // A boundary that still holds its community and stays clear of its sibling is accepted.
    let res = patch_cell(&app, "210102002", &json!({"boundary": rectangle(2.0, 0.0, 3.9, 1.9)})).await;
    res.assert_status(200);
    assert_eq!(res.json()["bbox"], json!([2.0, 0.0, 3.9, 1.9]));
    assert_eq!(list_codes(&app, &format!("{CELLS}?bbox=3.95,0.5,3.96,0.6&level=3")).await, Vec::<String>::new());
}

#[actix_web::test]
async fn patch_parent_moves_the_cell_and_its_whole_subtree() {
    let app = spawn_app().await;
    small_grid(&app).await;

    // A street moves to the other district, with a boundary inside it.
    let res = patch_cell(&app, "210102001", &json!({"parent_code": "210103", "boundary": square(6.0, 0.0, 2.0)})).await;
    res.assert_status(200);
    assert_eq!(res.json()["parent_code"], "210103");
    assert_eq!(list_codes(&app, &format!("{CELLS}/210102001/ancestors")).await, ["210100", "210103", "210102001"]);
    assert_eq!(list_codes(&app, &format!("{CELLS}/210102/children")).await, ["210102002"]);
    assert_eq!(list_codes(&app, &format!("{CELLS}/210103/children")).await, ["210102001", "210103001"]);
    // Within a subtree, tree order: each cell before its children, siblings by code.
    assert_eq!(list_codes(&app, &format!("{CELLS}?within=210103")).await, ["210103", "210102001", "210103001"]);

    // A district with streets and a community moves to another city: the whole subtree follows. Cities
    // do not overlap, so the subtree's boundaries change with it, in one import.
    let mut city = feature("210200", 1, None, rectangle(8.0, 0.0, 16.0, 4.0));
    city["properties"]["valid_from"] = json!("2020-01-01");
    let moved = collection(vec![
        city,
        feature("210102", 2, Some("210200"), square(8.0, 0.0, 4.0)),
        feature("210102002", 3, Some("210102"), square(10.0, 0.0, 2.0)),
        feature("210102002001", 4, Some("210102002"), square(10.0, 0.0, 1.0)),
    ]);
    import(&app, "", serde_json::to_vec(&moved).unwrap()).await.assert_status(200);
    assert_eq!(
        list_codes(&app, &format!("{CELLS}/210102002001/ancestors")).await,
        ["210200", "210102", "210102002", "210102002001"]
    );
    assert_eq!(
        list_codes(&app, &format!("{CELLS}/210200/subtree")).await,
        ["210200", "210102", "210102002", "210102002001"]
    );
    assert_eq!(
        list_codes(&app, &format!("{CELLS}?within=210100")).await,
        ["210100", "210103", "210102001", "210103001"]
    );
    assert_eq!(list_codes(&app, &format!("{CELLS}?within=210102")).await, ["210102", "210102002", "210102002001"]);
}

// ---------------------------------------------------------------------------------------------------
// Retire and delete
// ---------------------------------------------------------------------------------------------------

#[actix_web::test]
async fn retire_ends_the_subtree_and_keeps_it_as_history() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let subtree = ["210102", "210102001", "210102002", "210102002001"];

    let path = cell_path("210102");
    send_if_match(&app, Method::POST, &format!("{path}/retire"), None, Some(&json!({"on": "2024-06-01"})))
        .await
        .assert_problem(428, "precondition-required");
    send_if_match(&app, Method::POST, &format!("{path}/retire"), Some("\"7\""), Some(&json!({"on": "2024-06-01"})))
        .await
        .assert_problem(412, "precondition-failed");
    let problem = retire_cell(&app, "210102", Some("2019-12-31")).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["on"], "cannot retire before the cell began: {problem}");

    let res = retire_cell(&app, "210102", Some("2024-06-01")).await;
    res.assert_status(200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    assert_eq!(res.json()["valid_to"], "2024-06-01");
    for code in subtree {
        let cell = app.get(&cell_path(code)).await;
        cell.assert_status(200);
        assert_eq!(cell.json()["valid_to"], "2024-06-01", "{code} is retired with its ancestor and still readable");
    }
    assert_eq!(app.get(&cell_path("210103")).await.json()["valid_to"], Value::Null, "the sibling is untouched");

    assert_eq!(list_codes(&app, &format!("{CELLS}?within=210102&as_of=2024-05-31")).await, subtree);
    assert!(list_codes(&app, &format!("{CELLS}?within=210102&as_of=2024-06-01")).await.is_empty());
    assert!(list_codes(&app, &format!("{CELLS}?within=210102")).await.is_empty());
    assert_eq!(list_codes(&app, CELLS).await, ["210100", "210103", "210103001"]);
    assert_eq!(list_codes(&app, &format!("{CELLS}/210100/children")).await, ["210103"]);
    assert_eq!(list_codes(&app, &format!("{CELLS}/210100/children?as_of=2024-05-31")).await, ["210102", "210103"]);
    assert_eq!(list_codes(&app, &format!("{CELLS}/210102/subtree?as_of=2024-05-31")).await, subtree);
    assert!(list_codes(&app, &format!("{CELLS}/210102/subtree?as_of=2030-01-01")).await.is_empty());

    retire_cell(&app, "210102", Some("2025-01-01")).await.assert_problem(409, "conflict");
    patch_cell(&app, "210102", &json!({"name": "Too late"})).await.assert_problem(409, "conflict");

    // Codes are permanent; the area is free for a new district; the retired one takes no children.
    assert_rule(
        &try_create_cell(&app, &new_cell("210102", 2, Some("210100"), (0.0, 0.0, 4.0))).await,
        "grid-duplicate-code",
        &["210102"],
    );
    assert_rule(
        &try_create_cell(&app, &new_cell("210102003", 3, Some("210102"), (0.0, 2.0, 2.0))).await,
        "grid-unknown-parent",
        &["210102003", "210102"],
    );
    create_cell(&app, "210199", 2, Some("210100"), (0.0, 0.0, 4.0)).await;
}

#[actix_web::test]
async fn retire_without_a_day_ends_the_cell_today() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let res = retire_cell(&app, "210103001", None).await;
    res.assert_status(200);
    assert_eq!(res.json()["valid_to"], today());
    assert_eq!(list_codes(&app, &format!("{CELLS}?level=3")).await, ["210102001", "210102002"]);
}

#[actix_web::test]
async fn delete_removes_an_unused_cell_and_refuses_one_in_use() {
    let app = spawn_app().await;
    small_grid(&app).await;

    let path = cell_path("210102002001");
    send_if_match(&app, Method::DELETE, &path, None, None).await.assert_problem(428, "precondition-required");
    send_if_match(&app, Method::DELETE, &path, Some("\"5\""), None).await.assert_problem(412, "precondition-failed");
    let res = delete_cell(&app, "210102002001").await;
    res.assert_status(204);
    assert!(res.body.is_empty());
    app.get(&path).await.assert_problem(404, "not-found");
    assert!(list_codes(&app, &format!("{CELLS}/210102002/children")).await.is_empty());
    send_if_match(&app, Method::DELETE, &path, Some("\"1\""), None).await.assert_problem(404, "not-found");
    // A deleted code was never history: it can be created again.
    let mut again = new_cell("210102002001", 4, Some("210102002"), (2.0, 0.0, 1.0));
    again["valid_from"] = json!("2020-01-01");
    create_cell_from(&app, &again).await;

    // With children.
    let problem = assert_rule(&delete_cell(&app, "210102").await, "grid-cell-in-use", &["210102"]);
    assert_eq!(error_for(&problem, "cells.210102")["type"], "/problems/grid-cell-in-use");

    // With a responsible person (even one whose responsibility has ended).
    let person = json!({"name": "王丽", "role": "grid_worker", "valid_from": "2020-01-01", "valid_to": "2021-01-01"});
    app.post_json(&format!("{CELLS}/210103001/people"), &person).await.assert_status(201);
    assert_rule(&delete_cell(&app, "210103001").await, "grid-cell-in-use", &["210103001"]);

    // With only retired children: still history, still in use.
    retire_cell(&app, "210102001", Some("2024-01-01")).await.assert_status(200);
    retire_cell(&app, "210102002", Some("2024-01-01")).await.assert_status(200);
    assert_rule(&delete_cell(&app, "210102").await, "grid-cell-in-use", &["210102"]);

    for code in ["210102", "210103001", "210102001", "210102002001"] {
        app.get(&cell_path(code)).await.assert_status(200);
    }
}

// ---------------------------------------------------------------------------------------------------
// Grid rules
// ---------------------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_cell_must_sit_exactly_one_level_below_its_parent() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let cases = [
        new_cell("210104001", 3, Some("210100"), (1.0, 3.0, 0.5)),
        new_cell("210104", 2, None, (20.0, 20.0, 1.0)),
        new_cell("210200", 1, Some("210100"), (1.0, 3.0, 0.5)),
        new_cell("210102001001", 4, Some("210102"), (0.5, 3.0, 0.5)),
        new_cell("210102009", 3, Some("210102002001"), (2.1, 0.1, 0.5)),
    ];
    for body in cases {
        let code = body["code"].as_str().unwrap().to_owned();
        let problem = assert_rule(&try_create_cell(&app, &body).await, "grid-wrong-level", &[&code]);
        assert_eq!(error_for(&problem, &format!("cells.{code}"))["type"], "/problems/grid-wrong-level");
        app.get(&cell_path(&code)).await.assert_problem(404, "not-found");
    }
    // Through a change of parent: a street cannot move directly under the city.
    assert_rule(
        &patch_cell(&app, "210102001", &json!({"parent_code": "210100"})).await,
        "grid-wrong-level",
        &["210102001"],
    );
    assert_eq!(app.get(&cell_path("210102001")).await.json()["parent_code"], "210102");
}

#[actix_web::test]
async fn a_parent_must_exist() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let res = try_create_cell(&app, &new_cell("210104", 2, Some("999999"), (1.0, 3.0, 0.5))).await;
    assert_rule(&res, "grid-unknown-parent", &["210104", "999999"]);
    let res = patch_cell(&app, "210102001", &json!({"parent_code": "999999"})).await;
    assert_rule(&res, "grid-unknown-parent", &["210102001", "999999"]);
}

#[actix_web::test]
async fn a_cycle_in_the_hierarchy_is_refused() {
    let app = spawn_app().await;
    small_grid(&app).await;
    // The cell's own parent.
    assert_rule(&patch_cell(&app, "210102", &json!({"parent_code": "210102"})).await, "grid-cycle", &["210102"]);
    // One of its own descendants.
    assert_rule(&patch_cell(&app, "210102", &json!({"parent_code": "210102002"})).await, "grid-cycle", &["210102"]);
    assert_rule(&patch_cell(&app, "210102", &json!({"parent_code": "210102002001"})).await, "grid-cycle", &["210102"]);
    assert_eq!(etag_of(&app, &cell_path("210102")).await, "\"1\"");

    // Two features of an import naming each other as parent.
    let body = collection(vec![
        feature("A1", 2, Some("B1"), square(30.0, 30.0, 1.0)),
        feature("B1", 2, Some("A1"), square(30.0, 30.0, 1.0)),
    ]);
    let problem = import(&app, "", body.to_string()).await.assert_problem(422, "grid-import-rejected");
    for field in ["features[0]", "features[1]"] {
        assert_eq!(error_for(&problem, field)["type"], "/problems/grid-cycle", "{problem}");
    }
    assert!(list_codes(&app, &format!("{CELLS}?code_prefix=A")).await.is_empty());
}

#[actix_web::test]
async fn a_code_is_used_once() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let res = try_create_cell(&app, &new_cell("210103", 2, Some("210100"), (20.0, 20.0, 1.0))).await;
    let problem = assert_rule(&res, "grid-duplicate-code", &["210103"]);
    assert_eq!(error_fields(&problem), ["cells.210103"]);
    let res = try_create_cell(&app, &new_cell("210100", 1, None, (20.0, 20.0, 1.0))).await;
    assert_rule(&res, "grid-duplicate-code", &["210100"]);
    assert_eq!(app.get(&cell_path("210103")).await.json()["boundary"], square(4.0, 0.0, 4.0));
}

#[actix_web::test]
async fn a_boundary_must_be_a_valid_polygon() {
    let app = spawn_app().await;
    let cases = [
        ("unclosed", polygon(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]), "not closed"),
        ("bowtie", polygon(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]), "not valid"),
        ("short", polygon(&[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)]), "at least 4"),
        ("far-east", polygon(&[(179.0, 0.0), (181.0, 0.0), (181.0, 1.0), (179.0, 0.0)]), "out of range"),
        ("far-north", polygon(&[(0.0, 89.0), (1.0, 89.0), (1.0, 91.0), (0.0, 89.0)]), "out of range"),
        ("flat", polygon(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (0.0, 0.0)]), ""),
        (
            "bad-position",
            json!({"type": "Polygon", "coordinates": [[[0.0], [1.0, 0.0], [1.0, 1.0], [0.0]]]}),
            "position",
        ),
        ("no-rings", json!({"type": "Polygon", "coordinates": []}), "no polygon"),
        (
            "multi-one-bad",
            json!({"type": "MultiPolygon", "coordinates": [
                square(0.0, 0.0, 1.0)["coordinates"].clone(),
                [[[5.0, 5.0], [6.0, 5.0], [6.0, 6.0], [5.0, 6.0]]],
            ]}),
            "polygon 1",
        ),
    ];
    for (code, boundary, reason) in cases {
        let body = json!({"code": code, "name": code, "level": 1, "boundary": boundary});
        let problem = assert_rule(&try_create_cell(&app, &body).await, "grid-invalid-geometry", &[code]);
        assert!(problem["detail"].as_str().unwrap().contains(reason), "{code}: {problem}");
    }
    assert!(list_codes(&app, CELLS).await.is_empty(), "nothing was written");

    // A valid MultiPolygon is fine.
    let multi = json!({"type": "MultiPolygon", "coordinates": [
        square(0.0, 0.0, 1.0)["coordinates"].clone(),
        square(5.0, 5.0, 1.0)["coordinates"].clone(),
    ]});
    let cell = create_cell_from(&app, &json!({"code": "M1", "name": "Islands", "level": 1, "boundary": multi})).await;
    assert_eq!(cell["bbox"], json!([0.0, 0.0, 6.0, 6.0]));
}

#[actix_web::test]
async fn a_child_must_lie_inside_its_parent_within_the_tolerance() {
    let app = spawn_app().await;
    small_grid(&app).await;
    // 75% outside the district.
    let res = try_create_cell(&app, &new_cell("210103002", 3, Some("210103"), (7.0, 3.0, 2.0))).await;
    let problem = assert_rule(&res, "grid-outside-parent", &["210103002", "210103"]);
    assert!(problem["detail"].as_str().unwrap().contains("75.00%"), "{problem}");
    // Entirely elsewhere.
    let res = try_create_cell(&app, &new_cell("210103002", 3, Some("210103"), (50.0, 50.0, 1.0))).await;
    assert_rule(&res, "grid-outside-parent", &["210103002"]);
    // 20% outside: over the 5% tolerance.
    let res = try_create_cell(&app, &json!({
        "code": "210103003", "name": "x", "level": 3, "parent_code": "210103", "boundary": rectangle(6.0, 2.0, 8.5, 4.0),
    }))
    .await;
    assert_rule(&res, "grid-outside-parent", &["210103003", "210103"]);
    // About 3.8% outside: a digitising sliver under the tolerance passes.
    create_cell_from(
        &app,
        &json!({"code": "210103002", "name": "x", "level": 3, "parent_code": "210103", "boundary": rectangle(6.0, 0.0, 8.08, 2.0)}),
    )
    .await;
    app.get(&cell_path("210103003")).await.assert_problem(404, "not-found");
}

#[actix_web::test]
async fn siblings_must_not_overlap_and_the_problem_names_both() {
    let app = spawn_app().await;
    small_grid(&app).await;
    // Touching is not overlapping.
    create_cell_from(
        &app,
        &json!({"code": "210102003", "name": "x", "level": 3, "parent_code": "210102", "boundary": square(0.0, 2.0, 2.0)}),
    )
    .await;
    // A quarter of the smaller one overlaps.
    let res = try_create_cell(&app, &json!({
        "code": "210102004", "name": "x", "level": 3, "parent_code": "210102", "boundary": rectangle(1.5, 2.0, 3.5, 4.0),
    }))
    .await;
    let problem = assert_rule(&res, "grid-sibling-overlap", &["210102003", "210102004"]);
    assert!(problem["detail"].as_str().unwrap().contains("25.00%"), "{problem}");
    app.get(&cell_path("210102004")).await.assert_problem(404, "not-found");
    // Overlapping an existing sibling that sorts after it: both are still named.
    let res = try_create_cell(&app, &json!({
        "code": "210102000", "name": "x", "level": 3, "parent_code": "210102", "boundary": rectangle(1.0, 0.0, 1.5, 1.0),
    }))
    .await;
    assert_rule(&res, "grid-sibling-overlap", &["210102000", "210102001"]);
    // Half a percent is within the 2% tolerance.
    create_cell_from(
        &app,
        &json!({"code": "210102004", "name": "x", "level": 3, "parent_code": "210102", "boundary": rectangle(1.99, 2.0, 4.0, 4.0)}),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------------
// Coordinate systems
// ---------------------------------------------------------------------------------------------------

fn positions(boundary: &Value) -> Vec<(f64, f64)> {
    boundary["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

#[actix_web::test]
async fn boundaries_given_in_gcj02_are_stored_in_wgs84_and_served_in_any_system() {
    let app = spawn_app().await;
    let input = square(123.40, 41.78, 0.02);
    let body = json!({"code": "210100", "name": "沈阳市", "level": 1, "boundary": input});
    let res = app.post_json(&format!("{CELLS}?crs=gcj02"), &body).await;
    res.assert_status(201);
    let echoed = positions(&res.json()["boundary"]);

    let given = positions(&input);
    let stored = app.get(&cell_path("210100")).await.json();
    let wgs84 = positions(&stored["boundary"]);
    assert_eq!(wgs84.len(), given.len());
    for (w, g) in wgs84.iter().zip(&given) {
        let expected = Crs::Gcj02.to_wgs84(g.0, g.1);
        assert!(distance_m(*w, expected) < 0.01, "stored {w:?}, expected {expected:?}");
        assert!(distance_m(*w, *g) > 100.0, "GCJ-02 is shifted by hundreds of metres in Shenyang: {w:?} vs {g:?}");
    }
    let (min_lon, min_lat) =
        (wgs84.iter().map(|p| p.0).fold(f64::MAX, f64::min), wgs84.iter().map(|p| p.1).fold(f64::MAX, f64::min));
    assert!((stored["bbox"][0].as_f64().unwrap() - min_lon).abs() < 1e-9, "the bbox is WGS-84: {stored}");
    assert!((stored["bbox"][1].as_f64().unwrap() - min_lat).abs() < 1e-9, "the bbox is WGS-84: {stored}");

    let back = positions(&app.get(&format!("{}?crs=gcj02", cell_path("210100"))).await.json()["boundary"]);
    for ((b, g), e) in back.iter().zip(&given).zip(&echoed) {
        assert!(distance_m(*b, *g) < 0.5, "GET ?crs=gcj02 gives back the input: {b:?} vs {g:?}");
        assert!(distance_m(*e, *g) < 0.5, "the create answer is in the request's system: {e:?} vs {g:?}");
    }
    let baidu = positions(&app.get(&format!("{}?crs=bd09", cell_path("210100"))).await.json()["boundary"]);
    for (b, w) in baidu.iter().zip(&wgs84) {
        assert!(distance_m(*b, Crs::Bd09.from_wgs84(w.0, w.1)) < 0.01, "{b:?}");
    }

    // A boundary change in BD-09 is stored in WGS-84 too.
    let smaller = square(123.41, 41.79, 0.005);
    let (x, y) = Crs::Bd09.from_wgs84(123.41, 41.79);
    let baidu_square = square(x, y, 0.005);
    let etag = etag_of(&app, &cell_path("210100")).await;
    patch(&app, &format!("{}?crs=bd09", cell_path("210100")), Some(&etag), &json!({"boundary": baidu_square}))
        .await
        .assert_status(200);
    let stored = positions(&app.get(&cell_path("210100")).await.json()["boundary"]);
    assert!(distance_m(stored[0], positions(&smaller)[0]) < 0.5, "{stored:?}");

    app.get(&format!("{}?crs=mercator", cell_path("210100"))).await.assert_problem(400, "invalid-parameter");
}

#[actix_web::test]
async fn retiring_before_something_in_the_subtree_starts_is_refused() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let person = json!({"name": "王丽", "role": "grid_worker", "valid_from": "2030-01-01"});
    app.post_json("/api/v1/grid/cells/210102002001/people", &person).await.assert_status(201);
    let problem = retire_cell(&app, "210102", Some("2029-06-01")).await.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "on");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("210102002001"));
    // Nothing changed; retiring after the start works.
    assert!(app.get("/api/v1/grid/cells/210102").await.json()["valid_to"].is_null());
    retire_cell(&app, "210102", Some("2030-06-01")).await.assert_status(200);
}

#[actix_web::test]
async fn integrity_holds_at_the_top_in_time_and_in_codes() {
    let app = spawn_app().await;
    small_grid(&app).await;
    // Two level-1 cells are siblings: a cell covering the world overlaps the city.
    let world = json!({"code": "world", "name": "World", "level": 1,
                       "boundary": rectangle(-179.0, -89.0, 179.0, 89.0)});
    try_create_cell(&app, &world).await.assert_problem(422, "grid-sibling-overlap");
    let apart = json!({"code": "elsewhere", "name": "Elsewhere", "level": 1, "boundary": square(20.0, 20.0, 1.0)});
    try_create_cell(&app, &apart).await.assert_status(201);

    // A cell cannot apply before its parent does (every cell of the small grid applies from 2020-01-01).
    let mut early = new_cell("210103002", 3, Some("210103"), (6.0, 0.0, 1.0));
    early["valid_from"] = json!("2019-12-31");
    try_create_cell(&app, &early).await.assert_problem(422, "grid-starts-before-parent");
    let res = patch_cell(&app, "210102002", &json!({"valid_from": "2019-06-01"})).await;
    res.assert_problem(422, "grid-starts-before-parent");
    let res = patch_cell(&app, "210102", &json!({"valid_from": "2021-01-01"})).await;
    let problem = res.assert_problem(422, "grid-starts-before-parent");
    assert!(problem["detail"].as_str().unwrap().contains("210102"), "{problem}");

    for code in [".", "..", "-_."] {
        let cell = new_cell(code, 3, Some("210103"), (6.0, 0.0, 1.0));
        let problem = try_create_cell(&app, &cell).await.assert_problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "code");
    }
}
