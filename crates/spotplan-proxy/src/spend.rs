//! The spend ceiling: configured maxima on what one order and all orders of the last hour may cost per hour
//! (instances × the hourly bid), and on the instances one order may start. An order over a ceiling is refused
//! with the figures before anything is logged or sent.
//!
//! A limit bid bounds its own cost. A market bid is bounded by the pay-as-you-go price: Alibaba documents
//! `SpotAsPriceGo` as bidding "at up to the pay-as-you-go price" (alibabacloud-ecs20140526 7.11.8,
//! `DescribePriceRequest.spot_strategy`); for Tencent and Baidu, which document no cap, Spotplan assumes the same
//! bound and says so. The price is the newest known: the embedded catalog's or a live quote the store holds
//! ([`crate::live_book`]), whichever was observed later. When no price bounds an order and a ceiling is set, the
//! order is refused: the ceiling cannot be checked.

use rust_decimal::Decimal;
use spotplan_core::catalog::{Catalog, OfferKey, PriceKind};
use spotplan_core::order::{BidMode, SpotOrder};
use spotplan_core::{Currency, ExchangeRate, Money, TimeUnit};

/// The configured ceilings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendLimits {
    /// The most one order may cost per hour (`SPOTPLAN_MAX_ORDER_PER_HOUR`, e.g. `50 CNY`).
    pub max_order_per_hour: Option<Money>,
    /// The most all orders placed in the last hour together may cost per hour (`SPOTPLAN_MAX_SPEND_PER_HOUR`).
    pub max_spend_per_hour: Option<Money>,
    /// The most instances one order may start: the proxy's own safety limit, 100 by default — Alibaba's
    /// RunInstances `Amount` maximum; Tencent's RunInstances takes up to 500 and Baidu documents none, so raise it
    /// (`SPOTPLAN_MAX_INSTANCES_PER_ORDER`) to order more of theirs at once.
    pub max_instances_per_order: u32,
    /// What an order may ask for beside the instance, which no price Spotplan knows bounds, while a ceiling or a
    /// budget applies.
    pub unpriced: UnpricedAllowance,
}

impl Default for SpendLimits {
    fn default() -> SpendLimits {
        SpendLimits {
            max_order_per_hour: None,
            max_spend_per_hour: None,
            max_instances_per_order: 100,
            unpriced: UnpricedAllowance::default(),
        }
    }
}

impl SpendLimits {
    /// Whether any cost ceiling is set.
    pub fn has_cost_ceiling(&self) -> bool {
        self.max_order_per_hour.is_some() || self.max_spend_per_hour.is_some()
    }
}

/// The proxy's own allowance for what an order's hourly bound leaves out: the clouds bill disks and public
/// bandwidth besides the instance (`../shared/pricing.md`: the spot discount "covers the instance only; disks,
/// bandwidth and images are billed normally"), and the catalog holds no price for them. A ceiling or a budget that
/// counted only the instance would let one order of a cheap type with sixteen 32 TiB disks through, so while one
/// applies an order may carry at most this much of each. Not a cloud rule: the operator's limit, set with
/// `SPOTPLAN_MAX_UNPRICED_DISK_GIB` and `SPOTPLAN_MAX_UNPRICED_BANDWIDTH_MBPS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpricedAllowance {
    /// The most GiB of disk (the system disk and every data disk the order names, together) per instance.
    pub disk_gib_per_instance: u32,
    /// The most public bandwidth per instance, in Mbps (billed by bandwidth or by traffic, both bounded by it).
    pub bandwidth_mbps: u32,
}

impl Default for UnpricedAllowance {
    /// 1,024 GiB of disk, room for a system disk and a working data disk; 10 Mbps, an instance's ordinary public
    /// link.
    fn default() -> UnpricedAllowance {
        UnpricedAllowance {
            disk_gib_per_instance: 1024,
            bandwidth_mbps: 10,
        }
    }
}

/// Refuses an order that asks for more disk or public bandwidth per instance than `allowance`, when a ceiling or a
/// budget applies: what they cost is outside every bound the proxy checks.
pub fn check_unpriced(allowance: &UnpricedAllowance, order: &SpotOrder) -> Result<(), SpendError> {
    let gib = |disk: &spotplan_core::order::Disk| u64::from(disk.size_gb.unwrap_or(0));
    let system_gib = order.system_disk.as_ref().map_or(0, gib);
    let disk_gib: u64 = system_gib + order.data_disks.iter().map(gib).sum::<u64>();
    let limit = u64::from(allowance.disk_gib_per_instance);
    if disk_gib > limit {
        return Err(SpendError::UnpricedDisks {
            // The system disk alone over it is the one to shrink; otherwise the data disks.
            field: if system_gib > limit || order.data_disks.is_empty() {
                "system_disk.size_gb"
            } else {
                "data_disks"
            },
            gib: disk_gib,
            limit: allowance.disk_gib_per_instance,
        });
    }
    if let Some(mbps) = order.network.bandwidth_mbps
        && mbps > allowance.bandwidth_mbps
    {
        return Err(SpendError::UnpricedBandwidth {
            mbps,
            limit: allowance.bandwidth_mbps,
        });
    }
    Ok(())
}

/// Why an order is over a ceiling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpendError {
    /// More instances than one order may start.
    #[error(
        "count {count} is above the proxy's limit of {limit} instances per order (SPOTPLAN_MAX_INSTANCES_PER_ORDER)"
    )]
    TooManyInstances {
        /// The order's count.
        count: u32,
        /// The limit.
        limit: u32,
    },
    /// One order may cost more per hour than allowed.
    #[error(
        "this order may cost up to {cost} per hour ({basis}), above the ceiling of {limit} per hour for one order (SPOTPLAN_MAX_ORDER_PER_HOUR)"
    )]
    OrderCeiling {
        /// The order's hourly bound.
        cost: Money,
        /// How it was computed.
        basis: String,
        /// The ceiling.
        limit: Money,
    },
    /// The orders of the last hour together would cost more per hour than allowed.
    #[error(
        "with this order, the orders placed in the last hour may cost up to {total} per hour, above the ceiling of {limit} (SPOTPLAN_MAX_SPEND_PER_HOUR); {committed} is already committed"
    )]
    HourlyCeiling {
        /// Everything, with this order.
        total: Money,
        /// Already committed by earlier orders.
        committed: Money,
        /// The ceiling.
        limit: Money,
    },
    /// A market bid with no known pay-as-you-go price while a ceiling is set.
    #[error(
        "a spend ceiling is set, but nothing bounds this market bid: Spotplan knows no pay-as-you-go price for {offer}; set a maximum price"
    )]
    Unbounded {
        /// The offer, in words.
        offer: String,
    },
    /// An order of the last hour was logged with no hourly bound (no ceiling was set then, and nothing priced
    /// it): what it commits is unknown, so the hourly ceiling cannot be kept.
    #[error(
        "order {order}, placed in the last hour, has no known hourly cost (no maximum price, and no pay-as-you-go price Spotplan knows), so the ceiling of {limit} per hour (SPOTPLAN_MAX_SPEND_PER_HOUR) cannot be checked until that order is an hour old"
    )]
    UnknownEarlier {
        /// The earlier order.
        order: String,
        /// The ceiling.
        limit: Money,
    },
    /// More disk per instance than the allowance, while a ceiling or a budget applies.
    #[error(
        "the disks of one instance add up to {gib} GiB, above the {limit} GiB a budgeted order may carry \
         (SPOTPLAN_MAX_UNPRICED_DISK_GIB): disks bill besides the instance, and no ceiling or budget counts them"
    )]
    UnpricedDisks {
        /// The order field to change.
        field: &'static str,
        /// The GiB per instance.
        gib: u64,
        /// The allowance.
        limit: u32,
    },
    /// More public bandwidth per instance than the allowance, while a ceiling or a budget applies.
    #[error(
        "network.bandwidth_mbps {mbps} is above the {limit} Mbps a budgeted order may carry \
         (SPOTPLAN_MAX_UNPRICED_BANDWIDTH_MBPS): public bandwidth or traffic bills besides the instance, and no \
         ceiling or budget counts it"
    )]
    UnpricedBandwidth {
        /// The Mbps per instance.
        mbps: u32,
        /// The allowance.
        limit: u32,
    },
    /// Amounts in currencies that cannot be compared.
    #[error("cannot compare {0} with the ceiling: {1}")]
    Currency(String, String),
}

impl SpendError {
    /// The ceiling, when the refusal lifts by itself as the orders of the last hour age out of it (the same order
    /// may go out later); `None` when the order must change.
    pub fn lifts_by_itself(&self) -> Option<&'static str> {
        match self {
            // Only when the order alone fits: one over the ceiling by itself never goes out.
            SpendError::HourlyCeiling {
                total,
                committed,
                limit,
            } if total.amount - committed.amount <= limit.amount => Some("SPOTPLAN_MAX_SPEND_PER_HOUR"),
            SpendError::UnknownEarlier { .. } => Some("SPOTPLAN_MAX_SPEND_PER_HOUR"),
            _ => None,
        }
    }

    /// The order field a person changes to get under the ceiling.
    pub fn field(&self) -> &'static str {
        match self {
            SpendError::TooManyInstances { .. } => "count",
            SpendError::UnknownEarlier { .. } => "SPOTPLAN_MAX_SPEND_PER_HOUR",
            SpendError::UnpricedDisks { field, .. } => field,
            SpendError::UnpricedBandwidth { .. } => "network.bandwidth_mbps",
            _ => "bid.max_price",
        }
    }
}

/// An order's most expensive hour, and how it was computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourlyBound {
    /// The amount per hour for the whole order.
    pub per_hour: Money,
    /// In words: `10 × 0.2 CNY/hour (the bid)`.
    pub basis: String,
}

/// Where a market bid's bound reads prices: the embedded catalog and the live quotes the store holds, the newer of
/// the two for each kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct KnownPrices<'a> {
    /// The embedded catalog.
    pub catalog: Option<&'a Catalog>,
    /// The store's live quotes, as last caught up.
    pub live: Option<&'a crate::live_book::LiveBook>,
}

impl<'a> From<Option<&'a Catalog>> for KnownPrices<'a> {
    fn from(catalog: Option<&'a Catalog>) -> KnownPrices<'a> {
        KnownPrices { catalog, live: None }
    }
}

impl KnownPrices<'_> {
    /// The newest price of `kind` for the offer the order names (its zone's, else its region's), with when it was
    /// observed.
    fn newest(&self, key: &OfferKey, kind: PriceKind) -> Option<crate::live_book::Dated> {
        let region_wide = OfferKey {
            zone: None,
            ..key.clone()
        };
        let from_catalog = self.catalog.and_then(|catalog| {
            let offer = catalog.find_offer(key).or_else(|| catalog.find_offer(&region_wide))?;
            catalog
                .latest(offer, kind)
                .map(|observation| (observation.rate, observation.observed_at))
        });
        let from_live = self
            .live
            .and_then(|live| live.newest(key, kind).or_else(|| live.newest(&region_wide, kind)));
        match (from_catalog, from_live) {
            (Some(catalog), Some(live)) if live.1 >= catalog.1 => Some(live),
            (Some(catalog), _) => Some(catalog),
            (None, live) => live,
        }
    }
}

/// What the order may cost per hour at most, in the account currency, when something bounds it.
pub fn hourly_bound<'a>(
    order: &SpotOrder,
    account_currency: Currency,
    prices: impl Into<KnownPrices<'a>>,
    fx: &ExchangeRate,
) -> Option<HourlyBound> {
    let prices = prices.into();
    let count = Decimal::from(order.count);
    let (unit_price, what) = match order.bid.mode {
        BidMode::Limit => {
            let native = order.bid.max_price?.rate(order.cloud, account_currency);
            (native.in_unit(TimeUnit::Hour).ok()?.money, "the bid")
        }
        // The catalog's pay-as-you-go prices are Linux prices (its sources: `xtask/src/catalog`); a Windows
        // image's pay-as-you-go price, a market bid's cap, includes the licence. Unknown, not undercounted.
        BidMode::Market if order.os == spotplan_core::order::OsFamily::Windows => return None,
        BidMode::Market => {
            let key = OfferKey {
                cloud: order.cloud,
                region: order.region.clone(),
                zone: order.zone.clone(),
                instance_type: order
                    .instance_type
                    .clone()
                    .or_else(|| order.baidu.as_ref()?.spec.clone())?,
            };
            let hourly = |kind| {
                let (rate, _) = prices.newest(&key, kind)?;
                fx.convert(rate.in_unit(TimeUnit::Hour).ok()?.money, account_currency)
                    .ok()
            };
            let on_demand = hourly(PriceKind::OnDemand)?;
            match spotplan_core::billing::market_bid_bound(on_demand, hourly(PriceKind::Spot)) {
                spot if spot != on_demand => (spot, "the newest spot price, above the newest pay-as-you-go price"),
                _ if spotplan_core::billing::spot_rules(order.cloud).cap_documented => {
                    (on_demand, "the pay-as-you-go cap of a market bid")
                }
                _ => (on_demand, "the pay-as-you-go price, assumed to cap a market bid"),
            }
        }
    };
    let per_hour = unit_price.checked_mul(count).ok()?;
    Some(HourlyBound {
        per_hour,
        basis: format!(
            "{} × {} {}/hour, {what}",
            order.count,
            unit_price.amount.normalize(),
            unit_price.currency.code()
        ),
    })
}

/// Checks an order against the ceilings, given what the orders of the last hour already committed per hour;
/// returns the order's hourly bound to record.
pub fn check(
    limits: &SpendLimits,
    order: &SpotOrder,
    bound: Option<&HourlyBound>,
    committed: &[(String, Option<Money>)],
    fx: &ExchangeRate,
) -> Result<(), SpendError> {
    if order.count > limits.max_instances_per_order {
        return Err(SpendError::TooManyInstances {
            count: order.count,
            limit: limits.max_instances_per_order,
        });
    }
    // A dry run is checked too: it answers whether the order would be placed, and a cloud that did not honour
    // it would create instances that bill.
    if !limits.has_cost_ceiling() {
        return Ok(());
    }
    let Some(bound) = bound else {
        return Err(SpendError::Unbounded {
            offer: format!(
                "{} {} in {}{}",
                order.cloud,
                order.instance_type.as_deref().unwrap_or("(no type)"),
                order.zone.as_deref().unwrap_or(&order.region),
                if order.os == spotplan_core::order::OsFamily::Windows {
                    " on Windows (its pay-as-you-go price, with the licence, is not in the catalog)"
                } else {
                    ""
                }
            ),
        });
    };
    if let Some(limit) = limits.max_order_per_hour {
        let cost = in_currency(bound.per_hour, limit.currency, fx)?;
        if cost.amount > limit.amount {
            return Err(SpendError::OrderCeiling {
                cost,
                basis: bound.basis.clone(),
                limit,
            });
        }
    }
    if let Some(limit) = limits.max_spend_per_hour {
        let mut earlier = Money::zero(limit.currency);
        for (order, bound) in committed {
            let Some(money) = bound else {
                return Err(SpendError::UnknownEarlier {
                    order: order.clone(),
                    limit,
                });
            };
            earlier = earlier
                .checked_add(in_currency(*money, limit.currency, fx)?)
                .map_err(|error| SpendError::Currency(money.to_string(), error.to_string()))?;
        }
        let total = earlier
            .checked_add(in_currency(bound.per_hour, limit.currency, fx)?)
            .map_err(|error| SpendError::Currency(bound.per_hour.to_string(), error.to_string()))?;
        if total.amount > limit.amount {
            return Err(SpendError::HourlyCeiling {
                total,
                committed: earlier,
                limit,
            });
        }
    }
    Ok(())
}

/// Converts at the proxy's rate when the currencies differ (a ceiling in USD for a CNY account).
fn in_currency(money: Money, currency: Currency, fx: &ExchangeRate) -> Result<Money, SpendError> {
    fx.convert(money, currency)
        .map_err(|error| SpendError::Currency(money.to_string(), error.to_string()))
}

/// Parses a ceiling such as `50`, `50 CNY` or `7.5 USD` (CNY when no currency is named).
pub fn parse_ceiling(text: &str) -> Result<Money, String> {
    let mut parts = text.split_whitespace();
    let amount = parts.next().unwrap_or_default();
    let currency = match parts.next().map(str::to_ascii_uppercase).as_deref() {
        None | Some("CNY") => Currency::Cny,
        Some("USD") => Currency::Usd,
        Some(other) => return Err(format!("`{text}`: currency `{other}` is not CNY or USD")),
    };
    if parts.next().is_some() {
        return Err(format!("`{text}` is not an amount and a currency, like `50 CNY`"));
    }
    let money = Money::parse(amount, currency).map_err(|error| format!("`{text}`: {error}"))?;
    if money.amount <= Decimal::ZERO {
        return Err(format!("`{text}` must be above zero"));
    }
    Ok(money)
}

/// Parses `--cny-per-usd`: yuan per US dollar, a plain decimal between 1 and 100 (today about 7).
pub fn parse_cny_per_usd(text: &str) -> Result<Decimal, String> {
    let rate: Decimal = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a decimal number of yuan per US dollar, like `7.2`"))?;
    spotplan_core::fx::check_cny_per_usd(rate).map_err(|implausible| implausible.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(count: u32, price: Option<&str>) -> SpotOrder {
        let mut order: SpotOrder = serde_json::from_value(serde_json::json!({
            "cloud": "alibaba", "region": "cn-hangzhou", "zone": "cn-hangzhou-k", "instance_type": "ecs.c7.xlarge",
            "image_id": "img", "count": count, "bid": {"mode": "market"}
        }))
        .unwrap();
        if let Some(price) = price {
            order.bid.mode = BidMode::Limit;
            order.bid.max_price = Some(price.parse().unwrap());
        }
        order
    }

    fn cny(text: &str) -> Money {
        Money::parse(text, Currency::Cny).unwrap()
    }

    #[test]
    fn an_hourly_ceiling_refusal_lifts_by_itself_only_when_the_order_alone_fits() {
        let over = |total: &str, committed: &str| SpendError::HourlyCeiling {
            total: cny(total),
            committed: cny(committed),
            limit: cny("5"),
        };
        // 4 already committed and 2 more: the 2 fit once the 4 age out of the hour.
        assert_eq!(over("6", "4").lifts_by_itself(), Some("SPOTPLAN_MAX_SPEND_PER_HOUR"));
        // 6 on its own never fits under 5.
        assert_eq!(over("6", "0").lifts_by_itself(), None);
        assert_eq!(over("7", "1").lifts_by_itself(), None);
        let per_order = SpendError::OrderCeiling {
            cost: cny("6"),
            basis: String::new(),
            limit: cny("5"),
        };
        assert_eq!(per_order.lifts_by_itself(), None);
    }

    #[test]
    fn a_dollar_order_under_a_yuan_ceiling_is_converted_at_the_proxys_rate() {
        let limits = SpendLimits {
            max_order_per_hour: Some(cny("7.5")),
            ..SpendLimits::default()
        };
        let order = order(1, Some("1"));
        let at = |rate: &str| ExchangeRate::user(rate.parse().unwrap(), "2026-12-01");
        let bound = hourly_bound(&order, Currency::Usd, None, &at("7.2")).unwrap();
        assert_eq!(bound.per_hour, Money::parse("1", Currency::Usd).unwrap());
        assert!(
            check(&limits, &order, Some(&bound), &[], &at("7.2")).is_ok(),
            "7.2 CNY ≤ 7.5 CNY"
        );
        let error = check(&limits, &order, Some(&bound), &[], &at("8")).unwrap_err();
        assert!(error.to_string().contains("8"), "{error}");
        assert_eq!(parse_cny_per_usd(" 7.2 "), Ok("7.2".parse().unwrap()));
        for wrong in ["0.14", "abc", "", "1000"] {
            assert!(parse_cny_per_usd(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_limit_bid_is_bounded_by_count_times_the_hourly_bid() {
        let bound = hourly_bound(&order(10, Some("0.25")), Currency::Cny, None, &ExchangeRate::default()).unwrap();
        assert_eq!(bound.per_hour, cny("2.50"));
        assert_eq!(bound.basis, "10 × 0.25 CNY/hour, the bid");
        // Baidu bids per minute: 0.005 CNY/minute × 60 × 4 = 1.2 CNY per hour.
        let mut baidu = order(4, Some("0.005"));
        baidu.cloud = spotplan_core::Cloud::Baidu;
        assert_eq!(
            hourly_bound(&baidu, Currency::Cny, None, &ExchangeRate::default())
                .unwrap()
                .per_hour,
            cny("1.2")
        );
    }

    #[test]
    fn a_market_bid_is_bounded_by_the_catalogs_pay_as_you_go_price_or_refused() {
        let catalog = Catalog::embedded().unwrap();
        let bound = hourly_bound(&order(2, None), Currency::Cny, Some(&catalog), &ExchangeRate::default())
            .expect("c7.xlarge has a list price");
        assert!(bound.per_hour.amount > Decimal::ZERO);
        assert!(bound.basis.contains("pay-as-you-go cap"));
        let limits = SpendLimits {
            max_order_per_hour: Some(cny("100")),
            ..SpendLimits::default()
        };
        let mut unknown = order(2, None);
        unknown.instance_type = Some("ecs.nosuchtype.large".into());
        let bound = hourly_bound(&unknown, Currency::Cny, Some(&catalog), &ExchangeRate::default());
        assert!(matches!(
            check(&limits, &unknown, bound.as_ref(), &[], &ExchangeRate::default()),
            Err(SpendError::Unbounded { .. })
        ));
        assert!(
            check(&SpendLimits::default(), &unknown, None, &[], &ExchangeRate::default()).is_ok(),
            "no ceiling, nothing to bound"
        );
        // A Windows image's cap includes the licence, which the catalog's Linux list prices do not.
        let mut windows = order(2, None);
        windows.os = spotplan_core::order::OsFamily::Windows;
        let bound = hourly_bound(&windows, Currency::Cny, Some(&catalog), &ExchangeRate::default());
        assert!(bound.is_none());
        let refused = check(&limits, &windows, None, &[], &ExchangeRate::default()).unwrap_err();
        assert!(refused.to_string().contains("on Windows"), "{refused}");
    }

    #[test]
    fn a_market_bid_is_bounded_by_the_newer_of_the_catalogs_and_the_stores_prices() {
        let catalog = Catalog::embedded().unwrap();
        let fx = ExchangeRate::default();
        let market = order(2, None);
        let from_catalog = hourly_bound(&market, Currency::Cny, Some(&catalog), &fx).unwrap();
        let key = OfferKey {
            cloud: market.cloud,
            region: market.region.clone(),
            zone: market.zone.clone(),
            instance_type: market.instance_type.clone().unwrap(),
        };
        let offer = catalog
            .find_offer(&key)
            .or_else(|| {
                catalog.find_offer(&OfferKey {
                    zone: None,
                    ..key.clone()
                })
            })
            .unwrap();
        let listed = catalog.latest(offer, PriceKind::OnDemand).unwrap();
        let stored = |times: i64, at: i64| {
            let rate = spotplan_core::PriceRate::new(
                listed.rate.money.checked_mul(Decimal::from(times)).unwrap(),
                listed.rate.per,
            );
            let book = crate::live_book::LiveBook::default();
            book.merge(0, 1, vec![(key.clone(), PriceKind::OnDemand, (rate, at))]);
            book
        };
        let bound_with = |book: &crate::live_book::LiveBook| {
            let prices = KnownPrices {
                catalog: Some(&catalog),
                live: Some(book),
            };
            hourly_bound(&market, Currency::Cny, prices, &fx).unwrap().per_hour
        };
        let newer = stored(2, listed.observed_at + 86_400);
        assert_eq!(
            bound_with(&newer),
            from_catalog.per_hour.checked_mul(Decimal::TWO).unwrap(),
            "a newer stored list price is the bound"
        );
        let older = stored(10, listed.observed_at - 1);
        assert_eq!(bound_with(&older), from_catalog.per_hour, "an older one is not");
        // Without the catalog (an offer it does not know), the stored price alone bounds the order.
        let alone = KnownPrices {
            catalog: None,
            live: Some(&newer),
        };
        assert!(hourly_bound(&market, Currency::Cny, alone, &fx).is_some());
    }

    #[test]
    fn a_market_bid_is_bounded_by_the_newest_spot_price_where_it_is_above_the_list_price() {
        let catalog = Catalog::embedded().unwrap();
        let fx = ExchangeRate::default();
        let hourly = |offer, kind| {
            let rate = catalog.latest(offer, kind)?.rate.in_unit(TimeUnit::Hour).ok()?;
            fx.convert(rate.money, Currency::Cny).ok()
        };
        // Offers whose newest spot price is above their list price (Alibaba has such rows in its published data);
        // a Baidu order names its spec elsewhere.
        let above: Vec<usize> = (0..catalog.offers().len())
            .filter(|offer| catalog.key_of(*offer).cloud != spotplan_core::Cloud::Baidu)
            .filter(|offer| {
                matches!(
                    (hourly(*offer, PriceKind::Spot), hourly(*offer, PriceKind::OnDemand)),
                    (Some(spot), Some(on_demand)) if spot.amount > on_demand.amount
                )
            })
            .collect();
        assert!(
            !above.is_empty(),
            "the embedded catalog has no spot price above its list price to test with"
        );
        for offer in above.into_iter().take(20) {
            let key = catalog.key_of(offer);
            let mut market = order(10, None);
            market.cloud = key.cloud;
            market.region = key.region.clone();
            market.zone = key.zone.clone();
            market.instance_type = Some(key.instance_type.clone());
            let spot = hourly(offer, PriceKind::Spot).unwrap();
            let bound = hourly_bound(&market, Currency::Cny, Some(&catalog), &fx).expect("priced");
            assert_eq!(
                bound.per_hour,
                spot.checked_mul(Decimal::from(10)).unwrap(),
                "{key}: {}",
                bound.basis
            );
            assert!(bound.basis.contains("the newest spot price"), "{}", bound.basis);
        }
    }

    /// An earlier order's id and bound, as the order log gives them.
    fn earlier(amount: &str) -> (String, Option<Money>) {
        (format!("ord-{amount}"), Some(cny(amount)))
    }

    #[test]
    fn the_unpriced_disk_refusal_names_the_disk_to_shrink() {
        let allowance = UnpricedAllowance::default();
        let disk = |size_gb| spotplan_core::order::Disk {
            category: None,
            size_gb: Some(size_gb),
        };
        let mut order = order(1, Some("0.1"));
        order.system_disk = Some(disk(2048));
        order.data_disks = vec![disk(100)];
        let field = |order: &SpotOrder| check_unpriced(&allowance, order).map_err(|error| error.field());
        assert_eq!(field(&order), Err("system_disk.size_gb"));
        order.system_disk = Some(disk(40));
        order.data_disks = vec![disk(1000)];
        assert_eq!(field(&order), Err("data_disks"));
        order.data_disks = vec![disk(984)];
        assert_eq!(field(&order), Ok(()), "1,024 GiB is within the allowance");
    }

    #[test]
    fn ceilings_per_order_and_per_hour() {
        let limits = SpendLimits {
            max_order_per_hour: Some(cny("5")),
            max_spend_per_hour: Some(cny("8")),
            ..SpendLimits::default()
        };
        let fits = order(10, Some("0.4"));
        let bound = hourly_bound(&fits, Currency::Cny, None, &ExchangeRate::default());
        assert!(
            check(
                &limits,
                &fits,
                bound.as_ref(),
                &[earlier("3")],
                &ExchangeRate::default()
            )
            .is_ok(),
            "4 + 3 ≤ 8"
        );
        let error = check(
            &limits,
            &fits,
            bound.as_ref(),
            &[earlier("3"), earlier("1.5")],
            &ExchangeRate::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "with this order, the orders placed in the last hour may cost up to 8.5 CNY per hour, above the ceiling \
             of 8 CNY (SPOTPLAN_MAX_SPEND_PER_HOUR); 4.5 CNY is already committed"
        );
        // An earlier order logged with no bound (no ceiling was set then) is not counted as zero.
        let error = check(
            &limits,
            &fits,
            bound.as_ref(),
            &[earlier("1"), ("ord-unbounded".into(), None)],
            &ExchangeRate::default(),
        )
        .unwrap_err();
        assert_eq!(
            (error.to_string().as_str(), error.field()),
            (
                "order ord-unbounded, placed in the last hour, has no known hourly cost (no maximum price, and no \
                 pay-as-you-go price Spotplan knows), so the ceiling of 8 CNY per hour (SPOTPLAN_MAX_SPEND_PER_HOUR) \
                 cannot be checked until that order is an hour old",
                "SPOTPLAN_MAX_SPEND_PER_HOUR"
            )
        );
        let big = order(20, Some("0.4"));
        let error = check(
            &limits,
            &big,
            hourly_bound(&big, Currency::Cny, None, &ExchangeRate::default()).as_ref(),
            &[],
            &ExchangeRate::default(),
        )
        .unwrap_err();
        assert!(matches!(error, SpendError::OrderCeiling { .. }), "{error}");
        assert_eq!(error.field(), "bid.max_price");
        // A dry run says whether the order would be placed: over a ceiling, it is refused the same way.
        let big_dry_run = SpotOrder { dry_run: true, ..big };
        let dry_error = check(
            &limits,
            &big_dry_run,
            hourly_bound(&big_dry_run, Currency::Cny, None, &ExchangeRate::default()).as_ref(),
            &[],
            &ExchangeRate::default(),
        );
        assert_eq!(dry_error, Err(error));
        let many = order(101, Some("0.001"));
        let error = check(&SpendLimits::default(), &many, None, &[], &ExchangeRate::default()).unwrap_err();
        assert_eq!(error.field(), "count");
    }

    #[test]
    fn ceilings_parse_with_a_currency() {
        assert_eq!(parse_ceiling("50").unwrap(), cny("50"));
        assert_eq!(
            parse_ceiling("7.5 usd").unwrap(),
            Money::parse("7.5", Currency::Usd).unwrap()
        );
        assert!(parse_ceiling("0").is_err());
        assert!(parse_ceiling("5 EUR").unwrap_err().contains("EUR"));
        assert!(parse_ceiling("five").is_err());
    }
}
