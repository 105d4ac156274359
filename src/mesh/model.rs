//! The mesh as the practitioner wants it (desired) and as AWS has it (observed), in
//! plain types: no SDK, no protocol.

use std::collections::BTreeMap;

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

/// A "client and server" service: it serves on a port alias and calls the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// The port mapping name in the task definition (the "port alias").
    pub port_name: String,
    pub discovery_name: String,
    pub dns_name: String,
    /// The client alias port. `None` until resolved from the task definition.
    pub port: Option<u16>,
    pub ingress_port_override: Option<u16>,
    pub idle_timeout_seconds: Option<u32>,
    pub per_request_timeout_seconds: Option<u32>,
}

/// What one ECS service should look like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wiring {
    Server(ServerSpec),
    /// Calls the others through the namespace; serves nothing.
    Client,
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedEndpoint {
    pub port_name: String,
    pub discovery_name: Option<String>,
    /// Client aliases: (dns name, port). The API allows exactly one.
    pub client_aliases: Vec<(Option<String>, u16)>,
    pub ingress_port_override: Option<u16>,
    pub idle_timeout_seconds: Option<u32>,
    pub per_request_timeout_seconds: Option<u32>,
}

/// Service Connect as the PRIMARY deployment of an ECS service carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedServiceConnect {
    pub enabled: bool,
    /// Echoed as given: a name, an ARN, or (rarely) an id.
    pub namespace: Option<String>,
    pub endpoints: Vec<ObservedEndpoint>,
    /// Settings we never manage but must send back (log configuration, TLS, …).
    pub has_unmanaged_settings: bool,
}

/// An ECS service as DescribeServices shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedService {
    pub name: String,
    pub arn: String,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: String,
    pub task_definition: String,
    pub service_connect: Option<ObservedServiceConnect>,
    /// Cloud Map services ECS made for this service: (discovery name, ARN).
    pub discovery_resources: Vec<(String, String)>,
    /// Deployments other than the PRIMARY one still running (a rollout in progress).
    pub draining_deployments: usize,
}

impl ObservedService {
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

/// A Cloud Map private DNS namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedNamespace {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub description: Option<String>,
    pub hosted_zone_id: Option<String>,
    /// The idempotency token it was created with: tells our own namespaces apart.
    pub creator_request_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// The named port mappings of a task definition: (name, container port).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortMappings(pub Vec<(String, Option<u16>)>);

/// What a task definition says of one port alias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortLookup {
    Port(u16),
    /// A mapping of that name without a container port.
    NoContainerPort,
    Missing,
}

impl PortMappings {
    pub fn lookup(&self, port_name: &str) -> PortLookup {
        match self.0.iter().find(|(name, _)| name == port_name) {
            Some((_, Some(port))) => PortLookup::Port(*port),
            Some((_, None)) => PortLookup::NoContainerPort,
            None => PortLookup::Missing,
        }
    }

    /// The mapping names, as a message lists them.
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|(name, _)| name.as_str()).collect()
    }
}
