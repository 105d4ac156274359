//! The schema of `servicemesh_internal`. Descriptions are markdown and become the
//! registry docs.

use crate::protocol::schema::{Attribute, Block, Nesting, Presence, Schema};
use crate::protocol::value::Type;

pub const TYPE_NAME: &str = "servicemesh_internal";

/// Bump with an upgrade step in `upgrade_state` whenever the stored shape changes.
pub const SCHEMA_VERSION: i64 = 0;

pub fn resource_schema() -> Schema {
    let service = vec![
        Attribute::required("port_name", Type::String)
            .description("The port alias: the `name` of a port mapping in the service's task definition, e.g. `backend-8080-tcp`."),
        Attribute::optional_computed("discovery_name", Type::String)
            .description("The service's name in the namespace (the Cloud Map service ECS creates). Default: the map key. Unique in the namespace; up to 64 of `a-z 0-9 _ -`."),
        Attribute::optional_computed("dns_name", Type::String)
            .description("The name clients call. Default: `<discovery_name>.<namespace>`."),
        Attribute::optional_computed("port", Type::Number)
            .description("The port clients call. Default: the container port of `port_name` in the task definition."),
        Attribute::optional("ingress_port_override", Type::Number)
            .description("The port the Service Connect proxy listens on, if not the container port. Must be above 1024."),
        Attribute::optional("idle_timeout_seconds", Type::Number)
            .description("How long a connection may stay idle. `0` disables the timeout. Default: AWS's (300 s for HTTP)."),
        Attribute::optional("per_request_timeout_seconds", Type::Number)
            .description("The longest a request may take. `0` disables the timeout. Default: AWS's (15 s for HTTP)."),
    ];
    let timeouts = vec![
        Attribute::optional("create", Type::String)
            .description("How long a create may take, e.g. `30m`. Default: `20m`."),
        Attribute::optional("update", Type::String)
            .description("How long an update may take. Default: `20m`."),
        Attribute::optional("delete", Type::String)
            .description("How long a destroy may take. Default: `20m`."),
    ];
    let block = Block::new(
        "Wires Amazon ECS services together inside a VPC: creates a private AWS Cloud Map DNS namespace (or uses an existing one) \
         and enables ECS Service Connect on the listed services, so each reaches the others by name (`backend.internal.myapp:8080`) \
         and east-west traffic stays in the VPC.",
    )
    .attribute(
        // Replacement is decided in plan, on the normalised name: a name and the ARN
        // of the same cluster are the same cluster.
        Attribute::required("cluster", Type::String)
            .description("The ECS cluster of the services, as a name or an ARN. Changing it to another cluster replaces the resource."),
    )
    .attribute(
        Attribute::optional_computed("namespace", Type::String)
            .requires_replace()
            .description("Name of the private DNS namespace to create and own, e.g. `internal.myapp`. Conflicts with `namespace_id`; read from the namespace when `namespace_id` is set. Changing it replaces the resource."),
    )
    .attribute(
        // Replacement is decided in plan: another VPC the namespace's hosted zone is
        // already associated with is the same namespace.
        Attribute::optional_computed("vpc_id", Type::String)
            .description("The VPC of the namespace to create. Import reads it from the namespace's hosted zone (the first VPC Route 53 lists); with `namespace_id` it is otherwise left null. A namespace's private hosted zone can serve several VPCs: naming another VPC it already serves changes only the state; any other VPC replaces the resource."),
    )
    .attribute(
        Attribute::optional_computed("namespace_id", Type::String)
            .requires_replace()
            .description("Id of an existing Cloud Map namespace (`ns-…`) to wire onto. This resource never creates or deletes it. Conflicts with `namespace` and `vpc_id`. When a namespace is created, this is its id."),
    )
    .attribute(Attribute::optional("description", Type::String).description("Description of the namespace (owned namespaces only). Updated in place."))
    .attribute(
        Attribute::optional("tags", Type::map(Type::String))
            .description("Tags of the namespace (owned namespaces only). Updated in place. Merged over the provider's `default_tags`."),
    )
    .attribute(Attribute::computed("tags_all", Type::map(Type::String)).description("All tags of the namespace: the provider's `default_tags` merged with `tags`."))
    .attribute(
        Attribute::nested("services", Nesting::Map, Presence::Optional, service)
            .description("\"Client and server\" services, keyed by ECS service name: each serves on its port alias and calls the others."),
    )
    .attribute(
        Attribute::optional("client_services", Type::set(Type::String))
            .description("\"Client only\" services: ECS service names that call the others but serve nothing."),
    )
    .attribute(
        Attribute::optional("wait_for_steady_state", Type::Bool)
            .description("Wait until every deployment the apply started has completed with the configuration sent: a failed rollout (or the deployment circuit breaker's rollback) is then an error naming the service, its deployment and ECS's reason, and the state records what the service runs. Default: `false`."),
    )
    .attribute(
        Attribute::optional("redeploy_clients", Type::Bool)
            .description("When an apply adds, removes or changes an endpoint (a server, its `discovery_name`, `dns_name` or `port`), it waits for the changed servers' deployments to complete, then redeploys every other service of the mesh with its configuration unchanged: running tasks know only the endpoints that existed when they started. The plan names them. Set `false` to deploy them yourself. Default: `true`."),
    )
    .attribute(
        Attribute::optional("force_destroy", Type::Bool)
            .description("Delete the namespace on destroy even when others still use it: the Cloud Map services that ECS made for services outside this resource are deleted first. Cloud Map services that ECS did not make (registered by hand or by another tool) are never deleted, and a namespace that still holds one is kept. Default: `false`, which keeps a namespace still in use and says what uses it. Owned namespaces only."),
    )
    .attribute(Attribute::nested("timeouts", Nesting::Single, Presence::Optional, timeouts).description("How long each operation may take."))
    .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The namespace id."))
    .attribute(Attribute::computed("namespace_arn", Type::String).use_state_for_unknown().description("ARN of the namespace."))
    .attribute(Attribute::computed("hosted_zone_id", Type::String).use_state_for_unknown().description("The namespace's Route 53 private hosted zone."))
    .attribute(
        Attribute::computed("namespace_owned", Type::Bool)
            .use_state_for_unknown()
            .description("Whether this resource owns the namespace and deletes it on destroy: true when the configuration names it with `namespace` and `vpc_id`, false with `namespace_id`. Changing the form changes this in place, without replacing anything."),
    )
    .attribute(
        Attribute::computed("endpoints", Type::map(Type::String))
            .description("What clients call, by ECS service name: `\"backend\" = \"backend.internal.myapp:8080\"`."),
    )
    .attribute(
        Attribute::computed("pending_cleanup", Type::list(Type::String))
            .description(
                "Cloud Map services that an apply freed (a discovery name changed or a server was removed) \
                 but could not delete yet, for example while ECS still held them. Null when there are none. \
                 While it is set, the plan shows a change and the next `terraform apply` deletes them.",
            ),
    );
    Schema::new(SCHEMA_VERSION, block)
}
