//! The instances registered in a Cloud Map service: what ECS registers for the tasks of a
//! Service Connect endpoint, and what this provider registers for standalone servers.

use std::collections::BTreeMap;

use super::CloudMap;
use crate::aws::error::GatewayError;

/// One registered instance: its id and attributes (`AWS_INSTANCE_IPV4`,
/// `AWS_INSTANCE_PORT`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CloudMapInstance {
    pub id: String,
    pub attributes: BTreeMap<String, String>,
}

impl CloudMapInstance {
    pub fn ipv4(&self) -> Option<&str> {
        self.attributes.get("AWS_INSTANCE_IPV4").map(String::as_str)
    }
}

impl CloudMap {
    /// Every instance of a Cloud Map service (by id), following pages.
    pub async fn list_instances(
        &self,
        service_id: &str,
    ) -> Result<Vec<CloudMapInstance>, GatewayError> {
        let action = format!("listing instances of Cloud Map service {service_id}");
        let pages: Vec<_> = every_page!(
            self,
            self.client.list_instances().service_id(service_id),
            action
        )?;
        Ok(pages
            .iter()
            .flat_map(|page| page.instances())
            .map(|instance| CloudMapInstance {
                id: instance.id().unwrap_or_default().to_string(),
                attributes: instance
                    .attributes()
                    .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            })
            .collect())
    }
}
