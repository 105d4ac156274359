//! `external_services` as Terraform holds them (standalone servers named in the
//! namespace), and their translation to and from the mesh domain.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::mesh::external::{DEFAULT_TTL, ExternalSpec, ObservedExternal};
use crate::protocol::value::Attr;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExternalModel {
    #[serde(default)]
    pub addresses: Attr<Vec<Attr<String>>>,
    #[serde(default)]
    pub port: Attr<u16>,
    #[serde(default)]
    pub ttl: Attr<u32>,
}

impl ExternalModel {
    /// The server, once its planned values are known.
    pub fn spec(&self) -> Option<ExternalSpec> {
        let addresses = match &self.addresses {
            Attr::Known(addresses) => addresses
                .iter()
                .map(|a| a.known().cloned())
                .collect::<Option<_>>()?,
            Attr::Null => Default::default(),
            Attr::Unknown => return None,
        };
        Some(ExternalSpec {
            addresses,
            port: match &self.port {
                Attr::Known(port) => Some(*port),
                Attr::Null => None,
                Attr::Unknown => return None,
            },
            ttl: match &self.ttl {
                Attr::Known(ttl) => *ttl,
                Attr::Null => DEFAULT_TTL,
                Attr::Unknown => return None,
            },
        })
    }

    /// The server as AWS has it, its addresses in the order `written` lists them (new
    /// ones after, sorted), so that only a real change shows in the plan.
    pub fn observed(have: &ObservedExternal, written: Option<&ExternalModel>) -> Self {
        let mut addresses: Vec<String> = have.addresses().into_iter().collect();
        if let Some(Attr::Known(order)) = written.map(|w| &w.addresses) {
            let position = |address: &String| {
                order
                    .iter()
                    .position(|a| a.known() == Some(address))
                    .unwrap_or(usize::MAX)
            };
            addresses.sort_by_key(|a| (position(a), a.clone()));
        }
        Self {
            addresses: Attr::Known(addresses.into_iter().map(Attr::Known).collect()),
            port: have.port().map_or(Attr::Null, Attr::Known),
            ttl: Attr::Known(have.ttl.unwrap_or(DEFAULT_TTL)),
        }
    }

    /// The TTL the configuration leaves out is Cloud Map's usual 60 seconds.
    pub fn with_defaults(mut self) -> Self {
        if self.ttl.is_null() {
            self.ttl = Attr::Known(DEFAULT_TTL);
        }
        self
    }

    /// What clients call: `<name>.<namespace>:<port>`, or the bare name without a port.
    pub fn address(&self, name: &str, namespace: &Attr<String>) -> Attr<String> {
        match (namespace, &self.port) {
            (Attr::Known(namespace), Attr::Known(port)) => {
                Attr::Known(format!("{name}.{namespace}:{port}"))
            }
            (Attr::Known(namespace), Attr::Null) => Attr::Known(format!("{name}.{namespace}")),
            _ => Attr::Unknown,
        }
    }
}

/// The standalone servers a model asks for, when all are known.
pub fn specs(
    externals: &Attr<BTreeMap<String, ExternalModel>>,
) -> Option<BTreeMap<String, ExternalSpec>> {
    match externals {
        Attr::Known(externals) => externals
            .iter()
            .map(|(name, model)| Some((name.clone(), model.spec()?)))
            .collect(),
        Attr::Null => Some(BTreeMap::new()),
        Attr::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keep_the_written_order_and_new_ones_follow() {
        let have = ObservedExternal {
            service_id: "srv-1".into(),
            arn: String::new(),
            ttl: Some(30),
            instances: [
                (
                    "10.0.4.20".to_string(),
                    (Some("10.0.4.20".to_string()), Some(8000)),
                ),
                (
                    "10.0.4.21".to_string(),
                    (Some("10.0.4.21".to_string()), Some(8000)),
                ),
                (
                    "10.0.4.9".to_string(),
                    (Some("10.0.4.9".to_string()), Some(8000)),
                ),
            ]
            .into(),
        };
        let written = ExternalModel {
            addresses: Attr::Known(vec![
                Attr::Known("10.0.4.21".into()),
                Attr::Known("10.0.4.20".into()),
            ]),
            ..ExternalModel::default()
        };
        let observed = ExternalModel::observed(&have, Some(&written));
        let order: Vec<String> = observed
            .addresses
            .known()
            .unwrap()
            .iter()
            .filter_map(|a| a.known().cloned())
            .collect();
        assert_eq!(order, ["10.0.4.21", "10.0.4.20", "10.0.4.9"]);
        assert_eq!(observed.port, Attr::Known(8000));
        assert_eq!(observed.ttl, Attr::Known(30));
    }

    #[test]
    fn the_address_has_a_port_only_when_one_is_set() {
        let namespace = Attr::Known("internal.myapp".to_string());
        let with_port = ExternalModel {
            port: Attr::Known(8069),
            ..ExternalModel::default()
        };
        assert_eq!(
            with_port.address("erp", &namespace),
            Attr::Known("erp.internal.myapp:8069".into())
        );
        assert_eq!(
            ExternalModel::default().address("erp", &namespace),
            Attr::Known("erp.internal.myapp".into())
        );
    }
}
