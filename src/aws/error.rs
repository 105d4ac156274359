//! Errors from AWS calls, worded as terraform-provider-aws words them: the verb, the
//! object, its identifier, then AWS's own message
//! (`enabling Service Connect on ECS service prod/backend: <AWS message>`).

use std::fmt;

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
            // No AWS answer (timeout, connection refused): the causes, without the
            // SDK's Debug dump of its internals.
            _ => error_chain(err),
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

/// An error and its causes on one line, "outer: inner: root". Unlike aws-smithy's
/// `DisplayErrorContext`, it leaves out the Debug dump, which for a service error
/// holds the whole raw HTTP response.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = one_line(&e.to_string());
        // Wrappers often repeat their source's text; keep each message once.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    tidy_service_error(&parts.join(": "))
}

/// An unmodelled service error displays as `unhandled error (Code): Error { code:
/// "Code", message: "…", aws_request_id: "…" }`; people need only "Code: message".
fn tidy_service_error(text: &str) -> String {
    let Some(start) = text.find("unhandled error (") else {
        return text.to_string();
    };
    let rest = &text[start + "unhandled error (".len()..];
    let Some((code, after)) = rest.split_once(')') else {
        return text.to_string();
    };
    let message = after
        .split_once("message: \"")
        .and_then(|(_, m)| m.split_once('"'))
        .map(|(m, _)| m);
    match message {
        Some(message) => format!("{}{code}: {message}", &text[..start]),
        None => text.to_string(),
    }
}

/// Error texts from aws-config can span lines (one per provider tried); a
/// diagnostic summary should not, so lines become "; "-separated items.
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') { " " } else { "; " });
        }
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tidy_service_error;

    #[test]
    fn service_errors_read_as_code_and_message() {
        let raw = "service error: unhandled error (AccessDenied): Error { code: \"AccessDenied\", message: \"User: x is not authorized\", aws_request_id: \"1\" }";
        assert_eq!(
            tidy_service_error(raw),
            "service error: AccessDenied: User: x is not authorized"
        );
        assert_eq!(tidy_service_error("plain text"), "plain text");
    }
}
