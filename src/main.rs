//! The provider binary Terraform launches: `terraform-provider-servicemesh`.
//!
//! Run by Terraform, it performs the go-plugin handshake and serves tfplugin6. Run with
//! `--debug`, it serves for a debugger and prints the TF_REATTACH_PROVIDERS value.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use servicemesh::protocol::address::ProviderAddress;
use servicemesh::protocol::handshake::{HandshakeError, HandshakeRequest};
use servicemesh::protocol::logging;
use servicemesh::protocol::rpc::ProviderService;
use servicemesh::protocol::server;
use servicemesh::provider::ServicemeshProvider;
use tokio_util::sync::CancellationToken;

/// The address Terraform knows this provider by; the protocol layer takes every name it
/// prints from it.
const PROVIDER: ProviderAddress =
    ProviderAddress::new("registry.terraform.io/servicemesh/servicemesh");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version" || a == "-v") {
        println!("{} {}", PROVIDER.binary_name(), env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let debug = args.iter().any(|a| a == "--debug");
    let request = if debug {
        None
    } else {
        // Check the cookie before anything else: a person running us by hand gets
        // an explanation, not a half-started server.
        match HandshakeRequest::from_env(PROVIDER) {
            Ok(request) => Some(request),
            Err(err) => {
                eprintln!("{err}");
                if matches!(err, HandshakeError::UnsupportedProtocol { .. }) {
                    // An old host reads one line of stdout and shows it when it is not a
                    // handshake; stderr it discards.
                    println!("{err}");
                }
                return ExitCode::FAILURE;
            }
        }
    };
    logging::init_from_env(PROVIDER);
    logging::install_panic_hook(PROVIDER);

    // Terraform waits for the handshake line at every start (three to five times per
    // command): it goes out first, and the runtime and the provider are built while the
    // host reads it and dials.
    let prepared = match &request {
        Some(request) => server::prepare_managed(PROVIDER, request),
        None => server::prepare_debug(PROVIDER),
    };
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(err) => {
            eprintln!("{}: {err}", PROVIDER.binary_name());
            return ExitCode::FAILURE;
        }
    };
    prepared.announce();

    // One thread: the provider waits on AWS and on Terraform, not on its CPU. With a
    // worker per core each worker's malloc arena grew to the peak (peak RSS of a
    // 500-service command 1 to 3 MiB higher, docs/PERFORMANCE.md), for no gain in time.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("starting the provider's runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let shutdown = CancellationToken::new();
    let result = runtime.block_on(async {
        let service = ProviderService::new(PROVIDER, Arc::new(ServicemeshProvider::new()));
        server::serve(prepared, service, shutdown).await
    });
    // Don't wait for stragglers (an AWS call still in flight): Terraform is done with us.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}: {err}", PROVIDER.binary_name());
            ExitCode::FAILURE
        }
    }
}
