//! TLS to PostgreSQL (docs/scaling.md §5): rustls with `ring`, the
//! operating system's trust store (the platform verifier ureq already
//! uses), or the CA of hookq's own `sslrootcert=PATH` URL parameter.
//!
//! - `sslmode=disable`: plain text.
//! - `sslmode=prefer` (the default): TLS when the server offers it, its
//!   certificate not checked (as libpq's `prefer`): it keeps a passive
//!   listener out, and a server with a self-signed certificate (Debian's
//!   default) keeps working.
//! - `sslmode=require` (and libpq's `verify-ca`, `verify-full`): TLS, the
//!   certificate checked against the trust store and the URL's host name,
//!   so stricter than libpq's `require`, which checks nothing. A URL with
//!   `sslrootcert` and no `sslmode` means `require`: a CA was named to be
//!   checked, and falling back to plain text would defeat it.

use std::sync::Arc;

use anyhow::{Context, Result};
use postgres::{Client, Config};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_platform_verifier::BuilderVerifierExt;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::Failure;
use crate::store::PgUrl;

/// Where a store connects: the driver's settings, and how TLS is made.
#[derive(Clone)]
pub(crate) struct Server {
    pub(crate) config: Config,
    tls: MakeRustlsConnect,
    /// The certificate is checked (`require`): a refusal says how to trust it.
    verified: bool,
}

impl Server {
    /// Parse a URL: hookq's own parameters taken out, the rest given to
    /// the driver; a usage error shows the URL without its password.
    pub(crate) fn of(url: &PgUrl) -> Result<Server> {
        let invalid = |e: &dyn std::fmt::Display| -> anyhow::Error {
            Failure::usage(format!("invalid PostgreSQL URL {url}: {e}")).into()
        };
        let (driver_url, root_cert, mode) = split_params(url.expose()).map_err(|e| invalid(&e))?;
        let config: Config = driver_url.parse().map_err(|e| invalid(&e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("no TLS protocol version available")?;
        let verified = matches!(mode, Mode::Require);
        let tls = if !verified {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
        } else if let Some(path) = root_cert {
            let mut roots = RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(&path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    Failure::usage(format!(
                        "could not read the CA certificates of sslrootcert={path}: {e}"
                    ))
                })?;
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    Failure::usage(format!(
                        "sslrootcert={path} holds an unusable certificate: {e}"
                    ))
                })?;
            }
            if roots.is_empty() {
                return Err(
                    Failure::usage(format!("sslrootcert={path} holds no PEM certificate")).into(),
                );
            }
            builder.with_root_certificates(roots)
        } else {
            builder
                .with_platform_verifier()
                .context("could not read the system's trusted certificates")?
        };
        Ok(Server {
            config,
            tls: MakeRustlsConnect::new(tls.with_no_client_auth()),
            verified,
        })
    }

    /// Connect with `config` (these settings, adjusted by the caller).
    pub(crate) fn connect(&self, config: &Config, url: &PgUrl) -> Result<Client> {
        config.connect(self.tls.clone()).map_err(|e| {
            // tokio-rustls hands rustls's error over inside an io::Error,
            // whose `source` skips it.
            let untrusted = self.verified
                && std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |cause| {
                    cause.source()
                })
                .filter_map(|cause| match cause.downcast_ref::<std::io::Error>() {
                    Some(io) => io
                        .get_ref()
                        .map(|inner| inner as &(dyn std::error::Error + 'static)),
                    None => Some(cause),
                })
                .any(|cause| {
                    matches!(
                        cause.downcast_ref::<rustls::Error>(),
                        Some(rustls::Error::InvalidCertificate(_))
                    )
                });
            anyhow::Error::from(e).context(if untrusted {
                format!(
                    "could not connect to {url}: the server's TLS certificate is not trusted \
                     (sslmode=require checks it and the host name; give its CA with \
                     sslrootcert=PATH in the URL)"
                )
            } else {
                format!("could not connect to {url}")
            })
        })
    }
}

enum Mode {
    Disable,
    Prefer,
    Require,
}

/// The URL without `sslrootcert` (the driver refuses parameters it does
/// not know), libpq's `verify-ca`/`verify-full` read as `require`; the CA
/// file, and the mode.
fn split_params(url: &str) -> Result<(String, Option<String>, Mode), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None, Mode::Prefer));
    };
    let mut kept = Vec::new();
    let mut root_cert = None;
    let mut mode = None;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslrootcert" => {
                let path = percent_decode(value)?;
                if path.is_empty() {
                    return Err("sslrootcert needs a file".into());
                }
                root_cert = Some(path);
            }
            "sslmode" => {
                let (word, read) = match value {
                    "disable" => ("disable", Mode::Disable),
                    "prefer" => ("prefer", Mode::Prefer),
                    "require" | "verify-ca" | "verify-full" => ("require", Mode::Require),
                    other => {
                        return Err(format!(
                            "sslmode={other}: hookq knows disable, prefer and require \
                             (verify-ca and verify-full are read as require, which checks \
                             the certificate and the host name)"
                        ))
                    }
                };
                mode = Some(read);
                kept.push(format!("sslmode={word}"));
            }
            _ => kept.push(pair.to_owned()),
        }
    }
    let mode = match mode {
        Some(mode) => mode,
        None if root_cert.is_some() => {
            kept.push("sslmode=require".into());
            Mode::Require
        }
        None => Mode::Prefer,
    };
    if root_cert.is_some() && matches!(mode, Mode::Disable | Mode::Prefer) {
        return Err("sslrootcert is for sslmode=require (a certificate checked)".into());
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, root_cert, mode))
}

fn percent_decode(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid %-escape in {value:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{value:?} is not UTF-8"))
}

/// `prefer`: the certificate is taken as it comes (libpq's `prefer` checks
/// nothing either); the handshake's signatures are still checked.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hookq_s_parameters_are_taken_out_of_the_url() {
        let (url, root, mode) =
            split_params("postgres://u@h/db?sslrootcert=%2Fetc%2Fca.pem&application_name=x")
                .unwrap();
        assert_eq!(url, "postgres://u@h/db?application_name=x&sslmode=require");
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
        assert!(matches!(mode, Mode::Require));
        let (url, root, mode) = split_params("postgres://u@h/db?sslmode=verify-full").unwrap();
        assert_eq!(url, "postgres://u@h/db?sslmode=require");
        assert!(root.is_none() && matches!(mode, Mode::Require));
        let (url, _, mode) = split_params("postgres://u@h/db").unwrap();
        assert_eq!(url, "postgres://u@h/db");
        assert!(matches!(mode, Mode::Prefer));
        assert!(split_params("postgres://h/db?sslmode=disable&sslrootcert=/ca.pem").is_err());
        assert!(split_params("postgres://h/db?sslmode=allow").is_err());
    }
}
