//! Ctrl-C: what a run does when it is asked to stop. A leaf: it imports
//! nothing of the product but the failure it reports.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Failure, Kind};

/// Ctrl-C, as a run sees it. Until the first change, stopping is
/// immediate: `commands` drops the run, and nothing exists. Once changes
/// have begun, a Ctrl-C asks the run to stop at the next step boundary: the
/// step in hand ends, what would dangle (a secret no connection holds) is
/// undone, and the summary says what exists. A second Ctrl-C stops at once.
///
/// Signals belong to the process, and so does this.
pub(crate) struct Stop {
    changing: AtomicBool,
    requested: AtomicBool,
}

/// A static because the signal handler that sets it is the process's, and
/// is handed nothing.
static STOP: Stop = Stop::new();

impl Stop {
    const fn new() -> Stop {
        Stop {
            changing: AtomicBool::new(false),
            requested: AtomicBool::new(false),
        }
    }

    /// The process's.
    pub(crate) fn process() -> &'static Stop {
        &STOP
    }

    /// From here on, an interrupted run must stop cleanly, not at once.
    pub(crate) fn begin_changes(&self) {
        self.changing.store(true, Ordering::SeqCst);
    }

    /// Changes have begun.
    pub(crate) fn changing(&self) -> bool {
        self.changing.load(Ordering::SeqCst)
    }

    /// A Ctrl-C: `true` when the run will stop by itself at the next step
    /// boundary (let it), `false` when it must be stopped now (before any
    /// change, or at the second Ctrl-C).
    pub(crate) fn request(&self) -> bool {
        self.changing() && !self.requested.swap(true, Ordering::SeqCst)
    }

    /// The run was asked to stop at the next step boundary.
    pub(crate) fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }
}

/// Ctrl-C, and the signals that ask a process to end as it does — SIGTERM
/// (a CI cancel, `timeout`, Kubernetes) and SIGHUP (the terminal closed) —
/// heard from the moment [`Interrupts::listen`] returns: one that comes
/// between two waits is kept for the next, never lost (and never left to
/// the default handler, which would end the process mid-step and leave a
/// secret no one holds).
pub(crate) struct Interrupts {
    #[cfg(unix)]
    signals: [tokio::signal::unix::Signal; 3],
}

impl Interrupts {
    /// Must be called within the runtime.
    pub(crate) fn listen() -> anyhow::Result<Interrupts> {
        #[cfg(unix)]
        {
            use anyhow::Context as _;
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind: SignalKind, what: &str| {
                signal(kind).with_context(|| format!("listening for {what}"))
            };
            Ok(Interrupts {
                signals: [
                    listen(SignalKind::interrupt(), "Ctrl-C")?,
                    listen(SignalKind::terminate(), "SIGTERM")?,
                    listen(SignalKind::hangup(), "SIGHUP")?,
                ],
            })
        }
        #[cfg(not(unix))]
        Ok(Interrupts {})
    }

    /// The next Ctrl-C, SIGTERM or SIGHUP.
    pub(crate) async fn next(&mut self) {
        #[cfg(unix)]
        {
            let [int, term, hup] = &mut self.signals;
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Ctrl-C that stops the run at once (or a prompt it interrupted).
pub(crate) fn interrupted() -> Failure {
    if Stop::process().changing() {
        Failure::new(
            Kind::Interrupted,
            "interrupted; what was created so far is kept and a re-run resumes from it",
        )
    } else {
        Failure::new(Kind::Interrupted, "interrupted; nothing was changed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_is_immediate_until_changes_begin_then_once_deferred() {
        let stop = Stop::new();
        assert!(!stop.request(), "before any change: stop now");
        assert!(!stop.requested());
        stop.begin_changes();
        assert!(
            stop.request(),
            "the first Ctrl-C during changes is deferred"
        );
        assert!(stop.requested());
        assert!(!stop.request(), "the second one stops at once");
    }
}
