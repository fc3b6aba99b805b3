//! aad-setup: connects the workflow platform (PagerDuty Workflow Automation,
//! formerly Catalytic) to Microsoft Entra ID.
//!
//! The layers, top to bottom: [`cli`] (what was typed) → [`settings`] (one
//! validated plan) → [`commands`] → [`steps`] (one per step of the guide) →
//! the service clients [`auth`], [`graph`], [`platform`] → [`http`]. All
//! printing is in [`output`]; exit codes are decided in [`error`].

pub mod auth;
pub mod cli;
pub mod commands;
pub mod custody;
pub mod env;
pub mod error;
pub mod graph;
pub mod http;
pub mod output;
pub mod platform;
pub mod record;
pub mod report;
pub mod secret_file;
pub mod settings;
pub mod steps;
pub mod validate;
pub mod wizard;
