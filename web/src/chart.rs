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
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
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
