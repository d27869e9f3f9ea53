//! Every error leaves as RFC 9457 problem+json, the framework's own included.

use actix_web::http::Method;

use crate::helpers::spawn_app;

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
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
}
