//! Stored answers to `Idempotency-Key` requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::idempotency_keys as keys;
use crate::with_inner;

/// The first answer to a key, as it will be replayed.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    /// `[[name, value], …]` of the headers worth replaying.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What a request with a key may do.
#[derive(Debug)]
pub enum Claim {
    /// The key is new (or was abandoned): run the request and store its answer.
    Run,
    /// The key was answered before: replay that answer.
    Replay(Stored),
    /// A request with this key is still running.
    InProgress,
    /// The key was used with another request.
    Mismatch,
}

/// Claims `(account, key)` for a request with this fingerprint. Run it in a transaction.
pub fn claim(
    conn: &mut AnyConnection,
    account: &str,
    key: &str,
    fingerprint: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<Claim> {
    let this = keys::account_id.eq(account.to_owned()).and(keys::key.eq(key.to_owned()));
    diesel::delete(keys::table.filter(this.clone()).filter(keys::expires_at.le(now))).execute(conn)?;
    let row = (
        keys::account_id.eq(account),
        keys::key.eq(key),
        keys::fingerprint.eq(fingerprint),
        keys::locked_until.eq(lease_until),
        keys::created_at.eq(now),
        keys::expires_at.eq(expires_at),
    );
    // A concurrent first request holds the row: on PostgreSQL this waits for it to commit, then skips.
    let inserted = with_inner!(&mut *conn, |c| diesel::insert_into(keys::table)
        .values(row)
        .on_conflict((keys::account_id, keys::key))
        .do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(Claim::Run);
    }
    let (stored_fingerprint, status, headers, body, locked_until): (
        String,
        Option<i32>,
        Option<String>,
        Option<Vec<u8>>,
        NaiveDateTime,
    ) = keys::table
        .filter(this.clone())
        .select((keys::fingerprint, keys::status, keys::headers, keys::body, keys::locked_until))
        .first(conn)?;
    if stored_fingerprint != fingerprint {
        return Ok(Claim::Mismatch);
    }
    match status {
        Some(status) => Ok(Claim::Replay(Stored {
            status: status as u16,
            headers: headers.and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default(),
            body: body.unwrap_or_default(),
        })),
        // The first request's instance died with the key held: its lease ran out, so this one runs.
        None if locked_until <= now => {
            diesel::update(keys::table.filter(this)).set(keys::locked_until.eq(lease_until)).execute(conn)?;
            Ok(Claim::Run)
        }
        None => Ok(Claim::InProgress),
    }
}

/// Stores the answer to replay.
pub fn complete(conn: &mut AnyConnection, account: &str, key: &str, answer: &Stored) -> QueryResult<()> {
    let headers = serde_json::to_string(&answer.headers).expect("strings serialise");
    diesel::update(keys::table.filter(keys::account_id.eq(account)).filter(keys::key.eq(key)))
        .set((
            keys::status.eq(Some(i32::from(answer.status))),
            keys::headers.eq(Some(headers)),
            keys::body.eq(Some(answer.body.clone())),
        ))
        .execute(conn)
        .map(drop)
}

/// Frees the key of a request whose answer is not to be replayed, so a retry runs again.
pub fn release(conn: &mut AnyConnection, account: &str, key: &str) -> QueryResult<()> {
    diesel::delete(keys::table.filter(keys::account_id.eq(account)).filter(keys::key.eq(key))).execute(conn).map(drop)
}

/// Removes every expired key; any instance may run it at any time.
pub fn purge(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(keys::table.filter(keys::expires_at.le(now))).execute(conn)
}
