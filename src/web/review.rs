//! The review queue and the reviewers' report page: coordinators and leads verify,
//! dismiss, escalate, mark duplicates and comment.

use askama::Template;
use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::form_view::{AnswerSection, answer_sections};
use super::member::{Member, ReviewArea};
use super::strict_form::StrictForm;
use super::view::{Layout, level_name_in, local_date_time, ok, page, within};
use super::{AppError, AppState};
use crate::domain::answers::Answers;
use crate::domain::finding::Stage;
use crate::domain::form::{FormDefinition, Severity, category_label};
use crate::domain::lookup::{self, Found, Lookup};
use crate::domain::message::Message;
use crate::domain::queue::{Cursor, Filter, Sort, text_query};
use crate::domain::report::local_to_unix;
use crate::domain::review::{Action, Status, note_for, transition};
use crate::domain::role::Role;
use crate::i18n::Tr;
use crate::store::audit::Actor;
use crate::store::regions::Region;
use crate::store::review::{self, QueueLine, QueueQuery, Review};
use crate::store::users::ObserverMatch;
use crate::store::{StoreError, findings, forms, regions, reports, users};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/review", get(queue))
        .route("/review/bulk", post(bulk))
        .route("/review/reports/{id}", get(report_page))
        .route("/review/reports/{id}/actions", post(act))
}

/// Lines per page of the queue, and urgent reports shown above it.
const PAGE: u32 = 50;
const URGENT: u32 = 10;

// ----- the queue -----

#[derive(Template)]
#[template(path = "review/queue.html")]
struct QueueTemplate {
    layout: Layout,
    base_href: String,
    csrf_token: String,
    notice: Option<String>,
    counts: Vec<StatusCount>,
    total: i64,
    urgent: Vec<LineView>,
    lines: Vec<LineView>,
    next_href: Option<String>,
    back: String,
    exports: Vec<(String, String)>,
    filter: FilterView,
    /// Searches that found no one or several: what they found, in place of reports.
    searches: Vec<SearchView>,
    findings: Vec<(i64, String)>,
    is_lead: bool,
}

struct StatusCount {
    /// The status's word, agreeing with the count.
    status: String,
    count: String,
    href: String,
    current: bool,
}

struct LineView {
    id: String,
    href: String,
    reference: String,
    received_at: String,
    form_title: String,
    place: String,
    observer: String,
    status: &'static str,
    severity: Option<Severity>,
    problem_count: String,
    category: String,
}

/// The filter form: what each control offers and holds.
struct FilterView {
    forms: Vec<Choice>,
    categories: Vec<Choice>,
    severities: Vec<Choice>,
    statuses: Vec<Choice>,
    /// The observer and the place chosen, shown as ticked boxes that untick to widen.
    observer: Option<Choice>,
    place: Option<Choice>,
    who: String,
    place_text: String,
    problems_only: bool,
    problem: String,
    from: String,
    to: String,
    text: String,
    by_severity: bool,
}

/// A search that did not settle on one observer or place.
struct SearchView {
    message: String,
    /// (label, link to the queue narrowed to it).
    choices: Vec<(String, String)>,
    more: Option<String>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choice(value: impl ToString, label: impl Into<String>, selected: bool) -> Choice {
    Choice {
        value: value.to_string(),
        label: label.into(),
        selected,
    }
}

/// The word of a status beside its count in the queue's tallies (French makes it agree).
fn counted(tr: Tr, status: Status, n: i64) -> String {
    match status {
        Status::Received => tr.n("review.queue.counted.received", n),
        Status::Escalated => tr.n("review.queue.counted.escalated", n),
        Status::Verified => tr.n("review.queue.counted.verified", n),
        Status::Dismissed => tr.n("review.queue.counted.dismissed", n),
        Status::Duplicate => tr.n("review.queue.counted.duplicate", n),
    }
}

/// `?query` for a link that carries the queue's filters, or nothing without filters.
fn carrying(query_string: &str) -> String {
    if query_string.is_empty() {
        String::new()
    } else {
        format!("?{query_string}")
    }
}

/// The forms the listed reports were filed with, in the reader's language, by form id:
/// what words their titles and categories.
type Wording<'a> = HashMap<i64, Cow<'a, FormDefinition>>;

/// A report's category as its form words it, or the key when the form does not offer it
/// (a category written by an older fieldreport, a form since changed).
fn category_text(definition: Option<&FormDefinition>, key: Option<String>) -> String {
    let key = key.unwrap_or_default();
    definition
        .and_then(|d| category_label(d, &key))
        .map_or(key.clone(), str::to_owned)
}

fn line_view(
    tr: Tr,
    slug: &str,
    zone: &str,
    carried: &str,
    wording: &Wording<'_>,
    line: QueueLine,
) -> LineView {
    let definition = wording.get(&line.form_id).map(|d| &**d);
    LineView {
        href: format!("/m/{slug}/review/reports/{}{carried}", line.id),
        id: line.id,
        reference: line.reference,
        received_at: local_date_time(tr, line.received_at, zone),
        form_title: definition.map_or(line.form_title, |d| d.title.clone()),
        place: format!("{} ({})", line.region_name, line.region_code),
        observer: line.observer,
        status: line.status.as_str(),
        severity: line.severity,
        problem_count: tr.number(line.problem_count),
        category: category_text(definition, line.category),
    }
}

/// Reads the query string into a filter (malformed values are a 400 with the reason) and
/// the outcome of a bulk verification, if the page follows one.
pub(super) fn read_query(tr: Tr, raw: Option<&str>) -> Result<(Filter, Option<String>), AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| AppError::BadRequest(tr.t("review.queue.malformed").to_owned()))?;
    let filter =
        Filter::from_pairs(&pairs).map_err(|e| AppError::BadRequest(e.0.in_language(tr)))?;
    let number = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<u32>().ok())
    };
    // Only numbers travel in the address: no text of anyone's choosing becomes a notice.
    let notice = number("verified").map(|verified| {
        let verified = tr.n("review.queue.verified", i64::from(verified));
        match number("not_verified").unwrap_or(0) {
            0 => tr.fill("review.queue.notice", &[("verified", &verified)]),
            n => tr.fill(
                "review.queue.notice_refused",
                &[
                    ("verified", &verified),
                    ("refused", &tr.n("review.queue.not_verified", i64::from(n))),
                ],
            ),
        }
    });
    Ok((filter, notice))
}

/// Matches of a search listed for the reviewer to choose from: enough to see the one
/// meant, few enough that a search matching thousands stays a small page.
const MATCHES_LISTED: usize = 20;

/// A filter with its typed searches looked up.
pub(super) struct Settled {
    /// The filter with each search that found its one observer or place replaced by it,
    /// so that links carry the choice and not the words.
    filter: Filter,
    observer: Option<Found<ObserverMatch>>,
    place: Option<Found<Region>>,
}

impl Settled {
    /// Whether a search found no one or several: the reviewer chooses before any report
    /// is shown, rather than see reports the search did not ask for.
    fn pending(&self) -> bool {
        let unsettled = |found: Option<bool>| found == Some(false);
        unsettled(self.observer.as_ref().map(|f| f.one().is_some()))
            || unsettled(self.place.as_ref().map(|f| f.one().is_some()))
    }
}

/// Looks up the observer and the place typed into the filter.
fn settle(
    conn: &rusqlite::Connection,
    mission_id: i64,
    filter: &Filter,
) -> Result<Settled, StoreError> {
    let listed = u32::try_from(MATCHES_LISTED + 1).unwrap_or(u32::MAX);
    let mut settled = filter.clone();
    let observer = match Lookup::new(&filter.who) {
        Some(lookup) => {
            let found = Found::settle(
                users::find_observers(conn, mission_id, &lookup, listed)?,
                MATCHES_LISTED,
            );
            if let Some(one) = found.one() {
                settled = settled.with_observer(one.user_id);
            }
            Some(found)
        }
        None => None,
    };
    let place = match Lookup::new(&filter.place) {
        Some(lookup) => {
            let found = Found::settle(
                regions::lookup(conn, mission_id, &lookup, listed)?,
                MATCHES_LISTED,
            );
            if let Some(one) = found.one() {
                settled = settled.with_region(one.id);
            }
            Some(found)
        }
        None => None,
    };
    Ok(Settled {
        filter: settled,
        observer,
        place,
    })
}

/// Turns the typed filter into what the store queries. A search that found no one or
/// several is refused: an export or a link never stands for reports nobody chose.
pub(super) fn resolve(
    conn: &rusqlite::Connection,
    mission_id: i64,
    time_zone: &str,
    filter: &Filter,
) -> Result<QueueQuery, StoreError> {
    let settled = settle(conn, mission_id, filter)?;
    if settled.pending() {
        return Err(StoreError::Rejected(Message::new(
            "review.queue.search_unsettled",
        )));
    }
    query_of(conn, mission_id, time_zone, &settled.filter)
}

/// The store's query for a filter whose searches are settled.
fn query_of(
    conn: &rusqlite::Connection,
    mission_id: i64,
    time_zone: &str,
    filter: &Filter,
) -> Result<QueueQuery, StoreError> {
    let region_path = match filter.region {
        Some(id) => Some(place_in_mission(conn, mission_id, id)?.path),
        None => None,
    };
    Ok(QueueQuery {
        mission_id,
        region_path,
        region_id: filter.region,
        form_keys: filter.forms.clone(),
        categories: filter.categories.clone(),
        severities: filter.severities.clone(),
        statuses: filter.statuses.clone(),
        problems_only: filter.problems_only,
        problem: (!filter.problem.is_empty()).then(|| filter.problem.clone()),
        observer_id: filter.observer,
        received_from: local_to_unix(&filter.from, time_zone),
        received_to: local_to_unix(&filter.to, time_zone),
        text: text_query(&filter.text),
    })
}

/// A region of the filter; one of another mission (an edited link) is refused.
fn place_in_mission(
    conn: &rusqlite::Connection,
    mission_id: i64,
    id: i64,
) -> Result<Region, StoreError> {
    regions::by_id(conn, mission_id, id).map_err(|e| match e {
        StoreError::NotFound(_) => StoreError::Rejected(Message::new("review.queue.place_outside")),
        other => other,
    })
}

/// The queue a report page was opened from, and the store's query for it. The filter
/// came in a link: one that no longer reads (a place since removed, an edited address)
/// falls back to the whole queue.
fn carried_queue(
    conn: &rusqlite::Connection,
    mission_id: i64,
    time_zone: &str,
    carried: &Filter,
) -> Result<(Filter, QueueQuery), StoreError> {
    let settled = settle(conn, mission_id, carried)?;
    if !settled.pending() {
        match query_of(conn, mission_id, time_zone, &settled.filter) {
            Ok(query) => return Ok((settled.filter, query)),
            Err(StoreError::Rejected(_)) => {}
            Err(other) => return Err(other),
        }
    }
    let whole = Filter::default();
    let query = query_of(conn, mission_id, time_zone, &whole)?;
    Ok((whole, query))
}

/// A place as the filter names it: "Kangemi (ward 1428) · Nairobi › Westlands".
fn place_label(tr: Tr, levels: &[String], trail: &[Region], region: &Region) -> String {
    let within = within(trail, region.id);
    let level = level_name_in(tr, levels, region.depth);
    let mut label = format!("{} ({level} {})", region.name, region.code);
    if !within.is_empty() {
        label.push_str(" · ");
        label.push_str(&within);
    }
    label
}

/// An observer as the filter names them: "Zawadi Wekesa (zwekesa · +254 799 123 456)".
fn observer_label(name: &str, username: &str, phone: Option<&str>) -> String {
    match phone {
        Some(phone) => format!("{name} ({username} · {})", lookup::phone_tail(phone)),
        None => format!("{name} ({username})"),
    }
}

/// What the queue page needs from the database.
struct QueueData {
    settled: Settled,
    counts: Vec<(Status, i64)>,
    urgent: Vec<QueueLine>,
    lines: Vec<QueueLine>,
    /// The definitions of the forms the listed reports were filed with.
    definitions: HashMap<i64, Arc<FormDefinition>>,
    forms: Vec<forms::FormSummary>,
    categories: Vec<(String, String)>,
    levels: Vec<String>,
    /// The chosen observer: (name, username, phone).
    observer: Option<(String, String, Option<String>)>,
    /// The chosen place and its trail.
    place: Option<(Region, Vec<Region>)>,
    /// The trails of the places a search listed, by region id.
    place_trails: HashMap<i64, Vec<Region>>,
    open_findings: Vec<(i64, String)>,
}

async fn queue(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let tr = member.user.tr();
    let (filter, notice) = read_query(tr, raw.as_deref())?;
    let mission_id = member.mission_id();
    let zone = member.mission.time_zone.clone();
    let is_lead = member.role() == Role::Lead;
    let f = filter.clone();
    let facts = state.store.facts();
    let data = state
        .store
        .read(move |conn| {
            let settled = settle(conn, mission_id, &f)?;
            let chosen = &settled.filter;
            let (counts, urgent, lines) = if settled.pending() {
                (Vec::new(), Vec::new(), Vec::new())
            } else {
                let query = query_of(conn, mission_id, &zone, chosen)?;
                (
                    review::counts_by_status(conn, &facts, &query)?,
                    review::urgent(conn, &query, URGENT)?,
                    review::page(conn, &query, chosen.sort, chosen.after, PAGE + 1)?,
                )
            };
            let mut definitions = HashMap::new();
            for line in urgent.iter().chain(&lines) {
                if let Entry::Vacant(entry) = definitions.entry(line.form_id) {
                    entry.insert(forms::by_id(conn, mission_id, line.form_id)?.definition);
                }
            }
            let observer = match chosen.observer {
                Some(id) => {
                    let m = users::member(conn, mission_id, id).map_err(|e| match e {
                        StoreError::NotFound(_) => {
                            StoreError::Rejected(Message::new("review.queue.observer_outside"))
                        }
                        other => other,
                    })?;
                    Some((m.display_name, m.username, m.phone))
                }
                None => None,
            };
            let place = match chosen.region {
                Some(id) => {
                    let region = place_in_mission(conn, mission_id, id)?;
                    Some((region, regions::trail(conn, id)?))
                }
                None => None,
            };
            let mut place_trails = HashMap::new();
            if let Some(Found::Several { shown, .. }) = &settled.place {
                for region in shown {
                    place_trails.insert(region.id, regions::trail(conn, region.id)?);
                }
            }
            let open_findings = if is_lead {
                findings::list(conn, mission_id)?
                    .into_iter()
                    .filter(|f| f.stage != Stage::Published)
                    .map(|f| (f.id, f.title))
                    .collect()
            } else {
                Vec::new()
            };
            Ok(QueueData {
                counts,
                urgent,
                lines,
                definitions,
                forms: forms::current(conn, mission_id, false)?,
                categories: forms::incident_categories(conn, mission_id, tr.lang)?,
                levels: regions::levels(conn, mission_id)?,
                observer,
                place,
                place_trails,
                open_findings,
                settled,
            })
        })
        .await?;
    let QueueData {
        settled,
        counts,
        urgent,
        mut lines,
        definitions,
        forms,
        categories,
        levels,
        observer,
        place,
        place_trails,
        open_findings,
    } = data;
    let pending = settled.pending();
    let Settled {
        filter,
        observer: observer_search,
        place: place_search,
    } = settled;

    let slug = member.mission.slug.clone();
    let zone = &member.mission.time_zone;
    let base_href = format!("/m/{slug}/review");
    let query_string = filter.query_string();
    let carried = carrying(&query_string);
    let wording: Wording<'_> = definitions
        .iter()
        .map(|(id, d)| (*id, d.in_language(tr.lang)))
        .collect();
    let total: i64 = counts
        .iter()
        .filter(|(status, _)| filter.statuses.is_empty() || filter.statuses.contains(status))
        .map(|(_, n)| n)
        .sum();
    let next_href = (lines.len() > PAGE as usize).then(|| {
        lines.truncate(PAGE as usize);
        let last = lines.last().map_or(
            Cursor {
                severity: 0,
                seq: 0,
            },
            |l| l.cursor,
        );
        let join = if query_string.is_empty() { "" } else { "&" };
        format!(
            "{base_href}?{query_string}{join}after={}.{}",
            last.severity, last.seq
        )
    });
    let counts = counts
        .into_iter()
        .map(|(status, n)| StatusCount {
            status: counted(tr, status, n),
            count: tr.number(n),
            href: format!(
                "{base_href}?{}",
                filter.with_statuses(vec![status]).query_string()
            ),
            current: filter.statuses == [status],
        })
        .collect();

    let mut searches = Vec::new();
    let more = tr.fill(
        "review.queue.more_matches",
        &[("n", &tr.number(i64::try_from(MATCHES_LISTED).unwrap_or(0)))],
    );
    match observer_search {
        Some(Found::Nothing) => searches.push(SearchView {
            message: tr.fill("review.queue.no_observer", &[("text", &filter.who)]),
            choices: Vec::new(),
            more: None,
        }),
        Some(Found::Several { shown, more: cut }) => searches.push(SearchView {
            message: tr.fill("review.queue.observers_match", &[("text", &filter.who)]),
            choices: shown
                .iter()
                .map(|o| {
                    (
                        observer_label(&o.display_name, &o.username, o.phone.as_deref()),
                        format!(
                            "{base_href}?{}",
                            filter.with_observer(o.user_id).query_string()
                        ),
                    )
                })
                .collect(),
            more: cut.then(|| more.clone()),
        }),
        Some(Found::One(_)) | None => {}
    }
    match place_search {
        Some(Found::Nothing) => searches.push(SearchView {
            message: tr.fill("review.queue.no_place", &[("text", &filter.place)]),
            choices: Vec::new(),
            more: None,
        }),
        Some(Found::Several { shown, more: cut }) => searches.push(SearchView {
            message: tr.fill("review.queue.places_match", &[("text", &filter.place)]),
            choices: shown
                .iter()
                .map(|r| {
                    let trail = place_trails.get(&r.id).map_or(&[][..], Vec::as_slice);
                    (
                        place_label(tr, &levels, trail, r),
                        format!("{base_href}?{}", filter.with_region(r.id).query_string()),
                    )
                })
                .collect(),
            more: cut.then(|| more.clone()),
        }),
        Some(Found::One(_)) | None => {}
    }

    let view = FilterView {
        forms: forms
            .iter()
            .map(|f| choice(&f.key, f.title.clone(), filter.forms.contains(&f.key)))
            .collect(),
        categories: categories
            .into_iter()
            .map(|(k, l)| {
                let on = filter.categories.contains(&k);
                choice(k, l, on)
            })
            .collect(),
        severities: Severity::ALL
            .iter()
            .rev()
            .map(|s| choice(s, tr.word("severity", s), filter.severities.contains(s)))
            .collect(),
        statuses: Status::ALL
            .iter()
            .map(|s| choice(s, tr.word("status", s), filter.statuses.contains(s)))
            .collect(),
        observer: filter
            .observer
            .zip(observer)
            .map(|(id, (name, username, phone))| {
                choice(id, observer_label(&name, &username, phone.as_deref()), true)
            }),
        place: place.map(|(region, trail)| {
            choice(region.id, place_label(tr, &levels, &trail, &region), true)
        }),
        who: filter.who.clone(),
        place_text: filter.place.clone(),
        problems_only: filter.problems_only,
        problem: filter.problem.clone(),
        from: filter.from.clone(),
        to: filter.to.clone(),
        text: filter.text.clone(),
        by_severity: filter.sort == Sort::Severity,
    };
    let exports = if pending {
        Vec::new()
    } else {
        super::exports::links_in(
            tr,
            &base_href,
            &filter,
            &forms
                .iter()
                .map(|f| (f.key.clone(), f.title.clone()))
                .collect::<Vec<_>>(),
        )
    };
    let template = QueueTemplate {
        layout: member.layout(tr.t("nav.review")),
        csrf_token: super::csrf::masked(&member.user.csrf_token),
        notice,
        counts,
        total,
        urgent: urgent
            .into_iter()
            .map(|l| line_view(tr, &slug, zone, &carried, &wording, l))
            .collect(),
        lines: lines
            .into_iter()
            .map(|l| line_view(tr, &slug, zone, &carried, &wording, l))
            .collect(),
        next_href,
        exports,
        back: query_string,
        base_href,
        filter: view,
        searches,
        findings: open_findings,
        is_lead,
    };
    Ok(ok(&template))
}

/// Verifies the selected reports, or adds them to a finding (leads).
async fn bulk(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    form: StrictForm,
) -> Result<Response, AppError> {
    let tr = member.user.tr();
    let ids = form.values("report");
    // The view to return to, rebuilt from its filters: nothing else from the form reaches
    // the address.
    let back_pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&form.value("back")).unwrap_or_default();
    let back = Filter::from_pairs(&back_pairs)
        .map(|f| f.query_string())
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(AppError::Unprocessable(Message::new(
            "review.queue.select_first",
        )));
    }
    let (mission_id, role) = (member.mission_id(), member.role());
    let actor = Actor::user(member.user.user_id, &member.user.username);
    let slug = member.mission.slug.clone();
    match form.value("action").as_str() {
        "verify" => {
            let (verified, refused) = state
                .store
                .write(move |conn| {
                    let (mut verified, mut refused) = (0_u32, 0_u32);
                    let review = Review {
                        action: Action::Verify,
                        note: String::new(),
                        duplicate_of: None,
                    };
                    for id in &ids {
                        match review::act(conn, mission_id, id, &actor, role, &review) {
                            Ok(_) => verified += 1,
                            Err(StoreError::Rejected(_)) => refused += 1,
                            Err(e) => return Err(e),
                        }
                    }
                    Ok((verified, refused))
                })
                .await?;
            let join = if back.is_empty() { "" } else { "&" };
            Ok(Redirect::to(&format!(
                "/m/{slug}/review?{back}{join}verified={verified}&not_verified={refused}"
            ))
            .into_response())
        }
        "add_to_finding" => {
            if role != Role::Lead {
                return Err(AppError::Forbidden);
            }
            let finding_id: i64 = form.value("finding_id").parse().map_err(|_| {
                AppError::Unprocessable(Message::new("review.queue.choose_finding"))
            })?;
            state
                .store
                .write(move |conn| {
                    findings::add_evidence(conn, mission_id, finding_id, &ids, "", &actor)
                })
                .await?;
            Ok(Redirect::to(&format!("/m/{slug}/findings/{finding_id}#evidence")).into_response())
        }
        _ => Err(AppError::BadRequest(
            tr.t("review.queue.choose_bulk_action").to_owned(),
        )),
    }
}

// ----- one report -----

#[derive(Template)]
#[template(path = "review/report.html")]
struct ReviewReportTemplate {
    layout: Layout,
    /// The queue the report was opened from, with its filters.
    queue_href: String,
    /// The next report of that queue, if there is one.
    next_href: Option<String>,
    /// The queue's filters, carried through the actions.
    back: String,
    action_href: String,
    csrf_token: String,
    reference: String,
    status: &'static str,
    severity: Option<Severity>,
    problem_count: i64,
    category: String,
    duplicate_of: Option<String>,
    form_title: String,
    form_version: String,
    place_name: String,
    place_code: String,
    place_within: String,
    observed_at: String,
    received_at: String,
    observer: ObserverView,
    answers: Vec<AnswerSection>,
    history: Vec<EventView>,
    actions: Vec<ActionButton>,
    may_mark_duplicate: bool,
    cited_by: Vec<Citation>,
    action_error: Option<String>,
    typed_note: String,
}

struct ActionButton {
    value: &'static str,
    label: &'static str,
    class: &'static str,
}

/// A finding that cites the report; only leads, who work on findings, get the link.
struct Citation {
    href: Option<String>,
    title: String,
    stage: &'static str,
}

/// The word on an action's button, and for it in the history.
fn action_label(tr: Tr, action: Action) -> &'static str {
    match action {
        Action::Verify => tr.t("review.report.action.verify"),
        Action::Dismiss => tr.t("review.report.action.dismiss"),
        Action::Escalate => tr.t("review.report.action.escalate"),
        Action::MarkDuplicate => tr.t("review.report.action.duplicate"),
        Action::Reopen => tr.t("review.report.action.reopen"),
        Action::Comment => tr.t("review.report.action.comment"),
    }
}

/// Where a finding citing the report stands.
fn stage_label(tr: Tr, stage: Stage) -> &'static str {
    match stage {
        Stage::Draft => tr.t("review.report.stage.draft"),
        Stage::ReadyForReview => tr.t("review.report.stage.ready"),
        Stage::Published => tr.t("review.report.stage.published"),
    }
}

struct ObserverView {
    name: String,
    username: String,
    phone: String,
    team: String,
    href: String,
}

struct EventView {
    at: String,
    who: String,
    what: String,
    text: String,
}

fn describe(tr: Tr, kind: &str, from: Option<&str>, to: Option<&str>) -> String {
    match (kind, from, to) {
        ("filed", _, _) => tr.t("review.report.event.filed").to_owned(),
        ("correction", _, _) => tr.t("review.report.event.correction").to_owned(),
        ("addition", _, _) => tr.t("review.report.event.addition").to_owned(),
        ("comment", _, _) => tr.t("review.report.event.comment").to_owned(),
        (action, Some(from), Some(to)) => {
            let action = Action::parse(action).map_or(action, |a| action_label(tr, a));
            // A stored status the catalogue does not know is shown as it is.
            let status = |name: &str| match Status::parse(name) {
                Some(s) => tr.word("status", s),
                None => name.to_owned(),
            };
            tr.fill(
                "review.report.event.change",
                &[
                    ("action", action),
                    ("from", &status(from)),
                    ("to", &status(to)),
                ],
            )
        }
        (other, _, _) => other.to_owned(),
    }
}

/// What the reviewer typed, shown again with the reason an action was refused.
struct ActionDraft {
    error: Option<String>,
    note: String,
}

async fn report_template(
    state: &AppState,
    member: &Member<ReviewArea>,
    id: String,
    carried: Filter,
    draft: ActionDraft,
) -> Result<ReviewReportTemplate, AppError> {
    let tr = member.user.tr();
    let mission_id = member.mission_id();
    let zone = member.mission.time_zone.clone();
    let (report, form, trail, events, observer, cited, (queue, next)) = state
        .store
        .read(move |conn| {
            let report = reports::in_mission(conn, mission_id, &id)?;
            let form = forms::by_id(conn, mission_id, report.form_id)?;
            let trail = regions::trail(conn, report.region_id)?;
            let events = reports::history(conn, &report.id)?;
            let observer = users::member(conn, mission_id, report.observer_id)?;
            let cited = findings::citing(conn, &report.id)?;
            let (queue, query) = carried_queue(conn, mission_id, &zone, &carried)?;
            let next = review::next_after(conn, &query, queue.sort, &report.id)?;
            Ok((report, form, trail, events, observer, cited, (queue, next)))
        })
        .await?;
    let slug = &member.mission.slug;
    let zone = &member.mission.time_zone;
    let status = Status::parse(&report.status).ok_or_else(|| {
        AppError::Internal(format!("report {} has an unknown status", report.reference))
    })?;
    let allowed: Vec<Action> = [
        Action::Verify,
        Action::Escalate,
        Action::Dismiss,
        Action::MarkDuplicate,
        Action::Reopen,
        Action::Comment,
    ]
    .into_iter()
    .filter(|a| transition(status, *a, member.role()).is_ok())
    .collect();
    let actions = allowed
        .iter()
        .map(|a| ActionButton {
            value: a.as_str(),
            label: action_label(tr, *a),
            class: match a {
                Action::Dismiss => "danger",
                Action::Comment => "secondary",
                _ => "",
            },
        })
        .collect();
    let lead = member.role() == Role::Lead;
    let region = trail.last().cloned();
    let definition = form.definition.in_language(tr.lang);
    let answers = Answers::from_json(&definition, &report.answers);
    let back = queue.query_string();
    let carried = carrying(&back);
    Ok(ReviewReportTemplate {
        layout: member.layout(&report.reference),
        queue_href: format!("/m/{slug}/review{carried}"),
        next_href: next.map(|next| format!("/m/{slug}/review/reports/{next}{carried}")),
        back,
        action_href: format!("/m/{slug}/review/reports/{}/actions", report.id),
        csrf_token: super::csrf::masked(&member.user.csrf_token),
        status: status.as_str(),
        severity: report.severity,
        problem_count: report.problem_count,
        category: category_text(Some(&definition), report.category.clone()),
        duplicate_of: report.duplicate_of.clone(),
        form_title: definition.title.clone(),
        form_version: tr.number(form.version),
        place_within: within(&trail, report.region_id),
        place_name: region.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        place_code: region.map(|r| r.code).unwrap_or_default(),
        observed_at: local_date_time(tr, report.observed_at, zone),
        received_at: local_date_time(tr, report.received_at, zone),
        observer: ObserverView {
            href: format!("/m/{slug}/review?observer={}", observer.user_id),
            name: observer.display_name,
            username: observer.username,
            phone: observer.phone.unwrap_or_default(),
            team: observer.team.unwrap_or_default(),
        },
        answers: answer_sections(tr, &definition, &answers),
        history: events
            .into_iter()
            .map(|e| EventView {
                at: local_date_time(tr, e.at, zone),
                who: e
                    .actor
                    .unwrap_or_else(|| tr.t("observer.report.someone").to_owned()),
                what: describe(
                    tr,
                    &e.kind,
                    e.from_status.as_deref(),
                    e.to_status.as_deref(),
                ),
                text: e.text,
            })
            .collect(),
        actions,
        may_mark_duplicate: allowed.contains(&Action::MarkDuplicate),
        cited_by: cited
            .into_iter()
            .map(|(id, title, stage)| Citation {
                href: lead.then(|| format!("/m/{slug}/findings/{id}")),
                title,
                stage: stage_label(tr, stage),
            })
            .collect(),
        reference: report.reference,
        action_error: draft.error,
        typed_note: draft.note,
    })
}

async fn report_page(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    Path((_, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let carried = Filter::carried(raw.as_deref().unwrap_or_default());
    let template = report_template(
        &state,
        &member,
        id,
        carried,
        ActionDraft {
            error: None,
            note: String::new(),
        },
    )
    .await?;
    Ok(ok(&template))
}

async fn act(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    Path((_, id)): Path<(String, String)>,
    form: StrictForm,
) -> Result<Response, AppError> {
    let tr = member.user.tr();
    let action = Action::parse(&form.value("action"))
        .ok_or_else(|| AppError::BadRequest(tr.t("review.report.choose_action").to_owned()))?;
    let typed = form.value("note");
    let carried = Filter::carried(&form.value("back"));
    let duplicate_of = Some(form.value("duplicate_of")).filter(|v| !v.trim().is_empty());
    let refuse = |message: String| async {
        let draft = ActionDraft {
            error: Some(message),
            note: typed.clone(),
        };
        let template = report_template(&state, &member, id.clone(), carried.clone(), draft).await?;
        Ok::<Response, AppError>(page(StatusCode::UNPROCESSABLE_ENTITY, &template))
    };
    let note = match note_for(action, &typed) {
        Ok(note) => note,
        Err(refused) => return refuse(refused.0.in_language(tr)).await,
    };
    if action == Action::MarkDuplicate && duplicate_of.is_none() {
        return refuse(tr.t("review.report.give_reference").to_owned()).await;
    }
    let (mission_id, role) = (member.mission_id(), member.role());
    let actor = Actor::user(member.user.user_id, &member.user.username);
    let report_id = id.clone();
    let review = Review {
        action,
        note,
        duplicate_of,
    };
    let outcome = state
        .store
        .write(move |conn| review::act(conn, mission_id, &report_id, &actor, role, &review))
        .await;
    match outcome {
        // Back to the report, its actions and the way on to the next report in view: the
        // queue's filters come along, rebuilt, so the address stays within the mission.
        Ok(_) => Ok(Redirect::to(&format!(
            "/m/{}/review/reports/{id}{}#review",
            member.mission.slug,
            carrying(&carried.query_string())
        ))
        .into_response()),
        Err(StoreError::Rejected(message)) => refuse(message.in_language(member.user.tr())).await,
        Err(other) => Err(other.into()),
    }
}
