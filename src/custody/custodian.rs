//! The custodian of one run ([`Custody`]): its id and lock, the lease it
//! judges other machines' runs by, and what it knows of each app's tags.
//! Its writes of the tags are [`super::edit`]'s; its sweep of what earlier
//! runs left, [`super::sweep`]'s.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::graph::Graph;

use super::DEFAULT_LEASE;
use super::runs::RunLock;

/// What this run knows of one app's tags (see [`Custody::edit_tags_on`]).
#[derive(Debug, Default)]
pub(super) struct AppView {
    /// The tags as this run last read or wrote them: what a write falls
    /// back on when the app cannot be read yet (just created), and what
    /// tells a stale read from another run's deliberate removal.
    pub(super) known: Option<Vec<String>>,
    /// The tags this run put on the app and has not taken off since.
    pub(super) own: Vec<String>,
    /// The tags this run took off the app.
    pub(super) removed: Vec<String>,
    /// An answer to this run's `addPassword` on the app was lost: the call
    /// may yet make a secret, so the run's intent stays for the next run to
    /// explain it.
    pub(super) lost: bool,
}

/// The custodian of one run: its id and lock, the lease it judges other
/// machines' runs by, and what it knows of each app's tags. Made by the
/// run (one per [`crate::steps::Ctx`]) and passed down; the only code that
/// writes the apps' tags.
#[derive(Debug)]
pub struct Custody {
    pub(super) state_dir: PathBuf,
    pub(super) lease: Duration,
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

    pub(super) fn with_app<T>(&self, app_object_id: &str, f: impl FnOnce(&mut AppView) -> T) -> T {
        let mut apps = self.apps.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, view)) = apps.iter_mut().find(|(id, _)| id == app_object_id) {
            return f(view);
        }
        apps.push((app_object_id.to_owned(), AppView::default()));
        let (_, view) = apps.last_mut().expect("just pushed");
        f(view)
    }

    pub(super) fn known_tags(&self, app_object_id: &str) -> Option<Vec<String>> {
        self.with_app(app_object_id, |v| v.known.clone())
    }

    /// Notes the app's tags as just read (or written).
    pub fn remember_tags(&self, app_object_id: &str, tags: &[String]) {
        self.with_app(app_object_id, |v| v.known = Some(tags.to_vec()));
    }

    pub(super) fn note_own_tags(&self, app_object_id: &str, before: &[String], after: &[String]) {
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
    pub(super) fn settled_run(&self, app_object_id: &str) -> Option<String> {
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
