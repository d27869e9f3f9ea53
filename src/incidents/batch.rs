//! Offline batches: a phone that collected reports without a network sends them at once, each with its own
//! key and time. Every item runs in its own transaction, so one bad item fails alone, and every item is
//! idempotent by its key: a batch sent again answers each item as the first time, acting once.

use sha2::{Digest, Sha256};

use super::Policy;
use super::service::{self, PossibleDuplicate, ReportDraft};
use super::store::IncidentRow;
use crate::auth::Caller;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::error::{ApiError, Problem};
use crate::grid::live::LiveIndex;
use crate::idempotency::store::{self as keys, Claim, Stored};

/// A fresh item's outcome: the report written, or why it was refused.
pub enum Outcome {
    Reported { row: Box<IncidentRow>, duplicates: Vec<PossibleDuplicate> },
    Refused(ApiError),
}

/// An item's answer as a single report would have had it (status and JSON body), and whether it is the
/// stored answer of an earlier send.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub replayed: bool,
}

/// An item as the client sent it: its key, its raw JSON (the fingerprint) and what it parsed to.
pub struct Item {
    pub key: String,
    pub raw: serde_json::Value,
    pub draft: Result<ReportDraft, ApiError>,
}

/// Runs the items in order; `answer` turns a fresh outcome into the (status, JSON body) answered and kept.
pub async fn run(
    db: &Db,
    live: &LiveIndex,
    settings: &Settings,
    caller: &Caller,
    policy: std::sync::Arc<Policy>,
    items: Vec<Item>,
    answer: impl Fn(Outcome) -> (u16, Vec<u8>),
) -> Vec<Answer> {
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let outcome = run_one(db, live, settings, caller, policy.clone(), item, &answer).await;
        outcomes.push(outcome);
    }
    outcomes
}

async fn run_one(
    db: &Db,
    live: &LiveIndex,
    settings: &Settings,
    caller: &Caller,
    policy: std::sync::Arc<Policy>,
    item: Item,
    answer: &impl Fn(Outcome) -> (u16, Vec<u8>),
) -> Answer {
    let refused = |e: ApiError| {
        let (status, body) = answer(Outcome::Refused(e));
        Answer { status, body, replayed: false }
    };
    let Some(account) = caller.account().map(str::to_owned) else {
        return refused(ApiError::Forbidden("batches need an account".into()));
    };
    // A space cannot occur in an Idempotency-Key header, so item keys never meet request keys.
    let key = format!("batch {}", item.key);
    let fingerprint = format!("{:x}", Sha256::digest(item.raw.to_string().as_bytes()));
    let (lease, ttl) = (settings.idempotency_lease_secs as i64, settings.idempotency_ttl_secs as i64);
    let (a, k) = (account.clone(), key.clone());
    let claim = db
        .transaction(move |conn| {
            let now = db::now();
            let lease_until = now + chrono::Duration::seconds(lease);
            Ok(keys::claim(conn, &a, &k, &fingerprint, now, lease_until, now + chrono::Duration::seconds(ttl))?)
        })
        .await;
    match claim {
        Err(e) => return refused(e),
        Ok(Claim::Replay(stored)) => return Answer { status: stored.status, body: stored.body, replayed: true },
        Ok(Claim::InProgress) => return refused(ApiError::IdempotencyKeyInUse),
        Ok(Claim::Mismatch) => return refused(ApiError::IdempotencyKeyReused),
        Ok(Claim::Run) => {}
    }
    let outcome = match item.draft {
        Err(e) => Outcome::Refused(e),
        Ok(draft) => match service::report_located(db, live, caller.clone(), draft, policy).await {
            Ok((row, duplicates)) => Outcome::Reported { row: Box::new(row), duplicates },
            Err(e) => Outcome::Refused(e),
        },
    };
    let kept = match &outcome {
        Outcome::Refused(e) => keeps(e),
        Outcome::Reported { .. } => true,
    };
    let (status, body) = answer(outcome);
    let stored = Stored { status, headers: Vec::new(), body: body.clone() };
    let _ = db
        .transaction(move |conn| {
            if kept {
                Ok(keys::complete(conn, &account, &key, &stored)?)
            } else {
                Ok(keys::release(conn, &account, &key)?)
            }
        })
        .await;
    Answer { status, body, replayed: false }
}

/// Refusals the item alone decides are kept for replay; the rest (permissions, a busy server) run again.
fn keeps(error: &ApiError) -> bool {
    let status = error.to_problem().status;
    (400..500).contains(&status) && ![401, 403, 408, 409, 429].contains(&status)
}

/// The problem of a refused item.
pub fn problem(error: &ApiError) -> Problem {
    if let ApiError::Internal(cause) = error {
        tracing::error!(%cause, "batch item failed");
    }
    error.to_problem()
}
