//! End-to-end tests: the real `aad-setup` binary against the built-in
//! emulator, with the emulator's state inspected afterwards.
//!
//! One test binary (fast links); each module is one area of behaviour.

mod support;

mod action;
mod clouds;
mod contract;
mod custody;
mod demo;
mod emulator_cmd;
mod failures;
mod fleet;
mod graph_contract;
mod halves;
mod identities;
mod install;
mod interleave;
mod lifecycle;
mod matrix;
mod ownership;
mod pinned;
mod policy;
mod renewal;
mod secrets;
mod setup;
mod signin;
mod speed;
mod surface;
mod tls;
mod variables;
mod wizard;
