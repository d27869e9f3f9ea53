//! Vehicle inspections: server-side judgement, idempotent import with history, per-row errors, the pass rate
//! and scope by role.

use actix_web::http::Method;
use airgrid::domain::access::Role;
use serde_json::{Value, json};

use crate::grid_support::two_districts;
use airgrid::db::AnyConnection;
use diesel::RunQueryDsl;

use crate::helpers::{TestApp, TestResponse, spawn_app, spawn_app_with};

const HEADER: &str = "record_id,station,inspected_at,plate,plate_colour,vin,stage,method,limit_class,opacity_k,nox_ppm,ringelmann,opacity_pct,no_ppm,obd_fault_codes,obd_ready,result,cell";
/// A VIN whose check digit (the ninth character, `X`) is right.
const VIN: &str = "1M8GDM9AXKP042788";

async fn import_as(app: &TestApp, token: Option<&str>, source: &str, csv: &str) -> TestResponse {
    let path = format!("/api/v1/vehicle-inspections/import?source={source}");
    let req = match token {
        Some(token) => app.request_as(token, Method::POST, &path),
        None => app.request(Method::POST, &path),
    };
    app.send_body(req.insert_header(("Content-Type", "text/csv")), csv.as_bytes().to_vec()).await
}

async fn import_ok(app: &TestApp, csv: &str) -> Value {
    let res = import_as(app, None, "stations", csv).await;
    res.assert_status(200);
    res.json()
}

fn file(rows: &[&str]) -> String {
    std::iter::once(HEADER).chain(rows.iter().copied()).collect::<Vec<_>>().join("\n") + "\n"
}

/// The records of a list answer by record id.
async fn by_record(app: &TestApp, query: &str) -> std::collections::HashMap<String, Value> {
    let res = app.get(&format!("/api/v1/vehicle-inspections?limit=1000&{query}")).await;
    res.assert_status(200);
    let items = res.json()["items"].as_array().unwrap().clone();
    items.into_iter().map(|i| (i["record_id"].as_str().unwrap().to_owned(), i)).collect()
}

#[actix_web::test]
async fn each_method_is_judged_at_and_around_its_limits_and_disagreements_are_flagged() {
    let app = spawn_app().await;
    two_districts(&app).await;
    let t = "2026-06-01 09:30:00";
    let rows = [
        format!("fa-at,S1,{t},辽A10001,黄,{VIN},国五,自由加速,a,1.2,,,,,,,合格,210102"),
        format!("fa-over,S1,{t},辽A10002,黄,,国五,free_acceleration,a,1.21,,,,,,,合格,210102"),
        format!("fa-b-at,S1,{t},辽A10003,黄,,国五,5,b,0.7,,,,,,,,210102"),
        format!("fa-b-over,S1,{t},辽A10004,黄,,国五,5,b,0.71,,,,,,,,210102"),
        format!("ld-at,S1,{t},辽A10005,黄,,国四,加载减速法,a,1.2,1500,,,,,,,210102"),
        format!("ld-nox,S1,{t},辽A10006,黄,,国四,4,a,1.0,1501,,,,,,,210102"),
        format!("rg-at,S1,{t},辽A10007,黄,,国三,林格曼黑度法,a,,,1,,,,,,210102"),
        format!("rg-over,S1,{t},辽A10008,黄,,国三,ringelmann,a,,,2,,,,,,210102"),
        format!("rs-at,S1,{t},辽A10009,黄,,国五,遥感检测,a,,,,30,1500,,,,210102"),
        format!("rs-over,S1,{t},辽A10010,黄,,国五,remote_sensing,a,,,,30.1,100,,,,210102"),
        format!("obd-ok,S1,{t},辽A10011,黄,,国六b,OBD检查,a,,,,,,,1,,210102"),
        format!("obd-codes,S1,{t},辽A10012,黄,,国六b,obd,a,,,,,,P0420;P0300,1,,210102"),
        format!("missing,S1,{t},辽A10013,黄,,国五,自由加速,a,,,,,,,,,210102"),
        format!("aborted,S1,{t},辽A10014,黄,,国五,自由加速,a,,,,,,,,中止,210102"),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let summary = import_ok(&app, &file(&rows)).await;
    assert_eq!(summary["created"], 14);
    assert_eq!(summary["disagreements"], 1, "fa-over was sent as passed");
    let records = by_record(&app, "").await;
    let result = |id: &str| records[id]["result"].as_str().unwrap().to_owned();
    for (id, expected) in [
        ("fa-at", "pass"),
        ("fa-over", "fail"),
        ("fa-b-at", "pass"),
        ("fa-b-over", "fail"),
        ("ld-at", "pass"),
        ("ld-nox", "fail"),
        ("rg-at", "pass"),
        ("rg-over", "fail"),
        ("rs-at", "pass"),
        ("rs-over", "fail"),
        ("obd-ok", "pass"),
        ("obd-codes", "fail"),
        ("missing", "invalid"),
        ("aborted", "aborted"),
    ] {
        assert_eq!(result(id), expected, "{id}");
    }
    let over = &records["fa-over"];
    assert_eq!((over["submitted_result"].as_str(), over["disagrees"].as_bool()), (Some("pass"), Some(true)));
    assert_eq!(over["items"], json!([{"quantity": "opacity_k", "value": 1.21, "limit": 1.2, "result": "fail"}]));
    assert_eq!(records["fa-b-at"]["items"][0]["limit"], 0.7);
    assert_eq!(
        records["ld-nox"]["items"][1],
        json!({"quantity": "nox_ppm", "value": 1501.0, "limit": 1500.0, "result": "fail"})
    );
    assert_eq!(records["fa-at"]["vin_check_digit_ok"], true);
    assert_eq!(records["fa-at"]["stage"], "china_5");
    assert_eq!(records["fa-at"]["plate_colour"], "yellow");
    assert_eq!(records["obd-codes"]["measurements"]["obd_fault_codes"], json!(["P0420", "P0300"]));
}

#[actix_web::test]
async fn a_file_sent_again_changes_nothing_and_a_corrected_row_keeps_its_history() {
    let app = spawn_app().await;
    two_districts(&app).await;
    let first = file(&[
        "JC1,沈阳一站,2026-06-01 09:30:00,辽A12345,黄,,国五,自由加速,a,1.5,,,,,,,不合格,210102",
        "JC2,沈阳一站,2026-06-01 10:30:00,辽A12346,黄,,国五,自由加速,a,0.5,,,,,,,合格,210102",
    ]);
    let summary = import_ok(&app, &first).await;
    assert_eq!((summary["created"].as_u64(), summary["unchanged"].as_u64()), (Some(2), Some(0)));
    let again = import_ok(&app, &first).await;
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(0), Some(2))
    );

    // The station corrects JC1 (a mis-keyed value); the same record id under another source is another record.
    let corrected = file(&["JC1,沈阳一站,2026-06-01 09:30:00,辽A12345,黄,,国五,自由加速,a,0.9,,,,,,,合格,210102"]);
    let summary = import_ok(&app, &corrected).await;
    assert_eq!((summary["updated"].as_u64(), summary["unchanged"].as_u64()), (Some(1), Some(0)));
    let elsewhere = import_as(&app, None, "remote-sensing", &corrected).await;
    assert_eq!(elsewhere.json()["created"], 1);

    let records = by_record(&app, "plate=%E8%BE%BDA12345").await;
    assert_eq!(records.len(), 1, "one record per source: {records:?}");
    let id = records["JC1"]["id"].as_str().unwrap().to_owned();
    let detail = app.get(&format!("/api/v1/vehicle-inspections/{id}")).await;
    detail.assert_status(200);
    let detail = detail.json();
    assert_eq!((detail["version"].as_i64(), detail["result"].as_str()), (Some(2), Some("pass")));
    assert_eq!(detail["history"].as_array().unwrap().len(), 1);
    assert_eq!(detail["history"][0]["version"], 1);
    assert_eq!(detail["history"][0]["record"]["result"], "fail");
    assert_eq!(detail["history"][0]["record"]["measurements"]["opacity_k"], 1.5);
    let total = app.get("/api/v1/vehicle-inspections?limit=10").await.json()["items"].as_array().unwrap().len();
    assert_eq!(total, 3);
}

#[actix_web::test]
async fn every_bad_row_is_named_by_line_and_column_and_nothing_is_written() {
    let app = spawn_app().await;
    two_districts(&app).await;
    let bad = file(&[
        "B1,S1,2026-06-01 09:30:00,京A1234,黄,,国五,自由加速,a,0.5,,,,,,,,210102",
        "B2,S1,2026-06-01 09:30:00,辽A12345,黄,1M8GDM9AIKP042788,国五,自由加速,a,0.5,,,,,,,,210102",
        "B3,S1,2026-06-01 09:30:00,辽A12345,黄,,国五,目测,a,0.5,,,,,,,,210102",
        "B4,S1,2026-06-01 09:30:00,辽A12345,黄,,国七,自由加速,a,0.5,,,,,,,,210102",
        "B5,S1,2026-06-01 09:30:00,辽A12345,黄,,国五,自由加速,a,-0.1,,,,,,,,210102",
        "B6,S1,2099-06-01 09:30:00,辽A12345,黄,,国五,自由加速,a,0.5,,,,,,,,210102",
        "B6,S1,2026-06-01 09:30:00,辽A12345,黄,,国五,自由加速,a,0.5,,,,,,,,210102",
        "B8,S1,2026-06-01 09:30:00,辽A12345,黄,,国五,自由加速,a,0.5,,,,,,,,999999",
        "B9,S1,2026-06-01 09:30:00,辽A12345,黄,1M8GDM9A1KP042788,国五,自由加速,a,0.5,,,,,,,,210102",
    ]);
    let res = import_as(&app, None, "stations", &bad).await;
    let problem = res.assert_problem(422, "import-invalid-rows");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "rows[2].plate",
            "rows[3].vin",
            "rows[4].method",
            "rows[5].stage",
            "rows[6].opacity_k",
            "rows[7].inspected_at",
            "rows[9].cell",
        ],
        "{problem}"
    );
    assert_eq!(by_record(&app, "").await.len(), 0, "nothing written");

    // Without the bad rows the file goes in; a wrong check digit is flagged, not refused; `B6` now appears
    // twice, which is named.
    let twice = file(&[
        "B6,S1,2026-06-01 09:30:00,辽A12345,黄,,国五,自由加速,a,0.5,,,,,,,,210102",
        "B6,S1,2026-06-01 09:31:00,辽A12345,黄,,国五,自由加速,a,0.5,,,,,,,,210102",
    ]);
    let problem = import_as(&app, None, "stations", &twice).await.assert_problem(422, "import-invalid-rows");
    assert_eq!(problem["errors"][0]["field"], "rows[3].record_id");
    let good =
        file(&["B9,S1,2026-06-01 09:30:00,辽AD12345,渐变绿,1M8GDM9A1KP042788,国六b,自由加速,a,0.5,,,,,,,,210102"]);
    import_ok(&app, &good).await;
    assert_eq!(by_record(&app, "").await["B9"]["vin_check_digit_ok"], false);

    // A GBK export with the station software's Chinese headers.
    let text = "流水号,检测时间,号牌号码,号牌颜色,排放阶段,检测方法,光吸收系数,检测结果,网格\nG1,2026/6/1 9:30,辽A54321,黄色,国四,自由加速法,0.8,合格,210103\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let req = app.request(Method::POST, "/api/v1/vehicle-inspections/import?source=stations");
    let res = app.send_body(req.insert_header(("Content-Type", "text/csv")), gbk.into_owned()).await;
    res.assert_status(200);
    let record = &by_record(&app, "cell=210103").await["G1"];
    assert_eq!((record["plate"].as_str(), record["result"].as_str()), (Some("辽A54321"), Some("pass")));
    assert_eq!(record["inspected_at"], "2026-06-01T01:30:00Z", "a time without a zone is Beijing time");

    let missing = import_as(&app, None, "stations", "record_id,plate\nX,辽A12345\n").await;
    missing.assert_problem(422, "import-invalid-file");
    import_as(&app, None, "Bad_Source", &good).await.assert_problem(422, "validation");
}

#[actix_web::test]
async fn the_pass_rate_of_a_constructed_year_of_100_000_results_is_97_72_percent_with_retests() {
    let app = spawn_app().await;
    two_districts(&app).await;
    let mut rows = Vec::new();
    for i in 0..100_000 {
        let (value, cell) = if i < 2_280 { (1.5, "210103") } else { (0.5, "210102") };
        let day = 1 + i % 28;
        rows.push(format!(
            "Y{i},S{},2026-03-{day:02} 10:00:00,辽A{i:05},黄,,国五,自由加速,a,{value},,,,,,,,{cell}",
            i % 3
        ));
    }
    // 100 of the failed vehicles come back in April; 90 pass. Those retests are in the second period only.
    for i in 0..100 {
        let value = if i < 90 { 0.5 } else { 1.4 };
        rows.push(format!("R{i},S0,2026-04-10 10:00:00,辽A{i:05},黄,,国五,自由加速,a,{value},,,,,,,,210103"));
    }
    // As a station network sends a year: several files.
    for part in rows.chunks(25_025) {
        import_ok(&app, &file(&part.iter().map(String::as_str).collect::<Vec<_>>())).await;
    }

    let march = app.get("/api/v1/stats/vehicle-inspections?from=2026-03-01&to=2026-03-31").await;
    march.assert_status(200);
    let march = march.json();
    assert_eq!((march["tested"].as_u64(), march["passed"].as_u64()), (Some(100_000), Some(97_720)));
    assert_eq!(march["pass_rate"], 97.72);
    assert_eq!((march["target"].as_f64(), march["meets_target"].as_bool()), (Some(90.0), Some(true)));
    assert_eq!(march["by_method"]["free_acceleration"]["pass_rate"], 97.72);
    assert_eq!(march["failed_vehicles"], 2_280);
    assert_eq!(march["retested"], 0);

    let spring = app.get("/api/v1/stats/vehicle-inspections?from=2026-03-01&to=2026-04-30").await.json();
    assert_eq!((spring["retested"].as_u64(), spring["retest_passed"].as_u64()), (Some(100), Some(90)));
    assert_eq!(spring["retest_pass_rate"], 90.0);
    let east = app.get("/api/v1/stats/vehicle-inspections?from=2026-03-01&to=2026-03-31&cell=210103").await.json();
    assert_eq!((east["tested"].as_u64(), east["pass_rate"].as_f64()), (Some(2_280), Some(0.0)));
    assert_eq!(east["meets_target"], false);

    let bad = app.get("/api/v1/stats/vehicle-inspections?from=2026-03-31&to=2026-03-01").await;
    bad.assert_problem(422, "validation");
    let page = app.get("/api/v1/vehicle-inspections?limit=3&plate=%E8%BE%BDA00001").await.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "the vehicle's history: its test and its retest");
    assert_eq!(page["items"][0]["record_id"], "R1", "newest first");
}

#[actix_web::test]
async fn inspectors_and_importers_write_others_read_in_scope() {
    let app = spawn_app().await;
    two_districts(&app).await;
    let west = file(&["W1,S1,2026-06-01 09:30:00,辽A12345,黄,,国五,自由加速,a,0.5,,,,,,,,210102"]);
    let east = file(&["E1,S1,2026-06-01 09:30:00,辽A12346,黄,,国五,自由加速,a,0.5,,,,,,,,210103"]);

    let viewer = app.account(Role::Viewer, Some("210100")).await;
    import_as(&app, Some(&viewer), "stations", &west).await.assert_problem(403, "forbidden");
    let inspector = app.account(Role::Inspector, Some("210102")).await;
    import_as(&app, Some(&inspector), "stations", &west).await.assert_status(200);
    let outside = import_as(&app, Some(&inspector), "stations", &east).await;
    assert_eq!(outside.assert_problem(422, "import-invalid-rows")["errors"][0]["field"], "rows[2].cell");

    let body = json!({"username": "rs-platform", "display_name": "遥感平台", "role": "integration", "home_cell": "210100", "scopes": ["vehicles:import", "vehicles:read"]});
    let secret = app.post_json("/api/v1/accounts", &body).await.json()["client_secret"].as_str().unwrap().to_owned();
    let req = app.anonymous(Method::POST, "/api/v1/auth/token").content_type("application/json");
    let res = app.send_body(req, json!({"client_id": "rs-platform", "client_secret": secret}).to_string()).await;
    let platform = res.json()["access_token"].as_str().unwrap().to_owned();
    import_as(&app, Some(&platform), "remote-sensing", &east).await.assert_status(200);

    let west_viewer = app.account(Role::Viewer, Some("210102")).await;
    let seen = app.get_as(&west_viewer, "/api/v1/vehicle-inspections").await.json();
    let seen: Vec<&str> = seen["items"].as_array().unwrap().iter().map(|i| i["record_id"].as_str().unwrap()).collect();
    assert_eq!(seen, ["W1"]);
    let all = by_record(&app, "").await;
    let east_id = all["E1"]["id"].as_str().unwrap();
    app.get_as(&west_viewer, &format!("/api/v1/vehicle-inspections/{east_id}")).await.assert_problem(404, "not-found");
    app.get_as(&viewer, &format!("/api/v1/vehicle-inspections/{east_id}")).await.assert_status(200);
    let figures = app.get_as(&west_viewer, "/api/v1/stats/vehicle-inspections?from=2026-06-01&to=2026-06-30").await;
    assert_eq!(figures.json()["tested"], 1);
    let worker = app.account(Role::GridWorker, Some("210102")).await;
    app.get_as(&worker, "/api/v1/vehicle-inspections").await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn records_export_as_csv_in_pages_with_the_list_filters_and_scope() {
    let app = spawn_app().await;
    two_districts(&app).await;
    import_ok(&app, &rows(1_203)).await;
    let east = file(&[
        "E1,\"站,东\",2026-06-01 09:30:00,使014578,黑,,国五,遥感检测,a,,,,31,100,,,不合格,210103",
        "E2,S1,2026-06-02 09:30:00,辽A12346,黄,,国六b,OBD检查,a,,,,,,P0420;P0300,1,,210103",
    ]);
    import_ok(&app, &east).await;

    let res = app.get("/api/v1/vehicle-inspections/export.csv?bom=true").await;
    res.assert_status(200);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(res.body.starts_with(b"\xEF\xBB\xBFid,source,record_id,station,inspected_at,plate"));
    let mut reader = csv::Reader::from_reader(&res.body[3..]);
    let header = reader.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1_205, "every page, past the first");
    let ids: std::collections::HashSet<&str> = records.iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), 1_205, "no record twice across pages");
    let column = |r: &csv::StringRecord, name: &str| r[header.iter().position(|h| h == name).unwrap()].to_owned();
    let e2 = &records[0];
    assert_eq!(
        (column(e2, "record_id"), column(e2, "inspected_at")),
        ("E2".into(), "2026-06-02T09:30:00+08:00".into())
    );
    assert_eq!((column(e2, "obd_fault_codes"), column(e2, "obd_ready")), ("P0420;P0300".into(), "true".into()));
    let e1 = &records[1];
    assert_eq!((column(e1, "station"), column(e1, "plate")), ("站,东".into(), "使014578".into()));
    assert_eq!(
        (column(e1, "opacity_pct"), column(e1, "result"), column(e1, "disagrees")),
        ("31.0".into(), "fail".into(), "false".into())
    );

    let filtered = app.get("/api/v1/vehicle-inspections/export.csv?method=remote_sensing&cell=210103").await;
    assert_eq!(csv::Reader::from_reader(&filtered.body[..]).records().count(), 1);
    app.get("/api/v1/vehicle-inspections/export.csv?method=smell").await.assert_problem(422, "validation");
    let west_viewer = app.account(Role::Viewer, Some("210102")).await;
    let seen = app.get_as(&west_viewer, "/api/v1/vehicle-inspections/export.csv").await;
    assert_eq!(csv::Reader::from_reader(&seen.body[..]).records().count(), 1_203, "scope applies to exports");
    let outside = app.get_as(&west_viewer, "/api/v1/vehicle-inspections/export.csv?cell=210103").await;
    outside.assert_problem(422, "validation");
}

#[actix_web::test]
async fn a_configured_limit_table_replaces_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let limits = dir.path().join("limits.json");
    let entries = json!([
        {"method": "free_acceleration", "quantity": "opacity_k", "class": "a", "limit": 1.0},
        {"method": "free_acceleration", "quantity": "opacity_k", "stage": "china_6b", "class": "a", "limit": 0.5},
    ]);
    std::fs::write(&limits, entries.to_string()).unwrap();
    let app = spawn_app_with(|s| s.vehicle_limits_file = Some(limits.clone())).await;
    two_districts(&app).await;
    let t = "2026-06-01 09:30:00";
    let rows = [
        format!("at,S1,{t},辽A10001,黄,,国五,自由加速,a,1.0,,,,,,,,210102"),
        format!("over,S1,{t},辽A10002,黄,,国五,自由加速,a,1.1,,,,,,,,210102"),
        format!("stage,S1,{t},辽A10003,黄,,国六b,自由加速,a,0.6,,,,,,,,210102"),
    ];
    import_ok(&app, &file(&rows.iter().map(String::as_str).collect::<Vec<_>>())).await;
    let records = by_record(&app, "").await;
    assert_eq!(records["at"]["result"], "pass");
    assert_eq!(records["over"]["items"][0]["limit"], 1.0);
    assert_eq!(records["over"]["result"], "fail", "1.1 passes the built-in 1.2 but not the configured 1.0");
    assert_eq!(
        (records["stage"]["items"][0]["limit"].as_f64(), records["stage"]["result"].as_str()),
        (Some(0.5), Some("fail"))
    );

    std::fs::write(&limits, r#"[{"method": "free_acceleration", "quantity": "nox_ppm", "class": "a", "limit": 1}]"#)
        .unwrap();
    let settings = airgrid::config::Settings { vehicle_limits_file: Some(limits), ..Default::default() };
    let refused = airgrid::vehicles::VehiclePolicy::from_settings(&settings).unwrap_err().to_string();
    assert!(refused.contains("entry 1"), "a quantity the method does not measure stops start-up: {refused}");
}

/// `count` good rows in the west district, record ids `J0…`.
fn rows(count: usize) -> String {
    let rows: Vec<String> = (0..count)
        .map(|i| format!("J{i},S1,2026-05-{:02} 10:00:00,辽B{i:05},黄,,国五,自由加速,a,0.5,,,,,,,,210102", 1 + i % 28))
        .collect();
    file(&rows.iter().map(String::as_str).collect::<Vec<_>>())
}

async fn queue(app: &TestApp, csv: &str) -> Value {
    let req = app
        .request(Method::POST, "/api/v1/vehicle-inspections/import?source=stations")
        .insert_header(("Content-Type", "text/csv"))
        .insert_header(("Prefer", "respond-async"));
    let res = app.send_body(req, csv.as_bytes().to_vec()).await;
    res.assert_status(202);
    let job = res.json();
    assert_eq!(res.headers.get("location").unwrap(), &format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()));
    assert_eq!(job["status"], "queued");
    job
}

async fn job(app: &TestApp, job: &Value) -> Value {
    let res = app.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap())).await;
    res.assert_status(200);
    res.json()
}

async fn tested(app: &TestApp) -> u64 {
    let figures = app.get("/api/v1/stats/vehicle-inspections?from=2026-05-01&to=2026-05-31").await.json();
    figures["tested"].as_u64().unwrap()
}

#[actix_web::test]
async fn a_job_cut_off_mid_way_is_taken_over_and_finishes_with_exact_counts() {
    let app = spawn_app_with(|s| s.jobs_enabled = false).await;
    two_districts(&app).await;
    let queued = queue(&app, &rows(5_000)).await;

    // One instance writes two chunks of 1,000 and dies holding the lease.
    let mut first = app.worker();
    first.chunk_rows = 1_000;
    assert!(first.step(Some(2)).await.unwrap());
    let running = job(&app, &queued).await;
    assert_eq!((running["status"].as_str(), running["rows_done"].as_i64()), (Some("running"), Some(2_000)));
    assert_eq!(running["rows_total"], 5_000);
    assert_eq!(tested(&app).await, 2_000, "each chunk committed with the checkpoint");

    // Another instance leaves it alone while the lease holds, and takes it over once it ran out.
    let mut second = app.worker();
    second.chunk_rows = 1_000;
    assert!(!second.step(None).await.unwrap(), "the lease still holds");
    let mut conn = AnyConnection::open(&app.database_url).unwrap();
    diesel::sql_query("UPDATE jobs SET lease_until = created_at").execute(&mut conn).unwrap();
    assert!(second.step(None).await.unwrap());

    let done = job(&app, &queued).await;
    assert_eq!(
        (done["status"].as_str(), done["rows_done"].as_i64(), done["attempts"].as_i64()),
        (Some("succeeded"), Some(5_000), Some(2))
    );
    let summary = &done["summary"];
    assert_eq!(
        (summary["rows"].as_u64(), summary["created"].as_u64(), summary["unchanged"].as_u64()),
        (Some(5_000), Some(5_000), Some(0))
    );
    assert_eq!(tested(&app).await, 5_000, "no row lost, none twice");
    assert!(!second.step(None).await.unwrap(), "nothing left to do");

    // The same file again, queued: every row unchanged.
    let again = queue(&app, &rows(5_000)).await;
    assert!(second.step(None).await.unwrap());
    let again = job(&app, &again).await;
    assert_eq!((again["summary"]["unchanged"].as_u64(), again["summary"]["created"].as_u64()), (Some(5_000), Some(0)));
}

#[actix_web::test]
async fn a_queued_file_with_a_bad_row_fails_with_the_report_and_writes_nothing() {
    let app = spawn_app_with(|s| s.jobs_enabled = false).await;
    two_districts(&app).await;
    let mut csv = rows(3_000);
    csv.push_str("J9999,S1,2026-05-01 10:00:00,not-a-plate,黄,,国五,自由加速,a,0.5,,,,,,,,210102\n");
    let queued = queue(&app, &csv).await;
    let mut worker = app.worker();
    worker.chunk_rows = 500;
    assert!(worker.step(None).await.unwrap());
    let failed = job(&app, &queued).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["problem"]["type"], "/problems/import-invalid-rows");
    assert_eq!(failed["problem"]["errors"][0]["field"], "rows[3002].plate");
    assert_eq!(tested(&app).await, 0);

    let other = app.account(Role::Inspector, Some("210102")).await;
    let path = format!("/api/v1/jobs/{}", queued["id"].as_str().unwrap());
    app.get_as(&other, &path).await.assert_problem(404, "not-found");
}

#[actix_web::test]
async fn files_past_the_size_limit_are_queued() {
    let app = spawn_app_with(|s| {
        s.vehicle_import_sync_max_bytes = 10_000;
        s.jobs_enabled = false;
    })
    .await;
    two_districts(&app).await;
    let small = import_as(&app, None, "stations", &rows(10)).await;
    small.assert_status(200);
    let large = import_as(&app, None, "stations", &rows(1_000)).await;
    large.assert_status(202);
    let queued = large.json();
    assert_eq!(tested(&app).await, 10, "nothing of the large file yet");
    assert!(app.worker().step(None).await.unwrap());
    let done = job(&app, &queued).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["summary"]["unchanged"], 10, "the small file's rows are the large one's first ten");
    assert_eq!(tested(&app).await, 1_000);
}

/// Runs `airgrid import vehicle-inspections` against `app`; its exit status, standard output and error.
async fn cli_import(app: &TestApp, csv: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inspections.csv");
    std::fs::write(&path, csv).unwrap();
    let (url, token) = (app.address.clone(), app.token.clone().unwrap());
    let out = actix_web::web::block(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_airgrid"))
            .args(["import", "vehicle-inspections"])
            .arg(&path)
            .args(["--url", &url, "--source", "stations"])
            .env("AIRGRID_TOKEN", token)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[actix_web::test]
async fn the_command_line_imports_follows_a_job_and_names_bad_rows() {
    let app = spawn_app_with(|s| {
        s.vehicle_import_sync_max_bytes = 10_000;
        s.job_poll_ms = 20;
    })
    .await;
    two_districts(&app).await;
    let (ok, out, err) = cli_import(&app, &rows(2_000)).await;
    assert!(ok, "{err}");
    assert!(out.contains("2000 rows; 2000 created, 0 updated, 0 unchanged"), "{out}");
    assert_eq!(tested(&app).await, 2_000);

    let (ok, _, err) =
        cli_import(&app, &file(&["X1,S1,2026-05-01 10:00:00,辽A12345,黄,,国五,目测,a,0.5,,,,,,,,210102"])).await;
    assert!(!ok);
    assert!(err.contains("rows[2].method"), "{err}");
}

#[actix_web::test]
async fn high_emitters_are_listed_for_enforcement_and_actions_recorded_in_scope() {
    let app = spawn_app().await;
    two_districts(&app).await;
    let test = |id: &str, day: u32, plate: &str, method: &str, value: &str, cell: &str| {
        let (k, opacity) = if method == "遥感检测" { ("", value) } else { (value, "") };
        let no = if method == "遥感检测" { "100" } else { "" };
        format!("{id},S1,2026-07-{day:02} 10:00:00,{plate},黄,,国五,{method},a,{k},,,{opacity},{no},,,,{cell}")
    };
    let rows = [
        test("A1", 1, "辽A11111", "自由加速", "1.5", "210102"),
        test("A2", 2, "辽A11111", "自由加速", "1.6", "210102"),
        test("A3", 3, "辽A11111", "自由加速", "1.7", "210102"),
        test("B1", 4, "辽A22222", "遥感检测", "45", "210102"),
        test("B2", 5, "辽A22222", "遥感检测", "50", "210102"),
        test("C1", 6, "辽A33333", "自由加速", "1.5", "210102"),
        test("D1", 7, "辽A44444", "自由加速", "1.5", "210103"),
        test("D2", 8, "辽A44444", "自由加速", "1.5", "210103"),
        test("D3", 9, "辽A44444", "自由加速", "0.5", "210103"),
    ];
    import_ok(&app, &file(&rows.iter().map(String::as_str).collect::<Vec<_>>())).await;

    let list = |query: &'static str| {
        let app = &app;
        async move {
            let res = app.get(&format!("/api/v1/high-emitting-vehicles?from=2026-07-01&to=2026-07-31{query}")).await;
            res.assert_status(200);
            res.json().as_array().unwrap().clone()
        }
    };
    let plates = |found: &[Value]| found.iter().map(|v| v["plate"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let found = list("").await;
    assert_eq!(plates(&found), ["辽A11111", "辽A22222", "辽A44444"], "most failures first; one failure is not enough");
    assert_eq!(found[1]["remote_sensing_failures"], 2);
    assert_eq!((found[2]["failures"].as_u64(), found[2]["passed_since"].as_bool()), (Some(2), Some(true)));
    assert_eq!(
        plates(&list("&min_failures=3").await),
        ["辽A11111", "辽A22222"],
        "two remote-sensing failures always count"
    );
    assert_eq!(plates(&list("&cell=210103").await), ["辽A44444"]);

    // A commander of the east district fines 辽A44444, but cannot act on a vehicle tested only in the west.
    let east = app.account(Role::Commander, Some("210103")).await;
    let fine = json!({"action": "fine", "note": "交警联合执法，罚款200元", "acted_at": "2026-07-10 09:00:00"});
    let path = |plate: &str| format!("/api/v1/high-emitting-vehicles/{}/actions", urlencode(plate));
    let res = app.post_json_as(&east, &path("辽A44444"), &fine).await;
    res.assert_status(201);
    assert_eq!(res.json()["acted_at"], "2026-07-10T01:00:00Z");
    app.post_json_as(&east, &path("辽A11111"), &fine).await.assert_problem(404, "not-found");
    let viewer = app.account(Role::Viewer, Some("210100")).await;
    app.post_json_as(&viewer, &path("辽A44444"), &fine).await.assert_problem(403, "forbidden");
    let bad = app.post_json_as(&east, &path("辽A44444"), &json!({"action": "warning"})).await;
    assert_eq!(bad.status.as_u16(), 422);
    let future =
        app.post_json_as(&east, &path("辽A44444"), &json!({"action": "notice", "acted_at": "2099-01-01"})).await;
    future.assert_problem(422, "validation");

    let found = list("").await;
    let actions = &found[2]["actions"];
    assert_eq!((actions[0]["action"].as_str(), actions.as_array().unwrap().len()), (Some("fine"), 1));
    assert_eq!(found[0]["actions"], json!([]));
    let west_viewer = app.account(Role::Viewer, Some("210102")).await;
    let seen = app.get_as(&west_viewer, "/api/v1/high-emitting-vehicles?from=2026-07-01&to=2026-07-31").await.json();
    assert_eq!(plates(seen.as_array().unwrap()), ["辽A11111", "辽A22222"], "only vehicles tested in its district");
}

/// Percent-encodes a path segment (plates are Chinese).
fn urlencode(raw: &str) -> String {
    raw.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
