//! Incidents: reporting and routing, the closed loop with its roles, scope, preconditions and events.

use airgrid::domain::calendar::{self, Span, WorkCalendar};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::incident_support::{
    INCIDENTS, PHOTO_PLAIN, act, desk, event_types, incident, photo_free_category, rectifying, report, report_at,
    try_act, try_report, upload,
};

async fn count(app: &TestApp) -> usize {
    app.get(INCIDENTS).await.json()["items"].as_array().unwrap().len()
}

#[actix_web::test]
async fn a_report_is_routed_to_the_deepest_cell_with_who_was_responsible() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let person = json!({"name": "王丽", "role": "grid_worker", "phone": "13800000000", "account_id": d.worker_id});
    app.post_json("/api/v1/grid/cells/210102002001/people", &person).await.assert_status(201);

    let body = json!({
        "category": "open_burning", "description": " 河边焚烧垃圾 ", "lon": 2.5, "lat": 0.5, "accuracy_m": 8,
        "address": "浑河北岸", "occurred_at": "2026-12-01 09:20:00", "source": "patrol", "severity": "high",
    });
    let res = try_report(&app, &d.worker, &body).await;
    res.assert_status(201);
    assert_eq!(res.header("etag"), Some("\"1\""));
    let answer = res.json();
    let id = answer["id"].as_str().unwrap();
    assert_eq!(res.header("location"), Some(format!("{INCIDENTS}/{id}").as_str()));
    assert_eq!(answer["status"], "reported");
    assert_eq!(answer["description"], "河边焚烧垃圾");
    assert_eq!(answer["cell_code"], "210102002001");
    let chain: Vec<&str> =
        answer["cell_chain"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(chain, ["210100", "210102", "210102002", "210102002001"]);
    assert_eq!(answer["responsible"][0]["name"], "王丽");
    assert_eq!(answer["occurred_at"], "2026-12-01T01:20:00Z", "a time without a zone is Beijing time");
    assert_eq!(answer["severity"], "high");
    assert_eq!(answer["location"], json!({"lon": 2.5, "lat": 0.5, "accuracy_m": 8.0}));
    assert_eq!(answer["reporter"]["id"], d.worker_id.as_str());
    assert_eq!(answer["possible_duplicates"], json!([]));
    assert_eq!(answer["available_actions"], json!([]), "a grid worker cannot assign");

    // The command centre may assign it; the timeline starts with the report.
    let seen = incident(&app, &d.commander, id).await;
    seen.assert_status(200);
    let seen = seen.json();
    assert_eq!(seen["available_actions"], json!(["assign", "reject", "mark_duplicate"]));
    assert_eq!(seen["timeline"][0]["action"], "report");
    assert_eq!(seen["timeline"][0]["to"], "reported");
    assert_eq!(event_types(&app, id).await, ["incident.reported"]);
}

#[actix_web::test]
async fn a_point_outside_the_grid_waits_unrouted_for_the_command_centre() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let answer = report(&app, &d.worker, &report_at("dust.road", 50.0, 50.0)).await;
    let id = answer["id"].as_str().unwrap();
    assert_eq!(answer["status"], "unrouted");
    assert_eq!(answer["cell_code"], Value::Null);
    assert_eq!(answer["cell_chain"], json!([]));

    // The command centre sees the queue; a district does not (the reporter still sees its own report).
    let queue = app.get_as(&d.commander, &format!("{INCIDENTS}?status=unrouted")).await.json();
    assert_eq!(queue["items"][0]["id"], id);
    incident(&app, &d.supervisor, id).await.assert_problem(404, "not-found");
    incident(&app, &d.worker, id).await.assert_status(200);

    // Routing by hand: only to a current cell, then it is an ordinary report of that cell.
    let res = try_act(&app, &d.commander, id, 1, &json!({"action": "route"})).await;
    let problem = res.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "cell");
    let res = try_act(&app, &d.commander, id, 1, &json!({"action": "route", "cell": "nowhere"})).await;
    res.assert_problem(422, "validation");
    let routed = act(&app, &d.commander, id, json!({"action": "route", "cell": "210102001"})).await;
    assert_eq!(routed["status"], "reported");
    assert_eq!(routed["cell_code"], "210102001");
    assert_eq!(routed["cell_chain"].as_array().unwrap().len(), 3);
    incident(&app, &d.supervisor, id).await.assert_status(200);
    assert_eq!(event_types(&app, id).await, ["incident.reported", "incident.routed"]);
}

#[actix_web::test]
async fn bad_reports_answer_problems_and_write_nothing() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let cases = [
        (json!({"description": "x", "lon": 2.5, "lat": 0.5}), 422, "validation", "category"),
        (report_at("no_such_thing", 2.5, 0.5), 422, "incident-unknown-category", "category"),
        (report_at("Bad Code", 2.5, 0.5), 422, "validation", "category"),
        (report_at("dust", 200.0, 0.5), 422, "validation", "lon"),
        (report_at("dust", 2.5, -91.0), 422, "validation", "lat"),
        (json!({"category": "dust", "description": "  ", "lon": 2.5, "lat": 0.5}), 422, "validation", "description"),
        (
            json!({"category": "dust", "description": "x", "lon": 2.5, "lat": 0.5, "crs": "mars"}),
            422,
            "validation",
            "crs",
        ),
        (
            json!({"category": "dust", "description": "x", "lon": 2.5, "lat": 0.5, "occurred_at": "yesterday"}),
            422,
            "validation",
            "occurred_at",
        ),
        (
            json!({"category": "dust", "description": "x", "lon": 2.5, "lat": 0.5, "occurred_at": "2999-01-01T00:00:00Z"}),
            422,
            "validation",
            "occurred_at",
        ),
        (
            json!({"category": "dust", "description": "x", "lon": 2.5, "lat": 0.5, "severity": "apocalyptic"}),
            422,
            "validation",
            "severity",
        ),
        (
            json!({"category": "dust", "description": "x", "lon": 2.5, "lat": 0.5, "colour": "red"}),
            422,
            "validation",
            "colour",
        ),
    ];
    for (body, status, kind, field) in cases {
        let problem = try_report(&app, &d.worker, &body).await.assert_problem(status, kind);
        assert!(
            problem["errors"].as_array().unwrap().iter().any(|e| e["field"].as_str().unwrap().starts_with(field)),
            "{body}: {problem}"
        );
    }
    let res = try_report(&app, &d.viewer, &report_at("dust", 2.5, 0.5)).await;
    res.assert_problem(403, "forbidden");
    assert_eq!(count(&app).await, 0);
}

#[actix_web::test]
async fn phones_may_send_gcj02_and_a_hotline_ticket_is_one_incident() {
    let app = spawn_app().await;
    crate::grid_support::create_cell(&app, "S1", 1, None, (123.3, 41.7, 0.2)).await;
    let token = app.token.clone().unwrap();
    let (lon, lat) = airgrid::domain::crs::Crs::Gcj02.from_wgs84(123.4, 41.79);
    let body = json!({"category": "open_barbecue", "description": "露天烧烤", "lon": lon, "lat": lat, "crs": "gcj02",
        "source": "hotline", "external": {"system": "12345", "reference": "SY20261201-0042"}});
    let answer = report(&app, &token, &body).await;
    let location = &answer["location"];
    assert!((location["lon"].as_f64().unwrap() - 123.4).abs() < 1e-6, "{location}");
    assert!((location["lat"].as_f64().unwrap() - 41.79).abs() < 1e-6, "{location}");
    assert_eq!(answer["cell_code"], "S1");
    assert_eq!(answer["external"], json!({"system": "12345", "reference": "SY20261201-0042"}));
    let again = try_report(&app, &token, &body).await;
    let problem = again.assert_problem(409, "conflict");
    assert!(problem["detail"].as_str().unwrap().contains(answer["id"].as_str().unwrap()), "{problem}");
    // The same number from another platform is another ticket.
    let other = json!({"category": "open_barbecue", "description": "露天烧烤", "lon": 123.4, "lat": 41.79,
        "external": {"system": "12369", "reference": "SY20261201-0042"}});
    report(&app, &token, &other).await;
    assert_eq!(count(&app).await, 2);
    // Output in the phone's system.
    let id = answer["id"].as_str().unwrap();
    let gcj = app.get(&format!("{INCIDENTS}/{id}?crs=gcj02")).await.json();
    assert!((gcj["location"]["lon"].as_f64().unwrap() - lon).abs() < 1e-6);
}

#[actix_web::test]
async fn nearby_open_reports_of_the_same_category_are_possible_duplicates() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let first = report(&app, &d.worker, &report_at("open_burning", 2.5, 0.5)).await;
    let id = first["id"].as_str().unwrap();
    // ~111 m north: inside open_burning's 300 m radius.
    let second = report(&app, &d.worker, &report_at("open_burning", 2.5, 0.501)).await;
    let dupes = second["possible_duplicates"].as_array().unwrap();
    assert_eq!(dupes.len(), 1);
    assert_eq!(dupes[0]["id"], id);
    let distance = dupes[0]["distance_m"].as_f64().unwrap();
    assert!((100.0..120.0).contains(&distance), "{distance}");
    // Another category, or farther than the radius, is not offered.
    let other = report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await;
    assert_eq!(other["possible_duplicates"], json!([]));
    let far = report(&app, &d.worker, &report_at("open_burning", 2.5, 0.51)).await;
    assert_eq!(far["possible_duplicates"], json!([]));

    // A supervisor links the second to the first; both timelines show it.
    let second_id = second["id"].as_str().unwrap();
    let marked = act(&app, &d.supervisor, second_id, json!({"action": "mark_duplicate", "original_id": id})).await;
    assert_eq!(marked["status"], "duplicate");
    assert_eq!(marked["duplicate_of"], id);
    let original = incident(&app, &d.supervisor, id).await.json();
    let last = original["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "duplicate_linked");
    assert_eq!(last["data"]["duplicate_id"], second_id);
    // Pointing at a duplicate, at itself or at nothing is refused.
    let third = report(&app, &d.worker, &report_at("open_burning", 2.5, 0.5)).await;
    let third_id = third["id"].as_str().unwrap();
    for original in [second_id, third_id, "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"] {
        let res =
            try_act(&app, &d.supervisor, third_id, 1, &json!({"action": "mark_duplicate", "original_id": original}))
                .await;
        res.assert_problem(422, "validation");
    }
}

#[actix_web::test]
async fn the_closed_loop_from_report_to_closure() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let id = report(&app, &d.worker, &report_at("open_burning", 2.5, 0.5)).await["id"].as_str().unwrap().to_owned();
    let id = id.as_str();

    let assigned =
        act(&app, &d.commander, id, json!({"action": "assign", "assignee_id": d.worker_id, "note": "请尽快处置"}))
            .await;
    assert_eq!(assigned["status"], "assigned");
    assert_eq!(assigned["assignee"]["id"], d.worker_id.as_str());
    // open_burning, medium: 4 hours from assignment.
    let at = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert_eq!(at(&assigned["deadline_at"]) - at(&assigned["assigned_at"]), chrono::Duration::hours(4));
    assert_eq!(assigned["deadline_note"], "4 h for open_burning (medium)");
    assert_eq!(assigned["light"], "green");
    assert_eq!(assigned["overdue"], false);

    let started = act(&app, &d.worker, id, json!({"action": "start"})).await;
    assert_eq!(started["status"], "rectifying");

    // Rectifying needs a note and an "after" photo taken since rectifying began.
    let version = started["version"].as_i64().unwrap();
    let res = try_act(&app, &d.worker, id, version, &json!({"action": "rectify"})).await;
    let problem = res.assert_problem(422, "validation");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["note", "photos"]);
    upload(&app, &d.worker, id, "after", PHOTO_PLAIN, "after.png").await.assert_status(201);
    let rectified = act(&app, &d.worker, id, json!({"action": "rectify", "note": "已清理焚烧物"})).await;
    assert_eq!(rectified["status"], "rectified");
    assert!(rectified["rectified_at"].is_string());

    // Verification: not by the one who rectified (a commander rectifying is refused to close it too).
    let version = rectified["version"].as_i64().unwrap();
    try_act(&app, &d.worker, id, version, &json!({"action": "close"})).await.assert_problem(403, "forbidden");
    let closed = act(&app, &d.verifier, id, json!({"action": "close"})).await;
    assert_eq!(closed["status"], "closed");
    assert!(closed["closed_at"].is_string());
    assert_eq!(closed["light"], "green");

    let detail = incident(&app, &d.commander, id).await.json();
    let steps: Vec<(&str, &str)> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("report", "reported"),
            ("assign", "assigned"),
            ("start", "rectifying"),
            ("photo_added", "rectifying"),
            ("rectify", "rectified"),
            ("close", "closed"),
        ]
    );
    assert_eq!(detail["timeline"][1]["note"], "请尽快处置");
    assert_eq!(detail["timeline"][1]["actor"]["name"].as_str().map(|n| !n.is_empty()), Some(true));
    assert_eq!(
        event_types(&app, id).await,
        [
            "incident.reported",
            "incident.assigned",
            "incident.started",
            "incident.photo_added",
            "incident.rectified",
            "incident.closed"
        ]
    );
}

#[actix_web::test]
async fn illegal_steps_answer_409_naming_what_is_allowed() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let id = report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await["id"].as_str().unwrap().to_owned();
    let res = try_act(&app, &d.commander, &id, 1, &json!({"action": "close"})).await;
    let problem = res.assert_problem(409, "invalid-transition");
    assert!(problem["detail"].as_str().unwrap().contains("assign, reject, mark_duplicate"), "{problem}");
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3);
    let res = try_act(&app, &d.commander, &id, 1, &json!({"action": "fly"})).await;
    res.assert_problem(422, "validation");
    // Decisions on an extension nobody asked for.
    let assigned = act(&app, &d.commander, &id, json!({"action": "assign"})).await;
    let v = assigned["version"].as_i64().unwrap();
    let res = try_act(&app, &d.commander, &id, v, &json!({"action": "decide_extension", "approve": true})).await;
    res.assert_problem(409, "conflict");
    assert_eq!(incident(&app, &d.commander, &id).await.json()["version"], v, "nothing was written");
}

#[actix_web::test]
async fn stale_or_missing_versions_are_refused() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let id = report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await["id"].as_str().unwrap().to_owned();
    act(&app, &d.commander, &id, json!({"action": "assign"})).await;
    let res = try_act(&app, &d.commander, &id, 1, &json!({"action": "reject", "note": "x"})).await;
    res.assert_problem(412, "precondition-failed");
    let req = app
        .request_as(&d.commander, actix_web::http::Method::POST, &format!("{INCIDENTS}/{id}/transitions"))
        .insert_header(("Content-Type", "application/json"));
    let res = app.send_body(req, br#"{"action": "start"}"#.to_vec()).await;
    res.assert_problem(428, "precondition-required");
    assert_eq!(incident(&app, &d.commander, &id).await.json()["status"], "assigned");
}

#[actix_web::test]
async fn roles_and_scope_decide_who_may_act() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let id = report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await["id"].as_str().unwrap().to_owned();
    let id = id.as_str();
    // Out of scope: another district's supervisor and worker do not see it at all.
    for token in [&d.other_supervisor, &d.other_worker] {
        incident(&app, token, id).await.assert_problem(404, "not-found");
        try_act(&app, token, id, 1, &json!({"action": "assign"})).await.assert_problem(404, "not-found");
        let listed = app.get_as(token, INCIDENTS).await.json();
        assert_eq!(listed["items"], json!([]));
    }
    // In scope without the role: a worker may not assign, a viewer may not start.
    try_act(&app, &d.worker, id, 1, &json!({"action": "assign"})).await.assert_problem(403, "forbidden");
    try_act(&app, &d.viewer, id, 1, &json!({"action": "reject", "note": "x"})).await.assert_problem(403, "forbidden");
    // The district may assign inside its subtree, but not to a cell outside it.
    let res = try_act(&app, &d.supervisor, id, 1, &json!({"action": "assign", "cell": "210103001"})).await;
    res.assert_problem(422, "validation");
    let res = try_act(&app, &d.supervisor, id, 1, &json!({"action": "assign", "cell": "210100"})).await;
    res.assert_problem(403, "forbidden");
    // A named assignee: another worker of the grid cannot start it.
    let other = app.account(airgrid::domain::access::Role::GridWorker, Some("210102")).await;
    act(&app, &d.supervisor, id, json!({"action": "assign", "assignee_id": d.worker_id})).await;
    let v = incident(&app, &d.supervisor, id).await.json()["version"].as_i64().unwrap();
    try_act(&app, &other, id, v, &json!({"action": "start"})).await.assert_problem(403, "forbidden");
    act(&app, &d.worker, id, json!({"action": "start"})).await;
    // An assignee must be able to see the cell.
    let id2 = report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await["id"].as_str().unwrap().to_owned();
    let outsider = app.account_named("outsider", airgrid::domain::access::Role::GridWorker, Some("210103001")).await.0;
    let res = try_act(&app, &d.supervisor, &id2, 1, &json!({"action": "assign", "assignee_id": outsider})).await;
    res.assert_problem(422, "validation");
}

#[actix_web::test]
async fn reject_reopen_and_extensions() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    photo_free_category(&app, "test_free").await;
    // Rejected: not a real problem, with a reason.
    let id = report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await["id"].as_str().unwrap().to_owned();
    let res = try_act(&app, &d.supervisor, &id, 1, &json!({"action": "reject"})).await;
    res.assert_problem(422, "validation");
    let rejected = act(&app, &d.supervisor, &id, json!({"action": "reject", "note": "现场核实为施工许可内作业"})).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["available_actions"], json!([]));

    // Reopened after a failed verification: rectified again later.
    let id = rectifying(&app, &d, "test_free").await;
    act(&app, &d.worker, &id, json!({"action": "rectify", "note": "已处理"})).await;
    let reopened = act(&app, &d.supervisor, &id, json!({"action": "reopen", "note": "复查仍有焚烧痕迹"})).await;
    assert_eq!(reopened["status"], "rectifying");
    assert_eq!(reopened["rectified_at"], Value::Null);

    // Extension: the handler asks, a manager approves, the deadline moves.
    let before = incident(&app, &d.worker, &id).await.json();
    let deadline = before["deadline_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    let until = (deadline + chrono::Duration::days(2)).to_rfc3339();
    let res = try_act(
        &app,
        &d.worker,
        &id,
        before["version"].as_i64().unwrap(),
        &json!({"action": "request_extension", "until": until}),
    )
    .await;
    res.assert_problem(422, "validation");
    let asked =
        act(&app, &d.worker, &id, json!({"action": "request_extension", "until": until, "note": "需协调渣土清运"}))
            .await;
    assert_eq!(asked["extension_request"]["note"], "需协调渣土清运");
    let approved = act(&app, &d.supervisor, &id, json!({"action": "decide_extension", "approve": true})).await;
    assert_eq!(
        approved["deadline_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(),
        deadline + chrono::Duration::days(2)
    );
    assert_eq!(approved["extension_request"], Value::Null);
    assert!(approved["deadline_note"].as_str().unwrap().starts_with("extended on request"));
    let types = event_types(&app, &id).await;
    assert!(
        types.ends_with(&["incident.extension_requested".to_owned(), "incident.extension_decided".to_owned()]),
        "{types:?}"
    );
}

#[actix_web::test]
async fn deadlines_in_working_days_follow_the_holiday_calendar() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    photo_free_category(&app, "test_free").await;
    let id = report(
        &app,
        &d.worker,
        &json!({"category": "test_free", "description": "x", "lon": 2.5, "lat": 0.5, "severity": "low"}),
    )
    .await;
    let id = id["id"].as_str().unwrap();
    let assigned = act(&app, &d.commander, id, json!({"action": "assign"})).await;
    let assigned_at = assigned["assigned_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    let expected =
        calendar::deadline(assigned_at, Span::working_days(3), &WorkCalendar::china(), chrono_tz::Asia::Shanghai);
    assert_eq!(assigned["deadline_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), expected);
    assert_eq!(assigned["deadline_note"], "3 working days for test_free (low)");
    // An explicit deadline or span wins; a past one is refused.
    let v = assigned["version"].as_i64().unwrap();
    let res = try_act(
        &app,
        &d.commander,
        id,
        v,
        &json!({"action": "reassign", "note": "x", "deadline_at": "2020-01-01 00:00:00"}),
    )
    .await;
    res.assert_problem(422, "validation");
    let again = act(
        &app,
        &d.commander,
        id,
        json!({"action": "reassign", "note": "加急", "deadline": {"amount": 2, "unit": "hours"}}),
    )
    .await;
    let at = again["assigned_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        again["deadline_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap() - at,
        chrono::Duration::hours(2)
    );
}

#[actix_web::test]
async fn overdue_incidents_are_red_and_filtered() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let late = rectifying(&app, &d, "dust").await;
    let fine = rectifying(&app, &d, "dust").await;
    // Time passes for one of them: its deadline is moved into the past in the database.
    let mut conn = airgrid::db::AnyConnection::open(&app.database_url).unwrap();
    use airgrid::db::schema::incidents;
    use diesel::prelude::*;
    let past = (Utc::now() - chrono::Duration::hours(1)).naive_utc();
    diesel::update(incidents::table.filter(incidents::id.eq(&late)))
        .set(incidents::deadline_at.eq(past))
        .execute(&mut conn)
        .unwrap();

    let seen = incident(&app, &d.commander, &late).await.json();
    assert_eq!((seen["overdue"].clone(), seen["light"].clone()), (json!(true), json!("red")));
    let ids = |v: Value| {
        v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(ids(app.get(&format!("{INCIDENTS}?overdue=true")).await.json()), [late]);
    assert_eq!(ids(app.get(&format!("{INCIDENTS}?overdue=false")).await.json()), [fine]);
}

#[actix_web::test]
async fn lists_filter_and_page_newest_first() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let mut ids = Vec::new();
    for (category, lon) in [("dust.road", 2.5), ("open_burning", 0.5), ("dust", 4.5), ("dust.muck_truck", 2.5)] {
        ids.push(report(&app, &d.commander, &report_at(category, lon, 0.5)).await["id"].as_str().unwrap().to_owned());
    }
    let listed = |path: String| {
        let app = &app;
        async move {
            let res = app.get(&path).await;
            res.assert_status(200);
            res.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(format!("{INCIDENTS}?category=dust")).await, [ids[3].clone(), ids[2].clone(), ids[0].clone()]);
    assert_eq!(listed(format!("{INCIDENTS}?cell=210102")).await, [ids[3].clone(), ids[1].clone(), ids[0].clone()]);
    assert_eq!(listed(format!("{INCIDENTS}?cell=210103&category=dust")).await, [ids[2].clone()]);
    assert_eq!(listed(format!("{INCIDENTS}?bbox=2,0,3,1")).await, [ids[3].clone(), ids[0].clone()]);
    assert_eq!(listed(format!("{INCIDENTS}?q=%E7%84%9A%E7%83%A7")).await.len(), 4, "text search: 焚烧");
    assert_eq!(listed(format!("{INCIDENTS}?source=hotline")).await.len(), 0);
    assert_eq!(listed(format!("{INCIDENTS}?status=reported&from=2000-01-01&to=2999-01-01")).await.len(), 4);
    // Pages of one, by cursor, in the same order.
    let mut seen = Vec::new();
    let mut path = format!("{INCIDENTS}?limit=1");
    loop {
        let res = app.get(&path).await;
        let body = res.json();
        seen.extend(body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("{INCIDENTS}?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids);
    for bad in ["status=lost", "source=rumour", "bbox=1,2,3", "from=soon", "limit=0", "f=xml"] {
        app.get(&format!("{INCIDENTS}?{bad}")).await.assert_problem(422, "validation");
    }
    app.get(&format!("{INCIDENTS}?cursor=%%%")).await.assert_problem(400, "invalid-parameter");
    app.get(&format!("{INCIDENTS}?cell=nowhere")).await.assert_problem(422, "validation");
}

#[actix_web::test]
async fn geojson_and_csv_exports() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    for i in 0..3 {
        let body = json!({"category": "dust", "description": format!("扬尘, \"第{i}处\""), "lon": 2.5, "lat": 0.5});
        report(&app, &d.worker, &body).await;
    }
    let res = app.get(&format!("{INCIDENTS}?f=geojson&limit=2")).await;
    res.assert_status(200);
    assert_eq!(res.header("content-type"), Some("application/geo+json"));
    let collection = res.json();
    assert_eq!(collection["type"], "FeatureCollection");
    assert_eq!(collection["numberReturned"], 2);
    assert_eq!(collection["features"][0]["geometry"], json!({"type": "Point", "coordinates": [2.5, 0.5]}));
    assert_eq!(collection["links"][0]["rel"], "next");
    let accept = app.request(actix_web::http::Method::GET, INCIDENTS).insert_header(("Accept", "application/geo+json"));
    assert_eq!(app.send(accept).await.json()["type"], "FeatureCollection");

    let res = app.get(&format!("{INCIDENTS}/export.csv?bom=true&category=dust")).await;
    res.assert_status(200);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(res.body.starts_with(b"\xEF\xBB\xBFid,category,status"));
    let mut reader = csv::Reader::from_reader(&res.body[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][1], "dust");
    assert_eq!(&rows[0][7], "扬尘, \"第2处\"", "quotes and commas survive");
    assert!(rows[0][15].ends_with("+08:00"), "times in the city's zone: {}", &rows[0][15]);
    app.get(&format!("{INCIDENTS}/export.csv?status=nope")).await.assert_problem(422, "validation");
    let other = app.get_as(&d.other_worker, &format!("{INCIDENTS}/export.csv")).await;
    assert_eq!(csv::Reader::from_reader(&other.body[..]).records().count(), 0, "scope applies to exports");
}

/// The published figure: 461 problems assigned, 426 rectified, a rectification rate of 92.41%.
#[actix_web::test]
async fn the_rectification_rate_is_computed_honestly() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    photo_free_category(&app, "test_free").await;
    let mut ids = Vec::new();
    for chunk in 0..3 {
        let items: Vec<Value> = (0..154)
            .filter(|i| chunk * 154 + i < 461)
            .map(|i| json!({"key": format!("k{chunk}-{i}"), "report": {"category": "test_free", "description": "x", "lon": 2.5, "lat": 0.5}}))
            .collect();
        let res = app.post_json_as(&d.worker, &format!("{INCIDENTS}/batch"), &json!({"items": items})).await;
        res.assert_status(200);
        ids.extend(
            res.json()["items"].as_array().unwrap().iter().map(|r| r["incident"]["id"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(ids.len(), 461);
    let steps = |id: String, rectify: bool| {
        let (app, d) = (&app, &d);
        async move {
            act(app, &d.commander, &id, json!({"action": "assign"})).await;
            if rectify {
                act(app, &d.worker, &id, json!({"action": "start"})).await;
                act(app, &d.worker, &id, json!({"action": "rectify", "note": "done"})).await;
            }
        }
    };
    for (n, chunk) in ids.chunks(16).enumerate() {
        let work = chunk.iter().enumerate().map(|(i, id)| steps(id.clone(), n * 16 + i < 426));
        futures_util::future::join_all(work).await;
    }
    // Two more that are not real problems: counted as reported, in no rate.
    let rejected = report(&app, &d.worker, &report_at("test_free", 2.5, 0.5)).await;
    act(&app, &d.commander, rejected["id"].as_str().unwrap(), json!({"action": "reject", "note": "误报"})).await;

    let stats = app.get("/api/v1/stats/incidents?from=2000-01-01&to=2999-01-01&cell=210102").await;
    stats.assert_status(200);
    let s = stats.json();
    assert_eq!((s["reported"].clone(), s["not_counted"].clone()), (json!(462), json!(1)));
    assert_eq!((s["assigned"].clone(), s["rectified"].clone()), (json!(461), json!(426)));
    assert_eq!(s["rectification_rate"], 92.41);
    assert_eq!(s["closure_rate"], 0.0);
    assert_eq!(s["by_status"]["rectified"], 426);
    assert_eq!(s["by_status"]["assigned"], 35);
    assert_eq!(s["time_to_rectify"]["count"], 426);
    // The other district has none of it; a district sees only its own figures.
    let other = app.get_as(&d.other_supervisor, "/api/v1/stats/incidents?from=2000-01-01&to=2999-01-01").await.json();
    assert_eq!(other["reported"], 0);
    assert_eq!(other["rectification_rate"], Value::Null);
    app.get("/api/v1/stats/incidents?from=2026-01-01").await.assert_problem(400, "invalid-parameter");
    app.get("/api/v1/stats/incidents?from=2026-01-01&to=2025-01-01").await.assert_problem(422, "validation");
}
