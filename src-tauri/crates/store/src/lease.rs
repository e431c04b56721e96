//! The apply lease: one run at a time sends removals to a tenant, whichever process it is in (the
//! window, the CLI, the scheduler). The row names its holder and expires unless renewed, so a
//! crashed holder blocks the next run only until its lease runs out — or not at all when the
//! caller knows the holder has stopped (it took the machine-wide lock the holder held).

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::stored::Time;
use crate::{Result, Store, StoreError, format_time};

/// Who holds a tenant's apply lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseHolder {
    pub holder: String,
    pub campaign_id: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn current(tx: &rusqlite::Connection, tenant_id: &str) -> Result<Option<(String, LeaseHolder)>> {
    Ok(tx
        .query_row(
            "SELECT token, holder, campaign_id, acquired_at, expires_at FROM apply_lease
             WHERE tenant_id = ?1",
            [tenant_id],
            |row| {
                Ok((
                    row.get(0)?,
                    LeaseHolder {
                        holder: row.get(1)?,
                        campaign_id: row.get(2)?,
                        acquired_at: row.get::<_, Time>(3)?.0,
                        expires_at: row.get::<_, Time>(4)?.0,
                    },
                ))
            },
        )
        .optional()?)
}

impl Store {
    /// Takes the tenant's apply lease for `ttl`, unless a live one is held by another run: then
    /// the refusal names the holder, the campaign and when it expires. An expired lease is taken
    /// over (its holder stopped without releasing it), and so is any lease when `holder_stopped`
    /// says the caller knows its holder is gone.
    #[allow(clippy::too_many_arguments)]
    pub fn acquire_apply_lease(
        &mut self,
        tenant_id: &str,
        campaign_id: &str,
        token: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
        holder_stopped: bool,
    ) -> Result<()> {
        // IMMEDIATE: the read and the write are one step for every process sharing the file.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some((held, other)) = current(&tx, tenant_id)?
            && held != token
            && other.expires_at > now
            && !holder_stopped
        {
            return Err(StoreError::Conflict(format!(
                "removals are already being applied to this tenant by {} (campaign {}, since {}); \
                 try again when it finishes — if that run has stopped, its lease expires at {}",
                other.holder,
                other.campaign_id,
                format_time(other.acquired_at),
                format_time(other.expires_at)
            )));
        }
        let stamp = format_time(now);
        tx.execute(
            "INSERT INTO apply_lease (tenant_id, token, holder, campaign_id, acquired_at, heartbeat_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
             ON CONFLICT (tenant_id) DO UPDATE SET token = excluded.token, holder = excluded.holder,
               campaign_id = excluded.campaign_id, acquired_at = excluded.acquired_at,
               heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at",
            params![tenant_id, token, holder, campaign_id, stamp, format_time(now + ttl)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Extends the lease `token` holds; `false` when it no longer holds it (it expired and another
    /// run took it), so the caller stops sending.
    pub fn renew_apply_lease(
        &mut self,
        tenant_id: &str,
        token: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE apply_lease SET heartbeat_at = ?3, expires_at = ?4
             WHERE tenant_id = ?1 AND token = ?2",
            params![tenant_id, token, format_time(now), format_time(now + ttl)],
        )?;
        Ok(changed == 1)
    }

    /// Gives the lease back (only the run holding it can).
    pub fn release_apply_lease(&mut self, tenant_id: &str, token: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM apply_lease WHERE tenant_id = ?1 AND token = ?2",
            params![tenant_id, token],
        )?;
        Ok(())
    }

    /// Who holds the tenant's lease now, if anyone (an expired lease is nobody's).
    pub fn apply_lease(&self, tenant_id: &str, now: DateTime<Utc>) -> Result<Option<LeaseHolder>> {
        Ok(current(&self.conn, tenant_id)?.map(|(_, h)| h).filter(|h| h.expires_at > now))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 1, 9, minute, 0).single().expect("a valid time")
    }

    #[test]
    fn one_holder_at_a_time_until_it_releases_or_its_lease_expires() {
        let mut s = Store::open_in_memory().expect("store");
        s.conn
            .execute(
                "INSERT INTO tenant VALUES ('t', 'T', 'entra', 'g', '2026-01-01T00:00:00Z')",
                [],
            )
            .expect("tenant");
        let ttl = Duration::minutes(1);
        s.acquire_apply_lease("t", "c1", "run-a", "jane (recert-cli 12)", at(0), ttl, false)
            .expect("a");
        let err = s
            .acquire_apply_lease("t", "c2", "run-b", "the window", at(0), ttl, false)
            .expect_err("held");
        let text = err.to_string();
        assert!(text.contains("jane (recert-cli 12)") && text.contains("campaign c1"), "{text}");
        // The holder renews; a minute and a half later it is still held.
        assert!(s.renew_apply_lease("t", "run-a", at(1), ttl).expect("renew"));
        assert!(
            s.acquire_apply_lease("t", "c2", "run-b", "the window", at(1), ttl, false).is_err()
        );
        // The holder crashes: no renewal; after the expiry another run takes it over.
        s.acquire_apply_lease("t", "c2", "run-b", "the window", at(3), ttl, false)
            .expect("taken over");
        assert!(!s.renew_apply_lease("t", "run-a", at(3), ttl).expect("renew"), "run-a lost it");
        s.release_apply_lease("t", "run-a").expect("a release by a non-holder is a no-op");
        assert_eq!(
            s.apply_lease("t", at(3)).expect("read").map(|h| h.holder).as_deref(),
            Some("the window")
        );
        s.release_apply_lease("t", "run-b").expect("released");
        assert!(s.apply_lease("t", at(3)).expect("read").is_none());
        s.acquire_apply_lease("t", "c1", "run-c", "jane", at(3), ttl, false).expect("free again");
        // Before its expiry, a lease whose holder is known to have stopped is taken over at once.
        assert!(s.acquire_apply_lease("t", "c1", "run-d", "cli", at(3), ttl, false).is_err());
        s.acquire_apply_lease("t", "c1", "run-d", "cli", at(3), ttl, true).expect("holder gone");
    }
}
