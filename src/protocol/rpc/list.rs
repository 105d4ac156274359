//! ListResource and ValidateListResourceConfig (protocol 6.10, `terraform query`).

use super::{BoxStream, ProviderService, RegisteredResource, codec, unsupported};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::provider::ListRequest;

fn listable<'a>(service: &'a ProviderService, type_name: &str) -> Option<&'a RegisteredResource> {
    service
        .resource(type_name)
        .ok()
        .filter(|r| r.list.is_some())
}

pub(super) fn validate(
    service: &ProviderService,
    request: pb::validate_list_resource_config::Request,
) -> pb::validate_list_resource_config::Response {
    let Some(resource) = listable(service, &request.type_name) else {
        return unsupported::validate_list_resource(service, request);
    };
    let Some((_, ty)) = &resource.list else {
        return unsupported::validate_list_resource(service, request);
    };
    let diagnostics = match codec::decode(request.config.as_ref(), ty, "list configuration") {
        Ok(_) => Diagnostics::default(),
        Err(diagnostics) => diagnostics,
    };
    pb::validate_list_resource_config::Response {
        diagnostics: (&diagnostics).into(),
    }
}

/// Streams one event per object found; diagnostics ride on the last event (or on
/// an event of their own when nothing was found).
pub(super) async fn list(
    service: &ProviderService,
    request: pb::list_resource::Request,
) -> BoxStream<pb::list_resource::Event> {
    let Some(resource) = listable(service, &request.type_name) else {
        return unsupported::list_resource(service, request);
    };
    let Some((_, ty)) = &resource.list else {
        return unsupported::list_resource(service, request);
    };
    let config = match codec::decode(request.config.as_ref(), ty, "list configuration") {
        Ok(config) => config,
        Err(diagnostics) => return single_event(diagnostics),
    };
    let answer = resource
        .handler
        .list(
            ListRequest {
                config,
                include_resource: request.include_resource_object,
                limit: request.limit,
            },
            &service.context(),
        )
        .await;
    let identity_type = resource.identity.as_ref().map(|(_, ty)| ty);
    let mut events = Vec::new();
    let mut diagnostics = answer.diagnostics;
    for listed in answer.results {
        let identity = match codec::encode_identity(Some(&listed.identity), identity_type) {
            Ok(identity) => identity,
            Err(errors) => {
                diagnostics.extend(errors);
                continue;
            }
        };
        let resource_object = match listed.resource.as_ref() {
            Some(object) => match codec::encode(object, &resource.value_type, "listed resource") {
                Ok(encoded) => Some(encoded),
                Err(errors) => {
                    diagnostics.extend(errors);
                    continue;
                }
            },
            None => None,
        };
        events.push(pb::list_resource::Event {
            identity,
            display_name: listed.display_name,
            resource_object,
            diagnostic: Vec::new(),
        });
    }
    if !diagnostics.is_empty() {
        match events.last_mut() {
            Some(last) => last.diagnostic = (&diagnostics).into(),
            None => return single_event(diagnostics),
        }
    }
    Box::pin(futures::stream::iter(events.into_iter().map(Ok)))
}

fn single_event(diagnostics: Diagnostics) -> BoxStream<pb::list_resource::Event> {
    let event = pb::list_resource::Event {
        diagnostic: (&diagnostics).into(),
        ..Default::default()
    };
    Box::pin(futures::stream::iter([Ok(event)]))
}
