//! The data source `servicemesh_internal`: a mesh read back, with no change made (issue
//! 19, step 5 of the console recipe as a Terraform `check`).

mod read;
mod schema;
mod view;

use std::sync::Arc;

use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::provider::{
    CallContext, DataReadRequest, DataReadResponse, DataSourceHandler, DeferredReason,
};
use crate::protocol::schema::Schema;
use crate::protocol::value::{AttributePath, Value};
use crate::provider::{Configured, ProviderState};

pub use schema::TYPE_NAME;

pub struct InternalDataSource {
    provider: Arc<ProviderState>,
}

impl InternalDataSource {
    pub fn new(provider: Arc<ProviderState>) -> Self {
        Self { provider }
    }
}

/// The required string attributes, each non-empty when known.
fn check_names(config: &Value) -> Diagnostics {
    ["cluster", "namespace"]
        .into_iter()
        .filter(|name| config.get_attr(name).and_then(Value::as_str) == Some(""))
        .map(|name| {
            Diagnostics::error_at(
                AttributePath::root().attribute(name),
                format!("Empty {name}"),
                match name {
                    "cluster" => "Name the ECS cluster, by name (`prod`) or ARN.",
                    _ => "Name the Cloud Map namespace, by name (`internal.myapp`), id (`ns-…`) or ARN.",
                },
            )
        })
        .fold(Diagnostics::default(), |mut all, one| {
            all.extend(one);
            all
        })
}

#[tonic::async_trait]
impl DataSourceHandler for InternalDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::data_source_schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        check_names(config)
    }

    async fn read(&self, request: DataReadRequest, ctx: &CallContext) -> DataReadResponse {
        let failed = |diagnostics| DataReadResponse {
            diagnostics,
            ..DataReadResponse::default()
        };
        let invalid = check_names(&request.config);
        if invalid.has_errors() {
            return failed(invalid);
        }
        let gateway = match self.provider.get() {
            Configured::Ready(gateway) => gateway,
            Configured::Unknown if ctx.deferral_allowed => {
                return DataReadResponse {
                    deferred: Some(DeferredReason::ProviderConfigUnknown),
                    ..DataReadResponse::default()
                };
            }
            Configured::Unknown => {
                return failed(Diagnostics::error(
                    "Provider configuration not known",
                    "The servicemesh provider's configuration depends on values that are not known yet, so \
                     this data source cannot be read. Apply the resources it depends on first, or pass -target.",
                ));
            }
            Configured::NotYet => {
                return failed(Diagnostics::error(
                    "Provider not configured",
                    "Terraform did not configure the servicemesh provider before reading this data source. \
                     This is a bug; please report it.",
                ));
            }
        };
        let text = |name: &str| {
            request
                .config
                .get_attr(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        match read::read(&gateway, &text("cluster"), &text("namespace")).await {
            Ok(state) => DataReadResponse {
                state,
                ..DataReadResponse::default()
            },
            Err(diagnostics) => failed(diagnostics),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_names_are_errors_on_their_attribute_and_unknowns_are_not() {
        let config = Value::object([
            ("cluster", Value::from("")),
            ("namespace", Value::unknown()),
        ]);
        let diagnostics = check_names(&config);
        assert_eq!(diagnostics.0.len(), 1, "{diagnostics:?}");
        assert_eq!(
            diagnostics.0[0].attribute,
            Some(AttributePath::root().attribute("cluster"))
        );
        let config = Value::object([
            ("cluster", Value::from("prod")),
            ("namespace", Value::from("")),
        ]);
        assert_eq!(
            check_names(&config).0[0].attribute,
            Some(AttributePath::root().attribute("namespace"))
        );
        let fine = Value::object([
            ("cluster", Value::from("prod")),
            ("namespace", Value::from("ns")),
        ]);
        assert!(check_names(&fine).is_empty());
    }
}
