//! Deterministic seed data: the same seed always gives the same creators and app credentials.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::ids;

/// A seeded Gumroad account, as `/v2/user` and `/_sim/creators` show it.
#[derive(Clone, Debug, Serialize)]
pub struct SeededCreator {
    /// `/v2/user` `id`: the numeric external id, a string below 10^13.
    pub id: String,
    /// `/v2/user` `user_id` (also `seller_id` on sales): 24-character Base64 external id.
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub username: String,
    pub bio: Option<String>,
    pub twitter_handle: Option<String>,
    /// Lowercase ISO currency, mostly `usd`.
    pub currency_type: String,
    /// IANA time zone: sales' `daystamp` is shown in it. Creator 0 has one with daylight saving time
    /// (`America/New_York`), creator 1 a half-hour offset (`Asia/Kolkata`).
    pub time_zone: String,
}

// Names with diacritics are kept apart so the first creator can always get one: pages and clients must cope
// with non-ASCII text from the start, not when a real creator signs up.
pub(crate) const NON_ASCII_FIRST_NAMES: &[&str] =
    &["Zoë", "Søren", "José", "Chloé", "Björn", "Inês", "Łucja"];
pub(crate) const FIRST_NAMES: &[&str] = &[
    "Ava", "Liam", "Maya", "Noah", "Priya", "Kwame", "Mei", "Mateo", "Yuki", "Aoife", "Ibrahim",
    "Hannah", "Lars", "Amara", "Diego", "Nora", "Ravi", "Ingrid", "Tomás", "Fatima", "Oliver",
    "Sofia", "Kenji",
];
pub(crate) const NON_ASCII_LAST_NAMES: &[&str] = &[
    "García",
    "Müller",
    "Lindqvist-Åberg",
    "Nuñez",
    "Çelik",
    "Sørensen",
];
pub(crate) const LAST_NAMES: &[&str] = &[
    "Nakamura",
    "Okafor",
    "Kowalski",
    "O'Brien",
    "Nguyen",
    "Haddad",
    "Silva",
    "Kim",
    "Johansson",
    "Rossi",
    "Dubois",
    "Patel",
    "Murphy",
    "Andersen",
    "Mensah",
    "Ivanova",
    "Fischer",
    "Tanaka",
    "Moreau",
    "Reyes",
    "Novak",
    "Chen",
    "Walsh",
    "Bianchi",
];
const BIOS: &[&str] = &[
    "I make brushes and texture packs for digital painters.",
    "Indie game developer. Sound packs, sprites and the occasional tutorial.",
    "Writer of short, practical guides about freelancing.",
    "Illustrator & teacher. Weekly sketchbook drops for members.",
    "I design Notion templates for small teams.",
    "Photographer selling Lightroom presets from my travels.",
    "Musician. Sample libraries, stems and a monthly beat club.",
    "Teaching Rust and systems programming, one course at a time.",
    "Knitting patterns <3 & cosy things for cold evenings.",
];
const OTHER_CURRENCIES: &[&str] = &["eur", "gbp", "jpy"];
/// Creator n gets entry n modulo the length; taken by index rather than drawn, so creators' other seeded
/// values stay what they were before time zones existed.
const TIME_ZONES: &[&str] = &[
    "America/New_York",
    "Asia/Kolkata",
    "Europe/London",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "America/Chicago",
    "Africa/Lagos",
    "Australia/Adelaide",
    "Europe/Madrid",
];

/// A stable stream for a named purpose, so adding a new kind of seeded data never changes existing data.
pub(crate) fn rng_for(seed: u64, purpose: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

const CREATORS_STREAM: u64 = 1;
pub(crate) const APPS_STREAM: u64 = 2;
// 3 is the catalogue's (`catalog::seed`).
/// Seeded sales, one stream per creator (`rng_for(seed ^ index, SALES_STREAM)`).
pub(crate) const SALES_STREAM: u64 = 4;
/// The extra sales of `SimConfig::extra_sales`, so asking for them never changes the default ones.
pub(crate) const EXTRA_SALES_STREAM: u64 = 5;

/// `count` creators with unique names, usernames, emails and ids.
pub(crate) fn creators(seed: u64, count: usize) -> Vec<SeededCreator> {
    let mut rng = rng_for(seed, CREATORS_STREAM);
    let mut out: Vec<SeededCreator> = Vec::with_capacity(count);
    for index in 0..count {
        let creator = creator(&mut rng, index, &out);
        out.push(creator);
    }
    out
}

fn creator(rng: &mut ChaCha8Rng, index: usize, taken: &[SeededCreator]) -> SeededCreator {
    let (first, last) = unique_name(rng, index, taken);
    let folded_first = fold_ascii(first);
    let folded_last = fold_ascii(last);
    let username = unique(
        rng,
        &format!("{folded_first}{folded_last}"),
        20,
        |c| c.username.as_str(),
        taken,
    );
    let local_part = unique(
        rng,
        &format!("{folded_first}.{folded_last}"),
        40,
        |c| local_part(&c.email),
        taken,
    );
    let id = unique_id(rng, ids::numeric_user_id_from, |c| c.id.as_str(), taken);
    let user_id = unique_id(rng, ids::external_id_from, |c| c.user_id.as_str(), taken);
    SeededCreator {
        id,
        user_id,
        name: format!("{first} {last}"),
        email: format!("{local_part}@example.com"),
        bio: rng.random_bool(0.85).then(|| pick(rng, BIOS).to_owned()),
        twitter_handle: twitter_handle(rng, index, &folded_first, &folded_last),
        currency_type: currency(rng, index).to_owned(),
        username,
        time_zone: TIME_ZONES[index % TIME_ZONES.len()].to_owned(),
    }
}

/// The first creator always has a non-ASCII name; later ones draw from everything. Names repeat only once
/// the lists run out (hundreds of creators); usernames, emails and ids never do.
fn unique_name(
    rng: &mut ChaCha8Rng,
    index: usize,
    taken: &[SeededCreator],
) -> (&'static str, &'static str) {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (first, last) = if index == 0 {
            (pick(rng, NON_ASCII_FIRST_NAMES), pick(rng, LAST_NAMES))
        } else if rng.random_bool(0.25) {
            (pick(rng, FIRST_NAMES), pick(rng, NON_ASCII_LAST_NAMES))
        } else if rng.random_bool(0.2) {
            (pick(rng, NON_ASCII_FIRST_NAMES), pick(rng, LAST_NAMES))
        } else {
            (pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES))
        };
        let name = format!("{first} {last}");
        if attempts > 100 || !taken.iter().any(|c| c.name == name) {
            return (first, last);
        }
    }
}

/// The first creator has a handle and the second none, so both `/v2/user` shapes exist with the default
/// three creators; the rest are random.
fn twitter_handle(rng: &mut ChaCha8Rng, index: usize, first: &str, last: &str) -> Option<String> {
    let has_handle = match index {
        0 => true,
        1 => false,
        _ => rng.random_bool(0.6),
    };
    has_handle.then(|| {
        let mut handle = format!("{first}_{last}");
        handle.truncate(15);
        handle
    })
}

/// Mostly USD; the first two creators always, so demos start in the common case.
fn currency(rng: &mut ChaCha8Rng, index: usize) -> &'static str {
    if index < 2 || rng.random_bool(0.8) {
        "usd"
    } else {
        pick(rng, OTHER_CURRENCIES)
    }
}

fn pick(rng: &mut ChaCha8Rng, list: &[&'static str]) -> &'static str {
    list.choose(rng).copied().unwrap_or("Alex")
}

fn local_part(email: &str) -> &str {
    email.split('@').next().unwrap_or(email)
}

/// `base` cut to `max` characters, with a number appended until no existing creator has it.
fn unique(
    rng: &mut ChaCha8Rng,
    base: &str,
    max: usize,
    field: impl Fn(&SeededCreator) -> &str,
    taken: &[SeededCreator],
) -> String {
    let mut base: String = base.chars().take(max).collect();
    if base.len() < 3 {
        base.push_str("creator");
    }
    let mut candidate = base.clone();
    while taken.iter().any(|c| field(c) == candidate) {
        candidate = format!(
            "{}{}",
            &base[..base.len().min(max - 4)],
            rng.random_range(10..10_000)
        );
    }
    candidate
}

fn unique_id(
    rng: &mut ChaCha8Rng,
    make: impl Fn(&mut ChaCha8Rng) -> String,
    field: impl Fn(&SeededCreator) -> &str,
    taken: &[SeededCreator],
) -> String {
    loop {
        let id = make(rng);
        if !taken.iter().any(|c| field(c) == id) {
            return id;
        }
    }
}

/// Lowercase ASCII letters and digits only, with the seed names' diacritics mapped to their base letters
/// (usernames and emails stay ASCII, as Gumroad requires for usernames).
pub(crate) fn fold_ascii(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'á' | 'à' | 'â' | 'ä' | 'å' | 'ã' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'í' | 'ì' | 'î' | 'ï' => Some('i'),
            'ó' | 'ò' | 'ô' | 'ö' | 'ø' | 'õ' => Some('o'),
            'ú' | 'ù' | 'û' | 'ü' => Some('u'),
            'ñ' => Some('n'),
            'ç' => Some('c'),
            'ł' => Some('l'),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn folding_keeps_usernames_ascii() {
        assert_eq!(fold_ascii("Zoë"), "zoe");
        assert_eq!(fold_ascii("Lindqvist-Åberg"), "lindqvistaberg");
        assert_eq!(fold_ascii("O'Brien"), "obrien");
    }

    #[test]
    fn many_creators_stay_unique() {
        let creators = creators(7, 200);
        for (i, a) in creators.iter().enumerate() {
            for b in &creators[i + 1..] {
                assert_ne!(a.username, b.username);
                assert_ne!(a.email, b.email);
                assert_ne!(a.id, b.id);
                assert_ne!(a.user_id, b.user_id);
                assert_ne!(a.name, b.name);
            }
            assert!(
                a.username.len() <= 20 && a.username.bytes().all(|b| b.is_ascii_alphanumeric())
            );
        }
        assert!(!creators[0].name.is_ascii());
        assert!(creators[0].twitter_handle.is_some() && creators[1].twitter_handle.is_none());
        for creator in &creators {
            assert!(
                creator.time_zone.parse::<chrono_tz::Tz>().is_ok(),
                "{}",
                creator.time_zone
            );
        }
    }
}
