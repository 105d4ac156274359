//! An endpoint that cannot be reached at all is not retried 25 times.
//!
//! `max_retries` is 25 so that a throttled call succeeds with patience; the SDK also
//! retries connection errors, and 25 backoffs on a refused connection or an unknown
//! host (a wrong `endpoints` URL, a local emulator not started) would keep an apply
//! waiting for minutes before it says so. Like terraform-provider-aws
//! (hashicorp/aws-sdk-go-base's `networkErrorShortcutter`, `MaxNetworkRetryCount`), a
//! call gives up after [`MAX_UNREACHABLE_ATTEMPTS`] attempts that could not connect.

use aws_sdk_ecs::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_ecs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ecs::error::{BoxError, ConnectorError};
use aws_smithy_types::config_bag::{Storable, StoreReplace};

use crate::aws::error::error_chain;

/// Attempts of one call that could not connect before it gives up: aws-sdk-go-base's
/// `MaxNetworkRetryCount`.
pub const MAX_UNREACHABLE_ATTEMPTS: u32 = 9;

/// Attempts of the current call that could not connect, kept in its config bag.
#[derive(Clone, Copy, Debug)]
struct Unreachable(u32);

impl Storable for Unreachable {
    type Storer = StoreReplace<Self>;
}

/// Ends a call, with the connection error, once it has failed to connect
/// [`MAX_UNREACHABLE_ATTEMPTS`] times; other errors are left to the SDK's retries.
#[derive(Clone, Debug, Default)]
pub(super) struct GiveUpWhenUnreachable;

impl Intercept for GiveUpWhenUnreachable {
    fn name(&self) -> &'static str {
        "GiveUpWhenUnreachable"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Err(error)) = context.output_or_error() else {
            return Ok(());
        };
        let Some(connector) = error.as_connector_error().filter(|e| unreachable(e)) else {
            return Ok(());
        };
        let attempts = cfg.load::<Unreachable>().map_or(0, |seen| seen.0) + 1;
        cfg.interceptor_state().store_put(Unreachable(attempts));
        if attempts < MAX_UNREACHABLE_ATTEMPTS {
            return Ok(());
        }
        Err(format!(
            "the endpoint could not be reached in {attempts} attempts, not retried further: {}",
            error_chain(connector)
        )
        .into())
    }
}

/// A connection refused, or a host name that does not resolve: nothing answered.
fn unreachable(error: &ConnectorError) -> bool {
    let text = error_chain(error).to_ascii_lowercase();
    [
        "connection refused",
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no such host",
    ]
    .iter()
    .any(|sign| text.contains(sign))
}
