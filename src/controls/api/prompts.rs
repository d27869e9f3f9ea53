//! Prompts: the grid's own, their acknowledgement, and the command centre's view of who has acknowledged.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::controls::prompts::{self, MyPrompt, PromptTally};
use crate::controls::store::Recipient;
use crate::db::Db;
use crate::domain::control::PromptItem;
use crate::domain::incident::percent;
use crate::error::{ApiError, Problem};
use crate::http::{Page, PageParams};
use crate::incidents::Policy;

/// A prompt in force for the caller's cell.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "019a0c60-2222-7c3a-9b2d-3f4e5a6b7c8d", "activation_id": "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d",
    "title": "重污染天气橙色预警", "level": "orange", "level_name": "橙色预警", "cell_code": "210102",
    "items": [{"audience": "grid_workers", "text": "橙色预警期间网格员全天在岗，露天焚烧2小时内处置到位。"}],
    "issued_at": "2026-12-10T00:00:00Z", "acknowledged_at": null}))]
pub struct MyPromptDto {
    pub id: String,
    pub activation_id: String,
    pub title: String,
    pub level: String,
    pub level_name: String,
    /// The activation's cell it was issued to (the caller's cell or one above it).
    pub cell_code: String,
    /// The level's prompts, by audience.
    pub items: Vec<PromptItem>,
    pub issued_at: DateTime<Utc>,
    /// When the caller acknowledged it; null until then.
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl MyPromptDto {
    fn of(p: MyPrompt, policy: &Policy) -> Result<Self, ApiError> {
        Ok(Self {
            items: prompts::items_of(&p.prompt)?,
            level_name: policy
                .ladder
                .get(&p.prompt.level_code)
                .map_or_else(|| p.prompt.level_code.clone(), |l| l.name_zh.clone()),
            id: p.prompt.id,
            activation_id: p.activation.id,
            title: p.activation.title,
            level: p.prompt.level_code,
            cell_code: p.prompt.cell_code,
            issued_at: p.prompt.issued_at.and_utc(),
            acknowledged_at: p.acknowledged_at.map(|t| t.and_utc()),
        })
    }
}

/// List my prompts
///
/// The special-control prompts in force for the caller's cell (issued to it or to a cell above it), newest
/// first, with whether the caller has acknowledged each.
#[utoipa::path(
    operation_id = "list_my_prompts",
    tag = "controls",
    responses((status = 200, description = "The prompts in force (one page: there are few)", body = Page<MyPromptDto>)),
)]
#[get("/api/v1/me/prompts")]
pub async fn mine(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
) -> Result<HttpResponse, ApiError> {
    let rows = db.run(move |conn| prompts::mine(conn, &caller)).await?;
    let items = rows.into_iter().map(|p| MyPromptDto::of(p, &policy)).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: None }.respond(&req))
}

/// Acknowledge a prompt
///
/// By the grid workers and supervisors it is for (`controls:respond`, at home in its cell's subtree); again
/// changes nothing and answers the first acknowledgement.
#[utoipa::path(
    operation_id = "acknowledge_prompt",
    tag = "controls",
    params(("id" = String, Path, description = "Prompt id", example = "019a0c60-2222-7c3a-9b2d-3f4e5a6b7c8d")),
    responses(
        (status = 200, description = "Acknowledged", body = MyPromptDto),
        (status = 404, description = "No prompt for the caller here", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Replaced by a later prompt, or the control was lifted (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/me/prompts/{id}/acknowledgement")]
pub async fn acknowledge(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let prompt = db.transaction(move |conn| prompts::acknowledge(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(MyPromptDto::of(prompt, &policy)?))
}

/// A prompt an activation issued, with its acknowledgements.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PromptTallyDto {
    pub id: String,
    pub cell_code: String,
    pub level: String,
    pub items: Vec<PromptItem>,
    pub issued_at: DateTime<Utc>,
    /// When a later level change or the lift replaced it.
    pub superseded_at: Option<DateTime<Utc>>,
    /// Grid workers and supervisors at home in the cell's subtree.
    pub recipients: usize,
    pub acknowledged: usize,
    /// Acknowledged of recipients, in percent with two decimals; null without recipients.
    pub acknowledged_percent: Option<f64>,
}

impl PromptTallyDto {
    fn of(t: PromptTally) -> Result<Self, ApiError> {
        Ok(Self {
            items: prompts::items_of(&t.prompt)?,
            acknowledged_percent: percent(t.acknowledged as u64, t.recipients as u64),
            id: t.prompt.id,
            cell_code: t.prompt.cell_code,
            level: t.prompt.level_code,
            issued_at: t.prompt.issued_at.and_utc(),
            superseded_at: t.prompt.superseded_at.map(|t| t.and_utc()),
            recipients: t.recipients,
            acknowledged: t.acknowledged,
        })
    }
}

/// The prompts of an activation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PromptTallies {
    /// Newest level change first, then by cell.
    pub items: Vec<PromptTallyDto>,
}

/// List an activation's prompts with acknowledgement rates
#[utoipa::path(
    operation_id = "list_control_prompts",
    tag = "controls",
    params(("id" = String, Path, description = "Activation id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d")),
    responses(
        (status = 200, description = "Its prompts to cells the caller sees", body = PromptTallies),
        (status = 404, description = "No activation here", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/controls/{id}/prompts")]
pub async fn tally(caller: Caller, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let rows = db.run(move |conn| prompts::tally(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok()
        .json(PromptTallies { items: rows.into_iter().map(PromptTallyDto::of).collect::<Result<_, _>>()? }))
}

/// Someone a prompt is for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecipientDto {
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    pub home_cell: Option<String>,
}

impl From<Recipient> for RecipientDto {
    fn from(r: Recipient) -> Self {
        Self { account_id: r.id, username: r.username, display_name: r.display_name, home_cell: r.home_cell }
    }
}

/// List who has not acknowledged a prompt
///
/// For callers whose part of the grid holds the prompt's cell; by username, with cursor pages.
#[utoipa::path(
    operation_id = "list_prompt_pending",
    tag = "controls",
    params(
        ("id" = String, Path, description = "Activation id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"),
        ("prompt_id" = String, Path, description = "Prompt id", example = "019a0c60-2222-7c3a-9b2d-3f4e5a6b7c8d"),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of the people still to acknowledge", body = Page<RecipientDto>),
        (status = 403, description = "The prompt's cell is above the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such prompt in the caller's sight", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/controls/{id}/prompts/{prompt_id}/pending")]
pub async fn pending(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    path: web::Path<(String, String)>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (id, prompt) = path.into_inner();
    let (limit, after) = (page.limit()?, page.after()?);
    let rows =
        db.run(move |conn| prompts::pending(conn, &caller, &id, &prompt, after.as_deref(), limit as usize + 1)).await?;
    Ok(Page::from_rows(rows, limit, |r| r.username.clone()).map(RecipientDto::from).respond(&req))
}
