//! No AWS call starts after Terraform asks the provider to stop.
//!
//! StopProvider (Ctrl-C) cancels one token. The resource code observes it in its own
//! waits; these two pieces make the AWS SDK observe it too, so that a call that is
//! being retried (up to `max_retries` times, with backoff of up to 20 s) ends at once
//! instead of sleeping and trying again:
//!
//! - [`StoppableSleep`], the clients' sleep: the retry backoff ends when the token is
//!   cancelled;
//! - [`StopGate`], an interceptor: an attempt that would start after the stop is not
//!   sent, and fails with [`STOPPED`] (the SDK does not retry it).
//!
//! An attempt already on the wire when the stop comes finishes normally: its answer is
//! what AWS did, and the state must record it.

use std::time::Duration;

use aws_sdk_ecs::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_ecs::config::{AsyncSleep, ConfigBag, Intercept, RuntimeComponents, Sleep};
use aws_sdk_ecs::error::BoxError;
use tokio_util::sync::CancellationToken;

/// Why an attempt was not sent.
pub const STOPPED: &str = "not sent: Terraform asked the provider to stop (interrupt)";

/// The clients' sleep: `tokio::time::sleep`, cut short by a stop.
#[derive(Clone, Debug)]
pub(super) struct StoppableSleep {
    stop: CancellationToken,
}

impl StoppableSleep {
    pub(super) fn new(stop: CancellationToken) -> Self {
        Self { stop }
    }
}

impl AsyncSleep for StoppableSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        let stop = self.stop.clone();
        Sleep::new(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(duration) => {}
            }
        })
    }
}

/// Refuses every attempt that would start after the stop.
#[derive(Clone, Debug)]
pub(super) struct StopGate {
    stop: CancellationToken,
}

impl StopGate {
    pub(super) fn new(stop: CancellationToken) -> Self {
        Self { stop }
    }
}

impl Intercept for StopGate {
    fn name(&self) -> &'static str {
        "StopGate"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.stop.is_cancelled() {
            tracing::debug!("AWS call not sent: the provider is stopping");
            return Err(STOPPED.into());
        }
        Ok(())
    }
}
