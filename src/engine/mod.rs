//! The engine below the commands: what `setup`, `register`, `rotate`,
//! `connect`, `status` and `remove` do, once a command has said what it
//! wants.
//!
//! A command turns its settings into a [`Job`] and enters here once
//! ([`run`]); the engine decides what that takes and does it. The way
//! through, top first:
//!
//! - [`setup`]: signed in, a [`Setup`] looks ([`Setup::preview`]) or runs
//!   ([`Setup::apply`]); each is one [`pass`] over the steps;
//! - [`look`]: the first reads (the permission, the app, the credential
//!   policy), and the first change, the app registration;
//! - [`secret`]: a new secret's life through the custodian
//!   ([`crate::custody::Custody`]), from `addPassword` to the connection
//!   that holds it, or its removal;
//! - [`narrate`]: what a look found, and the next steps a run leaves;
//! - [`failures`]: refusals and unfinished results as exit codes;
//! - beside `setup`'s way: [`register`] (the Azure half), [`rotate`] (the
//!   credential's life: due, in progress, finished), [`connect`] (the
//!   platform half), [`status`] (the health checks, read-only), [`remove`]
//!   (the connection and the app deleted) and [`platform_token`] (the
//!   platform's approval flow).
//!
//! The steps ([`crate::steps`]) do one thing each; the clients
//! ([`crate::graph`], [`crate::platform`], [`crate::auth`]) talk to the
//! services. The engine prints what it finds through the printer it is
//! given: a partial or interrupted run prints what exists before its
//! error, and `register` hands a secret on only when the output took it.

pub(crate) mod connect;
mod failures;
mod look;
pub(crate) mod narrate;
mod pass;
pub(crate) mod platform_token;
pub(crate) mod register;
mod remove;
mod rotate;
pub(crate) mod secret;
mod setup;
mod status;

use crate::output::{Interaction, Printer};
use crate::settings::{ConnectPlan, Plan, RemoveSettings, Renewal, StatusSettings};

pub(crate) use self::setup::Setup;

/// What a command wants done.
pub(crate) enum Job<'a> {
    /// The whole guide (`setup` without the wizard, `demo`): sign in, then
    /// look (`--dry-run`) or do.
    Setup(&'a Plan),
    /// A new secret for an existing setup (`rotate`): today, or only when
    /// the held one is due (`--if-expiring-within`), or the end of a
    /// rotation in progress (`--finish`).
    Rotate(&'a Plan, &'a Renewal),
    /// The Azure half only (`register`): the app and a secret handed on.
    Register(&'a Plan),
    /// The platform half only (`connect`), for an app registered elsewhere.
    Connect(&'a ConnectPlan),
    /// The health of an existing setup, read-only (`status`).
    Status(&'a StatusSettings),
    /// The connection and the app deleted (`remove`), confirmed first at a
    /// terminal (`interaction`) unless `--yes`.
    Remove(&'a RemoveSettings, &'a Interaction),
}

/// Does `job`, printing its result through `printer`.
pub(crate) async fn run(job: Job<'_>, printer: &Printer) -> anyhow::Result<()> {
    match job {
        Job::Setup(plan) => setup::run(plan, printer).await,
        Job::Rotate(plan, renewal) => rotate::run(plan, renewal, printer).await,
        Job::Register(plan) => register::run(plan, printer).await,
        Job::Connect(plan) => connect::run(plan, printer).await,
        Job::Status(settings) => status::run(settings, printer).await,
        Job::Remove(settings, interaction) => remove::run(settings, interaction, printer).await,
    }
}
