//! Interrupts during an apply: the first SIGINT or SIGTERM stops new steps from starting
//! (those in flight finish and state is saved, exit 130); a second exits at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::output;

/// First Ctrl-C / SIGTERM: set `stop`. Second: exit at once.
pub(crate) async fn watch_signals(stop: Arc<AtomicBool>) {
    signal().await;
    stop.store(true, Ordering::SeqCst);
    output::message(
        "Interrupted: no new steps start; waiting for those in flight, then saving state. Press Ctrl-C again to exit at once.",
    );
    signal().await;
    output::message("Interrupted again: exiting now. Run `d360 apply` again to converge.");
    std::process::exit(130);
}

/// Waits for SIGINT or SIGTERM.
pub(crate) async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).ok();
        let term = async {
            match terminate.as_mut() {
                Some(stream) => {
                    stream.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
