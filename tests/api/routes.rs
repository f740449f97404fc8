//! Every route of the app, enumerated from the router itself, refuses what it must (issue 10,
//! "Done when"): creator B's ids with creator A's session, no session, a non-operator on admin
//! routes, a view-as session on state-changing routes, and a missing or wrong CSRF token; and
//! nothing changes, in the database or at Gumroad.
//!
//! How the routes are found: the dashboard's own `gumdash::web::routes` is mounted in an in-process
//! actix `App` whose default service (the one unknown paths reach) answers with the app's
//! `ResourceMap`, the router's table of every registered resource (scopes nested). Its patterns
//! are read from that table; then each pattern is asked GET and POST in process, and a method is a
//! route when the request does not fall through to that default service (or to a resource's 405).
//! Nothing here lists routes by hand except the public ones, each with its reason; a public entry
//! that the router no longer has fails too.
//!
//! Why a route added later without protection fails here:
//! - a page or form that forgets `CurrentCreator` answers an anonymous request with something else
//!   than the redirect to the start page (GET) or the refusal (POST);
//! - a route with an id that does not scope its lookup by the session's tenant answers A's
//!   session with B's id with something else than the 404 of an unknown page;
//! - a route with a path parameter nobody taught this test to fill with B's data fails outright
//!   (see `b_path_for`), so a new kind of id cannot slip past the tenant check;
//! - an admin route that forgets `AdminUser` answers a non-operator with something else than 404;
//! - a POST that forgets `CsrfForm`/`csrf::verify` answers a missing or wrong token with something
//!   else than 403;
//! - a state-changing route is refused to a view-as session by the middleware whatever the
//!   handler does, and the check here makes sure that stays so;
//! - a route meant to be public must be added to `PUBLIC`, with its reason, or the checks above
//!   (which it would fail) apply to it.
//!
//! Tried while writing this (and taken out again): `POST /account/experiment` taking only
//! `CurrentCreator` failed with "missing CSRF token: … answered 200 OK, expected one of [403]";
//! `GET /sales/{id}/leak` that ignored its id failed with "A's session, B's ids: … answered 200 OK,
//! expected one of [404]".

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{App, HttpRequest, HttpResponse, test as actix_test, web as actix_web_web};
use reqwest::StatusCode;
use scraper::{Html, Selector};

use crate::helpers::{Browser, TestApp, location, page_text, spawn_app, spawn_app_with};

/// Routes anyone may use, and why.
const PUBLIC: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/",
        "the start page, for visitors (signed-in creators are sent on to their dashboard)",
    ),
    (
        "GET",
        "/healthz",
        "for load balancers and monitors; says nothing about any creator",
    ),
    ("GET", "/static/app.css", "the stylesheet"),
    (
        "GET",
        "/auth/gumroad",
        "starts a sign-in (rate-limited per client)",
    ),
    (
        "GET",
        "/auth/gumroad/callback",
        "Gumroad's redirect back: checked against the session's one-time state, not a sign-in",
    ),
    (
        "GET",
        "/metrics",
        "for Prometheus: a bearer token from the configuration (compared in constant time), never a session; without it the same 404 as an unknown page (tests/api/metrics.rs)",
    ),
    (
        "POST",
        "/hooks/gumroad/{key}",
        "Gumroad's pings: a server-to-server call authenticated by the secret key in the path (compared in constant time), never by a session, so no CSRF token",
    ),
];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Route {
    method: &'static str,
    pattern: String,
}

impl Route {
    fn is_public(&self) -> bool {
        PUBLIC
            .iter()
            .any(|(m, p, _)| *m == self.method && *p == self.pattern)
    }

    fn is_admin(&self) -> bool {
        self.pattern.starts_with("/admin/") || self.pattern == "/admin"
    }

    fn has_params(&self) -> bool {
        self.pattern.contains('{')
    }

    fn state_changing(&self) -> bool {
        let method = Method::from_bytes(self.method.as_bytes()).unwrap();
        gumdash::web::view_as::is_state_changing(&method, &self.pattern)
    }
}

const PROBE_HEADER: &str = "x-route-probe";

/// Every resource pattern in the router's table, full (scopes' prefixes joined), in registration
/// order, read from `ResourceMap`'s `Debug` (actix offers no iterator over it): each node is a
/// `ResourceMap { pattern: ResourceDef { .., patterns: Single("…"), .. }, named, parent, nodes }`,
/// and a node whose `nodes` is `None` is a resource.
fn patterns_in(table: &str) -> Vec<String> {
    const NODE: &str = "ResourceMap {";
    const PATTERN: &str = "patterns: Single(\"";
    const LEAF: &str = "nodes: None";
    // (brace depth outside the node, the node's full pattern once read)
    let mut stack: Vec<(usize, Option<String>)> = Vec::new();
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let bytes = table.as_bytes();
    while i < bytes.len() {
        let rest = &table[i..];
        if rest.starts_with(NODE) {
            stack.push((depth, None));
            i += NODE.len() - 1; // the brace is counted below
            continue;
        }
        if rest.starts_with(PATTERN) && stack.last().is_some_and(|(_, p)| p.is_none()) {
            let start = i + PATTERN.len();
            let end = start + table[start..].find('"').expect("a closed string");
            let own = &table[start..end];
            assert!(!own.contains('\\'), "an escaped pattern: {own}");
            let parent = stack
                .iter()
                .rev()
                .nth(1)
                .and_then(|(_, p)| p.clone())
                .unwrap_or_default();
            stack.last_mut().unwrap().1 = Some(format!("{parent}{own}"));
            i = end + 1;
            continue;
        }
        assert!(
            !rest.starts_with("patterns: List("),
            "a resource with several patterns: teach this parser"
        );
        if rest.starts_with(LEAF) {
            let (_, pattern) = stack.last().expect("inside a node");
            found.push(pattern.clone().expect("the node's pattern comes first"));
            i += LEAF.len();
            continue;
        }
        match bytes[i] {
            b'"' => {
                // Skip a string (names, patterns of named resources), escapes included.
                i += 1;
                while bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if stack.last().is_some_and(|(outside, _)| *outside == depth) {
                    stack.pop();
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// A concrete path for a pattern (any value in each parameter), for the in-process probe.
fn any_path(pattern: &str) -> String {
    let mut path = String::new();
    let mut in_param = false;
    for c in pattern.chars() {
        match c {
            '{' => {
                in_param = true;
                path.push_str("x1");
            }
            '}' => in_param = false,
            c if !in_param => path.push(c),
            _ => {}
        }
    }
    path
}

fn first_segment(pattern: &str) -> String {
    pattern
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn param_names(pattern: &str) -> Vec<String> {
    pattern
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split('}').next())
        .map(|name| name.split(':').next().unwrap_or(name).to_owned())
        .collect()
}

/// The parameters of `path` under `pattern`, as the router captures them.
fn params_of(pattern: &str, path: &str) -> Vec<(String, String)> {
    let path = path.split('?').next().unwrap_or_default();
    let mut captured = actix_web::dev::Path::new(path.to_owned());
    if !ResourceDef::new(pattern).capture_match_info(&mut captured) {
        return Vec::new();
    }
    captured
        .iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// Every (method, pattern) the dashboard's router serves, from the router itself.
async fn enumerate_routes() -> Vec<Route> {
    let sign_in_limit = gumdash::web::sign_in_limit(gumdash::web::TrustedProxies::default());
    let ping_limit = gumdash::web::ping_limit();
    let app = actix_test::init_service(
        App::new()
            .configure(|cfg| gumdash::web::routes(cfg, &sign_in_limit, &ping_limit))
            // After `routes`, so it replaces the app's own 404 page: what falls through lands here.
            .default_service(actix_web_web::to(|req: HttpRequest| async move {
                HttpResponse::NotFound()
                    .insert_header((PROBE_HEADER, "1"))
                    .body(format!("{:?}", req.resource_map()))
            })),
    )
    .await;
    let table = actix_test::call_and_read_body(
        &app,
        actix_test::TestRequest::get()
            .uri("/__no_such_route__/x/y/z")
            .to_request(),
    )
    .await;
    let table = String::from_utf8(table.to_vec()).unwrap();
    let patterns = patterns_in(&table);
    assert!(
        patterns.iter().any(|p| p == "/sales/{id}")
            && patterns.iter().any(|p| p == "/auth/gumroad"),
        "the router's table was not read: {patterns:?}\n{table}"
    );
    let mut routes = Vec::new();
    for pattern in patterns {
        for method in ["GET", "POST"] {
            let request = actix_test::TestRequest::default()
                .method(Method::from_bytes(method.as_bytes()).unwrap())
                .uri(&any_path(&pattern))
                .peer_addr("127.0.0.1:40000".parse().unwrap())
                .to_request();
            let response = actix_test::call_service(&app, request).await;
            assert_ne!(
                response.status(),
                actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                "the probe was rate-limited: {method} {pattern}"
            );
            let fell_through = response.headers().contains_key(PROBE_HEADER)
                || response.status() == actix_web::http::StatusCode::METHOD_NOT_ALLOWED;
            if !fell_through {
                routes.push(Route {
                    method,
                    pattern: pattern.clone(),
                });
            }
        }
    }
    routes.dedup();
    routes
}

/// The route that serves `path` first, as the router would pick it (registration order).
fn route_of<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<&'a Route> {
    let path = path.split('?').next().unwrap_or_default();
    routes
        .iter()
        .find(|r| r.method == method && ResourceDef::new(r.pattern.as_str()).is_match(path))
}

/// A form's fields as the page fills them in (the CSRF token left out).
fn form_fields(form: scraper::ElementRef) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let named = Selector::parse("input[name], textarea[name], select[name]").unwrap();
    for field in form.select(&named) {
        let element = field.value();
        let name = element.attr("name").unwrap().to_owned();
        if name == "csrf_token" {
            continue;
        }
        let value = match element.name() {
            "textarea" => field.text().collect(),
            "select" => {
                let options = Selector::parse("option").unwrap();
                let mut chosen = field
                    .select(&options)
                    .filter(|o| o.value().attr("selected").is_some());
                let option = chosen.next().or_else(|| field.select(&options).next());
                option
                    .and_then(|o| o.value().attr("value").map(str::to_owned))
                    .unwrap_or_default()
            }
            _ => {
                let kind = element.attr("type").unwrap_or("text");
                if matches!(kind, "checkbox" | "radio") && element.attr("checked").is_none() {
                    continue;
                }
                element.attr("value").unwrap_or_default().to_owned()
            }
        };
        fields.push((name, value));
    }
    fields
}

/// A form's target and its fields.
type FormTarget = (String, Vec<(String, String)>);

/// Local paths of a page's links (no query, no fragment, nothing of the sign-in flow), and its
/// forms' targets (with their query: some routes read it) with their fields.
fn local_targets(html: &str) -> (Vec<String>, Vec<FormTarget>) {
    let document = Html::parse_document(html);
    let clean = |href: &str| -> Option<String> {
        let path = href.split(['?', '#']).next()?;
        (path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/auth/"))
            .then(|| path.to_owned())
    };
    let action = |href: &str| -> Option<String> {
        let target = href.split('#').next()?;
        (target.starts_with('/') && !target.starts_with("//")).then(|| target.to_owned())
    };
    let links = document
        .select(&Selector::parse("a[href]").unwrap())
        .filter_map(|a| a.value().attr("href").and_then(clean))
        .collect();
    let forms = document
        .select(&Selector::parse("form[method='post']").unwrap())
        .filter_map(|f| {
            f.value()
                .attr("action")
                .and_then(action)
                .map(|action| (action, form_fields(f)))
        })
        .collect();
    (links, forms)
}

/// Every local path reachable from `start` by following links (GET only), and the forms' targets,
/// each with the fields its page fills in. At most 25 pages of one route are read (a list's first
/// page: enough sales to meet every kind, e.g. one with a license; the lists are long).
async fn crawl(
    browser: &Browser,
    routes: &[Route],
    start: &[String],
    keep: impl Fn(&str) -> bool,
) -> (BTreeSet<String>, BTreeMap<String, Vec<(String, String)>>) {
    let mut seen = BTreeSet::new();
    let mut read_per_route: BTreeMap<String, usize> = BTreeMap::new();
    let mut forms_seen = BTreeMap::new();
    let mut queue: VecDeque<String> = start.iter().cloned().collect();
    let mut visited = 0;
    while let Some(path) = queue.pop_front() {
        if !keep(&path) || !seen.insert(path.clone()) || path.ends_with(".csv") {
            continue;
        }
        if let Some(route) = route_of(routes, "GET", &path) {
            let read = read_per_route.entry(route.pattern.clone()).or_default();
            *read += 1;
            if *read > 25 {
                continue;
            }
        }
        visited += 1;
        assert!(visited < 400, "the crawl does not end");
        let (status, html) = browser.get_html(&path).await;
        if status != StatusCode::OK {
            continue;
        }
        let (links, forms) = local_targets(&html);
        queue.extend(links);
        for (action, fields) in forms {
            if keep(&action) {
                seen.insert(action.clone());
                forms_seen.entry(action).or_insert(fields);
            }
        }
    }
    (seen, forms_seen)
}

/// A fingerprint of everything a refused request must not change: every table but the sessions
/// (CSRF tokens and flashes live there) and the Gumroad request budget, and every column but
/// `creators.catalog_version`: A's own product-list cache generation, which any product write A
/// attempts moves on when Gumroad does not confirm it (here: Gumroad's 404 for B's product), so
/// that no cached list of A's can be stale. It holds no data of anyone's.
async fn fingerprint(app: &TestApp) -> Vec<(String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
           AND table_name NOT IN ('sessions', 'request_budgets') ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let digest: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT md5(coalesce(string_agg((to_jsonb(t) - 'catalog_version')::text, '|' ORDER BY t::text), ''))
             FROM {table} t"
        )))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        out.push((table, digest));
    }
    out
}

/// A GET, or a POST of the form as B's page fills it in (so that only the check under test can
/// refuse it), with a reason (the admin actions need one) and the given token.
async fn send(
    browser: &Browser,
    post: bool,
    path: &str,
    fields: &[(String, String)],
    token: Option<&str>,
) -> reqwest::Response {
    if !post {
        return browser.get(path).await;
    }
    let mut form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if !fields.iter().any(|(k, _)| k == "reason") {
        form.push(("reason", "route check"));
    }
    if let Some(token) = token {
        form.push(("csrf_token", token));
    }
    browser.post_form(path, &form).await
}

fn refused(what: &str, route: &Route, path: &str, status: StatusCode, expected: &[StatusCode]) {
    assert!(
        expected.contains(&status),
        "{what}: {} {} ({path}) answered {status}, expected one of {expected:?}",
        route.method,
        route.pattern
    );
}

#[tokio::test]
async fn every_route_from_the_router_refuses_other_tenants_strangers_non_operators_view_as_and_bad_csrf()
 {
    let routes = enumerate_routes().await;
    for (method, pattern, _) in PUBLIC {
        assert!(
            routes
                .iter()
                .any(|r| r.method == *method && r.pattern == *pattern),
            "{method} {pattern} is listed as public but the router has no such route: {routes:?}"
        );
    }
    assert!(routes.len() > 40, "{routes:?}");

    // A, B and an operator; B has a catalog, sales, and everything else a page links to.
    let operator_id = spawn_app().await.creator(2).id;
    // Sign-in's scopes only: B's sale pages then offer "Grant access" (a form to a route of its
    // own); the sale actions' own routes get B's sale ids from B's other sale pages.
    let app = spawn_app_with(move |s| s.admin_gumroad_ids = vec![operator_id]).await;
    // B is the seeded creator with sales.
    let a = app.signed_in(1).await;
    let b = app.signed_in(0).await;
    let operator = app.signed_in(2).await;
    app.run_jobs().await;
    assert_eq!(app.failed_jobs().await, vec![]);
    let b_tenant = app.tenant_id_of(&app.creator(0)).await.get();
    let b_sales: i64 = sqlx::query_scalar("SELECT count(*) FROM sales WHERE creator_id = $1")
        .bind(b_tenant)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(b_sales > 0, "B's sales are mirrored");
    // The sync can outlast the server's keep-alive; a fresh connection for what follows.
    for browser in [&a, &b, &operator] {
        let _ = browser.client.get(browser.url("/healthz")).send().await;
    }
    let (_, catalog) = crate::isolation::bobs_catalog(&b).await;
    let mut start: Vec<String> = [
        "/dashboard",
        "/products",
        "/sales",
        "/licenses",
        "/settings",
        "/settings/webhooks",
        "/account",
        "/sales/sync",
    ]
    .map(String::from)
    .to_vec();
    start.extend(catalog);
    let (b_paths, mut b_forms) = crawl(&b, &routes, &start, |p| !p.starts_with("/admin")).await;
    let (admin_paths, admin_forms) = crawl(
        &operator,
        &routes,
        &[
            format!("/admin/creators/{b_tenant}"),
            "/admin/jobs".to_owned(),
        ],
        |p| p.starts_with("/admin") && !p.contains("/forget"),
    )
    .await;
    // The operator's own paths in that crawl are admin pages only, so about B or about no one.
    let b_paths: Vec<String> = b_paths.into_iter().chain(admin_paths).collect();
    b_forms.extend(admin_forms);

    // B's values of every parameter seen, by (first segment, name): `("sales", "id")` → a sale of B's.
    let mut b_params: BTreeMap<(String, String), String> = BTreeMap::new();
    for path in &b_paths {
        for route in routes.iter().filter(|r| r.has_params()) {
            if route_of(&routes, route.method, path) == Some(route) {
                for (name, value) in params_of(&route.pattern, path) {
                    b_params
                        .entry((first_segment(&route.pattern), name))
                        .or_insert(value);
                }
            }
        }
    }
    let known_params = |pattern: &str| -> Vec<(String, &String)> {
        let segment = first_segment(pattern);
        param_names(pattern)
            .into_iter()
            .filter_map(|name| {
                b_params
                    .get(&(segment.clone(), name.clone()))
                    .map(|value| (name, value))
            })
            .collect()
    };

    // B's concrete path for each route: one of B's pages (or forms, with their query) that the
    // router sends there; for a route without parameters, else the pattern itself.
    let b_path_for = |route: &Route| -> String {
        if let Some(path) = b_paths
            .iter()
            .find(|p| route_of(&routes, route.method, p) == Some(route))
        {
            return path.clone();
        }
        if !route.has_params() {
            return route.pattern.clone();
        }
        // No page of B's leads there as such (a sale action B's scopes do not offer, say): B's ids
        // taken from B's other pages, by the parameter's name under the same first segment.
        let mut filled = route.pattern.clone();
        for (name, value) in known_params(&route.pattern) {
            filled = filled.replace(&format!("{{{name}}}"), value);
        }
        if !filled.contains('{') {
            return filled;
        }
        if route.is_admin() || route.is_public() {
            // Refused before any id is read (404 for non-operators, 403 without a token), so any
            // id does; the operator's own checks use B's creator id where there is one.
            return any_path(&route.pattern).replace("x1", &b_tenant.to_string());
        }
        panic!(
            "no page of creator B leads to {} {}: give B data that links there, so the tenant \
             check of this route is tested (B's parameters: {b_params:?}; B's paths: {b_paths:?})",
            route.method, route.pattern
        )
    };

    let before = fingerprint(&app).await;
    let (_, b_products_before) = b.get_html("/products").await;

    let anonymous = app.new_browser();
    let a_token = a.csrf_token().await;
    let b_token = b.csrf_token().await;
    let operator_token = operator.csrf_token().await;
    let not_found = [StatusCode::NOT_FOUND];
    let forbidden = [StatusCode::FORBIDDEN];
    let mut checked = 0;

    for route in routes.iter().filter(|r| !r.is_public()) {
        let path = b_path_for(route);
        let post = route.method == "POST";
        let no_fields = Vec::new();
        let fields = b_forms.get(&path).unwrap_or(&no_fields);
        // No session.
        let response = send(&anonymous, post, &path, fields, Some("not-a-token")).await;
        let status = response.status();
        if route.is_admin() {
            refused("no session", route, &path, status, &not_found);
        } else if post {
            // Neither a sign-in nor a token: refusing for either is right.
            refused(
                "no session",
                route,
                &path,
                status,
                &[StatusCode::SEE_OTHER, StatusCode::FORBIDDEN],
            );
        } else {
            refused("no session", route, &path, status, &[StatusCode::SEE_OTHER]);
            assert_eq!(location(&response), "/", "{route:?}");
        }

        // A, not an operator, on admin routes (with a good token): the 404 of an unknown page.
        if route.is_admin() {
            let status = send(&a, post, &path, fields, Some(&a_token)).await.status();
            refused("non-operator", route, &path, status, &not_found);
        }

        // A's session with B's ids (with A's good token).
        if route.has_params() && !route.is_admin() {
            let status = send(&a, post, &path, fields, Some(&a_token)).await.status();
            refused("A's session, B's ids", route, &path, status, &not_found);
        }

        // A missing or wrong CSRF token, from the session that owns the ids.
        if post {
            let owner = if route.is_admin() { &operator } else { &b };
            for (what, token) in [
                ("missing CSRF token", None),
                ("wrong CSRF token", Some("x".repeat(43))),
            ] {
                let status = send(owner, post, &path, fields, token.as_deref())
                    .await
                    .status();
                refused(what, route, &path, status, &forbidden);
            }
        }
        checked += 1;
    }
    assert_ne!(b_token, operator_token);
    assert_eq!(
        fingerprint(&app).await,
        before,
        "a refused request changed something"
    );

    // A view-as session (the operator viewing B) on every state-changing route, public ones too,
    // with the session's good token: 403 with the "End view-as" form.
    let viewer = app.signed_in(2).await;
    let started = viewer
        .submit(
            &format!("/admin/creators/{b_tenant}/view-as"),
            &[("reason", "route check")],
        )
        .await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let before_view = fingerprint(&app).await;
    let viewer_token = viewer.csrf_token().await;
    for route in routes
        .iter()
        .filter(|r| r.state_changing() && r.pattern != "/view-as/end")
    {
        let path = if route.is_public() {
            any_path(&route.pattern)
        } else {
            b_path_for(route)
        };
        let response = if route.method == "POST" {
            viewer
                .post_form(&path, &[("csrf_token", &viewer_token), ("reason", "x")])
                .await
        } else {
            viewer.get(&path).await
        };
        let status = response.status();
        refused("view-as session", route, &path, status, &forbidden);
        let html = response.text().await.unwrap();
        assert!(
            html.contains("action=\"/view-as/end\""),
            "{route:?}: {}",
            page_text(&html)
        );
    }
    assert_eq!(
        fingerprint(&app).await,
        before_view,
        "a view-as request changed something"
    );

    // Nor at Gumroad.
    let (_, b_products_after) = b.get_html("/products").await;
    // The list's rows as Gumroad tells them (its freshness note aside).
    let rows = |html: &str| -> String {
        Html::parse_document(html)
            .select(&Selector::parse("main table").unwrap())
            .map(|table| table.text().collect::<String>())
            .collect()
    };
    assert!(!rows(&b_products_before).is_empty());
    assert_eq!(rows(&b_products_before), rows(&b_products_after));
    assert!(checked > 40, "{checked}");
}
