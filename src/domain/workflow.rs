//! The incident closed loop, as one table. A report from a grid worker, hotline, camera or satellite
//! enters as `reported` (or `unrouted` when it falls outside the grid, until a commander routes it by
//! hand), is assigned (交办), accepted and rectified by its handler (整改中 → 已整改), and finally verified
//! and closed (核查销号) by a manager who did not submit the rectification. Side exits: rejected (not a
//! real problem), duplicate (linked to an original), and reopen when verification fails or the problem
//! comes back. Extensions are asked for and decided without moving the status.
//!
//! Every check reads [`RULES`], so the API, the UI's buttons and the OpenAPI document cannot disagree.
//! The state is checked before the caller, so a request that could never succeed says 409, not 403.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use Status::{Assigned, Closed, Duplicate, Rectified, Rectifying, Rejected, Reported, Unrouted};

/// Where an incident stands in the closed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Outside every grid cell; waits for a commander to route it (待分拨).
    Unrouted,
    /// In a cell, not yet assigned (待交办).
    Reported,
    /// Assigned to a handler with a deadline (已交办).
    Assigned,
    /// The handler has accepted it and is working on it (整改中).
    Rectifying,
    /// The handler says it is fixed; waits for verification (已整改).
    Rectified,
    /// Verified and closed (已销号).
    Closed,
    /// Not a real problem (已驳回).
    Rejected,
    /// Reported already; linked to the original (重复).
    Duplicate,
}

impl Status {
    /// Every status, in the order of the loop.
    pub const ALL: [Status; 8] = [Unrouted, Reported, Assigned, Rectifying, Rectified, Closed, Rejected, Duplicate];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unrouted => "unrouted",
            Self::Reported => "reported",
            Self::Assigned => "assigned",
            Self::Rectifying => "rectifying",
            Self::Rectified => "rectified",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
            Self::Duplicate => "duplicate",
        }
    }

    /// The status with this wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the incident still needs work: anything but closed, rejected or duplicate.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Rejected | Self::Duplicate)
    }

    /// The label the city's staff use.
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Unrouted => "待分拨",
            Self::Reported => "待交办",
            Self::Assigned => "已交办",
            Self::Rectifying => "整改中",
            Self::Rectified => "已整改",
            Self::Closed => "已销号",
            Self::Rejected => "已驳回",
            Self::Duplicate => "重复",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something done to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Put an unrouted incident into a grid cell.
    Route,
    /// Hand it to a handler with a deadline (交办).
    Assign,
    /// Hand it to someone else, with a reason.
    Reassign,
    /// The handler accepts it and starts work (签收).
    Start,
    /// The handler reports it fixed, with a note and, where the category asks, an after photo.
    Rectify,
    /// Verify the fix and close (核查销号); never by the one who rectified it.
    Close,
    /// Verification failed or the problem came back: back to rectifying.
    Reopen,
    /// Not a real problem.
    Reject,
    /// Link it to the original report of the same problem.
    MarkDuplicate,
    /// The handler asks for a later deadline.
    RequestExtension,
    /// A manager approves or refuses an extension request.
    DecideExtension,
}

impl Action {
    /// Every action, in the order of [`RULES`].
    pub const ALL: [Action; 11] = [
        Self::Route,
        Self::Assign,
        Self::Reassign,
        Self::Start,
        Self::Rectify,
        Self::Close,
        Self::Reopen,
        Self::Reject,
        Self::MarkDuplicate,
        Self::RequestExtension,
        Self::DecideExtension,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Route => "route",
            Self::Assign => "assign",
            Self::Reassign => "reassign",
            Self::Start => "start",
            Self::Rectify => "rectify",
            Self::Close => "close",
            Self::Reopen => "reopen",
            Self::Reject => "reject",
            Self::MarkDuplicate => "mark_duplicate",
            Self::RequestExtension => "request_extension",
            Self::DecideExtension => "decide_extension",
        }
    }

    /// The action with this wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Facts about the caller relative to one incident (the service computes them; scope is checked elsewhere).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActorFacts {
    /// Holds incidents:manage (commander, supervisor, admin).
    pub manages: bool,
    /// Holds incidents:report (grid worker and up).
    pub reports: bool,
    /// The incident has no named assignee, or the caller is the named assignee.
    pub is_handler: bool,
    /// The caller submitted the current rectification.
    pub is_rectifier: bool,
}

/// Who may take an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Holds incidents:manage.
    Manager,
    /// A manager, or a reporter who is the incident's handler.
    Handler,
    /// A manager who did not submit the current rectification: nobody verifies their own work.
    Verifier,
}

impl Who {
    /// Whether this caller qualifies.
    pub fn permits(self, actor: &ActorFacts) -> bool {
        match self {
            Self::Manager => actor.manages,
            Self::Handler => actor.manages || (actor.reports && actor.is_handler),
            Self::Verifier => actor.manages && !actor.is_rectifier,
        }
    }

    /// A sentence saying who qualifies, for refusals.
    pub fn requirement(self) -> &'static str {
        match self {
            Self::Manager => "only a commander, supervisor or admin (incidents:manage) may do this",
            Self::Handler => "only the incident's handler or a commander, supervisor or admin may do this",
            Self::Verifier => "only a commander, supervisor or admin other than the rectifier may verify and close",
        }
    }
}

/// What an action needs in the request besides the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The grid cell to route to.
    Cell,
    /// A free-text reason or description.
    Note,
    /// At least one after photo, when the incident's category asks for one.
    AfterPhoto,
    /// The original incident this one duplicates.
    Original,
    /// The requested new deadline.
    Until,
    /// Whether the extension is approved.
    Decision,
}

/// One row of the table.
#[derive(Debug)]
pub struct Rule {
    /// The action this row governs.
    pub action: Action,
    /// The statuses it may be taken from.
    pub from: &'static [Status],
    /// The status after it; `None` leaves the status unchanged.
    pub to: Option<Status>,
    /// Who may take it.
    pub who: Who,
    /// What the request must carry.
    pub needs: &'static [Need],
}

/// The closed loop: one row per action, in [`Action::ALL`] order.
pub const RULES: [Rule; 11] = {
    use Action::*;
    use Need::*;
    use Who::*;
    const fn row(
        action: Action,
        from: &'static [Status],
        to: Option<Status>,
        who: Who,
        needs: &'static [Need],
    ) -> Rule {
        Rule { action, from, to, who, needs }
    }
    [
        row(Route, &[Unrouted], Some(Reported), Manager, &[Cell]),
        // The cell defaults to the incident's and the deadline to the category's, so nothing is required.
        row(Assign, &[Reported], Some(Assigned), Manager, &[]),
        row(Reassign, &[Assigned, Rectifying], Some(Assigned), Manager, &[Note]),
        row(Start, &[Assigned], Some(Rectifying), Handler, &[]),
        // AfterPhoto counts only where the category asks for one; see `missing`.
        row(Rectify, &[Rectifying], Some(Rectified), Handler, &[Note, AfterPhoto]),
        row(Close, &[Rectified], Some(Closed), Verifier, &[]),
        row(Reopen, &[Rectified, Closed], Some(Rectifying), Manager, &[Note]),
        row(Reject, &[Unrouted, Reported, Assigned], Some(Rejected), Manager, &[Note]),
        // Once rectified, the work is real: it is verified or reopened, never folded into another incident.
        row(MarkDuplicate, &[Unrouted, Reported, Assigned, Rectifying], Some(Duplicate), Manager, &[Original]),
        // Extensions move the deadline, not the status.
        row(RequestExtension, &[Assigned, Rectifying], None, Handler, &[Until, Note]),
        row(DecideExtension, &[Assigned, Rectifying], None, Manager, &[Decision]),
    ]
};

/// The table row for an action.
pub fn rule(action: Action) -> &'static Rule {
    let rules: &'static [Rule; 11] = &RULES;
    // RULES follows Action::ALL, which follows declaration order, so the discriminant is the row.
    &rules[action as usize]
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The action is not allowed from this status (HTTP 409): lists the actions that are.
    WrongState { status: Status, action: Action, allowed: Vec<Action> },
    /// The caller may not take it (HTTP 403), with a sentence saying who may.
    NotPermitted { action: Action, reason: &'static str },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongState { status, action, allowed } => {
                let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
                let now = if names.is_empty() { "nothing".to_owned() } else { names.join(", ") };
                write!(f, "cannot {action} an incident that is {status}; allowed now: {now}")
            }
            Self::NotPermitted { action, reason } => write!(f, "not permitted to {action} this incident: {reason}"),
        }
    }
}

/// The actions the table allows from a status, in [`Action::ALL`] order, whoever asks.
pub fn allowed(status: Status) -> Vec<Action> {
    RULES.iter().filter(|r| r.from.contains(&status)).map(|r| r.action).collect()
}

/// The actions this caller may take now: allowed by the status and permitted to the caller (what a UI shows).
pub fn available(status: Status, actor: &ActorFacts) -> Vec<Action> {
    RULES.iter().filter(|r| r.from.contains(&status) && r.who.permits(actor)).map(|r| r.action).collect()
}

/// The status after `action`, checking state first (409) then the caller (403).
pub fn decide(status: Status, action: Action, actor: &ActorFacts) -> Result<Status, Refusal> {
    let rule = rule(action);
    if !rule.from.contains(&status) {
        return Err(Refusal::WrongState { status, action, allowed: allowed(status) });
    }
    if !rule.who.permits(actor) {
        return Err(Refusal::NotPermitted { action, reason: rule.who.requirement() });
    }
    Ok(rule.to.unwrap_or(status))
}

/// What a request carried, for checking an action's needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Submission {
    /// A grid cell was given.
    pub cell: bool,
    /// A non-blank note was given.
    pub note: bool,
    /// How many after photos are attached.
    pub after_photos: usize,
    /// The incident's category asks for an after photo when rectifying.
    pub requires_after_photo: bool,
    /// An original incident was named.
    pub original: bool,
    /// A new deadline was given.
    pub until: bool,
    /// An approve/refuse decision was given.
    pub decision: bool,
}

/// The missing fields as (field name, message), empty when complete. Field names: "cell", "note", "photos",
/// "original_id", "until", "approve".
pub fn missing(action: Action, submission: &Submission) -> Vec<(&'static str, &'static str)> {
    rule(action)
        .needs
        .iter()
        .filter_map(|need| match need {
            Need::Cell if !submission.cell => Some(("cell", "give the grid cell to route the incident to")),
            Need::Note if !submission.note => Some(("note", note_message(action))),
            Need::AfterPhoto if submission.requires_after_photo && submission.after_photos == 0 => {
                Some(("photos", "this category needs at least one after photo to show the fix"))
            }
            Need::Original if !submission.original => Some(("original_id", "name the incident this one duplicates")),
            Need::Until if !submission.until => Some(("until", "give the new deadline being asked for")),
            Need::Decision if !submission.decision => Some(("approve", "say whether the extension is approved")),
            _ => None,
        })
        .collect()
}

/// Why the note is wanted, in the words of the action that wants it.
fn note_message(action: Action) -> &'static str {
    match action {
        Action::Reassign => "say why the incident is reassigned",
        Action::Rectify => "describe what was done to fix it",
        Action::Reopen => "say why verification failed or what came back",
        Action::Reject => "say why this is not a real problem",
        Action::RequestExtension => "say why more time is needed",
        _ => "add a note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Every legal (from, action, to), written out by hand rather than derived from RULES.
    const EXPECTED: [(Status, Action, Status); 20] = [
        (Unrouted, Route, Reported),
        (Unrouted, Reject, Rejected),
        (Unrouted, MarkDuplicate, Duplicate),
        (Reported, Assign, Assigned),
        (Reported, Reject, Rejected),
        (Reported, MarkDuplicate, Duplicate),
        (Assigned, Reassign, Assigned),
        (Assigned, Start, Rectifying),
        (Assigned, Reject, Rejected),
        (Assigned, MarkDuplicate, Duplicate),
        (Assigned, RequestExtension, Assigned),
        (Assigned, DecideExtension, Assigned),
        (Rectifying, Reassign, Assigned),
        (Rectifying, Rectify, Rectified),
        (Rectifying, MarkDuplicate, Duplicate),
        (Rectifying, RequestExtension, Rectifying),
        (Rectifying, DecideExtension, Rectifying),
        (Rectified, Close, Closed),
        (Rectified, Reopen, Rectifying),
        (Closed, Reopen, Rectifying),
    ];

    const fn facts([manages, reports, is_handler, is_rectifier]: [bool; 4]) -> ActorFacts {
        ActorFacts { manages, reports, is_handler, is_rectifier }
    }
    const MANAGER: ActorFacts = facts([true, true, false, false]);
    const HANDLER_WORKER: ActorFacts = facts([false, true, true, true]);
    const OTHER_WORKER: ActorFacts = facts([false, true, false, false]);
    const RECTIFIER_MANAGER: ActorFacts = facts([true, true, true, true]);
    const VIEWER: ActorFacts = facts([false; 4]);

    /// Each profile with the actions it may take wherever the state allows them, again by hand.
    fn profiles() -> [(&'static str, ActorFacts, Vec<Action>); 5] {
        let all_but_close = Action::ALL.into_iter().filter(|a| *a != Close).collect();
        [
            ("manager", MANAGER, Action::ALL.to_vec()),
            ("handler worker", HANDLER_WORKER, vec![Start, Rectify, RequestExtension]),
            ("other worker", OTHER_WORKER, vec![]),
            ("rectifier manager", RECTIFIER_MANAGER, all_but_close),
            ("viewer", VIEWER, vec![]),
        ]
    }

    fn expected_to(status: Status, action: Action) -> Option<Status> {
        EXPECTED.iter().find(|(from, a, _)| *from == status && *a == action).map(|(_, _, to)| *to)
    }

    #[test]
    fn names_round_trip_and_match_serde() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(serde_json::from_value::<Status>(s.as_str().into()).unwrap(), s);
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(a.to_string(), a.as_str());
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert_eq!(serde_json::from_value::<Action>(a.as_str().into()).unwrap(), a);
        }
        assert_eq!(Status::parse("Closed"), None);
        assert_eq!(Action::parse("markDuplicate"), None);
        let labels: BTreeSet<_> = Status::ALL.iter().map(|s| s.chinese()).collect();
        assert_eq!(labels.len(), Status::ALL.len(), "labels are distinct");
        assert_eq!(Status::Closed.chinese(), "已销号");
    }

    #[test]
    fn open_means_not_finished_and_rules_follow_action_order() {
        let open: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, [Unrouted, Reported, Assigned, Rectifying, Rectified]);
        for (row, action) in RULES.iter().zip(Action::ALL) {
            assert_eq!((row.action, rule(action).action), (action, action));
        }
    }

    #[test]
    fn decide_matches_the_hand_written_matrix_for_every_profile() {
        for (name, actor, may) in profiles() {
            for status in Status::ALL {
                for action in Action::ALL {
                    let got = decide(status, action, &actor);
                    let want = match expected_to(status, action) {
                        None => Err(Refusal::WrongState { status, action, allowed: allowed(status) }),
                        Some(to) if may.contains(&action) => Ok(to),
                        Some(_) => Err(Refusal::NotPermitted { action, reason: rule(action).who.requirement() }),
                    };
                    assert_eq!(got, want, "{name}: {action} from {status}");
                    assert_eq!(got.is_ok(), available(status, &actor).contains(&action), "{name}: {action}");
                }
            }
        }
    }

    #[test]
    fn allowed_lists_exactly_the_matrix_rows_in_action_order() {
        for status in Status::ALL {
            let want: Vec<_> = Action::ALL.into_iter().filter(|a| expected_to(status, *a).is_some()).collect();
            assert_eq!(allowed(status), want, "{status}");
            if let Err(Refusal::WrongState { allowed: listed, .. }) = decide(status, Route, &VIEWER) {
                assert_eq!(listed, want);
            }
        }
    }

    #[test]
    fn nobody_verifies_their_own_rectification() {
        let refused = decide(Rectified, Close, &RECTIFIER_MANAGER);
        assert!(matches!(refused, Err(Refusal::NotPermitted { action: Close, .. })), "{refused:?}");
        assert_eq!(decide(Rectified, Close, &MANAGER), Ok(Closed));
        assert!(matches!(decide(Rectified, Close, &HANDLER_WORKER), Err(Refusal::NotPermitted { .. })));
    }

    #[test]
    fn refusals_read_as_sentences() {
        let wrong = decide(Rectifying, Close, &MANAGER).unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "cannot close an incident that is rectifying; allowed now: \
             reassign, rectify, mark_duplicate, request_extension, decide_extension"
        );
        let none = decide(Rejected, Reopen, &MANAGER).unwrap_err();
        assert_eq!(none.to_string(), "cannot reopen an incident that is rejected; allowed now: nothing");
        let denied = decide(Reported, Assign, &OTHER_WORKER).unwrap_err();
        assert!(denied.to_string().starts_with("not permitted to assign this incident: only a commander"));
    }

    #[test]
    fn handler_sees_only_their_buttons() {
        assert_eq!(available(Assigned, &HANDLER_WORKER), [Start, RequestExtension]);
        assert_eq!(available(Rectifying, &HANDLER_WORKER), [Rectify, RequestExtension]);
        assert!(available(Rectifying, &OTHER_WORKER).is_empty());
        assert_eq!(available(Rectified, &RECTIFIER_MANAGER), [Reopen]);
    }

    #[test]
    fn missing_reports_each_need() {
        let empty = Submission::default();
        let fields = |action| missing(action, &empty).into_iter().map(|(field, _)| field).collect::<Vec<_>>();
        assert_eq!(fields(Route), ["cell"]);
        assert!(fields(Assign).is_empty() && fields(Start).is_empty() && fields(Close).is_empty());
        assert_eq!(fields(Reassign), ["note"]);
        assert_eq!(fields(Rectify), ["note"], "photos only when the category asks");
        assert_eq!(fields(Reopen), ["note"]);
        assert_eq!(fields(Reject), ["note"]);
        assert_eq!(fields(MarkDuplicate), ["original_id"]);
        assert_eq!(fields(RequestExtension), ["until", "note"]);
        assert_eq!(fields(DecideExtension), ["approve"]);

        let strict = Submission { requires_after_photo: true, note: true, ..empty };
        assert_eq!(
            missing(Rectify, &strict),
            [("photos", "this category needs at least one after photo to show the fix")]
        );
        assert!(missing(Rectify, &Submission { after_photos: 1, ..strict }).is_empty());
        let complete =
            Submission { cell: true, note: true, original: true, until: true, decision: true, ..Submission::default() };
        for action in Action::ALL {
            assert!(missing(action, &complete).is_empty(), "{action}");
            for (_, message) in missing(action, &empty) {
                assert!(!message.is_empty() && message != "add a note", "{action}: {message}");
            }
        }
    }

    #[test]
    fn terminal_statuses_allow_nothing_and_closed_only_reopens() {
        assert_eq!(allowed(Closed), [Reopen]);
        for status in Status::ALL {
            assert_eq!(allowed(status).is_empty(), matches!(status, Rejected | Duplicate), "{status}");
        }
    }

    #[test]
    fn every_status_is_reachable_from_intake() {
        let mut seen = BTreeSet::from([Reported, Unrouted]);
        let mut frontier = vec![Reported, Unrouted];
        while let Some(status) = frontier.pop() {
            for action in allowed(status) {
                let next = decide(status, action, &MANAGER).unwrap();
                if seen.insert(next) {
                    frontier.push(next);
                }
            }
        }
        assert_eq!(seen, Status::ALL.into_iter().collect());
    }

    fn any_status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    fn any_action() -> impl Strategy<Value = Action> {
        proptest::sample::select(Action::ALL.to_vec())
    }

    fn any_actor() -> impl Strategy<Value = ActorFacts> {
        any::<[bool; 4]>().prop_map(facts)
    }

    proptest! {
        #[test]
        fn random_walks_stay_on_the_map(
            start in prop_oneof![Just(Reported), Just(Unrouted)],
            steps in proptest::collection::vec((any_action(), any_actor()), 0..40),
        ) {
            let mut status = start;
            for (action, actor) in steps {
                match decide(status, action, &actor) {
                    Ok(next) => {
                        prop_assert!(Status::ALL.contains(&next));
                        prop_assert_eq!(expected_to(status, action), Some(next));
                        prop_assert!(status.is_open() || action == Reopen, "only reopen leaves a finished status");
                        if next == Closed {
                            prop_assert!(actor.manages && !actor.is_rectifier);
                        }
                        status = next;
                    }
                    Err(Refusal::WrongState { allowed: listed, .. }) => {
                        prop_assert!(!listed.contains(&action));
                        prop_assert_eq!(listed, allowed(status));
                    }
                    Err(Refusal::NotPermitted { .. }) => prop_assert!(allowed(status).contains(&action)),
                }
            }
        }

        #[test]
        fn decide_succeeds_exactly_for_available_actions(status in any_status(), action in any_action(), actor in any_actor()) {
            let available_now = available(status, &actor);
            prop_assert_eq!(decide(status, action, &actor).is_ok(), available_now.contains(&action));
            prop_assert!(available_now.iter().all(|a| allowed(status).contains(a)));
            if !actor.manages && !actor.reports {
                prop_assert!(available_now.is_empty(), "a caller without either permission can do nothing");
            }
        }
    }
}
