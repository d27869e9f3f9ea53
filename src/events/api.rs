//! `GET /api/v1/events`: the change feed, by cursor, with long polling.

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::store::{self, EventRow, FeedFilter, Position, Visible};
use super::{CellFree, EVENT_TYPES, EventData, event_type};
use crate::auth::Caller;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::scope::Scope;
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::service::subtree_of;
use crate::http::{cursor, next_link};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/api/v1").service(feed));
}

const MAX_WAIT_SECS: u64 = 60;

/// Which events to read.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Opaque cursor: `next_cursor` of the previous page. Without it the feed starts at the beginning.
    after: Option<String>,
    /// Only these event types, comma-separated, e.g. `grid.cell.created,grid.cell.updated`.
    #[param(example = "grid.cell.updated,grid.person.assigned")]
    types: Option<String>,
    /// Only events about this cell and everything below it.
    #[param(example = "210102")]
    cell: Option<String>,
    /// Only events about this subject (a cell code, assignment id or account id): its history.
    subject: Option<String>,
    /// Events per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Long poll: when nothing is new, wait up to this many seconds (0–60, default 0) for an event.
    #[param(minimum = 0, maximum = 60)]
    wait: Option<u64>,
}

/// Who made a change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Actor {
    /// Account id; null for the service itself (command-line work).
    pub id: Option<String>,
    /// Username at the time of the change.
    pub username: Option<String>,
}

/// One recorded change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "seq": 42, "id": "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d", "type": "grid.cell.updated",
    "data": {"code": "210102001", "name": "浑河湾街道", "level": 3, "parent_code": "210102", "valid_from": "2026-01-01",
             "valid_to": null, "version": 2, "changed": ["name"], "previous_parent_code": null},
    "subject": "210102001", "cell": "210102001", "occurred_at": "2026-12-01T08:00:00Z",
    "actor": {"id": "019a0c5e-0000-7c3a-9b2d-3f4e5a6b7c8d", "username": "commander"}
}))]
pub struct EventRecord {
    /// Sequence number: unique, increasing in the order events were written (not always the commit order).
    pub seq: i64,
    /// Unique id of the event (consumers de-duplicate by it).
    pub id: String,
    #[serde(flatten)]
    pub payload: EventData,
    /// Code or id of what changed.
    pub subject: String,
    /// Code of the grid cell the change concerns; null for changes outside the grid.
    pub cell: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
}

/// A page of the feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Feed {
    /// Events in feed order.
    pub items: Vec<EventRecord>,
    /// Where to continue: pass it as `after`. Never null; on an empty page it is the cursor sent (or the
    /// start), so a consumer keeps polling with it.
    pub next_cursor: String,
    /// True when nothing more can be read right now. False when the page was full, or when newer events
    /// have committed but wait behind a transaction still running: read again with `next_cursor`.
    pub caught_up: bool,
}

/// Follow the change feed
///
/// Every change (grid cells, imports, responsible people, accounts) as an event, in an order that never
/// skips: an event that commits later always comes after the cursor of a page already read, even when
/// concurrent transactions commit out of sequence order. Follow it with `after=next_cursor`; with `wait`
/// an empty page is held open until an event arrives or the time is up. Scoped like the resources: events
/// about cells in the caller's subtree (and about its home cell's ancestors themselves), of types its
/// permissions allow (`grid:read` for `grid.*`, `accounts:admin` for `account.*`). Event types and their
/// `data` are listed in the `EventData` schema.
#[utoipa::path(
    operation_id = "list_events",
    tag = "events",
    params(FeedQuery),
    responses(
        (status = 200, description = "A page of events; a `Link: rel=\"next\"` header carries the next cursor", body = Feed),
        (status = 400, description = "The cursor was not issued by this service (`/problems/invalid-parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown or unreadable event type, an unknown cell, or `limit`/`wait` out of range", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/events")]
pub async fn feed(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (filter, limit, wait) = parse(&db, &caller, q).await?;
    let poll = Duration::from_millis(settings.events_poll_interval_ms.max(10));
    let start = filter.after;
    let store::Page { rows, caught_up } = follow(&db, filter, limit, wait, poll).await?;
    let next = rows.last().map(|r| (r.tx_id, r.seq)).or(start);
    let next_cursor = cursor::encode(&next.map_or_else(String::new, |(tx, seq)| format!("{tx}.{seq}")));
    let items = rows.into_iter().map(record).collect::<Result<Vec<_>, _>>()?;
    let mut res = HttpResponse::Ok();
    if let Some(link) = next_link(&req, "after", &next_cursor) {
        res.insert_header((header::LINK, link));
    }
    Ok(res.json(Feed { items, next_cursor, caught_up }))
}

async fn parse(db: &Db, caller: &Caller, q: FeedQuery) -> Result<(FeedFilter, i64, Duration), ApiError> {
    let mut errors = Vec::new();
    let after = q.after.as_deref().map(parse_cursor).transpose()?.flatten();
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        errors.push(FieldError::new("limit", "must be between 1 and 1000"));
    }
    let wait = q.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        errors.push(FieldError::new("wait", "must be between 0 and 60 seconds"));
    }
    let readable: Vec<&'static str> =
        EVENT_TYPES.iter().filter(|t| caller.holds(t.permission)).map(|t| t.name).collect();
    let types = match q.types.as_deref().filter(|t| !t.trim().is_empty()) {
        None => readable.clone(),
        Some(list) => {
            let mut chosen = Vec::new();
            for name in list.split(',').map(str::trim) {
                match event_type(name) {
                    Some(t) if readable.contains(&t.name) => chosen.push(t.name),
                    Some(t) => errors.push(FieldError::new("types", format!("{name} needs {}", t.permission))),
                    None => errors.push(FieldError::new("types", format!("{name} is not an event type"))),
                }
            }
            chosen
        }
    };
    let within = match q.cell {
        Some(code) => {
            let seer = caller.clone();
            match db.run(move |conn| subtree_of(conn, &seer, &code, "cell")).await {
                Ok(path) => Some(path),
                Err(ApiError::Validation { errors: mut found, .. }) => {
                    errors.append(&mut found);
                    None
                }
                Err(other) => return Err(other),
            }
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let visible = match &caller.scope {
        Scope::Everywhere => None,
        scope @ Scope::Subtree(home) => Some(Visible {
            home: home.clone(),
            ancestors: scope.ancestor_paths(),
            about_cell: EVENT_TYPES.iter().filter(|t| t.about_cell).map(|t| t.name).collect(),
            cell_free: EVENT_TYPES
                .iter()
                .filter(|t| match t.without_cell {
                    CellFree::Nobody => false,
                    CellFree::Everyone => true,
                    CellFree::CommandCentre => scope.ancestor_paths().is_empty(),
                })
                .map(|t| t.name)
                .collect(),
        }),
    };
    Ok((FeedFilter { after, types, within, subject: q.subject, visible }, limit, Duration::from_secs(wait)))
}

/// The feed position a cursor stands for; the empty cursor is the start.
fn parse_cursor(raw: &str) -> Result<Option<Position>, ApiError> {
    let text = cursor::decode(raw)?;
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || ApiError::InvalidParameter { detail: "after: not a cursor this service issued".into() };
    let (tx, seq) = text.split_once('.').ok_or_else(bad)?;
    Ok(Some((tx.parse().map_err(|_| bad())?, seq.parse().map_err(|_| bad())?)))
}

/// Reads a page; when it is empty, waits for this instance's next commit (or another instance's, seen
/// by polling every `poll`) until `wait` has passed.
async fn follow(
    db: &Db,
    filter: FeedFilter,
    limit: i64,
    wait: Duration,
    poll: Duration,
) -> Result<store::Page, ApiError> {
    let deadline = Instant::now() + wait;
    loop {
        // Registered before reading, so a commit between the read and the wait is not missed.
        let committed = db.commits().notified();
        futures_util::pin_mut!(committed);
        committed.as_mut().enable();
        let page = filter.clone();
        let read = db.run(move |conn| Ok(store::page(conn, &page, limit)?)).await?;
        let left = deadline.saturating_duration_since(Instant::now());
        if !read.rows.is_empty() || left.is_zero() {
            return Ok(read);
        }
        let _ = actix_web::rt::time::timeout(left.min(poll), committed).await;
    }
}

fn record(row: EventRow) -> Result<EventRecord, ApiError> {
    let data: serde_json::Value = serde_json::from_str(&row.data).map_err(ApiError::internal)?;
    let payload = serde_json::from_value(serde_json::json!({"type": row.kind, "data": data}))
        .map_err(|e| ApiError::internal(format!("event {} does not read back: {e}", row.seq)))?;
    let cell = row.cell_path.as_deref().and_then(|p| p.trim_end_matches('/').rsplit('/').next()).map(str::to_owned);
    Ok(EventRecord {
        seq: row.seq,
        id: row.id,
        payload,
        subject: row.subject,
        cell,
        occurred_at: row.occurred_at.and_utc(),
        actor: Actor { id: row.actor_id, username: row.actor_name },
    })
}
