//! The OpenAPI document: generated from the registered routes, plus what every operation shares.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
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
    components(schemas(Problem, FieldError, Crs)),
    tags(
        (name = "grid", description = "The four-level grid (city → district/county → street/township → community/village): \
                 cells with boundaries, responsible people with history, GeoJSON export and import, and point location"),
        (name = "auth", description = "Sign-in with username and password (or a service account's client id and secret), \
                 token refresh with rotation, sign-out. Every other `/api/v1` operation needs `Authorization: Bearer <access token>`; \
                 what a caller may do follows its role (see `accounts`) and is limited to its home cell's subtree \
                 (plus read access to the home cell's ancestors). Out-of-scope resources answer 404, lists leave them out."),
        (name = "accounts", description = "Administration of accounts and service accounts (role `admin`). Roles: `admin` (everything), \
                 `commander` (grid:read, grid:write, people:write, incidents, controls:run, vehicles:read), `supervisor` \
                 (grid:read, people:write, incidents, vehicles:read), `grid_worker` (grid:read, incidents:read, incidents:report), \
                 `inspector` (vehicles:submit, vehicles:read), `integration` (explicit scopes), `viewer` (grid:read, incidents:read, vehicles:read)."),
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
        for op in
            [&mut item.get, &mut item.put, &mut item.post, &mut item.patch, &mut item.delete].into_iter().flatten()
        {
            if !public {
                op.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
                add_problem(op, "401", "No valid access token (`/problems/unauthorized`)");
                add_problem(op, "403", "The caller's role or scopes do not allow this (`/problems/forbidden`)");
            }
            add_shared_errors(op);
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
