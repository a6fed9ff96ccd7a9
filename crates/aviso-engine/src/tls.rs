//! TLS for every connection (WebSocket and REST): rustls with the OS roots plus an optional
//! extra CA file (`extra_ca` in config.toml), so `wss`/`https` work against private CAs
//! without disabling verification.
//!
//! [`describe`] turns a failed handshake, wherever it sits in an error's source chain
//! (rustls under tokio-tungstenite and reqwest, OpenSSL under the Socket.IO client), into one
//! short sentence the user can act on: the certificate is not trusted, is self-signed, is for
//! another host name, has expired…

use std::error::Error as StdError;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, OtherError,
    RootCertStore, SignatureScheme,
};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the CA file {path} (`extra_ca` in config.toml) cannot be used: {message}")]
    CaFile { path: String, message: String },
    #[error("TLS setup failed: {0}")]
    Setup(String),
}

/// The certificates of a PEM file (`extra_ca`), at least one.
pub fn ca_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let ca_err = |message: String| TlsError::CaFile {
        path: path.display().to_string(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| {
        ca_err(match e.kind() {
            std::io::ErrorKind::NotFound => "the file does not exist".into(),
            _ => format!("cannot read it: {e}"),
        })
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| ca_err(format!("it is not a valid PEM file: {e}")))?;
    if certs.is_empty() {
        return Err(ca_err(
            "it holds no PEM certificate (a `-----BEGIN CERTIFICATE-----` block)".into(),
        ));
    }
    Ok(certs)
}

/// A client config trusting the OS roots and, when given, every certificate in `extra_ca`
/// (PEM).
pub fn client_config(extra_ca: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    // Unreadable individual system certificates are skipped: one bad file in
    // /etc/ssl/certs must not make every TLS connection fail.
    let native = rustls_native_certs::load_native_certs();
    let (_added, _ignored) = roots.add_parsable_certificates(native.certs);
    if let Some(path) = extra_ca {
        for cert in ca_certificates(path)? {
            roots.add(cert).map_err(|e| TlsError::CaFile {
                path: path.display().to_string(),
                message: format!("a certificate in it is not usable as a CA: {e}"),
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(roots);
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    let config = match WebPkiServerVerifier::builder_with_provider(roots.clone(), provider).build()
    {
        // rustls' own verifier, wrapped only to say "self-signed" instead of "unknown issuer".
        Ok(webpki) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Explained { webpki }))
            .with_no_client_auth(),
        // No trust anchor at all (no system roots, no extra CA): every certificate is
        // refused as "unknown issuer", by rustls' verifier as usual.
        Err(_) => builder.with_root_certificates(roots).with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// rustls' WebPKI verifier, unchanged in what it accepts and refuses; when it refuses a
/// certificate as "unknown issuer" and that certificate names itself as its issuer, the
/// refusal says so ([`SelfSigned`]): no CA will vouch for it, only trusting that very
/// certificate (in `extra_ca`) would.
#[derive(Debug)]
struct Explained {
    webpki: Arc<WebPkiServerVerifier>,
}

/// The refusal of a self-signed server certificate.
#[derive(Debug)]
struct SelfSigned;

impl fmt::Display for SelfSigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("self-signed certificate")
    }
}

impl StdError for SelfSigned {}

impl ServerCertVerifier for Explained {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
                    if intermediates.is_empty() && self_issued(end_entity) == Some(true) =>
                {
                    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
                        Arc::new(SelfSigned),
                    )))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.webpki.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.webpki.root_hint_subjects()
    }
}

/// One DER element: its tag, the whole encoding, its content, and the bytes after it.
struct Tlv<'a> {
    tag: u8,
    whole: &'a [u8],
    content: &'a [u8],
    after: &'a [u8],
}

const DER_SEQUENCE: u8 = 0x30;
/// `[0] EXPLICIT`: a certificate's version, absent in v1 certificates.
const DER_CONTEXT_0: u8 = 0xa0;

/// Reads the DER element at the start of `input` (definite lengths up to 4 bytes).
fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let (&tag, after_tag) = input.split_first()?;
    let (&first, mut rest) = after_tag.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    if rest.len() < len {
        return None;
    }
    let header = input.len() - rest.len();
    let (content, after) = rest.split_at(len);
    Some(Tlv {
        tag,
        whole: &input[..header + len],
        content,
        after,
    })
}

/// Whether a DER certificate's issuer name is its subject name (a self-signed certificate):
/// just enough DER to walk TBSCertificate's first fields. None when it cannot be read.
fn self_issued(der: &[u8]) -> Option<bool> {
    let certificate = tlv(der)?;
    let tbs = tlv(certificate.content)?;
    if certificate.tag != DER_SEQUENCE || tbs.tag != DER_SEQUENCE {
        return None;
    }
    let mut fields = tbs.content;
    if fields.first() == Some(&DER_CONTEXT_0) {
        fields = tlv(fields)?.after;
    }
    let serial = tlv(fields)?;
    let signature_algorithm = tlv(serial.after)?;
    let issuer = tlv(signature_algorithm.after)?;
    let validity = tlv(issuer.after)?;
    let subject = tlv(validity.after)?;
    if issuer.tag != DER_SEQUENCE || subject.tag != DER_SEQUENCE {
        return None;
    }
    Some(issuer.whole == subject.whole)
}

const UNTRUSTED: &str = "the server's TLS certificate is not trusted (unknown issuer); if the \
                         server uses a private CA, set `extra_ca` in config.toml to that CA's PEM \
                         file";
const SELF_SIGNED: &str = "the server's TLS certificate is self-signed and not trusted; to \
                           trust it, add that certificate to the PEM file set as `extra_ca` in \
                           config.toml";
const WRONG_HOST: &str = "the server's TLS certificate is for another host name; check the \
                          server address";
const EXPIRED: &str = "the server's TLS certificate has expired (or this computer's clock is \
                       wrong)";
const NOT_YET_VALID: &str = "the server's TLS certificate is not valid yet (or this computer's \
                             clock is wrong)";
const REVOKED: &str = "the server's TLS certificate has been revoked";
const BAD_SIGNATURE: &str = "the server's TLS certificate has an invalid signature: it was not \
                             signed by the CA it names";

/// A short sentence for a TLS failure anywhere in `e`'s source chain, or None when `e` is not
/// about TLS. Never contains a URL (a query may carry a token).
pub fn describe(e: &(dyn StdError + 'static)) -> Option<String> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(describe_rustls(r));
        }
        if let Some(n) = err.downcast_ref::<native_tls::Error>() {
            return Some(describe_native(n));
        }
        // io::Error's `source()` skips the error it wraps (it returns that error's source),
        // and rustls reports through tokio-rustls as an InvalidData io::Error: look inside.
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(message) = describe(inner) {
                return Some(message);
            }
        }
        next = err.source();
    }
    None
}

fn describe_rustls(e: &rustls::Error) -> String {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(cert) => describe_certificate(cert, e),
        E::NoCertificatesPresented => "the server sent no TLS certificate".into(),
        E::AlertReceived(alert) => {
            format!("the server refused the TLS handshake (alert: {alert:?})")
        }
        E::InvalidMessage(_) | E::InappropriateMessage { .. } => format!(
            "the TLS handshake failed ({e}); is the server speaking TLS on this port? (use \
             http:// for a server without TLS)"
        ),
        other => format!("the TLS handshake failed: {other}"),
    }
}

fn describe_certificate(cert: &CertificateError, whole: &rustls::Error) -> String {
    use CertificateError as C;
    match cert {
        C::UnknownIssuer => UNTRUSTED.into(),
        C::Other(other) if other.0.is::<SelfSigned>() => SELF_SIGNED.into(),
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            let names: Vec<String> = presented.iter().map(|n| presented_name(n)).collect();
            let valid_for = if names.is_empty() {
                "no host name".to_string()
            } else {
                names.join(", ")
            };
            format!(
                "the server's TLS certificate is for another host name (it is valid for \
                 {valid_for}, not {}); check the server address",
                expected.to_str()
            )
        }
        C::NotValidForName => WRONG_HOST.into(),
        C::Expired => EXPIRED.into(),
        C::ExpiredContext { not_after, .. } => match rfc3339_date(*not_after) {
            Some(date) => format!(
                "the server's TLS certificate expired on {date} (or this computer's clock is \
                 wrong)"
            ),
            None => EXPIRED.into(),
        },
        C::NotValidYet | C::NotValidYetContext { .. } => NOT_YET_VALID.into(),
        C::Revoked => REVOKED.into(),
        C::BadSignature => BAD_SIGNATURE.into(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "the server's TLS certificate is not meant for a TLS server".into()
        }
        C::BadEncoding => "the server's TLS certificate is malformed".into(),
        _ => format!("the server's TLS certificate was refused: {whole}"),
    }
}

/// A name as rustls-webpki lists it (`DnsName("a.example")`, `IpAddress(192.0.2.1)`),
/// without the wrapping.
fn presented_name(name: &str) -> String {
    let unwrapped = name
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
        .or_else(|| {
            name.strip_prefix("IpAddress(")
                .and_then(|n| n.strip_suffix(')'))
        });
    unwrapped.unwrap_or(name).to_string()
}

fn rfc3339_date(t: UnixTime) -> Option<String> {
    let secs = i64::try_from(t.as_secs()).ok()?;
    let t = time::OffsetDateTime::from_unix_timestamp(secs).ok()?;
    Some(t.date().to_string())
}

/// OpenSSL (native-tls, the Socket.IO client) only says what failed in its text: the
/// X.509 verification result in parentheses.
fn describe_native(e: &native_tls::Error) -> String {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if has(&[
        "self-signed certificate in certificate chain",
        "self signed certificate in certificate chain",
        "unable to get local issuer certificate",
        "unable to get issuer certificate",
        "unable to verify the first certificate",
    ]) {
        UNTRUSTED.into()
    } else if has(&["self-signed certificate", "self signed certificate"]) {
        SELF_SIGNED.into()
    } else if has(&["hostname mismatch", "ip address mismatch"]) {
        WRONG_HOST.into()
    } else if has(&["certificate has expired"]) {
        EXPIRED.into()
    } else if has(&["certificate is not yet valid"]) {
        NOT_YET_VALID.into()
    } else if has(&["certificate revoked"]) {
        REVOKED.into()
    } else if has(&["certificate signature failure"]) {
        BAD_SIGNATURE.into()
    } else {
        format!("the TLS handshake failed: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_wrapped(e: rustls::Error) -> std::io::Error {
        // What tokio-rustls hands to tokio-tungstenite and hyper.
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }

    #[test]
    fn rustls_refusals_become_sentences_through_io_errors() {
        let untrusted = io_wrapped(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        let text = describe(&untrusted).unwrap();
        assert!(text.contains("not trusted (unknown issuer)") && text.contains("extra_ca"));

        let wrong = io_wrapped(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("localhost").unwrap(),
                presented: vec!["DnsName(\"other.example\")".into()],
            },
        ));
        assert_eq!(
            describe(&wrong).unwrap(),
            "the server's TLS certificate is for another host name (it is valid for \
             other.example, not localhost); check the server address"
        );

        let expired = rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000)),
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_600_000_000)),
        });
        assert_eq!(
            describe(&expired).unwrap(),
            "the server's TLS certificate expired on 2020-09-13 (or this computer's clock is \
             wrong)"
        );

        let bad = io_wrapped(rustls::Error::InvalidCertificate(
            CertificateError::BadSignature,
        ));
        assert!(describe(&bad).unwrap().contains("invalid signature"));
    }

    #[test]
    fn other_errors_are_not_tls() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(describe(&refused), None);
        let custom = std::io::Error::other("boom");
        assert_eq!(describe(&custom), None);
    }

    #[test]
    fn self_issued_compares_issuer_and_subject() {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        assert_eq!(self_issued(ca.der()), Some(true));

        let mut leaf_params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        assert_eq!(self_issued(leaf.der()), Some(false));
        assert_eq!(self_issued(b"not DER"), None);
        assert_eq!(self_issued(&leaf.der()[..40]), None);
    }

    #[test]
    fn a_ca_file_that_is_missing_or_not_pem_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = ca_certificates(&missing).unwrap_err().to_string();
        assert!(
            e.contains("missing.pem") && e.contains("does not exist"),
            "{e}"
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "hello, not a certificate\n").unwrap();
        let e = client_config(Some(&junk)).unwrap_err().to_string();
        assert!(
            e.contains("junk.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
    }
}
