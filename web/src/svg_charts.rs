//! Charts drawn with plotters into SVG text, which the components embed.

use plotters::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use spotplan_core::PriceRate;

/// One line of a cost-over-time chart: a label and the price it grows at.
#[derive(Debug, Clone)]
pub struct CostSeries {
    /// The legend label.
    pub label: String,
    /// The price per instance.
    pub rate: PriceRate,
}

/// Draws total cost against running hours (0 to `max_hours`) for each series, as an SVG document.
/// The amounts are computed exactly by the core; only the pixel positions are floating point.
pub fn cost_over_time_svg(series: &[CostSeries], max_hours: u32, width: u32, height: u32) -> Result<String, String> {
    let points: Vec<(String, Vec<(f64, f64)>)> = series
        .iter()
        .map(|line| {
            let points = (0..=max_hours)
                .filter_map(|hour| {
                    let cost = line.rate.cost_for_seconds(u64::from(hour) * 3600).ok()?;
                    Some((f64::from(hour), cost.amount.to_f64()?))
                })
                .collect();
            (line.label.clone(), points)
        })
        .collect();
    let top = points
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..f64::from(max_hours), 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("hours")
            .y_desc("total cost")
            .draw()
            .map_err(|e| e.to_string())?;
        let palette = [
            RGBColor(0xff, 0x6a, 0x00),
            RGBColor(0x00, 0x6e, 0xff),
            RGBColor(0x2b, 0x2b, 0xd0),
        ];
        for (index, (label, line)) in points.into_iter().enumerate() {
            let color = palette[index % palette.len()];
            chart
                .draw_series(LineSeries::new(line, color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
        }
        draw_legend_and_present(&mut chart, &root)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::{Currency, Money, TimeUnit};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn draws_one_path_per_series_with_its_legend() {
        let rate = PriceRate::new(Money::parse("0.31", Currency::Cny).unwrap(), TimeUnit::Hour);
        let svg = cost_over_time_svg(
            &[CostSeries {
                label: "S6.MEDIUM4".into(),
                rate,
            }],
            24,
            400,
            240,
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("S6.MEDIUM4"));
        assert!(svg.contains("<polyline"));
    }
}

/// One candidate's totals for the comparison chart: label, expected spot total, on-demand total (when known).
#[derive(Debug, Clone, PartialEq)]
pub struct CostBar {
    /// The label under the bars.
    pub label: String,
    /// Expected spot total.
    pub expected: f64,
    /// On-demand total.
    pub on_demand: Option<f64>,
}

/// Bars of expected spot cost (and on-demand cost beside it) for the best candidates.
pub fn cost_bars_svg(bars: &[CostBar], currency: &str, width: u32, height: u32) -> Result<String, String> {
    let top = bars
        .iter()
        .map(|b| b.on_demand.unwrap_or(0.0).max(b.expected))
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let count = bars.len().max(1) as f64;
        let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
        // Bar i is centred on x = i, so its label sits under it.
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5..count - 0.5, 0.0..top)
            .map_err(|e| e.to_string())?;
        let label_of = |x: &f64| {
            if (x - x.round()).abs() < 1e-6 && *x >= 0.0 {
                labels.get(x.round() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len().max(1))
            .x_label_formatter(&label_of)
            .y_desc(format!("total ({currency})"))
            .draw()
            .map_err(|e| e.to_string())?;
        let spot = RGBColor(0x0b, 0x5f, 0xff);
        let list = RGBColor(0xb8, 0xbf, 0xca);
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
                b.on_demand
                    .map(|v| Rectangle::new([(i as f64 - 0.35, 0.0), (i as f64, v)], list.filled()))
            }))
            .map_err(|e| e.to_string())?
            .label("on-demand")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], list.filled()));
        chart
            .draw_series(
                bars.iter()
                    .enumerate()
                    .map(|(i, b)| Rectangle::new([(i as f64, 0.0), (i as f64 + 0.35, b.expected)], spot.filled())),
            )
            .map_err(|e| e.to_string())?
            .label("expected spot")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], spot.filled()));
        draw_legend_and_present(&mut chart, &root)?;
    }
    Ok(svg)
}

/// A price history as a step line (hours since its first point), with the bid and on-demand levels and the
/// look-back window the advice rests on shaded.
pub fn history_svg(
    points: &[(f64, f64)],
    bid: Option<f64>,
    on_demand: Option<f64>,
    unit: &str,
    width: u32,
    height: u32,
) -> Result<String, String> {
    let last_x = points.last().map_or(1.0, |(x, _)| *x).max(1.0);
    let top = points
        .iter()
        .map(|(_, y)| *y)
        .chain(bid)
        .chain(on_demand)
        .fold(0.0_f64, f64::max)
        .max(0.001)
        * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..last_x, 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("days in the look-back window")
            .y_desc(unit)
            .draw()
            .map_err(|e| e.to_string())?;
        let window = RGBColor(0xe6, 0xef, 0xff);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, 0.0), (last_x, top)],
                window.mix(0.5).filled(),
            )))
            .map_err(|e| e.to_string())?
            .label("look-back window")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], window.filled()));
        let mut step = Vec::new();
        for (index, (x, y)) in points.iter().enumerate() {
            if index > 0 {
                step.push((*x, points[index - 1].1));
            }
            step.push((*x, *y));
        }
        let market = RGBColor(0x0b, 0x5f, 0xff);
        chart
            .draw_series(LineSeries::new(step, market.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label("market price")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], market.stroke_width(2)));
        for (level, label, color) in [
            (bid, "your bid", RGBColor(0xd0, 0x2b, 0x2b)),
            (on_demand, "on-demand", RGBColor(0x5b, 0x64, 0x75)),
        ] {
            if let Some(level) = level {
                chart
                    .draw_series(LineSeries::new(
                        vec![(0.0, level), (last_x, level)],
                        color.stroke_width(2),
                    ))
                    .map_err(|e| e.to_string())?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
            }
        }
        draw_legend_and_present(&mut chart, &root)?;
    }
    Ok(svg)
}

/// The legend every chart shows, then the finished SVG written out.
fn draw_legend_and_present<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    root: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
