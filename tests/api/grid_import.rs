//! GeoJSON in and out: the all-or-nothing import and the FeatureCollection export.

use airgrid::domain::crs::{Crs, distance_m};
use airgrid::grid::seed::DEMO_GRID;
use serde_json::{Value, json};

use crate::grid_support::{
    DEMO_CELLS, codes, collection, create_cell, error_fields, error_for, etag_of, feature, import, list_codes,
    rectangle, retire_cell, seed_demo_grid, square,
};
use crate::helpers::{TestApp, TestResponse, spawn_app, spawn_app_with};

const CELLS: &str = "/api/v1/grid/cells";
const FEATURES: &str = "/api/v1/grid/features";

fn demo() -> Value {
    serde_json::from_str(DEMO_GRID).unwrap()
}

async fn import_json(app: &TestApp, query: &str, body: &Value) -> TestResponse {
    import(app, query, body.to_string()).await
}

/// The codes of the cells valid today (imported cells are valid from today unless a file says otherwise).
async fn all_codes(app: &TestApp) -> Vec<String> {
    list_codes(app, &format!("{CELLS}?limit=1000")).await
}

fn summary(total: u64, created: u64, updated: u64, unchanged: u64, dry_run: bool) -> Value {
    json!({"total": total, "created": created, "updated": updated, "unchanged": unchanged, "dry_run": dry_run})
}

/// C (0,0)–(8,4) with districts 210102 (0,0)–(4,4) and 210103 (4,0)–(8,4).
fn base_features() -> Vec<Value> {
    vec![
        feature("210100", 1, None, rectangle(0.0, 0.0, 8.0, 4.0)),
        feature("210102", 2, Some("210100"), square(0.0, 0.0, 4.0)),
        feature("210103", 2, Some("210100"), square(4.0, 0.0, 4.0)),
    ]
}

// ---------------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------------

#[actix_web::test]
async fn importing_the_demo_grid_creates_every_cell_and_importing_it_again_changes_nothing() {
    let app = spawn_app().await;
    assert_eq!(seed_demo_grid(&app).await, summary(DEMO_CELLS, DEMO_CELLS, 0, 0, false));

    assert_eq!(list_codes(&app, &format!("{CELLS}?level=1")).await, ["210100"]);
    assert_eq!(list_codes(&app, &format!("{CELLS}?level=2")).await.len(), 13);
    assert_eq!(list_codes(&app, &format!("{CELLS}?level=3&limit=1000")).await.len(), 190);
    let res = app.get(&format!("{FEATURES}?level=4&limit=10000")).await;
    assert_eq!(res.json()["numberReturned"], 2088);
    let heping = app.get(&format!("{CELLS}/210102")).await.json();
    assert_eq!(
        (&heping["name"], &heping["level"], &heping["parent_code"]),
        (&json!("和平区"), &json!(2), &json!("210100"))
    );
    assert!(heping["properties"]["source"].is_string(), "other feature properties are kept: {heping}");

    assert_eq!(seed_demo_grid(&app).await, summary(DEMO_CELLS, 0, 0, DEMO_CELLS, false));
    assert_eq!(etag_of(&app, &format!("{CELLS}/210102")).await, "\"1\"", "an unchanged cell keeps its version");
}

#[actix_web::test]
async fn an_import_upserts_by_code() {
    let app = spawn_app().await;
    let body = collection(base_features());
    assert_eq!(import_json(&app, "", &body).await.json(), summary(3, 3, 0, 0, false));

    let mut renamed = base_features();
    renamed[1]["properties"]["name"] = json!("和平区");
    renamed[1]["properties"]["district_type"] = json!("urban");
    renamed.push(feature("210102001", 3, Some("210102"), square(0.0, 0.0, 1.0)));
    let res = import_json(&app, "", &collection(renamed.clone())).await;
    res.assert_status(200);
    assert_eq!(res.json(), summary(4, 1, 1, 2, false));
    let cell = app.get(&format!("{CELLS}/210102")).await;
    assert_eq!(cell.header("etag"), Some("\"2\""));
    assert_eq!(
        (&cell.json()["name"], &cell.json()["properties"]),
        (&json!("和平区"), &json!({"district_type": "urban"}))
    );
    assert_eq!(etag_of(&app, &format!("{CELLS}/210103")).await, "\"1\"");
    assert_eq!(import_json(&app, "", &collection(renamed)).await.json(), summary(4, 0, 0, 4, false));
}

#[actix_web::test]
async fn codes_given_as_numbers_are_accepted_and_json_works_as_well_as_geo_json() {
    let app = spawn_app().await;
    let mut features = base_features();
    features[0]["properties"]["code"] = json!(210100);
    features[1]["properties"]["parent_code"] = json!(210100);
    let res = app.post_json("/api/v1/grid/import", &collection(features)).await;
    res.assert_status(200);
    assert_eq!(res.json()["created"], 3);
    assert_eq!(list_codes(&app, &format!("{CELLS}/210100/children")).await, ["210102", "210103"]);
}

#[actix_web::test]
async fn a_bad_feature_shape_or_geometry_rejects_the_whole_import_and_every_one_is_listed() {
    let app = spawn_app().await;
    let mut missing_name = feature("210104", 2, Some("210100"), square(0.0, 0.0, 1.0));
    missing_name["properties"].as_object_mut().unwrap().remove("name");
    let features = vec![
        base_features()[0].clone(),
        base_features()[1].clone(),
        feature(
            "210105",
            2,
            Some("210100"),
            json!({"type": "Polygon", "coordinates": [[[4.0, 0.0], [5.0, 0.0], [5.0, 1.0], [4.0, 1.0]]]}),
        ),
        missing_name,
        feature("210106", 9, Some("210100"), square(6.0, 0.0, 1.0)),
        feature("a/b", 2, Some("210100"), square(6.0, 2.0, 1.0)),
        base_features()[2].clone(),
        json!({"type": "Feature", "properties": {"code": "210107", "name": "x", "level": 2, "parent_code": "210100"}}),
    ];
    let res = import_json(&app, "", &collection(features)).await;
    let problem = res.assert_problem(422, "grid-import-rejected");
    let mut fields = error_fields(&problem);
    fields.sort();
    assert_eq!(
        fields,
        [
            "features[2].geometry",
            "features[3].properties.name",
            "features[4].properties.level",
            "features[5].properties.code",
            "features[7].geometry",
        ],
        "{problem}"
    );
    let geometry = error_for(&problem, "features[2].geometry");
    assert_eq!(geometry["type"], "/problems/grid-invalid-geometry");
    assert!(geometry["message"].as_str().unwrap().contains("210105"), "{problem}");
    assert!(all_codes(&app).await.is_empty(), "nothing was written");
}

#[actix_web::test]
async fn a_broken_grid_rule_rejects_the_whole_import_and_every_bad_feature_is_listed() {
    let app = spawn_app().await;
    let mut features = base_features();
    features.extend([
        feature("210102001", 3, Some("210100"), square(30.0, 30.0, 1.0)),
        feature("210104", 2, Some("210100"), square(20.0, 20.0, 1.0)),
        feature("210105", 2, Some("210999"), square(1.0, 1.0, 1.0)),
        feature("210102002", 3, Some("210102"), square(0.0, 2.0, 1.0)),
        feature("210102003", 3, Some("210102"), square(0.5, 2.5, 1.0)),
        feature("210102004", 3, Some("210102"), square(2.0, 2.0, 1.0)),
    ]);
    let res = import_json(&app, "", &collection(features)).await;
    let problem = res.assert_problem(422, "grid-import-rejected");
    let kind = |field: &str| error_for(&problem, field)["type"].as_str().unwrap().to_owned();
    assert_eq!(kind("features[3]"), "/problems/grid-wrong-level");
    assert_eq!(kind("features[4]"), "/problems/grid-outside-parent");
    assert_eq!(kind("features[5]"), "/problems/grid-unknown-parent");
    let overlap = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "/problems/grid-sibling-overlap")
        .unwrap_or_else(|| panic!("an overlap entry: {problem}"));
    assert!(["features[6]", "features[7]"].contains(&overlap["field"].as_str().unwrap()), "{problem}");
    let message = overlap["message"].as_str().unwrap();
    assert!(message.contains("210102002") && message.contains("210102003"), "{problem}");
    assert_eq!(problem["errors"].as_array().unwrap().len(), 4, "the good features are not listed: {problem}");
    assert!(all_codes(&app).await.is_empty(), "nothing was written");
}

/// The example: a bad geometry, a wrong level and a missing name in one file are all reported.
#[actix_web::test]
async fn an_import_lists_shape_geometry_and_rule_errors_together() {
    let app = spawn_app().await;
    let mut missing_name = feature("210104", 2, Some("210100"), square(6.0, 0.0, 1.0));
    missing_name["properties"].as_object_mut().unwrap().remove("name");
    let bowtie =
        json!({"type": "Polygon", "coordinates": [[[4.0, 0.0], [5.0, 1.0], [5.0, 0.0], [4.0, 1.0], [4.0, 0.0]]]});
    let features = vec![
        base_features()[0].clone(),
        feature("210102", 2, Some("210100"), bowtie),
        feature("210102001", 3, Some("210100"), square(1.0, 1.0, 1.0)),
        missing_name,
    ];
    let problem = import_json(&app, "", &collection(features)).await.assert_problem(422, "grid-import-rejected");
    assert_eq!(error_for(&problem, "features[1].geometry")["type"], "/problems/grid-invalid-geometry");
    assert!(error_fields(&problem).contains(&"features[3].properties.name".to_owned()), "{problem}");
    assert_eq!(error_for(&problem, "features[2]")["type"], "/problems/grid-wrong-level", "{problem}");
    assert!(all_codes(&app).await.is_empty(), "nothing was written");
}

#[actix_web::test]
async fn a_code_may_appear_once_in_a_file_and_a_retired_code_is_not_reused() {
    let app = spawn_app().await;
    let mut features = base_features();
    features.push(feature("210103", 2, Some("210100"), square(4.0, 0.0, 4.0)));
    let problem = import_json(&app, "", &collection(features)).await.assert_problem(422, "grid-import-rejected");
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "/problems/grid-duplicate-code" && e["message"].as_str().unwrap().contains("210103")),
        "{problem}"
    );
    assert!(all_codes(&app).await.is_empty());

    import_json(&app, "", &collection(base_features())).await.assert_status(200);
    retire_cell(&app, "210103", None).await.assert_status(200);
    let problem = import_json(&app, "", &collection(base_features())).await.assert_problem(422, "grid-import-rejected");
    assert_eq!(error_for(&problem, "features[2]")["type"], "/problems/grid-duplicate-code", "{problem}");
}

/// A feature of the file overlapping a cell already stored is itself named by its position.
#[actix_web::test]
async fn an_overlap_with_a_stored_cell_names_the_feature_by_position() {
    let app = spawn_app().await;
    import_json(&app, "", &collection(base_features()[..2].to_vec())).await.assert_status(200);
    let body = collection(vec![feature("210199", 2, Some("210100"), rectangle(3.0, 0.0, 8.0, 4.0))]);
    let problem = import_json(&app, "", &body).await.assert_problem(422, "grid-import-rejected");
    let entry = error_for(&problem, "features[0]");
    assert_eq!(entry["type"], "/problems/grid-sibling-overlap", "{problem}");
    let message = entry["message"].as_str().unwrap();
    assert!(message.contains("210102") && message.contains("210199"), "{problem}");
}

#[actix_web::test]
async fn a_dry_run_checks_and_counts_but_writes_nothing() {
    let app = spawn_app().await;
    let res = import(&app, "?dry_run=true", DEMO_GRID).await;
    res.assert_status(200);
    assert_eq!(res.json(), summary(DEMO_CELLS, DEMO_CELLS, 0, 0, true));
    assert!(all_codes(&app).await.is_empty(), "nothing was written");

    seed_demo_grid(&app).await;
    let mut changed = demo();
    changed["features"][1]["properties"]["name"] = json!("和平");
    let res = import_json(&app, "?dry_run=true", &changed).await;
    assert_eq!(res.json(), summary(DEMO_CELLS, 0, 1, DEMO_CELLS - 1, true));
    assert_eq!(app.get(&format!("{CELLS}/210102")).await.json()["name"], "和平区");

    let mut broken = demo();
    broken["features"][1]["properties"]["level"] = json!(3);
    import_json(&app, "?dry_run=true", &broken).await.assert_problem(422, "grid-import-rejected");
}

#[actix_web::test]
async fn an_import_can_move_a_subtree_to_another_parent() {
    let app = spawn_app().await;
    let mut features = base_features();
    features.push(feature("210102002", 3, Some("210102"), square(2.0, 0.0, 2.0)));
    features.push(feature("210102002001", 4, Some("210102002"), square(2.0, 0.0, 1.0)));
    import_json(&app, "", &collection(features)).await.assert_status(200);

    // 210102 gives up its eastern half, street and all, to 210103.
    let body = collection(vec![
        feature("210102", 2, Some("210100"), rectangle(0.0, 0.0, 2.0, 4.0)),
        feature("210103", 2, Some("210100"), rectangle(2.0, 0.0, 8.0, 4.0)),
        feature("210102002", 3, Some("210103"), square(2.0, 0.0, 2.0)),
    ]);
    assert_eq!(import_json(&app, "", &body).await.json(), summary(3, 0, 3, 0, false));
    assert_eq!(
        list_codes(&app, &format!("{CELLS}/210102002001/ancestors")).await,
        ["210100", "210103", "210102002", "210102002001"]
    );
    assert_eq!(list_codes(&app, &format!("{CELLS}/210103/subtree")).await, ["210103", "210102002", "210102002001"]);
    assert_eq!(list_codes(&app, &format!("{CELLS}/210102/subtree")).await, ["210102"]);
}

/// Upserting by code includes the level: a street promoted to a district is stored as a district.
#[actix_web::test]
async fn an_import_that_changes_a_level_stores_the_new_level() {
    let app = spawn_app().await;
    let mut features = base_features()[..2].to_vec();
    features.push(feature("210102001", 3, Some("210102"), rectangle(0.0, 0.0, 4.0, 2.0)));
    import_json(&app, "", &collection(features)).await.assert_status(200);

    let promoted = collection(vec![
        feature("210102", 2, Some("210100"), rectangle(0.0, 2.0, 4.0, 4.0)),
        feature("210102001", 2, Some("210100"), rectangle(0.0, 0.0, 4.0, 2.0)),
    ]);
    assert_eq!(import_json(&app, "", &promoted).await.json(), summary(2, 0, 2, 0, false));
    let cell = app.get(&format!("{CELLS}/210102001")).await.json();
    assert_eq!((&cell["level"], &cell["parent_code"]), (&json!(2), &json!("210100")), "{cell}");
    assert_eq!(list_codes(&app, &format!("{CELLS}?level=2")).await, ["210102", "210102001"]);
    assert_eq!(
        import_json(&app, "", &promoted).await.json(),
        summary(2, 0, 0, 2, false),
        "importing it again changes nothing"
    );
}

/// Changing a cell's level must not leave its stored children at a level that no longer fits.
#[actix_web::test]
async fn an_import_that_changes_a_level_checks_the_children_left_below() {
    let app = spawn_app().await;
    let mut features = base_features()[..2].to_vec();
    features.push(feature("210102001", 3, Some("210102"), rectangle(0.0, 0.0, 4.0, 2.0)));
    features.push(feature("210102001001", 4, Some("210102001"), square(0.0, 0.0, 1.0)));
    import_json(&app, "", &collection(features)).await.assert_status(200);

    let promoted = collection(vec![
        feature("210102", 2, Some("210100"), rectangle(0.0, 2.0, 4.0, 4.0)),
        feature("210102001", 2, Some("210100"), rectangle(0.0, 0.0, 4.0, 2.0)),
    ]);
    let problem = import_json(&app, "", &promoted).await.assert_problem(422, "grid-import-rejected");
    assert_eq!(error_for(&problem, "cells.210102001001")["type"], "/problems/grid-wrong-level", "{problem}");
    assert_eq!(app.get(&format!("{CELLS}/210102001")).await.json()["parent_code"], "210102", "nothing was written");
}

#[actix_web::test]
async fn an_import_in_gcj02_is_stored_in_wgs84_and_is_idempotent() {
    let app = spawn_app().await;
    let body = collection(vec![feature("210100", 1, None, square(123.40, 41.78, 0.02))]);
    import_json(&app, "?crs=gcj02", &body).await.assert_status(200);
    let stored = app.get(&format!("{CELLS}/210100")).await.json();
    let first = &stored["boundary"]["coordinates"][0][0];
    let expected = Crs::Gcj02.to_wgs84(123.40, 41.78);
    assert!(distance_m((first[0].as_f64().unwrap(), first[1].as_f64().unwrap()), expected) < 0.01, "{stored}");
    assert_eq!(import_json(&app, "?crs=gcj02", &body).await.json(), summary(1, 0, 0, 1, false));
}

#[actix_web::test]
async fn an_import_that_is_not_a_feature_collection_is_refused() {
    let app = spawn_app().await;
    import_json(&app, "", &json!({"type": "Feature", "features": []})).await.assert_problem(422, "validation");
    import_json(&app, "", &json!({"type": "FeatureCollection"})).await.assert_problem(422, "validation");
    import(&app, "", "{\"type\": ").await.assert_problem(400, "malformed-body");
    let req =
        app.request(actix_web::http::Method::POST, "/api/v1/grid/import").insert_header(("Content-Type", "text/plain"));
    app.send_body(req, DEMO_GRID).await.assert_problem(415, "unsupported-media-type");
    assert!(all_codes(&app).await.is_empty());
}

// ---------------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------------

/// Follows the `next` links of a FeatureCollection from `first`; returns every feature and the page sizes.
async fn walk_features(app: &TestApp, first: &str) -> (Vec<Value>, Vec<u64>) {
    let (mut features, mut sizes) = (Vec::new(), Vec::new());
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        let res = app.get(&path).await;
        res.assert_status(200);
        let body = res.json();
        let page = body["features"].as_array().unwrap().clone();
        assert_eq!(body["numberReturned"], page.len());
        next = body["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").map(|l| {
            assert_eq!(l["type"], "application/geo+json");
            l["href"].as_str().unwrap().to_owned()
        });
        sizes.push(page.len() as u64);
        features.extend(page);
        assert!(sizes.len() < 50, "paging does not end");
    }
    (features, sizes)
}

#[actix_web::test]
async fn the_grid_exports_as_a_paged_geojson_feature_collection() {
    let app = spawn_app().await;
    seed_demo_grid(&app).await;

    let res = app.get(&format!("{FEATURES}?limit=5")).await;
    res.assert_status(200);
    assert_eq!(res.header("content-type"), Some("application/geo+json"));
    let page = res.json();
    assert_eq!(page["type"], "FeatureCollection");
    assert_eq!(page["numberReturned"], 5);
    let features = page["features"].as_array().unwrap();
    assert_eq!(features.len(), 5);
    let ids: Vec<&str> = features.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, codes(&app.get(&format!("{CELLS}?limit=5")).await.json()), "same order as the cell list");
    let city = &features[0];
    assert_eq!(city["type"], "Feature");
    assert_eq!(city["id"], "210100");
    let props = &city["properties"];
    assert_eq!((&props["code"], &props["name"], &props["level"]), (&json!("210100"), &json!("沈阳市"), &json!(1)));
    assert_eq!(props["parent_code"], Value::Null);
    assert_eq!(props["valid_to"], Value::Null);
    assert!(props["valid_from"].is_string() && props["source"].is_string(), "{props}");
    assert_eq!(city["geometry"], demo()["features"][0]["geometry"], "the boundary as imported");

    let next = page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").expect("a next link");
    assert_eq!(next["type"], "application/geo+json");
    let second = app.get(next["href"].as_str().unwrap()).await.json();
    assert_eq!(second["numberReturned"], 5);
    assert!(second["features"][0]["id"].as_str().unwrap() > ids[4], "the next page continues after the last code");

    let (all, sizes) = walk_features(&app, &format!("{FEATURES}?limit=1000")).await;
    assert_eq!(all.len() as u64, DEMO_CELLS);
    assert_eq!(sizes, [1000, 1000, 292]);
}

#[actix_web::test]
async fn the_export_filters_like_the_cell_list() {
    let app = spawn_app().await;
    seed_demo_grid(&app).await;

    let districts = app.get(&format!("{FEATURES}?level=2")).await.json();
    assert_eq!(districts["numberReturned"], 13);
    assert_eq!(districts["links"], json!([]), "no next link when everything fits");
    let features = districts["features"].as_array().unwrap();
    assert!(features.iter().all(|f| f["properties"]["level"] == 2 && f["properties"]["parent_code"] == "210100"));
    let yuhong = features.iter().find(|f| f["id"] == "210114").expect("于洪区");
    assert_eq!(yuhong["geometry"]["type"], "MultiPolygon");

    let (streets, sizes) = walk_features(&app, &format!("{FEATURES}?level=3&limit=100")).await;
    assert_eq!(sizes, [100, 90], "the next link keeps the filter");
    assert!(streets.iter().all(|f| f["properties"]["level"] == 3));

    let (heping, _) = walk_features(&app, &format!("{FEATURES}?within=210102&limit=50")).await;
    assert!(heping.len() > 1);
    assert!(heping.iter().all(|f| f["id"].as_str().unwrap().starts_with("210102")), "the subtree of 和平区");
    assert_eq!(heping.len(), list_codes(&app, &format!("{CELLS}/210102/subtree?limit=1000")).await.len());

    let gcj = app.get(&format!("{FEATURES}?level=1&crs=gcj02")).await.json();
    let p = &gcj["features"][0]["geometry"]["coordinates"][0][0];
    let w = &demo()["features"][0]["geometry"]["coordinates"][0][0];
    let expected = Crs::Gcj02.from_wgs84(w[0].as_f64().unwrap(), w[1].as_f64().unwrap());
    assert!(
        distance_m((p[0].as_f64().unwrap(), p[1].as_f64().unwrap()), expected) < 0.01,
        "coordinates in the requested crs"
    );

    for query in ["limit=0", "limit=10001", "level=7"] {
        app.get(&format!("{FEATURES}?{query}")).await.assert_problem(422, "validation");
    }
    let empty = app.get(&format!("{FEATURES}?as_of=2000-01-01")).await.json();
    assert_eq!((&empty["numberReturned"], &empty["features"]), (&json!(0), &json!([])));
}

#[actix_web::test]
async fn an_exported_collection_imports_again_unchanged() {
    let app = spawn_app().await;
    seed_demo_grid(&app).await;
    create_cell(&app, "X1", 1, None, (10.0, 10.0, 1.0)).await;
    let exported = app.get(&format!("{FEATURES}?limit=10000")).await.json();
    let res = import_json(&app, "", &exported).await;
    res.assert_status(200);
    assert_eq!(res.json(), summary(DEMO_CELLS + 1, 0, 0, DEMO_CELLS + 1, false));
}

#[actix_web::test]
async fn boundaries_over_the_vertex_limit_are_refused_by_import_create_and_change() {
    let app = spawn_app_with(|s| s.grid_max_vertices = 10).await;
    // Eleven positions: a closed ring of ten corners.
    let ring: Vec<Value> = (0..=10)
        .map(|i| {
            let a = std::f64::consts::TAU * f64::from(i % 10) / 10.0;
            json!([2.0 + a.cos(), 2.0 + a.sin()])
        })
        .collect();
    let detailed = json!({"type": "Polygon", "coordinates": [ring]});
    let mut features = base_features();
    features[1] = feature("210102", 2, Some("210100"), detailed.clone());
    let problem = import_json(&app, "?dry_run=true", &collection(features)).await;
    let problem = problem.assert_problem(422, "grid-import-rejected");
    let error = error_for(&problem, "features[1].geometry");
    assert_eq!(error["type"], "/problems/grid-invalid-geometry");
    assert!(error["message"].as_str().unwrap().contains("at most 10"), "{error}");

    import_json(&app, "", &collection(base_features())).await.assert_status(200);
    let body = json!({"code": "210104", "name": "新区", "level": 2, "parent_code": "210100", "boundary": detailed});
    app.post_json(CELLS, &body).await.assert_problem(422, "grid-invalid-geometry");
    let change = json!({"boundary": detailed});
    let res = crate::grid_support::patch_cell(&app, "210102", &change).await;
    res.assert_problem(422, "grid-invalid-geometry");
}
