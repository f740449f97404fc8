use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng as _;
use sqlx::{PgConnection, PgExecutor, PgPool};

use super::{Job, Outcome};
use crate::domain::TenantId;
use crate::store::jobs::{self as sql, NewJob};

/// How the queue treats jobs; the same on every instance of a deployment.
#[derive(Clone, Debug)]
pub struct QueueSettings {
    /// How long a claim lasts without renewal: a crashed instance's jobs come back after this.
    pub lease: Duration,
    /// Running jobs per creator at most (a creator's backfill windows run in parallel up to it).
    pub per_creator: i64,
    /// First pause before a retry; it doubles each attempt (with jitter) up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Attempts before a failing job is kept as failed (rate limiting never counts towards it).
    pub max_attempts: i32,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            per_creator: 12,
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(600),
            max_attempts: 6,
        }
    }
}

#[derive(Clone)]
pub struct Queue {
    pool: PgPool,
    settings: QueueSettings,
}

/// A claimed job: this worker holds its lease until it finishes it.
#[derive(Clone, Debug)]
pub struct Claim {
    pub id: i64,
    pub job: Job,
    /// 1 on the first run.
    pub attempts: i32,
    worker: String,
}

/// Whether a job that runs several steps in one claim may take the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lease {
    /// Still this worker's, renewed: go on.
    Kept,
    /// Still this worker's, but its creator was disabled meanwhile: finish the step and hand the job
    /// back (it is not claimed again while they are disabled).
    HandBack,
    /// Another worker has it now (this one's lease ran out): roll back.
    Lost,
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Queue {
    pub fn new(pool: PgPool, settings: QueueSettings) -> Self {
        Self { pool, settings }
    }

    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Enqueues `job` through `executor` (a transaction, so the job exists only if the write that
    /// caused it commits). `false` when an equal job is already pending or running.
    pub async fn enqueue(executor: impl PgExecutor<'_>, job: &Job) -> Result<bool, sqlx::Error> {
        Self::enqueue_with(executor, job, None, None).await
    }

    pub async fn enqueue_with(
        executor: impl PgExecutor<'_>,
        job: &Job,
        priority: Option<i16>,
        run_at: Option<DateTime<Utc>>,
    ) -> Result<bool, sqlx::Error> {
        let payload = serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let added = sql::enqueue(
            executor,
            NewJob {
                kind: job.kind(),
                creator: job.creator(),
                payload,
                dedupe_key: Some(job.dedupe_key()),
                priority: priority.unwrap_or_else(|| job.default_priority()),
                run_at,
            },
        )
        .await?;
        Ok(added.is_some())
    }

    /// The most urgent runnable job, leased to `worker`; `None` when there is nothing to do now.
    pub async fn claim(&self, worker: &str) -> Result<Option<Claim>, sqlx::Error> {
        let lease = ms(self.settings.lease);
        loop {
            let Some(row) =
                sql::claim(&self.pool, worker, lease, self.settings.per_creator).await?
            else {
                return Ok(None);
            };
            if let Some(creator) = row.creator_id
                && sql::running_for_creator(&self.pool, creator).await? > self.settings.per_creator
            {
                // Another worker claimed for the same creator at the same moment: give it back.
                sql::give_back(&self.pool, row.id, worker, 200).await?;
                return Ok(None);
            }
            match serde_json::from_value::<Job>(row.payload) {
                Ok(job) => {
                    return Ok(Some(Claim {
                        id: row.id,
                        job,
                        attempts: row.attempts,
                        worker: worker.to_owned(),
                    }));
                }
                Err(error) => {
                    // Written by another version of gumdash, perhaps: keep it for the operator.
                    let message = format!("this version cannot read the job: {error}");
                    sql::finish_failed(&self.pool, row.id, worker, &message).await?;
                }
            }
        }
    }

    /// Records how a run ended (unless the handler already did, [`Outcome::Committed`]).
    pub async fn finish(&self, claim: &Claim, outcome: Outcome) -> Result<(), sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let still_ours = claim.finish_in(&mut conn, &outcome, &self.settings).await?;
        if !still_ours {
            tracing::warn!(
                job = claim.id,
                kind = claim.job.kind(),
                "a job's lease ran out before it finished; another worker has it"
            );
        }
        Ok(())
    }

    /// Keeps the lease alive while a job runs. `false` when it was lost.
    pub async fn renew(&self, claim: &Claim) -> Result<bool, sqlx::Error> {
        sql::extend_lease(&self.pool, claim.id, &claim.worker, ms(self.settings.lease)).await
    }

    pub async fn recover_expired_leases(&self) -> Result<u64, sqlx::Error> {
        sql::recover_expired_leases(&self.pool).await
    }

    /// The pause before retry number `attempt` (1-based): doubling, capped, with up to 50% jitter so
    /// that many creators' retries do not hit Gumroad in step.
    pub fn backoff(&self, attempt: i32) -> Duration {
        backoff(&self.settings, attempt)
    }

    /// Stops a creator's pending Gumroad fetches (after Gumroad revoked their token); work on
    /// what is already stored (re-dating) goes on.
    pub async fn cancel_pending_fetches_for(
        executor: impl PgExecutor<'_>,
        tenant: TenantId,
    ) -> Result<u64, sqlx::Error> {
        sql::cancel_pending_fetches_for_creator(executor, tenant).await
    }

    /// How many of the creator's jobs of `kind` wait, counting no further than `up_to` (a bound, so
    /// the check costs the same however long the backlog).
    pub async fn pending_of_kind(
        executor: impl PgExecutor<'_>,
        tenant: TenantId,
        kind: &str,
        up_to: i64,
    ) -> Result<i64, sqlx::Error> {
        sql::pending_of_kind(executor, tenant, kind, up_to).await
    }
}

fn backoff(settings: &QueueSettings, attempt: i32) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let step = settings
        .retry_base
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(settings.retry_max);
    let jitter_ms = rand::rng().random_range(0..=ms(step) as u64 / 2);
    step + Duration::from_millis(jitter_ms)
}

impl Claim {
    /// Records `outcome` through `conn`, typically inside the transaction that wrote the job's results,
    /// so results, checkpoint and the job's next step commit together. `false` when this worker no
    /// longer holds the lease: the caller must roll back.
    pub async fn finish_in(
        &self,
        conn: &mut PgConnection,
        outcome: &Outcome,
        settings: &QueueSettings,
    ) -> Result<bool, sqlx::Error> {
        let (id, worker) = (self.id, self.worker.as_str());
        match outcome {
            Outcome::Done => sql::finish_done(conn, id, worker).await,
            Outcome::Continue(next) => {
                let payload =
                    serde_json::to_value(next).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                sql::finish_continue(conn, id, worker, payload, 0).await
            }
            Outcome::Repeat(pause) => {
                let payload = serde_json::to_value(&self.job)
                    .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                sql::finish_continue(conn, id, worker, payload, ms(*pause)).await
            }
            Outcome::RetryIn(_, error) | Outcome::GiveUp(error)
                if self.attempts >= settings.max_attempts
                    || matches!(outcome, Outcome::GiveUp(_)) =>
            {
                sql::finish_failed(conn, id, worker, error).await
            }
            Outcome::RetryIn(pause, error) => {
                sql::finish_retry(conn, id, worker, ms(*pause), error).await
            }
            Outcome::GiveUp(_) => unreachable!("handled by the arm above"),
            Outcome::Committed => Ok(true),
        }
    }

    /// Renews the lease through `conn`, inside the transaction that wrote a step's results, for a
    /// job that goes on with more steps in the same run. The caller rolls back on [`Lease::Lost`].
    /// The job's attempts start again at 1 (see [`Claim::next_step`]).
    pub async fn keep_in(
        &self,
        conn: &mut PgConnection,
        settings: &QueueSettings,
    ) -> Result<Lease, sqlx::Error> {
        let kept =
            sql::extend_lease_unless_disabled(conn, self.id, &self.worker, ms(settings.lease))
                .await?;
        Ok(match kept {
            None => Lease::Lost,
            Some(true) => Lease::Kept,
            Some(false) => Lease::HandBack,
        })
    }

    /// The claim for the next step of a run, after [`Claim::keep_in`] kept the lease: its failures
    /// count from the first attempt again, as the next run of a job that finished a step did.
    pub fn next_step(&self) -> Claim {
        Claim {
            attempts: 1,
            ..self.clone()
        }
    }

    /// Like [`Claim::finish_in`], for a retry that must not use up attempts (Gumroad rate limiting is
    /// not the job's fault).
    pub async fn postpone_in(
        &self,
        conn: &mut PgConnection,
        pause: Duration,
        reason: &str,
    ) -> Result<bool, sqlx::Error> {
        sql::finish_postponed(conn, self.id, &self.worker, ms(pause), reason).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_cap_with_bounded_jitter() {
        let settings = QueueSettings {
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_millis(1000),
            ..QueueSettings::default()
        };
        for (attempt, step) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            let pause = backoff(&settings, attempt).as_millis() as u64;
            assert!(
                (step..=step + step / 2).contains(&pause),
                "attempt {attempt}: {pause} ms"
            );
        }
    }

    #[test]
    fn jobs_round_trip_through_their_stored_json() {
        let job = Job::SyncWindow {
            creator: TenantId::from_raw_for_tests(7),
            window: 3,
        };
        let json = serde_json::to_value(&job).unwrap();
        assert_eq!(json["kind"], "sync_window");
        assert_eq!(serde_json::from_value::<Job>(json).unwrap(), job);
        assert_eq!(job.dedupe_key(), "sync_window:7:3");
    }
}
