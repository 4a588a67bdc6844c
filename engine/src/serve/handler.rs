//! One webhook request: admission (bounded concurrency and queue), bearer-token check, body
//! limits, evaluation on a blocking thread, and the answer only after the alerts are written.

use super::sink::{Job, WriteError};
use crate::correlate::Correlator;
use crate::detector::{Batch, Counts, Detector};
use crate::input::InputError;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER,
    WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::{oneshot, Semaphore};

/// Response bodies: small, built in memory.
type Body = Full<std::io::Cursor<Vec<u8>>>;

/// How long a client may take to send a body.
const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// What every request shares.
pub(super) struct State {
    pub(super) det: Detector,
    pub(super) token: Option<Vec<u8>>,
    pub(super) max_body: u64,
    /// Requests admitted (evaluating, waiting, or writing).
    pub(super) admitted: AtomicUsize,
    pub(super) admit_limit: usize,
    pub(super) evaluating: Semaphore,
    pub(super) retry_after: u64,
    pub(super) writer: Mutex<Option<mpsc::Sender<Job>>>,
    /// Everything counted so far: requests, rejections, and the accepted batches' counts.
    pub(super) counts: Mutex<Counts>,
    /// The correlations' state, kept across requests.
    pub(super) correlator: Mutex<Correlator>,
    /// `--max-lateness`: matches older than the wall clock minus this are correlated even
    /// when no later event came.
    pub(super) lateness: i64,
}

/// One admitted request; gives its place back when dropped.
struct Slot<'a>(&'a State);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::SeqCst);
    }
}

impl State {
    /// Counts under the lock (a poisoned lock still holds good counts).
    pub(super) fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn admit(&self) -> Option<Slot<'_>> {
        let before = self.admitted.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(self);
        (before < self.admit_limit).then_some(slot)
    }
}

fn respond(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut text: String = body.into();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut r = Response::new(Full::new(std::io::Cursor::new(text.into_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn reject(st: &State, n: u64, status: StatusCode, reason: &str) -> Response<Body> {
    st.counts().rejected += 1;
    eprintln!("detect: webhook:{n}: {} {reason}", status.as_u16());
    respond(status, reason)
}

fn authorized(st: &State, req: &Request<Incoming>) -> bool {
    let Some(token) = &st.token else {
        return true;
    };
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return false;
    };
    let value = value.as_bytes();
    value.len() > 7
        && value[..7].eq_ignore_ascii_case(b"bearer ")
        && bool::from(value[7..].trim_ascii().ct_eq(token))
}

pub(super) async fn handle(
    req: Request<Incoming>,
    st: Arc<State>,
) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path();
    if path == "/healthz" && (req.method() == Method::GET || req.method() == Method::HEAD) {
        return Ok(respond(StatusCode::OK, "ok"));
    }
    if req.method() != Method::POST {
        let mut r = respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "POST an audit.k8s.io/v1 EventList (or GET /healthz)",
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return Ok(r);
    }
    let n = {
        let mut counts = st.counts();
        counts.requests += 1;
        counts.requests
    };
    if !authorized(&st, &req) {
        let mut r = reject(
            &st,
            n,
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token",
        );
        r.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Ok(r);
    }
    if let Some(enc) = req.headers().get(CONTENT_ENCODING) {
        if !enc.as_bytes().eq_ignore_ascii_case(b"identity") {
            return Ok(reject(
                &st,
                n,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "compressed bodies are not accepted",
            ));
        }
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > st.max_body) {
        return Ok(too_large(&st, n));
    }
    let Some(_slot) = st.admit() else {
        return Ok(busy(&st, n));
    };
    let limit = usize::try_from(st.max_body).unwrap_or(usize::MAX);
    let body =
        match tokio::time::timeout(BODY_TIMEOUT, Limited::new(req.into_body(), limit).collect())
            .await
        {
            Err(_) => {
                return Ok(reject(
                    &st,
                    n,
                    StatusCode::REQUEST_TIMEOUT,
                    "the body took too long to arrive",
                ));
            }
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
                return Ok(too_large(&st, n));
            }
            Ok(Err(e)) => {
                return Ok(reject(
                    &st,
                    n,
                    StatusCode::BAD_REQUEST,
                    &format!("cannot read the body: {e}"),
                ));
            }
            Ok(Ok(collected)) => collected.to_bytes(),
        };

    let Ok(permit) = st.evaluating.acquire().await else {
        return Ok(busy(&st, n));
    };
    let st2 = st.clone();
    let evaluated = tokio::task::spawn_blocking(move || evaluate(&st2, n, &body)).await;
    drop(permit);
    let mut batch = match evaluated {
        Ok(Ok(batch)) => batch,
        Ok(Err(reason)) => return Ok(reject(&st, n, StatusCode::BAD_REQUEST, &reason.to_string())),
        Err(e) => {
            return Ok(reject(
                &st,
                n,
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("evaluation failed: {e}"),
            ));
        }
    };

    // Correlations see the batches in the order they finish evaluating; the lateness buffer
    // puts their matches back in time order.
    {
        let hits = std::mem::take(&mut batch.hits);
        let mut c = st.correlator.lock().unwrap_or_else(|p| p.into_inner());
        let mut written = c.feed(hits, &mut batch.alerts, &mut |w| eprintln!("{w}"));
        written += c.release_until(now_micros() - st.lateness, &mut batch.alerts);
        batch.counts.alerts += written;
        batch.counts.correlation_alerts += written;
    }
    if !batch.alerts.is_empty() {
        let (done, wait) = oneshot::channel();
        let sent = st
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|w| {
                w.send(Job {
                    bytes: batch.alerts,
                    done,
                })
                .is_ok()
            })
            .unwrap_or(false);
        let result = if sent {
            wait.await.unwrap_or(Err(WriteError::Stopped))
        } else {
            Err(WriteError::ShuttingDown)
        };
        if let Err(e) = result {
            st.det.forget(&batch.keys);
            return Ok(reject(
                &st,
                n,
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot write alerts: {e}"),
            ));
        }
    }
    let mut r = respond(StatusCode::OK, batch.counts.batch_answer(n));
    batch.counts.batches = 1;
    st.counts().add(&batch.counts);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(r)
}

fn too_large(st: &State, n: u64) -> Response<Body> {
    reject(
        st,
        n,
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is larger than {} bytes (--max-body)", st.max_body),
    )
}

fn busy(st: &State, n: u64) -> Response<Body> {
    let mut r = reject(st, n, StatusCode::SERVICE_UNAVAILABLE, "busy; retry later");
    r.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(st.retry_after));
    r
}

/// Decodes a body and evaluates its events; `Err` is the reason for a 400.
fn evaluate(st: &State, n: u64, body: &[u8]) -> Result<Batch, InputError> {
    let items = st.det.decoder().body(body)?;
    let mut batch = Batch::default();
    st.det.items(items, "webhook", n, None, &mut batch);
    for w in &batch.warnings {
        eprintln!("{w}");
    }
    Ok(batch)
}

/// The wall clock, in microseconds since the epoch.
pub(super) fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
