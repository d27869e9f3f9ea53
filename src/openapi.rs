//! The OpenAPI document: generated from the registered routes, plus what every operation shares.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
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
        (name = "operations", description = "Health, readiness and metrics"),
    ),
)]
struct ApiDoc;

/// The full document for the routes `crate::routes` registers.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(crate::routes).split_for_parts();
    for item in doc.paths.paths.values_mut() {
        for op in
            [&mut item.get, &mut item.put, &mut item.post, &mut item.patch, &mut item.delete].into_iter().flatten()
        {
            add_shared_errors(op);
        }
    }
    doc
}

/// Errors any operation can answer, so each `#[utoipa::path]` lists only its own.
fn add_shared_errors(op: &mut Operation) {
    let mut shared = vec![
        ("500", "Unexpected error; the body reveals nothing internal, the cause is logged with the request id"),
        ("503", "No database connection became available in time; retry after the Retry-After delay"),
    ];
    if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        shared.push(("400", "A path or query parameter is malformed (`/problems/invalid-parameter`)"));
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
}
