//! Exports of the reports a queue filter selects: CSV (one column per question of one
//! form), the observers' corrections and additions to them (CSV), JSON and GeoJSON. Streamed as they are read, so that a million reports never
//! sit in memory, from one read transaction, so that they agree with each other.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::member::{Member, ReviewArea};
use super::review::read_query;
use super::{AppError, AppState};
use crate::domain::export::{answer_cell, csv_header, neutralise};
use crate::domain::form::Severity;
use crate::domain::message::Message;
use crate::i18n::Tr;
use crate::store::exports::{self, ExportRow};
use crate::store::{Requester, Streamed};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/review/export.csv", get(csv_export))
        .route("/review/export.json", get(json_export))
        .route("/review/export.geojson", get(geojson_export))
        .route("/review/export-amendments.csv", get(amendments_export))
}

/// The links to export what a filter selects: a CSV per form the filter allows, JSON and
/// GeoJSON, labelled in the page's language. `review_base` is the mission's
/// `/m/{slug}/review`.
pub fn links_in(
    tr: Tr,
    review_base: &str,
    filter: &crate::domain::queue::Filter,
    forms: &[(String, String)],
) -> Vec<(String, String)> {
    let mut links: Vec<(String, String)> = forms
        .iter()
        .filter(|(key, _)| filter.forms.is_empty() || filter.forms.contains(key))
        .map(|(key, title)| {
            let mut one = filter.clone();
            one.forms = vec![key.clone()];
            (
                tr.fill("review.exports.csv", &[("title", title)]),
                format!("{review_base}/export.csv?{}", one.query_string()),
            )
        })
        .collect();
    let query = filter.query_string();
    links.push((
        tr.t("review.exports.amendments").to_owned(),
        format!("{review_base}/export-amendments.csv?{query}"),
    ));
    links.push(("JSON".into(), format!("{review_base}/export.json?{query}")));
    links.push((
        tr.t("review.exports.geojson").to_owned(),
        format!("{review_base}/export.geojson?{query}"),
    ));
    links
}

/// Bytes gathered before they are handed to the response. Small enough that a phone on
/// 2G takes one every few seconds, which tells a slow reader from one that has stopped.
const CHUNK: usize = 16 * 1024;

/// How long an export waits for its client to take the next chunk before it gives up its
/// place (see `store::long_reads`): a client that has stopped reading must not keep the
/// export of another user or mission waiting.
const STALLED: Duration = Duration::from_secs(10);

/// Collects output on the reading thread and hands it to the response in chunks. Sending
/// waits while the reader of the response is slower (back-pressure): memory stays flat.
struct Sink {
    buffer: Vec<u8>,
    tx: mpsc::Sender<Bytes>,
    runtime: tokio::runtime::Handle,
    open: bool,
}

impl Sink {
    /// Adds bytes; false once nobody reads the response any more.
    fn put(&mut self, bytes: &[u8]) -> bool {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send();
        }
        self.open
    }

    fn send(&mut self) {
        if self.buffer.is_empty() || !self.open {
            return;
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        let sent = self
            .runtime
            .block_on(tokio::time::timeout(STALLED, self.tx.send(chunk)));
        self.open = match sent {
            Ok(Ok(())) => true,
            // The response is gone: the client left or its connection was cut.
            Ok(Err(_)) => false,
            Err(_) => {
                tracing::warn!(
                    seconds = STALLED.as_secs(),
                    "export abandoned: its client stopped reading"
                );
                false
            }
        };
    }
}

/// For the CSV writer: a closed response is a broken pipe, which ends the export.
impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.put(bytes) {
            Ok(bytes.len())
        } else {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A response whose body `produce` writes from a long read of its own, once the store has
/// a place for the member's long read (else the server is busy: 503).
async fn streamed<F>(
    state: &AppState,
    member: &Member<ReviewArea>,
    content_type: &'static str,
    filename: String,
    produce: F,
) -> Result<Response, AppError>
where
    F: Streamed<Sink>,
{
    let who = Requester {
        mission_id: member.mission_id(),
        user_id: member.user.user_id,
    };
    let slot = state.store.long_read_slot(who).await?;
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    // Set once the whole export is handed over: an export that ends any other way (a read
    // that failed, a client that stopped reading) must not look like a whole file.
    let whole = Arc::new(AtomicBool::new(false));
    let finished = Arc::clone(&whole);
    let store = state.store.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::spawn(async move {
        let result = store
            .read_long(slot, move |conn| {
                let mut sink = Sink {
                    buffer: Vec::with_capacity(CHUNK),
                    tx,
                    runtime,
                    open: true,
                };
                produce(conn, &mut sink)?;
                sink.send();
                finished.store(sink.open, Ordering::SeqCst);
                Ok(())
            })
            .await;
        // The status line is long gone: a failure can only cut the file short, and be logged.
        if let Err(e) = result {
            tracing::error!(error = %e, "export failed part-way");
        }
    });
    // A closed channel keeps answering None, however often it is asked: the compression
    // layer asks again after the end. If the export did not finish, the body ends with an
    // error instead, so that the response is cut off (no last chunk) and the browser says
    // the download failed rather than keep a file that only looks whole.
    let mut failed = false;
    let stream = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|chunk| match chunk {
            Some(bytes) => Some(Ok(bytes)),
            None if failed || whole.load(Ordering::SeqCst) => None,
            None => {
                failed = true;
                Some(Err(std::io::Error::other("the export did not finish")))
            }
        })
    });
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// A unix time in the mission's time zone with its offset: `2017-08-08T06:12:00+03:00`.
fn iso_time(unix: i64, zone: &TimeZone) -> String {
    Timestamp::from_second(unix).map_or_else(
        |_| String::new(),
        |t| {
            t.to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        },
    )
}

fn severity_word(rank: Option<i64>) -> &'static str {
    rank.and_then(Severity::from_rank)
        .map_or("", Severity::as_str)
}

/// A file name from the mission and what is in the file.
fn filename(member: &Member<ReviewArea>, what: &str, extension: &str) -> String {
    let safe: String = what
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("{}-{safe}.{extension}", member.mission.slug)
}

async fn csv_export(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let tr = member.user.tr();
    let (filter, _) = read_query(tr, raw.as_deref())?;
    let [form_key] = filter.forms.as_slice() else {
        return Err(AppError::BadRequest(Message::new(
            "review.exports.one_form",
        )));
    };
    let form_key = form_key.clone();
    let mission_id = member.mission_id();
    let zone_name = member.mission.time_zone.clone();
    let (exports::Plan { query, levels }, questions) = {
        let (f, zone, key) = (filter.clone(), zone_name.clone(), form_key.clone());
        state
            .store
            .read(move |conn| exports::form_plan(conn, mission_id, &zone, &f, &key))
            .await?
    };
    let zone = TimeZone::get(&zone_name).unwrap_or(TimeZone::UTC);
    let name = filename(&member, &format!("reports-{form_key}"), "csv");
    streamed(
        &state,
        &member,
        "text/csv; charset=utf-8",
        name,
        move |conn, sink| {
            // A byte-order mark: spreadsheets then read the file as UTF-8, accents and all.
            sink.put("\u{feff}".as_bytes());
            let mut header: Vec<String> = [
                "reference",
                "id",
                "form",
                "form_version",
                "status",
                "severity",
                "category",
                "problems",
                "observed_at",
                "received_at",
                "observer",
                "amendments",
                "last_amended_at",
            ]
            .map(String::from)
            .to_vec();
            header.extend(levels.iter().map(|level| format!("{level}_code")));
            header.push("place_name".to_owned());
            let keys: Vec<String> = questions.iter().map(|(key, _)| key.clone()).collect();
            let header = csv_header(&header, &keys);
            let mut writer = csv::Writer::from_writer(sink);
            if writer
                .write_record(header.iter().map(|c| neutralise(c)))
                .is_err()
            {
                return Ok(());
            }
            exports::each_report(conn, &query, false, &mut |report: ExportRow| {
                let codes: Vec<&str> = report.region_path.codes().collect();
                let mut cells = vec![
                    report.reference,
                    report.id,
                    report.form_key,
                    report.form_version.to_string(),
                    report.status,
                    severity_word(report.severity).to_owned(),
                    report.category.unwrap_or_default(),
                    report.problem_count.to_string(),
                    iso_time(report.observed_at, &zone),
                    iso_time(report.received_at, &zone),
                    report.observer,
                    report.amendments.len().to_string(),
                    report
                        .amendments
                        .last()
                        .map_or_else(String::new, |a| iso_time(a.at, &zone)),
                ];
                cells.extend(
                    (0..levels.len())
                        .map(|i| codes.get(i).map_or_else(String::new, |c| (*c).to_owned())),
                );
                cells.push(report.region_name);
                cells.extend(
                    questions.iter().map(|(key, _)| {
                        answer_cell(report.answers.get(key).unwrap_or(&Value::Null))
                    }),
                );
                writer
                    .write_record(cells.iter().map(|c| neutralise(c)))
                    .is_ok()
            })?;
            // Whatever the writer still holds; a reader gone by now loses nothing of ours.
            let _ = writer.flush();
            Ok(())
        },
    )
    .await
}

/// A report as a JSON object: stable keys (question and option keys, codes), never labels.
fn report_json(report: ExportRow, levels: &[String], zone: &TimeZone) -> Value {
    let codes: Vec<&str> = report.region_path.codes().collect();
    let mut region = Map::new();
    for (level, code) in levels.iter().zip(&codes) {
        region.insert(level.clone(), Value::String((*code).to_owned()));
    }
    json!({
        "id": report.id,
        "reference": report.reference,
        "form": report.form_key,
        "form_version": report.form_version,
        "status": report.status,
        "severity": report.severity.and_then(Severity::from_rank).map(Severity::as_str),
        "category": report.category,
        "problems": report.problem_count,
        "observed_at": iso_time(report.observed_at, zone),
        "received_at": iso_time(report.received_at, zone),
        "observer": report.observer,
        "place": { "codes": region, "name": report.region_name },
        "answers": report.answers,
        "amendment_count": report.amendments.len(),
        "amendments": report.amendments.iter().map(|a| json!({
            "at": iso_time(a.at, zone),
            "kind": a.kind,
            "text": a.text,
        })).collect::<Vec<_>>(),
    })
}

/// The observers' corrections and additions to the reports a filter selects, one row
/// each, oldest first within a report: the history the reports' CSV counts.
async fn amendments_export(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (query, _, zone) = prepare(&state, &member, raw.as_deref()).await?;
    let name = filename(&member, "amendments", "csv");
    streamed(
        &state,
        &member,
        "text/csv; charset=utf-8",
        name,
        move |conn, sink| {
            sink.put("\u{feff}".as_bytes());
            let mut writer = csv::Writer::from_writer(sink);
            let header = [
                "reference",
                "id",
                "form",
                "observer",
                "amended_at",
                "kind",
                "text",
            ];
            if writer.write_record(header).is_err() {
                return Ok(());
            }
            exports::each_amendment(conn, &query, &mut |row| {
                let cells = [
                    row.reference,
                    row.report_id,
                    row.form_key,
                    row.observer,
                    iso_time(row.amendment.at, &zone),
                    row.amendment.kind,
                    row.amendment.text,
                ];
                writer
                    .write_record(cells.iter().map(|c| neutralise(c)))
                    .is_ok()
            })?;
            let _ = writer.flush();
            Ok(())
        },
    )
    .await
}

async fn json_export(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (query, levels, zone) = prepare(&state, &member, raw.as_deref()).await?;
    let name = filename(&member, "reports", "json");
    streamed(
        &state,
        &member,
        "application/json",
        name,
        move |conn, sink| {
            sink.put(b"[");
            let mut first = true;
            exports::each_report(conn, &query, false, &mut |report| {
                let separator: &[u8] = if first { b"\n" } else { b",\n" };
                first = false;
                sink.put(separator)
                    && sink.put(report_json(report, &levels, &zone).to_string().as_bytes())
            })?;
            sink.put(b"\n]\n");
            Ok(())
        },
    )
    .await
}

async fn geojson_export(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (query, levels, zone) = prepare(&state, &member, raw.as_deref()).await?;
    let name = filename(&member, "reports", "geojson");
    streamed(
        &state,
        &member,
        "application/geo+json",
        name,
        move |conn, sink| {
            sink.put(br#"{"type":"FeatureCollection","features":["#);
            let mut first = true;
            exports::each_report(conn, &query, true, &mut |report| {
                let (Some(lat), Some(lon)) = (report.latitude, report.longitude) else {
                    return true;
                };
                let mut properties = report_json(report, &levels, &zone);
                // A map's points carry what a report is, not what it says.
                if let Some(p) = properties.as_object_mut() {
                    p.remove("answers");
                    p.remove("amendments");
                }
                let feature = json!({
                    "type": "Feature",
                    "geometry": { "type": "Point", "coordinates": [lon, lat] },
                    "properties": properties,
                });
                let separator: &[u8] = if first { b"\n" } else { b",\n" };
                first = false;
                sink.put(separator) && sink.put(feature.to_string().as_bytes())
            })?;
            sink.put(b"\n]}\n");
            Ok(())
        },
    )
    .await
}

/// The query, the level names and the time zone of a JSON or GeoJSON export.
async fn prepare(
    state: &AppState,
    member: &Member<ReviewArea>,
    raw: Option<&str>,
) -> Result<(crate::store::review::QueueQuery, Vec<String>, TimeZone), AppError> {
    let tr = member.user.tr();
    let (filter, _) = read_query(tr, raw)?;
    let mission_id = member.mission_id();
    let zone_name = member.mission.time_zone.clone();
    let zone = zone_name.clone();
    let exports::Plan { query, levels } = state
        .store
        .read(move |conn| exports::plan(conn, mission_id, &zone, &filter))
        .await?;
    Ok((
        query,
        levels,
        TimeZone::get(&zone_name).unwrap_or(TimeZone::UTC),
    ))
}
