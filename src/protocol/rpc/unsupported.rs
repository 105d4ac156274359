//! Explicit answers for the features this provider does not offer: data source types
//! it does not have, ephemeral resources, functions, state stores, actions and, until it has them, list
//! resources, moves and config generation. Terraform calls these only for types our
//! schema declares, so reaching one means a confused host or a hand-written client:
//! answer with a diagnostic that names the type, never a hang, panic or bare error.

use futures::StreamExt;
use tonic::Streaming;

use super::{BoxStream, ProviderService};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;

fn no_such(service: &ProviderService, kind: &str, type_name: &str) -> Vec<pb::Diagnostic> {
    let diagnostics = Diagnostics::error(
        format!("Unsupported {kind}"),
        format!(
            "{} has no {kind} named {type_name:?}.",
            service.name.binary_name()
        ),
    );
    (&diagnostics).into()
}

pub(super) fn validate_data_resource(
    service: &ProviderService,
    request: pb::validate_data_resource_config::Request,
) -> pb::validate_data_resource_config::Response {
    pb::validate_data_resource_config::Response {
        diagnostics: no_such(service, "data source", &request.type_name),
    }
}

pub(super) fn read_data_source(
    service: &ProviderService,
    request: pb::read_data_source::Request,
) -> pb::read_data_source::Response {
    pb::read_data_source::Response {
        diagnostics: no_such(service, "data source", &request.type_name),
        ..Default::default()
    }
}

pub(super) fn move_resource_state(
    service: &ProviderService,
    request: pb::move_resource_state::Request,
) -> pb::move_resource_state::Response {
    pb::move_resource_state::Response {
        diagnostics: no_such(
            service,
            "move source",
            &format!(
                "{}.{}",
                request.source_provider_address, request.source_type_name
            ),
        ),
        ..Default::default()
    }
}

pub(super) fn generate_resource_config(
    service: &ProviderService,
    request: pb::generate_resource_config::Request,
) -> pb::generate_resource_config::Response {
    pb::generate_resource_config::Response {
        diagnostics: no_such(service, "config generator for resource", &request.type_name),
        ..Default::default()
    }
}

pub(super) fn validate_ephemeral(
    service: &ProviderService,
    request: pb::validate_ephemeral_resource_config::Request,
) -> pb::validate_ephemeral_resource_config::Response {
    pb::validate_ephemeral_resource_config::Response {
        diagnostics: no_such(service, "ephemeral resource", &request.type_name),
    }
}

pub(super) fn open_ephemeral(
    service: &ProviderService,
    request: pb::open_ephemeral_resource::Request,
) -> pb::open_ephemeral_resource::Response {
    pb::open_ephemeral_resource::Response {
        diagnostics: no_such(service, "ephemeral resource", &request.type_name),
        ..Default::default()
    }
}

pub(super) fn renew_ephemeral(
    service: &ProviderService,
    request: pb::renew_ephemeral_resource::Request,
) -> pb::renew_ephemeral_resource::Response {
    pb::renew_ephemeral_resource::Response {
        diagnostics: no_such(service, "ephemeral resource", &request.type_name),
        ..Default::default()
    }
}

pub(super) fn close_ephemeral(
    service: &ProviderService,
    request: pb::close_ephemeral_resource::Request,
) -> pb::close_ephemeral_resource::Response {
    pb::close_ephemeral_resource::Response {
        diagnostics: no_such(service, "ephemeral resource", &request.type_name),
    }
}

pub(super) fn list_resource(
    service: &ProviderService,
    request: pb::list_resource::Request,
) -> BoxStream<pb::list_resource::Event> {
    let event = pb::list_resource::Event {
        diagnostic: no_such(service, "list resource", &request.type_name),
        ..Default::default()
    };
    Box::pin(futures::stream::iter([Ok(event)]))
}

pub(super) fn validate_list_resource(
    service: &ProviderService,
    request: pb::validate_list_resource_config::Request,
) -> pb::validate_list_resource_config::Response {
    pb::validate_list_resource_config::Response {
        diagnostics: no_such(service, "list resource", &request.type_name),
    }
}

pub(super) fn call_function(
    service: &ProviderService,
    request: pb::call_function::Request,
) -> pb::call_function::Response {
    pb::call_function::Response {
        error: Some(pb::FunctionError {
            text: format!(
                "{} has no function named {:?}.",
                service.name.binary_name(),
                request.name
            ),
            function_argument: None,
        }),
        ..Default::default()
    }
}

pub(super) fn validate_state_store(
    service: &ProviderService,
    request: pb::validate_state_store::Request,
) -> pb::validate_state_store::Response {
    pb::validate_state_store::Response {
        diagnostics: no_such(service, "state store", &request.type_name),
    }
}

pub(super) fn configure_state_store(
    service: &ProviderService,
    request: pb::configure_state_store::Request,
) -> pb::configure_state_store::Response {
    pb::configure_state_store::Response {
        diagnostics: no_such(service, "state store", &request.type_name),
        ..Default::default()
    }
}

pub(super) fn read_state_bytes(
    service: &ProviderService,
    request: pb::read_state_bytes::Request,
) -> BoxStream<pb::read_state_bytes::Response> {
    let response = pb::read_state_bytes::Response {
        diagnostics: no_such(service, "state store", &request.type_name),
        ..Default::default()
    };
    Box::pin(futures::stream::iter([Ok(response)]))
}

/// Refuses the upload as soon as its first chunk names the store, without waiting for
/// the rest: a gRPC client that is still sending then learns the answer from the
/// call's status (Go's `Send` returns EOF and `CloseAndRecv` gives our response), and a
/// client that holds the stream open cannot make this call hang.
pub(super) async fn write_state_bytes(
    service: &ProviderService,
    mut chunks: Streaming<pb::write_state_bytes::RequestChunk>,
) -> pb::write_state_bytes::Response {
    let type_name = match chunks.next().await {
        Some(Ok(chunk)) => chunk.meta.map(|meta| meta.type_name).unwrap_or_default(),
        _ => String::new(),
    };
    pb::write_state_bytes::Response {
        diagnostics: no_such(service, "state store", &type_name),
    }
}

pub(super) fn lock_state(
    service: &ProviderService,
    request: pb::lock_state::Request,
) -> pb::lock_state::Response {
    pb::lock_state::Response {
        diagnostics: no_such(service, "state store", &request.type_name),
        ..Default::default()
    }
}

pub(super) fn unlock_state(
    service: &ProviderService,
    request: pb::unlock_state::Request,
) -> pb::unlock_state::Response {
    pb::unlock_state::Response {
        diagnostics: no_such(service, "state store", &request.type_name),
    }
}

pub(super) fn get_states(
    service: &ProviderService,
    request: pb::get_states::Request,
) -> pb::get_states::Response {
    pb::get_states::Response {
        diagnostics: no_such(service, "state store", &request.type_name),
        ..Default::default()
    }
}

pub(super) fn delete_state(
    service: &ProviderService,
    request: pb::delete_state::Request,
) -> pb::delete_state::Response {
    pb::delete_state::Response {
        diagnostics: no_such(service, "state store", &request.type_name),
    }
}

pub(super) fn plan_action(
    service: &ProviderService,
    request: pb::plan_action::Request,
) -> pb::plan_action::Response {
    pb::plan_action::Response {
        diagnostics: no_such(service, "action", &request.action_type),
        ..Default::default()
    }
}

pub(super) fn invoke_action(
    service: &ProviderService,
    request: pb::invoke_action::Request,
) -> BoxStream<pb::invoke_action::Event> {
    use pb::invoke_action::event::{Completed, Type};
    let event = pb::invoke_action::Event {
        r#type: Some(Type::Completed(Completed {
            diagnostics: no_such(service, "action", &request.action_type),
        })),
    };
    Box::pin(futures::stream::iter([Ok(event)]))
}

pub(super) fn validate_action(
    service: &ProviderService,
    request: pb::validate_action_config::Request,
) -> pb::validate_action_config::Response {
    pb::validate_action_config::Response {
        diagnostics: no_such(service, "action", &request.type_name),
    }
}
