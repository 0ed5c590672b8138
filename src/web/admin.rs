//! Mission setup for admins: people, passwords, access and observers' assignments.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::member::{AdminArea, Member};
use super::view::{Layout, around, level_name_in, level_word, local_date_time, ok, page, within};
use super::{AppError, AppState};
use crate::credentials::{generate_password, hash_password};
use crate::domain::account::{NewPassword, Username, parse_display_name, parse_phone};
use crate::domain::role::Role;
use crate::i18n::Tr;
use crate::store::audit::Actor;
use crate::store::missions::Mission;
use crate::store::regions::Region;
use crate::store::users::{self, NewMember};
use crate::store::{StoreError, admin_pages};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/users", post(add_user))
        .route("/admin/users/{user_id}", get(user_page))
        .route("/admin/users/{user_id}/password", post(reset_password))
        .route("/admin/users/{user_id}/disable", post(disable))
        .route("/admin/users/{user_id}/enable", post(enable))
        .route("/admin/users/{user_id}/team", post(set_team))
        .route("/admin/users/{user_id}/assignments", post(assign))
        .route(
            "/admin/users/{user_id}/assignments/{region_id}/remove",
            post(unassign),
        )
}

/// The person acting, as the audit log names them.
fn actor(member: &Member<AdminArea>) -> Actor {
    Actor::user(member.user.user_id, &member.user.username)
}

/// A role in the page's language.
fn role_word(tr: Tr, role: Role) -> &'static str {
    match role {
        Role::Observer => tr.t("admin.role.observer"),
        Role::Coordinator => tr.t("admin.role.coordinator"),
        Role::Lead => tr.t("admin.role.lead"),
        Role::Admin => tr.t("admin.role.admin"),
    }
}

/// Hashes a new password with the server's bounded password workers.
async fn hash_in_background(state: &AppState, password: NewPassword) -> Result<String, AppError> {
    state
        .password_work(move || hash_password(&password))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))
}

// ----- the setup page: people and geography -----

#[derive(Template)]
#[template(path = "admin/home.html")]
struct AdminHomeTemplate {
    layout: Layout,
    csrf_token: String,
    mission: Mission,
    geography: Vec<(String, String)>,
    /// The sentence around the import command, when there are no regions yet.
    geography_none: (String, String),
    members: Vec<MemberRow>,
    form: NewUserForm,
    errors: NewUserErrors,
    audit: Vec<AuditRow>,
    /// Each role's stored name and its word.
    roles: Vec<(&'static str, &'static str)>,
}

struct MemberRow {
    href: String,
    username: String,
    display_name: String,
    role: &'static str,
    /// Only observers have assignments to count.
    is_observer: bool,
    disabled: bool,
    assignments: i64,
    last_sign_in: String,
}

struct AuditRow {
    at: String,
    /// Who did what: "admin: user added, wafula as coordinator".
    line: String,
}

#[derive(Deserialize, Default)]
struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    role: String,
    /// Empty: generate one and show it once.
    #[serde(default)]
    password: String,
}

#[derive(Default)]
struct NewUserErrors {
    username: Option<String>,
    display_name: Option<String>,
    phone: Option<String>,
    role: Option<String>,
    password: Option<String>,
}

impl NewUserErrors {
    fn any(&self) -> bool {
        self.username.is_some()
            || self.display_name.is_some()
            || self.phone.is_some()
            || self.role.is_some()
            || self.password.is_some()
    }
}

async fn home(
    State(state): State<AppState>,
    member: Member<AdminArea>,
) -> Result<Response, AppError> {
    let template = home_template(
        &state,
        &member,
        NewUserForm {
            role: "observer".into(),
            ..Default::default()
        },
        NewUserErrors::default(),
    )
    .await?;
    Ok(ok(&template))
}

async fn home_template(
    state: &AppState,
    member: &Member<AdminArea>,
    form: NewUserForm,
    errors: NewUserErrors,
) -> Result<AdminHomeTemplate, AppError> {
    let slug = member.mission.slug.clone();
    let mission_id = member.mission_id();
    let admin_pages::HomePage {
        mission,
        regions_by_level: counts,
        members,
        recent: entries,
    } = state
        .store
        .read(move |conn| admin_pages::home_page(conn, &slug, mission_id))
        .await?;
    let zone = mission.time_zone.clone();
    let tr = member.user.tr();
    let members = members
        .into_iter()
        .map(|m| MemberRow {
            href: format!("/m/{}/admin/users/{}", mission.slug, m.user_id),
            last_sign_in: m.last_sign_in_at.map_or_else(
                || tr.t("admin.home.never").to_owned(),
                |t| local_date_time(tr, t, &zone),
            ),
            username: m.username,
            display_name: m.display_name,
            role: role_word(tr, m.role),
            is_observer: m.role == Role::Observer,
            disabled: m.disabled,
            assignments: m.assignments,
        })
        .collect();
    let audit = entries
        .into_iter()
        .map(|e| AuditRow {
            at: local_date_time(tr, e.at, &zone),
            line: e.event.message(&e.actor).in_language(tr),
        })
        .collect();
    Ok(AdminHomeTemplate {
        layout: member.layout(tr.t("nav.setup")),
        csrf_token: super::csrf::masked(&member.user.csrf_token),
        geography: counts
            .into_iter()
            .map(|(level, n)| (level_word(tr, &level, true), tr.number(n)))
            .collect(),
        geography_none: around(tr.t("admin.geography.none"), "{command}"),
        mission,
        members,
        form,
        errors,
        audit,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), role_word(tr, *r)))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "admin/password_shown.html")]
struct PasswordShownTemplate {
    layout: Layout,
    heading: &'static str,
    username: String,
    display_name: String,
    /// "… signs in as" and "." around the username.
    signs_in: (String, String),
    password: Option<String>,
    user_href: String,
    back_href: String,
}

async fn add_user(
    State(state): State<AppState>,
    member: Member<AdminArea>,
    Form(form): Form<NewUserForm>,
) -> Result<Response, AppError> {
    let mut errors = NewUserErrors::default();
    let tr = member.user.tr();
    let username = Username::parse(&form.username)
        .map_err(|e| errors.username = Some(e.0.in_language(tr)))
        .ok();
    let display_name = parse_display_name(&form.display_name)
        .map_err(|e| errors.display_name = Some(e.0.in_language(tr)))
        .ok();
    let phone = parse_phone(&form.phone)
        .map_err(|e| errors.phone = Some(e.0.in_language(tr)))
        .ok();
    let role = form
        .role
        .parse::<Role>()
        .map_err(|e| errors.role = Some(e.to_string()))
        .ok();
    let typed_password = !form.password.is_empty();
    let password = if typed_password {
        NewPassword::parse(&form.password)
            .map_err(|e| errors.password = Some(e.0.in_language(tr)))
            .ok()
    } else {
        Some(generate_password().map_err(|e| AppError::Internal(e.to_string()))?)
    };
    let (Some(username), Some(display_name), Some(phone), Some(role), Some(password)) =
        (username, display_name, phone, role, password)
    else {
        return form_again(&state, &member, form, errors).await;
    };
    debug_assert!(!errors.any());

    let password_hash = hash_in_background(&state, password.clone()).await?;
    let new = NewMember {
        mission_id: member.mission_id(),
        username: username.clone(),
        display_name: display_name.clone(),
        phone,
        role,
        password_hash,
    };
    let who = actor(&member);
    let created = state
        .store
        .write(move |conn| users::create(conn, &new, &who))
        .await;
    let user_id = match created {
        Ok(id) => id,
        Err(StoreError::Conflict(message)) => {
            errors.username = Some(message.in_language(member.user.tr()));
            return form_again(&state, &member, form, errors).await;
        }
        Err(other) => return Err(other.into()),
    };
    let tr = member.user.tr();
    let template = PasswordShownTemplate {
        layout: member.layout(tr.t("admin.password.added")),
        heading: tr.t("admin.password.added"),
        username: username.to_string(),
        signs_in: around(
            &tr.fill("admin.password.signs_in", &[("name", &display_name)]),
            "{username}",
        ),
        display_name,
        password: (!typed_password).then(|| password.expose().to_owned()),
        user_href: format!("/m/{}/admin/users/{user_id}", member.mission.slug),
        back_href: format!("/m/{}/admin", member.mission.slug),
    };
    Ok(page(StatusCode::CREATED, &template))
}

/// The setup page again with the typed values and a message beside each wrong field.
async fn form_again(
    state: &AppState,
    member: &Member<AdminArea>,
    mut form: NewUserForm,
    errors: NewUserErrors,
) -> Result<Response, AppError> {
    form.password.clear();
    let template = home_template(state, member, form, errors).await?;
    Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &template))
}

// ----- one member: password, access, assignments -----

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserTemplate {
    layout: Layout,
    csrf_token: String,
    admin_href: String,
    base_href: String,
    member: users::Member,
    /// The member's role in the page's language.
    role: &'static str,
    is_observer: bool,
    is_self: bool,
    assignments: Vec<RegionRow>,
    query: String,
    results: Vec<RegionRow>,
    searched: bool,
    password_error: Option<String>,
}

/// A region with where it is, for choosing and listing assignments.
struct RegionRow {
    id: i64,
    level: String,
    code: String,
    name: String,
    within: String,
    assigned: bool,
}

#[derive(Deserialize, Default)]
struct UserQuery {
    #[serde(default)]
    q: String,
}

/// Regions offered per search; a name common enough to match more is made more precise.
const SEARCH_RESULTS: u32 = 25;

async fn user_page(
    State(state): State<AppState>,
    member: Member<AdminArea>,
    Path((_, user_id)): Path<(String, i64)>,
    Query(query): Query<UserQuery>,
) -> Result<Response, AppError> {
    let template = user_template(&state, &member, user_id, query.q, None).await?;
    Ok(ok(&template))
}

async fn user_template(
    state: &AppState,
    member: &Member<AdminArea>,
    user_id: i64,
    query: String,
    password_error: Option<String>,
) -> Result<UserTemplate, AppError> {
    let mission_id = member.mission_id();
    let search = query.trim().to_owned();
    let admin_pages::UserPage {
        member: target,
        levels,
        assigned,
        found,
    } = state
        .store
        .read(move |conn| {
            admin_pages::user_page(conn, mission_id, user_id, &search, SEARCH_RESULTS)
        })
        .await?;
    let assigned_ids: Vec<i64> = assigned.iter().map(|(r, _)| r.id).collect();
    let tr = member.user.tr();
    let row = |(region, trail): (Region, Vec<Region>)| RegionRow {
        id: region.id,
        level: level_name_in(tr, &levels, region.depth),
        within: within(&trail, region.id),
        assigned: assigned_ids.contains(&region.id),
        code: region.code,
        name: region.name,
    };
    Ok(UserTemplate {
        layout: member.layout(target.display_name.clone()),
        csrf_token: super::csrf::masked(&member.user.csrf_token),
        admin_href: format!("/m/{}/admin", member.mission.slug),
        base_href: format!("/m/{}/admin/users/{user_id}", member.mission.slug),
        is_self: target.user_id == member.user.user_id,
        is_observer: target.role == Role::Observer,
        role: role_word(member.user.tr(), target.role),
        assignments: assigned.into_iter().map(row).collect(),
        results: found.into_iter().map(row).collect(),
        searched: !query.trim().is_empty(),
        query,
        member: target,
        password_error,
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    /// Empty: generate one and show it once.
    #[serde(default)]
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    member: Member<AdminArea>,
    Path((_, user_id)): Path<(String, i64)>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let typed = !form.password.is_empty();
    let password = if typed {
        match NewPassword::parse(&form.password) {
            Ok(p) => p,
            Err(e) => {
                let message = e.0.in_language(member.user.tr());
                let template =
                    user_template(&state, &member, user_id, String::new(), Some(message)).await?;
                return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &template));
            }
        }
    } else {
        generate_password().map_err(|e| AppError::Internal(e.to_string()))?
    };
    let hash = hash_in_background(&state, password.clone()).await?;
    let (mission_id, who) = (member.mission_id(), actor(&member));
    let target = state
        .store
        .write(move |conn| admin_pages::reset_password(conn, mission_id, user_id, &hash, &who))
        .await?;
    let tr = member.user.tr();
    let template = PasswordShownTemplate {
        layout: member.layout(tr.t("admin.password.reset")),
        heading: tr.t("admin.password.reset"),
        username: target.username,
        signs_in: around(
            &tr.fill("admin.password.signs_in", &[("name", &target.display_name)]),
            "{username}",
        ),
        display_name: target.display_name,
        password: (!typed).then(|| password.expose().to_owned()),
        user_href: format!("/m/{}/admin/users/{user_id}", member.mission.slug),
        back_href: format!("/m/{}/admin", member.mission.slug),
    };
    Ok(ok(&template))
}

async fn disable(
    state: State<AppState>,
    member: Member<AdminArea>,
    Path((_, user_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    set_disabled(state, member, user_id, true).await
}

async fn enable(
    state: State<AppState>,
    member: Member<AdminArea>,
    Path((_, user_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    set_disabled(state, member, user_id, false).await
}

async fn set_disabled(
    State(state): State<AppState>,
    member: Member<AdminArea>,
    user_id: i64,
    disabled: bool,
) -> Result<Response, AppError> {
    let (mission_id, who) = (member.mission_id(), actor(&member));
    state
        .store
        .write(move |conn| users::set_disabled(conn, mission_id, user_id, disabled, &who))
        .await?;
    Ok(Redirect::to(&format!("/m/{}/admin/users/{user_id}", member.mission.slug)).into_response())
}

#[derive(Deserialize)]
struct AssignForm {
    region_id: i64,
    #[serde(default)]
    q: String,
}

async fn assign(
    State(state): State<AppState>,
    member: Member<AdminArea>,
    Path((_, user_id)): Path<(String, i64)>,
    Form(form): Form<AssignForm>,
) -> Result<Response, AppError> {
    let (mission_id, who, region_id) = (member.mission_id(), actor(&member), form.region_id);
    state
        .store
        .write(move |conn| users::assign(conn, mission_id, user_id, region_id, &who))
        .await?;
    let back = format!(
        "/m/{}/admin/users/{user_id}?q={}",
        member.mission.slug,
        super::session::query_component(&form.q)
    );
    Ok(Redirect::to(&back).into_response())
}

async fn unassign(
    State(state): State<AppState>,
    member: Member<AdminArea>,
    Path((_, user_id, region_id)): Path<(String, i64, i64)>,
) -> Result<Response, AppError> {
    let (mission_id, who) = (member.mission_id(), actor(&member));
    state
        .store
        .write(move |conn| users::unassign(conn, mission_id, user_id, region_id, &who))
        .await?;
    Ok(Redirect::to(&format!("/m/{}/admin/users/{user_id}", member.mission.slug)).into_response())
}

#[derive(Deserialize)]
struct TeamForm {
    #[serde(default)]
    team: String,
}

/// Puts a member in a team; reviewers see it beside the observer's reports.
async fn set_team(
    State(state): State<AppState>,
    member: Member<AdminArea>,
    Path((_, user_id)): Path<(String, i64)>,
    Form(form): Form<TeamForm>,
) -> Result<Response, AppError> {
    let team = form.team.trim().chars().take(80).collect::<String>();
    let (mission_id, who) = (member.mission_id(), actor(&member));
    state
        .store
        .write(move |conn| {
            users::set_team(
                conn,
                mission_id,
                user_id,
                Some(team.as_str()).filter(|t| !t.is_empty()),
                &who,
            )
        })
        .await?;
    Ok(Redirect::to(&format!("/m/{}/admin/users/{user_id}", member.mission.slug)).into_response())
}
