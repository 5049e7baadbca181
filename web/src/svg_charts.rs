//! Charts drawn with plotters into SVG text, which the components embed.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rust_decimal::prelude::ToPrimitive;
use spotplan_core::PriceRate;

use crate::i18n::Lang;

/// A chart's words in the page's language.
fn say(lang: Lang, en: &'static str, zh: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// Text large enough to read when a 760 px chart is shown on a 390 px phone.
const FONT: (&str, u32) = ("sans-serif", 17);
/// Room above the data for the legend: the y axis runs to this multiple of the highest value.
const HEADROOM: f64 = 1.5;
/// Colour and dash (`None`: solid) of each line, in series order: distinct in hue and in style.
const LINE_STYLES: [(RGBColor, Option<(u32, u32)>); 3] = [
    (RGBColor(0x0b, 0x5f, 0xff), None),
    (RGBColor(0x3a, 0x3f, 0x4a), Some((10, 6))),
    (RGBColor(0xd0, 0x2b, 0x2b), Some((3, 4))),
];

/// One line of a cost-over-time chart: a label and the price it grows at.
#[derive(Debug, Clone)]
pub struct CostSeries {
    /// The legend label.
    pub label: String,
    /// The price per instance.
    pub rate: PriceRate,
}

/// Draws total cost against running hours (0 to `max_hours`) for each series, as an SVG document, with the job's
/// own length marked. Each series has its own colour and line style (solid, dashed, dotted), so lines that run
/// close together stay apart. The amounts are computed exactly by the core; only the pixel positions are floating
/// point.
pub fn cost_over_time_svg(
    series: &[CostSeries],
    max_hours: u32,
    job_hours: Option<f64>,
    currency: &str,
    lang: Lang,
    width: u32,
    height: u32,
) -> Result<String, String> {
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
        * HEADROOM;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = framed(&root)
            .build_cartesian_2d(0.0..f64::from(max_hours), 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .label_style(FONT)
            .axis_desc_style(FONT)
            .x_desc(say(lang, "hours", "小时"))
            .y_desc(match lang {
                Lang::En => format!("total cost ({currency})"),
                Lang::Zh => format!("总费用（{currency}）"),
            })
            .draw()
            .map_err(|e| e.to_string())?;
        if let Some(job) = job_hours {
            let mark = RGBColor(0x8a, 0x4b, 0x00);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(job, 0.0), (job, top / HEADROOM)],
                    6,
                    4,
                    mark.stroke_width(1),
                ))
                .map_err(|e| e.to_string())?
                .label(match lang {
                    Lang::En => format!("your job: {job} h"),
                    Lang::Zh => format!("你的作业：{job} 小时"),
                })
                .legend(move |(x, y)| PathElement::new(vec![(x + 8, y - 6), (x + 8, y + 6)], mark.stroke_width(1)));
        }
        for (index, (label, line)) in points.into_iter().enumerate() {
            let (color, dash) = LINE_STYLES[index % LINE_STYLES.len()];
            let style = color.stroke_width(if dash.is_none() { 3 } else { 2 });
            let series = match dash {
                None => chart.draw_series(LineSeries::new(line, style)),
                Some((size, gap)) => chart.draw_series(DashedLineSeries::new(line, size, gap, style)),
            };
            series
                .map_err(|e| e.to_string())?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
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
            Some(12.0),
            "CNY",
            Lang::En,
            400,
            240,
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("S6.MEDIUM4"));
        assert!(svg.contains("your job: 12 h"));
        assert!(svg.contains("total cost (CNY)"));
        assert!(svg.contains("<polyline"));
    }

    #[test]
    fn bar_names_alternate_rows_only_when_the_widest_would_run_into_its_neighbour() {
        // 108 px a bar (six bars in the 760 px chart): "ECS e-c1m2.xlarge" (17 characters, about 119 px at 14 px)
        // does not fit, so neighbours take turns; "t5-c1m2.xlarge" (14 characters, about 98 px) does.
        assert_eq!(
            label_rows(&["ECS e-c1m2.xlarge", "CVM SA2.LARGE8", "ECS c6.large"], 108),
            vec![0, 1, 0]
        );
        assert_eq!(
            label_rows(&["t5-c1m2.xlarge", "c7.large", "g7.xlarge"], 108),
            vec![0, 0, 0]
        );
        // One bar has no neighbour.
        assert_eq!(label_rows(&["ECS e-c1m2.xlarge"], 40), vec![0]);
    }

    #[test]
    fn bars_name_their_zone_and_the_history_draws_the_bid_over_the_market() {
        let bars = cost_bars_svg(
            &[CostBar {
                label: "ECS c7.large".into(),
                place: "cn-hangzhou-k".into(),
                expected: 20.0,
                on_demand: Some(90.0),
            }],
            "CNY",
            Lang::En,
            400,
            240,
        )
        .unwrap();
        assert!(bars.contains("cn-hangzhou-k") && bars.contains("total (CNY)"));
        let history = history_svg(
            &[(0.0, 0.025), (24.0, 0.025)],
            Some(0.025),
            Some(0.13),
            "USD per hour",
            Lang::En,
            400,
            240,
        )
        .unwrap();
        let (market, bid) = (history.find("market price").unwrap(), history.find("your bid").unwrap());
        assert!(
            history.find("on-demand").unwrap() < market && market < bid,
            "drawing order: on-demand, market, bid"
        );
    }
}

/// One candidate's totals for the comparison chart: label, expected spot total, on-demand total (when known).
#[derive(Debug, Clone, PartialEq)]
pub struct CostBar {
    /// The label under the bars.
    pub label: String,
    /// The zone (or region), written above the bars.
    pub place: String,
    /// Expected spot total.
    pub expected: f64,
    /// On-demand total.
    pub on_demand: Option<f64>,
}

/// Bars of expected spot cost (and on-demand cost beside it) for the best candidates.
pub fn cost_bars_svg(bars: &[CostBar], currency: &str, lang: Lang, width: u32, height: u32) -> Result<String, String> {
    let top = bars
        .iter()
        .map(|b| b.on_demand.unwrap_or(0.0).max(b.expected))
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * HEADROOM;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let count = bars.len().max(1) as f64;
        // Bar i is centred on x = i, so its label sits under it.
        let mut chart = framed(&root)
            .build_cartesian_2d(-0.5..count - 0.5, 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .label_style(("sans-serif", 14))
            .axis_desc_style(FONT)
            .y_desc(match lang {
                Lang::En => format!("total ({currency})"),
                Lang::Zh => format!("总计（{currency}）"),
            })
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
            .label(say(lang, "on-demand", "按量"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], list.filled()));
        chart
            .draw_series(
                bars.iter()
                    .enumerate()
                    .map(|(i, b)| Rectangle::new([(i as f64, 0.0), (i as f64 + 0.35, b.expected)], spot.filled())),
            )
            .map_err(|e| e.to_string())?
            .label(say(lang, "expected spot", "预期竞价"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], spot.filled()));
        let place_style = ("sans-serif", 13)
            .into_font()
            .color(&RGBColor(0x3a, 0x3f, 0x4a))
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let height = b.on_demand.unwrap_or(0.0).max(b.expected);
                Text::new(b.place.clone(), (i as f64, height + top * 0.02), place_style.clone())
            }))
            .map_err(|e| e.to_string())?;
        let names: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        draw_bar_names(&chart, &root, &names)?;
        draw_legend_and_present(&mut chart, &root)?;
    }
    Ok(svg)
}

/// Writes each bar's name under it (bar i is centred on x = i), on the rows [`label_rows`] gives.
fn draw_bar_names<'a>(
    chart: &ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    root: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
    names: &[&str],
) -> Result<(), String> {
    let slot = chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0;
    for (i, (name, row)) in names.iter().zip(label_rows(names, slot)).enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64, 0.0));
        root.draw(&Text::new(
            (*name).to_owned(),
            (x, y + 6 + row * BAR_LABEL_ROW),
            BAR_LABEL
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The font of the names under bars.
const BAR_LABEL: (&str, u32) = ("sans-serif", 14);
/// How far the second row of names sits below the first (pixels).
const BAR_LABEL_ROW: i32 = 17;

/// The row (0 or 1) of each bar's name: all on one row when the widest fits its bar's slot with a gap, otherwise
/// alternate bars' names one row lower, so neighbours neither overlap nor run together. Widths are estimated at
/// 0.5 em a character: type names (lower case, digits, dots) measure about 0.45 em in Chromium's default sans-serif.
fn label_rows(names: &[&str], slot: i32) -> Vec<i32> {
    const GAP: i32 = 8;
    let widest = names.iter().map(|name| name.chars().count()).max().unwrap_or(0) as i32 * BAR_LABEL.1 as i32 / 2;
    let stagger = names.len() > 1 && widest + GAP > slot;
    (0..names.len() as i32)
        .map(|i| if stagger { i % 2 } else { 0 })
        .collect()
}

/// A price history as a step line (hours since its first point), with the bid and on-demand levels and the
/// look-back window the advice rests on shaded.
pub fn history_svg(
    points: &[(f64, f64)],
    bid: Option<f64>,
    on_demand: Option<f64>,
    unit: &str,
    lang: Lang,
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
        * HEADROOM;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = framed(&root)
            .build_cartesian_2d(0.0..last_x, 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .label_style(FONT)
            .axis_desc_style(FONT)
            .x_desc(say(lang, "days in the look-back window", "回看窗口内的天数"))
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
            .label(say(lang, "look-back window", "回看窗口"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], window.filled()));
        let mut step = Vec::new();
        for (index, (x, y)) in points.iter().enumerate() {
            if index > 0 {
                step.push((*x, points[index - 1].1));
            }
            step.push((*x, *y));
        }
        // On-demand, then the market (solid), then the bid dashed over it: where the bid equals the market, both
        // show (red dashes with the market's blue between them) — neither hides the other.
        let level = |chart: &mut ChartContext<'_, SVGBackend<'_>, _>,
                     value: Option<f64>,
                     label: &'static str,
                     color: RGBColor,
                     dash: (u32, u32)|
         -> Result<(), String> {
            if let Some(value) = value {
                let style = color.stroke_width(2);
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(0.0, value), (last_x, value)],
                        dash.0,
                        dash.1,
                        style,
                    ))
                    .map_err(|e| e.to_string())?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
            Ok(())
        };
        level(
            &mut chart,
            on_demand,
            say(lang, "on-demand", "按量"),
            RGBColor(0x3a, 0x3f, 0x4a),
            (10, 6),
        )?;
        let market = RGBColor(0x0b, 0x5f, 0xff);
        chart
            .draw_series(LineSeries::new(step, market.stroke_width(3)))
            .map_err(|e| e.to_string())?
            .label(say(lang, "market price", "市场价"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], market.stroke_width(3)));
        level(
            &mut chart,
            bid,
            say(lang, "your bid", "你的出价"),
            RGBColor(0xd0, 0x2b, 0x2b),
            (6, 6),
        )?;
        draw_legend_and_present(&mut chart, &root)?;
    }
    Ok(svg)
}

/// Every chart's frame: a margin and room for readable axis labels.
fn framed<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder.margin(12).x_label_area_size(44).y_label_area_size(84);
    builder
}

/// The legend every chart shows, then the finished SVG written out.
fn draw_legend_and_present<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    root: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
) -> Result<(), String> {
    // Upper left, in the headroom above the data.
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(FONT)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(0xb8, 0xbf, 0xca))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// One pool of a fleet's split: its label (type), place (zone or region) and instances.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitBar {
    /// The label under the bar.
    pub label: String,
    /// The zone or region, written above the bar.
    pub place: String,
    /// Instances.
    pub instances: u32,
}

/// Bars of a fleet's instances per pool, in the strategy's order. With more than eight pools the bars are
/// numbered (the table's order) instead of named, so the labels stay readable.
pub fn split_bars_svg(bars: &[SplitBar], lang: Lang, width: u32, height: u32) -> Result<String, String> {
    let top = (bars.iter().map(|b| b.instances).max().unwrap_or(1).max(1) as f64) * HEADROOM;
    let named = bars.len() <= 8;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let count = bars.len().max(1) as f64;
        let labels: Vec<String> = bars
            .iter()
            .enumerate()
            .map(|(i, b)| if named { b.label.clone() } else { format!("#{}", i + 1) })
            .collect();
        let mut chart = framed(&root)
            .build_cartesian_2d(-0.5..count - 0.5, 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_label_formatter(&|y: &f64| {
                if y.fract().abs() < 1e-9 {
                    format!("{y:.0}")
                } else {
                    String::new()
                }
            })
            .label_style(("sans-serif", 14))
            .axis_desc_style(FONT)
            .y_desc(say(lang, "instances", "实例数"))
            .draw()
            .map_err(|e| e.to_string())?;
        let fill = RGBColor(0x0b, 0x5f, 0xff);
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                Rectangle::new(
                    [(i as f64 - 0.3, 0.0), (i as f64 + 0.3, f64::from(b.instances))],
                    fill.filled(),
                )
            }))
            .map_err(|e| e.to_string())?
            .label(say(lang, "instances", "实例数"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], fill.filled()));
        if named {
            let place_style = ("sans-serif", 13)
                .into_font()
                .color(&RGBColor(0x3a, 0x3f, 0x4a))
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            chart
                .draw_series(bars.iter().enumerate().map(|(i, b)| {
                    Text::new(
                        format!("{} · {}", b.instances, b.place),
                        (i as f64, f64::from(b.instances) + top * 0.02),
                        place_style.clone(),
                    )
                }))
                .map_err(|e| e.to_string())?;
        }
        let names: Vec<&str> = labels.iter().map(String::as_str).collect();
        draw_bar_names(&chart, &root, &names)?;
        draw_legend_and_present(&mut chart, &root)?;
    }
    Ok(svg)
}

/// A pool on the chart of price against reclaim rate.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierDot {
    /// Reclaims per instance-hour, when known.
    pub hazard_per_hour: Option<f64>,
    /// Price per unit-hour.
    pub per_unit: f64,
    /// Whether the plan uses the pool.
    pub chosen: bool,
}

/// Where the dots of a frontier chart sit.
#[derive(Debug, Clone, PartialEq)]
struct FrontierLayout {
    /// (x, y, chosen) of each dot.
    placed: Vec<(f64, f64, bool)>,
    /// Where the known rates' part of the axis ends.
    known_end: f64,
    /// The band of unknown risk, right of it.
    band: (f64, f64),
}

/// Where a dot sits on the x axis: its rate, or — when its risk is unknown — inside the band right of every known
/// rate (spread a little so dots do not hide each other), never at zero.
fn frontier_layout(dots: &[FrontierDot]) -> FrontierLayout {
    let known_max = dots
        .iter()
        .filter_map(|dot| dot.hazard_per_hour)
        .fold(0.0_f64, f64::max);
    let known_end = if known_max > 0.0 { known_max * 1.1 } else { 0.01 };
    let band = (known_end * 1.1, known_end * 1.5);
    let mut unknown = 0_usize;
    let placed = dots
        .iter()
        .map(|dot| {
            let x = dot.hazard_per_hour.unwrap_or_else(|| {
                unknown += 1;
                let spread = ((unknown * 37) % 100) as f64 / 100.0;
                band.0 + (band.1 - band.0) * (0.15 + 0.7 * spread)
            });
            (x, dot.per_unit, dot.chosen)
        })
        .collect();
    FrontierLayout {
        placed,
        known_end,
        band,
    }
}

/// Price per unit-hour against reclaims per hour for the pools of a fleet plan's frontier: chosen pools filled,
/// the others hollow; pools of unknown risk in a shaded band of their own.
pub fn frontier_svg(
    dots: &[FrontierDot],
    price_label: &str,
    lang: Lang,
    width: u32,
    height: u32,
) -> Result<String, String> {
    let FrontierLayout {
        placed,
        known_end,
        band,
    } = frontier_layout(dots);
    let top = dots.iter().map(|dot| dot.per_unit).fold(0.0_f64, f64::max).max(0.001) * HEADROOM;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let right = band.1 * 1.02;
        let mut chart = framed(&root)
            .build_cartesian_2d(0.0..right, 0.0..top)
            .map_err(|e| e.to_string())?;
        let x_label = |x: &f64| {
            if *x <= known_end {
                format!("{x:.4}")
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(5)
            .x_label_formatter(&x_label)
            .label_style(("sans-serif", 14))
            .axis_desc_style(FONT)
            .x_desc(say(lang, "reclaims per instance-hour", "每实例小时回收次数"))
            .y_desc(price_label)
            .draw()
            .map_err(|e| e.to_string())?;
        let grey = RGBColor(0xe4, 0xe7, 0xec);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(band.0, 0.0), (band.1, top)],
                grey.filled(),
            )))
            .map_err(|e| e.to_string())?
            .label(say(lang, "risk unknown", "风险未知"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], grey.filled()));
        let band_text = ("sans-serif", 13)
            .into_font()
            .color(&RGBColor(0x3a, 0x3f, 0x4a))
            .pos(Pos::new(HPos::Center, VPos::Top));
        chart
            .draw_series(std::iter::once(Text::new(
                say(lang, "risk unknown", "风险未知"),
                ((band.0 + band.1) / 2.0, top * 0.95),
                band_text,
            )))
            .map_err(|e| e.to_string())?;
        let other = RGBColor(0x5b, 0x64, 0x75);
        chart
            .draw_series(
                placed
                    .iter()
                    .filter(|(_, _, chosen)| !chosen)
                    .map(|(x, y, _)| Circle::new((*x, *y), 4, other.stroke_width(1))),
            )
            .map_err(|e| e.to_string())?
            .label(say(lang, "eligible", "可用"))
            .legend(move |(x, y)| Circle::new((x + 6, y), 4, other.stroke_width(1)));
        let chosen = RGBColor(0x0b, 0x5f, 0xff);
        chart
            .draw_series(
                placed
                    .iter()
                    .filter(|(_, _, chosen)| *chosen)
                    .map(|(x, y, _)| Circle::new((*x, *y), 6, chosen.filled())),
            )
            .map_err(|e| e.to_string())?
            .label(say(lang, "chosen", "已选"))
            .legend(move |(x, y)| Circle::new((x + 6, y), 6, chosen.filled()));
        draw_legend_and_present(&mut chart, &root)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod fleet_chart_tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn unknown_risk_sits_in_its_own_band_never_at_zero() {
        let dots = [
            FrontierDot {
                hazard_per_hour: Some(0.002),
                per_unit: 0.1,
                chosen: true,
            },
            FrontierDot {
                hazard_per_hour: None,
                per_unit: 0.08,
                chosen: false,
            },
            FrontierDot {
                hazard_per_hour: None,
                per_unit: 0.09,
                chosen: true,
            },
        ];
        let FrontierLayout {
            placed,
            known_end,
            band,
        } = frontier_layout(&dots);
        assert_eq!(placed[0].0, 0.002);
        for (x, _, _) in &placed[1..] {
            assert!(*x > known_end && *x > band.0 && *x < band.1, "{x} in {band:?}");
        }
        // Every risk unknown: the band still lies right of zero.
        let FrontierLayout { placed, band, .. } = frontier_layout(&dots[1..]);
        assert!(band.0 > 0.0 && placed.iter().all(|(x, _, _)| *x >= band.0));
        let svg = frontier_svg(&dots, "CNY per unit-hour", Lang::En, 400, 240).unwrap();
        assert!(svg.contains("risk unknown") && svg.contains("chosen"));
        assert_eq!(svg.matches("<circle").count(), 3 + 2, "three dots and two legend marks");
        let bars = split_bars_svg(
            &[SplitBar {
                label: "ecs.c7.large".into(),
                place: "cn-hangzhou-k".into(),
                instances: 4,
            }],
            Lang::Zh,
            400,
            240,
        )
        .unwrap();
        assert!(bars.contains("4 · cn-hangzhou-k"));
        assert!(bars.contains("实例数"), "the axis in the page's language");
    }
}
