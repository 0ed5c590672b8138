//! The map of polling stations with coordinates, coloured by the worst severity of their
//! standing reports: one SVG path of dots per colour, drawn by the server.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{read_filter, selection};
use crate::store::dashboard as store_dashboard;
use crate::web::member::{Member, OverviewArea};
use crate::web::{AppError, AppState};

/// The map; its texts come written in the page's language.
#[derive(Template)]
#[template(path = "overview/map.svg", escape = "html")]
struct MapTemplate {
    drawing: Option<MapDrawing>,
    title: String,
    /// Under the map: how many stations it leaves out.
    note: String,
}

/// The map of polling stations with coordinates, coloured by the worst severity of their
/// standing reports. An image of its own: cached by the browser, and the page stays light.
pub(super) async fn map(
    State(state): State<AppState>,
    member: Member<OverviewArea>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let tr = member.user.tr();
    let filter = read_filter(raw.as_deref(), &member.mission.time_zone)?;
    let map = store_dashboard::map(&state.store, member.mission_id(), selection(&filter)).await?;
    let (stations, unlocated) = (map.stations, map.unlocated);
    let place = map.region.map_or_else(
        || tr.t("dashboard.the_whole_mission").to_owned(),
        |r| r.name,
    );
    let points: Vec<MapPoint> = stations
        .iter()
        .map(|s| MapPoint {
            latitude: s.latitude,
            longitude: s.longitude,
            reports: s.reports,
            worst: s.worst,
        })
        .collect();
    let drawing = draw_map(&points);
    let note = match (&drawing, unlocated) {
        (Some(_), 0) => tr.t("dashboard.map.all_located").to_owned(),
        (Some(_), n) => tr.n("dashboard.map.unlocated", n),
        (None, n) => tr.fill("dashboard.map.none_located", &[("n", &tr.number(n))]),
    };
    let template = MapTemplate {
        drawing,
        title: tr.fill("dashboard.map.svg_title", &[("place", &place)]),
        note,
    };
    let svg = template
        .render()
        .map_err(|e| AppError::Internal(format!("map failed: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=60"),
        ],
        svg,
    )
        .into_response())
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
