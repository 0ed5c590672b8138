//! The chart of reports over time: which hours it shows (the filters' window, or the one
//! chosen), laid out as bars in SVG units with labels in local time.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::dashboard::{self, ChartWindow, DashboardFilter};
use crate::i18n::Tr;

/// The chart and what the page says around it.
pub(super) struct ChartView {
    pub chart: Option<HourChart>,
    /// The highest bar's figure.
    pub max: String,
    /// What the chart shows and from when to when: "Election period: 7 Aug – 12 Aug".
    pub shows: String,
    /// How many reports it draws, and how many fall before or after.
    pub counts: String,
    /// The windows to choose from; none when the filters' time window decides.
    pub choices: Vec<ChartChoice>,
}

/// A window the chart can show, as a link that keeps the filters.
pub(super) struct ChartChoice {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// The chart of reports per hour `hourly` under the filters, with its texts in the
/// language of `tr`; `href` is the link to the page with other filters.
pub(super) fn view(
    hourly: &[(i64, i64)],
    filter: &DashboardFilter,
    election_date: &str,
    zone: &str,
    now: i64,
    tr: Tr,
    href: impl Fn(&DashboardFilter) -> String,
) -> ChartView {
    let span = dashboard::chart_span(
        hourly,
        filter.hours,
        filter.chart,
        dashboard::election_period(election_date, zone),
        now.div_euclid(3600),
    );
    let chart = span.map(|s| hour_chart(hourly, s.hours, zone, tr));
    let chart_shows = match (span, &chart) {
        (Some(span), Some(c)) => tr.fill(
            "dashboard.chart.shows",
            &[
                ("window", tr.t(window_key(span.window))),
                ("from", &c.first_day),
                ("to", &c.last_day),
            ],
        ),
        _ => String::new(),
    };
    let chart_counts = chart.as_ref().map_or_else(String::new, |c| {
        let mut text = vec![tr.n("dashboard.chart.shown", c.shown)];
        if c.earlier != 0 {
            text.push(tr.n("dashboard.chart.earlier", c.earlier));
        }
        if c.later != 0 {
            text.push(tr.n("dashboard.chart.later", c.later));
        }
        text.join(" ")
    });
    let current_window = span.and_then(|s| s.window);
    let chart_choices = match (&chart, filter.hours) {
        (Some(_), None) => ChartWindow::ALL
            .into_iter()
            .map(|window| {
                let mut chosen = filter.clone();
                chosen.chart = Some(window);
                ChartChoice {
                    label: tr.t(window_key(Some(window))).to_owned(),
                    href: href(&chosen),
                    current: current_window == Some(window),
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    ChartView {
        max: chart
            .as_ref()
            .map_or_else(String::new, |c| tr.number(c.max)),
        chart,
        shows: chart_shows,
        counts: chart_counts,
        choices: chart_choices,
    }
}

/// The name of a chart window in the catalogue; `None` is the filters' time window.
fn window_key(window: Option<ChartWindow>) -> &'static str {
    match window {
        None => "dashboard.chart.window.filters",
        Some(ChartWindow::ElectionPeriod) => "dashboard.chart.window.election",
        Some(ChartWindow::LastWeek) => "dashboard.chart.window.week",
        Some(ChartWindow::WholeMission) => "dashboard.chart.window.all",
    }
}

/// A bar chart of reports per hour (or per day, over more than a few days), drawn in SVG
/// units.
#[derive(Debug, Clone, PartialEq)]
pub struct HourChart {
    pub width: i64,
    pub height: i64,
    pub bars: Vec<Bar>,
    /// Labels under the axis: (x, text).
    pub ticks: Vec<(i64, String)>,
    pub max: i64,
    /// Each bar is a day rather than an hour.
    pub by_day: bool,
    /// Reports before the hours drawn, and at or after their end.
    pub earlier: i64,
    pub later: i64,
    /// Reports in the hours drawn.
    pub shown: i64,
    /// The first and the last day drawn, as the labels write them.
    pub first_day: String,
    pub last_day: String,
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

/// A day as the chart's labels write it: "8 Aug", "8 août"; with its year ("8 Aug 2017")
/// on a chart whose days are not all in one year.
fn short_day(tr: Tr, date: jiff::civil::Date, with_year: bool) -> String {
    let month = usize::try_from(date.month() - 1).map_or("", |i| SHORT_MONTHS[i % 12]);
    let (day, year) = (date.day().to_string(), date.year().to_string());
    let args = [
        ("day", day.as_str()),
        ("month", tr.t(month)),
        ("year", year.as_str()),
    ];
    if with_year {
        tr.fill("dashboard.chart.day_year", &args)
    } else {
        tr.fill("dashboard.chart.day", &args[..2])
    }
}

/// Hours drawn one bar each at most; a longer span is drawn a bar a day. A little more
/// than a week, so that the election period is drawn by the hour even in a week with a
/// change of clocks.
const HOURLY_UP_TO: i64 = 8 * 24;
const PLOT_HEIGHT: i64 = 120;

/// Lays out reports per hour `(unix hour, reports)` over the hours `[start, end)` as bars,
/// one an hour, or one a day of local time over a longer span; and counts the reports on
/// either side. Its labels are in the language of `tr`.
pub fn hour_chart(
    points: &[(i64, i64)],
    (start, end): (i64, i64),
    time_zone: &str,
    tr: Tr,
) -> HourChart {
    let end = end.max(start + 1);
    let zone = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    let local = |hour: i64| {
        Timestamp::from_second(hour.saturating_mul(3600))
            .map(|t| t.to_zoned_datetime(zone.clone()))
            .ok()
    };
    let inside = |h: &i64| (start..end).contains(h);
    let earlier = points
        .iter()
        .filter(|(h, _)| *h < start)
        .map(|(_, n)| n)
        .sum();
    let later = points
        .iter()
        .filter(|(h, _)| *h >= end)
        .map(|(_, n)| n)
        .sum();
    let with_year = match (local(start), local(end - 1)) {
        (Some(first), Some(last)) => first.year() != last.year(),
        _ => false,
    };
    let day_label =
        |hour: i64| local(hour).map_or_else(String::new, |z| short_day(tr, z.date(), with_year));
    let by_day = end - start > HOURLY_UP_TO;
    // Each bar: its place from the left, the reports in it, and what its title says.
    let mut slots: Vec<(i64, i64, String)> = Vec::new();
    let mut ticks = Vec::new();
    let span;
    if by_day {
        let first_date = local(start).map(|z| z.date());
        let day_of = |hour: i64| -> i64 {
            match (first_date, local(hour)) {
                (Some(first), Some(z)) => (z.date() - first).get_days().into(),
                _ => 0,
            }
        };
        span = day_of(end - 1) + 1;
        for &(hour, n) in points.iter().filter(|(h, _)| inside(h)) {
            let day = day_of(hour);
            match slots.last_mut() {
                Some(slot) if slot.0 == day => slot.1 += n,
                _ => slots.push((day, n, day_label(hour))),
            }
        }
        // A label every day up to a fortnight, then as many as fit.
        let every = ((span + 13) / 14).max(1);
        if let Some(first) = first_date {
            for day in (0..span).step_by(usize::try_from(every).unwrap_or(1)) {
                if let Ok(date) = first.checked_add(jiff::Span::new().days(day)) {
                    ticks.push((day, short_day(tr, date, with_year)));
                }
            }
        }
    } else {
        span = end - start;
        for &(hour, n) in points.iter().filter(|(h, _)| inside(h)) {
            let when = local(hour).map_or_else(String::new, |z| {
                format!(
                    "{} {}",
                    short_day(tr, z.date(), with_year),
                    z.strftime("%H:%M")
                )
            });
            slots.push((hour - start, n, when));
        }
        // A label every 6 hours of local time (every day on a chart of several days).
        let every = if span > 72 { 24 } else { 6 };
        for hour in start..end {
            let Some(z) = local(hour) else { continue };
            if i64::from(z.hour()) % every == 0 {
                let text = if z.hour() == 0 {
                    short_day(tr, z.date(), with_year)
                } else {
                    z.strftime("%H:%M").to_string()
                };
                ticks.push((hour - start, text));
            }
        }
    }
    let bar = (720 / span.max(1)).clamp(2, 30);
    let max = slots.iter().map(|s| s.1).max().unwrap_or(0);
    let shown = slots.iter().map(|s| s.1).sum();
    let bars = slots
        .into_iter()
        .map(|(slot, n, when)| {
            let height = (n * PLOT_HEIGHT / max.max(1)).max(1);
            Bar {
                x: slot * bar,
                y: PLOT_HEIGHT - height,
                width: (bar - 1).max(1),
                height,
                title: tr.n("dashboard.chart.bar", n).replace("{when}", &when),
            }
        })
        .collect();
    HourChart {
        width: bar * span.max(1),
        height: PLOT_HEIGHT,
        bars,
        ticks: ticks
            .into_iter()
            .map(|(slot, text)| (slot * bar, text))
            .collect(),
        max,
        by_day,
        earlier,
        later,
        shown,
        first_day: day_label(start),
        last_day: day_label(end - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dashboard::{ChartSpan, chart_span, election_period};
    use crate::i18n::Lang;

    /// 8 Aug 2017 06:00 in Nairobi (UTC+3), in unix hours.
    const SIX: i64 = 1_502_161_200 / 3600;

    #[test]
    fn the_chart_draws_its_hours_and_labels_local_time() {
        let six = SIX;
        let en = Tr::new(Lang::En);
        let points = [(six, 10), (six + 3, 40)];
        let span = chart_span(
            &points,
            None,
            Some(ChartWindow::WholeMission),
            None,
            six + 10,
        )
        .expect("a span");
        // At least a day is drawn, ending after the last report.
        assert_eq!(span.hours, (six + 4 - 24, six + 4));
        let chart = hour_chart(&points, span.hours, "Africa/Nairobi", en);
        assert_eq!(chart.max, 40);
        assert!(!chart.by_day);
        assert_eq!(chart.bars.len(), 2);
        assert_eq!(chart.bars[1].height, PLOT_HEIGHT);
        assert_eq!(chart.bars[0].height, PLOT_HEIGHT / 4);
        assert!(
            chart.bars[1].title.starts_with("8 Aug 09:00: 40 reports"),
            "{}",
            chart.bars[1].title
        );
        assert_eq!(chart.width / 30, 24);
        assert!(chart.ticks.iter().any(|(_, t)| t == "06:00"));
        assert!(chart.ticks.iter().any(|(_, t)| t == "8 Aug"));
        assert_eq!((chart.shown, chart.earlier, chart.later), (50, 0, 0));
        assert_eq!(
            (chart.first_day.as_str(), chart.last_day.as_str()),
            ("7 Aug", "8 Aug")
        );
        assert_eq!(chart_span(&[], None, None, None, six), None);

        // In French: its month names, its plurals, its numbers.
        let fr = Tr::new(Lang::Fr);
        let chart = hour_chart(
            &[(six, 1), (six + 18, 1_200)],
            (six, six + 24),
            "Africa/Nairobi",
            fr,
        );
        assert_eq!(chart.bars[0].title, "8 août 06:00 : 1 rapport");
        assert_eq!(chart.bars[1].title, "9 août 00:00 : 1\u{202f}200 rapports");
        assert!(
            chart.ticks.iter().any(|(_, t)| t == "9 août"),
            "{:?}",
            chart.ticks
        );
        let december = 1_514_678_400 / 3600; // 31 Dec 2017 00:00 UTC
        let chart = hour_chart(&[(december, 2)], (december, december + 24), "UTC", fr);
        assert_eq!(chart.bars[0].title, "31 déc. 00:00 : 2 rapports");
        // Across the new year, each day says its year.
        let chart = hour_chart(&[(december, 2)], (december, december + 48), "UTC", en);
        assert_eq!(
            (chart.first_day.as_str(), chart.last_day.as_str()),
            ("31 Dec 2017", "1 Jan 2018")
        );
        assert!(
            chart.ticks.iter().any(|(_, t)| t == "1 Jan 2018"),
            "{:?}",
            chart.ticks
        );
        assert_eq!(chart.bars[0].title, "31 Dec 2017 00:00: 2 reports");
    }

    #[test]
    fn a_late_report_does_not_move_the_chart_from_polling_day() {
        let period = election_period("2017-08-08", "Africa/Nairobi");
        let (from, to) = period.expect("a period");
        // Polling day's reports, and one three weeks later.
        let late = SIX + 21 * 24;
        let points = [(SIX, 900), (SIX + 5, 1_091), (late, 1)];
        let now = late + 2;
        let en = Tr::new(Lang::En);
        let default = chart_span(&points, None, None, period, now).expect("a span");
        assert_eq!(default.window, Some(ChartWindow::ElectionPeriod));
        assert_eq!(default.hours, (from, to));
        let chart = hour_chart(&points, default.hours, "Africa/Nairobi", en);
        assert_eq!((chart.shown, chart.earlier, chart.later), (1_991, 0, 1));
        assert!(!chart.by_day, "a week is drawn by the hour");
        assert_eq!(chart.bars.len(), 2);
        assert_eq!(
            (chart.first_day.as_str(), chart.last_day.as_str()),
            ("5 Aug", "11 Aug")
        );

        let week =
            chart_span(&points, None, Some(ChartWindow::LastWeek), period, now).expect("a span");
        assert_eq!(week.hours, (now + 1 - 168, now + 1));
        let chart = hour_chart(&points, week.hours, "Africa/Nairobi", en);
        assert_eq!((chart.shown, chart.earlier, chart.later), (1, 1_991, 0));

        let whole = chart_span(&points, None, Some(ChartWindow::WholeMission), period, now)
            .expect("a span");
        assert_eq!(whole.hours, (SIX, late + 1));
        let chart = hour_chart(&points, whole.hours, "Africa/Nairobi", en);
        assert!(chart.by_day, "three weeks are drawn by the day");
        assert_eq!((chart.shown, chart.earlier, chart.later), (1_992, 0, 0));
        // Polling day's two hours are one bar; the late report is the 22nd day's.
        assert_eq!(chart.bars.len(), 2);
        assert_eq!(chart.bars[0].title, "8 Aug: 1,991 reports");
        assert_eq!(chart.bars[1].title, "29 Aug: 1 report");
        assert_eq!(chart.bars[1].x, 21 * (chart.width / 22));
        assert_eq!(
            chart.ticks.first().map(|(x, t)| (*x, t.as_str())),
            Some((0, "8 Aug"))
        );

        // The filters' own time window decides over any choice.
        let window = chart_span(
            &points,
            Some((SIX + 1, SIX + 30)),
            Some(ChartWindow::WholeMission),
            period,
            now,
        )
        .expect("a span");
        assert_eq!(
            window,
            ChartSpan {
                hours: (SIX + 1, SIX + 30),
                window: None
            }
        );

        // Before the election period begins, the last seven days are what there is.
        let early = [(from - 100, 3)];
        let before = chart_span(&early, None, None, period, from - 50).expect("a span");
        assert_eq!(before.window, Some(ChartWindow::LastWeek));
        assert_eq!(before.hours, (from - 49 - 168, from - 49));
        // And a period that cannot be read leaves the last seven days too.
        let unread = chart_span(&points, None, Some(ChartWindow::ElectionPeriod), None, now)
            .expect("a span");
        assert_eq!(unread.hours, (now + 1 - 168, now + 1));
    }
}
