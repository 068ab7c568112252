//! [`Shared`]: everything the handlers of one running emulator share (the org, its objects,
//! tokens, faults, counters). Built once by `start`, then read-only apart from its own locks.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use super::config::Org;
use super::faults::Injector;
use super::paging::ListingQuirks;
use super::request_log::RequestLog;
use super::store::Store;
use super::tokens::{Session, Tokens};
use d360_wire::shapes::UserRef;

/// The org's API limits (`--max-inflight`, `--daily-limit`, `--daily-used`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_inflight: Option<usize>,
    pub(crate) daily_limit: u64,
    pub(crate) daily_used: u64,
}

pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub org: Org,
    pub store: Store,
    pub tokens: Tokens,
    pub injector: Injector,
    pub latency: Duration,
    pub request_log: Option<RequestLog>,
    pub limits: Limits,
    /// `--omit-field`: fields the answers leave out.
    pub omitted: Vec<crate::omit::OmitField>,
    /// `--truncate-labels`: labels of writes are kept cut to this many characters.
    pub truncate_labels: Option<usize>,
    pub listing: ListingQuirks,
    /// API requests served so far (the `Sforce-Limit-Info` count and the token clock).
    api_requests: AtomicU64,
    /// API requests being served now.
    in_flight: AtomicUsize,
}

/// One API request being served; counted out when dropped.
pub(crate) struct InFlight<'a> {
    counter: &'a AtomicUsize,
    /// How many were in flight with this one.
    pub(crate) now: usize,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Shared {
    #[expect(
        clippy::too_many_arguments,
        reason = "built once by `start`; each argument is a distinct part of the running org"
    )]
    pub(crate) fn new(
        base_url: String,
        org: Org,
        store: Store,
        tokens: Tokens,
        injector: Injector,
        latency: Duration,
        request_log: Option<RequestLog>,
        limits: Limits,
        listing: ListingQuirks,
    ) -> Self {
        Self {
            base_url,
            org,
            store,
            tokens,
            injector,
            latency,
            request_log,
            limits,
            omitted: Vec::new(),
            truncate_labels: None,
            listing,
            api_requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Counts a request in flight until the guard drops.
    pub(crate) fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        InFlight {
            counter: &self.in_flight,
            now,
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
