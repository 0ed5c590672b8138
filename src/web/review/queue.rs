//! The review queue: one page of reports under the reviewer's filters, the counts by
//! status, urgent reports above, and actions on a selection.

use askama::Template;
use std::borrow::Cow;
use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{carrying, category_text, read_query};
use crate::domain::form::{FormDefinition, Severity};
use crate::domain::lookup::{self, Found};
use crate::domain::message::Message;
use crate::domain::queue::{Cursor, Filter, Sort};
use crate::domain::review::Status;
use crate::domain::role::Role;
use crate::i18n::Tr;
use crate::store::audit::Actor;
use crate::store::findings;
use crate::store::regions::Region;
use crate::store::review::{self, MATCHES_LISTED, QueueLine, QueuePage, QueueRequest, Settled};
use crate::web::member::{Member, ReviewArea};
use crate::web::strict_form::StrictForm;
use crate::web::view::{Layout, level_name_in, local_date_time, ok, within};
use crate::web::{AppError, AppState};

/// Lines per page of the queue, and urgent reports shown above it.
const PAGE: u32 = 50;
const URGENT: u32 = 10;

#[derive(Template)]
#[template(path = "review/queue.html")]
struct QueueTemplate {
    layout: Layout,
    base_href: String,
    csrf_token: String,
    notice: Option<String>,
    counts: Vec<StatusCount>,
    /// How many reports match, and how far a broad search was counted.
    matching: String,
    capped: Option<String>,
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

/// The forms the listed reports were filed with, in the reader's language, by form id:
/// what words their titles and categories.
type Wording<'a> = HashMap<i64, Cow<'a, FormDefinition>>;

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

pub(super) async fn queue(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let tr = member.user.tr();
    let (filter, notice) = read_query(tr, raw.as_deref())?;
    let request = QueueRequest {
        mission_id: member.mission_id(),
        time_zone: member.mission.time_zone.clone(),
        lang: tr.lang,
        filter,
        lines: PAGE,
        urgent: URGENT,
        open_findings: member.role() == Role::Lead,
        counted_matches: state.config.counted_matches,
    };
    let is_lead = request.open_findings;
    let facts = state.store.facts();
    let data = state
        .store
        .read(move |conn| review::queue_page(conn, &facts, &request))
        .await?;
    let QueuePage {
        settled,
        counts,
        counted_to,
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
    // A broad search's counts are of its newest matches: each is a lower bound, and says so.
    let (matching, capped) = match counted_to {
        None => (tr.n("review.queue.matching", total), None),
        Some(counted) => (
            tr.n("review.queue.matching_at_least", total),
            Some(tr.fill(
                "review.queue.counts_capped.text",
                &[(
                    "counted",
                    &tr.number(i64::try_from(counted).unwrap_or(i64::MAX)),
                )],
            )),
        ),
    };
    let counts = counts
        .into_iter()
        .map(|(status, n)| StatusCount {
            status: counted(tr, status, n),
            count: match counted_to {
                None => tr.number(n),
                Some(_) => tr.fill("review.queue.counts_capped.count", &[("n", &tr.number(n))]),
            },
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
        observer: filter.observer.zip(observer).map(|(id, o)| {
            choice(
                id,
                observer_label(&o.name, &o.username, o.phone.as_deref()),
                true,
            )
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
        crate::web::exports::links_in(
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
        csrf_token: crate::web::csrf::masked(&member.user.csrf_token),
        notice,
        counts,
        matching,
        capped,
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
pub(super) async fn bulk(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    form: StrictForm,
) -> Result<Response, AppError> {
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
            let review::Verified { verified, refused } = state
                .store
                .write(move |conn| review::verify_all(conn, mission_id, &ids, &actor, role))
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
        _ => Err(AppError::BadRequest(Message::new(
            "review.queue.choose_bulk_action",
        ))),
    }
}
