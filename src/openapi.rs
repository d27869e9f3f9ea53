//! The OpenAPI document: generated from the registered routes, plus what every operation shares.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa_actix_web::AppExt;

use crate::domain::crs::Crs;
use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "airgrid",
        description = "REST/JSON API for a city's grid-based air-pollution control: the four-level grid and its \
                       responsible people, incidents through their closed loop, special-control activations and \
                       diesel-vehicle emission inspections.\n\nEvery error is an RFC 9457 `application/problem+json` \
                       document whose `type` is stable; clients branch on `type`, not on `title` or `detail`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(Problem, FieldError, Crs, crate::domain::grid::CellCode, crate::events::EventData)),
    tags(
        (name = "grid", description = "The four-level grid (city → district/county → street/township → community/village): \
                 cells with boundaries, responsible people with history, GeoJSON export and import, and point location"),
        (name = "auth", description = "Sign-in with username and password (or a service account's client id and secret), \
                 token refresh with rotation, sign-out. Every other `/api/v1` operation needs `Authorization: Bearer <access token>`; \
                 what a caller may do follows its role (see `accounts`) and is limited to its home cell's subtree \
                 (plus read access to the home cell's ancestors). Out-of-scope resources answer 404, lists leave them out."),
        (name = "accounts", description = "Administration of accounts and service accounts (role `admin`). Roles: `admin` (everything), \
                 `commander` (grid:read, grid:write, people:write, incidents, fire:manage, controls, vehicles:read, vehicles:enforce), `supervisor` \
                 (grid:read, people:write, incidents, controls:read, controls:respond, vehicles:read), `grid_worker` (grid:read, incidents:read, \
                 incidents:report, controls:read, controls:respond), `inspector` (vehicles:submit, vehicles:read), `integration` (explicit scopes), \
                 `viewer` (grid:read, incidents:read, controls:read, vehicles:read)."),
        (name = "events", description = "The event log: every change as an event, written in the transaction that makes \
                 it. It is the audit trail (`subject=` gives one thing's history) and the change feed that command platforms \
                 follow by cursor with long polling. Event types and their `data` are the `EventData` schema; they only grow."),
        (name = "vehicles", description = "Diesel-vehicle emission inspections (GB 3847-2018, HJ 845-2017): results from stations \
                 and remote sensing imported in bulk and idempotently, judged on the server against the limit table, listed by \
                 plate, VIN, station, method, result, time and cell, and counted into the pass rate against the city's target."),
        (name = "controls", description = "Special-control activations (特别管控) for heavy-pollution episodes: planned on a forecast \
                 at a level of the city's ladder over a set of cells, started and lifted at their planned times (or by hand), changed \
                 in level along the way, with per-cell plans of measures (一区一策) and check-ins, classified prompts to the grid \
                 (分类提示) and their acknowledgements, tightened deadlines for new incidents under control, and the outcome: days \
                 under control and forecast light-pollution days pulled back to good (轻污拉良)."),
        (name = "air quality", description = "Monitoring stations, hourly readings (imported idempotently; corrections recorded), \
                 daily AQI by the standard in force on each date (HJ 633-2012 before 2026-03-01, HJ 633-2026 from then) for a \
                 station or an area's assessment stations, and the year's good days, annual means and percentiles."),
        (name = "operations", description = "Health, readiness and metrics"),
    ),
)]
struct ApiDoc;

/// The full document for the routes `crate::routes` registers.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(crate::routes).split_for_parts();
    let bearer = SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build());
    doc.components.get_or_insert_with(Default::default).add_security_scheme("bearer", bearer);
    for (path, item) in doc.paths.paths.iter_mut() {
        let public = !path.starts_with("/api/") || PUBLIC.contains(&path.as_str());
        let operations = [(&mut item.get, false), (&mut item.put, false), (&mut item.post, true)];
        let operations = operations.into_iter().chain([(&mut item.patch, false), (&mut item.delete, false)]);
        for (op, is_post) in operations.filter_map(|(op, is_post)| op.as_mut().map(|op| (op, is_post))) {
            if !public {
                op.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
                add_problem(op, "401", "No valid access token (`/problems/unauthorized`)");
                add_problem(op, "403", "The caller's role or scopes do not allow this (`/problems/forbidden`)");
            }
            add_shared_errors(op);
            if !public && is_post {
                add_idempotency(op);
            }
        }
    }
    doc
}

/// Operations that need no token: signing in and out.
const PUBLIC: [&str; 3] = ["/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout"];

/// Errors any operation can answer, so each `#[utoipa::path]` lists only its own.
fn add_shared_errors(op: &mut Operation) {
    let mut shared = vec![
        ("500", "Unexpected error; the body reveals nothing internal, the cause is logged with the request id"),
        ("503", "No database connection became available in time; retry after the Retry-After delay"),
    ];
    if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        shared.push(("400", "A path or query parameter is malformed (`/problems/invalid-parameter`)"));
        shared.push(("422", "A parameter is out of range; `errors` names it (`/problems/validation`)"));
    }
    let conditional = op.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.name == "If-Match",
        RefOr::Ref(_) => false,
    });
    if conditional {
        shared.extend([
            ("412", "The resource changed since it was read: `If-Match` is stale (`/problems/precondition-failed`)"),
            ("428", "`If-Match` is missing (`/problems/precondition-required`)"),
        ]);
    }
    if op.request_body.is_some() {
        shared.extend([
            ("400", "The body is not valid JSON (`/problems/malformed-body`)"),
            ("413", "The body is larger than allowed (`/problems/payload-too-large`)"),
            ("415", "The body is not JSON (`/problems/unsupported-media-type`)"),
            (
                "422",
                "The body is valid JSON but not a valid request; `errors` names each field (`/problems/validation`)",
            ),
        ]);
    }
    for (status, description) in shared {
        add_problem(op, status, description);
    }
}

/// Every state-changing POST takes `Idempotency-Key` (see the `idempotency` module).
fn add_idempotency(op: &mut Operation) {
    let key = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes retries safe: the same key with the same request answers the first response again (with \
             `Idempotent-Replayed: true`) instead of acting twice. 1–255 visible ASCII characters, e.g. a UUID; keys are \
             per account and kept 24 hours. Answers that depend on more than the request (401, 403, 408, 429, 5xx) are not \
             kept: a retry runs again.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[\\x21-\\x7E]+$"))
                .min_length(Some(1))
                .max_length(Some(255)),
        ))
        .example(Some(serde_json::json!("5f0c6f5e-2b8a-4c41-9d3e-0b7f3f0e6a21")))
        .build();
    op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(key));
    append_to(op, "400", "The `Idempotency-Key` is malformed (`/problems/invalid-parameter`)");
    append_to(
        op,
        "409",
        "A request with the same `Idempotency-Key` is still running; retry after `Retry-After` (`/problems/idempotency-key-in-use`)",
    );
    append_to(op, "422", "The `Idempotency-Key` was used for a different request (`/problems/idempotency-key-reused`)");
}

/// Adds a problem response, or extends the description of the one the operation already has.
fn append_to(op: &mut Operation, status: &str, description: &str) {
    match op.responses.responses.get_mut(status) {
        Some(RefOr::T(response)) => response.description = format!("{}; or: {description}", response.description),
        _ => add_problem(op, status, description),
    }
}

/// Documents a problem response unless the operation already describes that status itself.
fn add_problem(op: &mut Operation, status: &str, description: &str) {
    op.responses.responses.entry(status.to_owned()).or_insert_with(|| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                )
                .build(),
        )
    });
}
