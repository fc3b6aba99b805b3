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
//! records so ([`RunLock`](runs::RunLock)).
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
//! By job: [`custodian`] the custodian itself ([`Custody`]: the run's id,
//! its lease, what it knows of each app's tags); [`tag`] the tags' grammar
//! and what a list of them says; [`edit`] every write of them; [`runs`] the
//! run locks that say whether a run is alive; [`claim`] whose a connection
//! is; [`sweep`] what earlier runs left.

mod claim;
mod custodian;
mod edit;
mod runs;
mod sweep;
mod tag;

use std::time::Duration;

pub use claim::claim_all;
pub use custodian::{Custody, read_tags};
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
