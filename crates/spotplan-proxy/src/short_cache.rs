//! A small in-memory cache whose entries live a fixed time: what the proxy asked a cloud a moment ago (quotes,
//! pool signals, the account's resources) is answered again without another call. Expired entries are dropped
//! whenever one is added, so the cache never outgrows what was asked within its lifetime.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Answers kept for `lifetime`, by what was asked.
#[derive(Debug, Clone)]
pub struct ShortCache<K, V> {
    lifetime: Duration,
    entries: Arc<Mutex<HashMap<K, (Instant, V)>>>,
}

impl<K: Eq + Hash, V: Clone> ShortCache<K, V> {
    /// An empty cache whose entries live `lifetime`.
    pub fn new(lifetime: Duration) -> ShortCache<K, V> {
        ShortCache {
            lifetime,
            entries: Arc::default(),
        }
    }

    /// The answer to `key`, when one younger than the lifetime is kept.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (stored, value) = entries.get(key)?;
        (stored.elapsed() < self.lifetime).then(|| value.clone())
    }

    /// Keeps `value` as the answer to `key` from now on.
    pub fn put(&self, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let lifetime = self.lifetime;
        entries.retain(|_, (stored, _)| stored.elapsed() < lifetime);
        entries.insert(key, (Instant::now(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_within_its_lifetime_and_expired_ones_are_dropped() {
        let cache = ShortCache::new(Duration::from_secs(60));
        cache.put("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        assert_eq!(cache.get(&"b"), None);
        let gone = ShortCache::new(Duration::ZERO);
        gone.put("a", 1);
        assert_eq!(gone.get(&"a"), None);
        gone.put("b", 2);
        let kept = gone.entries.lock().map(|entries| entries.len()).unwrap_or_default();
        assert_eq!(kept, 1, "the expired entry was dropped when another was added");
    }
}
