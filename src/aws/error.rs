//! Errors from AWS calls, worded as terraform-provider-aws words them: the verb, the
//! object, its identifier, then AWS's own message
//! (`enabling Service Connect on ECS service prod/backend: <AWS message>`).

use std::fmt;

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// One failed AWS call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayError {
    /// What we were doing, e.g. "enabling Service Connect on ECS service prod/backend".
    pub action: String,
    /// AWS's error code (e.g. `ResourceInUse`), when AWS answered.
    pub code: Option<String>,
    /// AWS's message, or the transport failure.
    pub message: String,
}

impl GatewayError {
    pub fn new(
        action: impl Into<String>,
        code: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            action: action.into(),
            code,
            message: message.into(),
        }
    }

    /// Wraps an SDK error, keeping AWS's code and message.
    pub fn from_sdk<E>(action: impl Into<String>, err: &E) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().map(str::to_string);
        let message = match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_string(),
            // No AWS answer (timeout, connection refused): the full cause chain.
            _ => DisplayErrorContext(err).to_string(),
        };
        Self::new(action, code, message)
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.action, self.message)
    }
}

impl std::error::Error for GatewayError {}
