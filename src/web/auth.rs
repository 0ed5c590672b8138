//! Signing in and out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::client::ClientAddress;
use super::csrf::sign_in_token;
use super::session::{CurrentUser, cookie, set_cookie};
use super::view::{Layout, area_path, page};
use super::{AppError, AppState};
use crate::credentials::{decoy_hash, random_token, token_digest, verify_password};
use crate::domain::account::Username;
use crate::domain::sign_in::{Gate, safe_next};
use crate::i18n::{Lang, Tr};
use crate::store::sessions::{self, Membership};
use crate::store::sign_in_failures;
use crate::store::{now, users};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(sign_in_page).post(sign_in))
        .route("/logout", post(sign_out))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    layout: Layout,
    csrf_token: String,
    username: String,
    next: String,
    error: Option<String>,
    notice: Option<String>,
    /// The outbox script, which says here how many reports wait on this phone.
    outbox_script: &'static str,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

/// How long the sign-in form stays usable: a page left open over lunch still works.
const SIGN_IN_FORM_SECS: i64 = 12 * 3600;

async fn sign_in_page(
    State(state): State<AppState>,
    lang: Lang,
    user: Option<CurrentUser>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let next = query
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or_default()
        .to_owned();
    if let Some(user) = user {
        let destination = if next.is_empty() {
            home_path(&user.memberships)
        } else {
            next
        };
        return Ok(Redirect::to(&destination).into_response());
    }
    let notice = if next.contains("/observer/file/resume/") {
        Some("auth.report_kept")
    } else {
        query.signed_out.is_some().then_some("auth.signed_out")
    };
    let notice = notice.map(|key| Tr::new(lang).t(key).to_owned());
    login_form(
        &state,
        lang,
        StatusCode::OK,
        String::new(),
        next,
        None,
        notice,
    )
}

/// The sign-in form with a fresh nonce in its cookie and the matching token in the page.
fn login_form(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    username: String,
    next: String,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let nonce = random_token().map_err(|e| AppError::Internal(e.to_string()))?;
    let template = LoginTemplate {
        layout: Layout::public(Tr::new(lang).t("auth.title"), lang),
        csrf_token: super::csrf::masked(&sign_in_token(&state.sign_in_key, &nonce)),
        username,
        next,
        error,
        notice,
        outbox_script: super::assets::outbox_script_url(),
    };
    let mut response = page(status, &template);
    let cookie = set_cookie(
        state.config.sign_in_cookie(),
        &nonce,
        SIGN_IN_FORM_SECS,
        &state.config,
    );
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let lang = super::language::of(&headers);
    let username = Username::normalize_for_sign_in(&form.username);
    let next = safe_next(&form.next).unwrap_or_default().to_owned();

    let limits = state.config.sign_in_limits;
    let claimant = username.clone();
    let claim = state
        .store
        .write(move |conn| {
            sign_in_failures::claim_attempt(conn, &claimant, &address, limits, now())
        })
        .await?;
    let attempt = match claim {
        Ok(attempt) => attempt,
        Err(Gate::Locked { minutes }) => {
            let message = Tr::new(lang).n("auth.throttled", minutes);
            let mut response = login_form(
                &state,
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                username,
                next,
                Some(message),
                None,
            )?;
            if let Ok(value) = HeaderValue::from_str(&(minutes * 60).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Ok(response);
        }
        Err(Gate::Open) => return Err(AppError::Internal("an open gate was refused".into())),
    };

    let checked = check_password(&state, username.clone(), form.password).await;
    let user_id = match checked {
        Ok(user_id) => user_id,
        Err(e) => {
            // Unchecked is no failure: the attempt is withdrawn before the error is told.
            let unclaimed = attempt.clone();
            if let Err(withdrawn) = state
                .store
                .write(move |conn| sign_in_failures::withdraw(conn, &unclaimed))
                .await
            {
                tracing::warn!(error = %withdrawn, "cannot withdraw an unchecked sign-in attempt");
            }
            return Err(e);
        }
    };

    let Some(user_id) = user_id else {
        let error = Some(Tr::new(lang).t("auth.wrong").to_owned());
        return login_form(
            &state,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            username,
            next,
            error,
            None,
        );
    };

    let token = random_token().map_err(|e| AppError::Internal(e.to_string()))?;
    let csrf_token = random_token().map_err(|e| AppError::Internal(e.to_string()))?;
    let token_hash = token_digest(&token);
    let replaced = cookie(&headers, state.config.session_cookie()).map(token_digest);
    let memberships = state
        .store
        .write(move |conn| {
            sign_in_failures::succeeded(conn, &attempt)?;
            sessions::start(conn, &token_hash, &csrf_token, user_id, replaced.as_deref())?;
            sessions::memberships(conn, user_id)
        })
        .await?;
    tracing::info!(%username, "signed in");

    let destination = if next.is_empty() {
        home_path(&memberships)
    } else {
        next
    };
    let mut response = Redirect::to(&destination).into_response();
    let config = &state.config;
    let cookies = response.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        set_cookie(
            config.session_cookie(),
            &token,
            config.sessions.absolute_secs,
            config,
        ),
    );
    cookies.append(
        header::SET_COOKIE,
        set_cookie(config.sign_in_cookie(), "", 0, config),
    );
    Ok(response)
}

/// The user whose password this is, if it is right and the account enabled. The hash is
/// checked even for unknown or disabled accounts (against a decoy), so that a failure takes
/// as long whatever the reason and reveals nothing about the account.
async fn check_password(
    state: &AppState,
    username: String,
    password: String,
) -> Result<Option<i64>, AppError> {
    let credentials = state
        .store
        .read(move |conn| users::credentials(conn, &username))
        .await?;
    state
        .password_work(move || {
            let hash = credentials
                .as_ref()
                .map_or(decoy_hash(), |c| c.password_hash.as_str());
            let matches = verify_password(&password, hash);
            credentials
                .filter(|c| matches && !c.disabled)
                .map(|c| c.user_id)
        })
        .await
}

async fn sign_out(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let token_hash = user.token_hash().to_vec();
    state
        .store
        .write(move |conn| sessions::end(conn, &token_hash))
        .await?;
    let mut response = Redirect::to("/login?signed_out=1").into_response();
    let expired = set_cookie(state.config.session_cookie(), "", 0, &state.config);
    response.headers_mut().append(header::SET_COOKIE, expired);
    Ok(response)
}

/// Where a user lands after signing in: the home of their role when they belong to one
/// mission, the list of their missions otherwise.
pub fn home_path(memberships: &[Membership]) -> String {
    match memberships {
        [only] => area_path(&only.slug, only.role.home_area()),
        _ => "/".to_owned(),
    }
}
