//! Responsible people of a cell, with history: who was responsible for cell X on day D.

use actix_web::http::Method;
use airgrid::config::Settings;
use serde_json::{Value, json};

use crate::grid_support::{
    create_cell, delete_cell, error_fields, etag_of, patch, retire_cell, send_if_match, small_grid,
};
use crate::helpers::{TestApp, spawn_app};

fn people(code: &str) -> String {
    format!("/api/v1/grid/cells/{code}/people")
}

/// Assigns a person; it must succeed. Returns the assignment.
async fn assign(app: &TestApp, code: &str, body: Value) -> Value {
    let res = app.post_json(&people(code), &body).await;
    res.assert_status(201);
    res.json()
}

/// The names of the people a list request returns, in order.
async fn names(app: &TestApp, path: &str) -> Vec<String> {
    let res = app.get(path).await;
    res.assert_status(200);
    res.json().as_array().expect("a list").iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn assign_answers_201_with_location_and_etag_and_the_assignment_reads_back() {
    let app = spawn_app().await;
    create_cell(&app, "C1", 1, None, (10.0, 10.0, 1.0)).await;
    let account = app.get("/api/v1/auth/me").await.json()["id"].as_str().unwrap().to_owned();
    let body = json!({
        "name": " 王丽 ", "phone": "+86 138-0000-0000", "account_id": account,
        "role": "grid_worker", "valid_from": "2024-01-01",
    });
    let res = app.post_json(&people("C1"), &body).await;
    res.assert_status(201);
    assert_eq!(res.header("etag"), Some("\"1\""));
    let person = res.json();
    let id = person["id"].as_str().expect("an id");
    let location = format!("/api/v1/grid/cells/C1/people/{id}");
    assert_eq!(res.header("location"), Some(location.as_str()));
    assert_eq!(person["cell_code"], "C1");
    assert_eq!(person["name"], "王丽");
    assert_eq!(person["phone"], "+86 138-0000-0000");
    assert_eq!(person["account_id"], account.as_str());
    assert_eq!(person["role"], "grid_worker");
    assert_eq!(person["valid_from"], "2024-01-01");
    assert_eq!(person["valid_to"], Value::Null);
    assert_eq!(person["version"], 1);

    let got = app.get(&location).await;
    got.assert_status(200);
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.json(), person);
    assert_eq!(app.get(&people("C1")).await.json(), json!([person]));

    let minimal = assign(&app, "C1", json!({"name": "李强", "role": "grid_chief"})).await;
    assert_eq!(minimal["valid_from"], Settings::default().today().to_string(), "responsible from today by default");
    assert_eq!((&minimal["phone"], &minimal["account_id"]), (&Value::Null, &Value::Null));
    for role in ["deputy_chief", "supervisor"] {
        assert_eq!(assign(&app, "C1", json!({"name": role, "role": role})).await["role"], role);
    }
}

#[actix_web::test]
async fn who_was_responsible_for_a_cell_on_a_given_day() {
    let app = spawn_app().await;
    create_cell(&app, "C1", 1, None, (10.0, 10.0, 1.0)).await;
    create_cell(&app, "C2", 1, None, (20.0, 20.0, 1.0)).await;
    let chief = |name: &str, from: &str, to: Option<&str>| json!({"name": name, "role": "grid_chief", "valid_from": from, "valid_to": to});
    assign(&app, "C1", chief("Alice", "2024-01-01", Some("2025-01-01"))).await;
    assign(&app, "C1", chief("Bob", "2025-01-01", None)).await;
    assign(
        &app,
        "C1",
        json!({"name": "Carol", "role": "grid_worker", "valid_from": "2024-03-01", "valid_to": "2024-09-01"}),
    )
    .await;
    assign(&app, "C2", chief("Dora", "2020-01-01", None)).await;

    let cases: &[(&str, &[&str])] = &[
        ("2023-12-31", &[]),
        ("2024-01-01", &["Alice"]),
        ("2024-06-15", &["Alice", "Carol"]),
        ("2024-09-01", &["Alice"]),
        ("2024-12-31", &["Alice"]),
        ("2025-01-01", &["Bob"]),
        ("2026-06-01", &["Bob"]),
    ];
    for (day, expected) in cases {
        assert_eq!(names(&app, &format!("{}?as_of={day}", people("C1"))).await, *expected, "as of {day}");
    }
    assert_eq!(names(&app, &people("C1")).await, ["Alice", "Carol", "Bob"], "the whole history, by start day");
    assert_eq!(names(&app, &people("C2")).await, ["Dora"], "each cell has its own people");
    app.get(&format!("{}?as_of=someday", people("C1"))).await.assert_problem(400, "invalid-parameter");
}

#[actix_web::test]
async fn assignment_fields_are_validated_and_named() {
    let app = spawn_app().await;
    create_cell(&app, "C1", 1, None, (10.0, 10.0, 1.0)).await;
    let cases = [
        (json!({"name": "王丽", "role": "boss"}), vec!["role"]),
        (
            json!({"name": "王丽", "role": "grid_worker", "valid_from": "2024-06-01", "valid_to": "2024-01-01"}),
            vec!["valid_to"],
        ),
        (
            json!({"name": "王丽", "role": "grid_worker", "valid_from": "2024-06-01", "valid_to": "2024-06-01"}),
            vec!["valid_to"],
        ),
        (json!({"name": "王丽", "role": "grid_worker", "phone": "call me"}), vec!["phone"]),
        (json!({"name": "   ", "role": "grid_worker"}), vec!["name"]),
        (json!({"name": "王丽"}), vec!["role"]),
        (json!({"role": "grid_worker"}), vec!["name"]),
        (
            json!({"name": "", "role": "mayor", "phone": "x", "valid_from": "2024-06-01", "valid_to": "2024-05-01"}),
            vec!["name", "phone", "role", "valid_to"],
        ),
    ];
    for (body, expected) in cases {
        let problem = app.post_json(&people("C1"), &body).await.assert_problem(422, "validation");
        let mut fields = error_fields(&problem);
        fields.sort();
        assert_eq!(fields, expected, "{body}: {problem}");
    }
    let problem = app
        .post_json(&people("C1"), &json!({"name": "王丽", "role": "grid_worker", "valid_from": "1 May"}))
        .await
        .assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["valid_from"], "{problem}");
    app.post_json(&people("C1"), &json!({"name": "王丽", "role": "grid_worker", "salary": 1}))
        .await
        .assert_problem(422, "validation");
    assert_eq!(app.get(&people("C1")).await.json(), json!([]), "nothing was written");
}

#[actix_web::test]
async fn unknown_cells_and_assignments_are_not_found() {
    let app = spawn_app().await;
    create_cell(&app, "C1", 1, None, (10.0, 10.0, 1.0)).await;
    create_cell(&app, "C2", 1, None, (20.0, 20.0, 1.0)).await;
    let body = json!({"name": "王丽", "role": "grid_worker"});
    let id = assign(&app, "C1", body.clone()).await["id"].as_str().unwrap().to_owned();

    let problem = app.get(&people("NOPE")).await.assert_problem(404, "not-found");
    assert!(problem["detail"].as_str().unwrap().contains("NOPE"), "{problem}");
    app.post_json(&people("NOPE"), &body).await.assert_problem(404, "not-found");
    app.get(&format!("{}/{id}", people("NOPE"))).await.assert_problem(404, "not-found");
    app.get(&format!("{}/no-such-id", people("C1"))).await.assert_problem(404, "not-found");
    // An assignment is only reachable through its own cell.
    app.get(&format!("{}/{id}", people("C2"))).await.assert_problem(404, "not-found");
    patch(&app, &format!("{}/{id}", people("C2")), Some("\"1\""), &json!({"name": "x"}))
        .await
        .assert_problem(404, "not-found");
    send_if_match(&app, Method::DELETE, &format!("{}/{id}", people("C2")), Some("\"1\""), None)
        .await
        .assert_problem(404, "not-found");
    app.get(&format!("{}/{id}", people("C1"))).await.assert_status(200);
}

#[actix_web::test]
async fn changing_an_assignment_needs_the_current_etag() {
    let app = spawn_app().await;
    create_cell(&app, "C1", 1, None, (10.0, 10.0, 1.0)).await;
    let person = assign(
        &app,
        "C1",
        json!({"name": "王丽", "phone": "13800000000", "role": "grid_worker", "valid_from": "2024-01-01"}),
    )
    .await;
    let path = format!("{}/{}", people("C1"), person["id"].as_str().unwrap());

    patch(&app, &path, None, &json!({"valid_to": "2025-01-01"})).await.assert_problem(428, "precondition-required");
    let res = patch(&app, &path, Some("\"1\""), &json!({"valid_to": "2025-01-01", "role": "grid_chief"})).await;
    res.assert_status(200);
    assert_eq!(res.header("etag"), Some("\"2\""));
    let changed = res.json();
    assert_eq!(
        (&changed["valid_to"], &changed["role"], &changed["version"]),
        (&json!("2025-01-01"), &json!("grid_chief"), &json!(2))
    );
    assert_eq!(changed["phone"], "13800000000", "absent fields keep their value");
    assert_eq!(app.get(&path).await.json(), changed);
    assert_eq!(names(&app, &format!("{}?as_of=2025-01-01", people("C1"))).await, Vec::<String>::new());

    patch(&app, &path, Some("\"1\""), &json!({"name": "Lost"})).await.assert_problem(412, "precondition-failed");
    let problem =
        patch(&app, &path, Some("\"2\""), &json!({"valid_to": "2023-06-01"})).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["valid_to"], "{problem}");
    let problem =
        patch(&app, &path, Some("\"2\""), &json!({"valid_from": "2025-06-01"})).await.assert_problem(422, "validation");
    assert_eq!(error_fields(&problem), ["valid_to"], "a new start after the end: {problem}");
    let problem = patch(&app, &path, Some("\"2\""), &json!({"role": "boss", "phone": "?"}))
        .await
        .assert_problem(422, "validation");
    let mut fields = error_fields(&problem);
    fields.sort();
    assert_eq!(fields, ["phone", "role"]);
    assert_eq!(etag_of(&app, &path).await, "\"2\"", "refused changes write nothing");

    // `null` clears the phone and makes the responsibility open-ended again.
    let res = patch(&app, &path, Some("\"2\""), &json!({"phone": null, "valid_to": null})).await;
    res.assert_status(200);
    let reopened = res.json();
    assert_eq!(
        (&reopened["phone"], &reopened["valid_to"], &reopened["version"]),
        (&Value::Null, &Value::Null, &json!(3))
    );
    assert_eq!(reopened["role"], "grid_chief");
    assert_eq!(names(&app, &format!("{}?as_of=2030-01-01", people("C1"))).await, ["王丽"]);
}

#[actix_web::test]
async fn deleting_an_assignment_needs_the_current_etag() {
    let app = spawn_app().await;
    create_cell(&app, "C1", 1, None, (10.0, 10.0, 1.0)).await;
    let person = assign(&app, "C1", json!({"name": "王丽", "role": "grid_worker"})).await;
    let path = format!("{}/{}", people("C1"), person["id"].as_str().unwrap());

    send_if_match(&app, Method::DELETE, &path, None, None).await.assert_problem(428, "precondition-required");
    send_if_match(&app, Method::DELETE, &path, Some("\"2\""), None).await.assert_problem(412, "precondition-failed");
    send_if_match(&app, Method::DELETE, &path, Some("\"1\""), None).await.assert_status(204);
    app.get(&path).await.assert_problem(404, "not-found");
    assert_eq!(app.get(&people("C1")).await.json(), json!([]));
    // Without people or children, the cell itself may go.
    delete_cell(&app, "C1").await.assert_status(204);
}

#[actix_web::test]
async fn retiring_a_cell_ends_its_current_assignments_and_keeps_the_history() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let current =
        assign(&app, "210102001", json!({"name": "Current", "role": "grid_worker", "valid_from": "2020-01-01"})).await;
    let long = assign(
        &app,
        "210102001",
        json!({"name": "Long", "role": "supervisor", "valid_from": "2021-01-01", "valid_to": "2030-01-01"}),
    )
    .await;
    let ended = assign(
        &app,
        "210102001",
        json!({"name": "Ended", "role": "grid_chief", "valid_from": "2020-01-01", "valid_to": "2021-01-01"}),
    )
    .await;
    let elsewhere =
        assign(&app, "210103001", json!({"name": "Elsewhere", "role": "grid_worker", "valid_from": "2020-01-01"}))
            .await;

    retire_cell(&app, "210102", Some("2024-06-01")).await.assert_status(200);

    let read = |p: &Value, code: &str| format!("{}/{}", people(code), p["id"].as_str().unwrap());
    for (person, code) in [(&current, "210102001"), (&long, "210102001")] {
        let now = app.get(&read(person, code)).await;
        assert_eq!(now.json()["valid_to"], "2024-06-01", "{}", person["name"]);
        assert_eq!(now.header("etag"), Some("\"2\""), "ending an assignment is a new version");
    }
    let untouched = app.get(&read(&ended, "210102001")).await;
    assert_eq!((untouched.json()["valid_to"].clone(), untouched.header("etag")), (json!("2021-01-01"), Some("\"1\"")));
    assert_eq!(app.get(&read(&elsewhere, "210103001")).await.json()["valid_to"], Value::Null);

    assert_eq!(names(&app, &format!("{}?as_of=2024-05-31", people("210102001"))).await, ["Current", "Long"]);
    assert!(names(&app, &format!("{}?as_of=2024-06-01", people("210102001"))).await.is_empty());
    assert_eq!(names(&app, &people("210102001")).await.len(), 3, "history stays");
}
