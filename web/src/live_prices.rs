//! Live prices: asks the proxy (`POST /api/v1/prices`) for quotes of the shortlist — the best few offers of each
//! cloud it holds credentials for — and hands the observations to the app, which merges them into its catalog
//! (newest wins, every figure keeps its source). Shows when they were fetched (the oldest fetch, the proxy's cache
//! included) and calls them stale after 30 minutes. The table shows one market per offer (Linux, with Alibaba's
//! one-hour protection); a draft order of another market (a Windows image, no protection) has its own offer
//! quoted in that market too, shown beside the bar and never merged.
//! A cloud whose price query needs an image (its folder says: `quote_needs_image`) gets a field for one: the image
//! typed there, else the cloud's default public image when the proxy can list it.

use spotplan_core::api::prices::{PricesAnswer, PricesBody};
use spotplan_core::api::resources::{AccountResource, ResourceKind, ResourcesBody, default_public_image};
use spotplan_core::catalog::{ExternalObservation, PriceKind};
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
        own_market: Vec<String>,
    },
    Failed(String),
}

/// The quotes to ask for: the best [`SHORTLIST_PER_CLOUD`] offers of each cloud in `clouds`, in the market the
/// table shows (Linux, with Alibaba's one-hour protection), with what each cloud's price query needs besides the
/// offer (an image where the query prices a launch, the spec's size) — and, when the draft order joins another
/// market (Windows, no protection), its own offer once more in that market, last. `images`: the image to price each
/// cloud's quotes with, where one is needed.
fn shortlist(props: &LivePricesProps, clouds: &[Cloud], images: &[(Cloud, String)]) -> PricesBody {
    let order = props.state.order.as_ref();
    let draft = order.map_or_else(QuoteDraft::default, |order| QuoteDraft {
        cloud: Some(order.cloud),
        image_id: Some(order.image_id.clone()),
        os: Some(order.os),
        one_hour_protection: order.bid.spot_duration_hours.map(|hours| hours > 0),
    });
    let table_market = QuoteDraft {
        os: None,
        one_hour_protection: None,
        ..draft.clone()
    };
    let image_for = |cloud: Cloud| {
        images
            .iter()
            .find(|(of, _)| *of == cloud)
            .map(|(_, image)| image.as_str())
    };
    let catalog = props.planner.catalog();
    let mut taken = std::collections::HashMap::<Cloud, usize>::new();
    let mut offers: Vec<_> = props
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
            Some(api(cloud).quote_ask(key, instance_type, &table_market.for_cloud(cloud, image_for(cloud))))
        })
        .collect();
    let own_market = props.state.selected.as_ref().and_then(|key| {
        let offer = catalog.find_offer(key)?;
        let instance_type = catalog.type_of(&catalog.offers()[offer]);
        let ask = api(key.cloud).quote_ask(
            key.clone(),
            instance_type,
            &draft.for_cloud(key.cloud, image_for(key.cloud)),
        );
        (clouds.contains(&key.cloud) && !ask.is_default_market()).then_some(ask)
    });
    offers.extend(own_market);
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

/// What a refresh brought: the observations to merge, one line per reason the proxy could not quote some offers
/// (a reason shared by several offers is said once, with the offers it applies to), and the quotes of the draft
/// order's own market where that is not the table's — shown, not merged: they are not the offer's price for
/// anyone else. `asked`: the body the answer is for (the proxy answers in its order).
struct Quoted {
    observations: Vec<ExternalObservation>,
    failures: Vec<String>,
    own_market: Vec<String>,
    oldest_fetch_ms: Option<f64>,
}

fn observations(asked: &PricesBody, answer: PricesAnswer, lang: Lang) -> Quoted {
    let mut observations = Vec::new();
    let mut own_market = Vec::new();
    let mut reasons: Vec<((Cloud, String), Vec<String>)> = Vec::new();
    let mut oldest_fetch_ms: Option<f64> = None;
    for (quote, ask) in answer.quotes.into_iter().zip(&asked.offers) {
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
            None if ask.is_default_market() => {
                // A cached quote was fetched before this refresh: the oldest fetch dates them all.
                let fetched_ms = quote.fetched_at as f64 * 1000.0;
                oldest_fetch_ms = Some(oldest_fetch_ms.map_or(fetched_ms, |oldest| oldest.min(fetched_ms)));
                observations.extend(quote.observations);
            }
            None => {
                let market = match (ask.os, ask.one_hour_protection) {
                    (Some(spotplan_core::order::OsFamily::Windows), Some(false)) => "Windows, 0 h",
                    (Some(spotplan_core::order::OsFamily::Windows), _) => "Windows",
                    _ => "0 h",
                };
                // The newest price of each kind: the quote may carry the history behind it.
                let newest = |kind: PriceKind| {
                    let observation = quote
                        .observations
                        .iter()
                        .filter(|observation| observation.kind == kind)
                        .max_by_key(|observation| observation.observed_at)?;
                    let word = match (kind, lang) {
                        (PriceKind::Spot, Lang::Zh) => "竞价",
                        (PriceKind::Spot, Lang::En) => "spot",
                        (PriceKind::OnDemand, Lang::Zh) => "按量",
                        (PriceKind::OnDemand, Lang::En) => "on-demand",
                    };
                    Some(format!("{word} {}", observation.rate))
                };
                let prices: Vec<String> = [PriceKind::Spot, PriceKind::OnDemand]
                    .into_iter()
                    .filter_map(newest)
                    .collect();
                own_market.push(format!(
                    "{} {} ({market}): {}",
                    quote.offer.cloud.id(),
                    quote.offer.instance_type,
                    prices.join(", ")
                ));
            }
        }
    }
    let failures = reasons
        .into_iter()
        .map(|((cloud, message), offers)| format!("{} {}: {message}", cloud.id(), offers.join(", ")))
        .collect();
    Quoted {
        observations,
        failures,
        own_market,
        oldest_fetch_ms,
    }
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
            "代理不可用：实时价格需要运行代理（cargo xtask serve）。"
        } else {
            "The proxy is not reachable: live prices need it running (cargo xtask serve)."
        }),
    };
    let refresh = {
        let (status, on_quotes) = (status.clone(), props.on_quotes.clone());
        let body = shortlist(props, &clouds, &images_for_quotes);
        Callback::from(move |_: MouseEvent| {
            let (status, on_quotes, body) = (status.clone(), on_quotes.clone(), body.clone());
            status.set(Fetch::Fetching);
            wasm_bindgen_futures::spawn_local(async move {
                match crate::api::prices(&body)
                    .await
                    .map(|answer| observations(&body, answer, lang))
                {
                    Ok(quoted) => {
                        let updated = quoted.observations.len();
                        on_quotes.emit(quoted.observations);
                        status.set(Fetch::Done {
                            at_ms: quoted.oldest_fetch_ms.unwrap_or_else(js_sys::Date::now),
                            updated,
                            failures: quoted.failures,
                            own_market: quoted.own_market,
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
            own_market,
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
                    if !own_market.is_empty() { <span data-testid="own-market">{ format!(" {} {}", if lang == Lang::Zh { "订单所在市场（未并入表格）：" } else { "Your order's market, not merged into the table:" }, own_market.join("; ")) }</span> }
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
    use spotplan_core::order::OsFamily;
    use spotplan_core::quote::{QuoteAsk, QuoteFailure};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ask(offer: OfferKey, os: Option<OsFamily>, one_hour_protection: Option<bool>) -> QuoteAsk {
        QuoteAsk {
            offer,
            image_id: None,
            cpu_count: None,
            memory_gb: None,
            instance_class: None,
            os,
            one_hour_protection,
        }
    }

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
        let asked = PricesBody {
            offers: answer
                .quotes
                .iter()
                .map(|quote| ask(quote.offer.clone(), None, None))
                .collect(),
        };
        let quoted = observations(&asked, answer, Lang::En);
        assert!(quoted.observations.is_empty());
        assert_eq!(
            quoted.failures,
            [
                "tencent S5.LARGE8, SA2.LARGE8: needs an image id",
                "baidu bcc.g5.c2m8: denied"
            ]
        );
    }

    /// A quote of the draft's own market (a Windows image) is shown, not merged: merged, it became the offer's
    /// price in the table, which prices Linux. The fetch time is the oldest quote's (a cached one is older).
    #[test]
    fn a_quote_of_the_drafts_own_market_is_shown_not_merged_and_the_oldest_fetch_dates_them() {
        let offer = OfferKey {
            cloud: Cloud::Alibaba,
            region: "cn-hangzhou".into(),
            zone: Some("cn-hangzhou-k".into()),
            instance_type: "ecs.c7.large".into(),
        };
        let quoted = |fetched_at: i64, amount: &str| {
            let rate = spotplan_core::PriceRate::new(
                spotplan_core::Money::parse(amount, spotplan_core::Currency::Cny).unwrap(),
                spotplan_core::TimeUnit::Hour,
            );
            OfferQuote {
                offer: offer.clone(),
                fetched_at,
                cached: false,
                observations: vec![ExternalObservation {
                    offer: offer.clone(),
                    kind: PriceKind::Spot,
                    rate,
                    observed_at: fetched_at,
                    source: spotplan_core::catalog::Source {
                        key: "live".into(),
                        name: "live quote".into(),
                        url: String::new(),
                        licence: String::new(),
                        date: String::new(),
                        attribution: String::new(),
                        live: None,
                    },
                }],
                skipped: Vec::new(),
                error: None,
            }
        };
        let asked = PricesBody {
            offers: vec![
                ask(offer.clone(), None, None),
                ask(offer.clone(), Some(OsFamily::Windows), None),
            ],
        };
        let mut windows = quoted(2_000, "0.15");
        windows
            .observations
            .insert(0, quoted(1_500, "0.12").observations.remove(0));
        let answer = PricesAnswer {
            quotes: vec![quoted(1_000, "0.05"), windows],
        };
        let quoted = observations(&asked, answer, Lang::En);
        assert_eq!(quoted.observations.len(), 1);
        assert_eq!(quoted.observations[0].rate.money.amount.to_string(), "0.05");
        assert_eq!(
            quoted.own_market,
            ["alibaba ecs.c7.large (Windows): spot 0.15 CNY/hour"]
        );
        assert_eq!(quoted.oldest_fetch_ms, Some(1_000_000.0));
    }
}
