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

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::graph::Graph;
use crate::graph::types::Application;

/// The tag that marks an app as this tool's (`aad-setup`).
pub const OWNER: &str = crate::guide::APP_TAG;

/// The prefix every other tag of this tool begins with.
const PREFIX: &str = "aad-setup:";

/// Graph's rules for one tag: 1 to 256 characters, no whitespace.
pub const TAG_MAX: usize = 256;

/// A tag of this tool on its app: the one grammar, parsed and written
/// only here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// `aad-setup`: the app is this tool's.
    Owner,
    /// `aad-setup:pending-secret:<run>:<unix>[:<keyId>]`: a secret in flight.
    Pending(Pending),
    /// `aad-setup:connection-secret:<connectionId>:<keyId>`: that
    /// connection holds `<keyId>`.
    Held { connection: String, key: String },
    /// `aad-setup:handed-secret:<keyId>`: a person was handed `<keyId>`.
    Handed { key: String },
    /// `aad-setup:previous-connection:<connectionId>`: the connection a
    /// rotation in progress replaced (issue 17's renewal).
    Previous { connection: String },
}

const HELD: &str = "connection-secret:";
const HANDED: &str = "handed-secret:";
const PENDING: &str = "pending-secret:";
const PREVIOUS: &str = "previous-connection:";

impl Tag {
    /// A tag of this tool, or `None` for anyone else's (or a malformed one).
    pub fn parse(tag: &str) -> Option<Tag> {
        if tag == OWNER {
            return Some(Tag::Owner);
        }
        let rest = tag.strip_prefix(PREFIX)?;
        if let Some(rest) = rest.strip_prefix(PENDING) {
            let mut parts = rest.split(':');
            let run = parts.next().filter(|r| !r.is_empty())?.to_owned();
            let since = parts.next()?.parse().ok()?;
            let key = parts.next().filter(|k| !k.is_empty()).map(str::to_owned);
            if parts.next().is_some() {
                return None;
            }
            return Some(Tag::Pending(Pending { run, since, key }));
        }
        if let Some(rest) = rest.strip_prefix(HELD) {
            let (connection, key) = rest.rsplit_once(':')?;
            if connection.is_empty() || key.is_empty() {
                return None;
            }
            return Some(Tag::Held {
                connection: connection.to_owned(),
                key: key.to_owned(),
            });
        }
        if let Some(key) = rest.strip_prefix(HANDED) {
            return (!key.is_empty()).then(|| Tag::Handed {
                key: key.to_owned(),
            });
        }
        let connection = rest.strip_prefix(PREVIOUS)?;
        (!connection.is_empty()).then(|| Tag::Previous {
            connection: connection.to_owned(),
        })
    }

    /// This tag, checked against Graph's rules for a tag (1 to 256
    /// characters, no whitespace): what a write of it would be refused for.
    pub fn checked(self) -> anyhow::Result<Tag> {
        check_tag(&self.to_string())?;
        Ok(self)
    }

    /// The key id this tag names, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Tag::Pending(p) => p.key.as_deref(),
            Tag::Held { key, .. } | Tag::Handed { key } => Some(key),
            Tag::Owner | Tag::Previous { .. } => None,
        }
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tag::Owner => f.write_str(OWNER),
            Tag::Pending(Pending {
                run,
                since,
                key: Some(k),
            }) => write!(f, "{PREFIX}{PENDING}{run}:{since}:{k}"),
            Tag::Pending(Pending {
                run,
                since,
                key: None,
            }) => write!(f, "{PREFIX}{PENDING}{run}:{since}"),
            Tag::Held { connection, key } => write!(f, "{PREFIX}{HELD}{connection}:{key}"),
            Tag::Handed { key } => write!(f, "{PREFIX}{HANDED}{key}"),
            Tag::Previous { connection } => write!(f, "{PREFIX}{PREVIOUS}{connection}"),
        }
    }
}

/// Graph's rules for one tag (1 to 256 characters, no whitespace).
fn check_tag(tag: &str) -> anyhow::Result<()> {
    let n = tag.chars().count();
    if n == 0 || n > TAG_MAX || tag.chars().any(char::is_whitespace) {
        anyhow::bail!(
            "the tag {tag:?} breaks Graph's rules for a tag (1 to {TAG_MAX} characters, no whitespace), so it cannot be written"
        );
    }
    Ok(())
}

/// Graph's rules for an app's tags: each tag's, and no duplicates.
pub fn check_tags(tags: &[String]) -> anyhow::Result<()> {
    for (i, t) in tags.iter().enumerate() {
        check_tag(t)?;
        if tags[..i].contains(t) {
            anyhow::bail!("the tag {t:?} appears twice, which Graph refuses");
        }
    }
    Ok(())
}

/// The most tags of this tool (besides [`OWNER`]) an app may carry: one
/// per connection that holds a secret, one per secret handed to a person,
/// and the intents of runs in flight. A write that would add one past it is
/// refused (the run stops; before `addPassword`, nothing is added), and the
/// error says how to make room: the tags of secrets removed in the portal
/// go with the next run's sweep.
pub const MAX_OWN_TAGS: usize = 64;

/// The bound on the app's tags of this tool ([`MAX_OWN_TAGS`]): a write
/// from `before` to `after` that grows them past it is refused; one that
/// shrinks them (or keeps their number) never is.
pub fn check_bound(app_object_id: &str, before: &[String], after: &[String]) -> anyhow::Result<()> {
    let ours = |tags: &[String]| parsed(tags).filter(|t| *t != Tag::Owner).count();
    let (was, now) = (ours(before), ours(after));
    if now > MAX_OWN_TAGS && now > was {
        anyhow::bail!(
            "the app {app_object_id} would carry {now} tags of this tool, more than the {MAX_OWN_TAGS} it allows itself: remove the client secrets no one uses in the Azure portal (App registrations > Certificates & secrets); the next run drops their tags"
        );
    }
    Ok(())
}

/// The app's tags of this tool, parsed.
pub fn parsed(tags: &[String]) -> impl Iterator<Item = Tag> + '_ {
    tags.iter().filter_map(|t| Tag::parse(t))
}

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

/// Reads of a just-created app before its tags are written anyway.
const READ_ATTEMPTS: u32 = 40;

/// `aad-setup:connection-secret:<connection>:<key>`.
pub fn held_tag(connection: &str, key: &str) -> String {
    Tag::Held {
        connection: connection.to_owned(),
        key: key.to_owned(),
    }
    .to_string()
}

/// `aad-setup:handed-secret:<key>`.
pub fn handed_tag(key: &str) -> String {
    Tag::Handed {
        key: key.to_owned(),
    }
    .to_string()
}

/// `aad-setup:previous-connection:<connection>`.
pub fn previous_tag(connection: &str) -> String {
    Tag::Previous {
        connection: connection.to_owned(),
    }
    .to_string()
}

/// The connections the app's tags name as replaced by a rotation in
/// progress.
pub fn previous_ids(tags: &[String]) -> Vec<String> {
    parsed(tags)
        .filter_map(|t| match t {
            Tag::Previous { connection } => Some(connection),
            _ => None,
        })
        .collect()
}

/// Does `tag` name a connection held or handed secret (someone holds one)?
pub fn is_holding(tag: &str) -> bool {
    matches!(Tag::parse(tag), Some(Tag::Held { .. } | Tag::Handed { .. }))
}

/// Is `tag` the held tag of `connection` (any key)?
pub fn is_held_by(tag: &str, connection: &str) -> bool {
    matches!(Tag::parse(tag), Some(Tag::Held { connection: c, .. }) if c == connection)
}

/// A pending tag, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub run: String,
    /// When the run wrote its intent (Unix seconds).
    pub since: i64,
    /// The secret it added, once known.
    pub key: Option<String>,
}

impl Pending {
    pub fn parse(tag: &str) -> Option<Pending> {
        match Tag::parse(tag)? {
            Tag::Pending(p) => Some(p),
            _ => None,
        }
    }

    /// Was something made at `at` (Unix seconds) within this intent's
    /// window ([`WINDOW`])?
    pub fn explains(&self, at: i64) -> bool {
        let end = self
            .since
            .saturating_add(i64::try_from(WINDOW.as_secs()).unwrap_or(i64::MAX));
        at >= self.since - SKEW_SECS && at <= end
    }

    pub fn tag(&self) -> String {
        Tag::Pending(self.clone()).to_string()
    }
}

/// Does some tag say that someone holds `key`?
pub fn is_held(tags: &[String], key: &str) -> bool {
    parsed(tags)
        .any(|t| matches!(&t, Tag::Held { key: k, .. } | Tag::Handed { key: k } if k == key))
}

/// Does some tag of this tool name `key` at all (held, handed or pending)?
fn is_named(tags: &[String], key: &str) -> bool {
    parsed(tags).any(|t| t.key() == Some(key))
}

/// The connections the app's tags say hold a secret: (connection, key).
pub fn holders(tags: &[String]) -> Vec<(String, String)> {
    parsed(tags)
        .filter_map(|t| match t {
            Tag::Held { connection, key } => Some((connection, key)),
            _ => None,
        })
        .collect()
}

/// A run's lock under the state directory (`runs/<run>.lock`): held
/// while the run lives, by the operating system's file lock on every
/// shipped OS (`flock` on Unix, `LockFileEx` on Windows: the standard
/// library's [`std::fs::File::try_lock`]), so that it is let go however
/// the process ends. A run that ends (its [`Custody`] dropped) records
/// `runs/<run>.ended` first, then unlocks and deletes its lock file: the
/// next run here still tells a finished run from a live one at once.
/// A killed run leaves its lock file, free: gone as well. Markers and free
/// lock files older than the lease say nothing the lease does not, and
/// are deleted by the next run.
#[derive(Debug)]
pub struct RunLock {
    pub run: String,
    dir: PathBuf,
    // Keeps the lock while the run lives; the OS lets go of it at exit.
    file: Option<std::fs::File>,
}

impl RunLock {
    /// A new run id, locked (a run that cannot lock still works: other
    /// runs then fall back to the lease for it). What runs before it left
    /// and no longer tells anything (older than `lease`) is tidied.
    pub fn acquire(state_dir: &Path, lease: Duration) -> RunLock {
        let run = format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
        let dir = runs_dir(state_dir);
        tidy(&dir, lease);
        let file = std::fs::create_dir_all(&dir)
            .ok()
            .and_then(|()| std::fs::File::create(dir.join(format!("{run}.lock"))).ok())
            .filter(lock);
        RunLock { run, dir, file }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let Some(file) = self.file.take() else {
            return;
        };
        // "Ended" first, so that no one sees the run neither locked nor
        // ended; then the lock goes (closed before it is deleted, as
        // Windows requires).
        let ended = std::fs::File::create(self.dir.join(format!("{}.ended", self.run))).is_ok();
        drop(file);
        if ended {
            let _ = std::fs::remove_file(self.dir.join(format!("{}.lock", self.run)));
        }
    }
}

/// Deletes the `.ended` markers and free lock files older than `lease`:
/// by then the lease alone says those runs are gone.
fn tidy(dir: &Path, lease: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > lease);
        if !old {
            continue;
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("ended") => {
                let _ = std::fs::remove_file(&path);
            }
            Some("lock") => {
                let free = std::fs::File::open(&path).is_ok_and(|f| lock(&f));
                if free {
                    let _ = std::fs::remove_file(&path);
                }
            }
            _ => {}
        }
    }
}

fn runs_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("runs")
}

/// Takes the file's lock without waiting: false when another process
/// holds it (or locks are not supported there).
fn lock(file: &std::fs::File) -> bool {
    file.try_lock().is_ok()
}

/// Is run `run` alive? On this machine its lock says (an ended run's
/// marker, or a free lock: gone; a held lock: alive); a run this machine
/// does not know is judged by its lease.
pub fn alive(state_dir: &Path, pending: &Pending, now: i64, lease: Duration) -> bool {
    let dir = runs_dir(state_dir);
    if dir.join(format!("{}.ended", pending.run)).exists() {
        return false;
    }
    if let Ok(file) = std::fs::File::open(dir.join(format!("{}.lock", pending.run))) {
        // Locked by someone else: alive. Free: the run is gone.
        return !lock(&file);
    }
    let age = now.saturating_sub(pending.since);
    u64::try_from(age).is_ok_and(|age| age < lease.as_secs())
}

/// Why a platform connection of the tool's name is this tool's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The local record names its id.
    Recorded,
    /// A held tag on the app names its id.
    Tagged,
    /// It was made within the window of an intent on the app (a run that
    /// stopped between making it and tagging it): the run named.
    Intent(String),
}

/// Is the connection `id`, made at `created_at` (as the platform says),
/// provably this tool's? Only a tag on the app (a held tag naming its id,
/// or an intent whose window it was made in) or the local record says so;
/// a name says nothing, since anyone can give a connection the tool's name.
pub fn claim(
    id: &str,
    created_at: Option<&str>,
    tags: &[String],
    recorded: Option<&str>,
) -> Option<Claim> {
    if recorded == Some(id) {
        return Some(Claim::Recorded);
    }
    if holders(tags).iter().any(|(c, _)| c == id) {
        return Some(Claim::Tagged);
    }
    let made = created_at?.parse::<jiff::Timestamp>().ok()?.as_second();
    tags.iter()
        .filter_map(|t| Pending::parse(t))
        .find(|p| p.explains(made))
        .map(|p| Claim::Intent(p.run))
}

/// Before anything is written (`setup`, `rotate`, `remove`): every platform
/// connection of the tool's name `base` (or one a rotation gave it) must be
/// provably this tool's ([`claim`]). One that merely has the name is
/// someone's: the run stops (exit 2) naming it, unless `replace`
/// (`--replace`) takes it over. `tags`: the app's tags as found (none when
/// there is no app yet); `recorded`: the connection the local record names.
pub fn claim_all(
    base: &str,
    connections: &[crate::platform::types::Connection],
    tags: &[String],
    recorded: Option<&str>,
    replace: bool,
) -> anyhow::Result<()> {
    if replace {
        return Ok(());
    }
    let foreign: Vec<&crate::platform::types::Connection> = connections
        .iter()
        .filter(|c| crate::platform::naming::is_ours(&c.name, base))
        .filter(|c| claim(&c.id, c.created_at.as_deref(), tags, recorded).is_none())
        .collect();
    let Some(first) = foreign.first() else {
        return Ok(());
    };
    let named = foreign
        .iter()
        .map(|c| format!("\"{}\" ({})", c.name, c.id))
        .collect::<Vec<_>>()
        .join(", ");
    Err(crate::error::Failure::new(
        crate::error::Kind::Usage,
        format!(
            "the platform has a connection named {named} that this tool cannot tell it made (no tag on the app and no local record names it): it may be someone's own, so nothing was changed"
        ),
    )
    .with_hint(format!(
        "pass --replace to take it over ({} is then replaced or deleted like the tool's own), or choose another --connection-name",
        if foreign.len() == 1 { first.id.as_str() } else { "each" }
    ))
    .into())
}

/// What [`plan_sweep`] decided: secrets to remove, and the app's tags after.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub remove: Vec<String>,
    /// The app's tags after, [`Sweep::add`] included.
    pub tags: Vec<String>,
    /// Tags to add: a connection an interrupted run made holds the one
    /// secret that run made.
    pub add: Vec<String>,
    /// What was found, in the user's words.
    pub notes: Vec<String>,
    /// Secrets kept because something may hold them after all (a
    /// connection the interrupted run made, not tagged): what to do, with
    /// the key id. The run ends "needs attention".
    pub doubts: Vec<String>,
}

/// What the sweep sees besides the app: our secrets' description, the
/// connections held tags name that the platform no longer has, and the
/// platform's connections of the tool's name.
#[derive(Debug, Default)]
pub struct Seen<'a> {
    pub description: &'a str,
    pub deleted: &'a [String],
    /// The platform's connections of the tool's name: id, and when it was
    /// made (Unix seconds, as the platform says).
    pub connections: &'a [(String, Option<i64>)],
    /// What this machine's record says a connection holds (connection,
    /// key): as good as a held tag (a read from a replica behind may lack
    /// the tag).
    pub recorded: &'a [(String, String)],
}

/// The sweep, decided on what the app shows: pending secrets of runs that
/// are gone (`alive` says), secrets of deleted connections (`deleted`
/// lists them), stale tags. `description` is our secrets' description: an
/// intent without a key explains only secrets of that description, made
/// after it, that no tag names.
///
/// Before a secret that a dead run's keyless intent explains is removed,
/// the platform is cross-checked (`seen.connections`): a connection of the
/// tool's name made within that intent's window, which no held tag names,
/// may hold it (the run was stopped after making the connection, before
/// tagging it). One such connection and one such secret: the connection
/// holds it, and the tag now says so. More, or secrets without such a
/// connection being clear: kept, and said ([`Sweep::doubts`]).
pub fn plan_sweep(app: &Application, seen: &Seen<'_>, alive: impl Fn(&Pending) -> bool) -> Sweep {
    let Seen {
        description,
        deleted,
        connections,
        recorded,
    } = *seen;
    let tags = &app.tags;
    let mut tagged_connections = holders(tags);
    tagged_connections.extend(recorded.iter().cloned());
    let exists = |k: &str| app.password_credentials.iter().any(|c| c.key_id == k);
    // Intents of runs still alive, without a key: a secret made after one
    // of them may be that run's, about to be tagged.
    let live: Vec<Pending> = tags
        .iter()
        .filter_map(|t| Pending::parse(t))
        .filter(|p| p.key.is_none() && alive(p))
        .collect();
    let mut out = Sweep::default();
    let mut drop_tags: Vec<String> = Vec::new();
    for tag in tags {
        if let Some(p) = Pending::parse(tag) {
            if alive(&p) {
                continue;
            }
            drop_tags.push(tag.clone());
            match &p.key {
                Some(k) if is_held(tags, k) => {}
                Some(k) if exists(k) => {
                    out.remove.push(k.clone());
                    out.notes.push(format!(
                        "removed the secret {k} that an interrupted run added and no one holds"
                    ));
                }
                Some(_) => {}
                None => {
                    let mut explained: Vec<&str> = Vec::new();
                    for c in &app.password_credentials {
                        let made = c
                            .start_date_time
                            .as_deref()
                            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                            .map(|t| t.as_second());
                        // Made within the intent's window (an admin's secret
                        // of the guide's description, added long after a
                        // killed run, is not explained by it).
                        let after = made.is_some_and(|t| p.explains(t));
                        let a_live_runs = made.is_some_and(|t| live.iter().any(|l| l.explains(t)));
                        if c.display_name.as_deref() == Some(description)
                            && after
                            && !a_live_runs
                            && !is_named(tags, &c.key_id)
                            && !recorded.iter().any(|(_, k)| *k == c.key_id)
                            && !out.remove.contains(&c.key_id)
                        {
                            explained.push(&c.key_id);
                        }
                    }
                    // The platform's side: connections of ours the run may
                    // have made, which no tag says hold anything.
                    let maybe: Vec<&str> = connections
                        .iter()
                        .filter(|(id, made)| {
                            made.is_some_and(|t| p.explains(t))
                                && !tagged_connections.iter().any(|(c, _)| c == id)
                                && !deleted.contains(id)
                        })
                        .map(|(id, _)| id.as_str())
                        .collect();
                    match (maybe.as_slice(), explained.as_slice()) {
                        (_, []) => {}
                        ([], keys) => {
                            for k in keys {
                                out.remove.push((*k).to_owned());
                                out.notes.push(format!(
                                    "removed the secret {k} that an interrupted run added (its answer was lost) and no one holds"
                                ));
                            }
                        }
                        ([connection], [key]) => {
                            out.add.push(held_tag(connection, key));
                            out.notes.push(format!(
                                "the connection {connection} that an interrupted run made holds the secret {key} it added: the app's tag now says so"
                            ));
                        }
                        (connections, keys) => {
                            // Kept, and the intent with them, for the
                            // next run to judge again.
                            drop_tags.pop();
                            for k in keys {
                                out.doubts.push(format!(
                                    "the secret {k} was kept: an interrupted run (run {}) added it, and the connection(s) {} it may also have made could hold it; if none of them does, remove the secret in the Azure portal, Certificates & secrets (key id {k})",
                                    p.run,
                                    connections.join(", ")
                                ));
                            }
                        }
                    }
                }
            }
        } else if let Some(Tag::Held { connection, key }) = Tag::parse(tag) {
            let (connection, key) = (connection.as_str(), key.as_str());
            if deleted.iter().any(|d| d == connection) {
                drop_tags.push(tag.clone());
                if exists(key) && !out.remove.iter().any(|r| r == key) {
                    out.remove.push(key.to_owned());
                    out.notes.push(format!(
                        "removed the secret {key} that the connection {connection}, deleted on the platform, held"
                    ));
                }
            } else if !exists(key) {
                // The secret is gone (removed by hand, or expired and
                // cleaned up): the tag names nothing.
                drop_tags.push(tag.clone());
            }
        } else if let Some(Tag::Handed { key }) = Tag::parse(tag) {
            if !exists(&key) {
                drop_tags.push(tag.clone());
            }
        }
    }
    out.tags = retag(tags, &out.add, |t| drop_tags.iter().any(|d| d == t));
    out
}

/// The app's tags with `add` added and every tag `gone` says removed.
pub fn retag(tags: &[String], add: &[String], gone: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = tags.iter().filter(|t| !gone(t)).cloned().collect();
    for t in add {
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out
}

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

/// The app's tags as read now, for [`edit_tags_on`]: a read made while
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

/// Whether a pending tag is about `key`.
fn pending_for(tag: &str, key: &str) -> bool {
    Pending::parse(tag).is_some_and(|p| p.key.as_deref() == Some(key))
}

/// A connection holds a secret: what [`held_by`] writes.
pub struct Holding<'a> {
    pub connection: &'a str,
    pub key: &'a str,
    /// Connections that no longer exist: their tags go.
    pub gone: &'a [&'a str],
    /// The run whose intent this ends (its pending tags go with the same
    /// write), unless an answer was lost on the way.
    pub settles: Option<&'a str>,
}

impl Custody {
    /// Reads the app's tags afresh, changes them, and writes them back when
    /// they changed: other runs (and the admin) may have tagged it since, and
    /// a write built on an older read would drop their tags (tags are written
    /// whole, and Graph offers no ETag for applications). A read that may come
    /// from a replica behind this run's own last write keeps the tags this run
    /// wrote and has not taken off since. Returns the tags as written.
    pub async fn edit_tags(
        &self,
        graph: &Graph,
        app_object_id: &str,
        change: impl Fn(&[String]) -> Vec<String>,
    ) -> anyhow::Result<Vec<String>> {
        self.edit_tags_on(graph, app_object_id, None, change).await
    }

    /// [`edit_tags`], on `read` when the caller read the tags a moment ago
    /// ([`read_tags`], made while something else was done) rather than now.
    pub async fn edit_tags_on(
        &self,
        graph: &Graph,
        app_object_id: &str,
        read: Option<Option<Vec<String>>>,
        change: impl Fn(&[String]) -> Vec<String>,
    ) -> anyhow::Result<Vec<String>> {
        // Always on a read (never skipped because this run's last view says
        // nothing changes: another run may have written since, dropping a tag
        // of ours that this write must put back).
        let known = self.known_tags(app_object_id);
        let mut tags_read = match read {
            Some(read) => read,
            None => graph.get_application(app_object_id).await?.map(|a| a.tags),
        };
        let mut n = 0;
        while tags_read.is_none() && known.is_none() && n < READ_ATTEMPTS {
            // Just created: not readable everywhere yet.
            tokio::time::sleep(graph.poll_delay(n)).await;
            tags_read = graph.get_application(app_object_id).await?.map(|a| a.tags);
            n += 1;
        }
        // What the service showed: a write is needed whenever the wanted tags
        // differ from it (not from this run's view).
        let raw = tags_read.clone();
        let tags = match (tags_read, known) {
            (Some(mut read), Some(known)) => {
                for mine in self.with_app(app_object_id, |v| v.own.clone()) {
                    if known.contains(&mine) && !read.contains(&mine) {
                        read.push(mine);
                    }
                }
                // A tag this run took off, still on a replica behind: not
                // written back.
                let gone = self.with_app(app_object_id, |v| v.removed.clone());
                read.retain(|t| !gone.contains(t));
                read
            }
            (Some(read), None) => read,
            (None, Some(known)) => known,
            (None, None) => {
                anyhow::bail!("the app {app_object_id} could not be read to tag it")
            }
        };
        let wanted = change(&tags);
        check_tags(&wanted)?;
        check_bound(app_object_id, &tags, &wanted)?;
        if raw.as_ref() != Some(&wanted) {
            graph
                .update_application(app_object_id, &serde_json::json!({ "tags": wanted }))
                .await?;
        }
        self.note_own_tags(app_object_id, &tags, &wanted);
        self.remember_tags(app_object_id, &wanted);
        Ok(wanted)
    }

    /// This run's intent to add a secret, as of now: written in the body of
    /// an app this run creates (its tags), so that the app exists with the
    /// intent on it and [`intend`] has nothing to write.
    pub fn new_intent(&self) -> Pending {
        Pending {
            run: self.run_id().to_owned(),
            since: jiff::Timestamp::now().as_second(),
            key: None,
        }
    }

    /// Before `addPassword`: the intent, on the app, so that a run that is
    /// killed, or whose answer is lost, is explained to the next one. An
    /// intent of this run without a key already on the app as last read or
    /// written (the app was created with it: [`new_intent`]) is that intent:
    /// it is durable, and nothing is written.
    ///
    /// `read`: the app's tags as this run has just read them (see
    /// [`edit_tags_on`]), when it read them a moment ago.
    pub async fn intend(
        &self,
        graph: &Graph,
        app_object_id: &str,
        read: Option<Vec<String>>,
    ) -> anyhow::Result<Pending> {
        let own = self.run_id();
        if let Some(written) = self
            .known_tags(app_object_id)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| Pending::parse(t))
            .find(|p| p.run == own && p.key.is_none())
        {
            return Ok(written);
        }
        let pending = self.new_intent();
        let tag = pending.tag();
        self.edit_tags_on(graph, app_object_id, read.map(Some), |tags| {
            retag(tags, std::slice::from_ref(&tag), |_| false)
        })
        .await
        .map_err(|e| {
            e.context(
                "could not record on the app that a secret is about to be added; nothing was added",
            )
        })?;
        Ok(pending)
    }

    /// A connection holds `key`: its held tag replaces the pending ones (and
    /// the tags of the connections in `gone`, which no longer exist). `read`:
    /// see [`edit_tags_on`].
    pub async fn held_by(
        &self,
        graph: &Graph,
        app_object_id: &str,
        holding: &Holding<'_>,
        read: Option<Option<Vec<String>>>,
    ) -> anyhow::Result<Vec<String>> {
        let Holding {
            connection,
            key,
            gone,
            settles,
        } = *holding;
        let tag = held_tag(connection, key);
        self.edit_tags_on(graph, app_object_id, read, |tags| {
            retag(tags, std::slice::from_ref(&tag), |t| {
                pending_for(t, key)
                    || Pending::parse(t).is_some_and(|p| Some(p.run.as_str()) == settles)
                    || matches!(Tag::parse(t), Some(Tag::Held { connection: c, key: k })
                    if (c == connection && k != key) || gone.contains(&c.as_str()))
            })
        })
        .await
    }

    /// A person was handed `key`: its tag replaces the pending ones, and this
    /// run's intent ends with the same write (unless an answer to its
    /// `addPassword` was lost: see [`answer_lost`]).
    pub async fn handed(
        &self,
        graph: &Graph,
        app_object_id: &str,
        key: &str,
    ) -> anyhow::Result<()> {
        let tag = handed_tag(key);
        let settles = self.settled_run(app_object_id);
        let settles = settles.as_deref();
        self.edit_tags(graph, app_object_id, |tags| {
            retag(tags, std::slice::from_ref(&tag), |t| {
                pending_for(t, key)
                    || Pending::parse(t).is_some_and(|p| Some(p.run.as_str()) == settles)
            })
        })
        .await
        .map(|_| ())
    }

    /// `key` was removed (or never handed on): its pending tag goes.
    pub async fn released(
        &self,
        graph: &Graph,
        app_object_id: &str,
        key: &str,
    ) -> anyhow::Result<()> {
        self.edit_tags(graph, app_object_id, |tags| {
            retag(tags, &[], |t| pending_for(t, key))
        })
        .await
        .map(|_| ())
    }

    /// Everything this run's intent left, when the run ends with its secret
    /// handed on or removed: the intent tags of this run go (a lost answer's
    /// intent stays for the next run: see [`held_by`]).
    pub async fn settle(&self, graph: &Graph, app_object_id: &str, keep_intent: bool) {
        if keep_intent {
            return;
        }
        let run = self.run_id().to_owned();
        let _ = self
            .edit_tags(graph, app_object_id, |tags| {
                retag(tags, &[], |t| {
                    Pending::parse(t).is_some_and(|p| p.run == run)
                })
            })
            .await;
    }

    /// The end of a run that handed its secret to `connection`: the app's
    /// tags read back, this run's intent gone (unless an answer to its
    /// `addPassword` was lost: `keep_intent`), and the held tag written again
    /// if a concurrent write (another run's, built on a read from before this
    /// run's write or from a replica behind it) dropped it. Returns whether it
    /// had to be written again.
    pub async fn confirm_held(
        &self,
        graph: &Graph,
        app_object_id: &str,
        (connection, key): (&str, &str),
        keep_intent: bool,
    ) -> anyhow::Result<bool> {
        let run = self.run_id().to_owned();
        let held = held_tag(connection, key);
        let read = graph.get_application(app_object_id).await?.map(|a| a.tags);
        let dropped = read.as_ref().is_some_and(|tags| !tags.contains(&held));
        self.edit_tags_on(graph, app_object_id, Some(read), |tags| {
            let gone = |t: &str| !keep_intent && Pending::parse(t).is_some_and(|p| p.run == run);
            retag(tags, std::slice::from_ref(&held), gone)
        })
        .await?;
        Ok(dropped)
    }

    /// The sweep of what earlier runs left (see the module doc): run on the
    /// app before anything else touches its secrets. `deleted` are the
    /// connections named by held tags that the platform says no longer exist.
    /// Returns what was done, for the summary.
    pub async fn sweep(
        &self,
        graph: &Graph,
        app: &mut Application,
        seen: &Seen<'_>,
        protected: &[String],
        reclaim: &[String],
    ) -> anyhow::Result<Swept> {
        self.remember_tags(&app.id, &app.tags);
        let now = jiff::Timestamp::now().as_second();
        let lease = self.lease;
        let state_dir = self.state_dir.as_path();
        let own = self.run_id().to_owned();
        // `--reclaim RUN`: the person knows that run is gone.
        let is_alive = |p: &Pending| {
            p.run == own || (!reclaim.contains(&p.run) && alive(state_dir, p, now, lease))
        };
        let mut plan = plan_sweep(app, seen, is_alive);
        let mut warnings: Vec<String> = in_flight(&app.tags, &own, is_alive, lease);
        if !plan.remove.is_empty() {
            // Never remove on a read that may be stale: the app is read again
            // and only what both reads judge unheld goes (a replica behind may
            // lack a held tag another run has just written).
            if let Some(again) = graph.get_application(&app.id).await? {
                let second = plan_sweep(&again, seen, is_alive);
                let doubted: Vec<String> = plan
                    .remove
                    .iter()
                    .filter(|k| !second.remove.contains(k))
                    .cloned()
                    .collect();
                for key in &doubted {
                    warnings.push(format!(
                    "the secret {key} was kept: one read of the app said no one holds it, another did not; run the same command again in a few minutes to judge it on a settled read (key id {key})"
                ));
                }
                plan.remove.retain(|k| !doubted.contains(k));
                plan.notes
                    .retain(|n| !doubted.iter().any(|k| n.contains(k.as_str())));
            }
        }
        // What this machine's record says someone holds stays, whatever the
        // tags say (a late write may have lost a tag).
        // (Not a secret whose connection was deleted: that one goes.)
        let of_deleted: Vec<String> = holders(&app.tags)
            .into_iter()
            .filter(|(c, _)| seen.deleted.contains(c))
            .map(|(_, k)| k)
            .collect();
        let kept: Vec<String> = plan
            .remove
            .iter()
            .filter(|k| protected.contains(k) && !of_deleted.contains(k))
            .cloned()
            .collect();
        plan.remove.retain(|k| !kept.contains(k));
        plan.notes
            .retain(|n| !kept.iter().any(|k| n.contains(k.as_str())));
        // A doubt about a key this machine's record says someone holds is
        // settled by the record: kept, nothing to say.
        warnings.extend(
            plan.doubts
                .iter()
                .filter(|d| !protected.iter().any(|k| d.contains(k.as_str())))
                .cloned(),
        );
        if plan.tags == app.tags && plan.remove.is_empty() {
            return Ok(Swept {
                notes: Vec::new(),
                warnings,
            });
        }
        for key in &plan.remove {
            self.remove(graph, &app.id, key).await?;
            app.password_credentials.retain(|c| &c.key_id != key);
        }
        let dropped: Vec<String> = app
            .tags
            .iter()
            .filter(|t| !plan.tags.contains(t))
            .cloned()
            .collect();
        app.tags = self
            .edit_tags(graph, &app.id, |tags| {
                retag(tags, &plan.add, |t| dropped.iter().any(|d| d == t))
            })
            .await?;
        Ok(Swept {
            notes: plan.notes,
            warnings,
        })
    }

    /// The run, other than this one and still in flight (alive here, or within
    /// its lease elsewhere, and not reclaimed), whose intent on the app explains
    /// a connection made at `created_at`: that run's to hand its secret to.
    pub fn in_flight_maker(
        &self,
        tags: &[String],
        created_at: Option<&str>,
        reclaim: &[String],
    ) -> Option<String> {
        let made = created_at?.parse::<jiff::Timestamp>().ok()?.as_second();
        let own = self.run_id().to_owned();
        let now = jiff::Timestamp::now().as_second();
        let state_dir = self.state_dir.as_path();
        tags.iter()
            .filter_map(|t| Pending::parse(t))
            .filter(|p| p.run != own && !reclaim.contains(&p.run) && p.explains(made))
            .find(|p| alive(state_dir, p, now, self.lease))
            .map(|p| p.run)
    }
}

/// What [`sweep`] did (`notes`) and what needs a person (`warnings`: the
/// run ends "needs attention").
#[derive(Debug, Default)]
pub struct Swept {
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

/// Other runs' intents still within their lease (or alive on this
/// machine): their secrets are kept, and the run says so — which run, when
/// it began, when a run may reclaim it, and how to reclaim it at once.
fn in_flight(
    tags: &[String],
    own: &str,
    alive: impl Fn(&Pending) -> bool,
    lease: Duration,
) -> Vec<String> {
    tags.iter()
        .filter_map(|t| Pending::parse(t))
        .filter(|p| p.run != own && alive(p))
        .map(|p| {
            let at = |secs: i64| {
                jiff::Timestamp::from_second(secs)
                    .map_or_else(|_| secs.to_string(), |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
            };
            let lease = i64::try_from(lease.as_secs()).unwrap_or(i64::MAX);
            format!(
                "another run (run {}) began adding a secret at {} and has not finished{}: what it added is kept. A run may reclaim it after {}; if that run is gone (a cancelled job, a killed process), run again with --reclaim {} to remove it now",
                p.run,
                at(p.since),
                p.key
                    .as_deref()
                    .map(|k| format!(" (key id {k})"))
                    .unwrap_or_default(),
                at(p.since.saturating_add(lease)),
                p.run
            )
        })
        .collect()
}

/// The connections that held tags name and the platform no longer has:
/// not in `listed` (what the caller may see), and 404 when asked.
pub async fn deleted_connections(
    app: &Application,
    listed: &[String],
    platform: &crate::platform::Platform,
) -> anyhow::Result<Vec<String>> {
    let mut deleted = Vec::new();
    for (connection, _) in holders(&app.tags) {
        if listed.contains(&connection) || deleted.contains(&connection) {
            continue;
        }
        if platform.get_connection(&connection).await?.is_none() {
            deleted.push(connection);
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::types::PasswordCredential;

    fn cred(key: &str, start: &str) -> PasswordCredential {
        PasswordCredential {
            key_id: key.into(),
            display_name: Some("pagerdutysecretkey".into()),
            start_date_time: Some(start.into()),
            end_date_time: Some("2099-01-01T00:00:00Z".into()),
            ..PasswordCredential::default()
        }
    }

    fn app(tags: &[String], creds: Vec<PasswordCredential>) -> Application {
        Application {
            id: "app".into(),
            tags: tags.to_vec(),
            password_credentials: creds,
            ..Application::default()
        }
    }

    const T0: i64 = 1_800_000_000;

    fn seen<'a>(deleted: &'a [String], connections: &'a [(String, Option<i64>)]) -> Seen<'a> {
        Seen {
            description: "pagerdutysecretkey",
            deleted,
            connections,
            recorded: &[],
        }
    }

    fn at(secs: i64) -> String {
        jiff::Timestamp::from_second(secs).unwrap().to_string()
    }

    #[test]
    fn every_tag_round_trips_and_graphs_rules_are_checked() {
        let all = [
            Tag::Owner,
            Tag::Pending(Pending {
                run: "r".into(),
                since: T0,
                key: None,
            }),
            Tag::Pending(Pending {
                run: "r".into(),
                since: T0,
                key: Some("k".into()),
            }),
            Tag::Held {
                connection: "c".into(),
                key: "k".into(),
            },
            Tag::Handed { key: "k".into() },
            Tag::Previous {
                connection: "c".into(),
            },
        ];
        for tag in all {
            assert_eq!(Tag::parse(&tag.to_string()), Some(tag.clone()), "{tag}");
            assert!(tag.checked().is_ok());
        }
        assert_eq!(held_tag("c1", "k1"), "aad-setup:connection-secret:c1:k1");
        assert_eq!(handed_tag("k1"), "aad-setup:handed-secret:k1");
        assert_eq!(previous_tag("c1"), "aad-setup:previous-connection:c1");
        // Someone else's tags, and ours malformed, are not ours.
        for other in [
            "WindowsAzureActiveDirectoryIntegratedApp",
            "aad-setup:",
            "aad-setup:connection-secret:c",
            "aad-setup:handed-secret:",
            "aad-setup:previous-connection:",
            "aad-setup:something-else:x",
        ] {
            assert_eq!(Tag::parse(other), None, "{other}");
        }
        // Graph's rules: 1 to 256 characters, no whitespace, no duplicates.
        let long = Tag::Held {
            connection: "c".repeat(240),
            key: "k".repeat(36),
        };
        assert!(long.checked().is_err());
        let spaced = Tag::Handed { key: "a b".into() };
        assert!(spaced.checked().is_err());
        assert!(check_tags(&["a".into(), "b".into()]).is_ok());
        assert!(check_tags(&["a".into(), "a".into()]).is_err());
        assert!(check_tags(&[String::new()]).is_err());
    }

    #[test]
    fn the_tools_tags_on_an_app_are_bounded_but_never_kept_from_shrinking() {
        let many: Vec<String> = std::iter::once(OWNER.to_owned())
            .chain((0..MAX_OWN_TAGS).map(|i| handed_tag(&format!("k{i}"))))
            .collect();
        let mut one_more = many.clone();
        one_more.push(held_tag("c", "k"));
        assert!(check_bound("app", &many, &many).is_ok());
        let refused = check_bound("app", &many, &one_more)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("Certificates & secrets"), "{refused}");
        // Past the bound already (an earlier version): any write that does
        // not grow them still goes through.
        assert!(check_bound("app", &one_more, &many).is_ok());
        assert!(check_bound("app", &one_more, &one_more).is_ok());
        // Someone else's tags do not count.
        let mut theirs = many.clone();
        theirs.push("team:x".into());
        assert!(check_bound("app", &many, &theirs).is_ok());
    }

    #[test]
    fn pending_tags_round_trip() {
        let p = Pending {
            run: "abc".into(),
            since: T0,
            key: Some("k1".into()),
        };
        assert_eq!(Pending::parse(&p.tag()), Some(p.clone()));
        let intent = Pending { key: None, ..p };
        assert_eq!(Pending::parse(&intent.tag()), Some(intent));
        assert_eq!(Pending::parse("aad-setup:pending-secret:"), None);
        assert_eq!(
            Pending::parse("aad-setup:pending-secret:r:notanumber"),
            None
        );
        assert_eq!(Pending::parse("aad-setup:connection-secret:c:k"), None);
    }

    #[test]
    fn a_dead_runs_pending_secret_goes_unless_someone_holds_it() {
        let orphan = Pending {
            run: "dead".into(),
            since: T0,
            key: Some("k-orphan".into()),
        };
        let handed_on = Pending {
            run: "dead2".into(),
            since: T0,
            key: Some("k-held".into()),
        };
        let live = Pending {
            run: "live".into(),
            since: T0,
            key: Some("k-live".into()),
        };
        let tags = vec![
            "aad-setup".to_owned(),
            orphan.tag(),
            handed_on.tag(),
            held_tag("c1", "k-held"),
            live.tag(),
        ];
        let a = app(
            &tags,
            vec![
                cred("k-orphan", &at(T0)),
                cred("k-held", &at(T0)),
                cred("k-live", &at(T0)),
            ],
        );
        let sweep = plan_sweep(&a, &seen(&[], &[]), |p| p.run == "live");
        assert_eq!(sweep.remove, ["k-orphan"]);
        assert_eq!(
            sweep.tags,
            ["aad-setup".to_owned(), held_tag("c1", "k-held"), live.tag()]
        );
    }

    #[test]
    fn an_intent_without_a_key_explains_only_unnamed_secrets_made_after_it() {
        let intent = Pending {
            run: "lost".into(),
            since: T0,
            key: None,
        };
        let tags = vec![
            intent.tag(),
            held_tag("c1", "k-held"),
            handed_tag("k-person"),
        ];
        let mut portal = cred("k-portal-old", &at(T0 - 3600));
        portal.display_name = Some("pagerdutysecretkey".into());
        let mut other = cred("k-other-description", &at(T0 + 5));
        other.display_name = Some("the admin's".into());
        let a = app(
            &tags,
            vec![
                portal,
                other,
                cred("k-held", &at(T0 + 1)),
                cred("k-person", &at(T0 + 2)),
                cred("k-lost", &at(T0 + 3)),
            ],
        );
        let sweep = plan_sweep(&a, &seen(&[], &[]), |_| false);
        assert_eq!(sweep.remove, ["k-lost"]);
        assert!(!sweep.tags.contains(&intent.tag()));
    }

    #[test]
    fn a_dead_intent_leaves_a_secret_a_live_runs_intent_could_explain() {
        // `dead` was stopped after its `addPassword`; `live` has just added
        // its own secret and is about to tag it: only the first goes.
        let dead = Pending {
            run: "dead".into(),
            since: T0,
            key: None,
        };
        let live = Pending {
            run: "live".into(),
            since: T0 + 600,
            key: None,
        };
        let tags = vec![dead.tag(), live.tag()];
        let a = app(
            &tags,
            vec![cred("k-dead", &at(T0 + 2)), cred("k-live", &at(T0 + 601))],
        );
        let sweep = plan_sweep(&a, &seen(&[], &[]), |p| p.run == "live");
        assert_eq!(sweep.remove, ["k-dead"]);
        assert_eq!(sweep.tags, [live.tag()]);
        // Once the live run is gone too, its secret is explained by nothing.
        let sweep = plan_sweep(&a, &seen(&[], &[]), |_| false);
        assert_eq!(sweep.remove, ["k-dead", "k-live"]);
    }

    #[test]
    fn an_intents_window_ends_and_a_connection_it_may_have_made_is_cross_checked() {
        let dead = Pending {
            run: "dead".into(),
            since: T0,
            key: None,
        };
        let tags = vec![dead.tag(), held_tag("c-old", "k-old")];
        let creds = vec![
            cred("k-old", &at(T0 - 86_400)),
            cred("k-run", &at(T0 + 3)),
            // The admin's own, by the portal's path, long after the run.
            cred("k-admin", &at(T0 + 7_200)),
        ];
        let a = app(&tags, creds.clone());
        // No connection the run made: its secret goes, the admin's stays.
        let sweep = plan_sweep(&a, &seen(&[], &[]), |_| false);
        assert_eq!(sweep.remove, ["k-run"]);
        // The run made a connection (untagged) within its window: that
        // connection holds its one secret, and the tag now says so.
        let made = [
            ("c-old".to_owned(), Some(T0 - 86_400)),
            ("c-run".to_owned(), Some(T0 + 5)),
        ];
        let sweep = plan_sweep(&a, &seen(&[], &made), |_| false);
        assert!(sweep.remove.is_empty(), "{sweep:?}");
        assert_eq!(sweep.add, [held_tag("c-run", "k-run")]);
        assert!(sweep.tags.contains(&held_tag("c-run", "k-run")));
        assert!(!sweep.tags.contains(&dead.tag()));
        // Two secrets it may have made (a lost answer): none is removed,
        // each is said, and the intent stays for the next run.
        let mut two = creds;
        two.push(cred("k-run-2", &at(T0 + 4)));
        let a = app(&tags, two);
        let sweep = plan_sweep(&a, &seen(&[], &made), |_| false);
        assert!(sweep.remove.is_empty() && sweep.add.is_empty(), "{sweep:?}");
        assert_eq!(sweep.doubts.len(), 2);
        assert!(sweep.doubts[0].contains("k-run") && sweep.doubts[0].contains("c-run"));
        assert!(sweep.tags.contains(&dead.tag()));
    }

    #[test]
    fn another_runs_live_intent_is_said_with_how_to_reclaim_it() {
        let live = Pending {
            run: "r1".into(),
            since: T0,
            key: None,
        };
        let tags = vec![live.tag(), "aad-setup".into()];
        let said = in_flight(&tags, "me", |_| true, Duration::from_secs(1800));
        assert_eq!(said.len(), 1);
        assert!(
            said[0].contains("run r1") && said[0].contains("--reclaim r1"),
            "{}",
            said[0]
        );
        assert!(in_flight(&tags, "r1", |_| true, DEFAULT_LEASE).is_empty());
        assert!(in_flight(&tags, "me", |_| false, DEFAULT_LEASE).is_empty());
    }

    #[test]
    fn a_connection_is_ours_only_when_a_tag_or_the_record_names_it() {
        let intent = Pending {
            run: "r".into(),
            since: T0,
            key: None,
        };
        let tags = vec![held_tag("c-tagged", "k"), intent.tag()];
        assert_eq!(
            claim("c-rec", None, &[], Some("c-rec")),
            Some(Claim::Recorded)
        );
        assert_eq!(claim("c-tagged", None, &tags, None), Some(Claim::Tagged));
        assert_eq!(
            claim("c-new", Some(&at(T0 + 60)), &tags, None),
            Some(Claim::Intent("r".into()))
        );
        // Made long after the intent's window, or with no tag at all: someone's.
        assert_eq!(claim("c-late", Some(&at(T0 + 7_200)), &tags, None), None);
        assert_eq!(claim("c-x", Some(&at(T0)), &[], None), None);
    }

    #[test]
    fn a_deleted_connections_secret_goes_with_its_tag_and_stale_tags_are_dropped() {
        let tags = vec![
            held_tag("gone", "k1"),
            held_tag("here", "k2"),
            held_tag("here-too", "k-missing"),
            handed_tag("k-missing-2"),
        ];
        let a = app(&tags, vec![cred("k1", &at(T0)), cred("k2", &at(T0))]);
        let gone = ["gone".to_owned()];
        let sweep = plan_sweep(&a, &seen(&gone, &[]), |_| true);
        assert_eq!(sweep.remove, ["k1"]);
        assert_eq!(sweep.tags, [held_tag("here", "k2")]);
        assert!(is_held(&sweep.tags, "k2") && !is_held(&sweep.tags, "k1"));
    }

    #[test]
    fn a_run_is_alive_while_its_lock_is_held_and_a_stranger_by_its_lease() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path(), DEFAULT_LEASE);
        let mine = Pending {
            run: lock.run.clone(),
            since: T0,
            key: None,
        };
        assert!(alive(dir.path(), &mine, T0 + 10_000, Duration::ZERO));
        // A killed run leaves its lock file, unlocked: gone at once.
        let killed = Pending {
            run: "killed".into(),
            since: T0,
            key: None,
        };
        std::fs::write(dir.path().join("runs").join("killed.lock"), "").unwrap();
        assert!(!alive(dir.path(), &killed, T0, Duration::from_secs(60)));
        // A run that ends records so and deletes its lock file: gone at
        // once, not after its lease.
        let runs = dir.path().join("runs");
        drop(lock);
        assert!(!runs.join(format!("{}.lock", mine.run)).exists());
        assert!(runs.join(format!("{}.ended", mine.run)).exists());
        assert!(!alive(dir.path(), &mine, T0, DEFAULT_LEASE));
        let stranger = Pending {
            run: "elsewhere".into(),
            since: T0,
            key: None,
        };
        assert!(alive(
            dir.path(),
            &stranger,
            T0 + 59,
            Duration::from_secs(60)
        ));
        assert!(!alive(
            dir.path(),
            &stranger,
            T0 + 60,
            Duration::from_secs(60)
        ));
    }

    #[test]
    fn what_ended_and_killed_runs_left_is_tidied_once_the_lease_says_as_much() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        std::fs::create_dir_all(&runs).unwrap();
        let old = std::time::SystemTime::now() - Duration::from_secs(7_200);
        for name in [
            "old.ended",
            "old-killed.lock",
            "new.ended",
            "new-killed.lock",
        ] {
            let file = std::fs::File::create(runs.join(name)).unwrap();
            if name.starts_with("old") {
                file.set_modified(old).unwrap();
            }
        }
        // A live run's lock, however old, is never deleted.
        let live = RunLock::acquire(dir.path(), DEFAULT_LEASE);
        let live_lock = runs.join(format!("{}.lock", live.run));
        std::fs::File::options()
            .write(true)
            .open(&live_lock)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let next = RunLock::acquire(dir.path(), Duration::from_secs(3_600));
        let left: std::collections::BTreeSet<String> = std::fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !left.contains("old.ended") && !left.contains("old-killed.lock"),
            "{left:?}"
        );
        assert!(
            left.contains("new.ended") && left.contains("new-killed.lock"),
            "{left:?}"
        );
        assert!(live_lock.exists() && left.contains(&format!("{}.lock", next.run)));
    }
}
