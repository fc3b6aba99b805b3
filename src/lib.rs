//! aad-setup: connects the workflow platform (PagerDuty Workflow Automation,
//! formerly Catalytic) to Microsoft Entra ID.
//!
//! A run goes: [`cli`] (what was typed) → [`settings`] (per command, an
//! `XSettings::resolve(args, &Environment)`: flag > variable > default,
//! checked, with where each value came from) → [`commands`] (dispatch
//! resolves, then runs the command with its settings and a printer; the
//! wizard is the interactive face of `setup`) → [`engine`] (entered once
//! per command with what it wants: it decides and does) → [`steps`] (one
//! per step of the guide) → the service clients [`auth`], [`graph`], [`platform`] →
//! [`http`]. The environment is read once, by the entry point
//! ([`commands::run`], through [`env::Environment::capture`]); nothing else
//! reads it (`architecture/` checks).
//!
//! The imports follow the layers below, top first: a module imports from
//! its own layer and the ones below it, never from one above, and no import
//! cycle (`architecture/` checks both by reading the sources). `settings`
//! and `cli` sit below the steps in this order, though a run starts there,
//! because the steps take the plan's values as their input:
//!
//! 1. [`commands`]: dispatch reads [`cli`], has [`settings`] resolve the
//!    command's settings and runs the command with them; no command
//!    imports another;
//! 2. [`engine`]: what the commands want done (the look, the app, the
//!    secret's life through the custodian, connect, verify, narrate);
//! 3. [`prompt`]: every question asked, the only user of dialoguer;
//! 4. [`steps`];
//! 5. [`custody`]: who holds each new client secret, written on the app
//!    and here, and the sweep of what killed runs left;
//! 6. [`settings`] and [`cli`]: each command's settings, made of the
//!    clients' own request types (an [`auth::SignIn`]), and what was typed
//!    (with the flags' defaults, which settings fills in);
//! 7. [`auth`], [`graph`], [`platform`];
//! 8. [`http`];
//! 9. leaf utilities, which import nothing from the layers above:
//!    [`output`] (all printing), [`report`] (results as data), [`error`]
//!    (exit codes), [`cloud`] (where the services are), [`stop`] (Ctrl-C),
//!    [`guide`] (the guide's values), [`env`](mod@env) (every variable, read once),
//!    [`validate`], [`record`], [`secret_file`].
//!
//! The emulator (`emulator`, behind the `emulator` feature) imports
//! nothing of the product.

// These docs are for the crate's developers (`cargo doc
// --document-private-items`): they link to the crate's own modules.
#![allow(rustdoc::private_intra_doc_links)]

// The binary needs `cli` and `commands::run`, the tests `emulator`;
// everything else is the crate's own.
#[cfg(test)]
mod architecture;
pub(crate) mod auth;
pub mod cli;
pub(crate) mod cloud;
pub mod commands;
pub(crate) mod custody;
pub(crate) mod engine;
pub(crate) mod env;
pub(crate) mod error;
pub(crate) mod graph;
pub(crate) mod guide;
pub(crate) mod http;
pub(crate) mod output;
pub(crate) mod platform;
pub(crate) mod prompt;
pub(crate) mod record;
pub(crate) mod report;
pub(crate) mod secret_file;
pub(crate) mod settings;
pub(crate) mod steps;
pub(crate) mod stop;
pub mod tls;
pub(crate) mod validate;
