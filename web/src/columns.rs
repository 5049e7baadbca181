//! The comparison table's columns: what each shows, how it sorts, whether a person may hide it, and the text of
//! each cell — one definition that the table, the column picker and the CSV export all read, so the export holds
//! exactly the columns in view.

use rust_decimal::Decimal;
use spotplan_core::advice::BidAdvice;
use spotplan_core::display::{max_money2, max_unit_price, money2, unit_price};
use spotplan_core::plan::{PriceFigure, SortKey};
use spotplan_core::{Candidate, Cloud, TimeUnit};

use crate::i18n::{Key, Lang, text};

/// A column of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// Rank in the current order.
    Rank,
    /// The cloud, as a short badge.
    Cloud,
    /// Instance type.
    Type,
    /// Zone, or region for region-wide offers.
    Place,
    /// vCPUs.
    Vcpu,
    /// Memory, GiB.
    Memory,
    /// GPUs.
    Gpu,
    /// Spot price in the cloud's own currency and unit.
    SpotNative,
    /// Spot price in the display currency and unit.
    Spot,
    /// Spot price per vCPU-hour.
    PerVcpu,
    /// On-demand price in the display currency and unit.
    OnDemand,
    /// Savings against on-demand.
    Savings,
    /// Expected total for the job.
    Total,
    /// Worst-case total for the job.
    Worst,
    /// Bid advice.
    Bid,
    /// Date and age of the spot price, with the full provenance on hover.
    Age,
    /// The Choose button.
    Choose,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 17] = [
        Column::Rank,
        Column::Cloud,
        Column::Type,
        Column::Place,
        Column::Vcpu,
        Column::Memory,
        Column::Gpu,
        Column::SpotNative,
        Column::Spot,
        Column::OnDemand,
        Column::Savings,
        Column::Total,
        Column::Worst,
        Column::PerVcpu,
        Column::Bid,
        Column::Age,
        Column::Choose,
    ];

    /// A stable id: the cells' `data-col`, the remembered picker choice and the CSV header.
    pub fn id(self) -> &'static str {
        match self {
            Column::Rank => "rank",
            Column::Cloud => "cloud",
            Column::Type => "instance_type",
            Column::Place => "place",
            Column::Vcpu => "vcpu",
            Column::Memory => "memory_gib",
            Column::Gpu => "gpu",
            Column::SpotNative => "spot_native",
            Column::Spot => "spot",
            Column::PerVcpu => "per_vcpu_hour",
            Column::OnDemand => "on_demand",
            Column::Savings => "savings_percent",
            Column::Total => "expected_total",
            Column::Worst => "worst_case_total",
            Column::Bid => "bid_advice",
            Column::Age => "price_age",
            Column::Choose => "choose",
        }
    }

    /// The column with that id.
    pub fn from_id(id: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|column| column.id() == id)
    }

    /// How the column sorts, if it does.
    pub fn sort_key(self) -> Option<SortKey> {
        Some(match self {
            Column::Rank | Column::Choose => return None,
            Column::Cloud => SortKey::Cloud,
            Column::Type => SortKey::InstanceType,
            Column::Place => SortKey::Place,
            Column::Vcpu => SortKey::Vcpu,
            Column::Memory => SortKey::Memory,
            Column::Gpu => SortKey::Gpu,
            Column::SpotNative | Column::Spot => SortKey::SpotPrice,
            Column::PerVcpu => SortKey::PricePerVcpuHour,
            Column::OnDemand => SortKey::OnDemandPrice,
            Column::Savings => SortKey::Savings,
            Column::Total => SortKey::TotalExpectedCost,
            Column::Worst => SortKey::WorstCase,
            Column::Bid => SortKey::Risk,
            Column::Age => SortKey::PriceAge,
        })
    }

    /// Whether a person may hide it (rank, cloud, type and Choose identify and act on a row).
    pub fn hideable(self) -> bool {
        !matches!(self, Column::Rank | Column::Cloud | Column::Type | Column::Choose)
    }

    /// Whether it is shown until a person says otherwise.
    pub fn shown_by_default(self) -> bool {
        !matches!(self, Column::Gpu | Column::SpotNative)
    }

    /// Whether its cells are figures (right-aligned, tabular digits).
    pub fn numeric(self) -> bool {
        matches!(
            self,
            Column::Rank
                | Column::Vcpu
                | Column::Memory
                | Column::Gpu
                | Column::Spot
                | Column::PerVcpu
                | Column::OnDemand
                | Column::Savings
                | Column::Total
                | Column::Worst
        )
    }

    /// The header text.
    pub fn label(self, lang: Lang, unit_label: &str) -> String {
        let t = |key| text(lang, key).to_owned();
        match self {
            Column::Rank => "#".into(),
            Column::Cloud => t(Key::ColCloud),
            Column::Type => t(Key::ColType),
            Column::Place => t(Key::ColRegion),
            Column::Vcpu => "vCPU".into(),
            Column::Memory => "GiB".into(),
            Column::Gpu => "GPU".into(),
            Column::SpotNative => t(Key::ColSpotNative),
            Column::Spot => format!("{} {unit_label}", t(Key::ColSpotDisplay)),
            Column::PerVcpu => t(Key::ColPerVcpu),
            Column::OnDemand => format!("{} {unit_label}", t(Key::ColOnDemand)),
            Column::Savings => t(Key::ColSavings),
            Column::Total => t(Key::ColExpected),
            Column::Worst => t(Key::ColWorst),
            Column::Bid => t(Key::ColBid),
            Column::Age => t(Key::ColSource),
            Column::Choose => t(Key::Choose),
        }
    }
}

/// Which columns are in view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnChoice {
    hidden: Vec<Column>,
}

impl Default for ColumnChoice {
    fn default() -> ColumnChoice {
        ColumnChoice {
            hidden: Column::ALL.into_iter().filter(|c| !c.shown_by_default()).collect(),
        }
    }
}

impl ColumnChoice {
    /// The choice remembered as text (`hidden:a,b`); unknown ids are ignored, unhideable columns stay shown.
    pub fn parse(remembered: &str) -> ColumnChoice {
        let Some(list) = remembered.strip_prefix("hidden:") else {
            return ColumnChoice::default();
        };
        ColumnChoice {
            hidden: list
                .split(',')
                .filter_map(Column::from_id)
                .filter(|c| c.hideable())
                .collect(),
        }
    }

    /// The text to remember.
    pub fn to_text(&self) -> String {
        let ids: Vec<&str> = self.hidden.iter().map(|c| c.id()).collect();
        format!("hidden:{}", ids.join(","))
    }

    /// Whether a column is in view.
    pub fn shows(&self, column: Column) -> bool {
        !self.hidden.contains(&column)
    }

    /// The choice with one column shown or hidden.
    pub fn toggled(&self, column: Column) -> ColumnChoice {
        let mut hidden = self.hidden.clone();
        if hidden.contains(&column) {
            hidden.retain(|c| *c != column);
        } else if column.hideable() {
            hidden.push(column);
        }
        ColumnChoice { hidden }
    }

    /// The columns in view, in table order.
    pub fn visible(&self) -> Vec<Column> {
        Column::ALL.into_iter().filter(|c| self.shows(*c)).collect()
    }
}

/// A cell: its text, and the longer text shown on hover (provenance, full names), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// What the cell reads.
    pub text: String,
    /// The detail on hover.
    pub title: Option<String>,
}

impl Cell {
    fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            title: None,
        }
    }

    fn with_title(text: impl Into<String>, title: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            title: Some(title.into()),
        }
    }
}

/// A cloud's badge: a few letters people recognise (from its folder).
pub fn cloud_badge(cloud: Cloud, lang: Lang) -> &'static str {
    let (en, zh) = spotplan_core::clouds::api(cloud).names().badge;
    if lang == Lang::Zh { zh } else { en }
}

/// The cell of a column for a row (the Choose column has no text).
pub fn cell(column: Column, rank: usize, row: &Candidate, lang: Lang) -> Cell {
    let unknown = || text(lang, Key::Unknown).to_owned();
    let zh = lang == Lang::Zh;
    match column {
        Column::Rank => Cell::plain(rank.to_string()),
        Column::Cloud => {
            let name = if zh {
                row.key.cloud.display_name_zh()
            } else {
                row.key.cloud.display_name()
            };
            Cell::with_title(cloud_badge(row.key.cloud, lang), name)
        }
        Column::Type => Cell::plain(row.key.instance_type.clone()),
        Column::Place => {
            let place = match &row.key.zone {
                Some(zone) => zone.clone(),
                None if zh => format!("{}（整个地域）", row.key.region),
                None => format!("{} (region)", row.key.region),
            };
            let region = if zh { &row.region_zh } else { &row.region_en };
            Cell::with_title(place, format!("{} · {region}", row.key.region))
        }
        Column::Vcpu => Cell::plain(row.vcpu.to_string()),
        Column::Memory => Cell::plain(row.memory_gib.normalize().to_string()),
        Column::Gpu => Cell::plain(match (row.gpu_count, row.gpu_model.as_deref()) {
            (None, _) => unknown(),
            (Some(count), Some(model)) if count > 0 => format!("{count} × {model}"),
            (Some(count), _) => count.to_string(),
        }),
        Column::SpotNative => Cell::plain(match &row.spot {
            PriceFigure::Observed { native, .. } => crate::i18n::rate_text(lang, *native),
            PriceFigure::Estimated { native, .. } if zh => {
                format!("≈ {}（估算）", crate::i18n::rate_text(lang, *native))
            }
            PriceFigure::Estimated { native, .. } => format!("≈ {} (estimate)", crate::i18n::rate_text(lang, *native)),
            PriceFigure::Unknown { .. } => unknown(),
        }),
        Column::Spot => {
            let shown = row.spot_display.map(unit_price).unwrap_or_else(unknown);
            match &row.spot {
                PriceFigure::Estimated { .. } => Cell::with_title(format!("≈{shown}"), spot_provenance(row, lang)),
                _ => Cell::with_title(shown, spot_provenance(row, lang)),
            }
        }
        Column::PerVcpu => Cell::plain(
            row.per_vcpu_hour
                .map(|m| format!("{}{:.4}", m.currency.symbol(), m.rounded(4)))
                .unwrap_or_else(unknown),
        ),
        Column::OnDemand => Cell::with_title(
            row.on_demand_display.map(unit_price).unwrap_or_else(unknown),
            on_demand_provenance(row, lang),
        ),
        Column::Savings => Cell::plain(
            row.savings_percent
                .map(|s| format!("{}%", spotplan_core::display::percent1(s)))
                .unwrap_or_else(unknown),
        ),
        Column::Total => Cell::plain(row.expected_total.map(money2).unwrap_or_else(unknown)),
        Column::Worst => match &row.worst_case_bid {
            Some((_, basis)) => Cell::with_title(
                row.worst_case_total.map(max_money2).unwrap_or_else(unknown),
                match lang {
                    Lang::En => format!("every second billed at {basis}"),
                    Lang::Zh => format!(
                        "每秒均按{}计费",
                        match basis {
                            spotplan_core::plan::WorstCaseBasis::RecommendedBid => "云厂商实际接受的推荐出价",
                            spotplan_core::plan::WorstCaseBasis::OnDemandCap => "按量价格（市场价以其为上限）",
                            spotplan_core::plan::WorstCaseBasis::NewestSpotAboveList => "高于按量价格的最新竞价价格",
                        }
                    ),
                },
            ),
            None => Cell::plain(unknown()),
        },
        Column::Bid => bid_cell(row, lang),
        Column::Age => Cell::with_title(
            age(row, lang),
            format!("{} · {}", spot_provenance(row, lang), on_demand_provenance(row, lang)),
        ),
        Column::Choose => Cell::plain(""),
    }
}

/// The value a CSV export writes for a column: plain numbers for figures (no symbols or grouping), the cell's
/// text otherwise; the price-age column writes the full provenance.
pub fn csv_value(column: Column, rank: usize, row: &Candidate, lang: Lang) -> String {
    let hourly = |rate: Option<spotplan_core::PriceRate>| {
        rate.and_then(|r| r.in_unit(TimeUnit::Hour).ok())
            .map(|r| r.money.amount.normalize().to_string())
            .unwrap_or_default()
    };
    match column {
        Column::Cloud => row.key.cloud.id().to_owned(),
        Column::Place => row.key.zone.clone().unwrap_or_else(|| row.key.region.clone()),
        Column::Spot => hourly(row.spot_display),
        Column::OnDemand => hourly(row.on_demand_display),
        Column::PerVcpu => row
            .per_vcpu_hour
            .map(|m| {
                m.amount
                    .round_dp_with_strategy(6, spotplan_core::money::DISPLAY_ROUNDING)
                    .normalize()
                    .to_string()
            })
            .unwrap_or_default(),
        Column::Savings => row
            .savings_percent
            .map(|s| {
                s.round_dp_with_strategy(2, spotplan_core::money::DISPLAY_ROUNDING)
                    .normalize()
                    .to_string()
            })
            .unwrap_or_default(),
        Column::Total => row.expected_total.map(|m| m.rounded(2).to_string()).unwrap_or_default(),
        // A maximum: rounded up, never written below itself.
        Column::Worst => row
            .worst_case_total
            .map(|m| {
                m.amount
                    .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToPositiveInfinity)
                    .to_string()
            })
            .unwrap_or_default(),
        Column::Bid => match &row.bid {
            BidAdvice::Recommended { bid, risk, .. } => format!(
                "<= {} ({}% risk)",
                max_unit_price(row.bid_display.unwrap_or(*bid)),
                percent(*risk)
            ),
            BidAdvice::Unknown { .. } => crate::known::no_advice(row.key.cloud, Lang::En).0.into(),
        },
        Column::Age => cell(Column::Age, rank, row, lang).title.unwrap_or_default(),
        _ => cell(column, rank, row, lang).text,
    }
}

fn percent(share: Decimal) -> Decimal {
    spotplan_core::display::percent1(share * Decimal::from(100))
}

fn bid_cell(row: &Candidate, lang: Lang) -> Cell {
    let zh = lang == Lang::Zh;
    match &row.bid {
        BidAdvice::Recommended { bid, risk, windows, .. } => {
            let risk = percent(*risk);
            // In the table's currency and unit, as the bid field shows it.
            let shown = max_unit_price(row.bid_display.unwrap_or(*bid));
            let detail = if zh {
                format!("最高出价 {shown}：中断风险 {risk}%，基于 {windows} 个作业长度窗口")
            } else {
                format!("bid at most {shown}: {risk}% interruption risk over {windows} job-length windows")
            };
            Cell::with_title(format!("≤ {shown} ({risk}%)"), detail)
        }
        BidAdvice::Unknown { .. } => {
            let (short, why) = crate::known::no_advice(row.key.cloud, lang);
            Cell::with_title(short, why)
        }
    }
}

/// After this many days a price carries a stale badge.
pub const STALE_AFTER_DAYS: i64 = 7;

/// The spot price's date and age in a few characters, badged stale after [`STALE_AFTER_DAYS`]:
/// `2024-10-09 · 782 d · stale`, `2026-12-01 · 0 d`.
fn age(row: &Candidate, lang: Lang) -> String {
    let days = if lang == Lang::Zh { "天" } else { "d" };
    let badge = |age_days: i64| match (age_days > STALE_AFTER_DAYS, lang) {
        (false, _) => "",
        (true, Lang::Zh) => " · 过期",
        (true, Lang::En) => " · stale",
    };
    match &row.spot {
        PriceFigure::Observed {
            observed_on, age_days, ..
        } => format!("{observed_on} · {age_days} {days}{}", badge(*age_days)),
        PriceFigure::Estimated { age_days, .. } if lang == Lang::Zh => {
            format!("估算 · {age_days} {days}{}", badge(*age_days))
        }
        PriceFigure::Estimated { age_days, .. } => format!("estimate · {age_days} {days}{}", badge(*age_days)),
        PriceFigure::Unknown { .. } => text(lang, Key::Unknown).to_owned(),
    }
}

/// Where the on-demand figure comes from and how old it is.
pub fn on_demand_provenance(row: &Candidate, lang: Lang) -> String {
    match (&row.on_demand, lang) {
        (
            PriceFigure::Observed {
                observed_on, age_days, ..
            },
            Lang::En,
        ) => format!("on-demand: list price of {observed_on}, {age_days} days old"),
        (
            PriceFigure::Observed {
                observed_on, age_days, ..
            },
            Lang::Zh,
        ) => format!("按量：{observed_on} 目录价，{age_days} 天前"),
        (PriceFigure::Estimated { basis, .. }, Lang::En) => format!("on-demand: estimate ({basis})"),
        (PriceFigure::Estimated { basis, .. }, Lang::Zh) => format!("按量：估算（{basis}）"),
        (PriceFigure::Unknown { reason }, Lang::En) => format!("on-demand unknown: {reason}"),
        (PriceFigure::Unknown { reason }, Lang::Zh) => {
            format!("按量价格未知：{}", crate::i18n::unknown_price(lang, *reason))
        }
    }
}

/// Where the spot figure comes from and how old it is.
pub fn spot_provenance(row: &Candidate, lang: Lang) -> String {
    match &row.spot {
        PriceFigure::Observed {
            observed_on, age_days, ..
        } => match lang {
            Lang::En => format!("observed {observed_on}, {age_days} days old"),
            Lang::Zh => format!("{observed_on} 观测，{age_days} 天前"),
        },
        PriceFigure::Estimated {
            assumed,
            range_low,
            range_high,
            ..
        } => format!(
            "{} {}% ({}%–{}%)",
            if lang == Lang::Zh {
                "估算：按量价格的"
            } else {
                "estimate:"
            },
            (*assumed * Decimal::from(100)).normalize(),
            (*range_low * Decimal::from(100)).normalize(),
            (*range_high * Decimal::from(100)).normalize()
        ),
        PriceFigure::Unknown { reason } => crate::i18n::unknown_price(lang, *reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_remembered_choice_round_trips_and_cannot_hide_what_identifies_a_row() {
        let choice = ColumnChoice::default().toggled(Column::Worst).toggled(Column::Gpu);
        assert!(!choice.shows(Column::Worst) && choice.shows(Column::Gpu));
        assert_eq!(ColumnChoice::parse(&choice.to_text()), choice);
        let forced = ColumnChoice::parse("hidden:choose,rank,instance_type,cloud,nonsense,bid_advice");
        assert_eq!(forced.visible().len(), Column::ALL.len() - 1);
        assert!(!forced.shows(Column::Bid));
        assert_eq!(ColumnChoice::parse("garbage"), ColumnChoice::default());
        assert!(ColumnChoice::default().toggled(Column::Choose).shows(Column::Choose));
    }

    /// Shown amounts round half away from zero (`DISPLAY_ROUNDING`), the export too: 12.345 % is 12.35, not the
    /// banker's 12.34.
    #[test]
    fn the_export_rounds_halves_away_from_zero() {
        let catalog = spotplan_core::catalog::Catalog::embedded().unwrap();
        let planner = spotplan_core::plan::Planner::new(catalog, spotplan_core::ExchangeRate::default());
        let requirement = spotplan_core::plan::Requirement::default();
        // A fixed day (what the row's price ages count from; not read here).
        let mut row = planner.candidate(0, &requirement, 1_795_392_000).unwrap();
        row.savings_percent = Some(rust_decimal::Decimal::new(12_345, 3));
        row.per_vcpu_hour = Some(spotplan_core::Money::new(
            rust_decimal::Decimal::new(1_234_565, 7),
            spotplan_core::Currency::Cny,
        ));
        assert_eq!(csv_value(Column::Savings, 1, &row, Lang::En), "12.35");
        assert_eq!(csv_value(Column::PerVcpu, 1, &row, Lang::En), "0.123457");
    }

    #[test]
    fn every_sortable_column_names_a_distinct_key_but_the_two_spot_prices() {
        let keys: Vec<SortKey> = Column::ALL.iter().filter_map(|c| c.sort_key()).collect();
        assert_eq!(keys.len(), 15);
        for key in SortKey::ALL {
            assert!(keys.contains(&key), "{key:?} has a column");
        }
    }
}
