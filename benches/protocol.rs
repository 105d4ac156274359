//! Protocol benchmarks (`make bench`): process start to handshake line with mTLS, process
//! start to the first answered RPC (GetProviderSchema over mTLS, as Terraform's first call),
//! and GetProviderSchema in process. Prints medians and percentiles; the figures and this
//! command go into docs/PERFORMANCE.md.
//!
//! The provider started is SERVICEMESH_PROVIDER_BINARY when set (`make bench` passes the
//! release build, the binary bench_mesh.rs measures), else the one cargo built for this
//! bench.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use servicemesh::protocol::address::ProviderAddress;
use servicemesh::protocol::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use servicemesh::protocol::proto::tfplugin6 as pb;
use servicemesh::protocol::proto::tfplugin6::provider_client::ProviderClient;
use servicemesh::protocol::proto::tfplugin6::provider_server::Provider;
use servicemesh::protocol::rpc::ProviderService;
use servicemesh::protocol::server::MAX_MESSAGE_BYTES;
use servicemesh::provider::ServicemeshProvider;
use tonic::transport::Endpoint;

const HANDSHAKE_RUNS: usize = 200;
const FIRST_RPC_RUNS: usize = 100;
const SCHEMA_CALLS: usize = 20_000;

fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`: benchmarks
    // belong to `make bench`, not to the test suite.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("benchmarks run with `make bench` (cargo bench); skipped under cargo test");
        return;
    }
    let binary = provider_binary();
    println!("provider binary: {}", binary.display());
    let host = HostCertificate::generate();
    handshake_latency(&binary, &host);
    first_rpc_latency(&binary, &host);
    schema_latency();
}

fn provider_binary() -> PathBuf {
    match std::env::var_os("SERVICEMESH_PROVIDER_BINARY") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-servicemesh")),
    }
}

/// A certificate of the kind Terraform passes in PLUGIN_CLIENT_CERT (self-signed ECDSA
/// P-521, a CA), with its key for the client side of mTLS.
struct HostCertificate {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl HostCertificate {
    fn generate() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("key");
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("cert");
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// Starts the provider as go-plugin does and reads its handshake line.
fn start(binary: &PathBuf, host: &HostCertificate) -> (Child, String) {
    let mut child = Command::new(binary)
        // `cargo bench` puts its own library directories (the build's, the toolchain's)
        // in LD_LIBRARY_PATH, and the loader would search each of them for libc, libm and
        // libgcc_s at every start (52 failed opens, about 0.1 ms): Terraform starts the
        // provider without them.
        .env_remove("LD_LIBRARY_PATH")
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", &host.pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("handshake line");
    assert!(
        line.starts_with("1|6|unix|"),
        "unexpected handshake: {line}"
    );
    (child, line.trim_end().to_string())
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn handshake_latency(binary: &PathBuf, host: &HostCertificate) {
    let mut samples = Vec::with_capacity(HANDSHAKE_RUNS);
    for _ in 0..HANDSHAKE_RUNS {
        let started = Instant::now();
        let (child, _) = start(binary, host);
        samples.push(started.elapsed());
        stop(child);
    }
    report("process start to handshake line (mTLS)", &mut samples);
}

/// What Terraform waits for before its first answer: the line, then a connection, the
/// mTLS handshake and GetProviderSchema. Work the provider does after printing the line
/// shows here.
fn first_rpc_latency(binary: &PathBuf, host: &HostCertificate) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut samples = Vec::with_capacity(FIRST_RPC_RUNS);
    for _ in 0..FIRST_RPC_RUNS {
        let started = Instant::now();
        let (child, line) = start(binary, host);
        let fields: Vec<&str> = line.split('|').collect();
        let socket = PathBuf::from(fields[3]);
        let server_cert = CertificateDer::from(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(fields[5])
                .expect("unpadded base64 certificate"),
        );
        let tls = Arc::new(client_tls(server_cert, host));
        let response = runtime.block_on(async {
            let channel = Endpoint::try_from("http://localhost")
                .expect("endpoint")
                .connect_with_connector(tower::service_fn(move |_| {
                    let socket = socket.clone();
                    let tls = tls.clone();
                    async move {
                        let stream = tokio::net::UnixStream::connect(&socket).await?;
                        let name =
                            ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                        let stream = tokio_rustls::TlsConnector::from(tls)
                            .connect(name, stream)
                            .await?;
                        Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                    }
                }))
                .await
                .expect("mTLS connection");
            ProviderClient::new(channel)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .get_provider_schema(pb::get_provider_schema::Request {})
                .await
                .expect("GetProviderSchema")
        });
        samples.push(started.elapsed());
        std::hint::black_box(response);
        stop(child);
    }
    report(
        "process start to first answered RPC (GetProviderSchema over mTLS)",
        &mut samples,
    );
}

/// The client side as go-plugin dials: trusts only the handshake's server certificate,
/// for "localhost", presents the host's certificate, asks for HTTP/2.
fn client_tls(
    server_cert: CertificateDer<'static>,
    host: &HostCertificate,
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_cert).expect("server certificate as root");
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![host.der.clone()], host.key.clone_key())
        .expect("client certificate");
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

fn schema_latency() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let name = ProviderAddress::new("registry.terraform.io/servicemesh/servicemesh");
    let service = ProviderService::new(name, Arc::new(ServicemeshProvider::new()));
    let mut samples = Vec::with_capacity(SCHEMA_CALLS);
    runtime.block_on(async {
        for _ in 0..SCHEMA_CALLS {
            let started = Instant::now();
            let response = service
                .get_provider_schema(tonic::Request::new(pb::get_provider_schema::Request {}))
                .await
                .expect("schema");
            samples.push(started.elapsed());
            std::hint::black_box(response);
        }
    });
    report(
        "GetProviderSchema (in process, without transport)",
        &mut samples,
    );
}

fn report(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name}: n={} median={:?} p90={:?} p99={:?} max={:?}",
        samples.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}
