use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::watch;

use futures_util::FutureExt as _;

use super::{Claim, Job, Outcome, Queue};

/// What runs a claimed job (`sync` implements it). Never panics by contract; a panic would only
/// lose this run, and the job comes back when its lease runs out.
pub trait JobHandler: Send + Sync + 'static {
    fn run<'a>(&'a self, claim: &'a Claim) -> BoxFuture<'a, Outcome>;

    /// Told how each run ended and how long it took (for metrics); nothing by default.
    fn finished(&self, _claim: &Claim, _outcome: &Outcome, _elapsed: Duration) {}
}

/// The workers of one instance: `count` loops claiming jobs, started by `main` beside the server.
pub struct WorkerPool {
    pub queue: Queue,
    pub handler: Arc<dyn JobHandler>,
    pub count: usize,
    /// How long an idle worker waits before looking for work again.
    pub poll: Duration,
    /// Names this instance's leases (host and process), for the operator.
    pub instance: String,
    /// Jobs that must always exist (the scheduler): enqueued at start and every minute after, so
    /// one that failed or was lost comes back. De-duplication keeps it to one.
    pub keep_enqueued: Vec<Job>,
}

impl WorkerPool {
    /// Runs until `shutdown` turns true, then lets running jobs finish (each stops claiming first).
    /// Dropping this future (aborting its task) stops every loop at once, like a killed process.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let mut loops = tokio::task::JoinSet::new();
        for n in 0..self.count {
            loops.spawn(work_loop(
                self.queue.clone(),
                self.handler.clone(),
                format!("{}/{n}", self.instance),
                self.poll,
                shutdown.clone(),
            ));
        }
        loops.spawn(recover_leases(
            self.queue.clone(),
            self.keep_enqueued,
            shutdown.clone(),
        ));
        while let Some(ended) = loops.join_next().await {
            if let Err(error) = ended {
                tracing::error!(%error, "a worker loop ended abnormally");
            }
        }
    }
}

async fn work_loop(
    queue: Queue,
    handler: Arc<dyn JobHandler>,
    worker: String,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    while !*shutdown.borrow() {
        let idle = match queue.claim(&worker).await {
            Ok(Some(claim)) => {
                run_claimed(&queue, handler.as_ref(), claim).await;
                continue;
            }
            Ok(None) => poll,
            Err(error) => {
                tracing::warn!(%error, "could not look for jobs; the database may be away");
                poll * 4
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(idle) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Jobs of an instance that died come back once their lease runs out; any instance may notice.
/// The jobs that must always exist are enqueued again if they are gone.
async fn recover_leases(queue: Queue, keep: Vec<Job>, mut shutdown: watch::Receiver<bool>) {
    let every = (queue.settings().lease / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    while !*shutdown.borrow() {
        match queue.recover_expired_leases().await {
            Ok(0) => {}
            Ok(recovered) => tracing::info!(recovered, "jobs of a stopped worker run again"),
            Err(error) => tracing::warn!(%error, "could not recover expired job leases"),
        }
        for job in &keep {
            if let Err(error) = Queue::enqueue(queue.pool(), job).await {
                tracing::warn!(%error, kind = job.kind(), "could not enqueue a standing job");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Runs one claimed job, renewing its lease meanwhile, and records the outcome.
pub(super) async fn run_claimed(queue: &Queue, handler: &dyn JobHandler, claim: Claim) {
    let started = std::time::Instant::now();
    let outcome = {
        // A panicking job loses only this run (and is retried), never the worker loop.
        let run = std::panic::AssertUnwindSafe(handler.run(&claim))
            .catch_unwind()
            .map(|result| {
                result.unwrap_or_else(|_| {
                    Outcome::RetryIn(queue.backoff(claim.attempts), "the job panicked".into())
                })
            });
        tokio::pin!(run);
        let mut renew = tokio::time::interval(queue.settings().lease / 3);
        renew.tick().await;
        loop {
            tokio::select! {
                outcome = &mut run => break outcome,
                _ = renew.tick() => {
                    if let Err(error) = queue.renew(&claim).await {
                        tracing::warn!(job = claim.id, %error, "could not renew a job's lease");
                    }
                }
            }
        }
    };
    handler.finished(&claim, &outcome, started.elapsed());
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match &outcome {
        Outcome::RetryIn(_, error) | Outcome::GiveUp(error) => tracing::warn!(
            job = claim.id,
            kind = claim.job.kind(),
            attempt = claim.attempts,
            elapsed_ms,
            error = %error,
            "job failed"
        ),
        _ => tracing::debug!(
            job = claim.id,
            kind = claim.job.kind(),
            elapsed_ms,
            "job ran"
        ),
    }
    if let Err(error) = queue.finish(&claim, outcome).await {
        // The lease runs out and the job runs again: nothing is lost.
        tracing::error!(job = claim.id, %error, "could not record a job's outcome");
    }
}

/// Runs every job that is runnable now, one at a time, including those the jobs enqueue, until none is
/// left (delayed retries are not waited for). For tests and one-shot commands. Returns how many ran.
pub async fn run_pending_jobs(queue: &Queue, handler: &dyn JobHandler) -> usize {
    let mut ran = 0;
    loop {
        match queue.claim("run-pending-jobs").await {
            Ok(Some(claim)) => {
                run_claimed(queue, handler, claim).await;
                ran += 1;
            }
            Ok(None) => return ran,
            Err(error) => {
                tracing::error!(%error, "could not claim a job");
                return ran;
            }
        }
    }
}
