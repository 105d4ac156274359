//! Serving the provider: managed by Terraform (handshake + AutoMTLS) or in debug mode
//! (reattach), with every gRPC service go-plugin expects and a clean way out.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic::transport::server::Router;

use super::address::ProviderAddress;
use super::controller::{Broker, Controller, Stdio};
use super::handshake::{HandshakeRequest, ListenAddress, handshake_line};
use super::proto::plugin::grpc_broker_server::GrpcBrokerServer;
use super::proto::plugin::grpc_controller_server::GrpcControllerServer;
use super::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use super::proto::tfplugin6::provider_server::{Provider, ProviderServer};
use super::timing::Timed;
use super::tls::{
    PinnedClientVerifier, ServerIdentity, TlsError, crypto_provider, pinned_server_config,
};
use super::transport::{BoundListener, PluginListener, accept_loop};

/// Terraform's v6 client accepts messages up to 256 MiB; large plans need the same here.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// How long a graceful stop may take before the process just exits. go-plugin kills
/// the process about two seconds after Shutdown, and logs that as a failure.
const GRACEFUL_STOP: Duration = Duration::from_millis(1500);

/// How often we check that Terraform is still there.
const PARENT_POLL: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("listening for Terraform: {0}")]
    Listen(#[from] std::io::Error),
    #[error("serving gRPC: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Everything the host needs before it can connect, made without a runtime: the bound
/// socket, the server certificate and the line that announces them. The rest (runtime,
/// TLS configuration, gRPC router, the provider itself) is built after the line is out,
/// while the host reads it and dials (start-up, docs/PERFORMANCE.md).
pub struct Prepared {
    listener: BoundListener,
    line: String,
    tls: Option<(ServerIdentity, PinnedClientVerifier)>,
    /// Under Terraform (interrupts are the host's to handle), or for a debugger.
    managed: bool,
}

/// Prepares serving `name` under Terraform, as `request` (the environment's handshake)
/// asks: a unix socket or TCP, and AutoMTLS if it passed a client certificate.
pub fn prepare_managed(
    name: ProviderAddress,
    request: &HandshakeRequest,
) -> Result<Prepared, ServeError> {
    let (listener, address) = BoundListener::bind(
        name,
        request.unix_socket_dir.as_deref(),
        (request.min_port, request.max_port),
    )?;
    let tls = match &request.client_cert_pem {
        Some(pem) => {
            // A bad PLUGIN_CLIENT_CERT fails here, before the line, not at the first dial.
            let verifier = PinnedClientVerifier::from_pem(pem, &crypto_provider())?;
            Some((ServerIdentity::generate(&name.binary_name())?, verifier))
        }
        None => None,
    };
    let line = handshake_line(
        &address,
        tls.as_ref().map(|(identity, _)| identity.cert_der.as_ref()),
    );
    Ok(Prepared {
        listener,
        line,
        tls,
        managed: true,
    })
}

/// Prepares serving `name` for a debugger: no cookie, no TLS, and instructions for
/// TF_REATTACH_PROVIDERS as the line.
pub fn prepare_debug(name: ProviderAddress) -> Result<Prepared, ServeError> {
    let (listener, address) = BoundListener::bind(name, None, (10000, 25000))?;
    Ok(Prepared {
        listener,
        line: reattach_instructions(name, &address),
        tls: None,
        managed: false,
    })
}

impl Prepared {
    /// Prints the handshake line (or the debug instructions) on stdout. The socket is
    /// already listening: a host that connects at once waits in its backlog.
    pub fn announce(&self) {
        print_stdout_line(&self.line);
    }
}

/// Serves `provider` on what [`Prepared`] bound (call [`Prepared::announce`] first), until
/// Shutdown, SIGTERM, or the parent process is gone (Ctrl-C too, for a debugger).
pub async fn serve<P: Provider>(
    prepared: Prepared,
    provider: P,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let tls = match prepared.tls {
        Some((identity, verifier)) => Some(Arc::new(pinned_server_config(
            &identity,
            verifier,
            crypto_provider(),
        )?)),
        None => None,
    };
    if prepared.managed {
        ignore_interrupts();
        watch_parent(shutdown.clone());
    } else {
        // Ctrl-C stops a debug session; under Terraform, the host handles interrupts.
        let ctrl_c = shutdown.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                ctrl_c.cancel();
            }
        });
    }
    watch_terminate_signal(shutdown.clone());
    let listener = prepared.listener.into_async()?;
    run(provider, listener, tls, shutdown).await
}

/// The text a developer pastes into their shell to point Terraform's `name` at this
/// process.
pub fn reattach_instructions(name: ProviderAddress, address: &ListenAddress) -> String {
    let (network, addr) = match address {
        ListenAddress::Unix(path) => ("unix", path.display().to_string()),
        ListenAddress::Tcp(addr) => ("tcp", addr.to_string()),
    };
    let value = serde_json::json!({
        name.as_str(): {
            "Protocol": "grpc",
            "ProtocolVersion": 6,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": network, "String": addr },
        }
    });
    format!(
        "Provider started in debug mode. To attach Terraform, set in your shell:\n\n\
         \texport TF_REATTACH_PROVIDERS='{value}'\n\n\
         then run terraform as usual in another terminal. Ctrl-C stops the provider."
    )
}

fn print_stdout_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    // If stdout is gone the host is gone too; the parent watch ends us.
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// Builds the router with every service the host talks to.
fn router<P: Provider>(provider: P, shutdown: &CancellationToken) -> Router {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    // go-plugin's Ping checks the health of the service named "plugin".
    tokio::spawn(async move {
        health_reporter
            .set_service_status("plugin", tonic_health::ServingStatus::Serving)
            .await;
    });
    let provider = ProviderServer::new(provider)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    Server::builder()
        .add_service(Timed(provider))
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(Controller {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcBrokerServer::new(Broker {
            shutdown: shutdown.clone(),
        }))
}

async fn run<P: Provider>(
    provider: P,
    listener: PluginListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let router = router(provider, &shutdown);
    let stopping = shutdown.clone();
    let signal = async move { stopping.cancelled().await };
    let serve = async {
        match listener {
            PluginListener::Unix { listener, dir } => {
                let incoming = accept_loop(listener, tls);
                let result = router.serve_with_incoming_shutdown(incoming, signal).await;
                drop(dir);
                result
            }
            PluginListener::Tcp(listener) => {
                let incoming = accept_loop(listener, tls);
                router.serve_with_incoming_shutdown(incoming, signal).await
            }
        }
    };
    tokio::select! {
        result = serve => result.map_err(ServeError::from),
        _ = async { shutdown.cancelled().await; tokio::time::sleep(GRACEFUL_STOP).await } => {
            tracing::debug!("graceful stop took too long; exiting anyway");
            Ok(())
        }
    }
}

/// Ends the provider when the process that started it is gone, so a killed Terraform
/// never leaves us behind.
fn watch_parent(shutdown: CancellationToken) {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PARENT_POLL);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {
                    if std::os::unix::process::parent_id() != parent {
                        tracing::debug!("Terraform is gone; stopping");
                        shutdown.cancel();
                        return;
                    }
                }
            }
        }
    });
}

/// A terminal's Ctrl-C reaches the whole process group, the provider included. Like
/// go-plugin servers (hashicorp/go-plugin server.go eats interrupts), we let Terraform
/// decide: it forwards the stop as StopProvider and closes us when it is done. Dying on
/// the spot would lose the result of the apply in flight.
fn ignore_interrupts() {
    use tokio::signal::unix::{SignalKind, signal};
    // Registering a handler replaces the default action (terminate) for the process.
    let mut interrupts = match signal(SignalKind::interrupt()) {
        Ok(interrupts) => interrupts,
        Err(err) => {
            tracing::warn!("cannot ignore SIGINT, Ctrl-C will end the provider: {err}");
            return;
        }
    };
    tokio::spawn(async move {
        while interrupts.recv().await.is_some() {
            tracing::debug!("ignoring SIGINT: Terraform stops the provider with StopProvider");
        }
    });
}

fn watch_terminate_signal(shutdown: CancellationToken) {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            return;
        };
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = terminate.recv() => shutdown.cancel(),
        }
    });
}
