//! The event log: every change appends an event in its transaction, and the feed is scoped, ordered,
//! resumable by cursor, long-polled, and never skips an event that commits out of sequence order.

use std::collections::BTreeSet;

use actix_web::http::Method;
use airgrid::domain::access::Role;
use serde_json::{Value, json};

use crate::grid_support::{collection, feature, import, patch_cell, retire_cell, send_if_match, small_grid, square};
use crate::helpers::{TestApp, spawn_app};

async fn all_events(app: &TestApp, token: Option<&str>, query: &str) -> Vec<Value> {
    app.read_feed(token, query).await.0
}

const FEED: &str = "/api/v1/events";

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn every_change_is_an_event_with_its_actor_in_write_order() {
    let app = spawn_app().await;
    small_grid(&app).await;
    patch_cell(&app, "210102001", &json!({"name": "浑河湾街道"})).await.assert_status(200);
    let person =
        app.post_json("/api/v1/grid/cells/210102001/people", &json!({"name": "王丽", "role": "grid_worker"})).await;
    person.assert_status(201);
    retire_cell(&app, "210102002", Some("2030-01-01")).await.assert_status(200);

    let events =
        all_events(&app, None, "&types=grid.cell.created,grid.cell.updated,grid.cell.retired,grid.person.assigned")
            .await;
    assert_eq!(
        types(&events),
        [vec!["grid.cell.created"; 7], vec!["grid.cell.updated", "grid.person.assigned", "grid.cell.retired"]].concat()
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in write order: {seqs:?}");

    let updated = &events[7];
    assert_eq!(updated["subject"], "210102001");
    assert_eq!(updated["cell"], "210102001");
    assert_eq!(updated["data"]["name"], "浑河湾街道");
    assert_eq!(updated["data"]["changed"], json!(["name"]));
    assert_eq!(updated["data"]["version"], 2);
    assert!(updated["actor"]["id"].is_string() && updated["actor"]["username"].is_string(), "{updated}");
    let assigned = &events[8];
    assert_eq!(assigned["data"]["name"], "王丽");
    assert_eq!(assigned["data"].get("phone"), None, "phone numbers stay out of the log");
    assert_eq!(events[9]["data"]["cells"], 2, "the street and its community: {}", events[9]);

    // The audit trail of one subject.
    let history = all_events(&app, None, "&subject=210102001").await;
    assert_eq!(types(&history), ["grid.cell.created", "grid.cell.updated"]);
}

#[actix_web::test]
async fn a_refused_change_writes_no_event() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let before = all_events(&app, None, "").await.len();
    // An import with one bad feature writes nothing, events included.
    let bad = collection(vec![
        feature("210103002", 3, Some("210103"), square(6.0, 0.0, 2.0)),
        feature("210103003", 3, Some("no-such-parent"), square(6.0, 2.0, 1.0)),
    ]);
    import(&app, "", serde_json::to_vec(&bad).unwrap()).await.assert_problem(422, "grid-import-rejected");
    let rename = json!({"name": "x"});
    let stale = send_if_match(&app, Method::PATCH, "/api/v1/grid/cells/210102", Some("\"99\""), Some(&rename));
    stale.await.assert_problem(412, "precondition-failed");
    assert_eq!(all_events(&app, None, "").await.len(), before);

    // A good import: one event per changed cell and one for the import.
    let good = collection(vec![feature("210103002", 3, Some("210103"), square(6.0, 0.0, 2.0))]);
    import(&app, "", serde_json::to_vec(&good).unwrap()).await.assert_status(200);
    let events = all_events(&app, None, "").await;
    assert_eq!(types(&events[before..]), ["grid.cell.created", "grid.imported"]);
    assert_eq!(events[before + 1]["data"], json!({"total": 1, "created": 1, "updated": 0, "unchanged": 0}));
}

#[actix_web::test]
async fn the_feed_is_scoped_like_the_resources() {
    let app = spawn_app().await;
    small_grid(&app).await;
    for cell in ["210102001", "210103001"] {
        let body = json!({"name": "王丽", "role": "grid_worker"});
        app.post_json(&format!("/api/v1/grid/cells/{cell}/people"), &body).await.assert_status(201);
    }
    let viewer = app.account(Role::Viewer, Some("210103")).await;
    let seen = all_events(&app, Some(&viewer), "").await;
    let subjects: BTreeSet<&str> =
        seen.iter().filter(|e| e["type"] == "grid.cell.created").map(|e| e["subject"].as_str().unwrap()).collect();
    // Its subtree, and its home's ancestor (the city) itself; never the other district's cells.
    assert_eq!(subjects, BTreeSet::from(["210100", "210103", "210103001"]));
    let people: Vec<&Value> = seen.iter().filter(|e| e["type"] == "grid.person.assigned").collect();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0]["cell"], "210103001");
    assert!(!seen.iter().any(|e| e["type"].as_str().unwrap().starts_with("account.")), "needs accounts:admin");

    // Asking for what it may not read, or about cells it cannot see, is refused.
    let problem = app.get_as(&viewer, &format!("{FEED}?types=account.created")).await.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "types");
    app.get_as(&viewer, &format!("{FEED}?cell=210102")).await.assert_problem(422, "validation");
    app.get_as(&viewer, &format!("{FEED}?types=grid.nothing")).await.assert_problem(422, "validation");
    // The `cell` filter narrows to a subtree.
    let below = all_events(&app, None, "&cell=210103&types=grid.cell.created").await;
    assert_eq!(below.iter().map(|e| e["subject"].as_str().unwrap()).collect::<Vec<_>>(), ["210103", "210103001"]);
    app.send(app.anonymous(Method::GET, FEED)).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn account_changes_are_events_without_secrets() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let body = json!({"username": "wangli", "display_name": "王丽", "role": "grid_worker", "home_cell": "210102001",
                      "password": "Grid-worker-2026"});
    let created = app.post_json("/api/v1/accounts", &body).await;
    created.assert_status(201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/accounts/{id}");
    let reset = json!({"password": "Another-pass-2026"});
    let res = send_if_match(&app, Method::PATCH, &path, Some("\"1\""), Some(&reset));
    res.await.assert_status(200);
    let events = all_events(&app, None, &format!("&subject={id}")).await;
    assert_eq!(types(&events), ["account.created", "account.updated"]);
    assert_eq!(events[0]["data"]["username"], "wangli");
    assert_eq!(events[0]["cell"], "210102001");
    assert_eq!(events[1]["data"]["changed"], json!(["password"]));
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains("Grid-worker-2026") && !text.contains("Another-pass-2026") && !text.contains("argon2"));
}

#[actix_web::test]
async fn cursors_resume_and_bad_ones_are_refused() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let (all, end) = app.read_feed(None, "").await;
    let first = app.get(&format!("{FEED}?limit=3")).await;
    first.assert_status(200);
    let body = first.json();
    assert_eq!(body["items"].as_array().unwrap().len(), 3);
    let cursor = body["next_cursor"].as_str().unwrap();
    assert!(first.header("link").unwrap().contains(&format!("after={cursor}")));
    assert_eq!(body["caught_up"], false, "a full page");
    let rest = app.get(&format!("{FEED}?after={cursor}")).await.json();
    assert_eq!(rest["items"], json!(all[3..]));
    assert_eq!(rest["next_cursor"], end);
    let empty = app.get(&format!("{FEED}?after={end}")).await.json();
    assert_eq!(empty, json!({"items": [], "next_cursor": end, "caught_up": true}), "an empty page keeps the cursor");

    app.get(&format!("{FEED}?after=garbage!")).await.assert_problem(400, "invalid-parameter");
    app.get(&format!("{FEED}?wait=61")).await.assert_problem(422, "validation");
    app.get(&format!("{FEED}?limit=0")).await.assert_problem(422, "validation");
}

#[actix_web::test]
async fn a_long_poll_answers_when_an_event_arrives() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let (_, end) = app.read_feed(None, "").await;
    let waiting = format!("{FEED}?after={end}&wait=30");
    let poll = app.get(&waiting);
    let write = async {
        patch_cell(&app, "210103", &json!({"name": "沈河区"})).await.assert_status(200);
    };
    let (res, ()) = futures_util::future::join(poll, write).await;
    res.assert_status(200);
    let items = res.json()["items"].as_array().unwrap().clone();
    assert_eq!(types(&items), ["grid.cell.updated"]);
}

/// Sixteen writers commit concurrently, in an order that need not follow their sequence numbers; a
/// reader following the feed meanwhile must end up with every event, each once.
#[actix_web::test]
async fn the_feed_misses_nothing_under_concurrent_writers() {
    let app = spawn_app().await;
    small_grid(&app).await;
    let writers = 16;
    let per_writer = 6;
    let cells = ["210102001", "210102002", "210103001", "210102002001"];
    let write = |w: usize| {
        let app = &app;
        async move {
            for i in 0..per_writer {
                let cell = cells[(w + i) % cells.len()];
                let body = json!({"name": format!("worker {w}-{i}"), "role": "grid_worker"});
                app.post_json(&format!("/api/v1/grid/cells/{cell}/people"), &body).await.assert_status(201);
            }
        }
    };
    let read = async {
        let mut seen = Vec::new();
        let mut after = String::new();
        // Follow until every expected event was read (bounded: the writers finish).
        for _ in 0..10_000 {
            let res = app.get(&format!("{FEED}?types=grid.person.assigned&limit=5&after={after}&wait=1")).await;
            res.assert_status(200);
            let body = res.json();
            after = body["next_cursor"].as_str().unwrap().to_owned();
            seen.extend(body["items"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()));
            if seen.len() >= writers * per_writer {
                break;
            }
        }
        seen
    };
    let (seen, _) = futures_util::future::join(read, futures_util::future::join_all((0..writers).map(write))).await;
    let written: Vec<i64> = all_events(&app, None, "&types=grid.person.assigned")
        .await
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(written.len(), writers * per_writer);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no event twice");
    assert_eq!(BTreeSet::from_iter(seen), BTreeSet::from_iter(written), "no event skipped");
}
