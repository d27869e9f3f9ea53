//! One code path for SQLite and PostgreSQL: [`AnyConnection`], its pool, and the embedded migrations.

pub mod cache;
pub mod schema;
mod slow_query;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{CustomizeConnection, R2D2Connection};
use diesel::{Connection, ConnectionResult, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::{DatabaseUrl, Settings};
use crate::error::ApiError;

/// A connection to whichever backend the configured URL names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Runs generic diesel code on the concrete connection, for the few things diesel's multi-backend
/// cannot express (upserts, batch inserts).
#[macro_export]
macro_rules! with_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

pub type PooledConnection = r2d2::PooledConnection<Manager>;
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl AnyConnection {
    /// Opens a connection; the URL's scheme, not trial and error, picks the backend.
    pub fn open(url: &DatabaseUrl) -> ConnectionResult<Self> {
        match url {
            DatabaseUrl::Postgres(_) => PgConnection::establish(&url.expose()).map(Self::Postgresql),
            DatabaseUrl::Sqlite(_) => SqliteConnection::establish(&url.expose()).map(Self::Sqlite),
        }
    }

    fn migrations(&self) -> EmbeddedMigrations {
        match self {
            Self::Postgresql(_) => POSTGRES_MIGRATIONS,
            Self::Sqlite(_) => SQLITE_MIGRATIONS,
        }
    }

    /// Applies every pending migration and returns the versions applied.
    pub fn migrate(&mut self) -> Result<Vec<String>, BoxError> {
        let migrations = self.migrations();
        Ok(self.run_pending_migrations(migrations)?.iter().map(ToString::to_string).collect())
    }

    /// Reverts every applied migration, newest first.
    pub fn revert_all(&mut self) -> Result<Vec<String>, BoxError> {
        let migrations = self.migrations();
        Ok(self.revert_all_migrations(migrations)?.iter().map(ToString::to_string).collect())
    }

    /// True when the binary knows migrations the database has not applied.
    pub fn migrations_pending(&mut self) -> Result<bool, BoxError> {
        let migrations = self.migrations();
        self.has_pending_migration(migrations)
    }
}

/// Opens pooled connections by URL scheme, so a refused PostgreSQL connection reports its real cause.
pub struct Manager {
    url: DatabaseUrl,
    slow_query: Duration,
}

impl r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        let mut conn = AnyConnection::open(&self.url).map_err(diesel::r2d2::Error::ConnectionError)?;
        conn.set_instrumentation(slow_query::SlowQueryLog::new(self.slow_query));
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// SQLite needs foreign keys switched on and a busy timeout for concurrent writers on every
/// connection, and a page cache larger than the default 2 MiB: bulk imports update index pages all over
/// the file, and rereading them from the OS was most of an import's time. (WAL, so readers never wait for
/// a writer, is a property of the file, set once in [`Db::connect`].)
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(c) = conn {
            c.batch_execute(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                 PRAGMA cache_size = -16384;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// The shared database handle: a connection pool plus a way to run blocking diesel code off the async
/// workers.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    committed: Arc<Notify>,
    /// SQLite: writers queue here, first come first served. The database has one writer anyway, and its
    /// own busy handler waits by sleeping in growing steps, which under load leaves the lock idle and
    /// some writers waiting hundreds of milliseconds.
    writers: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Db {
    /// Builds the pool, failing fast with the driver's own message when the database is unreachable.
    pub fn connect(settings: &Settings) -> Result<Self, BoxError> {
        let manager = Manager { url: settings.database_url.clone(), slow_query: settings.slow_query_threshold() };
        // Surface the real cause (refused, bad password…) instead of r2d2's generic timeout.
        use r2d2::ManageConnection;
        let mut first = manager.connect().map_err(|e| format!("cannot connect to {}: {e}", settings.database_url))?;
        if let AnyConnection::Sqlite(c) = &mut first {
            c.batch_execute("PRAGMA journal_mode = WAL;")?;
        }
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_max_size())
            .min_idle(Some(1))
            .connection_timeout(settings.pool_timeout())
            .error_handler(Box::new(r2d2::LoggingErrorHandler))
            .connection_customizer(Box::new(SqlitePragmas))
            .build_unchecked(manager);
        let writers = matches!(settings.database_url, DatabaseUrl::Sqlite(_)).then(Arc::default);
        Ok(Self { pool, committed: Arc::default(), writers })
    }

    /// Checks out a connection on the calling thread (CLI commands, start-up).
    pub fn get(&self) -> Result<PooledConnection, ApiError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        // The request's span (with its request id) follows the work onto the blocking thread, so slow
        // queries and service logs name the request.
        let span = tracing::Span::current();
        actix_web::web::block(move || span.in_scope(|| f(&mut *pool.get()?))).await?
    }

    /// Runs `f` inside one transaction: everything it writes lands, or nothing does.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = match &self.writers {
            Some(queue) => Some(queue.lock().await),
            None => None,
        };
        let value = self
            .run(move |conn| {
                conn.transaction(|conn| {
                    take_write_lock(conn)?;
                    f(conn)
                })
            })
            .await?;
        self.committed.notify_waiters();
        Ok(value)
    }

    /// Woken after every transaction this instance commits (long polls of the event feed wait on it).
    pub fn commits(&self) -> &Notify {
        &self.committed
    }

    pub fn state(&self) -> r2d2::State {
        self.pool.state()
    }

    pub fn max_size(&self) -> u32 {
        self.pool.max_size()
    }
}

/// SQLite starts transactions as readers and refuses (SQLITE_BUSY, without waiting) to upgrade one to a
/// writer once another connection has committed. A no-op write as the first statement takes the write
/// lock up front, where the busy timeout applies, as `BEGIN IMMEDIATE` would. PostgreSQL needs nothing.
fn take_write_lock(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    if let AnyConnection::Sqlite(c) = conn {
        c.batch_execute("UPDATE revisions SET revision = revision WHERE 0 = 1")?;
    }
    Ok(())
}

/// The current UTC time at the precision both backends store (microseconds).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6).naive_utc()
}

/// A new time-ordered identifier.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use tracing::Instrument;

    use super::*;

    /// Logs written on the blocking thread (slow queries, services) carry the request's span and id.
    #[actix_web::test]
    async fn blocking_work_runs_in_the_callers_span() {
        // Spans are only recorded under a subscriber; a bare registry is enough (other tests may have set one).
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
        let dir = tempfile::tempdir().unwrap();
        let settings =
            Settings { database_url: DatabaseUrl::Sqlite(dir.path().join("span.db")), ..Settings::default() };
        let db = Db::connect(&settings).unwrap();
        let span = tracing::info_span!("request", request_id = "r-42");
        let id = span.id();
        let seen = db.run(|_| Ok(tracing::Span::current().id())).instrument(span).await.unwrap();
        assert!(id.is_some());
        assert_eq!(seen, id);
    }
}
