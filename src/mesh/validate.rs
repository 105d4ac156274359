//! The validation rules of `servicemesh_internal`, checked before anything is sent to AWS
//! so a typo fails `terraform validate` in milliseconds instead of an apply minutes later.
//!
//! Pure: the resource layer turns the Terraform configuration into a [`ConfigView`] (where
//! any value may still be unknown) and each [`Violation`] back into a diagnostic. Limits
//! come from the ECS and Cloud Map API references (botocore `ecs/2014-11-13` and
//! `servicediscovery/2017-03-14`); where this provider is stricter than AWS, the rule
//! text says so and why. `docs/validation.md` lists every rule with an example message.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::names;

/// ECS `discoveryName` and `portMappings[].name`: at most 64 characters.
pub const MAX_DISCOVERY_NAME: usize = 64;
/// ECS client alias `dnsName`: at most 127 characters.
pub const MAX_DNS_NAME: usize = 127;
/// Cloud Map `NamespaceNamePrivate`: at most 253 characters, the DNS limit.
pub const MAX_NAMESPACE_NAME: usize = 253;
/// One DNS label: at most 63 octets (RFC 1035).
pub const MAX_DNS_LABEL: usize = 63;
/// ECS cluster and service names: at most 255 characters.
pub const MAX_ECS_NAME: usize = 255;
/// Cloud Map `ResourceDescription`: at most 1024 characters.
pub const MAX_DESCRIPTION: usize = 1024;
/// Cloud Map: "The maximum number of tags that can be applied to a resource is 50."
pub const MAX_TAGS: usize = 50;
/// Cloud Map `TagKey`: 1 to 128 characters.
pub const MAX_TAG_KEY: usize = 128;
/// Cloud Map `TagValue`: 0 to 256 characters.
pub const MAX_TAG_VALUE: usize = 256;
/// ECS: "IngressPortOverride cannot use ports <= 1024".
pub const MIN_INGRESS_PORT: i64 = 1025;
/// ECS `TimeoutConfiguration` seconds: 0 to 2147483647.
pub const MAX_TIMEOUT_SECONDS: i64 = 2_147_483_647;

// ---------------------------------------------------------------------------------------
// The configuration as validation sees it
// ---------------------------------------------------------------------------------------

/// A configuration value that may not be known until apply (it comes from another
/// resource). `Option<Known<T>>` adds null: `None` is "not set".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known<T> {
    Value(T),
    Unknown,
}

impl<T> Known<T> {
    /// The value, when known.
    pub fn value(&self) -> Option<&T> {
        match self {
            Known::Value(value) => Some(value),
            Known::Unknown => None,
        }
    }
}

impl<T> From<T> for Known<T> {
    fn from(value: T) -> Self {
        Known::Value(value)
    }
}

/// The known value of an optional attribute: `None` when null or unknown.
fn known<T>(attribute: &Option<Known<T>>) -> Option<&T> {
    attribute.as_ref().and_then(Known::value)
}

/// `servicemesh_internal` as written, before defaults. Numbers are `i64` so negative and
/// oversized values reach the range checks instead of failing a conversion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigView {
    pub cluster: Option<Known<String>>,
    pub namespace: Option<Known<String>>,
    pub vpc_id: Option<Known<String>>,
    pub namespace_id: Option<Known<String>>,
    pub description: Option<Known<String>>,
    pub tags: Option<Known<BTreeMap<String, Known<String>>>>,
    /// Keyed by ECS service name; keys are always known, entries may not be.
    pub services: Option<Known<BTreeMap<String, Known<ServiceView>>>>,
    /// A set in the schema: no duplicates, any order.
    pub client_services: Option<Known<Vec<Known<String>>>>,
    pub wait_for_steady_state: Option<Known<bool>>,
    pub timeouts: Option<Known<TimeoutsView>>,
}

/// One `services` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceView {
    pub port_name: Option<Known<String>>,
    pub discovery_name: Option<Known<String>>,
    pub dns_name: Option<Known<String>>,
    pub port: Option<Known<i64>>,
    pub ingress_port_override: Option<Known<i64>>,
    pub idle_timeout_seconds: Option<Known<i64>>,
    pub per_request_timeout_seconds: Option<Known<i64>>,
}

/// The `timeouts` attribute: Go duration strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeoutsView {
    pub create: Option<Known<String>>,
    pub update: Option<Known<String>>,
    pub delete: Option<Known<String>>,
}

// ---------------------------------------------------------------------------------------
// Violations
// ---------------------------------------------------------------------------------------

/// Where a violation is, without protocol types. Terraform can point at a map entry
/// (`services["backend"]`) but not inside it, so a service keeps its key and attribute
/// apart and the resource layer picks how deep to point.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// A top-level attribute such as `"namespace"`.
    Attribute(&'static str),
    /// A `services` entry (`attribute: None` for the entry or its key).
    Service {
        key: String,
        attribute: Option<&'static str>,
    },
    /// A `client_services` element, by value (sets have no index).
    ClientService(String),
    /// A `tags` entry, by key.
    Tag(String),
    /// `timeouts.create`, `timeouts.update` or `timeouts.delete`.
    Timeout(&'static str),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Attribute(name) => f.write_str(name),
            Field::Service {
                key,
                attribute: None,
            } => write!(f, "services[{key:?}]"),
            Field::Service {
                key,
                attribute: Some(attribute),
            } => write!(f, "services[{key:?}].{attribute}"),
            Field::ClientService(name) => write!(f, "client_services[{name:?}]"),
            Field::Tag(key) => write!(f, "tags[{key:?}]"),
            Field::Timeout(name) => write!(f, "timeouts.{name}"),
        }
    }
}

/// What was broken, as a stable identifier for code and docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    ClusterInvalid,
    NamespaceNameInvalid,
    VpcIdInvalid,
    NamespaceIdInvalid,
    NamespaceConflict,
    NamespaceMissing,
    VpcIdMissing,
    OwnedNamespaceOnly,
    DescriptionTooLong,
    ServiceNameInvalid,
    PortNameInvalid,
    DiscoveryNameInvalid,
    DefaultDiscoveryNameInvalid,
    DnsNameInvalid,
    DefaultDnsNameInvalid,
    PortOutOfRange,
    IngressPortOverrideOutOfRange,
    TimeoutSecondsOutOfRange,
    DuplicateDiscoveryName,
    DuplicateEndpoint,
    ServerAlsoClient,
    ClientOnlyNewNamespace,
    DurationInvalid,
    DurationNotPositive,
    TooManyTags,
    TagKeyLength,
    TagKeyReserved,
    TagValueTooLong,
}

impl Rule {
    /// Every rule, in documentation order.
    pub const ALL: [Rule; 28] = [
        Rule::ClusterInvalid,
        Rule::NamespaceNameInvalid,
        Rule::VpcIdInvalid,
        Rule::NamespaceIdInvalid,
        Rule::NamespaceConflict,
        Rule::NamespaceMissing,
        Rule::VpcIdMissing,
        Rule::OwnedNamespaceOnly,
        Rule::DescriptionTooLong,
        Rule::ServiceNameInvalid,
        Rule::PortNameInvalid,
        Rule::DiscoveryNameInvalid,
        Rule::DefaultDiscoveryNameInvalid,
        Rule::DnsNameInvalid,
        Rule::DefaultDnsNameInvalid,
        Rule::PortOutOfRange,
        Rule::IngressPortOverrideOutOfRange,
        Rule::TimeoutSecondsOutOfRange,
        Rule::DuplicateDiscoveryName,
        Rule::DuplicateEndpoint,
        Rule::ServerAlsoClient,
        Rule::ClientOnlyNewNamespace,
        Rule::DurationInvalid,
        Rule::DurationNotPositive,
        Rule::TooManyTags,
        Rule::TagKeyLength,
        Rule::TagKeyReserved,
        Rule::TagValueTooLong,
    ];

    /// A stable kebab-case identifier, for logs, tests and docs.
    pub fn id(self) -> &'static str {
        match self {
            Rule::ClusterInvalid => "cluster-invalid",
            Rule::NamespaceNameInvalid => "namespace-name-invalid",
            Rule::VpcIdInvalid => "vpc-id-invalid",
            Rule::NamespaceIdInvalid => "namespace-id-invalid",
            Rule::NamespaceConflict => "namespace-conflict",
            Rule::NamespaceMissing => "namespace-missing",
            Rule::VpcIdMissing => "vpc-id-missing",
            Rule::OwnedNamespaceOnly => "owned-namespace-only",
            Rule::DescriptionTooLong => "description-too-long",
            Rule::ServiceNameInvalid => "service-name-invalid",
            Rule::PortNameInvalid => "port-name-invalid",
            Rule::DiscoveryNameInvalid => "discovery-name-invalid",
            Rule::DefaultDiscoveryNameInvalid => "default-discovery-name-invalid",
            Rule::DnsNameInvalid => "dns-name-invalid",
            Rule::DefaultDnsNameInvalid => "default-dns-name-invalid",
            Rule::PortOutOfRange => "port-out-of-range",
            Rule::IngressPortOverrideOutOfRange => "ingress-port-override-out-of-range",
            Rule::TimeoutSecondsOutOfRange => "timeout-seconds-out-of-range",
            Rule::DuplicateDiscoveryName => "duplicate-discovery-name",
            Rule::DuplicateEndpoint => "duplicate-endpoint",
            Rule::ServerAlsoClient => "server-also-client",
            Rule::ClientOnlyNewNamespace => "client-only-new-namespace",
            Rule::DurationInvalid => "duration-invalid",
            Rule::DurationNotPositive => "duration-not-positive",
            Rule::TooManyTags => "too-many-tags",
            Rule::TagKeyLength => "tag-key-length",
            Rule::TagKeyReserved => "tag-key-reserved",
            Rule::TagValueTooLong => "tag-value-too-long",
        }
    }

    /// The one-line summary of every violation of this rule.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::ClusterInvalid => "Invalid ECS cluster",
            Rule::NamespaceNameInvalid => "Invalid namespace name",
            Rule::VpcIdInvalid => "Invalid VPC id",
            Rule::NamespaceIdInvalid => "Invalid namespace id",
            Rule::NamespaceConflict => "Conflicting namespace settings",
            Rule::NamespaceMissing => "No namespace",
            Rule::VpcIdMissing => "Missing vpc_id",
            Rule::OwnedNamespaceOnly => "Setting for owned namespaces only",
            Rule::DescriptionTooLong => "Description too long",
            Rule::ServiceNameInvalid => "Invalid ECS service name",
            Rule::PortNameInvalid => "Invalid port name",
            Rule::DiscoveryNameInvalid => "Invalid discovery name",
            Rule::DefaultDiscoveryNameInvalid => "Invalid default discovery name",
            Rule::DnsNameInvalid => "Invalid DNS name",
            Rule::DefaultDnsNameInvalid => "Invalid default DNS name",
            Rule::PortOutOfRange => "Port out of range",
            Rule::IngressPortOverrideOutOfRange => "Ingress port override out of range",
            Rule::TimeoutSecondsOutOfRange => "Timeout out of range",
            Rule::DuplicateDiscoveryName => "Duplicate discovery name",
            Rule::DuplicateEndpoint => "Duplicate endpoint",
            Rule::ServerAlsoClient => "Service listed twice",
            Rule::ClientOnlyNewNamespace => "Client-only service in a new namespace",
            Rule::DurationInvalid => "Invalid duration",
            Rule::DurationNotPositive => "Duration not positive",
            Rule::TooManyTags => "Too many tags",
            Rule::TagKeyLength => "Invalid tag key length",
            Rule::TagKeyReserved => "Reserved tag key",
            Rule::TagValueTooLong => "Tag value too long",
        }
    }

    /// The rule itself, with its limit and where the limit comes from.
    pub fn text(self) -> &'static str {
        match self {
            Rule::ClusterInvalid => {
                "`cluster` is an ECS cluster name (1-255 letters, digits, hyphens, underscores) \
                 or a cluster ARN `arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME` (ECS CreateCluster)."
            }
            Rule::NamespaceNameInvalid => {
                "`namespace` is a DNS domain name of at most 253 characters (Cloud Map \
                 NamespaceNamePrivate); Route 53 needs dot-separated labels of 1-63 characters; \
                 this provider also requires lowercase letters, digits, hyphens and underscores \
                 with no hyphen at either end of a label, because endpoint DNS names default to \
                 `<discovery_name>.<namespace>` and ECS accepts only lowercase DNS names."
            }
            Rule::VpcIdInvalid => {
                "`vpc_id` is `vpc-` followed by 8 or 17 lowercase hexadecimal digits (EC2 resource ids)."
            }
            Rule::NamespaceIdInvalid => {
                "`namespace_id` is `ns-` followed by 16 lowercase letters or digits (Cloud Map namespace ids), not an ARN or a name."
            }
            Rule::NamespaceConflict => {
                "`namespace_id` (an existing namespace) cannot be combined with `namespace` or `vpc_id` (a namespace this resource creates)."
            }
            Rule::NamespaceMissing => {
                "Exactly one of `namespace` (with `vpc_id`) or `namespace_id` is set."
            }
            Rule::OwnedNamespaceOnly => {
                "`description` and `tags` belong to a namespace this resource creates, not to one given by `namespace_id`."
            }
            Rule::VpcIdMissing => {
                "`namespace` needs `vpc_id`: a private DNS namespace belongs to a VPC (Cloud Map CreatePrivateDnsNamespace)."
            }
            Rule::DescriptionTooLong => {
                "`description` is at most 1024 characters (Cloud Map ResourceDescription)."
            }
            Rule::ServiceNameInvalid => {
                "`services` keys and `client_services` entries are ECS service names: 1-255 letters, digits, hyphens and underscores (ECS CreateService)."
            }
            Rule::PortNameInvalid => {
                "`port_name` is a task definition port mapping name: 1-64 lowercase letters, digits, underscores and hyphens, not starting with a hyphen (ECS PortMapping.name)."
            }
            Rule::DiscoveryNameInvalid => {
                "`discovery_name` is 1-64 lowercase letters, digits, underscores and hyphens, not starting with a hyphen (ECS ServiceConnectService.discoveryName)."
            }
            Rule::DefaultDiscoveryNameInvalid => {
                "Without `discovery_name`, the service name (the `services` key) is used, so it must then follow the discovery name rule; otherwise set `discovery_name`."
            }
            Rule::DnsNameInvalid => {
                "`dns_name` is at most 127 lowercase letters, digits, underscores, hyphens and dots, not starting with a hyphen (ECS ServiceConnectClientAlias.dnsName), with no empty label and labels of at most 63 characters (a valid DNS name)."
            }
            Rule::DefaultDnsNameInvalid => {
                "Without `dns_name`, `<discovery_name>.<namespace>` is used, so it must then follow the DNS name rule (at most 127 characters); otherwise set `dns_name`."
            }
            Rule::PortOutOfRange => {
                "`port` is 1-65535. ECS accepts 0-65535, but a client alias on port 0 gives clients no port to call, so this provider rejects 0."
            }
            Rule::IngressPortOverrideOutOfRange => {
                "`ingress_port_override` is 1025-65535 (ECS: \"IngressPortOverride cannot use ports <= 1024\")."
            }
            Rule::TimeoutSecondsOutOfRange => {
                "`idle_timeout_seconds` and `per_request_timeout_seconds` are 0-2147483647; 0 disables the timeout (ECS TimeoutConfiguration)."
            }
            Rule::DuplicateDiscoveryName => {
                "Discovery names (explicit or defaulted) are unique across `services`: each is a Cloud Map service in the namespace."
            }
            Rule::DuplicateEndpoint => {
                "Endpoints (DNS name and port) are unique across `services` (ECS: \"Each name and port mapping must be unique within the namespace\"); checked where both are known at plan time."
            }
            Rule::ServerAlsoClient => {
                "A service is in `services` or in `client_services`, not both: a server service is already a client."
            }
            Rule::ClientOnlyNewNamespace => {
                "When this resource creates the namespace, `client_services` needs at least one entry in `services`: the first service in an empty namespace must not be client-only (ECS developer guide)."
            }
            Rule::DurationInvalid => {
                "`timeouts` values are Go durations: numbers with units h, m, s, ms, us, ns, as in \"20m\", \"1h30m\", \"90s\" or \"1.5h\"."
            }
            Rule::DurationNotPositive => "`timeouts` values are longer than zero.",
            Rule::TooManyTags => "`tags` has at most 50 entries (Cloud Map: 50 tags per resource).",
            Rule::TagKeyLength => "Tag keys are 1-128 characters (Cloud Map TagKey).",
            Rule::TagKeyReserved => {
                "Tag keys do not start with `aws:` in any case: AWS reserves that prefix."
            }
            Rule::TagValueTooLong => "Tag values are at most 256 characters (Cloud Map TagValue).",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One broken rule: where, a one-line summary, and a detail that quotes the bad value
/// and says how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub rule: Rule,
    pub field: Field,
    pub summary: String,
    pub detail: String,
}

impl Violation {
    fn new(rule: Rule, field: Field, detail: String) -> Self {
        Violation {
            rule,
            field,
            summary: rule.summary().to_string(),
            detail,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.summary, self.detail)
    }
}

// ---------------------------------------------------------------------------------------
// Field-level validators. Each returns the reason as a clause ("it is empty") meant to
// follow the quoted value.
// ---------------------------------------------------------------------------------------

/// A value quoted for a message; long ones are cut so a diagnostic stays readable.
fn quote(value: &str) -> String {
    const SHOWN: usize = 60;
    if value.chars().count() <= SHOWN + 20 {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("{head:?}…")
    }
}

fn too_long(length: usize, limit: usize) -> String {
    format!("it is {length} characters long, over the limit of {limit}")
}

fn not_allowed(c: char) -> String {
    format!("it contains {c:?}, which is not allowed")
}

/// Length and characters of a single-label name, in the order a reader fixes them.
fn check_name(
    value: &str,
    limit: usize,
    allowed: fn(char) -> bool,
    no_leading_hyphen: bool,
) -> Result<(), String> {
    if value.is_empty() {
        return Err("it is empty".to_string());
    }
    let length = value.chars().count();
    if length > limit {
        return Err(too_long(length, limit));
    }
    if let Some(c) = value.chars().find(|&c| !allowed(c)) {
        return Err(not_allowed(c));
    }
    if no_leading_hyphen && value.starts_with('-') {
        return Err("it starts with a hyphen".to_string());
    }
    Ok(())
}

fn is_lower_label_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
}

fn is_ecs_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// ECS `discoveryName`: ≤ 64 of `[a-z0-9_-]`, not starting with `-`.
pub fn validate_discovery_name(value: &str) -> Result<(), String> {
    check_name(value, MAX_DISCOVERY_NAME, is_lower_label_char, true)
}

/// ECS `portMappings[].name`: the same rule as a discovery name.
pub fn validate_port_name(value: &str) -> Result<(), String> {
    check_name(value, MAX_DISCOVERY_NAME, is_lower_label_char, true)
}

/// ECS cluster and service names: 1–255 letters, digits, hyphens, underscores.
pub fn validate_ecs_name(value: &str) -> Result<(), String> {
    check_name(value, MAX_ECS_NAME, is_ecs_name_char, false)
}

/// Dot-separated labels: none empty, none over 63 characters.
fn check_labels(value: &str) -> Result<(), String> {
    if value.starts_with('.') {
        return Err("it starts with a dot".to_string());
    }
    if value.ends_with('.') {
        return Err("it ends with a dot; leave the trailing dot out".to_string());
    }
    if value.contains("..") {
        return Err("it has an empty label (two dots in a row)".to_string());
    }
    if let Some(label) = value.split('.').find(|l| l.chars().count() > MAX_DNS_LABEL) {
        return Err(format!(
            "its label {} is {} characters long, over the DNS limit of {MAX_DNS_LABEL}",
            quote(label),
            label.chars().count()
        ));
    }
    Ok(())
}

/// ECS client alias `dnsName`: ≤ 127 of `[a-z0-9_.-]`, not starting with `-`, and a valid
/// DNS name (no empty label, labels ≤ 63).
pub fn validate_dns_name(value: &str) -> Result<(), String> {
    check_name(
        value,
        MAX_DNS_NAME,
        |c| is_lower_label_char(c) || c == '.',
        true,
    )?;
    check_labels(value)
}

/// A private DNS namespace this resource creates: Cloud Map allows `^[!-~]{1,253}$`, Route
/// 53 makes it a hosted zone, and endpoint names are derived from it, so: ≤ 253
/// characters, lowercase labels of `[a-z0-9_-]`, 1–63 long, no hyphen at either end.
pub fn validate_namespace_name(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("it is empty".to_string());
    }
    let length = value.chars().count();
    if length > MAX_NAMESPACE_NAME {
        return Err(too_long(length, MAX_NAMESPACE_NAME));
    }
    if let Some(c) = value.chars().find(char::is_ascii_uppercase) {
        return Err(format!(
            "it contains the uppercase letter {c:?}; DNS names are case-insensitive and \
             ECS takes endpoint names in lowercase"
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|&c| !(is_lower_label_char(c) || c == '.'))
    {
        return Err(not_allowed(c));
    }
    check_labels(value)?;
    if let Some(label) = value
        .split('.')
        .find(|l| l.starts_with('-') || l.ends_with('-'))
    {
        return Err(format!("its label {label:?} starts or ends with a hyphen"));
    }
    Ok(())
}

/// `vpc-` followed by 8 (older) or 17 lowercase hexadecimal digits.
pub fn validate_vpc_id(value: &str) -> Result<(), String> {
    let Some(hex) = value.strip_prefix("vpc-") else {
        return Err("it does not start with \"vpc-\"".to_string());
    };
    if !(hex.len() == 8 || hex.len() == 17) {
        return Err(format!(
            "it has {} characters after \"vpc-\" instead of 8 or 17",
            hex.chars().count()
        ));
    }
    if let Some(c) = hex
        .chars()
        .find(|c| !(c.is_ascii_digit() || ('a'..='f').contains(c)))
    {
        return Err(format!(
            "it contains {c:?}, which is not a lowercase hexadecimal digit"
        ));
    }
    Ok(())
}

/// A Cloud Map namespace id (see [`names::is_namespace_id`]).
pub fn validate_namespace_id(value: &str) -> Result<(), String> {
    if names::is_namespace_id(value) {
        return Ok(());
    }
    if value.starts_with("arn:") {
        let id = names::namespace_id_from_arn(value);
        if names::is_namespace_id(id) {
            return Err(format!("it is an ARN; use the id {id:?} from it"));
        }
        return Err("it is an ARN, not a namespace id".to_string());
    }
    Err("it is not \"ns-\" followed by 16 lowercase letters or digits".to_string())
}

/// A cluster name, or an ECS cluster ARN `arn:<partition>:ecs:<region>:<account>:cluster/<name>`.
pub fn validate_cluster(value: &str) -> Result<(), String> {
    if !value.starts_with("arn:") {
        return validate_ecs_name(value);
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts.as_slice() else {
        return Err("it is an ARN with fewer than six ':'-separated parts".to_string());
    };
    let is_word = |s: &str, extra: fn(char) -> bool| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || extra(c))
    };
    if !is_word(partition, |c| c == '-') {
        return Err(format!(
            "its partition {partition:?} is not a partition such as \"aws\""
        ));
    }
    if *service != "ecs" {
        return Err(format!(
            "it is an ARN of the {service:?} service, not of \"ecs\""
        ));
    }
    if !is_word(region, |c| c == '-' || c.is_ascii_digit()) {
        return Err(format!(
            "its region {region:?} is not a region such as \"eu-west-1\""
        ));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("its account {account:?} is not 12 digits"));
    }
    let Some(name) = resource.strip_prefix("cluster/") else {
        return Err(format!("its resource {resource:?} is not \"cluster/NAME\""));
    };
    validate_ecs_name(name)
        .map_err(|reason| format!("its cluster name {name:?} is invalid: {reason}"))
}

/// The client alias port: 1–65535 (0 is refused: nobody could call it).
pub fn validate_port(value: i64) -> Result<(), String> {
    if (1..=65535).contains(&value) {
        Ok(())
    } else if value == 0 {
        Err("port 0 gives clients no port to connect to".to_string())
    } else {
        Err("it is outside 1 to 65535".to_string())
    }
}

/// `ingressPortOverride`: 1025–65535.
pub fn validate_ingress_port_override(value: i64) -> Result<(), String> {
    if (MIN_INGRESS_PORT..=65535).contains(&value) {
        Ok(())
    } else if (0..MIN_INGRESS_PORT).contains(&value) {
        Err("ECS rejects ingress ports of 1024 and below".to_string())
    } else {
        Err("it is outside 1025 to 65535".to_string())
    }
}

/// Idle and per-request timeouts in seconds: 0 (disabled) to 2147483647.
pub fn validate_timeout_seconds(value: i64) -> Result<(), String> {
    if (0..=MAX_TIMEOUT_SECONDS).contains(&value) {
        Ok(())
    } else if value < 0 {
        Err("it is negative".to_string())
    } else {
        Err(format!("it is over the ECS limit of {MAX_TIMEOUT_SECONDS}"))
    }
}

/// Go's `time.ParseDuration` grammar: an optional sign, then one or more `<number><unit>`
/// (the number may have a fraction), or a bare `0`. Returns (negative, nanoseconds).
fn parse_go_duration(text: &str) -> Result<(bool, u128), String> {
    // Go caps durations at i64 nanoseconds (about 292 years).
    const MAX_NANOS: u128 = i64::MAX as u128;
    const UNITS: [(&str, u128); 8] = [
        ("ns", 1),
        ("us", 1_000),
        ("\u{b5}s", 1_000),
        ("\u{3bc}s", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];
    if text == "0" {
        return Ok((false, 0));
    }
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest.is_empty() {
        return Err("it is empty".to_string());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (whole, after) = rest.split_at(whole_len);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after) => {
                let len = after.bytes().take_while(u8::is_ascii_digit).count();
                after.split_at(len)
            }
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(match after.chars().next() {
                Some(c) => format!("{c:?} is not where a number should be"),
                None => "it ends where a number should be".to_string(),
            });
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!(
                "the number {:?} has no unit",
                &rest[..rest.len() - after.len()]
            ));
        }
        let Some(&(_, scale)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(format!("{unit:?} is not a unit"));
        };
        let mut nanos: u128 = 0;
        for digit in whole.bytes() {
            nanos = nanos
                .saturating_mul(10)
                .saturating_add(u128::from(digit - b'0'));
        }
        nanos = nanos.saturating_mul(scale);
        // The fraction, truncated to whole nanoseconds; digits past the 20th cannot
        // move a result that must stay under 2^63 ns.
        let mut numerator: u128 = 0;
        let mut denominator: u128 = 1;
        for digit in fraction.bytes().take(20) {
            numerator = numerator * 10 + u128::from(digit - b'0');
            denominator *= 10;
        }
        nanos = nanos.saturating_add(numerator.saturating_mul(scale) / denominator);
        total = total.saturating_add(nanos);
        if total > MAX_NANOS {
            return Err("it is longer than Go durations allow (about 292 years)".to_string());
        }
        rest = next;
    }
    Ok((negative, total))
}

/// A Terraform timeout ("20m", "1h30m", "90s", "1.5h") as a positive [`Duration`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match parse_go_duration(text)? {
        (_, 0) => Err("it is zero".to_string()),
        (true, _) => Err("it is negative".to_string()),
        (false, nanos) => Ok(duration_from_nanos(nanos)),
    }
}

fn duration_from_nanos(nanos: u128) -> Duration {
    // Below 2^63 ns by construction: the seconds fit in u64 and the remainder in u32.
    let seconds = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let subsec = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(seconds, subsec)
}

/// Tag key: 1–128 characters.
pub fn validate_tag_key(key: &str) -> Result<(), String> {
    let length = key.chars().count();
    if length == 0 {
        Err("it is empty".to_string())
    } else if length > MAX_TAG_KEY {
        Err(too_long(length, MAX_TAG_KEY))
    } else {
        Ok(())
    }
}

/// Whether a tag key uses the prefix AWS keeps for itself.
pub fn is_reserved_tag_key(key: &str) -> bool {
    key.get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
}

// ---------------------------------------------------------------------------------------
// The whole configuration
// ---------------------------------------------------------------------------------------

/// Everything wrong with a configuration, in a stable order. Checks whose inputs are
/// unknown are skipped: they run again at plan time, when the values are known.
pub fn validate_config(config: &ConfigView) -> Vec<Violation> {
    let mut out = Vec::new();
    check_cluster(config, &mut out);
    check_namespace(config, &mut out);
    check_tags(config, &mut out);
    check_services(config, &mut out);
    check_client_services(config, &mut out);
    check_timeouts(config, &mut out);
    out
}

fn check_cluster(config: &ConfigView, out: &mut Vec<Violation>) {
    if let Some(cluster) = known(&config.cluster)
        && let Err(reason) = validate_cluster(cluster)
    {
        out.push(Violation::new(
            Rule::ClusterInvalid,
            Field::Attribute("cluster"),
            format!(
                "cluster is {cluster:?}: {reason}. Use the cluster's name (1 to 255 letters, \
                 digits, hyphens and underscores) or its ARN, such as \
                 \"arn:aws:ecs:eu-west-1:123456789012:cluster/prod\"."
            ),
        ));
    }
}

fn check_namespace(config: &ConfigView, out: &mut Vec<Violation>) {
    if let Some(name) = known(&config.namespace)
        && let Err(reason) = validate_namespace_name(name)
    {
        out.push(Violation::new(
            Rule::NamespaceNameInvalid,
            Field::Attribute("namespace"),
            format!(
                "namespace is {}: {reason}. Use a lowercase DNS name of at most 253 \
                 characters made of dot-separated labels of 1 to 63 letters, digits, hyphens \
                 or underscores, such as \"internal.myapp\".",
                quote(name)
            ),
        ));
    }
    if let Some(vpc_id) = known(&config.vpc_id)
        && let Err(reason) = validate_vpc_id(vpc_id)
    {
        out.push(Violation::new(
            Rule::VpcIdInvalid,
            Field::Attribute("vpc_id"),
            format!(
                "vpc_id is {vpc_id:?}: {reason}. Use the VPC's id, \"vpc-\" followed by 8 or 17 \
                 lowercase hexadecimal digits, such as \"vpc-0abc1234def567890\"."
            ),
        ));
    }
    if let Some(id) = known(&config.namespace_id)
        && let Err(reason) = validate_namespace_id(id)
    {
        out.push(Violation::new(
            Rule::NamespaceIdInvalid,
            Field::Attribute("namespace_id"),
            format!(
                "namespace_id is {id:?}: {reason}. Use the namespace's id, \"ns-\" followed by \
                 16 lowercase letters or digits, such as \"ns-abcdefghijklmnop\"."
            ),
        ));
    }
    if let Some(description) = known(&config.description) {
        let length = description.chars().count();
        if length > MAX_DESCRIPTION {
            out.push(Violation::new(
                Rule::DescriptionTooLong,
                Field::Attribute("description"),
                format!(
                    "description is {length} characters long, over the Cloud Map limit of \
                     {MAX_DESCRIPTION}. Shorten it."
                ),
            ));
        }
    }

    // Presence. An unknown value may still turn out null, so only known values (`Some`
    // with a value) count as set, and only nulls (`None`) as unset.
    let set = |a: &Option<Known<String>>| matches!(a, Some(Known::Value(_)));
    let unset = |a: &Option<Known<String>>| a.is_none();
    if set(&config.namespace_id) && (set(&config.namespace) || set(&config.vpc_id)) {
        let others: Vec<&str> = [("namespace", &config.namespace), ("vpc_id", &config.vpc_id)]
            .into_iter()
            .filter(|(_, a)| set(a))
            .map(|(name, _)| name)
            .collect();
        out.push(Violation::new(
            Rule::NamespaceConflict,
            Field::Attribute("namespace_id"),
            format!(
                "namespace_id is set together with {}. namespace_id wires services onto an \
                 existing namespace; namespace and vpc_id create a new one. Remove \
                 namespace_id, or remove namespace and vpc_id.",
                others.join(" and ")
            ),
        ));
    }
    if set(&config.namespace_id) {
        let owned_only = [
            ("description", config.description.is_some()),
            ("tags", config.tags.is_some()),
        ];
        for (attribute, present) in owned_only {
            if present {
                out.push(Violation::new(
                    Rule::OwnedNamespaceOnly,
                    Field::Attribute(attribute),
                    format!(
                        "{attribute} is set, but namespace_id names an existing namespace, which this \
                         resource never changes. Set {attribute} on that namespace where it is managed, \
                         or remove {attribute} here."
                    ),
                ));
            }
        }
    }
    if unset(&config.namespace_id) && unset(&config.namespace) {
        out.push(Violation::new(
            Rule::NamespaceMissing,
            Field::Attribute("namespace"),
            "Neither namespace nor namespace_id is set. Set namespace and vpc_id to create a \
             private DNS namespace, or namespace_id to use an existing one."
                .to_string(),
        ));
    }
    if unset(&config.namespace_id)
        && let Some(name) = known(&config.namespace)
        && unset(&config.vpc_id)
    {
        out.push(Violation::new(
            Rule::VpcIdMissing,
            Field::Attribute("vpc_id"),
            format!(
                "namespace is {} but vpc_id is not set. A private DNS namespace belongs \
                 to a VPC: set vpc_id, or use namespace_id for an existing namespace.",
                quote(name)
            ),
        ));
    }
}

fn check_tags(config: &ConfigView, out: &mut Vec<Violation>) {
    let Some(tags) = known(&config.tags) else {
        return;
    };
    if tags.len() > MAX_TAGS {
        out.push(Violation::new(
            Rule::TooManyTags,
            Field::Attribute("tags"),
            format!(
                "tags has {} entries, over the Cloud Map limit of {MAX_TAGS} per resource. \
                 Remove {} of them.",
                tags.len(),
                tags.len() - MAX_TAGS
            ),
        ));
    }
    for (key, value) in tags {
        if let Err(reason) = validate_tag_key(key) {
            out.push(Violation::new(
                Rule::TagKeyLength,
                Field::Tag(key.clone()),
                format!(
                    "The tag key {} is not valid: {reason}. Use a key of 1 to {MAX_TAG_KEY} \
                     characters.",
                    quote(key)
                ),
            ));
        }
        if is_reserved_tag_key(key) {
            out.push(Violation::new(
                Rule::TagKeyReserved,
                Field::Tag(key.clone()),
                format!(
                    "The tag key {} starts with \"aws:\", a prefix AWS reserves for its \
                     own tags. Rename the key.",
                    quote(key)
                ),
            ));
        }
        if let Known::Value(value) = value {
            let length = value.chars().count();
            if length > MAX_TAG_VALUE {
                out.push(Violation::new(
                    Rule::TagValueTooLong,
                    Field::Tag(key.clone()),
                    format!(
                        "The value of tag {} is {length} characters long, over the limit \
                         of {MAX_TAG_VALUE}. Shorten it.",
                        quote(key)
                    ),
                ));
            }
        }
    }
}

/// The namespace name when this resource creates it and the name is known: the base of
/// default DNS names. An existing namespace's name is not known before apply.
fn owned_namespace_name(config: &ConfigView) -> Option<&String> {
    if config.namespace_id.is_some() {
        return None;
    }
    known(&config.namespace)
}

fn service_field(key: &str, attribute: &'static str) -> Field {
    Field::Service {
        key: key.to_string(),
        attribute: Some(attribute),
    }
}

/// A discovery name derived from a service name: lowercase, invalid characters as
/// hyphens, no leading hyphens, cut to the limit. `None` when nothing usable is left.
fn suggest_discovery_name(service: &str) -> Option<String> {
    let suggestion: String = service
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if is_lower_label_char(c) { c } else { '-' })
        .skip_while(|&c| c == '-')
        .take(MAX_DISCOVERY_NAME)
        .collect();
    validate_discovery_name(&suggestion)
        .is_ok()
        .then_some(suggestion)
}

fn check_services(config: &ConfigView, out: &mut Vec<Violation>) {
    let Some(services) = known(&config.services) else {
        return;
    };
    let namespace = owned_namespace_name(config);
    // Discovery name → first key using it; (DNS name, port) → first key using it.
    let mut discovery_names: BTreeMap<String, &str> = BTreeMap::new();
    let mut endpoints: BTreeMap<(String, i64), &str> = BTreeMap::new();

    for (key, entry) in services {
        if let Err(reason) = validate_ecs_name(key) {
            out.push(Violation::new(
                Rule::ServiceNameInvalid,
                Field::Service {
                    key: key.clone(),
                    attribute: None,
                },
                format!(
                    "The services key {} is not an ECS service name: {reason}. Use the \
                     ECS service's name: 1 to 255 letters, digits, hyphens and underscores.",
                    quote(key)
                ),
            ));
        }
        let Known::Value(service) = entry else {
            continue;
        };

        if let Some(port_name) = known(&service.port_name)
            && let Err(reason) = validate_port_name(port_name)
        {
            out.push(Violation::new(
                Rule::PortNameInvalid,
                service_field(key, "port_name"),
                format!(
                    "services[{key:?}].port_name is {port_name:?}: {reason}. Use the name of a \
                     portMappings entry of the service's task definition: 1 to 64 lowercase \
                     letters, digits, underscores and hyphens, not starting with a hyphen."
                ),
            ));
        }

        let discovery = match &service.discovery_name {
            Some(Known::Value(name)) => {
                if let Err(reason) = validate_discovery_name(name) {
                    out.push(Violation::new(
                        Rule::DiscoveryNameInvalid,
                        service_field(key, "discovery_name"),
                        format!(
                            "services[{key:?}].discovery_name is {name:?}: {reason}. Use 1 to \
                             64 lowercase letters, digits, underscores and hyphens, not \
                             starting with a hyphen."
                        ),
                    ));
                }
                Some(name.as_str())
            }
            Some(Known::Unknown) => None,
            None => {
                if validate_ecs_name(key).is_ok()
                    && let Err(reason) = validate_discovery_name(key)
                {
                    let example = suggest_discovery_name(key)
                        .map(|s| format!(", such as {s:?}"))
                        .unwrap_or_default();
                    out.push(Violation::new(
                        Rule::DefaultDiscoveryNameInvalid,
                        Field::Service {
                            key: key.clone(),
                            attribute: None,
                        },
                        format!(
                            "services[{key:?}] has no discovery_name, so it defaults to the \
                             service name {key:?}, which is not a valid discovery name: \
                             {reason}. Set discovery_name to 1 to 64 lowercase letters, \
                             digits, underscores and hyphens{example}."
                        ),
                    ));
                }
                Some(key.as_str())
            }
        };

        if let Some(name) = discovery {
            match discovery_names.get(name) {
                Some(first) => out.push(Violation::new(
                    Rule::DuplicateDiscoveryName,
                    service_field(key, "discovery_name"),
                    format!(
                        "services[{key:?}] and services[{first:?}] both use the discovery name \
                         {name:?}, but each discovery name is one Cloud Map service in the \
                         namespace. Set a different discovery_name on one of them."
                    ),
                )),
                None => {
                    discovery_names.insert(name.to_string(), key);
                }
            }
        }

        let dns = match &service.dns_name {
            Some(Known::Value(dns)) => {
                if let Err(reason) = validate_dns_name(dns) {
                    out.push(Violation::new(
                        Rule::DnsNameInvalid,
                        service_field(key, "dns_name"),
                        format!(
                            "services[{key:?}].dns_name is {}: {reason}. Use at most 127 \
                             lowercase letters, digits, underscores, hyphens and dots, not \
                             starting with a hyphen, such as \"backend.internal.myapp\".",
                            quote(dns)
                        ),
                    ));
                }
                Some(dns.clone())
            }
            Some(Known::Unknown) => None,
            None => match (discovery, namespace) {
                (Some(discovery), Some(namespace)) => {
                    let dns = names::default_dns_name(discovery, namespace);
                    // Only what the namespace and discovery rules do not already report.
                    if validate_namespace_name(namespace).is_ok()
                        && validate_discovery_name(discovery).is_ok()
                        && let Err(reason) = validate_dns_name(&dns)
                    {
                        out.push(Violation::new(
                            Rule::DefaultDnsNameInvalid,
                            Field::Service {
                                key: key.clone(),
                                attribute: None,
                            },
                            format!(
                                "services[{key:?}] has no dns_name, so it defaults to {} \
                                 (discovery name, then namespace), which is not a valid DNS \
                                 name: {reason}. Set a shorter dns_name, or shorten \
                                 discovery_name or namespace.",
                                quote(&dns)
                            ),
                        ));
                    }
                    Some(dns)
                }
                _ => None,
            },
        };

        if let Some(port) = known(&service.port) {
            if let Err(reason) = validate_port(*port) {
                out.push(Violation::new(
                    Rule::PortOutOfRange,
                    service_field(key, "port"),
                    format!(
                        "services[{key:?}].port is {port}: {reason}. Use a port from 1 to \
                         65535, or leave port out to use the container port of port_name."
                    ),
                ));
            }
            if let Some(dns) = dns {
                match endpoints.get(&(dns.clone(), *port)) {
                    Some(first) => out.push(Violation::new(
                        Rule::DuplicateEndpoint,
                        service_field(key, "dns_name"),
                        format!(
                            "services[{key:?}] and services[{first:?}] both use the endpoint \
                             {dns}:{port}, but each DNS name and port must be unique in the \
                             namespace. Change dns_name or port on one of them."
                        ),
                    )),
                    None => {
                        endpoints.insert((dns, *port), key);
                    }
                }
            }
        }

        if let Some(port) = known(&service.ingress_port_override)
            && let Err(reason) = validate_ingress_port_override(*port)
        {
            out.push(Violation::new(
                Rule::IngressPortOverrideOutOfRange,
                service_field(key, "ingress_port_override"),
                format!(
                    "services[{key:?}].ingress_port_override is {port}: {reason}. Use a port \
                     from 1025 to 65535, or leave ingress_port_override out."
                ),
            ));
        }

        for (attribute, value) in [
            ("idle_timeout_seconds", &service.idle_timeout_seconds),
            (
                "per_request_timeout_seconds",
                &service.per_request_timeout_seconds,
            ),
        ] {
            if let Some(seconds) = known(value)
                && let Err(reason) = validate_timeout_seconds(*seconds)
            {
                out.push(Violation::new(
                    Rule::TimeoutSecondsOutOfRange,
                    service_field(key, attribute),
                    format!(
                        "services[{key:?}].{attribute} is {seconds}: {reason}. Use 0 (no \
                         timeout) to {MAX_TIMEOUT_SECONDS} seconds, or leave it out for the \
                         ECS default."
                    ),
                ));
            }
        }
    }
}

fn check_client_services(config: &ConfigView, out: &mut Vec<Violation>) {
    let Some(clients) = known(&config.client_services) else {
        return;
    };
    let servers = known(&config.services);
    for name in clients.iter().filter_map(Known::value) {
        if let Err(reason) = validate_ecs_name(name) {
            out.push(Violation::new(
                Rule::ServiceNameInvalid,
                Field::ClientService(name.clone()),
                format!(
                    "The client_services entry {} is not an ECS service name: {reason}. \
                     Use the ECS service's name: 1 to 255 letters, digits, hyphens and \
                     underscores.",
                    quote(name)
                ),
            ));
        }
        if servers.is_some_and(|servers| servers.contains_key(name)) {
            out.push(Violation::new(
                Rule::ServerAlsoClient,
                Field::ClientService(name.clone()),
                format!(
                    "{name:?} is in both services and client_services. A service in services \
                     already calls the others: remove it from client_services."
                ),
            ));
        }
    }
    // An unknown element is still an element, so only the count of known servers matters.
    let no_servers = match &config.services {
        None => true,
        Some(Known::Value(servers)) => servers.is_empty(),
        Some(Known::Unknown) => false,
    };
    if !clients.is_empty()
        && no_servers
        && config.namespace_id.is_none()
        && config.namespace.is_some()
    {
        let listed = clients
            .iter()
            .filter_map(Known::value)
            .map(|name| format!("{name:?}"))
            .collect::<Vec<_>>();
        let listed = if listed.is_empty() {
            "services".to_string()
        } else {
            listed.join(", ")
        };
        out.push(Violation::new(
            Rule::ClientOnlyNewNamespace,
            Field::Attribute("client_services"),
            format!(
                "client_services lists {listed} but services is empty, and this resource \
                 creates the namespace. A client-only service cannot be the first in an \
                 empty namespace (its deployment does not complete). Add at least one entry \
                 to services, or use namespace_id with a namespace that already has servers."
            ),
        ));
    }
}

fn check_timeouts(config: &ConfigView, out: &mut Vec<Violation>) {
    let Some(timeouts) = known(&config.timeouts) else {
        return;
    };
    for (name, value) in [
        ("create", &timeouts.create),
        ("update", &timeouts.update),
        ("delete", &timeouts.delete),
    ] {
        let Some(text) = known(value) else {
            continue;
        };
        let (rule, reason) = match parse_go_duration(text) {
            Ok((_, 0)) => (Rule::DurationNotPositive, "it is zero".to_string()),
            Ok((true, _)) => (Rule::DurationNotPositive, "it is negative".to_string()),
            Ok(_) => continue,
            Err(reason) => (Rule::DurationInvalid, reason),
        };
        let fix = match rule {
            Rule::DurationNotPositive => {
                "Use a positive duration such as \"20m\", or leave it out for the default."
            }
            _ => {
                "Use a Go duration: numbers with units h, m, s, ms, us or ns, such as \"20m\", \
                 \"1h30m\", \"90s\" or \"1.5h\"."
            }
        };
        out.push(Violation::new(
            rule,
            Field::Timeout(name),
            format!("timeouts.{name} is {text:?}: {reason}. {fix}"),
        ));
    }
}

// ---------------------------------------------------------------------------------------
// Documentation
// ---------------------------------------------------------------------------------------

/// A valid configuration that examples break one thing in.
fn example_base() -> ConfigView {
    let backend = ServiceView {
        port_name: Some("backend-8080-tcp".to_string().into()),
        ..ServiceView::default()
    };
    ConfigView {
        cluster: Some("prod".to_string().into()),
        namespace: Some("internal.myapp".to_string().into()),
        vpc_id: Some("vpc-0abc1234".to_string().into()),
        services: Some(BTreeMap::from([("backend".to_string(), backend.into())]).into()),
        ..ConfigView::default()
    }
}

/// A configuration that breaks `rule`, for the docs table.
fn example(rule: Rule) -> ConfigView {
    let mut config = example_base();
    let text = |s: &str| Some(Known::Value(s.to_string()));
    let service = |config: &mut ConfigView, key: &str, edit: fn(&mut ServiceView)| {
        let mut view = ServiceView {
            port_name: text("backend-8080-tcp"),
            ..ServiceView::default()
        };
        edit(&mut view);
        if let Some(Known::Value(services)) = &mut config.services {
            services.insert(key.to_string(), view.into());
        }
    };
    let backend = |config: &mut ConfigView, edit: fn(&mut ServiceView)| {
        service(config, "backend", edit);
    };
    let tags = |config: &mut ConfigView, tags: Vec<(String, String)>| {
        config.tags = Some(
            tags.into_iter()
                .map(|(k, v)| (k, Known::Value(v)))
                .collect::<BTreeMap<_, _>>()
                .into(),
        );
    };
    match rule {
        Rule::ClusterInvalid => config.cluster = text("prod cluster"),
        Rule::NamespaceNameInvalid => config.namespace = text("Internal.MyApp"),
        Rule::VpcIdInvalid => config.vpc_id = text("vpc-0abc123"),
        Rule::NamespaceIdInvalid => {
            config.namespace = None;
            config.vpc_id = None;
            config.namespace_id = text("internal.myapp");
        }
        Rule::NamespaceConflict => config.namespace_id = text("ns-abcdefghijklmnop"),
        Rule::NamespaceMissing => {
            config.namespace = None;
            config.vpc_id = None;
        }
        Rule::VpcIdMissing => config.vpc_id = None,
        Rule::OwnedNamespaceOnly => {
            config.namespace = None;
            config.vpc_id = None;
            config.namespace_id = text("ns-abcdefghijklmnop");
            config.description = text("east-west traffic");
        }
        Rule::DescriptionTooLong => config.description = text(&"x".repeat(1025)),
        Rule::ServiceNameInvalid => {
            config.client_services = Some(vec![Known::Value("web frontend".to_string())].into());
        }
        Rule::PortNameInvalid => backend(&mut config, |s| {
            s.port_name = Some("Backend-8080".to_string().into());
        }),
        Rule::DiscoveryNameInvalid => backend(&mut config, |s| {
            s.discovery_name = Some("-backend".to_string().into());
        }),
        Rule::DefaultDiscoveryNameInvalid => service(&mut config, "Orders_API", |_| {}),
        Rule::DnsNameInvalid => backend(&mut config, |s| {
            s.dns_name = Some("backend..internal".to_string().into());
        }),
        Rule::DefaultDnsNameInvalid => {
            config.namespace = text(&format!("{}.myapp", "a".repeat(60)));
            backend(&mut config, |s| {
                s.discovery_name = Some("b".repeat(64).into());
            });
        }
        Rule::PortOutOfRange => backend(&mut config, |s| s.port = Some(Known::Value(0))),
        Rule::IngressPortOverrideOutOfRange => backend(&mut config, |s| {
            s.ingress_port_override = Some(Known::Value(80));
        }),
        Rule::TimeoutSecondsOutOfRange => backend(&mut config, |s| {
            s.idle_timeout_seconds = Some(Known::Value(-1));
        }),
        Rule::DuplicateDiscoveryName => service(&mut config, "backend-v2", |s| {
            s.discovery_name = Some("backend".to_string().into());
        }),
        Rule::DuplicateEndpoint => {
            backend(&mut config, |s| s.port = Some(Known::Value(8080)));
            service(&mut config, "backend-v2", |s| {
                s.dns_name = Some("backend.internal.myapp".to_string().into());
                s.port = Some(Known::Value(8080));
            });
        }
        Rule::ServerAlsoClient => {
            config.client_services = Some(vec![Known::Value("backend".to_string())].into());
        }
        Rule::ClientOnlyNewNamespace => {
            config.services = None;
            config.client_services = Some(vec![Known::Value("frontend".to_string())].into());
        }
        Rule::DurationInvalid => {
            config.timeouts = Some(
                TimeoutsView {
                    create: text("20 minutes"),
                    ..TimeoutsView::default()
                }
                .into(),
            );
        }
        Rule::DurationNotPositive => {
            config.timeouts = Some(
                TimeoutsView {
                    delete: text("0s"),
                    ..TimeoutsView::default()
                }
                .into(),
            );
        }
        Rule::TooManyTags => tags(
            &mut config,
            (0..51)
                .map(|i| (format!("tag{i:02}"), String::new()))
                .collect(),
        ),
        Rule::TagKeyLength => tags(&mut config, vec![("k".repeat(129), String::new())]),
        Rule::TagKeyReserved => tags(&mut config, vec![("AWS:team".to_string(), String::new())]),
        Rule::TagValueTooLong => tags(&mut config, vec![("team".to_string(), "v".repeat(257))]),
    }
    config
}

/// Every rule with its text and an example message, produced by [`validate_config`]
/// itself so the docs cannot show a message the code does not emit.
pub fn rules_table() -> Vec<(Rule, &'static str, String)> {
    Rule::ALL
        .iter()
        .map(|&rule| {
            let message = validate_config(&example(rule))
                .into_iter()
                .find(|violation| violation.rule == rule)
                .map(|violation| violation.to_string())
                .unwrap_or_default();
            (rule, rule.text(), message)
        })
        .collect()
}

/// [`rules_table`] as a markdown table, for `docs/validation.md`.
pub fn rules_markdown() -> String {
    let mut table =
        String::from("| Rule | What is checked | Example message |\n| --- | --- | --- |\n");
    for (rule, text, message) in rules_table() {
        let text = text.replace('|', "\\|");
        let message = message.replace('|', "\\|");
        table.push_str(&format!("| `{}` | {text} | {message} |\n", rule.id()));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Option<Known<String>> {
        Some(Known::Value(s.to_string()))
    }

    fn num(n: i64) -> Option<Known<i64>> {
        Some(Known::Value(n))
    }

    fn server(port_name: &str) -> ServiceView {
        ServiceView {
            port_name: text(port_name),
            ..ServiceView::default()
        }
    }

    /// The example base with `services` replaced.
    fn with_services(entries: Vec<(&str, Known<ServiceView>)>) -> ConfigView {
        ConfigView {
            services: Some(Known::Value(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            )),
            ..example_base()
        }
    }

    fn one_service(key: &str, view: ServiceView) -> ConfigView {
        with_services(vec![(key, Known::Value(view))])
    }

    fn rules(config: &ConfigView) -> Vec<Rule> {
        validate_config(config)
            .into_iter()
            .map(|v| v.rule)
            .collect()
    }

    /// The only violation, which must be of `rule`.
    fn only(config: &ConfigView, rule: Rule) -> Violation {
        let violations = validate_config(config);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        let violation = violations.into_iter().next().expect("one violation");
        assert_eq!(violation.rule, rule, "{violation:#?}");
        assert_eq!(violation.summary, rule.summary());
        violation
    }

    fn assert_clean(config: &ConfigView) {
        let violations = validate_config(config);
        assert!(violations.is_empty(), "{violations:#?}");
    }

    fn timeouts(create: &str) -> ConfigView {
        ConfigView {
            timeouts: Some(Known::Value(TimeoutsView {
                create: text(create),
                ..TimeoutsView::default()
            })),
            ..example_base()
        }
    }

    fn tagged(tags: Vec<(String, String)>) -> ConfigView {
        ConfigView {
            tags: Some(Known::Value(
                tags.into_iter()
                    .map(|(k, v)| (k, Known::Value(v)))
                    .collect(),
            )),
            ..example_base()
        }
    }

    #[test]
    fn the_example_configuration_is_clean() {
        assert_clean(&example_base());
        // The schema's own example, with a real-length VPC id.
        let full = ConfigView {
            description: text("east-west traffic"),
            tags: Some(Known::Value(BTreeMap::from([(
                "team".to_string(),
                Known::Value("platform".to_string()),
            )]))),
            client_services: Some(Known::Value(vec![Known::Value("frontend".to_string())])),
            wait_for_steady_state: Some(Known::Value(false)),
            timeouts: Some(Known::Value(TimeoutsView {
                create: text("20m"),
                update: text("20m"),
                delete: text("20m"),
            })),
            ..one_service(
                "backend",
                ServiceView {
                    port_name: text("backend-8080-tcp"),
                    discovery_name: text("backend"),
                    dns_name: text("backend.internal.myapp"),
                    port: num(8080),
                    ingress_port_override: num(15000),
                    idle_timeout_seconds: num(300),
                    per_request_timeout_seconds: num(60),
                },
            )
        };
        assert_clean(&full);
    }

    // --- cluster ------------------------------------------------------------------------

    #[test]
    fn cluster_names_and_arns() {
        for good in [
            "prod",
            "Prod_Cluster-2",
            &"c".repeat(255),
            "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
            "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod",
            "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/prod_2",
        ] {
            assert_eq!(validate_cluster(good), Ok(()), "{good}");
        }
        for (bad, reason) in [
            ("", "it is empty"),
            ("prod cluster", "it contains ' ', which is not allowed"),
            (
                &"c".repeat(256),
                "it is 256 characters long, over the limit of 255",
            ),
            (
                "arn:aws:ecs:eu-west-1:123456789012",
                "it is an ARN with fewer than six ':'-separated parts",
            ),
            (
                "arn:aws:ec2:eu-west-1:123456789012:cluster/prod",
                "it is an ARN of the \"ec2\" service, not of \"ecs\"",
            ),
            (
                "arn:aws:ecs:eu-west-1:1234:cluster/prod",
                "its account \"1234\" is not 12 digits",
            ),
            (
                "arn:aws:ecs:eu-west-1:123456789012:service/prod/api",
                "its resource \"service/prod/api\" is not \"cluster/NAME\"",
            ),
            (
                "arn:aws:ecs:eu-west-1:123456789012:cluster/a/b",
                "its cluster name \"a/b\" is invalid: it contains '/', which is not allowed",
            ),
            (
                "arn:AWS:ecs:eu-west-1:123456789012:cluster/prod",
                "its partition \"AWS\" is not a partition such as \"aws\"",
            ),
            (
                "arn:aws:ecs::123456789012:cluster/prod",
                "its region \"\" is not a region such as \"eu-west-1\"",
            ),
        ] {
            assert_eq!(validate_cluster(bad), Err(reason.to_string()), "{bad}");
        }
        let config = ConfigView {
            cluster: text("prod cluster"),
            ..example_base()
        };
        let violation = only(&config, Rule::ClusterInvalid);
        assert_eq!(violation.field, Field::Attribute("cluster"));
        assert_eq!(
            violation.detail,
            "cluster is \"prod cluster\": it contains ' ', which is not allowed. Use the \
             cluster's name (1 to 255 letters, digits, hyphens and underscores) or its ARN, \
             such as \"arn:aws:ecs:eu-west-1:123456789012:cluster/prod\"."
        );
    }

    // --- namespace ----------------------------------------------------------------------

    #[test]
    fn namespace_names() {
        for good in [
            "internal.myapp",
            "local",
            "svc_1.my-app.internal",
            &format!("{}.{}", "a".repeat(63), "b".repeat(63)),
        ] {
            assert_eq!(validate_namespace_name(good), Ok(()), "{good}");
        }
        let long = vec!["a".repeat(50); 5].join("."); // 254 characters
        for (bad, reason) in [
            ("", "it is empty".to_string()),
            (
                long.as_str(),
                "it is 254 characters long, over the limit of 253".to_string(),
            ),
            (
                "Internal.myapp",
                "it contains the uppercase letter 'I'; DNS names are case-insensitive and ECS \
                 takes endpoint names in lowercase"
                    .to_string(),
            ),
            (
                "internal myapp",
                "it contains ' ', which is not allowed".to_string(),
            ),
            (
                "internal..myapp",
                "it has an empty label (two dots in a row)".to_string(),
            ),
            (".internal", "it starts with a dot".to_string()),
            (
                "internal.myapp.",
                "it ends with a dot; leave the trailing dot out".to_string(),
            ),
            (
                "-internal.myapp",
                "its label \"-internal\" starts or ends with a hyphen".to_string(),
            ),
            (
                "internal.myapp-",
                "its label \"myapp-\" starts or ends with a hyphen".to_string(),
            ),
            (
                &format!("{}.myapp", "a".repeat(64)),
                format!(
                    "its label \"{}\" is 64 characters long, over the DNS limit of 63",
                    "a".repeat(64)
                ),
            ),
        ] {
            assert_eq!(validate_namespace_name(bad), Err(reason), "{bad}");
        }
        let config = ConfigView {
            namespace: text("Internal.MyApp"),
            ..example_base()
        };
        let violation = validate_config(&config)
            .into_iter()
            .find(|v| v.rule == Rule::NamespaceNameInvalid)
            .expect("namespace violation");
        assert_eq!(violation.field, Field::Attribute("namespace"));
        assert!(
            violation.detail.starts_with(
                "namespace is \"Internal.MyApp\": it contains the uppercase letter 'I'"
            )
        );
        assert!(violation.detail.contains("such as \"internal.myapp\""));
    }

    #[test]
    fn vpc_ids() {
        for good in ["vpc-0abc1234", "vpc-0123456789abcdef0"] {
            assert_eq!(validate_vpc_id(good), Ok(()), "{good}");
        }
        for (bad, reason) in [
            ("0abc1234", "it does not start with \"vpc-\""),
            (
                "vpc-0abc123",
                "it has 7 characters after \"vpc-\" instead of 8 or 17",
            ),
            (
                "vpc-0ABC1234",
                "it contains 'A', which is not a lowercase hexadecimal digit",
            ),
            (
                "vpc-0abc123g",
                "it contains 'g', which is not a lowercase hexadecimal digit",
            ),
        ] {
            assert_eq!(validate_vpc_id(bad), Err(reason.to_string()), "{bad}");
        }
        let config = ConfigView {
            vpc_id: text("vpc-0abc123"),
            ..example_base()
        };
        let violation = only(&config, Rule::VpcIdInvalid);
        assert_eq!(violation.field, Field::Attribute("vpc_id"));
        assert_eq!(
            violation.detail,
            "vpc_id is \"vpc-0abc123\": it has 7 characters after \"vpc-\" instead of 8 or 17. \
             Use the VPC's id, \"vpc-\" followed by 8 or 17 lowercase hexadecimal digits, such \
             as \"vpc-0abc1234def567890\"."
        );
    }

    fn existing(id: Option<Known<String>>) -> ConfigView {
        ConfigView {
            namespace: None,
            vpc_id: None,
            namespace_id: id,
            ..example_base()
        }
    }

    #[test]
    fn namespace_ids() {
        assert_clean(&existing(text("ns-abcdefghijklmnop")));
        assert_eq!(
            validate_namespace_id(
                "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abcdefghijklmnop"
            ),
            Err("it is an ARN; use the id \"ns-abcdefghijklmnop\" from it".to_string())
        );
        assert_eq!(
            validate_namespace_id("arn:aws:servicediscovery:eu-west-1:1:namespace/x"),
            Err("it is an ARN, not a namespace id".to_string())
        );
        let violation = only(&existing(text("internal.myapp")), Rule::NamespaceIdInvalid);
        assert_eq!(violation.field, Field::Attribute("namespace_id"));
        assert_eq!(
            violation.detail,
            "namespace_id is \"internal.myapp\": it is not \"ns-\" followed by 16 lowercase \
             letters or digits. Use the namespace's id, \"ns-\" followed by 16 lowercase \
             letters or digits, such as \"ns-abcdefghijklmnop\"."
        );
    }

    #[test]
    fn exactly_one_namespace() {
        // Both.
        let both = ConfigView {
            namespace_id: text("ns-abcdefghijklmnop"),
            ..example_base()
        };
        let violation = only(&both, Rule::NamespaceConflict);
        assert_eq!(violation.field, Field::Attribute("namespace_id"));
        assert_eq!(
            violation.detail,
            "namespace_id is set together with namespace and vpc_id. namespace_id wires \
             services onto an existing namespace; namespace and vpc_id create a new one. \
             Remove namespace_id, or remove namespace and vpc_id."
        );
        let with_vpc_only = ConfigView {
            namespace: None,
            ..both.clone()
        };
        assert!(
            only(&with_vpc_only, Rule::NamespaceConflict)
                .detail
                .starts_with("namespace_id is set together with vpc_id.")
        );
        // Neither.
        let neither = existing(None);
        let violation = only(&neither, Rule::NamespaceMissing);
        assert_eq!(violation.field, Field::Attribute("namespace"));
        assert_eq!(
            violation.detail,
            "Neither namespace nor namespace_id is set. Set namespace and vpc_id to create a \
             private DNS namespace, or namespace_id to use an existing one."
        );
        // vpc_id alone is not a namespace either.
        let vpc_alone = ConfigView {
            vpc_id: text("vpc-0abc1234"),
            ..existing(None)
        };
        assert_eq!(rules(&vpc_alone), vec![Rule::NamespaceMissing]);
        // Namespace without VPC.
        let no_vpc = ConfigView {
            vpc_id: None,
            ..example_base()
        };
        let violation = only(&no_vpc, Rule::VpcIdMissing);
        assert_eq!(violation.field, Field::Attribute("vpc_id"));
        assert_eq!(
            violation.detail,
            "namespace is \"internal.myapp\" but vpc_id is not set. A private DNS namespace \
             belongs to a VPC: set vpc_id, or use namespace_id for an existing namespace."
        );
    }

    #[test]
    fn unknown_namespace_settings_may_still_turn_out_null() {
        // namespace_id unknown next to a known namespace: it may be null after all.
        let config = ConfigView {
            namespace_id: Some(Known::Unknown),
            ..example_base()
        };
        assert_clean(&config);
        // Unknown namespace and no namespace_id: not "missing".
        let config = ConfigView {
            namespace: Some(Known::Unknown),
            ..example_base()
        };
        assert_clean(&config);
        // Unknown vpc_id: not "missing", not invalid.
        let config = ConfigView {
            vpc_id: Some(Known::Unknown),
            ..example_base()
        };
        assert_clean(&config);
        assert_clean(&existing(Some(Known::Unknown)));
        // An unknown namespace name with no vpc_id cannot be judged either way.
        let config = ConfigView {
            namespace: Some(Known::Unknown),
            vpc_id: None,
            ..example_base()
        };
        assert_clean(&config);
    }

    #[test]
    fn descriptions() {
        let config = ConfigView {
            description: text(&"é".repeat(1024)),
            ..example_base()
        };
        assert_clean(&config);
        let config = ConfigView {
            description: text(&"x".repeat(1025)),
            ..example_base()
        };
        let violation = only(&config, Rule::DescriptionTooLong);
        assert_eq!(violation.field, Field::Attribute("description"));
        assert_eq!(
            violation.detail,
            "description is 1025 characters long, over the Cloud Map limit of 1024. Shorten it."
        );
    }

    // --- services -----------------------------------------------------------------------

    #[test]
    fn service_names() {
        assert_clean(&one_service("Orders_API-2", {
            let mut view = server("orders");
            view.discovery_name = text("orders");
            view
        }));
        let config = one_service("my backend", server("backend-8080-tcp"));
        let violation = only(&config, Rule::ServiceNameInvalid);
        assert_eq!(
            violation.field,
            Field::Service {
                key: "my backend".to_string(),
                attribute: None
            }
        );
        assert_eq!(
            violation.detail,
            "The services key \"my backend\" is not an ECS service name: it contains ' ', \
             which is not allowed. Use the ECS service's name: 1 to 255 letters, digits, \
             hyphens and underscores."
        );
        // Long keys are cut in the message.
        let long = "s".repeat(256);
        let config = one_service(&long, {
            let mut view = server("backend-8080-tcp");
            view.discovery_name = text("backend");
            view
        });
        let violation = only(&config, Rule::ServiceNameInvalid);
        assert!(violation.detail.starts_with(&format!(
            "The services key \"{}\"… is not an ECS service name: it is 256 characters long",
            "s".repeat(60)
        )));

        let config = ConfigView {
            client_services: Some(Known::Value(vec![Known::Value("web/frontend".to_string())])),
            ..example_base()
        };
        let violation = only(&config, Rule::ServiceNameInvalid);
        assert_eq!(
            violation.field,
            Field::ClientService("web/frontend".to_string())
        );
        assert_eq!(
            violation.detail,
            "The client_services entry \"web/frontend\" is not an ECS service name: it \
             contains '/', which is not allowed. Use the ECS service's name: 1 to 255 letters, \
             digits, hyphens and underscores."
        );
    }

    #[test]
    fn port_names() {
        for good in ["backend-8080-tcp", "http", "a_1", &"p".repeat(64)] {
            assert_eq!(validate_port_name(good), Ok(()), "{good}");
        }
        for (bad, reason) in [
            ("", "it is empty"),
            ("Backend", "it contains 'B', which is not allowed"),
            ("-http", "it starts with a hyphen"),
            ("http.tcp", "it contains '.', which is not allowed"),
        ] {
            assert_eq!(validate_port_name(bad), Err(reason.to_string()), "{bad}");
        }
        assert_eq!(
            validate_port_name(&"p".repeat(65)),
            Err("it is 65 characters long, over the limit of 64".to_string())
        );
        let violation = only(
            &one_service("backend", server("Backend-8080")),
            Rule::PortNameInvalid,
        );
        assert_eq!(violation.field, service_field("backend", "port_name"));
        assert_eq!(
            violation.detail,
            "services[\"backend\"].port_name is \"Backend-8080\": it contains 'B', which is not \
             allowed. Use the name of a portMappings entry of the service's task definition: 1 \
             to 64 lowercase letters, digits, underscores and hyphens, not starting with a \
             hyphen."
        );
    }

    #[test]
    fn discovery_names() {
        for good in ["backend", "back_end-2", "0api", &"d".repeat(64)] {
            assert_eq!(validate_discovery_name(good), Ok(()), "{good}");
        }
        for (bad, reason) in [
            ("", "it is empty".to_string()),
            ("-backend", "it starts with a hyphen".to_string()),
            (
                "back.end",
                "it contains '.', which is not allowed".to_string(),
            ),
            (
                "Backend",
                "it contains 'B', which is not allowed".to_string(),
            ),
            (
                &"d".repeat(65),
                "it is 65 characters long, over the limit of 64".to_string(),
            ),
        ] {
            assert_eq!(validate_discovery_name(bad), Err(reason), "{bad}");
        }
        let mut view = server("backend-8080-tcp");
        view.discovery_name = text("-backend");
        let violation = only(&one_service("backend", view), Rule::DiscoveryNameInvalid);
        assert_eq!(violation.field, service_field("backend", "discovery_name"));
        assert_eq!(
            violation.detail,
            "services[\"backend\"].discovery_name is \"-backend\": it starts with a hyphen. Use \
             1 to 64 lowercase letters, digits, underscores and hyphens, not starting with a \
             hyphen."
        );
    }

    #[test]
    fn default_discovery_names() {
        let violation = only(
            &one_service("Orders_API", server("orders-8080")),
            Rule::DefaultDiscoveryNameInvalid,
        );
        assert_eq!(
            violation.field,
            Field::Service {
                key: "Orders_API".to_string(),
                attribute: None
            }
        );
        assert_eq!(
            violation.detail,
            "services[\"Orders_API\"] has no discovery_name, so it defaults to the service name \
             \"Orders_API\", which is not a valid discovery name: it contains 'O', which is not \
             allowed. Set discovery_name to 1 to 64 lowercase letters, digits, underscores and \
             hyphens, such as \"orders_api\"."
        );
        // A key too long for a discovery name, but a fine ECS name.
        let key = format!("-{}", "s".repeat(70));
        assert_eq!(
            suggest_discovery_name(&key),
            Some("s".repeat(64)),
            "leading hyphens dropped, cut to 64"
        );
        assert_eq!(suggest_discovery_name("---"), None);
        assert_eq!(
            rules(&one_service(&key, server("p"))),
            vec![Rule::DefaultDiscoveryNameInvalid]
        );
        // An explicit discovery name lifts the requirement; an unknown one defers it.
        let mut view = server("orders-8080");
        view.discovery_name = text("orders");
        assert_clean(&one_service("Orders_API", view.clone()));
        view.discovery_name = Some(Known::Unknown);
        assert_clean(&one_service("Orders_API", view));
        // A key that is not even an ECS name is reported once, as such.
        assert_eq!(
            rules(&one_service("Orders API", server("p"))),
            vec![Rule::ServiceNameInvalid]
        );
    }

    #[test]
    fn dns_names() {
        for good in [
            "backend",
            "backend.internal.myapp",
            "back_end-1.internal",
            &format!("{}.{}", "a".repeat(63), "b".repeat(63)),
        ] {
            assert_eq!(validate_dns_name(good), Ok(()), "{good}");
        }
        for (bad, reason) in [
            ("", "it is empty".to_string()),
            ("-backend", "it starts with a hyphen".to_string()),
            (
                "Backend",
                "it contains 'B', which is not allowed".to_string(),
            ),
            (
                "back end",
                "it contains ' ', which is not allowed".to_string(),
            ),
            (
                "backend..internal",
                "it has an empty label (two dots in a row)".to_string(),
            ),
            (".backend", "it starts with a dot".to_string()),
            (
                "backend.",
                "it ends with a dot; leave the trailing dot out".to_string(),
            ),
            (
                &"a".repeat(128),
                "it is 128 characters long, over the limit of 127".to_string(),
            ),
            (
                &format!("{}.b", "a".repeat(64)),
                format!(
                    "its label \"{}\" is 64 characters long, over the DNS limit of 63",
                    "a".repeat(64)
                ),
            ),
        ] {
            assert_eq!(validate_dns_name(bad), Err(reason), "{bad}");
        }
        let mut view = server("backend-8080-tcp");
        view.dns_name = text("backend..internal");
        let violation = only(&one_service("backend", view), Rule::DnsNameInvalid);
        assert_eq!(violation.field, service_field("backend", "dns_name"));
        assert_eq!(
            violation.detail,
            "services[\"backend\"].dns_name is \"backend..internal\": it has an empty label \
             (two dots in a row). Use at most 127 lowercase letters, digits, underscores, \
             hyphens and dots, not starting with a hyphen, such as \"backend.internal.myapp\"."
        );
    }

    #[test]
    fn default_dns_names() {
        let namespace = format!("{}.myapp", "a".repeat(60));
        let mut view = server("backend-8080-tcp");
        view.discovery_name = text(&"b".repeat(64));
        let config = ConfigView {
            namespace: text(&namespace),
            ..one_service("backend", view.clone())
        };
        let violation = only(&config, Rule::DefaultDnsNameInvalid);
        assert_eq!(
            violation.field,
            Field::Service {
                key: "backend".to_string(),
                attribute: None
            }
        );
        assert_eq!(
            violation.detail,
            format!(
                "services[\"backend\"] has no dns_name, so it defaults to \"{}\"… (discovery \
                 name, then namespace), which is not a valid DNS name: it is 131 characters \
                 long, over the limit of 127. Set a shorter dns_name, or shorten discovery_name \
                 or namespace.",
                "b".repeat(60)
            )
        );
        // 63 + 1 + 63 = 127 fits.
        let mut fits = view.clone();
        fits.discovery_name = text(&"b".repeat(60));
        assert_clean(&ConfigView {
            namespace: text(&namespace),
            ..one_service("backend", fits)
        });
        // An explicit dns_name replaces the default.
        let mut explicit = view.clone();
        explicit.dns_name = text("backend.internal");
        assert_clean(&ConfigView {
            namespace: text(&namespace),
            ..one_service("backend", explicit)
        });
        // An existing namespace's name is unknown: nothing to derive.
        assert_clean(&ConfigView {
            namespace: None,
            vpc_id: None,
            namespace_id: text("ns-abcdefghijklmnop"),
            ..one_service("backend", view.clone())
        });
        // An invalid namespace is reported as such, not again through its default names.
        assert_eq!(
            rules(&ConfigView {
                namespace: text("Internal.myapp"),
                ..example_base()
            }),
            vec![Rule::NamespaceNameInvalid]
        );
    }

    #[test]
    fn ports() {
        for good in [1, 80, 8080, 65535] {
            assert_eq!(validate_port(good), Ok(()), "{good}");
        }
        assert_eq!(
            validate_port(0),
            Err("port 0 gives clients no port to connect to".to_string())
        );
        assert_eq!(
            validate_port(-1),
            Err("it is outside 1 to 65535".to_string())
        );
        assert_eq!(
            validate_port(65536),
            Err("it is outside 1 to 65535".to_string())
        );
        let mut view = server("backend-8080-tcp");
        view.port = num(0);
        let violation = only(&one_service("backend", view), Rule::PortOutOfRange);
        assert_eq!(violation.field, service_field("backend", "port"));
        assert_eq!(
            violation.detail,
            "services[\"backend\"].port is 0: port 0 gives clients no port to connect to. Use a \
             port from 1 to 65535, or leave port out to use the container port of port_name."
        );
    }

    #[test]
    fn ingress_port_overrides() {
        for good in [1025, 15000, 65535] {
            assert_eq!(validate_ingress_port_override(good), Ok(()), "{good}");
        }
        for bad in [0, 80, 1024] {
            assert_eq!(
                validate_ingress_port_override(bad),
                Err("ECS rejects ingress ports of 1024 and below".to_string())
            );
        }
        for bad in [-1, 65536] {
            assert_eq!(
                validate_ingress_port_override(bad),
                Err("it is outside 1025 to 65535".to_string())
            );
        }
        let mut view = server("backend-8080-tcp");
        view.ingress_port_override = num(80);
        let violation = only(
            &one_service("backend", view),
            Rule::IngressPortOverrideOutOfRange,
        );
        assert_eq!(
            violation.field,
            service_field("backend", "ingress_port_override")
        );
        assert_eq!(
            violation.detail,
            "services[\"backend\"].ingress_port_override is 80: ECS rejects ingress ports of \
             1024 and below. Use a port from 1025 to 65535, or leave ingress_port_override out."
        );
    }

    #[test]
    fn timeout_seconds() {
        for good in [0, 1, 300, MAX_TIMEOUT_SECONDS] {
            assert_eq!(validate_timeout_seconds(good), Ok(()), "{good}");
        }
        assert_eq!(
            validate_timeout_seconds(-1),
            Err("it is negative".to_string())
        );
        assert_eq!(
            validate_timeout_seconds(MAX_TIMEOUT_SECONDS + 1),
            Err("it is over the ECS limit of 2147483647".to_string())
        );
        let mut view = server("backend-8080-tcp");
        view.idle_timeout_seconds = num(-1);
        view.per_request_timeout_seconds = num(MAX_TIMEOUT_SECONDS + 1);
        let violations = validate_config(&one_service("backend", view));
        assert_eq!(violations.len(), 2, "{violations:#?}");
        assert!(
            violations
                .iter()
                .all(|v| v.rule == Rule::TimeoutSecondsOutOfRange)
        );
        assert_eq!(
            violations[0].field,
            service_field("backend", "idle_timeout_seconds")
        );
        assert_eq!(
            violations[0].detail,
            "services[\"backend\"].idle_timeout_seconds is -1: it is negative. Use 0 (no \
             timeout) to 2147483647 seconds, or leave it out for the ECS default."
        );
        assert_eq!(
            violations[1].field,
            service_field("backend", "per_request_timeout_seconds")
        );
        assert!(violations[1].detail.starts_with(
            "services[\"backend\"].per_request_timeout_seconds is 2147483648: it is over the \
             ECS limit of 2147483647."
        ));
    }

    #[test]
    fn discovery_names_are_unique() {
        let mut v2 = server("backend-8080-tcp");
        v2.discovery_name = text("backend");
        let config = with_services(vec![
            ("backend", Known::Value(server("backend-8080-tcp"))),
            ("backend-v2", Known::Value(v2.clone())),
        ]);
        let violation = only(&config, Rule::DuplicateDiscoveryName);
        assert_eq!(
            violation.field,
            service_field("backend-v2", "discovery_name")
        );
        assert_eq!(
            violation.detail,
            "services[\"backend-v2\"] and services[\"backend\"] both use the discovery name \
             \"backend\", but each discovery name is one Cloud Map service in the namespace. \
             Set a different discovery_name on one of them."
        );
        // Distinct names pass; an unknown one is not compared.
        v2.discovery_name = text("backend-v2");
        assert_clean(&with_services(vec![
            ("backend", Known::Value(server("backend-8080-tcp"))),
            ("backend-v2", Known::Value(v2.clone())),
        ]));
        v2.discovery_name = Some(Known::Unknown);
        assert_clean(&with_services(vec![
            ("backend", Known::Value(server("backend-8080-tcp"))),
            ("backend-v2", Known::Value(v2)),
        ]));
    }

    #[test]
    fn endpoints_are_unique() {
        let mut a = server("backend-8080-tcp");
        a.port = num(8080);
        let mut b = server("backend-8080-tcp");
        b.dns_name = text("backend.internal.myapp");
        b.port = num(8080);
        let config = with_services(vec![
            ("backend", Known::Value(a.clone())),
            ("backend-v2", Known::Value(b.clone())),
        ]);
        let violation = only(&config, Rule::DuplicateEndpoint);
        assert_eq!(violation.field, service_field("backend-v2", "dns_name"));
        assert_eq!(
            violation.detail,
            "services[\"backend-v2\"] and services[\"backend\"] both use the endpoint \
             backend.internal.myapp:8080, but each DNS name and port must be unique in the \
             namespace. Change dns_name or port on one of them."
        );
        // Same name, other port: fine.
        let mut other_port = b.clone();
        other_port.port = num(9090);
        assert_clean(&with_services(vec![
            ("backend", Known::Value(a.clone())),
            ("backend-v2", Known::Value(other_port)),
        ]));
        // A port from the task definition (not set) or unknown cannot be compared.
        for port in [None, Some(Known::Unknown)] {
            let mut unknown_port = b.clone();
            unknown_port.port = port;
            assert_clean(&with_services(vec![
                ("backend", Known::Value(a.clone())),
                ("backend-v2", Known::Value(unknown_port)),
            ]));
        }
        // Nor can an unknown DNS name.
        let mut unknown_dns = b.clone();
        unknown_dns.dns_name = Some(Known::Unknown);
        assert_clean(&with_services(vec![
            ("backend", Known::Value(a)),
            ("backend-v2", Known::Value(unknown_dns)),
        ]));
    }

    #[test]
    fn a_service_is_server_or_client() {
        let config = ConfigView {
            client_services: Some(Known::Value(vec![
                Known::Value("backend".to_string()),
                Known::Value("frontend".to_string()),
            ])),
            ..example_base()
        };
        let violation = only(&config, Rule::ServerAlsoClient);
        assert_eq!(violation.field, Field::ClientService("backend".to_string()));
        assert_eq!(
            violation.detail,
            "\"backend\" is in both services and client_services. A service in services \
             already calls the others: remove it from client_services."
        );
        // Unknown services map: cannot tell.
        let config = ConfigView {
            services: Some(Known::Unknown),
            ..config
        };
        assert_clean(&config);
    }

    #[test]
    fn a_new_namespace_needs_a_server_first() {
        let clients_only = ConfigView {
            services: None,
            client_services: Some(Known::Value(vec![Known::Value("frontend".to_string())])),
            ..example_base()
        };
        let violation = only(&clients_only, Rule::ClientOnlyNewNamespace);
        assert_eq!(violation.field, Field::Attribute("client_services"));
        assert_eq!(
            violation.detail,
            "client_services lists \"frontend\" but services is empty, and this resource \
             creates the namespace. A client-only service cannot be the first in an empty \
             namespace (its deployment does not complete). Add at least one entry to \
             services, or use namespace_id with a namespace that already has servers."
        );
        // An empty map counts as empty; an unknown element still counts as a client.
        let config = ConfigView {
            services: Some(Known::Value(BTreeMap::new())),
            client_services: Some(Known::Value(vec![Known::Unknown])),
            ..clients_only.clone()
        };
        assert!(
            only(&config, Rule::ClientOnlyNewNamespace)
                .detail
                .starts_with("client_services lists services but services is empty")
        );
        // An existing namespace may already have servers.
        let config = ConfigView {
            namespace: None,
            vpc_id: None,
            namespace_id: text("ns-abcdefghijklmnop"),
            ..clients_only.clone()
        };
        assert_clean(&config);
        // Unknown services, or an unknown (but present) entry: not empty.
        assert_clean(&ConfigView {
            services: Some(Known::Unknown),
            ..clients_only.clone()
        });
        assert_clean(&ConfigView {
            services: Some(Known::Value(BTreeMap::from([(
                "backend".to_string(),
                Known::Unknown,
            )]))),
            ..clients_only.clone()
        });
        // No clients, no servers: just a namespace, which is fine.
        assert_clean(&ConfigView {
            client_services: Some(Known::Value(vec![])),
            ..clients_only
        });
    }

    // --- timeouts -----------------------------------------------------------------------

    #[test]
    fn parses_go_durations() {
        for (text, seconds, nanos) in [
            ("20m", 1200, 0),
            ("1h30m", 5400, 0),
            ("90s", 90, 0),
            ("1.5h", 5400, 0),
            (".5s", 0, 500_000_000),
            ("5.s", 5, 0),
            ("+2m", 120, 0),
            ("1h1m1s1ms1us1ns", 3661, 1_001_001),
            ("1\u{b5}s", 0, 1_000),
            ("1\u{3bc}s", 0, 1_000),
            ("0.000000001s", 0, 1),
            ("2562047h", 2562047 * 3600, 0),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::new(seconds, nanos)),
                "{text}"
            );
        }
        for (text, reason) in [
            ("", "it is empty"),
            ("-", "it is empty"),
            ("0", "it is zero"),
            ("0s", "it is zero"),
            ("0.0h", "it is zero"),
            ("-5m", "it is negative"),
            ("20", "the number \"20\" has no unit"),
            ("1h30", "the number \"30\" has no unit"),
            ("20 minutes", "\" minutes\" is not a unit"),
            ("20min", "\"min\" is not a unit"),
            ("1d", "\"d\" is not a unit"),
            ("m", "'m' is not where a number should be"),
            (" 20m", "' ' is not where a number should be"),
            (".s", "'s' is not where a number should be"),
            ("1h-5m", "\"h-\" is not a unit"),
            (
                "2562048h",
                "it is longer than Go durations allow (about 292 years)",
            ),
            (
                "99999999999999999999999999999999999999999h",
                "it is longer than Go durations allow (about 292 years)",
            ),
        ] {
            assert_eq!(parse_duration(text), Err(reason.to_string()), "{text:?}");
        }
    }

    #[test]
    fn timeouts_attribute() {
        assert_clean(&timeouts("1h30m"));
        let violation = only(&timeouts("20 minutes"), Rule::DurationInvalid);
        assert_eq!(violation.field, Field::Timeout("create"));
        assert_eq!(
            violation.detail,
            "timeouts.create is \"20 minutes\": \" minutes\" is not a unit. Use a Go duration: \
             numbers with units h, m, s, ms, us or ns, such as \"20m\", \"1h30m\", \"90s\" or \
             \"1.5h\"."
        );
        let violation = only(&timeouts("0s"), Rule::DurationNotPositive);
        assert_eq!(
            violation.detail,
            "timeouts.create is \"0s\": it is zero. Use a positive duration such as \"20m\", or \
             leave it out for the default."
        );
        let violation = only(&timeouts("-5m"), Rule::DurationNotPositive);
        assert_eq!(
            violation.detail,
            "timeouts.create is \"-5m\": it is negative. Use a positive duration such as \
             \"20m\", or leave it out for the default."
        );
        let all_bad = ConfigView {
            timeouts: Some(Known::Value(TimeoutsView {
                create: text("x"),
                update: Some(Known::Unknown),
                delete: text("0"),
            })),
            ..example_base()
        };
        let fields: Vec<Field> = validate_config(&all_bad)
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(
            fields,
            vec![Field::Timeout("create"), Field::Timeout("delete")]
        );
        assert_clean(&ConfigView {
            timeouts: Some(Known::Unknown),
            ..example_base()
        });
    }

    // --- tags ---------------------------------------------------------------------------

    #[test]
    fn tag_counts() {
        let fifty = (0..50).map(|i| (format!("t{i}"), String::new())).collect();
        assert_clean(&tagged(fifty));
        let many = (0..52).map(|i| (format!("t{i}"), String::new())).collect();
        let violation = only(&tagged(many), Rule::TooManyTags);
        assert_eq!(violation.field, Field::Attribute("tags"));
        assert_eq!(
            violation.detail,
            "tags has 52 entries, over the Cloud Map limit of 50 per resource. Remove 2 of them."
        );
    }

    #[test]
    fn tag_keys_and_values() {
        assert_clean(&tagged(vec![
            ("k".repeat(128), "v".repeat(256)),
            ("awsome".to_string(), String::new()),
            ("team:aws:x".to_string(), "aws:ok".to_string()),
        ]));

        let violation = only(
            &tagged(vec![(String::new(), "x".to_string())]),
            Rule::TagKeyLength,
        );
        assert_eq!(violation.field, Field::Tag(String::new()));
        assert_eq!(
            violation.detail,
            "The tag key \"\" is not valid: it is empty. Use a key of 1 to 128 characters."
        );
        let violation = only(
            &tagged(vec![("k".repeat(129), String::new())]),
            Rule::TagKeyLength,
        );
        assert_eq!(
            violation.detail,
            format!(
                "The tag key \"{}\"… is not valid: it is 129 characters long, over the limit of \
                 128. Use a key of 1 to 128 characters.",
                "k".repeat(60)
            )
        );

        for key in ["aws:team", "AWS:team", "Aws:x"] {
            let violation = only(
                &tagged(vec![(key.to_string(), String::new())]),
                Rule::TagKeyReserved,
            );
            assert_eq!(violation.field, Field::Tag(key.to_string()));
            assert_eq!(
                violation.detail,
                format!(
                    "The tag key {key:?} starts with \"aws:\", a prefix AWS reserves for its own \
                     tags. Rename the key."
                )
            );
        }
        assert!(!is_reserved_tag_key("aws"));
        assert!(!is_reserved_tag_key("éaws:"));

        let violation = only(
            &tagged(vec![("team".to_string(), "v".repeat(257))]),
            Rule::TagValueTooLong,
        );
        assert_eq!(violation.field, Field::Tag("team".to_string()));
        assert_eq!(
            violation.detail,
            "The value of tag \"team\" is 257 characters long, over the limit of 256. Shorten it."
        );
        // Unknown values and unknown maps are skipped.
        let config = ConfigView {
            tags: Some(Known::Value(BTreeMap::from([(
                "team".to_string(),
                Known::Unknown,
            )]))),
            ..example_base()
        };
        assert_clean(&config);
        assert_clean(&ConfigView {
            tags: Some(Known::Unknown),
            ..example_base()
        });
    }

    // --- unknowns -----------------------------------------------------------------------

    #[test]
    fn unknown_values_skip_their_checks() {
        let all_unknown = ConfigView {
            cluster: Some(Known::Unknown),
            namespace: Some(Known::Unknown),
            vpc_id: Some(Known::Unknown),
            namespace_id: None,
            description: Some(Known::Unknown),
            tags: Some(Known::Unknown),
            services: Some(Known::Unknown),
            client_services: Some(Known::Unknown),
            wait_for_steady_state: Some(Known::Unknown),
            timeouts: Some(Known::Unknown),
        };
        assert_clean(&all_unknown);

        // An unknown service entry: only its (always known) key is checked.
        let config = with_services(vec![("backend", Known::Unknown)]);
        assert_clean(&config);
        let config = with_services(vec![("bad key", Known::Unknown)]);
        assert_eq!(rules(&config), vec![Rule::ServiceNameInvalid]);

        // Every attribute of an entry unknown.
        let view = ServiceView {
            port_name: Some(Known::Unknown),
            discovery_name: Some(Known::Unknown),
            dns_name: Some(Known::Unknown),
            port: Some(Known::Unknown),
            ingress_port_override: Some(Known::Unknown),
            idle_timeout_seconds: Some(Known::Unknown),
            per_request_timeout_seconds: Some(Known::Unknown),
        };
        assert_clean(&one_service("backend", view));

        // Unknown client_services elements are neither validated nor compared.
        let config = ConfigView {
            client_services: Some(Known::Value(vec![Known::Unknown])),
            ..example_base()
        };
        assert_clean(&config);

        // With an unknown namespace name, default DNS names are not derived.
        let mut long = server("p");
        long.discovery_name = text(&"b".repeat(64));
        assert_clean(&ConfigView {
            namespace: Some(Known::Unknown),
            ..one_service("backend", long)
        });
    }

    #[test]
    fn several_violations_come_in_a_stable_order() {
        let mut view = server("Bad");
        view.port = num(0);
        let config = ConfigView {
            cluster: text("a b"),
            vpc_id: text("vpc-1"),
            tags: Some(Known::Value(BTreeMap::from([(
                "aws:x".to_string(),
                Known::Value(String::new()),
            )]))),
            timeouts: Some(Known::Value(TimeoutsView {
                update: text("soon"),
                ..TimeoutsView::default()
            })),
            ..one_service("backend", view)
        };
        assert_eq!(
            rules(&config),
            vec![
                Rule::ClusterInvalid,
                Rule::VpcIdInvalid,
                Rule::TagKeyReserved,
                Rule::PortNameInvalid,
                Rule::PortOutOfRange,
                Rule::DurationInvalid,
            ]
        );
    }

    #[test]
    fn fields_display_as_terraform_paths() {
        assert_eq!(Field::Attribute("vpc_id").to_string(), "vpc_id");
        assert_eq!(
            service_field("backend", "dns_name").to_string(),
            "services[\"backend\"].dns_name"
        );
        assert_eq!(
            Field::Service {
                key: "backend".to_string(),
                attribute: None
            }
            .to_string(),
            "services[\"backend\"]"
        );
        assert_eq!(
            Field::ClientService("web".to_string()).to_string(),
            "client_services[\"web\"]"
        );
        assert_eq!(Field::Tag("team".to_string()).to_string(), "tags[\"team\"]");
        assert_eq!(Field::Timeout("create").to_string(), "timeouts.create");
    }

    // --- the rules table and its documentation ------------------------------------------

    #[test]
    fn every_rule_has_a_distinct_id_and_an_example_that_breaks_only_it() {
        let ids: std::collections::BTreeSet<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        assert_eq!(ids.len(), Rule::ALL.len());
        for rule in Rule::ALL {
            assert_eq!(rules(&example(rule)), vec![rule], "example of {rule}");
        }
        for (rule, text, message) in rules_table() {
            assert!(!text.is_empty(), "{rule}");
            assert!(
                message.starts_with(&format!("{}: ", rule.summary())),
                "{rule}: {message}"
            );
            assert!(!message.contains('\n'), "{rule}: one line");
        }
    }

    const DOCS: &str = include_str!("../../docs/validation.md");
    const BEGIN: &str = "<!-- rules:begin -->\n";
    const END: &str = "<!-- rules:end -->";

    #[test]
    fn docs_list_every_rule_with_its_current_example() {
        for (rule, _, message) in rules_table() {
            assert!(
                DOCS.contains(&format!("`{}`", rule.id())),
                "docs/validation.md lacks rule {rule}; run `cargo test --lib \
                 mesh::validate::tests::regenerate_docs -- --ignored`"
            );
            assert!(
                DOCS.contains(&message.replace('|', "\\|")),
                "docs/validation.md lacks the example message of {rule}: {message}; run `cargo \
                 test --lib mesh::validate::tests::regenerate_docs -- --ignored`"
            );
        }
    }

    /// Rewrites the table between the markers in docs/validation.md.
    #[test]
    #[ignore = "writes docs/validation.md"]
    fn regenerate_docs() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/validation.md");
        let current = std::fs::read_to_string(path).expect("read docs/validation.md");
        let start = current.find(BEGIN).expect("begin marker") + BEGIN.len();
        let end = current.find(END).expect("end marker");
        let updated = format!(
            "{}{}{}",
            &current[..start],
            rules_markdown(),
            &current[end..]
        );
        std::fs::write(path, updated).expect("write docs/validation.md");
    }
}
