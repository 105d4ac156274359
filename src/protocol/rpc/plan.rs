//! PlanResourceChange: the schema's plan behaviours first (defaults, unknowns for
//! computed values, keep-prior-value, requires-replace), then the resource's own plan.
//!
//! The behaviours apply at every depth: to nested attributes (single, list, set, map)
//! and nested blocks as well as to top-level attributes. A nested object with no prior
//! counterpart (a new map entry, list element or set element) is planned as a create.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{ProviderService, codec};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::provider::PlanRequest;
use crate::protocol::schema::{Attribute, AttributeKind, Block, NestedBlock, Nesting};
use crate::protocol::value::{AttributePath, Value};

static NULL: Value = Value::Null;

pub(super) async fn plan(
    service: &ProviderService,
    request: pb::plan_resource_change::Request,
) -> pb::plan_resource_change::Response {
    match try_plan(service, request).await {
        Ok(response) => response,
        Err(diagnostics) => pb::plan_resource_change::Response {
            diagnostics: (&diagnostics).into(),
            ..Default::default()
        },
    }
}

async fn try_plan(
    service: &ProviderService,
    mut request: pb::plan_resource_change::Request,
) -> Result<pb::plan_resource_change::Response, Diagnostics> {
    let resource = service.resource(&request.type_name)?;
    // The raw bytes, for codec conformance checks against real Terraform (refined
    // unknowns). Never for a schema with a sensitive attribute, however nested.
    if resource.loggable
        && tracing::enabled!(tracing::Level::TRACE)
        && let Some(config) = request.config.as_ref().filter(|c| !c.msgpack.is_empty())
    {
        tracing::trace!(
            type_name = %request.type_name,
            config_msgpack = %hex(&config.msgpack),
            "plan: raw configuration from Terraform"
        );
    }
    let ty = &resource.value_type;
    let identity_type = resource.identity.as_ref().map(|(_, ty)| ty);
    let prior_state = codec::decode(request.prior_state.as_ref(), ty, "prior state")?;
    let proposed = codec::decode(request.proposed_new_state.as_ref(), ty, "proposed state")?;
    let config = codec::decode(request.config.as_ref(), ty, "configuration")?;
    if proposed.is_null() {
        // Destroy: nothing to plan, but the resource may have something to say.
        let diagnostics = match prior_state.is_null() {
            true => Default::default(),
            false => {
                let context = service.context();
                resource
                    .handler
                    .plan_destroy(&prior_state, &request.prior_private, &context)
                    .await
            }
        };
        return Ok(pb::plan_resource_change::Response {
            planned_state: request.proposed_new_state.clone(),
            planned_private: request.prior_private.clone(),
            diagnostics: (&diagnostics).into(),
            ..Default::default()
        });
    }
    let block = &resource.schema.block;
    let proposed_new_state = apply_schema_behaviours(block, &prior_state, proposed, &config);
    let plan = PlanRequest {
        prior_identity: codec::decode_identity(request.prior_identity.as_ref(), identity_type)?,
        prior_state,
        proposed_new_state,
        config,
        prior_private: std::mem::take(&mut request.prior_private),
    };
    // Decoded: the proposed state's and the configuration's bytes are not held through the
    // resource's plan. The prior state's are, to decode it again afterwards: its bytes are
    // a fraction of a decoded copy (at 500 services, megabytes of small allocations).
    drop((request.proposed_new_state.take(), request.config.take()));
    let answer = resource.handler.plan(plan, &service.context()).await;
    let prior_state = codec::decode(request.prior_state.as_ref(), ty, "prior state")?;
    let mut requires_replace = replaced_attributes(block, &prior_state, &answer.planned_state);
    for path in &answer.requires_replace {
        if !requires_replace.contains(path) {
            requires_replace.push(path.clone());
        }
    }
    Ok(pb::plan_resource_change::Response {
        planned_state: Some(codec::encode(&answer.planned_state, ty, "planned state")?),
        requires_replace: requires_replace
            .iter()
            .map(crate::protocol::diagnostics::path_to_proto)
            .collect(),
        planned_private: answer.planned_private,
        diagnostics: (&answer.diagnostics).into(),
        legacy_type_system: false,
        deferred: codec::deferred(answer.deferred),
        planned_identity: codec::encode_identity(answer.planned_identity.as_ref(), identity_type)?,
    })
}

/// Lowercase hex, two digits a byte.
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Fills in what the schema decides for attributes the configuration leaves null:
/// defaults, "(known after apply)" for computed values on create, and the prior value
/// for computed values marked as never changing after create. Nested attributes and
/// blocks get the same treatment, element by element.
pub fn apply_schema_behaviours(
    block: &Block,
    prior_state: &Value,
    proposed: Value,
    config: &Value,
) -> Value {
    plan_object(
        &block.attributes,
        &block.blocks,
        prior_state,
        proposed,
        config,
    )
}

/// One object (a resource, a nested attribute's object or a block's body).
fn plan_object(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    prior: &Value,
    proposed: Value,
    config: &Value,
) -> Value {
    // Null and unknown objects stay as Terraform proposed them.
    let Value::Object(mut planned) = proposed else {
        return proposed;
    };
    let creating = prior.is_null();
    for attribute in attributes {
        let current = planned.remove(&attribute.name).unwrap_or(Value::Null);
        let prior_value = prior.get_attr(&attribute.name).unwrap_or(&NULL);
        let config_value = config.get_attr(&attribute.name).unwrap_or(&NULL);
        let value = if !config_value.is_null() {
            match &attribute.kind {
                AttributeKind::Nested(nesting, nested) => plan_nested(
                    *nesting,
                    &|prior, proposed, config| plan_object(nested, &[], prior, proposed, config),
                    prior_value,
                    current,
                    config_value,
                ),
                AttributeKind::Simple(_) => current,
            }
        } else if let Some(default) = &attribute.default {
            default.clone()
        } else if !attribute.is_computed() {
            current
        } else if creating {
            Value::unknown()
        } else if attribute.use_state_for_unknown {
            prior_value.clone()
        } else {
            current
        };
        planned.insert(attribute.name.clone(), value);
    }
    for nested in blocks {
        let current = planned.remove(&nested.type_name).unwrap_or(Value::Null);
        let value = plan_nested(
            nested.nesting,
            &|prior, proposed, config| {
                plan_object(
                    &nested.block.attributes,
                    &nested.block.blocks,
                    prior,
                    proposed,
                    config,
                )
            },
            prior.get_attr(&nested.type_name).unwrap_or(&NULL),
            current,
            config.get_attr(&nested.type_name).unwrap_or(&NULL),
        );
        planned.insert(nested.type_name.clone(), value);
    }
    Value::Object(planned)
}

type PlanElement<'a> = dyn Fn(&Value, Value, &Value) -> Value + 'a;

/// Plans each object of a nested attribute or block against its prior and configured
/// counterparts: by position in lists, by key in maps. Set elements have no identity
/// but their value: an element equal to a prior one is unchanged (Terraform copied the
/// prior's computed values into it), any other is new; its configuration is the first
/// configured element that agrees with it on every configured attribute.
fn plan_nested(
    nesting: Nesting,
    plan_element: &PlanElement<'_>,
    prior: &Value,
    proposed: Value,
    config: &Value,
) -> Value {
    match (nesting, proposed) {
        (Nesting::Single, proposed) => plan_element(prior, proposed, config),
        (Nesting::List, Value::List(items)) => Value::List(
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    plan_element(
                        prior.get_index(index).unwrap_or(&NULL),
                        item,
                        config.get_index(index).unwrap_or(&NULL),
                    )
                })
                .collect(),
        ),
        (Nesting::Map, Value::Map(entries)) => Value::Map(
            entries
                .into_iter()
                .map(|(key, item)| {
                    let planned = plan_element(
                        prior.get_key(&key).unwrap_or(&NULL),
                        item,
                        config.get_key(&key).unwrap_or(&NULL),
                    );
                    (key, planned)
                })
                .collect(),
        ),
        (Nesting::Set, Value::Set(items)) => {
            let prior_items = prior.as_elements().unwrap_or(&[]);
            let config_items = config.as_elements().unwrap_or(&[]);
            let mut used = vec![false; config_items.len()];
            Value::Set(
                items
                    .into_iter()
                    .map(|item| {
                        let prior_item = prior_items.iter().find(|p| **p == item).unwrap_or(&NULL);
                        let config_item = config_items
                            .iter()
                            .enumerate()
                            .find(|(index, c)| !used[*index] && configured_part_of(c, &item))
                            .map(|(index, c)| {
                                used[index] = true;
                                c
                            })
                            .unwrap_or(&NULL);
                        plan_element(prior_item, item, config_item)
                    })
                    .collect(),
            )
        }
        // Null, unknown, or a shape the schema does not describe: leave it alone.
        (_, proposed) => proposed,
    }
}

/// True when every non-null attribute of `config` equals `candidate`'s.
fn configured_part_of(config: &Value, candidate: &Value) -> bool {
    match config.as_entries() {
        Some(attributes) => attributes
            .iter()
            .filter(|(_, value)| !value.is_null())
            .all(|(name, value)| candidate.get_attr(name) == Some(value)),
        None => false,
    }
}

/// The schema's requires-replace attributes, at any depth, whose planned value differs
/// from the prior state's. Nothing is replaced on create. Inside a nested object that is
/// wholly unknown every requires-replace attribute is reported; Terraform compares the
/// values at the paths again and keeps only real changes. Set elements have no path a
/// diagnostic could name, so attributes inside sets are not looked at.
pub fn replaced_attributes(
    block: &Block,
    prior_state: &Value,
    planned: &Value,
) -> Vec<AttributePath> {
    let mut replaced = Vec::new();
    if prior_state.is_null() || planned.is_null() {
        return replaced;
    }
    replaced_in(
        &block.attributes,
        &block.blocks,
        prior_state,
        planned,
        &AttributePath::root(),
        &mut replaced,
    );
    replaced
}

fn replaced_in(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    replaced: &mut Vec<AttributePath>,
) {
    for attribute in attributes {
        let here = path.clone().attribute(attribute.name.as_str());
        let prior_value = prior.get_attr(&attribute.name).unwrap_or(&NULL);
        let planned_value = part(planned, |v| v.get_attr(&attribute.name));
        if attribute.requires_replace {
            if *prior_value != planned_value {
                replaced.push(here);
            }
        } else if let AttributeKind::Nested(nesting, nested) = &attribute.kind {
            replaced_in_nested(
                *nesting,
                &|prior, planned, path, replaced| {
                    replaced_in(nested, &[], prior, planned, path, replaced)
                },
                prior_value,
                &planned_value,
                here,
                replaced,
            );
        }
    }
    for nested in blocks {
        replaced_in_nested(
            nested.nesting,
            &|prior, planned, path, replaced| {
                replaced_in(
                    &nested.block.attributes,
                    &nested.block.blocks,
                    prior,
                    planned,
                    path,
                    replaced,
                )
            },
            prior.get_attr(&nested.type_name).unwrap_or(&NULL),
            &part(planned, |v| v.get_attr(&nested.type_name)),
            path.clone().attribute(nested.type_name.as_str()),
            replaced,
        );
    }
}

type ReplacedElement<'a> = dyn Fn(&Value, &Value, &AttributePath, &mut Vec<AttributePath>) + 'a;

/// Walks the objects that exist both before and after: a new or removed element of a
/// collection replaces nothing by itself.
fn replaced_in_nested(
    nesting: Nesting,
    replaced_element: &ReplacedElement<'_>,
    prior: &Value,
    planned: &Value,
    path: AttributePath,
    replaced: &mut Vec<AttributePath>,
) {
    if prior.is_null() || planned.is_null() {
        return;
    }
    match nesting {
        Nesting::Single => replaced_element(prior, planned, &path, replaced),
        Nesting::List => {
            for (index, prior_item) in prior.as_elements().unwrap_or(&[]).iter().enumerate() {
                let planned_item = part(planned, |v| v.get_index(index));
                if !planned_item.is_null() {
                    let here = path.clone().index(index as i64);
                    replaced_element(prior_item, &planned_item, &here, replaced);
                }
            }
        }
        Nesting::Map => {
            let empty = BTreeMap::new();
            for (key, prior_item) in prior.as_entries().unwrap_or(&empty) {
                let planned_item = part(planned, |v| v.get_key(key));
                if !planned_item.is_null() {
                    let here = path.clone().key(key.as_str());
                    replaced_element(prior_item, &planned_item, &here, replaced);
                }
            }
        }
        Nesting::Set => {}
    }
}

/// A part of a planned value: unknown inside an unknown value, null where absent.
fn part<'a>(value: &'a Value, get: impl FnOnce(&'a Value) -> Option<&'a Value>) -> Value {
    if !value.is_known() {
        return Value::unknown();
    }
    get(value).cloned().unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::protocol::address::ProviderAddress;
    use crate::protocol::logging::HclogLayer;
    use crate::protocol::provider::{
        ApplyRequest, ApplyResponse, CallContext, PlanResponse, ProviderHandler, ReadRequest,
        ReadResponse, ResourceHandler,
    };
    use crate::protocol::schema::{Presence, Schema};
    use crate::protocol::value::{Type, encode_msgpack};

    /// A resource whose one nested attribute is sensitive or not.
    struct Thing {
        sensitive: bool,
    }

    #[tonic::async_trait]
    impl ResourceHandler for Thing {
        fn type_name(&self) -> &'static str {
            if self.sensitive {
                "t_secret"
            } else {
                "t_plain"
            }
        }

        fn schema(&self) -> Schema {
            let mut value = Attribute::optional("v", Type::String);
            if self.sensitive {
                value = value.sensitive();
            }
            let inner =
                Attribute::nested("inner", Nesting::Single, Presence::Optional, vec![value]);
            Schema::new(0, Block::new("").attribute(inner))
        }

        async fn read(&self, _request: ReadRequest, _ctx: &CallContext) -> ReadResponse {
            ReadResponse::default()
        }

        async fn plan(&self, request: PlanRequest, _ctx: &CallContext) -> PlanResponse {
            PlanResponse {
                planned_state: request.proposed_new_state,
                ..PlanResponse::default()
            }
        }

        async fn apply(&self, _request: ApplyRequest, _ctx: &CallContext) -> ApplyResponse {
            ApplyResponse::default()
        }
    }

    struct Provider;

    #[tonic::async_trait]
    impl ProviderHandler for Provider {
        fn schema(&self) -> Schema {
            Schema::new(0, Block::new(""))
        }

        fn resources(&self) -> Vec<Arc<dyn ResourceHandler>> {
            vec![
                Arc::new(Thing { sensitive: false }),
                Arc::new(Thing { sensitive: true }),
            ]
        }

        async fn configure(&self, _config: &Value, _ctx: &CallContext) -> Diagnostics {
            Diagnostics::default()
        }
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn raw_configurations_are_traced_only_for_schemas_without_sensitive_attributes() {
        let name = ProviderAddress::new("registry.terraform.io/example/t");
        let service = ProviderService::new(name, Arc::new(Provider));
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry()
            .with(HclogLayer::new(LevelFilter::TRACE, move || writer.clone()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let ty = Type::object([("inner", Type::object([("v", Type::String)]))]);
        let config = Value::object([("inner", Value::object([("v", Value::from("hunter2"))]))]);
        let msgpack = encode_msgpack(&config, &ty).expect("msgpack");
        tracing::subscriber::with_default(subscriber, || {
            for type_name in ["t_plain", "t_secret"] {
                let dynamic = Some(pb::DynamicValue {
                    msgpack: msgpack.clone(),
                    json: Vec::new(),
                });
                let request = pb::plan_resource_change::Request {
                    type_name: type_name.into(),
                    proposed_new_state: dynamic.clone(),
                    config: dynamic,
                    ..Default::default()
                };
                let response = runtime.block_on(plan(&service, request));
                assert!(
                    response.diagnostics.is_empty(),
                    "{:?}",
                    response.diagnostics
                );
            }
        });
        let log = String::from_utf8(captured.0.lock().expect("log buffer").clone()).expect("UTF-8");
        assert!(log.contains(&hex(&msgpack)), "{log}");
        assert!(log.contains("t_plain"), "{log}");
        assert!(!log.contains("t_secret"), "{log}");
        assert_eq!(log.matches(&hex(b"hunter2")).count(), 1, "{log}");
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0c, 0xab, 0xff]), "000cabff");
    }
}
