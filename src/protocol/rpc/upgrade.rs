//! UpgradeResourceState and UpgradeResourceIdentity.
//!
//! Terraform calls UpgradeResourceState on every state load, even when the stored
//! version equals the current one, and an empty answer would erase the user's state.
//! Policy for schema version bumps: a resource's `upgrade_state` rewrites the stored
//! JSON from each older version to the current shape, one version step at a time;
//! attributes that no longer exist are dropped here, and new ones start as null. A
//! state written by a newer provider is refused rather than guessed at.

use super::{ProviderService, codec};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::value::{self, Type};

pub(super) fn upgrade_state(
    service: &ProviderService,
    request: pb::upgrade_resource_state::Request,
) -> pb::upgrade_resource_state::Response {
    let result = service.resource(&request.type_name).and_then(|resource| {
        let value = match request.raw_state.as_ref() {
            // The common case, on every state load: read the bytes as they are, so
            // numbers keep every digit.
            Some(raw) if request.version == resource.schema.version && !raw.json.is_empty() => {
                decode_stored(&raw.json, &resource.value_type, "state")?
            }
            raw => {
                let stored = raw_json(raw, "state")?;
                let upgraded = resource.handler.upgrade_state(request.version, stored)?;
                decode_upgraded(upgraded, &resource.value_type, "state")?
            }
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
        let value = match request.raw_identity.as_ref() {
            Some(raw) if !raw.json.is_empty() => decode_stored(&raw.json, ty, "identity")?,
            raw => decode_upgraded(raw_json(raw, "identity")?, ty, "identity")?,
        };
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

fn raw_json(raw: Option<&pb::RawState>, what: &str) -> Result<serde_json::Value, Diagnostics> {
    let Some(raw) = raw else {
        return Ok(serde_json::Value::Null);
    };
    if raw.json.is_empty() && !raw.flatmap.is_empty() {
        return Err(Diagnostics::error(
            format!("Unsupported legacy {what} format"),
            format!(
                "This {what} is stored in the flatmap format of Terraform 0.11 and earlier. \
                 Refresh it with a Terraform version from 0.12 to 1.x first."
            ),
        ));
    }
    if raw.json.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(&raw.json).map_err(|err| {
        Diagnostics::error(
            format!("Unreadable stored {what}"),
            format!("The stored {what} is not valid JSON: {err}."),
        )
    })
}

/// Decodes upgraded JSON into the current type, dropping attributes the current
/// schema no longer has (see the policy above). Numbers keep every digit.
fn decode_upgraded(
    json: serde_json::Value,
    ty: &Type,
    what: &str,
) -> Result<value::Value, Diagnostics> {
    let bytes = serde_json::to_vec(&json)
        .map_err(|err| Diagnostics::error(format!("Unreadable stored {what}"), err.to_string()))?;
    decode_stored(&bytes, ty, what)
}

fn decode_stored(bytes: &[u8], ty: &Type, what: &str) -> Result<value::Value, Diagnostics> {
    value::decode_json_ignoring_extra_attributes(bytes, ty).map_err(|err| {
        Diagnostics::error(
            format!("Stored {what} does not match the schema"),
            format!("The stored {what} could not be read with the current schema: {err}."),
        )
    })
}
