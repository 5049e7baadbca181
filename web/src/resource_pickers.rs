//! The suggestions under the launch details' id fields: for the image, VPC, subnet, security group and key pair
//! fields, a `<datalist>` of the account's resources that fit the chosen offer (its zone, the chosen network's VPC),
//! a line saying what was listed — or that it is loading, or why it could not be — and, for an empty image field,
//! a button filling in the cloud's default public image. The field stays a text field: any id can be typed.

use spotplan_core::api::resources::{AccountResource, ResourceKind, default_public_image};
use spotplan_core::order::SpotOrder;
use yew::prelude::*;

use crate::account_resources::{Listing, Listings, chosen_vpc, label, security_groups_for, subnets_for};
use crate::i18n::Lang;
use crate::i18n::resources as words;
use crate::state::{Action, OrderField, UiState};

/// What a field shows besides its input: the suggestions' id (the input's `list`) and the suggestions, the note and
/// the default-image button.
#[derive(Debug)]
pub struct Picker {
    /// The `<datalist>` id.
    pub list_id: AttrValue,
    /// The datalist, the note and any button.
    pub html: Html,
}

/// The lists and the order the suggestions are chosen for.
#[derive(Debug)]
pub struct Pickers<'a> {
    listings: &'a Listings,
    order: &'a SpotOrder,
    lang: Lang,
}

impl<'a> Pickers<'a> {
    /// Pickers for `order` from `listings`, in `lang`.
    pub fn new(listings: &'a Listings, order: &'a SpotOrder, lang: Lang) -> Pickers<'a> {
        Pickers { listings, order, lang }
    }

    /// The picker of a field, when the field takes a listed resource and its list was asked for.
    pub fn for_field(&self, field: OrderField, state: &UseReducerHandle<UiState>) -> Option<Picker> {
        let (kinds, options): (&[ResourceKind], Vec<&AccountResource>) = match field {
            OrderField::Image => (
                &[ResourceKind::OwnImage, ResourceKind::PublicImage],
                self.listings
                    .resources(ResourceKind::OwnImage)
                    .iter()
                    .chain(self.listings.resources(ResourceKind::PublicImage))
                    .collect(),
            ),
            OrderField::Vpc => (
                &[ResourceKind::Vpc],
                self.listings.resources(ResourceKind::Vpc).iter().collect(),
            ),
            OrderField::Subnet => (
                &[ResourceKind::Subnet],
                subnets_for(
                    self.listings.resources(ResourceKind::Subnet),
                    self.order.zone.as_deref(),
                    self.typed_vpc(),
                ),
            ),
            OrderField::SecurityGroup => (
                &[ResourceKind::SecurityGroup],
                security_groups_for(self.listings.resources(ResourceKind::SecurityGroup), self.network_vpc()),
            ),
            OrderField::KeyPair => (
                &[ResourceKind::KeyPair],
                self.listings.resources(ResourceKind::KeyPair).iter().collect(),
            ),
            _ => return None,
        };
        let listings: Vec<&Listing> = kinds.iter().filter_map(|kind| self.listings.get(*kind)).collect();
        if listings.is_empty() {
            return None;
        }
        let list_id = AttrValue::from(format!("pick-{}", kinds[0].id()));
        let note = self.note(&listings, field, options.len());
        let default_image = (field == OrderField::Image && self.order.image_id.is_empty())
            .then(|| default_public_image(self.listings.resources(ResourceKind::PublicImage)))
            .flatten()
            .map(|image| {
                let (id, state) = (image.id.clone(), state.clone());
                let (cloud, region, zone) = (self.order.cloud, self.order.region.clone(), self.order.zone.clone());
                let onclick = Callback::from(move |_: MouseEvent| {
                    crate::launch_memory::remember(cloud, &region, zone.as_deref(), OrderField::Image, &id);
                    state.dispatch(Action::SetField(OrderField::Image, id.clone()));
                });
                let name = if image.name.is_empty() { &image.id } else { &image.name };
                html! {
                    <button type="button" class="link" data-testid="use-default-image" title={image.id.clone()} {onclick}>
                        { words::use_default_image(self.lang, name) }
                    </button>
                }
            });
        let html = html! {
            <>
                <datalist id={list_id.clone()}>
                    { for options.iter().map(|resource| html! { <option value={resource.id.clone()} label={label(resource, self.lang)} /> }) }
                </datalist>
                <p class="muted picker-note" data-testid={format!("picker-note-{}", kinds[0].id())}>{ note }</p>
                { default_image.unwrap_or_default() }
            </>
        };
        Some(Picker { list_id, html })
    }

    /// The VPC typed in the order (Tencent's orders name one).
    fn typed_vpc(&self) -> Option<&str> {
        self.order.network.vpc_id.as_deref().filter(|vpc| !vpc.is_empty())
    }

    /// The VPC of the chosen network: typed, or the chosen subnet's.
    fn network_vpc(&self) -> Option<&str> {
        chosen_vpc(
            self.typed_vpc(),
            self.order.network.subnet_id.as_deref(),
            self.listings.resources(ResourceKind::Subnet),
        )
    }

    /// What was listed for a field, that it is loading, or why it could not be.
    fn note(&self, listings: &[&Listing], field: OrderField, offered: usize) -> String {
        if listings.iter().any(|listing| matches!(listing, Listing::Loading)) {
            return words::loading(self.lang).to_owned();
        }
        let answers: Vec<_> = listings
            .iter()
            .filter_map(|listing| match listing {
                Listing::Loaded(answer) => Some(answer),
                _ => None,
            })
            .collect();
        if answers.is_empty() {
            let why = listings.iter().find_map(|listing| match listing {
                Listing::Failed(why) => Some(why.as_str()),
                _ => None,
            });
            return words::failed(self.lang, why.unwrap_or_default());
        }
        let truncated = answers.iter().any(|answer| answer.truncated);
        let listed: usize = answers.iter().map(|answer| answer.resources.len()).sum();
        if offered == 0 && listed > 0 {
            let place = match field {
                OrderField::Subnet => [self.order.zone.as_deref(), self.typed_vpc()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" / "),
                _ => self.network_vpc().unwrap_or_default().to_owned(),
            };
            return words::none_fit(self.lang, listed, &place);
        }
        if field == OrderField::Image {
            let public = self.listings.resources(ResourceKind::PublicImage).len();
            words::listed(self.lang, offered - public, public, truncated)
        } else {
            words::listed(self.lang, offered, 0, truncated)
        }
    }
}
