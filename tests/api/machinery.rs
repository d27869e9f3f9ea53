//! Non-road machinery: registration in scope, lookup, lists and counts per period.

use airgrid::domain::access::Role;
use serde_json::json;

use crate::grid_support::two_districts;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn machines_are_registered_once_in_scope_listed_and_counted() {
    let app = spawn_app().await;
    two_districts(&app).await;
    let machine = |code: &str, kind: &str, stage: &str, on: &str| {
        json!({"registration_code": code, "owner": "沈阳某建设工程有限公司", "machine_type": kind, "engine_stage": stage,
               "site": "南京南街地块", "lon": 123.2, "lat": 41.8, "registered_on": on})
    };
    let res = app.post_json("/api/v1/nonroad-machines", &machine("sy-2026-0001", "挖掘机", "国三", "2026-03-02")).await;
    res.assert_status(201);
    let created = res.json();
    assert_eq!(
        (created["machine_type"].as_str(), created["engine_stage"].as_str()),
        (Some("excavator"), Some("china_3"))
    );
    assert_eq!(
        (created["cell_code"].as_str(), created["registration_code"].as_str()),
        (Some("210102"), Some("SY-2026-0001"))
    );
    assert_eq!(res.headers.get("location").unwrap(), "/api/v1/nonroad-machines/SY-2026-0001");
    app.post_json("/api/v1/nonroad-machines", &machine("SY-2026-0001", "loader", "china_4", "2026-03-03"))
        .await
        .assert_problem(409, "conflict");
    for (code, kind, stage, on) in
        [("SY-2026-0002", "装载机", "国四", "2026-03-20"), ("SY-2026-0003", "叉车", "国二", "2026-04-01")]
    {
        app.post_json("/api/v1/nonroad-machines", &machine(code, kind, stage, on)).await.assert_status(201);
    }
    let mut east = machine("SY-2026-0004", "roller", "china_3", "2026-04-02");
    east["cell"] = json!("210103");
    east.as_object_mut().unwrap().remove("lon");
    east.as_object_mut().unwrap().remove("lat");
    app.post_json("/api/v1/nonroad-machines", &east).await.assert_status(201);

    let counts = app.get("/api/v1/stats/nonroad-machines?from=2026-03-01&to=2026-03-31").await.json();
    assert_eq!(counts["registered"], 2);
    assert_eq!(counts["by_type"], json!({"excavator": 1, "loader": 1}));
    let year = app.get("/api/v1/stats/nonroad-machines?from=2026-01-01&to=2026-12-31").await.json();
    assert_eq!((year["registered"].as_u64(), year["by_month"]["2026-04"].as_u64()), (Some(4), Some(2)));

    let page = app.get("/api/v1/nonroad-machines?limit=2").await;
    page.assert_status(200);
    let page = page.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("/api/v1/nonroad-machines?limit=2&cursor={cursor}")).await.json();
    assert_eq!(rest["items"][1]["registration_code"], "SY-2026-0004");
    let excavators = app.get("/api/v1/nonroad-machines?machine_type=excavator").await.json();
    assert_eq!(excavators["items"].as_array().unwrap().len(), 1);

    // Scope: a west viewer sees the west's three machines and not the east's; to a west inspector the east
    // is no cell it can register in; viewers register nothing; a grid worker reads nothing.
    let west = app.account(Role::Viewer, Some("210102")).await;
    assert_eq!(app.get_as(&west, "/api/v1/nonroad-machines").await.json()["items"].as_array().unwrap().len(), 3);
    app.get_as(&west, "/api/v1/nonroad-machines/SY-2026-0004").await.assert_problem(404, "not-found");
    app.get_as(&west, "/api/v1/nonroad-machines/sy-2026-0001").await.assert_status(200);
    let inspector = app.account(Role::Inspector, Some("210102")).await;
    let mut elsewhere = east.clone();
    elsewhere["registration_code"] = json!("SY-2026-0005");
    app.post_json_as(&inspector, "/api/v1/nonroad-machines", &elsewhere).await.assert_problem(422, "validation");
    let mine = machine("SY-2026-0006", "loader", "china_4", "2026-04-03");
    app.post_json_as(&west, "/api/v1/nonroad-machines", &mine).await.assert_problem(403, "forbidden");
    let worker = app.account(Role::GridWorker, Some("210102")).await;
    app.get_as(&worker, "/api/v1/nonroad-machines").await.assert_problem(403, "forbidden");

    // Bad input names each field and writes nothing.
    let bad = json!({"registration_code": "x", "owner": " ", "machine_type": "tank", "engine_stage": "国九",
                     "lon": 123.2, "registered_on": "2099-01-01"});
    let problem = app.post_json("/api/v1/nonroad-machines", &bad).await.assert_problem(422, "validation");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["registration_code", "owner", "machine_type", "engine_stage", "lon", "cell", "registered_on"]);
    assert_eq!(app.get("/api/v1/stats/nonroad-machines").await.json()["registered"], 4);
}
