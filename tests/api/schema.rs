//! Citus's rules for distributed tables, enforced on our migrated schema (issue 11, item 7).
//!
//! Citus cannot be installed on these machines, so this reads the catalog of a freshly migrated
//! database and checks what `create_distributed_table` / `create_reference_table` would refuse, or
//! what would stop being enforced once a table is sharded by `creator_id`:
//!
//! 1. Every table in `public` is classified, in exactly one of the lists below. A new table without
//!    a decision fails: put it in a list (and say why, for a reference or local table).
//! 2. A distributed table has its distribution column, NOT NULL and of the same type as
//!    `creators.id` (tables are only co-located when their distribution columns have one type), and
//!    every PRIMARY KEY, UNIQUE constraint, unique index and exclusion constraint on it includes that
//!    column: Citus enforces uniqueness per shard only.
//! 3. Foreign keys: between distributed tables they include the distribution column on both sides,
//!    in the same position (`creator_id` → `creator_id`, or `creator_id` → `creators.id`) and never
//!    SET NULL / SET DEFAULT it; a distributed table may reference a reference table but never a
//!    local one; a reference or local table never references a distributed table; a reference table
//!    references a local table only with NO ACTION / RESTRICT.
//!
//! Where today's schema breaks a rule on purpose, the break is listed by name, with the reason and
//! the plan, in `UNIQUE_EXCEPTIONS` or `FOREIGN_KEY_EXCEPTIONS`. An exception that no longer matches
//! anything fails too, so the lists cannot rot.

use std::collections::BTreeSet;

use sqlx::PgPool;

use crate::helpers::fresh_database;

/// The distribution column of every tenant-owned table.
const DISTRIBUTION_COLUMN: &str = "creator_id";

/// The tenant table itself, distributed by its own id (which is the creator id everywhere else), so
/// every tenant-owned table is co-located with it.
const TENANT_TABLE: (&str, &str) = ("creators", "id");

/// Tenant-owned tables, distributed by `creator_id` and co-located with `creators`.
const DISTRIBUTED_BY_CREATOR_ID: &[&str] = &[
    "action_keys",
    "gumroad_connections",
    "sales",
    "sales_daily",
    "sales_daily_all",
    "sales_daily_dims",
    "sales_totals",
    "subscribers",
    "sync_states",
    "sync_windows",
    "view_as_sessions",
    "webhook_deliveries",
    "webhook_endpoints",
    "webhook_subscriptions",
];

/// Small tables every node reads, replicated whole to every node. Token keys stay in the
/// configuration (GUMDASH_TOKEN_KEYS); the operators granted with `gumdash admin` are stored.
const REFERENCE_TABLES: &[(&str, &str)] = &[(
    "operators",
    "Operators by Gumroad user id, owned by no creator (one may not have signed in yet): a few \
     rows written by `gumdash admin`, read on every signed-in request, so copied to every node.",
)];

/// Tables that stay on the coordinator, on purpose.
const LOCAL_TABLES: &[(&str, &str)] = &[
    (
        "_sqlx_migrations",
        "sqlx's migration ledger: one per database, read only by the migrator on the coordinator.",
    ),
    (
        "jobs",
        "The job queue shared by every instance: claims scan across all creators by priority and \
         run_at, `dedupe_key` is unique across the queue, and `creator_id` is NULL for jobs that \
         belong to no creator.",
    ),
    (
        "key_rotations",
        "Progress of the deployment's token key rotations: about every creator at once, written \
         by whichever instance holds the rotation's advisory lock (itself per database).",
    ),
    (
        "request_budgets",
        "One Gumroad request budget for the whole deployment (a token bucket keyed by name): \
         global by definition, and written on every Gumroad call, so not a reference table.",
    ),
    (
        "sessions",
        "Keyed by the session cookie, looked up before anyone is known; `creator_id` is NULL for \
         sessions of signed-out visitors, and Citus refuses NULL in a distribution column, so it \
         cannot be distributed by creator_id.",
    ),
    (
        "audit_events",
        "The operator's audit log: `creator_id` is nullable (operator actions about no creator) and \
         set to NULL when the creator is deleted (ON DELETE SET NULL), so the log outlives the \
         creator. Citus refuses NULL in a distribution column and SET NULL on it, and the operator \
         reads the log across creators.",
    ),
];

/// A named break of a rule, with the reason it is there and what happens to it under Citus.
struct Exception {
    table: &'static str,
    constraint: &'static str,
    reason: &'static str,
}

/// PRIMARY KEY / UNIQUE / unique index / exclusion constraints on distributed tables that do not
/// include the distribution column.
const UNIQUE_EXCEPTIONS: &[Exception] = &[Exception {
    table: "creators",
    constraint: "creators_gumroad_user_id_key",
    reason: "Sign-in finds the creator by Gumroad's user id, so it must be unique across all \
             creators; with `creators` distributed by `id` Citus cannot enforce that. Plan: before \
             sharding, move the mapping to a lookup table (gumroad_user_id PRIMARY KEY, creator_id) \
             kept as a reference or local table, or make `creators` a reference table (it is one \
             small row per creator), which also removes the foreign key exceptions below.",
}];

/// Foreign keys that Citus would refuse. All three are local tables pointing at the distributed
/// `creators`, which Citus does not allow (a local table may only reference local or reference
/// tables). Plan for each: if `creators` becomes a reference table they are allowed as they are;
/// otherwise drop the constraint before sharding and delete these rows in the code that deletes a
/// creator (`store::forget::creator`, which revoke-and-forget runs).
const FOREIGN_KEY_EXCEPTIONS: &[Exception] = &[
    Exception {
        table: "sessions",
        constraint: "sessions_creator_id_fkey",
        reason: "ON DELETE CASCADE signs a deleted creator out everywhere; without it, \
                 store::sessions already deletes a creator's sessions by creator_id.",
    },
    Exception {
        table: "audit_events",
        constraint: "audit_events_creator_id_fkey",
        reason: "ON DELETE SET NULL keeps the audit log after the creator is gone; without it, \
                 the creator deletion would set creator_id to NULL itself.",
    },
    Exception {
        table: "jobs",
        constraint: "jobs_creator_id_fkey",
        reason: "ON DELETE CASCADE drops a deleted creator's queued jobs; without it, the \
                 creator deletion would have to delete them itself.",
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Distributed, by the given column.
    Distributed(&'static str),
    Reference,
    Local,
}

fn classify(table: &str) -> Option<Kind> {
    if table == TENANT_TABLE.0 {
        return Some(Kind::Distributed(TENANT_TABLE.1));
    }
    if DISTRIBUTED_BY_CREATOR_ID.contains(&table) {
        return Some(Kind::Distributed(DISTRIBUTION_COLUMN));
    }
    if REFERENCE_TABLES.iter().any(|(name, _)| *name == table) {
        return Some(Kind::Reference);
    }
    if LOCAL_TABLES.iter().any(|(name, _)| *name == table) {
        return Some(Kind::Local);
    }
    None
}

fn all_listed() -> Vec<&'static str> {
    let mut listed = vec![TENANT_TABLE.0];
    listed.extend(DISTRIBUTED_BY_CREATOR_ID);
    listed.extend(REFERENCE_TABLES.iter().map(|(name, _)| *name));
    listed.extend(LOCAL_TABLES.iter().map(|(name, _)| *name));
    listed
}

/// One rule broken by one table (and constraint, when the rule is about a constraint).
struct Violation {
    table: String,
    constraint: String,
    message: String,
}

/// Fails with every violation not covered by an exception, and every exception that covers none.
fn assert_no_violations(rule: &str, violations: Vec<Violation>, exceptions: &[Exception]) {
    let mut used = BTreeSet::new();
    let mut failures = Vec::new();
    for violation in violations {
        match exceptions
            .iter()
            .position(|e| e.table == violation.table && e.constraint == violation.constraint)
        {
            Some(index) => {
                used.insert(index);
            }
            None => failures.push(format!(
                "table `{}`{}: {}",
                violation.table,
                if violation.constraint.is_empty() {
                    String::new()
                } else {
                    format!(", constraint `{}`", violation.constraint)
                },
                violation.message
            )),
        }
    }
    for (index, exception) in exceptions.iter().enumerate() {
        if !used.contains(&index) {
            failures.push(format!(
                "table `{}`, constraint `{}`: listed as an exception but breaks no rule any more \
                 (or was renamed); remove it from the exceptions in tests/api/schema.rs. It was \
                 there because: {}",
                exception.table, exception.constraint, exception.reason
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{rule}: the schema breaks Citus's rules for distributed tables:\n  - {}",
        failures.join("\n  - ")
    );
}

async fn public_tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'f') AND NOT c.relispartition
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("list tables")
}

#[tokio::test]
async fn every_table_is_classified_as_distributed_reference_or_local() {
    let (pool, _) = fresh_database().await;
    let tables = public_tables(&pool).await;
    let mut failures = Vec::new();

    let listed = all_listed();
    for name in &listed {
        if listed.iter().filter(|other| *other == name).count() > 1 {
            failures.push(format!(
                "table `{name}` is in more than one list; keep it in exactly one"
            ));
        }
        if !tables.iter().any(|table| table == name) {
            failures.push(format!(
                "table `{name}` is classified but does not exist after the migrations; remove it \
                 from its list"
            ));
        }
    }
    for table in &tables {
        if classify(table).is_none() {
            failures.push(format!(
                "table `{table}` is not classified: add it to DISTRIBUTED_BY_CREATOR_ID if it \
                 belongs to a creator (then it needs a NOT NULL creator_id in every key), or to \
                 REFERENCE_TABLES or LOCAL_TABLES with the reason"
            ));
        }
    }
    failures.dedup();
    assert!(
        failures.is_empty(),
        "every table must be classified for Citus, in tests/api/schema.rs:\n  - {}",
        failures.join("\n  - ")
    );
}

#[tokio::test]
async fn distributed_tables_have_a_not_null_distribution_column_in_every_unique_key() {
    let (pool, _) = fresh_database().await;
    let mut violations = Vec::new();

    let (tenant, tenant_column) = TENANT_TABLE;
    let tenant_type = column(&pool, tenant, tenant_column)
        .await
        .map(|(_, data_type)| data_type);
    for table in public_tables(&pool).await {
        let Some(Kind::Distributed(distribution_column)) = classify(&table) else {
            continue;
        };
        match column(&pool, &table, distribution_column).await {
            None => violations.push(Violation {
                table: table.clone(),
                constraint: String::new(),
                message: format!("distributed, but has no `{distribution_column}` column"),
            }),
            Some((not_null, data_type)) => {
                if !not_null {
                    violations.push(Violation {
                        table: table.clone(),
                        constraint: String::new(),
                        message: format!(
                            "distribution column `{distribution_column}` is nullable; Citus \
                             refuses NULL in it: make it NOT NULL or classify the table as local"
                        ),
                    });
                }
                if Some(&data_type) != tenant_type.as_ref() {
                    violations.push(Violation {
                        table: table.clone(),
                        constraint: String::new(),
                        message: format!(
                            "distribution column `{distribution_column}` is {data_type}, but \
                             `{tenant}.{tenant_column}` is {}; tables are only co-located when \
                             their distribution columns have the same type",
                            tenant_type.as_deref().unwrap_or("missing")
                        ),
                    });
                }
            }
        }
    }

    // Unique indexes, whether they back a PRIMARY KEY, a UNIQUE constraint or stand alone (partial
    // and expression indexes included), and exclusion constraints: their key columns, in order.
    let keys: Vec<(String, String, String, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, coalesce(con.conname, i.relname)::text,
                CASE WHEN ix.indisprimary THEN 'PRIMARY KEY'
                     WHEN con.contype = 'u' THEN 'UNIQUE constraint'
                     ELSE 'unique index' END,
                ARRAY(SELECT coalesce(a.attname::text, '(expression)')
                      FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                      LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
                      WHERE k.ord <= ix.indnkeyatts ORDER BY k.ord)
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_class i ON i.oid = ix.indexrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.conrelid = t.oid
                                    AND con.contype IN ('p', 'u')
         WHERE n.nspname = 'public' AND ix.indisunique
         UNION ALL
         SELECT t.relname::text, con.conname::text, 'exclusion constraint',
                ARRAY(SELECT a.attname::text
                      FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                      ORDER BY k.ord)
         FROM pg_constraint con
         JOIN pg_class t ON t.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public' AND con.contype = 'x'
         ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .expect("list unique keys");
    for (table, name, kind, columns) in keys {
        let Some(Kind::Distributed(distribution_column)) = classify(&table) else {
            continue;
        };
        if !columns.iter().any(|column| column == distribution_column) {
            violations.push(Violation {
                table,
                constraint: name,
                message: format!(
                    "{kind} on ({}) does not include the distribution column \
                     `{distribution_column}`; Citus only enforces uniqueness within a shard, so \
                     it refuses this. Add `{distribution_column}` to the key",
                    columns.join(", ")
                ),
            });
        }
    }

    assert_no_violations("distributed tables' keys", violations, UNIQUE_EXCEPTIONS);
}

#[tokio::test]
async fn foreign_keys_follow_citus_rules_between_distributed_reference_and_local_tables() {
    let (pool, _) = fresh_database().await;
    type ForeignKey = (
        String,
        String,
        String,
        Vec<String>,
        Vec<String>,
        String,
        String,
    );
    let foreign_keys: Vec<ForeignKey> = sqlx::query_as(
        "SELECT con.conname::text, src.relname::text, tgt.relname::text,
                ARRAY(SELECT a.attname::text
                      FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                      ORDER BY k.ord),
                ARRAY(SELECT a.attname::text
                      FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                      ORDER BY k.ord),
                con.confdeltype::text, con.confupdtype::text
         FROM pg_constraint con
         JOIN pg_class src ON src.oid = con.conrelid
         JOIN pg_class tgt ON tgt.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = src.relnamespace
         WHERE n.nspname = 'public' AND con.contype = 'f'
         ORDER BY 2, 1",
    )
    .fetch_all(&pool)
    .await
    .expect("list foreign keys");

    let mut violations = Vec::new();
    for (name, from, to, from_columns, to_columns, on_delete, on_update) in foreign_keys {
        // Unclassified tables fail the classification test; nothing to say about them here.
        let (Some(from_kind), Some(to_kind)) = (classify(&from), classify(&to)) else {
            continue;
        };
        let mut violation = |message: String| {
            violations.push(Violation {
                table: from.clone(),
                constraint: name.clone(),
                message: format!(
                    "foreign key ({}) → `{to}` ({}): {message}",
                    from_columns.join(", "),
                    to_columns.join(", ")
                ),
            })
        };
        let sets_null_or_default = |action: &str| action == "n" || action == "d";
        match (from_kind, to_kind) {
            (Kind::Distributed(from_column), Kind::Distributed(to_column)) => {
                let pairs_distribution_columns = from_columns
                    .iter()
                    .zip(&to_columns)
                    .any(|(f, t)| f == from_column && t == to_column);
                if !pairs_distribution_columns {
                    violation(format!(
                        "between distributed tables a foreign key must pair the distribution \
                         columns (`{from}.{from_column}` with `{to}.{to_column}`), so both rows \
                         are on one shard"
                    ));
                } else if sets_null_or_default(&on_delete) || sets_null_or_default(&on_update) {
                    violation(
                        "SET NULL / SET DEFAULT would change the distribution column; Citus \
                         refuses it on a foreign key that includes it (use CASCADE or RESTRICT)"
                            .to_owned(),
                    );
                }
            }
            (Kind::Distributed(_), Kind::Reference) => {}
            (Kind::Distributed(_), Kind::Local) => violation(
                "a distributed table cannot reference a local table; make the target a \
                 reference table or drop the foreign key"
                    .to_owned(),
            ),
            (Kind::Reference | Kind::Local, Kind::Distributed(_)) => violation(format!(
                "a {} table cannot reference a distributed table; only distributed tables \
                 (co-located, through the distribution column) may",
                if from_kind == Kind::Reference {
                    "reference"
                } else {
                    "local"
                }
            )),
            (Kind::Reference, Kind::Local) => {
                let restricts = |action: &str| action == "a" || action == "r";
                if !restricts(&on_delete) || !restricts(&on_update) {
                    violation(
                        "a reference table may reference a local table only with NO ACTION or \
                         RESTRICT"
                            .to_owned(),
                    );
                }
            }
            (Kind::Reference, Kind::Reference)
            | (Kind::Local, Kind::Reference)
            | (Kind::Local, Kind::Local) => {}
        }
    }

    assert_no_violations("foreign keys", violations, FOREIGN_KEY_EXCEPTIONS);
}

/// Whether the column is NOT NULL, and its type; `None` when the table has no such column.
async fn column(pool: &PgPool, table: &str, column: &str) -> Option<(bool, String)> {
    sqlx::query_as(
        "SELECT a.attnotnull, format_type(a.atttypid, a.atttypmod)
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relname = $1 AND a.attname = $2
           AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(table)
    .bind(column)
    .fetch_optional(pool)
    .await
    .expect("read column")
}
