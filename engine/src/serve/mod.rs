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

mod handler;
mod sink;
mod tls;

pub use sink::{SinkError, WriteError};
pub use tls::StartError;

use crate::correlate::Correlator;
use crate::detector::{Counts, Detector, Options};
use handler::{handle, State};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use sigma_runtime::correlation::CorrelationSet;
use sigma_runtime::RuleSet;
use sink::{writer, Job, Sink};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// How long a client may take to send the request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// How to serve.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// TLS certificate chain and private key (PEM); HTTPS when given.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Require client certificates signed by these CAs (PEM).
    pub client_ca: Option<PathBuf>,
    /// Require `Authorization: Bearer <token>`, the token being this file's content.
    pub auth_token_file: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    pub max_body: u64,
    /// Batches evaluated at once (default: the number of CPUs).
    pub max_concurrent: Option<usize>,
    /// Batches allowed to wait beyond those.
    pub queue: usize,
    /// Seconds announced in Retry-After with 503.
    pub retry_after: u64,
    /// How long to wait for in-flight batches at shutdown.
    pub shutdown_timeout: Duration,
    /// Append alerts to this file (fsync'd before each answer) instead of stdout.
    pub output: Option<PathBuf>,
    /// Print the per-rule table at the end.
    pub stats: bool,
    /// The detector's options.
    pub options: Options,
}

/// Serves the audit webhook with the rule set `set` until SIGTERM or SIGINT.
pub fn run(set: &'static RuleSet, config: &Config) -> ExitCode {
    static NONE: CorrelationSet = CorrelationSet::EMPTY;
    run_with_correlations(set, &NONE, config)
}

/// [`run`], with the correlation rules `correlations` over the rules' matches (their state
/// lives as long as the server).
pub fn run_with_correlations(
    set: &'static RuleSet,
    correlations: &'static CorrelationSet,
    config: &Config,
) -> ExitCode {
    match setup_and_serve(set, correlations, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("detect: {e}");
            ExitCode::FAILURE
        }
    }
}

fn setup_and_serve(
    set: &'static RuleSet,
    correlations: &'static CorrelationSet,
    args: &Config,
) -> Result<(), StartError> {
    let token = args
        .auth_token_file
        .as_deref()
        .map(tls::read_token)
        .transpose()?;
    let tls = match &args.tls {
        Some((cert, key)) => Some(TlsAcceptor::from(Arc::new(tls::load_tls(
            cert,
            key,
            args.client_ca.as_deref(),
        )?))),
        None => None,
    };
    let sink = Sink::open(args.output.as_deref())?;
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let concurrent = args.max_concurrent.unwrap_or(cpus).max(1);
    let (tx, rx) = mpsc::channel::<Job>();
    let writer_thread = std::thread::Builder::new()
        .name("alert-writer".into())
        .spawn(move || writer(rx, sink))
        .map_err(|source| StartError::Start {
            what: "the writer thread",
            source,
        })?;
    let state = Arc::new(State {
        det: Detector::with_correlations(set, correlations, args.options),
        correlator: Mutex::new(Correlator::new(
            correlations,
            &args.options.correlation,
            args.options.alert_format,
        )),
        lateness: args.options.correlation.max_lateness,
        token,
        max_body: args.max_body,
        admitted: AtomicUsize::new(0),
        admit_limit: concurrent + args.queue,
        evaluating: Semaphore::new(concurrent),
        retry_after: args.retry_after,
        writer: Mutex::new(Some(tx)),
        counts: Mutex::new(Counts::default()),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cpus.clamp(1, 4))
        .enable_all()
        .build()
        .map_err(|source| StartError::Start {
            what: "the runtime",
            source,
        })?;
    let served = runtime.block_on(serve(args, tls, state.clone()));
    // Every connection is done (or timed out): correlate the matches still waiting, then
    // close the writer, which finishes its queue.
    let mut last = Vec::new();
    let written = state
        .correlator
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .flush(&mut last);
    if written > 0 {
        let (done, _) = tokio::sync::oneshot::channel();
        if let Some(w) = &*state.writer.lock().unwrap_or_else(|p| p.into_inner()) {
            let _ = w.send(Job { bytes: last, done });
        }
        let mut c = state.counts();
        c.alerts += written;
        c.correlation_alerts += written;
    }
    state
        .writer
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = writer_thread.join();
    served?;
    let counts = state.counts();
    let c = state.correlator.lock().unwrap_or_else(|p| p.into_inner());
    if args.stats {
        eprint!("{}", counts.stats_table(set));
        if !correlations.correlations.is_empty() {
            eprint!("{}", c.stats_table());
        }
    } else if let Some(w) = c.losses() {
        eprintln!("{w}");
    }
    eprintln!("{}", counts.serve_summary());
    Ok(())
}

async fn serve(
    args: &Config,
    tls: Option<TlsAcceptor>,
    state: Arc<State>,
) -> Result<(), StartError> {
    use tokio::signal::unix::{signal, SignalKind};
    let listen_failed = |source| StartError::Listen {
        addr: args.listen.clone(),
        source,
    };
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(listen_failed)?;
    let local = listener.local_addr().map_err(listen_failed)?;
    let signals_failed = |source| StartError::Start {
        what: "signal handling",
        source,
    };
    let mut term = signal(SignalKind::terminate()).map_err(signals_failed)?;
    let mut int = signal(SignalKind::interrupt()).map_err(signals_failed)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!("detect: listening on {scheme}://{local}");

    // Matches waiting in the lateness buffer come out by the wall clock even when no request
    // comes.
    let ticker = tokio::spawn(tick(state.clone()));
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
    let timeout = args.shutdown_timeout;
    if tokio::time::timeout(timeout, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("detect: gave up waiting after {timeout:?}; unacknowledged batches will be resent by the API server");
    }
    ticker.abort();
    Ok(())
}

/// Once a second, correlates the matches whose time is more than the lateness bound behind
/// the wall clock, and writes their alerts (the webhook may fall silent for long).
async fn tick(state: Arc<State>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        let mut out = Vec::new();
        let written = state
            .correlator
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .release_until(handler::now_micros() - state.lateness, &mut out);
        if written == 0 {
            continue;
        }
        let (done, wait) = tokio::sync::oneshot::channel();
        let sent = state
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|w| w.send(Job { bytes: out, done }).is_ok());
        if sent {
            if let Ok(Err(e)) = wait.await {
                eprintln!("detect: cannot write correlation alerts: {e}");
                continue;
            }
            let mut c = state.counts();
            c.alerts += written;
            c.correlation_alerts += written;
        }
    }
}
