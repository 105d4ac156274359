//! How AWS calls are retried, and how hard the provider pushes on a busy account.
//!
//! ECS and Cloud Map throttle per account and Region with token buckets that every tool
//! in the account shares (CI, the console, deployment controllers), so a throttled call
//! is normal on a busy account and must not fail a run that would succeed with
//! patience. terraform-provider-aws retries up to 25 times by default (`max_retries`)
//! and turns off the SDK's retry quota (hashicorp/aws-sdk-go-base sets
//! `ratelimit.None` unless `token_bucket_rate_limiter_capacity` is set); so do we:
//!
//! - attempts: `max_retries` + 1, else AWS_MAX_ATTEMPTS, else the profile's
//!   `max_attempts`, else [`DEFAULT_MAX_RETRIES`] + 1;
//! - mode: AWS_RETRY_MODE, else the profile's `retry_mode`, else
//!   [`DEFAULT_RETRY_MODE`]; the SDK's exponential backoff with full jitter (1 s
//!   doubling up to 20 s) in either;
//! - no retry quota: the SDK's standard quota (500 tokens per process, 5 per throttled
//!   retry) can run dry on a large apply of a busy account and then fails calls that
//!   one more retry would have carried; each client gets its own partition with an
//!   unlimited bucket instead (and, in adaptive mode, its own client-side rate).
//!
//! Why standard and not adaptive: docs/RELIABILITY.md ("Throttling"), with the
//! measurements.

use aws_sdk_ecs::config::retry::{RetryConfig, RetryMode, RetryPartition, TokenBucket};
use aws_types::os_shim_internal::Env;

use super::AwsSettings;
use super::error::{ConfigError, SettingOrigin};
use super::profiles::SharedFiles;

/// Retries after the first attempt when neither `max_retries`, AWS_MAX_ATTEMPTS nor
/// the profile's `max_attempts` says otherwise: terraform-provider-aws's default.
pub const DEFAULT_MAX_RETRIES: u32 = 25;

/// The retry mode when neither AWS_RETRY_MODE nor the profile's `retry_mode` says
/// otherwise.
pub const DEFAULT_RETRY_MODE: RetryMode = RetryMode::Standard;

/// The retry configuration in force, and where each half of it came from (for the log).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct RetryPolicy {
    pub(super) config: RetryConfig,
    pub(super) attempts_from: &'static str,
    pub(super) mode_from: &'static str,
}

/// The provider's retry configuration: the attribute, then the environment, then the
/// shared config profile `profile`, then our defaults. A malformed environment or
/// profile value is an error here (aws-config would panic on it).
pub(super) fn policy(
    settings: &AwsSettings,
    env: &Env,
    files: &SharedFiles,
    profile: &str,
) -> Result<RetryPolicy, ConfigError> {
    let chain = |variable: &'static str, key: &'static str| match env
        .get(variable)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        Some(value) => Some((value, variable)),
        None => files
            .value(profile, key)
            .filter(|v| !v.trim().is_empty())
            .map(|value| (value, key)),
    };
    let (attempts, attempts_from) = match settings.max_retries {
        Some(retries) => (retries.saturating_add(1), "max_retries"),
        None => match chain("AWS_MAX_ATTEMPTS", "max_attempts") {
            Some((value, from)) => (max_attempts(&value, from)?, from),
            None => (DEFAULT_MAX_RETRIES + 1, "default"),
        },
    };
    let (mode, mode_from) = match chain("AWS_RETRY_MODE", "retry_mode") {
        Some((value, from)) => (retry_mode(&value, from)?, from),
        None => (DEFAULT_RETRY_MODE, "default"),
    };
    let config = match mode {
        RetryMode::Adaptive => RetryConfig::adaptive(),
        _ => RetryConfig::standard(),
    }
    .with_max_attempts(attempts);
    Ok(RetryPolicy {
        config,
        attempts_from,
        mode_from,
    })
}

/// One service client's retry state: its own partition, so that its client-side rate
/// (adaptive mode) follows its own API's throttling, with no retry quota.
pub(super) fn partition(service: &'static str) -> RetryPartition {
    RetryPartition::custom(service)
        .token_bucket(TokenBucket::unlimited())
        .build()
}

fn origin(from: &'static str) -> SettingOrigin {
    match from {
        "AWS_MAX_ATTEMPTS" | "AWS_RETRY_MODE" => SettingOrigin::Environment(from),
        _ => SettingOrigin::Environment("the shared config profile"),
    }
}

fn max_attempts(value: &str, from: &'static str) -> Result<u32, ConfigError> {
    match value.trim().parse::<u32>() {
        Ok(0) => Err(invalid(
            from,
            value,
            "it must be at least 1 (the first attempt)",
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(invalid(
            from,
            value,
            "it must be a whole number of attempts",
        )),
    }
}

fn retry_mode(value: &str, from: &'static str) -> Result<RetryMode, ConfigError> {
    // The AWS CLI's "legacy" mode has no counterpart in the Rust SDK: standard is the
    // closest (the same backoff, and more attempts than legacy's 5 with ours).
    if value.trim().eq_ignore_ascii_case("legacy") {
        return Ok(RetryMode::Standard);
    }
    value
        .parse::<RetryMode>()
        .map_err(|_| invalid(from, value, "it must be \"standard\" or \"adaptive\""))
}

fn invalid(from: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError::InvalidRetrySetting {
        setting: match from {
            "AWS_MAX_ATTEMPTS" | "max_attempts" => "max_attempts",
            _ => "retry_mode",
        },
        origin: origin(from),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}
