//! Rate limits of every service: requests per second from one client address and with one
//! API token (GCRA buckets of the `governor` crate, bursts of twice the rate). A request over
//! a limit is answered 429 with `Retry-After`, counted in
//! `http_requests_rate_limited_total{limit}`; the health and metrics routes are never limited.
//!
//! A service limits some of its own actions the same way with a [`KeyedLimit`] (the depot:
//! PIN code checks per client and per address, failed authentications per address), keyed by
//! what it chooses, the client's address given by [`client_address`].
use std::hash::{BuildHasher, Hash};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitArgs;
use crate::ApiError;

/// Routes that are never limited: what load balancers and Prometheus poll.
const UNLIMITED_PATHS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Every so many checks, the buckets of idle clients are forgotten (memory stays bounded by
/// the clients of the last seconds, not of the process's life).
const FORGET_EVERY: u64 = 16_384;

/// The rate limits of a server, shared by its requests.
#[derive(Clone)]
pub struct RateLimits {
    inner: Arc<Limiters>,
}

struct Limiters {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_token: Option<DefaultKeyedRateLimiter<u64>>,
    trust_forwarded_for: bool,
    /// Tokens are kept as keyed hashes, never in clear.
    token_hasher: std::collections::hash_map::RandomState,
    checks: AtomicU64,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("per_ip", &self.inner.per_ip.is_some())
            .field("per_token", &self.inner.per_token.is_some())
            .finish()
    }
}

fn limiter<K: Hash + Eq + Clone>(per_second: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
    Some(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)))
}

impl RateLimits {
    pub fn new(args: RateLimitArgs) -> Self {
        RateLimits {
            inner: Arc::new(Limiters {
                per_ip: limiter(args.per_ip),
                per_token: limiter(args.per_token),
                trust_forwarded_for: args.trust_forwarded_for,
                token_hasher: Default::default(),
                checks: AtomicU64::new(0),
            }),
        }
    }

    /// Whether both limits are off (then no middleware is needed).
    pub fn is_off(&self) -> bool {
        self.inner.per_ip.is_none() && self.inner.per_token.is_none()
    }

    /// No limit at all (for tests that drive a router without a socket).
    pub fn none() -> Self {
        RateLimits::new(RateLimitArgs { per_ip: 0, per_token: 0, trust_forwarded_for: false })
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::new(RateLimitArgs::default())
    }
}

impl RateLimits {
    /// Whether the client's address is taken from `X-Forwarded-For` (see [`client_address`]).
    pub fn trusts_forwarded_for(&self) -> bool {
        self.inner.trust_forwarded_for
    }
}

/// The client's address: the connection's, or the last `X-Forwarded-For` entry (the one the
/// trusted proxy added) when told to trust it. `None` without either (a router called
/// without a socket).
pub fn client_address(parts: &axum::http::request::Parts, trust_forwarded_for: bool) -> Option<IpAddr> {
    address_of(&parts.headers, &parts.extensions, trust_forwarded_for)
}

fn address_of(
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .next_back();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip())
}

/// Middleware: the request within its address's and its token's rates, or a 429.
pub async fn rate_limit(State(limits): State<RateLimits>, request: Request, next: Next) -> Response {
    let limits = &*limits.inner;
    if UNLIMITED_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    if limits.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
        if let Some(limiter) = &limits.per_ip {
            limiter.retain_recent();
        }
        if let Some(limiter) = &limits.per_token {
            limiter.retain_recent();
        }
    }
    if let (Some(limiter), Some(address)) =
        (&limits.per_ip, address_of(request.headers(), request.extensions(), limits.trust_forwarded_for))
    {
        if let Err(not_until) = limiter.check_key(&address) {
            return too_many("ip", not_until.wait_time_from(DefaultClock::default().now()));
        }
    }
    if let (Some(limiter), Some(token)) = (&limits.per_token, request.headers().get(header::AUTHORIZATION)) {
        if let Err(not_until) = limiter.check_key(&limits.token_hasher.hash_one(token.as_bytes())) {
            return too_many("token", not_until.wait_time_from(DefaultClock::default().now()));
        }
    }
    next.run(request).await
}

fn too_many(limit: &'static str, wait: std::time::Duration) -> Response {
    metrics::counter!("http_requests_rate_limited_total", "limit" => limit).increment(1);
    let seconds = retry_seconds(wait);
    let who = if limit == "ip" { "depuis cette adresse" } else { "avec ce jeton" };
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("Trop de requêtes {who} : réessayez dans {seconds} s."),
    )
    .retry_after(seconds)
    .into_response()
}

/// A limit on one kind of action, per key (a client, an address): `per_minute` actions, all
/// of them at once at most (a GCRA bucket of `governor`, refilled one action every
/// `60 / per_minute` seconds). Keys idle long enough to be full again are forgotten now and
/// then, so that memory stays bounded by the recently active keys.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for KeyedLimit<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimit").field("keys", &self.limiter.len()).finish()
    }
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// `per_minute` actions per key; `None` (no limit) for 0.
    pub fn per_minute(per_minute: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_minute)?;
        Some(KeyedLimit { limiter: RateLimiter::keyed(Quota::per_minute(rate)), checks: AtomicU64::new(0) })
    }

    /// Counts one action of `key`: `Err(wait)` when its bucket is empty (the action must not
    /// happen; it can in `wait`).
    pub fn check(&self, key: &K) -> Result<(), std::time::Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Whole seconds to tell a client to wait (`Retry-After`), at least one.
pub fn retry_seconds(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}
