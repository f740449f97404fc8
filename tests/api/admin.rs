//! The operator's pages: hidden (404) from everyone else, checked on the server.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{page_text, spawn_app_with};

#[tokio::test]
async fn only_an_operator_sees_the_job_queue_and_can_retry_a_failed_job() {
    // Seeded creators are the same in every simulator: learn the second one's id, then name them
    // the operator in the configuration of the app under test.
    let operator_id = spawn_app_with(|_| {}).await.creator(1).id;
    let app = spawn_app_with(move |s| s.admin_gumroad_ids = vec![operator_id]).await;
    // A backfill whose every page keeps failing: its job ends up failed (planning fails for good).
    app.inject_fault(json!({"path": "/v2/sales", "kind": "malformed_json", "times": 1000}))
        .await;
    let creator = app.signed_in(0).await;
    app.run_jobs().await;
    let failed = app.failed_jobs().await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "plan_backfill");

    for (who, browser) in [("anonymous", app.new_browser()), ("a creator", creator)] {
        let (status, _) = browser.get_html("/admin/jobs").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}");
        let id: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE state = 'failed'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        let response = browser
            .post_form(&format!("/admin/jobs/{id}/retry"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{who}");
    }

    let operator = app.signed_in(1).await;
    let (status, html) = operator.get_html("/admin/jobs").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(
        text.contains("plan_backfill") && text.contains("could not read"),
        "{text}"
    );
    app.clear_faults().await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE state = 'failed'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let retried = operator
        .submit(&format!("/admin/jobs/{id}/retry"), &[])
        .await;
    assert_eq!(retried.status(), StatusCode::SEE_OTHER);
    app.run_jobs().await;
    assert_eq!(app.failed_jobs().await, vec![]);
    let (_, html) = operator.get_html("/admin/jobs").await;
    assert!(page_text(&html).contains("No job has failed."));
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'retry_job'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}
