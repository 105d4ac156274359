//! AutoMTLS as go-plugin does it, verified both ways.
//!
//! The host hands us its client certificate in PLUGIN_CLIENT_CERT and trusts only the
//! server certificate we print in the handshake line. We generate a fresh server
//! certificate per process and accept exactly one client: the one whose certificate
//! bytes equal the host's. go-plugin's client certificate is a self-signed ECDSA P-521
//! CA certificate, which webpki's stock client verifier rejects as "CA used as end
//! entity", so we pin its bytes ourselves and check the handshake signatures with
//! aws-lc-rs, which verifies P-521.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Errors while setting up TLS. Each names what failed and why.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading the host's client certificate from PLUGIN_CLIENT_CERT: {0}")]
    ClientCertificate(String),
    #[error("generating the provider's server certificate: {0}")]
    ServerCertificate(#[from] rcgen::Error),
    #[error("building the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The provider's per-process server identity.
pub struct ServerIdentity {
    pub cert_der: CertificateDer<'static>,
    key_der: PrivateKeyDer<'static>,
}

impl ServerIdentity {
    /// A fresh self-signed certificate for "localhost", issued to `organization` (the
    /// provider's executable): go-plugin dials with that server name and uses this
    /// exact certificate as its only root.
    ///
    /// The key is Ed25519: it is made before the handshake line at every start, and an
    /// Ed25519 key and certificate take about a tenth of the time of a P-256 pair with
    /// AWS-LC (0.02 against 0.17 ms, docs/PERFORMANCE.md). Go's crypto/tls has taken
    /// Ed25519 certificates since Go 1.13, so every Terraform and OpenTofu that speaks
    /// protocol 6 accepts it.
    pub fn generate(organization: &str) -> Result<Self, TlsError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, organization);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key_der: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }
}

/// The crypto provider for every TLS session: aws-lc-rs, for its P-521 support.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Server TLS configuration that requires the host's exact client certificate.
pub fn server_config(
    identity: &ServerIdentity,
    client_cert_pem: &str,
) -> Result<rustls::ServerConfig, TlsError> {
    let provider = crypto_provider();
    let verifier = PinnedClientVerifier::from_pem(client_cert_pem, &provider)?;
    pinned_server_config(identity, verifier, provider)
}

/// [`server_config`] from a verifier read before: the host's certificate is checked before
/// the handshake line, the configuration (which parses our key again) built after it.
pub fn pinned_server_config(
    identity: &ServerIdentity,
    verifier: PinnedClientVerifier,
    provider: Arc<CryptoProvider>,
) -> Result<rustls::ServerConfig, TlsError> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![identity.cert_der.clone()],
            identity.key_der.clone_key(),
        )?;
    // grpc-go refuses TLS servers that do not negotiate HTTP/2 through ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Accepts exactly one client certificate, compared byte for byte.
#[derive(Debug)]
pub struct PinnedClientVerifier {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientVerifier {
    pub fn from_pem(pem: &str, provider: &CryptoProvider) -> Result<Self, TlsError> {
        let pinned = CertificateDer::from_pem_slice(pem.as_bytes())
            .map_err(|err| TlsError::ClientCertificate(err.to_string()))?;
        Ok(Self {
            pinned,
            algorithms: provider.signature_verification_algorithms,
        })
    }
}

impl ClientCertVerifier for PinnedClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;
    use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConnection};

    /// A certificate and key of the kind go-plugin's host makes for PLUGIN_CLIENT_CERT:
    /// a self-signed ECDSA P-521 CA certificate.
    fn host_certificate() -> (rcgen::Certificate, PrivateKeyDer<'static>) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert, key)
    }

    /// A client as go-plugin's host dials: it trusts only the server certificate of the
    /// handshake line, verifies it for "localhost", presents its own certificate and
    /// asks for HTTP/2.
    fn host_client(
        server: &ServerIdentity,
        host: (rcgen::Certificate, PrivateKeyDer<'static>),
    ) -> ClientConnection {
        host_client_speaking(server, host, rustls::DEFAULT_VERSIONS)
    }

    /// [`host_client`] limited to `versions`: go-plugin's host asks for TLS 1.2 at least,
    /// so the server's certificate must serve both 1.2 and 1.3.
    fn host_client_speaking(
        server: &ServerIdentity,
        host: (rcgen::Certificate, PrivateKeyDer<'static>),
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> ClientConnection {
        let mut roots = RootCertStore::empty();
        roots.add(server.cert_der.clone()).unwrap();
        let mut config = ClientConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(vec![host.0.der().clone()], host.1)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let name = ServerName::try_from("localhost").unwrap();
        ClientConnection::new(Arc::new(config), name).unwrap()
    }

    /// Runs the TLS handshake in memory, both ways, until it completes or one side fails.
    fn handshake(
        client: &mut ClientConnection,
        server: &mut ServerConnection,
    ) -> Result<(), rustls::Error> {
        for _ in 0..10 {
            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
            let mut bytes = Vec::new();
            client.write_tls(&mut bytes).unwrap();
            server.read_tls(&mut bytes.as_slice()).unwrap();
            server.process_new_packets()?;
            bytes.clear();
            server.write_tls(&mut bytes).unwrap();
            client.read_tls(&mut bytes.as_slice()).unwrap();
            client.process_new_packets()?;
        }
        panic!("the TLS handshake did not finish");
    }

    #[test]
    fn the_pinned_host_completes_mtls_with_the_localhost_certificate() {
        let identity = ServerIdentity::generate("terraform-provider-test").unwrap();
        let host = host_certificate();
        let config = server_config(&identity, &host.0.pem()).unwrap();
        let mut server = ServerConnection::new(Arc::new(config)).unwrap();
        // The client's verifier checks the name "localhost", the validity period and
        // that the certificate is for server authentication.
        let mut client = host_client(&identity, host);
        handshake(&mut client, &mut server).expect("the host is accepted");
        assert_eq!(server.alpn_protocol(), Some(&b"h2"[..]));
        let presented = server.peer_certificates().expect("a client certificate");
        assert_eq!(presented.len(), 1);
    }

    #[test]
    fn the_server_certificate_serves_tls_1_2_and_1_3() {
        let identity = ServerIdentity::generate("terraform-provider-test").unwrap();
        for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
            let host = host_certificate();
            let config = server_config(&identity, &host.0.pem()).unwrap();
            let mut server = ServerConnection::new(Arc::new(config)).unwrap();
            let mut client = host_client_speaking(&identity, host, &[version]);
            handshake(&mut client, &mut server)
                .unwrap_or_else(|err| panic!("{:?}: {err}", version.version));
            assert_eq!(server.protocol_version(), Some(version.version));
        }
    }

    #[test]
    fn a_host_with_another_certificate_is_refused() {
        let identity = ServerIdentity::generate("terraform-provider-test").unwrap();
        let pinned = host_certificate().0.pem();
        let config = server_config(&identity, &pinned).unwrap();
        let mut server = ServerConnection::new(Arc::new(config)).unwrap();
        let mut client = host_client(&identity, host_certificate());
        let refused = handshake(&mut client, &mut server).unwrap_err();
        assert_eq!(
            refused,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure
            )
        );
    }

    #[test]
    fn rejects_garbage_client_certificate() {
        let identity = ServerIdentity::generate("terraform-provider-test").unwrap();
        let err = server_config(&identity, "not a certificate").unwrap_err();
        assert!(err.to_string().contains("PLUGIN_CLIENT_CERT"), "{err}");
    }
}
