//! The guide's steps, one module each, in the order `setup` runs them.
//!
//! Reads come first, so that a wrong platform token or a missing permission
//! fails before anything exists in the tenant. Each step returns what it did
//! (created, reused, updated, skipped) for the summary and the JSON.
//!
//! What they share is [`ctx`]'s: the run's [`Ctx`] that every step gets,
//! and the waits through Entra's replication.

pub(crate) mod connect_platform;
pub(crate) mod create_secret;
pub(crate) mod credential_policy;
mod ctx;
pub(crate) mod enterprise_tag;
pub(crate) mod grant_consent;
pub(crate) mod platform_preflight;
pub(crate) mod register_app;
pub(crate) mod renewal;
pub(crate) mod resolve_permission;
pub(crate) mod sign_in;
pub(crate) mod verify;

pub(crate) use self::ctx::Ctx;
