//! Subtree listing on a large grid, on SQLite and PostgreSQL.
//!
//! Run with `cargo bench --bench subtree`. It builds a synthetic four-level grid of 57,857 cells (1 city,
//! 16 districts, 240 streets, 57,600 communities) in a temporary SQLite file and, unless
//! `AIRGRID_BENCH_SKIP_POSTGRES=1`, in a fresh PostgreSQL database (`AIRGRID_BENCH_POSTGRES_URL`, default
//! `postgres://airgrid:airgrid@127.0.0.1:5432/airgrid`, a role that may create databases). It measures the
//! store query behind `GET /api/v1/grid/cells?within=DISTRICT&level=4`: the first page (100 rows) and all
//! 3,600 communities of one district, and prints PostgreSQL's plan for the first page (`EXPLAIN ANALYZE`).

use std::hint::black_box;
use std::process::Command;

use airgrid::config::DatabaseUrl;
use airgrid::db::AnyConnection;
use airgrid::grid::store::{self, CellFilter, CellRow};
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use diesel::Connection;
use diesel::connection::SimpleConnection;

const DISTRICTS: usize = 16;
const STREETS: usize = 15;
const COMMUNITIES: usize = 240;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

fn cell(code: String, level: i32, parent: Option<&str>, path: String) -> CellRow {
    let now = day().and_hms_opt(0, 0, 0).unwrap();
    CellRow {
        id: format!("bench-{code}"),
        name: code.clone(),
        code,
        level,
        parent_code: parent.map(str::to_owned),
        path,
        boundary: r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#.into(),
        min_lon: 0.0,
        min_lat: 0.0,
        max_lon: 1.0,
        max_lat: 1.0,
        properties: "{}".into(),
        valid_from: day(),
        valid_to: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Codes like the real ones: 210100 / 2101DD / 2101DD0SS / 2101DD0SSCCC.
fn build(conn: &mut AnyConnection) {
    conn.migrate().expect("migrations");
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        store::insert_cell(conn, &cell("210100".into(), 1, None, "210100/".into()))?;
        for d in 1..=DISTRICTS {
            let district = format!("2101{d:02}");
            let dpath = format!("210100/{district}/");
            store::insert_cell(conn, &cell(district.clone(), 2, Some("210100"), dpath.clone()))?;
            for s in 1..=STREETS {
                let street = format!("{district}0{s:02}");
                let spath = format!("{dpath}{street}/");
                store::insert_cell(conn, &cell(street.clone(), 3, Some(&district), spath.clone()))?;
                for c in 1..=COMMUNITIES {
                    let community = format!("{street}{c:03}");
                    let path = format!("{spath}{community}/");
                    store::insert_cell(conn, &cell(community, 4, Some(&street), path))?;
                }
            }
        }
        Ok(())
    })
    .expect("synthetic grid");
    if let AnyConnection::Postgresql(_) = conn {
        conn.batch_execute("ANALYZE grid_cells").unwrap();
    }
}

fn district_communities(district: usize) -> CellFilter {
    CellFilter {
        level: Some(4),
        within_path: Some(format!("210100/2101{district:02}/")),
        as_of: Some(day()),
        ..Default::default()
    }
}

fn measure(c: &mut Criterion, backend: &str, conn: &mut AnyConnection) {
    let mut group = c.benchmark_group(format!("subtree/{backend}"));
    let filter = district_communities(7);
    assert_eq!(store::list_cells(conn, &filter, i64::MAX).unwrap().len(), STREETS * COMMUNITIES);
    group.bench_function("district_communities_first_page", |b| {
        b.iter(|| black_box(store::list_cells(conn, &filter, 101).unwrap()))
    });
    group.bench_function("district_communities_all_3600", |b| {
        b.iter(|| black_box(store::list_cells(conn, &filter, i64::MAX).unwrap()))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = DatabaseUrl::Sqlite(dir.path().join("bench.db"));
    let mut conn = AnyConnection::open(&sqlite).unwrap();
    build(&mut conn);
    measure(c, "sqlite", &mut conn);

    if std::env::var("AIRGRID_BENCH_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        return;
    }
    let admin = std::env::var("AIRGRID_BENCH_POSTGRES_URL")
        .unwrap_or("postgres://airgrid:airgrid@127.0.0.1:5432/airgrid".into());
    let name = "airgrid_bench_subtree";
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let mut root = AnyConnection::open(&DatabaseUrl::parse(&admin).unwrap()).expect("PostgreSQL reachable");
    root.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
    root.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let mut conn = AnyConnection::open(&DatabaseUrl::parse(&url).unwrap()).unwrap();
    build(&mut conn);
    let explain = "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM grid_cells WHERE level = 4 \
                   AND path >= '210100/210107/' AND path < '210100/2101070' AND valid_from <= DATE '2026-01-01' \
                   AND (valid_to IS NULL OR valid_to > DATE '2026-01-01') ORDER BY path LIMIT 101";
    let plan = Command::new("psql").args([url.as_str(), "-X", "-q", "-c", explain]).output();
    match plan {
        Ok(out) => println!("PostgreSQL plan, first page:\n{}", String::from_utf8_lossy(&out.stdout)),
        Err(e) => println!("psql not available for the plan: {e}"),
    }
    measure(c, "postgres", &mut conn);
    drop(conn);
    root.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
}

criterion_group! {
    name = subtree;
    config = Criterion::default().sample_size(30);
    targets = benches
}
criterion_main!(subtree);
