//! What happens outside the handlers: unknown paths, wrong methods, and framework responses that
//! would otherwise leave without a problem body.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, web};
use utoipa::openapi::OpenApi;

use crate::error::{PROBLEM_JSON, problem_for_status, problem_response};

/// Every path template the service answers and its methods, taken from the generated OpenAPI document
/// so it cannot drift from the registered routes. Used to tell 405 from 404.
#[derive(Debug, Clone, Default)]
pub struct RouteTable(Vec<(Vec<String>, Vec<Method>)>);

impl RouteTable {
    pub fn new(openapi: &OpenApi, extra: &[(&str, Method)]) -> Self {
        let mut table = Self::default();
        for (path, item) in &openapi.paths.paths {
            let operations = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ];
            for (method, op) in operations {
                if op.is_some() {
                    table.add(path, method);
                }
            }
        }
        for (path, method) in extra {
            table.add(path, method.clone());
        }
        table
    }

    fn add(&mut self, path: &str, method: Method) {
        let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
        match self.0.iter_mut().find(|(s, _)| *s == segments) {
            Some((_, methods)) => methods.push(method),
            None => self.0.push((segments, vec![method])),
        }
    }

    /// The methods the path supports, if any template matches it. A template without placeholders that
    /// matches (`/incidents/batch`) is the resource the router picks, so a template with one
    /// (`/incidents/{id}`) does not add its methods.
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let parts: Vec<&str> = path.split('/').collect();
        let matches = |template: &[String]| {
            template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
        };
        let literal = |template: &[String]| !template.iter().any(|t| t.starts_with('{'));
        let matching: Vec<&(Vec<String>, Vec<Method>)> = self.0.iter().filter(|(t, _)| matches(t)).collect();
        let exact: Vec<_> = matching.iter().copied().filter(|(t, _)| literal(t)).collect();
        let chosen = if exact.is_empty() { matching } else { exact };
        let mut methods: Vec<Method> = chosen.into_iter().flat_map(|(_, m)| m.iter().cloned()).collect();
        methods.dedup();
        (!methods.is_empty()).then_some(methods)
    }
}

/// The default service: 405 with `Allow` when the path exists under another method, else 404.
pub async fn not_found_or_wrong_method(req: HttpRequest, routes: web::Data<RouteTable>) -> HttpResponse {
    match routes.allowed(req.path()) {
        Some(methods) => {
            let allow = methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
            let mut res = problem_response(&problem_for_status(StatusCode::METHOD_NOT_ALLOWED));
            if let Ok(value) = HeaderValue::from_str(&allow) {
                res.headers_mut().insert(header::ALLOW, value);
            }
            res
        }
        None => problem_response(&problem_for_status(StatusCode::NOT_FOUND)),
    }
}

/// Middleware: any 4xx/5xx that is not already a problem document becomes one, keeping its headers.
pub async fn problems_everywhere(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return Ok(res.map_into_boxed_body());
    }
    let (req, original) = res.into_parts();
    let mut problem = problem_response(&problem_for_status(status));
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        let mut table = RouteTable::default();
        table.add("/api/v1/grid/cells", Method::GET);
        table.add("/api/v1/grid/cells", Method::POST);
        table.add("/api/v1/grid/cells/{code}", Method::GET);
        assert_eq!(table.allowed("/api/v1/grid/cells"), Some(vec![Method::GET, Method::POST]));
        assert_eq!(table.allowed("/api/v1/grid/cells/210102"), Some(vec![Method::GET]));
        assert_eq!(table.allowed("/api/v1/grid/cells/"), None);
        assert_eq!(table.allowed("/api/v1/grid/cellsx"), None);
        assert_eq!(table.allowed("/api/v1/grid/cells/1/2"), None);
    }

    #[test]
    fn a_fixed_path_hides_the_template_beside_it() {
        let mut table = RouteTable::default();
        table.add("/api/v1/incidents/batch", Method::POST);
        table.add("/api/v1/incidents/{id}", Method::GET);
        assert_eq!(table.allowed("/api/v1/incidents/batch"), Some(vec![Method::POST]));
        assert_eq!(table.allowed("/api/v1/incidents/42"), Some(vec![Method::GET]));
    }
}
