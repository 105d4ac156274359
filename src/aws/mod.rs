//! The AWS gateway: the only code that calls AWS.

pub mod cloudmap;
pub mod config;
pub mod ecs;
pub mod error;
pub mod gateway;
pub mod route53;
pub mod wait;

use futures::{StreamExt, stream};
use std::future::Future;

/// Makes `call(item)` for each item, at most `in_flight` at a time, and returns their
/// answers in order. Each API's semaphore would bound the calls too, but a call's future
/// holds its whole request state while it waits for a permit (about 9 KB for an SDK call,
/// heaptrack at 500 services): made only when it can run, a large mesh's calls do not all
/// sit in memory at once (peak RSS, docs/PERFORMANCE.md).
pub async fn in_order<T, F: Future>(
    items: impl IntoIterator<Item = T>,
    in_flight: usize,
    call: impl FnMut(T) -> F,
) -> Vec<F::Output> {
    stream::iter(items)
        .map(call)
        .buffered(in_flight.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::in_order;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn in_order_answers_in_order_with_at_most_in_flight_calls_alive() {
        let (alive, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let answers = in_order(0..20usize, 3, |i| {
            let (alive, peak) = (&alive, &peak);
            async move {
                peak.fetch_max(alive.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                // Later calls finish first: the answers still come back in order.
                for _ in 0..(20 - i) {
                    tokio::task::yield_now().await;
                }
                alive.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        assert_eq!(answers, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
