//! The depot's limits against guessing: a PIN code has 10 tries per habilitation (kept across
//! resends), a client holds a few pending habilitations per commune at most, and PIN code
//! checks, failed authentications and citizen reports are limited per minute, per client and
//! per address (429 with `Retry-After`), and the pending reports of one address per commune
//! are bounded (409), on the model of the server's request rates
//! (`ban_service_kit::limits`). Each refusal is counted in
//! `depot_abuse_refused_total{limit}`.
//!
//! A client that relays people (`RELAY_CLIENTS`: the web pages' own, whose token serves every
//! visitor) has its checks per minute counted per address it passes on: one person typing
//! codes does not close the pages to the others, and each person still has the limit per
//! address and the tries of the habilitation.
use std::net::IpAddr;

use axum::http::StatusCode;
use ban_service_kit::limits::{retry_seconds, KeyedLimit};
use ban_service_kit::ApiError;
use ban_store::Client;

use crate::DepotArgs;

/// The limits of a depot, shared by its requests.
#[derive(Debug)]
pub struct AbuseLimits {
    /// Pending habilitations a client may hold per commune (`u32::MAX`: no cap).
    pub max_open_habilitations: u32,
    /// Pending citizen reports one address may have per commune (`u32::MAX`: no cap).
    pub max_pending_reports_per_ip: u32,
    pin_checks_per_client: Option<KeyedLimit<String>>,
    /// Ids or fixed ids of the clients that relay people.
    relay_clients: Vec<String>,
    pin_checks_per_ip: Option<KeyedLimit<IpAddr>>,
    auth_failures_per_ip: Option<KeyedLimit<IpAddr>>,
    reports_per_ip: Option<KeyedLimit<IpAddr>>,
}

impl AbuseLimits {
    pub fn new(args: &DepotArgs) -> Self {
        AbuseLimits {
            max_open_habilitations: match args.max_open_habilitations {
                0 => u32::MAX,
                cap => cap,
            },
            max_pending_reports_per_ip: match args.max_pending_reports_per_ip {
                0 => u32::MAX,
                cap => cap,
            },
            pin_checks_per_client: KeyedLimit::per_minute(args.pin_checks_per_client),
            relay_clients: args
                .relay_clients
                .iter()
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
                .collect(),
            pin_checks_per_ip: KeyedLimit::per_minute(args.pin_checks_per_ip),
            auth_failures_per_ip: KeyedLimit::per_minute(args.auth_failures_per_ip),
            reports_per_ip: KeyedLimit::per_minute(args.reports_per_ip),
        }
    }

    /// Whether `client` relays people (its requests pass on each person's address).
    fn relays(&self, client: &Client) -> bool {
        self.relay_clients
            .iter()
            .any(|id| *id == client.id || Some(id.as_str()) == client.legacy_id.as_deref())
    }

    /// Counts a PIN code check of `client` from `ip`: a 429 when either has checked too many
    /// codes in the last minute (the code is then not checked, and no try is used). The
    /// checks of a client that relays people are counted per address.
    pub fn pin_check(&self, client: &Client, ip: Option<IpAddr>) -> Result<(), ApiError> {
        if let Some(limit) = &self.pin_checks_per_client {
            let key = match ip {
                Some(ip) if self.relays(client) => format!("{}@{ip}", client.id),
                _ => client.id.clone(),
            };
            limit.check(&key).map_err(|wait| {
                too_many("pin_checks_client", wait, "Trop de codes vérifiés avec ce jeton")
            })?;
        }
        if let (Some(limit), Some(ip)) = (&self.pin_checks_per_ip, ip) {
            limit.check(&ip).map_err(|wait| {
                too_many("pin_checks_ip", wait, "Trop de codes vérifiés depuis cette adresse")
            })?;
        }
        Ok(())
    }

    /// Counts a failed authentication from `ip`: the 429 to answer instead of the 401 when
    /// the address has failed too often in the last minute.
    pub fn auth_failure(&self, ip: Option<IpAddr>) -> Option<ApiError> {
        let (Some(limit), Some(ip)) = (&self.auth_failures_per_ip, ip) else { return None };
        limit.check(&ip).err().map(|wait| {
            too_many("auth_failures_ip", wait, "Trop d’authentifications échouées depuis cette adresse")
        })
    }
}

impl AbuseLimits {
    /// Counts a citizen report sent from `ip`: a 429 when the address sent too many in the
    /// last minute.
    pub fn report(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let (Some(limit), Some(ip)) = (&self.reports_per_ip, ip) else { return Ok(()) };
        limit
            .check(&ip)
            .map_err(|wait| too_many("reports_ip", wait, "Trop de signalements depuis cette adresse"))
    }
}

fn too_many(limit: &'static str, wait: std::time::Duration, what: &str) -> ApiError {
    metrics::counter!("depot_abuse_refused_total", "limit" => limit).increment(1);
    let seconds = retry_seconds(wait);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("{what} : réessayez dans {seconds} s."),
    )
    .retry_after(seconds)
}
