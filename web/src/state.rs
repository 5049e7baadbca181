//! All UI state in one reducer: the requirement, the exchange rate, the chosen offer and its draft order, the
//! bid field, the snippet tab, the submission, the language. Pure and tested natively; components only dispatch
//! [`Action`]s. It depends on no view.

use crate::account_sites::AccountSites;
use std::rc::Rc;

use rust_decimal::Decimal;
use spotplan_core::api::orders::SubmitAnswer;
use spotplan_core::catalog::OfferKey;
use spotplan_core::order::format::Format;
use spotplan_core::order::native_bid::{self, NativeBid, TypedBidError};
use spotplan_core::order::{BidMode, Disk, OsFamily, Problem, Severity, SpotOrder, Tag};
use spotplan_core::plan::{Area, Requirement, SortKey};
use spotplan_core::{Cloud, Currency, ExchangeRate, PriceRate, TimeUnit};
use yew::Reducible;

use crate::i18n::Lang;
use crate::unread_text::{RequirementField, UnreadText};

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
        /// The answer: the logged order with its outcome.
        record: Box<SubmitAnswer>,
    },
    /// The proxy refused or could not be reached.
    Refused {
        /// Why, in words.
        message: String,
        /// The proxy's refusal field by field (shown beside each field; empty when it named none or did not
        /// answer).
        problems: Vec<Problem>,
        /// Whether what was refused was a dry run (a retry repeats what was asked).
        dry_run: bool,
        /// Whether the key is spent: the proxy settled its order for good (looked up at the cloud and not found),
        /// so a retry under it can only hear the same; a new order needs a new key.
        key_spent: bool,
        /// Whether the proxy's answer says nothing was placed under the key ([`crate::api::ApiError::placed_nothing`]);
        /// otherwise (no answer, a server fault, an unknown outcome) the order may exist.
        placed_nothing: bool,
    },
}

impl Submission {
    /// Whether a real order was placed (the cloud answered with success — or named instances to a dry run it did
    /// not honour): the draft is spent, and a new order needs a new idempotency key.
    pub fn placed(&self) -> bool {
        matches!(self, Submission::Answered { record }
            if record.record.status == spotplan_core::order::outcome::OrderStatus::Succeeded
                && (!record.record.dry_run || !record.record.instance_ids.is_empty()))
    }

    /// What a real order sent under the draft's key may have left behind when the draft changes: `Some(None)` while
    /// it was being sent, `Some(Some(outcome))` once it answered that it may exist (unknown, or no answer); `None`
    /// when it cannot have created anything (nothing sent, a dry run, a final outcome shown already).
    fn may_have_placed(&self) -> Option<Option<String>> {
        match self {
            Submission::Sending { dry_run: false } => Some(None),
            Submission::Answered { record }
                if !record.record.dry_run
                    && record.record.status == spotplan_core::order::outcome::OrderStatus::Unknown =>
            {
                Some(Some("unknown".into()))
            }
            // The proxy's own refusal before anything was logged under the key (a rule, a spend ceiling — also one
            // naming no field of the order —, a region) cannot have placed anything.
            Submission::Refused {
                dry_run: false,
                key_spent: false,
                placed_nothing: false,
                message,
                ..
            } => Some(Some(message.clone())),
            _ => None,
        }
    }

    /// Whether this state says something about a real order sent under the draft's key (being sent, answered or
    /// refused) — not the dialog, a dry run or nothing.
    fn is_about_a_real_order(&self) -> bool {
        match self {
            Submission::Sending { dry_run } | Submission::Refused { dry_run, .. } => !dry_run,
            Submission::Answered { record } => !record.record.dry_run,
            Submission::Idle | Submission::Confirming { .. } => false,
        }
    }

    /// The proxy's refusal of the draft field by field (empty unless it refused naming fields).
    pub fn refused_problems(&self) -> &[Problem] {
        match self {
            Submission::Refused { problems, .. } => problems,
            _ => &[],
        }
    }

    /// Whether the draft's key can no longer place anything: its order was placed, refused by the cloud for good
    /// (`failed` is final: the proxy answers a retry under the key from its log and sends nothing), or settled
    /// as not found.
    pub fn key_spent(&self) -> bool {
        self.placed() || self.failed_for_good() || matches!(self, Submission::Refused { key_spent: true, .. })
    }

    /// Whether the cloud refused the draft's real order with a final answer.
    pub fn failed_for_good(&self) -> bool {
        matches!(self, Submission::Answered { record }
            if record.record.status == spotplan_core::order::outcome::OrderStatus::Failed && !record.record.dry_run)
    }
}

/// A real order sent under an earlier key of the draft, which may exist: the draft changed (a new key) while it
/// was being sent or while its outcome was unknown. Placing the changed draft is a second order, so the panel says
/// so, and an answer that arrives for the earlier key lands here, never on the new draft.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlierOrder {
    /// The key it was sent under.
    pub key: String,
    /// What it came back with, as far as known (`None`: still being sent when the draft changed).
    pub outcome: Option<String>,
    /// Whether it is known from before a reload of the page (its answer, if any, was lost with the page).
    pub from_before_reload: bool,
}

/// The bid field: the text as typed, the currency and unit it was typed in, and the core's one reading of it.
#[derive(Debug, Clone, PartialEq)]
pub struct BidEntry {
    /// The text, exactly as typed (or as suggested).
    pub text: String,
    /// The currency and unit it was typed in (the display ones at the time of typing).
    pub typed_in: (Currency, TimeUnit),
    /// The bid the cloud receives, or why the text is not one; `None` while the field is empty.
    pub reading: Option<Result<NativeBid, TypedBidError>>,
}

impl BidEntry {
    fn empty(typed_in: (Currency, TimeUnit)) -> BidEntry {
        BidEntry {
            text: String::new(),
            typed_in,
            reading: None,
        }
    }

    /// The price to send, when the text reads as one.
    pub fn price(&self) -> Option<native_bid::BidPrice> {
        match &self.reading {
            Some(Ok(bid)) => Some(bid.price),
            _ => None,
        }
    }

    /// Why the text is not a bid, when it is not.
    pub fn error(&self) -> Option<&TypedBidError> {
        self.reading.as_ref()?.as_ref().err()
    }
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
    /// The CNY-per-USD rate prices are shown and bids converted with.
    pub fx: ExchangeRate,
    /// Each cloud account's site, and so the currency its bids are sent in.
    pub account_sites: AccountSites,
    /// The bid field.
    pub bid: BidEntry,
    /// The tags as typed (`key=value, key=value`), kept so half-typed text is not rewritten under the cursor.
    pub tags_text: String,
    /// The data disk sizes as typed (`100, 200`), kept for the same reason.
    pub data_disks_text: String,
    /// The system disk size as typed, once typed (`None`: the draft's own size is shown): text that is not a whole
    /// number of GB must not quietly become "the cloud's default size".
    pub system_disk_text: Option<String>,
    /// The other launch details as typed since the offer was chosen: the order holds them trimmed, and showing the
    /// trimmed text would eat a space under the cursor ("web server" could not be typed).
    pub typed_fields: Vec<(OrderField, String)>,
    /// Requirement fields showing text the plan does not hold (it keeps their last valid values meanwhile).
    pub unread: UnreadText,
    /// The snippet tab shown.
    pub format: Format,
    /// The submission.
    pub submission: Submission,
    /// The idempotency key of the current draft: kept across retries, renewed when the order changes.
    pub idempotency_key: String,
    /// Real orders sent under earlier keys that may exist, oldest first ([`EarlierOrder`]): each is named until
    /// the person dismisses it (a second unsettled order does not hide the first).
    pub earlier: Vec<EarlierOrder>,
    /// What the real order sent under the current key may have left ([`Submission::may_have_placed`]), kept while
    /// the dialog opens and is cancelled, a dry run runs or the offer is deselected — which all replace
    /// `submission` but not what was sent — so that a new key names it as an earlier order.
    sent_unsettled: Option<Option<String>>,
    /// The serial of the draft's renewed keys.
    pub key_serial: u64,
    /// How many times a person chose an offer with a Choose button: each time, the bid panel comes into view and
    /// takes focus (a plan restored from the URL chooses its offer without moving the page).
    pub bid_reveals: u32,
}

impl UiState {
    /// Problems with text typed in the UI's own syntax, which the core never sees: a tag without `=` (is
    /// "team" a key with an empty value, or a typo?), a system disk that is not whole GB, a requirement field the
    /// plan does not hold ([`UnreadText`]). Shown beside the bid; placing waits until they are fixed.
    pub fn entry_problems(&self) -> Vec<Problem> {
        let mut problems = launch_text_problems(
            &self.tags_text,
            self.system_disk_text.as_deref().unwrap_or_default(),
            &self.data_disks_text,
        );
        problems.extend(self.unread.problems());
        problems
    }

    /// What a launch detail's field shows: the text as typed while the order still holds it (trimmed), else the
    /// order's own `current` value (set since from elsewhere: a picker, another offer).
    pub fn shown_text(&self, which: OrderField, current: String) -> String {
        match self.typed_fields.iter().find(|(field, _)| *field == which) {
            Some((_, typed)) if typed.trim() == current.trim() => typed.clone(),
            _ => current,
        }
    }

    /// A field was edited after the proxy refused the draft naming fields: that refusal (nothing was logged
    /// under the key) no longer describes the draft, so it goes rather than stand beside the edited field.
    fn refusal_edited(&mut self) {
        if !self.submission.refused_problems().is_empty() {
            self.submission = Submission::Idle;
        }
    }

    /// Records what the earlier order sent under `key` came back with (an answer for any other stale key — a dry
    /// run's — changes nothing).
    fn earlier_answered(&mut self, key: &str, outcome: String) {
        if let Some(earlier) = self.earlier.iter_mut().find(|earlier| earlier.key == key) {
            earlier.outcome = Some(outcome);
        }
    }

    /// Names a real order sent under `key` as an earlier one (once).
    fn add_earlier(&mut self, earlier: EarlierOrder) {
        if !self.earlier.iter().any(|known| known.key == earlier.key) {
            self.earlier.push(earlier);
        }
    }

    /// Whether a real order sent under the draft's key may have placed something and has no final answer yet.
    pub fn has_unsettled_send(&self) -> bool {
        self.sent_unsettled.is_some()
    }

    /// Whether a request sent under `key` is the draft's: its key, or its dry-run key.
    fn sent_under(&self, key: &str) -> bool {
        key == self.idempotency_key || key.strip_suffix("-dry") == Some(self.idempotency_key.as_str())
    }

    /// A new idempotency key for the draft, and nothing in flight: the whole random key the draft started with
    /// (a UUID, or the generator's random fallback), `_`, and the next serial. The whole stem — not a piece of it —
    /// keeps keys of different sessions apart (a serial restarts with the page, and a session meeting an earlier
    /// session's key would be answered with that order); the reducer stays pure (the generator is outside it).
    fn renew_key(&mut self, previous: &str) {
        self.key_serial += 1;
        let stem = previous.split('_').next().unwrap_or(previous);
        self.idempotency_key = format!("{stem}_{}", self.key_serial);
        self.submission = Submission::Idle;
    }

    /// The initial state: 4 vCPU / 8 GiB × 10 for 72 h in mainland China.
    pub fn new(lang: Lang) -> UiState {
        UiState::with_requirement(lang, initial_requirement())
    }

    /// The initial state for a requirement (e.g. one read from the URL).
    pub fn with_requirement(lang: Lang, requirement: Requirement) -> UiState {
        UiState {
            lang,
            selected: None,
            order: None,
            fx: ExchangeRate::default(),
            account_sites: AccountSites::default(),
            bid: BidEntry::empty((requirement.currency, requirement.unit)),
            tags_text: String::new(),
            data_disks_text: String::new(),
            system_disk_text: None,
            typed_fields: Vec::new(),
            unread: UnreadText::default(),
            format: Format::Http,
            submission: Submission::Idle,
            idempotency_key: String::new(),
            earlier: Vec::new(),
            sent_unsettled: None,
            key_serial: 0,
            bid_reveals: 0,
            requirement,
        }
    }

    /// The currency and unit prices are shown in.
    pub fn display(&self) -> (Currency, TimeUnit) {
        (self.requirement.currency, self.requirement.unit)
    }

    /// The bid field's text as shown now: as typed while the display is what it was typed in, otherwise the bid
    /// the cloud receives, converted to the display (so a changed currency or unit never relabels a number).
    pub fn bid_text_shown(&self) -> String {
        let display = self.display();
        if self.bid.typed_in == display {
            return self.bid.text.clone();
        }
        let shown = self.order.as_ref().and_then(|order| {
            native_bid::shown_as(
                self.bid.price()?,
                order.cloud,
                order.account_currency,
                display,
                &self.fx,
            )
        });
        match shown {
            Some(rate) => native_bid::typed_text(rate.money.amount, display.1),
            None => self.bid.text.clone(),
        }
    }

    /// The draft in its cloud's account currency, and the typed bid read again for it (the text stays as typed).
    fn reread_bid(&mut self) {
        if let Some(order) = &mut self.order {
            order.account_currency = self.account_sites.currency(order.cloud);
        }
        self.bid = self.read_bid(self.bid.text.clone(), self.bid.typed_in);
        if let Some(order) = &mut self.order {
            sync_bid(order, &self.bid);
        }
    }

    /// Reads `text` as the bid for the draft's cloud and account currency.
    fn read_bid(&self, text: String, typed_in: (Currency, TimeUnit)) -> BidEntry {
        let reading = match &self.order {
            Some(order) if !text.trim().is_empty() => Some(native_bid::read_typed(
                &text,
                typed_in,
                order.cloud,
                order.account_currency,
                &self.fx,
            )),
            _ => None,
        };
        BidEntry {
            text,
            typed_in,
            reading,
        }
    }
}

/// The default requirement the page opens with: 4 vCPU / 8 GiB × 10 for 72 h in mainland China.
pub fn initial_requirement() -> Requirement {
    Requirement {
        vcpu_min: Some(4),
        vcpu_max: Some(4),
        memory_min_gib: Some(Decimal::from(8)),
        memory_max_gib: Some(Decimal::from(8)),
        instance_count: 10,
        hours: Decimal::from(72),
        area: Area::MainlandChina,
        ..Requirement::default()
    }
}

/// A field of the draft order a person edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    /// Zone.
    Zone,
    /// Image id.
    Image,
    /// The image's operating system family (`linux` or `windows`): set from the listed image, or chosen.
    Os,
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
    /// Baidu: the GPU/FPGA card of a heterogeneous spec (`isomerismCard`).
    IsomerismCard,
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
    /// Back or forward restored a history entry's requirement: when it is another plan, the page shows it whole, so
    /// text typed earlier that the plan could not use goes with what it was typed over (a page switch, the same
    /// plan, keeps it).
    RestoreRequirement(Requirement),
    /// A requirement field shows text the plan does not hold (`Some`), or holds what it shows again (`None`).
    RequirementText(RequirementField, Option<String>),
    /// Sort by a key: its natural order first, the reverse when it is already the key in its natural order.
    SetSort(SortKey),
    /// Sort by a key in a given direction (`true`: the reverse of its natural order).
    SetSortDirection(SortKey, bool),
    /// Set the CNY-per-USD rate (a bid typed in USD is converted anew).
    SetExchangeRate(ExchangeRate),
    /// The person says which site a cloud's account is on (its currency); the typed bid is converted anew.
    SetAccountCurrency(Cloud, Currency),
    /// The proxy's health answer arrived: the account sites of the credentials it holds decide.
    ProxyReported(Box<spotplan_core::api::health::Health>),
    /// Choose an offer, with the recommended maximum price when the history supports one.
    Select {
        /// The offer.
        offer: OfferKey,
        /// The recommended price (any currency and unit), suggested as a limit bid.
        recommended: Option<PriceRate>,
        /// A fresh idempotency key for the new draft.
        key: String,
    },
    /// Forget the chosen offer (a plan without one was restored).
    Deselect,
    /// A person chose an offer: bring its bid panel into view.
    RevealBid,
    /// Market or limit bid.
    SetBidMode(BidMode),
    /// The bid field's text, typed in the display currency and unit.
    SetTypedBid(String),
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
    /// The proxy's answer to the request sent under `key`.
    Answered {
        /// The key the request was sent under (`…-dry` for a dry run).
        key: String,
        /// The answer.
        answer: Box<SubmitAnswer>,
    },
    /// The proxy refused, or could not be reached, for the request sent under `key`.
    Refused {
        /// The key the request was sent under.
        key: String,
        /// Whether the request was a dry run (a retry repeats what was asked).
        dry_run: bool,
        /// Why, in words.
        message: String,
        /// The proxy's refusal field by field, when it named fields.
        problems: Vec<Problem>,
        /// Whether the answer says nothing was placed under the key ([`crate::api::ApiError::placed_nothing`]).
        placed_nothing: bool,
    },
    /// The proxy answered that the key's order is settled for good (`order_not_found_at_cloud`).
    KeySpent {
        /// The key the request was sent under.
        key: String,
        /// Why, in words.
        message: String,
    },
    /// After a placed order: start another from the same draft, under a new idempotency key.
    NewOrder,
    /// The page was reloaded while a real order sent under this key had no known outcome.
    RecallEarlier(String),
    /// The person has seen the note on the earlier order sent under this key.
    DismissEarlier(String),
}

pub use spotplan_core::order::draft::draft_order;

/// Sends the field's price in limit mode and none in market mode.
fn sync_bid(order: &mut SpotOrder, entry: &BidEntry) {
    order.bid.max_price = match order.bid.mode {
        BidMode::Market => None,
        BidMode::Limit => entry.price(),
    };
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
            Action::SetBidMode(_)
                | Action::SetRequirement(_)
                | Action::RestoreRequirement(_)
                | Action::SetTypedBid(_)
                | Action::SetExchangeRate(_)
                | Action::SetAccountCurrency(..)
                | Action::ProxyReported(_)
                | Action::SetField(..)
        );
        match action {
            Action::SetLang(lang) => next.lang = lang,
            Action::RequirementText(field, unread) => next.unread.set(field, unread),
            Action::SetRequirement(requirement) => {
                if let Some(order) = &mut next.order {
                    order.count = requirement.instance_count.max(1);
                }
                next.requirement = requirement;
            }
            Action::RestoreRequirement(mut requirement) => {
                if let Some(order) = &mut next.order {
                    order.count = requirement.instance_count.max(1);
                }
                // The accounts are not part of a link's plan. The same plan (a switch of page) keeps what was typed.
                requirement.account_currencies = next.requirement.account_currencies.clone();
                if requirement != next.requirement {
                    next.unread = UnreadText::default();
                }
                next.requirement = requirement;
            }
            Action::SetSort(sort) => {
                let reversed = next.requirement.sort == sort && !next.requirement.sort_reversed;
                (next.requirement.sort, next.requirement.sort_reversed) = (sort, reversed);
            }
            Action::SetSortDirection(sort, reversed) => {
                (next.requirement.sort, next.requirement.sort_reversed) = (sort, reversed);
            }
            Action::SetExchangeRate(fx) => {
                next.fx = fx;
                next.reread_bid();
            }
            Action::SetAccountCurrency(cloud, currency) => {
                next.account_sites.choose(cloud, currency);
                next.reread_bid();
            }
            Action::ProxyReported(health) => {
                next.account_sites.take_from(&health);
                next.reread_bid();
            }
            Action::Select {
                offer,
                recommended,
                key,
            } => {
                let mut order = draft_order(&offer, next.requirement.instance_count.max(1));
                order.account_currency = next.account_sites.currency(offer.cloud);
                let display = next.display();
                let suggestion = recommended.and_then(|rate| {
                    native_bid::suggested(rate, order.cloud, order.account_currency, display, &next.fx)
                });
                next.order = Some(order);
                next.bid = match suggestion {
                    Some(suggestion) => next.read_bid(suggestion.typed, display),
                    None => BidEntry::empty(display),
                };
                if let Some(order) = &mut next.order {
                    if next.bid.price().is_some() {
                        order.bid.mode = BidMode::Limit;
                    }
                    sync_bid(order, &next.bid);
                }
                next.tags_text = String::new();
                next.data_disks_text = String::new();
                next.system_disk_text = None;
                next.typed_fields.clear();
                next.selected = Some(offer);
                next.submission = Submission::Idle;
                next.idempotency_key = key;
            }
            Action::RevealBid => next.bid_reveals = next.bid_reveals.wrapping_add(1),
            Action::Deselect => {
                next.selected = None;
                next.order = None;
                next.bid = BidEntry::empty(next.display());
                next.submission = Submission::Idle;
            }
            Action::SetBidMode(mode) => {
                next.refusal_edited();
                if let Some(order) = &mut next.order {
                    order.bid.mode = mode;
                    sync_bid(order, &next.bid);
                }
            }
            Action::SetTypedBid(text) => {
                next.refusal_edited();
                next.bid = next.read_bid(text, next.display());
                if let Some(order) = &mut next.order {
                    sync_bid(order, &next.bid);
                }
            }
            Action::SetField(field, value) => {
                next.refusal_edited();
                match field {
                    OrderField::Tags => next.tags_text = value.clone(),
                    OrderField::DataDisksGb => next.data_disks_text = value.clone(),
                    OrderField::SystemDiskGb => next.system_disk_text = Some(value.clone()),
                    other => {
                        next.typed_fields.retain(|(field, _)| *field != other);
                        next.typed_fields.push((other, value.clone()));
                    }
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
            // An answer for a key the draft no longer has belongs to the earlier order, not to this draft.
            Action::Answered { ref key, ref answer } if !self.sent_under(key) => {
                next.earlier_answered(key, answer.record.status.as_str().to_owned());
            }
            // An earlier key's refusal saying nothing was placed under it: there is no earlier order to warn of.
            Action::Refused {
                ref key,
                placed_nothing: true,
                ..
            } if !self.sent_under(key) => next.earlier.retain(|earlier| &earlier.key != key),
            Action::Refused {
                ref key, ref message, ..
            }
            | Action::KeySpent { ref key, ref message }
                if !self.sent_under(key) =>
            {
                next.earlier_answered(key, message.clone());
            }
            Action::Answered { answer, .. } => next.submission = Submission::Answered { record: answer },
            Action::Refused {
                dry_run,
                message,
                problems,
                placed_nothing,
                ..
            } => {
                next.submission = Submission::Refused {
                    message,
                    problems,
                    dry_run,
                    key_spent: false,
                    placed_nothing,
                };
            }
            Action::KeySpent { message, .. } => {
                next.submission = Submission::Refused {
                    message,
                    problems: Vec::new(),
                    dry_run: false,
                    key_spent: true,
                    placed_nothing: false,
                };
            }
            Action::RecallEarlier(key) => next.add_earlier(EarlierOrder {
                key,
                outcome: None,
                from_before_reload: true,
            }),
            Action::DismissEarlier(key) => next.earlier.retain(|earlier| earlier.key != key),
            Action::NewOrder => {
                // The same draft as a new order: a fresh key, so the proxy does not answer with the placed one.
                next.renew_key(&self.idempotency_key);
            }
        }
        if order_changed && self.order != next.order {
            // A changed order is a different order: it must not reuse the old key (the proxy would refuse it).
            next.renew_key(&self.idempotency_key);
        }
        if next.idempotency_key != self.idempotency_key {
            if let Some(outcome) = self.sent_unsettled.clone() {
                next.add_earlier(EarlierOrder {
                    key: self.idempotency_key.clone(),
                    outcome,
                    from_before_reload: false,
                });
            }
            next.sent_unsettled = None;
        } else if next.submission.is_about_a_real_order() {
            next.sent_unsettled = next.submission.may_have_placed();
        }
        // The plan's worst cases are what bids sent from these accounts can reach.
        next.requirement.account_currencies = next.account_sites.currencies();
        Rc::new(next)
    }
}

/// Problems with launch details typed in the UI's own syntax, which the core never sees: a tag without `=` (is
/// "team" a key with an empty value, or a typo?), a system or data disk that is not whole GB. The Plan page shows
/// them beside the bid; the fleet's orders, which take the launch details the Plan page remembered, carry them too.
pub fn launch_text_problems(tags_text: &str, system_disk_text: &str, data_disks_text: &str) -> Vec<Problem> {
    let mut problems: Vec<Problem> = comma_separated(tags_text)
        .enumerate()
        .filter(|(_, part)| !part.contains('='))
        .map(|(index, part)| Problem {
            field: format!("tags[{index}]"),
            rule: "ui.tags.key_value".into(),
            value: part.to_owned(),
            severity: Severity::Error,
            message_en: format!("tag “{part}” has no “=”: write key=value (key= for an empty value)"),
            message_zh: format!("标签“{part}”缺少“=”：请写成 键=值（值为空时写 键=）"),
            prevents: None,
            source: Some("the app's tag syntax: key=value, comma-separated".into()),
        })
        .collect();
    let text = system_disk_text.trim();
    if !text.is_empty() && text.parse::<u32>().is_err() {
        problems.push(Problem {
            field: "system_disk.size_gb".into(),
            rule: "ui.system_disk.whole_gb".into(),
            value: text.to_owned(),
            severity: Severity::Error,
            message_en: format!(
                "system disk “{text}” is not a whole number of GB (leave it empty for the cloud's default size)"
            ),
            message_zh: format!("系统盘“{text}”不是整数 GB（留空则使用云的默认大小）"),
            prevents: None,
            source: Some("the app's number syntax: a whole number of GB".into()),
        });
    }
    // A size that is not a whole number reaches the order as a disk without a size; the text is named here.
    problems.extend(
        comma_separated(data_disks_text)
            .enumerate()
            .filter(|(_, part)| part.parse::<u32>().is_err())
            .map(|(index, part)| Problem {
                field: format!("data_disks[{index}].size_gb"),
                rule: "ui.data_disk.whole_gb".into(),
                value: part.to_owned(),
                severity: Severity::Error,
                message_en: format!("data disk {} “{part}” is not a whole number of GB", index + 1),
                message_zh: format!("第 {} 块数据盘“{part}”不是整数 GB", index + 1),
                prevents: None,
                source: Some("the app's number syntax: a whole number of GB".into()),
            }),
    );
    problems
}

/// Writes one typed launch detail into an order (the fleet page applies remembered fields with it too).
pub fn apply_field(order: &mut SpotOrder, field: OrderField, value: &str) {
    match field {
        OrderField::Zone => order.zone = optional(value),
        OrderField::Image => order.image_id = value.trim().to_owned(),
        OrderField::Os => {
            order.os = if value == "windows" {
                OsFamily::Windows
            } else {
                OsFamily::Linux
            }
        }
        OrderField::Vpc => order.network.vpc_id = optional(value),
        OrderField::Subnet => order.network.subnet_id = optional(value),
        OrderField::SecurityGroup => order.network.security_group_ids = optional(value).into_iter().collect(),
        OrderField::SystemDiskGb => {
            let disk = order.system_disk.get_or_insert_with(Disk::default);
            disk.size_gb = value.trim().parse().ok();
        }
        OrderField::KeyPair => order.login.key_pair = optional(value),
        OrderField::IsomerismCard => {
            if let Some(shape) = &mut order.baidu {
                shape.isomerism_card = optional(value);
            }
        }
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

    fn baidu_offer() -> OfferKey {
        OfferKey {
            cloud: Cloud::Baidu,
            region: "bj".into(),
            zone: None,
            instance_type: "bcc.g5.c2m8".into(),
        }
    }

    fn cny_per_hour(text: &str) -> PriceRate {
        PriceRate::new(
            spotplan_core::Money::parse(text, Currency::Cny).unwrap(),
            TimeUnit::Hour,
        )
    }

    fn price_sent(state: &UiState) -> Option<String> {
        state.order.as_ref()?.bid.max_price.map(|price| price.to_string())
    }

    fn reduce(state: UiState, action: Action) -> UiState {
        (*Rc::new(state).reduce(action)).clone()
    }

    /// A fresh state with the Tencent offer chosen (no recommended bid) under `key`.
    fn chosen_tencent(key: &str) -> UiState {
        reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                recommended: None,
                key: key.into(),
            },
        )
    }

    #[test]
    fn back_or_forward_lets_go_of_text_the_plan_could_not_use() {
        let typed = reduce(
            UiState::new(Lang::En),
            Action::RequirementText(RequirementField::Instances, Some("1,000".into())),
        );
        assert!(!typed.unread.is_empty());
        // The form's own edits keep it (it is still what the field shows)…
        assert!(
            !reduce(typed.clone(), Action::SetRequirement(Requirement::default()))
                .unread
                .is_empty()
        );
        // …so does a switch of page (the same plan comes back from the URL); another plan restored whole does not.
        let same = typed.requirement.clone();
        assert!(
            !reduce(typed.clone(), Action::RestoreRequirement(same.clone()))
                .unread
                .is_empty()
        );
        let other = Requirement {
            hours: same.hours + Decimal::ONE,
            ..same
        };
        assert!(reduce(typed, Action::RestoreRequirement(other)).unread.is_empty());
    }

    #[test]
    fn the_plan_knows_each_accounts_currency_whatever_else_changes() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::SetAccountCurrency(Cloud::Alibaba, Currency::Usd),
        );
        assert_eq!(state.requirement.account_currencies.of(Cloud::Alibaba), Currency::Usd);
        // A new requirement (the form, a link) keeps it: the accounts are not part of what the person needs.
        let state = reduce(state, Action::SetRequirement(Requirement::default()));
        assert_eq!(state.requirement.account_currencies.of(Cloud::Alibaba), Currency::Usd);
        assert_eq!(state.requirement.account_currencies.of(Cloud::Tencent), Currency::Cny);
    }

    #[test]
    fn only_a_persons_choice_moves_the_page_to_the_bid() {
        let select = Action::Select {
            offer: tencent_offer(),
            recommended: None,
            key: "k1a2b3c4d".into(),
        };
        // A plan restored from the URL selects its offer and leaves the page where it is.
        let restored = reduce(UiState::new(Lang::En), select);
        assert_eq!(restored.bid_reveals, 0);
        // The Choose button also asks for the bid to be shown, every time.
        let chosen = reduce(restored, Action::RevealBid);
        assert_eq!(chosen.bid_reveals, 1);
        assert_eq!(reduce(chosen, Action::RevealBid).bid_reveals, 2);
    }

    #[test]
    fn choosing_an_offer_drafts_an_order_with_the_suggested_bid() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                recommended: Some(cny_per_hour("0.14")),
                key: "k1a2b3c4d".into(),
            },
        );
        let order = state.order.unwrap();
        assert_eq!(
            (order.cloud, order.zone.as_deref(), order.instance_type.as_deref()),
            (Cloud::Tencent, Some("ap-guangzhou-6"), Some("S6.LARGE8"))
        );
        assert_eq!(
            (order.bid.mode, order.bid.max_price.map(|p| p.to_string())),
            (BidMode::Limit, Some("0.14".to_owned()))
        );
        assert_eq!(order.count, 10);
        assert_eq!(state.idempotency_key, "k1a2b3c4d");
    }

    /// A Tencent order under key `k1a2b3c4d`, confirmed and on its way to the proxy.
    fn sending_an_order() -> UiState {
        let state = chosen_tencent("k1a2b3c4d");
        reduce(reduce(state, Action::AskSubmit { dry_run: false }), Action::Confirmed)
    }

    #[test]
    fn editing_the_order_renews_the_key_but_retrying_keeps_it() {
        let sent = sending_an_order();
        let failed = reduce(
            sent,
            Action::Refused {
                key: "k1a2b3c4d".into(),
                dry_run: false,
                message: "proxy unreachable".into(),
                problems: Vec::new(),
                placed_nothing: false,
            },
        );
        assert_eq!(
            failed.submission,
            Submission::Refused {
                message: "proxy unreachable".into(),
                problems: Vec::new(),
                dry_run: false,
                key_spent: false,
                placed_nothing: false,
            }
        );
        assert!(!failed.submission.key_spent(), "a retry may still place it");
        let retried = reduce(failed, Action::AskSubmit { dry_run: false });
        assert_eq!(retried.idempotency_key, "k1a2b3c4d", "a retry reuses the key");
        let edited = reduce(retried, Action::SetField(OrderField::Image, "img-1".into()));
        assert_ne!(edited.idempotency_key, "k1a2b3c4d", "a changed order gets a new key");
        assert_eq!(edited.submission, Submission::Idle);
        // So does a changed count (the requirement's): the proxy would refuse the old key with it.
        let mut requirement = edited.requirement.clone();
        requirement.instance_count += 1;
        let recounted = reduce(edited.clone(), Action::SetRequirement(requirement));
        assert_ne!(recounted.idempotency_key, edited.idempotency_key);
    }

    #[test]
    fn an_answer_for_a_key_the_draft_no_longer_has_is_the_earlier_orders_never_the_new_drafts() {
        // Sent, then the draft edited while the request was in flight: a new key, and a note that the first order
        // may exist.
        let edited = reduce(sending_an_order(), Action::SetField(OrderField::Image, "img-2".into()));
        assert_ne!(edited.idempotency_key, "k1a2b3c4d");
        assert_eq!(edited.submission, Submission::Idle);
        assert_eq!(
            edited.earlier,
            [EarlierOrder {
                key: "k1a2b3c4d".into(),
                outcome: None,
                from_before_reload: false,
            }]
        );
        // The first order's answer arrives: it lands on the note, not on the new draft (no "resend" for it).
        let answered = reduce(edited, no_answer_for("k1a2b3c4d"));
        assert_eq!(answered.submission, Submission::Idle);
        assert_eq!(
            answered.earlier.first().and_then(|earlier| earlier.outcome.as_deref()),
            Some("the proxy did not answer")
        );
        // A dry run's late refusal is retried as a dry run, never as a real order.
        let dry = reduce(reduce(answered, Action::AskSubmit { dry_run: true }), Action::Confirmed);
        let dry_key = format!("{}-dry", dry.idempotency_key);
        let refused = reduce(
            dry,
            Action::Refused {
                key: dry_key,
                dry_run: true,
                message: "no answer".into(),
                problems: Vec::new(),
                placed_nothing: false,
            },
        );
        assert!(
            matches!(refused.submission, Submission::Refused { dry_run: true, .. }),
            "{:?}",
            refused.submission
        );
    }

    /// No answer came to the real order sent under `key`: it may exist.
    fn no_answer_for(key: &str) -> Action {
        Action::Refused {
            key: key.into(),
            dry_run: false,
            message: "the proxy did not answer".into(),
            problems: Vec::new(),
            placed_nothing: false,
        }
    }

    /// The proxy's refusal of a bid over its spend ceiling, naming the bid.
    fn ceiling_problem() -> Problem {
        Problem {
            field: "bid.max_price".into(),
            rule: "proxy.spend_ceiling".into(),
            value: String::new(),
            severity: Severity::Error,
            message_en: "above the ceiling".into(),
            message_zh: "above the ceiling".into(),
            prevents: None,
            source: None,
        }
    }

    /// The keys of the earlier orders a state names.
    fn earlier_keys(state: &UiState) -> Vec<&str> {
        state.earlier.iter().map(|earlier| earlier.key.as_str()).collect()
    }

    /// An order whose outcome is unknown stays named when the draft changes after the dialog was opened and
    /// cancelled, a dry run ran, or the offer was deselected and chosen again: each replaced the submission, and the
    /// note used to be lost, so the next Place was an unwarned second order.
    #[test]
    fn an_unsettled_order_is_named_whatever_happened_on_the_panel_before_the_draft_changed() {
        let unknown = || {
            reduce(
                sending_an_order(),
                Action::Refused {
                    key: "k1a2b3c4d".into(),
                    dry_run: false,
                    message: "the proxy did not answer".into(),
                    problems: Vec::new(),
                    placed_nothing: false,
                },
            )
        };
        let cancelled = reduce(
            reduce(unknown(), Action::AskSubmit { dry_run: false }),
            Action::Cancelled,
        );
        let dry_run = reduce(
            reduce(unknown(), Action::AskSubmit { dry_run: true }),
            Action::Confirmed,
        );
        let dry_answered = reduce(
            dry_run,
            Action::Refused {
                key: "k1a2b3c4d-dry".into(),
                dry_run: true,
                message: "no answer".into(),
                problems: Vec::new(),
                placed_nothing: false,
            },
        );
        let image_changed = |state| reduce(state, Action::SetField(OrderField::Image, "img-2".into()));
        let chosen_again = reduce(
            reduce(sending_an_order(), Action::Deselect),
            Action::Select {
                offer: tencent_offer(),
                recommended: None,
                key: "k5e6f7g8h".into(),
            },
        );
        for (case, edited) in [
            ("the dialog cancelled", image_changed(cancelled)),
            ("a dry run", image_changed(dry_answered)),
            ("deselected while sending and chosen again", chosen_again),
        ] {
            assert_ne!(edited.idempotency_key, "k1a2b3c4d", "{case}");
            assert_eq!(earlier_keys(&edited), ["k1a2b3c4d"], "{case}");
        }
        // A final answer for the key settles it: a later change names nothing.
        let settled = reduce(
            sending_an_order(),
            Action::Refused {
                key: "k1a2b3c4d".into(),
                dry_run: false,
                message: "above the ceiling".into(),
                problems: vec![ceiling_problem()],
                placed_nothing: true,
            },
        );
        let cancelled = reduce(reduce(settled, Action::AskSubmit { dry_run: false }), Action::Cancelled);
        let edited = reduce(cancelled, Action::SetField(OrderField::Image, "img-2".into()));
        assert_eq!(edited.earlier, []);
    }

    #[test]
    fn an_order_recalled_after_a_reload_is_named_until_dismissed() {
        let recalled = reduce(UiState::new(Lang::En), Action::RecallEarlier("k1a2b3c4d".into()));
        assert_eq!(
            recalled.earlier,
            [EarlierOrder {
                key: "k1a2b3c4d".into(),
                outcome: None,
                from_before_reload: true,
            }]
        );
        let twice = reduce(recalled, Action::RecallEarlier("k1a2b3c4d".into()));
        assert_eq!(twice.earlier.len(), 1, "named once");
        let other = reduce(twice, Action::RecallEarlier("k9z8y7x6w".into()));
        assert_eq!(other.earlier.len(), 2, "every unsettled order is named");
        let dismissed = reduce(other, Action::DismissEarlier("k1a2b3c4d".into()));
        assert_eq!(
            earlier_keys(&dismissed),
            ["k9z8y7x6w"],
            "dismissing one leaves the other"
        );
    }

    #[test]
    fn an_order_settled_as_not_found_spends_its_key_and_a_new_order_takes_a_new_one() {
        let sent = sending_an_order();
        let settled = reduce(
            sent,
            Action::KeySpent {
                key: "k1a2b3c4d".into(),
                message: "looked up: none exists".into(),
            },
        );
        assert!(settled.submission.key_spent(), "{:?}", settled.submission);
        assert_eq!(settled.idempotency_key, "k1a2b3c4d");
        let renewed = reduce(settled, Action::NewOrder);
        assert_ne!(renewed.idempotency_key, "k1a2b3c4d");
        assert_eq!(renewed.submission, Submission::Idle);
    }

    #[test]
    fn a_refusal_naming_a_field_stands_beside_it_until_it_is_edited_and_leaves_no_earlier_order() {
        let sent = sending_an_order();
        let problem = ceiling_problem();
        let refused = reduce(
            sent,
            Action::Refused {
                key: "k1a2b3c4d".into(),
                dry_run: false,
                message: "above the ceiling; nothing was sent".into(),
                problems: vec![problem.clone()],
                placed_nothing: true,
            },
        );
        assert_eq!(refused.submission.refused_problems(), [problem]);
        let edited = reduce(refused, Action::SetBidMode(BidMode::Limit));
        assert_eq!(edited.submission, Submission::Idle);
        assert_eq!(edited.earlier, [], "nothing was sent, so no earlier order may exist");
    }

    /// The ceiling of all orders of the last hour names no field of the order (`SPOTPLAN_MAX_SPEND_PER_HOUR`), yet
    /// it refuses before anything is logged: it must not be read as an order that may exist — nor may an earlier
    /// key's such refusal keep warning of one.
    #[test]
    fn a_refusal_naming_no_field_that_placed_nothing_leaves_no_earlier_order() {
        let hourly_ceiling = |key: &str| Action::Refused {
            key: key.into(),
            dry_run: false,
            message: "order 3 has no known hourly cost".into(),
            problems: Vec::new(),
            placed_nothing: true,
        };
        let refused = reduce(sending_an_order(), hourly_ceiling("k1a2b3c4d"));
        let edited = reduce(refused, Action::SetField(OrderField::Image, "img-2".into()));
        assert_ne!(edited.idempotency_key, "k1a2b3c4d");
        assert_eq!(edited.earlier, [], "nothing was placed under the refused key");
        // Changed while it was being sent: named as earlier until its answer says nothing was placed.
        let changed_in_flight = reduce(sending_an_order(), Action::SetField(OrderField::Image, "img-2".into()));
        assert_eq!(earlier_keys(&changed_in_flight), ["k1a2b3c4d"]);
        let answered = reduce(changed_in_flight.clone(), hourly_ceiling("k1a2b3c4d"));
        assert_eq!(answered.earlier, []);
        // Without an answer it stays named.
        let no_answer = reduce(changed_in_flight, no_answer_for("k1a2b3c4d"));
        assert_eq!(earlier_keys(&no_answer), ["k1a2b3c4d"]);
    }

    #[test]
    fn a_space_typed_in_a_launch_detail_stays_while_the_order_holds_the_trimmed_text() {
        let state = chosen_tencent("k1a2b3c4d");
        let state = reduce(state, Action::SetField(OrderField::Name, "web ".into()));
        let held = state.order.as_ref().and_then(|order| order.name.clone());
        assert_eq!(held.as_deref(), Some("web"));
        assert_eq!(state.shown_text(OrderField::Name, held.unwrap_or_default()), "web ");
        // Set from elsewhere since: the order's value shows.
        assert_eq!(state.shown_text(OrderField::Name, "batch-1".into()), "batch-1");
        let state = reduce(state, Action::SetField(OrderField::Name, "web server".into()));
        assert_eq!(
            state.order.as_ref().and_then(|order| order.name.as_deref()),
            Some("web server")
        );
    }

    #[test]
    fn a_system_disk_that_is_not_a_whole_number_is_named_not_taken_for_the_default_size() {
        for (typed, problem) in [
            ("40.5", true),
            ("-5", true),
            ("1e3", true),
            ("abc", true),
            ("", false),
            (" 80 ", false),
        ] {
            let state = reduce(
                UiState::new(Lang::En),
                Action::SetField(OrderField::SystemDiskGb, typed.into()),
            );
            let problems = state.entry_problems();
            assert_eq!(problems.len(), usize::from(problem), "{typed:?}: {problems:?}");
            if problem {
                assert_eq!(
                    (problems[0].field.as_str(), problems[0].value.as_str()),
                    ("system_disk.size_gb", typed.trim())
                );
                assert!(problems[0].message_en.contains(typed), "{}", problems[0].message_en);
            }
            assert_eq!(state.system_disk_text.as_deref(), Some(typed), "what was typed is kept");
        }
    }

    #[test]
    fn a_requirement_field_the_plan_cannot_hold_is_an_entry_problem_until_it_can() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::RequirementText(RequirementField::Instances, Some("1,000".into())),
        );
        let problems = state.entry_problems();
        assert_eq!(
            problems
                .iter()
                .map(|p| (p.field.as_str(), p.value.as_str()))
                .collect::<Vec<_>>(),
            [("requirement.instance_count", "1,000")]
        );
        let fixed = reduce(state, Action::RequirementText(RequirementField::Instances, None));
        assert!(fixed.entry_problems().is_empty());
    }

    #[test]
    fn a_tag_without_an_equals_sign_is_named_and_a_new_order_takes_a_new_key() {
        let mut state = UiState::new(Lang::En);
        state.tags_text = "team=etl, nightly, owner=".into();
        let problems = state.entry_problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            (problems[0].field.as_str(), problems[0].value.as_str()),
            ("tags[1]", "nightly")
        );
        state.idempotency_key = "k1a2b3c4d".into();
        let fresh = reduce(state, Action::NewOrder);
        assert_ne!(fresh.idempotency_key, "k1a2b3c4d");
        // The whole old key is the stem (its randomness keeps sessions apart), then the serial.
        assert_eq!(fresh.idempotency_key, "k1a2b3c4d_1");
        let uuid = "0b9f2c4e-7d1a-4c3b-9e8f-5a6b7c8d9e0f";
        let mut state = fresh.clone();
        state.idempotency_key = format!("{uuid}_1");
        let again = reduce(state, Action::NewOrder);
        assert_eq!(again.idempotency_key, format!("{uuid}_2"));
        spotplan_core::order::idempotency::check_idempotency_key(&format!("{}-dry", again.idempotency_key)).unwrap();
        assert_eq!(fresh.submission, Submission::Idle);
    }

    #[test]
    fn market_mode_drops_the_price_and_limit_mode_restores_it() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                recommended: Some(cny_per_hour("0.14")),
                key: "k1".into(),
            },
        );
        let market = reduce(state, Action::SetBidMode(BidMode::Market));
        assert_eq!(market.order.as_ref().unwrap().bid.max_price, None);
        let limit = reduce(market, Action::SetBidMode(BidMode::Limit));
        assert_eq!(price_sent(&limit).as_deref(), Some("0.14"));
        let typed = reduce(limit, Action::SetTypedBid("0.2".into()));
        assert_eq!(price_sent(&typed).as_deref(), Some("0.2"));
    }

    #[test]
    fn an_international_account_is_sent_its_bid_in_dollars() {
        // 0.71286 CNY an hour typed; the Tencent account is on the international site: 0.1 USD sent.
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                recommended: Some(cny_per_hour("0.14")),
                key: "k1".into(),
            },
        );
        let typed = reduce(state, Action::SetTypedBid("0.71286".into()));
        assert_eq!(
            price_sent(&typed).as_deref(),
            Some("0.7129"),
            "Tencent takes 4 decimals"
        );
        let international = reduce(typed, Action::SetAccountCurrency(Cloud::Tencent, Currency::Usd));
        let order = international.order.as_ref().unwrap();
        assert_eq!(order.account_currency, Currency::Usd);
        assert_eq!(price_sent(&international).as_deref(), Some("0.1"));
        assert_eq!(
            international.bid_text_shown(),
            "0.71286",
            "the field keeps what was typed"
        );
        assert_ne!(
            international.idempotency_key, "k1",
            "a bid in another currency is another order"
        );
        // A new draft for the same cloud starts on the chosen site; another cloud stays on the China site.
        let again = reduce(
            international,
            Action::Select {
                offer: baidu_offer(),
                recommended: None,
                key: "k2".into(),
            },
        );
        assert_eq!(again.order.as_ref().unwrap().account_currency, Currency::Cny);
    }

    #[test]
    fn limit_mode_restores_the_native_price_not_the_typed_text() {
        // Baidu: 0.3 CNY an hour typed, 0.005 CNY a minute sent.
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: baidu_offer(),
                recommended: None,
                key: "k1".into(),
            },
        );
        let typed = reduce(state, Action::SetTypedBid("0.3".into()));
        assert_eq!(price_sent(&typed), None, "market mode sends no price");
        let limit = reduce(typed, Action::SetBidMode(BidMode::Limit));
        assert_eq!(price_sent(&limit).as_deref(), Some("0.005"));
        assert_eq!(limit.bid_text_shown(), "0.3", "the field keeps what was typed");
    }

    #[test]
    fn text_that_is_not_a_price_sends_no_price_and_says_why() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: tencent_offer(),
                recommended: Some(cny_per_hour("0.14")),
                key: "k1".into(),
            },
        );
        let typed = reduce(state, Action::SetTypedBid("0,2".into()));
        assert_eq!(price_sent(&typed), None);
        assert!(matches!(typed.bid.error(), Some(TypedBidError::NotAPrice(_))));
        assert_eq!(typed.bid_text_shown(), "0,2");
        let emptied = reduce(typed, Action::SetTypedBid(" ".into()));
        assert_eq!((emptied.bid.error(), price_sent(&emptied)), (None, None));
    }

    #[test]
    fn a_bid_typed_in_usd_follows_the_exchange_rate() {
        let mut requirement = initial_requirement();
        requirement.currency = Currency::Usd;
        let state = reduce(
            UiState::with_requirement(Lang::En, requirement),
            Action::Select {
                offer: tencent_offer(),
                recommended: None,
                key: "k1".into(),
            },
        );
        let state = reduce(state, Action::SetBidMode(BidMode::Limit));
        let state = reduce(
            state,
            Action::SetExchangeRate(ExchangeRate::user(Decimal::from(7), "2026-11-23")),
        );
        let typed = reduce(state, Action::SetTypedBid("0.02".into()));
        assert_eq!(price_sent(&typed).as_deref(), Some("0.14"));
        let moved = reduce(
            typed,
            Action::SetExchangeRate(ExchangeRate::user(Decimal::from(8), "2026-11-24")),
        );
        assert_eq!(price_sent(&moved).as_deref(), Some("0.16"));
        assert_ne!(moved.idempotency_key, "k1", "a changed price is a different order");
    }

    #[test]
    fn a_changed_display_shows_the_sent_bid_in_the_new_unit() {
        let state = reduce(
            UiState::new(Lang::En),
            Action::Select {
                offer: baidu_offer(),
                recommended: Some(cny_per_hour("0.3")),
                key: "k1".into(),
            },
        );
        let mut requirement = state.requirement.clone();
        requirement.unit = TimeUnit::Minute;
        let per_minute = reduce(state, Action::SetRequirement(requirement));
        assert_eq!(per_minute.bid_text_shown(), "0.005");
        assert_eq!(price_sent(&per_minute).as_deref(), Some("0.005"));
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
                recommended: None,
                key: "k".into(),
            },
        );
        let order = state.order.unwrap();
        assert_eq!(order.instance_type, None);
        assert_eq!(order.baidu.unwrap().spec.as_deref(), Some("bcc.g5.c2m8"));
    }

    #[test]
    fn tags_and_data_disks_keep_the_typed_text_and_parse_what_they_can() {
        let state = chosen_tencent("k");
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
            "a size that is not a number is a disk without a size"
        );
        let named: Vec<(String, String)> = state.entry_problems().into_iter().map(|p| (p.field, p.value)).collect();
        assert_eq!(
            named,
            [("data_disks[1].size_gb".to_owned(), "big".to_owned())],
            "named with the text typed"
        );
        let reselected = reduce(
            state,
            Action::Select {
                offer: tencent_offer(),
                recommended: None,
                key: "k2".into(),
            },
        );
        assert_eq!(
            (reselected.tags_text.as_str(), reselected.data_disks_text.as_str()),
            ("", "")
        );
    }
}
