//! Around the incidents' closed loop: the category catalogue, offline batches, `Idempotency-Key` on reports
//! and transitions, prompt and supervision sheets, and how the event feed scopes incident events.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::grid_support::{error_fields, patch};
use crate::helpers::{TestApp, TestResponse, spawn_app, spawn_app_with};
use crate::incident_support::{INCIDENTS, act, desk, event_types, incident, report, report_at, try_report};

const CATEGORIES: &str = "/api/v1/incident-categories";
const BATCH: &str = "/api/v1/incidents/batch";
const SHEETS: &str = "/api/v1/supervision-sheets";

/// Every incident, as the administrator sees them.
async fn all_incidents(app: &TestApp) -> Vec<String> {
    let res = app.get(&format!("{INCIDENTS}?limit=1000")).await;
    res.assert_status(200);
    res.json()["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// The `items` of a list answer, by `field`.
fn listed(body: &Value, field: &str) -> Vec<String> {
    body["items"].as_array().expect("items").iter().map(|i| i[field].as_str().unwrap().to_owned()).collect()
}

fn deadlines(low: (u32, &str), medium: (u32, &str), high: (u32, &str)) -> Value {
    json!({
        "low": {"amount": low.0, "unit": low.1},
        "medium": {"amount": medium.0, "unit": medium.1},
        "high": {"amount": high.0, "unit": high.1},
    })
}

// --- categories ---

#[actix_web::test]
async fn the_catalogue_starts_with_dust_and_burning_and_administrators_extend_it() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let res = app.get_as(&d.worker, CATEGORIES).await;
    res.assert_status(200);
    let catalogue = res.json();
    let codes: Vec<&str> = catalogue.as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        [
            "dust",
            "dust.bare_soil",
            "dust.construction_site",
            "dust.material_yard",
            "dust.muck_truck",
            "dust.road",
            "open_barbecue",
            "open_burning",
            "open_spray_painting",
            "straw_fire",
        ]
    );
    let find = |code: &str| catalogue.as_array().unwrap().iter().find(|c| c["code"] == code).unwrap().clone();
    let working_days = deadlines((5, "working_days"), (3, "working_days"), (1, "working_days"));
    for (code, name_zh, parent, expected) in [
        ("dust", "扬尘", Value::Null, working_days.clone()),
        ("dust.construction_site", "施工工地扬尘", json!("dust"), working_days.clone()),
        ("dust.road", "道路扬尘", json!("dust"), working_days.clone()),
        ("dust.bare_soil", "裸露地面未苫盖", json!("dust"), working_days.clone()),
        ("dust.material_yard", "物料堆场扬尘", json!("dust"), working_days.clone()),
        ("dust.muck_truck", "渣土车遗撒", json!("dust"), working_days.clone()),
        ("open_burning", "露天焚烧", Value::Null, deadlines((24, "hours"), (4, "hours"), (2, "hours"))),
        ("straw_fire", "秸秆焚烧火点", Value::Null, deadlines((24, "hours"), (24, "hours"), (12, "hours"))),
        ("open_barbecue", "露天烧烤", Value::Null, deadlines((24, "hours"), (24, "hours"), (12, "hours"))),
        ("open_spray_painting", "露天喷漆", Value::Null, working_days.clone()),
    ] {
        let category = find(code);
        assert_eq!(category["name_zh"], name_zh, "{category}");
        assert_eq!(category["parent_code"], parent, "{category}");
        assert_eq!(category["deadlines"], expected, "{category}");
        assert_eq!((category["active"].clone(), category["version"].clone()), (json!(true), json!(1)));
    }

    // A new subtype of dust.
    let demolition = json!({"code": "dust.demolition", "name_zh": "拆迁工地扬尘", "name_en": "Demolition-site dust",
        "deadlines": deadlines((3, "working_days"), (2, "working_days"), (1, "working_days"))});
    let res = app.post_json(CATEGORIES, &demolition).await;
    res.assert_status(201);
    assert_eq!(res.header("location"), Some("/api/v1/incident-categories/dust.demolition"));
    assert_eq!(res.header("etag"), Some("\"1\""));
    let created = res.json();
    assert_eq!(created["parent_code"], "dust");
    assert_eq!(created["name_zh"], "拆迁工地扬尘");
    assert_eq!(
        (created["duplicate_radius_m"].clone(), created["duplicate_window_hours"].clone()),
        (json!(200.0), json!(72))
    );
    assert_eq!(app.get_as(&d.worker, "/api/v1/incident-categories/dust.demolition").await.json(), created);

    // No parent, a taken code, a caller who may not configure, a missing field.
    let orphan =
        json!({"code": "nosuch.sub", "name_zh": "无", "name_en": "None", "deadlines": demolition["deadlines"]});
    let problem = app.post_json(CATEGORIES, &orphan).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["code"]);
    let taken =
        json!({"code": "dust.road", "name_zh": "道路", "name_en": "Road", "deadlines": demolition["deadlines"]});
    app.post_json(CATEGORIES, &taken).await.assert_problem(409, "conflict");
    let fresh =
        json!({"code": "dust.quarry", "name_zh": "采石场", "name_en": "Quarry", "deadlines": demolition["deadlines"]});
    app.post_json_as(&d.commander, CATEGORIES, &fresh).await.assert_problem(403, "forbidden");
    let problem = app.post_json(CATEGORIES, &json!({"code": "dust.quarry"})).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["name_zh", "name_en", "deadlines"]);
    assert_eq!(app.get(CATEGORIES).await.json().as_array().unwrap().len(), 11, "only dust.demolition was added");
    assert_eq!(app.get(&format!("{CATEGORIES}/dust.road")).await.json()["name_zh"], "道路扬尘");
    app.get(&format!("{CATEGORIES}/dust.quarry")).await.assert_problem(404, "not-found");
}

#[actix_web::test]
async fn category_changes_need_the_current_version_and_inactive_ones_take_no_reports() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let path = format!("{CATEGORIES}/dust.demolition");
    let body = json!({"code": "dust.demolition", "name_zh": "拆迁工地扬尘", "name_en": "Demolition-site dust",
        "deadlines": deadlines((3, "working_days"), (2, "working_days"), (1, "working_days"))});
    app.post_json(CATEGORIES, &body).await.assert_status(201);

    // Faster deadlines: new assignments follow them.
    let faster = json!({"deadlines": deadlines((8, "hours"), (2, "hours"), (1, "hours"))});
    patch(&app, &path, None, &faster).await.assert_problem(428, "precondition-required");
    let res = patch(&app, &path, Some("\"1\""), &faster).await;
    res.assert_status(200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    assert_eq!(res.json()["deadlines"], faster["deadlines"]);
    assert_eq!(res.json()["name_zh"], "拆迁工地扬尘", "absent fields keep their value");
    patch(&app, &path, Some("\"1\""), &json!({"active": false})).await.assert_problem(412, "precondition-failed");
    let req = app
        .request_as(&d.commander, Method::PATCH, &path)
        .insert_header(("If-Match", "\"2\""))
        .insert_header(("Content-Type", "application/json"));
    app.send_body(req, br#"{"active": false}"#.to_vec()).await.assert_problem(403, "forbidden");
    patch(&app, &path, Some("\"2\""), &json!({"code": "dust.other"})).await.assert_problem(422, "validation");
    assert_eq!(app.get(&path).await.json()["version"], 2, "nothing was written");

    let id = id_of(&report(&app, &d.worker, &report_at("dust.demolition", 2.5, 0.5)).await);
    let assigned = act(&app, &d.commander, &id, json!({"action": "assign"})).await;
    assert_eq!(assigned["deadline_note"], "2 h for dust.demolition (medium)");

    // Retired from use: kept in the catalogue, refused for new reports.
    let res = patch(&app, &path, Some("\"2\""), &json!({"active": false})).await;
    res.assert_status(200);
    assert_eq!(res.json()["active"], false);
    let res = try_report(&app, &d.worker, &report_at("dust.demolition", 2.5, 0.5)).await;
    let problem = res.assert_problem(422, "incident-unknown-category");
    assert_eq!(error_fields(&problem), ["category"]);
    assert_eq!(all_incidents(&app).await, [id.as_str()]);
    let listed = app.get(CATEGORIES).await.json();
    assert!(listed.as_array().unwrap().iter().any(|c| c["code"] == "dust.demolition" && c["active"] == false));
    // The incident already reported goes on.
    assert_eq!(incident(&app, &d.worker, &id).await.json()["category"], "dust.demolition");

    let (events, _) = app.read_feed(None, "&subject=dust.demolition").await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["incident.category.created", "incident.category.updated", "incident.category.updated"]);
    assert_eq!(events[2]["data"]["active"], false);
    assert_eq!(events[2]["data"]["version"], 3);
    // The catalogue belongs to no cell: every reader of incidents follows its changes.
    let (events, _) = app.read_feed(Some(&d.worker), "&subject=dust.demolition").await;
    assert_eq!(events.len(), 3);
}

// --- offline batches ---

fn offline(key: &str, category: &str, occurred_at: &str) -> Value {
    json!({"key": key, "report": {"category": category, "description": "离线上报", "lon": 2.5, "lat": 0.5,
        "occurred_at": occurred_at}})
}

async fn send_batch(app: &TestApp, token: &str, items: &[Value]) -> TestResponse {
    app.post_json_as(token, BATCH, &json!({"items": items})).await
}

fn statuses(answer: &Value) -> Vec<u64> {
    answer["items"].as_array().unwrap().iter().map(|i| i["status"].as_u64().unwrap()).collect()
}

#[actix_web::test]
async fn an_offline_batch_reports_each_item_once_with_its_own_time() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let items = [
        offline("phone-7f3a-0001", "dust.road", "2026-11-30 07:45:00"),
        offline("phone-7f3a-0002", "no_such_thing", "2026-11-30 07:50:00"),
        offline("phone-7f3a-0003", "open_burning", "2026-11-30T08:00:00+08:00"),
    ];
    let res = send_batch(&app, &d.worker, &items).await;
    res.assert_status(200);
    let first = res.json();
    assert_eq!(statuses(&first), [201, 422, 201]);
    let results = first["items"].as_array().unwrap();
    assert_eq!(results[1]["key"], "phone-7f3a-0002");
    assert_eq!(results[1]["problem"]["type"], "/problems/incident-unknown-category");
    assert_eq!(results[1]["incident"], Value::Null);
    assert!(results.iter().all(|r| r["replayed"] == false));
    assert_eq!(results[0]["incident"]["occurred_at"], "2026-11-29T23:45:00Z", "local time is Beijing time");
    assert_eq!(results[2]["incident"]["occurred_at"], "2026-11-30T00:00:00Z");
    assert_eq!(results[0]["incident"]["cell_code"], "210102002001");
    assert_eq!(results[0]["incident"]["reporter"]["id"], d.worker_id.as_str());
    let ids = [id_of(&results[0]["incident"]), id_of(&results[2]["incident"])];
    let mut stored = all_incidents(&app).await;
    stored.sort();
    let mut expected = ids.to_vec();
    expected.sort();
    assert_eq!(stored, expected);

    // The connection dropped; the phone sends the batch again: the same answers, nothing reported twice.
    let again = send_batch(&app, &d.worker, &items).await;
    again.assert_status(200);
    let again = again.json();
    assert_eq!(statuses(&again), [201, 422, 201]);
    let results = again["items"].as_array().unwrap();
    assert!(results.iter().all(|r| r["replayed"] == true), "{again}");
    assert_eq!([id_of(&results[0]["incident"]), id_of(&results[2]["incident"])], ids);
    assert_eq!(results[1]["problem"]["type"], "/problems/incident-unknown-category");
    assert_eq!(all_incidents(&app).await.len(), 2);

    // A key reused for another report is refused, alone.
    let reused = [
        offline("phone-7f3a-0001", "dust.road", "2026-11-30 09:00:00"),
        offline("phone-7f3a-0004", "dust", "2026-11-30 09:05:00"),
    ];
    let res = send_batch(&app, &d.worker, &reused).await.json();
    assert_eq!(statuses(&res), [422, 201]);
    assert_eq!(res["items"][0]["problem"]["type"], "/problems/idempotency-key-reused");
    assert_eq!(res["items"][0]["replayed"], false);
    assert_eq!(all_incidents(&app).await.len(), 3);
    // Keys are the account's: another account's item with the same key is its own report.
    let res = send_batch(&app, &d.supervisor, &items[..1]).await.json();
    assert_eq!((statuses(&res), res["items"][0]["replayed"].clone()), (vec![201], json!(false)));
    assert_eq!(all_incidents(&app).await.len(), 4);
    assert_eq!(event_types(&app, &ids[0]).await, ["incident.reported"]);
}

#[actix_web::test]
async fn a_batch_too_large_or_with_bad_keys_is_refused_whole() {
    let app = spawn_app_with(|s| s.incident_batch_max_items = 2).await;
    let d = desk(&app).await;
    let items: Vec<Value> =
        (1..=3).map(|i| offline(&format!("k-{i}"), "dust", &format!("2026-11-30 08:0{i}:00"))).collect();
    let problem = send_batch(&app, &d.worker, &items).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["items"]);
    for (key, field) in [("", "items[0].key"), ("with space", "items[0].key"), ("密钥", "items[0].key")] {
        let bad = [offline(key, "dust", "2026-11-30 08:00:00")];
        let problem = send_batch(&app, &d.worker, &bad).await.assert_problem(422, "validation");
        assert_eq!(error_fields(&problem), [field], "{key:?}");
    }
    send_batch(&app, &d.viewer, &items[..1]).await.assert_problem(403, "forbidden");
    assert_eq!(all_incidents(&app).await, Vec::<String>::new(), "nothing was written");
    let (events, _) = app.read_feed(None, "&types=incident.reported").await;
    assert_eq!(events, Vec::<Value>::new());

    // Nothing was claimed either: the same keys within the limit report now.
    let res = send_batch(&app, &d.worker, &items[..2]).await;
    res.assert_status(200);
    let res = res.json();
    assert_eq!(statuses(&res), [201, 201]);
    assert!(res["items"].as_array().unwrap().iter().all(|r| r["replayed"] == false));
    assert_eq!(all_incidents(&app).await.len(), 2);
}

// --- Idempotency-Key ---

async fn post_with_key(
    app: &TestApp,
    token: &str,
    path: &str,
    key: &str,
    if_match: Option<&str>,
    body: &Value,
) -> TestResponse {
    let mut req = app
        .request_as(token, Method::POST, path)
        .insert_header(("Idempotency-Key", key))
        .insert_header(("Content-Type", "application/json"));
    if let Some(etag) = if_match {
        req = req.insert_header(("If-Match", etag));
    }
    app.send_body(req, serde_json::to_vec(body).unwrap()).await
}

#[actix_web::test]
async fn a_retried_report_or_transition_with_its_key_acts_once() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let body = report_at("open_burning", 2.5, 0.5);
    let first = post_with_key(&app, &d.worker, INCIDENTS, "report-0001", None, &body).await;
    first.assert_status(201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = post_with_key(&app, &d.worker, INCIDENTS, "report-0001", None, &body).await;
    again.assert_status(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    let id = id_of(&first.json());
    assert_eq!(all_incidents(&app).await, [id.as_str()]);
    // The key with another report is refused.
    let other = report_at("open_burning", 2.5, 0.6);
    post_with_key(&app, &d.worker, INCIDENTS, "report-0001", None, &other)
        .await
        .assert_problem(422, "idempotency-key-reused");
    assert_eq!(all_incidents(&app).await.len(), 1);

    // A transition retried after its answer was lost: replayed, though its If-Match is stale by now.
    let path = format!("{INCIDENTS}/{id}/transitions");
    let assign = json!({"action": "assign", "note": "请尽快处置"});
    let first = post_with_key(&app, &d.commander, &path, "assign-0001", Some("\"1\""), &assign).await;
    first.assert_status(200);
    assert_eq!(first.header("etag"), Some("\"2\""));
    let again = post_with_key(&app, &d.commander, &path, "assign-0001", Some("\"1\""), &assign).await;
    again.assert_status(200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    // Without the key the same request runs again, and finds its version stale.
    let req = app
        .request_as(&d.commander, Method::POST, &path)
        .insert_header(("If-Match", "\"1\""))
        .insert_header(("Content-Type", "application/json"));
    app.send_body(req, serde_json::to_vec(&assign).unwrap()).await.assert_problem(412, "precondition-failed");

    let detail = incident(&app, &d.commander, &id).await.json();
    assert_eq!(detail["version"], 2);
    let actions: Vec<&str> =
        detail["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "assign"]);
    assert_eq!(event_types(&app, &id).await, ["incident.reported", "incident.assigned"]);
}

// --- supervision sheets ---

fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

fn sheet(kind: &str, cell: &str, incidents: &[&str], deadline_at: &str) -> Value {
    json!({"kind": kind, "cell": cell, "incident_ids": incidents,
        "content": "该点位露天焚烧问题反复出现，请于3日内书面反馈整改情况。", "deadline_at": deadline_at})
}

async fn respond(app: &TestApp, token: &str, id: &str, if_match: Option<&str>, response: &str) -> TestResponse {
    let mut req = app
        .request_as(token, Method::POST, &format!("{SHEETS}/{id}/response"))
        .insert_header(("Content-Type", "application/json"));
    if let Some(etag) = if_match {
        req = req.insert_header(("If-Match", etag));
    }
    app.send_body(req, serde_json::to_vec(&json!({"response": response})).unwrap()).await
}

#[actix_web::test]
async fn a_supervision_sheet_goes_to_a_cell_and_is_answered_once() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let id = id_of(&report(&app, &d.worker, &report_at("open_burning", 2.5, 0.5)).await);
    let elsewhere = id_of(&report(&app, &d.other_worker, &report_at("open_burning", 4.5, 0.5)).await);

    // Refused: a caller who may not manage, an incident outside the cell, a deadline past, a cell out of reach.
    let body = sheet("supervision", "210102", &[&id], &in_days(3));
    app.post_json_as(&d.worker, SHEETS, &body).await.assert_problem(403, "forbidden");
    let res = app.post_json_as(&d.commander, SHEETS, &sheet("supervision", "210102", &[&elsewhere], &in_days(3))).await;
    let problem = res.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["incident_ids[0]"]);
    let res =
        app.post_json_as(&d.commander, SHEETS, &sheet("supervision", "210102", &[&id], "2020-01-01 18:00:00")).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["deadline_at"]);
    let res = app.post_json_as(&d.commander, SHEETS, &sheet("supervision", "210102", &[], &in_days(3))).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["incident_ids"]);
    let res = app.post_json_as(&d.other_supervisor, SHEETS, &body).await;
    assert_eq!(error_fields(&res.assert_problem(422, "validation")), ["cell"]);
    assert_eq!(listed(&app.get(SHEETS).await.json(), "id"), Vec::<String>::new(), "nothing was written");

    let res = app.post_json_as(&d.commander, SHEETS, &body).await;
    res.assert_status(201);
    let issued = res.json();
    let sheet_id = id_of(&issued);
    assert_eq!(res.header("location"), Some(format!("{SHEETS}/{sheet_id}").as_str()));
    assert_eq!(res.header("etag"), Some("\"1\""));
    assert_eq!(issued["kind"], "supervision");
    assert_eq!(issued["cell_code"], "210102");
    assert_eq!(issued["incident_ids"], json!([id]));
    assert_eq!((issued["response"].clone(), issued["overdue"].clone()), (Value::Null, json!(false)));

    // The incident's timeline records it; the district sees it, the other district does not.
    let last = incident(&app, &d.commander, &id).await.json()["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "sheet_issued");
    assert_eq!(last["data"], json!({"sheet_id": sheet_id, "kind": "supervision"}));
    assert_eq!(listed(&app.get_as(&d.supervisor, SHEETS).await.json(), "id"), [sheet_id.as_str()]);
    assert_eq!(listed(&app.get_as(&d.other_supervisor, SHEETS).await.json(), "id"), Vec::<String>::new());
    app.get_as(&d.other_supervisor, &format!("{SHEETS}/{sheet_id}")).await.assert_problem(404, "not-found");
    respond(&app, &d.other_supervisor, &sheet_id, Some("\"1\""), "x").await.assert_problem(404, "not-found");

    // The district answers, with the version it read; once.
    respond(&app, &d.supervisor, &sheet_id, None, "已整改").await.assert_problem(428, "precondition-required");
    let res = respond(&app, &d.supervisor, &sheet_id, Some("\"1\""), "已组织清理焚烧点并设专人巡查。").await;
    res.assert_status(200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    let answered = res.json();
    assert_eq!(answered["response"], "已组织清理焚烧点并设专人巡查。");
    assert!(answered["responded_by"]["name"].as_str().is_some_and(|n| !n.is_empty()), "{answered}");
    assert!(answered["responded_at"].is_string());
    respond(&app, &d.supervisor, &sheet_id, Some("\"2\""), "再次答复").await.assert_problem(409, "conflict");
    respond(&app, &d.supervisor, &sheet_id, Some("\"1\""), "再次答复").await.assert_problem(412, "precondition-failed");
    let seen = app.get_as(&d.commander, &format!("{SHEETS}/{sheet_id}")).await;
    assert_eq!(seen.header("etag"), Some("\"2\""));
    assert_eq!(seen.json()["response"], "已组织清理焚烧点并设专人巡查。", "the first answer stands");

    let (events, _) = app.read_feed(None, &format!("&subject={sheet_id}")).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["supervision.issued", "supervision.responded"]);
    assert_eq!(events[1]["data"]["responded"], true);
    assert_eq!(events[0]["cell"], "210102");
}

/// A sheet to the worker's own community: the grid worker answers it.
#[actix_web::test]
async fn a_grid_worker_answers_a_prompt_sheet_to_its_community() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let id = id_of(&report(&app, &d.worker, &report_at("dust.road", 2.5, 0.5)).await);
    let body = sheet("prompt", "210102002001", &[&id], &in_days(1));
    let res = app.post_json_as(&d.supervisor, SHEETS, &body).await;
    res.assert_status(201);
    let sheet_id = id_of(&res.json());
    assert_eq!(listed(&app.get_as(&d.worker, SHEETS).await.json(), "id"), [sheet_id.as_str()]);
    let res = respond(&app, &d.worker, &sheet_id, Some("\"1\""), "已洒水降尘").await;
    res.assert_status(200);
    assert_eq!(res.json()["responded_by"]["id"], d.worker_id.as_str());
    // A viewer of the city sees it but may not answer.
    respond(&app, &d.viewer, &sheet_id, Some("\"2\""), "x").await.assert_problem(403, "forbidden");
}

// --- the event feed ---

#[actix_web::test]
async fn incident_events_are_scoped_like_the_incidents() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let mut first_district = Vec::new();
    for (lon, lat) in [(2.5, 0.5), (0.5, 0.5)] {
        first_district.push(id_of(&report(&app, &d.commander, &report_at("dust", lon, lat)).await));
    }
    let second_district = id_of(&report(&app, &d.other_worker, &report_at("dust", 4.5, 0.5)).await);
    let subjects = |events: Vec<Value>| -> Vec<String> {
        events.iter().map(|e| e["subject"].as_str().unwrap().to_owned()).collect()
    };

    let (events, _) = app.read_feed(Some(&d.other_supervisor), "&types=incident.reported").await;
    assert_eq!(subjects(events), [second_district.as_str()], "the other district sees only its own");
    let (events, _) = app.read_feed(Some(&d.supervisor), "&types=incident.reported").await;
    assert_eq!(subjects(events), first_district);
    let (events, _) = app.read_feed(Some(&d.viewer), "&types=incident.reported").await;
    let mut everything = first_district.clone();
    everything.push(second_district);
    assert_eq!(subjects(events), everything, "a viewer of the city sees them all");
    // Narrowed to a cell.
    let (events, _) = app.read_feed(Some(&d.viewer), "&types=incident.reported&cell=210102002").await;
    assert_eq!(subjects(events), first_district[..1]);

    // An unrouted incident's events reach the command centre, which sees the queue, and no district.
    let unrouted = id_of(&report(&app, &d.worker, &report_at("dust", 50.0, 50.0)).await);
    let (events, _) = app.read_feed(Some(&d.commander), &format!("&subject={unrouted}")).await;
    assert_eq!(subjects(events), [unrouted.as_str()]);
    let (events, _) = app.read_feed(Some(&d.supervisor), &format!("&subject={unrouted}")).await;
    assert!(events.is_empty());
}

#[actix_web::test]
async fn batch_item_keys_and_request_keys_never_meet() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let body = report_at("dust", 2.5, 0.5);
    post_with_key(&app, &d.worker, "/api/v1/incidents", "k1", None, &body).await.assert_status(201);
    let answer = send_batch(&app, &d.worker, &[offline("k1", "dust", "2026-12-01 08:00:00")]).await;
    answer.assert_status(200);
    assert_eq!(statuses(&answer.json()), [201]);
    assert_eq!(all_incidents(&app).await.len(), 2);
}

#[actix_web::test]
async fn a_sheet_lists_each_incident_once() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let id = id_of(&report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await);
    let body = sheet("prompt", "210102", &[&id, &id], &in_days(3));
    let problem = app.post_json_as(&d.commander, SHEETS, &body).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["incident_ids[1]"]);
    assert_eq!(listed(&app.get_as(&d.commander, SHEETS).await.json(), "id"), Vec::<String>::new());
}
