//! Typed failures of Graph and ARM calls. The UI branches on [`GraphError::code`], never on text.

/// A failed call. `request_id` is what Microsoft support asks for, so it is kept everywhere.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The service answered with an error envelope.
    #[error("{} (HTTP {status}, code {code}{})", message, request_id.as_deref().map(|id| format!(", request id {id}")).unwrap_or_default())]
    Service { status: u16, code: String, message: String, request_id: Option<String> },
    /// Signing in or refreshing the token failed.
    #[error("sign-in failed: {0}")]
    Auth(String),
    /// The service could not be reached (DNS, TLS, refused or dropped connection, timeout).
    #[error("cannot reach {url}: {message}")]
    Unreachable { url: String, message: String },
    /// The service answered 2xx with a body we cannot understand (truncated or malformed).
    #[error("malformed response from {url}: {message}")]
    Malformed { url: String, message: String },
    /// Still throttled or failing after every retry.
    #[error("gave up on {url} after {attempts} attempts: {last}")]
    RetriesExhausted { url: String, attempts: u32, last: Box<GraphError> },
    #[error("cancelled")]
    Cancelled,
}

impl GraphError {
    /// A stable code for the UI and the CLI's `--json` output.
    pub fn code(&self) -> &str {
        match self {
            GraphError::Service { code, .. } => code,
            GraphError::Auth(_) => "signInFailed",
            GraphError::Unreachable { .. } => "unreachable",
            GraphError::Malformed { .. } => "malformedResponse",
            GraphError::RetriesExhausted { last, .. } => last.code(),
            GraphError::Cancelled => "cancelled",
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Service { status, .. } => Some(*status),
            GraphError::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// Parses Graph's `{"error":{code,message,innerError:{request-id}}}` envelope, tolerating the
    /// doubly nested `{"error":{"error":{…}}}` seen in the wild and bodies that are not JSON.
    pub(crate) fn from_response(
        status: u16,
        header_request_id: Option<String>,
        body: &[u8],
    ) -> GraphError {
        let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let mut error = &value["error"];
        if error["error"].is_object() {
            error = &error["error"];
        }
        let inner = if error["innerError"].is_object() {
            &error["innerError"]
        } else {
            &error["innererror"]
        };
        let request_id = inner["request-id"].as_str().map(str::to_string).or(header_request_id);
        let code =
            error["code"].as_str().map(str::to_string).unwrap_or_else(|| format!("http{status}"));
        let message = error["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
        GraphError::Service { status, code, message, request_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_envelope_and_its_variants() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges.","innerError":{"request-id":"r-1"}}}"#;
        let err = GraphError::from_response(403, None, body);
        assert_eq!(err.code(), "Authorization_RequestDenied");
        assert!(err.to_string().contains("request id r-1"), "{err}");

        let nested =
            br#"{"error":{"error":{"code":"InvalidFilter","message":"The filter is invalid"}}}"#;
        assert_eq!(
            GraphError::from_response(400, Some("h".into()), nested).code(),
            "InvalidFilter"
        );

        let html = b"<html>Bad gateway</html>";
        let err = GraphError::from_response(502, Some("h-2".into()), html);
        assert_eq!(err.code(), "http502");
        assert!(
            err.to_string().contains("Bad gateway") && err.to_string().contains("h-2"),
            "{err}"
        );
    }
}
