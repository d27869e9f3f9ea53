//! Subtrees far larger than a statement's parameter limit (SQLite 32,766, PostgreSQL 65,535): filters
//! and retirements are set-based, never one parameter per cell.

use airgrid::config::DatabaseUrl;
use airgrid::db::AnyConnection;
use diesel::connection::SimpleConnection;

use crate::grid_support::{retire_cell, small_grid};
use crate::helpers::spawn_app;

const COMMUNITIES: usize = 66_000;

/// Puts `COMMUNITIES` community cells under street 210102001 straight into the database (the rules are
/// not what is tested here, and importing them through the API would take minutes).
fn bulk_communities(url: &DatabaseUrl) {
    let columns = "id, code, name, level, parent_code, path, boundary, min_lon, min_lat, max_lon, max_lat, \
                   properties, valid_from, valid_to, version, created_at, updated_at";
    let values = "'bulk-' || i, 'V' || i, 'V' || i, 4, '210102001', '210100/210102/210102001/V' || i || '/', \
                  '{\"type\":\"Polygon\",\"coordinates\":[[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.2],[0.1,0.1]]]}', \
                  0.1, 0.1, 0.2, 0.2, '{}'";
    let sql = match url {
        DatabaseUrl::Sqlite(_) => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {COMMUNITIES}) \
             INSERT INTO grid_cells ({columns}) SELECT {values}, '2020-01-01', NULL, 1, '2020-01-01 00:00:00', \
             '2020-01-01 00:00:00' FROM n"
        ),
        DatabaseUrl::Postgres(_) => format!(
            "INSERT INTO grid_cells ({columns}) SELECT {values}, DATE '2020-01-01', NULL, 1, \
             TIMESTAMP '2020-01-01 00:00:00', TIMESTAMP '2020-01-01 00:00:00' FROM generate_series(1, {COMMUNITIES}) AS i"
        ),
    };
    AnyConnection::open(url).unwrap().batch_execute(&sql).expect("bulk cells inserted");
}

#[actix_web::test]
async fn a_subtree_of_66_000_cells_is_listed_and_retired_in_one_piece() {
    let app = spawn_app().await;
    small_grid(&app).await;
    bulk_communities(&app.database_url);

    let page = app.get("/api/v1/grid/cells/210102001/subtree?limit=1000&as_of=2026-01-01").await;
    page.assert_status(200);
    assert_eq!(page.json()["items"].as_array().unwrap().len(), 1000);
    let within = app.get("/api/v1/grid/cells?within=210102&level=4&limit=5&as_of=2026-01-01").await;
    within.assert_status(200);
    assert_eq!(within.json()["items"].as_array().unwrap().len(), 5);

    retire_cell(&app, "210102001", Some("2026-06-01")).await.assert_status(200);
    let (events, _) = app.read_feed(None, "&types=grid.cell.retired").await;
    assert_eq!(events[0]["data"]["cells"], COMMUNITIES + 1);
    let after = app.get("/api/v1/grid/cells/210102/subtree?limit=1000&as_of=2026-06-01").await.json();
    let left: Vec<&str> = after["items"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(left, ["210102", "210102002", "210102002001"]);
}
