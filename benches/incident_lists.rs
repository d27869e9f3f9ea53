//! Incident lists and figures over a million incidents, on SQLite and PostgreSQL.
//!
//! Run with `cargo bench --bench incident_lists`. It writes 1,000,000 incidents (`AIRGRID_BENCH_INCIDENTS`
//! to change it) spread over three years, 13 districts and their communities, with a realistic mix of
//! statuses, into a temporary SQLite file and, unless `AIRGRID_BENCH_SKIP_POSTGRES=1`, a fresh PostgreSQL
//! database (`AIRGRID_BENCH_POSTGRES_URL`, default `postgres://airgrid:airgrid@127.0.0.1:5432/airgrid`).
//! Then it times the store queries behind `GET /api/v1/incidents?cell=DISTRICT&status=closed`, the first
//! page and a page 10,000 rows deep by cursor, and behind `GET /api/v1/stats/incidents` for one district's
//! year (the query and the figures), printing p50 and p99 of 200 runs (20 for the figures).

use std::hint::black_box;
use std::time::{Duration, Instant};

use airgrid::config::DatabaseUrl;
use airgrid::db::AnyConnection;
use airgrid::domain::incident::{IncidentFacts, Source, breakdown};
use airgrid::domain::workflow::Status;
use airgrid::incidents::store::{self, IncidentFilter, IncidentRow};
use airgrid::with_inner;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};

const DISTRICTS: u64 = 13;
const STREETS: u64 = 10;
const COMMUNITIES: u64 = 20;

/// A cheap, repeatable pseudo-random sequence (xorshift), so both backends get the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
}

fn incident(n: u64, rng: &mut Rng) -> IncidentRow {
    let (d, s, c) = (rng.next() % DISTRICTS + 1, rng.next() % STREETS + 1, rng.next() % COMMUNITIES + 1);
    let district = format!("2101{d:02}");
    let street = format!("{district}0{s:02}");
    let community = format!("{street}{c:03}");
    // Three years, in order: ids (UUID v7 from the report time) sort like the report times.
    let reported = start() + TimeDelta::seconds((n * 3 * 365 * 86_400 / total()) as i64);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, reported.and_utc().timestamp() as u64, n as u32 % 1_000_000);
    let status = match rng.next() % 100 {
        0..70 => Status::Closed,
        70..80 => Status::Rectified,
        80..88 => Status::Rectifying,
        88..95 => Status::Assigned,
        95..98 => Status::Reported,
        _ => Status::Rejected,
    };
    let assigned = (status != Status::Reported).then(|| reported + TimeDelta::hours(2));
    let rectified = matches!(status, Status::Rectified | Status::Closed).then(|| reported + TimeDelta::hours(30));
    let category =
        ["dust", "dust.road", "open_burning", "open_barbecue", "open_spray_painting"][(rng.next() % 5) as usize];
    IncidentRow {
        id: uuid::Uuid::new_v7(ts).to_string(),
        category_code: category.into(),
        status: status.as_str().into(),
        severity: "medium".into(),
        source: ["patrol", "hotline", "camera"][(rng.next() % 3) as usize].into(),
        external_system: None,
        external_ref: None,
        description: "河边焚烧垃圾".into(),
        address: Some("浑河北岸".into()),
        lon: 123.3 + (rng.next() % 1000) as f64 / 5000.0,
        lat: 41.7 + (rng.next() % 1000) as f64 / 5000.0,
        accuracy_m: Some(10.0),
        cell_code: Some(community.clone()),
        cell_path: Some(format!("210100/{district}/{street}/{community}/")),
        routing: r#"{"chain":[],"responsible":[]}"#.into(),
        reporter_id: Some("bench".into()),
        reporter_name: "bench".into(),
        assignee_id: None,
        assignee_name: None,
        rectifier_id: None,
        duplicate_of: None,
        occurred_at: reported,
        reported_at: reported,
        status_changed_at: reported,
        assigned_at: assigned,
        deadline_at: assigned.map(|a| a + TimeDelta::hours(72)),
        deadline_note: None,
        extension: None,
        rectified_at: rectified,
        closed_at: (status == Status::Closed).then(|| reported + TimeDelta::hours(40)),
        version: 3,
        updated_at: reported,
    }
}

fn total() -> u64 {
    std::env::var("AIRGRID_BENCH_INCIDENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
}

fn build(conn: &mut AnyConnection) {
    conn.migrate().expect("migrations");
    let started = Instant::now();
    let mut rng = Rng(0x2026_1202);
    let mut n = 0;
    while n < total() {
        let rows: Vec<IncidentRow> = (n..(n + 50_000).min(total())).map(|i| incident(i, &mut rng)).collect();
        n += rows.len() as u64;
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            // 33 columns: within SQLite's 32,766 bound parameters per statement.
            for chunk in rows.chunks(900) {
                with_inner!(&mut *conn, |c| diesel::insert_into(airgrid::db::schema::incidents::table)
                    .values(chunk)
                    .execute(c))?;
            }
            Ok(())
        })
        .expect("incidents written");
    }
    if let AnyConnection::Postgresql(_) = conn {
        conn.batch_execute("VACUUM ANALYZE incidents").unwrap();
    } else {
        conn.batch_execute("ANALYZE").unwrap();
    }
    println!("  wrote {} incidents in {:.1} s", total(), started.elapsed().as_secs_f64());
}

fn percentiles(mut times: Vec<Duration>) -> String {
    times.sort();
    let at = |p: usize| times[(times.len() * p).div_ceil(100).max(1) - 1].as_secs_f64() * 1000.0;
    format!("p50 {:7.2} ms   p99 {:7.2} ms", at(50), at(99))
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect()
}

fn measure(backend: &str, conn: &mut AnyConnection) {
    let district =
        IncidentFilter { within: Some("210100/210107/".into()), statuses: vec!["closed".into()], ..Default::default() };
    let first = time(200, || store::list(conn, &district, 101).unwrap());
    println!("{backend:10} list, district + status, first page of 100      {}", percentiles(first));
    // Walk to the row 10,000 deep once, then time the page that starts there.
    let mut deep = district.clone();
    for _ in 0..10 {
        let page = store::list(conn, &deep, 1000).unwrap();
        assert_eq!(page.len(), 1000, "enough incidents for a page 10,000 rows deep");
        deep.before = page.last().map(|r| r.id.clone());
    }
    let deep_times = time(200, || store::list(conn, &deep, 101).unwrap());
    println!("{backend:10} list, district + status, page 10,000 rows deep  {}", percentiles(deep_times));
    let year = IncidentFilter {
        within: Some("210100/210107/".into()),
        reported_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap().and_hms_opt(0, 0, 0),
        reported_to: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0),
        ..Default::default()
    };
    let mut count = 0;
    let kpi = time(20, || {
        let facts: Vec<IncidentFacts> = store::facts(conn, &year)
            .unwrap()
            .into_iter()
            .map(|(category, status, source, reported, assigned, deadline, rectified, closed)| IncidentFacts {
                category,
                status: Status::parse(&status).unwrap(),
                source: Source::parse(&source).unwrap(),
                reported_at: reported.and_utc(),
                assigned_at: assigned.map(|t| t.and_utc()),
                deadline_at: deadline.map(|t| t.and_utc()),
                rectified_at: rectified.map(|t| t.and_utc()),
                closed_at: closed.map(|t| t.and_utc()),
            })
            .collect();
        count = facts.len();
        breakdown(&facts, chrono::Utc::now())
    });
    println!("{backend:10} figures, one district's year ({count} incidents)   {}", percentiles(kpi));
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = DatabaseUrl::Sqlite(dir.path().join("bench.db"));
    let mut conn = AnyConnection::open(&sqlite).unwrap();
    conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;").unwrap();
    println!("SQLite:");
    build(&mut conn);
    measure("sqlite", &mut conn);
    drop(conn);

    if std::env::var("AIRGRID_BENCH_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        return;
    }
    let admin = std::env::var("AIRGRID_BENCH_POSTGRES_URL")
        .unwrap_or("postgres://airgrid:airgrid@127.0.0.1:5432/airgrid".into());
    let name = "airgrid_bench_incidents";
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let mut root = AnyConnection::open(&DatabaseUrl::parse(&admin).unwrap()).expect("PostgreSQL reachable");
    root.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
    root.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let mut conn = AnyConnection::open(&DatabaseUrl::parse(&url).unwrap()).unwrap();
    println!("PostgreSQL:");
    build(&mut conn);
    measure("postgresql", &mut conn);
    drop(conn);
    root.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
}
