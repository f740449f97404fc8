//! Bar charts drawn on the server as inline SVG (templates/charts/bars.html): geometry only, no
//! JavaScript, no `style` attributes (the CSP forbids them; presentation attributes and classes
//! suffice). Every chart carries a title, a description and the same numbers as a table.

/// The drawing area, in SVG user units (the `viewBox`); the page scales it to its width.
pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 240.0;
/// Room for the value labels on the left and the date labels below.
const LEFT: f64 = 64.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
/// At most this many date labels, so they never overlap.
const MAX_X_LABELS: usize = 7;

/// Round tick values from 0 to at least `max`: steps of 1, 2 or 5 times a power of ten, about `count`
/// of them. `max` of 0 (nothing sold) still gets an axis.
pub fn nice_ticks(max: i64, count: usize) -> Vec<i64> {
    let max = max.max(1);
    let raw_step = max as f64 / count.max(1) as f64;
    let magnitude = 10_f64.powf(raw_step.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw_step)
        .unwrap_or(10.0 * magnitude)
        .max(1.0)
        .round() as i64;
    let mut ticks = vec![0];
    while *ticks.last().unwrap_or(&0) < max {
        let next = ticks.last().unwrap_or(&0) + step;
        ticks.push(next);
    }
    ticks
}

/// One point of data: its label in the table and the tooltip, and its value.
pub struct Datum {
    pub label: String,
    /// The label under the bar, when there is room for few words ("Nov 29").
    pub short: String,
    pub value: i64,
    /// The value as people read it ("$1,250.00", "12").
    pub shown: String,
}

pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// The bar's tooltip (`<title>`): "Nov 29: $12.00".
    pub title: String,
}

pub struct Tick {
    /// The position along the tick's axis.
    pub at: String,
    pub label: String,
}

/// Everything the template needs to draw one chart and its table.
pub struct BarChart {
    /// For `aria-labelledby`/`aria-describedby`: unique on the page.
    pub id: String,
    pub title: String,
    pub description: String,
    /// The table's column headings: what a label is, and what a value is.
    pub label_heading: String,
    pub value_heading: String,
    pub bars: Vec<Bar>,
    pub y_ticks: Vec<Tick>,
    pub x_labels: Vec<Tick>,
    pub data: Vec<Datum>,
    pub view_box: String,
    pub left: String,
    pub right: String,
    pub baseline: String,
    pub label_y: String,
}

fn coordinate(value: f64) -> String {
    format!("{value:.1}")
}

impl BarChart {
    /// Lays out `data` as bars from left to right; `format` writes a tick's value like the data's.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: &str,
        title: String,
        description: String,
        label_heading: &str,
        value_heading: &str,
        data: Vec<Datum>,
        format: impl Fn(i64) -> String,
    ) -> Self {
        let max = data.iter().map(|d| d.value).max().unwrap_or(0);
        let ticks = nice_ticks(max, 4);
        let top_value = *ticks.last().unwrap_or(&1) as f64;
        let plot_width = WIDTH - LEFT - RIGHT;
        let plot_height = HEIGHT - TOP - BOTTOM;
        let baseline = TOP + plot_height;
        let slot = plot_width / data.len().max(1) as f64;
        // A gap between bars, unless there are so many that gaps would eat them.
        let gap = if slot > 4.0 { slot * 0.2 } else { 0.0 };
        let y_of = |value: i64| baseline - (value.max(0) as f64 / top_value) * plot_height;
        let bars = data
            .iter()
            .enumerate()
            .map(|(index, datum)| {
                let top = y_of(datum.value);
                Bar {
                    x: coordinate(LEFT + index as f64 * slot + gap / 2.0),
                    y: coordinate(top),
                    width: coordinate(slot - gap),
                    height: coordinate(baseline - top),
                    title: format!("{}: {}", datum.label, datum.shown),
                }
            })
            .collect();
        let y_ticks = ticks
            .iter()
            .map(|tick| Tick {
                at: coordinate(y_of(*tick)),
                label: format(*tick),
            })
            .collect();
        let every = data.len().div_ceil(MAX_X_LABELS).max(1);
        let x_labels = data
            .iter()
            .enumerate()
            .filter(|(index, _)| index % every == 0)
            .map(|(index, datum)| Tick {
                at: coordinate(LEFT + (index as f64 + 0.5) * slot),
                label: datum.short.clone(),
            })
            .collect();
        Self {
            id: id.to_owned(),
            title,
            description,
            label_heading: label_heading.to_owned(),
            value_heading: value_heading.to_owned(),
            bars,
            y_ticks,
            x_labels,
            data,
            view_box: format!("0 0 {WIDTH} {HEIGHT}"),
            left: coordinate(LEFT),
            right: coordinate(WIDTH - RIGHT),
            baseline: coordinate(baseline),
            label_y: coordinate(HEIGHT - 8.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_largest_value() {
        assert_eq!(nice_ticks(0, 4), vec![0, 1]);
        assert_eq!(nice_ticks(7, 4), vec![0, 2, 4, 6, 8]);
        assert_eq!(nice_ticks(100, 4), vec![0, 50, 100]);
        assert_eq!(nice_ticks(123_456, 4), vec![0, 50_000, 100_000, 150_000]);
        assert_eq!(nice_ticks(1, 4), vec![0, 1]);
        for max in [3, 19, 999, 1001, 87_654_321] {
            let ticks = nice_ticks(max, 4);
            assert!(*ticks.last().unwrap() >= max, "{max}: {ticks:?}");
            assert!(ticks.len() <= 7, "{max}: {ticks:?}");
        }
    }

    fn chart(values: &[i64]) -> BarChart {
        let data = values
            .iter()
            .enumerate()
            .map(|(i, v)| Datum {
                label: format!("d{i}"),
                short: format!("{i}"),
                value: *v,
                shown: v.to_string(),
            })
            .collect();
        BarChart::new("c", "T".into(), "D".into(), "Day", "Sales", data, |v| {
            v.to_string()
        })
    }

    #[test]
    fn bars_are_as_tall_as_their_values_and_sit_on_the_baseline() {
        let c = chart(&[0, 4, 8]);
        let heights: Vec<f64> = c.bars.iter().map(|b| b.height.parse().unwrap()).collect();
        assert_eq!(heights[0], 0.0);
        assert!((heights[2] - 2.0 * heights[1]).abs() < 0.2, "{heights:?}");
        for bar in &c.bars {
            let bottom: f64 = bar.y.parse::<f64>().unwrap() + bar.height.parse::<f64>().unwrap();
            assert!((bottom - c.baseline.parse::<f64>().unwrap()).abs() < 0.2);
        }
        assert_eq!(c.bars[1].title, "d1: 4");
    }

    #[test]
    fn bars_stay_inside_the_drawing_and_labels_are_few() {
        let c = chart(&vec![5; 90]);
        for bar in &c.bars {
            let x: f64 = bar.x.parse().unwrap();
            let w: f64 = bar.width.parse().unwrap();
            assert!(x >= LEFT - 0.1 && x + w <= WIDTH - RIGHT + 0.1);
        }
        assert!(c.x_labels.len() <= MAX_X_LABELS);
        assert_eq!(c.data.len(), 90, "the table keeps every number");
    }
}
