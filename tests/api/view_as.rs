//! "View as creator" (issue 10, item 4): started by an operator with a reason, bannered on every
//! page, read-only on the server, ended on demand or at its hour, audited, and shown to the creator.

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, location, page_text, spawn_app, spawn_app_with};

/// Creator 1 is the operator; creator 0 the one viewed.
async fn app_with_operator() -> TestApp {
    let operator_id = spawn_app().await.creator(1).id;
    spawn_app_with(move |s| s.admin_gumroad_ids = vec![operator_id]).await
}

impl TestApp {
    async fn audit_of(&self, tenant: i64, action: &str) -> Vec<(String, serde_json::Value)> {
        sqlx::query_as(
            "SELECT actor, detail FROM audit_events WHERE creator_id = $1 AND action = $2 ORDER BY id",
        )
        .bind(tenant)
        .bind(action)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }
}

const BANNER: &str = "for support — read-only — until";

async fn start_viewing(operator: &Browser, tenant: i64, reason: &str) -> reqwest::Response {
    operator
        .submit(
            &format!("/admin/creators/{tenant}/view-as"),
            &[("reason", reason)],
        )
        .await
}

#[tokio::test]
async fn an_operator_views_as_a_creator_read_only_bannered_audited_and_ends_it() {
    let app = app_with_operator().await;
    let creator = app.signed_in(0).await;
    let name = app.creator(0).name.clone();
    let operator_name = app.creator(1).name.clone();
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    let operator = app.signed_in(1).await;
    let page = format!("/admin/creators/{tenant}");

    // A written reason is required, beside the field.
    let (status, html) = operator.get_html(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("{page}/view-as")));
    let (status, html) = operator.get_html(&format!("{page}/view-as")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&html).contains("read-only, for at most one hour"));
    let without_reason = start_viewing(&operator, tenant, "  ").await;
    assert_eq!(without_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        without_reason
            .text()
            .await
            .unwrap()
            .contains("id=\"reason-error\"")
    );
    assert!(app.audit_of(tenant, "view_as_start").await.is_empty());

    // Started: every page is the creator's, with the banner.
    let started = start_viewing(&operator, tenant, "Support ticket 4711: sales look wrong").await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&started), "/dashboard");
    for path in [
        "/dashboard",
        "/products",
        "/sales",
        "/account",
        "/settings",
        &page,
    ] {
        let (status, html) = operator.get_html(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let text = page_text(&html);
        assert!(
            text.contains(&format!("Viewing as {name} {BANNER}")),
            "{path}: {text}"
        );
        assert!(html.contains("action=\"/view-as/end\""), "{path}");
    }
    let (_, html) = operator.get_html("/account").await;
    let header = page_text(&html);
    assert!(header.contains(&name), "{header}");
    // The sign-in flow is refused however its path is spelled (the router decodes `%61` to `a`).
    for path in ["/auth/gumroad", "/%61uth/gumroad"] {
        let (status, _) = operator.get_html(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // The pages show what support needs; the buyers' data as a file stays the creator's.
    for export in ["/sales/export.csv", "/memberships/subscribers.csv"] {
        let (status, html) = operator.get_html(export).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{export}");
        assert!(
            page_text(&html).contains("cannot be downloaded"),
            "{export}"
        );
    }
    let started = app.audit_of(tenant, "view_as_start").await;
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].0, format!("admin:{}", app.creator(1).id));
    assert_eq!(
        started[0].1["reason"],
        "Support ticket 4711: sales look wrong"
    );

    // Read-only on the server: every state-changing request is refused, even with a good token,
    // and nothing changes (the creator's time zone, their state, their sessions, Gumroad).
    let zone_before: String = sqlx::query_scalar("SELECT time_zone FROM creators WHERE id = $1")
        .bind(tenant)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for (path, fields) in [
        ("/settings/time-zone", vec![("time_zone", "Europe/Berlin")]),
        ("/sales/sync", vec![]),
        (
            "/products",
            vec![("name", "Sneaky"), ("price", "1"), ("currency", "usd")],
        ),
        ("/account/sign-out-everywhere", vec![]),
        ("/account/delete", vec![]),
        ("/settings/webhooks/repair", vec![]),
        ("/auth/sign-out", vec![]),
        ("/auth/gumroad/grant", vec![]),
        (&format!("{page}/disable") as &str, vec![("reason", "x")]),
        (&format!("{page}/view-as") as &str, vec![("reason", "x")]),
    ] {
        let refused = operator.submit(path, &fields).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        let html = refused.text().await.unwrap();
        assert!(
            page_text(&html).contains(&format!("Read-only while viewing as {name}")),
            "{path}"
        );
        assert!(html.contains("action=\"/view-as/end\""), "{path}");
    }
    let sign_in = operator.get("/auth/gumroad").await;
    assert_eq!(sign_in.status(), StatusCode::FORBIDDEN);
    let zone_after: String = sqlx::query_scalar("SELECT time_zone FROM creators WHERE id = $1")
        .bind(tenant)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(zone_before, zone_after);
    let state: String = sqlx::query_scalar("SELECT state FROM creators WHERE id = $1")
        .bind(tenant)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(state, "active");
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE creator_id = $1 AND action NOT IN ('sign_in', 'view_as_start')")
        .bind(tenant)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        products, 0,
        "nothing but the sign-in and the start is recorded"
    );
    let (_, html) = creator.get_html("/products").await;
    assert!(
        !page_text(&html).contains("Sneaky"),
        "no product was made at Gumroad"
    );

    // End: back as themself on the admin page, the session kept.
    let token = operator.csrf_token().await;
    let missing = operator.post_form("/view-as/end", &[]).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let ended = operator
        .post_form("/view-as/end", &[("csrf_token", &token)])
        .await;
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ended), page);
    let (status, html) = operator.get_html(&page).await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(!text.contains(BANNER), "{text}");
    assert!(text.contains("you are yourself again"), "{text}");
    let (_, html) = operator.get_html("/account").await;
    assert!(page_text(&html).contains(&operator_name));
    let ends = app.audit_of(tenant, "view_as_end").await;
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0].1["ended"], "operator");
    assert_eq!(ends[0].1["reason"], "Support ticket 4711: sales look wrong");
    // The operator can act as themself again.
    let resync = operator
        .submit(&format!("{page}/resync"), &[("reason", "after the view")])
        .await;
    assert_eq!(resync.status(), StatusCode::SEE_OTHER);

    // The creator sees it all in their Account activity, with the reason.
    let (_, html) = creator.get_html("/account").await;
    let text = page_text(&html);
    for shown in [
        "Operator started viewing as you",
        "Operator stopped viewing as you",
        "Reason: Support ticket 4711: sales look wrong",
        "An operator of this gumdash",
    ] {
        assert!(text.contains(shown), "{shown}: {text}");
    }
}

#[tokio::test]
async fn a_view_as_ends_at_its_hour_on_the_server_and_the_sweep_records_the_end() {
    let app = app_with_operator().await;
    app.signed_in(0).await;
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    let operator = app.signed_in(1).await;
    let started = start_viewing(&operator, tenant, "ticket 1").await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let until: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT started_at, expires_at FROM view_as_sessions WHERE creator_id = $1")
            .bind(tenant)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(until.1 - until.0, chrono::Duration::hours(1));

    // The hour runs out (the row is aged; the session's copy of the expiry is not trusted).
    sqlx::query("UPDATE view_as_sessions SET started_at = started_at - interval '61 minutes', expires_at = expires_at - interval '61 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, html) = operator.get_html("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(!text.contains(BANNER), "{text}");
    assert!(text.contains("has ended"), "{text}");
    assert!(text.contains(&app.creator(1).name), "{text}");
    let ends = app.audit_of(tenant, "view_as_end").await;
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0].0, "system");
    assert_eq!(ends[0].1["ended"], "expired");
    // Themself again, and free to act.
    let resync = operator
        .submit(
            &format!("/admin/creators/{tenant}/resync"),
            &[("reason", "after")],
        )
        .await;
    assert_eq!(resync.status(), StatusCode::SEE_OTHER);

    // An operator who just closes the browser: the sweep ends the view at its hour, audited once.
    let other = app.signed_in(1).await;
    start_viewing(&other, tenant, "ticket 2").await;
    sqlx::query("UPDATE view_as_sessions SET expires_at = now() - interval '1 second' WHERE ended_at IS NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        gumdash::store::view_as::end_expired(&app.pool)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        gumdash::store::view_as::end_expired(&app.pool)
            .await
            .unwrap(),
        0
    );
    let ends = app.audit_of(tenant, "view_as_end").await;
    assert_eq!(ends.len(), 2);
    assert_eq!(ends[1].1["reason"], "ticket 2");
    // Its browser is itself again at the next click.
    let (_, html) = other.get_html("/dashboard").await;
    assert!(!page_text(&html).contains(BANNER));
    assert_eq!(app.audit_of(tenant, "view_as_end").await.len(), 2);
}

#[tokio::test]
async fn a_disabled_creator_cannot_be_viewed_and_disabling_ends_a_view() {
    let app = app_with_operator().await;
    app.signed_in(0).await;
    let name = app.creator(0).name.clone();
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    let operator = app.signed_in(1).await;
    let me = app.tenant_id_of(&app.creator(1)).await.get();

    let myself = start_viewing(&operator, me, "curious").await;
    assert_eq!(myself.status(), StatusCode::CONFLICT);

    // Viewing, and meanwhile another operator's session disables the creator.
    start_viewing(&operator, tenant, "ticket 3").await;
    let colleague = app.signed_in(1).await;
    let disabled = colleague
        .submit(
            &format!("/admin/creators/{tenant}/disable"),
            &[("reason", "fraud")],
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    let (_, html) = operator.get_html("/dashboard").await;
    let text = page_text(&html);
    assert!(!text.contains(BANNER), "{text}");
    let ends = app.audit_of(tenant, "view_as_end").await;
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0].1["ended"], "creator_unavailable");

    let refused = start_viewing(&operator, tenant, "ticket 4").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let text = page_text(&refused.text().await.unwrap());
    assert!(
        text.contains(&format!(
            "{name} is disabled, so their pages cannot be viewed"
        )),
        "{text}"
    );
    assert_eq!(app.audit_of(tenant, "view_as_start").await.len(), 1);
}
