//! Roles within a mission and the areas of the product each may enter.

use std::fmt;
use std::str::FromStr;

/// What a member of a mission does there. Every permission check starts from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Observer,
    Coordinator,
    Lead,
    Admin,
}

/// The parts of the product, each with its own home page and routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// The observer's assignment and filing pages.
    Observer,
    /// The mission overview read by coordinators and leads.
    Overview,
    /// The review queue and reviewers' report pages.
    Review,
    /// Findings and the preliminary statement.
    Findings,
    /// The mission's form definitions and their previews.
    Forms,
    /// Mission setup: users, assignments, geography.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Observer, Role::Coordinator, Role::Lead, Role::Admin];

    /// The stable name stored in the database and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Observer => "observer",
            Role::Coordinator => "coordinator",
            Role::Lead => "lead",
            Role::Admin => "admin",
        }
    }

    /// Whether a member with this role may open pages of `area`.
    ///
    /// Observers see only their own work. The core team (coordinators, leads) reads the
    /// overview; admins set the mission up and may read the overview to check their work.
    pub fn may_enter(self, area: Area) -> bool {
        match area {
            Area::Observer => self == Role::Observer,
            Area::Overview => matches!(self, Role::Coordinator | Role::Lead | Role::Admin),
            Area::Review => matches!(self, Role::Coordinator | Role::Lead),
            Area::Findings => self == Role::Lead,
            Area::Forms => matches!(self, Role::Lead | Role::Admin),
            Area::Admin => self == Role::Admin,
        }
    }

    /// The area a member lands in after signing in.
    pub fn home_area(self) -> Area {
        match self {
            Role::Observer => Area::Observer,
            Role::Coordinator | Role::Lead => Area::Overview,
            Role::Admin => Area::Admin,
        }
    }
}

impl Area {
    /// The path segment under `/m/{mission}/` where the area lives.
    pub fn path_segment(self) -> &'static str {
        match self {
            Area::Observer => "observer",
            Area::Overview => "overview",
            Area::Review => "review",
            Area::Findings => "findings",
            Area::Forms => "forms",
            Area::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}` (expected observer, coordinator, lead or admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(
            "chief".parse::<Role>(),
            Err(UnknownRole("chief".to_owned()))
        );
        assert!("Observer".parse::<Role>().is_err(), "names are exact");
    }

    #[test]
    fn each_role_may_enter_its_home() {
        for role in Role::ALL {
            assert!(role.may_enter(role.home_area()), "{role}");
        }
    }

    #[test]
    fn access_table() {
        use Area::*;
        let table = [
            // observer, overview, review, findings, forms, admin
            (Role::Observer, [true, false, false, false, false, false]),
            (Role::Coordinator, [false, true, true, false, false, false]),
            (Role::Lead, [false, true, true, true, true, false]),
            (Role::Admin, [false, true, false, false, true, true]),
        ];
        for (role, expected) in table {
            let got = [Observer, Overview, Review, Findings, Forms, Admin]
                .map(|area| role.may_enter(area));
            assert_eq!(got, expected, "{role}");
        }
    }
}
