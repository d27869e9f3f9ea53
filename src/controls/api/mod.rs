//! HTTP surface of special control: DTOs and handlers. Handlers parse, call the service, shape the answer.

mod activations;
mod catalogue;
mod outcome;
mod plans;
mod prompts;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::outcome::Outcome;
use super::service::{self, ActivationView, Forecast, PlannedMeasure};
use super::store::{CheckInRow, ControlCellRow};
use crate::domain::control::{ControlAction, ControlDay, ControlStatus, Ladder};
use crate::domain::incident::percent;
use crate::error::ApiError;

/// Fixed paths come before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(catalogue::levels)
        .service(catalogue::list_measures)
        .service(catalogue::create_measure)
        .service(activations::create)
        .service(activations::list)
        .service(activations::get)
        .service(activations::edit)
        .service(activations::transition)
        .service(plans::set_plan)
        .service(plans::check_in)
        .service(plans::check_ins)
        .service(plans::photo)
        .service(prompts::mine)
        .service(prompts::acknowledge)
        .service(prompts::tally)
        .service(prompts::pending)
        .service(outcome::record_observed)
        .service(outcome::observed)
        .service(outcome::year);
}

/// Who is responsible for a cell's plan.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResponsiblePerson {
    /// Their account, when they have one.
    pub account_id: Option<String>,
    pub name: String,
    pub phone: Option<String>,
}

/// A measure of a cell's plan and how it stands.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanMeasure {
    pub code: String,
    pub detail: Option<String>,
    /// What the latest check-in said: done, not done, or null before any.
    pub done: Option<bool>,
}

/// One of an activation's cells with its plan (一区一策).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ControlCell {
    pub code: String,
    pub name: String,
    pub responsible: Option<ResponsiblePerson>,
    pub measures: Vec<PlanMeasure>,
    /// The plan's version: send it as `If-Match` to change the plan.
    pub plan_version: i64,
    pub plan_updated_at: DateTime<Utc>,
}

impl ControlCell {
    fn of(row: ControlCellRow, outcome: Option<&Outcome>) -> Result<Self, ApiError> {
        let measures = service::plan_of(&row)?
            .into_iter()
            .map(|PlannedMeasure { code, detail }| PlanMeasure {
                done: outcome.and_then(|o| o.checked.get(&(row.cell_code.clone(), code.clone())).copied()),
                code,
                detail,
            })
            .collect();
        Ok(Self {
            responsible: row.responsible_name.map(|name| ResponsiblePerson {
                account_id: row.responsible_id,
                name,
                phone: row.responsible_phone,
            }),
            code: row.cell_code,
            name: row.cell_name,
            measures,
            plan_version: row.plan_version,
            plan_updated_at: row.plan_updated_at.and_utc(),
        })
    }
}

/// One step of an activation's level history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LevelChange {
    /// Null for the level it was planned at.
    pub from: Option<String>,
    pub to: String,
    pub note: Option<String>,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

/// What an activation achieved so far.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OutcomeSummary {
    /// Beijing days it was in force on.
    pub days_under_control: usize,
    /// Of those, days forecast as light pollution (AQI 101–150).
    pub forecast_light_days: usize,
    /// Of those, days observed good (AQI ≤ 100): 轻污拉良.
    pub pulled_to_good_days: usize,
    /// Measures planned over every cell, and those whose latest check-in says done.
    pub measures_planned: usize,
    pub measures_done: usize,
    /// Done of planned, in percent with two decimals; null without planned measures.
    pub measure_completion_percent: Option<f64>,
    /// Day by day: forecast, observed, pulled to good.
    pub days: Vec<ControlDay>,
}

impl OutcomeSummary {
    fn of(outcome: &Outcome) -> Self {
        Self {
            days_under_control: outcome.days.len(),
            forecast_light_days: outcome.forecast_light_days,
            pulled_to_good_days: outcome.pulled_to_good_days,
            measures_planned: outcome.measures_planned,
            measures_done: outcome.measures_done,
            measure_completion_percent: percent(outcome.measures_done as u64, outcome.measures_planned as u64),
            days: outcome.days.clone(),
        }
    }
}

/// A special-control activation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d", "title": "重污染天气橙色预警", "reason": "预计12月10日至12日出现中至重度污染",
    "level": "orange", "level_name": "橙色预警", "response": "II", "status": "active",
    "forecast": {"source": "沈阳市环境监测中心站", "note": null, "days": [{"date": "2026-12-10", "aqi": 215, "primary_pollutant": "pm2_5"}]},
    "planned_start": "2026-12-10T00:00:00Z", "planned_end": "2026-12-12T12:00:00Z",
    "actual_start": "2026-12-10T00:00:00Z", "actual_end": null,
    "cells": [{"code": "210102", "name": "和平区", "responsible": {"account_id": null, "name": "王伟", "phone": "13800000000"},
               "measures": [{"code": "ban_open_burning", "detail": null, "done": true}], "plan_version": 1,
               "plan_updated_at": "2026-12-09T08:00:00Z"}],
    "level_history": [{"from": null, "to": "orange", "note": null, "changed_by": "commander", "changed_at": "2026-12-09T08:00:00Z"}],
    "outcome": null, "available_actions": ["change_level", "lift", "edit"],
    "created_by": "commander", "created_at": "2026-12-09T08:00:00Z", "version": 2, "updated_at": "2026-12-10T00:00:00Z"
}))]
pub struct Activation {
    pub id: String,
    pub title: String,
    pub reason: String,
    /// A level code of the ladder (`GET /api/v1/control-levels`).
    pub level: String,
    pub level_name: String,
    /// The emergency response level (III, II, I), if the level has one.
    pub response: Option<String>,
    pub status: ControlStatus,
    pub forecast: Forecast,
    pub planned_start: DateTime<Utc>,
    /// Null: until lifted by hand.
    pub planned_end: Option<DateTime<Utc>>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    /// The scope: each cell with its plan.
    pub cells: Vec<ControlCell>,
    /// The level it was planned at, then every change.
    pub level_history: Vec<LevelChange>,
    /// What it achieved so far; null before it started, and in lists.
    pub outcome: Option<OutcomeSummary>,
    /// What may be done next (`POST …/transitions`, `PATCH` for `edit`).
    pub available_actions: Vec<ControlAction>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Version, also sent as the ETag.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl Activation {
    pub fn of(view: ActivationView, outcome: Option<Outcome>, ladder: &Ladder) -> Result<Self, ApiError> {
        let ActivationView { row, cells, levels } = view;
        let status = service::stored_status(&row)?;
        let level = ladder.get(&row.level_code);
        Ok(Self {
            level_name: level.map_or_else(|| row.level_code.clone(), |l| l.name_zh.clone()),
            response: level.and_then(|l| l.response.clone()),
            status,
            forecast: service::forecast_of(&row)?,
            cells: cells.into_iter().map(|c| ControlCell::of(c, outcome.as_ref())).collect::<Result<_, _>>()?,
            level_history: levels
                .into_iter()
                .map(|l| LevelChange {
                    from: l.from_level,
                    to: l.to_level,
                    note: l.note,
                    changed_by: l.changed_by,
                    changed_at: l.changed_at.and_utc(),
                })
                .collect(),
            outcome: outcome.as_ref().map(OutcomeSummary::of),
            available_actions: status.allowed().to_vec(),
            id: row.id,
            title: row.title,
            reason: row.reason,
            level: row.level_code,
            planned_start: row.planned_start.and_utc(),
            planned_end: row.planned_end.map(|t| t.and_utc()),
            actual_start: row.actual_start.map(|t| t.and_utc()),
            actual_end: row.actual_end.map(|t| t.and_utc()),
            created_by: row.created_by,
            created_at: row.created_at.and_utc(),
            version: row.version,
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// A check-in's photo.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckInPhoto {
    /// Where to fetch the image.
    pub href: String,
    pub media_type: String,
    /// When it was taken, from its EXIF data.
    pub taken_at: Option<DateTime<Utc>>,
}

/// A check-in on a measure of a cell's plan.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckIn {
    pub id: String,
    pub cell_code: String,
    pub measure: String,
    pub done: bool,
    pub note: Option<String>,
    pub photo: Option<CheckInPhoto>,
    /// Account id of who checked in (null for the service itself).
    pub checked_by: Option<String>,
    pub checker_name: String,
    pub checked_at: DateTime<Utc>,
}

impl CheckIn {
    fn of(row: CheckInRow) -> Self {
        let photo = row.photo_media_type.map(|media_type| CheckInPhoto {
            href: format!("/api/v1/controls/{}/check-ins/{}/photo", row.activation_id, row.id),
            media_type,
            taken_at: row.photo_taken_at.map(|t| t.and_utc()),
        });
        Self {
            id: row.id,
            cell_code: row.cell_code,
            measure: row.measure_code,
            done: row.done,
            note: row.note,
            photo,
            checked_by: row.checked_by,
            checker_name: row.checker_name,
            checked_at: row.checked_at.and_utc(),
        }
    }
}
