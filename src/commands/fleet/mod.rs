//! Many targets from one file: `setup`, `status`, `rotate` and `remove`
//! over a fleet file (`--file`), and `matrix`, the file's targets as a
//! GitHub Actions matrix (README "Many targets from one file").
//!
//! Each target is the single command as it is: its keys become that
//! command's flags, checked by the same parser and settings as typed
//! flags (all targets, before any of them signs in), and the command runs
//! once per target, as its own process of this binary with `--no-input
//! --output json`, several at once (`--jobs`). Each run's JSON document is
//! collected as it is; the result is one table, or one JSON document with
//! a result per target and a summary, and the exit code is the worst
//! target's. One target's failure never stops the others.
//!
//! By job: [`file`](mod@file) the file; [`jobs`] each target as a checked run;
//! [`run`](mod@run) the command over the file, and `matrix`; [`runner`] the
//! runs, several at once; [`signin`] the sign-in targets share; [`result`]
//! the result; [`save`] `setup --save`; `demo` the fleet demo.

#[cfg(feature = "emulator")]
pub(crate) mod demo;
pub(crate) mod file;
mod jobs;
mod result;
mod run;
mod runner;
pub(crate) mod save;
mod signin;

pub(crate) use self::run::{matrix, run, single, wanted};
