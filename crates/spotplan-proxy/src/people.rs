//! People (team mode): each person has a name, an API key — shown once when it is made, stored only as its
//! SHA-256 (the key is 192 random bits, so a hash cannot be turned back) — and optional budgets per hour and per
//! month; the team has budgets of its own. An admin manages them with `spotplan-proxy users …`; the proxy finds
//! who is calling by the key they present ([`crate::security`]).
//!
//! What a budget counts (checked before an order is logged, see [`check_budgets`]):
//! * **per hour**: the hourly cost bounds of the person's (or team's) orders that may still be running — an order
//!   whole while its outcome is open (pending, unknown) or, for its first hour after succeeding, while its
//!   instances are not booked yet; then each booked instance that may bill (not ended, not stopped without
//!   charge: one started again counts again from the follower's next look) — plus the new order's;
//! * **per month**: what their instances placed this month (UTC) have cost so far, plus the same hourly bounds
//!   running until the end of the month.

use sha2::{Digest, Sha256};
use spotplan_core::{Currency, ExchangeRate, Money};

use crate::sql::SqlValue;
use crate::store::{Store, StoreError};
use crate::upstream::random_hex;

/// How every API key starts (so a key is recognised as one, and grep-able in a leak).
pub const KEY_PREFIX: &str = "spk_";

/// A person as the proxy knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their name (what orders record).
    pub name: String,
    /// When their key was made.
    pub created_at_ms: i64,
    /// When their key was revoked (a revoked key is refused).
    pub revoked_at_ms: Option<i64>,
    /// Their budgets.
    pub budget: Budget,
}

/// Ceilings on what running spot instances may cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    /// Per hour.
    pub per_hour: Option<Money>,
    /// Per calendar month (UTC).
    pub per_month: Option<Money>,
}

/// Why people could not be managed.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A name that is taken (also by a revoked key: names are never reused, so the log stays unambiguous).
    #[error("there is already a person named {0} (names are never reused, even after a revoke)")]
    NameTaken(String),
    /// A name not known.
    #[error("no person named {0}")]
    Unknown(String),
    /// A name that cannot be used.
    #[error("a name is 1–64 letters, digits, '.', '-', '_' or '@'; got {0:?}")]
    BadName(String),
    /// No randomness for a key.
    #[error("no randomness for an API key: {0}")]
    Random(String),
}

/// The stored form of a key.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
}

fn money_text(money: &Option<Money>) -> SqlValue {
    money
        .as_ref()
        .and_then(|money| serde_json::to_string(money).ok())
        .into()
}

/// A stored budget: none where the column is empty — and a store error where it holds something that does not
/// read as money (a hand edit, a format changed), so a budget that cannot be read refuses instead of lifting.
fn money_from(text: Option<String>, column: &'static str) -> Result<Option<Money>, StoreError> {
    text.map(|text| serde_json::from_str(&text).map_err(|_| StoreError::Corrupt { column }))
        .transpose()
}

/// Adds a person and returns their new API key (shown once; only its hash is kept).
pub async fn add(store: &Store, name: &str, now_ms: i64) -> Result<String, PeopleError> {
    if !valid_name(name) {
        return Err(PeopleError::BadName(name.to_owned()));
    }
    let key = format!(
        "{KEY_PREFIX}{}",
        random_hex(24).map_err(|error| PeopleError::Random(error.to_string()))?
    );
    let (name_owned, hash) = (name.to_owned(), key_hash(&key));
    let added = store
        .transaction(move |tx| {
            tx.execute(
                "INSERT INTO people (name, key_hash, created_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
                &[name_owned.into(), hash.into(), now_ms.into()],
            )
        })
        .await?;
    if added == 0 {
        return Err(PeopleError::NameTaken(name.to_owned()));
    }
    Ok(key)
}

/// Revokes a person's key (from now on it is refused).
pub async fn revoke(store: &Store, name: &str, now_ms: i64) -> Result<(), PeopleError> {
    let name_owned = name.to_owned();
    let changed = store
        .transaction(move |tx| {
            tx.execute(
                "UPDATE people SET revoked_at_ms = ?2 WHERE name = ?1 AND revoked_at_ms IS NULL",
                &[name_owned.into(), now_ms.into()],
            )
        })
        .await?;
    if changed == 0 {
        return Err(PeopleError::Unknown(name.to_owned()));
    }
    Ok(())
}

/// Sets a person's budgets (`None` for the team's).
pub async fn set_budget(store: &Store, name: Option<&str>, budget: &Budget) -> Result<(), PeopleError> {
    let (per_hour, per_month) = (money_text(&budget.per_hour), money_text(&budget.per_month));
    let changed = match name {
        Some(name) => {
            let name = name.to_owned();
            store
                .transaction(move |tx| {
                    tx.execute(
                        "UPDATE people SET per_hour = ?2, per_month = ?3 WHERE name = ?1",
                        &[name.into(), per_hour, per_month],
                    )
                })
                .await?
        }
        None => {
            store
                .transaction(move |tx| {
                    tx.execute(
                        "INSERT INTO team_budget (id, per_hour, per_month) VALUES (1, ?1, ?2) \
                         ON CONFLICT (id) DO UPDATE SET per_hour = ?1, per_month = ?2",
                        &[per_hour, per_month],
                    )
                })
                .await?
        }
    };
    match (changed, name) {
        (0, Some(name)) => Err(PeopleError::Unknown(name.to_owned())),
        _ => Ok(()),
    }
}

fn person(row: &crate::sql::SqlRow) -> Result<Person, StoreError> {
    Ok(Person {
        name: row.required_text(0, "name")?,
        created_at_ms: row.required_int(1, "created_at_ms")?,
        revoked_at_ms: row.int(2),
        budget: Budget {
            per_hour: money_from(row.text(3), "people.per_hour")?,
            per_month: money_from(row.text(4), "people.per_month")?,
        },
    })
}

/// Everyone, by name.
pub async fn list(store: &Store) -> Result<Vec<Person>, StoreError> {
    store
        .select(
            "SELECT name, created_at_ms, revoked_at_ms, per_hour, per_month FROM people ORDER BY name",
            Vec::new(),
        )
        .await?
        .iter()
        .map(person)
        .collect()
}

/// Whether `name` is a person whose key has not been revoked.
pub async fn is_active(store: &Store, name: &str) -> Result<bool, StoreError> {
    Ok(!store
        .select(
            "SELECT 1 FROM people WHERE name = ?1 AND revoked_at_ms IS NULL",
            vec![name.into()],
        )
        .await?
        .is_empty())
}

/// Whether a text has the shape of a person's key (`spk_` and 48 lower-case hex digits, as [`add`] makes them):
/// anything else is no key and costs no database query.
pub fn is_well_formed_key(text: &str) -> bool {
    text.strip_prefix(KEY_PREFIX)
        .is_some_and(|hex| hex.len() == 48 && hex.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')))
}

/// The person a key belongs to, unless it is revoked.
pub async fn by_key(store: &Store, key: &str) -> Result<Option<Person>, StoreError> {
    if !is_well_formed_key(key) {
        return Ok(None);
    }
    let found = store
        .select(
            "SELECT name, created_at_ms, revoked_at_ms, per_hour, per_month FROM people \
             WHERE key_hash = ?1 AND revoked_at_ms IS NULL",
            vec![key_hash(key).into()],
        )
        .await?;
    found.first().map(person).transpose()
}

/// The team's budgets.
pub async fn team_budget(store: &Store) -> Result<Budget, StoreError> {
    let found = store
        .select("SELECT per_hour, per_month FROM team_budget WHERE id = 1", Vec::new())
        .await?;
    match found.first() {
        Some(row) => Ok(Budget {
            per_hour: money_from(row.text(0), "team_budget.per_hour")?,
            per_month: money_from(row.text(1), "team_budget.per_month")?,
        }),
        None => Ok(Budget::default()),
    }
}

/// What orders of one person (or everyone) commit now: the hourly bounds of what may be running (orders whose
/// outcome is open or whose instances are not booked yet, then each booked instance that may bill), and the cost
/// since `month_start_ms` of every instance that billed in it (placed before it or after). Or the first whose cost
/// is unknown — an order logged with no bound, an instance that may bill with no price — which is never counted
/// as zero.
async fn committed(
    store: &Store,
    person: Option<&str>,
    month_start_ms: i64,
    now_ms: i64,
) -> Result<Result<(Vec<Money>, Vec<Money>), UnknownCost>, StoreError> {
    // An order counts whole while its outcome is open (pending, unknown) — a dry run too, for its first hour: a
    // cloud that did not honour it creates instances that bill, and until its answer says it did not
    // (dry_run_passed) that cannot be ruled out; past the hour an open dry run no longer counts, so a lost answer
    // that nothing can settle (no lookup tag, no credentials) cannot block its person for good — and, for its first
    // hour after succeeding, also
    // before its instances are in the book: the outcome and the booking are written side by side, and another
    // replica's check in between must not see the order as spending nothing.
    let booked_recently = now_ms - 3_600_000;
    let (filter, params): (&'static str, Vec<SqlValue>) = match person {
        Some(name) => (
            "SELECT o.max_cost_per_hour, o.id FROM orders o WHERE o.placed_by = ?1 AND \
             (NOT o.dry_run OR o.status = 'succeeded' OR o.created_at_ms >= ?2) AND \
             (o.status IN ('pending', 'unknown') OR (o.status = 'succeeded' AND o.finished_at_ms >= ?2 AND \
             NOT EXISTS (SELECT 1 FROM instances i WHERE i.order_id = o.id)))",
            vec![name.into(), booked_recently.into()],
        ),
        None => (
            "SELECT o.max_cost_per_hour, o.id FROM orders o WHERE \
             (NOT o.dry_run OR o.status = 'succeeded' OR o.created_at_ms >= ?1) AND \
             (o.status IN ('pending', 'unknown') OR (o.status = 'succeeded' AND o.finished_at_ms >= ?1 AND \
             NOT EXISTS (SELECT 1 FROM instances i WHERE i.order_id = o.id)))",
            vec![booked_recently.into()],
        ),
    };
    let mut hourly = Vec::new();
    for row in store.select(filter, params).await? {
        // No bound, or one that does not read as money: its cost is unknown, never zero.
        match money_from(row.text(0), "orders.max_cost_per_hour") {
            Ok(Some(bound)) => hourly.push(bound),
            Ok(None) | Err(_) => return Ok(Err(UnknownCost::Order(row.text(1).unwrap_or_default()))),
        }
    }
    // A succeeded order's booked instances count one by one while each may bill: released or reclaimed ones
    // leave room, and so does one stopped without charge (it counts again once it runs).
    let (live, params): (&'static str, Vec<SqlValue>) = match person {
        Some(name) => (
            concat!(
                "SELECT i.price_per_hour, i.id FROM instances i JOIN orders o ON o.id = i.order_id \
                 WHERE o.placed_by = ?1 AND o.status = 'succeeded' AND i.paused_since_ms IS NULL AND i.state NOT IN ",
                crate::instance_book::ended_states!()
            ),
            vec![name.into()],
        ),
        None => (
            concat!(
                "SELECT i.price_per_hour, i.id FROM instances i JOIN orders o ON o.id = i.order_id \
                 WHERE o.status = 'succeeded' AND i.paused_since_ms IS NULL AND i.state NOT IN ",
                crate::instance_book::ended_states!()
            ),
            Vec::new(),
        ),
    };
    for row in store.select(live, params).await? {
        match money_from(row.text(0), "instances.price_per_hour") {
            Ok(Some(price)) => hourly.push(price),
            Ok(None) | Err(_) => return Ok(Err(UnknownCost::Instance(row.text(1).unwrap_or_default()))),
        }
    }
    // What each instance billed this month: from the month's start, or from when it started running after it.
    let mut month = Vec::new();
    for row in crate::instance_book::billing_since(store, month_start_ms, person).await? {
        match row.view_from(month_start_ms, now_ms).cost_so_far {
            Some(cost) => month.push(cost),
            None if row.running_since_ms.is_some() => return Ok(Err(UnknownCost::Instance(row.id))),
            None => {}
        }
    }
    Ok(Ok((hourly, month)))
}

/// Something that may bill at a cost nobody knows: a budget cannot be kept while it does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum UnknownCost {
    /// An order that may be running, logged with no hourly bound (no budget or ceiling was set then, and no
    /// price bounded it).
    Order(String),
    /// An instance that ran with no known price.
    Instance(String),
}

impl std::fmt::Display for UnknownCost {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnknownCost::Order(id) => write!(
                formatter,
                "order {id} may be running and has no known hourly cost (no maximum price, and no pay-as-you-go \
                 price Spotplan knows)"
            ),
            UnknownCost::Instance(id) => {
                write!(formatter, "instance {id} may bill at a price Spotplan does not know")
            }
        }
    }
}

/// The calendar month (UTC) `now_ms` is in, as a monthly budget sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthBounds {
    /// When it began (Unix ms).
    pub start_ms: i64,
    /// The hours left in it.
    pub hours_left: rust_decimal::Decimal,
    /// The hours of the next month: what may be running when an order is placed runs on into it, and must fit
    /// its budget too — or an order placed in a month's last hour would pass for one hour's cost and then run a
    /// whole month unchecked (budgets are checked when orders are placed).
    pub next_month_hours: rust_decimal::Decimal,
}

/// The calendar month (UTC) `now_ms` is in: its start, the hours left in it, and the next month's hours.
pub fn month_bounds(now_ms: i64) -> MonthBounds {
    let first_of = |year: i64, month: u32| spotplan_time::days_from_civil(year, month, 1);
    let following = |year: i64, month: u32| if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    let (year, month, _) = spotplan_time::civil_from_days(now_ms.div_euclid(86_400_000));
    let (next_year, next_month) = following(year, month);
    let (after_year, after_month) = following(next_year, next_month);
    let end_days = first_of(next_year, next_month);
    let hours_left_ms = (end_days * 86_400_000 - now_ms).max(0);
    MonthBounds {
        start_ms: first_of(year, month) * 86_400_000,
        hours_left: rust_decimal::Decimal::from(hours_left_ms) / rust_decimal::Decimal::from(3_600_000),
        next_month_hours: rust_decimal::Decimal::from((first_of(after_year, after_month) - end_days) * 24),
    }
}

/// Why an order does not fit a budget: the field (`budget.person.per_hour`, …) and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverBudget {
    /// Which budget.
    pub field: &'static str,
    /// What is over, by how much.
    pub message: String,
}

/// `amounts` added up in `currency`, each in another currency converted at the proxy's rate (as its spend
/// ceilings are): one order in dollars under a budget in yuan counts, and blocks nobody.
fn sum(amounts: &[Money], currency: Currency, fx: &ExchangeRate) -> Option<rust_decimal::Decimal> {
    // Checked: a sum too large for a decimal is one no budget holds, not a panic.
    amounts.iter().try_fold(rust_decimal::Decimal::ZERO, |total, money| {
        total.checked_add(in_currency(*money, currency, fx)?)
    })
}

fn in_currency(money: Money, currency: Currency, fx: &ExchangeRate) -> Option<rust_decimal::Decimal> {
    fx.convert(money, currency).ok().map(|converted| converted.amount)
}

/// Whether any budget could apply to an order by `person`: the team's, or theirs (one query; the usual answer,
/// "none", lets an order skip the budget gate shared by every replica).
pub async fn any_budget(store: &Store, person: Option<&str>) -> Result<bool, StoreError> {
    let found = store
        .select(
            "SELECT 1 FROM team_budget WHERE per_hour IS NOT NULL OR per_month IS NOT NULL UNION ALL \
             SELECT 1 FROM people WHERE name = ?1 AND (per_hour IS NOT NULL OR per_month IS NOT NULL)",
            vec![person.map(str::to_owned).into()],
        )
        .await?;
    Ok(!found.is_empty())
}

/// Checks an order costing up to `order_per_hour` against the person's and the team's budgets, amounts in other
/// currencies converted at `fx`.
pub async fn check_budgets(
    store: &Store,
    person: Option<&str>,
    order_per_hour: Option<&Money>,
    now_ms: i64,
    fx: &ExchangeRate,
) -> Result<Result<(), OverBudget>, StoreError> {
    let team = team_budget(store).await?;
    let own = match person {
        Some(name) => list(store)
            .await?
            .into_iter()
            .find(|p| p.name == name)
            .map(|p| p.budget)
            .unwrap_or_default(),
        None => Budget::default(),
    };
    let month_bounds = month_bounds(now_ms);
    let (month_start, hours_left) = (month_bounds.start_ms, month_bounds.hours_left);
    for (scope, budget, who) in [("person", &own, person), ("team", &team, None)] {
        if budget.per_hour.is_none() && budget.per_month.is_none() {
            continue;
        }
        // The fields a refusal names.
        let (hour_field, month_field) = if scope == "person" {
            ("budget.person.per_hour", "budget.person.per_month")
        } else {
            ("budget.team.per_hour", "budget.team.per_month")
        };
        if scope == "person" && person.is_none() {
            continue;
        }
        let Some(order) = order_per_hour else {
            // The fix is the order's, so the field named is the bid.
            return Ok(Err(OverBudget {
                field: "bid.max_price",
                message: format!(
                    "a {scope} budget is set but this order's hourly cost cannot be bounded (no bid and no known \
                     pay-as-you-go price): give it a max price"
                ),
            }));
        };
        let whose = match who {
            Some(name) => format!("{name}'s"),
            None => "the team's".to_owned(),
        };
        let (hourly, month) = match committed(store, who, month_start, now_ms).await? {
            Ok(known) => known,
            Err(unknown) => {
                let per_hour = budget.per_hour.is_some();
                return Ok(Err(OverBudget {
                    field: if per_hour { hour_field } else { month_field },
                    message: format!(
                        "{whose} budget cannot be checked while {unknown}: release it (or settle its order) to \
                         order again"
                    ),
                }));
            }
        };
        if let Some(ceiling) = &budget.per_hour {
            let running = sum(&hourly, ceiling.currency, fx);
            let after = running
                .zip(in_currency(*order, ceiling.currency, fx))
                .and_then(|(r, o)| r.checked_add(o));
            if after.is_none_or(|after| after > ceiling.amount) {
                return Ok(Err(OverBudget {
                    field: hour_field,
                    message: format!(
                        "over {whose} budget of {} {} an hour: what may be running costs up to {} and this order \
                         adds {} {}",
                        ceiling.amount,
                        ceiling.currency,
                        running.map_or_else(
                            || "an amount in another currency".to_owned(),
                            |r| format!(
                                "{} {}",
                                r.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero),
                                ceiling.currency
                            )
                        ),
                        order
                            .amount
                            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero),
                        order.currency
                    ),
                }));
            }
        }
        if let Some(ceiling) = &budget.per_month {
            let spent = sum(&month, ceiling.currency, fx);
            let running = sum(&hourly, ceiling.currency, fx);
            let rate = running
                .zip(in_currency(*order, ceiling.currency, fx))
                .and_then(|(running, order)| running.checked_add(order));
            let projected = spent
                .zip(rate)
                .and_then(|(spent, rate)| spent.checked_add(rate.checked_mul(hours_left)?));
            let next_month = rate.and_then(|rate| rate.checked_mul(month_bounds.next_month_hours));
            if let Some(next_month) = next_month
                && projected.is_some_and(|projected| projected <= ceiling.amount)
                && next_month > ceiling.amount
            {
                return Ok(Err(OverBudget {
                    field: month_field,
                    message: format!(
                        "over {whose} budget of {} {} a month: with this order, what may be running would cost {} {} \
                         over next month's {} hours (it runs on past this month's end unless released)",
                        ceiling.amount,
                        ceiling.currency,
                        next_month.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero),
                        ceiling.currency,
                        month_bounds.next_month_hours
                    ),
                }));
            }
            if projected.is_none_or(|projected| projected > ceiling.amount) || next_month.is_none() {
                return Ok(Err(OverBudget {
                    field: month_field,
                    message: format!(
                        "over {whose} budget of {} {} this month: spent so far {} and, with this order, what may \
                         be running would cost {} more by the month's end",
                        ceiling.amount,
                        ceiling.currency,
                        spent.map_or_else(
                            || "an amount in another currency".to_owned(),
                            |s| format!(
                                "{} {}",
                                s.round_dp_with_strategy(2, spotplan_core::money::DISPLAY_ROUNDING),
                                ceiling.currency
                            )
                        ),
                        projected.zip(spent).map_or_else(
                            || "an unknown amount".to_owned(),
                            |(p, s)| format!(
                                "{} {}",
                                (p - s).round_dp_with_strategy(2, spotplan_core::money::DISPLAY_ROUNDING),
                                ceiling.currency
                            )
                        )
                    ),
                }));
            }
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_and_keys_are_stored_hashed() {
        assert!(valid_name("alice@example.com"));
        assert!(!valid_name(""));
        assert!(!valid_name("bob smith"));
        assert!(!valid_name(&"x".repeat(65)));
        let hash = key_hash("spk_abc");
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, key_hash("spk_abd"));
    }

    #[tokio::test]
    async fn a_budget_that_does_not_read_as_money_refuses_instead_of_lifting() {
        let store = Store::in_memory().unwrap();
        let cny = |amount| Money::new(rust_decimal::Decimal::from(amount), spotplan_core::Currency::Cny);
        let fx = ExchangeRate::default();
        set_budget(
            &store,
            None,
            &Budget {
                per_hour: Some(cny(10)),
                per_month: None,
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            check_budgets(&store, None, Some(&cny(20)), 1_796_083_200_000, &fx).await,
            Ok(Err(_))
        ));
        // Edited by hand into something that is not money: the check fails, it does not pass.
        store
            .execute(
                "UPDATE team_budget SET per_hour = '10 CNY' WHERE id = 1".into(),
                Vec::new(),
            )
            .await
            .unwrap();
        assert!(matches!(
            check_budgets(&store, None, Some(&cny(1)), 1_796_083_200_000, &fx).await,
            Err(StoreError::Corrupt {
                column: "team_budget.per_hour"
            })
        ));
    }

    #[test]
    fn a_month_starts_on_the_first_and_its_hours_left_are_counted() {
        // 2026-12-31 23:00 UTC: one hour left; the month began 2026-12-01.
        let now = 1_798_758_000_000;
        let month = month_bounds(now);
        assert_eq!(month.start_ms, 1_796_083_200_000);
        assert_eq!(month.hours_left, rust_decimal::Decimal::ONE);
        assert_eq!(
            month.next_month_hours,
            rust_decimal::Decimal::from(31 * 24),
            "January 2027"
        );
        // 2027-01-31 12:00 UTC: February 2027 has 28 days.
        let month = month_bounds(1_801_396_800_000);
        assert_eq!(month.hours_left, rust_decimal::Decimal::from(12));
        assert_eq!(month.next_month_hours, rust_decimal::Decimal::from(28 * 24));
    }
}
