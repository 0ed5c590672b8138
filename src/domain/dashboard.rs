//! The dashboard's arithmetic: its filters, the figures made from tallies, the links from
//! each figure to the reports behind it, and the geometry of the chart and the map.

use std::fmt;

use jiff::Timestamp;
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
/// time window), with the window in whole hours because the tallies count by the hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardFilter {
    /// Always lists its statuses, so that every link to the queue counts the same reports.
    pub queue: Filter,
    /// [from, to) in unix hours.
    pub hours: Option<(i64, i64)>,
    pub silent_hours: i64,
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
        // Only the filters the tallies know; the others belong to the queue alone.
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
        Ok(DashboardFilter {
            queue,
            hours,
            silent_hours,
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

    /// The statuses polling-station figures count: the chosen ones that stand (neither
    /// dismissed nor a duplicate: a station is not visited on the strength of a report
    /// set aside).
    pub fn station_statuses(&self) -> Vec<Status> {
        self.queue
            .statuses
            .iter()
            .copied()
            .filter(|s| !matches!(s, Status::Dismissed | Status::Duplicate))
            .collect()
    }

    /// Whether the polling-station figures are the kept ones (standing reports of the
    /// chosen forms), or must be counted under the other filters.
    pub fn stations_as_kept(&self) -> bool {
        let standing = [Status::Received, Status::Escalated, Status::Verified];
        let statuses = self.station_statuses();
        self.queue.categories.is_empty()
            && self.queue.severities.is_empty()
            && self.hours.is_none()
            && standing.iter().all(|s| statuses.contains(s))
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

/// A count of reports sharing values, as read from the tallies.
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

/// A bar chart of reports per hour, drawn in SVG units.
#[derive(Debug, Clone, PartialEq)]
pub struct HourChart {
    pub width: i64,
    pub height: i64,
    pub bars: Vec<Bar>,
    /// Labels under the axis: (x, text).
    pub ticks: Vec<(i64, String)>,
    pub max: i64,
    /// Reports earlier than the hours drawn (the chart shows at most a week).
    pub earlier: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    /// What a pointer or a screen reader says: "8 Aug 14:00: 120 reports".
    pub title: String,
}

/// The catalogue keys of the short month names, January first.
const SHORT_MONTHS: [&str; 12] = [
    "dashboard.month.1",
    "dashboard.month.2",
    "dashboard.month.3",
    "dashboard.month.4",
    "dashboard.month.5",
    "dashboard.month.6",
    "dashboard.month.7",
    "dashboard.month.8",
    "dashboard.month.9",
    "dashboard.month.10",
    "dashboard.month.11",
    "dashboard.month.12",
];

/// A day as the chart's labels write it: "8 Aug", "8 août".
fn short_day(tr: Tr, day: i8, month: i8) -> String {
    let month = usize::try_from(month - 1).map_or("", |i| SHORT_MONTHS[i % 12]);
    tr.fill(
        "dashboard.chart.day",
        &[("day", &day.to_string()), ("month", tr.t(month))],
    )
}

/// Hours drawn at most: a week either side of polling day is what a mission reads.
const CHART_HOURS: i64 = 168;
const PLOT_HEIGHT: i64 = 120;

/// Lays out reports per hour `(unix hour, reports)` as bars, over the time window if one
/// is chosen, else over the hours with reports (at least a day, at most a week: the last).
/// Its labels are in the language of `tr`.
pub fn hour_chart(
    points: &[(i64, i64)],
    window: Option<(i64, i64)>,
    time_zone: &str,
    tr: Tr,
) -> Option<HourChart> {
    let (first, last) = (points.first()?.0, points.last()?.0);
    let (mut start, mut end) = match window {
        Some((from, to)) => (from.max(first), to.min(last + 1)),
        None => (first, last + 1),
    };
    if end - start < 24 {
        start = end - 24;
    }
    if end - start > CHART_HOURS {
        start = end - CHART_HOURS;
    }
    end = end.max(start + 1);
    let span = end - start;
    let bar = (720 / span).clamp(2, 30);
    let width = bar * span;
    let max = points
        .iter()
        .filter(|(h, _)| (start..end).contains(h))
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    let earlier = points
        .iter()
        .filter(|(h, _)| *h < start)
        .map(|(_, n)| n)
        .sum();
    let zone = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    let local = |hour: i64| {
        Timestamp::from_second(hour * 3600)
            .map(|t| t.to_zoned_datetime(zone.clone()))
            .ok()
    };
    let bars = points
        .iter()
        .filter(|(h, _)| (start..end).contains(h))
        .map(|&(hour, n)| {
            let height = (n * PLOT_HEIGHT / max.max(1)).max(1);
            let when = local(hour).map_or_else(String::new, |z| {
                format!(
                    "{} {}",
                    short_day(tr, z.day(), z.month()),
                    z.strftime("%H:%M")
                )
            });
            Bar {
                x: (hour - start) * bar,
                y: PLOT_HEIGHT - height,
                width: (bar - 1).max(1),
                height,
                title: tr.n("dashboard.chart.bar", n).replace("{when}", &when),
            }
        })
        .collect();
    // A label every 6 hours of local time (every day on a week-long chart).
    let every = if span > 72 { 24 } else { 6 };
    let ticks = (start..end)
        .filter_map(|hour| {
            let z = local(hour)?;
            (i64::from(z.hour()) % every == 0).then(|| {
                let text = if z.hour() == 0 {
                    short_day(tr, z.day(), z.month())
                } else {
                    z.strftime("%H:%M").to_string()
                };
                ((hour - start) * bar, text)
            })
        })
        .collect();
    Some(HourChart {
        width,
        height: PLOT_HEIGHT,
        bars,
        ticks,
        max,
        earlier,
    })
}

/// A station on the map: where, and the worst severity of its standing reports (0 none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapPoint {
    pub latitude: f64,
    pub longitude: f64,
    pub reports: i64,
    pub worst: i64,
}

/// The map, drawn as one SVG path of dots per colour: small enough for 40,000 stations.
#[derive(Debug, Clone, PartialEq)]
pub struct MapDrawing {
    pub width: i64,
    pub height: i64,
    /// (class, path data, stations drawn): stations without reports first, so that the
    /// reported ones are drawn on top, the most severe last.
    pub layers: Vec<(&'static str, String, usize)>,
}

const MAP_WIDTH: f64 = 600.0;
const MAP_MARGIN: f64 = 8.0;

/// Projects the stations (equirectangular, scaled at their mean latitude: fine at the
/// scale of a country) and groups their dots by colour.
pub fn draw_map(points: &[MapPoint]) -> Option<MapDrawing> {
    let first = points.first()?;
    let (mut south, mut north, mut west, mut east) = (
        first.latitude,
        first.latitude,
        first.longitude,
        first.longitude,
    );
    for p in points {
        south = south.min(p.latitude);
        north = north.max(p.latitude);
        west = west.min(p.longitude);
        east = east.max(p.longitude);
    }
    let scale_x = ((south + north) / 2.0).to_radians().cos().max(0.1);
    let (span_x, span_y) = (
        ((east - west) * scale_x).max(0.01),
        (north - south).max(0.01),
    );
    let scale = (MAP_WIDTH - 2.0 * MAP_MARGIN) / span_x.max(span_y);
    let width = span_x * scale + 2.0 * MAP_MARGIN;
    let height = span_y * scale + 2.0 * MAP_MARGIN;
    const CLASSES: [&str; 6] = ["none", "reported", "low", "medium", "high", "critical"];
    let mut layers: Vec<(&'static str, String, usize)> =
        CLASSES.iter().map(|c| (*c, String::new(), 0)).collect();
    for p in points {
        let class = if p.reports == 0 {
            0
        } else {
            1 + usize::try_from(p.worst.clamp(0, 4)).unwrap_or(0)
        };
        let x = (p.longitude - west) * scale_x * scale + MAP_MARGIN;
        let y = (north - p.latitude) * scale + MAP_MARGIN;
        // A zero-length line with round caps is a dot.
        let layer = &mut layers[class];
        layer.1.push_str(&format!("M{x:.1} {y:.1}h0"));
        layer.2 += 1;
    }
    layers.retain(|(_, _, drawn)| *drawn > 0);
    Some(MapDrawing {
        width: width.round() as i64,
        height: height.round() as i64,
        layers,
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
        assert!(filter.stations_as_kept());
        assert_eq!(
            filter.station_statuses(),
            [Status::Received, Status::Escalated, Status::Verified]
        );
        let verified =
            DashboardFilter::from_pairs(&pairs(&[("status", "verified")]), "UTC").expect("valid");
        assert!(!verified.stations_as_kept());
        let with_dismissed = DashboardFilter::from_pairs(
            &pairs(&[
                ("status", "dismissed"),
                ("status", "received"),
                ("status", "escalated"),
                ("status", "verified"),
                ("form", "voting"),
            ]),
            "UTC",
        )
        .expect("valid");
        assert!(
            with_dismissed.stations_as_kept(),
            "dismissed reports never count for stations"
        );

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

    #[test]
    fn the_chart_spans_the_hours_with_reports_and_labels_local_time() {
        // 8 Aug 2017 06:00 and 09:00 in Nairobi (UTC+3).
        let six = 1_502_161_200 / 3600;
        let en = Tr::new(Lang::En);
        let chart =
            hour_chart(&[(six, 10), (six + 3, 40)], None, "Africa/Nairobi", en).expect("a chart");
        assert_eq!(chart.max, 40);
        assert_eq!(chart.bars.len(), 2);
        assert_eq!(chart.bars[1].height, PLOT_HEIGHT);
        assert_eq!(chart.bars[0].height, PLOT_HEIGHT / 4);
        assert!(
            chart.bars[1].title.starts_with("8 Aug 09:00: 40 reports"),
            "{}",
            chart.bars[1].title
        );
        // At least a day is drawn, ending after the last report.
        assert_eq!(chart.width / 30, 24);
        assert!(chart.ticks.iter().any(|(_, t)| t == "06:00"));
        assert!(chart.ticks.iter().any(|(_, t)| t == "8 Aug"));
        assert_eq!(hour_chart(&[], None, "UTC", en), None);

        // More than a week: the last week is drawn, and what came before is counted.
        let long = [(six - 500, 7), (six, 1)];
        let chart = hour_chart(&long, None, "UTC", en).expect("a chart");
        assert_eq!(chart.earlier, 7);
        assert_eq!(chart.bars.len(), 1);
        assert_eq!(chart.bars[0].title, "8 Aug 03:00: 1 report");

        // In French: its month names, its plurals, its numbers.
        let fr = Tr::new(Lang::Fr);
        let chart = hour_chart(&[(six, 1), (six + 18, 1_200)], None, "Africa/Nairobi", fr)
            .expect("a chart");
        assert_eq!(chart.bars[0].title, "8 août 06:00 : 1 rapport");
        assert_eq!(chart.bars[1].title, "9 août 00:00 : 1\u{202f}200 rapports");
        assert!(
            chart.ticks.iter().any(|(_, t)| t == "9 août"),
            "{:?}",
            chart.ticks
        );
        let december = 1_514_678_400 / 3600; // 31 Dec 2017 00:00 UTC
        let chart = hour_chart(&[(december, 2)], None, "UTC", fr).expect("a chart");
        assert_eq!(chart.bars[0].title, "31 déc. 00:00 : 2 rapports");
    }

    #[test]
    fn the_map_groups_dots_by_worst_severity() {
        let points = [
            MapPoint {
                latitude: -1.29,
                longitude: 36.82,
                reports: 0,
                worst: 0,
            },
            MapPoint {
                latitude: -4.04,
                longitude: 39.67,
                reports: 3,
                worst: 4,
            },
            MapPoint {
                latitude: 3.12,
                longitude: 35.6,
                reports: 1,
                worst: 0,
            },
        ];
        let map = draw_map(&points).expect("a map");
        let classes: Vec<(&str, usize)> = map.layers.iter().map(|(c, _, n)| (*c, *n)).collect();
        assert_eq!(classes, [("none", 1), ("reported", 1), ("critical", 1)]);
        // North is up: the northern station is near the top edge.
        let reported = &map.layers[1].1;
        let y: f64 = reported
            .trim_start_matches('M')
            .split(' ')
            .nth(1)
            .and_then(|s| s.trim_end_matches("h0").parse().ok())
            .expect("y");
        assert!((y - MAP_MARGIN).abs() < 0.2, "{reported}");
        assert!(map.width <= 600 && map.height > 0);
        assert_eq!(draw_map(&[]), None);
    }
}
