//! The rule catalogue: each rule's id, summary and text, and the violations found.

use std::fmt;

// ---------------------------------------------------------------------------------------
// Violations
// ---------------------------------------------------------------------------------------

/// Where a violation is, without protocol types. Terraform can point at a map entry
/// (`services["backend"]`) or a top-level attribute, but not inside either, so a service
/// keeps its key and attribute apart and the resource layer picks how deep to point:
/// anything in a `services` entry (its endpoints, its TLS, its logs) points at the entry,
/// anything in a top-level `tls`, `log_configuration` or `access_log_configuration` at
/// that attribute. Display shows the full location.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// A top-level attribute such as `"namespace"`.
    Attribute(&'static str),
    /// A `services` entry (`attribute: None` for the entry or its key).
    Service {
        key: String,
        attribute: Option<&'static str>,
    },
    /// An `endpoints` entry of the `services` entry `service` (`attribute: None` for the
    /// entry or its key, the discovery name).
    Endpoint {
        service: String,
        key: String,
        attribute: Option<&'static str>,
    },
    /// Inside `tls`, `log_configuration` or `access_log_configuration` (`attribute`),
    /// written on the resource (`service: None`), on a `services` entry, or on one of its
    /// `endpoints` entries (TLS); `inner` is the rest of the location, such as
    /// `.kms_key` or `.secret_options[0].name`.
    Setting {
        service: Option<String>,
        endpoint: Option<String>,
        attribute: &'static str,
        inner: String,
    },
    /// An `external_services` entry (`attribute: None` for the entry or its key).
    External {
        name: String,
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
            Field::Endpoint {
                service,
                key,
                attribute,
            } => {
                write!(f, "services[{service:?}].endpoints[{key:?}]")?;
                match attribute {
                    Some(attribute) => write!(f, ".{attribute}"),
                    None => Ok(()),
                }
            }
            Field::Setting {
                service,
                endpoint,
                attribute,
                inner,
            } => {
                if let Some(service) = service {
                    write!(f, "services[{service:?}].")?;
                }
                if let Some(endpoint) = endpoint {
                    write!(f, "endpoints[{endpoint:?}].")?;
                }
                write!(f, "{attribute}{inner}")
            }
            Field::External {
                name,
                attribute: None,
            } => write!(f, "external_services[{name:?}]"),
            Field::External {
                name,
                attribute: Some(attribute),
            } => write!(f, "external_services[{name:?}].{attribute}"),
            Field::ClientService(name) => write!(f, "client_services[{name:?}]"),
            Field::Tag(key) => write!(f, "tags[{key:?}]"),
            Field::Timeout(name) => write!(f, "timeouts.{name}"),
        }
    }
}

/// What was broken, as a stable identifier for code and docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    RequiredNull,
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
    EndpointsConflict,
    EndpointsEmpty,
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
    PcaAuthorityArnInvalid,
    KmsKeyInvalid,
    RoleArnInvalid,
    LogDriverInvalid,
    SecretOptionEmpty,
    AccessLogFormatInvalid,
    ExternalNameInvalid,
    ExternalNameTaken,
    AddressInvalid,
    TtlOutOfRange,
    DurationInvalid,
    DurationNotPositive,
    TooManyTags,
    TagKeyLength,
    TagKeyReserved,
    TagValueTooLong,
}

impl Rule {
    /// Every rule, in documentation order (for the docs table, built by the tests).
    #[cfg(test)]
    pub const ALL: [Rule; 41] = [
        Rule::RequiredNull,
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
        Rule::EndpointsConflict,
        Rule::EndpointsEmpty,
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
        Rule::PcaAuthorityArnInvalid,
        Rule::KmsKeyInvalid,
        Rule::RoleArnInvalid,
        Rule::LogDriverInvalid,
        Rule::SecretOptionEmpty,
        Rule::AccessLogFormatInvalid,
        Rule::ExternalNameInvalid,
        Rule::ExternalNameTaken,
        Rule::AddressInvalid,
        Rule::TtlOutOfRange,
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
            Rule::RequiredNull => "required-null",
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
            Rule::EndpointsConflict => "endpoints-conflict",
            Rule::EndpointsEmpty => "endpoints-empty",
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
            Rule::PcaAuthorityArnInvalid => "pca-authority-arn-invalid",
            Rule::KmsKeyInvalid => "kms-key-invalid",
            Rule::RoleArnInvalid => "role-arn-invalid",
            Rule::LogDriverInvalid => "log-driver-invalid",
            Rule::SecretOptionEmpty => "secret-option-empty",
            Rule::AccessLogFormatInvalid => "access-log-format-invalid",
            Rule::ExternalNameInvalid => "external-name-invalid",
            Rule::ExternalNameTaken => "external-name-taken",
            Rule::AddressInvalid => "address-invalid",
            Rule::TtlOutOfRange => "ttl-out-of-range",
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
            Rule::RequiredNull => "Missing required value",
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
            Rule::EndpointsConflict => "Conflicting endpoint settings",
            Rule::EndpointsEmpty => "No endpoints",
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
            Rule::ClientOnlyNewNamespace => "Client-only services with no server",
            Rule::PcaAuthorityArnInvalid => "Invalid private CA ARN",
            Rule::KmsKeyInvalid => "Invalid KMS key",
            Rule::RoleArnInvalid => "Invalid IAM role ARN",
            Rule::LogDriverInvalid => "Invalid log driver",
            Rule::SecretOptionEmpty => "Empty secret option",
            Rule::AccessLogFormatInvalid => "Invalid access log format",
            Rule::ExternalNameInvalid => "Invalid standalone server name",
            Rule::ExternalNameTaken => "Name already used",
            Rule::AddressInvalid => "Invalid address",
            Rule::TtlOutOfRange => "TTL out of range",
            Rule::DurationInvalid => "Invalid duration",
            Rule::DurationNotPositive => "Duration not positive",
            Rule::TooManyTags => "Too many tags",
            Rule::TagKeyLength => "Invalid tag key length",
            Rule::TagKeyReserved => "Reserved tag key",
            Rule::TagValueTooLong => "Tag value too long",
        }
    }

    /// The rule itself, with its limit and where the limit comes from: the docs table's
    /// middle column (built by the tests).
    #[cfg(test)]
    pub fn text(self) -> &'static str {
        match self {
            Rule::RequiredNull => {
                "`cluster`; each `services` entry and its `port_name` (or `endpoints`); each `endpoints` entry and its `port_name`; each `client_services` element and tag value; and, wherever `tls`, `log_configuration` and `access_log_configuration` are written, `aws_pca_authority_arn` (TLS without a CA is refused, whatever `kms_key` says), `log_driver`, each `options` value, each `secret_options` element with its `name` and `value_from`, and `format` need a value: an explicit `null` counts as missing (Terraform hands it to the provider as is)."
            }
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
            Rule::EndpointsConflict => {
                "A `services` entry is written in one of two forms: `port_name` with `discovery_name`, `dns_name`, `port`, `ingress_port_override`, `idle_timeout_seconds`, `per_request_timeout_seconds` and `tls` beside it (one endpoint), or `endpoints`, keyed by discovery name, with those settings in each endpoint. An entry with `endpoints` sets none of the others."
            }
            Rule::EndpointsEmpty => {
                "`endpoints` has at least one entry: a service in `services` serves something; one that only calls the others belongs in `client_services`."
            }
            Rule::PortNameInvalid => {
                "`port_name`, on a `services` entry or in each `endpoints` entry, is a task definition port mapping name: 1-64 lowercase letters, digits, underscores and hyphens, not starting with a hyphen (ECS PortMapping.name)."
            }
            Rule::DiscoveryNameInvalid => {
                "`discovery_name`, and each `endpoints` key (the endpoint's discovery name), is 1-64 lowercase letters, digits, underscores and hyphens, not starting with a hyphen (ECS ServiceConnectService.discoveryName)."
            }
            Rule::DefaultDiscoveryNameInvalid => {
                "Without `discovery_name`, the service name (the `services` key) is used, so it must then follow the discovery name rule; otherwise set `discovery_name`."
            }
            Rule::DnsNameInvalid => {
                "`dns_name`, on a `services` entry or an `endpoints` entry, is at most 127 lowercase letters, digits, underscores, hyphens and dots, not starting with a hyphen (ECS ServiceConnectClientAlias.dnsName), with no empty label and labels of at most 63 characters (a valid DNS name)."
            }
            Rule::DefaultDnsNameInvalid => {
                "Without `dns_name`, `<discovery name>.<namespace>` is used (the discovery name is `discovery_name`, the `services` key, or the `endpoints` key), so it must then follow the DNS name rule (at most 127 characters); otherwise set `dns_name`."
            }
            Rule::PortOutOfRange => {
                "`port` (of every endpoint, in either form) is 1-65535. ECS accepts 0-65535, but a client alias on port 0 gives clients no port to call, so this provider rejects 0."
            }
            Rule::IngressPortOverrideOutOfRange => {
                "`ingress_port_override` (of every endpoint) is 1025-65535 (ECS: \"IngressPortOverride cannot use ports <= 1024\")."
            }
            Rule::TimeoutSecondsOutOfRange => {
                "`idle_timeout_seconds` and `per_request_timeout_seconds` (of every endpoint) are 0-2147483647; 0 disables the timeout (ECS TimeoutConfiguration)."
            }
            Rule::DuplicateDiscoveryName => {
                "Discovery names (`discovery_name`, defaulted to the `services` key, or `endpoints` keys) are unique across all endpoints of all services: each is a Cloud Map service in the namespace."
            }
            Rule::DuplicateEndpoint => {
                "Endpoints (DNS name and port) are unique across all endpoints of all services (ECS: \"Each name and port mapping must be unique within the namespace\"); checked where both are known at plan time."
            }
            Rule::ServerAlsoClient => {
                "A service is in `services` or in `client_services`, not both: a server service is already a client."
            }
            Rule::ClientOnlyNewNamespace => {
                "When the namespace is this resource's own (`namespace` and `vpc_id`), `client_services` needs at least one entry in `services`: the first service in an empty namespace must not be client-only (ECS developer guide)."
            }
            Rule::PcaAuthorityArnInvalid => {
                "`tls.aws_pca_authority_arn` is the ARN of an AWS Private CA, `arn:PARTITION:acm-pca:REGION:ACCOUNT:certificate-authority/ID` (ECS ServiceConnectTlsCertificateAuthority: \"The ARN of the Amazon Web Services Private Certificate Authority certificate\"). ECS's model types it as a plain string; this provider checks the form so that a typo fails the plan, not a deployment."
            }
            Rule::KmsKeyInvalid => {
                "`tls.kms_key` names a KMS key in a form KMS takes for a key: a key id (a UUID, or `mrk-` and 32 hexadecimal digits for a multi-Region key), a key ARN `arn:PARTITION:kms:REGION:ACCOUNT:key/ID`, an alias name `alias/NAME` or an alias ARN. ECS says only \"The Amazon Web Services Key Management Service key\" (ServiceConnectTlsConfiguration.kmsKey, a string); left out, an AWS owned key is used."
            }
            Rule::RoleArnInvalid => {
                "`tls.role_arn` is an IAM role ARN, `arn:PARTITION:iam::ACCOUNT:role/NAME` with an optional path (`role/PATH/NAME`) and a name of 1-64 letters, digits and `+=,.@_-` (ECS ServiceConnectTlsConfiguration.roleArn: \"The Amazon Resource Name (ARN) of the IAM role that's associated with the Service Connect TLS\"; IAM role names)."
            }
            Rule::LogDriverInvalid => {
                "`log_configuration.log_driver` is one of ECS's LogDriver values, written as listed: `json-file`, `syslog`, `journald`, `gelf`, `fluentd`, `awslogs`, `splunk`, `awsfirelens` (botocore ECS LogDriver; on Fargate only `awslogs`, `splunk` and `awsfirelens`). terraform-provider-aws checks the same list. Other Docker drivers (`none`, `sumologic`) are reported to work in task definitions on EC2, but ECS documents none for Service Connect, so this provider refuses them."
            }
            Rule::SecretOptionEmpty => {
                "Each `log_configuration.secret_options` entry has a non-empty `name` (the log driver option it sets) and `value_from`: the ARN of a Secrets Manager secret or SSM parameter, or the parameter's name in the same Region (ECS Secret: both required)."
            }
            Rule::AccessLogFormatInvalid => {
                "`access_log_configuration.format` is `TEXT` or `JSON`, in capitals (botocore ECS ServiceConnectAccessLoggingFormat)."
            }
            Rule::ExternalNameInvalid => {
                "`external_services` keys are names in the namespace: one DNS label of 1-63 lowercase letters, digits, underscores and hyphens, not starting or ending with a hyphen (Cloud Map answers `<name>.<namespace>`)."
            }
            Rule::ExternalNameTaken => {
                "A standalone server's name is not also an endpoint's discovery name: each is one Cloud Map service in the namespace."
            }
            Rule::AddressInvalid => {
                "`addresses` lists at least one IPv4 address, each once, written as four numbers 0-255 without leading zeros (Cloud Map `AWS_INSTANCE_IPV4`, an A record). A public address is allowed, with a warning: that traffic does not stay in the VPC."
            }
            Rule::TtlOutOfRange => "`ttl` is 0-2147483647 seconds (Cloud Map DnsRecord TTL).",
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
    pub(super) fn new(rule: Rule, field: Field, detail: String) -> Self {
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
