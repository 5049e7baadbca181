//! A draft order for an offer: what the planner knows (cloud, region, zone, type or Baidu spec, count) and the
//! defaults a person starts from; the launch ids are left for the person (and validation) to fill.

use crate::catalog::OfferKey;
use crate::clouds::Cloud;
use crate::money::Currency;
use crate::order::model::{BaiduShape, Bid, BidMode, Disk, Login, Network, OsFamily, SpotOrder};

/// The draft for `count` instances of `offer`, at the market price.
pub fn draft_order(offer: &OfferKey, count: u32) -> SpotOrder {
    let spec_shape = offer.cloud == Cloud::Baidu;
    SpotOrder {
        cloud: offer.cloud,
        region: offer.region.clone(),
        zone: offer.zone.clone(),
        instance_type: (!spec_shape).then(|| offer.instance_type.clone()),
        baidu: spec_shape.then(|| BaiduShape {
            spec: Some(offer.instance_type.clone()),
            cpu_count: None,
            memory_gb: None,
            isomerism_card: None,
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
        os: OsFamily::Linux,
        name: None,
        hostname: None,
        tags: Vec::new(),
        user_data: None,
        deletion_protection: false,
        auto_release_time: None,
        dry_run: false,
        client_token: None,
        account_currency: Currency::Cny,
    }
}
