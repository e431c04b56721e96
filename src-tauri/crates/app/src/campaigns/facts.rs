//! The facts the detail pane adds about one item, read when the reviewer moves to it (not with
//! every worklist page): the holder's last sign-in and who else holds the role.

use serde::Serialize;
use ts_rs::TS;

use super::{rfc3339, tenant_of};
use crate::{App, AppError};

/// How many other holders' names the pane lists; the count says how many there are in all.
const NAMES: u32 = 8;

/// More about one item for the detail pane.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ItemFactsDto {
    /// The holder's last sign-in as the latest pull read it (none recorded: never, or unread).
    pub last_sign_in: Option<String>,
    /// How many others hold the same role in this campaign, at any scope.
    pub other_holders: u32,
    /// The first of them by name.
    pub other_names: Vec<String>,
}

impl App {
    pub async fn item_facts(
        &self,
        campaign_id: &str,
        item_id: u32,
    ) -> Result<ItemFactsDto, AppError> {
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let record = store.campaign(&id)?;
            let tenant = tenant_of(&record)?;
            let item = store.items(&id, &[item_id])?.remove(0);
            let (other_holders, other_names) = store.other_holders(&id, item_id, NAMES)?;
            Ok(ItemFactsDto {
                last_sign_in: store.last_sign_in(&tenant, &item.principal_id)?.map(rfc3339),
                other_holders,
                other_names,
            })
        })
        .await
    }
}
