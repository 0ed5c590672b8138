//! How the domain's enums are written to and read from SQLite: by their stable names (or,
//! for severities, their rank), so that no store function passes statuses or roles around
//! as strings. A value the code does not know is a read error naming the column's value,
//! never a silent default; the schema's CHECK constraints keep such values out.

use rusqlite::ToSql;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};

use crate::domain::finding::{Assessment, FindingEvent, Stage};
use crate::domain::form::{FormKind, Severity};
use crate::domain::region_path::RegionPath;
use crate::domain::report::{AmendmentKind, EventKind};
use crate::domain::review::{Action, Status};
use crate::domain::role::Role;

/// The stored name of a value, and the value of a stored name.
trait Named: Sized {
    const WHAT: &'static str;
    fn name(&self) -> &'static str;
    fn from_name(name: &str) -> Option<Self>;
}

fn read_named<T: Named>(value: ValueRef<'_>) -> FromSqlResult<T> {
    let text = value.as_str()?;
    T::from_name(text).ok_or_else(|| {
        FromSqlError::Other(format!("unknown {} `{text}` in the database", T::WHAT).into())
    })
}

macro_rules! stored_by_name {
    ($($type:ty => $what:literal, $parse:expr;)*) => {$(
        impl Named for $type {
            const WHAT: &'static str = $what;
            fn name(&self) -> &'static str {
                self.as_str()
            }
            fn from_name(name: &str) -> Option<Self> {
                $parse(name)
            }
        }
        impl ToSql for $type {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.name()))
            }
        }
        impl FromSql for $type {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                read_named(value)
            }
        }
    )*};
}

stored_by_name! {
    Status => "status", Status::parse;
    Action => "review action", Action::parse;
    EventKind => "event kind", EventKind::parse;
    FormKind => "form kind", FormKind::parse;
    Role => "role", |name: &str| name.parse::<Role>().ok();
    Stage => "finding stage", Stage::parse;
    FindingEvent => "finding event", FindingEvent::parse;
    Assessment => "assessment", Assessment::parse;
    AmendmentKind => "amendment kind", AmendmentKind::parse;
}

/// Severities are stored as their rank (1 low .. 4 critical) so that SQL sorts them and
/// takes their maximum.
impl ToSql for Severity {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.rank()))
    }
}

impl FromSql for Severity {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let rank = value.as_i64()?;
        Severity::from_rank(rank).ok_or(FromSqlError::OutOfRange(rank))
    }
}

/// Region paths are stored as their text and checked when read: a malformed path in the
/// file is a read error naming it, not a subtree that silently matches nothing.
impl ToSql for RegionPath {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for RegionPath {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        RegionPath::parse(value.as_str()?).map_err(|e| FromSqlError::Other(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn round_trip<T: ToSql + FromSql>(value: T) -> rusqlite::Result<T> {
        let conn = Connection::open_in_memory()?;
        conn.query_row("SELECT ?1", [&value], |row| row.get(0))
    }

    #[test]
    fn every_value_reads_back_as_itself() -> rusqlite::Result<()> {
        for status in Status::ALL {
            assert_eq!(round_trip(status)?, status);
        }
        for role in Role::ALL {
            assert_eq!(round_trip(role)?, role);
        }
        for severity in Severity::ALL {
            assert_eq!(round_trip(severity)?, severity);
        }
        for kind in EventKind::ALL {
            assert_eq!(round_trip(kind)?, kind);
        }
        assert_eq!(round_trip(Stage::ReadyForReview)?, Stage::ReadyForReview);
        assert_eq!(round_trip(FormKind::Incident)?, FormKind::Incident);
        Ok(())
    }

    #[test]
    fn an_unknown_stored_name_is_an_error_that_names_it() -> rusqlite::Result<()> {
        let conn = Connection::open_in_memory()?;
        let read = conn.query_row("SELECT 'archived'", [], |row| row.get::<_, Status>(0));
        let error = read.expect_err("an unknown status must not read as a status");
        assert!(error.to_string().contains("archived"), "{error}");
        let rank = conn.query_row("SELECT 9", [], |row| row.get::<_, Severity>(0));
        assert!(rank.is_err(), "a rank outside 1..4 is no severity");
        Ok(())
    }
}
