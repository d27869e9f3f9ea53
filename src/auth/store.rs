//! Accounts, refresh tokens and sign-in failures: rows and queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::cache::bump_revision;
use crate::db::schema::{accounts, grid_cells, refresh_tokens, sign_in_failures};
use crate::domain::scope::subtree_range;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = accounts, treat_none_as_null = true)]
pub struct AccountRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub home_cell: Option<String>,
    /// Space-separated permissions of an integration account.
    pub scopes: String,
    pub password_hash: Option<String>,
    pub client_secret_hash: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: String,
    pub account_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn find_account(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<AccountRow>> {
    accounts::table.filter(accounts::id.eq(id)).select(AccountRow::as_select()).first(conn).optional()
}

/// An account with the path of its home cell, in one round trip (every authenticated request needs both).
pub fn find_account_with_home(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<(AccountRow, Option<String>)>> {
    accounts::table
        .left_join(grid_cells::table.on(grid_cells::code.nullable().eq(accounts::home_cell)))
        .filter(accounts::id.eq(id))
        .select((AccountRow::as_select(), grid_cells::path.nullable()))
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<AccountRow>> {
    accounts::table.filter(accounts::username.eq(username)).select(AccountRow::as_select()).first(conn).optional()
}

/// Accounts by username; with `within` (a cell path), only those at home in that subtree.
pub fn list_accounts(
    conn: &mut AnyConnection,
    within: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AccountRow>> {
    let mut q = accounts::table
        .left_join(grid_cells::table.on(grid_cells::code.nullable().eq(accounts::home_cell)))
        .select(AccountRow::as_select())
        .order(accounts::username)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(accounts::username.gt(after.to_owned()));
    }
    if let Some(path) = within {
        let (start, end) = subtree_range(path);
        q = q.filter(grid_cells::path.nullable().ge(start).and(grid_cells::path.nullable().lt(end)));
    }
    q.load(conn)
}

/// The `revisions` topic of accounts: every account write bumps it, so instances' caller caches follow.
pub const ACCOUNTS_TOPIC: &str = "accounts";

pub fn insert_account(conn: &mut AnyConnection, row: &AccountRow) -> QueryResult<()> {
    diesel::insert_into(accounts::table).values(row).execute(conn)?;
    bump_revision(conn, ACCOUNTS_TOPIC)
}

pub fn update_account(conn: &mut AnyConnection, row: &AccountRow) -> QueryResult<()> {
    diesel::update(accounts::table.filter(accounts::id.eq(&row.id))).set(row).execute(conn)?;
    bump_revision(conn, ACCOUNTS_TOPIC)
}

pub fn insert_refresh_token(conn: &mut AnyConnection, row: &RefreshTokenRow) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table).values(row).execute(conn).map(drop)
}

pub fn find_refresh_token(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Marks a token as used; false when another request rotated it first.
pub fn mark_rotated(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(refresh_tokens::table)
        .filter(refresh_tokens::id.eq(id))
        .filter(refresh_tokens::rotated_at.is_null())
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::rotated_at.eq(now))
        .execute(conn)?;
    Ok(updated == 1)
}

pub fn family_revoked(conn: &mut AnyConnection, family_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_not_null()),
    ))
    .get_result(conn)
}

pub fn revoke_family(conn: &mut AnyConnection, family_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table)
        .filter(refresh_tokens::family_id.eq(family_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)
}

pub fn revoke_all_of(conn: &mut AnyConnection, account_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table)
        .filter(refresh_tokens::account_id.eq(account_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(conn)
}

/// An attempt counted against a subject, and the start of its window.
#[derive(Debug, QueryableByName)]
pub struct Attempts {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub failures: i32,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub window_start: NaiveDateTime,
}

/// Counts one sign-in attempt for `subject` before its secret is checked, in one atomic statement, so
/// parallel guesses cannot pass the limit: the count goes up first, and only attempts within the limit
/// are checked. A window that started before `since` starts afresh at `now`.
pub fn count_attempt(
    conn: &mut AnyConnection,
    subject: &str,
    now: NaiveDateTime,
    since: NaiveDateTime,
) -> QueryResult<Attempts> {
    use diesel::sql_types::{Text, Timestamp};
    // Placeholders in order of first use: SQLite numbers them by appearance.
    diesel::sql_query(
        "INSERT INTO sign_in_failures (subject, failures, window_start) VALUES ($1, 1, $2) \
         ON CONFLICT (subject) DO UPDATE SET \
         failures = CASE WHEN sign_in_failures.window_start < $3 THEN 1 ELSE sign_in_failures.failures + 1 END, \
         window_start = CASE WHEN sign_in_failures.window_start < $3 THEN $2 ELSE sign_in_failures.window_start END \
         RETURNING failures, window_start",
    )
    .bind::<Text, _>(subject)
    .bind::<Timestamp, _>(now)
    .bind::<Timestamp, _>(since)
    .get_result(conn)
}

/// Takes back an attempt that turned out to be a success.
pub fn uncount_attempt(conn: &mut AnyConnection, subject: &str) -> QueryResult<()> {
    diesel::update(sign_in_failures::table.filter(sign_in_failures::subject.eq(subject)))
        .filter(sign_in_failures::failures.gt(0))
        .set(sign_in_failures::failures.eq(sign_in_failures::failures - 1))
        .execute(conn)
        .map(drop)
}

pub fn clear_failures(conn: &mut AnyConnection, subject: &str) -> QueryResult<()> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::subject.eq(subject))).execute(conn).map(drop)
}

/// Active administrators other than `except`.
pub fn count_other_active_admins(conn: &mut AnyConnection, except: &str) -> QueryResult<i64> {
    accounts::table
        .filter(accounts::role.eq("admin"))
        .filter(accounts::active.eq(true))
        .filter(accounts::id.ne(except))
        .count()
        .get_result(conn)
}

/// Serialises account changes that must see every other one (the last-administrator rule): the row
/// lock on PostgreSQL, the write lock on SQLite.
pub fn lock_accounts(conn: &mut AnyConnection) -> QueryResult<()> {
    use crate::db::schema::revisions;
    diesel::update(revisions::table.filter(revisions::topic.eq(ACCOUNTS_TOPIC)))
        .set(revisions::revision.eq(revisions::revision))
        .execute(conn)
        .map(drop)
}
