//! Everything a resource needs from AWS, built once per configured provider.

use std::collections::BTreeMap;

use super::cloudmap::CloudMap;
use super::config::AwsClients;
use super::ecs::Ecs;
use super::route53::Route53;

#[derive(Clone, Debug)]
pub struct Gateway {
    pub ecs: Ecs,
    pub cloudmap: CloudMap,
    pub route53: Route53,
    pub region: String,
    /// The provider's `default_tags`, merged under each resource's own tags.
    pub default_tags: BTreeMap<String, String>,
}

/// Each API gets its own bound on calls in flight (`max_concurrency` each): they
/// throttle separately, and a slow Cloud Map must not hold up ECS reads.
impl From<&AwsClients> for Gateway {
    fn from(clients: &AwsClients) -> Self {
        let limits = clients.limits();
        Self {
            ecs: Ecs::new(clients.ecs().clone(), limits.ecs.clone()),
            cloudmap: CloudMap::new(
                clients.servicediscovery().clone(),
                limits.servicediscovery.clone(),
            ),
            route53: Route53::new(clients.route53().clone(), limits.route53.clone()),
            region: clients.region().to_string(),
            default_tags: clients.default_tags().clone(),
        }
    }
}
