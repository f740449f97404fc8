//! Date ranges of the overview, in the creator's days: the headline periods and their predecessors, the
//! chart's range presets, and how a range is cut into buckets (days, weeks or months).

use chrono::{Datelike, Duration, NaiveDate};

/// An inclusive range of days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        Self { from, to }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length just before this one: what "up 12%" compares with.
    pub fn previous(&self) -> Self {
        let length = Duration::days(self.days());
        Self::new(self.from - length, self.to - length)
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// The headline periods, all ending today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Headline {
    Today,
    Last7Days,
    Last30Days,
    ThisMonth,
}

impl Headline {
    pub const ALL: [Headline; 4] = [
        Headline::Today,
        Headline::Last7Days,
        Headline::Last30Days,
        Headline::ThisMonth,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Today => "Today",
            Self::Last7Days => "Last 7 days",
            Self::Last30Days => "Last 30 days",
            Self::ThisMonth => "This month",
        }
    }

    pub fn period(self, today: NaiveDate) -> Period {
        let from = match self {
            Self::Today => today,
            Self::Last7Days => today - Duration::days(6),
            Self::Last30Days => today - Duration::days(29),
            Self::ThisMonth => today.with_day(1).unwrap_or(today),
        };
        Period::new(from, today)
    }
}

/// The chart's range: a preset ending today, or days the creator picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChartRange {
    Last7Days,
    Last30Days,
    Last90Days,
    Last12Months,
    AllTime,
    Custom(Period),
}

/// Why a custom range was refused, in words for the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("Enter a date as YYYY-MM-DD.")]
    BadDate,
    #[error("The start must not be after the end.")]
    Reversed,
    #[error("Pick a range of at most 20 years.")]
    TooLong,
    #[error("Pick dates between 1970 and next year.")]
    OutOfBounds,
}

/// The days a custom range may touch: Gumroad has no sales before it existed, and none from the far
/// future. Bounding them keeps every date computation and every query well inside what chrono and
/// PostgreSQL can represent.
fn within_bounds(day: NaiveDate, today: NaiveDate) -> bool {
    let earliest = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    earliest <= day && day <= today + Duration::days(366)
}

/// At most this many bars: a hard stop whatever the range (months over 20 years are 241).
pub const MAX_BUCKETS: usize = 400;

impl ChartRange {
    /// Presets by their URL name; `None` for anything else (the caller falls back to the default).
    pub fn preset(name: &str) -> Option<Self> {
        Some(match name {
            "7d" => Self::Last7Days,
            "30d" => Self::Last30Days,
            "90d" => Self::Last90Days,
            "12m" => Self::Last12Months,
            "all" => Self::AllTime,
            _ => return None,
        })
    }

    pub const PRESETS: [(&'static str, &'static str); 5] = [
        ("7d", "7 days"),
        ("30d", "30 days"),
        ("90d", "90 days"),
        ("12m", "12 months"),
        ("all", "All time"),
    ];

    /// A range the creator typed: both dates, in order, between 1970 and next year, and not absurdly
    /// long.
    pub fn custom(from: &str, to: &str, today: NaiveDate) -> Result<Self, RangeError> {
        let parse = |text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| RangeError::BadDate)
        };
        let (from, to) = (parse(from)?, parse(to)?);
        if !within_bounds(from, today) || !within_bounds(to, today) {
            return Err(RangeError::OutOfBounds);
        }
        if from > to {
            return Err(RangeError::Reversed);
        }
        let period = Period::new(from, to);
        if period.days() > 366 * 20 {
            return Err(RangeError::TooLong);
        }
        Ok(Self::Custom(period))
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Last7Days => "7d",
            Self::Last30Days => "30d",
            Self::Last90Days => "90d",
            Self::Last12Months => "12m",
            Self::AllTime => "all",
            Self::Custom(_) => "custom",
        }
    }

    /// The days covered. "All time" starts at the creator's first sale (`first_day`), or today.
    pub fn period(self, today: NaiveDate, first_day: Option<NaiveDate>) -> Period {
        let back = |days: i64| Period::new(today - Duration::days(days - 1), today);
        match self {
            Self::Last7Days => back(7),
            Self::Last30Days => back(30),
            Self::Last90Days => back(90),
            Self::Last12Months => Period::new(
                first_of_month(today)
                    .checked_sub_months(chrono::Months::new(11))
                    .unwrap_or(today),
                today,
            ),
            Self::AllTime => Period::new(first_day.unwrap_or(today).min(today), today),
            Self::Custom(period) => period,
        }
    }
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// How many days one bar of the chart holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Day,
    /// Weeks start on Monday (ISO).
    Week,
    Month,
}

impl Bucket {
    /// Days up to about two months, weeks up to about a year and a half, months beyond: at most
    /// about 80 bars, legible on a phone.
    pub fn for_period(period: Period) -> Self {
        match period.days() {
            ..=62 => Self::Day,
            63..=550 => Self::Week,
            _ => Self::Month,
        }
    }

    /// The first day of the bucket holding `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => day,
            Self::Week => day
                .checked_sub_days(chrono::Days::new(u64::from(
                    day.weekday().num_days_from_monday(),
                )))
                .unwrap_or(day),
            Self::Month => first_of_month(day),
        }
    }

    /// The buckets' first days, covering `period` in order (the first may start before it); never more
    /// than [`MAX_BUCKETS`], and never past the last representable date.
    pub fn starts(self, period: Period) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut next = Some(self.start_of(period.from));
        while let Some(day) = next.filter(|d| *d <= period.to && out.len() < MAX_BUCKETS) {
            out.push(day);
            next = match self {
                Self::Day => day.checked_add_days(chrono::Days::new(1)),
                Self::Week => day.checked_add_days(chrono::Days::new(7)),
                Self::Month => day.checked_add_months(chrono::Months::new(1)),
            };
        }
        out
    }

    /// The PostgreSQL `date_trunc` field of the bucket.
    pub fn sql_field(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// The change from `before` to `now` in percent, rounded; `None` when there was nothing before.
pub fn percent_change(now: i64, before: i64) -> Option<i64> {
    if before == 0 {
        return None;
    }
    let change = (now - before) as f64 * 100.0 / before.abs() as f64;
    Some(change.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn headline_periods_end_today_and_compare_with_as_many_days_before() {
        let today = day("2026-11-29");
        let month = Headline::ThisMonth.period(today);
        assert_eq!(month, Period::new(day("2026-11-01"), today));
        assert_eq!(
            month.previous(),
            Period::new(day("2026-10-03"), day("2026-10-31"))
        );
        assert_eq!(
            Headline::Today.period(today).previous().from,
            day("2026-11-28")
        );
        assert_eq!(Headline::Last7Days.period(today).days(), 7);
        assert_eq!(
            Headline::Last30Days.period(today).previous(),
            Period::new(day("2026-10-01"), day("2026-10-30"))
        );
    }

    #[test]
    fn custom_ranges_are_parsed_and_refused_in_words() {
        let today = day("2026-11-29");
        assert_eq!(
            ChartRange::custom("2026-01-01", "2026-01-31", today),
            Ok(ChartRange::Custom(Period::new(
                day("2026-01-01"),
                day("2026-01-31")
            )))
        );
        assert_eq!(
            ChartRange::custom("2026-02-01", "2026-01-31", today),
            Err(RangeError::Reversed)
        );
        assert_eq!(
            ChartRange::custom("yesterday", "2026-01-31", today),
            Err(RangeError::BadDate)
        );
        assert_eq!(
            ChartRange::custom("1971-01-01", "2026-01-31", today),
            Err(RangeError::TooLong)
        );
        for (from, to) in [
            ("1900-01-01", "2026-01-31"),
            ("+262141-01-01", "+262142-12-31"),
            ("-4800-01-01", "-4799-01-01"),
            ("2026-01-01", "2028-01-01"),
        ] {
            assert_eq!(
                ChartRange::custom(from, to, today),
                Err(RangeError::OutOfBounds),
                "{from}..{to}"
            );
        }
        assert_eq!(ChartRange::preset("bogus"), None);
    }

    #[test]
    fn all_time_starts_at_the_first_sale_and_twelve_months_at_a_month_start() {
        let today = day("2026-11-29");
        assert_eq!(
            ChartRange::AllTime.period(today, Some(day("2024-03-05"))),
            Period::new(day("2024-03-05"), today)
        );
        assert_eq!(ChartRange::AllTime.period(today, None).days(), 1);
        assert_eq!(
            ChartRange::Last12Months.period(today, None).from,
            day("2025-12-01")
        );
    }

    #[test]
    fn buckets_grow_with_the_range_and_cover_it() {
        let short = Period::new(day("2026-11-01"), day("2026-11-29"));
        assert_eq!(Bucket::for_period(short), Bucket::Day);
        assert_eq!(Bucket::Day.starts(short).len(), 29);
        let year = Period::new(day("2025-12-01"), day("2026-11-29"));
        assert_eq!(Bucket::for_period(year), Bucket::Week);
        let weeks = Bucket::Week.starts(year);
        assert_eq!(weeks[0], day("2025-12-01"), "a Monday");
        assert!(weeks.iter().all(|d| d.weekday() == chrono::Weekday::Mon));
        assert!(
            *weeks.last().unwrap() <= year.to
                && *weeks.last().unwrap() + Duration::days(7) > year.to
        );
        let long = Period::new(day("2023-06-15"), day("2026-11-29"));
        assert_eq!(Bucket::for_period(long), Bucket::Month);
        let months = Bucket::Month.starts(long);
        assert_eq!(months[0], day("2023-06-01"));
        assert_eq!(months.len(), 42);
    }

    #[test]
    fn buckets_stop_at_the_end_of_time_and_at_a_hard_cap() {
        let end = Period::new(NaiveDate::MAX - Duration::days(700), NaiveDate::MAX);
        for bucket in [Bucket::Day, Bucket::Week, Bucket::Month] {
            let starts = bucket.starts(end);
            assert!(
                !starts.is_empty() && starts.len() <= MAX_BUCKETS,
                "{bucket:?}"
            );
        }
        let start = Period::new(NaiveDate::MIN, NaiveDate::MIN + Duration::days(30));
        assert!(!Bucket::Week.starts(start).is_empty());
    }

    #[test]
    fn percent_change_is_rounded_and_absent_without_a_base() {
        assert_eq!(percent_change(150, 100), Some(50));
        assert_eq!(percent_change(50, 100), Some(-50));
        assert_eq!(percent_change(1, 3), Some(-67));
        assert_eq!(percent_change(5, 0), None);
    }
}
