//! Route 53: the VPCs of a private namespace's hosted zone. The Cloud Map namespace
//! does not say which VPC it is in; its hosted zone does.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::error::GatewayError;

/// Route 53 calls, bounded by the provider's concurrency limit for Route 53.
#[derive(Clone, Debug)]
pub struct Route53 {
    client: aws_sdk_route53::Client,
    limit: Arc<Semaphore>,
}

impl Route53 {
    pub fn new(client: aws_sdk_route53::Client, limit: Arc<Semaphore>) -> Self {
        Self { client, limit }
    }

    /// The VPC ids associated with a private hosted zone.
    pub async fn hosted_zone_vpcs(&self, zone_id: &str) -> Result<Vec<String>, GatewayError> {
        // A closed semaphore only happens at shutdown: go on without a permit.
        let _permit = self.limit.acquire().await.ok();
        let output = self
            .client
            .get_hosted_zone()
            .id(zone_id)
            .send()
            .await
            .map_err(|err| {
                GatewayError::from_sdk(format!("reading Route 53 hosted zone {zone_id}"), &err)
            })?;
        Ok(output
            .vpcs()
            .iter()
            .filter_map(|vpc| vpc.vpc_id().map(str::to_string))
            .collect())
    }
}
