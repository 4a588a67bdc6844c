//! `detect serve`: the Kubernetes audit webhook receiver.
//!
//! The API server's webhook backend POSTs batches (`audit.k8s.io/v1` `EventList`) and retries
//! with backoff until it gets a 2xx, so a 200 here means "the batch's alerts are safely
//! written": alerts are appended to the output and, when it is a file, fsync'd before the
//! answer. One writer thread owns the output and commits concurrent batches together (one
//! fsync for all the batches waiting).
//!
//! Overload is answered, not queued without bound: at most `--max-concurrent` batches are
//! evaluated at once and `--queue` more may wait; beyond that, 503 with Retry-After, which the
//! API server retries.

use crate::ServeArgs;
use detections::io::alert::Location;
use detections::io::detector::{DedupeKey, Detector};
use detections::io::input::decode_body;
use detections::RULES;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER,
    WWW_AUTHENTICATE,
};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// Response bodies: small, built in memory.
type Body = Full<std::io::Cursor<Vec<u8>>>;

/// How long a client may take to send a body.
const BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a client may take to send the request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Where alerts go.
enum Sink {
    File(File),
    Stdout(io::Stdout),
}

impl Sink {
    fn open(path: Option<&Path>) -> Result<Sink, String> {
        let Some(path) = path else {
            return Ok(Sink::Stdout(io::stdout()));
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(|e| format!("{}: cannot open for writing: {e}", path.display()))?;
        // A crash (kill -9, power loss) may have cut the last alert short: start on a new line
        // so that the next alert is not glued to the fragment.
        let len = file
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if last[0] != b'\n' {
                eprintln!(
                    "detect: {}: the last line was cut short (an interrupted write); starting a new line",
                    path.display()
                );
                file.write_all(b"\n")
                    .and_then(|()| file.sync_data())
                    .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
            }
        }
        Ok(Sink::File(file))
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::File(f) => f.write_all(bytes),
            Sink::Stdout(s) => s.lock().write_all(bytes),
        }
    }

    /// Makes what was written durable: fsync for a file, flush for stdout.
    fn commit(&mut self) -> io::Result<()> {
        match self {
            Sink::File(f) => f.sync_data(),
            Sink::Stdout(s) => s.lock().flush(),
        }
    }
}

/// Alerts of one batch, and where to say whether they were written.
struct Job {
    bytes: Vec<u8>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Owns the output: writes the jobs waiting, commits them with one fsync, answers each.
fn writer(rx: mpsc::Receiver<Job>, mut sink: Sink) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < 256 {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut results = Vec::with_capacity(jobs.len());
        let mut broken: Option<String> = None;
        for job in &jobs {
            let r = match &broken {
                Some(e) => Err(e.clone()),
                None => sink.write_all(&job.bytes).map_err(|e| e.to_string()),
            };
            if let Err(e) = &r {
                broken.get_or_insert_with(|| e.clone());
            }
            results.push(r);
        }
        if let Err(e) = sink.commit() {
            let e = e.to_string();
            for r in &mut results {
                if r.is_ok() {
                    *r = Err(e.clone());
                }
            }
        }
        for (job, r) in jobs.into_iter().zip(results) {
            let _ = job.done.send(r);
        }
    }
}

/// Totals for the summary line.
#[derive(Default)]
struct Totals {
    requests: AtomicU64,
    batches: AtomicU64,
    events: AtomicU64,
    alerts: AtomicU64,
    bad_items: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
}

struct State {
    det: Detector,
    token: Option<Vec<u8>>,
    max_body: u64,
    /// Requests admitted (evaluating, waiting, or writing).
    admitted: AtomicUsize,
    admit_limit: usize,
    evaluating: Semaphore,
    retry_after: u64,
    writer: Mutex<Option<mpsc::Sender<Job>>>,
    totals: Totals,
}

/// One admitted request; gives its place back when dropped.
struct Slot<'a>(&'a State);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::SeqCst);
    }
}

impl State {
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
    st.totals.rejected.fetch_add(1, Ordering::Relaxed);
    eprintln!("detect: webhook:{n}: {} {reason}", status.as_u16());
    respond(status, reason)
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        && ct_eq(value[7..].trim_ascii(), token)
}

async fn handle(req: Request<Incoming>, st: Arc<State>) -> Result<Response<Body>, Infallible> {
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
    let n = st.totals.requests.fetch_add(1, Ordering::SeqCst) + 1;
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
    let batch = match evaluated {
        Ok(Ok(batch)) => batch,
        Ok(Err(reason)) => return Ok(reject(&st, n, StatusCode::BAD_REQUEST, &reason)),
        Err(e) => {
            return Ok(reject(
                &st,
                n,
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("evaluation failed: {e}"),
            ));
        }
    };

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
            wait.await
                .unwrap_or_else(|_| Err("the writer stopped".into()))
        } else {
            Err("shutting down".into())
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
    let t = &st.totals;
    t.batches.fetch_add(1, Ordering::Relaxed);
    t.events.fetch_add(batch.events, Ordering::Relaxed);
    t.alerts.fetch_add(batch.alert_count, Ordering::Relaxed);
    t.bad_items.fetch_add(batch.bad_items, Ordering::Relaxed);
    t.duplicates.fetch_add(batch.duplicates, Ordering::Relaxed);
    let mut r = respond(
        StatusCode::OK,
        format!(
            "{{\"request\":{n},\"events\":{},\"alerts\":{},\"bad_items\":{}}}",
            batch.events, batch.alert_count, batch.bad_items
        ),
    );
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

struct Batch {
    alerts: Vec<u8>,
    keys: Vec<DedupeKey>,
    events: u64,
    alert_count: u64,
    bad_items: u64,
    duplicates: u64,
}

/// Decodes a body and evaluates its events; `Err` is the reason for a 400.
fn evaluate(st: &State, n: u64, body: &[u8]) -> Result<Batch, String> {
    let items = decode_body(body)?;
    let mut batch = Batch {
        alerts: Vec::new(),
        keys: Vec::new(),
        events: 0,
        alert_count: 0,
        bad_items: 0,
        duplicates: 0,
    };
    for item in items {
        match item.result {
            Ok(decoded) => {
                batch.events += 1;
                let at = Location {
                    file: "webhook",
                    line: n,
                    item: item.item,
                };
                let o = st
                    .det
                    .evaluate(&decoded, &at, &mut batch.alerts, &mut batch.keys);
                batch.alert_count += o.alerts;
                batch.duplicates += o.duplicates;
            }
            Err(e) => {
                batch.bad_items += 1;
                eprintln!(
                    "detect: webhook:{n}:{}: bad item: {e}",
                    item.item.unwrap_or(1)
                );
            }
        }
    }
    Ok(batch)
}

fn load_tls(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<rustls::ServerConfig, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: cannot read the certificate chain: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("{}: cannot read the private key: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            let cas = CertificateDer::pem_file_iter(ca)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("{}: cannot read CA certificates: {e}", ca.display()))?;
            for c in cas {
                roots
                    .add(c)
                    .map_err(|e| format!("{}: bad CA certificate: {e}", ca.display()))?;
            }
            if roots.is_empty() {
                return Err(format!("{}: no CA certificate found", ca.display()));
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| format!("{}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate and key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn read_token(path: &PathBuf) -> Result<Vec<u8>, String> {
    let text = std::fs::read(path)
        .map_err(|e| format!("{}: cannot read the token: {e}", path.display()))?;
    let token = text.trim_ascii().to_vec();
    if token.is_empty() {
        return Err(format!("{}: the token file is empty", path.display()));
    }
    Ok(token)
}

pub fn run(args: ServeArgs) -> ExitCode {
    let options = match args.output.options(None) {
        Ok(o) => o,
        Err(e) => return crate::usage_error(&e),
    };
    match setup_and_serve(args, options) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("detect: {e}");
            ExitCode::FAILURE
        }
    }
}

fn setup_and_serve(
    args: ServeArgs,
    options: detections::io::detector::Options,
) -> Result<ExitCode, String> {
    let token = args.auth_token_file.as_ref().map(read_token).transpose()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsAcceptor::from(Arc::new(load_tls(
            cert,
            key,
            args.client_ca.as_deref(),
        )?))),
        _ => None,
    };
    let sink = Sink::open(args.output.output.as_deref())?;
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let concurrent = args.max_concurrent.unwrap_or(cpus).max(1);
    let (tx, rx) = mpsc::channel::<Job>();
    let writer_thread = std::thread::Builder::new()
        .name("alert-writer".into())
        .spawn(move || writer(rx, sink))
        .map_err(|e| format!("cannot start the writer thread: {e}"))?;
    let state = Arc::new(State {
        det: Detector::new(RULES, options),
        token,
        max_body: args.max_body,
        admitted: AtomicUsize::new(0),
        admit_limit: concurrent + args.queue,
        evaluating: Semaphore::new(concurrent),
        retry_after: args.retry_after,
        writer: Mutex::new(Some(tx)),
        totals: Totals::default(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cpus.clamp(1, 4))
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let served = runtime.block_on(serve(&args, tls, state.clone()));
    // Every connection is done (or timed out): close the writer, which finishes its queue.
    state
        .writer
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = writer_thread.join();
    served?;
    let t = &state.totals;
    if args.output.stats {
        eprint!("{}", state.det.stats_table());
    }
    eprintln!(
        "detect: {} requests, {} batches accepted, {} events evaluated, {} alerts, {} bad items, {} duplicates dropped, {} rejected",
        t.requests.load(Ordering::Relaxed),
        t.batches.load(Ordering::Relaxed),
        t.events.load(Ordering::Relaxed),
        t.alerts.load(Ordering::Relaxed),
        t.bad_items.load(Ordering::Relaxed),
        t.duplicates.load(Ordering::Relaxed),
        t.rejected.load(Ordering::Relaxed),
    );
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    args: &ServeArgs,
    tls: Option<TlsAcceptor>,
    state: Arc<State>,
) -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("signals: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("signals: {e}"))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!("detect: listening on {scheme}://{local}");

    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = term.recv() => break,
            _ = int.recv() => break,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                eprintln!("detect: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let watcher = graceful.watcher();
        let state = state.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, state.clone()));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(true);
            match tls {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(tcp), service);
                    let _ = watcher.watch(conn).await;
                }
                Some(acceptor) => {
                    let stream =
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                            Ok(Ok(s)) => s,
                            Ok(Err(e)) => {
                                eprintln!("detect: TLS handshake with {peer} failed: {e}");
                                return;
                            }
                            Err(_) => {
                                eprintln!("detect: TLS handshake with {peer} timed out");
                                return;
                            }
                        };
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
    drop(listener);
    let pending = state.admitted.load(Ordering::SeqCst);
    eprintln!("detect: shutting down; finishing {pending} batches in flight");
    let timeout = Duration::from_secs(args.shutdown_timeout);
    if tokio::time::timeout(timeout, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("detect: gave up waiting after {timeout:?}; unacknowledged batches will be resent by the API server");
    }
    Ok(())
}
