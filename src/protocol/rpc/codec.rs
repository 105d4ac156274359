//! DynamicValue ⇄ Value at the wire boundary, with errors as diagnostics.

use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::value::{self, Type, Value};

/// Decodes a DynamicValue. An absent or empty one is null (Terraform sends nothing for
/// "no prior state" and for destroy plans).
pub(super) fn decode(
    dynamic: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
    let Some(dynamic) = dynamic else {
        return Ok(Value::Null);
    };
    let decoded = if !dynamic.msgpack.is_empty() {
        value::decode_msgpack(&dynamic.msgpack, ty)
    } else if !dynamic.json.is_empty() {
        value::decode_json(&dynamic.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|err| {
        let summary = format!("Invalid {what} from Terraform");
        let detail = format!(
            "The provider could not decode the {what} Terraform sent: {err}. This is a bug \
             in the provider or a Terraform version it does not support; please report it."
        );
        // Where the value is (a number beyond the supported range, say), so that
        // Terraform shows the line it came from.
        if err.path().is_empty() {
            Diagnostics::error(summary, detail)
        } else {
            Diagnostics::error_at(err.path().clone(), summary, detail)
        }
    })
}

/// Encodes a Value as msgpack, Terraform's normal encoding.
pub(super) fn encode(
    value: &Value,
    ty: &Type,
    what: &str,
) -> Result<pb::DynamicValue, Diagnostics> {
    value::encode_msgpack(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|err| {
            Diagnostics::error(
                format!("Invalid {what} from the provider"),
                format!(
                    "The provider produced a {what} that does not match its schema: {err}. This \
                     is a bug in the provider; please report it."
                ),
            )
        })
}

/// Decodes optional identity data.
pub(super) fn decode_identity(
    data: Option<&pb::ResourceIdentityData>,
    ty: Option<&Type>,
) -> Result<Option<Value>, Diagnostics> {
    match (data.and_then(|d| d.identity_data.as_ref()), ty) {
        (Some(dynamic), Some(ty)) => decode(Some(dynamic), ty, "resource identity")
            .map(|v| if v.is_null() { None } else { Some(v) }),
        _ => Ok(None),
    }
}

/// Encodes optional identity data.
pub(super) fn encode_identity(
    identity: Option<&Value>,
    ty: Option<&Type>,
) -> Result<Option<pb::ResourceIdentityData>, Diagnostics> {
    match (identity, ty) {
        (Some(identity), Some(ty)) => Ok(Some(pb::ResourceIdentityData {
            identity_data: Some(encode(identity, ty, "resource identity")?),
        })),
        _ => Ok(None),
    }
}

pub(super) fn deferred(
    reason: Option<crate::protocol::provider::DeferredReason>,
) -> Option<pb::Deferred> {
    use crate::protocol::provider::DeferredReason;
    use pb::deferred::Reason;
    reason.map(|reason| pb::Deferred {
        reason: match reason {
            DeferredReason::ProviderConfigUnknown => Reason::ProviderConfigUnknown,
            DeferredReason::ResourceConfigUnknown => Reason::ResourceConfigUnknown,
            DeferredReason::AbsentPrereq => Reason::AbsentPrereq,
        } as i32,
    })
}
