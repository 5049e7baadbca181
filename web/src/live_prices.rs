//! Live prices: asks the proxy (`POST /api/v1/prices`) for quotes of the shortlist — the best few offers of each
//! cloud it holds credentials for — and hands the observations to the app, which merges them into its catalog
//! (newest wins, every figure keeps its source). Shows when they were fetched and calls them stale after 30 minutes.
//! A cloud whose price query needs an image (its folder says: `quote_needs_image`) gets a field for one: the image
//! typed there, else the cloud's default public image when the proxy can list it.

use spotplan_core::api::prices::{PricesAnswer, PricesBody};
use spotplan_core::api::resources::{AccountResource, ResourceKind, ResourcesBody, default_public_image};
use spotplan_core::catalog::ExternalObservation;
use spotplan_core::clouds::api;
use spotplan_core::plan::Plan;
use spotplan_core::quote::QuoteDraft;
use spotplan_core::{Cloud, Planner};
use yew::prelude::*;

use crate::health::ProxyStatus;
use crate::i18n::Lang;
use crate::state::UiState;

/// Offers quoted per cloud per refresh (the best of each cloud the proxy can quote).
pub const SHORTLIST_PER_CLOUD: usize = 4;
/// After this many seconds a live price is called stale.
pub const STALE_AFTER_SECONDS: f64 = 30.0 * 60.0;

/// Properties of the live-prices bar.
#[derive(Debug, Properties)]
pub struct LivePricesProps {
    /// The planner.
    pub planner: std::rc::Rc<Planner>,
    /// The ranked plan.
    pub plan: std::rc::Rc<Plan>,
    /// The UI state.
    pub state: UseReducerHandle<UiState>,
    /// The proxy's status.
    pub proxy: ProxyStatus,
    /// Called with the observations fetched.
    pub on_quotes: Callback<Vec<ExternalObservation>>,
}

impl PartialEq for LivePricesProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.planner, &other.planner)
            && std::rc::Rc::ptr_eq(&self.plan, &other.plan)
            && self.state == other.state
            && self.proxy == other.proxy
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Fetch {
    Idle,
    Fetching,
    Done {
        at_ms: f64,
        updated: usize,
        failures: Vec<String>,
    },
    Failed(String),
}

/// The quotes to ask for: the best [`SHORTLIST_PER_CLOUD`] offers of each cloud in `clouds`, with what each
/// cloud's price query needs besides the offer (an image where the query prices a launch, the spec's size, the
/// draft order's OS and protection period, so the quote is of the market the order joins). `images`: the image
/// to price each cloud's quotes with, where one is needed.
fn shortlist(props: &LivePricesProps, clouds: &[Cloud], images: &[(Cloud, String)]) -> PricesBody {
    let draft = props
        .state
        .order
        .as_ref()
        .map_or_else(QuoteDraft::default, |order| QuoteDraft {
            cloud: Some(order.cloud),
            image_id: Some(order.image_id.clone()),
            os: Some(order.os),
            one_hour_protection: order.bid.spot_duration_hours.map(|hours| hours > 0),
        });
    let catalog = props.planner.catalog();
    let mut taken = std::collections::HashMap::<Cloud, usize>::new();
    let offers = props
        .plan
        .ranked
        .iter()
        .filter_map(|ranked| {
            let instance_type = catalog.type_of(&catalog.offers()[ranked.offer as usize]);
            // The cloud first (no allocation): the key is built only for the few offers taken.
            let cloud = instance_type.cloud;
            let count = taken.entry(cloud).or_default();
            if !clouds.contains(&cloud) || *count >= SHORTLIST_PER_CLOUD {
                return None;
            }
            *count += 1;
            let key = catalog.key_of(ranked.offer as usize);
            // Each cloud's folder says what its price query needs from the draft.
            let image = images
                .iter()
                .find(|(of, _)| *of == cloud)
                .map(|(_, image)| image.as_str());
            Some(api(cloud).quote_ask(key, instance_type, &draft.for_cloud(cloud, image)))
        })
        .collect();
    PricesBody { offers }
}

/// The region of the best-ranked offer of `cloud`, if any.
fn first_region(planner: &Planner, plan: &Plan, cloud: Cloud) -> Option<String> {
    let catalog = planner.catalog();
    plan.ranked.iter().find_map(|ranked| {
        let offer = &catalog.offers()[ranked.offer as usize];
        (catalog.type_of(offer).cloud == cloud).then(|| catalog.key_of(ranked.offer as usize).region)
    })
}

/// The observations to merge, and one line per reason the proxy could not quote some offers (a reason shared by
/// several offers is said once, with the offers it applies to).
fn observations(answer: PricesAnswer, lang: Lang) -> (Vec<ExternalObservation>, Vec<String>) {
    let mut observations = Vec::new();
    let mut reasons: Vec<((Cloud, String), Vec<String>)> = Vec::new();
    for quote in answer.quotes {
        match quote.error {
            Some(error) => {
                let reason = (
                    quote.offer.cloud,
                    crate::i18n::proxy::quote_failure(lang, &error.code, &error.message),
                );
                match reasons.iter_mut().find(|(seen, _)| *seen == reason) {
                    Some((_, offers)) => offers.push(quote.offer.instance_type),
                    None => reasons.push((reason, vec![quote.offer.instance_type])),
                }
            }
            None => observations.extend(quote.observations),
        }
    }
    let failures = reasons
        .into_iter()
        .map(|((cloud, message), offers)| format!("{} {}: {message}", cloud.id(), offers.join(", ")))
        .collect();
    (observations, failures)
}

/// The live-prices bar.
#[component]
pub fn LivePrices(props: &LivePricesProps) -> Html {
    let lang = props.state.lang;
    let status = use_state(|| Fetch::Idle);
    // A cloud whose quotes need an image: the image typed for it (its draft's own is used when there is one), else,
    // with its credentials, its default public image, listed once. Public images are the same in every region, so
    // one listing serves every offer of the cloud.
    // Kept as short lists, not maps: three clouds at most, and no map code in the bundle for them.
    let typed_images = use_state(Vec::<(Cloud, String)>::new);
    let default_images = use_state(Vec::<(Cloud, AccountResource)>::new);
    {
        let listable: Vec<(Cloud, String)> = Cloud::ALL
            .into_iter()
            .filter(|cloud| api(*cloud).quote_needs_image() && props.proxy.can_submit(*cloud))
            .filter_map(|cloud| Some((cloud, first_region(&props.planner, &props.plan, cloud)?)))
            .collect();
        let default_images = default_images.clone();
        let clouds: Vec<Cloud> = listable.iter().map(|(cloud, _)| *cloud).collect();
        use_effect_with(clouds, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let mut found = Vec::new();
                for (cloud, region) in listable {
                    let ask = ResourcesBody {
                        cloud,
                        region,
                        kind: ResourceKind::PublicImage,
                        zone: None,
                        vpc_id: None,
                    };
                    if let Ok(answer) = crate::api::resources(&ask).await
                        && let Some(image) = default_public_image(&answer.resources)
                    {
                        found.push((cloud, image.clone()));
                    }
                }
                if !found.is_empty() {
                    default_images.set(found);
                }
            });
        });
    }
    let typed_image = |cloud: Cloud| {
        typed_images
            .iter()
            .find(|(of, _)| *of == cloud)
            .map(|(_, typed)| typed.clone())
    };
    let default_image = |cloud: Cloud| {
        default_images
            .iter()
            .find(|(of, _)| *of == cloud)
            .map(|(_, image)| image)
    };
    let images_for_quotes: Vec<(Cloud, String)> = Cloud::ALL
        .into_iter()
        .filter(|cloud| api(*cloud).quote_needs_image())
        .filter_map(|cloud| {
            let typed = typed_image(cloud).unwrap_or_default();
            let image = match (typed.trim(), default_image(cloud)) {
                ("", Some(image)) => image.id.clone(),
                ("", None) => return None,
                (typed, _) => typed.to_owned(),
            };
            Some((cloud, image))
        })
        .collect();
    // Re-render once a minute so "N min ago" and "stale" keep up with the clock on an idle page.
    let tick = use_force_update();
    use_effect_with((), move |_| {
        let alive = std::rc::Rc::new(std::cell::Cell::new(true));
        let running = alive.clone();
        wasm_bindgen_futures::spawn_local(async move {
            while running.get() {
                yew::platform::time::sleep(std::time::Duration::from_secs(60)).await;
                if running.get() {
                    tick.force_update();
                }
            }
        });
        move || alive.set(false)
    });
    let clouds: Vec<Cloud> = Cloud::ALL
        .into_iter()
        .filter(|cloud| props.proxy.can_submit(*cloud))
        .collect();
    let why_off = match &props.proxy {
        ProxyStatus::Reachable(_) if clouds.is_empty() => Some(if lang == Lang::Zh {
            "代理没有任何云厂商的凭证，无法获取实时价格。"
        } else {
            "The proxy has no credentials for any cloud, so live prices are off."
        }),
        ProxyStatus::Reachable(_) => None,
        ProxyStatus::NotSignedIn(_) => Some(if lang == Lang::Zh {
            "此浏览器尚未登录代理：请打开代理启动时打印的登录链接以获取实时价格。"
        } else {
            "This browser is not signed in to the proxy: open the sign-in link it printed to get live prices."
        }),
        _ => Some(if lang == Lang::Zh {
            "代理不可用：实时价格需要运行 `cargo xtask serve`。"
        } else {
            "The proxy is not reachable: live prices need `cargo xtask serve`."
        }),
    };
    let refresh = {
        let (status, on_quotes) = (status.clone(), props.on_quotes.clone());
        let body = shortlist(props, &clouds, &images_for_quotes);
        Callback::from(move |_: MouseEvent| {
            let (status, on_quotes, body) = (status.clone(), on_quotes.clone(), body.clone());
            status.set(Fetch::Fetching);
            wasm_bindgen_futures::spawn_local(async move {
                match crate::api::prices(&body).await.map(|answer| observations(answer, lang)) {
                    Ok((observations, failures)) => {
                        let updated = observations.len();
                        on_quotes.emit(observations);
                        status.set(Fetch::Done {
                            at_ms: js_sys::Date::now(),
                            updated,
                            failures,
                        });
                    }
                    Err(error) => status.set(Fetch::Failed(crate::i18n::proxy::api_error(lang, &error))),
                }
            });
        })
    };
    let label = if lang == Lang::Zh {
        "刷新候选报价的实时价格"
    } else {
        "Refresh live prices for the shortlist"
    };
    let report = match &*status {
        Fetch::Idle => html! {},
        Fetch::Fetching => {
            html! { <span role="status">{ if lang == Lang::Zh { "正在获取……" } else { "Fetching…" } }</span> }
        }
        Fetch::Failed(message) => html! { <span role="alert" class="error">{ message }</span> },
        Fetch::Done {
            at_ms,
            updated,
            failures,
        } => {
            let minutes = ((js_sys::Date::now() - at_ms) / 60_000.0).floor();
            let stale = (js_sys::Date::now() - at_ms) / 1_000.0 > STALE_AFTER_SECONDS;
            let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(*at_ms))
                .to_iso_string()
                .as_string()
                .unwrap_or_default();
            html! {
                <span role="status" data-testid="live-status" class={if stale { "warning" } else { "" }}>
                    { if lang == Lang::Zh {
                        format!("已合并 {updated} 个实时价格（以最新为准），获取于 UTC {}，{minutes} 分钟前{}。", when.get(11..16).unwrap_or(""), if stale { " — 已过期：请刷新" } else { "" })
                    } else {
                        format!("{updated} live prices merged (newest wins), fetched {} UTC, {minutes} min ago{}.", when.get(11..16).unwrap_or(""), if stale { " — stale: refresh" } else { "" })
                    } }
                    if !failures.is_empty() { <span class="muted">{ format!(" {} {}", if lang == Lang::Zh { "未能报价：" } else { "Not quoted:" }, failures.join("; ")) }</span> }
                </span>
            }
        }
    };
    html! {
        <div class="live-prices">
            <button onclick={refresh} disabled={why_off.is_some() || *status == Fetch::Fetching}>{ label }</button>
            if let Some(why) = why_off { <span class="muted">{ why }</span> }
            { for clouds.iter().copied().filter(|cloud| api(*cloud).quote_needs_image()).map(|cloud| {
                let name = crate::i18n::cloud_name(lang, cloud);
                html! {
                    <label class="quote-image">{ if lang == Lang::Zh { format!("{name}报价所用的镜像") } else { format!("Image to price {name} quotes with") } }
                        <input type="text" data-testid={format!("quote-image-{}", cloud.id())}
                            value={typed_image(cloud).unwrap_or_default()}
                            placeholder={default_image(cloud).map_or_else(|| if lang == Lang::Zh { "镜像 ID" } else { "image id" }.to_owned(), |image| crate::i18n::resources::default_for_quotes(lang, &image.id, &image.name))}
                            oninput={{
                                let typed_images = typed_images.clone();
                                Callback::from(move |event: InputEvent| {
                                    let input: web_sys::HtmlInputElement = event.target_unchecked_into();
                                    let mut next: Vec<(Cloud, String)> =
                                        typed_images.iter().filter(|(of, _)| *of != cloud).cloned().collect();
                                    next.push((cloud, input.value()));
                                    typed_images.set(next);
                                })
                            }} />
                    </label>
                }
            }) }
            { report }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::api::prices::OfferQuote;
    use spotplan_core::catalog::OfferKey;
    use spotplan_core::quote::QuoteFailure;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn refused(cloud: Cloud, instance_type: &str, code: &str, message: &str) -> OfferQuote {
        OfferQuote {
            offer: OfferKey {
                cloud,
                region: "ap-guangzhou".into(),
                zone: None,
                instance_type: instance_type.into(),
            },
            fetched_at: 0,
            cached: false,
            observations: Vec::new(),
            skipped: Vec::new(),
            error: Some(QuoteFailure::new(code, message)),
        }
    }

    #[test]
    fn a_reason_shared_by_several_offers_is_said_once_with_the_offers() {
        let answer = PricesAnswer {
            quotes: vec![
                refused(Cloud::Tencent, "S5.LARGE8", "needs_image", "needs an image id"),
                refused(Cloud::Tencent, "SA2.LARGE8", "needs_image", "needs an image id"),
                refused(Cloud::Baidu, "bcc.g5.c2m8", "AccessDenied", "denied"),
            ],
        };
        let (observations, failures) = observations(answer, Lang::En);
        assert!(observations.is_empty());
        assert_eq!(
            failures,
            [
                "tencent S5.LARGE8, SA2.LARGE8: needs an image id",
                "baidu bcc.g5.c2m8: denied"
            ]
        );
    }
}
