//! `servicemesh_internal` as a typed model (what Terraform holds), and its translation
//! to and from the mesh domain.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::external::ExternalModel;
use super::recent_read::RecentRead;
use super::services::{
    AccessLogModel, Before, LogModel, MeshSettings, ServiceModel, TlsModel, endpoints_of, setting,
};
use crate::mesh::model::{DesiredMesh, NamespaceSpec, ObservedNamespace, Wiring};
use crate::mesh::names::cluster_name;
use crate::mesh::reconcile::NamespaceRef;
use crate::mesh::validate::parse_duration;
use crate::protocol::value::Attr;

/// Default for each of the create, update and delete timeouts.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The resource's attributes. Everything may be unknown during plan, hence `Attr`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InternalModel {
    #[serde(default)]
    pub cluster: Attr<String>,
    #[serde(default)]
    pub namespace: Attr<String>,
    #[serde(default)]
    pub vpc_id: Attr<String>,
    #[serde(default)]
    pub namespace_id: Attr<String>,
    #[serde(default)]
    pub description: Attr<String>,
    #[serde(default)]
    pub tags: Attr<BTreeMap<String, Attr<String>>>,
    #[serde(default)]
    pub tags_all: Attr<BTreeMap<String, Attr<String>>>,
    #[serde(default)]
    pub services: Attr<BTreeMap<String, ServiceModel>>,
    #[serde(default)]
    pub client_services: Attr<Vec<Attr<String>>>,
    /// Standalone servers named in the namespace, by name.
    #[serde(default)]
    pub external_services: Attr<BTreeMap<String, ExternalModel>>,
    /// Mesh-wide Service Connect settings, for the services and endpoints that set none.
    #[serde(default)]
    pub tls: Attr<TlsModel>,
    #[serde(default)]
    pub idle_timeout_seconds: Attr<u32>,
    #[serde(default)]
    pub per_request_timeout_seconds: Attr<u32>,
    #[serde(default)]
    pub log_configuration: Attr<LogModel>,
    #[serde(default)]
    pub access_log_configuration: Attr<AccessLogModel>,
    #[serde(default)]
    pub wait_for_steady_state: Attr<bool>,
    #[serde(default)]
    pub force_destroy: Attr<bool>,
    #[serde(default)]
    pub redeploy_clients: Attr<bool>,
    #[serde(default)]
    pub timeouts: Attr<TimeoutsModel>,
    #[serde(default)]
    pub id: Attr<String>,
    #[serde(default)]
    pub namespace_arn: Attr<String>,
    #[serde(default)]
    pub hosted_zone_id: Attr<String>,
    #[serde(default)]
    pub namespace_owned: Attr<bool>,
    #[serde(default)]
    pub endpoints: Attr<BTreeMap<String, Attr<String>>>,
    /// The names of the Cloud Map services in `PrivateState::pending_cleanup`; null when
    /// there are none.
    #[serde(default)]
    pub pending_cleanup: Attr<Vec<Attr<String>>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeoutsModel {
    #[serde(default)]
    pub create: Attr<String>,
    #[serde(default)]
    pub update: Attr<String>,
    #[serde(default)]
    pub delete: Attr<String>,
}

/// Which timeout applies.
#[derive(Clone, Copy, Debug)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl InternalModel {
    /// The timeout of an operation; invalid values were rejected at validate time.
    pub fn timeout(&self, operation: Operation) -> Duration {
        let Some(timeouts) = self.timeouts.known() else {
            return DEFAULT_TIMEOUT;
        };
        let text = match operation {
            Operation::Create => &timeouts.create,
            Operation::Update => &timeouts.update,
            Operation::Delete => &timeouts.delete,
        };
        text.known()
            .and_then(|t| parse_duration(t).ok())
            .unwrap_or(DEFAULT_TIMEOUT)
    }

    /// The names of every service this model wires, servers and clients.
    pub fn service_names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self
            .services
            .known()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default();
        names.extend(self.client_names());
        names
    }

    /// The discovery names of the servers this model records.
    pub fn discovery_names(&self) -> BTreeSet<String> {
        self.services
            .known()
            .into_iter()
            .flatten()
            .flat_map(|(_, service)| service.endpoint_list())
            .filter_map(|(name, _)| name.known().cloned())
            .collect()
    }

    /// Whether this object comes from a create that stopped before it learnt its
    /// namespace's id (the id is recorded empty until a read finds out).
    pub fn namespace_unconfirmed(&self) -> bool {
        self.id.known().is_some_and(String::is_empty)
    }

    pub fn client_names(&self) -> BTreeSet<String> {
        self.client_services
            .known()
            .map(|set| set.iter().filter_map(|c| c.known().cloned()).collect())
            .unwrap_or_default()
    }

    /// The namespace this (planned) object asks for; `default_tags` are the provider's.
    pub fn namespace_spec(&self, default_tags: &BTreeMap<String, String>) -> NamespaceSpec {
        let text = |attr: &Attr<String>| attr.known().cloned().unwrap_or_default();
        if self.owns_namespace() {
            let mut tags = default_tags.clone();
            tags.extend(self.plain_tags());
            NamespaceSpec::Owned {
                name: text(&self.namespace),
                vpc_id: text(&self.vpc_id),
                description: self.description.known().cloned(),
                tags,
            }
        } else {
            NamespaceSpec::Existing {
                id: text(&self.namespace_id),
            }
        }
    }

    /// The mesh this (planned) object asks for, read once at apply when every value is
    /// known: after `record_namespace`, which derives the DNS names that waited for the
    /// namespace's name. `prior` is the object before this apply: a TLS or log setting
    /// it managed and this one does not is removed.
    pub fn desired(
        &self,
        default_tags: &BTreeMap<String, String>,
        prior: Option<&InternalModel>,
    ) -> DesiredMesh {
        let namespace = self.namespace_spec(default_tags);
        let services = self
            .service_names()
            .into_iter()
            .filter_map(|name| {
                let wiring = self.wiring_of(&name, prior)?;
                Some((name, wiring))
            })
            .collect();
        let cluster = self.cluster.known().map(String::as_str).unwrap_or_default();
        DesiredMesh {
            cluster: cluster_name(cluster).to_string(),
            namespace,
            services,
        }
    }

    /// What this (planned) object asks of service `name`, when its values are known;
    /// `prior` as for [`Self::desired`].
    pub fn wiring_of(&self, name: &str, prior: Option<&InternalModel>) -> Option<Wiring> {
        let mesh = self.mesh_settings();
        let before = prior.and_then(|p| p.before(name));
        if let Some(service) = self.services.known().and_then(|s| s.get(name)) {
            return service.wiring(&mesh, before.as_ref());
        }
        let before = before.as_ref();
        self.client_names().contains(name).then(|| Wiring {
            endpoints: Vec::new(),
            log: setting(mesh.log, before.and_then(|b| b.log.clone())),
            access_log: setting(mesh.access_log, before.and_then(|b| b.access_log.clone())),
        })
    }

    /// The mesh-wide settings, where known.
    pub fn mesh_settings(&self) -> MeshSettings {
        MeshSettings {
            tls: self.tls.known().and_then(TlsModel::spec),
            log: self.log_configuration.known().and_then(LogModel::spec),
            access_log: self
                .access_log_configuration
                .known()
                .and_then(AccessLogModel::spec),
            idle_timeout_seconds: self.idle_timeout_seconds.known().copied(),
            per_request_timeout_seconds: self.per_request_timeout_seconds.known().copied(),
        }
    }

    /// What this object asks of service `name`'s TLS and logs; `None` when it does not
    /// wire it.
    pub fn before(&self, name: &str) -> Option<Before> {
        let mesh = self.mesh_settings();
        if let Some(service) = self.services.known().and_then(|s| s.get(name)) {
            return Some(Before {
                tls: service.effective_tls(&mesh),
                log: service.effective_log(&mesh),
                access_log: service.effective_access_log(&mesh),
            });
        }
        self.client_names().contains(name).then(|| Before {
            tls: BTreeMap::new(),
            log: mesh.log,
            access_log: mesh.access_log,
        })
    }

    /// Records what AWS says of the namespace: its id (also the resource's), ARN,
    /// name and hosted zone.
    pub fn set_namespace_facts(&mut self, namespace: &ObservedNamespace) {
        self.id = Attr::Known(namespace.id.clone());
        // A shared namespace is named by its ARN (AWS RAM): kept as configured.
        if self.namespace_id.known() != Some(&namespace.arn) {
            self.namespace_id = Attr::Known(namespace.id.clone());
        }
        self.namespace_arn = Attr::Known(namespace.arn.clone());
        self.namespace = Attr::Known(namespace.name.clone());
        self.hosted_zone_id = namespace
            .hosted_zone_id
            .clone()
            .map(Attr::Known)
            .unwrap_or(Attr::Null);
    }

    /// What GetNamespace reads this object's namespace by: its id, or the ARN it was
    /// configured with (a namespace shared through AWS RAM is read by ARN only).
    pub fn namespace_key(&self) -> Option<&String> {
        match self.namespace_id.known() {
            Some(arn) if arn.starts_with("arn:") => Some(arn),
            _ => self.id.known().or(self.namespace_id.known()),
        }
    }

    /// The namespace as this object knows it; what is not known yet is empty.
    pub fn namespace_ref(&self) -> NamespaceRef {
        let text = |attr: &Attr<String>| attr.known().cloned().unwrap_or_default();
        NamespaceRef {
            id: text(&self.id),
            arn: text(&self.namespace_arn),
            name: text(&self.namespace),
        }
    }

    /// Whether this object made its namespace (and so deletes it). Every object this
    /// provider writes says so; one that does not (a hand-edited state) is taken as not
    /// owning it, so that a destroy never deletes what may not be ours.
    pub fn owns_namespace(&self) -> bool {
        self.namespace_owned.known().copied().unwrap_or(false)
    }

    /// Writes the services in place into `services` and `client_services`, keeping an
    /// attribute that is null null when nothing is in it. Each entry keeps the form
    /// this object writes it in and records the settings it manages.
    pub fn set_services(&mut self, in_place: &BTreeMap<String, Wiring>) {
        let written = self.services.known().cloned().unwrap_or_default();
        let mesh = self.mesh_settings();
        let servers: BTreeMap<String, ServiceModel> = in_place
            .iter()
            .filter(|(_, wiring)| wiring.is_server())
            .map(|(name, wiring)| {
                let written = written.get(name);
                let record = written
                    .map(ServiceModel::managed_here)
                    .unwrap_or_default()
                    .with_mesh(&mesh);
                (
                    name.clone(),
                    ServiceModel::observed(wiring, written, &record),
                )
            })
            .collect();
        self.set_wired(servers, in_place);
    }

    /// Writes `servers` and the clients of `in_place`.
    pub fn set_wired(
        &mut self,
        servers: BTreeMap<String, ServiceModel>,
        in_place: &BTreeMap<String, Wiring>,
    ) {
        let clients: Vec<Attr<String>> = in_place
            .iter()
            .filter(|(_, wiring)| !wiring.is_server())
            .map(|(name, _)| Attr::Known(name.clone()))
            .collect();
        self.services = if servers.is_empty() && self.services.is_null() {
            Attr::Null
        } else {
            Attr::Known(servers)
        };
        self.client_services = if clients.is_empty() && self.client_services.is_null() {
            Attr::Null
        } else {
            Attr::Known(clients)
        };
        self.refresh_endpoints();
    }

    /// `endpoints` from the servers' endpoints and the standalone servers: unknown
    /// while any name (a key) is.
    pub fn refresh_endpoints(&mut self) {
        let mut endpoints = endpoints_of(&self.services);
        match (&mut endpoints, &self.external_services) {
            (Attr::Known(map), Attr::Known(externals)) => {
                for (name, external) in externals {
                    map.insert(name.clone(), external.address(name, &self.namespace));
                }
            }
            (_, Attr::Unknown) => endpoints = Attr::Unknown,
            _ => {}
        }
        self.endpoints = endpoints;
    }

    /// The services exactly as `prior` recorded them (nothing changed).
    pub fn keep_services_of(&mut self, prior: &InternalModel) {
        self.services = prior.services.clone();
        self.client_services = prior.client_services.clone();
        self.endpoints = prior.endpoints.clone();
    }

    /// Drops services from `services` and `client_services`.
    pub fn forget_services(&mut self, gone: &BTreeSet<String>) {
        if let Attr::Known(servers) = &mut self.services {
            servers.retain(|name, _| !gone.contains(name));
        }
        if let Attr::Known(clients) = &mut self.client_services {
            clients.retain(|name| name.known().is_none_or(|name| !gone.contains(name)));
        }
        self.refresh_endpoints();
    }

    pub fn plain_tags(&self) -> BTreeMap<String, String> {
        plain_map(&self.tags)
    }

    /// Whether a destroy deletes the namespace although others still use it (after
    /// deleting the Cloud Map services ECS made for them; never any other).
    pub fn force_destroy(&self) -> bool {
        self.force_destroy.known().copied().unwrap_or(false)
    }

    /// Whether a change of endpoints redeploys the mesh's other services. Default: yes.
    pub fn redeploy_clients(&self) -> bool {
        self.redeploy_clients.known().copied().unwrap_or(true)
    }

    pub fn wait_for_steady_state(&self) -> bool {
        self.wait_for_steady_state.known().copied().unwrap_or(false)
    }
}

/// The tags of `all` that are not a matching default tag: what `tags` shows, as
/// terraform-provider-aws does.
pub fn own_tags(
    all: &BTreeMap<String, String>,
    defaults: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    all.iter()
        .filter(|(k, v)| defaults.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `default_tags` merged under the resource's own tags (the resource's win).
pub fn merged_tags(
    defaults: &BTreeMap<String, String>,
    tags: &Attr<BTreeMap<String, Attr<String>>>,
) -> Attr<BTreeMap<String, Attr<String>>> {
    match tags {
        Attr::Unknown => Attr::Unknown,
        _ => {
            let mut all: BTreeMap<String, Attr<String>> = defaults
                .iter()
                .map(|(k, v)| (k.clone(), Attr::Known(v.clone())))
                .collect();
            if let Attr::Known(own) = tags {
                all.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Attr::Known(all)
        }
    }
}

pub fn plain_map(map: &Attr<BTreeMap<String, Attr<String>>>) -> BTreeMap<String, String> {
    map.known()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.known()?.clone())))
                .collect()
        })
        .unwrap_or_default()
}

pub fn attr_map(map: &BTreeMap<String, String>) -> Attr<BTreeMap<String, Attr<String>>> {
    Attr::Known(
        map.iter()
            .map(|(k, v)| (k.clone(), Attr::Known(v.clone())))
            .collect(),
    )
}

/// What the provider keeps beside the state: the idempotency token of the namespace
/// create, so a retried apply adopts the first try's namespace, and the Cloud Map
/// services still to delete.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_request_id: Option<String>,
    /// Cloud Map services (name, ARN) ECS still held when we tried to delete them:
    /// the next apply or destroy tries again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_cleanup: Vec<(String, String)>,
    /// Written by a plan that has a prior object: that object's namespace. Terraform
    /// plans a replacement with no prior state but hands it this private state, so the
    /// replacement can tell the namespace it replaces from someone else's. Apply drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_namespace: Option<PriorNamespace>,
    /// The Cloud Map operation creating our namespace, while the state does not know
    /// the namespace's id yet (a create that stopped before the operation ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_operation: Option<String>,
    /// Written by the plan of a create that replaces no planned object (a new one, or
    /// one replacing a tainted object): what the create will make. Terraform hands the
    /// destroy half of a replacement the create's planned private state
    /// (plans.ResourceInstanceChange.Simplify keeps `Private`), so the destroy of a
    /// tainted mesh can leave what its successor would rebuild the same. Apply drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<Successor>,
    /// Written by the plan of a create that found no private DNS namespace with the name
    /// it will make. During `apply` Terraform plans again just before it applies and hands
    /// that plan's private state to the apply, which then need not ask again whether an
    /// interrupted create left a namespace to adopt (one ListNamespaces round trip less).
    /// A namespace someone else makes in between is no risk: Cloud Map fails a second one
    /// whose zone overlaps one the VPC already has (operation FAIL, CANNOT_CREATE_HOSTED_ZONE;
    /// ../shared/research/real-aws-semantics.md, from terraform-provider-aws's
    /// servicediscovery operation.go). Apply drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_unused: Option<NameUnused>,
    /// Written by a refresh: what it read of the namespace and the services, for the
    /// apply Terraform makes moments later (see `RecentRead`). Apply drops it. A stored
    /// one this version cannot read is ignored, and the rest of the private state kept.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::recent_read::or_none"
    )]
    pub recent_read: Option<RecentRead>,
}

/// A namespace name no private DNS namespace had when a plan asked (ListNamespaces).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameUnused {
    pub name: String,
    /// When the plan asked, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
}

impl NameUnused {
    pub fn now(name: String) -> Self {
        Self {
            name,
            at_unix_ms: unix_ms(SystemTime::now()),
        }
    }

    /// Whether this answer says, at `now`, that `name` is still unused.
    pub fn vouches_for(&self, name: &str, now: SystemTime) -> bool {
        self.name == name && fresh(self.at_unix_ms, now)
    }
}

/// How long an answer a plan or a refresh recorded stands in for the apply's own. The
/// plan Terraform makes during `apply` runs moments before it, and the refresh moments
/// before that; an older answer (a saved plan applied later, `-refresh=false`, an old
/// state) is not trusted, and the apply asks AWS itself.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

/// Whether an answer stamped `at_unix_ms` may still be acted on at `now`: no older than
/// [`FRESH_FOR`], and not from the future (a clock that went back).
pub fn fresh(at_unix_ms: u64, now: SystemTime) -> bool {
    let age_ms = unix_ms(now).checked_sub(at_unix_ms);
    age_ms.is_some_and(|age| u128::from(age) <= FRESH_FOR.as_millis())
}

/// Milliseconds since the Unix epoch: how recorded answers are stamped.
pub fn unix_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// What a planned create will make: enough to tell whether it takes over a mesh.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Successor {
    pub cluster: String,
    /// The namespace it creates (name and VPC), or the existing one it wires onto.
    pub namespace: Option<String>,
    pub vpc_id: Option<String>,
    pub namespace_id: Option<String>,
    /// The services it wires, servers and clients.
    pub services: BTreeSet<String>,
    /// The standalone servers it lists; `None` when not known at plan time (or planned
    /// by a version that did not say): then the destroy leaves them all to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<BTreeSet<String>>,
}

impl Successor {
    /// The planned create, when everything that decides a takeover is known.
    pub fn of(planned: &InternalModel) -> Option<Self> {
        let text = |attr: &Attr<String>| match attr {
            Attr::Known(value) => Some(Some(value.clone())),
            Attr::Null => Some(None),
            Attr::Unknown => None,
        };
        let services = planned.services.known().map(|s| s.keys().cloned());
        let clients = match &planned.client_services {
            Attr::Known(clients) => clients.iter().map(|c| c.known().cloned()).collect(),
            Attr::Null => Some(Vec::new()),
            Attr::Unknown => None,
        };
        let owned = planned.owns_namespace();
        Some(Self {
            cluster: cluster_name(planned.cluster.known()?).to_string(),
            namespace: text(&planned.namespace)?,
            vpc_id: text(&planned.vpc_id)?,
            namespace_id: if owned { None } else { text(&planned.id)? },
            services: services.into_iter().flatten().chain(clients?).collect(),
            external: match &planned.external_services {
                Attr::Known(servers) => Some(servers.keys().cloned().collect()),
                Attr::Null => Some(BTreeSet::new()),
                Attr::Unknown => None,
            },
        })
    }

    /// Whether it takes over `prior`'s namespace in the same cluster: the same
    /// namespace made the same way (name and VPC), or the same existing one.
    pub fn takes_over(&self, prior: &InternalModel) -> bool {
        let same_cluster = prior
            .cluster
            .known()
            .is_some_and(|c| cluster_name(c) == self.cluster);
        let owned = prior.owns_namespace();
        let same_namespace = if owned {
            self.namespace_id.is_none()
                && self.namespace.as_ref() == prior.namespace.known()
                && self.vpc_id.as_ref() == prior.vpc_id.known()
        } else {
            self.namespace_id.is_some() && self.namespace_id.as_ref() == prior.id.known()
        };
        same_cluster && same_namespace
    }
}

/// The namespace of the object a plan starts from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorNamespace {
    pub id: String,
    pub arn: String,
    pub name: String,
    /// Whether that object created it (and so would delete it).
    pub owned: bool,
}

impl PriorNamespace {
    /// The namespace of a stored object, once its id is known.
    pub fn of(model: &InternalModel) -> Option<Self> {
        Some(Self {
            id: model.id.known().filter(|id| !id.is_empty())?.clone(),
            arn: model.namespace_arn.known().cloned().unwrap_or_default(),
            name: model.namespace.known().cloned().unwrap_or_default(),
            owned: model.owns_namespace(),
        })
    }

    pub fn reference(&self) -> NamespaceRef {
        NamespaceRef {
            id: self.id.clone(),
            arn: self.arn.clone(),
            name: self.name.clone(),
        }
    }
}

impl PrivateState {
    /// `pending_cleanup` as the resource shows it: the names, or null for none.
    pub fn pending_names(&self) -> Attr<Vec<Attr<String>>> {
        if self.pending_cleanup.is_empty() {
            return Attr::Null;
        }
        Attr::Known(
            self.pending_cleanup
                .iter()
                .map(|(name, _)| Attr::Known(name.clone()))
                .collect(),
        )
    }

    /// Remembers Cloud Map services (name, ARN) still to delete, each once.
    pub fn remember_leftovers<'a>(
        &mut self,
        services: impl IntoIterator<Item = &'a (String, String)>,
    ) {
        for service in services {
            if !self
                .pending_cleanup
                .iter()
                .any(|(_, arn)| arn == &service.1)
            {
                self.pending_cleanup.push(service.clone());
            }
        }
    }

    pub fn decode(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return Self::default();
        }
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    pub fn encode(&self) -> Vec<u8> {
        if self == &Self::default() {
            return Vec::new();
        }
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::{FRESH_FOR, NameUnused};
    use std::time::{Duration, SystemTime};

    #[test]
    fn a_plans_unused_name_vouches_only_for_that_name_and_only_while_fresh() {
        let asked = SystemTime::now();
        let unused = NameUnused::now("internal.myapp".into());
        assert!(unused.vouches_for("internal.myapp", asked));
        assert!(unused.vouches_for("internal.myapp", asked + FRESH_FOR));
        assert!(!unused.vouches_for("other.myapp", asked));
        // A saved plan applied minutes later: the apply asks again.
        let later = asked + FRESH_FOR + Duration::from_secs(2);
        assert!(!unused.vouches_for("internal.myapp", later));
        // An answer from the future (the clock went back): not trusted.
        let before = asked - Duration::from_secs(5);
        assert!(!unused.vouches_for("internal.myapp", before));
    }
}
