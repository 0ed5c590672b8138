//! One client connection: HTTP/1 by hyper, under the timeouts that keep a slow, silent
//! or stalled client from holding it for ever.
//!
//! hyper has one timer of its own for HTTP/1 (the header read timeout), and it starts as
//! soon as a connection waits for a request, so it would also be the keep-alive timeout.
//! The timers here tell the two apart by watching the socket and the requests together:
//!
//! - idle: no request in flight and not a byte from the client (a new connection that
//!   sends nothing, a kept-alive one nobody reuses);
//! - header: a request's first byte came, its head has not arrived whole;
//! - send: a response is waiting to be written and the client takes nothing.
//!
//! A request body has its own limit, in the web layer, where bodies are read
//! (`web::body`).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, header};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use tower::Service;

/// How long a connection may wait on its client at each stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From a request's first byte to the end of its head.
    pub header: Duration,
    /// With no request in flight, between two bytes from the client.
    pub idle: Duration,
    /// With a response to write, between two writes the client accepts.
    pub send: Duration,
}

/// Serves HTTP/1 on `stream` until the client leaves, a timeout cuts it, or `stopping`
/// turns true (then the request in flight is finished first).
pub(super) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    activity: Arc<Activity>,
    mut stopping: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity), timeouts));
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        activity.answering();
        request.extensions_mut().insert(ConnectInfo(peer));
        let answered = Answered(Arc::clone(&activity));
        let read = Arc::new(AtomicBool::new(request.body().is_end_stream()));
        let request = request.map(|body| {
            Body::new(Noted {
                body,
                note: Note::Read(Arc::clone(&read)),
            })
        });
        let mut app = app.clone();
        async move {
            // A Router is always ready, so no poll_ready is needed before the call.
            let mut response = match app.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if !read.load(Ordering::SeqCst) {
                // Answered before its body was read to the end (refused as too large or
                // too slow, or sent where no body is taken): hyper will close the
                // connection rather than read the rest, and the client must know not to
                // send another request on it.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(Noted {
                    body,
                    note: Note::Answered(answered),
                })
            }))
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .header_read_timeout(None)
        // A request head, cookies and all, is a few kilobytes: this bounds what a client
        // can make the server hold before it has sent a whole head.
        .max_buf_size(64 * 1024)
        .serve_connection(io, service);
    let mut connection = pin!(connection);
    let stop = async move {
        // The guard the wait returns is dropped here, not held across the select.
        let _ = stopping.wait_for(|stop| *stop).await.map(|_| ());
    };
    tokio::select! {
        result = connection.as_mut() => log_end(result),
        () = stop => {
            connection.as_mut().graceful_shutdown();
            log_end(connection.await);
        }
    }
}

fn log_end(result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        // Clients leave, time out and send junk all day: worth a look only when debugging.
        tracing::debug!(error = %e, "connection ended");
    }
}

/// What a connection is doing, seen by its socket, its requests and the gate alike.
pub(super) struct Activity(Mutex<State>);

struct State {
    phase: Phase,
    /// Closed to make room for a new connection (see `gate::Gate::evict_one`).
    evicted: bool,
    /// The task last kept waiting on a read: woken when a request's answer is done, so
    /// that its read is asked again and the idle timer starts. hyper itself only asks
    /// again when the client sends something.
    reader: Option<Waker>,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request since `since`; `head_from` is when its first byte came.
    Waiting {
        since: Instant,
        head_from: Option<Instant>,
    },
    /// A request is being answered.
    Answering,
}

impl Activity {
    pub(super) fn new() -> Activity {
        Activity(Mutex::new(State {
            phase: Phase::Waiting {
                since: Instant::now(),
                head_from: None,
            },
            evicted: false,
            reader: None,
        }))
    }

    /// Since when the connection has been waiting for a request; None while it answers one.
    pub(super) fn waiting_since(&self) -> Option<Instant> {
        let state = self.0.lock().ok()?;
        match state.phase {
            Phase::Waiting { since, .. } if !state.evicted => Some(since),
            _ => None,
        }
    }

    /// Closes the connection if it is still waiting for a request (never one that is
    /// being answered); says whether it did.
    pub(super) fn evict_if_waiting(&self) -> bool {
        let reader = {
            let Ok(mut state) = self.0.lock() else {
                return false;
            };
            if state.evicted || !matches!(state.phase, Phase::Waiting { .. }) {
                return false;
            }
            state.evicted = true;
            state.reader.take()
        };
        if let Some(reader) = reader {
            reader.wake();
        }
        true
    }

    pub(super) fn answering(&self) {
        if let Ok(mut state) = self.0.lock() {
            state.phase = Phase::Answering;
        }
    }

    fn waiting(&self) {
        let reader = self.0.lock().ok().and_then(|mut state| {
            state.phase = Phase::Waiting {
                since: Instant::now(),
                head_from: None,
            };
            state.reader.take()
        });
        if let Some(reader) = reader {
            reader.wake();
        }
    }

    /// Bytes came from the client: between requests, a new request has begun.
    fn bytes_arrived(&self) {
        if let Ok(mut state) = self.0.lock()
            && let Phase::Waiting {
                head_from: head_from @ None,
                ..
            } = &mut state.phase
        {
            *head_from = Some(Instant::now());
        }
    }

    /// How long a read may wait for the client. Keeps the waiting task, to wake when the
    /// answer is done or the connection is closed to make room.
    fn read_wait(&self, timeouts: &Timeouts, waker: &Waker) -> Option<Wait> {
        let mut state = self.0.lock().ok()?;
        if !state.reader.as_ref().is_some_and(|w| w.will_wake(waker)) {
            state.reader = Some(waker.clone());
        }
        if state.evicted {
            return Some(Wait::Over);
        }
        Some(match state.phase {
            Phase::Waiting {
                head_from: Some(at),
                ..
            } => Wait::Until(at + timeouts.header),
            Phase::Waiting { since, .. } => Wait::Until(since + timeouts.idle),
            Phase::Answering => Wait::AsLongAsItTakes,
        })
    }
}

/// How long a read may wait for the client.
enum Wait {
    Until(Instant),
    /// A request is being answered: its body has a limit of its own, where it is read.
    AsLongAsItTakes,
    /// Not at all: the connection is closed to make room for another.
    Over,
}

/// Marks the end of a request's answer when its response body is done with.
struct Answered(Arc<Activity>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.waiting();
    }
}

/// A body that marks its end: a request's when it has been read to the end, a response's
/// when it has been sent (or dropped, which ends its `Answered`).
struct Noted<B> {
    body: B,
    note: Note,
}

enum Note {
    Read(Arc<AtomicBool>),
    /// Held for its `Drop` alone.
    Answered(#[allow(dead_code)] Answered),
}

impl<B: HttpBody<Data = Bytes> + Unpin> HttpBody for Noted<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let frame = Pin::new(&mut self.body).poll_frame(cx);
        if let Note::Read(read) = &self.note
            && (matches!(frame, Poll::Ready(None)) || self.body.is_end_stream())
        {
            read.store(true, Ordering::SeqCst);
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, with the timers that cut a client who keeps it waiting.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
    timeouts: Timeouts,
    read_timer: Timer,
    write_timer: Timer,
    /// Since when writes have been waiting for the client to take something.
    write_stuck_since: Option<Instant>,
    /// Closing: until when, and how much more, to read and discard (see `poll_shutdown`).
    linger: Option<(Instant, usize)>,
    /// Cut by a timeout or to make room: closed at once, without lingering.
    cut: bool,
}

/// How long and how much a closing connection reads of what its client still sends: the
/// rest of a refused body of a few megabytes arrives in well under two seconds on any
/// link that could send it, and nobody keeps the connection by sending more.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 64 * 1024 * 1024;

/// A sleep armed for one deadline at a time.
struct Timer {
    sleep: Pin<Box<Sleep>>,
    armed: Option<Instant>,
}

impl Timer {
    fn new() -> Timer {
        Timer {
            sleep: Box::pin(tokio::time::sleep(Duration::from_secs(3600))),
            armed: None,
        }
    }

    /// Whether `deadline` has passed; if not, the task is woken when it does.
    fn expired(&mut self, deadline: Instant, cx: &mut Context<'_>) -> bool {
        if self.armed != Some(deadline) {
            self.sleep.as_mut().reset(deadline);
            self.armed = Some(deadline);
        }
        self.sleep.as_mut().poll(cx).is_ready()
    }
}

impl Watched {
    fn new(stream: TcpStream, activity: Arc<Activity>, timeouts: Timeouts) -> Watched {
        Watched {
            stream,
            activity,
            timeouts,
            read_timer: Timer::new(),
            write_timer: Timer::new(),
            write_stuck_since: None,
            linger: None,
            cut: false,
        }
    }

    /// A write is waiting: fails it once the client has taken nothing for too long.
    fn write_waits<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let since = *self.write_stuck_since.get_or_insert_with(Instant::now);
        if self.write_timer.expired(since + self.timeouts.send, cx) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            )));
        }
        Poll::Pending
    }

    fn wrote<T>(
        &mut self,
        result: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        match result {
            Poll::Pending => self.write_waits(cx),
            ready => {
                self.write_stuck_since = None;
                ready
            }
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Pending => {
                let timed_out = match this.activity.read_wait(&this.timeouts, cx.waker()) {
                    Some(Wait::Until(deadline)) => this.read_timer.expired(deadline, cx),
                    Some(Wait::Over) => true,
                    Some(Wait::AsLongAsItTakes) | None => false,
                };
                if timed_out {
                    this.cut = true;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client kept us waiting",
                    )));
                }
                Poll::Pending
            }
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            failed => failed,
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.wrote(result, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.wrote(result, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_flush(cx);
        this.wrote(result, cx)
    }

    /// Ends the connection as a lingering close does: the answer is sent and the sending
    /// side closed, then whatever the client is still sending (the rest of a body the
    /// server refused without reading, say) is read and dropped for a moment. Closing a
    /// socket with unread data resets the connection, and the client may then lose the
    /// answer it was about to read.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.linger.is_none() {
            let result = Pin::new(&mut this.stream).poll_shutdown(cx);
            match this.wrote(result, cx) {
                Poll::Ready(Ok(())) => {}
                waiting_or_failed => return waiting_or_failed,
            }
            if this.cut {
                // Nothing was answered that the client might miss.
                return Poll::Ready(Ok(()));
            }
            this.linger = Some((Instant::now() + LINGER, LINGER_BYTES));
        }
        let Some((until, mut left)) = this.linger else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 4096];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() && buf.filled().len() < left => {
                    left -= buf.filled().len();
                    this.linger = Some((until, left));
                }
                // The client has closed too, sent too much, or failed: done.
                Poll::Ready(_) => return Poll::Ready(Ok(())),
                Poll::Pending if this.read_timer.expired(until, cx) => {
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
