//! Errors from AWS calls, worded as terraform-provider-aws words them: the verb, the
//! object, its identifier, then AWS's own message
//! (`enabling Service Connect on ECS service prod/backend: <AWS message>`).

use std::fmt;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What went wrong, as callers decide on it: classified once from AWS's error code
/// (the codes of botocore's ECS, Cloud Map and Route 53 models and AWS's common
/// errors), so no caller matches code strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// What the call names does not exist (`…NotFound…`, `NoSuchHostedZone`).
    NotFound,
    /// Something else still uses it (`ResourceInUse`).
    InUse,
    /// The account's request rate is exceeded; the SDK's retries gave up.
    Throttled,
    /// The credentials may not do this, or are not valid.
    AccessDenied,
    /// AWS refused the request as invalid.
    Invalid,
    /// AWS failed on its side (a 5xx error): it may have acted.
    ServerSide,
    /// No answer came (connection refused or broken, timeout): AWS may have acted.
    NoAnswer,
    /// A wait ended (timed out or cancelled) before AWS finished.
    Unfinished,
    Other,
}

impl ErrorKind {
    /// The kind of an AWS error code.
    pub fn of_code(code: &str) -> Self {
        match code {
            "ResourceInUse" | "ResourceInUseException" => Self::InUse,
            "ThrottlingException"
            | "Throttling"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "PriorRequestNotComplete" => Self::Throttled,
            "AccessDeniedException"
            | "AccessDenied"
            | "UnauthorizedOperation"
            | "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "SignatureDoesNotMatch" => Self::AccessDenied,
            "InvalidParameterException"
            | "InvalidInput"
            | "InvalidParameterValue"
            | "ValidationException"
            | "ClientException"
            | "MissingParameter" => Self::Invalid,
            // Cloud Map's common errors, and other services' spellings of the same.
            "InternalFailure"
            | "InternalServerError"
            | "ServerException"
            | "ServiceUnavailable"
            | "RequestTimeout" => Self::ServerSide,
            "NoSuchHostedZone" => Self::NotFound,
            _ if code.ends_with("NotFound") || code.ends_with("NotFoundException") => {
                Self::NotFound
            }
            _ => Self::Other,
        }
    }

    /// Whether AWS may have carried out the request although it failed.
    pub fn outcome_unknown(self) -> bool {
        matches!(self, Self::ServerSide | Self::NoAnswer)
    }
}

/// One failed AWS call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayError {
    /// What we were doing, e.g. "enabling Service Connect on ECS service prod/backend".
    pub action: String,
    pub kind: ErrorKind,
    /// AWS's error code (e.g. `ResourceInUse`), when AWS answered.
    code: Option<String>,
    /// AWS's message, or the transport failure.
    pub message: String,
}

impl GatewayError {
    /// A failure the provider finds itself (a wait that ended, a missing object).
    pub fn new(action: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            kind,
            code: None,
            message: message.into(),
        }
    }

    /// A failure AWS reported with this code.
    pub fn with_code(
        action: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let code = code.into();
        Self {
            action: action.into(),
            kind: ErrorKind::of_code(&code),
            code: Some(code),
            message: message.into(),
        }
    }

    /// Wraps an SDK error, keeping AWS's code and message. The whole chain of causes
    /// goes to the debug log.
    pub fn from_sdk<E>(action: impl Into<String>, err: &E) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let action = action.into();
        let causes = error_chain(err);
        tracing::debug!(%action, code = err.code(), %causes, "AWS call failed");
        match (err.code(), err.message()) {
            (Some(code), Some(message)) => {
                Self::with_code(action, code, format!("{code}: {message}"))
            }
            (Some(code), None) => Self::with_code(action, code, code),
            // No AWS answer (timeout, connection refused): the causes, without the
            // SDK's Debug dump of its internals.
            _ => Self::new(action, ErrorKind::NoAnswer, causes),
        }
    }

    /// AWS's error code, when AWS answered.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
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
    use super::*;

    #[test]
    fn service_errors_read_as_code_and_message() {
        let raw = "service error: unhandled error (AccessDenied): Error { code: \"AccessDenied\", message: \"User: x is not authorized\", aws_request_id: \"1\" }";
        assert_eq!(
            tidy_service_error(raw),
            "service error: AccessDenied: User: x is not authorized"
        );
        assert_eq!(tidy_service_error("plain text"), "plain text");
    }

    #[test]
    fn codes_of_the_three_services_fall_into_kinds() {
        let kinds = [
            ("ServiceNotFoundException", ErrorKind::NotFound),
            ("ClusterNotFoundException", ErrorKind::NotFound),
            ("NamespaceNotFound", ErrorKind::NotFound),
            ("OperationNotFound", ErrorKind::NotFound),
            ("ResourceNotFoundException", ErrorKind::NotFound),
            ("NoSuchHostedZone", ErrorKind::NotFound),
            ("ResourceInUse", ErrorKind::InUse),
            ("ThrottlingException", ErrorKind::Throttled),
            ("AccessDeniedException", ErrorKind::AccessDenied),
            ("InvalidInput", ErrorKind::Invalid),
            ("InvalidParameterException", ErrorKind::Invalid),
            ("InternalFailure", ErrorKind::ServerSide),
            ("ServiceUnavailable", ErrorKind::ServerSide),
            ("DuplicateRequest", ErrorKind::Other),
            ("ServiceNotActiveException", ErrorKind::Other),
        ];
        for (code, kind) in kinds {
            assert_eq!(ErrorKind::of_code(code), kind, "{code}");
        }
        let err = GatewayError::with_code("deleting x", "ResourceInUse", "in use");
        assert_eq!(err.code(), Some("ResourceInUse"));
        assert!(err.is(ErrorKind::InUse));
        assert_eq!(err.to_string(), "deleting x: in use");
    }

    #[test]
    fn only_failures_on_aws_side_or_without_answer_leave_the_outcome_unknown() {
        assert!(ErrorKind::NoAnswer.outcome_unknown());
        assert!(ErrorKind::ServerSide.outcome_unknown());
        for kind in [
            ErrorKind::Invalid,
            ErrorKind::AccessDenied,
            ErrorKind::Throttled,
        ] {
            assert!(!kind.outcome_unknown(), "{kind:?}");
        }
    }
}
