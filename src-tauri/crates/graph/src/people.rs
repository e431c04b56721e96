//! Finding people in the tenant by what a person types: a name, a UPN or a mail address. The
//! window's people pickers ask the pulled directory first and this only for what it does not hold
//! (a user added since the pull).
//!
//! The request is `GET /users` with `$search`, which user-list.md states for the path together
//! with `$count`, `$select` and `$top`, and which needs the `ConsistencyLevel: eventual` header
//! and `$count` ("This header and `$count` are required when using `$search`"). The search
//! clause is Microsoft's `"property:term"` form (group-list-transitivemembers.md, Example 4:
//! `$search="displayName:tier"`), one property a request, for the display name, the UPN and the
//! mail address; the answers are merged.

use serde::Deserialize;

use crate::{GraphClient, GraphError};

/// One user found, with what a picker shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonHit {
    pub id: String,
    pub display_name: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    id: Option<String>,
    display_name: Option<String>,
    user_principal_name: Option<String>,
    mail: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    value: Vec<User>,
}

/// The properties searched, one request each.
const PROPERTIES: [&str; 3] = ["displayName", "userPrincipalName", "mail"];

/// Up to `top` users whose display name, UPN or mail matches `term`, by display name. A term
/// is cut to what a search clause can carry (no quotes or backslashes).
pub async fn search_users(
    client: &GraphClient,
    term: &str,
    top: u32,
) -> Result<Vec<PersonHit>, GraphError> {
    let term: String =
        term.chars().filter(|c| !matches!(c, '"' | '\\' | '&' | '#' | '+')).collect();
    let term = term.trim();
    if term.is_empty() {
        return Ok(Vec::new());
    }
    let cloud = client.cloud();
    let mut found: Vec<PersonHit> = Vec::new();
    for property in PROPERTIES {
        let url = cloud.graph_url(&format!(
            "/users?$search=\"{property}:{term}\"&$count=true&$top={top}\
             &$select=id,displayName,userPrincipalName,mail"
        ));
        let (page, _) = client.get_eventual_as::<Page>(&url).await?;
        for user in page.value {
            let (Some(id), Some(upn)) = (user.id, user.user_principal_name) else { continue };
            if found.iter().any(|f| f.id.eq_ignore_ascii_case(&id)) {
                continue;
            }
            found.push(PersonHit {
                id,
                display_name: user.display_name.unwrap_or_default(),
                user_principal_name: upn,
                mail: user.mail,
            });
        }
    }
    found.sort_by_key(|p| p.display_name.to_lowercase());
    found.truncate(top as usize);
    Ok(found)
}
