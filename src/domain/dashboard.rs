//! The dashboard's arithmetic: its filters, the figures made from counts, the links from
//! each figure to the reports behind it, and which hours the chart shows.

use std::fmt;

use jiff::tz::TimeZone;

use super::form::{FormKind, Severity};
use super::message::Message;
use super::queue::{Filter, FilterError};
use super::report::local_to_unix;
use super::review::Status;
use crate::i18n::{Lang, Tr};

/// Hours an observer may go without filing before the dashboard lists them, unless the
/// page asks for another figure.
pub const DEFAULT_SILENT_HOURS: i64 = 3;

/// The dashboard's filters: the queue's (region, forms, categories, severities, statuses,
/// time window), with the window in whole hours because the chart counts by the hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardFilter {
    /// Always lists its statuses, so that every link to the queue counts the same reports.
    pub queue: Filter,
    /// [from, to) in unix hours.
    pub hours: Option<(i64, i64)>,
    pub silent_hours: i64,
    /// The chart's window when the page chooses one; it counts nothing else.
    pub chart: Option<ChartWindow>,
}

/// Statuses counted unless the page asks otherwise: a duplicate is the same event as
/// another report, and would count it twice.
pub fn default_statuses() -> Vec<Status> {
    Status::ALL
        .into_iter()
        .filter(|s| *s != Status::Duplicate)
        .collect()
}

/// Why the dashboard's filters cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadFilter {
    /// One of the queue's filters, worded as the queue words it.
    Queue(FilterError),
    /// One of the dashboard's own (the time window, the hours of silence), to be written
    /// in the reader's language.
    Dashboard(Message),
}

impl BadFilter {
    /// What is wrong, in a language.
    pub fn in_language(&self, tr: Tr) -> String {
        match self {
            BadFilter::Queue(error) => error.0.in_language(tr),
            BadFilter::Dashboard(message) => message.in_language(tr),
        }
    }
}

impl fmt::Display for BadFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.in_language(Tr::new(Lang::En)))
    }
}

impl DashboardFilter {
    /// Reads the filters from query-string pairs; times are in the mission's time zone.
    pub fn from_pairs(
        pairs: &[(String, String)],
        time_zone: &str,
    ) -> Result<DashboardFilter, BadFilter> {
        let mut queue = Filter::from_pairs(pairs).map_err(BadFilter::Queue)?;
        // Only the filters the dashboard counts by; the others belong to the queue alone.
        queue.problems_only = false;
        queue.problem.clear();
        queue.observer = None;
        queue.text.clear();
        queue.after = None;
        queue.sort = Default::default();
        if queue.statuses.is_empty() {
            queue.statuses = default_statuses();
        }
        // The messages for a time that is none, and for one off the hour.
        let hour = |text: &str,
                    (not_a_time, off_the_hour): (&'static str, &'static str)|
         -> Result<Option<i64>, BadFilter> {
            if text.is_empty() {
                return Ok(None);
            }
            let refused = |key| BadFilter::Dashboard(Message::new(key).with("text", text));
            let at = local_to_unix(text, time_zone).ok_or_else(|| refused(not_a_time))?;
            if at % 3600 != 0 {
                return Err(refused(off_the_hour));
            }
            Ok(Some(at / 3600))
        };
        let from = hour(
            &queue.from,
            (
                "dashboard.filters.start_not_a_time",
                "dashboard.filters.start_on_the_hour",
            ),
        )?;
        let to = hour(
            &queue.to,
            (
                "dashboard.filters.end_not_a_time",
                "dashboard.filters.end_on_the_hour",
            ),
        )?;
        let hours = match (from, to) {
            (None, None) => None,
            (from, to) => {
                let (from, to) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
                if from >= to {
                    return Err(BadFilter::Dashboard(Message::new(
                        "dashboard.filters.backwards",
                    )));
                }
                Some((from, to))
            }
        };
        let silent_hours = match pairs.iter().find(|(k, _)| k == "silent") {
            None => DEFAULT_SILENT_HOURS,
            Some((_, v)) if v.trim().is_empty() => DEFAULT_SILENT_HOURS,
            Some((_, v)) => match v.trim().parse::<i64>() {
                Ok(n) if (1..=168).contains(&n) => n,
                _ => {
                    return Err(BadFilter::Dashboard(
                        Message::new("dashboard.filters.silent_hours").with("value", v),
                    ));
                }
            },
        };
        let chart = match pairs.iter().find(|(k, _)| k == "chart") {
            None => None,
            Some((_, v)) if v.trim().is_empty() => None,
            Some((_, v)) => Some(ChartWindow::parse(v.trim()).ok_or_else(|| {
                BadFilter::Dashboard(
                    Message::new("dashboard.filters.chart_window").with("value", v),
                )
            })?),
        };
        Ok(DashboardFilter {
            queue,
            hours,
            silent_hours,
            chart,
        })
    }

    /// The query string of the filters (without the region): links keep them.
    pub fn query_string(&self) -> String {
        let mut filter = self.queue.clone();
        filter.region = None;
        if filter.statuses == default_statuses() {
            // Read back as the default: shorter links.
            filter.statuses.clear();
        }
        let mut pairs = filter.pairs();
        if self.silent_hours != DEFAULT_SILENT_HOURS {
            pairs.push(("silent", self.silent_hours.to_string()));
        }
        if let Some(window) = self.chart {
            pairs.push(("chart", window.as_str().to_owned()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The filters with the statuses at their default and nothing else chosen.
    pub fn is_default(&self) -> bool {
        let q = &self.queue;
        q.forms.is_empty()
            && q.categories.is_empty()
            && q.severities.is_empty()
            && q.statuses == default_statuses()
            && self.hours.is_none()
    }

    /// The queue filter behind a figure: these filters narrowed to a part of the reports.
    /// `None` when the narrowing leaves nothing (the figure is then 0 by construction).
    pub fn link(&self, part: &Part) -> Option<Filter> {
        let mut filter = self.queue.clone();
        filter.region = part.region.or(self.queue.region);
        if let Some(forms) = &part.forms {
            filter.forms = narrow(&self.queue.forms, forms)?;
        }
        if let Some(category) = &part.category {
            filter.categories = narrow(&self.queue.categories, std::slice::from_ref(category))?;
        }
        if let Some(severity) = part.severity {
            filter.severities = narrow(&self.queue.severities, &[severity])?;
        }
        if let Some(statuses) = &part.statuses {
            filter.statuses = narrow(&self.queue.statuses, statuses)?;
        }
        filter.problems_only = part.with_problems;
        if let Some(question) = &part.problem {
            filter.problem = question.clone();
        }
        Some(filter)
    }
}

/// A part of the filtered reports, as a figure counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    pub region: Option<i64>,
    pub forms: Option<Vec<String>>,
    pub category: Option<String>,
    pub severity: Option<Severity>,
    pub statuses: Option<Vec<Status>>,
    pub with_problems: bool,
    pub problem: Option<String>,
}

/// The chosen values that are also in `to` (all of `to` when nothing is chosen); `None`
/// when none are.
fn narrow<T: Clone + PartialEq>(chosen: &[T], to: &[T]) -> Option<Vec<T>> {
    let kept: Vec<T> = if chosen.is_empty() {
        to.to_vec()
    } else {
        to.iter().filter(|t| chosen.contains(t)).cloned().collect()
    };
    (!kept.is_empty()).then_some(kept)
}

/// A count of reports sharing values, as the report facts count them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub kind: FormKind,
    pub category: String,
    /// 0 for none.
    pub severity: i64,
    pub status: Option<Status>,
    pub reports: i64,
    pub problem_reports: i64,
}

/// The headline figures of a region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headline {
    pub reports: i64,
    pub checklists: i64,
    pub checklists_with_problems: i64,
    pub incidents: i64,
    pub verified: i64,
    /// Critical reports nobody has reviewed yet (still received).
    pub critical_unreviewed: i64,
}

impl Headline {
    pub fn of(counts: &[Count]) -> Headline {
        let mut h = Headline::default();
        for c in counts {
            h.reports += c.reports;
            match c.kind {
                FormKind::Checklist => {
                    h.checklists += c.reports;
                    h.checklists_with_problems += c.problem_reports;
                }
                FormKind::Incident => h.incidents += c.reports,
            }
            if c.status == Some(Status::Verified) {
                h.verified += c.reports;
            }
            if c.status == Some(Status::Received) && c.severity == Severity::Critical.rank() {
                h.critical_unreviewed += c.reports;
            }
        }
        h
    }
}

/// Incidents of one category, by severity, most severe first: [critical, high, medium,
/// low, none].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryLine {
    pub category: String,
    pub by_severity: [i64; 5],
    pub total: i64,
}

/// The column of a severity rank in `by_severity` arrays (critical first, none last).
pub fn severity_column(rank: i64) -> usize {
    match rank {
        4 => 0,
        3 => 1,
        2 => 2,
        1 => 3,
        _ => 4,
    }
}

/// The severities of the columns, in order; `None` for "no severity".
pub const SEVERITY_COLUMNS: [Option<Severity>; 5] = [
    Some(Severity::Critical),
    Some(Severity::High),
    Some(Severity::Medium),
    Some(Severity::Low),
    None,
];

/// Incidents by category and severity, the commonest category first.
pub fn categories(counts: &[Count]) -> Vec<CategoryLine> {
    let mut lines: Vec<CategoryLine> = Vec::new();
    for c in counts.iter().filter(|c| c.kind == FormKind::Incident) {
        let index = match lines.iter().position(|l| l.category == c.category) {
            Some(i) => i,
            None => {
                lines.push(CategoryLine {
                    category: c.category.clone(),
                    by_severity: [0; 5],
                    total: 0,
                });
                lines.len() - 1
            }
        };
        let line = &mut lines[index];
        line.by_severity[severity_column(c.severity)] += c.reports;
        line.total += c.reports;
    }
    lines.sort_by(|a, b| b.total.cmp(&a.total).then(a.category.cmp(&b.category)));
    lines
}

/// The report figures of one region in the by-region table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionFigures {
    pub reports: i64,
    pub checklists: i64,
    pub checklists_with_problems: i64,
    pub incidents: i64,
    pub incidents_by_severity: [i64; 5],
}

impl RegionFigures {
    pub fn add(&mut self, kind: FormKind, severity: i64, reports: i64, problem_reports: i64) {
        self.reports += reports;
        match kind {
            FormKind::Checklist => {
                self.checklists += reports;
                self.checklists_with_problems += problem_reports;
            }
            FormKind::Incident => {
                self.incidents += reports;
                self.incidents_by_severity[severity_column(severity)] += reports;
            }
        }
    }

    /// Checklists flagging a problem, as a share of checklists (None without any).
    pub fn problem_rate(&self) -> Option<Share> {
        Share::of(self.checklists_with_problems, self.checklists)
    }
}

/// A part of a whole, shown as a percentage with the n it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub part: i64,
    pub whole: i64,
}

impl Share {
    pub fn of(part: i64, whole: i64) -> Option<Share> {
        (whole > 0).then_some(Share { part, whole })
    }

    /// Per thousand, for sorting without floating point.
    pub fn permille(self) -> i64 {
        self.part * 1000 / self.whole.max(1)
    }

    /// "37%", or "<1%" for a few among many, so that a real problem never reads as 0%
    /// (as the language writes them: "37 %" in French).
    pub fn percent(self, tr: Tr) -> String {
        let percent = self.part * 100 / self.whole.max(1);
        if percent == 0 && self.part > 0 {
            tr.t("dashboard.under_one_percent").to_owned()
        } else {
            tr.fill("dashboard.percent", &[("n", &percent.to_string())])
        }
    }
}

/// A checklist question with a problem answer, and where the problem was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub form_key: String,
    pub form_title: String,
    pub question_key: String,
    pub label: String,
    /// Stations where it was seen among the stations observed with the form, for the
    /// mission and for the region looked at.
    pub mission: Option<Share>,
    pub region: Option<Share>,
}

/// Orders indicators by the share in the region looked at, the most widespread first;
/// those without observations last.
pub fn sort_indicators(indicators: &mut [Indicator]) {
    indicators.sort_by(|a, b| {
        let key = |i: &Indicator| i.region.map_or(-1, Share::permille);
        key(b)
            .cmp(&key(a))
            .then(a.form_title.cmp(&b.form_title))
            .then(a.label.cmp(&b.label))
    });
}

/// Which hours the chart draws when the filters choose no time window of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartWindow {
    /// Polling day and the days around it: see [`election_period`].
    ElectionPeriod,
    /// The seven days up to now.
    LastWeek,
    /// From the first report to the last, a bar a day once that is more than a week.
    WholeMission,
}

impl ChartWindow {
    pub const ALL: [ChartWindow; 3] = [
        ChartWindow::ElectionPeriod,
        ChartWindow::LastWeek,
        ChartWindow::WholeMission,
    ];

    /// The value in the page's address (`chart=`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChartWindow::ElectionPeriod => "election",
            ChartWindow::LastWeek => "week",
            ChartWindow::WholeMission => "all",
        }
    }

    pub fn parse(text: &str) -> Option<ChartWindow> {
        ChartWindow::ALL.into_iter().find(|w| w.as_str() == text)
    }
}

/// Days of the election period before election day (the end of the campaign, when
/// incidents come) and after it (the count through the night, then the tallying and the
/// results): a week in all, drawn by the hour.
pub const DAYS_BEFORE_ELECTION: i64 = 3;
pub const DAYS_AFTER_ELECTION: i64 = 3;

/// The election period in unix hours, [from, to): from midnight at the start of the third
/// day before election day to midnight at the end of the third day after it, in the mission's
/// time zone (whole hours around it where the zone's offset is not whole hours). `None`
/// when the date or the zone cannot be read.
pub fn election_period(election_date: &str, time_zone: &str) -> Option<(i64, i64)> {
    let day: jiff::civil::Date = election_date.trim().parse().ok()?;
    let zone = TimeZone::get(time_zone).ok()?;
    let midnight = |days: i64| -> Option<i64> {
        let date = day.checked_add(jiff::Span::new().days(days)).ok()?;
        let at = zone
            .to_ambiguous_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .compatible()
            .ok()?;
        Some(at.as_second())
    };
    let from = midnight(-DAYS_BEFORE_ELECTION)?;
    let to = midnight(DAYS_AFTER_ELECTION + 1)?;
    Some((from.div_euclid(3600), (to + 3599).div_euclid(3600)))
}

/// The hours a chart draws, and the choice of window they come from (`None` when the
/// filters' own time window decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartSpan {
    pub hours: (i64, i64),
    pub window: Option<ChartWindow>,
}

/// The hours to draw for reports per hour `points` (sorted, `(unix hour, reports)`):
/// the filters' time window when they have one, as far as reports go; else the window
/// chosen, by default the election period once it has begun (a late report does not move
/// it) and the last seven days before then. At least a day. `None` without reports.
pub fn chart_span(
    points: &[(i64, i64)],
    filter_hours: Option<(i64, i64)>,
    chosen: Option<ChartWindow>,
    election: Option<(i64, i64)>,
    now_hour: i64,
) -> Option<ChartSpan> {
    let (first, last) = (points.first()?.0, points.last()?.0);
    let last_week = (now_hour + 1 - 7 * 24, now_hour + 1);
    let (hours, window) = match filter_hours {
        Some((from, to)) => ((from.max(first), to.min(last + 1)), None),
        None => {
            let begun = election.filter(|(from, _)| now_hour >= *from);
            let window = chosen.unwrap_or(if begun.is_some() {
                ChartWindow::ElectionPeriod
            } else {
                ChartWindow::LastWeek
            });
            let hours = match (window, election) {
                (ChartWindow::ElectionPeriod, Some(period)) => period,
                (ChartWindow::ElectionPeriod, None) | (ChartWindow::LastWeek, _) => last_week,
                (ChartWindow::WholeMission, _) => (first, last + 1),
            };
            (hours, Some(window))
        }
    };
    let (mut start, end) = hours;
    if end - start < 24 {
        start = end - 24;
    }
    Some(ChartSpan {
        hours: (start, end),
        window,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn count(
        kind: FormKind,
        category: &str,
        severity: i64,
        status: Status,
        n: i64,
        p: i64,
    ) -> Count {
        Count {
            kind,
            category: category.to_owned(),
            severity,
            status: Some(status),
            reports: n,
            problem_reports: p,
        }
    }

    #[test]
    fn statuses_default_to_all_but_duplicates_and_windows_are_whole_hours() {
        let filter = DashboardFilter::from_pairs(&[], "Africa/Nairobi").expect("valid");
        assert_eq!(filter.queue.statuses, default_statuses());
        assert!(!filter.queue.statuses.contains(&Status::Duplicate));
        assert!(filter.is_default());

        let window = DashboardFilter::from_pairs(
            &pairs(&[("from", "2017-08-08T06:00"), ("to", "2017-08-08T18:00")]),
            "Africa/Nairobi",
        )
        .expect("valid");
        // 06:00 in Nairobi is 03:00 UTC.
        let six = 1_502_161_200 / 3600;
        assert_eq!(window.hours, Some((six, six + 12)));

        let error = DashboardFilter::from_pairs(&pairs(&[("from", "2017-08-08T06:30")]), "UTC")
            .expect_err("not on the hour");
        assert_eq!(
            error.to_string(),
            "The dashboard counts reports by the hour: give the start time on the hour (e.g. 06:00), not `2017-08-08T06:30`."
        );
        assert!(
            error
                .in_language(Tr::new(Lang::Fr))
                .contains("heure de début pile"),
            "{error:?}"
        );
        // No time at all where the time zone is unknown.
        let error =
            DashboardFilter::from_pairs(&pairs(&[("to", "2017-08-08T08:00")]), "Nowhere/City")
                .expect_err("not a time");
        assert_eq!(
            error.to_string(),
            "The end time `2017-08-08T08:00` is not a time."
        );
        let error = DashboardFilter::from_pairs(
            &pairs(&[("from", "2017-08-08T09:00"), ("to", "2017-08-08T08:00")]),
            "UTC",
        )
        .expect_err("backwards");
        assert!(error.to_string().contains("ends before"), "{error}");
        assert_eq!(
            error.in_language(Tr::new(Lang::Fr)),
            "La période se termine avant de commencer. Vérifiez les deux heures."
        );
        let error =
            DashboardFilter::from_pairs(&pairs(&[("silent", "0")]), "UTC").expect_err("0 hours");
        assert_eq!(
            error.to_string(),
            "`0` is not a number of hours from 1 to 168."
        );
        let error = DashboardFilter::from_pairs(&pairs(&[("severity", "enormous")]), "UTC")
            .expect_err("the queue's filter");
        assert!(matches!(error, BadFilter::Queue(_)), "{error:?}");
        assert_eq!(
            DashboardFilter::from_pairs(&pairs(&[("silent", "12")]), "UTC")
                .expect("valid")
                .silent_hours,
            12
        );
    }

    #[test]
    fn links_narrow_the_filters_and_vanish_when_nothing_is_left() {
        let filter = DashboardFilter::from_pairs(
            &pairs(&[
                ("form", "voting"),
                ("form", "incident"),
                ("severity", "high"),
            ]),
            "UTC",
        )
        .expect("valid");
        let checklists = filter
            .link(&Part {
                forms: Some(vec!["opening".into(), "voting".into()]),
                region: Some(7),
                ..Part::default()
            })
            .expect("voting is left");
        assert_eq!(checklists.forms, vec!["voting".to_owned()]);
        assert_eq!(checklists.region, Some(7));
        assert_eq!(checklists.severities, vec![Severity::High]);
        assert_eq!(checklists.statuses, default_statuses());
        assert_eq!(
            filter.link(&Part {
                severity: Some(Severity::Low),
                ..Part::default()
            }),
            None,
            "low is outside the chosen severities"
        );
        let verified = filter
            .link(&Part {
                statuses: Some(vec![Status::Verified]),
                ..Part::default()
            })
            .expect("verified is counted");
        assert_eq!(verified.statuses, vec![Status::Verified]);
    }

    #[test]
    fn headline_and_categories_add_up_by_hand() {
        let counts = [
            count(FormKind::Checklist, "", 0, Status::Received, 10, 0),
            count(FormKind::Checklist, "", 3, Status::Verified, 4, 4),
            count(FormKind::Incident, "violence", 4, Status::Received, 2, 0),
            count(FormKind::Incident, "violence", 4, Status::Verified, 1, 0),
            count(FormKind::Incident, "violence", 2, Status::Received, 3, 0),
            count(
                FormKind::Incident,
                "vote_buying",
                3,
                Status::Dismissed,
                5,
                0,
            ),
        ];
        let h = Headline::of(&counts);
        assert_eq!(
            h,
            Headline {
                reports: 25,
                checklists: 14,
                checklists_with_problems: 4,
                incidents: 11,
                verified: 5,
                critical_unreviewed: 2,
            }
        );
        let lines = categories(&counts);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].category, "violence");
        assert_eq!(lines[0].by_severity, [3, 0, 3, 0, 0]);
        assert_eq!(lines[1].by_severity, [0, 5, 0, 0, 0]);
    }

    #[test]
    fn shares_never_round_a_real_problem_to_zero() {
        let (en, fr) = (Tr::new(Lang::En), Tr::new(Lang::Fr));
        let percent = |part, whole, tr| Share::of(part, whole).map(|s| s.percent(tr));
        assert_eq!(percent(1, 400, en), Some("<1%".into()));
        assert_eq!(percent(0, 400, en), Some("0%".into()));
        assert_eq!(percent(37, 100, en), Some("37%".into()));
        assert_eq!(percent(37, 100, fr), Some("37\u{202f}%".into()));
        assert_eq!(percent(1, 400, fr), Some("<1\u{202f}%".into()));
        assert_eq!(Share::of(3, 0), None);
        let mut indicators: Vec<Indicator> = [(1, 10), (5, 10), (0, 0)]
            .iter()
            .enumerate()
            .map(|(i, &(part, whole))| Indicator {
                form_key: "voting".into(),
                form_title: "Voting".into(),
                question_key: format!("q{i}"),
                label: format!("Q{i}"),
                mission: None,
                region: Share::of(part, whole),
            })
            .collect();
        sort_indicators(&mut indicators);
        let order: Vec<&str> = indicators.iter().map(|i| i.question_key.as_str()).collect();
        assert_eq!(order, ["q1", "q0", "q2"]);
    }

    /// 8 Aug 2017 06:00 in Nairobi (UTC+3), in unix hours.
    const SIX: i64 = 1_502_161_200 / 3600;

    #[test]
    fn the_election_period_is_polling_day_and_three_days_either_side() {
        // 5 Aug 2017 00:00 to 12 Aug 2017 00:00 in Nairobi (UTC+3).
        let midnight = SIX - 6;
        assert_eq!(
            election_period("2017-08-08", "Africa/Nairobi"),
            Some((midnight - 3 * 24, midnight + 4 * 24))
        );
        // Kathmandu is UTC+5:45: the whole hours around the period.
        let (from, to) = election_period("2017-08-08", "Asia/Kathmandu").expect("a period");
        // Midnight there is 18:15 UTC the day before: the period starts at 18:00 UTC.
        assert_eq!(from, midnight - 3 * 24 - 3);
        assert_eq!(to - from, 7 * 24 + 1);
        assert_eq!(election_period("08/08/2017", "Africa/Nairobi"), None);
        assert_eq!(election_period("2017-08-08", "Nowhere/City"), None);
    }

    #[test]
    fn the_chart_window_is_read_from_the_address_and_kept_in_links() {
        let filter =
            DashboardFilter::from_pairs(&pairs(&[("chart", "all")]), "UTC").expect("valid");
        assert_eq!(filter.chart, Some(ChartWindow::WholeMission));
        assert!(filter.is_default(), "the chart's window filters no report");
        assert_eq!(filter.query_string(), "chart=all");
        assert_eq!(
            DashboardFilter::from_pairs(&[], "UTC")
                .expect("valid")
                .chart,
            None
        );
        let error = DashboardFilter::from_pairs(&pairs(&[("chart", "year")]), "UTC")
            .expect_err("not a window");
        assert!(
            error
                .to_string()
                .contains("`year` is not a window of the chart"),
            "{error}"
        );
        for window in ChartWindow::ALL {
            assert_eq!(ChartWindow::parse(window.as_str()), Some(window));
        }
    }
}
