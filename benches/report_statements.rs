//! What SQLite itself does with the statements one incident report runs (see `bench/report.pgbench`, the
//! same for PostgreSQL), one transaction per report, from as many connections as the HTTP load uses. It is
//! the yardstick of `bench/incidents.sh`: the API's rate over this rate is the cost of everything airgrid
//! adds. Not meant to be run alone: the script prepares the database and passes it in
//! `AIRGRID_BENCH_DB`, `AIRGRID_BENCH_ACCOUNT`, `AIRGRID_BENCH_CELL`, `AIRGRID_BENCH_CLIENTS` and
//! `AIRGRID_BENCH_SECONDS`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set; run bench/incidents.sh"))
}

fn main() {
    let (db, account, cell) = (var("AIRGRID_BENCH_DB"), var("AIRGRID_BENCH_ACCOUNT"), var("AIRGRID_BENCH_CELL"));
    let clients: usize = var("AIRGRID_BENCH_CLIENTS").parse().expect("a number of clients");
    let seconds: u64 = var("AIRGRID_BENCH_SECONDS").parse().expect("a number of seconds");
    let counter = AtomicU64::new(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                let (db, account, cell, counter) = (&db, &account, &cell, &counter);
                s.spawn(move || {
                    let mut conn = SqliteConnection::establish(db).expect("the database opens");
                    conn.batch_execute(
                        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 60000; PRAGMA synchronous = NORMAL;",
                    )
                    .expect("pragmas");
                    let mut times = Vec::new();
                    while Instant::now() < deadline {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        let start = Instant::now();
                        // A writer that found the lock taken past the busy timeout tries again, as a client would.
                        while let Err(e) = conn.batch_execute(&report(account, cell, n)) {
                            assert!(e.to_string().contains("locked"), "a report's statements run: {e}");
                            let _ = conn.batch_execute("ROLLBACK");
                        }
                        times.push(start.elapsed());
                    }
                    times
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a worker")).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let mean = latencies.iter().sum::<Duration>().as_secs_f64() * 1000.0 / latencies.len() as f64;
    let p99 = latencies[(latencies.len() * 99).div_ceil(100) - 1].as_secs_f64() * 1000.0;
    println!("RESULT {:.1} {mean:.2} {p99:.2}", latencies.len() as f64 / elapsed);
}

/// The statements, in the order the service runs them, as one write transaction.
fn report(account: &str, cell: &str, n: u64) -> String {
    let (id, key) = (format!("sqlite-bench-{n}"), format!("sqlite-bench-{n}"));
    format!(
        "BEGIN IMMEDIATE;
SELECT a.id, a.role, a.home_cell, a.active, g.path FROM accounts a LEFT JOIN grid_cells g ON g.code = a.home_cell WHERE a.id = '{account}';
DELETE FROM idempotency_keys WHERE account_id = '{account}' AND key = '{key}' AND expires_at <= datetime('now');
INSERT INTO idempotency_keys (account_id, key, fingerprint, locked_until, created_at, expires_at)
    VALUES ('{account}', '{key}', '{key}', datetime('now', '+300 seconds'), datetime('now'), datetime('now', '+1 day'))
    ON CONFLICT (account_id, key) DO NOTHING;
SELECT * FROM incident_categories WHERE code = 'open_burning';
SELECT * FROM grid_cells WHERE code = '{cell}';
SELECT * FROM grid_people WHERE cell_code = '{cell}' AND valid_from <= date('now') AND (valid_to IS NULL OR valid_to > date('now')) ORDER BY valid_from, id;
INSERT INTO incidents (id, category_code, status, severity, source, description, lon, lat, cell_code, cell_path, routing,
    reporter_id, reporter_name, occurred_at, reported_at, status_changed_at, version, updated_at)
    VALUES ('{id}', 'open_burning', 'reported', 'medium', 'patrol', '河边焚烧垃圾', 123.42, 41.79, '{cell}',
    (SELECT path FROM grid_cells WHERE code = '{cell}'), '{{\"chain\":[],\"responsible\":[]}}', '{account}', 'bench',
    datetime('now'), datetime('now'), datetime('now'), 1, datetime('now'));
INSERT INTO incident_timeline (id, incident_id, action, to_status, actor_id, actor_name, data, at)
    VALUES ('{id}-t', '{id}', 'report', 'reported', '{account}', 'bench', '{{}}', datetime('now'));
INSERT INTO events (id, type, subject, cell_path, actor_id, actor_name, data, occurred_at)
    VALUES ('{id}-e', 'incident.reported', '{id}', NULL, '{account}', 'bench', '{{}}', datetime('now'));
SELECT * FROM incidents WHERE category_code = 'open_burning' AND lon BETWEEN 123.41 AND 123.43 AND lat BETWEEN 41.78 AND 41.80
    AND reported_at >= datetime('now', '-24 hours') AND status NOT IN ('closed', 'rejected', 'duplicate') AND id <> '{id}'
    ORDER BY id DESC LIMIT 50;
UPDATE idempotency_keys SET status = 201, headers = '[]', body = zeroblob(1200) WHERE account_id = '{account}' AND key = '{key}';
COMMIT;"
    )
}
