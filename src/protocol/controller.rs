//! go-plugin's own gRPC services: the controller (graceful shutdown), stdio and the
//! connection broker. Terraform uses the first; the other two are part of go-plugin's
//! client start-up, so we answer them correctly instead of leaving errors in its log.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use super::proto::plugin::grpc_broker_server::GrpcBroker;
use super::proto::plugin::grpc_controller_server::GrpcController;
use super::proto::plugin::grpc_stdio_server::GrpcStdio;
use super::proto::plugin::{ConnInfo, Empty, StdioData};

/// Ends the server when the host calls Shutdown.
pub struct Controller {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("the host asked the provider to shut down");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// We never redirect our stdout or stderr (logs go straight to stderr, where the host
/// reads them), so the stdio stream stays open and quiet until the provider stops.
pub struct Stdio {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = BoxStream<StdioData>;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        let shutdown = self.shutdown.clone();
        let stream = futures::stream::once(async move {
            shutdown.cancelled().await;
            None
        })
        .filter_map(|item: Option<Result<StdioData, Status>>| async move { item });
        Ok(Response::new(Box::pin(stream)))
    }
}

/// This provider brokers no extra connections: the broker stream is read until the
/// host closes it, and nothing is ever offered back.
pub struct Broker {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcBroker for Broker {
    type StartStreamStream = BoxStream<ConnInfo>;

    async fn start_stream(
        &self,
        request: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut inbound = request.into_inner();
        let shutdown = self.shutdown.clone();
        let stream = futures::stream::once(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    message = inbound.next() => match message {
                        Some(Ok(info)) => tracing::debug!(service_id = info.service_id, "ignoring a broker request: no brokered services"),
                        _ => break,
                    },
                }
            }
            None
        })
        .filter_map(|item: Option<Result<ConnInfo, Status>>| async move { item });
        Ok(Response::new(Box::pin(stream)))
    }
}
