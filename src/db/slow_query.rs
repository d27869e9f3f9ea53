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
