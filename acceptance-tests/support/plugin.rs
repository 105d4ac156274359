//! Launching the provider binary the way go-plugin does, and talking gRPC to it over
//! its unix socket with or without the host's client certificate.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use servicemesh::protocol::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tonic::transport::{Channel, Endpoint};

use super::terraform::provider_binary;

/// A client certificate of the kind go-plugin makes: self-signed ECDSA P-521, IsCA.
pub struct HostCertificate {
    pub pem: String,
    pub der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl HostCertificate {
    pub fn generate() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "HashiCorp");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).expect("self-signed cert");
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// Starts `command` (its stdout piped) and waits up to 10 s for the handshake line it
/// prints first; the child and the line, trimmed.
pub fn spawn_until_handshake(command: &mut Command) -> (Child, String) {
    let mut child = command.spawn().expect("starting the provider");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("a handshake line within 10 s");
    (child, line.trim_end().to_string())
}

/// A provider process started with go-plugin's environment.
pub struct LaunchedProvider {
    pub child: Child,
    pub handshake: String,
}

impl LaunchedProvider {
    /// Starts the binary with the cookie, protocol 6 and, if given, the client cert;
    /// waits for the handshake line.
    pub fn start(client_cert_pem: Option<&str>) -> Self {
        let mut command = Command::new(provider_binary());
        command
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env_remove("PLUGIN_CLIENT_CERT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(pem) = client_cert_pem {
            command.env("PLUGIN_CLIENT_CERT", pem);
        }
        let (child, handshake) = spawn_until_handshake(&mut command);
        Self { child, handshake }
    }

    pub fn fields(&self) -> Vec<&str> {
        self.handshake.split('|').collect()
    }

    pub fn socket_path(&self) -> PathBuf {
        PathBuf::from(self.fields()[3])
    }

    pub fn server_cert(&self) -> CertificateDer<'static> {
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(self.fields()[5])
            .expect("unpadded base64 certificate");
        CertificateDer::from(der)
    }
}

impl Drop for LaunchedProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// TLS settings for a test client: trust the server's certificate as go-plugin does,
/// and present `client` (or no certificate).
pub fn client_tls(
    server_cert: CertificateDer<'static>,
    client: Option<&HostCertificate>,
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_cert).expect("server cert as root");
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots);
    let mut config = match client {
        Some(cert) => builder
            .with_client_auth_cert(vec![cert.der.clone()], cert.key.clone_key())
            .expect("client auth cert"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

/// A gRPC channel over the provider's unix socket, in TLS when `tls` is given.
pub async fn connect(
    socket: PathBuf,
    tls: Option<rustls::ClientConfig>,
) -> Result<Channel, tonic::transport::Error> {
    let tls = tls.map(Arc::new);
    Endpoint::try_from("http://localhost")?
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            let tls = tls.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(&socket).await?;
                let io: Box<dyn ReadWrite> = match tls {
                    None => Box::new(stream),
                    Some(config) => {
                        let name =
                            ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                        Box::new(
                            tokio_rustls::TlsConnector::from(config)
                                .connect(name, stream)
                                .await?,
                        )
                    }
                };
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(io))
            }
        }))
        .await
}

/// Any async byte stream.
pub trait ReadWrite: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> ReadWrite for T {}

/// Asks the health service whether "plugin" is serving, as go-plugin's Ping does.
pub async fn plugin_health(channel: Channel) -> Result<i32, tonic::Status> {
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    let response = client
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await?;
    Ok(response.into_inner().status)
}
