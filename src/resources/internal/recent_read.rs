//! What a refresh read, handed on to the apply Terraform makes moments later.
//!
//! An update reads the namespace and its services before it writes, because
//! UpdateService replaces a service's whole Service Connect configuration and the
//! provider sends back what it does not manage. During `terraform apply` that read comes
//! seconds after the refresh made the same one: a round trip of its own in front of the
//! first UpdateService (issue 18). So a refresh keeps what it read in the private state;
//! Terraform hands the refreshed private state to the plan it makes during `apply`, and
//! that plan's private state to the apply (the same way as `PrivateState::name_unused`;
//! Terraform's internal/terraform/node_resource_abstract_instance.go, `plan`: the prior
//! private is the current object's, which during `apply` is the refreshed one; the apply
//! sends the private of the plan it made just before). The call-count guard shows it on
//! Terraform 1.15 and 1.6.6.
//! The apply acts on it instead of reading again when it is fresh (`FRESH_FOR`), read the
//! same namespace and cluster, covers every service the update touches, and the update
//! sends every one of them a configuration (`wiring::recall_stands_in`). Otherwise (a
//! saved plan applied later, `-refresh=false`, a service the update adds or leaves alone)
//! it reads.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize};

use super::model::{fresh, unix_ms};
use super::wiring::Observation;
use crate::aws::ecs::EcsService;
use crate::mesh::model::{ObservedNamespace, ObservedService};

/// What a refresh read of the mesh, as the apply would have read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentRead {
    /// When the refresh read it, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    pub cluster: String,
    /// The namespace as the state names it (id or ARN), and what Cloud Map said of it.
    pub namespace_key: String,
    pub namespace: ObservedNamespace,
    /// The services read that can be given back exactly (`EcsService::recallable`).
    pub services: BTreeMap<String, ObservedService>,
}

impl RecentRead {
    /// Meshes larger than this are not handed on. The read is one round trip in front of
    /// ⌈N / max_concurrency⌉ UpdateService rounds, so it matters in small meshes (half the
    /// apply of a change to up to 10 services); and the private state is stored with the
    /// state whenever no apply of the mesh follows the refresh: about 0.8 KB a service as
    /// stored (base64), 8.4 KB at 10 services and 20 KB at 25, next to a state of 7.6 and
    /// 16 KB (measured with the emulator's ARNs after `apply -refresh-only`).
    pub const MAX_SERVICES: usize = 25;

    /// What a refresh read at `now`: `None` for a mesh over [`Self::MAX_SERVICES`].
    /// Services not found, and those whose configuration would not come back exactly,
    /// are left out: an apply that touches them reads them again.
    pub fn of(
        cluster: &str,
        namespace_key: &str,
        namespace: &ObservedNamespace,
        services: &BTreeMap<String, Option<EcsService>>,
        now: SystemTime,
    ) -> Option<Self> {
        if services.len() > Self::MAX_SERVICES {
            return None;
        }
        // Inserted one by one: `collect` into a map instantiates a sort for each type (binary size).
        let mut kept = BTreeMap::new();
        for (name, service) in services {
            if let Some(service) = service.as_ref().filter(|s| s.recallable()) {
                kept.insert(name.clone(), service.observed.clone());
            }
        }
        Some(Self {
            at_unix_ms: unix_ms(now),
            cluster: cluster.to_string(),
            namespace_key: namespace_key.to_string(),
            namespace: namespace.clone(),
            services: kept,
        })
    }

    /// The namespace and the services as read, if this read may stand in at `now` for an
    /// apply's read of `names` in `cluster` and the namespace named `namespace_key`.
    pub fn recall(
        self,
        cluster: &str,
        namespace_key: &str,
        names: &BTreeSet<String>,
        now: SystemTime,
    ) -> Option<(ObservedNamespace, Observation)> {
        let covers = names.iter().all(|name| self.services.contains_key(name));
        if !(fresh(self.at_unix_ms, now)
            && self.cluster == cluster
            && self.namespace_key == namespace_key
            && covers)
        {
            return None;
        }
        let mut services = BTreeMap::new();
        for (name, observed) in self.services {
            let observed = ObservedService {
                name: name.clone(),
                ..observed
            };
            services.insert(name, Some(EcsService::recalled(observed)?));
        }
        Some((self.namespace, Observation::recalled(services)))
    }
}

/// A stored `recent_read` as this version reads it, or none: one written by another
/// version (or damaged) must not cost the rest of the private state (the namespace's
/// idempotency token, the Cloud Map services still to delete).
pub fn or_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<RecentRead>, D::Error> {
    // Taken as text and read apart: an error inside it stays inside it. (Through its raw
    // text rather than serde_json's `Value`, which measured 7 KB more code.)
    let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
    Ok(serde_json::from_str(raw.get()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::internal::model::{FRESH_FOR, PrivateState};
    use std::time::Duration;

    fn read_at(now: SystemTime) -> RecentRead {
        let service = ObservedService::active_unwired("backend");
        RecentRead {
            at_unix_ms: unix_ms(now),
            cluster: "prod".into(),
            namespace_key: "ns-1".into(),
            namespace: ObservedNamespace {
                id: "ns-1".into(),
                ..ObservedNamespace::default()
            },
            services: [("backend".to_string(), service)].into(),
        }
    }

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_recent_read_stands_in_only_for_the_same_mesh_while_fresh() {
        let now = SystemTime::now();
        let backend = names(&["backend"]);
        let recalled = read_at(now).recall("prod", "ns-1", &backend, now);
        let (namespace, observation) = recalled.expect("fresh, same mesh");
        assert_eq!(namespace.id, "ns-1");
        assert_eq!(
            observation.a_service_arn(),
            Some("arn:aws:ecs:eu-west-1:1:service/prod/backend")
        );
        assert!(
            read_at(now)
                .recall("prod", "ns-1", &backend, now + FRESH_FOR)
                .is_some()
        );

        let later = now + FRESH_FOR + Duration::from_secs(1);
        assert!(
            read_at(now)
                .recall("prod", "ns-1", &backend, later)
                .is_none(),
            "stale"
        );
        let before = now - Duration::from_secs(5);
        assert!(
            read_at(now)
                .recall("prod", "ns-1", &backend, before)
                .is_none(),
            "from the future"
        );
        assert!(
            read_at(now)
                .recall("staging", "ns-1", &backend, now)
                .is_none(),
            "other cluster"
        );
        assert!(
            read_at(now).recall("prod", "ns-2", &backend, now).is_none(),
            "other namespace"
        );
        let more = names(&["backend", "web"]);
        assert!(
            read_at(now).recall("prod", "ns-1", &more, now).is_none(),
            "web was not read"
        );
    }

    #[test]
    fn a_recent_read_this_version_cannot_read_costs_nothing_else() {
        let stored =
            br#"{"pending_cleanup":[["old","arn:aws:servicediscovery:eu-west-1:1:service/srv-1"]],
            "recent_read":{"at_unix_ms":"yesterday"}}"#;
        let private = PrivateState::decode(stored);
        assert_eq!(private.pending_cleanup.len(), 1, "{private:?}");
        assert_eq!(private.recent_read, None);

        let private = PrivateState {
            recent_read: Some(read_at(SystemTime::now())),
            ..PrivateState::default()
        };
        let stored = private.encode();
        let text = String::from_utf8_lossy(&stored);
        assert!(
            !text.contains("null"),
            "fields not set are left out: {text}"
        );
        let mut read = PrivateState::decode(&stored)
            .recent_read
            .expect("read back");
        let backend = read.services.get_mut("backend").expect("backend");
        assert_eq!(backend.name, "", "the name is the key, not stored twice");
        backend.name = "backend".into();
        assert_eq!(Some(read), private.recent_read, "round trip");
    }

    #[test]
    fn a_mesh_over_the_limit_is_not_handed_on() {
        let now = SystemTime::now();
        let namespace = ObservedNamespace::default();
        let missing: BTreeMap<String, Option<EcsService>> = (0..=RecentRead::MAX_SERVICES)
            .map(|i| (format!("s{i}"), None))
            .collect();
        assert!(RecentRead::of("prod", "ns-1", &namespace, &missing, now).is_none());
        let mut fewer = missing;
        fewer.pop_first();
        let read = RecentRead::of("prod", "ns-1", &namespace, &fewer, now).expect("at the limit");
        assert!(read.services.is_empty(), "services not found are left out");
    }
}
