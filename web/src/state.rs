//! All UI state in one reducer: the requirement, the chosen offer and its draft order, the bid as typed, the
//! snippet tab, the submission, the language. Pure and tested natively; components only dispatch [`Action`]s.

use std::rc::Rc;

use spotplan_core::catalog::OfferKey;
use spotplan_core::order::format::Format;
use spotplan_core::order::{Bid, BidMode, Disk, Login, Network, SpotOrder, Tag};
use spotplan_core::plan::{Requirement, SortKey};
use spotplan_core::{Cloud, Currency, TimeUnit};
use yew::Reducible;

use crate::i18n::Lang;

/// Where a submission stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    /// Nothing in flight.
    Idle,
    /// Waiting for the person to confirm (states the maximum cost).
    Confirming {
        /// A dry run or a real order.
        dry_run: bool,
    },
    /// Sent to the proxy.
    Sending {
        /// A dry run or a real order.
        dry_run: bool,
    },
    /// The proxy answered with an order record (succeeded, failed, unknown…).
    Answered {
        /// The record as JSON.
        record: serde_json::Value,
    },
    /// The proxy refused or could not be reached.
    Refused {
        /// Why, in words.
        message: String,
    },
}

/// The UI state.
#[derive(Debug, Clone, PartialEq)]
pub struct UiState {
    /// The language.
    pub lang: Lang,
    /// What the person needs.
    pub requirement: Requirement,
    /// The chosen offer.
    pub selected: Option<OfferKey>,
    /// The draft order for the chosen offer.
    pub order: Option<SpotOrder>,
    /// The bid as typed.
    pub typed_bid: String,
    /// The currency and unit the bid was typed in (the display ones at the time of typing).
    pub typed_bid_basis: (Currency, TimeUnit),
    /// The typed bid as the cloud receives it (CNY in the cloud's unit), when it converts.
    pub native_bid: Option<String>,
    /// The tags as typed (`key=value, key=value`), kept so half-typed text is not rewritten under the cursor.
    pub tags_text: String,
    /// The data disk sizes as typed (`100, 200`), kept for the same reason.
    pub data_disks_text: String,
    /// The snippet tab shown.
    pub format: Format,
    /// The submission.
    pub submission: Submission,
    /// The idempotency key of the current draft: kept across retries, renewed when the order changes.
    pub idempotency_key: String,
    /// Counter mixed into new keys (the key generator is outside the reducer).
    pub key_serial: u64,
}

impl UiState {
    /// The initial state: 4 vCPU / 8 GiB × 10 for 72 h in mainland China.
    pub fn new(lang: Lang) -> UiState {
        UiState::with_requirement(lang, crate::compare::initial_requirement())
    }

    /// The initial state for a requirement (e.g. one read from the URL).
    pub fn with_requirement(lang: Lang, requirement: Requirement) -> UiState {
        UiState {
            lang,
            requirement,
            selected: None,
            order: None,
            typed_bid: String::new(),
            typed_bid_basis: (Currency::Cny, TimeUnit::Hour),
            native_bid: None,
            tags_text: String::new(),
            data_disks_text: String::new(),
            format: Format::Http,
            submission: Submission::Idle,
            idempotency_key: String::new(),
            key_serial: 0,
        }
    }
}

/// A field of the draft order a person edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    /// Zone.
    Zone,
    /// Image id.
    Image,
    /// VPC id.
    Vpc,
    /// Subnet / vSwitch id.
    Subnet,
    /// The (single) security group.
    SecurityGroup,
    /// System disk size.
    SystemDiskGb,
    /// Key pair.
    KeyPair,
    /// Password.
    Password,
    /// Instance name.
    Name,
    /// Host name.
    Hostname,
    /// Tags, `key=value` separated by commas.
    Tags,
    /// User data, Base64.
    UserData,
    /// Data disk sizes in GiB, separated by commas.
    DataDisksGb,
}

/// Everything that changes the UI state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Switch language.
    SetLang(Lang),
    /// Replace the requirement (the form builds the new one).
    SetRequirement(Requirement),
    /// Re-sort.
    SetSort(SortKey),
    /// Choose an offer; `suggested_bid` is the recommended price in CNY per hour, when known.
    Select {
        /// The offer.
        offer: OfferKey,
        /// The suggested bid as typed (CNY per hour) and as the cloud receives it (its unit and precision).
        suggested_bid: Option<(String, String)>,
        /// A fresh idempotency key for the new draft.
        key: String,
    },
    /// Forget the chosen offer (a plan without one was restored).
    Deselect,
    /// Market or limit bid.
    SetBidMode(BidMode),
    /// The bid as typed (display currency per hour), and its native text (or `None` when it does not convert).
    SetTypedBid {
        /// What the person typed.
        typed: String,
        /// What the cloud receives.
        native: Option<String>,
    },
    /// Edit a launch detail.
    SetField(OrderField, String),
    /// Show a snippet tab.
    SetFormat(Format),
    /// Ask to submit (opens the confirmation).
    AskSubmit {
        /// Dry run or real.
        dry_run: bool,
    },
    /// Confirmation accepted: the request is on its way.
    Confirmed,
    /// Confirmation declined.
    Cancelled,
    /// The proxy's answer.
    Answered(serde_json::Value),
    /// The proxy refused or was unreachable.
    Refused(String),
}

/// A draft order for an offer: what the planner knows, the rest left for the person (and validation) to fill.
pub fn draft_order(offer: &OfferKey, count: u32) -> SpotOrder {
    let spec_shape = offer.cloud == Cloud::Baidu;
    SpotOrder {
        cloud: offer.cloud,
        region: offer.region.clone(),
        zone: offer.zone.clone(),
        instance_type: (!spec_shape).then(|| offer.instance_type.clone()),
        baidu: spec_shape.then(|| spotplan_core::order::BaiduShape {
            spec: Some(offer.instance_type.clone()),
            cpu_count: None,
            memory_gb: None,
        }),
        image_id: String::new(),
        count,
        min_count: None,
        bid: Bid {
            mode: BidMode::Market,
            max_price: None,
            spot_duration_hours: (offer.cloud == Cloud::Alibaba).then_some(1),
            interruption_behavior: None,
        },
        network: Network::default(),
        system_disk: Some(Disk {
            category: None,
            size_gb: Some(40),
        }),
        data_disks: Vec::new(),
        login: Login::default(),
        os: spotplan_core::order::OsFamily::Linux,
        name: None,
        hostname: None,
        tags: Vec::new(),
        user_data: None,
        deletion_protection: false,
        auto_release_time: None,
        dry_run: false,
        client_token: None,
    }
}

fn optional(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

impl Reducible for UiState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let order_changed = matches!(
            action,
            Action::SetBidMode(_) | Action::SetTypedBid { .. } | Action::SetField(..)
        );
        match action {
            Action::SetLang(lang) => next.lang = lang,
            Action::SetRequirement(requirement) => {
                if let Some(order) = &mut next.order {
                    order.count = requirement.instance_count.max(1);
                }
                next.requirement = requirement;
            }
            Action::SetSort(sort) => next.requirement.sort = sort,
            Action::Select {
                offer,
                suggested_bid,
                key,
            } => {
                let mut order = draft_order(&offer, next.requirement.instance_count.max(1));
                if let Some((_, native)) = &suggested_bid {
                    order.bid.mode = BidMode::Limit;
                    order.bid.max_price = Some(native.clone());
                }
                next.native_bid = suggested_bid.as_ref().map(|(_, native)| native.clone());
                next.typed_bid = suggested_bid.map(|(typed, _)| typed).unwrap_or_default();
                next.typed_bid_basis = (next.requirement.currency, next.requirement.unit);
                next.tags_text = String::new();
                next.data_disks_text = String::new();
                next.selected = Some(offer);
                next.order = Some(order);
                next.submission = Submission::Idle;
                next.idempotency_key = key;
            }
            Action::Deselect => {
                next.selected = None;
                next.order = None;
                next.typed_bid = String::new();
                next.native_bid = None;
                next.submission = Submission::Idle;
            }
            Action::SetBidMode(mode) => {
                if let Some(order) = &mut next.order {
                    order.bid.mode = mode;
                    order.bid.max_price = match mode {
                        BidMode::Market => None,
                        // The native value, never the typed text (they differ in unit and currency); an
                        // unconvertible text is passed on as typed, so validation names it.
                        BidMode::Limit => next.native_bid.clone().or_else(|| optional(&next.typed_bid)),
                    };
                }
            }
            Action::SetTypedBid { typed, native } => {
                next.native_bid = native.clone();
                next.typed_bid = typed;
                next.typed_bid_basis = (next.requirement.currency, next.requirement.unit);
                if let Some(order) = &mut next.order
                    && order.bid.mode == BidMode::Limit
                {
                    // An unconvertible text is passed on as typed, so validation names it.
                    order.bid.max_price = native.or_else(|| optional(&next.typed_bid));
                }
            }
            Action::SetField(field, value) => {
                match field {
                    OrderField::Tags => next.tags_text = value.clone(),
                    OrderField::DataDisksGb => next.data_disks_text = value.clone(),
                    _ => {}
                }
                if let Some(order) = &mut next.order {
                    apply_field(order, field, &value);
                }
            }
            Action::SetFormat(format) => next.format = format,
            Action::AskSubmit { dry_run } => next.submission = Submission::Confirming { dry_run },
            Action::Confirmed => {
                if let Submission::Confirming { dry_run } = next.submission {
                    next.submission = Submission::Sending { dry_run };
                }
            }
            Action::Cancelled => next.submission = Submission::Idle,
            Action::Answered(record) => next.submission = Submission::Answered { record },
            Action::Refused(message) => next.submission = Submission::Refused { message },
        }
        if order_changed && self.order != next.order {
            // A changed order is a different order: it must not reuse the old key (the proxy would refuse it).
            next.key_serial += 1;
            next.idempotency_key = format!(
                "{}-{}",
                self.idempotency_key.split('-').next().unwrap_or("draft"),
                next.key_serial
            );
            next.submission = Submission::Idle;
        }
        Rc::new(next)
    }
}

fn apply_field(order: &mut SpotOrder, field: OrderField, value: &str) {
    match field {
        OrderField::Zone => order.zone = optional(value),
        OrderField::Image => order.image_id = value.trim().to_owned(),
        OrderField::Vpc => order.network.vpc_id = optional(value),
        OrderField::Subnet => order.network.subnet_id = optional(value),
        OrderField::SecurityGroup => order.network.security_group_ids = optional(value).into_iter().collect(),
        OrderField::SystemDiskGb => {
            let disk = order.system_disk.get_or_insert_with(Disk::default);
            disk.size_gb = value.trim().parse().ok();
        }
        OrderField::KeyPair => order.login.key_pair = optional(value),
        OrderField::Password => order.login.password = (!value.is_empty()).then(|| value.to_owned()),
        OrderField::Name => order.name = optional(value),
        OrderField::Hostname => order.hostname = optional(value),
        OrderField::Tags => order.tags = comma_separated(value).map(parse_tag).collect(),
        OrderField::UserData => order.user_data = optional(value),
        OrderField::DataDisksGb => {
            // A part that is not a whole number becomes a disk without a size, which validation names.
            order.data_disks = comma_separated(value)
                .map(|size| Disk {
                    category: None,
                    size_gb: size.parse().ok(),
                })
                .collect();
        }
    }
}

/// The non-empty, trimmed parts of a list typed with ASCII or full-width commas.
pub fn comma_separated(value: &str) -> impl Iterator<Item = &str> {
    value.split([',', '，']).map(str::trim).filter(|part| !part.is_empty())
}

fn parse_tag(part: &str) -> Tag {
    let (key, value) = part.split_once('=').unwrap_or((part, ""));
    Tag {
        key: key.trim().to_owned(),
        value: value.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn tencent_offer() -> OfferKey {
        OfferKey {
            cloud: Cloud::Tencent,
            region: "ap-guangzhou".into(),
            zone: Some("ap-guangzhou-6".into()),
            instance_type: "S6.LARGE8".into(),
        }
    }

    fn reduce(state: UiState, action: Action) -> UiState {
        (*Rc::new(state).reduce(action)).clone()
    }

    #[test]
    fn choosing_an_offer_drafts_an_order_with_the_suggested_bid() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                suggested_bid: Some(("0.14".into(), "0.14".into())),
                key: "k1a2b3c4d".into(),
            },
        );
        let order = state.order.unwrap();
        assert_eq!(
            (order.cloud, order.zone.as_deref(), order.instance_type.as_deref()),
            (Cloud::Tencent, Some("ap-guangzhou-6"), Some("S6.LARGE8"))
        );
        assert_eq!(
            (order.bid.mode, order.bid.max_price.as_deref()),
            (BidMode::Limit, Some("0.14"))
        );
        assert_eq!(order.count, 10);
        assert_eq!(state.idempotency_key, "k1a2b3c4d");
    }

    #[test]
    fn editing_the_order_renews_the_key_but_retrying_keeps_it() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                suggested_bid: None,
                key: "k1a2b3c4d".into(),
            },
        );
        let asked = reduce(state.clone(), Action::AskSubmit { dry_run: false });
        let sent = reduce(asked, Action::Confirmed);
        let failed = reduce(sent, Action::Refused("proxy unreachable".into()));
        let retried = reduce(failed, Action::AskSubmit { dry_run: false });
        assert_eq!(retried.idempotency_key, "k1a2b3c4d", "a retry reuses the key");
        let edited = reduce(retried, Action::SetField(OrderField::Image, "img-1".into()));
        assert_ne!(edited.idempotency_key, "k1a2b3c4d", "a changed order gets a new key");
        assert_eq!(edited.submission, Submission::Idle);
    }

    #[test]
    fn market_mode_drops_the_price_and_limit_mode_restores_it() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                suggested_bid: Some(("0.14".into(), "0.14".into())),
                key: "k1".into(),
            },
        );
        let market = reduce(state, Action::SetBidMode(BidMode::Market));
        assert_eq!(market.order.as_ref().unwrap().bid.max_price, None);
        let limit = reduce(market, Action::SetBidMode(BidMode::Limit));
        assert_eq!(limit.order.as_ref().unwrap().bid.max_price.as_deref(), Some("0.14"));
        let typed = reduce(
            limit,
            Action::SetTypedBid {
                typed: "0.2".into(),
                native: Some("0.2".into()),
            },
        );
        assert_eq!(typed.order.unwrap().bid.max_price.as_deref(), Some("0.2"));
    }

    #[test]
    fn limit_mode_restores_the_native_price_not_the_typed_text() {
        // Baidu: 0.3 CNY an hour typed, 0.005 CNY a minute sent.
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                suggested_bid: None,
                key: "k1".into(),
            },
        );
        let typed = reduce(
            state,
            Action::SetTypedBid {
                typed: "0.3".into(),
                native: Some("0.005".into()),
            },
        );
        assert_eq!(
            typed.order.as_ref().unwrap().bid.max_price,
            None,
            "market mode sends no price"
        );
        let limit = reduce(typed, Action::SetBidMode(BidMode::Limit));
        assert_eq!(limit.order.unwrap().bid.max_price.as_deref(), Some("0.005"));
    }

    #[test]
    fn a_baidu_offer_is_drafted_by_spec() {
        let offer = OfferKey {
            cloud: Cloud::Baidu,
            region: "bj".into(),
            zone: None,
            instance_type: "bcc.g5.c2m8".into(),
        };
        let state = reduce(
            UiState::new(Lang::Zh),
            Action::Select {
                offer,
                suggested_bid: None,
                key: "k".into(),
            },
        );
        let order = state.order.unwrap();
        assert_eq!(order.instance_type, None);
        assert_eq!(order.baidu.unwrap().spec.as_deref(), Some("bcc.g5.c2m8"));
    }

    #[test]
    fn tags_and_data_disks_keep_the_typed_text_and_parse_what_they_can() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                suggested_bid: None,
                key: "k".into(),
            },
        );
        let state = reduce(
            state,
            Action::SetField(OrderField::Tags, "env=prod， team = ml, ".into()),
        );
        let state = reduce(state, Action::SetField(OrderField::DataDisksGb, "100, big".into()));
        assert_eq!(
            state.tags_text, "env=prod， team = ml, ",
            "half-typed text stays as typed"
        );
        let order = state.order.clone().unwrap();
        let tags: Vec<(&str, &str)> = order.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
        assert_eq!(tags, [("env", "prod"), ("team", "ml")]);
        let sizes: Vec<Option<u32>> = order.data_disks.iter().map(|d| d.size_gb).collect();
        assert_eq!(
            sizes,
            [Some(100), None],
            "a size that is not a number is left for validation to name"
        );
        let reselected = reduce(
            state,
            Action::Select {
                offer: tencent_offer(),
                suggested_bid: None,
                key: "k2".into(),
            },
        );
        assert_eq!(
            (reselected.tags_text.as_str(), reselected.data_disks_text.as_str()),
            ("", "")
        );
    }
}
