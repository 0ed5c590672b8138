//! The copy of an observer's pages that their phone keeps for use without a network
//! (static/sw.js): which pages, and a version that changes whenever those pages would.
//!
//! Observers pay for their data. The phone fetches the copy again only when its version
//! changes (or when it is old, or the observer asks), so the version must cover what the
//! pages are made of, and nothing that changes on every view (the masked form token, a
//! blank form's submission id).

use sha2::{Digest, Sha256};

/// The pages an observer opens without a network: home, their reports, each form's place
/// picker, and each form blank for the first stations of their assignments.
/// Checklists and incidents alike may be filed for a polling station.
pub fn pages_to_keep(base: &str, form_keys: &[String], stations: &[i64]) -> Vec<String> {
    let mut pages = vec![base.to_owned(), format!("{base}/reports")];
    for key in form_keys {
        pages.push(format!("{base}/file/{key}"));
        pages.extend(stations.iter().map(|id| format!("{base}/file/{key}/{id}")));
    }
    pages
}

/// What an observer's kept pages are made of.
pub struct KeptSet<'a> {
    /// The server's pages themselves: templates, texts and static files of this build.
    pub build: &'a str,
    /// The session: its form token is in every page.
    pub session: &'a [u8],
    pub lang: &'a str,
    pub observer_name: &'a str,
    pub mission_slug: &'a str,
    pub mission_name: &'a str,
    pub time_zone: &'a str,
    /// Each current form by key, with the id of its newest version.
    pub forms: &'a [(String, i64)],
    /// The regions assigned, and the stations whose blank forms are kept.
    pub assignments: &'a [i64],
    pub stations: &'a [i64],
}

impl KeptSet<'_> {
    /// A short fingerprint of everything the kept pages show.
    pub fn version(&self) -> String {
        let mut hash = Sha256::new();
        let mut field = |bytes: &[u8]| {
            // Each field's length first: no two different sets read the same.
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        for text in [
            self.build,
            self.lang,
            self.observer_name,
            self.mission_slug,
            self.mission_name,
            self.time_zone,
        ] {
            field(text.as_bytes());
        }
        field(self.session);
        let numbers = |ids: &[i64]| ids.iter().map(|id| format!("{id},")).collect::<String>();
        for (key, id) in self.forms {
            field(key.as_bytes());
            field(id.to_string().as_bytes());
        }
        field(numbers(self.assignments).as_bytes());
        field(numbers(self.stations).as_bytes());
        hash.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_home_reports_pickers_and_blank_forms_per_station() {
        let forms = ["voting".to_owned(), "incident".to_owned()];
        let pages = pages_to_keep("/m/ke/observer", &forms, &[7, 9]);
        assert_eq!(
            pages,
            [
                "/m/ke/observer",
                "/m/ke/observer/reports",
                "/m/ke/observer/file/voting",
                "/m/ke/observer/file/voting/7",
                "/m/ke/observer/file/voting/9",
                "/m/ke/observer/file/incident",
                "/m/ke/observer/file/incident/7",
                "/m/ke/observer/file/incident/9",
            ]
        );
    }

    #[test]
    fn the_version_changes_with_each_thing_the_pages_show_and_only_then() {
        let forms = vec![("voting".to_owned(), 3), ("incident".to_owned(), 4)];
        let set = KeptSet {
            build: "b1",
            session: b"token",
            lang: "en",
            observer_name: "Amina",
            mission_slug: "ke",
            mission_name: "Kenya 2017",
            time_zone: "Africa/Nairobi",
            forms: &forms,
            assignments: &[12],
            stations: &[7, 9],
        };
        let version = set.version();
        assert_eq!(version.len(), 16);
        assert_eq!(version, set.version(), "the same set, the same version");

        let new_form = vec![("voting".to_owned(), 5), ("incident".to_owned(), 4)];
        let changed = [
            KeptSet { build: "b2", ..set },
            KeptSet {
                session: b"other",
                ..set
            },
            KeptSet { lang: "fr", ..set },
            KeptSet {
                observer_name: "Amina W.",
                ..set
            },
            KeptSet {
                mission_name: "Kenya",
                ..set
            },
            KeptSet {
                time_zone: "UTC",
                ..set
            },
            KeptSet {
                forms: &new_form,
                ..set
            },
            KeptSet {
                assignments: &[12, 13],
                ..set
            },
            KeptSet {
                stations: &[7],
                ..set
            },
            // Fields do not run into each other.
            KeptSet {
                assignments: &[12, 7],
                stations: &[9],
                ..set
            },
        ];
        for other in changed {
            assert_ne!(other.version(), version);
        }
    }
}
