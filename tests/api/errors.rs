//! Every error leaves as RFC 9457 problem+json, the framework's own included.

use actix_web::http::Method;
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

const CELLS: &str = "/api/v1/grid/cells";

#[actix_web::test]
async fn unknown_route_is_a_not_found_problem() {
    let app = spawn_app().await;
    app.get("/api/v1/nothing-here").await.assert_problem(404, "not-found");
}

#[actix_web::test]
async fn wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let res = app.send(app.request(Method::DELETE, "/healthz")).await;
    res.assert_problem(405, "method-not-allowed");
    assert_eq!(res.header("allow"), Some("GET"));

    let res = app.send(app.request(Method::PUT, CELLS)).await;
    res.assert_problem(405, "method-not-allowed");
    assert_eq!(res.header("allow"), Some("GET, POST"));
}

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let req = app.request(Method::POST, CELLS).insert_header(("content-type", "application/json"));
    let problem = app.send_body(req, r#"{"code": "x", "#).await.assert_problem(400, "malformed-body");
    assert!(problem["detail"].as_str().unwrap().contains("not valid JSON"));
}

#[actix_web::test]
async fn wrong_content_type_is_415() {
    let app = spawn_app().await;
    let req = app.request(Method::POST, CELLS).insert_header(("content-type", "text/plain"));
    app.send_body(req, r#"{"code": "x"}"#).await.assert_problem(415, "unsupported-media-type");
    let req = app.request(Method::POST, CELLS);
    app.send_body(req, r#"{"code": "x"}"#).await.assert_problem(415, "unsupported-media-type");
}

#[actix_web::test]
async fn payload_over_the_limit_is_413() {
    let app = spawn_app_with(|s| s.body_limit_bytes = 512).await;
    let body = json!({"code": "x", "name": "n".repeat(1000), "level": 1});
    app.post_json(CELLS, &body).await.assert_problem(413, "payload-too-large");
}

#[actix_web::test]
async fn json_of_the_wrong_shape_names_the_field() {
    let app = spawn_app().await;
    let problem = app
        .post_json(CELLS, &json!({"code": "x", "name": "n", "level": "one"}))
        .await
        .assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "level");

    let problem = app.post_json(CELLS, &json!({"code": "x", "level": 1})).await.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(problem["errors"][0]["message"], "is required");

    let problem = app
        .post_json(CELLS, &json!({"code": "x", "name": "n", "level": 1, "colour": "red"}))
        .await
        .assert_problem(422, "validation");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("colour"));
}

#[actix_web::test]
async fn bad_query_parameter_is_400() {
    let app = spawn_app().await;
    app.get(&format!("{CELLS}?limit=ten")).await.assert_problem(400, "invalid-parameter");
    app.get("/api/v1/grid/locate?lon=east&lat=41.8").await.assert_problem(400, "invalid-parameter");
    app.get(&format!("{CELLS}?as_of=yesterday")).await.assert_problem(400, "invalid-parameter");
}

#[actix_web::test]
async fn out_of_range_query_value_is_422_naming_it() {
    let app = spawn_app().await;
    let problem = app.get(&format!("{CELLS}?limit=0")).await.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "limit");
}

#[actix_web::test]
async fn bad_path_parameter_is_400() {
    let app = spawn_app().await;
    app.get(&format!("{CELLS}/not%20a%20code")).await.assert_problem(400, "invalid-parameter");
}

#[actix_web::test]
async fn server_errors_reveal_nothing_internal() {
    let app = spawn_app().await;
    let mut conn = airgrid::db::AnyConnection::open(&app.database_url).unwrap();
    conn.batch_execute("ALTER TABLE grid_cells RENAME TO grid_cells_gone").unwrap();
    let res = app.get(&format!("{CELLS}/210100")).await;
    let problem = res.assert_problem(500, "internal");
    let text = problem.to_string().to_lowercase();
    assert!(!text.contains("grid_cells") && !text.contains("table") && !text.contains("sql"), "{text}");
    assert!(res.header("x-request-id").is_some(), "the request id lets operators find the logged cause");
}

/// A 503 says what to do, never which host, port, user or file the database is.
#[actix_web::test]
async fn unavailable_reveals_nothing_internal() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.pool_max_size = Some(1);
        s.pool_timeout_secs = 1;
    })
    .await;
    let mut conn = airgrid::db::AnyConnection::open(&app.database_url).unwrap();
    let res = match &app.database_url {
        // Cut the pool off: its connections are killed and no new one is let in.
        airgrid::config::DatabaseUrl::Postgres(_) => {
            conn.batch_execute(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I CONNECTION LIMIT 0', current_database()); END $$; \
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid();",
            )
            .unwrap();
            let res = app.get(&format!("{CELLS}/210100")).await;
            conn.batch_execute(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I CONNECTION LIMIT -1', current_database()); END $$;",
            )
            .unwrap();
            res
        }
        // SQLite cannot be cut off from outside; pending migrations give the 503 instead.
        airgrid::config::DatabaseUrl::Sqlite(_) => {
            conn.revert_all().unwrap();
            app.get("/readyz").await
        }
    };
    let problem = res.assert_problem(503, "unavailable");
    let text = problem.to_string().to_lowercase();
    for secret in ["127.0.0.1", "5432", "airgrid_test", "fatal", "connection to server", ".db", "migration"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(res.header("retry-after").is_some());
}
