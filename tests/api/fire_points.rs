//! Satellite fire points: real FIRMS files imported, routed, deduplicated, merged, dispatched and verified.

use actix_web::http::Method;
use airgrid::domain::access::Role;
use serde_json::{Value, json};

use crate::grid_support::{create_cell_from, rectangle};
use crate::helpers::{TestApp, TestResponse, spawn_app};

const FILES: [(&str, &[u8]); 8] = [
    ("modis_box_0930", include_bytes!("../data/firms/modis_c6_global24h_2020-09-30_lat41-43.5_lon122-124.csv")),
    ("modis_box_1002", include_bytes!("../data/firms/modis_c6_global24h_2020-10-02_lat41-43.5_lon122-124.csv")),
    ("modis_ne", include_bytes!("../data/firms/modis_c6_global24h_2020-09-30_lat40-48_lon120-128_excl_target.csv")),
    ("modis_download", include_bytes!("../data/firms/modis_c6_download_fire_nrt_M6_2020-10-02_brazil.csv")),
    ("noaa20", include_bytes!("../data/firms/viirs_noaa20_download_fire_nrt_J1V-C2_2020-10-02_brazil.csv")),
    ("snpp_7d", include_bytes!("../data/firms/viirs_snpp_7d_South_Asia_2025-06_sample.csv")),
    ("snpp_area_api", include_bytes!("../data/firms/viirs_snpp_area_api_2025-03-19_europe_hsVIIRS_readme.csv")),
    ("snpp_download", include_bytes!("../data/firms/viirs_snpp_download_fire_nrt_V1_2020-10-02_brazil.csv")),
];

/// A city cell over the Shenyang box (lat 41–43.5, lon 122–124, edges a hair outside so the box's rows
/// are inside), with a farmland district in its south-west and another city far away.
async fn shenyang_box(app: &TestApp) {
    for (code, level, parent, boundary, properties) in [
        ("210100", 1, None, rectangle(121.9999, 40.9999, 124.0001, 43.5001), json!({})),
        ("210122", 2, Some("210100"), rectangle(121.9999, 40.9999, 123.0, 42.0), json!({"land_use": "farmland"})),
        ("210200", 1, None, rectangle(120.0, 38.0, 121.0, 39.0), json!({})),
    ] {
        create_cell_from(
            app,
            &json!({"code": code, "name": format!("Cell {code}"), "level": level, "parent_code": parent,
                    "boundary": boundary, "valid_from": "2020-01-01", "properties": properties}),
        )
        .await;
    }
}

async fn import(app: &TestApp, body: &[u8]) -> TestResponse {
    let req = app.request(Method::POST, "/api/v1/fire-points/import").insert_header(("Content-Type", "text/csv"));
    app.send_body(req, body.to_vec()).await
}

async fn import_ok(app: &TestApp, body: &[u8]) -> Value {
    let res = import(app, body).await;
    res.assert_status(200);
    res.json()
}

#[actix_web::test]
async fn every_real_file_parses_the_box_rows_are_routed_and_the_rest_counted_out() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    let (mut rows, mut inside, mut outside) = (0, 0, 0);
    for (name, body) in FILES {
        let summary = import_ok(&app, body).await;
        rows += summary["rows"].as_u64().unwrap();
        inside += summary["imported"].as_u64().unwrap();
        outside += summary["outside_grid"].as_u64().unwrap();
        assert_eq!(summary["already_known"], 0, "{name}");
    }
    assert_eq!((rows, inside, outside), (212, 44, 168));

    // The same files again, or an overlapping download, change nothing.
    for (name, body) in FILES {
        let summary = import_ok(&app, body).await;
        assert_eq!(summary["imported"], 0, "{name}");
        assert_eq!(summary["events_created"], 0, "{name}");
    }
    let overlap = [FILES[0].1, &FILES[1].1[FILES[1].1.iter().position(|&b| b == b'\n').unwrap()..]].concat();
    let summary = import_ok(&app, &overlap).await;
    assert_eq!((summary["imported"].as_u64(), summary["already_known"].as_u64()), (Some(0), Some(44)));
}

#[actix_web::test]
async fn repeat_passes_merge_into_one_event_dispatched_as_one_incident() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    // Terra at 02:55 UTC, Aqua 800 m away at 05:30, and a point 5 km away.
    let file = b"latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,bright_t31,frp,daynight\n\
41.500,122.500,310.0,1,1,2020-10-02,0255,T,60,6.0NRT,290,5,D\n\
41.505,122.507,312.0,1,1,2020-10-02,530,Aqua,70,6.0NRT,290,6,D\n\
41.545,122.500,309.0,1,1,2020-10-02,0530,A,65,6.0NRT,290,4,D\n";
    let summary = import_ok(&app, file).await;
    assert_eq!(summary["imported"], 3);
    assert_eq!(summary["events_created"], 2);
    let first = summary["event_ids"][0].as_str().unwrap();
    let event = app.get(&format!("/api/v1/fire-events/{first}")).await;
    event.assert_status(200);
    let event = event.json();
    assert_eq!(event["detections"].as_array().unwrap().len(), 2);
    assert_eq!(event["detections"][1]["satellite"], "aqua");
    assert_eq!(event["first_at"], "2020-10-02T02:55:00Z");
    assert_eq!(event["last_at"], "2020-10-02T05:30:00Z");
    // Dispatched once, as straw burning on the farmland district.
    let incident = app.get(&format!("/api/v1/incidents/{}", event["incident_id"].as_str().unwrap())).await;
    incident.assert_status(200);
    let incident = incident.json();
    assert_eq!(incident["category"], "straw_fire");
    assert_eq!(incident["source"], "satellite");
    assert_eq!(incident["cell_code"], "210122");

    // A later pass within 12 h joins the event instead of dispatching again.
    let later = b"latitude,longitude,acq_date,acq_time,satellite,confidence\n41.501,122.501,2020-10-02,1700,N,h\n";
    let summary = import_ok(&app, later).await;
    assert_eq!((summary["events_created"].as_u64(), summary["joined_existing"].as_u64()), (Some(0), Some(1)));
}

#[actix_web::test]
async fn fire_points_and_events_list_and_map_with_filters_pages_and_scope() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    let file = b"latitude,longitude,acq_date,acq_time,satellite,confidence,type\n\
41.500,122.500,2020-10-02,0255,T,60,0\n41.505,122.507,2020-10-02,0530,A,70,0\n\
43.000,123.500,2020-10-03,0255,N,h,0\n43.100,123.500,2020-10-03,0300,N,h,2\n";
    let summary = import_ok(&app, file).await;
    assert_eq!((summary["imported"].as_u64(), summary["events_created"].as_u64()), (Some(4), Some(2)));

    let points = app.get("/api/v1/fire-points?limit=3").await;
    points.assert_status(200);
    let points = points.json();
    let items = points["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["acquired_at"], "2020-10-03T03:00:00Z", "newest first");
    assert_eq!(items[0]["screened"], "static_land_source");
    assert!(items[0]["event_id"].is_null());
    let cursor = points["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("/api/v1/fire-points?limit=3&cursor={cursor}")).await.json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["acquired_at"], "2020-10-02T02:55:00Z");

    let count = |v: &Value| v["items"].as_array().unwrap().len();
    assert_eq!(count(&app.get("/api/v1/fire-points?screened=false").await.json()), 3);
    assert_eq!(count(&app.get("/api/v1/fire-points?satellite=N&confidence=h").await.json()), 2);
    assert_eq!(count(&app.get("/api/v1/fire-points?cell=210122").await.json()), 2);
    let october_3 = app.get("/api/v1/fire-points?from=2020-10-03&to=2020-10-04").await.json();
    assert_eq!(count(&october_3), 2, "local dates in the city's zone");

    let map = app.get("/api/v1/fire-points?f=geojson&screened=false").await;
    map.assert_status(200);
    assert_eq!(map.header("content-type"), Some("application/geo+json"));
    let map = map.json();
    assert_eq!(map["type"], "FeatureCollection");
    assert_eq!(map["numberReturned"], 3);
    assert_eq!(map["features"][0]["geometry"], json!({"type": "Point", "coordinates": [123.5, 43.0]}));

    let events = app.get("/api/v1/fire-events").await.json();
    assert_eq!(count(&events), 2);
    let merged = &events["items"][1];
    assert_eq!(merged["detections"].as_array().unwrap().len(), 2, "each event with its detections");
    assert_eq!(merged["cell_code"], "210122");
    assert_eq!(count(&app.get("/api/v1/fire-events?satellite=aqua").await.json()), 1);
    let id = merged["id"].as_str().unwrap();
    let body = json!({"finding": "nothing_found"});
    app.post_json(&format!("/api/v1/fire-events/{id}/verification"), &body).await.assert_status(200);
    let unverified = app.get("/api/v1/fire-events?finding=unverified").await.json();
    assert_eq!((count(&unverified), unverified["items"][0]["cell_code"].as_str()), (1, Some("210100")));
    assert_eq!(count(&app.get("/api/v1/fire-events?finding=nothing_found").await.json()), 1);
    let accept = app.request(Method::GET, "/api/v1/fire-events").insert_header(("Accept", "application/geo+json"));
    assert_eq!(app.send(accept).await.json()["features"][1]["id"], id);

    app.get("/api/v1/fire-events?finding=smoke").await.assert_problem(422, "validation");
    app.get("/api/v1/fire-points?from=yesterday").await.assert_problem(422, "validation");
    app.get("/api/v1/fire-points?f=kml").await.assert_problem(422, "validation");
    app.get("/api/v1/fire-points?confidence=sure").await.assert_problem(422, "validation");
    let farm_worker = app.account(Role::GridWorker, Some("210122")).await;
    let seen = app.get_as(&farm_worker, "/api/v1/fire-events").await.json();
    assert_eq!(count(&seen), 1, "scope applies to lists");
    let outside = app.get_as(&farm_worker, "/api/v1/fire-points?cell=210200").await;
    outside.assert_problem(422, "validation");
}

#[actix_web::test]
async fn static_land_sources_and_low_confidence_are_kept_but_not_dispatched() {
    let app = crate::helpers::spawn_app_with(|s| s.fire_min_confidence_percent = 30).await;
    shenyang_box(&app).await;
    let file = b"latitude,longitude,acq_date,acq_time,satellite,confidence,type\n\
43.0,123.5,2020-10-02,0255,T,80,2\n43.1,123.5,2020-10-02,0255,T,9,0\n43.2,123.5,2020-10-02,0255,T,80,0\n";
    let summary = import_ok(&app, file).await;
    assert_eq!(summary["imported"], 3);
    assert_eq!(summary["screened"], json!({"static_land_source": 1, "low_confidence": 1}));
    assert_eq!(summary["events_created"], 1);
}

#[actix_web::test]
async fn bad_files_answer_with_row_numbers_and_write_nothing() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    let page = import(&app, b"<!DOCTYPE html><html><body>Invalid MAP_KEY.</body></html>").await;
    page.assert_problem(422, "import-invalid-file");
    let missing = import(&app, b"latitude,longitude,acq_date\n41.5,122.5,2020-10-02\n").await;
    let problem = missing.assert_problem(422, "import-invalid-file");
    assert!(problem["detail"].as_str().unwrap().contains("satellite"));
    let bad = b"latitude,longitude,acq_date,acq_time,satellite,confidence\n\
41.5,122.5,2020-10-02,0255,T,50\n\
4x.5,122.5,2020-10-02,0255,T,50\n\
41.6,122.5,2099-10-02,0255,T,50\n";
    let problem = import(&app, bad).await.assert_problem(422, "import-invalid-rows");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["rows[3].latitude", "rows[4].acq_date"]);
    // Nothing was written: the good row imports now.
    let summary =
        import_ok(&app, &bad[..bad.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1).unwrap().0 + 1]).await;
    assert_eq!(summary["imported"], 1);
}

#[actix_web::test]
async fn the_ground_finding_is_recorded_once_within_the_24_hour_clock() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    let summary = import_ok(
        &app,
        b"latitude,longitude,acq_date,acq_time,satellite,confidence\n43.0,123.5,2020-10-02,0255,T,80\n",
    )
    .await;
    let id = summary["event_ids"][0].as_str().unwrap().to_owned();
    let event = app.get(&format!("/api/v1/fire-events/{id}")).await.json();
    let (created, due): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        (chrono::Utc::now(), event["verify_by"].as_str().unwrap().parse().unwrap());
    assert!((due - created - chrono::Duration::hours(24)).num_seconds().abs() < 60);
    assert_eq!(event["overdue"], false);

    let elsewhere = app.account(Role::GridWorker, Some("210200")).await;
    let path = format!("/api/v1/fire-events/{id}/verification");
    let body = json!({"finding": "burning_confirmed", "note": "玉米秸秆"});
    app.post_json_as(&elsewhere, &path, &body).await.assert_problem(404, "not-found");
    app.get_as(&elsewhere, &format!("/api/v1/fire-events/{id}")).await.assert_problem(404, "not-found");

    let worker = app.account(Role::GridWorker, Some("210100")).await;
    let verified = app.post_json_as(&worker, &path, &body).await;
    verified.assert_status(200);
    assert_eq!(verified.json()["finding"], "burning_confirmed");
    assert_eq!(verified.json()["overdue"], false);
    app.post_json_as(&worker, &path, &json!({"finding": "nothing_found"})).await.assert_problem(409, "conflict");
    let bad = app.post_json_as(&worker, &path, &json!({"finding": "maybe"})).await;
    assert_eq!(bad.status.as_u16(), 422);
}

#[actix_web::test]
async fn an_unverified_event_past_its_window_is_overdue() {
    let app = crate::helpers::spawn_app_with(|s| s.fire_verify_hours = 0).await;
    shenyang_box(&app).await;
    let summary = import_ok(
        &app,
        b"latitude,longitude,acq_date,acq_time,satellite,confidence\n43.0,123.5,2020-10-02,0255,T,80\n",
    )
    .await;
    let id = summary["event_ids"][0].as_str().unwrap();
    let event = app.get(&format!("/api/v1/fire-events/{id}")).await.json();
    assert_eq!(event["overdue"], true);
}

#[actix_web::test]
async fn stats_add_up() {
    let app = crate::helpers::spawn_app_with(|s| s.fire_min_confidence_percent = 30).await;
    shenyang_box(&app).await;
    for (_, body) in &FILES[..2] {
        import_ok(&app, body).await;
    }
    let all = app.get("/api/v1/stats/fire-points?from=2020-09-01&to=2020-11-30").await;
    all.assert_status(200);
    let all = all.json();
    assert_eq!(all["detections"], 44);
    let screened = all["screened"]["low_confidence"].as_u64().unwrap();
    assert!(screened > 0);
    let events = all["fire_events"].as_u64().unwrap();
    let per_day: u64 = all["per_day"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(per_day, events);
    assert!(events > 0 && events <= 44 - screened);

    // One burning confirmed, one false alarm.
    let summary = import_ok(&app, b"latitude,longitude,acq_date,acq_time,satellite,confidence\n43.0,123.9,2020-10-05,0255,T,80\n43.3,123.9,2020-10-05,0255,T,80\n").await;
    let ids: Vec<&str> = summary["event_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for (id, finding) in ids.iter().zip(["burning_confirmed", "nothing_found"]) {
        app.post_json(&format!("/api/v1/fire-events/{id}/verification"), &json!({"finding": finding}))
            .await
            .assert_status(200);
    }
    let day = app.get("/api/v1/stats/fire-points?from=2020-10-05&to=2020-10-05").await.json();
    assert_eq!(day["fire_events"], 2);
    assert_eq!(day["confirmed_burnings"], 1);
    assert_eq!(day["false_alarms"], json!({"nothing_found": 1}));
    assert_eq!(day["verified_within_deadline"], 2);
    // A subtree without them.
    let farmland = app.get("/api/v1/stats/fire-points?from=2020-10-05&to=2020-10-05&cell=210122").await.json();
    assert_eq!(farmland["fire_events"], 0);
    app.get("/api/v1/stats/fire-points?from=2020-10-05&to=2020-10-01").await.assert_problem(422, "validation");
}

#[actix_web::test]
async fn a_gbk_satellite_centre_list_with_chinese_headers_imports_and_other_media_types_are_refused() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    let (gbk, _, _) = encoding_rs::GBK.encode("经度,纬度,监测时间,卫星,置信度\n122.5,41.5,2020-10-02 10:55,FY-3D,80\n");
    let req =
        app.request(Method::POST, "/api/v1/fire-points/import?source=nsmc").insert_header(("Content-Type", "text/csv"));
    let res = app.send_body(req, gbk.into_owned()).await;
    res.assert_status(200);
    let summary = res.json();
    assert_eq!((summary["rows"].as_u64(), summary["imported"].as_u64()), (Some(1), Some(1)));

    let req =
        app.request(Method::POST, "/api/v1/fire-points/import").insert_header(("Content-Type", "application/json"));
    app.send_body(req, b"{}".to_vec()).await.assert_problem(415, "unsupported-media-type");
}

#[actix_web::test]
async fn fire_point_figures_stay_inside_the_callers_part_of_the_grid() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    // One event in the farmland district, one elsewhere in the city.
    import_ok(&app, b"latitude,longitude,acq_date,acq_time,satellite,confidence\n41.5,122.5,2020-10-05,0255,T,80\n43.3,123.9,2020-10-05,0255,T,80\n").await;
    let period = "/api/v1/stats/fire-points?from=2020-10-05&to=2020-10-05";
    assert_eq!(app.get(period).await.json()["fire_events"], 2);

    let district = app.account(Role::GridWorker, Some("210122")).await;
    // Asking for the city (an ancestor of its home) narrows to its own district.
    let city = app.get_as(&district, &format!("{period}&cell=210100")).await;
    city.assert_status(200);
    assert_eq!(city.json()["fire_events"], 1);
    assert_eq!(app.get_as(&district, period).await.json()["fire_events"], 1);

    // A caller of another city cannot name this one's cells.
    let elsewhere = app.account(Role::GridWorker, Some("210200")).await;
    app.get_as(&elsewhere, &format!("{period}&cell=210122")).await.assert_problem(422, "validation");
    assert_eq!(app.get_as(&elsewhere, period).await.json()["fire_events"], 0);
}

#[actix_web::test]
async fn the_command_line_imports_a_firms_file_and_names_what_is_wrong() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, body: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let (url, token) = (app.address.clone(), app.token.clone().unwrap());
        actix_web::web::block(move || {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_airgrid"))
                .args(["import", "fire-points"])
                .arg(&path)
                .args(["--url", &url])
                .env("AIRGRID_TOKEN", token)
                .output()
                .unwrap();
            let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
            (out.status.success(), text(out.stdout), text(out.stderr))
        })
    };
    let (ok, out, err) = run("modis.csv", FILES[0].1).await.unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("new (0 screened out), 0 already known"), "{out}");
    // Run again (after a dropped connection, say): the same file carries the same key and the first answer
    // comes back; nothing is imported twice.
    let (ok, again, _) = run("modis-again.csv", FILES[0].1).await.unwrap();
    assert!(ok && again.ends_with(out.split_once(": ").unwrap().1), "{again}");
    let points = app.get("/api/v1/fire-points?limit=100").await.json();
    assert_eq!(points["items"].as_array().unwrap().len(), 28);

    let (ok, _, err) =
        run("error.csv", b"<!DOCTYPE html><html><body>Service unavailable</body></html>\n").await.unwrap();
    assert!(!ok, "a FIRMS error page is refused");
    assert!(err.contains("HTML"), "the service's problem is printed: {err}");
}

#[actix_web::test]
async fn registered_heat_sources_screen_detections_until_retired_and_a_finding_can_add_one() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    let plant = json!({"name": "某热电厂", "kind": "power_plant", "lon": 123.5, "lat": 43.0, "radius_m": 800});
    let created = app.post_json("/api/v1/heat-sources", &plant).await;
    created.assert_status(201);
    let plant_id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json()["cell_code"], "210100");
    let square = json!({"type": "Polygon", "coordinates": [[[122.5, 41.5], [122.51, 41.5], [122.51, 41.51], [122.5, 41.51], [122.5, 41.5]]]});
    let works = json!({"name": "钢厂", "kind": "steelworks", "lon": 122.505, "lat": 41.505, "boundary": square, "radius_m": 200});
    app.post_json("/api/v1/heat-sources", &works).await.assert_status(201);

    // 500 m from the plant; inside the steelworks' outline; 150 m outside it; 3 km from anything.
    let file = b"latitude,longitude,acq_date,acq_time,satellite,confidence\n\
43.0045,123.5,2020-10-02,0255,T,80\n41.508,122.508,2020-10-02,0255,T,80\n41.5113,122.505,2020-10-02,0300,T,80\n\
42.5,123.0,2020-10-02,0255,T,80\n";
    let summary = import_ok(&app, file).await;
    assert_eq!(summary["screened"], json!({"heat_source": 3}));
    assert_eq!(summary["events_created"], 1);
    let screened = app.get("/api/v1/fire-points?screened=true").await.json();
    let by: Vec<&str> =
        screened["items"].as_array().unwrap().iter().map(|d| d["heat_source_id"].as_str().unwrap()).collect();
    assert_eq!(by.iter().filter(|&&h| h == plant_id).count(), 1, "each names the source that screened it: {by:?}");
    assert!(screened["items"].as_array().unwrap().iter().all(|d| d["screened"] == "heat_source"));

    let listed = app.get("/api/v1/heat-sources?kind=steelworks").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["boundary"]["type"], "Polygon");

    // Retired, the plant screens nothing any more.
    let req = app.request(Method::DELETE, &format!("/api/v1/heat-sources/{plant_id}"));
    app.send(req).await.assert_status(204);
    let req = app.request(Method::DELETE, &format!("/api/v1/heat-sources/{plant_id}"));
    app.send(req).await.assert_problem(404, "not-found");
    let later = b"latitude,longitude,acq_date,acq_time,satellite,confidence\n43.0045,123.5,2020-10-05,0255,T,80\n";
    assert_eq!(import_ok(&app, later).await["events_created"], 1);

    // A ground finding of a heat source adds it to the register at the event's place.
    let event = app.get("/api/v1/fire-events?finding=unverified").await.json()["items"][0].clone();
    let id = event["id"].as_str().unwrap();
    let wrong = json!({"finding": "nothing_found", "register": {"name": "x", "kind": "kiln"}});
    let refused = app.post_json(&format!("/api/v1/fire-events/{id}/verification"), &wrong).await;
    assert_eq!(refused.assert_problem(422, "validation")["errors"][0]["field"], "register");
    let finding =
        json!({"finding": "industrial_heat_source", "register": {"name": "砖窑", "kind": "kiln", "radius_m": 300}});
    let worker = app.account(Role::GridWorker, Some("210100")).await;
    let res = app.post_json_as(&worker, &format!("/api/v1/fire-events/{id}/verification"), &finding).await;
    res.assert_problem(403, "forbidden");
    app.post_json(&format!("/api/v1/fire-events/{id}/verification"), &finding).await.assert_status(200);
    let kilns = app.get("/api/v1/heat-sources?kind=kiln").await.json();
    assert_eq!(kilns["items"][0]["fire_event_id"], id);
    assert_eq!(
        (kilns["items"][0]["lon"].as_f64(), kilns["items"][0]["lat"].as_f64()),
        (event["lon"].as_f64(), event["lat"].as_f64())
    );

    // Command platforms learn of all of it from the change feed: one event per import, not per point.
    let types = "fire_points.imported,fire.event_verified,heat_source.registered,heat_source.retired";
    let (events, _) = app.read_feed(None, &format!("&types={types}")).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "heat_source.registered",
            "heat_source.registered",
            "fire_points.imported",
            "heat_source.retired",
            "fire_points.imported",
            "heat_source.registered",
            "fire.event_verified"
        ]
    );
    assert_eq!(events[2]["data"]["screened"], 3);
    assert_eq!(events[6]["data"]["finding"], "industrial_heat_source");
}

#[actix_web::test]
async fn the_heat_source_register_is_kept_by_fire_managers_in_their_part_of_the_grid() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    let in_farmland = json!({"name": "砖厂", "kind": "kiln", "lon": 122.5, "lat": 41.5});
    let supervisor = app.account(Role::Supervisor, Some("210122")).await;
    let res = app.post_json_as(&supervisor, "/api/v1/heat-sources", &in_farmland).await;
    res.assert_problem(403, "forbidden");
    let req = app
        .request_as(&supervisor, Method::POST, "/api/v1/fire-points/import")
        .insert_header(("Content-Type", "text/csv"));
    app.send_body(req, FILES[0].1.to_vec()).await.assert_problem(403, "forbidden");

    let commander = app.account(Role::Commander, Some("210122")).await;
    app.post_json_as(&commander, "/api/v1/heat-sources", &in_farmland).await.assert_status(201);
    let elsewhere = json!({"name": "电厂", "kind": "power_plant", "lon": 123.5, "lat": 43.0});
    app.post_json_as(&commander, "/api/v1/heat-sources", &elsewhere).await.assert_problem(403, "forbidden");
    let created = app.post_json("/api/v1/heat-sources", &elsewhere).await.json();
    let req = app.request_as(
        &commander,
        Method::DELETE,
        &format!("/api/v1/heat-sources/{}", created["id"].as_str().unwrap()),
    );
    app.send(req).await.assert_problem(403, "forbidden");

    // An outline must stay in the commander's district, with the position on it.
    let reaching = json!({"name": "窑", "kind": "kiln", "lon": 122.5, "lat": 41.5, "radius_m": 100,
        "boundary": {"type": "Polygon", "coordinates": [[[122.49, 41.49], [123.5, 41.49], [123.5, 41.51], [122.49, 41.51], [122.49, 41.49]]]}});
    app.post_json_as(&commander, "/api/v1/heat-sources", &reaching).await.assert_problem(403, "forbidden");
    let apart = json!({"name": "窑", "kind": "kiln", "lon": 122.9, "lat": 41.9, "radius_m": 100,
        "boundary": {"type": "Polygon", "coordinates": [[[122.49, 41.49], [122.51, 41.49], [122.51, 41.51], [122.49, 41.51], [122.49, 41.49]]]}});
    let res = app.post_json_as(&commander, "/api/v1/heat-sources", &apart).await;
    assert_eq!(res.assert_problem(422, "validation")["errors"][0]["field"], "lon");
    app.get("/api/v1/heat-sources?kind=volcano").await.assert_problem(422, "validation");

    let viewer = app.account(Role::Viewer, Some("210122")).await;
    let seen = app.get_as(&viewer, "/api/v1/heat-sources").await.json();
    assert_eq!(seen["items"].as_array().unwrap().len(), 1, "the city's plant lies outside the district");

    for (body, field) in [
        (json!({"name": "x", "kind": "kiln", "lon": 122.5, "lat": 41.5, "radius_m": 6000}), "radius_m"),
        (json!({"name": " ", "kind": "kiln", "lon": 122.5, "lat": 41.5}), "name"),
        (json!({"name": "x", "kind": "kiln", "lon": 100.0, "lat": 30.0}), "lon"),
        (
            json!({"name": "x", "kind": "kiln", "lon": 122.5, "lat": 41.5,
                "boundary": {"type": "Polygon", "coordinates": [[[122.5, 41.5], [122.51, 41.5], [122.5, 41.5]]]}}),
            "boundary",
        ),
    ] {
        let res = app.post_json("/api/v1/heat-sources", &body).await;
        assert_eq!(res.assert_problem(422, "validation")["errors"][0]["field"], field, "{body}");
    }
    let res = app
        .post_json("/api/v1/heat-sources", &json!({"name": "x", "kind": "volcano", "lon": 122.5, "lat": 41.5}))
        .await;
    res.assert_problem(422, "validation");
}

#[actix_web::test]
async fn under_special_control_a_fire_event_is_checked_within_the_levels_deadline() {
    let app = spawn_app().await;
    shenyang_box(&app).await;
    let start = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let body = json!({"title": "秸秆禁烧特别管控", "reason": "秋收季节", "level": "orange", "cells": ["210122"],
                      "forecast": {"source": "监测站", "days": []}, "planned_start": start});
    let created = app.post_json("/api/v1/controls", &body).await;
    created.assert_status(201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let req = app
        .request(Method::POST, &format!("/api/v1/controls/{id}/transitions"))
        .insert_header(("If-Match", "\"1\""))
        .insert_header(("Content-Type", "application/json"));
    app.send_body(req, br#"{"action": "start"}"#.to_vec()).await.assert_status(200);

    // Farmland under orange control: 2 h instead of 24 h; elsewhere in the city the usual 24 h.
    let summary = import_ok(
        &app,
        b"latitude,longitude,acq_date,acq_time,satellite,confidence\n41.5,122.5,2020-10-02,0255,T,80\n43.0,123.5,2020-10-02,0255,T,80\n",
    )
    .await;
    let mut windows = Vec::new();
    for event in summary["event_ids"].as_array().unwrap() {
        let event = app.get(&format!("/api/v1/fire-events/{}", event.as_str().unwrap())).await.json();
        let due: chrono::DateTime<chrono::Utc> = event["verify_by"].as_str().unwrap().parse().unwrap();
        windows.push(((due - chrono::Utc::now()).num_minutes() + 1) / 60);
    }
    windows.sort();
    assert_eq!(windows, [2, 24]);
}
