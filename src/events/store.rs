//! Event rows: appended inside the writing transaction, read back in commit-safe order.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::AnyConnection;
use crate::db::schema::events;
use crate::domain::scope::subtree_range;
use crate::with_inner;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub seq: i64,
    pub tx_id: i64,
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub cell_path: Option<String>,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub data: String,
    pub occurred_at: NaiveDateTime,
}

/// A row to append; `seq` and `tx_id` come from the database.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct NewEventRow {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub cell_path: Option<String>,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub data: String,
    pub occurred_at: NaiveDateTime,
}

/// A position in the feed: the (transaction, sequence) of the last event read.
pub type Position = (i64, i64);

/// Which events a feed page returns.
#[derive(Debug, Default, Clone)]
pub struct FeedFilter {
    pub after: Option<Position>,
    /// Only these types (already narrowed to what the caller may read).
    pub types: Vec<&'static str>,
    /// Only events about this subtree (a cell path).
    pub within: Option<String>,
    pub subject: Option<String>,
    /// Scoped callers: what they may see outside the whole-grid view.
    pub visible: Option<Visible>,
}

/// What a caller with a home cell sees of the log.
#[derive(Debug, Clone)]
pub struct Visible {
    /// Events about cells in the subtree at this path.
    pub home: String,
    /// Events of `about_cell` types about these ancestors of the home cell.
    pub ancestors: Vec<String>,
    pub about_cell: Vec<&'static str>,
    /// Events of these types that concern no cell (the catalogue; for the command centre, unrouted incidents).
    pub cell_free: Vec<&'static str>,
}

/// Appends events in one statement per chunk (an import may append thousands).
pub fn append(conn: &mut AnyConnection, rows: &[NewEventRow]) -> QueryResult<()> {
    // 8 columns per row; SQLite allows 32766 bound parameters per statement.
    for chunk in rows.chunks(4000) {
        with_inner!(&mut *conn, |c| diesel::insert_into(events::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// A page of the feed and whether the reader has caught up.
pub struct Page {
    pub rows: Vec<EventRow>,
    /// Nothing more to read right now: no readable event after the page, none held back.
    pub caught_up: bool,
}

/// Reads up to `limit` events after the filter's position.
///
/// On PostgreSQL concurrent transactions commit out of sequence order, so only events of transactions
/// older than the oldest still running (`pg_snapshot_xmin`) are returned: every event that can still
/// commit sorts after them, and a cursor never passes it. That horizon is read once, so the page and the
/// check for held-back events agree on it. It spans the server: a long write in any database holds the
/// feed back until it ends, and the page then says it is not caught up.
pub fn page(conn: &mut AnyConnection, f: &FeedFilter, limit: i64) -> QueryResult<Page> {
    let horizon: Option<i64> = match conn {
        AnyConnection::Postgresql(c) => {
            Some(diesel::select(sql::<BigInt>("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).get_result(c)?)
        }
        AnyConnection::Sqlite(_) => None,
    };
    let mut q =
        events::table.select(EventRow::as_select()).order((events::tx_id, events::seq)).limit(limit + 1).into_boxed();
    if let Some(horizon) = horizon {
        q = q.filter(events::tx_id.lt(horizon));
    }
    if let Some((tx, seq)) = f.after {
        q = q.filter(events::tx_id.gt(tx).or(events::tx_id.eq(tx).and(events::seq.gt(seq))));
    }
    q = q.filter(events::kind.eq_any(f.types.clone()));
    if let Some(path) = &f.within {
        let (start, end) = subtree_range(path);
        q = q.filter(events::cell_path.ge(start).and(events::cell_path.lt(end)));
    }
    if let Some(subject) = &f.subject {
        q = q.filter(events::subject.eq(subject.clone()));
    }
    if let Some(v) = &f.visible {
        let (start, end) = subtree_range(&v.home);
        let below = events::cell_path.ge(start).and(events::cell_path.lt(end));
        let above = events::cell_path.eq_any(v.ancestors.clone()).and(events::kind.eq_any(v.about_cell.clone()));
        let nowhere = events::cell_path.is_null().and(events::kind.eq_any(v.cell_free.clone()));
        q = q.filter(below.or(above).or(nowhere));
    }
    let mut rows: Vec<EventRow> = q.load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    // Committed events at or past the horizon come after every cursor issued so far; of any type, so
    // the answer errs only towards "read again".
    let held_back = match horizon {
        Some(horizon) => {
            diesel::select(diesel::dsl::exists(events::table.filter(events::tx_id.ge(horizon)))).get_result(conn)?
        }
        None => false,
    };
    Ok(Page { rows, caught_up: !more && !held_back })
}
