//! The schema of the data source `servicemesh_internal`. Descriptions are markdown and
//! become the registry docs.

use crate::protocol::schema::{Attribute, Block, Nesting, Presence, Schema};
use crate::protocol::value::Type;

pub const TYPE_NAME: &str = "servicemesh_internal";

pub fn data_source_schema() -> Schema {
    let endpoint = vec![
        Attribute::computed("port_name", Type::String)
            .description("The port alias: the `name` of the port mapping in the service's task definition."),
        Attribute::computed("discovery_name", Type::String)
            .description("The endpoint's name in the namespace (its Cloud Map service)."),
        Attribute::computed("dns_name", Type::String).description("The name clients call."),
        Attribute::computed("port", Type::Number)
            .description("The port clients call; null when Service Connect has no client alias for the endpoint."),
    ];
    let service = vec![
        Attribute::nested("endpoints", Nesting::Map, Presence::Computed, endpoint)
            .description("The endpoints the service serves, keyed by discovery name."),
    ];
    let instances = vec![
        Attribute::computed("registered", Type::Number)
            .description("How many instances Cloud Map has registered."),
        Attribute::computed("healthy", Type::Number).description(
            "How many of them are healthy as Cloud Map sees them: for a Cloud Map service with a health check \
             (custom, as ECS reports task health, or Route 53), the instances whose status is `HEALTHY`; \
             for one without, every registered instance, as Cloud Map routes to all of them.",
        ),
    ];
    let block = Block::new(
        "Reads a Service Connect mesh without changing anything: the Cloud Map namespace, every ECS service of \
         the cluster wired to it with its endpoints, and how many instances Cloud Map has registered, and how \
         many are healthy, behind each name in the namespace. Use it to hand another configuration the \
         endpoints it calls, or in a `check` block to assert after every apply that the names resolve.",
    )
    .attribute(
        Attribute::required("cluster", Type::String)
            .description("The ECS cluster of the services, as a name or an ARN."),
    )
    .attribute(Attribute::required("namespace", Type::String).description(
        "The Cloud Map namespace, as a name (`internal.myapp`), an id (`ns-…`) or an ARN (for a namespace shared through AWS RAM).",
    ))
    .attribute(Attribute::computed("namespace_id", Type::String).description("The namespace's id."))
    .attribute(Attribute::computed("namespace_arn", Type::String).description("The namespace's ARN."))
    .attribute(Attribute::computed("namespace_name", Type::String).description("The namespace's name."))
    .attribute(Attribute::computed("hosted_zone_id", Type::String).description(
        "The Route 53 private hosted zone of the namespace; null for a namespace without DNS (an HTTP namespace).",
    ))
    .attribute(Attribute::computed("vpc_id", Type::String).description(
        "The VPC of the namespace, read from its hosted zone (the first, if the zone is associated with several); \
         null without a hosted zone or when the zone belongs to another account.",
    ))
    .attribute(
        Attribute::nested("services", Nesting::Map, Presence::Computed, service).description(
            "Every ECS service of the cluster whose Service Connect uses the namespace and serves at least one \
             endpoint (\"client and server\"), keyed by ECS service name.",
        ),
    )
    .attribute(Attribute::computed("client_services", Type::set(Type::String)).description(
        "The ECS services of the cluster whose Service Connect uses the namespace as clients only.",
    ))
    .attribute(Attribute::computed("endpoints", Type::map(Type::String)).description(
        "Every endpoint of `services`, keyed by discovery name: `\"backend\" = \"backend.internal.myapp:8080\"` \
         (the DNS name alone when it has no port).",
    ))
    .attribute(
        Attribute::nested("instances", Nesting::Map, Presence::Computed, instances).description(
            "Instances behind each name of the namespace, keyed by name: every endpoint of `services` (an endpoint \
             whose Cloud Map service does not exist yet counts none), and every other Cloud Map service of the \
             namespace, such as standalone servers or another cluster's endpoints.",
        ),
    );
    Schema::new(0, block)
}
