//! The review queue's filters: read from a query string, written back into links, so that
//! a view of the queue can be shared as a link.

use super::answers::parse_local_minute;
use super::form::Severity;
use super::lookup::MAX_TEXT;
use super::message::Message;
use super::review::Status;

/// How the queue is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first, by arrival.
    #[default]
    Newest,
    /// Most severe first, newest first within a severity.
    Severity,
}

/// Where a page of the queue starts: after this (severity rank, arrival number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub severity: i64,
    pub seq: i64,
}

/// Every filter of the queue, as typed. Empty means "any".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub region: Option<i64>,
    pub forms: Vec<String>,
    pub categories: Vec<String>,
    pub severities: Vec<Severity>,
    pub statuses: Vec<Status>,
    pub problems_only: bool,
    /// Only reports whose answer to this question (a key) is a problem.
    pub problem: String,
    pub observer: Option<i64>,
    /// An observer as typed (a name, a username, a phone number), to look up.
    pub who: String,
    /// A place as typed (a name or a code, at any level), to look up.
    pub place: String,
    /// Received at or after, as typed (`2017-08-08T06:00`) in the mission's time zone.
    pub from: String,
    /// Received before, as typed.
    pub to: String,
    pub text: String,
    pub sort: Sort,
    pub after: Option<Cursor>,
}

/// A filter value that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub Message);

/// A filter value that cannot be read: the message (`review.filter.severity`, in the
/// catalogue) names the filter, with the value as given.
fn bad(message: &'static str, value: &str) -> FilterError {
    FilterError(Message::new(message).with("value", value))
}

impl Filter {
    /// Reads a filter from query-string pairs. Unknown names are ignored (links from
    /// older pages keep working); malformed values are refused.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<Filter, FilterError> {
        let mut filter = Filter::default();
        for (name, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match name.as_str() {
                "region" => {
                    filter.region = Some(
                        value
                            .parse()
                            .map_err(|_| bad("review.filter.place", value))?,
                    )
                }
                "form" => filter.forms.push(value.to_owned()),
                "category" => filter.categories.push(value.to_owned()),
                "severity" => filter.severities.push(
                    Severity::parse(value).ok_or_else(|| bad("review.filter.severity", value))?,
                ),
                "status" => filter
                    .statuses
                    .push(Status::parse(value).ok_or_else(|| bad("review.filter.status", value))?),
                "problems" => filter.problems_only = value == "1" || value == "on",
                "problem" => {
                    let is_key = value.len() <= 64
                        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !is_key {
                        return Err(bad("review.filter.problem", value));
                    }
                    filter.problem = value.to_owned();
                }
                "observer" => {
                    filter.observer = Some(
                        value
                            .parse()
                            .map_err(|_| bad("review.filter.observer", value))?,
                    )
                }
                "from" => {
                    parse_local_minute(value).ok_or_else(|| bad("review.filter.from", value))?;
                    filter.from = value.to_owned();
                }
                "to" => {
                    parse_local_minute(value).ok_or_else(|| bad("review.filter.to", value))?;
                    filter.to = value.to_owned();
                }
                "who" => filter.who = value.chars().take(MAX_TEXT).collect(),
                "place" => filter.place = value.chars().take(MAX_TEXT).collect(),
                "q" => filter.text = value.chars().take(200).collect(),
                "sort" => {
                    filter.sort = match value {
                        "newest" => Sort::Newest,
                        "severity" => Sort::Severity,
                        _ => return Err(bad("review.filter.sort", value)),
                    }
                }
                "after" => {
                    let (severity, seq) = value
                        .split_once('.')
                        .ok_or_else(|| bad("review.filter.page", value))?;
                    let cursor = Cursor {
                        severity: severity
                            .parse()
                            .map_err(|_| bad("review.filter.page", value))?,
                        seq: seq.parse().map_err(|_| bad("review.filter.page", value))?,
                    };
                    filter.after = Some(cursor);
                }
                _ => {}
            }
        }
        // A search typed into the form is newer than the choice the form also carries:
        // it replaces it.
        if !filter.who.is_empty() {
            filter.observer = None;
        }
        if !filter.place.is_empty() {
            filter.region = None;
        }
        Ok(filter)
    }

    /// A filter carried from the queue to a report page and its actions. Not the reviewer's
    /// typing but a link's: anything unreadable in it means the whole queue, never an
    /// error, and what reaches a later address is only what this rebuilds.
    pub fn carried(query: &str) -> Filter {
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .ok()
            .and_then(|pairs| Filter::from_pairs(&pairs).ok())
            .map(|filter| Filter {
                after: None,
                ..filter
            })
            .unwrap_or_default()
    }

    /// The filter as query-string pairs, without the page cursor.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(region) = self.region {
            pairs.push(("region", region.to_string()));
        }
        pairs.extend(self.forms.iter().map(|f| ("form", f.clone())));
        pairs.extend(self.categories.iter().map(|c| ("category", c.clone())));
        pairs.extend(
            self.severities
                .iter()
                .map(|s| ("severity", s.as_str().to_owned())),
        );
        pairs.extend(
            self.statuses
                .iter()
                .map(|s| ("status", s.as_str().to_owned())),
        );
        if self.problems_only {
            pairs.push(("problems", "1".to_owned()));
        }
        if !self.problem.is_empty() {
            pairs.push(("problem", self.problem.clone()));
        }
        if let Some(observer) = self.observer {
            pairs.push(("observer", observer.to_string()));
        }
        for (name, value) in [
            ("who", &self.who),
            ("place", &self.place),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.text),
        ] {
            if !value.is_empty() {
                pairs.push((name, value.clone()));
            }
        }
        if self.sort == Sort::Severity {
            pairs.push(("sort", "severity".to_owned()));
        }
        pairs
    }

    /// The query string of this filter (no cursor), for links.
    pub fn query_string(&self) -> String {
        serde_urlencoded::to_string(self.pairs()).unwrap_or_default()
    }

    /// The same filter narrowed to one observer, found by a search.
    pub fn with_observer(&self, observer: i64) -> Filter {
        Filter {
            observer: Some(observer),
            who: String::new(),
            after: None,
            ..self.clone()
        }
    }

    /// The same filter narrowed to one place, found by a search.
    pub fn with_region(&self, region: i64) -> Filter {
        Filter {
            region: Some(region),
            place: String::new(),
            after: None,
            ..self.clone()
        }
    }

    /// The same filter with the statuses replaced: the links behind the status counts.
    pub fn with_statuses(&self, statuses: Vec<Status>) -> Filter {
        Filter {
            statuses,
            after: None,
            ..self.clone()
        }
    }
}

/// Turns typed words into an FTS5 query that matches reports containing every word (or a
/// word starting with it). Quotes keep FTS5 syntax out of the user's hands.
pub fn text_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn filters_round_trip_through_the_query_string() {
        let filter = Filter::from_pairs(&pairs(&[
            ("region", "12"),
            ("form", "voting"),
            ("form", "incident"),
            ("category", "violence"),
            ("severity", "high"),
            ("severity", "critical"),
            ("status", "received"),
            ("problems", "1"),
            ("observer", "7"),
            ("from", "2017-08-08T06:00"),
            ("to", "2017-08-08T18:00"),
            ("q", "stones thrown"),
            ("sort", "severity"),
            ("unknown", "ignored"),
        ]))
        .expect("valid");
        assert_eq!(filter.severities, [Severity::High, Severity::Critical]);
        let again: Vec<(String, String)> =
            serde_urlencoded::from_str(&filter.query_string()).expect("decode");
        assert_eq!(Filter::from_pairs(&again).expect("valid"), filter);
    }

    #[test]
    fn empty_values_mean_any_and_bad_values_are_refused() {
        assert_eq!(
            Filter::from_pairs(&pairs(&[("region", ""), ("status", " ")])),
            Ok(Filter::default())
        );
        for (name, value) in [
            ("region", "x"),
            ("severity", "dire"),
            ("status", "lost"),
            ("from", "yesterday"),
            ("sort", "random"),
            ("after", "1"),
        ] {
            let error = Filter::from_pairs(&pairs(&[(name, value)])).expect_err("refused");
            assert!(error.to_string().contains(value), "{name}");
        }
        let cursor = Filter::from_pairs(&pairs(&[("after", "3.1200")])).expect("cursor");
        assert_eq!(
            cursor.after,
            Some(Cursor {
                severity: 3,
                seq: 1200
            })
        );
        assert!(
            !cursor.query_string().contains("after"),
            "links start at the first page"
        );
    }

    #[test]
    fn a_typed_search_replaces_the_choice_it_came_with() {
        let typed = Filter::from_pairs(&pairs(&[
            ("observer", "7"),
            ("who", " Zawadi "),
            ("region", "12"),
            ("place", "Kangemi"),
        ]))
        .expect("valid");
        assert_eq!((typed.observer, typed.who.as_str()), (None, "Zawadi"));
        assert_eq!((typed.region, typed.place.as_str()), (None, "Kangemi"));
        let chosen = typed.with_observer(31).with_region(4);
        assert_eq!(chosen.query_string(), "region=4&observer=31");
        let kept = Filter::from_pairs(&pairs(&[("observer", "7"), ("who", "")])).expect("valid");
        assert_eq!(
            kept.observer,
            Some(7),
            "an empty search box changes nothing"
        );
    }

    #[test]
    fn a_carried_filter_is_rebuilt_or_dropped() {
        let carried = Filter::carried("form=voting&status=received&sort=severity&after=3.9");
        assert_eq!(
            carried.query_string(),
            "form=voting&status=received&sort=severity"
        );
        for unreadable in [
            "region=x",
            "status=lost&form=voting",
            "form=voting&region=1%20OR%201",
        ] {
            assert_eq!(
                Filter::carried(unreadable),
                Filter::default(),
                "{unreadable}"
            );
        }
        assert_eq!(
            Filter::carried("form=voting&next=//evil.example").query_string(),
            "form=voting",
            "unknown names are left behind"
        );
    }

    #[test]
    fn text_queries_are_quoted_words() {
        assert_eq!(
            text_query("stones, thrown!").as_deref(),
            Some("\"stones\"* \"thrown\"*")
        );
        assert_eq!(
            text_query("\"OR NEAR("),
            Some("\"OR\"* \"NEAR\"*".to_owned())
        );
        assert_eq!(text_query("  ...  "), None);
        assert_eq!(
            text_query("shillingi 200").as_deref(),
            Some("\"shillingi\"* \"200\"*")
        );
    }
}
