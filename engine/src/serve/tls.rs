//! What `detect serve` reads at start: the TLS configuration (certificate chain, key, client
//! CAs) and the bearer token; and why starting failed.

use super::sink::SinkError;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::rustls;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A PEM file could not be read or parsed.
    #[error("{}: cannot read {what}: {source}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        what: &'static str,
        /// Why it was not read.
        source: rustls_pki_types::pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error("{}: no certificate found", .0.display())]
    NoCertificate(PathBuf),
    /// The client CA file holds no certificate.
    #[error("{}: no CA certificate found", .0.display())]
    NoCaCertificate(PathBuf),
    /// rustls refused a CA certificate.
    #[error("{}: bad CA certificate: {source}", path.display())]
    BadCaCertificate {
        /// The CA file.
        path: PathBuf,
        /// Why.
        source: rustls::Error,
    },
    /// The client certificate verifier could not be built.
    #[error("{}: {source}", path.display())]
    ClientVerifier {
        /// The CA file.
        path: PathBuf,
        /// Why.
        source: rustls::server::VerifierBuilderError,
    },
    /// rustls refused the protocol versions or the certificate and key.
    #[error("TLS {what}: {source}")]
    Tls {
        /// What was being set up.
        what: &'static str,
        /// Why.
        source: rustls::Error,
    },
    /// The token file could not be read.
    #[error("{}: cannot read the token: {source}", path.display())]
    Token {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The token file is empty.
    #[error("{}: the token file is empty", .0.display())]
    EmptyToken(PathBuf),
    /// The alert output could not be opened.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// A thread, the async runtime or signal handling could not start.
    #[error("cannot start {what}: {source}")]
    Start {
        /// What.
        what: &'static str,
        /// Why.
        source: io::Error,
    },
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address as given.
        addr: String,
        /// Why.
        source: io::Error,
    },
}

fn pem_certs(path: &Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>, StartError> {
    CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|source| StartError::Pem {
            path: path.to_owned(),
            what,
            source,
        })
}

/// The TLS server configuration: the certificate chain and key, and, with `client_ca`,
/// client certificates required and verified against those CAs.
pub(super) fn load_tls(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<rustls::ServerConfig, StartError> {
    let certs = pem_certs(cert, "the certificate chain")?;
    if certs.is_empty() {
        return Err(StartError::NoCertificate(cert.to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|source| StartError::Pem {
        path: key.to_owned(),
        what: "the private key",
        source,
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|source| StartError::Tls {
            what: "protocol versions",
            source,
        })?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in pem_certs(ca, "CA certificates")? {
                roots
                    .add(c)
                    .map_err(|source| StartError::BadCaCertificate {
                        path: ca.to_owned(),
                        source,
                    })?;
            }
            if roots.is_empty() {
                return Err(StartError::NoCaCertificate(ca.to_owned()));
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|source| StartError::ClientVerifier {
                path: ca.to_owned(),
                source,
            })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|source| StartError::Tls {
            what: "certificate and key",
            source,
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The bearer token: the file's content without surrounding whitespace.
pub(super) fn read_token(path: &Path) -> Result<Vec<u8>, StartError> {
    let text = std::fs::read(path).map_err(|source| StartError::Token {
        path: path.to_owned(),
        source,
    })?;
    let token = text.trim_ascii().to_vec();
    if token.is_empty() {
        return Err(StartError::EmptyToken(path.to_owned()));
    }
    Ok(token)
}
