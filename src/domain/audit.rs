//! What the audit log records: each admin action as a typed event with its values, kept as
//! names and values so that the log reads in whichever language its reader uses.

use serde::{Deserialize, Serialize};

use super::message::Message;
use super::role::Role;

/// One thing an admin (or the command line) did to a mission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditEvent {
    UserAdded {
        username: String,
        role: String,
    },
    UserDisabled {
        username: String,
    },
    UserEnabled {
        username: String,
    },
    PasswordReset {
        username: String,
    },
    TeamSet {
        username: String,
        team: Option<String>,
    },
    AssignmentAdded {
        username: String,
        region: String,
        code: String,
    },
    AssignmentRemoved {
        username: String,
        region: String,
        code: String,
    },
    FormImported {
        key: String,
        version: i64,
    },
    /// An entry of an older shape, kept as it was written.
    Noted {
        action: String,
        detail: String,
    },
}

impl AuditEvent {
    pub fn user_added(username: &str, role: Role) -> AuditEvent {
        AuditEvent::UserAdded {
            username: username.to_owned(),
            role: role.as_str().to_owned(),
        }
    }

    /// The name the event is stored under.
    pub fn name(&self) -> &'static str {
        match self {
            AuditEvent::UserAdded { .. } => "user_added",
            AuditEvent::UserDisabled { .. } => "user_disabled",
            AuditEvent::UserEnabled { .. } => "user_enabled",
            AuditEvent::PasswordReset { .. } => "password_reset",
            AuditEvent::TeamSet { .. } => "team_set",
            AuditEvent::AssignmentAdded { .. } => "assignment_added",
            AuditEvent::AssignmentRemoved { .. } => "assignment_removed",
            AuditEvent::FormImported { .. } => "form_imported",
            AuditEvent::Noted { .. } => "noted",
        }
    }

    /// The log's line for the event, done by `actor`.
    pub fn message(&self, actor: &str) -> Message {
        let said = |key: &'static str| Message::new(key).with("actor", actor);
        match self {
            AuditEvent::UserAdded { username, role } => {
                let role = match role.parse::<Role>() {
                    Ok(role) => format!("admin.role.{}", role.as_str()),
                    Err(_) => role.clone(),
                };
                said("admin.audit.user_added")
                    .with("username", username)
                    .with_word("role", role)
            }
            AuditEvent::UserDisabled { username } => {
                said("admin.audit.user_disabled").with("username", username)
            }
            AuditEvent::UserEnabled { username } => {
                said("admin.audit.user_enabled").with("username", username)
            }
            AuditEvent::PasswordReset { username } => {
                said("admin.audit.password_reset").with("username", username)
            }
            AuditEvent::TeamSet {
                username,
                team: Some(team),
            } => said("admin.audit.team_set")
                .with("username", username)
                .with("team", team),
            AuditEvent::TeamSet {
                username,
                team: None,
            } => said("admin.audit.team_cleared").with("username", username),
            AuditEvent::AssignmentAdded {
                username,
                region,
                code,
            } => said("admin.audit.assignment_added")
                .with("username", username)
                .with("region", region)
                .with("code", code),
            AuditEvent::AssignmentRemoved {
                username,
                region,
                code,
            } => said("admin.audit.assignment_removed")
                .with("username", username)
                .with("region", region)
                .with("code", code),
            AuditEvent::FormImported { key, version } => said("admin.audit.form_imported")
                .with("form", key)
                .with("version", version),
            AuditEvent::Noted { action, detail } => said("admin.audit.noted")
                .with("action", action)
                .with("detail", detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, Tr};

    #[test]
    fn an_event_reads_back_from_what_is_stored() -> serde_json::Result<()> {
        let event = AuditEvent::TeamSet {
            username: "zwekesa".into(),
            team: None,
        };
        let stored = serde_json::to_string(&event)?;
        assert_eq!(
            stored,
            r#"{"event":"team_set","username":"zwekesa","team":null}"#
        );
        assert_eq!(serde_json::from_str::<AuditEvent>(&stored)?, event);
        Ok(())
    }

    #[test]
    fn the_line_is_written_in_the_readers_language() {
        let event = AuditEvent::user_added("zwekesa", Role::Coordinator);
        let message = event.message("admin");
        assert_eq!(
            message.in_language(Tr::new(Lang::En)),
            "admin added zwekesa as coordinator"
        );
        assert_eq!(
            message.in_language(Tr::new(Lang::Fr)),
            "admin a ajouté zwekesa comme coordinateur"
        );
    }
}
