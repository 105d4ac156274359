//! Protocol benchmarks (`make bench`): process start to handshake line with mTLS, and
//! GetProviderSchema. Prints medians and percentiles; the figures and this command go
//! into docs/PERFORMANCE.md.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use servicemesh::protocol::address::ProviderAddress;
use servicemesh::protocol::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use servicemesh::protocol::proto::tfplugin6 as pb;
use servicemesh::protocol::proto::tfplugin6::provider_server::Provider;
use servicemesh::protocol::rpc::ProviderService;
use servicemesh::provider::ServicemeshProvider;

const HANDSHAKE_RUNS: usize = 200;
const SCHEMA_CALLS: usize = 20_000;

fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`: benchmarks
    // belong to `make bench`, not to the test suite.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("benchmarks run with `make bench` (cargo bench); skipped under cargo test");
        return;
    }
    let client_cert = host_certificate_pem();
    handshake_latency(&client_cert);
    schema_latency();
}

/// A certificate of the kind Terraform passes in PLUGIN_CLIENT_CERT.
fn host_certificate_pem() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).expect("cert").pem()
}

fn handshake_latency(client_cert: &str) {
    let binary = env!("CARGO_BIN_EXE_terraform-provider-servicemesh");
    let mut samples = Vec::with_capacity(HANDSHAKE_RUNS);
    for _ in 0..HANDSHAKE_RUNS {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("PLUGIN_CLIENT_CERT", client_cert)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the provider");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("handshake line");
        samples.push(started.elapsed());
        assert!(
            line.starts_with("1|6|unix|"),
            "unexpected handshake: {line}"
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    report("process start to handshake line (mTLS)", &mut samples);
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
