//! The authenticated caller: who it is, what it may do, and which part of the grid it sees.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::store::{self, AccountRow};
use super::tokens::TokenKeys;
use crate::db::Db;
use crate::domain::access::{Permission, Role};
use crate::error::ApiError;

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
}

impl Caller {
    pub fn from_account(account: &AccountRow, home: Option<HomeCell>) -> Result<Self, ApiError> {
        let role =
            Role::parse(&account.role).ok_or_else(|| ApiError::internal(format!("unknown role {}", account.role)))?;
        let permissions = match role {
            Role::Integration => account.scopes.split_whitespace().filter_map(Permission::parse).collect(),
            other => other.permissions().to_vec(),
        };
        Ok(Self { account_id: account.id.clone(), username: account.username.clone(), role, permissions, home })
    }

    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }

    /// 403 unless the caller holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.permissions.contains(&permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("this needs the {permission} permission, which role {} lacks", self.role)))
        }
    }

    /// True when the cell at `path` is in the caller's subtree (where it may act).
    pub fn covers(&self, path: &str) -> bool {
        self.home.as_ref().is_none_or(|home| path.starts_with(&home.path))
    }

    /// True when the caller may see the cell at `path`: its subtree, and the ancestors of its home cell.
    pub fn can_see(&self, path: &str) -> bool {
        self.home.as_ref().is_none_or(|home| path.starts_with(&home.path) || home.path.starts_with(path))
    }

    /// 404 (no existence leak) when the cell is out of sight, 403 when seen but not covered.
    pub fn may_change(&self, path: &str, what: &str) -> Result<(), ApiError> {
        if !self.can_see(path) {
            return Err(ApiError::NotFound(format!("no {what} here")));
        }
        if !self.covers(path) {
            return Err(ApiError::Forbidden(format!("the {what} is outside your part of the grid")));
        }
        Ok(())
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_owned());
        let keys = req.app_data::<web::Data<TokenKeys>>().cloned();
        let db = req.app_data::<web::Data<Db>>().cloned();
        Box::pin(async move {
            let (keys, db) = keys.zip(db).ok_or_else(|| ApiError::internal("authentication is not configured"))?;
            let token =
                token.ok_or_else(|| ApiError::Unauthorized("send `Authorization: Bearer <access token>`".into()))?;
            let claims = keys.verify(&token).map_err(|reason| {
                tracing::info!(%reason, "access token refused");
                ApiError::Unauthorized("the access token is not valid".into())
            })?;
            db.run(move |conn| {
                let (account, home) = store::find_account_with_home(conn, &claims.sub)?
                    .filter(|(a, _)| a.active)
                    .ok_or_else(|| ApiError::Unauthorized("the account is not active".into()))?;
                let home = account.home_cell.clone().zip(home).map(|(code, path)| HomeCell { code, path });
                Caller::from_account(&account, home)
            })
            .await
        })
    }
}
