//! The account's own resources for the chosen offer's launch details: images (its own and the cloud's public
//! ones), VPCs, subnets, security groups and key pairs of the offer's region, listed through the proxy
//! (`POST /api/v1/resources`) once per cloud and region, and offered as searchable suggestions under the id
//! fields — which stay typeable. Subnets are narrowed to the offer's zone and the chosen VPC, security groups to
//! the chosen network's VPC, here rather than by the cloud, so typing an id never sends a half-typed filter.

use std::collections::BTreeMap;
use std::rc::Rc;

use spotplan_core::Cloud;
use spotplan_core::api::resources::{AccountResource, ResourceKind, ResourcesAnswer, ResourcesBody};
use yew::prelude::*;

/// The cloud and region the lists belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The cloud.
    pub cloud: Cloud,
    /// The region.
    pub region: String,
}

/// One list, as far as it has come.
#[derive(Debug, Clone, PartialEq)]
pub enum Listing {
    /// Asked, not answered yet.
    Loading,
    /// The proxy's answer.
    Loaded(Rc<ResourcesAnswer>),
    /// Why there is no list (the proxy's message).
    Failed(String),
}

/// The lists of one scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listings {
    scope: Option<Scope>,
    lists: BTreeMap<ResourceKind, Listing>,
}

/// A change to the lists.
#[derive(Debug, Clone)]
pub enum ListingsAction {
    /// Lists of `scope` are being fetched: what was listed for another scope goes.
    Start(Scope, Vec<ResourceKind>),
    /// A list of `scope` came (ignored when the person has moved on to another scope).
    Got(Scope, ResourceKind, Listing),
    /// No lists (signed out, or no credentials for the cloud).
    Clear,
}

impl Reducible for Listings {
    type Action = ListingsAction;

    fn reduce(self: Rc<Self>, action: ListingsAction) -> Rc<Self> {
        match action {
            ListingsAction::Start(scope, kinds) => Rc::new(Listings {
                scope: Some(scope),
                lists: kinds.into_iter().map(|kind| (kind, Listing::Loading)).collect(),
            }),
            ListingsAction::Got(scope, kind, listing) if self.scope.as_ref() == Some(&scope) => {
                let mut next = (*self).clone();
                next.lists.insert(kind, listing);
                Rc::new(next)
            }
            ListingsAction::Got(..) => self,
            ListingsAction::Clear => Rc::new(Listings::default()),
        }
    }
}

impl Listings {
    /// The list of `kind`, when asked for.
    pub fn get(&self, kind: ResourceKind) -> Option<&Listing> {
        self.lists.get(&kind)
    }

    /// The resources of `kind` listed so far (none while loading or after a failure).
    pub fn resources(&self, kind: ResourceKind) -> &[AccountResource] {
        match self.lists.get(&kind) {
            Some(Listing::Loaded(answer)) => &answer.resources,
            _ => &[],
        }
    }
}

impl Listings {
    /// The operating system of the listed image `image_id` (the account's own or a public one), when the cloud
    /// said.
    pub fn image_os(&self, image_id: &str) -> Option<spotplan_core::order::OsFamily> {
        [ResourceKind::OwnImage, ResourceKind::PublicImage]
            .into_iter()
            .flat_map(|kind| self.resources(kind))
            .find(|image| image.id == image_id)?
            .os
    }
}

/// The kinds a cloud's launch details pick from: a VPC only where its order names one.
pub fn kinds_for(cloud: Cloud) -> Vec<ResourceKind> {
    ResourceKind::ALL
        .into_iter()
        .filter(|kind| *kind != ResourceKind::Vpc || spotplan_core::clouds::api(cloud).order_takes_vpc())
        .collect()
}

/// Lists the account's resources of `scope` while `enabled` (signed in, with the cloud's credentials), one call
/// per kind, each landing as it comes.
#[hook]
pub fn use_account_resources(enabled: bool, scope: Option<Scope>) -> UseReducerHandle<Listings> {
    let listings = use_reducer(Listings::default);
    {
        let listings = listings.clone();
        use_effect_with((enabled, scope), move |(enabled, scope)| {
            match scope.clone().filter(|_| *enabled) {
                Some(scope) => {
                    let kinds = kinds_for(scope.cloud);
                    listings.dispatch(ListingsAction::Start(scope.clone(), kinds.clone()));
                    for kind in kinds {
                        let (listings, scope) = (listings.clone(), scope.clone());
                        wasm_bindgen_futures::spawn_local(async move {
                            let body = ResourcesBody {
                                cloud: scope.cloud,
                                region: scope.region.clone(),
                                kind,
                                zone: None,
                                vpc_id: None,
                            };
                            let listing = match crate::api::resources(&body).await {
                                Ok(answer) => Listing::Loaded(Rc::new(answer)),
                                Err(error) => Listing::Failed(error.to_string()),
                            };
                            listings.dispatch(ListingsAction::Got(scope, kind, listing));
                        });
                    }
                }
                None => listings.dispatch(ListingsAction::Clear),
            }
        });
    }
    listings
}

/// What a suggestion shows beside its id: the name, what tells it apart, its zone and VPC, and whether it is the
/// cloud's default.
pub fn label(resource: &AccountResource, lang: crate::i18n::Lang) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !resource.name.is_empty() && resource.name != resource.id {
        parts.push(&resource.name);
    }
    parts.extend(resource.detail.as_deref());
    parts.extend(resource.zone.as_deref());
    parts.extend(resource.vpc_id.as_deref());
    if resource.is_default {
        parts.push(crate::i18n::resources::default_mark(lang));
    }
    parts.join(" · ")
}

/// The subnets to offer: in the offer's zone (when the cloud says where a subnet lives) and in the chosen VPC
/// (when one is chosen).
pub fn subnets_for<'a>(
    subnets: &'a [AccountResource],
    zone: Option<&str>,
    vpc: Option<&str>,
) -> Vec<&'a AccountResource> {
    subnets
        .iter()
        .filter(|subnet| match (zone, subnet.zone.as_deref()) {
            (Some(zone), Some(theirs)) => zone == theirs,
            _ => true,
        })
        .filter(|subnet| match (vpc, subnet.vpc_id.as_deref()) {
            (Some(vpc), Some(theirs)) => vpc == theirs,
            _ => true,
        })
        .collect()
}

/// The VPC the chosen network is in: the VPC typed (Tencent), else the chosen subnet's, when it was listed.
pub fn chosen_vpc<'a>(
    typed_vpc: Option<&'a str>,
    subnet: Option<&str>,
    subnets: &'a [AccountResource],
) -> Option<&'a str> {
    typed_vpc.filter(|vpc| !vpc.is_empty()).or_else(|| {
        let subnet = subnet?;
        subnets
            .iter()
            .find(|listed| listed.id == subnet)
            .and_then(|listed| listed.vpc_id.as_deref())
    })
}

/// The security groups to offer: those of the chosen network's VPC, and those bound to no VPC (Tencent's).
pub fn security_groups_for<'a>(groups: &'a [AccountResource], vpc: Option<&str>) -> Vec<&'a AccountResource> {
    groups
        .iter()
        .filter(|group| match (vpc, group.vpc_id.as_deref()) {
            (Some(vpc), Some(theirs)) => vpc == theirs,
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn subnet(id: &str, zone: &str, vpc: &str) -> AccountResource {
        AccountResource {
            id: id.into(),
            name: format!("{id}-name"),
            detail: Some("10.0.0.0/24".into()),
            zone: Some(zone.into()),
            vpc_id: Some(vpc.into()),
            ..AccountResource::default()
        }
    }

    #[test]
    fn subnets_are_narrowed_to_the_zone_and_vpc_and_groups_to_the_subnets_vpc() {
        let subnets = [
            subnet("vsw-k1", "cn-hangzhou-k", "vpc-a"),
            subnet("vsw-k2", "cn-hangzhou-k", "vpc-b"),
            subnet("vsw-j1", "cn-hangzhou-j", "vpc-a"),
        ];
        let ids = |list: Vec<&AccountResource>| list.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(subnets_for(&subnets, Some("cn-hangzhou-k"), None)),
            ["vsw-k1", "vsw-k2"]
        );
        assert_eq!(
            ids(subnets_for(&subnets, Some("cn-hangzhou-k"), Some("vpc-b"))),
            ["vsw-k2"]
        );
        assert_eq!(subnets_for(&subnets, None, None).len(), 3);
        let vpc = chosen_vpc(None, Some("vsw-k2"), &subnets);
        assert_eq!(vpc, Some("vpc-b"));
        assert_eq!(
            chosen_vpc(None, Some("vsw-typed"), &subnets),
            None,
            "an unlisted subnet names no VPC"
        );
        assert_eq!(chosen_vpc(Some("vpc-t"), Some("vsw-k2"), &subnets), Some("vpc-t"));
        let groups = [
            AccountResource {
                id: "sg-a".into(),
                vpc_id: Some("vpc-a".into()),
                ..AccountResource::default()
            },
            AccountResource {
                id: "sg-b".into(),
                vpc_id: Some("vpc-b".into()),
                ..AccountResource::default()
            },
            AccountResource {
                id: "sg-any".into(),
                ..AccountResource::default()
            },
        ];
        assert_eq!(ids(security_groups_for(&groups, vpc)), ["sg-b", "sg-any"]);
    }

    #[test]
    fn a_label_names_what_tells_resources_apart_and_an_answer_for_an_old_scope_is_dropped() {
        assert_eq!(
            label(&subnet("vsw-k1", "cn-hangzhou-k", "vpc-a"), crate::i18n::Lang::En),
            "vsw-k1-name · 10.0.0.0/24 · cn-hangzhou-k · vpc-a"
        );
        let here = Scope {
            cloud: Cloud::Alibaba,
            region: "cn-hangzhou".into(),
        };
        let there = Scope {
            cloud: Cloud::Alibaba,
            region: "cn-beijing".into(),
        };
        let listings =
            Rc::new(Listings::default()).reduce(ListingsAction::Start(here.clone(), kinds_for(Cloud::Alibaba)));
        assert_eq!(listings.get(ResourceKind::Vpc), None, "Alibaba's orders name no VPC");
        let late = listings.clone().reduce(ListingsAction::Got(
            there,
            ResourceKind::Subnet,
            Listing::Failed("late".into()),
        ));
        assert_eq!(late.get(ResourceKind::Subnet), Some(&Listing::Loading));
        let got = late.reduce(ListingsAction::Got(
            here,
            ResourceKind::Subnet,
            Listing::Failed("refused".into()),
        ));
        assert_eq!(got.get(ResourceKind::Subnet), Some(&Listing::Failed("refused".into())));
        assert!(got.resources(ResourceKind::Subnet).is_empty());
        assert!(kinds_for(Cloud::Baidu).contains(&ResourceKind::KeyPair));
        assert!(!kinds_for(Cloud::Baidu).contains(&ResourceKind::Vpc));
    }
}
