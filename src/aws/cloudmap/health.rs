//! How healthy a Cloud Map service's instances are, as Cloud Map sees them: the
//! service's health check configuration (from ListServices' summaries) and its
//! instances' statuses (GetInstancesHealthStatus). Read only.

use std::collections::BTreeMap;

use aws_sdk_servicediscovery::types::HealthStatus;

use super::CloudMap;
use crate::aws::error::GatewayError;

/// Which health check a Cloud Map service has (botocore's servicediscovery model:
/// `Service.HealthCheckConfig`, a Route 53 health check, or `HealthCheckCustomConfig`,
/// statuses sent with UpdateInstanceCustomHealthStatus; at most one of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthCheck {
    /// None: Cloud Map routes to every instance ("If you don't configure a health check
    /// during service creation, traffic will be routed to service instances regardless
    /// of the instances' health status", Cloud Map developer guide, and DiscoverInstances
    /// ignores its HealthStatus filter for such a service).
    None,
    Custom,
    Route53,
}

impl CloudMap {
    /// The health status of every instance of a Cloud Map service (by id or ARN),
    /// following pages: instance id → `HEALTHY`, `UNHEALTHY` or `UNKNOWN`.
    pub async fn instances_health(
        &self,
        service_id: &str,
    ) -> Result<BTreeMap<String, String>, GatewayError> {
        let action =
            format!("reading the health of the instances of Cloud Map service {service_id}");
        let pages: Vec<_> = every_page!(
            self,
            self.client
                .get_instances_health_status()
                .service_id(service_id),
            action
        )?;
        Ok(pages
            .iter()
            .filter_map(|page| page.status())
            .flat_map(|status| status.iter())
            .map(|(id, status): (&String, &HealthStatus)| (id.clone(), status.as_str().to_string()))
            .collect())
    }
}
