//! The authenticated caller: who it is, what it may do, and which part of the grid it sees.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::store::{self, AccountRow};
use super::tokens::TokenKeys;
use crate::db::Db;
use crate::db::cache::RevisionCache;
use crate::domain::access::{Permission, Role};
use crate::domain::scope::Scope;
use crate::error::ApiError;

/// Active accounts with their home cell's path, by id: authenticated requests are answered without a database
/// round trip. Account writes bump the `accounts` revision and grid writes (moves change home paths) the
/// `grid` one; an instance checks them at most once per `account_cache_refresh_ms`, and at once after its own.
pub type CallerCache = RevisionCache<String, (AccountRow, Option<String>)>;

/// The revisions a cached caller depends on.
pub const CALLER_TOPICS: &[&str] = &[store::ACCOUNTS_TOPIC, crate::grid::store::GRID_TOPIC];

/// The caller's home cell: everything it sees hangs below (or above) it.
#[derive(Debug, Clone)]
pub struct HomeCell {
    pub code: String,
    /// `210100/210102/` style path of the home cell.
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: String,
    pub username: String,
    pub role: Role,
    permissions: Vec<Permission>,
    /// `None`: the whole grid (admins only).
    pub home: Option<HomeCell>,
    /// Where in the grid the caller looks and acts, derived from `home`.
    pub scope: Scope,
}

impl Caller {
    pub fn from_account(account: &AccountRow, home: Option<HomeCell>) -> Result<Self, ApiError> {
        let role = super::service::stored_role(account)?;
        let permissions = match role {
            Role::Integration => super::service::stored_scopes(account)?,
            other => other.permissions().to_vec(),
        };
        let scope = home.as_ref().map_or(Scope::Everywhere, |h| Scope::Subtree(h.path.clone()));
        Ok(Self { account_id: account.id.clone(), username: account.username.clone(), role, permissions, home, scope })
    }

    /// The caller an active account is, for work done later on its behalf (background jobs); `None` when the
    /// account is gone or deactivated.
    pub fn of_account(conn: &mut crate::db::AnyConnection, id: &str) -> Result<Option<Self>, ApiError> {
        let Some((account, home)) = store::find_account_with_home(conn, id)?.filter(|(a, _)| a.active) else {
            return Ok(None);
        };
        let home = account.home_cell.clone().zip(home).map(|(code, path)| HomeCell { code, path });
        Self::from_account(&account, home).map(Some)
    }

    /// The service itself, for work started from the command line (seeding, the first administrator):
    /// every permission, the whole grid, and no account behind it.
    pub fn system() -> Self {
        Self {
            account_id: String::new(),
            username: "airgrid".into(),
            role: Role::Admin,
            permissions: Permission::ALL.to_vec(),
            home: None,
            scope: Scope::Everywhere,
        }
    }

    /// The account behind the caller; `None` for [`Caller::system`].
    pub fn account(&self) -> Option<&str> {
        (!self.account_id.is_empty()).then_some(self.account_id.as_str())
    }

    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }

    /// True when the caller holds `permission`.
    pub fn holds(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// 403 unless the caller holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.holds(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("this needs the {permission} permission, which role {} lacks", self.role)))
        }
    }

    /// 404 (no existence leak) unless the caller may see the cell at `path`.
    pub fn may_see(&self, path: &str, what: &str) -> Result<(), ApiError> {
        if self.scope.sees_cell(path) { Ok(()) } else { Err(ApiError::NotFound(format!("no {what} here"))) }
    }

    /// 404 (no existence leak) when the cell at `path` is out of sight, 403 when seen but outside the
    /// caller's subtree.
    pub fn may_change(&self, path: &str, what: &str) -> Result<(), ApiError> {
        self.may_see(path, what)?;
        if !self.scope.covers(path) {
            return Err(ApiError::Forbidden(format!("the {what} is outside your part of the grid")));
        }
        Ok(())
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &header::HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req.headers());
        let keys = req.app_data::<web::Data<TokenKeys>>().cloned();
        let db = req.app_data::<web::Data<Db>>().cloned();
        let cache = req.app_data::<web::Data<CallerCache>>().cloned();
        Box::pin(async move {
            let ((keys, db), cache) =
                keys.zip(db).zip(cache).ok_or_else(|| ApiError::internal("authentication is not configured"))?;
            let token =
                token.ok_or_else(|| ApiError::Unauthorized("send `Authorization: Bearer <access token>`".into()))?;
            let claims = keys.verify(&token).map_err(|reason| {
                tracing::info!(%reason, "access token refused");
                ApiError::Unauthorized("the access token is not valid".into())
            })?;
            let id = claims.sub.clone();
            let load = move |conn: &mut crate::db::AnyConnection| {
                Ok(store::find_account_with_home(conn, &id)?.filter(|(a, _)| a.active))
            };
            let (account, home) = cache
                .get(&db, claims.sub, load)
                .await?
                .ok_or_else(|| ApiError::Unauthorized("the account is not active".into()))?;
            let home = account.home_cell.clone().zip(home).map(|(code, path)| HomeCell { code, path });
            Caller::from_account(&account, home)
        })
    }
}
