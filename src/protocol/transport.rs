//! Where the provider listens and how connections arrive: a unix socket in a private
//! directory (TCP on loopback as the fallback), each connection wrapped in TLS when the
//! host asked for AutoMTLS.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use super::address::ProviderAddress;
use super::handshake::ListenAddress;

/// A listener bound without a runtime, so the handshake line can be printed before one
/// is built (start-up, docs/PERFORMANCE.md). The host may connect as soon as it reads
/// the line: connections wait in the backlog until [`BoundListener::into_async`].
pub enum BoundListener {
    Unix {
        listener: std::os::unix::net::UnixListener,
        /// The private directory holding the socket, removed on drop.
        dir: PrivateDir,
    },
    Tcp(std::net::TcpListener),
}

impl BoundListener {
    /// Binds a unix socket in a fresh directory, named after the provider, that only
    /// this user can open; falls back to TCP on 127.0.0.1 within the host's port range.
    pub fn bind(
        provider: ProviderAddress,
        socket_parent: Option<&Path>,
        port_range: (u16, u16),
    ) -> io::Result<(Self, ListenAddress)> {
        let parent = socket_parent
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        match PrivateDir::create(&parent, provider.type_name()) {
            Ok(dir) => {
                let path = dir.path.join("plugin.sock");
                match std::os::unix::net::UnixListener::bind(&path) {
                    Ok(listener) => {
                        return Ok((Self::Unix { listener, dir }, ListenAddress::Unix(path)));
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "binding a unix socket failed, using TCP")
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "creating a socket directory failed, using TCP")
            }
        }
        let (listener, addr) = bind_tcp(port_range)?;
        Ok((Self::Tcp(listener), ListenAddress::Tcp(addr)))
    }

    /// Hands the socket to the runtime; must be called within it.
    pub fn into_async(self) -> io::Result<PluginListener> {
        match self {
            Self::Unix { listener, dir } => {
                listener.set_nonblocking(true)?;
                Ok(PluginListener::Unix {
                    listener: UnixListener::from_std(listener)?,
                    dir,
                })
            }
            Self::Tcp(listener) => {
                listener.set_nonblocking(true)?;
                Ok(PluginListener::Tcp(TcpListener::from_std(listener)?))
            }
        }
    }
}

/// A listener of either kind, on the runtime.
pub enum PluginListener {
    Unix {
        listener: UnixListener,
        /// The private directory holding the socket, removed on drop.
        dir: PrivateDir,
    },
    Tcp(TcpListener),
}

fn bind_tcp(
    (min_port, max_port): (u16, u16),
) -> io::Result<(std::net::TcpListener, std::net::SocketAddr)> {
    let mut last_error = None;
    for port in min_port..=max_port {
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(listener) => {
                let addr = listener.local_addr()?;
                return Ok((listener, addr));
            }
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("no free port between {min_port} and {max_port}"),
        )
    }))
}

/// A directory with mode 0700, removed with everything in it when dropped.
pub struct PrivateDir {
    pub path: PathBuf,
}

impl PrivateDir {
    fn create(parent: &Path, provider_type: &str) -> io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let name = format!(
            "tf-{provider_type}-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        let path = parent.join(name);
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(Self { path })
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A connection, in TLS or not. One type for both so the gRPC server is built once.
pub enum MaybeTls<S> {
    Plain(S),
    Tls(Box<TlsStream<S>>),
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for MaybeTls<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for MaybeTls<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_flush(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

impl<S> Connected for MaybeTls<S> {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

/// The stream of accepted (and, with TLS, authenticated) connections.
pub type Incoming<S> = ReceiverStream<io::Result<MaybeTls<S>>>;

/// A listener that yields connections of one stream type.
pub trait Acceptor: Send + Sync + 'static {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn accept_stream(&self) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

impl Acceptor for UnixListener {
    type Stream = UnixStream;
    async fn accept_stream(&self) -> io::Result<UnixStream> {
        self.accept().await.map(|(stream, _)| stream)
    }
}

impl Acceptor for TcpListener {
    type Stream = TcpStream;
    async fn accept_stream(&self) -> io::Result<TcpStream> {
        let (stream, _) = self.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}

/// Accepts connections in the background. TLS handshakes run on their own tasks so a
/// slow or hostile client cannot hold up the next one; failed handshakes are logged and
/// dropped, never handed to the gRPC server.
pub fn accept_loop<A: Acceptor>(
    listener: A,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Incoming<A::Stream> {
    let (sender, receiver) = mpsc::channel(16);
    tokio::spawn(async move {
        let acceptor = tls.map(TlsAcceptor::from);
        loop {
            let stream = match listener.accept_stream().await {
                Ok(stream) => stream,
                Err(err) => {
                    tracing::warn!(error = %err, "accepting a connection failed");
                    // Errors such as EMFILE repeat at once: don't spin on them.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Some(acceptor) = acceptor.clone() else {
                if sender.send(Ok(MaybeTls::Plain(stream))).await.is_err() {
                    return; // the server is gone
                }
                continue;
            };
            let sender = sender.clone();
            tokio::spawn(async move {
                match acceptor.accept(stream).await {
                    Ok(tls) => {
                        let _ = sender.send(Ok(MaybeTls::Tls(Box::new(tls)))).await;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "refused a connection: TLS handshake failed");
                    }
                }
            });
        }
    });
    ReceiverStream::new(receiver)
}
