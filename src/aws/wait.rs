//! Waiting on AWS: exponential backoff within a deadline, cut short when Terraform
//! asks the provider to stop.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Why a wait ended without success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitEnd {
    TimedOut,
    Cancelled,
}

/// How long and how often to wait.
#[derive(Clone, Debug)]
pub struct Waiter {
    deadline: Instant,
    next_delay: Duration,
    max_delay: Duration,
    cancel: CancellationToken,
}

impl Waiter {
    /// Starts at `first` and doubles up to `max` between attempts.
    pub fn new(
        timeout: Duration,
        first: Duration,
        max: Duration,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            deadline: Instant::now() + timeout,
            next_delay: first,
            max_delay: max,
            cancel,
        }
    }

    /// For polling an asynchronous operation (Cloud Map: seconds to tens of seconds).
    pub fn for_operation(timeout: Duration, cancel: CancellationToken) -> Self {
        Self::new(
            timeout,
            Duration::from_millis(50),
            Duration::from_secs(5),
            cancel,
        )
    }

    /// For retrying a call that fails while something else lets go (ResourceInUse).
    pub fn for_retry(timeout: Duration, cancel: CancellationToken) -> Self {
        Self::new(
            timeout,
            Duration::from_millis(200),
            Duration::from_secs(10),
            cancel,
        )
    }

    /// Sleeps before the next attempt; `Err` when the deadline or a stop comes first.
    pub async fn pause(&mut self) -> Result<(), WaitEnd> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(WaitEnd::TimedOut);
        }
        let delay = self.next_delay.min(self.deadline - now);
        self.next_delay = (self.next_delay * 2).min(self.max_delay);
        tokio::select! {
            _ = self.cancel.cancelled() => Err(WaitEnd::Cancelled),
            _ = tokio::time::sleep(delay) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real time (a paused clock needs tokio's test-util, which would then differ between
    // the release build and `cargo bench`'s, and double make bench's build), so the
    // counts are bounds, not exact.
    #[tokio::test]
    async fn backs_off_until_the_deadline() {
        let deadline = Duration::from_millis(300);
        let mut waiter = Waiter::new(
            deadline,
            Duration::from_millis(10),
            Duration::from_millis(40),
            CancellationToken::new(),
        );
        let started = Instant::now();
        let mut pauses = 0;
        while waiter.pause().await.is_ok() {
            pauses += 1;
        }
        // 10 + 20 + 40 + 40 + … clipped to 300 ms: 9 pauses on an idle machine, fewer when
        // sleeps overrun; 30 would mean no back-off at all.
        assert!((3..=9).contains(&pauses), "{pauses} pauses");
        assert!(started.elapsed() >= deadline);
        assert_eq!(waiter.pause().await, Err(WaitEnd::TimedOut));
    }

    #[tokio::test]
    async fn stops_when_cancelled() {
        let cancel = CancellationToken::new();
        let mut waiter = Waiter::for_retry(Duration::from_secs(60), cancel.clone());
        cancel.cancel();
        assert_eq!(waiter.pause().await, Err(WaitEnd::Cancelled));
    }
}
