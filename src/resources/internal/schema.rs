//! The schema of `servicemesh_internal`. Descriptions are markdown and become the
//! registry docs.

use crate::protocol::schema::{Attribute, Block, Nesting, Presence, Schema};
use crate::protocol::value::Type;

pub const TYPE_NAME: &str = "servicemesh_internal";

/// Bump with an upgrade step in `upgrade_state` whenever the stored shape changes.
/// 1: several endpoints per service (`endpoints`), TLS and the proxy's logs; the
/// `endpoints` output is keyed by discovery name.
pub const SCHEMA_VERSION: i64 = 1;

/// An endpoint's settings, shared by the short form (on the `services` entry) and the
/// long form (each `endpoints` entry).
fn endpoint_attributes() -> Vec<Attribute> {
    vec![
        Attribute::optional_computed("dns_name", Type::String)
            .description("The name clients call. Default: `<discovery_name>.<namespace>`."),
        Attribute::optional_computed("port", Type::Number)
            .description("The port clients call. Default: the container port of `port_name` in the task definition."),
        Attribute::optional("ingress_port_override", Type::Number)
            .description("The port the Service Connect proxy listens on, if not the container port. Must be above 1024."),
        Attribute::optional("idle_timeout_seconds", Type::Number)
            .description("How long a connection may stay idle. `0` disables the timeout. Default: AWS's (300 s for HTTP)."),
        Attribute::optional("per_request_timeout_seconds", Type::Number)
            .description("The longest a request may take. `0` disables the timeout. HTTP, HTTP/2 and gRPC ports only. Default: AWS's (15 s for HTTP)."),
        tls_attribute("TLS of this endpoint. Default: the resource's `tls`. Left out there too, TLS set outside Terraform is kept."),
    ]
}

fn tls_attribute(description: &str) -> Attribute {
    Attribute::nested(
        "tls",
        Nesting::Single,
        Presence::Optional,
        vec![
            Attribute::required("aws_pca_authority_arn", Type::String)
                .description("ARN of the AWS Private CA that issues the endpoint's certificates."),
            Attribute::optional("kms_key", Type::String)
                .description("The KMS key (id, ARN or alias) that encrypts the private keys. Default: an AWS owned key."),
            Attribute::optional("role_arn", Type::String)
                .description("The IAM role Service Connect uses to reach the CA and the key. Default: the ECS infrastructure role."),
        ],
    )
    .description(description)
}

fn log_configuration_attribute(description: &str) -> Attribute {
    Attribute::nested(
        "log_configuration",
        Nesting::Single,
        Presence::Optional,
        vec![
            Attribute::required("log_driver", Type::String)
                .description("`awslogs`, `awsfirelens`, `fluentd`, `gelf`, `journald`, `json-file`, `splunk` or `syslog`."),
            Attribute::optional("options", Type::map(Type::String))
                .description("The log driver's options, such as `awslogs-group`."),
            Attribute::nested(
                "secret_options",
                Nesting::List,
                Presence::Optional,
                vec![
                    Attribute::required("name", Type::String).description("The option's name."),
                    Attribute::required("value_from", Type::String)
                        .description("ARN of the Secrets Manager secret or SSM parameter (or its name, in the same Region)."),
                ],
            )
            .description("Options whose values come from secrets."),
        ],
    )
    .description(description)
}

fn access_log_configuration_attribute(description: &str) -> Attribute {
    Attribute::nested(
        "access_log_configuration",
        Nesting::Single,
        Presence::Optional,
        vec![
            Attribute::required("format", Type::String).description("`TEXT` or `JSON`."),
            Attribute::optional("include_query_parameters", Type::Bool)
                .description("Whether access logs include query parameters. Default: `false`."),
        ],
    )
    .description(description)
}

/// `external_services`: standalone servers named in the namespace.
fn external_services_attribute() -> Attribute {
    Attribute::nested(
        "external_services",
        Nesting::Map,
        Presence::Optional,
        vec![
            Attribute::required("addresses", Type::list(Type::String))
                .description("The server's IPv4 addresses: one A record each (MULTIVALUE routing)."),
            Attribute::optional("port", Type::Number)
                .description("The port clients call, registered with each address (`AWS_INSTANCE_PORT`) and shown in `endpoints`."),
            Attribute::optional_computed("ttl", Type::Number)
                .description("The records' TTL in seconds. Default: `60`."),
        ],
    )
    .description(
        "Standalone servers (EC2 instances, hosts over a VPN) named in the namespace, keyed by their name there: \
         `erp = { addresses = [\"10.0.3.12\"], port = 8069 }` makes `erp.internal.myapp` resolve to 10.0.3.12 inside the VPC, \
         from ECS tasks and from anything else in it. Private DNS namespaces only.",
    )
}

/// A `services` entry: the short form's attributes, `endpoints`, and the logs.
fn service_attributes() -> Vec<Attribute> {
    let mut endpoint = vec![Attribute::required("port_name", Type::String).description(
        "The port alias: the `name` of a port mapping in the service's task definition.",
    )];
    endpoint.extend(endpoint_attributes());
    let mut service = vec![
        Attribute::optional("port_name", Type::String)
            .description("The port alias of the service's one endpoint: the `name` of a port mapping in the service's task definition, e.g. `backend-8080-tcp`. Conflicts with `endpoints`."),
        Attribute::optional_computed("discovery_name", Type::String)
            .description("The endpoint's name in the namespace (the Cloud Map service ECS creates). Default: the map key. Unique in the namespace; up to 64 of `a-z 0-9 _ -`. Null with `endpoints`."),
    ];
    service.extend(endpoint_attributes());
    service.extend([
        Attribute::nested("endpoints", Nesting::Map, Presence::Optional, endpoint).description(
            "Several endpoints, keyed by discovery name (unique in the namespace), for a service that serves more than one port: \
             `endpoints = { api = { port_name = \"api-8080-tcp\" }, api-grpc = { port_name = \"api-9090-tcp\" } }`. \
             Conflicts with `port_name` and the settings beside it.",
        ),
        log_configuration_attribute("The Service Connect proxy's log configuration for this service. Default: the resource's `log_configuration`."),
        access_log_configuration_attribute("The proxy's access logs for this service. Default: the resource's `access_log_configuration`."),
    ]);
    service
}

pub fn resource_schema() -> Schema {
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
        Attribute::nested("services", Nesting::Map, Presence::Optional, service_attributes())
            .description("\"Client and server\" services, keyed by ECS service name: each serves one endpoint (`port_name`) or several (`endpoints`) and calls the others."),
    )
    .attribute(external_services_attribute())
    .attribute(
        Attribute::optional("client_services", Type::set(Type::String))
            .description("\"Client only\" services: ECS service names that call the others but serve nothing."),
    )
    .attribute(
        Attribute::optional("idle_timeout_seconds", Type::Number)
            .description("The idle timeout of every endpoint that sets none. `0` disables it. Default: AWS's (300 s for HTTP)."),
    )
    .attribute(
        Attribute::optional("per_request_timeout_seconds", Type::Number)
            .description("The per-request timeout of every endpoint that sets none and whose port mapping is HTTP, HTTP/2 or gRPC (its `appProtocol`); a TCP port takes none. `0` disables it. Default: AWS's (15 s for HTTP)."),
    )
    .attribute(tls_attribute(
        "TLS for every endpoint that sets none. Left out everywhere, TLS set outside Terraform is kept; removed from the configuration, it is removed.",
    ))
    .attribute(log_configuration_attribute(
        "The Service Connect proxy's log configuration, for every service (clients too) that sets none. Left out everywhere, a configuration set outside Terraform is kept; removed, it is removed.",
    ))
    .attribute(access_log_configuration_attribute(
        "The proxy's access logs, for every service that sets none. Left out everywhere, a configuration set outside Terraform is kept; removed, it is removed.",
    ))
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
            .description("What clients call, by discovery name, and the standalone servers by name: `\"backend\" = \"backend.internal.myapp:8080\"`, `\"erp\" = \"erp.internal.myapp:8069\"`."),
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
