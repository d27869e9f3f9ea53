//! Classified prompts (分类提示): when an activation starts or changes level, each of its cells gets the
//! level's prompts; the grid workers and supervisors at home there fetch and acknowledge them, and the
//! command centre sees who has and who has not.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;

use super::service::{self, ActivationView, to_json};
use super::store::{self, AckRow, ActivationRow, PromptRow, Recipient};
use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::domain::access::Permission;
use crate::domain::control::{Level, PromptItem};
use crate::domain::scope::ancestor_paths;
use crate::error::ApiError;

/// A prompt with its activation and the caller's acknowledgement.
#[derive(Debug, Clone)]
pub struct MyPrompt {
    pub prompt: PromptRow,
    pub activation: ActivationRow,
    pub acknowledged_at: Option<NaiveDateTime>,
}

/// A prompt with how many of the people it is for have acknowledged it.
#[derive(Debug, Clone)]
pub struct PromptTally {
    pub prompt: PromptRow,
    pub recipients: usize,
    pub acknowledged: usize,
}

/// Issues the level's prompts to every cell of the activation, for level change `seq`.
pub(super) fn issue(
    conn: &mut AnyConnection,
    view: &ActivationView,
    level: &Level,
    seq: i32,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let rows: Vec<PromptRow> = view
        .cells
        .iter()
        .map(|cell| PromptRow {
            id: db::new_id(),
            activation_id: view.row.id.clone(),
            seq,
            cell_code: cell.cell_code.clone(),
            cell_path: cell.cell_path.clone(),
            level_code: level.code.clone(),
            items: to_json(&level.prompts),
            issued_at: now,
            superseded_at: None,
        })
        .collect();
    Ok(store::insert_prompts(conn, &rows)?)
}

/// The prompts in force for the caller's cell (issued to it or to a cell above it), newest first.
pub fn mine(conn: &mut AnyConnection, caller: &Caller) -> Result<Vec<MyPrompt>, ApiError> {
    caller.require(Permission::ControlsRead)?;
    let paths = caller.scope.home_path().map(|home| {
        let mut paths = ancestor_paths(home);
        paths.push(home.to_owned());
        paths
    });
    let prompts = store::current_prompts(conn, paths.as_deref())?;
    let ids: Vec<String> = prompts.iter().map(|p| p.id.clone()).collect();
    let acks: BTreeMap<String, NaiveDateTime> = store::acks_of(conn, &ids)?
        .into_iter()
        .filter(|a| a.account_id == caller.account_id)
        .map(|a| (a.prompt_id, a.acknowledged_at))
        .collect();
    let mut activations = BTreeMap::new();
    prompts
        .into_iter()
        .map(|prompt| {
            if !activations.contains_key(&prompt.activation_id) {
                let row = store::find_activation(conn, &prompt.activation_id)?.ok_or_else(service::not_found)?;
                activations.insert(prompt.activation_id.clone(), row);
            }
            Ok(MyPrompt {
                acknowledged_at: acks.get(&prompt.id).copied(),
                activation: activations[&prompt.activation_id].clone(),
                prompt,
            })
        })
        .collect()
}

/// Acknowledges a prompt in force for the caller's cell; acknowledging again changes nothing.
pub fn acknowledge(conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<MyPrompt, ApiError> {
    caller.require(Permission::ControlsRespond)?;
    let prompt = store::find_prompt(conn, id)?
        .filter(|p| caller.scope.home_path().is_some_and(|home| home.starts_with(&p.cell_path)))
        .ok_or_else(|| ApiError::NotFound("no prompt for you here".into()))?;
    if prompt.superseded_at.is_some() {
        return Err(ApiError::Conflict("the prompt has been replaced by a later one or the control lifted".into()));
    }
    let ack =
        AckRow { prompt_id: prompt.id.clone(), account_id: caller.account_id.clone(), acknowledged_at: db::now() };
    let ack = store::acknowledge(conn, &ack)?;
    let activation = store::find_activation(conn, &prompt.activation_id)?.ok_or_else(service::not_found)?;
    Ok(MyPrompt { prompt, activation, acknowledged_at: Some(ack.acknowledged_at) })
}

/// The prompts an activation issued to cells the caller sees, with their acknowledgement counts.
pub fn tally(conn: &mut AnyConnection, caller: &Caller, activation: &str) -> Result<Vec<PromptTally>, ApiError> {
    service::get(conn, caller, activation)?;
    let prompts: Vec<PromptRow> =
        store::prompts_of(conn, activation)?.into_iter().filter(|p| caller.scope.sees_cell(&p.cell_path)).collect();
    let ids: Vec<String> = prompts.iter().map(|p| p.id.clone()).collect();
    let mut acked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ack in store::acks_of(conn, &ids)? {
        acked.entry(ack.prompt_id).or_default().insert(ack.account_id);
    }
    prompts
        .into_iter()
        .map(|prompt| {
            let recipients = store::recipients(conn, &prompt.cell_path)?;
            let by = acked.get(&prompt.id);
            let acknowledged = recipients.iter().filter(|r| by.is_some_and(|b| b.contains(&r.id))).count();
            Ok(PromptTally { recipients: recipients.len(), acknowledged, prompt })
        })
        .collect()
}

/// Who a prompt is for and has not acknowledged it, by username after the cursor; for the command centre
/// (`controls:run`) whose part of the grid holds the prompt's cell.
pub fn pending(
    conn: &mut AnyConnection,
    caller: &Caller,
    activation: &str,
    prompt: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Recipient>, ApiError> {
    caller.require(Permission::ControlsRun)?;
    service::get(conn, caller, activation)?;
    let prompt = store::find_prompt(conn, prompt)?
        .filter(|p| p.activation_id == activation && caller.scope.sees_cell(&p.cell_path))
        .ok_or_else(|| ApiError::NotFound("no prompt here".into()))?;
    caller.may_change(&prompt.cell_path, "prompt's cell")?;
    let acked: BTreeSet<String> =
        store::acks_of(conn, std::slice::from_ref(&prompt.id))?.into_iter().map(|a| a.account_id).collect();
    Ok(store::recipients(conn, &prompt.cell_path)?
        .into_iter()
        .filter(|r| !acked.contains(&r.id) && after.is_none_or(|after| r.username.as_str() > after))
        .take(limit)
        .collect())
}

pub fn items_of(prompt: &PromptRow) -> Result<Vec<PromptItem>, ApiError> {
    serde_json::from_str(&prompt.items).map_err(|e| ApiError::internal(format!("prompt {} items: {e}", prompt.id)))
}
