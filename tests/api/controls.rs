//! Special-control activations: lifecycle with level changes and the schedule, overlaps, bad input, plans
//! and check-ins, prompts and acknowledgements, tightened incident deadlines, and a year's outcome figures.

use actix_web::http::Method;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::grid_support::error_fields;
use crate::helpers::{TestApp, TestResponse, spawn_app};
use crate::incident_support::{Desk, PHOTO_EXIF, act, desk, report, report_at};

const CONTROLS: &str = "/api/v1/controls";

/// An activation body over `cells` from `start` to `end` (RFC 3339), forecast light on the first days.
fn activation(level: &str, cells: Option<&[&str]>, start: &str, end: Option<&str>) -> Value {
    let mut body = json!({
        "title": "重污染天气预警", "reason": "预计出现轻至中度污染", "level": level,
        "forecast": {"source": "沈阳市环境监测中心站", "days": [{"date": "2026-12-10", "aqi": 135, "primary_pollutant": "PM2.5"}]},
        "planned_start": start, "planned_end": end,
    });
    if let Some(cells) = cells {
        body["cells"] = json!(cells);
    }
    body
}

async fn count(app: &TestApp, token: &str) -> usize {
    app.get_as(token, CONTROLS).await.json()["items"].as_array().unwrap().len()
}

fn hours_from_now(h: i64) -> String {
    (Utc::now() + Duration::hours(h)).to_rfc3339()
}

async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    etag: Option<String>,
    body: &Value,
) -> TestResponse {
    let mut req = app.request_as(token, method, path).insert_header(("Content-Type", "application/json"));
    if let Some(etag) = etag {
        req = req.insert_header(("If-Match", etag));
    }
    app.send_body(req, serde_json::to_vec(body).unwrap()).await
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = app.post_json_as(token, CONTROLS, body).await;
    res.assert_status(201);
    res.json()
}

/// Takes a lifecycle step at the activation's current version.
async fn try_step(app: &TestApp, token: &str, id: &str, body: Value) -> TestResponse {
    let version = app.get_as(token, &format!("{CONTROLS}/{id}")).await.json()["version"].as_i64().unwrap();
    send(app, token, Method::POST, &format!("{CONTROLS}/{id}/transitions"), Some(format!("\"{version}\"")), &body).await
}

async fn step(app: &TestApp, token: &str, id: &str, body: Value) -> Value {
    let res = try_step(app, token, id, body).await;
    res.assert_status(200);
    res.json()
}

/// An active orange activation over district 210102, planned by the desk's commander.
async fn active_over_heping(app: &TestApp, desk: &Desk) -> Value {
    let created =
        create(app, &desk.commander, &activation("orange", Some(&["210102"]), &hours_from_now(1), None)).await;
    step(app, &desk.commander, created["id"].as_str().unwrap(), json!({"action": "start"})).await
}

async fn run_schedule(app: &TestApp) {
    let worker = app.worker();
    while worker.step(None).await.unwrap() {}
}

fn multipart(fields: &[(&str, &str)], file: Option<&[u8]>) -> (String, Vec<u8>) {
    let boundary = "airgrid-control-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some(file) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn check_in(
    app: &TestApp,
    token: &str,
    id: &str,
    cell: &str,
    fields: &[(&str, &str)],
    file: Option<&[u8]>,
) -> TestResponse {
    let (content_type, body) = multipart(fields, file);
    let req = app
        .request_as(token, Method::POST, &format!("{CONTROLS}/{id}/plans/{cell}/check-ins"))
        .insert_header(("Content-Type", content_type));
    app.send_body(req, body).await
}

#[actix_web::test]
async fn an_activation_is_planned_started_raised_and_lifted_with_its_history_and_events() {
    let app = spawn_app().await;
    let desk = desk(&app).await;
    let body = activation("yellow", Some(&["210102", "210103"]), &hours_from_now(2), Some(&hours_from_now(50)));
    let res = app.post_json_as(&desk.commander, CONTROLS, &body).await;
    res.assert_status(201);
    assert_eq!(res.header("etag"), Some("\"1\""));
    let planned = res.json();
    let id = planned["id"].as_str().unwrap().to_owned();
    assert_eq!(res.header("location").unwrap(), format!("{CONTROLS}/{id}"));
    assert_eq!((planned["status"].as_str(), planned["response"].as_str()), (Some("planned"), Some("III")));
    assert_eq!(planned["forecast"]["days"][0]["primary_pollutant"], "pm2_5", "pollutant names are normalised");
    let cells: Vec<&str> = planned["cells"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(cells, ["210102", "210103"]);
    let measures = planned["cells"][0]["measures"].as_array().unwrap();
    assert!(measures.iter().any(|m| m["code"] == "ban_open_burning"), "the level's measures by default: {measures:?}");

    // Lifting what has not started is refused, naming what is allowed.
    let refused = try_step(&app, &desk.commander, &id, json!({"action": "lift"})).await;
    let problem = refused.assert_problem(409, "invalid-transition");
    let allowed: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(allowed.contains(&"start is allowed now"), "{allowed:?}");
    // A stale or missing ETag.
    let path = format!("{CONTROLS}/{id}/transitions");
    send(&app, &desk.commander, Method::POST, &path, Some("\"7\"".into()), &json!({"action": "start"}))
        .await
        .assert_problem(412, "precondition-failed");
    send(&app, &desk.commander, Method::POST, &path, None, &json!({"action": "start"}))
        .await
        .assert_problem(428, "precondition-required");
    // Only commanders and admins change activations.
    try_step(&app, &desk.supervisor, &id, json!({"action": "start"})).await.assert_problem(403, "forbidden");

    let started = step(&app, &desk.commander, &id, json!({"action": "start", "note": "按预警启动"})).await;
    assert_eq!(started["status"], "active");
    assert!(started["actual_start"].is_string());
    assert_eq!(started["available_actions"], json!(["change_level", "lift", "edit"]));
    let unchanged = try_step(&app, &desk.commander, &id, json!({"action": "change_level", "level": "yellow"})).await;
    assert_eq!(error_fields(&unchanged.assert_problem(422, "validation")), ["level"]);
    let unknown = try_step(&app, &desk.commander, &id, json!({"action": "change_level", "level": "blue"})).await;
    unknown.assert_problem(422, "validation");
    let path = format!("{CONTROLS}/{id}");
    let etag = Some(format!("\"{}\"", started["version"]));
    let res =
        send(&app, &desk.commander, Method::PATCH, &path, etag, &json!({"planned_start": hours_from_now(1)})).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["planned_start"]);
    let raised =
        step(&app, &desk.commander, &id, json!({"action": "change_level", "level": "red", "note": "污染加重"})).await;
    assert_eq!((raised["level"].as_str(), raised["response"].as_str()), (Some("red"), Some("I")));
    let history: Vec<(Value, Value)> =
        raised["level_history"].as_array().unwrap().iter().map(|l| (l["from"].clone(), l["to"].clone())).collect();
    assert_eq!(history, [(Value::Null, json!("yellow")), (json!("yellow"), json!("red"))]);

    // Not lifted before its start, nor in the future.
    let early = (Utc::now() - Duration::hours(3)).to_rfc3339();
    let res = try_step(&app, &desk.commander, &id, json!({"action": "lift", "at": early})).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["at"]);
    let later = try_step(&app, &desk.commander, &id, json!({"action": "lift", "at": hours_from_now(3)})).await;
    later.assert_problem(422, "validation");
    let lifted = step(&app, &desk.commander, &id, json!({"action": "lift"})).await;
    assert_eq!(lifted["status"], "lifted");
    assert_eq!(lifted["available_actions"], json!([]));
    assert_eq!(lifted["outcome"]["days_under_control"], 1, "{}", lifted["outcome"]);
    try_step(&app, &desk.commander, &id, json!({"action": "start"})).await.assert_problem(409, "invalid-transition");
    let etag = Some(format!("\"{}\"", lifted["version"]));
    let res = send(&app, &desk.commander, Method::PATCH, &path, etag, &json!({"title": "改名"})).await;
    res.assert_problem(409, "invalid-transition");

    let types = crate::incident_support::event_types(&app, &id).await;
    assert_eq!(types, ["control.planned", "control.started", "control.level_changed", "control.lifted"]);
    // The feed shows a grid worker of the district the activation, not a worker elsewhere one it cannot see.
    let (events, _) = app.read_feed(Some(&desk.worker), &format!("&subject={id}")).await;
    assert_eq!(events.len(), 4);

    // Cancelled before it starts; then it holds nothing.
    let other =
        create(&app, &desk.commander, &activation("temporary", Some(&["210103"]), &hours_from_now(60), None)).await;
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(step(&app, &desk.commander, other_id, json!({"action": "cancel"})).await["status"], "cancelled");
    create(&app, &desk.commander, &activation("temporary", Some(&["210103"]), &hours_from_now(60), None)).await;
}

#[actix_web::test]
async fn the_schedule_starts_and_lifts_activations_at_their_planned_times_once() {
    let app = spawn_app().await;
    let desk = desk(&app).await;
    let start = Utc::now() - Duration::hours(5);
    let past = create(
        &app,
        &desk.commander,
        &activation("orange", Some(&["210102"]), &start.to_rfc3339(), Some(&(start + Duration::hours(2)).to_rfc3339())),
    )
    .await;
    let running = create(
        &app,
        &desk.commander,
        &activation("yellow", Some(&["210103"]), &start.to_rfc3339(), Some(&hours_from_now(20))),
    )
    .await;
    let future =
        create(&app, &desk.commander, &activation("yellow", Some(&["210102"]), &hours_from_now(30), None)).await;
    // Started by hand after its planned end: refused (the schedule would lift it before its start).
    let res = try_step(&app, &desk.commander, past["id"].as_str().unwrap(), json!({"action": "start"})).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["at"]);
    // Two instances run the schedule; each step is taken once.
    let (one, two) = (app.worker(), app.worker());
    let (a, b) = tokio::join!(one.step(None), two.step(None));
    assert!(a.unwrap() || b.unwrap());
    run_schedule(&app).await;

    let get = |id: &Value| {
        let path = format!("{CONTROLS}/{}", id.as_str().unwrap());
        let token = desk.commander.clone();
        let app = &app;
        async move { app.get_as(&token, &path).await }
    };
    let past = get(&past["id"]).await.json();
    assert_eq!(past["status"], "lifted");
    assert_eq!((&past["actual_start"], &past["actual_end"]), (&past["planned_start"], &past["planned_end"]));
    let running = get(&running["id"]).await.json();
    assert_eq!(running["status"], "active");
    assert_eq!(get(&future["id"]).await.json()["status"], "planned");
    let types = crate::incident_support::event_types(&app, past["id"].as_str().unwrap()).await;
    assert_eq!(types, ["control.planned", "control.started", "control.lifted"], "each step once");

    let active = app.get_as(&desk.viewer, &format!("{CONTROLS}?status=active")).await.json();
    let ids: Vec<&Value> = active["items"].as_array().unwrap().iter().map(|a| &a["id"]).collect();
    assert_eq!(ids, [&running["id"]]);
    app.get_as(&desk.viewer, &format!("{CONTROLS}?status=paused")).await.assert_problem(422, "validation");
}

#[actix_web::test]
async fn activations_over_the_same_ground_at_the_same_time_conflict_and_bad_input_writes_nothing() {
    let app = spawn_app().await;
    let desk = desk(&app).await;
    let first = create(
        &app,
        &desk.commander,
        &activation("yellow", Some(&["210102"]), &hours_from_now(1), Some(&hours_from_now(48))),
    )
    .await;
    let first_id = first["id"].as_str().unwrap();

    // The same district, or a street of it, at an overlapping time: 409 naming the other.
    for cells in [["210102"], ["210102002"]] {
        let body = activation("orange", Some(&cells), &hours_from_now(24), Some(&hours_from_now(72)));
        let res = app.post_json_as(&desk.commander, CONTROLS, &body).await;
        let problem = res.assert_problem(409, "control-overlap");
        assert!(problem["detail"].as_str().unwrap().contains(first_id), "{problem}");
    }
    // The whole city (the default for a commander at home in it) shares ground too.
    let res = app.post_json_as(&desk.commander, CONTROLS, &activation("orange", None, &hours_from_now(24), None)).await;
    res.assert_problem(409, "control-overlap");
    // Another district at that time, and the same district after it, are free.
    create(
        &app,
        &desk.commander,
        &activation("orange", Some(&["210103"]), &hours_from_now(24), Some(&hours_from_now(72))),
    )
    .await;
    let after = create(
        &app,
        &desk.commander,
        &activation("red", Some(&["210102"]), &hours_from_now(48), Some(&hours_from_now(60))),
    )
    .await;
    // Moving it into the first's time collides as well.
    let path = format!("{CONTROLS}/{}", after["id"].as_str().unwrap());
    let res = send(
        &app,
        &desk.commander,
        Method::PATCH,
        &path,
        Some("\"1\"".into()),
        &json!({"planned_start": hours_from_now(30)}),
    )
    .await;
    res.assert_problem(409, "control-overlap");
    let later = hours_from_now(70);
    let res = send(
        &app,
        &desk.commander,
        Method::PATCH,
        &path,
        Some("\"1\"".into()),
        &json!({"reason": "会商后调整", "planned_end": later}),
    )
    .await;
    res.assert_status(200);
    assert_eq!(res.json()["reason"], "会商后调整");
    assert_eq!(res.header("etag"), Some("\"2\""));

    let before = count(&app, &desk.commander).await;
    let cases = [
        (activation("blue", Some(&["210103"]), &hours_from_now(100), None), 422, "validation", "level"),
        (activation("yellow", Some(&[]), &hours_from_now(100), None), 422, "validation", "cells"),
        (
            activation("yellow", Some(&["210103"]), &hours_from_now(100), Some(&hours_from_now(90))),
            422,
            "validation",
            "planned_end",
        ),
        (activation("yellow", Some(&["999999"]), &hours_from_now(100), None), 422, "validation", "cells[0]"),
        (
            activation("yellow", Some(&["210103", "210103001"]), &hours_from_now(100), None),
            422,
            "validation",
            "cells[1]",
        ),
    ];
    for (body, status, kind, field) in cases {
        let problem = app.post_json_as(&desk.commander, CONTROLS, &body).await.assert_problem(status, kind);
        assert!(error_fields(&problem).contains(&field.to_owned()), "{field}: {problem}");
    }
    let mut bad_measure = activation("yellow", Some(&["210103"]), &hours_from_now(100), None);
    bad_measure["measures"] = json!(["ban_open_burning", "stop_the_wind"]);
    let problem = app.post_json_as(&desk.commander, CONTROLS, &bad_measure).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["measures[1]"]);
    let mut bad_forecast = activation("yellow", Some(&["210103"]), &hours_from_now(100), None);
    bad_forecast["forecast"]["days"] =
        json!([{"date": "2026-12-10", "aqi": 620}, {"date": "2026-12-10", "aqi": 120, "primary_pollutant": "dust"}]);
    let problem = app.post_json_as(&desk.commander, CONTROLS, &bad_forecast).await.assert_problem(422, "validation");
    assert_eq!(
        error_fields(&problem),
        ["forecast.days[0].aqi", "forecast.days[1].date", "forecast.days[1].primary_pollutant"]
    );

    // Out of scope: to a district commander the other district is no cell it can name; supervisors plan nothing.
    let district_commander = app.account(airgrid::domain::access::Role::Commander, Some("210102")).await;
    let body = activation("yellow", Some(&["210103"]), &hours_from_now(100), None);
    let problem = app.post_json_as(&district_commander, CONTROLS, &body).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["cells[0]"]);
    app.post_json_as(&desk.supervisor, CONTROLS, &body).await.assert_problem(403, "forbidden");
    assert_eq!(count(&app, &desk.commander).await, before, "nothing was written");

    // What each caller sees: the other district's worker does not see the first activation.
    app.get_as(&desk.other_worker, &format!("{CONTROLS}/{first_id}")).await.assert_problem(404, "not-found");
    app.get_as(&desk.worker, &format!("{CONTROLS}/{first_id}")).await.assert_status(200);
    let seen = app.get_as(&desk.other_worker, CONTROLS).await.json();
    assert!(seen["items"].as_array().unwrap().iter().all(|a| a["id"] != first_id));
    // A district commander may not change an activation reaching beyond its district.
    let city = create(&app, &desk.commander, &activation("temporary", None, &hours_from_now(200), None)).await;
    let res = try_step(&app, &district_commander, city["id"].as_str().unwrap(), json!({"action": "cancel"})).await;
    res.assert_problem(403, "forbidden");
    // Pages, newest planned start first.
    let page = app.get_as(&desk.commander, &format!("{CONTROLS}?limit=2")).await.json();
    assert_eq!(page["items"][0]["id"], city["id"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app.get_as(&desk.commander, &format!("{CONTROLS}?limit=10&cursor={cursor}")).await.json();
    assert_eq!(
        page["items"].as_array().unwrap().len() + rest["items"].as_array().unwrap().len(),
        count(&app, &desk.commander).await
    );
    let heping = app.get_as(&desk.commander, &format!("{CONTROLS}?cell=210102002")).await.json();
    assert_eq!(heping["items"].as_array().unwrap().len(), 3, "the two over 210102 and the city's");
    // Naming the city does not widen a district worker's sight.
    let east = app.get_as(&desk.other_worker, &format!("{CONTROLS}?cell=210100")).await.json();
    assert_eq!(east["items"].as_array().unwrap().len(), 2, "the city's and the one over 210103: {east}");
    assert!(east["items"].as_array().unwrap().iter().all(|a| a["id"] != first_id));
}

#[actix_web::test]
async fn plans_are_set_per_cell_and_checked_in_by_the_cells_people() {
    let app = spawn_app().await;
    let desk = desk(&app).await;
    let planned =
        create(&app, &desk.commander, &activation("orange", Some(&["210102", "210103"]), &hours_from_now(1), None))
            .await;
    let id = planned["id"].as_str().unwrap().to_owned();
    let plan = format!("{CONTROLS}/{id}/plans/210102");
    let body = json!({"responsible_id": desk.worker_id, "responsible_phone": "13800000000",
        "measures": [{"code": "stop_earthworks", "detail": "12个在建工地停止土石方作业"}, {"code": "ban_open_burning"}]});
    send(&app, &desk.commander, Method::PUT, &plan, None, &body).await.assert_problem(428, "precondition-required");
    let res = send(&app, &desk.commander, Method::PUT, &plan, Some("\"1\"".into()), &body).await;
    res.assert_status(200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    let cell = res.json();
    assert_eq!(cell["responsible"]["account_id"], desk.worker_id.as_str());
    assert_eq!(cell["measures"].as_array().unwrap().len(), 2);
    let stale = send(&app, &desk.commander, Method::PUT, &plan, Some("\"1\"".into()), &body).await;
    stale.assert_problem(412, "precondition-failed");
    let bad = json!({"responsible_name": "王伟", "measures": [{"code": "no_such"}]});
    let res = send(&app, &desk.commander, Method::PUT, &plan, Some("\"2\"".into()), &bad).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["measures[0]"]);
    send(&app, &desk.supervisor, Method::PUT, &plan, Some("\"2\"".into()), &body)
        .await
        .assert_problem(403, "forbidden");

    // Check-ins wait for the start.
    let done = [("measure", "ban_open_burning"), ("done", "true"), ("note", "已巡查")];
    check_in(&app, &desk.worker, &id, "210102", &done, None).await.assert_problem(409, "conflict");
    step(&app, &desk.commander, &id, json!({"action": "start"})).await;

    let res = check_in(&app, &desk.worker, &id, "210102", &done, Some(PHOTO_EXIF)).await;
    res.assert_status(201);
    let checked = res.json();
    assert_eq!((checked["done"].as_bool(), checked["measure"].as_str()), (Some(true), Some("ban_open_burning")));
    assert_eq!(checked["photo"]["taken_at"], "2026-12-01T01:30:00Z", "EXIF time, Beijing to UTC");
    let href = checked["photo"]["href"].as_str().unwrap();
    let photo = app.get_as(&desk.supervisor, href).await;
    photo.assert_status(200);
    assert_eq!(photo.body, PHOTO_EXIF);
    app.get_as(&desk.other_worker, href).await.assert_problem(404, "not-found");
    let not_done = [("measure", "stop_earthworks"), ("done", "false"), ("note", "一处工地仍在作业")];
    check_in(&app, &desk.supervisor, &id, "210102", &not_done, None).await.assert_status(201);

    // Refusals: a measure not in the plan, a bad flag, a renamed file, a worker of another district.
    let res =
        check_in(&app, &desk.worker, &id, "210102", &[("measure", "industrial_limits"), ("done", "true")], None).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["measure"]);
    let res =
        check_in(&app, &desk.worker, &id, "210102", &[("measure", "ban_open_burning"), ("done", "yes")], None).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["done"]);
    check_in(&app, &desk.worker, &id, "210102", &done, Some(b"%PDF-1.7 not a photo"))
        .await
        .assert_problem(422, "photo-unsupported");
    check_in(&app, &desk.other_worker, &id, "210102", &done, None).await.assert_problem(404, "not-found");
    check_in(&app, &desk.viewer, &id, "210102", &done, None).await.assert_problem(403, "forbidden");

    let got = app.get_as(&desk.commander, &format!("{CONTROLS}/{id}")).await.json();
    let heping = &got["cells"][0];
    let states: Vec<(&str, &Value)> =
        heping["measures"].as_array().unwrap().iter().map(|m| (m["code"].as_str().unwrap(), &m["done"])).collect();
    assert_eq!(states, [("stop_earthworks", &json!(false)), ("ban_open_burning", &json!(true))]);
    let outcome = &got["outcome"];
    let planned_total = 2 + got["cells"][1]["measures"].as_array().unwrap().len();
    assert_eq!(
        (outcome["measures_done"].as_u64(), outcome["measures_planned"].as_u64()),
        (Some(1), Some(planned_total as u64))
    );
    let list = app.get_as(&desk.commander, &format!("{CONTROLS}/{id}/check-ins?cell=210102&limit=1")).await.json();
    assert_eq!(list["items"][0]["id"], checked["id"]);
    assert!(list["next_cursor"].is_string());
    let theirs = app.get_as(&desk.other_worker, &format!("{CONTROLS}/{id}/check-ins")).await.json();
    assert_eq!(theirs["items"], json!([]), "the other district sees only its own cell's check-ins");
    let seen = app.get_as(&desk.other_worker, &format!("{CONTROLS}/{id}")).await.json();
    let cells: Vec<&Value> = seen["cells"].as_array().unwrap().iter().map(|c| &c["code"]).collect();
    assert_eq!(cells, [&json!("210103")], "nor the other district's plan and people");
    step(&app, &desk.commander, &id, json!({"action": "lift"})).await;
    check_in(&app, &desk.worker, &id, "210102", &done, None).await.assert_problem(409, "conflict");
}

#[actix_web::test]
async fn prompts_reach_the_cells_people_who_acknowledge_them_and_the_centre_sees_who_has_not() {
    let app = spawn_app().await;
    let desk = desk(&app).await;
    let active = active_over_heping(&app, &desk).await;
    let id = active["id"].as_str().unwrap().to_owned();

    let mine = app.get_as(&desk.worker, "/api/v1/me/prompts").await.json();
    let prompts = mine["items"].as_array().unwrap();
    assert_eq!(prompts.len(), 1);
    let prompt = &prompts[0];
    assert_eq!((prompt["level"].as_str(), prompt["cell_code"].as_str()), (Some("orange"), Some("210102")));
    assert!(prompt["items"].as_array().unwrap().iter().any(|i| i["audience"] == "grid_workers"));
    assert!(prompt["acknowledged_at"].is_null());
    assert_eq!(app.get_as(&desk.other_worker, "/api/v1/me/prompts").await.json()["items"], json!([]));

    let prompt_id = prompt["id"].as_str().unwrap().to_owned();
    let ack = format!("/api/v1/me/prompts/{prompt_id}/acknowledgement");
    let first = app.post_json_as(&desk.worker, &ack, &json!({})).await;
    first.assert_status(200);
    let at = first.json()["acknowledged_at"].clone();
    assert!(at.is_string());
    assert_eq!(app.post_json_as(&desk.worker, &ack, &json!({})).await.json()["acknowledged_at"], at, "once");
    app.post_json_as(&desk.other_worker, &ack, &json!({})).await.assert_problem(404, "not-found");
    app.post_json_as(&desk.viewer, &ack, &json!({})).await.assert_problem(403, "forbidden");

    // The centre: one of two (the worker and the district supervisor) acknowledged; the supervisor has not.
    let tally = app.get_as(&desk.commander, &format!("{CONTROLS}/{id}/prompts")).await.json();
    let row = &tally["items"][0];
    assert_eq!((row["recipients"].as_u64(), row["acknowledged"].as_u64()), (Some(2), Some(1)));
    assert_eq!(row["acknowledged_percent"], 50.0);
    let pending = app.get_as(&desk.commander, &format!("{CONTROLS}/{id}/prompts/{prompt_id}/pending")).await.json();
    let names: Vec<&Value> = pending["items"].as_array().unwrap().iter().map(|r| &r["home_cell"]).collect();
    assert_eq!(names, [&json!("210102")]);
    let path = format!("{CONTROLS}/{id}/prompts/{prompt_id}/pending");
    app.get_as(&desk.worker, &path).await.assert_problem(403, "forbidden");
    app.get_as(&desk.viewer, &path).await.assert_problem(403, "forbidden");

    // A level change replaces the prompt; the old one can no longer be acknowledged.
    step(&app, &desk.commander, &id, json!({"action": "change_level", "level": "red"})).await;
    app.post_json_as(&desk.supervisor, &ack, &json!({})).await.assert_problem(409, "conflict");
    let mine = app.get_as(&desk.supervisor, "/api/v1/me/prompts").await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["level"], "red");
    let tally = app.get_as(&desk.commander, &format!("{CONTROLS}/{id}/prompts")).await.json();
    assert_eq!(tally["items"].as_array().unwrap().len(), 2);
    assert!(tally["items"][1]["superseded_at"].is_string());
    step(&app, &desk.commander, &id, json!({"action": "lift"})).await;
    assert_eq!(app.get_as(&desk.worker, "/api/v1/me/prompts").await.json()["items"], json!([]));
}

#[actix_web::test]
async fn new_incidents_under_control_get_the_levels_tightened_deadline_and_say_why() {
    let app = spawn_app().await;
    let desk = desk(&app).await;
    let active = active_over_heping(&app, &desk).await;
    let burning = report(&app, &desk.worker, &report_at("open_burning", 2.5, 0.5)).await;
    assert_eq!(burning["control"]["activation_id"], active["id"]);
    assert_eq!(burning["control"]["deadline"], json!({"amount": 2, "unit": "hours"}));
    let assigned = act(&app, &desk.commander, burning["id"].as_str().unwrap(), json!({"action": "assign"})).await;
    let deadline = chrono::DateTime::parse_from_rfc3339(assigned["deadline_at"].as_str().unwrap()).unwrap();
    let assigned_at = chrono::DateTime::parse_from_rfc3339(assigned["assigned_at"].as_str().unwrap()).unwrap();
    assert_eq!(deadline - assigned_at, Duration::hours(2), "orange: 2 h for open burning");
    let note = assigned["deadline_note"].as_str().unwrap();
    assert!(note.contains("special control") && note.contains("instead of"), "{note}");

    // Subcategories follow their parent's entry; categories no measure targets, and other districts, do not.
    let dust = report(&app, &desk.worker, &report_at("dust.construction_site", 2.5, 0.5)).await;
    assert_eq!(dust["control"]["deadline"], json!({"amount": 8, "unit": "hours"}));
    let elsewhere = report(&app, &desk.other_worker, &report_at("open_burning", 5.0, 0.5)).await;
    assert!(elsewhere["control"].is_null());
    let assigned = act(&app, &desk.commander, elsewhere["id"].as_str().unwrap(), json!({"action": "assign"})).await;
    assert_eq!(assigned["deadline_note"], "4 h for open_burning (medium)");
    step(&app, &desk.commander, active["id"].as_str().unwrap(), json!({"action": "lift"})).await;
    let after = report(&app, &desk.worker, &report_at("open_burning", 2.6, 0.6)).await;
    assert!(after["control"].is_null(), "lifted: normal deadlines again");
}

/// A constructed year: 21 activations over the city, 17 of three days all forecast light pollution and
/// observed good, 4 of four days (one forecast heavier, one staying light): 17 × 3 + 4 × 2 = 59 pulled to good.
#[actix_web::test]
async fn a_year_of_records_gives_21_activations_and_59_days_pulled_to_good() {
    let app = spawn_app().await;
    let desk = desk(&app).await;
    let mut observed = Vec::new();
    for k in 0..21i64 {
        let first = chrono::NaiveDate::from_ymd_opt(2025, 1, 5).unwrap() + Duration::days(14 * k);
        let long = k >= 17;
        let (forecast, seen): (&[u16], &[u16]) =
            if long { (&[135, 180, 110, 140], &[85, 90, 99, 130]) } else { (&[120, 130, 140], &[90, 95, 100]) };
        let days: Vec<Value> = forecast
            .iter()
            .enumerate()
            .map(|(i, aqi)| json!({"date": first + Duration::days(i as i64), "aqi": aqi, "primary_pollutant": "pm2_5"}))
            .collect();
        observed.extend(
            seen.iter().enumerate().map(|(i, aqi)| json!({"date": first + Duration::days(i as i64), "aqi": aqi})),
        );
        let last = first + Duration::days(forecast.len() as i64 - 1);
        let level = ["temporary", "yellow", "orange"][k as usize % 3];
        let body = json!({
            "title": format!("2025年第{}次特别管控", k + 1), "reason": "预报轻度污染", "level": level,
            "forecast": {"source": "沈阳市环境监测中心站", "days": days},
            "planned_start": format!("{first} 08:00"), "planned_end": format!("{last} 20:00"),
        });
        create(&app, &desk.commander, &body).await;
    }
    // A cancelled one and one in the next year count for nothing in 2025.
    let cancelled =
        create(&app, &desk.commander, &activation("yellow", None, "2025-12-20 08:00", Some("2025-12-21 08:00"))).await;
    step(&app, &desk.commander, cancelled["id"].as_str().unwrap(), json!({"action": "cancel"})).await;
    create(&app, &desk.commander, &activation("yellow", None, "2026-01-10 08:00", Some("2026-01-11 08:00"))).await;
    run_schedule(&app).await;
    let res = send(&app, &desk.commander, Method::PUT, "/api/v1/observed-aqi", None, &json!({"days": observed})).await;
    res.assert_status(200);
    assert_eq!(res.json()["recorded"], 17 * 3 + 4 * 4);

    let stats = app.get_as(&desk.viewer, "/api/v1/stats/controls?year=2025").await;
    stats.assert_status(200);
    let stats = stats.json();
    assert_eq!(stats["activations"], 21);
    assert_eq!(stats["pulled_to_good_days"], 59);
    assert_eq!(stats["days_under_control"], 17 * 3 + 4 * 4);
    assert_eq!(stats["forecast_light_days"], 17 * 3 + 4 * 3);
    assert_eq!(stats["by_level"], json!({"orange": 7, "temporary": 7, "yellow": 7}));
    let last = &stats["items"][20]["outcome"];
    assert_eq!((last["days_under_control"].as_u64(), last["pulled_to_good_days"].as_u64()), (Some(4), Some(2)));
    assert_eq!(app.get_as(&desk.viewer, "/api/v1/stats/controls?year=2026").await.json()["activations"], 1);
    // The other district's worker sees the city's activations too (they cover it).
    assert_eq!(app.get_as(&desk.other_worker, "/api/v1/stats/controls?year=2025").await.json()["activations"], 21);
    let days = app.get_as(&desk.viewer, "/api/v1/observed-aqi?from=2025-01-05&to=2025-01-07").await.json();
    assert_eq!(days["items"].as_array().unwrap().len(), 3);

    // Observed days are checked as a whole: nothing is written when one is bad.
    let tomorrow = (Utc::now() + Duration::days(2)).date_naive();
    let bad = json!({"days": [{"date": "2025-01-05", "aqi": 20}, {"date": tomorrow, "aqi": 50}, {"date": "2025-01-06", "aqi": 501}]});
    let res = send(&app, &desk.commander, Method::PUT, "/api/v1/observed-aqi", None, &bad).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["days[2].aqi"]);
    let bad = json!({"days": [{"date": "2025-01-05", "aqi": 20}, {"date": tomorrow, "aqi": 50}]});
    let res = send(&app, &desk.commander, Method::PUT, "/api/v1/observed-aqi", None, &bad).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["days[1].date"]);
    let day = app.get_as(&desk.viewer, "/api/v1/observed-aqi?from=2025-01-05&to=2025-01-05").await.json();
    assert_eq!(day["items"][0]["aqi"], 90);
    send(&app, &desk.supervisor, Method::PUT, "/api/v1/observed-aqi", None, &json!({"days": observed}))
        .await
        .assert_problem(403, "forbidden");
    app.get_as(&desk.viewer, "/api/v1/stats/controls").await.assert_problem(400, "invalid-parameter");
    app.get_as(&desk.viewer, "/api/v1/stats/controls?year=1999").await.assert_problem(422, "validation");
}

#[actix_web::test]
async fn the_ladder_and_the_measure_catalogue_are_read_and_extended() {
    let app = spawn_app().await;
    let desk = desk(&app).await;
    let ladder = app.get_as(&desk.worker, "/api/v1/control-levels").await.json();
    let codes: Vec<&str> = ladder["levels"].as_array().unwrap().iter().map(|l| l["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["temporary", "yellow", "orange", "red"]);
    let measures = app.get_as(&desk.worker, "/api/v1/control-measures").await.json();
    assert_eq!(measures["items"].as_array().unwrap().len(), 9);
    let new = json!({"code": "stop_concrete_mixing", "name_zh": "停止混凝土搅拌作业", "name_en": "Stop concrete mixing",
                     "categories": ["dust.construction_site"]});
    app.post_json_as(&desk.supervisor, "/api/v1/control-measures", &new).await.assert_problem(403, "forbidden");
    app.post_json_as(&desk.commander, "/api/v1/control-measures", &new).await.assert_status(201);
    app.post_json_as(&desk.commander, "/api/v1/control-measures", &new).await.assert_problem(409, "conflict");
    let mut unknown = new.clone();
    unknown["code"] = json!("x");
    unknown["categories"] = json!(["volcano"]);
    let problem =
        app.post_json_as(&desk.commander, "/api/v1/control-measures", &unknown).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["categories[0]"]);
    let mut body = activation("yellow", Some(&["210102"]), &hours_from_now(1), None);
    body["measures"] = json!(["stop_concrete_mixing"]);
    let created = create(&app, &desk.commander, &body).await;
    assert_eq!(created["cells"][0]["measures"][0]["code"], "stop_concrete_mixing");
    app.send(app.anonymous(Method::GET, "/api/v1/control-levels")).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_ladder_file_replaces_the_builtin_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ladder.json");
    let ladder = json!([{"code": "alert", "name_zh": "预警", "name_en": "Alert", "response": "I", "trigger": "AQI > 200",
        "measures": ["ban_open_burning"], "prompts": [{"audience": "grid_workers", "text": "加强巡查"}],
        "deadlines": {"open_burning": {"amount": 3, "unit": "hours"}}}]);
    std::fs::write(&file, ladder.to_string()).unwrap();
    let app = crate::helpers::spawn_app_with(|s| s.control_ladder_file = Some(file.clone())).await;
    let desk = desk(&app).await;
    let levels = app.get_as(&desk.viewer, "/api/v1/control-levels").await.json();
    assert_eq!(levels["levels"][0]["code"], "alert");
    let body = activation("orange", Some(&["210102"]), &hours_from_now(1), None);
    app.post_json_as(&desk.commander, CONTROLS, &body).await.assert_problem(422, "validation");
    std::fs::write(&file, "[]").unwrap();
    let settings = airgrid::config::Settings { control_ladder_file: Some(file), ..Default::default() };
    assert!(airgrid::controls::load_ladder(&settings).unwrap_err().to_string().contains("no levels"));
}
