//! Upgrades of stored `servicemesh_internal` states (docs/state-upgrades.md): each step
//! rewrites one schema version into the next, so a state of any older version reaches
//! the current shape losslessly.

use std::collections::BTreeMap;

use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::value::Value;

pub fn upgrade_state(stored_version: i64, mut state: Value) -> Result<Value, Diagnostics> {
    if stored_version < 1 {
        state = v0_to_v1(state);
    }
    Ok(state)
}

/// Version 0 had one endpoint per service, written as version 1's short form, so the
/// `services` entries stay as they are (the attributes version 1 adds start as null).
/// The `endpoints` output was keyed by ECS service name and is keyed by discovery name
/// now.
fn v0_to_v1(state: Value) -> Value {
    let Value::Object(mut attributes) = state else {
        return state;
    };
    let by_service = match attributes.get("endpoints") {
        Some(Value::Object(map) | Value::Map(map)) => map.clone(),
        _ => BTreeMap::new(),
    };
    if let Some(Value::Object(services) | Value::Map(services)) = attributes.get("services") {
        let by_discovery: BTreeMap<String, Value> = services
            .iter()
            .filter_map(|(name, service)| {
                let discovery = match service {
                    Value::Object(fields) | Value::Map(fields) => {
                        match fields.get("discovery_name") {
                            Some(Value::String(discovery)) => discovery.clone(),
                            _ => name.clone(),
                        }
                    }
                    _ => name.clone(),
                };
                Some((discovery, by_service.get(name)?.clone()))
            })
            .collect();
        attributes.insert("endpoints".to_string(), Value::Object(by_discovery));
    }
    Value::Object(attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::String(s.to_string())
    }

    fn object(entries: &[(&str, Value)]) -> Value {
        Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn v0_endpoints_are_keyed_by_discovery_name() {
        let v0 = object(&[
            ("cluster", text("prod")),
            (
                "services",
                object(&[
                    (
                        "backend",
                        object(&[
                            ("port_name", text("backend-8080-tcp")),
                            ("discovery_name", text("backend")),
                        ]),
                    ),
                    (
                        "orders",
                        object(&[
                            ("port_name", text("orders-9090-tcp")),
                            ("discovery_name", text("orders-api")),
                        ]),
                    ),
                ]),
            ),
            (
                "endpoints",
                object(&[
                    ("backend", text("backend.internal.myapp:8080")),
                    ("orders", text("orders-api.internal.myapp:9090")),
                ]),
            ),
        ]);
        let Value::Object(v1) = upgrade_state(0, v0.clone()).unwrap() else {
            panic!("an object");
        };
        assert_eq!(
            v1["endpoints"],
            object(&[
                ("backend", text("backend.internal.myapp:8080")),
                ("orders-api", text("orders-api.internal.myapp:9090")),
            ])
        );
        let Value::Object(v0) = v0 else {
            unreachable!()
        };
        assert_eq!(v1["services"], v0["services"], "entries unchanged");
        assert_eq!(v1["cluster"], v0["cluster"]);
    }

    #[test]
    fn a_v0_state_without_services_is_kept() {
        let v0 = object(&[("cluster", text("prod")), ("services", Value::Null)]);
        assert_eq!(upgrade_state(0, v0.clone()).unwrap(), v0);
    }
}
