//! Whether a market bid's image is what its order says it is, before a ceiling or a budget bounds the bid.
//!
//! A market bid is bounded by the newest pay-as-you-go price ([`crate::spend::hourly_bound`]), and the catalog's
//! are Linux prices: a Windows image's includes the licence. The order's `os` says which it is, but that is the
//! sender's word — left at its default (`linux`) under a Windows image, it would bound the bid at the Linux price
//! and let an order through a budget it does not fit. So while a ceiling or a budget applies, the proxy asks the
//! cloud for the image (one describe call by id, built and read by the cloud's folder in the core, cached for ten
//! minutes) and bounds the bid only when the cloud says Linux. When the cloud says Windows, or cannot say, the bid
//! is unbounded and the order is refused, naming the field to change; a limit bid is never asked about, since it
//! bounds itself.

use std::time::Duration;

use spotplan_core::Cloud;
use spotplan_core::clouds::wire;
use spotplan_core::order::{BidMode, OsFamily, SpotOrder};

use crate::AppState;
use crate::error::ApiError;

/// The code of the refusal when the cloud did not describe the image: the fleet keeper waits on it.
pub const IMAGE_UNCHECKED: &str = "image_unchecked";

/// How long an image's OS is kept: an image does not change its OS, and a deleted one fails the order anyway.
pub const CACHE_FOR: Duration = Duration::from_secs(600);

/// The images described in the last ten minutes: their OS, by cloud, region and id (`None`: the cloud listed no
/// such image, or did not say its OS).
pub type ImageOsCache = crate::short_cache::ShortCache<(Cloud, String, String), Option<OsFamily>>;

/// Refuses a market bid whose image the cloud does not confirm as Linux; anything else passes. Called only while a
/// ceiling or a budget applies.
pub async fn confirm_market_bid_image(state: &AppState, order: &SpotOrder) -> Result<(), ApiError> {
    // A limit bid bounds itself; a Windows market bid is already unbounded (its price is not in the catalog).
    if order.bid.mode != BidMode::Market || order.os == OsFamily::Windows {
        return Ok(());
    }
    // Without credentials nothing reaches the cloud: the order is refused for them, or is a local dry run.
    let Some(credentials) = state.credentials.get(order.cloud).cloned() else {
        return Ok(());
    };
    let unbounded = |why: String| ApiError::SpendCeiling {
        field: "bid.max_price",
        message: format!(
            "a ceiling or a budget applies, and nothing bounds this market bid: {why}, and a Windows image's \
             pay-as-you-go price (with its licence) is not one Spotplan knows; set a maximum price"
        ),
        lifts_by_itself: None,
    };
    let image = order.image_id.as_str();
    if !spotplan_core::cloud_id::is_cloud_id(image) {
        return Err(unbounded(format!(
            "image_id `{}` is not an image id the cloud could describe",
            spotplan_core::cloud_id::shown(image)
        )));
    }
    let key = (order.cloud, order.region.clone(), image.to_owned());
    let os = match state.image_os.get(&key) {
        Some(os) => os,
        None => {
            let os = described_os(state, order, &credentials).await?;
            state.image_os.put(key, os);
            os
        }
    };
    match os {
        Some(OsFamily::Linux) => Ok(()),
        Some(OsFamily::Windows) => Err(ApiError::SpendCeiling {
            field: "os",
            message: format!(
                "image {image} is a Windows image ({} says so), but the order's os is linux: a market bid's cap is \
                 the Windows pay-as-you-go price, with its licence, which Spotplan does not know, so no ceiling or \
                 budget can bound it; set os to windows and a maximum price",
                order.cloud.display_name()
            ),
            lifts_by_itself: None,
        }),
        None => Err(unbounded(format!(
            "{} does not describe image {image} with its operating system, so it may be a Windows image",
            order.cloud.display_name()
        ))),
    }
}

/// What the cloud says the order's image is: its calls asked in turn until one lists the image (`None`: none does,
/// or the one that does names no OS).
async fn described_os(
    state: &AppState,
    order: &SpotOrder,
    credentials: &crate::credentials::Loaded,
) -> Result<Option<OsFamily>, ApiError> {
    let cloud = wire(order.cloud);
    let image = order.image_id.as_str();
    for request in cloud.image_requests(&order.region, image) {
        let action = request.action.clone();
        let body = crate::read_call::answer_body(state, order.cloud, credentials, request)
            .await
            .map_err(|reason| unchecked(order.cloud, image, &action, &reason))?;
        let described = cloud
            .read_image(image, &body)
            .map_err(|failure| unchecked(order.cloud, image, &action, &failure.message))?;
        if let Some(described) = described {
            return Ok(described.os);
        }
    }
    Ok(None)
}

/// The refusal when the cloud did not describe the image (no answer, or an error answer): nothing is known of it,
/// and asked again, it may answer. Not cached. A 424 (the check it depends on failed), not a 5xx: nothing was sent,
/// and a client reads a 5xx as "the order may exist".
fn unchecked(cloud: Cloud, image: &str, action: &str, reason: &str) -> ApiError {
    ApiError::Rejected {
        status: axum::http::StatusCode::FAILED_DEPENDENCY,
        code: IMAGE_UNCHECKED,
        message: format!(
            "a ceiling or a budget applies, and this market bid is bounded by a Linux price only once {} confirms \
             image {image} is Linux, which its {action} did not ({reason}); try again, or set a maximum price",
            cloud.display_name()
        ),
        field: Some("image_id".into()),
    }
}
