//! A draft order for an offer: what the planner knows (cloud, region, zone, type, count) and the defaults a person
//! starts from; the launch ids are left for the person (and validation) to fill. Each cloud's folder shapes its
//! own draft from the shared one (`CloudApi::draft_order`).

use crate::catalog::OfferKey;
use crate::clouds::api;
use crate::money::Currency;
use crate::order::model::{Bid, BidMode, Disk, Login, Network, OsFamily, SpotOrder};

/// The draft for `count` instances of `offer`, at the market price, as its cloud shapes it.
pub fn draft_order(offer: &OfferKey, count: u32) -> SpotOrder {
    api(offer.cloud).draft_order(offer, count)
}

/// The draft every cloud starts from: the offer's type, a 40 GB system disk, Linux, a market bid.
pub fn shared_draft(offer: &OfferKey, count: u32) -> SpotOrder {
    SpotOrder {
        cloud: offer.cloud,
        region: offer.region.clone(),
        zone: offer.zone.clone(),
        instance_type: Some(offer.instance_type.clone()),
        baidu: None,
        image_id: String::new(),
        count,
        min_count: None,
        bid: Bid {
            mode: BidMode::Market,
            max_price: None,
            spot_duration_hours: None,
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
