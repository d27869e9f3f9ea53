//! Air quality: stations, hourly imports (idempotent, corrections recorded, bad rows named), daily AQI by
//! the standard in force on each date, validity, and a constructed year's figures.

use actix_web::http::Method;
use airgrid::domain::access::Role;
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::grid_support::{error_fields, two_districts};
use crate::helpers::{TestApp, TestResponse, spawn_app};

async fn station(app: &TestApp, code: &str, lon: f64, kind: &str) {
    let body = json!({"code": code, "name": format!("站点{code}"), "kind": kind, "lon": lon, "lat": 41.8, "active_from": "2013-01-01"});
    app.post_json("/api/v1/air-stations", &body).await.assert_status(201);
}

async fn import_as(app: &TestApp, token: Option<&str>, csv: &str) -> TestResponse {
    let req = match token {
        Some(token) => app.request_as(token, Method::POST, "/api/v1/air-readings/import"),
        None => app.request(Method::POST, "/api/v1/air-readings/import"),
    };
    app.send_body(req.insert_header(("Content-Type", "text/csv")), csv.as_bytes().to_vec()).await
}

async fn import(app: &TestApp, csv: &str) -> Value {
    let res = import_as(app, None, csv).await;
    res.assert_status(200);
    res.json()
}

const HEADER: &str = "station_code,time,so2,no2,co,o3,pm10,pm2_5\n";

/// The 24 hourly rows of a Beijing day (`time` is the end of each hour) with these concentrations.
fn day_rows(station: &str, day: NaiveDate, hours: usize, pm10: u32, pm25: u32) -> String {
    let mut csv = String::new();
    for h in 1..=hours as i64 {
        let end = day.and_hms_opt(0, 0, 0).unwrap() + Duration::hours(h);
        csv.push_str(&format!("{station},{},10,20,0.5,60,{pm10},{pm25}\n", end.format("%Y-%m-%d %H:%M")));
    }
    csv
}

#[actix_web::test]
async fn a_constructed_year_gives_296_good_days_and_an_annual_pm25_mean_of_33() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    station(&app, "M001", 123.3, "micro").await;
    // 69 lightly polluted days (PM2.5 89: IAQI 118) and 296 excellent ones (PM2.5 20): (69·89 + 296·20)/365
    // = 33.04, reported as 33.
    let mut csv = HEADER.to_owned();
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    for i in 0..365 {
        let day = first + Duration::days(i);
        let polluted = i % 5 == 0 && i < 345;
        csv.push_str(&if polluted { day_rows("1098A", day, 24, 100, 89) } else { day_rows("1098A", day, 24, 40, 20) });
    }
    // A micro-station's awful air does not count towards the city.
    csv.push_str(&day_rows("M001", first, 24, 400, 300));
    let summary = import(&app, &csv).await;
    assert_eq!((summary["rows"].as_u64(), summary["created"].as_u64()), (Some(365 * 24 + 24), Some(365 * 24 + 24)));

    let stats = app.get("/api/v1/stats/air-quality?year=2025").await;
    stats.assert_status(200);
    let stats = stats.json();
    assert_eq!(stats["good_days"], 296);
    assert_eq!(stats["valid_days"], 365);
    assert_eq!(stats["good_day_percent"], 81.1);
    assert_eq!(stats["annual_mean"]["pm2_5"], "33");
    assert_eq!(stats["days_by_category"], json!({"excellent": 296, "lightly_polluted": 69}));
    assert_eq!(stats["co_p95"], "0.5");
    // Judged by GB 3095-2012 (in force through 2025): PM2.5 33 within 35, PM10 within 70.
    assert_eq!(stats["ambient_standard"], "GB 3095-2012");
    let pm25 = stats["limits"].as_array().unwrap().iter().find(|l| l["pollutant"] == "pm2_5").unwrap();
    assert_eq!(
        (pm25["value"].as_str(), pm25["limit"].as_str(), pm25["meets"].as_bool()),
        (Some("33"), Some("35"), Some(true))
    );
    assert_eq!(stats["previous_year"]["valid_days"], 0);
    let january = &stats["months"][0];
    // January: days 0, 5, …, 30 polluted (7 of 31); PM2.5 (7·89 + 24·20)/31 = 35.58 → 36.
    assert_eq!((january["good_days"].as_u64(), january["pm2_5_mean"].as_str()), (Some(24), Some("36")));
    assert_eq!(stats["months"].as_array().unwrap().len(), 12);
    assert!(stats["previous_year"]["annual_mean"]["pm2_5"].is_null(), "no valid annual mean without the days");

    let days = app.get("/api/v1/air-quality/daily?from=2025-01-01&to=2025-01-02").await.json();
    let aqi: Vec<&Value> = days["items"].as_array().unwrap().iter().map(|d| &d["aqi"]).collect();
    assert_eq!(aqi, [&json!(118), &json!(40)]);
    assert_eq!(days["items"][0]["primary"], json!(["pm2_5_24h"]));
    assert_eq!(days["items"][0]["standard"], "HJ 633-2012");
    let micro = app.get("/api/v1/air-quality/daily?station=M001&from=2025-01-01&to=2025-01-01").await.json();
    assert_eq!(micro["items"][0]["category"], "severely_polluted");

    // Special control reads the observed city AQI from here.
    let body = json!({"title": "轻污拉良", "reason": "预报轻度污染", "level": "temporary",
        "forecast": {"source": "监测站", "days": [{"date": "2025-01-02", "aqi": 120}]},
        "planned_start": "2025-01-02 00:00", "planned_end": "2025-01-02 23:00"});
    let created = app.post_json("/api/v1/controls", &body).await;
    created.assert_status(201);
    let worker = app.worker();
    while worker.step(None).await.unwrap() {}
    let control = app.get(&format!("/api/v1/controls/{}", created.json()["id"].as_str().unwrap())).await.json();
    assert_eq!(control["outcome"]["days"][0]["observed_aqi"], 40);
    assert_eq!(control["outcome"]["pulled_to_good_days"], 1);

    // The same file again changes nothing.
    let again = import(&app, &csv).await;
    assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(365 * 24 + 24)));
}

#[actix_web::test]
async fn days_follow_the_standard_in_force_and_the_validity_rules() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    // PM2.5 70: IAQI 94 (good) under HJ 633-2012, 110 (lightly polluted) under HJ 633-2026.
    let mut csv = HEADER.to_owned();
    csv.push_str(&day_rows("1098A", NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(), 24, 40, 70));
    csv.push_str(&day_rows("1098A", NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), 24, 40, 70));
    // 19 hours make no daily mean; 20 do.
    csv.push_str(&day_rows("1098A", NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), 19, 40, 70));
    csv.push_str(&day_rows("1098A", NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(), 20, 40, 70));
    import(&app, &csv).await;
    let days = app.get("/api/v1/air-quality/daily?from=2026-02-28&to=2026-03-03").await.json();
    let items = days["items"].as_array().unwrap();
    let row =
        |i: usize| (items[i]["standard"].as_str().unwrap(), items[i]["aqi"].clone(), items[i]["category"].clone());
    assert_eq!(row(0), ("HJ 633-2012", json!(94), json!("good")));
    assert_eq!(row(1), ("HJ 633-2026", json!(110), json!("lightly_polluted")));
    // 2 March: the daily means lack their 20 hours (the O3 8-h maximum, 14 valid 8-h means, stands), so
    // the AQI is NA: the one indicator left gives 100 or less (HJ 633-2026 §5.3).
    assert!(items[2]["aqi"].is_null());
    assert_eq!(items[2]["missing"].as_array().unwrap().len(), 5);
    assert_eq!(items[2]["sub_indices"].as_array().unwrap().len(), 1);
    assert_eq!(items[3]["aqi"], 110);

    // A corrected hour replaces the old value, is counted, and the day is computed again.
    let end = "2026-03-01 01:00";
    let corrected = import(&app, &format!("{HEADER}1098A,{end},10,20,0.5,60,40,700\n")).await;
    assert_eq!((corrected["corrected"].as_u64(), corrected["days_recomputed"].as_u64()), (Some(1), Some(1)));
    let day = app.get("/api/v1/air-quality/daily?station=1098A&from=2026-03-01&to=2026-03-01").await.json();
    assert!(day["items"][0]["aqi"].as_u64().unwrap() > 110);
    // A missing value (`—`) and a flagged hour are left out of the day, not read as zero.
    let flagged = "station_code,time,pm2_5,valid\n1098A,2026-03-03 21:00,—,1\n1098A,2026-03-03 22:00,999,0\n";
    import(&app, flagged).await;
    let day = app.get("/api/v1/air-quality/daily?station=1098A&from=2026-03-03&to=2026-03-03").await.json();
    assert_eq!(day["items"][0]["aqi"], 110);
}

#[actix_web::test]
async fn bad_rows_are_named_and_nothing_is_written() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    station(&app, "2001A", 123.7, "national").await;
    let future = (chrono::Utc::now() + Duration::hours(30)).format("%Y-%m-%d %H:00");
    let csv = format!(
        "{HEADER}1098A,2025-01-01 01:00,10,20,0.5,60,40,20\n\
         9999X,2025-01-01 01:00,10,20,0.5,60,40,20\n\
         1098A,2025-01-01 02:00,-3,20,0.5,60,40,20\n\
         1098A,2025-01-01 03:00,10,20,0.5,60,40,20000\n\
         1098A,{future},10,20,0.5,60,40,20\n\
         1098A,2025-01-01 01:00,10,20,0.5,60,40,21\n\
         1098A,2025-01-01 04:30,10,20,0.5,60,40,20\n"
    );
    let problem = import_as(&app, None, &csv).await.assert_problem(422, "import-invalid-rows");
    assert_eq!(
        error_fields(&problem),
        ["rows[3].station_code", "rows[4].so2", "rows[5].pm2_5", "rows[6].time", "rows[7].time", "rows[8].time"]
    );
    let days = app.get("/api/v1/air-quality/daily?from=2025-01-01&to=2025-01-01").await.json();
    assert_eq!(days["items"], json!([]), "nothing was written");
    let html = import_as(&app, None, "<html><body>502 Bad Gateway</body></html>").await;
    html.assert_problem(422, "import-invalid-file");

    // Scope: a west supervisor may not submit; a west station manager (a commander at home in the west)
    // cannot import for the east's station; grid workers import nothing.
    let west = app.account(Role::Commander, Some("210102")).await;
    let east_row = format!("{HEADER}2001A,2025-01-01 01:00,10,20,0.5,60,40,20\n");
    let problem = import_as(&app, Some(&west), &east_row).await.assert_problem(422, "import-invalid-rows");
    assert_eq!(error_fields(&problem), ["rows[2].station_code"]);
    let worker = app.account(Role::GridWorker, Some("210102")).await;
    import_as(&app, Some(&worker), &east_row).await.assert_problem(403, "forbidden");
    let body = json!({"code": "X1", "name": "东站", "kind": "district", "lon": 123.7, "lat": 41.8, "active_from": "2020-01-01"});
    let problem = app.post_json_as(&west, "/api/v1/air-stations", &body).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["lon"]);
    app.post_json(
        "/api/v1/air-stations",
        &json!({"code": "1098A", "name": "重复", "kind": "national", "lon": 123.2,
        "lat": 41.8, "active_from": "2020-01-01"}),
    )
    .await
    .assert_problem(409, "conflict");
    let stations = app.get_as(&worker, "/api/v1/air-stations").await.json();
    let codes: Vec<&Value> = stations["items"].as_array().unwrap().iter().map(|s| &s["code"]).collect();
    assert_eq!(codes, [&json!("1098A")], "a west worker sees the west's stations");
}

#[actix_web::test]
async fn the_command_line_imports_a_gbk_export_with_chinese_headers_and_names_bad_rows() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, text: &str| {
        // As Excel saves it on a Chinese desktop.
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let (url, token) = (app.address.clone(), app.token.clone().unwrap());
        actix_web::web::block(move || {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_airgrid"))
                .args(["import", "air-readings"])
                .arg(&path)
                .args(["--url", &url, "--source", "cnemc"])
                .env("AIRGRID_TOKEN", token)
                .output()
                .unwrap();
            let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
            (out.status.success(), text(out.stdout), text(out.stderr))
        })
    };
    let file = "站点编码,时间,二氧化硫,二氧化氮,一氧化碳,臭氧,PM10,PM2.5\n1098A,2025-01-01 01:00,10,20,0.5,60,40,20\n1098A,2025-01-01 02:00,10,20,0.5,60,40,22\n";
    let (ok, out, err) = run("readings.csv", file).await.unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("2 rows; 2 new, 0 corrected"), "{out}");
    let (ok, _, err) = run("bad.csv", "站点编码,时间,PM2.5\n1098A,2025-01-01 03:00,-5\n").await.unwrap();
    assert!(!ok);
    assert!(err.contains("rows[2].pm2_5"), "the bad row is named: {err}");
}

#[actix_web::test]
async fn an_integration_submits_single_hours_and_corrects_them() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    let hour = json!({"station_code": "1098A", "time": "2025-01-01T01:00:00+08:00", "so2": 12, "no2": 35, "co": 0.9,
                      "o3": 40, "pm10": 68, "pm2_5": 45});
    let first = app.post_json("/api/v1/air-readings?source=cnemc", &hour).await;
    first.assert_status(200);
    assert_eq!(first.json()["created"], 1);
    assert_eq!(app.post_json("/api/v1/air-readings?source=cnemc", &hour).await.json()["unchanged"], 1);
    let mut corrected = hour.clone();
    corrected["pm2_5"] = json!(47.5);
    assert_eq!(app.post_json("/api/v1/air-readings?source=cnemc", &corrected).await.json()["corrected"], 1);
    let mut bad = hour.clone();
    bad["pm2_5"] = json!(-1);
    bad["station_code"] = json!("NOPE");
    let problem = app.post_json("/api/v1/air-readings", &bad).await.assert_problem(422, "import-invalid-rows");
    assert_eq!(error_fields(&problem), ["rows[1].pm2_5"]);
    let worker = app.account(Role::GridWorker, Some("210102")).await;
    app.post_json_as(&worker, "/api/v1/air-readings", &hour).await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_days_forecast_stands_beside_what_was_observed() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    let mut csv = HEADER.to_owned();
    csv.push_str(&day_rows("1098A", NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(), 24, 40, 20));
    import(&app, &csv).await;
    let forecast = |issued: &str, aqi: u32| {
        json!({"cell": "210100", "source": "沈阳市环境监测中心站", "issued_at": issued,
               "days": [{"date": "2025-01-02", "aqi": aqi, "primary_pollutant": "PM2.5"}]})
    };
    let put = |body: Value| {
        let app = &app;
        async move { crate::grid_support::send_if_match(app, Method::PUT, "/api/v1/air-forecasts", None, Some(&body)).await }
    };
    put(forecast("2025-01-01 16:00", 135)).await.assert_status(200);
    // An earlier issue does not replace a later one.
    put(forecast("2025-01-01 08:00", 90)).await.assert_status(200);
    let days = app.get("/api/v1/air-quality/daily?cell=210100&from=2025-01-02&to=2025-01-02").await.json();
    assert_eq!((days["items"][0]["forecast_aqi"].as_u64(), days["items"][0]["aqi"].as_u64()), (Some(135), Some(40)));
    assert_eq!(days["items"][0]["forecast_primary_pollutant"], "pm2_5");
    // An activation decided without a forecast of its own is judged by this one: forecast 135 (light),
    // observed 40 (good): one day pulled to good.
    let body = json!({"title": "特别管控", "reason": "会商", "level": "temporary", "forecast": {"source": "监测站", "days": []},
                      "planned_start": "2025-01-02 00:00", "planned_end": "2025-01-02 23:00"});
    let created = app.post_json("/api/v1/controls", &body).await;
    created.assert_status(201);
    let worker = app.worker();
    while worker.step(None).await.unwrap() {}
    let control = app.get(&format!("/api/v1/controls/{}", created.json()["id"].as_str().unwrap())).await.json();
    assert_eq!(control["outcome"]["days"][0]["forecast_aqi"], 135);
    assert_eq!(control["outcome"]["pulled_to_good_days"], 1);
    let mut bad = forecast("2025-01-01 16:00", 600);
    bad["days"][0]["primary_pollutant"] = json!("dust");
    let problem = put(bad).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["days[0].aqi", "days[0].primary_pollutant"]);
}

#[actix_web::test]
async fn stations_list_and_map_with_their_latest_hour() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    station(&app, "2001A", 123.7, "national").await;
    let mut csv = HEADER.to_owned();
    csv.push_str(&day_rows("1098A", NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(), 24, 40, 20));
    import(&app, &csv).await;
    let list = app.get("/api/v1/air-stations").await.json();
    let west = &list["items"][0];
    assert_eq!(west["latest"]["time"], "2026-06-01T16:00:00Z", "the end of the last hour, 24:00 Beijing time");
    // HJ 633-2026 real-time: the six 1-h values; PM10 40 gives the highest IAQI (40).
    assert_eq!((west["latest"]["aqi"].as_u64(), west["latest"]["category"].as_str()), (Some(40), Some("excellent")));
    assert!(list["items"][1]["latest"].is_null());
    let map = app.get("/api/v1/air-stations?f=geojson").await;
    assert_eq!(map.header("content-type"), Some("application/geo+json"));
    let map = map.json();
    assert_eq!(map["features"][0]["geometry"]["coordinates"], json!([123.2, 41.8]));
    assert_eq!(map["features"][0]["properties"]["latest"]["aqi"], 40);
}

#[actix_web::test]
async fn ndjson_hours_are_listed_by_cursor_with_their_revisions() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    let lines: String = (1..=5)
        .map(|h| {
            format!(
                "{{\"station_code\": \"1098A\", \"time\": \"2025-01-01 {h:02}:00\", \"pm2_5\": {}, \"co\": 0.85}}\n",
                30 + h
            )
        })
        .collect();
    let req = app
        .request(Method::POST, "/api/v1/air-readings/import")
        .insert_header(("Content-Type", "application/x-ndjson"));
    let res = app.send_body(req, lines.into_bytes()).await;
    res.assert_status(200);
    assert_eq!(res.json()["created"], 5);
    import(&app, &format!("{HEADER}1098A,2025-01-01 02:00,,,0.85,,,40\n")).await;
    let page = app
        .get("/api/v1/air-readings?station=1098A&from=2025-01-01%2001:00&to=2025-01-01%2005:00&limit=2")
        .await
        .json();
    let items = page["items"].as_array().unwrap();
    assert_eq!(
        (items[0]["time"].as_str(), items[0]["pm2_5"].as_str(), items[0]["co"].as_str()),
        (Some("2024-12-31T17:00:00Z"), Some("31"), Some("0.85"))
    );
    assert_eq!((items[1]["pm2_5"].as_str(), items[1]["revision"].as_i64()), (Some("40"), Some(2)));
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&format!(
            "/api/v1/air-readings?station=1098A&from=2025-01-01%2001:00&to=2025-01-01%2005:00&cursor={cursor}"
        ))
        .await
        .json();
    let times: Vec<&str> = rest["items"].as_array().unwrap().iter().map(|i| i["time"].as_str().unwrap()).collect();
    assert_eq!(times, ["2024-12-31T19:00:00Z", "2024-12-31T20:00:00Z", "2024-12-31T21:00:00Z"]);
    app.get("/api/v1/air-readings?station=NOPE&from=2025-01-01&to=2025-01-02").await.assert_problem(404, "not-found");
}

#[actix_web::test]
async fn an_area_is_the_mean_of_its_assessment_stations_hour_by_hour_for_ozone() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    station(&app, "2001A", 123.7, "provincial").await;
    // Ozone peaks in the morning at one station, in the evening at the other: the city's hourly mean never
    // passes 120, though each station's own 8-h maximum is 200.
    let mut csv = HEADER.to_owned();
    for h in 1..=24 {
        let end = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap().and_hms_opt(0, 0, 0).unwrap() + Duration::hours(h);
        let t = end.format("%Y-%m-%d %H:%M");
        let (west, east) = if h <= 8 {
            (200, 40)
        } else if h > 16 {
            (40, 200)
        } else {
            (40, 40)
        };
        csv.push_str(&format!("1098A,{t},10,20,0.5,{west},40,20\n2001A,{t},10,20,0.5,{east},40,40\n"));
    }
    import(&app, &csv).await;
    let day = app.get("/api/v1/air-quality/daily?from=2025-03-10&to=2025-03-10").await.json();
    let day = &day["items"][0];
    assert_eq!(day["stations"], 2);
    let sub = |name: &str| {
        day["sub_indices"].as_array().unwrap().iter().find(|s| s["indicator"] == name).unwrap()["concentration"].clone()
    };
    assert_eq!(sub("pm2_5_24h"), "30", "the mean of 20 and 40");
    assert_eq!(sub("o3_8h"), "120", "the maximum of the city's hourly means, not the mean of the stations' maxima");
    // One station alone keeps its own maximum.
    let west = app.get("/api/v1/air-quality/daily?station=1098A&from=2025-03-10&to=2025-03-10").await.json();
    assert_eq!(
        west["items"][0]["sub_indices"].as_array().unwrap().iter().find(|s| s["indicator"] == "o3_8h").unwrap()["concentration"],
        "200"
    );

    // The latest valid hour counts for the real-time AQI: an hour flagged invalid after it does not.
    import(&app, "station_code,time,pm2_5,valid\n1098A,2025-03-11 01:00,999,0\n").await;
    let stations = app.get("/api/v1/air-stations").await.json();
    assert_eq!(stations["items"][0]["latest"]["time"], "2025-03-10T16:00:00Z");
    // HJ 633-2012 real-time: PM2.5 from its 24-h moving mean (20), O3 1-h 40 and 8-h moving mean 40.
    assert_eq!(stations["items"][0]["latest"]["aqi"], 40);
}

#[actix_web::test]
async fn which_stations_count_is_configurable_and_readings_outside_service_are_refused() {
    let app = spawn_app().await;
    two_districts(&app).await;
    station(&app, "1098A", 123.2, "national").await;
    station(&app, "2001A", 123.3, "national").await;
    let mut csv = HEADER.to_owned();
    csv.push_str(&day_rows("1098A", NaiveDate::from_ymd_opt(2025, 5, 1).unwrap(), 24, 40, 20));
    csv.push_str(&day_rows("2001A", NaiveDate::from_ymd_opt(2025, 5, 1).unwrap(), 24, 40, 60));
    import(&app, &csv).await;
    assert_eq!(city_pm25(&app).await, "40");
    let path = "/api/v1/air-stations/2001A";
    assert_eq!(app.get(path).await.header("etag"), Some("\"1\""));
    let body = json!({"assessment": false, "active_to": "2025-06-01"});
    crate::grid_support::patch(&app, path, None, &body).await.assert_problem(428, "precondition-required");
    let changed = crate::grid_support::patch(&app, path, Some("\"1\""), &body).await;
    changed.assert_status(200);
    assert_eq!((changed.json()["assessment"].as_bool(), changed.json()["version"].as_i64()), (Some(false), Some(2)));
    assert_eq!(city_pm25(&app).await, "20", "only 1098A counts now");
    crate::grid_support::patch(&app, path, Some("\"1\""), &body).await.assert_problem(412, "precondition-failed");
    let early = json!({"active_to": "2010-01-01"});
    crate::grid_support::patch(&app, path, Some("\"2\""), &early).await.assert_problem(422, "validation");
    // Out of service from 1 June: an hour then is refused; one before still imports.
    let late = format!(
        "{HEADER}2001A,2025-06-01 05:00,10,20,0.5,60,40,20\n2001A,2013-01-01 05:00,10,20,0.5,60,40,20\n1998A,2025-06-01 05:00,1,1,0.1,1,1,1\n"
    );
    let problem = import_as(&app, None, &late).await.assert_problem(422, "import-invalid-rows");
    assert_eq!(error_fields(&problem), ["rows[2].time", "rows[4].station_code"]);
    let worker = app.account(Role::GridWorker, Some("210102")).await;
    app.send_body(
        app.request_as(&worker, Method::PATCH, path)
            .insert_header(("If-Match", "\"2\""))
            .insert_header(("Content-Type", "application/json")),
        br#"{"name": "x"}"#.to_vec(),
    )
    .await
    .assert_problem(403, "forbidden");
    app.get("/api/v1/air-stations/NOPE").await.assert_problem(404, "not-found");
}

/// The city's PM2.5 sub-index concentration on 1 May 2025.
async fn city_pm25(app: &TestApp) -> Value {
    let day = app.get("/api/v1/air-quality/daily?from=2025-05-01&to=2025-05-01").await.json();
    let subs = day["items"][0]["sub_indices"].as_array().unwrap().clone();
    subs.into_iter().find(|s| s["indicator"] == "pm2_5_24h").unwrap()["concentration"].clone()
}
