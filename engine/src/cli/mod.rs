//! The `detect` command line as a library function, [`main`]: runs a compiled rule set over
//! Kubernetes audit events, from files and streams (`detect scan`) or from the API server's
//! audit webhook (`detect serve`), and lists it (`detect rules`).
//!
//! Exit codes: 0 when every input was read (whether or not anything matched) or the server
//! shut down cleanly, 1 when an input could not be read, the alerts could not be written or
//! the server could not start, 2 for bad usage. User documentation: `docs/detect.md`.

mod rules;

use crate::alert::AlertFormat;
use crate::correlate::Settings;
use crate::detector::{self, JsonRouting, Options};
use crate::gates::Gating;
use crate::input::Format;
use crate::{scan, serve};
use clap::{Args, Parser, Subcommand, ValueEnum};
use sigma_runtime::correlation::{CorrelationSet, Limits, MICROS_PER_SEC};
use sigma_runtime::{LogSource, RuleSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "detect",
    version,
    about = "Run compiled Sigma detections over Kubernetes audit events",
    after_help = TOP_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const TOP_HELP: &str = "Examples:
  detect scan examples/audit-events.ndjson
  detect scan --follow /var/log/kubernetes/audit.log
  detect serve --listen 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key --output alerts.ndjson
  detect rules

Exit codes:
  0  every input was read (matches or not); for serve, a clean shutdown
  1  an input could not be read, alerts could not be written, or the server could not start
  2  bad usage";

#[derive(Subcommand)]
enum Command {
    /// Scan JSON lines (files, directories, .gz files, stdin) and write one alert per match.
    ///
    /// Alerts go to stdout (or `--output`) as `{"rule": {...}, "input": {"file", "line"
    /// [, "item"]}, "event": {...}}`; a summary line goes to stderr. Blank lines are skipped;
    /// bad lines and bad items are counted and reported as FILE:LINE[:ITEM], and the scan goes
    /// on. Directories are read recursively in sorted order; gzip input is recognised by its
    /// magic bytes.
    #[command(after_help = SCAN_HELP)]
    Scan(ScanArgs),
    /// Receive the API server's audit webhook (EventList POSTs) and write alerts.
    ///
    /// Answers 200 only after the batch's alerts are written (and fsync'd when `--output` is a
    /// file), 400 for a body that is not an EventList or Event, 401 for failed bearer-token
    /// auth, 413 for a body over `--max-body`, 503 with Retry-After when busy. `GET /healthz`
    /// answers 200. SIGTERM or SIGINT stops accepting, finishes the batches in flight and
    /// exits 0.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// List the compiled rules: id, level, title, tags, log source.
    #[command(after_help = "Examples:\n  detect rules\n  detect rules --json | jq .id")]
    Rules(RulesArgs),
}

const SCAN_HELP: &str = "Examples:
  detect scan examples/audit-events.ndjson
  detect scan /var/log/kubernetes/            # every file below, sorted, .gz included
  kubectl logs ... | detect scan -            # stdin
  detect scan --follow audit.log              # like tail -F: survives rotation
  detect scan --input-format aks aks-records.json --alert-format ecs --output alerts.ndjson
  detect scan --input-format json --logsource product=linux,service=auditd events.ndjson
  detect scan --input-format json --logsource-field product=os,category=kind siem-export.ndjson

Exit codes:
  0  every input was read (matches or not)
  1  an input could not be read, or alerts could not be written
  2  bad usage";

const SERVE_HELP: &str = "Examples:
  detect serve --listen 127.0.0.1:8080 --output alerts.ndjson
  detect serve --listen 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key \\
      --client-ca apiserver-ca.crt --output /var/lib/detect/alerts.ndjson
  detect serve --listen 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key \\
      --auth-token-file token --alert-format ecs --dedupe-stages

Exit codes:
  0  clean shutdown (SIGTERM or SIGINT)
  1  the server could not start (address, certificates, output file)
  2  bad usage";

/// Flags shared by `scan` and `serve`: what alerts look like and where they go.
#[derive(Args, Clone)]
struct OutputArgs {
    /// Alert document format.
    #[arg(long, value_enum, default_value_t = AlertFormatArg::Default)]
    alert_format: AlertFormatArg,
    /// Append alerts to FILE (created if missing) instead of writing them to stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Drop alerts for later stages of a request already alerted on (same auditID and rule).
    #[arg(long)]
    dedupe_stages: bool,
    /// How many (auditID, rule) pairs `--dedupe-stages` remembers.
    #[arg(long, value_name = "N", default_value_t = 65_536)]
    dedupe_window: usize,
    /// Print a per-rule table (events evaluated, alerts, duplicates) on stderr at the end,
    /// and one row per correlation (matches fed, alerts, groups, evictions, overflows).
    #[arg(long)]
    stats: bool,
    #[command(flatten)]
    correlation: CorrelationArgs,
}

/// How correlation rules run (docs/correlation.md).
#[derive(Args, Clone)]
struct CorrelationArgs {
    /// The field holding each event's time, RFC 3339 (default: requestReceivedTimestamp,
    /// else stageTimestamp; @timestamp in ECS documents).
    #[arg(long, value_name = "FIELD")]
    time_field: Option<String>,
    /// How late (in event time, behind the latest event seen) a match may arrive and still
    /// be correlated: 30s, 5m, 1h; later ones are counted and not correlated.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    max_lateness: u64,
    /// Groups each correlation keeps; past it the least recently seen group is evicted.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    max_groups: usize,
    /// Matches (and so distinct values) each group's window keeps; past it the oldest is
    /// dropped.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_window: usize,
    /// Matches each correlation keeps over all its groups; past it the least recently seen
    /// groups are evicted.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    max_entries: usize,
    /// Matches the lateness buffer holds; past it the earliest is correlated early.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    max_pending: usize,
}

impl CorrelationArgs {
    fn settings(&self) -> Settings {
        Settings {
            time_field: self
                .time_field
                .clone()
                .map(|f| &*Box::leak(f.into_boxed_str())),
            max_lateness: (self.max_lateness as i64).saturating_mul(MICROS_PER_SEC),
            max_pending: self.max_pending,
            limits: Limits {
                max_groups: self.max_groups,
                max_window: self.max_window,
                max_entries: self.max_entries,
            },
        }
    }
}

impl OutputArgs {
    fn options(&self, json_routing: JsonRouting, full_parse: bool, gates: Gating) -> Options {
        Options {
            alert_format: match self.alert_format {
                AlertFormatArg::Default => AlertFormat::Default,
                AlertFormatArg::Ecs => AlertFormat::Ecs,
            },
            dedupe_window: self.dedupe_stages.then_some(self.dedupe_window),
            json_routing,
            full_parse,
            gates,
            correlation: self.correlation.settings(),
        }
    }
}

/// `--gates`.
#[derive(Clone, Copy, ValueEnum)]
enum GatesArg {
    Auto,
    On,
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum AlertFormatArg {
    /// {"rule", "input", "event"} with the event's original bytes.
    Default,
    /// Elastic Common Schema alert documents.
    Ecs,
}

#[derive(Clone, Copy, ValueEnum)]
enum InputFormatArg {
    /// Tell raw, ecs, eventlist and aks apart line by line.
    Auto,
    /// audit.k8s.io/v1 Event per line (the API server's log backend).
    Raw,
    /// ECS documents (Elastic's Kubernetes integration).
    Ecs,
    /// EventList bodies, one per line.
    Eventlist,
    /// AKS diagnostic records (properties.log), one per line or {"records": [...]}.
    Aks,
    /// Any other JSON objects, routed by --logsource, --logsource-field or their shape.
    Json,
}

impl InputFormatArg {
    fn format(self) -> Format {
        match self {
            InputFormatArg::Auto => Format::Auto,
            InputFormatArg::Raw => Format::Raw,
            InputFormatArg::Ecs => Format::Ecs,
            InputFormatArg::Eventlist => Format::EventList,
            InputFormatArg::Aks => Format::Aks,
            InputFormatArg::Json => Format::Json,
        }
    }
}

#[derive(Args)]
struct ScanArgs {
    /// Files or directories to read; `-` or nothing reads stdin.
    files: Vec<std::ffi::OsString>,
    /// The shape of the input lines.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    input_format: InputFormatArg,
    /// The log source of every `--input-format json` line: product=...,category=...,service=...
    /// (a rule runs when each of these that it names matches). Without it and without
    /// --logsource-field, each event's log source is recognised from its shape (Windows event
    /// log channels, Sysmon and PowerShell event ids, CloudTrail).
    #[arg(long, value_name = "KEY=VALUE,...")]
    logsource: Option<String>,
    /// Fields of each `--input-format json` event that hold its log source:
    /// product=FIELD,category=FIELD,service=FIELD (keys not named come from --logsource).
    #[arg(long, value_name = "KEY=FIELD,...")]
    logsource_field: Option<String>,
    /// Keep reading files as they grow, reopening them when rotated or truncated (tail -F);
    /// stop with SIGINT or SIGTERM.
    #[arg(long, short = 'f')]
    follow: bool,
    /// How often `--follow` polls for new data, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 250)]
    poll_interval: u64,
    /// Never show the progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Worker threads for files and streams (default: every core). Alerts come out in the same
    /// order whatever the number; `--dedupe-stages` and `--follow` run on one thread.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Parse every line, so that every line that is not a JSON object is counted as bad. By
    /// default lines the byte prefilter rules out (no rule can match them) are not parsed.
    #[arg(long)]
    strict: bool,
    /// Read files with read(2) instead of mapping them into memory (mapping saves a copy;
    /// a mapped file truncated while it is scanned reads as NUL bytes past its new end, which
    /// is reported)
    #[arg(long)]
    no_mmap: bool,
    /// The slow reference path, for checking the fast one: no prefilter, one thread, every
    /// event parsed fully into a JSON tree, every routed rule evaluated on every event
    /// (implies --strict and --no-gates).
    #[arg(long)]
    reference: bool,
    /// Whether a log source's rules are evaluated only on the events whose fields hold their
    /// gates (the literals the rule set compiler found every match of a rule holds): `auto`
    /// gates json events routed one by one, and other sources of 24 rules or 256 needles or
    /// more, where the scan pays; the alerts are the same either way
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    gates: GatesArg,
    /// The same as `--gates off`: every rule routed to an event is evaluated
    #[arg(long, conflicts_with = "gates")]
    no_gates: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one; the address is printed).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: String,
    /// TLS certificate chain (PEM); with --tls-key, serves HTTPS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require a client certificate signed by one of these CAs (PEM); needs TLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    client_ca: Option<PathBuf>,
    /// Require `Authorization: Bearer <token>`, the token being this file's content.
    #[arg(long, value_name = "FILE")]
    auth_token_file: Option<PathBuf>,
    /// Largest request body accepted (bytes; K, KiB, M, MiB, G, GiB suffixes).
    #[arg(long, value_name = "SIZE", default_value = "32MiB", value_parser = parse_size)]
    max_body: u64,
    /// Batches evaluated at once (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    max_concurrent: Option<usize>,
    /// Batches allowed to wait beyond those; more get 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 16)]
    queue: usize,
    /// Seconds announced in Retry-After with 503.
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    retry_after: u64,
    /// Seconds to wait for in-flight batches after SIGTERM or SIGINT.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    shutdown_timeout: u64,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub(crate) struct RulesArgs {
    /// One JSON object per rule instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Why a size (`--max-body`) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum SizeError {
    #[error("`{0}`: expected a number of bytes, e.g. 32MiB")]
    NotANumber(String),
    #[error("`{text}`: unknown unit `{unit}`")]
    UnknownUnit { text: String, unit: String },
    #[error("`{0}`: out of range")]
    OutOfRange(String),
}

/// Parses `30s`, `5m`, `1h`, `0` (seconds).
fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{text}`: expected a duration such as 30s, 5m or 1h"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (s, m, h, d)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{text}`: out of range"))
}

/// Parses `32MiB`, `64k`, `1048576`.
fn parse_size(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| SizeError::NotANumber(text.to_owned()))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err(SizeError::UnknownUnit {
                text: text.to_owned(),
                unit: unit.to_owned(),
            })
        }
    };
    n.checked_mul(mult)
        .filter(|&n| n > 0)
        .ok_or_else(|| SizeError::OutOfRange(text.to_owned()))
}

/// Runs `detect` with the process's arguments over the rule set `set`; returns the exit code
/// (0 success, 1 an input or output failed, 2 bad usage).
pub fn main(set: &'static RuleSet) -> ExitCode {
    static NONE: CorrelationSet = CorrelationSet::EMPTY;
    main_with_correlations(set, &NONE)
}

/// [`main`] with correlation rules over the rule set's matches.
pub fn main_with_correlations(
    set: &'static RuleSet,
    correlations: &'static CorrelationSet,
) -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => match scan_config(args) {
            Ok(config) => scan::run_with_correlations(set, correlations, &config),
            Err(code) => code,
        },
        Command::Serve(args) => match serve_config(args) {
            Ok(config) => serve::run_with_correlations(set, correlations, &config),
            Err(code) => code,
        },
        Command::Rules(args) => rules::run(set, correlations, &args),
    }
}

/// A log source naming no key.
const NO_LOGSOURCE: LogSource = LogSource {
    product: "",
    category: "",
    service: "",
};

fn scan_config(args: ScanArgs) -> Result<scan::Config, ExitCode> {
    let json = matches!(args.input_format, InputFormatArg::Json);
    if args.logsource.is_some() && !json {
        return Err(usage_error(
            "--logsource applies to --input-format json only",
        ));
    }
    if args.logsource_field.is_some() && !json {
        return Err(usage_error(
            "--logsource-field applies to --input-format json only",
        ));
    }
    let fixed = args
        .logsource
        .as_deref()
        .map(detector::parse_logsource)
        .transpose()
        .map_err(|e| usage_error(&format!("--logsource: {e}")))?;
    let fields = args
        .logsource_field
        .as_deref()
        .map(detector::parse_logsource_fields)
        .transpose()
        .map_err(|e| usage_error(&format!("--logsource-field: {e}")))?;
    // Only `json` input is routed event by event (the audit formats are audit events).
    let json_routing = match (fields, fixed) {
        _ if !json => JsonRouting::Fixed(NO_LOGSOURCE),
        (Some(fields), fixed) => JsonRouting::Fields {
            fields,
            fixed: fixed.unwrap_or(NO_LOGSOURCE),
        },
        (None, Some(fixed)) => JsonRouting::Fixed(fixed),
        (None, None) => JsonRouting::Recognise,
    };
    let options = args.output.options(
        json_routing,
        args.reference,
        match (args.no_gates, args.gates) {
            (true, _) | (_, GatesArg::Off) => Gating::Off,
            (_, GatesArg::On) => Gating::On,
            (_, GatesArg::Auto) => Gating::Auto,
        },
    );
    Ok(scan::Config {
        files: args.files,
        format: args.input_format.format(),
        follow: args.follow,
        poll_interval: Duration::from_millis(args.poll_interval),
        progress: !args.no_progress,
        threads: args.threads,
        strict: args.strict,
        no_mmap: args.no_mmap,
        output: args.output.output,
        stats: args.output.stats,
        options,
    })
}

fn serve_config(args: ServeArgs) -> Result<serve::Config, ExitCode> {
    let options = args
        .output
        .options(JsonRouting::Fixed(NO_LOGSOURCE), false, Gating::Auto);
    Ok(serve::Config {
        listen: args.listen,
        tls: args.tls_cert.zip(args.tls_key),
        client_ca: args.client_ca,
        auth_token_file: args.auth_token_file,
        max_body: args.max_body,
        max_concurrent: args.max_concurrent,
        queue: args.queue,
        retry_after: args.retry_after,
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        output: args.output.output,
        stats: args.output.stats,
        options,
    })
}

/// Exits with code 2 after a usage error found after parsing.
pub(crate) fn usage_error(message: &str) -> ExitCode {
    eprintln!("detect: {message}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("32MiB"), Ok(32 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Ok(300));
        assert_eq!(parse_duration("30s"), Ok(30));
        assert_eq!(parse_duration("2"), Ok(2));
        assert_eq!(parse_duration("1h"), Ok(3600));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
