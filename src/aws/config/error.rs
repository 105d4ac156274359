//! Why `connect` refused a configuration, worded like terraform-provider-aws: what
//! failed, on which thing, the cause, and how to fix it.

use std::path::PathBuf;

/// Where a setting came from, so an error can point at the provider attribute only
/// when the practitioner actually wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingOrigin {
    /// The `provider "servicemesh"` block.
    Attribute,
    /// An environment variable (named in the error).
    Environment(&'static str),
}

/// A provider configuration that cannot talk to AWS.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no AWS region configured for the servicemesh provider: set `region` in the \
         provider \"servicemesh\" block, or the AWS_REGION environment variable, or `region` \
         in the shared config profile in use"
    )]
    MissingRegion,

    #[error(
        "invalid AWS region {region:?}{}: a region is lower-case letters, digits and \
         dashes, like \"us-east-1\"; fix the value",
        origin_suffix(*origin)
    )]
    InvalidRegion {
        region: String,
        origin: SettingOrigin,
    },

    #[error(
        "AWS profile {profile:?}{} was not found in the shared config files ({files}); \
         {}; fix the profile name or add the profile (e.g. `aws configure --profile {profile}`)",
        origin_suffix(*origin),
        available_profiles(available)
    )]
    UnknownProfile {
        profile: String,
        origin: SettingOrigin,
        /// The files that were read, for the message.
        files: String,
        available: Vec<String>,
    },

    #[error(
        "cannot use the AWS shared {kind} file {path}{}: {cause}; fix or remove the file{}",
        env_var.map(|v| format!(" (from {v})")).unwrap_or_default(),
        env_var.map(|v| format!(", or unset {v}")).unwrap_or_default()
    )]
    SharedConfigFile {
        /// "config" or "credentials".
        kind: &'static str,
        path: PathBuf,
        env_var: Option<&'static str>,
        cause: String,
    },

    #[error(
        "no valid credential sources found for the servicemesh provider{}. Tried: \
         environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); \
         the shared config and credentials files (profile {profile:?}); web identity \
         (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN); ECS container credentials \
         (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI); EC2 instance metadata (IMDS). \
         Cause: {detail}. Fix: provide credentials through one of these sources, e.g. \
         `aws configure`, `aws sso login`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
        origin_suffix_opt(*profile_origin)
    )]
    NoCredentials {
        profile: String,
        profile_origin: Option<SettingOrigin>,
        detail: String,
    },

    #[error(
        "failed to load AWS credentials for profile {profile:?}{}: {detail}; fix the \
         profile's credential settings (for SSO, run `aws sso login`)",
        origin_suffix_opt(*profile_origin)
    )]
    CredentialsFailed {
        profile: String,
        profile_origin: Option<SettingOrigin>,
        detail: String,
    },

    #[error(
        "failed to assume IAM role {role_arn:?} (`assume_role`): {message}; check that the \
         role exists, that its trust policy allows the base credentials' principal, and that \
         `external_id` and `duration` match what the role accepts"
    )]
    AssumeRole { role_arn: String, message: String },

    #[error("invalid `{attribute}` in the provider \"servicemesh\" block: {reason}")]
    InvalidAssumeRole {
        /// e.g. "assume_role.role_arn".
        attribute: &'static str,
        reason: String,
    },

    #[error(
        "invalid {service} endpoint {value:?}{}: {reason}; set an absolute http(s) URL such \
         as the service's https:// endpoint or \"http://localhost:4566\"",
        endpoint_origin(attribute, *origin)
    )]
    InvalidEndpoint {
        /// e.g. "ecs".
        service: &'static str,
        /// e.g. "endpoints.ecs".
        attribute: &'static str,
        origin: SettingOrigin,
        value: String,
        reason: String,
    },

    #[error("invalid `max_concurrency` {value}: it bounds in-flight AWS calls and {reason}")]
    InvalidMaxConcurrency { value: usize, reason: String },

    #[error("invalid `default_tags` entry {key:?}: {reason}")]
    InvalidDefaultTag { key: String, reason: String },

    #[error(
        "invalid AWS retry setting {setting} {value:?}{}: {reason}; fix or unset it",
        origin_suffix(*origin)
    )]
    InvalidRetrySetting {
        /// "max_attempts" or "retry_mode".
        setting: &'static str,
        origin: SettingOrigin,
        value: String,
        reason: String,
    },
}

impl ConfigError {
    /// The provider-block attribute this error is about, for the diagnostic's
    /// attribute path; `None` when the cause lies outside the block (environment,
    /// files, the credential chain).
    pub fn attribute(&self) -> Option<&'static str> {
        match self {
            ConfigError::MissingRegion => Some("region"),
            ConfigError::InvalidRegion { origin, .. } => attribute_if(*origin, "region"),
            ConfigError::UnknownProfile { origin, .. } => attribute_if(*origin, "profile"),
            ConfigError::SharedConfigFile { .. } => None,
            ConfigError::NoCredentials { profile_origin, .. }
            | ConfigError::CredentialsFailed { profile_origin, .. } => {
                (*profile_origin == Some(SettingOrigin::Attribute)).then_some("profile")
            }
            ConfigError::AssumeRole { .. } => Some("assume_role"),
            ConfigError::InvalidAssumeRole { attribute, .. } => Some(attribute),
            ConfigError::InvalidEndpoint {
                attribute, origin, ..
            } => attribute_if(*origin, attribute),
            ConfigError::InvalidMaxConcurrency { .. } => Some("max_concurrency"),
            ConfigError::InvalidDefaultTag { .. } => Some("default_tags"),
            ConfigError::InvalidRetrySetting { .. } => None,
        }
    }
}

fn attribute_if(origin: SettingOrigin, attribute: &'static str) -> Option<&'static str> {
    (origin == SettingOrigin::Attribute).then_some(attribute)
}

fn origin_suffix(origin: SettingOrigin) -> String {
    match origin {
        SettingOrigin::Attribute => " (provider attribute)".to_string(),
        SettingOrigin::Environment(var) => format!(" (from {var})"),
    }
}

fn origin_suffix_opt(origin: Option<SettingOrigin>) -> String {
    origin.map(origin_suffix).unwrap_or_default()
}

fn endpoint_origin(attribute: &str, origin: SettingOrigin) -> String {
    match origin {
        SettingOrigin::Attribute => format!(" (`{attribute}`)"),
        SettingOrigin::Environment(var) => format!(" (from {var})"),
    }
}

fn available_profiles(available: &[String]) -> String {
    if available.is_empty() {
        "no profiles are defined".to_string()
    } else {
        format!("available profiles: {}", available.join(", "))
    }
}
