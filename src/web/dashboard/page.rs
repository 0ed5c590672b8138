//! The dashboard page: headline figures, incidents by category, the regions below, the
//! checklist indicators, coverage and silent observers, each figure a link to its reports.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::chart::{self, ChartChoice, HourChart};
use super::{read_filter, region_href, selection};
use crate::domain::dashboard::{
    self, CategoryLine, DashboardFilter, Indicator, Part, SEVERITY_COLUMNS, Share,
};
use crate::domain::form::{FormDefinition, FormKind, Severity, categories_of};
use crate::domain::queue::Filter;
use crate::domain::review::Status;
use crate::domain::role::Area;
use crate::i18n::{Lang, Tr};
use crate::store::dashboard::{self as store_dashboard, DashboardPage, PageRequest};
use crate::web::member::{Member, OverviewArea};
use crate::web::view::{Layout, level_name_in, level_word, local_date_time, ok};
use crate::web::{AppError, AppState};

/// Silent observers listed by name; the rest are counted.
const SILENT_LISTED: usize = 20;
/// Checklist indicators shown before "more": the most widespread problems.
const INDICATORS_SHOWN: usize = 10;
/// Regions listed under the one looked at (a ward rarely has more stations than this).
const CHILDREN_LISTED: u32 = 2000;

/// A form of the mission as the dashboard uses it, its texts in the page's language.
struct FormInfo {
    key: String,
    title: String,
    kind: FormKind,
    definition: std::sync::Arc<FormDefinition>,
}

/// What the page shows: the store's read model, with the forms in the reader's language.
struct Data {
    page: DashboardPage,
    forms: Vec<FormInfo>,
    categories: Vec<(String, String)>,
}

impl std::ops::Deref for Data {
    type Target = DashboardPage;

    fn deref(&self) -> &DashboardPage {
        &self.page
    }
}

impl Data {
    fn new(page: DashboardPage, lang: Lang) -> Data {
        let forms: Vec<FormInfo> = page
            .forms
            .iter()
            .map(|(summary, definition)| {
                let definition = in_language(std::sync::Arc::clone(definition), lang);
                FormInfo {
                    key: summary.key.clone(),
                    title: definition.title.clone(),
                    kind: definition.kind,
                    definition,
                }
            })
            .collect();
        let categories = categories_of(forms.iter().map(|f| &*f.definition));
        Data {
            page,
            forms,
            categories,
        }
    }
}

/// A form in a language: the same one when it has no translation into it.
fn in_language(
    definition: std::sync::Arc<FormDefinition>,
    lang: Lang,
) -> std::sync::Arc<FormDefinition> {
    match definition.in_language(lang) {
        std::borrow::Cow::Borrowed(_) => definition,
        std::borrow::Cow::Owned(translated) => std::sync::Arc::new(translated),
    }
}

/// A figure on the page: its value and, when there is something behind it and the reader
/// may open the queue, the link to exactly those reports.
struct Figure {
    value: String,
    href: Option<String>,
}

impl Figure {
    /// A figure with no link.
    fn plain(value: String) -> Figure {
        Figure { value, href: None }
    }
}

/// A piece of a sentence with figures in it: text, then the figure that follows it.
struct Piece {
    text: String,
    figure: Option<Figure>,
}

/// A sentence cut around its figures: each `{name}` of `text` becomes the figure of that
/// name, wherever the language puts it. Each figure is used once.
fn pieces(text: &str, mut figures: Vec<(&str, Figure)>) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let next = figures
            .iter()
            .enumerate()
            .filter_map(|(i, (name, _))| {
                let slot = format!("{{{name}}}");
                rest.find(&slot).map(|at| (at, i, slot.len()))
            })
            .min();
        let Some((at, i, len)) = next else {
            out.push(Piece {
                text: rest.to_owned(),
                figure: None,
            });
            return out;
        };
        let (_, figure) = figures.swap_remove(i);
        out.push(Piece {
            text: rest[..at].to_owned(),
            figure: Some(figure),
        });
        rest = &rest[at + len..];
    }
}

/// A text with `{name}`s left after `Tr::n` wrote its number: each replaced by its value.
fn filled(mut text: String, args: &[(&str, &str)]) -> String {
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// Turns figures into links to the queue.
struct Linker<'a> {
    filter: &'a DashboardFilter,
    queue_base: Option<String>,
    tr: Tr,
}

impl Linker<'_> {
    fn figure(&self, n: i64, part: &Part) -> Figure {
        let href = match (&self.queue_base, n) {
            (Some(base), 1..) => self
                .filter
                .link(part)
                .map(|f: Filter| format!("{base}?{}", f.query_string())),
            _ => None,
        };
        Figure {
            value: self.tr.number(n),
            href,
        }
    }
}

/// The headline figures, each a sentence with its figure in it.
struct HeadlineView {
    reports: Vec<Piece>,
    checklists: Vec<Piece>,
    incidents: Vec<Piece>,
    verified: Vec<Piece>,
    critical_unreviewed: Vec<Piece>,
    stations_visited: Vec<Piece>,
    active: Vec<Piece>,
}

struct CategoryView {
    label: String,
    cells: Vec<Figure>,
    total: Figure,
}

struct ChildView {
    name: String,
    code: String,
    href: String,
    reports: Figure,
    problem_rate: String,
    with_problems: Figure,
    incidents: Vec<Figure>,
    visited: String,
    stations: String,
    /// Per checklist: polling stations with no report of it yet.
    not_reported: Vec<String>,
}

struct IndicatorView {
    form_title: String,
    label: String,
    region: String,
    region_n: String,
    mission: String,
    mission_n: String,
    href: Option<String>,
}

struct CoverageView {
    title: String,
    /// "3 of 12".
    reported: String,
    missing: String,
    share: String,
}

struct SilentView {
    name: String,
    team: String,
    phone: String,
    last: String,
    reports: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "overview/dashboard.html")]
struct DashboardTemplate {
    layout: Layout,
    dashboard_css: &'static str,
    mission_name: String,
    subtitle: String,
    here_name: String,
    base_href: String,
    /// Links up the tree: (name, href); the region looked at is not among them.
    breadcrumb: Vec<(String, String)>,
    region_id: Option<i64>,
    filters_chosen: bool,
    /// The label of the field for the hours of silence: the text before and after it.
    silent_label: (String, String),
    forms: Vec<Choice>,
    categories: Vec<Choice>,
    severities: Vec<Choice>,
    statuses: Vec<Choice>,
    from: String,
    to: String,
    silent_hours: i64,
    headline: HeadlineView,
    /// Links to export the reports counted here (for those who may open the queue).
    exports: Vec<(String, String)>,
    chart: Option<HourChart>,
    chart_max: String,
    /// What the chart shows and from when to when: "Election period: 7 Aug – 12 Aug".
    chart_shows: String,
    /// How many reports it draws, and how many fall before or after.
    chart_counts: String,
    /// The windows to choose from; none when the filters' time window decides.
    chart_choices: Vec<ChartChoice>,
    category_lines: Vec<CategoryView>,
    children_level: String,
    children: Vec<ChildView>,
    checklist_titles: Vec<String>,
    indicators: Vec<IndicatorView>,
    coverage: Vec<CoverageView>,
    silent_heading: String,
    silent: Vec<SilentView>,
    silent_total: i64,
    map_href: String,
    geography: Vec<(String, String)>,
    observers_assigned: String,
}

pub(super) async fn page(
    State(state): State<AppState>,
    member: Member<OverviewArea>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let zone = member.mission.time_zone.clone();
    let tr = member.user.tr();
    let filter = read_filter(raw.as_deref(), &zone)?;
    let mission_id = member.mission_id();
    let now = crate::store::now();
    let request = PageRequest {
        slug: member.mission.slug.clone(),
        mission_id,
        selection: selection(&filter),
        active_since: now - 3600,
        silent_since: now - filter.silent_hours * 3600,
        silent_listed: SILENT_LISTED,
        children_listed: CHILDREN_LISTED,
    };
    let data = Data::new(store_dashboard::page(&state.store, request).await?, tr.lang);
    let slug = &member.mission.slug;
    let linker = Linker {
        filter: &filter,
        queue_base: member
            .role()
            .may_enter(Area::Review)
            .then(|| format!("/m/{slug}/review")),
        tr,
    };
    let base_href = format!("/m/{slug}/overview");
    let template = render(&member, &filter, &data, &linker, base_href, &zone, now);
    Ok(ok(&template))
}

fn keys_of(forms: &[FormInfo], kind: FormKind) -> Vec<String> {
    forms
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| f.key.clone())
        .collect()
}

fn share_text(share: Option<Share>, tr: Tr) -> String {
    share.map_or_else(|| "–".to_owned(), |s| s.percent(tr))
}

/// "3 of 12".
fn part_of(part: i64, whole: i64, tr: Tr) -> String {
    tr.fill(
        "dashboard.part_of",
        &[("part", &tr.number(part)), ("whole", &tr.number(whole))],
    )
}

/// The figures a share rests on, if any.
fn rests_on(share: Option<Share>, tr: Tr) -> String {
    share.map_or_else(String::new, |s| part_of(s.part, s.whole, tr))
}

fn render(
    member: &Member<OverviewArea>,
    filter: &DashboardFilter,
    data: &Data,
    linker: &Linker<'_>,
    base_href: String,
    zone: &str,
    now: i64,
) -> DashboardTemplate {
    let tr = member.user.tr();
    let query = filter.query_string();
    let region_id = data.region.as_ref().map(|r| r.id);
    let here = |part: Part| Part {
        region: region_id,
        ..part
    };
    let checklists = keys_of(&data.forms, FormKind::Checklist);
    let incidents = keys_of(&data.forms, FormKind::Incident);
    // Checklists the filter keeps: coverage and indicators are per checklist.
    let chosen_checklists: Vec<&FormInfo> = data
        .forms
        .iter()
        .filter(|f| f.kind == FormKind::Checklist)
        .filter(|f| filter.queue.forms.is_empty() || filter.queue.forms.contains(&f.key))
        .collect();

    let counts = &data.tallied.counts;
    let h = dashboard::Headline::of(counts);
    let visited_key = match filter.queue.forms.as_slice() {
        [one] => one.as_str(),
        _ => "",
    };
    let figure = |figure: Figure| vec![("figure", figure)];
    let (visited, stations) = (
        data.tallied.stations.here.reported(visited_key),
        data.tallied.stations.here.stations,
    );
    let headline = HeadlineView {
        reports: pieces(
            &tr.n("dashboard.headline.received", h.reports),
            figure(linker.figure(h.reports, &here(Part::default()))),
        ),
        checklists: pieces(
            &tr.n("dashboard.headline.checklists", h.checklists),
            figure(linker.figure(
                h.checklists,
                &here(Part {
                    forms: Some(checklists.clone()),
                    ..Part::default()
                }),
            )),
        ),
        incidents: pieces(
            &tr.n("dashboard.headline.incidents", h.incidents),
            figure(linker.figure(
                h.incidents,
                &here(Part {
                    forms: Some(incidents.clone()),
                    ..Part::default()
                }),
            )),
        ),
        verified: pieces(
            &tr.n("dashboard.headline.verified", h.verified),
            figure(linker.figure(
                h.verified,
                &here(Part {
                    statuses: Some(vec![Status::Verified]),
                    ..Part::default()
                }),
            )),
        ),
        critical_unreviewed: pieces(
            &tr.n("dashboard.headline.critical", h.critical_unreviewed),
            figure(linker.figure(
                h.critical_unreviewed,
                &here(Part {
                    statuses: Some(vec![Status::Received]),
                    severity: Some(Severity::Critical),
                    ..Part::default()
                }),
            )),
        ),
        stations_visited: pieces(
            &filled(
                tr.n("dashboard.headline.visited", stations),
                &[("share", &share_text(Share::of(visited, stations), tr))],
            ),
            vec![("visited", Figure::plain(tr.number(visited)))],
        ),
        active: pieces(
            &tr.n("dashboard.headline.active", data.active),
            figure(Figure::plain(tr.number(data.active))),
        ),
    };

    let category_label = |key: &str| {
        if key.is_empty() {
            return tr.t("dashboard.categories.no_category").to_owned();
        }
        data.categories
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| key.to_owned(), |(_, label)| label.clone())
    };
    let category_lines = dashboard::categories(counts)
        .into_iter()
        .map(
            |CategoryLine {
                 category,
                 by_severity,
                 total,
             }| {
                let cell = |n: i64, severity: Option<Severity>| {
                    let part = here(Part {
                        forms: Some(incidents.clone()),
                        category: (!category.is_empty()).then(|| category.clone()),
                        severity,
                        ..Part::default()
                    });
                    match severity {
                        // The queue has no "without severity" filter: shown, not linked.
                        None if n > 0 => Figure::plain(tr.number(n)),
                        _ => linker.figure(n, &part),
                    }
                };
                CategoryView {
                    label: category_label(&category),
                    cells: SEVERITY_COLUMNS
                        .iter()
                        .zip(by_severity)
                        .map(|(s, n)| cell(n, *s))
                        .collect(),
                    total: linker.figure(
                        total,
                        &here(Part {
                            forms: Some(incidents.clone()),
                            category: (!category.is_empty()).then(|| category.clone()),
                            ..Part::default()
                        }),
                    ),
                }
            },
        )
        .collect();

    let children = data
        .children
        .iter()
        .map(|child| {
            let figures = data
                .tallied
                .by_child
                .iter()
                .find(|(id, _)| *id == child.id)
                .map(|(_, f)| f.clone())
                .unwrap_or_default();
            let at = |part: Part| Part {
                region: Some(child.id),
                ..part
            };
            let coverage = data
                .tallied
                .stations
                .children
                .iter()
                .find(|c| c.region_id == child.id)
                .cloned()
                .unwrap_or_default();
            ChildView {
                name: child.name.clone(),
                code: child.code.clone(),
                href: region_href(&base_href, Some(child.id), &query),
                reports: linker.figure(figures.reports, &at(Part::default())),
                problem_rate: share_text(figures.problem_rate(), tr),
                with_problems: linker.figure(
                    figures.checklists_with_problems,
                    &at(Part {
                        forms: Some(checklists.clone()),
                        with_problems: true,
                        ..Part::default()
                    }),
                ),
                incidents: SEVERITY_COLUMNS[..4]
                    .iter()
                    .zip(figures.incidents_by_severity)
                    .map(|(s, n)| {
                        linker.figure(
                            n,
                            &at(Part {
                                forms: Some(incidents.clone()),
                                severity: *s,
                                ..Part::default()
                            }),
                        )
                    })
                    .collect(),
                visited: tr.number(coverage.reported(visited_key)),
                stations: tr.number(coverage.stations),
                not_reported: chosen_checklists
                    .iter()
                    .map(|f| tr.number(coverage.stations - coverage.reported(&f.key)))
                    .collect(),
            }
        })
        .collect();

    let mut indicators: Vec<Indicator> = Vec::new();
    for form in &chosen_checklists {
        for question in form.definition.questions().filter(|q| q.problem.is_some()) {
            let seen = |rows: &[(String, String, i64)]| {
                rows.iter()
                    .find(|(k, q, _)| *k == form.key && *q == question.key)
                    .map_or(0, |(_, _, n)| *n)
            };
            let observed_here = data.tallied.stations.here.reported(&form.key);
            indicators.push(Indicator {
                form_key: form.key.clone(),
                form_title: form.title.clone(),
                question_key: question.key.clone(),
                label: question.label.clone(),
                mission: Share::of(
                    seen(&data.tallied.stations.mission_problems),
                    data.tallied.stations.mission.reported(&form.key),
                ),
                region: Share::of(seen(&data.tallied.stations.problems), observed_here),
            });
        }
    }
    dashboard::sort_indicators(&mut indicators);
    let indicators = indicators
        .into_iter()
        .map(|i| IndicatorView {
            href: linker
                .figure(
                    i.region.map_or(0, |s| s.part),
                    &here(Part {
                        forms: Some(vec![i.form_key.clone()]),
                        problem: Some(i.question_key.clone()),
                        ..Part::default()
                    }),
                )
                .href,
            form_title: i.form_title,
            label: i.label,
            region: share_text(i.region, tr),
            region_n: rests_on(i.region, tr),
            mission: share_text(i.mission, tr),
            mission_n: rests_on(i.mission, tr),
        })
        .collect();

    let coverage = chosen_checklists
        .iter()
        .map(|f| {
            let reported = data.tallied.stations.here.reported(&f.key);
            CoverageView {
                title: f.title.clone(),
                reported: part_of(reported, stations, tr),
                missing: tr.number(stations - reported),
                share: share_text(Share::of(reported, stations), tr),
            }
        })
        .collect();

    let chart = chart::view(
        &data.tallied.hourly,
        filter,
        &data.mission.election_date,
        zone,
        now,
        tr,
        |chosen: &DashboardFilter| {
            format!(
                "{}#chart",
                region_href(&base_href, region_id, &chosen.query_string())
            )
        },
    );
    let here_name = data.region.as_ref().map_or_else(
        || tr.t("dashboard.the_whole_mission").to_owned(),
        |r| r.name.clone(),
    );
    let mut breadcrumb = vec![(
        tr.t("dashboard.whole_mission").to_owned(),
        format!("{base_href}?{query}"),
    )];
    breadcrumb.extend(
        data.trail
            .iter()
            .filter(|r| Some(r.id) != region_id)
            .map(|r| {
                (
                    r.name.clone(),
                    format!("{base_href}?region={}&{query}", r.id),
                )
            }),
    );
    if data.region.is_none() {
        breadcrumb.clear();
    }
    let choice = |value: &str, label: &str, selected: bool| Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected,
    };
    let observers_total = data
        .team
        .by_role
        .iter()
        .find(|(role, _)| *role == crate::domain::role::Role::Observer)
        .map_or(0, |(_, n)| *n);
    let mission = &data.mission;
    let silent_label = tr.t("dashboard.filters.silent");
    let silent_label = silent_label.split_once("{hours}").map_or_else(
        || (silent_label.to_owned(), String::new()),
        |(before, after)| (before.to_owned(), after.to_owned()),
    );
    DashboardTemplate {
        layout: member.layout(tr.t("dashboard.title")),
        dashboard_css: crate::web::assets::dashboard_stylesheet_url(),
        mission_name: mission.name.clone(),
        subtitle: tr.fill(
            "dashboard.subtitle",
            &[
                ("country", &mission.country),
                ("date", &mission.election_date),
                ("zone", &mission.time_zone),
            ],
        ),
        here_name,
        breadcrumb,
        region_id,
        filters_chosen: !filter.is_default(),
        silent_label,
        forms: data
            .forms
            .iter()
            .map(|f| choice(&f.key, &f.title, filter.queue.forms.contains(&f.key)))
            .collect(),
        categories: data
            .categories
            .iter()
            .map(|(k, l)| choice(k, l, filter.queue.categories.contains(k)))
            .collect(),
        severities: Severity::ALL
            .iter()
            .rev()
            .map(|s| {
                let label = tr.word("severity", s.as_str());
                choice(s.as_str(), &label, filter.queue.severities.contains(s))
            })
            .collect(),
        statuses: Status::ALL
            .iter()
            .map(|s| {
                let label = tr.word("status", s.as_str());
                choice(s.as_str(), &label, filter.queue.statuses.contains(s))
            })
            .collect(),
        from: filter.queue.from.clone(),
        to: filter.queue.to.clone(),
        silent_hours: filter.silent_hours,
        headline,
        exports: match (&linker.queue_base, filter.link(&here(Part::default()))) {
            (Some(base), Some(selected)) => crate::web::exports::links_in(
                tr,
                base,
                &selected,
                &data
                    .forms
                    .iter()
                    .map(|f| (f.key.clone(), f.title.clone()))
                    .collect::<Vec<_>>(),
            ),
            _ => Vec::new(),
        },
        chart_max: chart.max,
        chart: chart.chart,
        chart_shows: chart.shows,
        chart_counts: chart.counts,
        chart_choices: chart.choices,
        category_lines,
        children_level: data
            .children
            .first()
            .map_or_else(String::new, |c| level_name_in(tr, &data.levels, c.depth)),
        children,
        checklist_titles: chosen_checklists.iter().map(|f| f.title.clone()).collect(),
        indicators,
        coverage,
        silent_heading: filled(
            tr.n("dashboard.silent.heading", filter.silent_hours),
            &[("total", &tr.number(data.silent_total))],
        ),
        silent: data
            .silent
            .iter()
            .map(|o| SilentView {
                name: o.name.clone(),
                team: o.team.clone().unwrap_or_default(),
                phone: o.phone.clone().unwrap_or_default(),
                last: o.last_at.map_or_else(
                    || tr.t("dashboard.silent.never").to_owned(),
                    |at| local_date_time(tr, at, zone),
                ),
                reports: tr.number(o.reports),
            })
            .collect(),
        silent_total: data.silent_total,
        map_href: region_href(&format!("{base_href}/map.svg"), region_id, &query),
        geography: data
            .geography
            .iter()
            .map(|(level, n)| (level_word(tr, level, true), tr.number(*n)))
            .collect(),
        observers_assigned: filled(
            tr.n("dashboard.mission.assigned", data.team.observers_assigned),
            &[("total", &tr.number(observers_total))],
        ),
        base_href,
    }
}
