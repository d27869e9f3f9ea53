//! Shared helpers for the grid tests: boundaries, cells, the demo grid, conditional requests.
#![allow(dead_code)] // not every grid test module uses every helper

use actix_web::http::Method;
use airgrid::grid::seed::DEMO_GRID;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse};

/// Cells of the demo grid.
pub const DEMO_CELLS: u64 = 2292;

/// A GeoJSON Polygon: the square with its south-west corner at (x, y) and sides of `size` degrees.
pub fn square(x: f64, y: f64, size: f64) -> Value {
    rectangle(x, y, x + size, y + size)
}

/// A GeoJSON Polygon: the rectangle from (x0, y0) to (x1, y1).
pub fn rectangle(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    polygon(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
}

/// A GeoJSON Polygon with one ring, positions taken as given (closed or not).
pub fn polygon(ring: &[(f64, f64)]) -> Value {
    let positions: Vec<Value> = ring.iter().map(|(x, y)| json!([x, y])).collect();
    json!({"type": "Polygon", "coordinates": [positions]})
}

/// The body of a new cell whose boundary is the square (x, y, size).
pub fn new_cell(code: &str, level: i64, parent: Option<&str>, (x, y, size): (f64, f64, f64)) -> Value {
    json!({
        "code": code,
        "name": format!("Cell {code}"),
        "level": level,
        "parent_code": parent,
        "boundary": square(x, y, size),
    })
}

/// POSTs a new cell and returns the response, whatever it is.
pub async fn try_create_cell(app: &TestApp, body: &Value) -> TestResponse {
    app.post_json("/api/v1/grid/cells", body).await
}

/// Creates a cell whose boundary is the square (x, y, size); it must succeed. Returns the cell.
pub async fn create_cell(
    app: &TestApp,
    code: &str,
    level: i64,
    parent: Option<&str>,
    square: (f64, f64, f64),
) -> Value {
    let res = try_create_cell(app, &new_cell(code, level, parent, square)).await;
    res.assert_status(201);
    res.json()
}

/// Creates a cell from a full body; it must succeed. Returns the cell.
pub async fn create_cell_from(app: &TestApp, body: &Value) -> Value {
    let res = try_create_cell(app, body).await;
    res.assert_status(201);
    res.json()
}

/// A small grid, every cell valid from 2020-01-01:
///
/// ```text
/// 210100 city        (0,0)–(8,4)
///   210102 district  (0,0)–(4,4)      210103 district (4,0)–(8,4)
///     210102001 street (0,0)–(2,2)      210103001 street (4,0)–(6,2)
///     210102002 street (2,0)–(4,2)
///       210102002001 community (2,0)–(3,1)
/// ```
pub async fn small_grid(app: &TestApp) {
    let cells = [
        ("210100", "Shenyang", 1, None, rectangle(0.0, 0.0, 8.0, 4.0)),
        ("210102", "Heping District", 2, Some("210100"), square(0.0, 0.0, 4.0)),
        ("210103", "Shenhe District", 2, Some("210100"), square(4.0, 0.0, 4.0)),
        ("210102001", "heping first street", 3, Some("210102"), square(0.0, 0.0, 2.0)),
        ("210102002", "Heping Second Street", 3, Some("210102"), square(2.0, 0.0, 2.0)),
        ("210103001", "Shenhe First Street", 3, Some("210103"), square(4.0, 0.0, 2.0)),
        ("210102002001", "Second Street Community", 4, Some("210102002"), square(2.0, 0.0, 1.0)),
    ];
    for (code, name, level, parent, boundary) in cells {
        create_cell_from(
            app,
            &json!({
                "code": code, "name": name, "level": level, "parent_code": parent,
                "boundary": boundary, "valid_from": "2020-01-01",
            }),
        )
        .await;
    }
}

/// A GeoJSON Feature for an import.
pub fn feature(code: &str, level: i64, parent: Option<&str>, geometry: Value) -> Value {
    json!({
        "type": "Feature",
        "properties": {"code": code, "name": format!("Cell {code}"), "level": level, "parent_code": parent},
        "geometry": geometry,
    })
}

/// A FeatureCollection of these features.
pub fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

/// POSTs a GeoJSON document to the import endpoint (`query` like `?dry_run=true`, or empty).
pub async fn import(app: &TestApp, query: &str, body: impl Into<Vec<u8>>) -> TestResponse {
    let req = app
        .request(Method::POST, &format!("/api/v1/grid/import{query}"))
        .insert_header(("Content-Type", "application/geo+json"));
    app.send_body(req, body).await
}

/// Imports the demo grid shipped in the binary; it must succeed. Returns the import summary.
pub async fn seed_demo_grid(app: &TestApp) -> Value {
    let res = import(app, "", DEMO_GRID).await;
    res.assert_status(200);
    res.json()
}

/// Sends a request carrying `If-Match` (when given) and, when given, a JSON body.
pub async fn send_if_match(
    app: &TestApp,
    method: Method,
    path: &str,
    if_match: Option<&str>,
    body: Option<&Value>,
) -> TestResponse {
    let mut req = app.request(method, path);
    if let Some(etag) = if_match {
        req = req.insert_header(("If-Match", etag));
    }
    match body {
        Some(body) => {
            let req = req.insert_header(("Content-Type", "application/json"));
            app.send_body(req, serde_json::to_vec(body).unwrap()).await
        }
        None => app.send(req).await,
    }
}

/// PATCHes `path` with this `If-Match` and JSON body.
pub async fn patch(app: &TestApp, path: &str, if_match: Option<&str>, body: &Value) -> TestResponse {
    send_if_match(app, Method::PATCH, path, if_match, Some(body)).await
}

/// The current ETag of the resource at `path`.
pub async fn etag_of(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    res.assert_status(200);
    res.header("etag").expect("an ETag header").to_owned()
}

/// PATCHes a cell with its current ETag.
pub async fn patch_cell(app: &TestApp, code: &str, body: &Value) -> TestResponse {
    let path = format!("/api/v1/grid/cells/{code}");
    let etag = etag_of(app, &path).await;
    patch(app, &path, Some(&etag), body).await
}

/// Retires a cell (and its subtree) with its current ETag; `on` as `YYYY-MM-DD`, or today when `None`.
pub async fn retire_cell(app: &TestApp, code: &str, on: Option<&str>) -> TestResponse {
    let path = format!("/api/v1/grid/cells/{code}");
    let etag = etag_of(app, &path).await;
    let body = match on {
        Some(day) => json!({"on": day}),
        None => json!({}),
    };
    send_if_match(app, Method::POST, &format!("{path}/retire"), Some(&etag), Some(&body)).await
}

/// Deletes a cell with its current ETag.
pub async fn delete_cell(app: &TestApp, code: &str) -> TestResponse {
    let path = format!("/api/v1/grid/cells/{code}");
    let etag = etag_of(app, &path).await;
    send_if_match(app, Method::DELETE, &path, Some(&etag), None).await
}

/// The codes of a page of cells (`{"items": [...]}`) or of a plain array of cells.
pub fn codes(body: &Value) -> Vec<String> {
    let items = body.get("items").unwrap_or(body);
    items.as_array().expect("a list").iter().map(|c| c["code"].as_str().expect("a code").to_owned()).collect()
}

/// The codes of the cells a list request returns (one page); the request must succeed.
pub async fn list_codes(app: &TestApp, path: &str) -> Vec<String> {
    let res = app.get(path).await;
    res.assert_status(200);
    codes(&res.json())
}

/// The target of a `Link: <…>; rel="next"` header, if there is one.
pub fn next_link(res: &TestResponse) -> Option<String> {
    let link = res.header("link")?;
    let (target, rel) = link.split_once(';')?;
    assert_eq!(rel.trim(), "rel=\"next\"", "{link}");
    Some(target.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
}

/// The codes of the cells a located chain runs through, and their levels.
pub fn chain(located: &Value) -> Vec<(String, i64)> {
    located["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| (c["code"].as_str().unwrap().to_owned(), c["level"].as_i64().unwrap()))
        .collect()
}

/// The fields named in a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().into_iter().flatten().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

/// The `errors` entry of a problem for this field; it must exist.
#[track_caller]
pub fn error_for<'a>(problem: &'a Value, field: &str) -> &'a Value {
    match problem["errors"].as_array().and_then(|errors| errors.iter().find(|e| e["field"] == field)) {
        Some(entry) => entry,
        None => panic!("no error for {field}: {problem}"),
    }
}

/// A city (210100) over lon 123–124, lat 41.5–42.5 with two districts: 210102 west of 123.5, 210103 east.
pub async fn two_districts(app: &TestApp) {
    for (code, level, parent, boundary) in [
        ("210100", 1, None, rectangle(123.0, 41.5, 124.0, 42.5)),
        ("210102", 2, Some("210100"), rectangle(123.0, 41.5, 123.5, 42.5)),
        ("210103", 2, Some("210100"), rectangle(123.5, 41.5, 124.0, 42.5)),
    ] {
        let body = json!({"code": code, "name": format!("Cell {code}"), "level": level, "parent_code": parent,
                          "boundary": boundary, "valid_from": "2020-01-01"});
        create_cell_from(app, &body).await;
    }
}
