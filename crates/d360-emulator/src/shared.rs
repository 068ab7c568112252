//! [`Shared`]: everything the handlers of one running emulator share (the org, its objects,
//! tokens, faults, counters). Built once by `start`, then read-only apart from its own locks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::config::Org;
use super::faults::Injector;
use super::request_log::RequestLog;
use super::store::Store;
use super::tokens::{Session, Tokens};
use d360_wire::shapes::UserRef;

/// The daily API request allowance reported in `Sforce-Limit-Info`.
pub(crate) const DAILY_API_LIMIT: u64 = 15_000;

pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub org: Org,
    pub store: Store,
    pub tokens: Tokens,
    pub injector: Injector,
    pub latency: Duration,
    pub request_log: Option<RequestLog>,
    /// API requests served so far (the `Sforce-Limit-Info` count and the token clock).
    api_requests: AtomicU64,
}

impl Shared {
    pub(crate) fn new(
        base_url: String,
        org: Org,
        store: Store,
        tokens: Tokens,
        injector: Injector,
        latency: Duration,
        request_log: Option<RequestLog>,
    ) -> Self {
        Self {
            base_url,
            org,
            store,
            tokens,
            injector,
            latency,
            request_log,
            api_requests: AtomicU64::new(0),
        }
    }

    /// Counts one more API request and returns its number (1-based).
    pub(crate) fn next_api_request(&self) -> u64 {
        self.api_requests.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// API requests served so far.
    pub(crate) fn api_requests(&self) -> u64 {
        self.api_requests.load(Ordering::Relaxed)
    }

    /// The user a session acts as, as `createdBy` shows it.
    pub(crate) fn actor(&self, session: &Session) -> UserRef {
        self.org
            .users
            .get(session.user)
            .map_or_else(UserRef::default, |user| UserRef {
                id: user.id.clone(),
                name: user.username.clone(),
            })
    }

    /// `<base>/id/<orgId>/<userId>`.
    pub(crate) fn identity_url(&self, user: usize) -> String {
        let user_id = self.org.users.get(user).map_or("", |user| user.id.as_str());
        format!("{}/id/{}/{}", self.base_url, self.org.id, user_id)
    }
}
