//! Route 53: the VPCs of a private namespace's hosted zone. The Cloud Map namespace
//! does not say which VPC it is in; its hosted zone does.

use super::config::CallLimit;

use super::error::{ErrorKind, GatewayError};

/// Route 53 calls, bounded by the provider's concurrency limit for Route 53.
#[derive(Clone, Debug)]
pub struct Route53 {
    client: aws_sdk_route53::Client,
    limit: CallLimit,
}

impl Route53 {
    pub fn new(client: aws_sdk_route53::Client, limit: CallLimit) -> Self {
        Self { client, limit }
    }

    /// The VPC ids associated with a private hosted zone.
    pub async fn hosted_zone_vpcs(&self, zone_id: &str) -> Result<Vec<String>, GatewayError> {
        let _permit = self.limit.permit().await;
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

    /// The VPCs of a zone this account may not be able to read: that of a namespace
    /// another account shares through AWS RAM lives in the owner's account. `None` when
    /// Route 53 answers NoSuchHostedZone (GetHostedZone's error for a zone it does not
    /// find, botocore's Route 53 model) or AccessDenied: the VPC is unknown here. Which of
    /// the two AWS answers for another account's zone is our assumption, not verified.
    pub async fn shared_zone_vpcs(
        &self,
        zone_id: &str,
    ) -> Result<Option<Vec<String>>, GatewayError> {
        match self.hosted_zone_vpcs(zone_id).await {
            Ok(vpcs) => Ok(Some(vpcs)),
            Err(err) if err.is(ErrorKind::NotFound) || err.is(ErrorKind::AccessDenied) => Ok(None),
            Err(err) => Err(err),
        }
    }
}
