//! Access tokens: random opaque strings, each bound to an app, a user and an audience (the core
//! org or the Data 360 tenant), dying after `tokenLifetimeSeconds` or, with
//! `--expire-tokens-every N`, whenever another N API requests have been served.
//!
//! The request clock: API request number `k` (1-based) belongs to generation `(k - 1) / N`; a
//! token is issued into the generation of the next API request and is good only while the
//! requests it comes with belong to that generation. No HTTP here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use base64::Engine;

/// Where a token may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// The core org: `/services/data/...`, userinfo, the exchange.
    Core,
    /// The Data 360 tenant: `/api/...`.
    Tenant,
}

/// Who a token speaks for.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub app: usize,
    pub user: usize,
    pub expires_at: Instant,
    /// The data space of a tenant token.
    pub dataspace: Option<String>,
}

struct Entry {
    audience: Audience,
    session: Session,
    generation: u64,
}

/// Every live token.
pub(crate) struct Tokens {
    entries: Mutex<HashMap<String, Entry>>,
    expire_every: Option<u64>,
}

/// Tokens kept before dead ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

impl Tokens {
    pub(crate) fn new(expire_every: Option<u64>) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            expire_every,
        }
    }

    /// The generation API request number `request` (1-based) belongs to.
    fn generation(&self, request: u64) -> u64 {
        self.expire_every.map_or(0, |every| request.saturating_sub(1) / every)
    }

    /// Issues a token; `served` is the number of API requests served so far.
    pub(crate) fn issue(&self, audience: Audience, session: Session, served: u64, org_id: &str) -> String {
        let token = format!("{}!AQ{}", &org_id[..15.min(org_id.len())], random_text());
        let generation = self.generation(served + 1);
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() > SWEEP_ABOVE {
            let now = Instant::now();
            entries.retain(|_, entry| entry.session.expires_at > now && entry.generation >= generation);
        }
        entries.insert(
            token.clone(),
            Entry {
                audience,
                session,
                generation,
            },
        );
        token
    }

    /// The session of `token` if it is alive for API request number `request` and meant for
    /// `audience`.
    pub(crate) fn check(&self, token: &str, audience: Audience, request: u64) -> Option<Session> {
        let generation = self.generation(request);
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.get(token)?;
        (entry.audience == audience && entry.generation == generation && entry.session.expires_at > Instant::now())
            .then(|| entry.session.clone())
    }
}

/// 32 random bytes, URL-safe base64: unguessable, so tokens cannot be forged.
fn random_text() -> String {
    let mut bytes = [0_u8; 32];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        // The system generator failing is next to impossible; fall back rather than panic.
        for byte in &mut bytes {
            *byte = fastrand::u8(..);
        }
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn session() -> Session {
        Session {
            app: 0,
            user: 0,
            expires_at: Instant::now() + Duration::from_secs(60),
            dataspace: None,
        }
    }

    #[test]
    fn tokens_die_with_their_generation() {
        let tokens = Tokens::new(Some(3));
        let token = tokens.issue(Audience::Core, session(), 0, "00D3A0000000001AAA");
        assert!(tokens.check(&token, Audience::Core, 1).is_some());
        assert!(tokens.check(&token, Audience::Core, 3).is_some());
        assert!(tokens.check(&token, Audience::Core, 4).is_none());
        let later = tokens.issue(Audience::Core, session(), 4, "00D3A0000000001AAA");
        assert!(tokens.check(&later, Audience::Core, 5).is_some());
        assert!(tokens.check(&later, Audience::Core, 7).is_none());
    }

    #[test]
    fn audiences_do_not_mix() {
        let tokens = Tokens::new(None);
        let token = tokens.issue(Audience::Tenant, session(), 0, "00D3A0000000001AAA");
        assert!(tokens.check(&token, Audience::Core, 1).is_none());
        assert!(tokens.check(&token, Audience::Tenant, 1_000_000).is_some());
    }
}
