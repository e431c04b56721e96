//! Typed failures of Graph and ARM calls. The UI branches on [`GraphError::code`], never on text.
//!
//! The common failures an operator can fix get their own variant with a message that says what to
//! do: a missing permission (named), a sign-in that expired, a tenant without the licence PIM
//! needs, a cloud that cannot be reached. Everything else keeps the service's own code.

/// A failed call. `request_id` is what Microsoft support asks for, so it is kept everywhere: the
/// service's `request-id` when it answered, else the `client-request-id` Recert sent.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The service answered with an error envelope.
    #[error("{message} (HTTP {status}, code {code}{})", rid(request_id))]
    Service { status: u16, code: String, message: String, request_id: Option<String> },
    /// The identity lacks the permission (or directory role) an endpoint needs.
    #[error(
        "the signed-in identity lacks the permission {permission} needed for {endpoint}: grant it \
         (with admin consent) or sign in with an identity that has it ({code}: {message}{})",
        rid(request_id)
    )]
    PermissionMissing {
        permission: String,
        endpoint: String,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The tenant has no licence for a feature (PIM needs Entra ID P2 or ID Governance).
    #[error(
        "the tenant is not licensed for {feature}: it needs Microsoft Entra ID P2 or ID Governance \
         ({code}: {message}{})",
        rid(request_id)
    )]
    NotLicensed { feature: String, code: String, message: String, request_id: Option<String> },
    /// Nobody is signed in, or the sign-in expired or was revoked: sign in again.
    #[error("sign-in required: {0}")]
    SignInRequired(String),
    /// Signing in or refreshing the token failed for another reason.
    #[error("sign-in failed: {0}")]
    Auth(String),
    /// The service could not be reached (DNS, TLS, refused or dropped connection, timeout).
    #[error("cannot reach {url}: {message}{}", rid(request_id))]
    Unreachable { url: String, message: String, request_id: Option<String> },
    /// The service answered 2xx with a body we cannot understand (truncated or malformed).
    #[error("malformed response from {url}: {message}{}", rid(request_id))]
    Malformed { url: String, message: String, request_id: Option<String> },
    /// Paging stopped: a next link led outside the cloud's own service, repeated a page already
    /// read, or the collection passed the page cap. Never retried.
    #[error("paging {url} stopped: {message}")]
    Paging { url: String, message: String },
    /// Still throttled or failing after every retry.
    #[error("gave up on {url} after {attempts} attempts: {last}")]
    RetriesExhausted { url: String, attempts: u32, last: Box<GraphError> },
    #[error("cancelled")]
    Cancelled,
}

fn rid(request_id: &Option<String>) -> String {
    request_id.as_deref().map(|id| format!(", request id {id}")).unwrap_or_default()
}

/// Codes Graph uses when a tenant lacks the licence a feature needs.
const LICENCE_CODES: &[&str] = &[
    "AadPremiumLicenseRequired",
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "TenantNotLicensed",
    "PimNotLicensed",
];

/// The least-privileged permission each endpoint Recert reads needs (graph-pim.md §0), so a 403
/// can name it. Matched on the path after the version segment.
fn required_permission(url: &str) -> Option<(&'static str, String)> {
    let path = url.split('?').next().unwrap_or_default();
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let (api, rest) = if let Some(i) = path.find("/v1.0/") {
        ("graph", &path[i + 6..])
    } else if path.contains("/providers/Microsoft.Authorization/")
        || path.contains("/subscriptions")
    {
        ("arm", path)
    } else {
        return None;
    };
    let endpoint = if api == "graph" { rest.to_string() } else { "Azure Resource Manager".into() };
    let permission = if api == "arm" {
        "Microsoft.Authorization/roleAssignments/read (an Azure RBAC role such as Reader)"
    } else if rest.starts_with("roleManagement/directory/roleDefinitions") {
        "RoleManagement.Read.Directory"
    } else if rest.starts_with("roleManagement/directory/roleEligibilitySchedule") {
        "RoleEligibilitySchedule.Read.Directory"
    } else if rest.starts_with("roleManagement/directory/roleAssignmentSchedule") {
        "RoleAssignmentSchedule.Read.Directory"
    } else if rest.starts_with("identityGovernance/privilegedAccess/group/eligibility") {
        "PrivilegedEligibilitySchedule.Read.AzureADGroup"
    } else if rest.starts_with("identityGovernance/privilegedAccess/group/assignment") {
        "PrivilegedAssignmentSchedule.Read.AzureADGroup"
    } else if rest.starts_with("identityGovernance/accessReviews") {
        // Publishing, syncing, stopping and reminding (accessreviewset-post-definitions.md and
        // the pages beside it): the read-only permission cannot create or stop a review.
        "AccessReview.ReadWrite.All"
    } else if rest.starts_with("users/") && rest.ends_with("/sendMail") {
        // Reminders from the governance mailbox (user-sendmail.md).
        "Mail.Send"
    } else if rest.starts_with("auditLogs/") || query.contains("signInActivity") {
        "AuditLog.Read.All"
    } else if rest.starts_with("users") {
        "User.Read.All"
    } else if rest.starts_with("groups") {
        "GroupMember.Read.All"
    } else if rest.starts_with("directoryObjects") {
        "Directory.Read.All"
    } else if rest.starts_with("servicePrincipals") {
        "Application.Read.All"
    } else {
        return None;
    };
    Some((permission, endpoint))
}

impl GraphError {
    /// A stable code for the UI and the CLI's `--json` output.
    pub fn code(&self) -> &str {
        match self {
            GraphError::Service { code, .. } => code,
            GraphError::PermissionMissing { .. } => "permissionMissing",
            GraphError::NotLicensed { .. } => "notLicensed",
            GraphError::SignInRequired(_) => "signInRequired",
            GraphError::Auth(_) => "signInFailed",
            GraphError::Unreachable { .. } => "unreachable",
            GraphError::Malformed { .. } => "malformedResponse",
            GraphError::Paging { .. } => "pagingStopped",
            GraphError::RetriesExhausted { last, .. } => last.code(),
            GraphError::Cancelled => "cancelled",
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Service { status, .. } => Some(*status),
            GraphError::PermissionMissing { .. } => Some(403),
            GraphError::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// The request id of the failed call, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            GraphError::Service { request_id, .. }
            | GraphError::PermissionMissing { request_id, .. }
            | GraphError::NotLicensed { request_id, .. }
            | GraphError::Unreachable { request_id, .. }
            | GraphError::Malformed { request_id, .. } => request_id.as_deref(),
            GraphError::RetriesExhausted { last, .. } => last.request_id(),
            _ => None,
        }
    }

    /// Parses Graph's `{"error":{code,message,innerError:{request-id}}}` envelope (ARM's
    /// CloudError has the same outer shape), tolerating the doubly nested `{"error":{"error":{…}}}`
    /// seen in the wild and bodies that are not JSON. `url` lets a 403 name the permission.
    pub(crate) fn from_response(
        status: u16,
        header_request_id: Option<String>,
        body: &[u8],
        url: &str,
    ) -> GraphError {
        let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        GraphError::from_value(status, header_request_id, &value, body, url)
    }

    /// The same for a body already parsed (a `$batch` step's response).
    pub(crate) fn from_value(
        status: u16,
        header_request_id: Option<String>,
        value: &serde_json::Value,
        raw: &[u8],
        url: &str,
    ) -> GraphError {
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
        let mut code =
            error["code"].as_str().map(str::to_string).unwrap_or_else(|| format!("http{status}"));
        let mut message = error["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&raw[..raw.len().min(200)]).into_owned());
        // PIM's endpoints wrap their own error in Graph's: code `UnknownError` and, as the
        // message, a JSON object `{"errorCode":"PermissionScopeNotGranted","message":…}` (as
        // reported from real tenants). The inner code and words are the ones that say what to fix.
        if code.eq_ignore_ascii_case("UnknownError")
            && let Ok(inner) = serde_json::from_str::<serde_json::Value>(&message)
            && let Some(inner_code) = inner["errorCode"].as_str().filter(|c| !c.is_empty())
        {
            code = inner_code.to_string();
            message = inner["message"].as_str().unwrap_or_default().to_string();
        }
        let licence = LICENCE_CODES.iter().any(|c| c.eq_ignore_ascii_case(&code))
            || (message.contains("license") && message.contains("Premium"));
        if licence && matches!(status, 400 | 403) {
            let feature = if url.contains("signInActivity") {
                "sign-in activity"
            } else if url.contains("/identityGovernance/accessReviews") {
                "Access Reviews"
            } else {
                "Privileged Identity Management"
            };
            return GraphError::NotLicensed { feature: feature.into(), code, message, request_id };
        }
        if status == 403
            && let Some((permission, endpoint)) = required_permission(url)
        {
            return GraphError::PermissionMissing {
                permission: permission.into(),
                endpoint,
                code,
                message,
                request_id,
            };
        }
        GraphError::Service { status, code, message, request_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_envelope_and_its_variants() {
        let body = br#"{"error":{"code":"Request_ResourceNotFound","message":"Gone.","innerError":{"request-id":"r-1"}}}"#;
        let err = GraphError::from_response(404, None, body, "https://g/v1.0/users/x");
        assert_eq!(err.code(), "Request_ResourceNotFound");
        assert!(err.to_string().contains("request id r-1"), "{err}");

        let nested =
            br#"{"error":{"error":{"code":"InvalidFilter","message":"The filter is invalid"}}}"#;
        assert_eq!(
            GraphError::from_response(400, Some("h".into()), nested, "https://g/v1.0/x").code(),
            "InvalidFilter"
        );

        let html = b"<html>Bad gateway</html>";
        let err = GraphError::from_response(502, Some("h-2".into()), html, "https://g/v1.0/x");
        assert_eq!(err.code(), "http502");
        assert!(
            err.to_string().contains("Bad gateway") && err.to_string().contains("h-2"),
            "{err}"
        );
    }

    #[test]
    fn a_403_names_the_missing_permission() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"request-id":"r-9"}}}"#;
        let url = "https://graph.microsoft.com/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=x";
        let err = GraphError::from_response(403, None, body, url);
        assert!(
            matches!(&err, GraphError::PermissionMissing { permission, .. } if permission == "RoleEligibilitySchedule.Read.Directory"),
            "{err:?}"
        );
        assert!(err.to_string().contains("RoleEligibilitySchedule.Read.Directory"), "{err}");
        assert_eq!(err.request_id(), Some("r-9"));
        let audits =
            GraphError::from_response(403, None, body, "https://g/v1.0/auditLogs/directoryAudits");
        assert!(audits.to_string().contains("AuditLog.Read.All"), "{audits}");
    }

    #[test]
    fn access_reviews_and_reminders_name_their_permission_and_licence() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#;
        let publish = GraphError::from_response(
            403,
            None,
            body,
            "https://g/v1.0/identityGovernance/accessReviews/definitions",
        );
        assert_eq!(publish.code(), "permissionMissing");
        assert!(publish.to_string().contains("AccessReview.ReadWrite.All"), "{publish}");
        let mail = GraphError::from_response(403, None, body, "https://g/v1.0/users/u-1/sendMail");
        assert!(mail.to_string().contains("Mail.Send"), "{mail}");
        let licence = br#"{"error":{"code":"AadPremiumLicenseRequired","message":"The tenant needs an AAD Premium 2 license."}}"#;
        let unlicensed = GraphError::from_response(
            403,
            None,
            licence,
            "https://g/v1.0/identityGovernance/accessReviews/definitions",
        );
        assert_eq!(unlicensed.code(), "notLicensed");
        assert!(unlicensed.to_string().contains("Access Reviews"), "{unlicensed}");
    }

    #[test]
    fn a_tenant_without_a_licence_says_so() {
        let body = br#"{"error":{"code":"AadPremiumLicenseRequired","message":"The tenant needs an AAD Premium 2 license."}}"#;
        let err = GraphError::from_response(
            400,
            Some("r".into()),
            body,
            "https://g/v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
        );
        assert_eq!(err.code(), "notLicensed");
        assert!(err.to_string().contains("Privileged Identity Management"), "{err}");
    }
}
