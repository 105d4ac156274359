//! The mesh as the practitioner wants it (desired) and as AWS has it (observed), in
//! plain types: no SDK, no protocol.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where the services meet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceSpec {
    /// A private DNS namespace this resource creates, owns and deletes.
    Owned {
        name: String,
        vpc_id: String,
        description: Option<String>,
        /// The provider's default tags under the resource's own.
        tags: BTreeMap<String, String>,
    },
    /// An existing namespace this resource wires onto but never creates or deletes.
    Existing { id: String },
}

/// A setting of Service Connect (TLS, proxy logs, access logs) that this resource
/// manages only when its configuration says so: settings made outside Terraform survive
/// until the configuration names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Setting<T> {
    /// Not in the configuration: whatever the service has is sent back unchanged.
    #[default]
    Keep,
    /// Managed: exactly this.
    Set(T),
    /// Was in the configuration and left it: removed.
    Clear,
}

impl<T: Clone + PartialEq> Setting<T> {
    /// The setting as AWS has it (an observed value is either there or not).
    pub fn observed(value: Option<T>) -> Self {
        value.map_or(Setting::Clear, Setting::Set)
    }

    /// Whether `observed` already is what this asks for.
    pub fn is_met_by(&self, observed: Option<&T>) -> bool {
        match self {
            Setting::Keep => true,
            Setting::Set(value) => observed == Some(value),
            Setting::Clear => observed.is_none(),
        }
    }

    /// What to send, given what the service has now.
    pub fn resolve(&self, current: Option<T>) -> Option<T> {
        match self {
            Setting::Keep => current,
            Setting::Set(value) => Some(value.clone()),
            Setting::Clear => None,
        }
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Setting::Set(value) => Some(value),
            Setting::Keep | Setting::Clear => None,
        }
    }
}

/// TLS of one endpoint: Service Connect issues its certificates from an AWS Private CA.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSpec {
    pub aws_pca_authority_arn: String,
    pub kms_key: Option<String>,
    pub role_arn: Option<String>,
}

/// The Service Connect proxy's own log configuration (the shape of ECS's
/// LogConfiguration).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSpec {
    pub log_driver: String,
    pub options: BTreeMap<String, String>,
    /// (name, valueFrom) of each secret option, in order.
    pub secret_options: Vec<(String, String)>,
}

/// The proxy's access logs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogSpec {
    /// `TEXT` or `JSON`.
    pub format: String,
    /// ENABLED / DISABLED; `None` leaves AWS's default (DISABLED).
    pub include_query_parameters: Option<bool>,
}

/// One endpoint a service serves: a port alias under a discovery name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointSpec {
    /// The port mapping name in the task definition (the "port alias").
    pub port_name: String,
    pub discovery_name: String,
    pub dns_name: String,
    /// The client alias port. `None` until resolved from the task definition.
    pub port: Option<u16>,
    pub ingress_port_override: Option<u16>,
    pub idle_timeout_seconds: Option<u32>,
    pub per_request_timeout_seconds: Option<u32>,
    /// The mesh-wide per-request timeout, for an endpoint that sets none: applied at
    /// apply where the port mapping is HTTP, HTTP/2 or gRPC (a TCP port takes none).
    pub inherited_per_request_timeout_seconds: Option<u32>,
    pub tls: Setting<TlsSpec>,
}

impl EndpointSpec {
    /// Whether `observed` (as AWS has it) already is this endpoint.
    pub fn is_met_by(&self, observed: &EndpointSpec) -> bool {
        self.port_name == observed.port_name
            && self.discovery_name == observed.discovery_name
            && self.dns_name == observed.dns_name
            && self.port == observed.port
            && self.ingress_port_override == observed.ingress_port_override
            && self.idle_timeout_seconds == observed.idle_timeout_seconds
            && self.per_request_timeout_seconds == observed.per_request_timeout_seconds
            && self.tls.is_met_by(observed.tls.value())
    }

    /// What clients see of it: its name, DNS name and port. A change of any of them
    /// must reach the clients' tasks.
    pub fn address(&self) -> (&str, &str, Option<u16>) {
        (&self.discovery_name, &self.dns_name, self.port)
    }
}

/// What one ECS service should look like: the endpoints it serves ("client and
/// server"), or none ("client only"), and the proxy's logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wiring {
    /// In the order they are sent.
    pub endpoints: Vec<EndpointSpec>,
    pub log: Setting<LogSpec>,
    pub access_log: Setting<AccessLogSpec>,
}

impl Wiring {
    /// A client that leaves the proxy's logs as they are.
    pub fn client() -> Self {
        Self::default()
    }

    pub fn is_server(&self) -> bool {
        !self.endpoints.is_empty()
    }

    pub fn discovery_names(&self) -> impl Iterator<Item = &str> {
        self.endpoints.iter().map(|e| e.discovery_name.as_str())
    }

    /// Whether `observed` (as AWS has it) already is this wiring: the same endpoints,
    /// in any order, and the settings this wiring manages.
    pub fn is_met_by(&self, observed: &Wiring) -> bool {
        self.endpoints.len() == observed.endpoints.len()
            && self.endpoints.iter().all(|wanted| {
                observed.endpoints.iter().any(|have| {
                    have.discovery_name == wanted.discovery_name && wanted.is_met_by(have)
                })
            })
            && self.log.is_met_by(observed.log.value())
            && self.access_log.is_met_by(observed.access_log.value())
    }
}

/// The whole desired mesh of one resource, once every value is known (at apply).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredMesh {
    /// The ECS cluster's name (ARNs are normalised to names).
    pub cluster: String,
    pub namespace: NamespaceSpec,
    /// Keyed by ECS service name.
    pub services: BTreeMap<String, Wiring>,
}

impl NamespaceSpec {
    pub fn is_owned(&self) -> bool {
        matches!(self, NamespaceSpec::Owned { .. })
    }

    /// The tags this resource puts on the namespace: none on one it does not own.
    pub fn tags(&self) -> BTreeMap<String, String> {
        match self {
            NamespaceSpec::Owned { tags, .. } => tags.clone(),
            NamespaceSpec::Existing { .. } => BTreeMap::new(),
        }
    }
}

/// One `services[]` entry of a Service Connect configuration, as read from AWS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedEndpoint {
    pub port_name: String,
    pub discovery_name: Option<String>,
    /// Client aliases: (dns name, port). The API allows exactly one.
    pub client_aliases: Vec<(Option<String>, u16)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_port_override: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_request_timeout_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,
}

/// Service Connect as the PRIMARY deployment of an ECS service carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedServiceConnect {
    pub enabled: bool,
    /// Echoed as given: a name, an ARN, or (rarely) an id.
    pub namespace: Option<String>,
    pub endpoints: Vec<ObservedEndpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log: Option<AccessLogSpec>,
}

/// An ECS service as DescribeServices shows it. Serialized only where a refresh hands
/// it on (`RecentRead`), keyed by its name: the fields that are not set, and the name,
/// are left out (stored with the state, so kept small).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedService {
    #[serde(skip)]
    pub name: String,
    pub arn: String,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: String,
    pub task_definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect: Option<ObservedServiceConnect>,
    /// Cloud Map services ECS made for this service: (discovery name, ARN).
    pub discovery_resources: Vec<(String, String)>,
    /// Its deployments, newest first as ECS lists them. Not kept when a refresh hands the
    /// service on (`RecentRead`): a rollout is always watched with a fresh read.
    #[serde(skip)]
    pub deployments: Vec<ObservedDeployment>,
    /// `ECS` (rolling update), `CODE_DEPLOY` or `EXTERNAL`; ECS when not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_controller: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<String>,
}

#[cfg(test)]
impl ObservedService {
    /// An ACTIVE service without Service Connect, as tests start from.
    pub fn active_unwired(name: &str) -> Self {
        Self {
            name: name.into(),
            arn: format!("arn:aws:ecs:eu-west-1:1:service/prod/{name}"),
            status: "ACTIVE".into(),
            task_definition: format!("arn:aws:ecs:eu-west-1:1:task-definition/{name}:3"),
            service_connect: None,
            discovery_resources: Vec::new(),
            deployments: Vec::new(),
            deployment_controller: None,
            launch_type: None,
        }
    }
}

#[cfg(test)]
impl ObservedServiceConnect {
    /// Service Connect in `namespace` serving one endpoint under `<discovery>.internal.myapp`.
    pub fn serving(namespace: &str, port_name: &str, discovery_name: &str, port: u16) -> Self {
        Self {
            enabled: true,
            namespace: Some(namespace.into()),
            endpoints: vec![ObservedEndpoint {
                port_name: port_name.into(),
                discovery_name: Some(discovery_name.into()),
                client_aliases: vec![(Some(format!("{discovery_name}.internal.myapp")), port)],
                ..ObservedEndpoint::default()
            }],
            ..Self::default()
        }
    }
}

#[cfg(test)]
impl EndpointSpec {
    /// An endpoint with nothing but its names and port, as tests start from.
    pub fn plain(port_name: &str, discovery_name: &str, port: Option<u16>) -> Self {
        Self {
            port_name: port_name.into(),
            discovery_name: discovery_name.into(),
            dns_name: format!("{discovery_name}.internal.myapp"),
            port,
            ingress_port_override: None,
            idle_timeout_seconds: None,
            per_request_timeout_seconds: None,
            inherited_per_request_timeout_seconds: None,
            tls: Setting::Keep,
        }
    }
}

impl ObservedService {
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }

    /// Deployments other than the PRIMARY one still running (a rollout in progress).
    pub fn draining_deployments(&self) -> usize {
        self.deployments.iter().filter(|d| !d.is_primary()).count()
    }

    pub fn primary(&self) -> Option<&ObservedDeployment> {
        self.deployments.iter().find(|d| d.is_primary())
    }
}

/// One deployment of an ECS service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedDeployment {
    pub id: String,
    /// PRIMARY, ACTIVE (an older one still running) or INACTIVE.
    pub status: String,
    /// IN_PROGRESS, COMPLETED or FAILED; ECS leaves it out for deployments it does not
    /// track (a classic load balancer, say).
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
}

impl ObservedDeployment {
    pub fn is_primary(&self) -> bool {
        self.status == "PRIMARY"
    }
}

/// A Cloud Map private DNS namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedNamespace {
    pub id: String,
    pub arn: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<String>,
    /// `DNS_PRIVATE`, `DNS_PUBLIC` or `HTTP`, when Cloud Map said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The idempotency token it was created with: tells our own namespaces apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_request_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// The named port mappings of a task definition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortMappings(pub Vec<PortMapping>);

/// One named port mapping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortMapping {
    pub name: String,
    pub container_port: Option<u16>,
    /// `http`, `http2` or `grpc`; none is TCP to Service Connect.
    pub app_protocol: Option<String>,
}

/// What a task definition says of one port alias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortLookup {
    Port(u16),
    /// A mapping of that name without a container port.
    NoContainerPort,
    Missing,
}

impl PortMapping {
    /// Whether Service Connect treats the port as plain TCP: per-request timeouts do
    /// not apply to it (botocore ECS model, TimeoutConfiguration).
    pub fn is_tcp(&self) -> bool {
        !matches!(
            self.app_protocol.as_deref(),
            Some("http" | "http2" | "grpc")
        )
    }
}

impl PortMappings {
    pub fn lookup(&self, port_name: &str) -> PortLookup {
        match self.get(port_name) {
            Some(PortMapping {
                container_port: Some(port),
                ..
            }) => PortLookup::Port(*port),
            Some(_) => PortLookup::NoContainerPort,
            None => PortLookup::Missing,
        }
    }

    pub fn get(&self, port_name: &str) -> Option<&PortMapping> {
        self.0.iter().find(|mapping| mapping.name == port_name)
    }

    /// The mapping names, as a message lists them.
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|mapping| mapping.name.as_str()).collect()
    }
}
