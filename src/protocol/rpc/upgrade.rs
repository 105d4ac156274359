//! UpgradeResourceState and UpgradeResourceIdentity.
//!
//! Terraform calls UpgradeResourceState on every state load, even when the stored
//! version equals the current one, and an empty answer would erase the user's state:
//! every path here answers with the state or with an error, never with nothing.
//! Policy for schema version bumps (docs/state-upgrades.md): a resource's
//! `upgrade_state` rewrites a state from any older version to the current shape;
//! attributes that no longer exist are dropped here, and new ones start as null. A
//! state written by a newer provider is refused rather than guessed at, and so is the
//! flatmap format of Terraform 0.11. Numbers keep every digit on every path.

use std::fmt::Write as _;

use super::{ProviderService, codec};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::value::{self, Type, Value};

pub(super) fn upgrade_state(
    service: &ProviderService,
    request: pb::upgrade_resource_state::Request,
) -> pb::upgrade_resource_state::Response {
    let result = service.resource(&request.type_name).and_then(|resource| {
        let current = resource.schema.version;
        if request.version > current {
            return Err(Diagnostics::error(
                "State written by a newer provider",
                format!(
                    "The state of this {} was written by schema version {}, but this version \
                     of the provider knows schema versions up to {current}. Use the provider \
                     version that wrote the state, or a newer one.",
                    request.type_name, request.version
                ),
            ));
        }
        let json = stored_json(request.raw_state.as_ref(), "state")?;
        let value = if request.version == current {
            // The common case, on every state load: read the bytes as they are.
            decode_stored(json, &resource.value_type, "state")?
        } else {
            let stored = schemaless(json, "state")?;
            let upgraded = resource.handler.upgrade_state(request.version, stored)?;
            decode_stored(
                to_json(&upgraded, "state")?.as_bytes(),
                &resource.value_type,
                "state",
            )?
        };
        codec::encode(&value, &resource.value_type, "upgraded state")
    });
    match result {
        Ok(upgraded) => pb::upgrade_resource_state::Response {
            upgraded_state: Some(upgraded),
            diagnostics: Vec::new(),
        },
        Err(diagnostics) => pb::upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics: (&diagnostics).into(),
        },
    }
}

pub(super) fn upgrade_identity(
    service: &ProviderService,
    request: pb::upgrade_resource_identity::Request,
) -> pb::upgrade_resource_identity::Response {
    let result = service.resource(&request.type_name).and_then(|resource| {
        let Some((schema, ty)) = &resource.identity else {
            return Err(Diagnostics::error(
                "Resource has no identity",
                format!("{} does not have a resource identity.", request.type_name),
            ));
        };
        if request.version > schema.version {
            return Err(Diagnostics::error(
                "Identity written by a newer provider",
                format!(
                    "The identity was written by identity schema version {}, but this provider \
                     knows versions up to {}. Upgrade the provider.",
                    request.version, schema.version
                ),
            ));
        }
        let json = stored_json(request.raw_identity.as_ref(), "identity")?;
        let value = decode_stored(json, ty, "identity")?;
        codec::encode(&value, ty, "upgraded identity")
    });
    match result {
        Ok(upgraded) => pb::upgrade_resource_identity::Response {
            upgraded_identity: Some(pb::ResourceIdentityData {
                identity_data: Some(upgraded),
            }),
            diagnostics: Vec::new(),
        },
        Err(diagnostics) => pb::upgrade_resource_identity::Response {
            upgraded_identity: None,
            diagnostics: (&diagnostics).into(),
        },
    }
}

/// The stored JSON, or why there is none to read.
fn stored_json<'a>(raw: Option<&'a pb::RawState>, what: &str) -> Result<&'a [u8], Diagnostics> {
    match raw {
        Some(raw) if !raw.json.is_empty() => Ok(&raw.json),
        Some(raw) if !raw.flatmap.is_empty() => Err(Diagnostics::error(
            format!("Unsupported legacy {what} format"),
            format!(
                "This {what} is stored in the flatmap format of Terraform 0.11 and earlier, \
                 which this provider cannot read. Upgrade the state with Terraform 0.12 to 1.x \
                 and a provider version that still reads it, then use this version."
            ),
        )),
        _ => Err(Diagnostics::error(
            format!("No stored {what}"),
            format!(
                "Terraform sent no stored {what} to upgrade. This is a bug in Terraform or in \
                 the provider; please report it."
            ),
        )),
    }
}

/// Reads stored JSON with the current type, skipping attributes it no longer has.
fn decode_stored(bytes: &[u8], ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    value::decode_json_ignoring_extra_attributes(bytes, ty).map_err(|err| {
        Diagnostics::error(
            format!("Stored {what} does not match the schema"),
            format!("The stored {what} could not be read with the current schema: {err}."),
        )
    })
}

/// Reads JSON without a schema: the type is what the JSON itself says (objects,
/// tuples, numbers, strings, bools), so every number keeps its digits.
fn schemaless(bytes: &[u8], what: &str) -> Result<Value, Diagnostics> {
    let unreadable = |err: String| {
        Diagnostics::error(
            format!("Unreadable stored {what}"),
            format!("The stored {what} is not valid JSON: {err}."),
        )
    };
    let tree: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| unreadable(err.to_string()))?;
    value::decode_json(bytes, &json_type(&tree)).map_err(|err| unreadable(err.to_string()))
}

/// The type a JSON document has on its own.
fn json_type(json: &serde_json::Value) -> Type {
    use serde_json::Value as Json;
    match json {
        Json::Null => Type::Dynamic,
        Json::Bool(_) => Type::Bool,
        Json::Number(_) => Type::Number,
        Json::String(_) => Type::String,
        Json::Array(items) => Type::tuple(items.iter().map(json_type)),
        Json::Object(members) => Type::object(
            members
                .iter()
                .map(|(name, member)| (name.clone(), json_type(member))),
        ),
    }
}

/// Writes a value as JSON without a schema, the inverse of [`schemaless`]: lists, sets
/// and tuples as arrays, maps and objects as objects, a typed value in cty's
/// `{"value":…,"type":…}` form. Unknown values cannot be stored.
fn to_json(value: &Value, what: &str) -> Result<String, Diagnostics> {
    let mut out = String::new();
    write_json(value, &mut out).map_err(|reason| {
        Diagnostics::error(
            format!("Invalid upgraded {what}"),
            format!(
                "The provider's upgrade of the stored {what} produced {reason}. This is a bug in \
                 the provider; please report it."
            ),
        )
    })?;
    Ok(out)
}

fn write_json(value: &Value, out: &mut String) -> Result<(), String> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Unknown(_) => return Err("an unknown value".to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_infinite() => return Err(format!("the number {n}")),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_string(s, out),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(entries) | Value::Object(entries) => {
            out.push('{');
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
        Value::Typed(typed) => {
            out.push_str("{\"value\":");
            write_json(&typed.value, out)?;
            out.push_str(",\"type\":");
            out.push_str(&typed.ty.to_json());
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(text: &str, out: &mut String) {
    // serde_json escapes any string; it cannot fail on a &str.
    match serde_json::to_string(text) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::value::{Number, TypedValue};

    #[test]
    fn schemaless_json_round_trips_with_every_digit() {
        let json =
            r#"{"a":[1,"x",null,{"b":true}],"big":123456789012345678901234567890.5,"s":"q\"\n"}"#;
        let value = schemaless(json.as_bytes(), "state").expect("readable");
        let big: Number = "123456789012345678901234567890.5".parse().expect("number");
        assert_eq!(value.get_attr("big").and_then(Value::as_number), Some(&big));
        assert_eq!(
            value.get_attr("a").and_then(|a| a.get_index(3)),
            Some(&Value::object([("b", Value::Bool(true))]))
        );
        assert_eq!(to_json(&value, "state").expect("writable"), json);
    }

    #[test]
    fn typed_values_are_written_in_cty_form_and_unknowns_refused() {
        let typed = Value::from(TypedValue {
            ty: Type::list(Type::String),
            value: Value::List(vec!["a".into()]),
        });
        assert_eq!(
            to_json(&Value::object([("d", typed)]), "state").expect("writable"),
            r#"{"d":{"value":["a"],"type":["list","string"]}}"#
        );
        let refused = to_json(&Value::object([("u", Value::unknown())]), "state");
        let diagnostics = refused.expect_err("unknowns cannot be stored");
        assert!(
            diagnostics
                .iter()
                .any(|d| d.detail.contains("an unknown value"))
        );
    }

    #[test]
    fn invalid_json_is_reported_not_guessed() {
        let diagnostics = schemaless(b"{\"a\":", "state").expect_err("invalid JSON");
        assert!(
            diagnostics
                .iter()
                .any(|d| d.summary == "Unreadable stored state")
        );
    }
}
