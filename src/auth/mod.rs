//! Accounts, sign-in, tokens and the grid-scoped access checks every endpoint makes.

mod api;
pub mod caller;
pub mod password;
pub mod service;
pub mod store;
pub mod tokens;

pub use api::routes;
pub use caller::{CALLER_TOPICS, Caller, CallerCache};
