//! Helpers for the `detect serve` tests: a server process on 127.0.0.1 (an ephemeral port), a
//! real HTTP client (hyper, with rustls for TLS), certificates generated at test time (rcgen:
//! no key is ever committed), audit events and the alerts the library says they must give.
#![allow(dead_code)]

use detections::RULES as RULE_SET;
use sigma_engine::detector::applies;
use sigma_engine::input::AUDIT_LOGSOURCE;
use sigma_runtime::Event;
/// The compiled rules.
static RULES: &[sigma_runtime::Rule] = RULE_SET.rules;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_rustls::rustls;

pub const DETECT: &str = env!("CARGO_BIN_EXE_detect");

/// A per-test directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("detect_serve-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `detect serve`.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `detect serve --listen 127.0.0.1:0 ARGS...` and waits until it listens.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(DETECT)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn detect serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                {
                    let mut l = log.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let addr = rest.rsplit("://").next().unwrap_or_default().to_owned();
                    let _ = tx.send(addr);
                }
            }
        });
        // Drain stdout so that a server writing alerts there never blocks.
        let mut out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = out.read_to_end(&mut sink);
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(a) => a.parse().expect("listening address"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("detect serve did not start:\n{}", stderr.lock().unwrap());
            }
        };
        Server {
            child,
            addr,
            stderr,
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits (at most 60 s) for the exit.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        signal(self.child.id(), "-TERM");
        let status = wait_timeout(&mut self.child, Duration::from_secs(60));
        // Give the stderr reader a moment to take the last lines.
        std::thread::sleep(Duration::from_millis(100));
        (status, self.stderr())
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill {sig} {pid}");
}

pub fn wait_timeout(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("process {} did not exit within {limit:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

/// A real HTTP/1.1 client (hyper), over TCP or TLS; one connection per request.
pub struct Client {
    rt: tokio::runtime::Runtime,
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Client {
    pub fn plain(addr: SocketAddr) -> Client {
        Client {
            rt: runtime(),
            addr,
            tls: None,
        }
    }

    pub fn tls(addr: SocketAddr, config: rustls::ClientConfig) -> Client {
        Client {
            rt: runtime(),
            addr,
            tls: Some(tokio_rustls::TlsConnector::from(Arc::new(config))),
        }
    }

    pub fn post(&self, path: &str, body: &[u8]) -> Result<Reply, String> {
        self.request("POST", path, &[], body)
    }

    pub fn post_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, String> {
        self.request("POST", path, headers, body)
    }

    pub fn get(&self, path: &str) -> Result<Reply, String> {
        self.request("GET", path, &[], b"")
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, String> {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(std::io::Cursor::new(body.to_vec())))
            .map_err(|e| e.to_string())?;
        let addr = self.addr;
        let tls = self.tls.clone();
        self.rt.block_on(async move {
            let tcp = tokio::net::TcpStream::connect(addr)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            match tls {
                None => send(TokioIo::new(tcp), req).await,
                Some(connector) => {
                    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                    let stream = connector
                        .connect(name, tcp)
                        .await
                        .map_err(|e| format!("TLS: {e}"))?;
                    send(TokioIo::new(stream), req).await
                }
            }
        })
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn send<T>(
    io: T,
    req: hyper::Request<Full<std::io::Cursor<Vec<u8>>>>,
) -> Result<Reply, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    let resp = tokio::time::timeout(Duration::from_secs(60), sender.send_request(req))
        .await
        .map_err(|_| "no answer within 60 s".to_owned())?
        .map_err(|e| format!("request: {e}"))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A POST whose body is sent in two steps, over a raw socket: the server has admitted it once
/// the head and the first part arrived, and it stays in flight until [`SlowPost::finish`].
pub struct SlowPost(TcpStream);

impl SlowPost {
    pub fn start(addr: SocketAddr, body: &[u8], first: usize) -> SlowPost {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            s,
            "POST /audit HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(&body[..first]).unwrap();
        s.flush().unwrap();
        SlowPost(s)
    }

    /// Sends the rest and returns the status code and body.
    pub fn finish(mut self, body: &[u8], first: usize) -> (u16, String) {
        self.0.write_all(&body[first..]).unwrap();
        self.0.flush().unwrap();
        let mut reader = BufReader::new(self.0);
        let mut status_line = String::new();
        reader.read_line(&mut status_line).expect("status line");
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            if h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

/// Test PKI: a CA, a server certificate for 127.0.0.1/localhost, a client certificate signed
/// by the CA, and a client certificate signed by another CA.
pub struct Pki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    client: (String, String),
    stranger: (String, String),
}

impl Pki {
    pub fn new() -> Pki {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
            IsCa, KeyPair,
        };
        let ca = |name: &str| {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(DnType::CommonName, name);
            CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
        };
        let ca1 = ca("detect test CA");
        let ca2 = ca("some other CA");
        let leaf = |issuer: &CertifiedIssuer<'_, KeyPair>, sans: Vec<String>, purpose| {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(sans).unwrap();
            p.distinguished_name.push(DnType::CommonName, "detect test");
            p.extended_key_usages = vec![purpose];
            let cert = p.signed_by(&key, issuer).unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let server = leaf(
            &ca1,
            vec!["localhost".into(), "127.0.0.1".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let client = leaf(&ca1, vec![], ExtendedKeyUsagePurpose::ClientAuth);
        let stranger = leaf(&ca2, vec![], ExtendedKeyUsagePurpose::ClientAuth);
        Pki {
            ca_pem: ca1.pem(),
            server_cert_pem: server.0,
            server_key_pem: server.1,
            client,
            stranger,
        }
    }

    /// Writes the server's files (cert, key, CA) into `dir` and returns their paths.
    pub fn write_server_files(&self, dir: &TempDir) -> (PathBuf, PathBuf, PathBuf) {
        (
            dir.write("server.crt", self.server_cert_pem.as_bytes()),
            dir.write("server.key", self.server_key_pem.as_bytes()),
            dir.write("ca.crt", self.ca_pem.as_bytes()),
        )
    }

    fn roots(pem: &str) -> rustls::RootCertStore {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        roots
    }

    fn builder(
        &self,
        trust: &str,
    ) -> rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert> {
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(Self::roots(trust))
    }

    fn with_cert(&self, trust: &str, (cert, key): &(String, String)) -> rustls::ClientConfig {
        use rustls::pki_types::pem::PemObject;
        let chain = rustls::pki_types::CertificateDer::pem_slice_iter(cert.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
        self.builder(trust)
            .with_client_auth_cert(chain, key)
            .unwrap()
    }

    /// Trusts the test CA; presents no certificate.
    pub fn client_anonymous(&self) -> rustls::ClientConfig {
        self.builder(&self.ca_pem).with_no_client_auth()
    }

    /// Trusts the test CA; presents a certificate the CA signed.
    pub fn client_with_cert(&self) -> rustls::ClientConfig {
        self.with_cert(&self.ca_pem, &self.client)
    }

    /// Trusts the test CA; presents a certificate signed by another CA.
    pub fn client_with_stranger_cert(&self) -> rustls::ClientConfig {
        self.with_cert(&self.ca_pem, &self.stranger)
    }

    /// Trusts only its own, unrelated CA (so the server's certificate is not trusted).
    pub fn client_trusting_nobody_useful(&self) -> rustls::ClientConfig {
        let other = Pki::new();
        other.builder(&other.ca_pem).with_no_client_auth()
    }
}

/// A raw audit event the shipped flagship rule matches (`positive`) or not, with `audit_id`.
pub fn event(audit_id: &str, positive: bool) -> String {
    let verb = if positive { "list" } else { "watch" };
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{audit_id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/secrets","verb":"{verb}","user":{{"username":"alice@example.com","groups":["system:authenticated"]}},"impersonatedUser":{{"username":"system:admin","groups":["system:authenticated"]}},"sourceIPs":["203.0.113.10"],"userAgent":"kubectl/v1.31.2","objectRef":{{"resource":"secrets","namespace":"kube-system","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"2026-01-01T00:00:00.000000Z","stageTimestamp":"2026-01-01T00:00:00.010000Z","annotations":{{"authorization.k8s.io/decision":"allow"}}}}"#
    )
}

/// An EventList body holding `events`.
pub fn event_list(events: &[String]) -> String {
    format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{}]}}"#,
        events.join(",")
    )
}

/// The ids of the rules (run on audit input) that match `event`, in rule order.
pub fn expected_rules(event: &str) -> Vec<&'static str> {
    let ev = Event::parse(event).expect("test event parses");
    RULES
        .iter()
        .filter(|r| applies(&r.info.logsource, &AUDIT_LOGSOURCE) && (r.matches)(&ev))
        .map(|r| r.info.id)
        .collect()
}

/// Every complete alert line of a file, parsed; lines that are not JSON (a fragment cut by
/// kill -9) are returned separately.
pub fn read_alerts(path: &Path) -> (Vec<Value>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => good.push(v),
            Err(_) => bad.push(line.to_owned()),
        }
    }
    (good, bad)
}

/// `(auditID, rule id)` of each alert.
pub fn alert_keys(alerts: &[Value]) -> Vec<(String, String)> {
    alerts
        .iter()
        .map(|a| {
            (
                a["event"]["auditID"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                a["rule"]["id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}
