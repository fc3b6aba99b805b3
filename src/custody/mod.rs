//! Custody of client secrets: from the moment `addPassword` is sent to the
//! moment someone holds the secret — a platform connection, or a person
//! (`register`'s `--secret-file`, `--show-secret`,
//! `--keep-secret-on-failure`) — the tool is responsible for it, durably
//! and on any machine. This module is the one owner of that life: a run
//! makes one [`Custody`] (its id and lock, the lease, what it knows of each
//! app's tags) and passes it down; it is the only code that writes the
//! app's tags or removes a secret, and every tag is built and parsed as a
//! [`Tag`], checked against Graph's rules before it is written.
//!
//! The app itself carries the record, as tags (neither a key id nor a
//! connection id is a secret; the portal shows both):
//!
//! | tag | meaning |
//! | --- | --- |
//! | `aad-setup:pending-secret:<run>:<unix>` | run `<run>` is about to add a secret (written before `addPassword`, in the created app's own tags when the run creates the app) |
//! | `aad-setup:pending-secret:<run>:<unix>:<keyId>` | it added `<keyId>`, which no one holds yet (written by earlier versions; still read) |
//! | `aad-setup:connection-secret:<connectionId>:<keyId>` | that connection holds `<keyId>` |
//! | `aad-setup:handed-secret:<keyId>` | a person was handed `<keyId>` |
//! | `aad-setup:previous-connection:<connectionId>` | a rotation in progress replaced that connection (`crate::steps::renewal`) |
//! | `aad-setup` | the app is this tool's |
//!
//! The local record keeps the key ids handed on and the connection made, and
//! a lock file per run under the state directory says whether that run is
//! still alive on this machine: the lock is the operating system's, so it is
//! let go however the process ends (SIGKILL included); a run that ends
//! records so ([`RunLock`]).
//!
//! A run that ends in any way but success hands the secret on or removes
//! it (the callers' error paths, Ctrl-C, SIGTERM and SIGHUP, which the
//! process turns into a stop at the next step boundary). What a killed run
//! leaves is found by the next run, on any machine, in [`Custody::sweep`]: a pending
//! secret whose run is gone (its lock is free here, or, seen from another
//! machine, its lease has run out) is removed — unless a connection or a
//! person holds it after all, in which case only the pending tag goes; a
//! pending intent without a key id (the run was stopped between
//! `addPassword` and the held tag, or the answer to `addPassword` was lost)
//! removes the secrets of our description made after it that no tag names,
//! and that no live run's intent could explain (that run is about to tag
//! its own). A secret whose connection was deleted on the platform is
//! removed too.
//!
//! A run's key id is written once, in the held (or handed) tag that ends
//! its intent: the intent alone explains the secret in between, so the
//! secret costs no tag write of its own.
//!
//! It never removes a secret that someone holds, or one that no tag of this
//! tool names and no intent of this tool explains: those could be the
//! admin's own.
//!
//! By job: this file is the custodian itself ([`Custody`]: the run's id,
//! its lease, what it knows of each app's tags); [`tag`] the tags' grammar
//! and what a list of them says; [`edit`] every write of them; [`runs`] the
//! run locks that say whether a run is alive; [`claim`] whose a connection
//! is; [`sweep`] what earlier runs left.

mod claim;
mod edit;
mod runs;
mod sweep;
mod tag;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::graph::Graph;

use runs::RunLock;

pub use claim::claim_all;
pub use edit::Holding;
pub use sweep::{Seen, deleted_connections};
pub use tag::{Tag, held_tag, holders, is_held_by, is_holding, previous_ids, previous_tag, retag};

/// How long a run elsewhere may hold a secret in flight before another
/// machine treats it as gone; on this machine the run's lock says. Longer
/// than any run: the replication waits are three minutes each.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30 * 60);

/// Clock skew allowed between this machine, Entra and the platform.
pub const SKEW_SECS: i64 = 120;

/// How long after its intent a run may add its secret or make its
/// connection: an intent explains only what was made from its time less
/// [`SKEW_SECS`] to its time plus this. Fixed (the default lease: longer than
/// any run), so that `AAD_SETUP_PENDING_LEASE`, which says when another
/// machine's run counts as gone, never widens or narrows what an intent
/// explains.
pub const WINDOW: Duration = DEFAULT_LEASE;

/// What this run knows of one app's tags (see [`Custody::edit_tags_on`]).
#[derive(Debug, Default)]
struct AppView {
    /// The tags as this run last read or wrote them: what a write falls
    /// back on when the app cannot be read yet (just created), and what
    /// tells a stale read from another run's deliberate removal.
    known: Option<Vec<String>>,
    /// The tags this run put on the app and has not taken off since.
    own: Vec<String>,
    /// The tags this run took off the app.
    removed: Vec<String>,
    /// An answer to this run's `addPassword` on the app was lost: the call
    /// may yet make a secret, so the run's intent stays for the next run to
    /// explain it.
    lost: bool,
}

/// The custodian of one run: its id and lock, the lease it judges other
/// machines' runs by, and what it knows of each app's tags. Made by the
/// run (one per [`crate::steps::Ctx`]) and passed down; the only code that
/// writes the apps' tags.
#[derive(Debug)]
pub struct Custody {
    state_dir: PathBuf,
    lease: Duration,
    /// Taken on first use: a run that only reads never locks.
    run: std::sync::OnceLock<RunLock>,
    apps: std::sync::Mutex<Vec<(String, AppView)>>,
}

impl Custody {
    /// The custodian of a run whose local state is under `state_dir`;
    /// `lease`: `AAD_SETUP_PENDING_LEASE` as settings resolved it (else
    /// [`DEFAULT_LEASE`]).
    pub fn new(state_dir: &Path, lease: Option<Duration>) -> Custody {
        Custody {
            state_dir: state_dir.to_owned(),
            lease: lease.unwrap_or(DEFAULT_LEASE),
            run: std::sync::OnceLock::new(),
            apps: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// This run's id (locked on first use).
    pub fn run_id(&self) -> &str {
        &self
            .run
            .get_or_init(|| RunLock::acquire(&self.state_dir, self.lease))
            .run
    }

    fn with_app<T>(&self, app_object_id: &str, f: impl FnOnce(&mut AppView) -> T) -> T {
        let mut apps = self.apps.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, view)) = apps.iter_mut().find(|(id, _)| id == app_object_id) {
            return f(view);
        }
        apps.push((app_object_id.to_owned(), AppView::default()));
        let (_, view) = apps.last_mut().expect("just pushed");
        f(view)
    }

    fn known_tags(&self, app_object_id: &str) -> Option<Vec<String>> {
        self.with_app(app_object_id, |v| v.known.clone())
    }

    /// Notes the app's tags as just read (or written).
    pub fn remember_tags(&self, app_object_id: &str, tags: &[String]) {
        self.with_app(app_object_id, |v| v.known = Some(tags.to_vec()));
    }

    fn note_own_tags(&self, app_object_id: &str, before: &[String], after: &[String]) {
        self.with_app(app_object_id, |v| {
            v.own.retain(|t| after.contains(t));
            for tag in after.iter().filter(|t| !before.contains(t)) {
                v.own.push(tag.clone());
            }
            for tag in before.iter().filter(|t| !after.contains(t)) {
                v.removed.push(tag.clone());
            }
        });
    }

    /// Removes the secret `key` from the app: with [`Custody::remove_new`],
    /// the only way the tool removes a secret (`removePassword`).
    pub async fn remove(
        &self,
        graph: &Graph,
        app_object_id: &str,
        key: &str,
    ) -> anyhow::Result<()> {
        graph.remove_password(app_object_id, key).await
    }

    /// Removes the secret `key` this run has just added (and no one holds).
    pub async fn remove_new(
        &self,
        graph: &Graph,
        app_object_id: &str,
        key: &str,
    ) -> anyhow::Result<()> {
        graph.remove_new_password(app_object_id, key).await
    }

    /// An answer to this run's `addPassword` on the app was lost.
    pub fn answer_lost(&self, app_object_id: &str) {
        self.with_app(app_object_id, |v| v.lost = true);
    }

    /// The run whose intent a hand-off on the app ends: this one, unless an
    /// answer was lost there (or it has not begun one).
    fn settled_run(&self, app_object_id: &str) -> Option<String> {
        if self.with_app(app_object_id, |v| v.lost) {
            return None;
        }
        self.run.get().map(|r| r.run.clone())
    }
}

/// The app's tags as read now, for [`Custody::edit_tags_on`]: a read made while
/// something else is done (`None` when it could not be read, as right
/// after the app was created).
pub async fn read_tags(graph: &Graph, app_object_id: &str) -> Option<Vec<String>> {
    graph
        .get_application(app_object_id)
        .await
        .ok()
        .flatten()
        .map(|a| a.tags)
}
