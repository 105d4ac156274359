//! Provider configuration on the standard AWS chain.
//!
//! `connect` turns the provider block's AWS settings into ECS, Cloud Map and Route 53
//! clients, built once per configured provider. Everything it does not override comes
//! from aws-config's standard chain, exactly as the AWS CLI would resolve it: the
//! environment (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECS,
//! AWS_ENDPOINT_URL_SERVICEDISCOVERY, AWS_ENDPOINT_URL_ROUTE_53, AWS_MAX_ATTEMPTS, ...),
//! the shared config and credentials files, SSO, web identity, container credentials and
//! IMDS. No credential source is written by hand here.
//!
//! Mistakes that aws-config would only report at the first AWS call (an unknown profile,
//! a broken shared file, missing credentials, a refused role) are detected here, so
//! Terraform reports them against the provider block instead of against a resource.
//! Credentials are never logged: only their source, the profile and the region are.

mod error;
mod profiles;
mod retry;
mod stop;
mod unreachable;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_ecs::config::SharedAsyncSleep;
use aws_types::os_shim_internal::{Env, Fs};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_util::sync::CancellationToken;

use super::error::error_chain;

pub use error::{ConfigError, SettingOrigin};
pub use retry::{DEFAULT_MAX_RETRIES, DEFAULT_RETRY_MODE};

/// In-flight AWS calls to each API (ECS, Cloud Map, Route 53) per provider instance
/// when `max_concurrency` is unset.
///
/// ECS throttles each account per Region with token buckets, per group of actions: the
/// service read actions (DescribeServices, ListServices) refill at 20 requests per
/// second; cluster reads (DescribeClusters) allow a burst of 50; the service
/// modification actions (CreateService, UpdateService, DeleteService) have a smaller
/// bucket that refills at only a few requests per second. Cloud Map and Route 53 are
/// stricter still: Route 53's control-plane API allows 5 requests per second per
/// account. Ten calls in flight to each API stays well inside every burst bucket, so a
/// large apply does not drain the account's tokens that other tools (CI, the console,
/// deployment controllers) share with us; the retries (see [`DEFAULT_MAX_RETRIES`])
/// then absorb the ThrottlingExceptions of a busy account. Each API has its own
/// bound because each throttles on its own: a wait for Cloud Map never holds up ECS.
/// See <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html>.
pub const DEFAULT_MAX_CONCURRENCY: usize = 10;

/// The AWS part of the `provider "servicemesh"` block, already decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// Overrides AWS_REGION and the profile's region.
    pub region: Option<String>,
    /// Overrides AWS_PROFILE.
    pub profile: Option<String>,
    /// Role to assume with the credentials the chain resolves.
    pub assume_role: Option<AssumeRole>,
    /// Per-service endpoint overrides (LocalStack, VPC endpoints, FIPS).
    pub endpoints: Endpoints,
    /// Retries after the first attempt; unset keeps the chain's setting
    /// (AWS_MAX_ATTEMPTS / `max_attempts`), else [`DEFAULT_MAX_RETRIES`].
    pub max_retries: Option<u32>,
    /// Bound on in-flight AWS calls to each API; unset means
    /// [`DEFAULT_MAX_CONCURRENCY`].
    pub max_concurrency: Option<usize>,
    /// Tags every resource gets unless it sets the key itself.
    pub default_tags: BTreeMap<String, String>,
}

/// The `assume_role` block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    /// Defaults to aws-config's generated "assume-role-provider-<time>".
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    /// Session length; STS accepts 15 minutes up to the role's maximum (at most 12 h).
    pub duration: Option<Duration>,
}

/// The `endpoints` block: absolute http(s) URLs that replace the resolved endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub ecs: Option<String>,
    pub servicediscovery: Option<String>,
    pub route53: Option<String>,
    /// Used for `assume_role` only.
    pub sts: Option<String>,
}

/// What a configured provider talks to AWS with. Cheap to clone: the clients and the
/// semaphores are shared.
#[derive(Clone, Debug)]
pub struct AwsClients {
    ecs: aws_sdk_ecs::Client,
    servicediscovery: aws_sdk_servicediscovery::Client,
    route53: aws_sdk_route53::Client,
    region: String,
    max_concurrency: usize,
    default_tags: BTreeMap<String, String>,
    limits: Limits,
    sdk: SdkConfig,
}

/// One bound on in-flight calls per API, each of `max_concurrency` permits.
#[derive(Clone, Debug)]
pub struct Limits {
    pub ecs: CallLimit,
    pub servicediscovery: CallLimit,
    pub route53: CallLimit,
}

/// One API's bound on calls in flight: a semaphore of `max_concurrency` permits (it
/// derefs to it), and that number, for code that makes calls in rounds of that size.
#[derive(Clone, Debug)]
pub struct CallLimit {
    semaphore: Arc<Semaphore>,
    in_flight: usize,
}

impl CallLimit {
    fn new(in_flight: usize) -> Self {
        Self {
            semaphore: Arc::new(Semaphore::new(in_flight)),
            in_flight,
        }
    }

    /// How many calls may be in flight at once.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// A permit for one call; a closed semaphore only happens at shutdown, and then the
    /// call goes on without one.
    pub async fn permit(&self) -> Option<SemaphorePermit<'_>> {
        self.semaphore.acquire().await.ok()
    }
}

impl Deref for CallLimit {
    type Target = Semaphore;

    fn deref(&self) -> &Semaphore {
        &self.semaphore
    }
}

impl Limits {
    fn new(permits: usize) -> Self {
        let limit = || CallLimit::new(permits);
        Self {
            ecs: limit(),
            servicediscovery: limit(),
            route53: limit(),
        }
    }
}

impl AwsClients {
    pub fn ecs(&self) -> &aws_sdk_ecs::Client {
        &self.ecs
    }

    pub fn servicediscovery(&self) -> &aws_sdk_servicediscovery::Client {
        &self.servicediscovery
    }

    pub fn route53(&self) -> &aws_sdk_route53::Client {
        &self.route53
    }

    /// The region the clients were built for, e.g. "eu-west-1".
    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }

    pub fn default_tags(&self) -> &BTreeMap<String, String> {
        &self.default_tags
    }

    /// A semaphore of `max_concurrency` permits per API: take one of the API's around
    /// each call to it so that the concurrent resource operations of this provider never
    /// exceed the bound.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The resolved shared config (region, credentials, retries), for building a
    /// further service client that behaves like these three.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }
}

/// A service client from the shared config, with its endpoint override if any, its own
/// retry partition (see `retry`), no attempt sent after `stop`, and no long retrying of
/// an endpoint that cannot be reached (`unreachable`). The three SDKs' config builders
/// share no trait, hence a macro.
macro_rules! client {
    ($krate:ident, $sdk:expr, $endpoint:expr, $stop:expr) => {{
        let mut builder = $krate::config::Builder::from($sdk)
            .retry_partition(retry::partition(stringify!($krate)))
            .interceptor(stop::StopGate::new($stop.clone()))
            .interceptor(unreachable::GiveUpWhenUnreachable);
        if let Some(url) = $endpoint {
            builder = builder.endpoint_url(url.clone());
        }
        $krate::Client::from_conf(builder.build())
    }};
}

/// `connect_until` for a provider that is never stopped.
#[cfg(test)]
pub async fn connect(settings: &AwsSettings) -> Result<AwsClients, ConfigError> {
    connect_until(settings, CancellationToken::new()).await
}

/// Builds the AWS clients for one configured provider, failing early and clearly on a
/// configuration that could not work. The clients send no AWS call once `stop` is
/// cancelled (Terraform's StopProvider): a call being retried then ends at once with
/// [`stop::STOPPED`].
pub async fn connect_until(
    settings: &AwsSettings,
    stop: CancellationToken,
) -> Result<AwsClients, ConfigError> {
    connect_with(settings, &Env::real(), &Fs::real(), stop).await
}

/// `connect_until` with the environment and file system our own checks read.
/// aws-config itself always reads the real ones: its injection points are test-only.
async fn connect_with(
    settings: &AwsSettings,
    env: &Env,
    fs: &Fs,
    stop: CancellationToken,
) -> Result<AwsClients, ConfigError> {
    validate(settings)?;
    let overrides = resolve_endpoints(settings, env)?;

    let files = profiles::load(env, fs).await?;
    let (profile, profile_origin) = chosen_profile(settings, env);
    profiles::check_profile(&files, &profile, profile_origin)?;
    let retries = retry::policy(settings, env, &files, &profile)?;

    let sdk = load_shared_config(settings, &retries).await;
    let region = resolved_region(settings, &sdk)?;
    let (provider, base_features) =
        credentials_provider(settings, &sdk, &overrides, &profile, profile_origin).await?;
    let sdk = sdk
        .into_builder()
        .credentials_provider(provider)
        .sleep_impl(SharedAsyncSleep::new(stop::StoppableSleep::new(
            stop.clone(),
        )))
        .build();

    let clients = build_clients(settings, sdk, &overrides, region, &stop);
    log_clients(
        &clients,
        settings,
        &overrides,
        &profile,
        &base_features,
        &retries,
    );
    Ok(clients)
}

/// The profile the chain uses and where it was set: the attribute, else AWS_PROFILE,
/// else "default" (no origin).
fn chosen_profile(settings: &AwsSettings, env: &Env) -> (String, Option<SettingOrigin>) {
    match (&settings.profile, env.get("AWS_PROFILE")) {
        (Some(p), _) => (p.clone(), Some(SettingOrigin::Attribute)),
        (None, Ok(p)) if !p.is_empty() => (p, Some(SettingOrigin::Environment("AWS_PROFILE"))),
        _ => ("default".to_string(), None),
    }
}

/// The standard chain's shared config, with the region and profile the provider block
/// sets and the retries `retry::policy` resolved.
async fn load_shared_config(settings: &AwsSettings, retry: &retry::RetryPolicy) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    loader.retry_config(retry.config.clone()).load().await
}

/// The region the chain resolved; one that did not come from the attribute (which
/// `validate` already checked) is checked here.
fn resolved_region(settings: &AwsSettings, sdk: &SdkConfig) -> Result<String, ConfigError> {
    let region = sdk
        .region()
        .map(|r| r.as_ref().to_string())
        .ok_or(ConfigError::MissingRegion)?;
    if settings.region.is_none() {
        check_region(
            &region,
            SettingOrigin::Environment("AWS_REGION or the shared config"),
        )?;
    }
    Ok(region)
}

/// The credentials provider for the clients: the chain's, resolved now so that a
/// missing or broken source fails here, and the assumed role's on top of it when
/// `assume_role` is set. Also the sources of the chain's credentials, for the log.
async fn credentials_provider(
    settings: &AwsSettings,
    sdk: &SdkConfig,
    overrides: &Overrides,
    profile: &str,
    profile_origin: Option<SettingOrigin>,
) -> Result<(SharedCredentialsProvider, Vec<AwsCredentialFeature>), ConfigError> {
    let base = sdk
        .credentials_provider()
        .ok_or_else(|| ConfigError::NoCredentials {
            profile: profile.to_string(),
            profile_origin,
            detail: "no credentials provider is configured".to_string(),
        })?;
    let base_credentials = base
        .provide_credentials()
        .await
        .map_err(|e| credentials_error(e, profile, profile_origin))?;
    let base_features = features(&base_credentials);
    let base = SharedCredentialsProvider::new(Primed::new(base_credentials, base));

    let provider = match &settings.assume_role {
        None => base,
        Some(role) => primed_assumed_role(role, sdk, overrides, base).await?,
    };
    Ok((provider, base_features))
}

/// The role-assuming provider, its first credentials resolved now so that a refused
/// role fails here.
async fn primed_assumed_role(
    role: &AssumeRole,
    sdk: &SdkConfig,
    overrides: &Overrides,
    base: SharedCredentialsProvider,
) -> Result<SharedCredentialsProvider, ConfigError> {
    let assumed = assume_role(role, sdk, overrides, base).await;
    let credentials = assumed
        .provide_credentials()
        .await
        .map_err(|e| ConfigError::AssumeRole {
            role_arn: role.role_arn.clone(),
            message: error_chain(&e),
        })?;
    let provider = SharedCredentialsProvider::new(assumed);
    Ok(SharedCredentialsProvider::new(Primed::new(
        credentials,
        provider,
    )))
}

/// The three service clients on the shared config `sdk`, which already holds the
/// credentials provider.
fn build_clients(
    settings: &AwsSettings,
    sdk: SdkConfig,
    overrides: &Overrides,
    region: String,
    stop: &CancellationToken,
) -> AwsClients {
    let max_concurrency = settings.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY);
    AwsClients {
        ecs: client!(aws_sdk_ecs, &sdk, &overrides.ecs, stop),
        servicediscovery: client!(
            aws_sdk_servicediscovery,
            &sdk,
            &overrides.servicediscovery,
            stop
        ),
        route53: client!(aws_sdk_route53, &sdk, &overrides.route53, stop),
        region,
        max_concurrency,
        default_tags: settings.default_tags.clone(),
        limits: Limits::new(max_concurrency),
        sdk,
    }
}

/// What the clients were configured with; never the credentials, only their source.
fn log_clients(
    clients: &AwsClients,
    settings: &AwsSettings,
    overrides: &Overrides,
    profile: &str,
    base_features: &[AwsCredentialFeature],
    retry: &retry::RetryPolicy,
) {
    tracing::info!(
        region = %clients.region,
        profile = %profile,
        credential_source = ?base_features,
        assume_role = settings.assume_role.as_ref().map(|r| r.role_arn.as_str()).unwrap_or(""),
        max_attempts = retry.config.max_attempts(),
        max_attempts_from = retry.attempts_from,
        retry_mode = ?retry.config.mode(),
        retry_mode_from = retry.mode_from,
        max_concurrency_per_api = clients.max_concurrency,
        "configured AWS clients"
    );
    for (service, endpoint) in [
        ("ecs", &overrides.ecs),
        ("servicediscovery", &overrides.servicediscovery),
        ("route53", &overrides.route53),
    ] {
        if let Some(url) = endpoint {
            tracing::debug!(service, endpoint = %url, "AWS endpoint override");
        }
    }
}

/// Attempts of an STS call at most: the SDK's default.
const STS_MAX_ATTEMPTS: u32 = 3;

/// Builds the role-assuming provider; its STS client inherits the chain's config
/// (timeouts, AWS_ENDPOINT_URL_STS unless `endpoints.sts` overrides it, and the retries
/// up to [`STS_MAX_ATTEMPTS`]).
async fn assume_role(
    role: &AssumeRole,
    sdk: &SdkConfig,
    overrides: &Overrides,
    base: SharedCredentialsProvider,
) -> AssumeRoleProvider {
    let mut sts = sdk.to_builder();
    if let Some(url) = &overrides.sts {
        sts.set_endpoint_url(Some(url.clone()));
        // Marks the URL as set in code, so it beats AWS_ENDPOINT_URL_STS.
        sts.insert_origin("endpoint_url", aws_types::origin::Origin::shared_config());
    }
    // At most the SDK's own 3 attempts: the role is assumed while Terraform configures
    // the provider, where a wrong STS endpoint must not wait out 25 backoffs.
    if let Some(retry) = sdk.retry_config() {
        let attempts = retry.max_attempts().min(STS_MAX_ATTEMPTS);
        sts.set_retry_config(Some(retry.clone().with_max_attempts(attempts)));
    }
    let sts_config = sts.build();
    let mut builder = AssumeRoleProvider::builder(role.role_arn.clone()).configure(&sts_config);
    if let Some(name) = &role.session_name {
        builder = builder.session_name(name.clone());
    }
    if let Some(id) = &role.external_id {
        builder = builder.external_id(id.clone());
    }
    if let Some(duration) = role.duration {
        builder = builder.session_length(duration);
    }
    tracing::debug!(role_arn = %role.role_arn, "assuming IAM role");
    builder.build_from_provider(base).await
}

fn credentials_error(
    e: CredentialsError,
    profile: &str,
    origin: Option<SettingOrigin>,
) -> ConfigError {
    let detail = error_chain(&e);
    match e {
        CredentialsError::CredentialsNotLoaded(_) => ConfigError::NoCredentials {
            profile: profile.to_string(),
            profile_origin: origin,
            detail,
        },
        _ => ConfigError::CredentialsFailed {
            profile: profile.to_string(),
            profile_origin: origin,
            detail,
        },
    }
}

/// Which sources produced the credentials (e.g. `CredentialsEnvVars`), for the log:
/// it names the source without revealing anything of the credentials.
fn features(credentials: &Credentials) -> Vec<AwsCredentialFeature> {
    credentials
        .get_property::<Vec<AwsCredentialFeature>>()
        .cloned()
        .unwrap_or_default()
}

/// Returns the credentials resolved at configure time on the first request, then
/// defers to the real provider.
///
/// `connect` resolves credentials once to report problems early; without this, the
/// clients' identity cache would resolve them a second time on the first call, which
/// means a second STS call, or a second run of a `credential_process` that may prompt.
struct Primed {
    first: Mutex<Option<Credentials>>,
    inner: SharedCredentialsProvider,
}

impl Primed {
    /// Primed credentials this close to expiry are refetched instead.
    const MIN_REMAINING: Duration = Duration::from_secs(5 * 60);

    fn new(credentials: Credentials, inner: SharedCredentialsProvider) -> Self {
        Self {
            first: Mutex::new(Some(credentials)),
            inner,
        }
    }

    fn take_fresh(&self) -> Option<Credentials> {
        let taken = match self.first.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        taken.filter(|c| match c.expiry() {
            None => true,
            Some(expiry) => expiry
                .duration_since(SystemTime::now())
                .is_ok_and(|left| left > Self::MIN_REMAINING),
        })
    }
}

impl fmt::Debug for Primed {
    // Deliberately prints nothing of the credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Primed")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl ProvideCredentials for Primed {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        match self.take_fresh() {
            Some(credentials) => provider::future::ProvideCredentials::ready(Ok(credentials)),
            None => self.inner.provide_credentials(),
        }
    }
}

/// Endpoint overrides given as provider attributes, validated.
#[derive(Debug, Default)]
struct Overrides {
    ecs: Option<String>,
    servicediscovery: Option<String>,
    route53: Option<String>,
    sts: Option<String>,
}

/// Per service: our name, the attribute, the service-specific environment variable
/// aws-config reads (AWS_ENDPOINT_URL_ + the service id upper-cased, spaces as `_`).
const SERVICES: [(&str, &str, &str); 4] = [
    ("ecs", "endpoints.ecs", "AWS_ENDPOINT_URL_ECS"),
    (
        "servicediscovery",
        "endpoints.servicediscovery",
        "AWS_ENDPOINT_URL_SERVICEDISCOVERY",
    ),
    ("route53", "endpoints.route53", "AWS_ENDPOINT_URL_ROUTE_53"),
    ("sts", "endpoints.sts", "AWS_ENDPOINT_URL_STS"),
];

/// Validates the attribute endpoints, and the environment endpoints aws-config will
/// use where no attribute overrides them (a bad one would otherwise fail every call).
fn resolve_endpoints(settings: &AwsSettings, env: &Env) -> Result<Overrides, ConfigError> {
    let e = &settings.endpoints;
    let mut overrides = Overrides::default();
    let ignore_env = env
        .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    for (service, attribute, env_var) in SERVICES {
        let (value, slot) = match service {
            "ecs" => (&e.ecs, &mut overrides.ecs),
            "servicediscovery" => (&e.servicediscovery, &mut overrides.servicediscovery),
            "route53" => (&e.route53, &mut overrides.route53),
            _ => (&e.sts, &mut overrides.sts),
        };
        if let Some(url) = value {
            check_endpoint(service, attribute, SettingOrigin::Attribute, url)?;
            *slot = Some(url.clone());
            continue;
        }
        if ignore_env || (service == "sts" && settings.assume_role.is_none()) {
            continue;
        }
        for var in [env_var, "AWS_ENDPOINT_URL"] {
            if let Ok(url) = env.get(var) {
                check_endpoint(service, attribute, SettingOrigin::Environment(var), &url)?;
                break;
            }
        }
    }
    Ok(overrides)
}

fn check_endpoint(
    service: &'static str,
    attribute: &'static str,
    origin: SettingOrigin,
    value: &str,
) -> Result<(), ConfigError> {
    // A URL with user:password@ would put a secret into errors and logs: never echo it.
    let has_userinfo = value
        .split_once("://")
        .map_or(value, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|authority| authority.contains('@'));
    let shown = if has_userinfo {
        "<redacted: contains credentials>".to_string()
    } else {
        value.to_string()
    };
    let invalid = |reason: &str| ConfigError::InvalidEndpoint {
        service,
        attribute,
        origin,
        value: shown.clone(),
        reason: reason.to_string(),
    };
    if has_userinfo {
        return Err(invalid(
            "an endpoint cannot carry user credentials (user:password@)",
        ));
    }
    if value.trim() != value || value.chars().any(char::is_whitespace) {
        return Err(invalid("it contains whitespace"));
    }
    let uri: tonic::codegen::http::Uri = value
        .parse()
        .map_err(|e| invalid(&format!("it is not a URL ({e})")))?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
        Some(s) => return Err(invalid(&format!("the scheme {s:?} is not http or https"))),
        None => {
            return Err(invalid(
                "it is not an absolute URL (no http:// or https://)",
            ));
        }
    }
    match uri.host() {
        Some(h) if !h.is_empty() => {}
        _ => return Err(invalid("it has no host")),
    }
    if uri.query().is_some() {
        return Err(invalid("an endpoint cannot have a query string"));
    }
    Ok(())
}

fn check_region(region: &str, origin: SettingOrigin) -> Result<(), ConfigError> {
    let valid = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(ConfigError::InvalidRegion {
            region: region.to_string(),
            origin,
        })
    }
}

/// Checks that need no AWS and no environment.
fn validate(settings: &AwsSettings) -> Result<(), ConfigError> {
    if let Some(region) = &settings.region {
        check_region(region, SettingOrigin::Attribute)?;
    }
    if let Some(role) = &settings.assume_role {
        validate_assume_role(role)?;
    }
    if let Some(value) = settings.max_concurrency {
        let reason = if value == 0 {
            Some("must be at least 1".to_string())
        } else if value > Semaphore::MAX_PERMITS {
            Some(format!("must be at most {}", Semaphore::MAX_PERMITS))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(ConfigError::InvalidMaxConcurrency { value, reason });
        }
    }
    for (key, value) in &settings.default_tags {
        let reason = if key.is_empty() {
            Some("a tag key cannot be empty".to_string())
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            Some("the \"aws:\" prefix is reserved for AWS".to_string())
        } else if key.chars().count() > 128 {
            Some("a tag key is at most 128 characters".to_string())
        } else if value.chars().count() > 256 {
            Some("a tag value is at most 256 characters".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(ConfigError::InvalidDefaultTag {
                key: key.clone(),
                reason,
            });
        }
    }
    Ok(())
}

/// STS's documented input constraints, checked before any call so the error names
/// the attribute rather than echoing a ValidationError.
fn validate_assume_role(role: &AssumeRole) -> Result<(), ConfigError> {
    let invalid = |attribute, reason: String| ConfigError::InvalidAssumeRole { attribute, reason };
    let arn = role.role_arn.as_str();
    if !(arn.starts_with("arn:") && arn.split(':').count() >= 6 && arn.contains(":role/")) {
        return Err(invalid(
            "assume_role.role_arn",
            format!(
                "{arn:?} is not an IAM role ARN; expected \
                 \"arn:aws:iam::<account-id>:role/<name>\""
            ),
        ));
    }
    if let Some(name) = &role.session_name {
        let ok_chars = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
        if !(2..=64).contains(&name.len()) || !ok_chars {
            return Err(invalid(
                "assume_role.session_name",
                format!("{name:?} must be 2 to 64 characters of letters, digits and _+=,.@-"),
            ));
        }
    }
    if let Some(id) = &role.external_id {
        let ok_chars = id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
        if !(2..=1224).contains(&id.len()) || !ok_chars {
            return Err(invalid(
                "assume_role.external_id",
                "must be 2 to 1224 characters of letters, digits and _+=,.@:/-".to_string(),
            ));
        }
    }
    if let Some(duration) = role.duration
        && !(Duration::from_secs(15 * 60)..=Duration::from_secs(12 * 3600)).contains(&duration)
    {
        return Err(invalid(
            "assume_role.duration",
            format!(
                "{}s is outside STS's range of 15 minutes to 12 hours",
                duration.as_secs()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod retry_measurement;
#[cfg(test)]
mod tests;
