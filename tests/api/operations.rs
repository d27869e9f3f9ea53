use crate::helpers::spawn_app;

#[actix_web::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    res.assert_status(200);
    assert_eq!(res.json()["status"], "ok");
}

#[actix_web::test]
async fn readyz_reports_the_backend_in_use() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    res.assert_status(200);
    let expected = match app.database_url {
        airgrid::config::DatabaseUrl::Postgres(_) => "postgresql",
        airgrid::config::DatabaseUrl::Sqlite(_) => "sqlite",
    };
    assert_eq!(res.json(), serde_json::json!({"status": "ready", "database": expected}));
}

#[actix_web::test]
async fn request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let res = app
        .send(app.request(actix_web::http::Method::GET, "/healthz").insert_header(("X-Request-Id", "abc-123")))
        .await;
    assert_eq!(res.header("x-request-id"), Some("abc-123"));

    let res = app.get("/healthz").await;
    let generated = res.header("x-request-id").expect("a generated id");
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");

    // An id that could forge log lines is replaced.
    let res =
        app.send(app.request(actix_web::http::Method::GET, "/healthz").insert_header(("X-Request-Id", "a b\"c"))).await;
    assert_ne!(res.header("x-request-id"), Some("a b\"c"));
}

#[actix_web::test]
async fn metrics_count_requests_by_route_template_and_show_the_pool() {
    let app = spawn_app().await;
    app.get("/healthz").await.assert_status(200);
    app.get("/no/such/route").await.assert_status(404);
    let res = app.get("/metrics").await;
    res.assert_status(200);
    let text = String::from_utf8(res.body).unwrap();
    assert!(text.contains(r#"airgrid_http_requests_total{endpoint="/healthz",method="GET",status="200"} 1"#), "{text}");
    assert!(text.contains(r#"endpoint="UNMATCHED""#), "unmatched paths are masked: {text}");
    assert!(text.contains("airgrid_http_requests_duration_seconds_bucket"), "{text}");
    assert!(text.contains("airgrid_db_pool_max_connections"), "{text}");
}

#[actix_web::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = spawn_app().await;
    let res = app.get("/docs").await;
    assert_eq!(res.status.as_u16(), 307);
    assert_eq!(res.header("location"), Some("/docs/"));
    let page = app.get("/docs/").await;
    page.assert_status(200);
    assert!(String::from_utf8_lossy(&page.body).contains("swagger-ui"));
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/swagger-initializer.js"] {
        app.get(asset).await.assert_status(200);
    }
    let init = app.get("/docs/swagger-initializer.js").await;
    assert!(String::from_utf8_lossy(&init.body).contains("/openapi.json"));
}

#[actix_web::test]
async fn readyz_is_503_when_migrations_are_pending() {
    let app = spawn_app().await;
    let mut conn = airgrid::db::AnyConnection::open(&app.database_url).unwrap();
    conn.revert_all().unwrap();
    app.get("/readyz").await.assert_problem(503, "unavailable");
    conn.migrate().unwrap();
    app.get("/readyz").await.assert_status(200);
}
