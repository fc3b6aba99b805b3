//! A new client secret's life in `setup`, `rotate` and `register`, in one
//! place: from the moment it is asked for (`addPassword`, [`add()`]) through
//! admin consent and the platform connection ([`hand_on()`]) to the moment
//! someone holds it, or to its removal on every way out: a platform failure
//! ([`release::partial`]), a Ctrl-C at a step boundary ([`checkpoint`]), a
//! failed check or an output that could not take it ([`remove_unheld`]).
//!
//! Everything that decides whether a secret is held (the local record's
//! key id, the app's held-secret tags, the replaced connection's secret) is
//! here too, by job: the sweep of what earlier runs left ([`sweep()`]), the
//! hand-on ([`hand_on()`]), the retirement of what a new secret replaced
//! ([`retire`]), the tags that say who holds what ([`tags`]), and the
//! release of a secret no one holds ([`release`]). The custodian
//! ([`crate::custody::Custody`]) does the writes.

mod add;
mod hand_on;
mod release;
mod retire;
mod sweep;
mod tags;

pub(crate) use self::add::add;
pub(super) use self::add::checkpoint;
pub(crate) use self::hand_on::{Handover, hand_on, keep_held};
pub(crate) use self::release::remove_unheld;
pub(crate) use self::sweep::{retire_held_apps, sweep};

/// A connection read by id: its id, and whether it was found.
pub(super) type Seen = (String, anyhow::Result<bool>);
