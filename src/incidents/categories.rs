//! The catalogue of incident categories: apps read it, administrators extend it.

use super::store::{self, CategoryRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::domain::access::Permission;
use crate::domain::incident::{CategoryCode, Deadlines};
use crate::error::{ApiError, FieldError};
use crate::events::{self, CategoryFacts, Event, EventData};
use crate::http::IfMatch;

/// A parsed category; `None` fields of a change keep their value.
#[derive(Debug, Clone, Default)]
pub struct CategoryFields {
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub deadlines: Option<Deadlines>,
    pub duplicate_radius_m: Option<f64>,
    pub duplicate_window_hours: Option<i32>,
    pub requires_after_photo: Option<bool>,
    pub active: Option<bool>,
}

pub fn list(conn: &mut AnyConnection, caller: &Caller) -> Result<Vec<CategoryRow>, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    Ok(store::categories(conn)?)
}

pub fn get(conn: &mut AnyConnection, caller: &Caller, code: &str) -> Result<CategoryRow, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    store::find_category(conn, code)?.ok_or_else(|| ApiError::NotFound(format!("no incident category {code}")))
}

/// Adds a category; a subtype (`dust.road`) needs its parent in the catalogue.
pub fn create(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: CategoryCode,
    fields: CategoryFields,
) -> Result<CategoryRow, ApiError> {
    caller.require(Permission::IncidentsConfigure)?;
    if store::find_category(conn, code.as_str())?.is_some() {
        return Err(ApiError::Conflict(format!("category {code} exists; change it with PATCH")));
    }
    let parent = code.parent();
    if let Some(parent) = &parent
        && store::find_category(conn, parent.as_str())?.is_none()
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "code",
            format!("its parent {parent} is not a category"),
        )]));
    }
    let required = |name: &str| FieldError::new(name, "is required");
    let mut missing = Vec::new();
    if fields.name_zh.is_none() {
        missing.push(required("name_zh"));
    }
    if fields.name_en.is_none() {
        missing.push(required("name_en"));
    }
    if fields.deadlines.is_none() {
        missing.push(required("deadlines"));
    }
    let (Some(name_zh), Some(name_en), Some(deadlines)) = (fields.name_zh, fields.name_en, fields.deadlines) else {
        return Err(ApiError::validation(missing));
    };
    let now = db::now();
    let row = CategoryRow {
        code: code.to_string(),
        parent_code: parent.map(|p| p.to_string()),
        name_zh,
        name_en,
        deadlines: serde_json::to_string(&deadlines).map_err(ApiError::internal)?,
        duplicate_radius_m: fields.duplicate_radius_m.unwrap_or(200.0),
        duplicate_window_hours: fields.duplicate_window_hours.unwrap_or(72),
        requires_after_photo: fields.requires_after_photo.unwrap_or(true),
        active: fields.active.unwrap_or(true),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert_category(conn, &row)?;
    events::record_one(conn, caller, Event::new(row.code.clone(), None, EventData::CategoryCreated(facts(&row))))?;
    Ok(row)
}

pub fn update(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &str,
    fields: CategoryFields,
    if_match: IfMatch,
) -> Result<CategoryRow, ApiError> {
    caller.require(Permission::IncidentsConfigure)?;
    let mut row = get(conn, caller, code)?;
    if_match.check(row.version)?;
    if let Some(v) = fields.name_zh {
        row.name_zh = v;
    }
    if let Some(v) = fields.name_en {
        row.name_en = v;
    }
    if let Some(v) = fields.deadlines {
        row.deadlines = serde_json::to_string(&v).map_err(ApiError::internal)?;
    }
    row.duplicate_radius_m = fields.duplicate_radius_m.unwrap_or(row.duplicate_radius_m);
    row.duplicate_window_hours = fields.duplicate_window_hours.unwrap_or(row.duplicate_window_hours);
    row.requires_after_photo = fields.requires_after_photo.unwrap_or(row.requires_after_photo);
    row.active = fields.active.unwrap_or(row.active);
    row.version += 1;
    row.updated_at = db::now();
    store::update_category(conn, &row)?;
    events::record_one(conn, caller, Event::new(row.code.clone(), None, EventData::CategoryUpdated(facts(&row))))?;
    Ok(row)
}

fn facts(row: &CategoryRow) -> CategoryFacts {
    CategoryFacts {
        code: row.code.clone(),
        name_zh: row.name_zh.clone(),
        name_en: row.name_en.clone(),
        active: row.active,
        version: row.version,
    }
}
