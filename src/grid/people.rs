//! Use cases of responsible people: who is responsible for a cell, with history. Each runs in the
//! caller's transaction and checks scope on the rows as they are then.

use chrono::NaiveDate;

use super::service::{changeable, visible_cell};
use super::store::{self, PersonRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::domain::grid::{CellCode, Duty};
use crate::error::{ApiError, FieldError};
use crate::events::{self, Event, EventData, PersonFacts};
use crate::http::IfMatch;

/// A parsed new assignment.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub name: String,
    pub phone: Option<String>,
    pub account_id: Option<String>,
    pub duty: Duty,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// Parsed changes to an assignment; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct AssignmentChanges {
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub account_id: Option<Option<String>>,
    pub duty: Option<Duty>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<Option<NaiveDate>>,
}

/// The people of a visible cell: the whole history, or who was responsible on `as_of`.
pub fn people_of(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &CellCode,
    as_of: Option<NaiveDate>,
) -> Result<Vec<PersonRow>, ApiError> {
    let cell = visible_cell(conn, caller, code)?;
    Ok(store::people_of(conn, &cell.code, as_of)?)
}

pub fn get(conn: &mut AnyConnection, caller: &Caller, code: &CellCode, id: &str) -> Result<PersonRow, ApiError> {
    let cell = visible_cell(conn, caller, code)?;
    find(conn, &cell.code, id)
}

pub fn assign(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &CellCode,
    new: NewAssignment,
) -> Result<PersonRow, ApiError> {
    let cell = changeable(conn, caller, code)?;
    if let Some(end) = cell.valid_to {
        return Err(ApiError::Conflict(format!(
            "cell {code} is retired from {end}; nobody can be made responsible for it"
        )));
    }
    check_period(new.valid_from, new.valid_to)?;
    check_account(conn, caller, new.account_id.as_deref())?;
    let now = db::now();
    let row = PersonRow {
        id: db::new_id(),
        cell_code: cell.code,
        name: new.name,
        phone: new.phone,
        account_id: new.account_id,
        role: new.duty.as_str().into(),
        valid_from: new.valid_from,
        valid_to: new.valid_to,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert_person(conn, &row)?;
    events::record_one(conn, caller, person_event(&row, cell.path, EventData::PersonAssigned)?)?;
    Ok(row)
}

pub fn update(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &CellCode,
    id: &str,
    changes: AssignmentChanges,
    if_match: IfMatch,
) -> Result<PersonRow, ApiError> {
    let cell = changeable(conn, caller, code)?;
    let mut row = find(conn, &cell.code, id)?;
    if_match.check(row.version)?;
    if let Some(name) = changes.name {
        row.name = name;
    }
    if let Some(phone) = changes.phone {
        row.phone = phone;
    }
    if let Some(account) = changes.account_id {
        check_account(conn, caller, account.as_deref())?;
        row.account_id = account;
    }
    if let Some(duty) = changes.duty {
        row.role = duty.as_str().into();
    }
    row.valid_from = changes.valid_from.unwrap_or(row.valid_from);
    row.valid_to = changes.valid_to.unwrap_or(row.valid_to);
    check_period(row.valid_from, row.valid_to)?;
    row.version += 1;
    row.updated_at = db::now();
    store::update_person(conn, &row)?;
    events::record_one(conn, caller, person_event(&row, cell.path, EventData::PersonUpdated)?)?;
    Ok(row)
}

pub fn remove(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &CellCode,
    id: &str,
    if_match: IfMatch,
) -> Result<(), ApiError> {
    let cell = changeable(conn, caller, code)?;
    let row = find(conn, &cell.code, id)?;
    if_match.check(row.version)?;
    store::delete_person(conn, &row.id)?;
    events::record_one(conn, caller, person_event(&row, cell.path, EventData::PersonRemoved)?)
}

fn find(conn: &mut AnyConnection, cell: &str, id: &str) -> Result<PersonRow, ApiError> {
    store::find_person(conn, cell, id)?.ok_or_else(|| ApiError::NotFound(format!("cell {cell} has no assignment {id}")))
}

/// A linked sign-in account must be one the caller may see: at home in its subtree. Others answer as if
/// they did not exist, so linking does not reveal which account ids exist.
fn check_account(conn: &mut AnyConnection, caller: &Caller, account_id: Option<&str>) -> Result<(), ApiError> {
    let Some(id) = account_id else { return Ok(()) };
    let visible = match crate::auth::store::find_account_with_home(conn, id)? {
        Some((_, Some(path))) => caller.scope.covers(&path),
        Some((_, None)) => caller.scope.home_path().is_none(),
        None => false,
    };
    if visible {
        Ok(())
    } else {
        Err(ApiError::validation(vec![FieldError::new("account_id", "no account has this id")]))
    }
}

fn check_period(from: NaiveDate, to: Option<NaiveDate>) -> Result<(), ApiError> {
    if to.is_some_and(|to| to <= from) {
        return Err(ApiError::validation(vec![FieldError::new("valid_to", "must be after valid_from")]));
    }
    Ok(())
}

fn person_event(row: &PersonRow, path: String, kind: fn(PersonFacts) -> EventData) -> Result<Event, ApiError> {
    let facts = PersonFacts {
        id: row.id.clone(),
        cell_code: row.cell_code.clone(),
        name: row.name.clone(),
        role: Duty::parse(&row.role).ok_or_else(|| ApiError::internal(format!("unknown duty {}", row.role)))?,
        account_id: row.account_id.clone(),
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        version: row.version,
    };
    Ok(Event::new(row.id.clone(), Some(path), kind(facts)))
}
