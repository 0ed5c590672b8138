//! A mission's identity as set up by an admin.

use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Why a mission field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MissionError(pub String);

/// The short name of a mission in URLs and on the command line, e.g. `kenya-2017`:
/// 2 to 40 lowercase letters, digits and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, MissionError> {
        let ok_chars = raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(2..=40).contains(&raw.len()) || !ok_chars || raw.starts_with('-') || raw.ends_with('-')
        {
            return Err(MissionError(format!(
                "`{raw}` is not a mission slug: use 2 to 40 lowercase letters, digits and hyphens"
            )));
        }
        Ok(Slug(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Everything needed to create a mission, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMission {
    pub slug: Slug,
    pub name: String,
    pub country: String,
    pub election_date: Date,
    /// IANA name such as `Africa/Nairobi`: every time shown to the mission is in this zone.
    pub time_zone: String,
}

impl NewMission {
    pub fn parse(
        slug: &str,
        name: &str,
        country: &str,
        election_date: &str,
        time_zone: &str,
    ) -> Result<Self, MissionError> {
        let slug = Slug::parse(slug)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(MissionError(
                "a mission name has 1 to 120 characters".into(),
            ));
        }
        let country = country.trim();
        if country.is_empty() || country.chars().count() > 80 {
            return Err(MissionError("a country has 1 to 80 characters".into()));
        }
        let election_date: Date = election_date.trim().parse().map_err(|_| {
            MissionError(format!(
                "`{election_date}` is not a date: write it as YYYY-MM-DD"
            ))
        })?;
        let time_zone = time_zone.trim();
        TimeZone::get(time_zone).map_err(|_| {
            MissionError(format!(
                "`{time_zone}` is not a known time zone (e.g. Africa/Nairobi)"
            ))
        })?;
        Ok(NewMission {
            slug,
            name: name.to_owned(),
            country: country.to_owned(),
            election_date,
            time_zone: time_zone.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("kenya-2017").is_ok());
        assert!(Slug::parse("Kenya").is_err());
        assert!(Slug::parse("-x").is_err());
        assert!(Slug::parse("a").is_err());
        assert!(Slug::parse("a/b").is_err());
    }

    #[test]
    fn new_mission_checks_every_field() {
        let ok = NewMission::parse("ke", "Kenya 2017", "Kenya", "2017-08-08", "Africa/Nairobi");
        assert!(ok.is_ok(), "{ok:?}");
        let bad_date = NewMission::parse("ke", "K", "Kenya", "08/08/2017", "Africa/Nairobi");
        assert!(bad_date.is_err_and(|e| e.0.contains("YYYY-MM-DD")));
        let bad_zone = NewMission::parse("ke", "K", "Kenya", "2017-08-08", "Africa/Atlantis");
        assert!(bad_zone.is_err_and(|e| e.0.contains("time zone")));
        assert!(NewMission::parse("ke", " ", "Kenya", "2017-08-08", "UTC").is_err());
    }
}
