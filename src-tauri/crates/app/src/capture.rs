//! A tenant's pull with its raw pages handed back, for turning a real tenant's shape into an
//! emulator fixture (`recert-cli emulator capture`): the pull is stored like any other, and
//! the pages — exactly what the service answered — go to the caller.

use recert_domain::authority::Action;

use crate::dto::PullDto;
use crate::{App, AppError};

/// One raw response of a pull, as the service sent it.
#[derive(Clone, Debug)]
pub struct CapturedPage {
    pub method: String,
    pub url: String,
    pub body: Vec<u8>,
}

impl App {
    /// Pulls the tenant (as [`App::pull`], by whoever may pull it) and returns its raw pages.
    pub async fn pull_with_pages(
        &self,
        tenant_id: &str,
    ) -> Result<(PullDto, Vec<CapturedPage>), AppError> {
        let (app, tenant) = (self.clone(), tenant_id.to_string());
        let actor = self
            .with_store(move |store| {
                store.tenant(&tenant)?;
                Ok(app.authorize(store, &tenant, Action::Pull)?.label)
            })
            .await?;
        let (pull, pages) = self.pull_population(tenant_id, &actor).await?;
        let pages = pages
            .into_iter()
            .map(|p| CapturedPage { method: p.method, url: p.url, body: p.body })
            .collect();
        Ok((pull, pages))
    }
}
