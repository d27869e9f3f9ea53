//! Non-road machinery endpoints: register, look up, list, count.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, MachineCounts, MachineFilter, MachineRow, NewMachine};
use crate::auth::Caller;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::crs::Crs;
use crate::domain::grid::CellCode;
use crate::domain::incident::text;
use crate::domain::vehicle::{MachineType, NonroadStage};
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;
use crate::http::{Json, Page, PageParams};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(register).service(get_one).service(list).service(counts);
}

/// A registered machine.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Machine {
    pub id: String,
    /// The registration code (环保编码) on its plate.
    #[schema(example = "210102-2026-000123")]
    pub registration_code: String,
    pub owner: String,
    pub machine_type: MachineType,
    pub engine_stage: NonroadStage,
    pub engine_number: Option<String>,
    pub site: Option<String>,
    /// WGS-84.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub cell_code: String,
    pub registered_on: NaiveDate,
}

impl Machine {
    fn of(row: MachineRow) -> Result<Self, ApiError> {
        let stored = |what: &str, raw: &str| ApiError::internal(format!("stored {what} {raw}"));
        Ok(Self {
            machine_type: MachineType::parse(&row.machine_type)
                .ok_or_else(|| stored("machine type", &row.machine_type))?,
            engine_stage: NonroadStage::parse(&row.engine_stage).ok_or_else(|| stored("stage", &row.engine_stage))?,
            id: row.id,
            registration_code: row.registration_code,
            owner: row.owner,
            engine_number: row.engine_number,
            site: row.site,
            lon: row.lon,
            lat: row.lat,
            cell_code: row.cell_code,
            registered_on: row.registered_on,
        })
    }
}

/// A machine to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"registration_code": "210102-2026-000123", "owner": "沈阳某建设工程有限公司", "machine_type": "excavator",
    "engine_stage": "china_3", "site": "和平区南京南街地块", "lon": 123.4064, "lat": 41.7925, "crs": "gcj02", "registered_on": "2026-03-02"}))]
pub struct NewMachineBody {
    /// The registration code (环保编码): 4–40 letters, digits and `-`.
    #[schema(pattern = "^[A-Za-z0-9-]{4,40}$")]
    pub registration_code: String,
    /// The owner (a company or person), 1–100 characters.
    #[schema(pattern = "\\S", max_length = 100)]
    pub owner: String,
    /// English, or the Chinese name (`挖掘机`, `装载机`, `叉车`…).
    #[schema(value_type = MachineType)]
    pub machine_type: String,
    /// English, or `国一`…`国四`.
    #[schema(value_type = NonroadStage)]
    pub engine_stage: String,
    #[schema(max_length = 50)]
    pub engine_number: Option<String>,
    /// The site it works on, up to 200 characters.
    #[schema(max_length = 200)]
    pub site: Option<String>,
    /// The cell it works in; without one, the deepest cell the position lies in.
    #[schema(value_type = Option<CellCode>)]
    pub cell: Option<String>,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    /// Coordinates of `lon`/`lat`: `wgs84` (default), `gcj02` or `bd09`.
    #[serde(default)]
    pub crs: Crs,
    /// Day of registration (default today).
    pub registered_on: Option<NaiveDate>,
}

fn parse(b: NewMachineBody, today: NaiveDate) -> Result<NewMachine, ApiError> {
    let mut errors = Vec::new();
    let code_ok = (4..=40).contains(&b.registration_code.len())
        && b.registration_code.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
    if !code_ok {
        errors.push(FieldError::new("registration_code", "must be 4–40 letters, digits and -"));
    }
    let owner = text(&b.owner, 100).map_err(|m| errors.push(FieldError::new("owner", m))).ok();
    let machine_type = MachineType::parse(&b.machine_type);
    if machine_type.is_none() {
        errors.push(FieldError::new("machine_type", format!("one of {}", MachineType::names())));
    }
    let stage = NonroadStage::parse(&b.engine_stage);
    if stage.is_none() {
        errors.push(FieldError::new("engine_stage", format!("one of {}", NonroadStage::names())));
    }
    let mut optional = |raw: Option<String>, max: usize, field: &str| {
        raw.filter(|t| !t.trim().is_empty())
            .and_then(|t| text(&t, max).map_err(|m| errors.push(FieldError::new(field, m))).ok())
    };
    let (engine_number, site) = (optional(b.engine_number, 50, "engine_number"), optional(b.site, 200, "site"));
    let position = match (b.lon, b.lat) {
        (Some(lon), Some(lat)) if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) => {
            Some(b.crs.to_wgs84(lon, lat))
        }
        (None, None) => None,
        _ => {
            errors.push(FieldError::new("lon", "lon and lat go together, within ±180 and ±90"));
            None
        }
    };
    if b.cell.is_none() && position.is_none() {
        errors.push(FieldError::new("cell", "give the cell, or lon and lat"));
    }
    let registered_on = b.registered_on.unwrap_or(today);
    if registered_on > today {
        errors.push(FieldError::new("registered_on", "is in the future"));
    }
    match (owner, machine_type, stage) {
        (Some(owner), Some(machine_type), Some(stage)) if errors.is_empty() => Ok(NewMachine {
            registration_code: b.registration_code.to_ascii_uppercase(),
            owner,
            machine_type: machine_type.as_str().to_owned(),
            engine_stage: stage.as_str().to_owned(),
            engine_number,
            site,
            position,
            cell: b.cell,
            registered_on,
        }),
        _ => Err(ApiError::validation(errors)),
    }
}

/// Register a non-road machine
///
/// In a cell of the caller's part of the grid (named, or located from the position). Stations and platforms
/// that submit vehicle data (`vehicles:submit` or `vehicles:import`) and administrators register.
#[utoipa::path(
    operation_id = "register_nonroad_machine",
    tag = "vehicles",
    request_body = NewMachineBody,
    responses(
        (status = 201, description = "Registered; `Location` names it", body = Machine),
        (status = 409, description = "The registration code is registered already (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/nonroad-machines")]
pub async fn register(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    settings: web::Data<Settings>,
    body: Json<NewMachineBody>,
) -> Result<HttpResponse, ApiError> {
    let today = settings.today();
    let new = parse(body.0, today)?;
    let row = service::register(&db, &live, caller, new, today).await?;
    let location = format!("/api/v1/nonroad-machines/{}", row.registration_code);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(Machine::of(row)?))
}

/// Look up a non-road machine
#[utoipa::path(
    operation_id = "get_nonroad_machine",
    tag = "vehicles",
    params(("code" = String, Path, description = "Registration code", example = "210102-2026-000123")),
    responses(
        (status = 200, description = "The machine", body = Machine),
        (status = 404, description = "No machine here (or not in the caller's part of the grid)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/nonroad-machines/{code}")]
pub async fn get_one(caller: Caller, db: web::Data<Db>, code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner().to_ascii_uppercase();
    let row = db.run(move |conn| service::get(conn, &caller, &code)).await?;
    Ok(HttpResponse::Ok().json(Machine::of(row)?))
}

/// Filters for machine lists and counts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MachineQuery {
    /// Machines in this cell's subtree (default: the caller's part of the grid).
    #[param(value_type = Option<CellCode>, example = "210102")]
    cell: Option<String>,
    /// Only machines of this type.
    #[param(value_type = Option<MachineType>)]
    machine_type: Option<String>,
    /// Only machines whose engine is of this stage.
    #[param(value_type = Option<NonroadStage>)]
    engine_stage: Option<String>,
    /// Registered on or after this day.
    from: Option<NaiveDate>,
    /// Registered on or before this day.
    to: Option<NaiveDate>,
}

fn filter(q: &MachineQuery) -> Result<MachineFilter, ApiError> {
    let mut errors = Vec::new();
    let machine_type = q.machine_type.as_deref().and_then(|t| {
        let known = MachineType::parse(t).map(|t| t.as_str().to_owned());
        if known.is_none() {
            errors.push(FieldError::new("machine_type", format!("one of {}", MachineType::names())));
        }
        known
    });
    let engine_stage = q.engine_stage.as_deref().and_then(|s| {
        let known = NonroadStage::parse(s).map(|s| s.as_str().to_owned());
        if known.is_none() {
            errors.push(FieldError::new("engine_stage", format!("one of {}", NonroadStage::names())));
        }
        known
    });
    if errors.is_empty() {
        Ok(MachineFilter { machine_type, engine_stage, from: q.from, to: q.to })
    } else {
        Err(ApiError::validation(errors))
    }
}

/// List non-road machines
///
/// Machines registered in the caller's part of the grid, by registration code, with cursor pages.
#[utoipa::path(
    operation_id = "list_nonroad_machines",
    tag = "vehicles",
    params(MachineQuery, PageParams),
    responses((status = 200, description = "A page of machines", body = Page<Machine>)),
)]
#[get("/api/v1/nonroad-machines")]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    query: web::Query<MachineQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let f = filter(&query)?;
    let (limit, after) = (page.limit()?, page.after()?);
    let cell = query.into_inner().cell;
    let rows = db.run(move |conn| service::list(conn, &caller, cell.as_deref(), &f, after, limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |m| m.registration_code.clone());
    let items = page.items.into_iter().map(Machine::of).collect::<Result<Vec<_>, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor }.respond(&req))
}

/// Count non-road machine registrations
///
/// Registrations in the caller's part of the grid (or a cell's subtree), in a period of days: the total, by
/// machine type, by engine stage and by month.
#[utoipa::path(
    operation_id = "count_nonroad_machines",
    tag = "vehicles",
    params(MachineQuery),
    responses(
        (status = 200, description = "The counts", body = MachineCounts),
        (status = 422, description = "Unknown cell, type or stage", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/stats/nonroad-machines")]
pub async fn counts(
    caller: Caller,
    db: web::Data<Db>,
    query: web::Query<MachineQuery>,
) -> Result<HttpResponse, ApiError> {
    let f = filter(&query)?;
    let cell = query.into_inner().cell;
    let counts = db.run(move |conn| service::counts(conn, &caller, cell.as_deref(), &f)).await?;
    Ok(HttpResponse::Ok().json(counts))
}
