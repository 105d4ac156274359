//! ValidateProviderConfig and ConfigureProvider.

use super::{ProviderService, codec};
use crate::protocol::diagnostics::Diagnostic;
use crate::protocol::handshake::below_floor_warning;
use crate::protocol::proto::tfplugin6 as pb;

pub(super) async fn validate(
    service: &ProviderService,
    request: pb::validate_provider_config::Request,
) -> pb::validate_provider_config::Response {
    let ty = service.provider_schema.value_type();
    let diagnostics = match codec::decode(request.config.as_ref(), &ty, "provider configuration") {
        Ok(config) => service.handler.validate_config(&config).await,
        Err(diagnostics) => diagnostics,
    };
    pb::validate_provider_config::Response {
        diagnostics: (&diagnostics).into(),
    }
}

pub(super) async fn configure(
    service: &ProviderService,
    request: pb::configure_provider::Request,
) -> pb::configure_provider::Response {
    if let Ok(mut allowed) = service.deferral_allowed.lock() {
        *allowed = request
            .client_capabilities
            .as_ref()
            .is_some_and(|c| c.deferral_allowed);
    }
    tracing::debug!(terraform_version = %request.terraform_version, "configuring the provider");
    let ty = service.provider_schema.value_type();
    let mut diagnostics =
        match codec::decode(request.config.as_ref(), &ty, "provider configuration") {
            Ok(config) => service.handler.configure(&config, &service.context()).await,
            Err(diagnostics) => diagnostics,
        };
    if let Some((summary, detail)) = below_floor_warning(&request.terraform_version) {
        diagnostics.push(Diagnostic::warning(summary, detail));
    }
    pb::configure_provider::Response {
        diagnostics: (&diagnostics).into(),
    }
}
