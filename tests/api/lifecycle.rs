//! A creator's account as a whole (issue 10): the operator disables and enables, signs out
//! everywhere, forces a full resync, revokes and forgets; the creator does the same for themself
//! from the Account page. Every step over real HTTP, against the simulator.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, location, page_text, spawn_app, spawn_app_with};

/// Creator 1 is the operator; creator 0 the one the operator acts on.
async fn app_with_operator() -> TestApp {
    let operator_id = spawn_app().await.creator(1).id;
    spawn_app_with(move |s| s.admin_gumroad_ids = vec![operator_id]).await
}

const ACTIONS: [&str; 5] = ["disable", "enable", "resync", "sign-out", "forget"];

impl TestApp {
    async fn sessions_of(&self, tenant: i64) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE creator_id = $1")
            .bind(tenant)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    async fn sales_of(&self, tenant: i64) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM sales WHERE creator_id = $1")
            .bind(tenant)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    async fn creator_state(&self, tenant: i64) -> Option<String> {
        sqlx::query_scalar("SELECT state FROM creators WHERE id = $1")
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await
            .unwrap()
    }

    /// The creator's tokens as the simulator holds them: `revoked_at` for each, oldest first.
    async fn sim_tokens(&self, creator: usize) -> Vec<Value> {
        reqwest::Client::new()
            .get(format!("{}/_sim/tokens", self.sim.base_url()))
            .query(&[("user_id", self.creator(creator).id)])
            .send()
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap()
    }

    /// Names of `public`'s tables that `sql` lists (its only column).
    async fn table_names(&self, sql: &'static str) -> Vec<String> {
        sqlx::query_scalar(sql).fetch_all(&self.pool).await.unwrap()
    }

    /// Each of `tables` with rows `t` where `condition(table)` holds (`$1` is `value`), and how many.
    async fn tables_where(
        &self,
        tables: &[String],
        condition: impl Fn(&str) -> &'static str,
        value: &str,
    ) -> Vec<(String, i64)> {
        let mut found = Vec::new();
        for table in tables {
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM \"{table}\" t WHERE {}",
                condition(table)
            )))
            .bind(value)
            .fetch_one(&self.pool)
            .await
            .unwrap();
            if count > 0 {
                found.push((table.clone(), count));
            }
        }
        found
    }

    /// Tables of `public` with a row whose text contains `needle` (each row cast to text, so every
    /// column counts), and how many.
    async fn tables_holding(&self, needle: &str) -> Vec<(String, i64)> {
        let tables = self
            .table_names(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
            )
            .await;
        assert!(tables.len() > 10, "{tables:?}");
        self.tables_where(&tables, |_| "strpos(t::text, $1) > 0", needle)
            .await
    }

    /// Tables with a `creator_id` column that still have rows of `tenant`, and the creator row.
    async fn rows_of_creator(&self, tenant: i64) -> Vec<(String, i64)> {
        let mut tables = self
            .table_names(
                "SELECT c.table_name::text FROM information_schema.columns c
                 JOIN information_schema.tables t USING (table_schema, table_name)
                 WHERE c.table_schema = 'public' AND c.column_name = 'creator_id'
                   AND t.table_type = 'BASE TABLE' ORDER BY 1",
            )
            .await;
        assert!(tables.contains(&"sales".to_owned()), "{tables:?}");
        let mut known: Vec<&str> = gumdash::store::forget::tenant_tables().to_vec();
        known.sort_unstable();
        let mut listed: Vec<&str> = tables.iter().map(String::as_str).collect();
        listed.sort_unstable();
        assert_eq!(
            listed, known,
            "forgetting must know every table with a creator_id"
        );
        tables.push("creators".to_owned());
        let condition = |table: &str| {
            if table == "creators" {
                "t.id::text = $1"
            } else {
                "t.creator_id::text = $1"
            }
        };
        self.tables_where(&tables, condition, &tenant.to_string())
            .await
    }
}

/// Signs in through the simulator without insisting that it works; the dashboard's answer.
async fn try_sign_in(app: &TestApp, browser: &Browser, creator: usize) -> reqwest::Response {
    let authorize = browser.start_sign_in().await;
    let callback = browser
        .consent(&authorize, &app.creator(creator), true)
        .await;
    browser.finish_sign_in(&callback).await
}

#[tokio::test]
async fn disabling_signs_the_creator_out_at_once_stops_their_jobs_and_keeps_them_out() {
    let app = app_with_operator().await;
    let creator = app.signed_in(0).await;
    app.run_jobs().await;
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    let operator = app.signed_in(1).await;
    let sealed_before: Vec<u8> = sqlx::query_scalar(
        "SELECT token_ciphertext FROM gumroad_connections WHERE creator_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(app.sessions_of(tenant).await, 1);

    let (status, html) = operator
        .get_html(&format!("/admin/creators/{tenant}/disable"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&html).contains("Reason"), "{}", page_text(&html));
    let disabled = operator
        .submit(
            &format!("/admin/creators/{tenant}/disable"),
            &[("reason", "Chargeback fraud report #7")],
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.creator_state(tenant).await.as_deref(), Some("disabled"));

    // Signed out everywhere at once: the open session's next click goes to the start page.
    assert_eq!(app.sessions_of(tenant).await, 0);
    let next = creator.get("/sales").await;
    assert_eq!(next.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&next), "/");

    // Their jobs are not claimed while they are disabled; the data stays.
    assert!(app.sales_of(tenant).await > 0);
    app.enqueue_sync(gumdash::domain::TenantId::from_db(tenant), false)
        .await;
    app.run_jobs_for(std::time::Duration::from_millis(300))
        .await;
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE creator_id = $1 AND state = 'pending' AND attempts = 0",
    )
    .bind(tenant)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(waiting, 1, "the disabled creator's sync must wait");

    // Signing in again is refused and stores nothing; the token Gumroad just issued is revoked.
    let again = app.new_browser();
    let refused = try_sign_in(&app, &again, 0).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(page_text(&refused.text().await.unwrap()).contains("Account disabled"));
    let sealed_after: Vec<u8> = sqlx::query_scalar(
        "SELECT token_ciphertext FROM gumroad_connections WHERE creator_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(sealed_before, sealed_after, "no new token may be stored");
    assert_eq!(app.sessions_of(tenant).await, 0);
    let tokens = app.sim_tokens(0).await;
    assert!(tokens.len() >= 2, "{tokens:?}");
    assert!(
        !tokens.last().unwrap()["revoked_at"].is_null(),
        "{tokens:?}"
    );
    let audited: Value = sqlx::query_scalar(
        "SELECT jsonb_build_object('actor', actor, 'detail', detail) FROM audit_events
         WHERE action = 'disable' AND creator_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audited["actor"],
        json!(format!("admin:{}", app.creator(1).id))
    );
    assert_eq!(audited["detail"]["reason"], "Chargeback fraud report #7");

    // Enabled again: they sign in as before and their waiting work runs.
    let enabled = operator
        .submit(
            &format!("/admin/creators/{tenant}/enable"),
            &[("reason", "Report was mistaken")],
        )
        .await;
    assert_eq!(enabled.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.creator_state(tenant).await.as_deref(), Some("active"));
    app.new_browser().sign_in_as(&app.creator(0)).await;
    app.run_jobs().await;
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE creator_id = $1 AND state <> 'failed'")
            .bind(tenant)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(left, 0);
    assert_eq!(app.failed_jobs().await, vec![]);
}

#[tokio::test]
async fn revoke_and_forget_leaves_no_token_no_sales_and_no_personal_data_anywhere() {
    let app = app_with_operator().await;
    let creator = app.signed_in(0).await;
    let operator = app.signed_in(1).await;
    app.run_jobs().await;
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    let operator_tenant = app.tenant_id_of(&app.creator(1)).await.get();
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT email FROM sales WHERE creator_id = $1 AND email IS NOT NULL
           AND email NOT IN (SELECT email FROM sales WHERE creator_id <> $1 AND email IS NOT NULL)
         LIMIT 3",
    )
    .bind(tenant)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(emails.len(), 3, "the creator's buyers");
    let operator_sales = app.sales_of(operator_tenant).await;
    // A sale action's audit entry that names the sale and quotes a buyer (as a refusal may).
    let sale_id: String =
        sqlx::query_scalar("SELECT gumroad_id FROM sales WHERE creator_id = $1 AND email = $2")
            .bind(tenant)
            .bind(&emails[0])
            .fetch_one(&app.pool)
            .await
            .unwrap();
    sqlx::query(
        "INSERT INTO audit_events (actor, action, creator_id, detail)
         VALUES ($1, 'sale.mark_as_shipped', $2, $3)",
    )
    .bind(format!("creator:{tenant}"))
    .bind(tenant)
    .bind(
        json!({"sale_id": sale_id, "tracking_url": "https://track.example/1",
                 "result": "refused", "message": format!("No shipment for {}", emails[0])}),
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let forgotten = operator
        .submit(
            &format!("/admin/creators/{tenant}/forget"),
            &[("reason", "GDPR erasure request 2026-11-29")],
        )
        .await;
    assert_eq!(forgotten.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&forgotten), "/admin/creators");

    assert_eq!(app.rows_of_creator(tenant).await, vec![]);
    for email in &emails {
        assert_eq!(app.tables_holding(email).await, vec![], "{email}");
    }
    let gumroad_id = app.creator(0).id;
    assert_eq!(app.tables_holding(&gumroad_id).await, vec![]);
    assert_eq!(app.tables_holding(&sale_id).await, vec![]);
    // The simulator shows every token gumdash held revoked.
    let tokens = app.sim_tokens(0).await;
    assert!(!tokens.is_empty());
    assert!(
        tokens.iter().all(|t| !t["revoked_at"].is_null()),
        "{tokens:?}"
    );
    // Their open session is refused; the operator's own data is untouched.
    assert_eq!(
        creator.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.sales_of(operator_tenant).await, operator_sales);
    // The audit trail stays, with the reason.
    let trail: Vec<(String, Value)> = sqlx::query_as(
        "SELECT action, detail FROM audit_events WHERE actor = $1 OR detail ->> 'creator_id' = $2
         ORDER BY id",
    )
    .bind(format!("creator:{tenant}"))
    .bind(tenant.to_string())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["sign_in", "sale.mark_as_shipped", "revoke_and_forget"]
    );
    assert_eq!(trail[1].1, json!({"result": "refused"}));
    assert_eq!(trail[2].1["reason"], "GDPR erasure request 2026-11-29");
    assert_eq!(trail[2].1["token"], "revoked at Gumroad");
    let addresses: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE actor = $1 AND ip IS NOT NULL")
            .bind(format!("creator:{tenant}"))
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        addresses, 0,
        "the creator's addresses are forgotten with them"
    );
    // Forgotten means forgotten: the page is gone, and signing in again starts afresh.
    let (status, _) = operator
        .get_html(&format!("/admin/creators/{tenant}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.new_browser().sign_in_as(&app.creator(0)).await;
    assert_ne!(app.tenant_id_of(&app.creator(0)).await.get(), tenant);
}

#[tokio::test]
async fn when_gumroad_fails_the_revoke_nothing_is_deleted_until_the_operator_confirms() {
    let app = app_with_operator().await;
    app.enable_pings().await;
    app.signed_in(0).await;
    let operator = app.signed_in(1).await;
    app.run_jobs().await;
    let resources = |app: &TestApp| -> Vec<String> {
        app.sim_subscriptions(0)
            .into_iter()
            .map(|(resource, _)| resource)
            .collect()
    };
    let subscribed = resources(&app);
    assert!(!subscribed.is_empty(), "pings are set up at sign-in");
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    app.inject_fault(
        json!({"method": "POST", "path": "/oauth/revoke", "kind": "status", "status": 503, "times": 10}),
    )
    .await;
    let path = format!("/admin/creators/{tenant}/forget");

    let failed = operator
        .submit(&path, &[("reason", "Erasure request")])
        .await;
    assert_eq!(failed.status(), StatusCode::BAD_GATEWAY);
    let text = page_text(&failed.text().await.unwrap());
    assert!(
        text.contains("Gumroad did not confirm") && text.contains("Nothing has been deleted"),
        "{text}"
    );
    assert_eq!(app.creator_state(tenant).await.as_deref(), Some("active"));
    // The forget deleted the webhooks before the revoke failed; the creator stays, and so do pings.
    app.run_jobs().await;
    assert_eq!(
        resources(&app),
        subscribed,
        "the creator who stays is subscribed to pings again"
    );

    let local = operator
        .submit(
            &path,
            &[("reason", "Erasure request"), ("local_only", "yes")],
        )
        .await;
    assert_eq!(local.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows_of_creator(tenant).await, vec![]);
    assert_eq!(
        resources(&app),
        Vec::<String>::new(),
        "a forgotten creator's buyers are no longer pinged to us"
    );
    let token_note: String = sqlx::query_scalar(
        "SELECT detail ->> 'token' FROM audit_events WHERE action = 'revoke_and_forget'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(token_note.starts_with("not revoked"), "{token_note}");
}

#[tokio::test]
async fn a_creator_disconnects_and_deletes_their_own_data_from_the_account_page() {
    let app = spawn_app().await;
    let creator = app.signed_in(0).await;
    app.run_jobs().await;
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();

    let links = creator
        .links("/dashboard", "header a[href='/account']")
        .await;
    assert_eq!(links, ["/account"]);
    let (status, html) = creator.get_html("/account").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(
        text.contains("Account activity") && text.contains("Signed in"),
        "{text}"
    );
    assert!(text.contains("view_sales"), "scopes shown: {text}");
    let (status, html) = creator.get_html("/account/delete").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&html).contains("cannot be undone"));

    let refused = creator.post_form("/account/delete", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.creator_state(tenant).await.as_deref(), Some("active"));

    let (status, text) = creator.submit_and_follow("/account/delete", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("Done: gumdash is disconnected") && text.contains("Sign in with Gumroad"),
        "{text}"
    );
    assert_eq!(app.rows_of_creator(tenant).await, vec![]);
    assert!(
        app.sim_tokens(0)
            .await
            .iter()
            .all(|t| !t["revoked_at"].is_null())
    );
    assert_eq!(
        creator.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_and_removes_the_webhooks_at_gumroad() {
    let app = spawn_app().await;
    // The simulator accepts the test dashboard's loopback ping URL.
    app.enable_pings().await;
    let laptop = app.signed_in(0).await;
    let phone = app.signed_in(0).await;
    app.run_jobs().await;
    assert_eq!(app.sim_subscriptions(0).len(), 8);
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();

    let refused = laptop.post_form("/account/sign-out-everywhere", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let signed_out = laptop.submit("/account/sign-out-everywhere", &[]).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_out), "/?signed_out=1");
    assert_eq!(
        laptop.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        phone.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.sessions_of(tenant).await, 0);

    app.run_jobs().await;
    assert_eq!(app.sim_subscriptions(0), vec![]);
    let removed: Value = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'unsubscribe_pings' AND actor = 'system'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(removed, json!({"removed": 8, "failed": 0}));
    // Signing in again subscribes again.
    app.signed_in(0).await;
    app.run_jobs().await;
    assert_eq!(app.sim_subscriptions(0).len(), 8);
}

#[tokio::test]
async fn a_forced_resync_walks_the_whole_history_again() {
    let app = app_with_operator().await;
    app.signed_in(0).await;
    let operator = app.signed_in(1).await;
    app.run_jobs().await;
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    let before = app.sales_of(tenant).await;
    sqlx::query("DELETE FROM sales WHERE creator_id = $1 AND id IN (SELECT id FROM sales WHERE creator_id = $1 LIMIT 5)")
        .bind(tenant)
        .execute(&app.pool)
        .await
        .unwrap();

    let resync = operator
        .submit(
            &format!("/admin/creators/{tenant}/resync"),
            &[("reason", "Mirror is missing sales")],
        )
        .await;
    assert_eq!(resync.status(), StatusCode::SEE_OTHER);
    let (_, html) = operator.get_html(&location(&resync)).await;
    assert!(
        page_text(&html).contains("full resync"),
        "{}",
        page_text(&html)
    );
    app.run_jobs().await;
    assert_eq!(app.sales_of(tenant).await, before);
    let phase: String =
        sqlx::query_scalar("SELECT backfill FROM sync_states WHERE creator_id = $1")
            .bind(tenant)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(phase, "done");
}

#[tokio::test]
async fn the_operator_pages_are_hidden_from_others_and_need_csrf_and_a_reason() {
    let app = app_with_operator().await;
    let creator = app.signed_in(0).await;
    let operator = app.signed_in(1).await;
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    let page = format!("/admin/creators/{tenant}");

    for (who, browser) in [("anonymous", app.new_browser()), ("a creator", creator)] {
        assert_eq!(
            browser.get(&page).await.status(),
            StatusCode::NOT_FOUND,
            "{who}"
        );
        for action in ACTIONS {
            let path = format!("{page}/{action}");
            assert_eq!(
                browser.get(&path).await.status(),
                StatusCode::NOT_FOUND,
                "{who} {path}"
            );
            let token = if who == "a creator" {
                browser.csrf_token().await
            } else {
                String::new()
            };
            let posted = browser
                .post_form(&path, &[("csrf_token", &token), ("reason", "because")])
                .await;
            assert_eq!(posted.status(), StatusCode::NOT_FOUND, "{who} POST {path}");
            let unreadable = browser
                .client
                .post(browser.url(&path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("reason=a&reason=b")
                .send()
                .await
                .unwrap();
            assert_eq!(unreadable.status(), StatusCode::NOT_FOUND, "{who} {path}");
        }
    }
    assert_eq!(app.creator_state(tenant).await.as_deref(), Some("active"));
    assert_eq!(app.sessions_of(tenant).await, 1);

    let (status, html) = operator.get_html(&page).await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    for shown in [
        app.creator(0).name.as_str(),
        app.creator(0).id.as_str(),
        "Scopes granted",
        "Sales mirrored",
        "Last sync",
        "Revoke and forget",
    ] {
        assert!(text.contains(shown), "{shown}: {text}");
    }
    for action in ACTIONS {
        let path = format!("{page}/{action}");
        let unreadable = operator
            .post_form(&path, &[("reason", "a"), ("reason", "b")])
            .await;
        assert_eq!(unreadable.status(), StatusCode::BAD_REQUEST, "{path}");
        let without_token = operator.post_form(&path, &[("reason", "because")]).await;
        assert_eq!(without_token.status(), StatusCode::FORBIDDEN, "{path}");
        let without_reason = operator.submit(&path, &[("reason", "  ")]).await;
        assert_eq!(
            without_reason.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
        let html = without_reason.text().await.unwrap();
        assert!(html.contains("id=\"reason-error\""), "{path}");
        assert!(page_text(&html).contains("the reason is kept in the audit log"));
    }
    assert_eq!(app.creator_state(tenant).await.as_deref(), Some("active"));
    assert_eq!(app.sessions_of(tenant).await, 1);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE actor LIKE 'admin:%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited, 0);
    for unknown in [
        format!("{page}/delete"),
        "/admin/creators/999999".to_owned(),
    ] {
        assert_eq!(
            operator.get(&unknown).await.status(),
            StatusCode::NOT_FOUND,
            "{unknown}"
        );
    }
}

#[tokio::test]
async fn a_forget_killed_after_the_revoke_is_finished_by_running_it_again() {
    let app = app_with_operator().await;
    app.enable_pings().await;
    app.signed_in(0).await;
    let operator = app.signed_in(1).await;
    app.run_jobs().await;
    assert_eq!(app.sim_subscriptions(0).len(), 8);
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    // As if a first run had revoked the token at Gumroad (which drops our subscriptions) and been
    // killed before its local transaction: the token is dead, everything here is still in place.
    let revoked = reqwest::Client::new()
        .post(format!("{}/_sim/tokens/revoke", app.sim.base_url()))
        .json(&json!({"user_id": app.creator(0).id}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert!(app.sales_of(tenant).await > 0);

    let path = format!("/admin/creators/{tenant}/forget");
    let again = operator
        .submit(&path, &[("reason", "Erasure, second try")])
        .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows_of_creator(tenant).await, vec![]);
    // Once more, with nothing left: the 404 of an unknown creator, and nothing else changes.
    let third = operator
        .submit(&path, &[("reason", "Erasure, third try")])
        .await;
    assert_eq!(third.status(), StatusCode::NOT_FOUND);
    let forgets: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'revoke_and_forget'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(forgets, 1);
}
