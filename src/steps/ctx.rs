//! What every step gets ([`Ctx`]: the run's clients, plan, record and
//! custodian), and how a step waits for Entra: retrying through
//! replication within one budget, and telling a transient error (a
//! replication signature, a lost answer) from a final one.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::graph::{GraphError, graph_error};
use crate::http::Http;
use crate::output::Printer;
use crate::record::{Record, Store};
use crate::settings::Plan;

use super::credential_policy;

/// How long to wait, in all, for Entra to replicate a new object: Azure
/// CLI's three minutes (docs/graph.md §5).
const REPLICATION_BUDGET: Duration = Duration::from_secs(180);
/// Attempts at the most, whatever the clock says (the clock stops mattering
/// when the tests remove the sleeps). At the polling intervals
/// ([`crate::http::Policy::poll_delay`]) this is about the budget.
const REPLICATION_ATTEMPTS: u32 = 72;

/// What every step gets.
pub(crate) struct Ctx<'a> {
    pub http: Http,
    pub printer: &'a Printer,
    pub plan: &'a Plan,
    pub store: Option<Store>,
    pub record: Record,
    /// This pass only reads, and says what it would change: `--dry-run`,
    /// and the wizard's look before it asks to go ahead.
    pub dry_run: bool,
    /// The run's custodian of its secrets: the only writer of the app's tags.
    pub custody: crate::custody::Custody,
    /// The tenant's credential policy as this run read it.
    pub credential_policy: credential_policy::ThisRun,
}

impl Ctx<'_> {
    /// Saves the record; a failure to save is a warning, not a reason to stop.
    pub(crate) fn save_record(&self) {
        if let Some(store) = &self.store {
            if let Err(e) = store.save(&self.record) {
                self.printer.warn(&format!(
                    "could not save the local record {}: {e:#}",
                    store.path().display()
                ));
            }
        }
    }

    /// Runs `attempt` until it succeeds or fails with something other than a
    /// transient error (`transient` decides), within the replication budget,
    /// looking again at short intervals ([`crate::http::Policy::poll_delay`]),
    /// with a spinner.
    pub(crate) async fn retry_while<T, F, Fut>(
        &self,
        waiting_for: &str,
        transient: impl Fn(&anyhow::Error) -> bool,
        mut attempt: F,
    ) -> anyhow::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        let started = Instant::now();
        let mut spinner = None;
        let mut n = 0u32;
        loop {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(err) if transient(&err) => {
                    n += 1;
                    if n >= REPLICATION_ATTEMPTS || started.elapsed() >= REPLICATION_BUDGET {
                        return Err(err.context(format!(
                            "gave up waiting for {waiting_for} after {n} attempts in {}s; Entra can take longer to replicate: run the same command again to resume",
                            started.elapsed().as_secs()
                        )));
                    }
                    tracing::info!("waiting for {waiting_for} (attempt {n}): {err}");
                    let s = spinner.get_or_insert_with(|| {
                        self.printer.spinner(&format!("Waiting for {waiting_for}"))
                    });
                    s.set_message(&format!("Waiting for {waiting_for} (attempt {})", n + 1));
                    // Replication: short, capped, jittered looks (not
                    // the throttling backoff), within the budget.
                    tokio::time::sleep(self.http.policy.poll_delay(n - 1)).await;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// [`Ctx::retry_while`] on Graph's replication signatures.
    pub(crate) async fn through_replication<T, F, Fut>(
        &self,
        waiting_for: &str,
        attempt: F,
    ) -> anyhow::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        self.retry_while(waiting_for, is_replication, attempt).await
    }
}

/// Graph's answer while a just-created object replicates
/// ([`GraphError::is_replication`]): wait, then look again.
pub(super) fn is_replication(err: &anyhow::Error) -> bool {
    graph_error(err).is_some_and(GraphError::is_replication)
}

/// A lost answer to a create: a transport error, a garbled success or a
/// 5xx. The object may or may not exist; the caller must look before
/// trying again (the table in [`crate::http`]).
pub(super) fn is_ambiguous(err: &anyhow::Error) -> bool {
    if crate::graph::is_ambiguous(err) {
        return true;
    }
    crate::platform::platform_error(err).is_some_and(|p| p.status.is_server_error())
}
