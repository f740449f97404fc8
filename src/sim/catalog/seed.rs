//! Deterministic catalogues: the same seed and creators always give the same products, codes and fields.
//!
//! Layout: creator 0 has 23 live products (three pages of 10) in usd, eur, gbp and jpy, published and not
//! (one physical: the printed Tokyo zine; licensed: sound pack, sprites, presets, LUTs), plus one deleted
//! product, offer codes (one universal) and custom fields (one shared, one global); creator 1
//! has 4 draft products and **no payment method**; creator 2 has nothing; later creators get 0–5 products.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{Catalog, CustomField, OfferCode, Product, Variant, VariantCategory};
use crate::sim::seed::{SeededCreator, rng_for};

const CATALOG_STREAM: u64 = 3;

#[derive(Clone, Copy)]
enum Extra {
    Plain,
    /// Pay what you want, with `price` as the minimum.
    Pwyw,
    /// "Format": PDF / EPUB / both for +5.
    Formats,
    /// "License": Personal / Commercial (+30, capped).
    Licenses,
    /// A tiered membership: Supporter and Patron, monthly and yearly.
    Tiers,
    /// A non-tiered monthly subscription (the legacy kind).
    Monthly,
}

struct Template {
    name: &'static str,
    native_type: &'static str,
    price: i64,
    currency: &'static str,
    summary: Option<&'static str>,
    description: &'static str,
    tags: &'static [&'static str],
    extra: Extra,
    max_purchase_count: Option<i64>,
}

const fn t(
    name: &'static str,
    native_type: &'static str,
    price: i64,
    currency: &'static str,
    description: &'static str,
    tags: &'static [&'static str],
    extra: Extra,
) -> Template {
    Template {
        name,
        native_type,
        price,
        currency,
        summary: None,
        description,
        tags,
        extra,
        max_purchase_count: None,
    }
}

/// Creator 0 gets all of these (in a seed-dependent order); other creators draw from them.
const TEMPLATES: &[Template] = &[
    t(
        "The Freelancer's Pricing Handbook",
        "ebook",
        1900,
        "usd",
        "<p>How to price your work without apologising for it.</p><ul><li>42 pages</li><li>Worksheets included</li></ul>",
        &["freelancing", "business", "ebook"],
        Extra::Formats,
    ),
    t(
        "Rust for Busy People",
        "course",
        14900,
        "usd",
        "<p>A <strong>six-week</strong> course: ownership, traits, async and shipping a real CLI.</p>",
        &["rust", "programming", "course"],
        Extra::Plain,
    ),
    t(
        "Golden Hour Lightroom Presets",
        "digital",
        2400,
        "usd",
        "<p>12 presets for warm, soft evening light. Works with Lightroom Classic &amp; Mobile.</p>",
        &["presets", "lightroom", "photography"],
        Extra::Plain,
    ),
    t(
        "Sketchbook Club",
        "membership",
        500,
        "usd",
        "<p>A new sketchbook page every week, process videos and a members-only Discord.</p>",
        &["membership", "illustration"],
        Extra::Tiers,
    ),
    t(
        "Cosy Knits Pattern Pack",
        "digital",
        300,
        "usd",
        "<p>Pay what you want for five cosy patterns <3. Every bit helps!</p>",
        &["knitting", "patterns"],
        Extra::Pwyw,
    ),
    t(
        "Notion Team Wiki Template",
        "digital",
        1200,
        "eur",
        "<p>A ready-made wiki for small teams: onboarding, decisions, meeting notes.</p>",
        &["notion", "templates", "productivity"],
        Extra::Plain,
    ),
    t(
        "Procreate Brush Set: Inkwell",
        "digital",
        1500,
        "gbp",
        "<p>28 ink brushes with real pressure response.</p>",
        &["procreate", "brushes"],
        Extra::Plain,
    ),
    t(
        "Tokyo Street Photography Zine",
        "physical",
        1500,
        "jpy",
        "<p>48 printed pages of night-time Tokyo, shot on film. Shipped worldwide.</p>",
        &["photography", "zine", "tokyo"],
        Extra::Plain,
    ),
    t(
        "Indie Game Sound Pack Vol. 1",
        "digital",
        2900,
        "usd",
        "<p>300 sound effects for platformers: jumps, coins, doors and explosions.</p>",
        &["gamedev", "audio", "sound effects"],
        Extra::Licenses,
    ),
    t(
        "Writing Better Proposals (Free Guide)",
        "ebook",
        0,
        "usd",
        "<p>A short, free guide to proposals that clients actually read.</p>",
        &["freelancing", "writing"],
        Extra::Plain,
    ),
    t(
        "Watercolour Textures",
        "digital",
        800,
        "usd",
        "<p>60 scanned watercolour textures, 600 dpi.</p>",
        &["textures", "watercolour"],
        Extra::Plain,
    ),
    t(
        "Systems Programming Workshop Recording",
        "course",
        4900,
        "usd",
        "<p>The full recording of the three-hour live workshop, with slides and exercises.</p>",
        &["programming", "workshop"],
        Extra::Plain,
    ),
    t(
        "Lo-fi Beat Club",
        "digital",
        700,
        "usd",
        "<p>Four new royalty-free beats every month.</p>",
        &["music", "beats", "subscription"],
        Extra::Monthly,
    ),
    t(
        "Pixel Art Sprite Kit",
        "digital",
        1000,
        "usd",
        "<p>Characters, tiles and UI in 16×16.</p>",
        &["gamedev", "pixel art"],
        Extra::Plain,
    ),
    t(
        "Café Menu Templates",
        "digital",
        900,
        "eur",
        "<p>Six menu layouts for cafés and bakeries, in Canva and Figma.</p>",
        &["templates", "design"],
        Extra::Plain,
    ),
    t(
        "Résumé Template Bundle",
        "digital",
        1500,
        "usd",
        "<p>Clean résumé templates for Word, Pages and Google Docs.</p>",
        &["templates", "career"],
        Extra::Plain,
    ),
    t(
        "Beginner's Guide to Modular Synths",
        "ebook",
        2500,
        "gbp",
        "<p>Patch your first modular voice, step by step.</p>",
        &["music", "synths", "ebook"],
        Extra::Formats,
    ),
    t(
        "Mountain LUTs for Video",
        "digital",
        3500,
        "usd",
        "<p>15 LUTs for alpine footage. .cube files for every major editor.</p>",
        &["luts", "video"],
        Extra::Plain,
    ),
    Template {
        summary: Some("A 45-minute video call about your portfolio."),
        max_purchase_count: Some(10),
        ..t(
            "One-on-one Portfolio Review",
            "digital",
            9900,
            "usd",
            "<p>Send me your portfolio and we'll go through it together.</p>",
            &["mentoring"],
            Extra::Plain,
        )
    },
    t(
        "Desk Setup Wallpapers",
        "digital",
        300,
        "usd",
        "<p>Twenty minimal wallpapers for desktop and phone.</p>",
        &["wallpapers"],
        Extra::Plain,
    ),
    t(
        "Advanced Lightroom Masterclass",
        "course",
        19900,
        "usd",
        "<p>Eight modules on colour grading, masking and batch workflows.</p>",
        &["lightroom", "photography", "course"],
        Extra::Plain,
    ),
    t(
        "Kanji Flashcards",
        "digital",
        800,
        "jpy",
        "<p>JLPT N5–N3 kanji as printable flashcards.</p>",
        &["japanese", "flashcards"],
        Extra::Plain,
    ),
    Template {
        summary: Some("You'll get 8 PDF patterns."),
        ..t(
            "Cold Evening Knitting Patterns",
            "ebook",
            1200,
            "usd",
            "<p>Hats, mittens and a very long scarf.</p>",
            &["knitting", "patterns", "ebook"],
            Extra::Plain,
        )
    },
];

const DELETED_TEMPLATE: Template = t(
    "Old Preset Pack (2019)",
    "digital",
    500,
    "usd",
    "<p>Retired. Buyers keep access.</p>",
    &["presets"],
    Extra::Plain,
);

/// Seeded products are created between these two dates; anything made through the API comes later.
fn seed_window() -> (DateTime<Utc>, i64) {
    let start = Utc.with_ymd_and_hms(2024, 1, 8, 9, 0, 0).single();
    let start = start.unwrap_or_else(Utc::now);
    (start, 900 * 24 * 3600)
}

struct Plan {
    creator: usize,
    template: &'static Template,
    created_at: DateTime<Utc>,
    published: bool,
    deleted: bool,
}

pub(crate) fn catalog(seed: u64, creators: &[SeededCreator]) -> Catalog {
    let mut rng = rng_for(seed, CATALOG_STREAM);
    let mut catalog = Catalog::default();
    let (start, span_secs) = seed_window();
    let random_time = |rng: &mut ChaCha8Rng| {
        start
            + Duration::seconds(rng.random_range(0..span_secs))
            + Duration::microseconds(rng.random_range(0..1_000_000))
    };
    let mut plans: Vec<Plan> = Vec::new();
    for (index, creator) in creators.iter().enumerate() {
        catalog
            .payment_methods
            .insert(creator.id.clone(), index != 1);
        let mut picks: Vec<&'static Template> = TEMPLATES.iter().collect();
        picks.shuffle(&mut rng);
        let count = match index {
            0 => TEMPLATES.len(),
            1 => 4,
            2 => 0,
            _ => rng.random_range(0..=5),
        };
        picks.truncate(count);
        let unpublished: Vec<usize> = if index == 0 {
            let mut all: Vec<usize> = (0..count).collect();
            all.shuffle(&mut rng);
            all.truncate(4);
            all
        } else {
            Vec::new()
        };
        for (i, template) in picks.into_iter().enumerate() {
            plans.push(Plan {
                creator: index,
                template,
                created_at: random_time(&mut rng),
                // Creator 1 has no payment method, so never published anything.
                published: index != 1 && !unpublished.contains(&i),
                deleted: false,
            });
        }
        if index == 0 {
            plans.push(Plan {
                creator: 0,
                template: &DELETED_TEMPLATE,
                created_at: random_time(&mut rng),
                published: false,
                deleted: true,
            });
        }
    }
    plans.sort_by_key(|p| p.created_at);
    for plan in &plans {
        let creator = &creators[plan.creator];
        let product = product(&mut catalog, &mut rng, creator, plan);
        catalog.products.push(product);
    }
    for (index, creator) in creators.iter().enumerate() {
        if index == 0 {
            first_creator_extras(&mut catalog, &mut rng, creator);
        } else {
            other_creator_extras(&mut catalog, &mut rng, creator);
        }
    }
    catalog
}

fn product(
    catalog: &mut Catalog,
    rng: &mut ChaCha8Rng,
    creator: &SeededCreator,
    plan: &Plan,
) -> Product {
    let template = plan.template;
    let id = catalog.next_id();
    let external_id = catalog.new_external_id(rng);
    let unique_permalink = catalog.new_permalink(rng);
    let mut product = Product {
        id,
        external_id,
        creator_id: creator.id.clone(),
        name: template.name.to_owned(),
        description: template.description.to_owned(),
        price: template.price,
        currency: template.currency.to_owned(),
        native_type: template.native_type.to_owned(),
        customizable_price: None,
        unique_permalink,
        custom_permalink: None,
        custom_summary: template.summary.map(str::to_owned),
        custom_receipt: None,
        preview_url: None,
        thumbnail_url: None,
        published: plan.published,
        deleted: plan.deleted,
        max_purchase_count: template.max_purchase_count,
        subscription_duration: None,
        is_tiered_membership: false,
        tags: template.tags.iter().map(|t| (*t).to_owned()).collect(),
        created_at: super::stored_time(plan.created_at),
        is_licensed: matches!(template.extra, Extra::Licenses)
            || template
                .tags
                .iter()
                .any(|t| ["gamedev", "presets", "luts"].contains(t)),
        require_shipping: template.native_type == "physical",
        variant_categories: Vec::new(),
    };
    if rng.random_bool(0.3) {
        product.custom_permalink = Some(slug(template.name));
    }
    // Sales numbers come from the seeded sales now (`sales::seed`); these draws stay so that every
    // later seeded value (ids, permalinks, variants' `sold`) is what it always was.
    let count = if plan.published || plan.deleted {
        match product.max_purchase_count {
            Some(max) => rng.random_range(0..=max),
            None if template.price == 0 => rng.random_range(50..2000),
            None => rng.random_range(0..400),
        }
    } else {
        0
    };
    match template.extra {
        Extra::Plain => {}
        Extra::Pwyw => product.customizable_price = Some(true),
        Extra::Monthly => product.subscription_duration = Some("monthly".to_owned()),
        Extra::Formats => {
            let category = category(
                catalog,
                rng,
                "Format",
                &[
                    ("PDF", 0, None),
                    ("EPUB", 0, None),
                    ("PDF + EPUB", 500, None),
                ],
                count,
            );
            product.variant_categories.push(category);
        }
        Extra::Licenses => {
            let category = category(
                catalog,
                rng,
                "License",
                &[("Personal", 0, None), ("Commercial", 3000, Some(50))],
                count,
            );
            product.variant_categories.push(category);
        }
        Extra::Tiers => {
            product.is_tiered_membership = true;
            product.subscription_duration = Some("monthly".to_owned());
            let mut tiers = category(
                catalog,
                rng,
                "Tier",
                &[("Supporter", 0, None), ("Patron", 0, None)],
                count,
            );
            for (variant, monthly) in tiers.variants.iter_mut().zip([500, 1500]) {
                variant.recurrence_prices = vec![
                    ("monthly".to_owned(), monthly),
                    ("yearly".to_owned(), monthly * 10),
                ];
            }
            product.variant_categories.push(tiers);
        }
    }
    let _unused_multiplier: f64 = if matches!(template.extra, Extra::Pwyw) {
        rng.random_range(1.1..1.8)
    } else {
        rng.random_range(0.85..1.0)
    };
    product
}

/// A variant category with the given (name, price difference, cap) options; `sales` spread over them.
fn category(
    catalog: &mut Catalog,
    rng: &mut ChaCha8Rng,
    title: &str,
    options: &[(&str, i64, Option<i64>)],
    sales: i64,
) -> VariantCategory {
    let id = catalog.next_id();
    let external_id = catalog.new_external_id(rng);
    let mut left = sales;
    let variants = options
        .iter()
        .map(|(name, difference, cap)| {
            let mut sold = rng.random_range(0..=left.max(0));
            if let Some(cap) = cap {
                sold = sold.min(*cap);
            }
            left -= sold;
            Variant {
                id: catalog.next_id(),
                external_id: catalog.new_external_id(rng),
                name: (*name).to_owned(),
                description: None,
                price_difference_cents: *difference,
                max_purchase_count: *cap,
                customizable_price: false,
                recurrence_prices: Vec::new(),
                sold,
                deleted: false,
            }
        })
        .collect();
    VariantCategory {
        id,
        external_id,
        title: Some(title.to_owned()),
        deleted: false,
        variants,
    }
}

fn slug(name: &str) -> String {
    name.split_whitespace()
        .take(2)
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

struct CodeSpec<'a> {
    product: Option<&'a str>,
    name: &'a str,
    amount_cents: Option<i64>,
    percent_off: Option<i64>,
    max_purchase_count: Option<i64>,
    times_used: i64,
    deleted: bool,
}

fn add_code(
    catalog: &mut Catalog,
    rng: &mut ChaCha8Rng,
    creator: &SeededCreator,
    spec: CodeSpec<'_>,
) {
    let product = spec.product.and_then(|name| {
        catalog
            .products
            .iter()
            .find(|p| p.creator_id == creator.id && p.name == name)
            .map(|p| (p.id, p.currency.clone(), p.created_at))
    });
    let (product_id, currency, after) = match product {
        Some((id, currency, created_at)) => (Some(id), currency, created_at),
        None if spec.product.is_some() => return,
        None => {
            let (start, span) = seed_window();
            (None, "usd".to_owned(), start + Duration::seconds(span / 2))
        }
    };
    let code = OfferCode {
        id: catalog.next_id(),
        external_id: catalog.new_external_id(rng),
        creator_id: creator.id.clone(),
        product_id,
        universal: product_id.is_none(),
        name: spec.name.to_owned(),
        amount_cents: spec.amount_cents,
        percent_off: spec.percent_off,
        currency: spec.amount_cents.map(|_| currency),
        max_purchase_count: spec.max_purchase_count,
        minimum_amount_cents: None,
        times_used: spec.times_used,
        deleted: spec.deleted,
        created_at: super::stored_time(
            after
                + Duration::minutes(rng.random_range(5..20_000))
                + Duration::microseconds(rng.random_range(0..1_000_000)),
        ),
    };
    catalog.offer_codes.push(code);
}

fn add_field(
    catalog: &mut Catalog,
    rng: &mut ChaCha8Rng,
    creator: &SeededCreator,
    (field_type, name, required, global): (&str, &str, bool, bool),
    products: &[&str],
) {
    let product_ids: Vec<u64> = catalog
        .products
        .iter()
        .filter(|p| p.creator_id == creator.id && products.contains(&p.name.as_str()))
        .map(|p| p.id)
        .collect();
    if !global && product_ids.is_empty() {
        return;
    }
    let field = CustomField {
        id: catalog.next_id(),
        external_id: catalog.new_external_id(rng),
        creator_id: creator.id.clone(),
        field_type: field_type.to_owned(),
        name: name.to_owned(),
        required,
        global,
        collect_per_product: false,
        product_ids,
        deleted: false,
    };
    catalog.custom_fields.push(field);
}

fn first_creator_extras(catalog: &mut Catalog, rng: &mut ChaCha8Rng, creator: &SeededCreator) {
    let codes = [
        CodeSpec {
            product: Some("The Freelancer's Pricing Handbook"),
            name: "LAUNCH20",
            amount_cents: None,
            percent_off: Some(20),
            max_purchase_count: Some(100),
            times_used: 37,
            deleted: false,
        },
        CodeSpec {
            product: Some("The Freelancer's Pricing Handbook"),
            name: "OLDCODE",
            amount_cents: Some(300),
            percent_off: None,
            max_purchase_count: None,
            times_used: 4,
            deleted: true,
        },
        CodeSpec {
            product: Some("Rust for Busy People"),
            name: "SAVE5",
            amount_cents: Some(500),
            percent_off: None,
            max_purchase_count: None,
            times_used: 12,
            deleted: false,
        },
        CodeSpec {
            product: Some("Rust for Busy People"),
            name: "EARLYBIRD",
            amount_cents: Some(3000),
            percent_off: None,
            max_purchase_count: Some(50),
            times_used: 50,
            deleted: false,
        },
        CodeSpec {
            product: Some("Notion Team Wiki Template"),
            name: "BIENVENUE",
            amount_cents: Some(200),
            percent_off: None,
            max_purchase_count: None,
            times_used: 3,
            deleted: false,
        },
        CodeSpec {
            product: None,
            name: "FRIENDS",
            amount_cents: None,
            percent_off: Some(15),
            max_purchase_count: None,
            times_used: 21,
            deleted: false,
        },
    ];
    for spec in codes {
        add_code(catalog, rng, creator, spec);
    }
    add_field(
        catalog,
        rng,
        creator,
        ("text", "Company", false, false),
        &[
            "Rust for Busy People",
            "Systems Programming Workshop Recording",
        ],
    );
    add_field(
        catalog,
        rng,
        creator,
        ("terms", "https://example.com/terms", true, false),
        &["One-on-one Portfolio Review"],
    );
    add_field(
        catalog,
        rng,
        creator,
        ("text", "Discord username", true, false),
        &["Sketchbook Club"],
    );
    add_field(
        catalog,
        rng,
        creator,
        ("checkbox", "Send me the monthly newsletter", false, true),
        &[],
    );
}

fn other_creator_extras(catalog: &mut Catalog, rng: &mut ChaCha8Rng, creator: &SeededCreator) {
    let first = catalog
        .products
        .iter()
        .find(|p| p.creator_id == creator.id && p.price > 0)
        .map(|p| p.name.clone());
    let Some(first) = first else {
        return;
    };
    let times_used = rng.random_range(0..25);
    add_code(
        catalog,
        rng,
        creator,
        CodeSpec {
            product: Some(&first),
            name: "THANKYOU",
            amount_cents: None,
            percent_off: Some(10),
            max_purchase_count: Some(25),
            times_used,
            deleted: false,
        },
    );
    add_field(
        catalog,
        rng,
        creator,
        ("long_text", "Anything I should know?", false, false),
        &[&first],
    );
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::sim::seed::creators;

    #[test]
    fn layout_is_as_documented_and_deterministic() {
        let people = creators(42, 5);
        let a = catalog(42, &people);
        let b = catalog(42, &people);
        let names = |c: &Catalog| {
            c.products
                .iter()
                .map(|p| (p.id, p.external_id.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_eq!(a.live_products(&people[0].id).len(), 23);
        assert_eq!(a.live_products(&people[1].id).len(), 4);
        assert!(a.live_products(&people[1].id).iter().all(|p| !p.published));
        assert!(a.live_products(&people[2].id).is_empty());
        assert!(!a.has_payment_method(&people[1].id) && a.has_payment_method(&people[0].id));
        let mut by_time = a.products.clone();
        by_time.sort_by_key(|p| p.created_at);
        assert!(
            by_time.windows(2).all(|w| w[0].id < w[1].id),
            "ids grow with created_at"
        );
        let currencies: Vec<&str> = a
            .live_products(&people[0].id)
            .iter()
            .map(|p| p.currency.as_str())
            .collect();
        for currency in ["usd", "eur", "gbp", "jpy"] {
            assert!(currencies.contains(&currency));
        }
        assert!(
            a.products
                .iter()
                .all(|p| p.external_id.len() == 24 && (4..=6).contains(&p.unique_permalink.len()))
        );
    }
}
