//! A campaign's delivery at each moment of its life: a campaign whose definition delivers through
//! Entra Access Reviews is published when it opens (by hand or by the schedule), synced by every
//! run of the schedule while it is open (a publication that failed is tried again there, so a
//! failure never leaves the campaign half-published for good), and stopped with a final sync
//! before it closes, so no decision made in Entra is lost to the close.

use recert_domain::campaign::CampaignState;
use recert_domain::entra_reviews::Delivery;

use super::dto::RunDueDto;
use super::{parse_definition, tenant_of};
use crate::{App, AppError};

/// What a campaign's delivery asks of the schedule now.
enum Due {
    Publish,
    Sync,
}

impl App {
    /// Where the campaign's reviewers decide, as its definition said when it opened.
    pub(crate) async fn campaign_delivery(&self, campaign_id: &str) -> Result<Delivery, AppError> {
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let (_, definition) = parse_definition(&store.campaign(&id)?.definition)?;
            Ok(definition.settings.delivery)
        })
        .await
    }

    /// Publishes a campaign just opened when its definition delivers through Entra Access
    /// Reviews; `Ok(None)` for a campaign delivered in Recert.
    pub(crate) async fn deliver_opened(&self, campaign_id: &str) -> Result<Option<u32>, AppError> {
        match self.campaign_delivery(campaign_id).await? {
            Delivery::InRecert => Ok(None),
            Delivery::EntraAccessReviews => self.campaign_publish(campaign_id).await.map(Some),
        }
    }

    /// Before a published campaign closes: stops its reviews in Entra and records what they
    /// hold (the final sync). A campaign with nothing published, or stopped already, needs
    /// nothing. A failure stops the close: closing without the final sync would lose decisions.
    pub(crate) async fn final_sync(&self, campaign_id: &str) -> Result<(), AppError> {
        let id = campaign_id.to_string();
        let unstopped = self
            .with_store(move |store| {
                Ok(store.publications(&id)?.iter().any(|p| p.stopped_at.is_none()))
            })
            .await?;
        if unstopped {
            self.campaign_sync(campaign_id, true).await?;
        }
        Ok(())
    }

    /// The schedule's pass over open campaigns delivered through Entra Access Reviews that are
    /// not past their deadline (those are closed, with the final sync): one not published yet
    /// (its publication failed) is published, the others are synced.
    pub(crate) async fn sync_deliveries(&self, report: &mut RunDueDto) {
        let now = self.now();
        let due = self
            .with_store(move |store| {
                let mut due = Vec::new();
                for c in store.campaigns(None)? {
                    if c.state != CampaignState::Open || c.period_end <= now {
                        continue;
                    }
                    let Ok((_, definition)) = parse_definition(&c.definition) else { continue };
                    if definition.settings.delivery != Delivery::EntraAccessReviews {
                        continue;
                    }
                    tenant_of(&c)?;
                    let published = !store.publications(&c.id)?.is_empty();
                    due.push((c.id, if published { Due::Sync } else { Due::Publish }));
                }
                Ok(due)
            })
            .await;
        let due = match due {
            Ok(due) => due,
            Err(err) => {
                report.failed.push(format!("Entra Access Reviews: {}", err.message));
                return;
            }
        };
        for (id, what) in due {
            let done = match what {
                // A campaign with nothing Entra can carry publishes nothing: not worth a line.
                Due::Publish => self.campaign_publish(&id).await.map(|n| {
                    if n > 0 {
                        report.published.push(id.clone());
                    }
                }),
                Due::Sync => {
                    self.campaign_sync(&id, false).await.map(|_| report.synced.push(id.clone()))
                }
            };
            if let Err(err) = done {
                report.failed.push(format!("{id}: {}", err.message));
            }
        }
    }
}
