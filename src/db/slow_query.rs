//! Logs queries slower than a threshold, with their SQL but never their bound values (they may hold
//! password hashes or tokens).

use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent};

pub struct SlowQueryLog {
    threshold: Duration,
    started: Option<Instant>,
}

impl SlowQueryLog {
    pub fn new(threshold: Duration) -> Self {
        Self { threshold, started: None }
    }
}

impl Instrumentation for SlowQueryLog {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => self.started = Some(Instant::now()),
            InstrumentationEvent::FinishQuery { query, .. } => {
                let Some(started) = self.started.take() else { return };
                let elapsed = started.elapsed();
                if elapsed >= self.threshold {
                    let text = query.to_string();
                    let sql = text.split(" -- binds:").next().unwrap_or_default();
                    tracing::warn!(elapsed_ms = elapsed.as_millis() as u64, sql, "slow query");
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged_while(threshold: Duration, f: impl FnOnce(&mut SqliteConnection)) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, || {
            let mut conn = SqliteConnection::establish(":memory:").unwrap();
            conn.batch_execute("CREATE TABLE secrets (value TEXT)").unwrap();
            conn.set_instrumentation(SlowQueryLog::new(threshold));
            f(&mut conn);
        });
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    fn insert_secret(conn: &mut SqliteConnection) {
        diesel::sql_query("INSERT INTO secrets (value) VALUES ($1)")
            .bind::<diesel::sql_types::Text, _>("hunter2-password-hash")
            .execute(conn)
            .unwrap();
    }

    #[test]
    fn slow_queries_are_logged_with_sql_but_without_bound_values() {
        let log = logged_while(Duration::ZERO, insert_secret);
        assert!(log.contains("slow query") && log.contains("INSERT INTO secrets"), "{log}");
        assert!(!log.contains("hunter2"), "a bound value reached the log: {log}");
    }

    #[test]
    fn fast_queries_are_not_logged() {
        assert!(logged_while(Duration::from_secs(60), insert_secret).is_empty());
    }
}
