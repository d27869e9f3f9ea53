//! Point location: which cell of each level holds a point, who is responsible there, and how fast the
//! answer follows changes, on one instance and across instances sharing a database.

use airgrid::domain::crs::{Crs, distance_m};
use serde_json::{Value, json};

use crate::grid_support::{
    chain, create_cell, create_cell_from, delete_cell, error_fields, patch_cell, rectangle, retire_cell,
    seed_demo_grid, square,
};
use crate::helpers::{TestApp, spawn_app, spawn_app_with, spawn_instance_on, spawn_second_instance};

/// A point in 和平区 (Heping district), WGS-84.
const HEPING: (f64, f64) = (123.40, 41.79);

/// Locates a point given in `crs` (`None`: no crs parameter); the answer must be 200.
async fn locate(app: &TestApp, (lon, lat): (f64, f64), crs: Option<&str>) -> Value {
    let crs = crs.map(|c| format!("&crs={c}")).unwrap_or_default();
    let res = app.get(&format!("/api/v1/grid/locate?lon={lon}&lat={lat}{crs}")).await;
    res.assert_status(200);
    res.json()
}

/// The codes of the chain a point resolves to (WGS-84).
async fn located_codes(app: &TestApp, point: (f64, f64)) -> Vec<String> {
    chain(&locate(app, point, None).await).into_iter().map(|(code, _)| code).collect()
}

/// Assigns a responsible person to a cell; it must succeed. Returns the assignment.
async fn assign(app: &TestApp, code: &str, body: Value) -> Value {
    let res = app.post_json(&format!("/api/v1/grid/cells/{code}/people"), &body).await;
    res.assert_status(201);
    res.json()
}

async fn parent_of(app: &TestApp, code: &str) -> Value {
    let res = app.get(&format!("/api/v1/grid/cells/{code}")).await;
    res.assert_status(200);
    res.json()["parent_code"].clone()
}

#[actix_web::test]
async fn a_point_in_heping_resolves_from_the_city_down_to_a_community() {
    let app = spawn_app().await;
    seed_demo_grid(&app).await;
    let located = locate(&app, HEPING, None).await;
    let echoed = (located["lon"].as_f64().unwrap(), located["lat"].as_f64().unwrap());
    assert!(distance_m(echoed, HEPING) < 0.001, "the point, in WGS-84: {echoed:?}");
    let cells = chain(&located);
    assert_eq!(cells.len(), 4, "{located}");
    assert_eq!(cells[0], ("210100".to_owned(), 1));
    assert_eq!(cells[1], ("210102".to_owned(), 2));
    assert_eq!((&located["cells"][0]["name"], &located["cells"][1]["name"]), (&json!("沈阳市"), &json!("和平区")));
    let (street, community) = (&cells[2].0, &cells[3].0);
    assert_eq!((cells[2].1, cells[3].1), (3, 4));
    assert!(street.starts_with("210102") && street.len() > 6, "{located}");
    assert!(community.starts_with(street.as_str()) && community.len() > street.len(), "{located}");
    assert_eq!(parent_of(&app, street).await, json!("210102"));
    assert_eq!(parent_of(&app, community).await, json!(street));
    assert!(located["cells"][3]["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(located["people"], json!([]));
}

#[actix_web::test]
async fn the_same_place_in_gcj02_and_bd09_resolves_to_the_same_cells() {
    let app = spawn_app().await;
    seed_demo_grid(&app).await;
    // 和平区, and a spread of points over the city.
    let mut points = vec![HEPING];
    for i in 0..6 {
        for j in 0..6 {
            points.push((122.6 + 0.25 * f64::from(i), 41.3 + 0.25 * f64::from(j)));
        }
    }
    let mut inside = 0;
    for wgs84 in points {
        let expected = chain(&locate(&app, wgs84, None).await);
        inside += usize::from(expected.len() == 4);
        for crs in [Crs::Gcj02, Crs::Bd09] {
            let name = if crs == Crs::Gcj02 { "gcj02" } else { "bd09" };
            let given = crs.from_wgs84(wgs84.0, wgs84.1);
            assert!(distance_m(given, wgs84) > 100.0, "{name} is shifted in Shenyang");
            let located = locate(&app, given, Some(name)).await;
            assert_eq!(chain(&located), expected, "{wgs84:?} given in {name} as {given:?}");
            let echoed = (located["lon"].as_f64().unwrap(), located["lat"].as_f64().unwrap());
            assert!(distance_m(echoed, wgs84) < 0.5, "the answer gives the point in WGS-84: {echoed:?}");
        }
    }
    assert!(inside >= 10, "most sample points fall inside the grid ({inside})");

    // Read as WGS-84, the GCJ-02 numbers are another place: the crs parameter is what converts them.
    let given = Crs::Gcj02.from_wgs84(HEPING.0, HEPING.1);
    let located = locate(&app, given, None).await;
    let echoed = (located["lon"].as_f64().unwrap(), located["lat"].as_f64().unwrap());
    assert!(distance_m(echoed, given) < 0.001, "taken as given: {echoed:?} vs {given:?}");
}

#[actix_web::test]
async fn a_point_outside_every_cell_has_an_empty_chain() {
    let app = spawn_app().await;
    seed_demo_grid(&app).await;
    for crs in [None, Some("gcj02"), Some("bd09")] {
        let located = locate(&app, (2.35, 48.85), crs).await;
        assert_eq!(located["cells"], json!([]), "{crs:?}");
        assert_eq!(located["people"], json!([]));
        let echoed = (located["lon"].as_f64().unwrap(), located["lat"].as_f64().unwrap());
        assert!(distance_m(echoed, (2.35, 48.85)) < 0.001, "no shift outside China: {echoed:?}");
    }
}

#[actix_web::test]
async fn coordinates_out_of_range_are_refused() {
    let app = spawn_app().await;
    for (query, fields) in [
        ("lon=200&lat=41.79", vec!["lon"]),
        ("lon=-180.5&lat=41.79", vec!["lon"]),
        ("lon=123.4&lat=-91", vec!["lat"]),
        ("lon=181&lat=91", vec!["lon", "lat"]),
    ] {
        let res = app.get(&format!("/api/v1/grid/locate?{query}")).await;
        let problem = res.assert_problem(422, "validation");
        assert_eq!(error_fields(&problem), fields, "?{query}");
    }
    for query in ["lat=41.79", "lon=east&lat=41.79", "lon=123.4&lat=41.79&crs=utm"] {
        app.get(&format!("/api/v1/grid/locate?{query}")).await.assert_problem(400, "invalid-parameter");
    }
    assert_eq!(locate(&app, (180.0, -90.0), None).await["cells"], json!([]), "the limits themselves are valid");
}

#[actix_web::test]
async fn the_people_responsible_for_the_deepest_cell_today_are_in_the_answer() {
    let app = spawn_app().await;
    seed_demo_grid(&app).await;
    let cells = chain(&locate(&app, HEPING, None).await);
    let (street, community) = (&cells[2].0, &cells[3].0);

    let worker = assign(&app, community, json!({"name": "王丽", "phone": "13800000000", "role": "grid_worker"})).await;
    assign(
        &app,
        community,
        json!({"name": "Former", "role": "grid_chief", "valid_from": "2020-01-01", "valid_to": "2021-01-01"}),
    )
    .await;
    assign(&app, community, json!({"name": "Future", "role": "grid_chief", "valid_from": "2999-01-01"})).await;
    assign(&app, street, json!({"name": "Street chief", "role": "grid_chief"})).await;

    let located = locate(&app, HEPING, None).await;
    assert_eq!(located["people"], json!([worker]), "only today's people of the deepest cell");
}

#[actix_web::test]
async fn the_border_rule_prefers_the_deepest_cell_then_the_smallest_code() {
    let app = spawn_app().await;
    create_cell_from(
        &app,
        &json!({"code": "C", "name": "City", "level": 1, "boundary": rectangle(0.0, 0.0, 2.0, 1.0)}),
    )
    .await;
    create_cell(&app, "D2", 2, Some("C"), (0.0, 0.0, 1.0)).await;
    create_cell(&app, "D1", 2, Some("C"), (1.0, 0.0, 1.0)).await;
    create_cell_from(
        &app,
        &json!({"code": "S", "name": "Street", "level": 3, "parent_code": "D2", "boundary": rectangle(0.5, 0.0, 1.0, 0.5)}),
    )
    .await;
    assert_eq!(located_codes(&app, (1.0, 0.25)).await, ["C", "D2", "S"], "on the border: the deepest cell wins");
    assert_eq!(located_codes(&app, (1.0, 0.75)).await, ["C", "D1"], "on the border: the smaller code wins");
    assert_eq!(located_codes(&app, (0.25, 0.75)).await, ["C", "D2"], "no street there");
    assert_eq!(located_codes(&app, (2.0, 1.0)).await, ["C", "D1"], "a corner belongs to the cell");
}

/// Only a write can refresh this instance's index: its periodic check is an hour away.
#[actix_web::test]
async fn a_change_made_through_the_api_is_located_at_once() {
    let app = spawn_app_with(|s| s.grid_refresh_interval_ms = 3_600_000).await;
    assert!(located_codes(&app, (10.75, 10.75)).await.is_empty());

    create_cell(&app, "C1", 1, None, (10.0, 10.0, 1.0)).await;
    assert_eq!(located_codes(&app, (10.75, 10.75)).await, ["C1"]);
    create_cell(&app, "D1", 2, Some("C1"), (10.0, 10.0, 0.5)).await;
    assert_eq!(located_codes(&app, (10.25, 10.25)).await, ["C1", "D1"]);

    patch_cell(&app, "D1", &json!({"boundary": square(10.5, 10.5, 0.5), "name": "Moved"})).await.assert_status(200);
    assert_eq!(located_codes(&app, (10.25, 10.25)).await, ["C1"]);
    let located = locate(&app, (10.75, 10.75), None).await;
    assert_eq!(chain(&located), [("C1".to_owned(), 1), ("D1".to_owned(), 2)]);
    assert_eq!(located["cells"][1]["name"], "Moved");

    retire_cell(&app, "D1", None).await.assert_status(200);
    assert_eq!(located_codes(&app, (10.75, 10.75)).await, ["C1"]);

    create_cell(&app, "X1", 1, None, (20.0, 20.0, 1.0)).await;
    assert_eq!(located_codes(&app, (20.5, 20.5)).await, ["X1"]);
    delete_cell(&app, "X1").await.assert_status(204);
    assert!(located_codes(&app, (20.5, 20.5)).await.is_empty());

    seed_demo_grid(&app).await;
    assert_eq!(located_codes(&app, HEPING).await[..2], ["210100", "210102"]);
}

#[actix_web::test]
async fn another_instance_on_the_same_database_sees_a_change_at_once() {
    let a = spawn_app().await;
    let b = spawn_second_instance(&a).await;
    // Control: an instance that checks only hourly keeps answering from its snapshot.
    let hourly = spawn_instance_on(&a, |s| s.grid_refresh_interval_ms = 3_600_000).await;
    for app in [&b, &hourly] {
        assert!(located_codes(app, (10.75, 10.75)).await.is_empty());
    }

    create_cell(&a, "C1", 1, None, (10.0, 10.0, 1.0)).await;
    assert_eq!(located_codes(&b, (10.75, 10.75)).await, ["C1"], "B sees A's new cell");
    assert!(located_codes(&hourly, (10.75, 10.75)).await.is_empty(), "the hourly instance has not looked yet");

    create_cell(&a, "D1", 2, Some("C1"), (10.5, 10.5, 0.5)).await;
    assert_eq!(located_codes(&b, (10.75, 10.75)).await, ["C1", "D1"]);
    patch_cell(&a, "D1", &json!({"boundary": square(10.0, 10.0, 0.5)})).await.assert_status(200);
    assert_eq!(located_codes(&b, (10.75, 10.75)).await, ["C1"]);
    assert_eq!(located_codes(&b, (10.25, 10.25)).await, ["C1", "D1"]);

    // People are read from the database on every locate.
    assign(&a, "D1", json!({"name": "王丽", "role": "grid_worker"})).await;
    assert_eq!(locate(&b, (10.25, 10.25), None).await["people"][0]["name"], "王丽");

    retire_cell(&a, "C1", None).await.assert_status(200);
    assert!(located_codes(&b, (10.25, 10.25)).await.is_empty(), "B sees the retirement");

    // A write through B lands in the same database.
    create_cell(&b, "X1", 1, None, (20.0, 20.0, 1.0)).await;
    assert_eq!(located_codes(&b, (20.5, 20.5)).await, ["X1"]);
    assert_eq!(a.get("/api/v1/grid/cells/X1").await.assert_status(200).json()["code"], "X1");
}
