//! Names and identifiers: ECS clusters given as names or ARNs, namespaces echoed back as
//! names, ARNs or ids, and the defaults derived from them.

/// The cluster name from a name or an ARN
/// (`arn:aws:ecs:eu-west-1:123456789012:cluster/prod` → `prod`).
pub fn cluster_name(cluster: &str) -> &str {
    if cluster.starts_with("arn:") {
        cluster.rsplit('/').next().unwrap_or(cluster)
    } else {
        cluster
    }
}

/// The namespace id from an ARN (`arn:aws:servicediscovery:…:namespace/ns-…` → `ns-…`),
/// or the input when it is not an ARN.
pub fn namespace_id_from_arn(value: &str) -> &str {
    if value.starts_with("arn:") {
        value.rsplit('/').next().unwrap_or(value)
    } else {
        value
    }
}

/// Whether a namespace reference echoed by ECS (a name, an ARN or an id) denotes the
/// namespace we know by `id`, `arn` and `name`.
pub fn same_namespace(reference: &str, id: &str, arn: &str, name: &str) -> bool {
    reference == name
        || reference == arn
        || reference == id
        || (reference.starts_with("arn:") && namespace_id_from_arn(reference) == id)
}

/// Cloud Map namespace ids: `ns-` followed by 16 lowercase alphanumerics.
pub fn is_namespace_id(value: &str) -> bool {
    value.strip_prefix("ns-").is_some_and(|rest| {
        rest.len() == 16
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// The default DNS name of an endpoint: `<discovery_name>.<namespace>`.
pub fn default_dns_name(discovery_name: &str, namespace: &str) -> String {
    format!("{discovery_name}.{namespace}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names_from_names_and_arns() {
        assert_eq!(cluster_name("prod"), "prod");
        assert_eq!(
            cluster_name("arn:aws:ecs:eu-west-1:123456789012:cluster/prod"),
            "prod"
        );
    }

    #[test]
    fn namespace_references_compare_normalised() {
        let (id, arn, name) = (
            "ns-abcdefghijklmnop",
            "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abcdefghijklmnop",
            "internal.myapp",
        );
        assert!(same_namespace("internal.myapp", id, arn, name));
        assert!(same_namespace(arn, id, arn, name));
        assert!(same_namespace(id, id, arn, name));
        // An ARN from another partition or account still names the same id.
        assert!(same_namespace(
            "arn:aws-cn:servicediscovery:cn-north-1:1:namespace/ns-abcdefghijklmnop",
            id,
            arn,
            name
        ));
        assert!(!same_namespace("other.myapp", id, arn, name));
    }

    #[test]
    fn recognises_namespace_ids() {
        assert!(is_namespace_id("ns-abcdefghijklmnop"));
        assert!(is_namespace_id("ns-0123456789abcdef"));
        assert!(!is_namespace_id("ns-ABCDEFGHIJKLMNOP"));
        assert!(!is_namespace_id("ns-short"));
        assert!(!is_namespace_id("internal.myapp"));
    }

    #[test]
    fn derives_dns_names() {
        assert_eq!(
            default_dns_name("backend", "internal.myapp"),
            "backend.internal.myapp"
        );
    }
}
