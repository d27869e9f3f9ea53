//! Sign-in endpoints and account administration.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::caller::{Caller, CallerCache};
use super::service::{self, AccountChanges, Credentials, Issued, NewAccount, Throttle};
use super::store::AccountRow;
use super::tokens::TokenKeys;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::access::{Permission, Role};
use crate::error::{ApiError, Problem};
use crate::http::{IfMatch, Json, Page, PageParams, etag};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/api/v1/auth").service(token).service(refresh).service(logout).service(me))
        .service(
            utoipa_actix_web::scope("/api/v1/accounts")
                .service(list_accounts)
                .service(create_account)
                .service(get_account)
                .service(update_account)
                .service(rotate_secret),
        );
}

/// Sign-in: a user's username and password, or a service account's client id and secret.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SignIn {
    /// A person.
    Password {
        /// Username (often a phone number).
        username: String,
        /// Password.
        password: String,
    },
    /// A service account (integration).
    Client {
        /// The service account's username.
        client_id: String,
        /// The secret issued when the account was created or its secret rotated.
        client_secret: String,
    },
}

/// Sign in
///
/// Answers an access token (JWT, 15 minutes by default) and, for users, a single-use refresh token
/// (30 days). Repeated failures for one account or from one address answer 429 with `Retry-After`.
#[utoipa::path(
    operation_id = "sign_in",
    tag = "auth",
    request_body(content = SignIn, example = json!({"username": "worker", "password": "Grid-worker-2026"})),
    responses(
        (status = 200, description = "Signed in", body = Issued),
        (status = 401, description = "Unknown account, wrong secret or inactive account (`unauthorized`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures; see `Retry-After` (`too-many-requests`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/token")]
pub async fn token(
    req: HttpRequest,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    settings: web::Data<Settings>,
    body: Json<SignIn>,
) -> Result<HttpResponse, ApiError> {
    let credentials = match body.0 {
        SignIn::Password { username, password } => Credentials::Password { username, password },
        SignIn::Client { client_id, client_secret } => Credentials::Client { client_id, client_secret },
    };
    let address = client_address(&req, &settings.trusted_proxies());
    let throttle = Throttle::from_settings(&settings);
    let refresh_ttl = chrono::Duration::seconds(settings.refresh_token_ttl_secs as i64);
    let issued = service::sign_in(&db, keys.into_inner(), throttle, refresh_ttl, credentials, address).await?;
    Ok(no_store(HttpResponse::Ok()).json(issued))
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last sign-in or refresh.
    refresh_token: String,
}

/// Refresh tokens
///
/// Exchanges a refresh token for a new access token and a new refresh token; the old one stops
/// working. Presenting a refresh token a second time revokes every token descended from the same
/// sign-in.
#[utoipa::path(
    operation_id = "refresh_tokens",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = Issued),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/refresh")]
pub async fn refresh(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    settings: web::Data<Settings>,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let refresh_ttl = chrono::Duration::seconds(settings.refresh_token_ttl_secs as i64);
    let keys = keys.into_inner();
    let presented = body.0.refresh_token;
    let issued = db.run(move |conn| service::refresh(conn, &keys, refresh_ttl, &presented)).await?;
    Ok(no_store(HttpResponse::Ok()).json(issued))
}

/// Sign out
///
/// Revokes the refresh token and every token descended from the same sign-in. Access tokens expire on
/// their own.
#[utoipa::path(
    operation_id = "sign_out",
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out")),
)]
#[post("/logout")]
pub async fn logout(db: web::Data<Db>, body: Json<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    let presented = body.0.refresh_token;
    db.run(move |conn| service::sign_out(conn, &presented)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy; then the nearest address in
/// `X-Forwarded-For` (or `Forwarded: for=`) that is not itself a trusted proxy.
fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    let Some(peer) = peer else { return String::new() };
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let headers = req.headers();
    let forwarded_for = headers.get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let forwarded = headers.get_all(header::FORWARDED).filter_map(|v| v.to_str().ok()).flat_map(|v| {
        v.split([',', ';'])
            .filter_map(|part| part.trim().strip_prefix("for=").or_else(|| part.trim().strip_prefix("For=")))
    });
    let hops: Vec<std::net::IpAddr> = forwarded_for
        .chain(forwarded)
        .filter_map(|hop| {
            let hop = hop.trim().trim_matches('"');
            let hop = hop.strip_prefix('[').and_then(|h| h.split(']').next()).unwrap_or(hop);
            hop.parse().ok().or_else(|| hop.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok()))
        })
        .collect();
    hops.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer).to_string()
}

/// Token responses must not be cached by anything on the way.
fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    builder
}

/// The caller as the service sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// Account id.
    pub id: String,
    pub username: String,
    pub role: Role,
    /// Home cell: the root of everything the caller sees; null for admins (the whole grid).
    pub home_cell: Option<String>,
    /// What the caller may do.
    pub permissions: Vec<Permission>,
}

/// Who am I
#[utoipa::path(
    operation_id = "who_am_i",
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/me")]
pub async fn me(caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(Me {
        id: caller.account_id.clone(),
        username: caller.username.clone(),
        role: caller.role,
        home_cell: caller.home.as_ref().map(|h| h.code.clone()),
        permissions: caller.permissions().to_vec(),
    })
}

/// An account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d", "username": "13800000000", "display_name": "王丽", "role": "grid_worker",
    "home_cell": "210102022022", "scopes": [], "active": true, "version": 1,
    "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
}))]
pub struct Account {
    pub id: String,
    /// Sign-in name (client id for service accounts).
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Home cell (scope); null only for admins.
    pub home_cell: Option<String>,
    /// Explicit permissions of a service account.
    pub scopes: Vec<Permission>,
    /// Inactive accounts cannot sign in and their tokens stop working.
    pub active: bool,
    /// Version, also sent as the ETag.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<AccountRow> for Account {
    type Error = ApiError;

    fn try_from(row: AccountRow) -> Result<Self, ApiError> {
        Ok(Self {
            role: service::stored_role(&row)?,
            scopes: service::stored_scopes(&row)?,
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            home_cell: row.home_cell,
            active: row.active,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// An account and, once, the client secret of a new or rotated service account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountWithSecret {
    #[serde(flatten)]
    pub account: Account,
    /// Only for service accounts, only in this response: store it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// List accounts
#[utoipa::path(
    operation_id = "list_accounts",
    tag = "accounts",
    params(PageParams),
    responses(
        (status = 200, description = "One page of accounts, by username", body = inline(Page<Account>)),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("")]
pub async fn list_accounts(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountsAdmin)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let rows = db.run(move |conn| service::list_accounts(conn, &caller, after, limit + 1)).await?;
    let accounts = rows.into_iter().map(Account::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(accounts, limit, |a| a.username.clone()).respond(&req))
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "13800000000", "display_name": "王丽", "role": "grid_worker", "home_cell": "210102022022", "password": "Grid-worker-2026"}))]
pub struct NewAccountBody {
    /// 3–64 letters, digits or `. _ - @ +` (a phone number works).
    username: String,
    /// Name shown to others.
    display_name: String,
    /// Role; `integration` makes a service account that signs in with a generated client secret.
    role: Role,
    /// Home cell code; required for every role but admin.
    home_cell: Option<String>,
    /// Service accounts only: the permissions it holds, e.g. `vehicles:import`.
    #[serde(default)]
    scopes: Vec<Permission>,
    /// Users only: at least 10 characters mixing three of lower, upper, digits, symbols.
    password: Option<String>,
}

/// Create an account
///
/// For a service account (`role: integration`) the answer carries its client secret, once.
#[utoipa::path(
    operation_id = "create_account",
    tag = "accounts",
    request_body = NewAccountBody,
    responses(
        (status = 201, description = "Created", body = AccountWithSecret),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Username taken", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
pub async fn create_account(
    caller: Caller,
    db: web::Data<Db>,
    body: Json<NewAccountBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountsAdmin)?;
    let b = body.0;
    let new = NewAccount {
        username: b.username,
        display_name: b.display_name,
        role: b.role,
        home_cell: b.home_cell,
        scopes: b.scopes,
        password: b.password,
    };
    let (row, client_secret) = service::create(&db, caller, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/accounts/{}", row.id)))
        .insert_header((header::ETAG, etag(row.version)))
        .json(AccountWithSecret { account: row.try_into()?, client_secret }))
}

/// Get an account
#[utoipa::path(
    operation_id = "get_account",
    tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account", body = Account),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/{id}")]
pub async fn get_account(caller: Caller, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountsAdmin)?;
    let id = id.into_inner();
    let (row, _) = db.run(move |conn| service::visible_account(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(row.version))).json(Account::try_from(row)?))
}

/// Changes to an account; absent fields keep their value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct AccountPatch {
    display_name: Option<String>,
    /// New role (a user cannot become a service account or the reverse).
    role: Option<Role>,
    /// New home cell (scope); `null` only for admins.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    home_cell: Option<Option<String>>,
    /// New scopes of a service account.
    scopes: Option<Vec<Permission>>,
    /// `false` deactivates: sign-in stops, refresh tokens are revoked, access tokens stop working.
    active: Option<bool>,
    /// Reset a user's password (revokes its refresh tokens).
    password: Option<String>,
}

/// Change an account
///
/// Change role, scope or name, deactivate or reactivate, or reset the password. Requires `If-Match`.
#[utoipa::path(
    operation_id = "update_account",
    tag = "accounts",
    params(
        ("id" = String, Path, description = "Account id"),
        ("If-Match" = String, Header, description = "The ETag from the last read", example = "\"1\""),
    ),
    request_body = AccountPatch,
    responses(
        (status = 200, description = "The changed account", body = Account),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change would demote or deactivate the last active administrator (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
pub async fn update_account(
    caller: Caller,
    db: web::Data<Db>,
    callers: web::Data<CallerCache>,
    id: web::Path<String>,
    if_match: IfMatch,
    body: Json<AccountPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountsAdmin)?;
    let p = body.0;
    let changes = AccountChanges {
        display_name: p.display_name,
        role: p.role,
        home_cell: p.home_cell,
        scopes: p.scopes,
        active: p.active,
        password: p.password,
    };
    let id = id.into_inner();
    let row = service::update(&db, caller, id, if_match, changes).await?;
    callers.invalidate();
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(row.version))).json(Account::try_from(row)?))
}

/// Rotate a service account's secret
///
/// Issues a new client secret (shown once); the old one stops working.
#[utoipa::path(
    operation_id = "rotate_client_secret",
    tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account with its new secret", body = AccountWithSecret),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a service account", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/secret")]
pub async fn rotate_secret(caller: Caller, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::AccountsAdmin)?;
    let id = id.into_inner();
    let (row, secret) = service::rotate(&db, caller, id).await?;
    Ok(no_store(HttpResponse::Ok()).json(AccountWithSecret { account: row.try_into()?, client_secret: Some(secret) }))
}
