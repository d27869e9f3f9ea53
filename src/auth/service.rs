//! Sign-in, token rotation, sign-out, and account administration.

use std::sync::Arc;

use chrono::Duration;

use super::Caller;
use super::password;
use super::store::{self, AccountRow, RefreshTokenRow};
use super::tokens::{TokenKeys, random_hex, token_digest};
use crate::config::Settings;
use crate::db::{self, AnyConnection, Db};
use crate::domain::access::{Permission, Role, check_password, grantable_scope};
use crate::domain::scope::Scope;
use crate::error::{ApiError, FieldError};
use crate::events::{self, AccountChange, AccountFacts, Event, EventData};
use crate::grid::store::find_cell;
use crate::http::IfMatch;

/// Tokens handed to a client.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9…", "token_type": "Bearer", "expires_in": 900, "refresh_token": "4f1c…"}))]
pub struct Issued {
    /// The JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use token for `/auth/refresh` (users only; service accounts sign in again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Sign-in throttling limits.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub per_account: u32,
    pub per_address: u32,
    pub window: Duration,
}

impl Throttle {
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            per_account: s.sign_in_max_failures_per_account,
            per_address: s.sign_in_max_failures_per_address,
            window: Duration::seconds(s.sign_in_window_secs as i64),
        }
    }
}

/// The secret presented at sign-in.
pub enum Credentials {
    Password { username: String, password: String },
    Client { client_id: String, client_secret: String },
}

const REFUSED: &str = "unknown account or wrong password";

/// Checks credentials, throttling attempts per account and per client address. Each attempt is counted
/// before the secret is checked (parallel guesses cannot pass the limit) and taken back on success. The
/// slow hash is checked with no database connection held, so a burst of sign-ins stalls no writer.
pub async fn sign_in(
    db: &Db,
    keys: Arc<TokenKeys>,
    throttle: Throttle,
    refresh_ttl: Duration,
    credentials: Credentials,
    address: String,
) -> Result<Issued, ApiError> {
    let (username, secret, is_client) = match credentials {
        Credentials::Password { username, password } => (username, password, false),
        Credentials::Client { client_id, client_secret } => (client_id, client_secret, true),
    };
    let subjects =
        [(format!("account:{username}"), throttle.per_account), (format!("address:{address}"), throttle.per_address)];
    let counted = subjects.clone();
    let account = db
        .run(move |conn| {
            let now = db::now();
            for (subject, limit) in &counted {
                let attempts = store::count_attempt(conn, subject, now, now - throttle.window)?;
                if attempts.failures as u32 > *limit {
                    let retry_after_secs =
                        ((attempts.window_start + throttle.window) - now).num_seconds().max(1) as u64;
                    return Err(ApiError::TooManyRequests { retry_after_secs });
                }
            }
            Ok(store::find_by_username(conn, &username)?)
        })
        .await?;
    let stored =
        account.as_ref().and_then(|a| if is_client { a.client_secret_hash.clone() } else { a.password_hash.clone() });
    let verified = actix_web::web::block(move || password::verify(&secret, stored.as_deref())).await?;
    let Some(account) = account.filter(|a| verified && a.active) else {
        // The username is not logged: people type passwords into that box.
        tracing::info!(address = %subjects[1].0, "sign-in refused");
        return Err(ApiError::Unauthorized(REFUSED.into()));
    };
    let issued_for = account.clone();
    let refresh_token = db
        .run(move |conn| {
            store::clear_failures(conn, &subjects[0].0)?;
            store::uncount_attempt(conn, &subjects[1].0)?;
            if is_client { Ok(None) } else { new_refresh_token(conn, &account.id, None, refresh_ttl).map(Some) }
        })
        .await?;
    issue(&keys, &issued_for, refresh_token)
}

/// Exchanges a refresh token for new tokens. A token that was already exchanged is a sign of theft:
/// its whole family is revoked.
pub fn refresh(
    conn: &mut AnyConnection,
    keys: &TokenKeys,
    refresh_ttl: Duration,
    token: &str,
) -> Result<Issued, ApiError> {
    let refused = || ApiError::Unauthorized("the refresh token is not valid".into());
    let now = db::now();
    let row = store::find_refresh_token(conn, &token_digest(token))?.ok_or_else(refused)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(refused());
    }
    if row.rotated_at.is_some() || !store::mark_rotated(conn, &row.id, now)? {
        store::revoke_family(conn, &row.family_id, now)?;
        tracing::warn!(account = %row.account_id, family = %row.family_id, "refresh token reused; family revoked");
        return Err(refused());
    }
    let account = store::find_account(conn, &row.account_id)?.filter(|a| a.active).ok_or_else(refused)?;
    let next = new_refresh_token(conn, &account.id, Some(&row.family_id), refresh_ttl)?;
    // A sign-out or reuse detection may have revoked the family meanwhile: the new token goes with it.
    if store::family_revoked(conn, &row.family_id)? {
        store::revoke_family(conn, &row.family_id, db::now())?;
        return Err(refused());
    }
    issue(keys, &account, Some(next))
}

/// Revokes the family of a refresh token. Unknown tokens are ignored: signing out always succeeds.
pub fn sign_out(conn: &mut AnyConnection, token: &str) -> Result<(), ApiError> {
    if let Some(row) = store::find_refresh_token(conn, &token_digest(token))? {
        store::revoke_family(conn, &row.family_id, db::now())?;
    }
    Ok(())
}

fn issue(keys: &TokenKeys, account: &AccountRow, refresh_token: Option<String>) -> Result<Issued, ApiError> {
    Ok(Issued {
        access_token: keys.issue(&account.id).map_err(ApiError::internal)?,
        token_type: "Bearer".into(),
        expires_in: keys.access_ttl_secs,
        refresh_token,
    })
}

fn new_refresh_token(
    conn: &mut AnyConnection,
    account_id: &str,
    family: Option<&str>,
    ttl: Duration,
) -> Result<String, ApiError> {
    let token = random_hex(32);
    let now = db::now();
    store::insert_refresh_token(
        conn,
        &RefreshTokenRow {
            id: db::new_id(),
            account_id: account_id.to_owned(),
            family_id: family.map_or_else(db::new_id, str::to_owned),
            token_hash: token_digest(&token),
            expires_at: now + ttl,
            rotated_at: None,
            revoked_at: None,
            created_at: now,
        },
    )?;
    Ok(token)
}

/// A new account, parsed.
#[derive(Debug)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub home_cell: Option<String>,
    pub scopes: Vec<Permission>,
    /// Users: the password. Service accounts get a generated client secret instead.
    pub password: Option<String>,
}

/// An account the caller may administer: at home in its subtree (unscoped accounts only for unscoped
/// callers). Others answer 404, as if they did not exist. Answers the account with its home cell's path.
pub fn visible_account(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<(AccountRow, Option<String>), ApiError> {
    store::find_account_with_home(conn, id)?
        .filter(|(_, path)| reaches(caller, path.as_deref()))
        .ok_or_else(|| ApiError::NotFound("no such account".into()))
}

/// Accounts the caller may administer, by username.
pub fn list_accounts(
    conn: &mut AnyConnection,
    caller: &Caller,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<AccountRow>, ApiError> {
    Ok(store::list_accounts(conn, caller.scope.home_path(), after.as_deref(), limit)?)
}

/// True when an account at home at `path` (`None`: the whole grid) is within the caller's reach.
fn reaches(caller: &Caller, path: Option<&str>) -> bool {
    match path {
        Some(path) => caller.scope.covers(path),
        None => caller.scope == Scope::Everywhere,
    }
}

/// Hashes of the secrets an account change stores, computed before any connection is taken: Argon2 is
/// slow on purpose, and on SQLite a transaction holds the only write lock.
#[derive(Debug, Clone, Default)]
pub struct Hashed {
    pub password_hash: Option<String>,
    /// A new client secret (shown once) and its hash.
    pub client_secret: Option<(String, String)>,
}

impl Hashed {
    /// Hashes `password`, and makes a client secret when `client` is set.
    pub fn secrets(password: Option<&str>, client: bool) -> Result<Self, ApiError> {
        let hash = |s: &str| password::hash(s).map_err(ApiError::internal);
        let client_secret = if client {
            let secret = random_hex(24);
            let hashed = hash(&secret)?;
            Some((secret, hashed))
        } else {
            None
        };
        Ok(Self { password_hash: password.map(hash).transpose()?, client_secret })
    }

    /// [`Hashed::secrets`] on the blocking pool.
    pub async fn off_thread(password: Option<String>, client: bool) -> Result<Self, ApiError> {
        actix_web::web::block(move || Self::secrets(password.as_deref(), client)).await?
    }

    /// The hashes a new account needs.
    pub fn for_account(new: &NewAccount) -> Result<Self, ApiError> {
        Self::secrets(new.password.as_deref(), new.role == Role::Integration)
    }
}

/// Creates an account (use case for the API: hashes first, then one transaction).
pub async fn create(db: &Db, caller: Caller, new: NewAccount) -> Result<(AccountRow, Option<String>), ApiError> {
    let hashed = Hashed::off_thread(new.password.clone(), new.role == Role::Integration).await?;
    db.transaction(move |conn| create_account(conn, &caller, new, hashed)).await
}

/// Creates an account with secrets hashed beforehand; for a service account also returns its client
/// secret (shown once). The caller can only create accounts within its own reach.
pub fn create_account(
    conn: &mut AnyConnection,
    caller: &Caller,
    new: NewAccount,
    hashed: Hashed,
) -> Result<(AccountRow, Option<String>), ApiError> {
    let mut errors = Vec::new();
    if let Err(m) = check_username(&new.username) {
        errors.push(FieldError::new("username", m));
    }
    if new.display_name.trim().is_empty() || new.display_name.chars().count() > 100 {
        errors.push(FieldError::new("display_name", "must be 1–100 characters"));
    }
    let home_path = check_home_and_scopes(conn, caller, new.role, new.home_cell.as_deref(), &new.scopes, &mut errors)?;
    let service = new.role == Role::Integration;
    match (&new.password, service) {
        (Some(_), true) => {
            errors.push(FieldError::new("password", "service accounts sign in with a generated client secret"))
        }
        (None, false) => errors.push(FieldError::new("password", "is required")),
        (Some(p), false) => {
            if let Err(m) = check_password(p, &new.username) {
                errors.push(FieldError::new("password", m));
            }
        }
        (None, true) => {}
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if store::find_by_username(conn, &new.username)?.is_some() {
        return Err(ApiError::Conflict(format!("the username {} is taken", new.username)));
    }
    let (client_secret, client_secret_hash) = hashed.client_secret.filter(|_| service).unzip();
    let now = db::now();
    let row = AccountRow {
        id: db::new_id(),
        username: new.username,
        display_name: new.display_name.trim().to_owned(),
        role: new.role.as_str().into(),
        home_cell: new.home_cell,
        scopes: scopes_text(&new.scopes),
        password_hash: hashed.password_hash.filter(|_| !service),
        client_secret_hash,
        active: true,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert_account(conn, &row)?;
    events::record_one(conn, caller, account_event(&row, home_path, EventData::AccountCreated)?)?;
    Ok((row, client_secret))
}

/// Changes to an account; `None` keeps the value.
#[derive(Debug, Default)]
pub struct AccountChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub home_cell: Option<Option<String>>,
    pub scopes: Option<Vec<Permission>>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Changes an account (use case for the API: a new password is hashed first, then one transaction).
pub async fn update(
    db: &Db,
    caller: Caller,
    id: String,
    if_match: IfMatch,
    changes: AccountChanges,
) -> Result<AccountRow, ApiError> {
    let hashed = Hashed::off_thread(changes.password.clone(), false).await?;
    db.transaction(move |conn| update_account(conn, &caller, &id, if_match, changes, hashed)).await
}

/// Changes an account the caller may administer (see [`visible_account`]), within the caller's reach.
pub fn update_account(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    if_match: IfMatch,
    changes: AccountChanges,
    hashed: Hashed,
) -> Result<AccountRow, ApiError> {
    let (mut row, _) = visible_account(conn, caller, id)?;
    if_match.check(row.version)?;
    let role = match changes.role {
        Some(role) => role,
        None => stored_role(&row)?,
    };
    let home = changes.home_cell.clone().unwrap_or_else(|| row.home_cell.clone());
    let scopes = match changes.scopes.clone() {
        Some(scopes) => scopes,
        None => stored_scopes(&row)?,
    };
    let mut errors = Vec::new();
    if (role == Role::Integration) != (row.role == Role::Integration.as_str()) {
        errors.push(FieldError::new(
            "role",
            "a user cannot become a service account or the reverse; create a new account",
        ));
    }
    if let Some(name) = &changes.display_name
        && (name.trim().is_empty() || name.chars().count() > 100)
    {
        errors.push(FieldError::new("display_name", "must be 1–100 characters"));
    }
    let home_path = check_home_and_scopes(conn, caller, role, home.as_deref(), &scopes, &mut errors)?;
    if let Some(p) = &changes.password {
        if role == Role::Integration {
            errors.push(FieldError::new("password", "service accounts have a client secret; rotate it instead"));
        } else if let Err(m) = check_password(p, &row.username) {
            errors.push(FieldError::new("password", m));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    store::lock_accounts(conn)?;
    let stays_admin = role == Role::Admin && changes.active.unwrap_or(row.active);
    if row.role == Role::Admin.as_str()
        && row.active
        && !stays_admin
        && store::count_other_active_admins(conn, &row.id)? == 0
    {
        return Err(ApiError::Conflict(
            "the last active administrator cannot be demoted or deactivated; make another administrator first".into(),
        ));
    }
    let now = db::now();
    let locked_out = changes.active == Some(false) || changes.password.is_some() || changes.role.is_some();
    let before = row.clone();
    if let Some(name) = changes.display_name {
        row.display_name = name.trim().to_owned();
    }
    if changes.password.is_some() {
        row.password_hash = hashed.password_hash;
    }
    row.role = role.as_str().into();
    row.home_cell = home;
    row.scopes = scopes_text(&scopes);
    row.active = changes.active.unwrap_or(row.active);
    row.version += 1;
    row.updated_at = now;
    store::update_account(conn, &row)?;
    if locked_out {
        store::revoke_all_of(conn, &row.id, now)?;
    }
    let changed = [
        ("display_name", row.display_name != before.display_name),
        ("role", row.role != before.role),
        ("home_cell", row.home_cell != before.home_cell),
        ("scopes", row.scopes != before.scopes),
        ("active", row.active != before.active),
        ("password", row.password_hash != before.password_hash),
    ]
    .into_iter()
    .filter(|(_, differs)| *differs)
    .map(|(field, _)| field.to_owned())
    .collect();
    let event =
        account_event(&row, home_path, |account| EventData::AccountUpdated(AccountChange { account, changed }))?;
    events::record_one(conn, caller, event)?;
    Ok(row)
}

/// A new client secret for a service account the caller may administer (shown once); hashed first.
pub async fn rotate(db: &Db, caller: Caller, id: String) -> Result<(AccountRow, String), ApiError> {
    let hashed = Hashed::off_thread(None, true).await?;
    db.transaction(move |conn| rotate_secret(conn, &caller, &id, hashed)).await
}

pub fn rotate_secret(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    hashed: Hashed,
) -> Result<(AccountRow, String), ApiError> {
    let (mut row, home_path) = visible_account(conn, caller, id)?;
    if row.role != Role::Integration.as_str() {
        return Err(ApiError::Conflict("only service accounts have a client secret".into()));
    }
    let (secret, hash) = hashed.client_secret.ok_or_else(|| ApiError::internal("no client secret was made"))?;
    row.client_secret_hash = Some(hash);
    row.version += 1;
    row.updated_at = db::now();
    store::update_account(conn, &row)?;
    events::record_one(conn, caller, account_event(&row, home_path, EventData::AccountSecretRotated)?)?;
    Ok((row, secret))
}

fn check_username(name: &str) -> Result<(), String> {
    let ok = (3..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@' | b'+'));
    if ok { Ok(()) } else { Err("must be 3–64 letters, digits or . _ - @ +".into()) }
}

/// Checks an account's home cell and scopes, collecting field errors; a home outside the caller's reach
/// is refused outright. Answers the home cell's path.
fn check_home_and_scopes(
    conn: &mut AnyConnection,
    caller: &Caller,
    role: Role,
    home: Option<&str>,
    scopes: &[Permission],
    errors: &mut Vec<FieldError>,
) -> Result<Option<String>, ApiError> {
    let mut path = None;
    match home {
        None if role.needs_home_cell() => {
            errors.push(FieldError::new("home_cell", format!("role {role} needs a home cell")))
        }
        None if caller.scope != Scope::Everywhere => {
            return Err(ApiError::Forbidden("only callers without a home cell may grant the whole grid".into()));
        }
        None => {}
        Some(code) => match find_cell(conn, code)?.filter(|cell| caller.scope.sees_cell(&cell.path)) {
            None => errors.push(FieldError::new("home_cell", "no grid cell has this code")),
            Some(cell) if !caller.scope.covers(&cell.path) => {
                return Err(ApiError::Forbidden("the home cell is outside your part of the grid".into()));
            }
            Some(cell) => path = Some(cell.path),
        },
    }
    if role != Role::Integration && !scopes.is_empty() {
        errors.push(FieldError::new("scopes", "only integration accounts hold explicit scopes"));
    }
    if let Some(bad) = scopes.iter().find(|p| !grantable_scope(**p)) {
        errors.push(FieldError::new("scopes", format!("{bad} cannot be granted to a service account")));
    }
    Ok(path)
}

/// The role an account row holds; a value this build does not know is a data error, not a default.
pub fn stored_role(row: &AccountRow) -> Result<Role, ApiError> {
    Role::parse(&row.role)
        .ok_or_else(|| ApiError::internal(format!("account {} has unknown role {}", row.id, row.role)))
}

/// The permissions an account row holds as scopes.
pub fn stored_scopes(row: &AccountRow) -> Result<Vec<Permission>, ApiError> {
    row.scopes
        .split_whitespace()
        .map(|p| {
            Permission::parse(p).ok_or_else(|| ApiError::internal(format!("account {} has unknown scope {p}", row.id)))
        })
        .collect()
}

fn account_event(
    row: &AccountRow,
    home_path: Option<String>,
    kind: impl FnOnce(AccountFacts) -> EventData,
) -> Result<Event, ApiError> {
    let facts = AccountFacts {
        id: row.id.clone(),
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        role: stored_role(row)?,
        home_cell: row.home_cell.clone(),
        scopes: stored_scopes(row)?,
        active: row.active,
        version: row.version,
    };
    Ok(Event::new(row.id.clone(), home_path, kind(facts)))
}

fn scopes_text(scopes: &[Permission]) -> String {
    scopes.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" ")
}
