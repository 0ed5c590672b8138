//! `Member<A>`: the extractor that admits a signed-in user into one area of one mission.
//!
//! Every mission route takes a `Member<...>` argument, so a handler cannot run for someone
//! outside the mission (404: missions are not advertised) or whose role may not enter the
//! area (403).

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppError;
use super::session::CurrentUser;
use super::view::Layout;
use crate::domain::role::{Area, Role};
use crate::store::sessions::Membership;

/// Marks an area at the type level.
pub trait AreaMarker {
    const AREA: Area;
}

/// The observer's pages.
pub struct ObserverArea;
/// The coordinators' and leads' overview.
pub struct OverviewArea;
/// The review queue.
pub struct ReviewArea;
/// Findings and the statement.
pub struct FindingsArea;
/// Form definitions.
pub struct FormsArea;
/// Mission setup.
pub struct AdminArea;

impl AreaMarker for ObserverArea {
    const AREA: Area = Area::Observer;
}
impl AreaMarker for OverviewArea {
    const AREA: Area = Area::Overview;
}
impl AreaMarker for ReviewArea {
    const AREA: Area = Area::Review;
}
impl AreaMarker for FindingsArea {
    const AREA: Area = Area::Findings;
}
impl AreaMarker for FormsArea {
    const AREA: Area = Area::Forms;
}
impl AreaMarker for AdminArea {
    const AREA: Area = Area::Admin;
}

/// A signed-in user acting in the mission named by the `{mission}` path segment, with a
/// role that may enter area `A`.
pub struct Member<A> {
    pub user: CurrentUser,
    pub mission: Membership,
    _area: PhantomData<A>,
}

impl<A: AreaMarker> Member<A> {
    /// The page frame for this member in this area of the mission.
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        Layout::in_mission(
            title,
            &self.user,
            &self.mission.slug,
            &self.mission.name,
            self.role(),
            A::AREA,
        )
    }
}

impl<A> Member<A> {
    pub fn mission_id(&self) -> i64 {
        self.mission.mission_id
    }

    pub fn role(&self) -> Role {
        self.mission.role
    }
}

/// The mission slug of a request to a mission route.
fn mission_slug(params: &RawPathParams) -> Option<&str> {
    params
        .iter()
        .find(|(key, _)| *key == "mission")
        .map(|(_, value)| value)
}

/// Lets only members of the mission in the path through (signed-out visitors are sent to
/// sign in, others get 404): the guard on every `/m/{mission}/...` route.
pub async fn require_membership(
    user: CurrentUser,
    params: RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    let member =
        mission_slug(&params).is_some_and(|slug| user.memberships.iter().any(|m| m.slug == slug));
    if !member {
        return AppError::NotFound.into_response();
    }
    next.run(request).await
}

impl<A: AreaMarker, S: Send + Sync> FromRequestParts<S> for Member<A> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound.into_response())?;
        let slug = mission_slug(&params)
            .map(str::to_owned)
            .ok_or_else(|| AppError::NotFound.into_response())?;
        let mission = user
            .memberships
            .iter()
            .find(|m| m.slug == slug)
            .cloned()
            .ok_or_else(|| AppError::NotFound.into_response())?;
        if !mission.role.may_enter(A::AREA) {
            return Err(AppError::Forbidden.into_response());
        }
        Ok(Member {
            user,
            mission,
            _area: PhantomData,
        })
    }
}
