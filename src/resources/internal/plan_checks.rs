//! Plan-time checks against AWS, read-only. They inform; they never block what may
//! become true during the apply. A cluster, ECS service or task definition that does
//! not exist yet is often created by another resource in the same apply, so it is a
//! warning and its port stays "known after apply". What can only be wrong is an error:
//! a port alias missing from the task definition an existing service runs, a namespace
//! name taken in the VPC by someone else, a `namespace_id` that does not exist.
//!
//! Terraform's `destroy` first runs a normal plan to refresh, and an error there stops
//! the destroy; that plan is indistinguishable from any other. So once the resource
//! exists (a prior state), the port-alias check warns instead: apply reports that
//! service's failure precisely, and a destroy never depends on the checks.
//!
//! Only what the plan changes is checked, each distinct task definition is read once,
//! and nothing is checked while values or the provider configuration are unknown.

use std::collections::{BTreeMap, BTreeSet};

use super::grouping::{name_list, one_each_or_grouped};
use super::model::{InternalModel, PriorNamespace};
use super::namespace::{Maker, maker, private_namespaces_in_vpc};
use super::services::ServiceModel;
use crate::aws::ecs::EcsService;
use crate::aws::error::{ErrorKind, GatewayError};
use crate::aws::gateway::Gateway;
use crate::mesh::model::{PortLookup, PortMappings};
use crate::mesh::names::cluster_name;
use crate::mesh::reconcile::{NamespaceRef, is_in_place};
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::value::{Attr, AttributePath};

fn service_path(key: &str) -> AttributePath {
    AttributePath::root().attribute("services").key(key)
}

/// The sentence every "not there yet" warning ends with.
const SAME_APPLY: &str = "If this configuration creates it in the same apply, nothing is wrong: \
    the apply waits up to 2 minutes for it and reads its port then (until then the port is \
    known after apply). Otherwise check the name, and that the provider's region and account \
    are the right ones.";

/// What the namespace checks read of the planned object, taken before the services'
/// checks (which fill in ports) so that both ask AWS in the same round trips.
struct NamespaceFacts {
    owned: bool,
    namespace_id: Attr<String>,
    name: Attr<String>,
    vpc_id: Attr<String>,
    /// The namespace to read when standalone servers need a private DNS one.
    key: Option<String>,
    adds_external: bool,
}

impl NamespaceFacts {
    fn of(context: &Context<'_>, planned: &InternalModel) -> Self {
        let has_external = |model: &InternalModel| {
            model
                .external_services
                .known()
                .is_some_and(|e| !e.is_empty())
        };
        Self {
            owned: planned.owns_namespace(),
            namespace_id: planned.namespace_id.clone(),
            name: planned.namespace.clone(),
            vpc_id: planned.vpc_id.clone(),
            key: planned.namespace_key().filter(|k| !k.is_empty()).cloned(),
            adds_external: has_external(planned) && !context.prior.is_some_and(has_external),
        }
    }
}

/// Standalone servers are A records in the namespace's private hosted zone: an existing
/// namespace named by `namespace_id` must be a private DNS one (an owned namespace
/// always is). Asked once, when the plan adds the first standalone server.
async fn check_external_namespace(
    gateway: &Gateway,
    context: &Context<'_>,
    facts: &NamespaceFacts,
) -> Result<Option<Diagnostic>, GatewayError> {
    if facts.owned || !facts.adds_external {
        return Ok(None);
    }
    let Some(key) = &facts.key else {
        return Ok(None);
    };
    let Some(namespace) = gateway.cloudmap.get_namespace(key).await? else {
        return Ok(None); // reported where the namespace is read
    };
    let kind = namespace.kind.as_deref().unwrap_or("DNS_PRIVATE");
    if kind == "DNS_PRIVATE" {
        return Ok(None);
    }
    let detail = format!(
        "external_services names standalone servers with A records in the namespace's private hosted \
         zone, but namespace {} ({}) is of type {kind}. Use a private DNS namespace (the one this \
         resource creates with `namespace` and `vpc_id`, or another of type DNS_PRIVATE).",
        namespace.name, namespace.id
    );
    let refused = refusal(
        context,
        "Standalone servers need a private DNS namespace",
        detail,
        "Until then, registering the standalone servers fails.",
    );
    Ok(Some(
        refused.at(AttributePath::root().attribute("external_services")),
    ))
}

/// What the checks know of the plan they check.
pub(super) struct Context<'a> {
    pub prior: Option<&'a InternalModel>,
    /// The namespace of the object this plan starts from or replaces: its own, never
    /// "someone else's".
    pub replaced: Option<&'a PriorNamespace>,
}

/// The checks' findings, and the name of the namespace the plan creates when no private
/// DNS namespace has it yet (for the apply: see `PrivateState::name_unused`).
pub(super) async fn check(
    gateway: &Gateway,
    context: &Context<'_>,
    planned: &mut InternalModel,
) -> (Diagnostics, Option<String>) {
    let Attr::Known(cluster) = planned.cluster.clone() else {
        return (Diagnostics::default(), None);
    };
    let cluster = cluster_name(&cluster).to_string();
    let facts = NamespaceFacts::of(context, planned);
    // The namespace's checks need nothing the services' checks find: they run beside
    // them, so a plan waits for the longer of the two, not for both.
    let services = async {
        let mut found = Diagnostics::default();
        if let Err(err) = check_services(gateway, &cluster, context, planned, &mut found).await {
            found.push(Diagnostic::error(
                "Checking the ECS services failed",
                err.to_string(),
            ));
        }
        found
    };
    let namespace = async {
        let mut found = Diagnostics::default();
        match check_external_namespace(gateway, context, &facts).await {
            Ok(Some(refused)) => found.push(refused),
            Ok(None) => {}
            Err(err) => found.push(Diagnostic::error(
                "Checking the namespace failed",
                err.to_string(),
            )),
        }
        let mut unused = None;
        if context.prior.is_none() {
            match check_namespace(gateway, &cluster, context.replaced, &facts, &mut found).await {
                Ok(name) => unused = name,
                Err(err) => found.push(Diagnostic::error(
                    "Checking the namespace failed",
                    err.to_string(),
                )),
            }
        }
        (found, unused)
    };
    let (mut diagnostics, (namespace, unused)) = tokio::join!(services, namespace);
    diagnostics.extend(namespace);
    (diagnostics, unused)
}

/// What the port checks of one entry depend on: each endpoint's port name and
/// per-request timeout.
fn port_facts(service: &ServiceModel) -> Vec<(Attr<String>, Attr<u32>)> {
    service
        .endpoint_list()
        .into_iter()
        .map(|(_, e)| (e.port_name, e.per_request_timeout_seconds))
        .collect()
}

/// The services a plan checks: servers whose wiring the plan changes or whose port is
/// still to be found, and clients new to this resource.
struct Checked {
    servers: Vec<String>,
    /// Servers and clients, each once, sorted.
    names: Vec<String>,
}

impl Checked {
    fn of(prior: Option<&InternalModel>, planned: &InternalModel) -> Self {
        let prior_services = prior.and_then(|p| p.services.known());
        let prior_clients = prior.map(InternalModel::client_names).unwrap_or_default();
        let servers: Vec<String> = planned
            .services
            .known()
            .into_iter()
            .flatten()
            .filter(|(key, service)| {
                let before = prior_services.and_then(|p| p.get(*key));
                let endpoints = service.endpoint_list();
                endpoints.iter().any(|(_, e)| e.port.is_unknown())
                    || before.is_none_or(|b| port_facts(b) != port_facts(service))
            })
            .filter(|(_, service)| {
                service
                    .endpoint_list()
                    .iter()
                    .any(|(_, e)| e.port_name.is_known())
            })
            .map(|(key, _)| key.clone())
            .collect();
        let clients = planned.client_names();
        let names: BTreeSet<String> = servers
            .iter()
            .chain(clients.difference(&prior_clients))
            .cloned()
            .collect();
        Self {
            servers,
            names: names.into_iter().collect(),
        }
    }

    fn is_server(&self, name: &str) -> bool {
        self.servers.iter().any(|s| s == name)
    }

    /// Where a finding about one service points.
    fn path_of(&self, name: &str) -> AttributePath {
        if self.is_server(name) {
            service_path(name)
        } else {
            AttributePath::root().attribute("client_services")
        }
    }

    /// Where a finding about many services points.
    fn group_path(&self) -> AttributePath {
        match self.servers.is_empty() {
            true => AttributePath::root().attribute("client_services"),
            false => AttributePath::root().attribute("services"),
        }
    }
}

type Described = BTreeMap<String, Option<EcsService>>;

async fn check_services(
    gateway: &Gateway,
    cluster: &str,
    context: &Context<'_>,
    planned: &mut InternalModel,
    diagnostics: &mut Diagnostics,
) -> Result<(), GatewayError> {
    let checked = Checked::of(context.prior, planned);
    if checked.names.is_empty() {
        return Ok(());
    }
    let described = match gateway.ecs.describe_services(cluster, &checked.names).await {
        Ok(described) => described,
        // DescribeServices' ClusterNotFoundException.
        Err(err) if err.is(ErrorKind::NotFound) => {
            diagnostics.push(cluster_not_found(cluster, &gateway.region));
            return Ok(());
        }
        Err(err) => return Err(err),
    };
    let own = if context.prior.is_none() {
        own_namespaces(gateway, cluster, context.replaced, planned, &described).await?
    } else {
        Vec::new()
    };
    let mut not_found: Vec<&str> = Vec::new();
    let mut not_active: Vec<(&str, &str)> = Vec::new();
    for name in &checked.names {
        match described.get(name).and_then(Option::as_ref) {
            None => not_found.push(name),
            Some(service) if !service.observed.is_active() => {
                not_active.push((name, &service.observed.status));
            }
            Some(service) => {
                let new_to_us = context
                    .prior
                    .is_none_or(|p| !p.service_names().contains(name));
                if new_to_us
                    && let Some(warning) = foreign_settings(cluster, name, service, planned, &own)
                {
                    diagnostics.push(warning.at(checked.path_of(name)));
                }
                if let Some(detail) = cannot_take_service_connect(cluster, name, service) {
                    let refusal = refusal(
                        context,
                        "Service cannot use Service Connect",
                        detail,
                        APPLY_FAILS,
                    );
                    diagnostics.push(refusal.at(checked.path_of(name)));
                }
            }
        }
    }
    diagnostics.extend(absence_warnings(cluster, &checked, &not_found, &not_active));
    fill_ports(
        gateway,
        cluster,
        context,
        &checked,
        &described,
        planned,
        diagnostics,
    )
    .await
}

/// Why an ECS service cannot take Service Connect, from what DescribeServices showed:
/// only the ECS (rolling update) deployment controller carries it (CODE_DEPLOY and
/// EXTERNAL services keep task sets, and UpdateService cannot set it on them), and not
/// on ECS Anywhere's EXTERNAL launch type (ECS developer guide, Service Connect
/// considerations; ../shared/research/real-aws-semantics.md).
fn cannot_take_service_connect(cluster: &str, name: &str, service: &EcsService) -> Option<String> {
    let observed = &service.observed;
    if let Some(controller) = observed
        .deployment_controller
        .as_deref()
        .filter(|c| *c != "ECS")
    {
        return Some(format!(
            "ECS service {cluster}/{name} uses the {controller} deployment controller. Service Connect \
             works only with the ECS (rolling update) deployment controller: a {controller} service keeps \
             its configuration in task sets, and UpdateService cannot set Service Connect on it. Remove \
             it from this mesh, or recreate it with the ECS deployment controller."
        ));
    }
    if observed.launch_type.as_deref() == Some("EXTERNAL") {
        return Some(format!(
            "ECS service {cluster}/{name} runs on the EXTERNAL launch type (ECS Anywhere), which \
             Service Connect does not support. Remove it from this mesh."
        ));
    }
    None
}

/// A finding that only a change of configuration can fix: an error for a new mesh, a
/// warning once it exists (see the module comment: with a prior state this plan may
/// be a destroy's, and an error there stops `terraform destroy`: seen with Terraform
/// 1.15). `until_then` says what the apply does meanwhile.
fn refusal(context: &Context<'_>, summary: &str, detail: String, until_then: &str) -> Diagnostic {
    match context.prior {
        None => Diagnostic::error(summary, detail),
        Some(_) => Diagnostic::warning(summary, format!("{detail} {until_then}")),
    }
}

/// What a refused service does to an apply of an existing mesh.
const APPLY_FAILS: &str = "Until then, applying fails for this service.";

fn cluster_not_found(cluster: &str, region: &str) -> Diagnostic {
    Diagnostic::warning(
        "ECS cluster not found (yet)",
        format!("ECS cluster {cluster} does not exist in {region}. {SAME_APPLY}"),
    )
    .at(AttributePath::root().attribute("cluster"))
}

/// Services missing or not ACTIVE, one warning each, or grouped when many (grouping.rs).
fn absence_warnings(
    cluster: &str,
    checked: &Checked,
    not_found: &[&str],
    not_active: &[(&str, &str)],
) -> Diagnostics {
    let mut diagnostics = one_each_or_grouped(
        not_found,
        |name| {
            Diagnostic::warning(
                "ECS service not found (yet)",
                format!(
                    "ECS service {cluster}/{name} does not exist. Keys of `services` and entries of \
                     `client_services` are ECS service names. {SAME_APPLY}"
                ),
            )
            .at(checked.path_of(name))
        },
        |all| {
            Diagnostic::warning(
                "ECS services not found (yet)",
                format!(
                    "{} ECS services in cluster {cluster} do not exist: {}. Keys of `services` and \
                     entries of `client_services` are ECS service names. {SAME_APPLY}",
                    all.len(),
                    name_list(all)
                ),
            )
            .at(checked.group_path())
        },
    );
    diagnostics.extend(one_each_or_grouped(
        not_active,
        |(name, status)| {
            Diagnostic::warning(
                "ECS service not active (yet)",
                format!(
                    "ECS service {cluster}/{name} is {status}; Service Connect can only be enabled on an \
                     ACTIVE service. If this apply replaces it, the apply waits up to 2 minutes for the new one."
                ),
            )
            .at(checked.path_of(name))
        },
        |all| {
            let names: Vec<String> = all.iter().map(|(name, status)| format!("{name} ({status})")).collect();
            Diagnostic::warning(
                "ECS services not active (yet)",
                format!(
                    "{} ECS services in cluster {cluster} are not ACTIVE: {}. Service Connect can only be \
                     enabled on an ACTIVE service. If this apply replaces them, the apply waits up to 2 \
                     minutes for the new ones.",
                    all.len(),
                    name_list(&names)
                ),
            )
            .at(checked.group_path())
        },
    ));
    diagnostics
}

/// Fills the planned servers' unknown ports from the task definitions their ECS
/// services run, and reports a port alias a task definition lacks.
async fn fill_ports(
    gateway: &Gateway,
    cluster: &str,
    context: &Context<'_>,
    checked: &Checked,
    described: &Described,
    planned: &mut InternalModel,
    diagnostics: &mut Diagnostics,
) -> Result<(), GatewayError> {
    let task_definition_of = |name: &str| {
        described
            .get(name)
            .and_then(Option::as_ref)
            .filter(|service| service.observed.is_active())
            .map(|service| &service.observed.task_definition)
    };
    let needed = checked
        .servers
        .iter()
        .filter_map(|name| task_definition_of(name));
    let mut mappings = BTreeMap::new();
    for (task_definition, lookup) in gateway.ecs.port_mappings_of(needed).await {
        mappings.insert(task_definition, lookup?);
    }
    let Attr::Known(services) = &mut planned.services else {
        return Ok(());
    };
    for name in &checked.servers {
        let Some(service) = services.get_mut(name) else {
            continue;
        };
        let Some((task_definition, ports)) =
            task_definition_of(name).and_then(|td| Some((td, mappings.get(td)?)))
        else {
            continue;
        };
        for endpoint in service.endpoints_mut() {
            let Attr::Known(port_name) = endpoint.port_name else {
                continue;
            };
            match ports.lookup(port_name) {
                PortLookup::Port(port) if endpoint.port.is_unknown() => {
                    *endpoint.port = Attr::Known(port);
                }
                PortLookup::Port(_) | PortLookup::NoContainerPort => {}
                PortLookup::Missing => {
                    let detail = missing_port_detail(
                        cluster,
                        name,
                        &endpoint.label(name),
                        port_name,
                        task_definition,
                        ports,
                    );
                    let missing = refusal(
                        context,
                        "Port name not in the task definition",
                        detail,
                        "Unless this apply moves the service to a task definition that has it, \
                         enabling Service Connect on it will fail.",
                    );
                    diagnostics.push(missing.at(endpoint.path(name)));
                }
            }
            if endpoint.per_request_timeout_seconds.is_known()
                && ports.get(port_name).is_some_and(|mapping| mapping.is_tcp())
            {
                let detail = format!(
                    "{}.per_request_timeout_seconds is set, but port mapping {port_name:?} of \
                     task definition {task_definition} has no appProtocol (or another than http, http2 and \
                     grpc), so Service Connect treats it as TCP, where requests have no timeout of their \
                     own. Remove per_request_timeout_seconds (idle_timeout_seconds applies to TCP), or set \
                     the port mapping's appProtocol.",
                    endpoint.label(name)
                );
                let refusal = refusal(
                    context,
                    "Per-request timeout on a TCP port",
                    detail,
                    APPLY_FAILS,
                );
                diagnostics.push(refusal.at(endpoint.path(name)));
            }
        }
    }
    Ok(())
}

fn missing_port_detail(
    cluster: &str,
    name: &str,
    label: &str,
    port_name: &str,
    task_definition: &str,
    ports: &PortMappings,
) -> String {
    let names = ports.names();
    format!(
        "{label}.port_name is {port_name:?}, but task definition {task_definition} of \
         ECS service {cluster}/{name} has no port mapping of that name. {}",
        if names.is_empty() {
            "It has no named port mappings: add `name` to a port mapping first.".to_string()
        } else {
            format!("It has: {}.", names.join(", "))
        }
    )
}

/// A port alias missing from the task definition: an error for a new mesh, a warning
/// once it exists (see the module comment: with a prior state this plan may be a
/// A new owned namespace must not collide with one this resource does not own (the
/// one it replaces is its own); an existing one must exist.
async fn check_namespace(
    gateway: &Gateway,
    cluster: &str,
    replaced: Option<&PriorNamespace>,
    facts: &NamespaceFacts,
    diagnostics: &mut Diagnostics,
) -> Result<Option<String>, GatewayError> {
    let owned = facts.owned;
    if !owned
        && let Attr::Known(id) = &facts.namespace_id
        && gateway.cloudmap.get_namespace(id).await?.is_none()
    {
        diagnostics.push(
            Diagnostic::error(
                "Namespace not found",
                format!(
                    "No Cloud Map namespace has the id {id:?} in {}. Check the id, and that the provider's \
                     region and account are the namespace's.",
                    gateway.region
                ),
            )
            .at(AttributePath::root().attribute("namespace_id")),
        );
    }
    let (Attr::Known(name), Attr::Known(vpc_id)) = (&facts.name, &facts.vpc_id) else {
        return Ok(None);
    };
    if !owned {
        return Ok(None);
    }
    let replaced = replaced.filter(|r| r.owned).map(|r| r.id.as_str());
    // One of ours for this cluster was left by an interrupted create: apply adopts it.
    let taken = private_namespaces_in_vpc(gateway, name, vpc_id, cluster, replaced, |maker| {
        maker != Maker::ThisCluster
    })
    .await?;
    let unused = taken.unused.then(|| name.clone());
    for (existing, maker) in taken.in_vpc {
        let by_another_mesh = maker == Maker::AnotherMesh;
        let detail = taken_namespace_detail(name, vpc_id, &existing.id, cluster, by_another_mesh);
        // Made by a servicemesh_internal for another cluster: possibly this resource's
        // own object, deposed by create_before_destroy. Apply then stops before changing
        // anything and Terraform keeps the old object; an error here would leave it
        // deposed with no way forward.
        let diagnostic = if by_another_mesh {
            Diagnostic::warning("Namespace already exists", detail)
        } else {
            Diagnostic::error("Namespace already exists", detail)
        };
        diagnostics.push(diagnostic.at(AttributePath::root().attribute("namespace")));
    }
    Ok(unused)
}

/// Why a namespace name is taken, and the ways forward.
pub(super) fn taken_namespace_detail(
    name: &str,
    vpc_id: &str,
    id: &str,
    cluster: &str,
    by_another_mesh: bool,
) -> String {
    let ways = format!(
        "Import it with `terraform import <address> {cluster}/{id}`, or wire onto it with \
         `namespace_id = \"{id}\"` instead of `namespace` and `vpc_id`."
    );
    if !by_another_mesh {
        return format!(
            "A private DNS namespace named {name:?} already exists in {vpc_id} ({id}), and this resource did \
             not create it. {ways}"
        );
    }
    // A servicemesh_internal made it for another cluster: with create_before_destroy, this
    // is the object a cluster change replaces, still there while its replacement is made.
    format!(
        "A private DNS namespace named {name:?} already exists in {vpc_id} ({id}); a servicemesh_internal made \
         it for another ECS cluster. If this is this resource moving to cluster {cluster} with \
         create_before_destroy, that cannot work: AWS allows one private DNS namespace of a name per VPC, so \
         the new mesh cannot be created before the old one is destroyed. Remove `create_before_destroy` from \
         this resource for this change (the old mesh is then destroyed first), or give the new mesh another \
         `namespace`. Nothing was changed. If another resource owns it: {ways}"
    )
}

/// The namespaces a plan with no prior state may find on its services that are still
/// this resource's own: the one a replacement replaces (from private state), and, for a
/// tainted object (whose plan gets no private state), one of the planned name that this
/// provider created for this cluster (its CreatorRequestId carries the cluster's prefix).
async fn own_namespaces(
    gateway: &Gateway,
    cluster: &str,
    replaced: Option<&PriorNamespace>,
    planned: &InternalModel,
    described: &Described,
) -> Result<Vec<NamespaceRef>, GatewayError> {
    let mut own: Vec<NamespaceRef> = replaced
        .map(PriorNamespace::reference)
        .into_iter()
        .collect();
    let Attr::Known(name) = &planned.namespace else {
        return Ok(own);
    };
    // Namespace ids named by the services' Service Connect (an ARN ends in the id).
    let ids: BTreeSet<&str> = described
        .values()
        .flatten()
        .filter_map(|s| s.observed.service_connect.as_ref())
        .filter(|sc| sc.enabled)
        .filter_map(|sc| sc.namespace.as_deref())
        .filter(|reference| !own.iter().any(|ns| ns.matches(reference)))
        .filter_map(|reference| reference.rsplit('/').next())
        .filter(|id| crate::mesh::names::is_namespace_id(id))
        .collect();
    for id in ids {
        let Some(namespace) = gateway.cloudmap.get_namespace(id).await? else {
            continue;
        };
        if maker(&namespace, cluster) == Maker::ThisCluster && &namespace.name == name {
            own.push(NamespaceRef::from(&namespace));
        }
    }
    Ok(own)
}

/// Service Connect this resource did not set, on a service it is about to wire: say so
/// plainly, since applying replaces it (and another tool may put it back).
fn foreign_settings(
    cluster: &str,
    name: &str,
    service: &EcsService,
    planned: &InternalModel,
    own: &[NamespaceRef],
) -> Option<Diagnostic> {
    let current = service
        .observed
        .service_connect
        .as_ref()
        .filter(|sc| sc.enabled)?;
    let in_own = current
        .namespace
        .as_deref()
        .is_some_and(|reference| own.iter().any(|ns| ns.matches(reference)));
    if in_own {
        return None; // set by the object this plan replaces: ours
    }
    let namespace = planned.namespace_ref();
    let desired = planned.wiring_of(name, None);
    if desired.is_some_and(|d| is_in_place(&d, Some(current), &namespace)) {
        return None; // adopting exactly what is there: nothing changes
    }
    let elsewhere = current
        .namespace
        .as_deref()
        .unwrap_or("an unnamed namespace");
    Some(Diagnostic::warning(
        "Service Connect set outside this resource",
        format!(
            "ECS service {cluster}/{name} already has Service Connect (namespace {elsewhere}) that this resource did \
             not set. Applying replaces it with this configuration and redeploys the service. If an aws_ecs_service \
             resource also manages it, add `lifecycle {{ ignore_changes = [service_connect_configuration] }}` there \
             so the two do not undo each other."
        ),
    ))
}
