//! The people pickers' search (the wizard's reviewers, the admins' list): a name, a UPN or a mail
//! address typed, matched in the tenant's pulled directory first and, for what it does not find,
//! in the tenant itself through Graph's documented `$search` (`recert_graph::people`). Looking
//! someone up never changes who acts.

use recert_domain::PrincipalKind;
use serde::Serialize;
use ts_rs::TS;

use crate::campaigns::directory;
use crate::{App, AppError};

/// How many people a picker lists at most.
const LIMIT: usize = 12;

/// One person a picker offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PersonDto {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub mail: Option<String>,
    /// In the tenant's last pull: a definition can name them now. One found in the tenant only
    /// (added since) needs a pull first.
    pub in_directory: bool,
}

/// Whether every word of `term` is in the name, the UPN or the mail address.
fn matches(term: &[String], name: &str, upn: &str, mail: Option<&str>) -> bool {
    let hay = format!("{name}\n{upn}\n{}", mail.unwrap_or_default()).to_lowercase();
    term.iter().all(|w| hay.contains(w.as_str()))
}

impl App {
    /// Users of `tenant_id` whose name, UPN or mail matches `term`: the pulled directory's first,
    /// then — when it finds fewer than a picker shows and the tenant is connected — the tenant's
    /// through Graph. A Graph failure leaves the directory's answer standing.
    pub async fn search_people(
        &self,
        tenant_id: &str,
        term: &str,
    ) -> Result<Vec<PersonDto>, AppError> {
        let words: Vec<String> = term.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let tenant = tenant_id.to_string();
        let wanted = words.clone();
        let mut found = self
            .with_store(move |store| {
                store.tenant(&tenant)?;
                let mut found: Vec<PersonDto> = directory(store, &tenant)?
                    .into_values()
                    .filter(|p| p.kind == PrincipalKind::User)
                    .filter_map(|p| {
                        let upn = p.upn.clone()?;
                        matches(&wanted, &p.display_name, &upn, p.mail.as_deref()).then_some(
                            PersonDto {
                                id: p.id,
                                upn,
                                display_name: p.display_name,
                                mail: p.mail,
                                in_directory: true,
                            },
                        )
                    })
                    .collect();
                found.sort_by_key(|p| p.display_name.to_lowercase());
                found.truncate(LIMIT);
                Ok(found)
            })
            .await?;
        if found.len() >= LIMIT || term.trim().chars().count() < 2 {
            return Ok(found);
        }
        let Ok(session) = self.session(tenant_id) else { return Ok(found) };
        let hits = match recert_graph::people::search_users(&session.graph, term, LIMIT as u32)
            .await
        {
            Ok(hits) => hits,
            Err(err) if found.is_empty() => return Err(err.into()),
            Err(err) => {
                tracing::info!(%err, "the tenant's people search failed; the pull's answer stands");
                Vec::new()
            }
        };
        for hit in hits {
            if found.len() >= LIMIT {
                break;
            }
            if found.iter().any(|f| f.id.eq_ignore_ascii_case(&hit.id)) {
                continue;
            }
            found.push(PersonDto {
                id: hit.id,
                upn: hit.user_principal_name,
                display_name: hit.display_name,
                mail: hit.mail,
                in_directory: false,
            });
        }
        Ok(found)
    }
}
