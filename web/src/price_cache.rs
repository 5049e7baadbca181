//! The prices the proxy kept, cached in the browser (IndexedDB, database `spotplan`, store `prices`): read at start
//! before any network call, so a reload shows the newest known prices at once; then only what the proxy stored
//! since (`GET /api/v1/catalog?since=`) is fetched, merged and written back. Values cross into JavaScript with
//! `serde-wasm-bindgen`.

use serde::{Deserialize, Serialize};
use spotplan_core::catalog::ExternalObservation;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// The most observations kept in the browser (the oldest go first).
pub const MAX_CACHED: usize = 200_000;
const DATABASE: &str = "spotplan";
const STORE: &str = "prices";
const KEY: &str = "delta";

/// What the cache holds: the observations and the proxy's point they reach.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cached {
    /// The proxy's point (an answer's `until`) they reach.
    pub until: i64,
    /// The proxy store the point belongs to.
    #[serde(default)]
    pub store: String,
    /// The observations, oldest first.
    pub observations: Vec<ExternalObservation>,
}

impl Cached {
    /// Adds newer observations and the point they reach, keeping at most [`MAX_CACHED`].
    pub fn extend(&mut self, observations: Vec<ExternalObservation>, until: i64) {
        self.observations.extend(observations);
        if self.observations.len() > MAX_CACHED {
            let drop = self.observations.len() - MAX_CACHED;
            self.observations.drain(..drop);
        }
        self.until = self.until.max(until);
    }
}

/// Waits for an IndexedDB request to succeed (its `result`) or fail.
async fn settled(request: &web_sys::IdbRequest) -> Result<JsValue, JsValue> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let done = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let failed = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = reject.call0(&JsValue::NULL);
        });
        request.set_onsuccess(Some(done.unchecked_ref()));
        request.set_onerror(Some(failed.unchecked_ref()));
    });
    wasm_bindgen_futures::JsFuture::from(promise).await?;
    request.result()
}

async fn database() -> Result<web_sys::IdbDatabase, JsValue> {
    let factory = web_sys::window()
        .and_then(|window| window.indexed_db().ok().flatten())
        .ok_or_else(|| JsValue::from_str("no IndexedDB"))?;
    let open = factory.open_with_u32(DATABASE, 1)?;
    let upgrade = Closure::once_into_js(move |event: web_sys::Event| {
        let database = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::IdbOpenDbRequest>().ok())
            .and_then(|request| request.result().ok())
            .and_then(|result| result.dyn_into::<web_sys::IdbDatabase>().ok());
        if let Some(database) = database {
            let _ = database.create_object_store(STORE);
        }
    });
    open.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    settled(&open).await?.dyn_into::<web_sys::IdbDatabase>()
}

/// The cached prices, if any (an unreadable cache is an empty one).
pub async fn load() -> Cached {
    async fn read() -> Result<Cached, JsValue> {
        let database = database().await?;
        let store = database.transaction_with_str(STORE)?.object_store(STORE)?;
        let value = settled(&store.get(&JsValue::from_str(KEY))?).await?;
        if value.is_undefined() || value.is_null() {
            return Ok(Cached::default());
        }
        serde_wasm_bindgen::from_value(value).map_err(JsValue::from)
    }
    read().await.unwrap_or_default()
}

/// Writes the cache (a failure leaves the previous one; the proxy still has everything).
pub async fn save(cached: &Cached) {
    async fn write(cached: &Cached) -> Result<(), JsValue> {
        let database = database().await?;
        let transaction = database.transaction_with_str_and_mode(STORE, web_sys::IdbTransactionMode::Readwrite)?;
        let value = serde_wasm_bindgen::to_value(cached)?;
        settled(
            &transaction
                .object_store(STORE)?
                .put_with_key(&value, &JsValue::from_str(KEY))?,
        )
        .await?;
        Ok(())
    }
    let _ = write(cached).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::catalog::{OfferKey, PriceKind, Source};
    use spotplan_core::{Cloud, Currency, Money, PriceRate, TimeUnit};

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn observation(at: i64) -> ExternalObservation {
        ExternalObservation {
            offer: OfferKey {
                cloud: Cloud::Alibaba,
                region: "cn-hangzhou".into(),
                zone: Some("cn-hangzhou-k".into()),
                instance_type: "ecs.c7.xlarge".into(),
            },
            kind: PriceKind::Spot,
            rate: PriceRate::new(
                Money::new(rust_decimal::Decimal::new(5, 2), Currency::Cny),
                TimeUnit::Hour,
            ),
            observed_at: at,
            source: Source {
                key: "live".into(),
                name: "live".into(),
                url: String::new(),
                licence: String::new(),
                date: "2026-12-01".into(),
                attribution: String::new(),
                live: None,
            },
        }
    }

    #[test]
    fn the_cache_keeps_the_newest_and_the_furthest_point() {
        let mut cached = Cached::default();
        cached.extend(vec![observation(1), observation(2)], 7);
        cached.extend(vec![observation(3)], 5);
        assert_eq!(cached.until, 7);
        assert_eq!(cached.observations.len(), 3);
        cached.extend((0..MAX_CACHED as i64).map(observation).collect(), 9);
        assert_eq!(cached.observations.len(), MAX_CACHED);
        assert_eq!(cached.until, 9);
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    async fn what_is_saved_is_read_back() {
        let mut cached = Cached::default();
        cached.extend(vec![observation(10), observation(11)], 42);
        save(&cached).await;
        assert_eq!(load().await, cached);
    }
}

/// The most pages of `GET /api/v1/catalog?since=` one catch-up reads (the rest waits for the next).
const MAX_DELTA_PAGES: usize = 4;

/// Catches `cache` up with what the proxy stored since the point it reaches — from the beginning when the points
/// are another store's — writes it back, and returns the observations it learnt (none when the proxy did not
/// answer). `cache` is the app's one copy: every reader goes through it, so no read starts from an older point
/// than the last one reached and nothing is fetched twice.
pub async fn catch_up(cache: &std::cell::RefCell<Cached>) -> Vec<ExternalObservation> {
    let mut cached = cache.borrow().clone();
    let (mut since, mut learnt) = (cached.until, Vec::new());
    for _ in 0..MAX_DELTA_PAGES {
        let Ok(mut page) = crate::api::catalog_delta(since).await else {
            break;
        };
        if page.store != cached.store {
            // Points of another proxy's store: start again from its beginning.
            cached = Cached {
                store: page.store.clone(),
                ..Default::default()
            };
            if since != 0 {
                since = 0;
                match crate::api::catalog_delta(0).await {
                    Ok(first) => page = first,
                    Err(_) => break,
                }
            }
        }
        learnt.extend(page.observations());
        since = page.until;
        if !page.more {
            break;
        }
    }
    let moved = since != cached.until || cached.store != cache.borrow().store;
    if !learnt.is_empty() || moved {
        cached.extend(learnt.clone(), since);
        save(&cached).await;
        *cache.borrow_mut() = cached;
    }
    learnt
}

/// The app's one copy of the cache and its catch-ups, one at a time: a catch-up asked for while one runs runs once
/// more after it (its point is then the newest), so two never read from the same point or write back over each
/// other.
#[derive(Debug, Clone, Default)]
pub struct PriceFeed {
    cache: std::rc::Rc<std::cell::RefCell<Cached>>,
    loaded: std::rc::Rc<std::cell::Cell<bool>>,
    busy: std::rc::Rc<std::cell::Cell<bool>>,
    again: std::rc::Rc<std::cell::Cell<bool>>,
}

impl PriceFeed {
    /// Reads the browser's cache (no network) and returns what it holds.
    pub async fn load(&self) -> Vec<ExternalObservation> {
        let cached = load().await;
        let observations = cached.observations.clone();
        *self.cache.borrow_mut() = cached;
        self.loaded.set(true);
        observations
    }

    /// Catches the cache up with the proxy (after its read from the browser), calling `on_learnt` with what came.
    pub fn catch_up(&self, on_learnt: yew::Callback<Vec<ExternalObservation>>) {
        if self.busy.replace(true) {
            self.again.set(true);
            return;
        }
        let feed = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // The browser's read is local and quick: the catch-up starts where it ends.
            for _ in 0..50 {
                if feed.loaded.get() {
                    break;
                }
                yew::platform::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            loop {
                feed.again.set(false);
                let learnt = catch_up(&feed.cache).await;
                if !learnt.is_empty() {
                    on_learnt.emit(learnt);
                }
                if !feed.again.get() {
                    break;
                }
            }
            feed.busy.set(false);
        });
    }
}
