//! The JWT cache (`jwt-cache-max-entries`): verified claims by token, bounded, never past the token's `exp`.
//!
//! As PostgREST's `PostgREST.Cache.Sieve`, the cache holds at most `max_entries` entries and evicts with
//! SIEVE (<https://cachemon.github.io/SIEVE-website>): a hit only sets the entry's "visited" bit; when room
//! is needed, a hand walks from the oldest entry towards the newest, clearing visited bits (a second
//! chance) and evicting the first entry it finds unvisited, then stays there for the next eviction.
//! `max_entries == 0` disables the cache, and then lookups are not counted (PostgREST has no cache then).
//!
//! Entries are keyed by the SHA-256 of the token, so a huge token costs 32 bytes of key, and a lookup can
//! only find the claims of the very same token (finding a SHA-256 collision is out of reach). The hash is
//! computed before the lock is taken; under the lock there is one hash-map lookup and a few link updates.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

type Key = [u8; 32];

/// The cache's counters (monotonic, for the `pgrst_jwt_cache_*` metrics) and its current size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups (`pgrst_jwt_cache_requests_total`).
    pub requests: u64,
    /// Lookups that found a live entry (`pgrst_jwt_cache_hits_total`).
    pub hits: u64,
    /// Lookups that found nothing usable: `requests - hits`.
    pub misses: u64,
    /// Entries evicted to make room (`pgrst_jwt_cache_evictions_total`).
    pub evictions: u64,
    /// Entries dropped because a lookup found them at or past their expiry (counted as misses too).
    pub expirations: u64,
    /// Entries held now.
    pub entries: usize,
    /// The bound.
    pub max_entries: usize,
}

/// Verified JWT claims (or whatever `V` the caller caches) by token; shared by all requests through `&self`.
///
/// `V::clone` runs under the lock, so `V` should be cheap to clone (an `Arc`).
pub struct JwtCache<V> {
    inner: Mutex<Sieve<V>>,
    /// The bound, readable without the lock so that a disabled cache costs nothing.
    max_entries: AtomicUsize,
}

impl<V: Clone> JwtCache<V> {
    /// A cache of at most `max_entries` tokens; 0 caches nothing.
    pub fn new(max_entries: usize) -> Self {
        JwtCache {
            inner: Mutex::new(Sieve::new(max_entries)),
            max_entries: AtomicUsize::new(max_entries),
        }
    }

    /// The value cached for `token`, unless absent or expired at `now` (seconds since the epoch): an
    /// entry whose expiry is at or before `now` is removed and never served.
    pub fn get(&self, token: &str, now: i64) -> Option<V> {
        if self.max_entries.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let key = key_of(token);
        self.lock().get(&key, now)
    }

    /// Caches `value` for `token` until `expires_at` (seconds since the epoch; `None`: until evicted),
    /// evicting per SIEVE when full. A token already cached gets the new value and expiry.
    pub fn insert(&self, token: &str, value: V, expires_at: Option<i64>) {
        if self.max_entries.load(Ordering::Relaxed) == 0 {
            return;
        }
        let key = key_of(token);
        self.lock().insert(key, value, expires_at);
    }
}

impl<V> JwtCache<V> {
    /// Changes the bound (on configuration reload), evicting per SIEVE down to it; 0 empties the cache.
    pub fn resize(&self, max_entries: usize) {
        let mut sieve = self.lock();
        sieve.max_entries = max_entries;
        self.max_entries.store(max_entries, Ordering::Relaxed);
        if max_entries == 0 {
            sieve.clear();
        }
        while sieve.len() > max_entries && sieve.evict() {}
    }

    /// Drops every entry (when the JWT secret changes); the counters keep counting.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> CacheStats {
        let sieve = self.lock();
        CacheStats {
            entries: sieve.len(),
            max_entries: sieve.max_entries,
            ..sieve.stats
        }
    }

    /// The lock, also after a panic elsewhere poisoned it: every update below leaves the structure
    /// consistent before anything that could panic (`V::clone`) runs.
    fn lock(&self) -> MutexGuard<'_, Sieve<V>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<V> fmt::Debug for JwtCache<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtCache").field("stats", &self.stats()).finish()
    }
}

fn key_of(token: &str) -> Key {
    Sha256::digest(token.as_bytes()).into()
}

/// Entries in an arena, linked from the oldest to the newest; `index` finds them by key.
struct Sieve<V> {
    max_entries: usize,
    index: HashMap<Key, usize>,
    slots: Vec<Option<Entry<V>>>,
    free: Vec<usize>,
    oldest: Option<usize>,
    newest: Option<usize>,
    /// Where the next eviction looks first; `None` starts from the oldest.
    hand: Option<usize>,
    stats: CacheStats,
}

struct Entry<V> {
    key: Key,
    value: V,
    expires_at: Option<i64>,
    visited: bool,
    older: Option<usize>,
    newer: Option<usize>,
}

impl<V> Sieve<V> {
    fn new(max_entries: usize) -> Self {
        Sieve {
            max_entries,
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            oldest: None,
            newest: None,
            hand: None,
            stats: CacheStats::default(),
        }
    }

    fn len(&self) -> usize {
        self.index.len()
    }

    fn entry(&mut self, slot: usize) -> Option<&mut Entry<V>> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    fn get(&mut self, key: &Key, now: i64) -> Option<V>
    where
        V: Clone,
    {
        // A resize to 0 may race with a caller that read the old bound: still nothing is served or counted.
        if self.max_entries == 0 {
            return None;
        }
        self.stats.requests += 1;
        let Some(&slot) = self.index.get(key) else {
            self.stats.misses += 1;
            return None;
        };
        let entry = self.entry(slot)?;
        if entry.expires_at.is_some_and(|exp| exp <= now) {
            self.remove(slot);
            self.stats.expirations += 1;
            self.stats.misses += 1;
            return None;
        }
        entry.visited = true;
        let value = entry.value.clone();
        self.stats.hits += 1;
        Some(value)
    }

    fn insert(&mut self, key: Key, value: V, expires_at: Option<i64>) {
        if self.max_entries == 0 {
            return;
        }
        if let Some(&slot) = self.index.get(&key) {
            if let Some(entry) = self.entry(slot) {
                entry.value = value;
                entry.expires_at = expires_at;
            }
            return;
        }
        while self.len() >= self.max_entries && self.evict() {}
        let entry = Entry {
            key,
            value,
            expires_at,
            visited: false,
            older: self.newest,
            newer: None,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                if let Some(vacant) = self.slots.get_mut(slot) {
                    *vacant = Some(entry);
                }
                slot
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        };
        match self.newest.and_then(|n| self.entry(n)) {
            Some(previous) => previous.newer = Some(slot),
            None => self.oldest = Some(slot),
        }
        self.newest = Some(slot);
        self.index.insert(key, slot);
    }

    /// Evicts one entry per SIEVE; false when there is nothing to evict.
    fn evict(&mut self) -> bool {
        let mut at = self.hand.or(self.oldest);
        // Two passes clear every visited bit and reach an unvisited entry; the bound guards the loop.
        for _ in 0..=2 * self.len() {
            let Some(slot) = at else { return false };
            let oldest = self.oldest;
            let Some(entry) = self.entry(slot) else {
                return false;
            };
            if entry.visited {
                entry.visited = false;
                at = entry.newer.or(oldest);
                continue;
            }
            self.hand = entry.newer;
            self.remove(slot);
            self.stats.evictions += 1;
            return true;
        }
        false
    }

    /// Unlinks and frees an entry; a hand pointing at it moves on towards the newer entries.
    fn remove(&mut self, slot: usize) {
        let Some(entry) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        match entry.older.and_then(|o| self.entry(o)) {
            Some(older) => older.newer = entry.newer,
            None => self.oldest = entry.newer,
        }
        match entry.newer.and_then(|n| self.entry(n)) {
            Some(newer) => newer.older = entry.older,
            None => self.newest = entry.older,
        }
        if self.hand == Some(slot) {
            self.hand = entry.newer;
        }
        self.index.remove(&entry.key);
        self.free.push(slot);
    }

    fn clear(&mut self) {
        self.index.clear();
        self.slots.clear();
        self.free.clear();
        self.oldest = None;
        self.newest = None;
        self.hand = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// The tokens cached, oldest first (walking the links, so that they are checked too).
    fn tokens(cache: &JwtCache<&'static str>) -> Vec<&'static str> {
        let sieve = cache.lock();
        let mut out = Vec::new();
        let mut at = sieve.oldest;
        while let Some(slot) = at {
            let entry = sieve.slots[slot].as_ref().unwrap();
            out.push(entry.value);
            at = entry.newer;
        }
        assert_eq!(out.len(), sieve.len(), "links and index disagree");
        out
    }

    fn filled(max: usize, names: &[&'static str]) -> JwtCache<&'static str> {
        let cache = JwtCache::new(max);
        for &name in names {
            cache.insert(name, name, None);
        }
        cache
    }

    #[test]
    fn hit_and_miss() {
        let cache = JwtCache::new(10);
        assert_eq!(cache.get("a.b.c", 0), None);
        cache.insert("a.b.c", 1, None);
        assert_eq!(cache.get("a.b.c", 0), Some(1));
        assert_eq!(cache.get("a.b.d", 0), None);
        let stats = cache.stats();
        assert_eq!(
            stats,
            CacheStats {
                requests: 3,
                hits: 1,
                misses: 2,
                evictions: 0,
                expirations: 0,
                entries: 1,
                max_entries: 10
            }
        );
    }

    #[test]
    fn never_served_at_or_past_expiry() {
        let cache = JwtCache::new(10);
        cache.insert("t", "claims", Some(100));
        assert_eq!(cache.get("t", 99), Some("claims"));
        assert_eq!(cache.get("t", 100), None, "expired exactly at exp");
        assert_eq!(cache.len(), 0, "an expired entry is removed");
        cache.insert("t", "claims", Some(100));
        assert_eq!(cache.get("t", 101), None);
        assert_eq!(cache.get("t", 50), None, "removed, not merely hidden");
        let stats = cache.stats();
        assert_eq!(
            (stats.hits, stats.misses, stats.expirations, stats.evictions),
            (1, 3, 2, 0)
        );
    }

    #[test]
    fn tokens_without_exp_stay_until_evicted() {
        let cache = JwtCache::new(2);
        cache.insert("t", "claims", None);
        assert_eq!(cache.get("t", i64::MAX), Some("claims"));
    }

    #[test]
    fn reinserting_updates_value_and_expiry() {
        let cache = JwtCache::new(2);
        cache.insert("t", "old", Some(10));
        cache.insert("t", "new", Some(20));
        assert_eq!(cache.get("t", 15), Some("new"));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.stats().evictions, 0);
    }

    #[test]
    fn evicts_the_oldest_unvisited_entry() {
        let cache = filled(3, &["a", "b", "c"]);
        assert_eq!(cache.get("a", 0), Some("a"));
        cache.insert("d", "d", None);
        // The hand starts at the oldest: "a" was visited, so it gets a second chance and "b" goes.
        assert_eq!(tokens(&cache), ["a", "c", "d"]);
        cache.insert("e", "e", None);
        // The hand stayed after "b" and moves on towards the newest: "c" goes, "a" stays behind it.
        assert_eq!(tokens(&cache), ["a", "d", "e"]);
        cache.insert("f", "f", None);
        assert_eq!(tokens(&cache), ["a", "e", "f"]);
        assert_eq!(cache.get("f", 0), Some("f"));
        cache.insert("g", "g", None);
        // "e" goes; the hand is on "f", visited, which it spares on the next turn and evicts "g", the
        // newest, after which it wraps around to the oldest.
        assert_eq!(tokens(&cache), ["a", "f", "g"]);
        cache.insert("h", "h", None);
        assert_eq!(tokens(&cache), ["a", "f", "h"]);
        // Back at the oldest: "a", unvisited since its second chance, goes at last.
        cache.insert("i", "i", None);
        assert_eq!(tokens(&cache), ["f", "h", "i"]);
        assert_eq!(cache.stats().evictions, 6);
    }

    #[test]
    fn every_entry_visited_evicts_after_a_full_turn() {
        let cache = filled(3, &["a", "b", "c"]);
        for t in ["a", "b", "c"] {
            assert_eq!(cache.get(t, 0), Some(t));
        }
        cache.insert("d", "d", None);
        assert_eq!(tokens(&cache), ["b", "c", "d"]);
        // All bits were cleared on the way: the next eviction takes "b" straight away.
        cache.insert("e", "e", None);
        assert_eq!(tokens(&cache), ["c", "d", "e"]);
    }

    #[test]
    fn a_hit_behind_the_hand_is_kept_for_the_next_turn() {
        let cache = filled(3, &["a", "b", "c"]);
        cache.insert("d", "d", None); // evicts "a"; the hand moves to "b"
        assert_eq!(cache.get("d", 0), Some("d"));
        assert_eq!(cache.get("b", 0), Some("b"));
        cache.insert("e", "e", None); // "b" visited: spared; "c" goes
        assert_eq!(tokens(&cache), ["b", "d", "e"]);
        cache.insert("f", "f", None); // "d" visited: spared; "e" goes
        assert_eq!(tokens(&cache), ["b", "d", "f"]);
    }

    #[test]
    fn an_expired_entry_under_the_hand_moves_the_hand_on() {
        let cache = JwtCache::new(3);
        cache.insert("a", "a", None);
        cache.insert("b", "b", Some(10));
        cache.insert("c", "c", None);
        cache.insert("d", "d", None); // evicts "a"; the hand is on "b"
        assert_eq!(cache.get("b", 10), None); // expired: removed, the hand moves to "c"
        assert_eq!(tokens(&cache), ["c", "d"]);
        cache.insert("e", "e", None);
        cache.insert("f", "f", None); // full again: the hand evicts "c"
        assert_eq!(tokens(&cache), ["d", "e", "f"]);
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let cache = JwtCache::new(0);
        cache.insert("t", 1, None);
        assert_eq!(cache.get("t", 0), None);
        assert!(cache.is_empty());
        assert_eq!(cache.stats(), CacheStats::default(), "no cache, nothing counted");
    }

    #[test]
    fn capacity_one() {
        let cache = JwtCache::new(1);
        cache.insert("a", "a", None);
        assert_eq!(cache.get("a", 0), Some("a"));
        cache.insert("b", "b", None);
        assert_eq!(tokens(&cache), ["b"]);
        cache.insert("c", "c", None);
        assert_eq!(tokens(&cache), ["c"]);
        assert_eq!(cache.get("a", 0), None);
        assert_eq!(cache.stats().evictions, 2);
    }

    #[test]
    fn resize_and_clear() {
        let cache = filled(4, &["a", "b", "c", "d"]);
        assert_eq!(cache.get("a", 0), Some("a"));
        cache.resize(2);
        assert_eq!(tokens(&cache), ["a", "d"]);
        cache.resize(3);
        cache.insert("e", "e", None);
        assert_eq!(tokens(&cache), ["a", "d", "e"]);
        cache.clear();
        assert!(cache.is_empty());
        cache.insert("f", "f", None);
        assert_eq!(tokens(&cache), ["f"]);
        cache.resize(0);
        assert!(cache.is_empty());
        cache.insert("g", "g", None);
        assert!(cache.is_empty());
        assert_eq!(cache.stats().max_entries, 0);
    }

    #[test]
    fn slots_are_reused() {
        let cache = JwtCache::new(2);
        for i in 0..100 {
            cache.insert(&format!("token{i}"), i, None);
        }
        assert_eq!(cache.lock().slots.len(), 2);
        assert_eq!(cache.get("token99", 0), Some(99));
        assert_eq!(cache.get("token98", 0), Some(98));
    }

    #[test]
    fn huge_tokens_are_keyed_by_their_hash() {
        let cache = JwtCache::new(2);
        let huge = "x".repeat(1 << 20);
        let almost = format!("{}y", &huge[1..]);
        cache.insert(&huge, "huge", None);
        assert_eq!(cache.get(&huge, 0), Some("huge"));
        assert_eq!(cache.get(&almost, 0), None);
        assert_eq!(cache.get("", 0), None);
    }

    #[test]
    fn concurrent_use() {
        let cache = Arc::new(JwtCache::new(64));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || {
                    for i in 0..2000u32 {
                        let token = format!("token{}", (i * 7 + t) % 150);
                        match cache.get(&token, 1000) {
                            Some(value) => assert_eq!(value, token),
                            None => cache.insert(&token, token.clone(), Some(2000)),
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let stats = cache.stats();
        assert_eq!(stats.requests, 8 * 2000);
        assert_eq!(stats.hits + stats.misses, stats.requests);
        assert!(stats.hits > 0 && stats.evictions > 0, "{stats:?}");
        assert_eq!(stats.entries, 64);
        assert_eq!(cache.lock().slots.len(), 64);
    }

    /// Clones fine until told otherwise.
    struct Fragile(Arc<std::sync::atomic::AtomicBool>);

    impl Clone for Fragile {
        fn clone(&self) -> Self {
            if self.0.load(std::sync::atomic::Ordering::SeqCst) {
                panic!("clone failed");
            }
            Fragile(Arc::clone(&self.0))
        }
    }

    #[test]
    fn a_poisoned_lock_is_recovered() {
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let cache = Arc::new(JwtCache::new(2));
        cache.insert("t", Fragile(Arc::clone(&fail)), None);
        let shared = Arc::clone(&cache);
        let panicked = std::thread::spawn(move || shared.get("t", 0).is_some()).join();
        assert!(panicked.is_err());
        assert!(cache.inner.is_poisoned());
        fail.store(false, std::sync::atomic::Ordering::SeqCst);
        assert!(cache.get("t", 0).is_some());
        cache.insert("u", Fragile(Arc::clone(&fail)), None);
        assert_eq!(cache.len(), 2);
        // The lookup whose clone panicked counted as a request, not as a hit.
        assert_eq!((cache.stats().requests, cache.stats().hits), (2, 1));
    }
}
