//! Each Provider RPC's duration in the provider's log, at DEBUG:
//! `rpc finished rpc=ReadResource elapsed_ms=71.330`. With TF_LOG_PROVIDER=DEBUG these lines
//! say how much of a Terraform command the provider spent (`make bench` sums them,
//! docs/PERFORMANCE.md). Unary RPCs are timed until their answer is ready; a streaming
//! RPC (ListResource) until its stream starts.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use tonic::body::Body;
use tonic::codegen::Service;
use tonic::codegen::http::{Request, Response};
use tonic::server::NamedService;

/// A gRPC service whose calls are timed.
#[derive(Clone, Debug)]
pub struct Timed<S>(pub S);

impl<S: NamedService> NamedService for Timed<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<Request<Body>> for Timed<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return Box::pin(self.0.call(request));
        }
        let rpc = rpc_name(request.uri().path()).to_string();
        let started = Instant::now();
        let answer = self.0.call(request);
        Box::pin(async move {
            let response = answer.await;
            // A string: hclog would print a large number as a float (1.9e+06).
            let elapsed_ms = format!("{:.3}", started.elapsed().as_secs_f64() * 1000.0);
            tracing::debug!(rpc = %rpc, elapsed_ms = %elapsed_ms, "rpc finished");
            response
        })
    }
}

/// "/tfplugin6.Provider/ReadResource" → "ReadResource".
fn rpc_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_rpc_by_its_method() {
        assert_eq!(rpc_name("/tfplugin6.Provider/ReadResource"), "ReadResource");
        assert_eq!(rpc_name("ReadResource"), "ReadResource");
    }
}
