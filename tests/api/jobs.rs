//! The job queue on real PostgreSQL: de-duplication, leases that outlive a crashed worker, and two
//! worker pools on one database running each job exactly once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use gumdash::domain::TenantId;
use gumdash::jobs::{Claim, Job, JobHandler, Lease, Outcome, Queue, QueueSettings, WorkerPool};
use sqlx::PgPool;

use crate::helpers::fresh_database;

/// Records which job ids ran, and how often.
#[derive(Default)]
struct Recorder {
    runs: Mutex<Vec<i64>>,
}

impl JobHandler for Recorder {
    fn run<'a>(&'a self, claim: &'a Claim) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            self.runs.lock().unwrap().push(claim.id);
            // Long enough for the other pool to try the same rows.
            tokio::time::sleep(Duration::from_millis(5)).await;
            Outcome::Done
        })
    }
}

async fn creators(pool: &PgPool, count: usize) -> Vec<TenantId> {
    let mut out = Vec::new();
    for n in 0..count {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO creators (gumroad_user_id, name) VALUES ($1, 'Test') RETURNING id",
        )
        .bind(format!("{}", 1_000_000_000_000u64 + n as u64))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push(TenantId::from_db(id));
    }
    out
}

/// A fresh database holding one creator and one pending job of theirs.
async fn database_with_one_job() -> (PgPool, Job) {
    let (pool, _) = fresh_database().await;
    let creator = creators(&pool, 1).await[0];
    let job = Job::RedateSales {
        creator,
        zone: "UTC".into(),
    };
    assert!(Queue::enqueue(&pool, &job).await.unwrap());
    (pool, job)
}

fn queue(pool: &PgPool) -> Queue {
    Queue::new(
        pool.clone(),
        QueueSettings {
            lease: Duration::from_secs(2),
            per_creator: 2,
            ..QueueSettings::default()
        },
    )
}

#[tokio::test]
async fn an_equal_job_is_enqueued_once_while_pending_and_again_after_it_ran() {
    let (pool, job) = database_with_one_job().await;
    assert!(!Queue::enqueue(&pool, &job).await.unwrap(), "a duplicate");
    let queue = queue(&pool);
    let recorder = Recorder::default();
    assert_eq!(gumdash::jobs::run_pending_jobs(&queue, &recorder).await, 1);
    assert!(
        Queue::enqueue(&pool, &job).await.unwrap(),
        "runs again later"
    );
}

#[tokio::test]
async fn a_step_that_succeeded_gives_the_next_step_of_the_run_every_attempt_again() {
    // A sync window walks several pages a run. Its first page failed until the last attempt but one;
    // once a page is stored, a failure of the next page must be retried, not kept as failed.
    let (pool, _) = database_with_one_job().await;
    let queue = queue(&pool);
    let max = queue.settings().max_attempts;
    sqlx::query("UPDATE jobs SET attempts = $1")
        .bind(max - 1)
        .execute(&pool)
        .await
        .unwrap();
    let claim = queue.claim("worker/0").await.unwrap().unwrap();
    assert_eq!(claim.attempts, max, "the run is the job's last attempt");

    let mut step = pool.begin().await.unwrap();
    let kept = claim.keep_in(&mut step, queue.settings()).await.unwrap();
    assert_eq!(kept, gumdash::jobs::Lease::Kept);
    step.commit().await.unwrap();
    let next = claim.next_step();
    queue
        .finish(
            &next,
            Outcome::RetryIn(Duration::ZERO, "Gumroad answered 502".into()),
        )
        .await
        .unwrap();

    let (state, attempts): (String, i32) = sqlx::query_as("SELECT state, attempts FROM jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, "pending", "retried, not failed for good");
    assert_eq!(attempts, 1, "the next step's first attempt");
}

#[tokio::test]
async fn renewing_a_lease_never_waits_for_the_jobs_own_finishing_transaction() {
    // The worker renews a lease from the task that runs the job, so while it renews, the job's
    // transaction (which holds the job's row to finish it) is not being driven: if renewing waited
    // for that row, neither would ever move.
    let (pool, _) = database_with_one_job().await;
    let queue = queue(&pool);
    let claimed = queue.claim("worker/0").await.unwrap().unwrap();
    let mut finishing = pool.begin().await.unwrap();
    sqlx::query("UPDATE jobs SET updated_at = now() WHERE id = $1")
        .bind(claimed.id)
        .execute(&mut *finishing)
        .await
        .unwrap();

    let renewed = tokio::time::timeout(Duration::from_secs(5), queue.renew(&claimed)).await;
    assert!(
        matches!(renewed, Ok(Ok(false))),
        "renewal skips a row its job holds, at once: {renewed:?}"
    );
    finishing.commit().await.unwrap();
    assert!(queue.renew(&claimed).await.unwrap(), "and renews it after");
}

#[tokio::test]
async fn a_job_whose_worker_died_runs_again_once_its_lease_is_over() {
    let (pool, _) = database_with_one_job().await;
    let queue = queue(&pool);
    // A worker claims it and is killed: it never finishes nor renews.
    let claimed = queue.claim("doomed-instance/0").await.unwrap().unwrap();
    assert!(queue.claim("other/0").await.unwrap().is_none(), "leased");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(queue.recover_expired_leases().await.unwrap(), 1);
    let recorder = Recorder::default();
    assert_eq!(gumdash::jobs::run_pending_jobs(&queue, &recorder).await, 1);
    assert_eq!(*recorder.runs.lock().unwrap(), vec![claimed.id]);
    // The dead worker's late outcome cannot overwrite anything: the job is gone.
    queue
        .finish(&claimed, Outcome::GiveUp("late".into()))
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_failing_job_is_retried_then_kept_with_its_error() {
    struct Failing;
    impl JobHandler for Failing {
        fn run<'a>(&'a self, _claim: &'a Claim) -> BoxFuture<'a, Outcome> {
            Box::pin(async {
                Outcome::RetryIn(Duration::ZERO, "Gumroad had a server error".into())
            })
        }
    }
    let (pool, _) = database_with_one_job().await;
    let queue = Queue::new(
        pool.clone(),
        QueueSettings {
            max_attempts: 3,
            ..QueueSettings::default()
        },
    );
    assert_eq!(gumdash::jobs::run_pending_jobs(&queue, &Failing).await, 3);
    let (state, attempts, error): (String, i32, String) =
        sqlx::query_as("SELECT state, attempts, last_error FROM jobs")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts), ("failed", 3));
    assert_eq!(error, "Gumroad had a server error");
}

#[tokio::test]
async fn a_run_of_several_steps_goes_on_only_while_it_holds_the_lease_and_its_creator_is_enabled() {
    let (pool, job) = database_with_one_job().await;
    let Job::RedateSales { creator, .. } = job else {
        unreachable!("the job is a re-dating")
    };
    let queue = queue(&pool);
    let claimed = queue.claim("worker/0").await.unwrap().unwrap();
    let mut conn = pool.acquire().await.unwrap();
    // Its lease has all but run out when a step ends: keeping it renews it.
    sqlx::query("UPDATE jobs SET locked_until = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    let kept = claimed.keep_in(&mut conn, queue.settings()).await.unwrap();
    assert_eq!(kept, Lease::Kept);
    assert_eq!(queue.recover_expired_leases().await.unwrap(), 0, "renewed");

    assert!(
        gumdash::store::creators::disable(&pool, creator)
            .await
            .unwrap()
    );
    let kept = claimed.keep_in(&mut conn, queue.settings()).await.unwrap();
    assert_eq!(kept, Lease::HandBack, "a disabled creator's run stops");

    // Another worker took the job over (this one's lease ran out meanwhile).
    sqlx::query("UPDATE jobs SET locked_by = 'other/0'")
        .execute(&pool)
        .await
        .unwrap();
    let kept = claimed.keep_in(&mut conn, queue.settings()).await.unwrap();
    assert_eq!(kept, Lease::Lost);
}

#[tokio::test]
async fn two_worker_pools_on_one_database_run_each_job_exactly_once() {
    let (pool, _) = fresh_database().await;
    let tenants = creators(&pool, 20).await;
    for (n, creator) in tenants.iter().enumerate() {
        for window in 0..3 {
            let job = Job::SyncWindow {
                creator: *creator,
                window: (n * 10 + window) as i64,
            };
            assert!(Queue::enqueue(&pool, &job).await.unwrap());
        }
    }
    let recorder = Arc::new(Recorder::default());
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let pools: Vec<_> = ["instance-a", "instance-b"]
        .into_iter()
        .map(|instance| {
            tokio::spawn(
                WorkerPool {
                    queue: queue(&pool),
                    handler: recorder.clone(),
                    count: 3,
                    poll: Duration::from_millis(20),
                    instance: instance.into(),
                    keep_enqueued: Vec::new(),
                }
                .run(shutdown.clone()),
            )
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
            .fetch_one(&pool)
            .await
            .unwrap();
        if left == 0 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    for handle in pools {
        handle.await.unwrap();
    }
    let mut runs = recorder.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 60, "every job ran");
    runs.sort_unstable();
    runs.dedup();
    assert_eq!(runs.len(), 60, "and none twice");
}

/// The most instants within any one second.
fn busiest_second(instants: &[std::time::Instant]) -> usize {
    let mut sorted = instants.to_vec();
    sorted.sort();
    let mut start = 0;
    (0..sorted.len())
        .map(|end| {
            while sorted[end].duration_since(sorted[start]) >= Duration::from_secs(1) {
                start += 1;
            }
            end - start + 1
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn two_instances_never_call_gumroad_faster_than_the_shared_budget_even_at_once() {
    // Gumroad counts requests per IP in fixed windows: a burst on top of the rate is what trips it.
    let (pool, _) = fresh_database().await;
    let per_sec = 10.0;
    let instances = [
        Arc::new(gumdash::jobs::RequestBudget::new(
            pool.clone(),
            100.0,
            per_sec,
        )),
        Arc::new(gumdash::jobs::RequestBudget::new(
            pool.clone(),
            100.0,
            per_sec,
        )),
    ];
    let granted = Arc::new(Mutex::new(Vec::new()));
    let mut workers = tokio::task::JoinSet::new();
    for budget in instances.iter().cycle().take(12) {
        let (budget, granted) = (budget.clone(), granted.clone());
        workers.spawn(async move {
            for _ in 0..3 {
                budget.acquire().await;
                granted.lock().unwrap().push(std::time::Instant::now());
            }
        });
    }
    workers.join_all().await;
    let granted = granted.lock().unwrap().clone();
    assert_eq!(granted.len(), 36);
    // One more than the rate: a grant recorded a moment late can share a second with the next one.
    let busiest = busiest_second(&granted);
    assert!(
        busiest <= per_sec as usize + 1,
        "{busiest} requests started within one second, with a budget of {per_sec} a second"
    );
}

/// Counts the requests a paced client was let send.
#[derive(Default)]
struct CountingPace(std::sync::atomic::AtomicUsize);

impl gumdash::gumroad::Pace for CountingPace {
    fn wait(&self) -> BoxFuture<'_, ()> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async {})
    }
}

#[tokio::test]
async fn background_requests_wait_for_the_budget_before_every_attempt_retries_included() {
    // The budget counts requests, as Gumroad does: a read the client repeats after a 503 takes a
    // token each time, or failures would go out on top of the rate.
    let app = crate::helpers::spawn_app().await;
    app.inject_fault(
        serde_json::json!({"path": "/v2/user", "kind": "status", "status": 503, "times": 2}),
    )
    .await;
    let pace = Arc::new(CountingPace::default());
    let client = gumdash::gumroad::ApiClient::new(
        gumdash::gumroad::http_client(Duration::from_secs(5)),
        url::Url::parse(&format!("{}/v2/", app.sim.base_url())).unwrap(),
        gumdash::gumroad::RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
        },
    )
    .paced(pace.clone());
    let token = secrecy::SecretString::from(app.sim.issue_token(
        &app.settings.gumroad.client_id,
        &app.creator(0).id,
        &["view_profile"],
    ));

    client.user(&token).await.expect("the third attempt passes");
    assert_eq!(
        pace.0.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "two refused attempts and the one that passed each waited for a token"
    );
}
