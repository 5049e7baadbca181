//! The market the stand-ins play when started with `--market` (or `Standin::market`): a deterministic synthetic
//! spot price per (zone, type) and hour, with slow moves, plateaus (prices in whole thousandths, so most hours
//! repeat the last price), six-hour spikes and a few pools with no spot market at all. Everything is a pure
//! function of its arguments, so a test can compute what a cloud "said" independently of the proxy.

/// Seconds in an hour.
pub const HOUR: i64 = 3600;

/// A stable 64-bit hash (FNV-1a) of the pool and a number.
fn hash(zone: &str, instance_type: &str, salt: i64) -> u64 {
    let mut value: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in zone
        .bytes()
        .chain([0])
        .chain(instance_type.bytes())
        .chain(salt.to_le_bytes())
    {
        value ^= u64::from(byte);
        value = value.wrapping_mul(0x0100_0000_01b3);
    }
    value
}

/// Whether the pool has no spot market (about one pool in 25).
pub fn unavailable(zone: &str, instance_type: &str) -> bool {
    hash(zone, instance_type, -1).is_multiple_of(25)
}

/// The pool's pay-as-you-go price, in thousandths of a yuan per hour (0.30–0.89 CNY).
pub fn on_demand_milli(zone: &str, instance_type: &str) -> i64 {
    300 + (hash(zone, instance_type, -2) % 600) as i64
}

/// The spot price in force during the hour starting at `hour * 3600`, in thousandths of a yuan per hour; `None`
/// for a pool with no market. Between 15 % and 30 % of on-demand, drifting in steps every few hours, tripled for
/// six hours about once a week.
pub fn spot_milli(zone: &str, instance_type: &str, hour: i64) -> Option<i64> {
    if unavailable(zone, instance_type) {
        return None;
    }
    let list = on_demand_milli(zone, instance_type);
    // A step every 5 hours: the share of on-demand moves within 15–30 %.
    let step = hour.div_euclid(5);
    let share_permille = 150 + (hash(zone, instance_type, step) % 151) as i64;
    let mut price = list * share_permille / 1000;
    if hash(zone, instance_type, hour.div_euclid(6) + 1_000_000).is_multiple_of(28) {
        price *= 3;
    }
    Some(price.clamp(1, list))
}

/// The price changes in `[from, to]` (Unix seconds): the price in force at `from`, then each hour whose price
/// differs from the hour before. Empty for a pool with no market.
pub fn changes(zone: &str, instance_type: &str, from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut points = Vec::new();
    let mut last = None;
    let mut hour = from.div_euclid(HOUR);
    while hour * HOUR <= to {
        let Some(price) = spot_milli(zone, instance_type, hour) else {
            return Vec::new();
        };
        if last != Some(price) {
            points.push(((hour * HOUR).max(from), price));
            last = Some(price);
        }
        hour += 1;
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_market_moves_spikes_repeats_and_has_holes() {
        let pools: Vec<String> = (0..200).map(|i| format!("ecs.t{i}.large")).collect();
        let holes = pools.iter().filter(|t| unavailable("cn-hangzhou-k", t)).count();
        assert!((1..=20).contains(&holes), "{holes}");
        let day = 24 * HOUR;
        let open = pools
            .iter()
            .find(|t| !unavailable("cn-hangzhou-k", t))
            .cloned()
            .unwrap_or_default();
        let month = changes("cn-hangzhou-k", &open, 0, 30 * day);
        // About one change every five hours, not one an hour.
        assert!((60..=200).contains(&month.len()), "{}", month.len());
        assert_eq!(changes("cn-hangzhou-k", &open, 0, 30 * day), month, "deterministic");
        assert!(month.windows(2).all(|pair| pair[0].1 != pair[1].1));
    }
}
