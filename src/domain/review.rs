//! How a report moves through review: its statuses, the actions on it, and who may take
//! which action from which status.

use super::message::Message;
use std::fmt;

use super::role::Role;

/// Where a report stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Filed, not yet looked at.
    Received,
    /// Checked and confirmed by the core team: evidence a finding can rest on.
    Verified,
    /// Passed to the leads to decide.
    Escalated,
    /// Set aside, with a reason.
    Dismissed,
    /// The same event as another report, which carries it.
    Duplicate,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Received,
        Status::Escalated,
        Status::Verified,
        Status::Dismissed,
        Status::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Verified => "verified",
            Status::Escalated => "escalated",
            Status::Dismissed => "dismissed",
            Status::Duplicate => "duplicate",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Not yet settled by review: the queue's work.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Received | Status::Escalated)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a reviewer does to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Verify,
    /// Needs a reason.
    Dismiss,
    Escalate,
    /// Needs the reference of the report it repeats.
    MarkDuplicate,
    /// Back to `received`, for a second look.
    Reopen,
    /// A note in the history; the status stays.
    Comment,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Verify => "verify",
            Action::Dismiss => "dismiss",
            Action::Escalate => "escalate",
            Action::MarkDuplicate => "duplicate",
            Action::Reopen => "reopen",
            Action::Comment => "comment",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        [
            Action::Verify,
            Action::Dismiss,
            Action::Escalate,
            Action::MarkDuplicate,
            Action::Reopen,
            Action::Comment,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

/// Why an action cannot be taken, in words for the reviewer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub Message);

/// The status a report moves to when `role` takes `action` on it in `status`.
///
/// Coordinators verify, dismiss, escalate and mark duplicates of new reports; once a
/// report is escalated, it is the leads' to settle. Settled reports (verified, dismissed,
/// duplicate) are reopened by a lead only, so that a decision is not quietly undone.
/// Anyone reviewing may comment at any time.
pub fn transition(status: Status, action: Action, role: Role) -> Result<Status, Refused> {
    use Action::*;
    use Status::*;
    if !matches!(role, Role::Coordinator | Role::Lead) {
        return Err(Refused(Message::new("review.refused.not_a_reviewer")));
    }
    let lead = role == Role::Lead;
    let target = match (status, action) {
        (_, Comment) => return Ok(status),
        (Received, Verify) => Verified,
        (Received, Dismiss) => Dismissed,
        (Received, Escalate) => Escalated,
        (Received, MarkDuplicate) => Duplicate,
        (Escalated, Verify | Dismiss | MarkDuplicate) if !lead => {
            return Err(Refused(Message::new("review.refused.escalated")));
        }
        (Escalated, Verify) => Verified,
        (Escalated, Dismiss) => Dismissed,
        (Escalated, MarkDuplicate) => Duplicate,
        (Verified, Escalate) => Escalated,
        (Verified | Dismissed | Duplicate, Reopen) if lead => Received,
        (Verified | Dismissed | Duplicate, Reopen) => {
            return Err(Refused(Message::new("review.refused.lead_reopens")));
        }
        (from, action) => {
            return Err(Refused(
                Message::new("review.refused.cannot_be_given")
                    .with_word("from", format!("status.{}", from.as_str()))
                    .with_word(
                        "action",
                        format!("review.report.action.{}", action.as_str()),
                    ),
            ));
        }
    };
    Ok(target)
}

/// Longest review note (a dismissal reason, a comment), in characters.
pub const NOTE_MAX: usize = 2000;

/// Checks the note that goes with an action: a dismissal needs a reason and a comment
/// needs text; other actions may carry a note.
pub fn note_for(action: Action, raw: &str) -> Result<String, Refused> {
    let note = super::text::unix_newlines(raw.trim());
    if note.is_empty() {
        match action {
            Action::Dismiss => {
                return Err(Refused(Message::new("review.report.reason_needed")));
            }
            Action::Comment => return Err(Refused(Message::new("review.report.write_comment"))),
            _ => {}
        }
    }
    let count = note.chars().count();
    if count > NOTE_MAX {
        return Err(Refused(
            Message::new("review.report.note_too_long")
                .with("max", NOTE_MAX)
                .with("count", count),
        ));
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Status::*;

    const ACTIONS: [Action; 6] = [Verify, Dismiss, Escalate, MarkDuplicate, Reopen, Comment];

    /// Every (status, action) for both reviewing roles: the target, or refused (None).
    #[test]
    fn every_transition_for_coordinators_and_leads() {
        let table: [(Status, Action, Option<Status>, Option<Status>); 30] = [
            // status, action, coordinator gets, lead gets
            (Received, Verify, Some(Verified), Some(Verified)),
            (Received, Dismiss, Some(Dismissed), Some(Dismissed)),
            (Received, Escalate, Some(Escalated), Some(Escalated)),
            (Received, MarkDuplicate, Some(Duplicate), Some(Duplicate)),
            (Received, Reopen, None, None),
            (Received, Comment, Some(Received), Some(Received)),
            (Escalated, Verify, None, Some(Verified)),
            (Escalated, Dismiss, None, Some(Dismissed)),
            (Escalated, Escalate, None, None),
            (Escalated, MarkDuplicate, None, Some(Duplicate)),
            (Escalated, Reopen, None, None),
            (Escalated, Comment, Some(Escalated), Some(Escalated)),
            (Verified, Verify, None, None),
            (Verified, Dismiss, None, None),
            (Verified, Escalate, Some(Escalated), Some(Escalated)),
            (Verified, MarkDuplicate, None, None),
            (Verified, Reopen, None, Some(Received)),
            (Verified, Comment, Some(Verified), Some(Verified)),
            (Dismissed, Verify, None, None),
            (Dismissed, Dismiss, None, None),
            (Dismissed, Escalate, None, None),
            (Dismissed, MarkDuplicate, None, None),
            (Dismissed, Reopen, None, Some(Received)),
            (Dismissed, Comment, Some(Dismissed), Some(Dismissed)),
            (Duplicate, Verify, None, None),
            (Duplicate, Dismiss, None, None),
            (Duplicate, Escalate, None, None),
            (Duplicate, MarkDuplicate, None, None),
            (Duplicate, Reopen, None, Some(Received)),
            (Duplicate, Comment, Some(Duplicate), Some(Duplicate)),
        ];
        for (status, action, coordinator, lead) in table {
            assert_eq!(
                transition(status, action, Role::Coordinator).ok(),
                coordinator,
                "coordinator: {status} {action:?}"
            );
            assert_eq!(
                transition(status, action, Role::Lead).ok(),
                lead,
                "lead: {status} {action:?}"
            );
        }
        assert_eq!(
            table.len(),
            Status::ALL.len() * ACTIONS.len(),
            "the table is complete"
        );
    }

    #[test]
    fn observers_and_admins_do_not_review() {
        for role in [Role::Observer, Role::Admin] {
            for status in Status::ALL {
                for action in ACTIONS {
                    assert!(
                        transition(status, action, role).is_err(),
                        "{role} {status} {action:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        let escalated = transition(Escalated, Verify, Role::Coordinator).expect_err("refused");
        assert!(escalated.to_string().contains("a lead decides"));
        let settled = transition(Dismissed, Verify, Role::Lead).expect_err("refused");
        assert_eq!(
            settled.to_string(),
            "A dismissed report cannot be given “verify”."
        );
    }

    #[test]
    fn notes() {
        assert!(note_for(Dismiss, "  ").is_err_and(|e| e.to_string().contains("reason")));
        assert!(note_for(Comment, "").is_err());
        assert_eq!(note_for(Verify, ""), Ok(String::new()));
        assert_eq!(
            note_for(Dismiss, " Same as KE-1 \r\n"),
            Ok("Same as KE-1".to_owned())
        );
        assert!(note_for(Comment, &"x".repeat(NOTE_MAX + 1)).is_err());
    }

    #[test]
    fn names_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        for action in ACTIONS {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
    }
}
