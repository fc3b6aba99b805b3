//! The workflow platform's integrations API client (docs/platform.md §3).
//!
//! Bodies of connection requests carry the client secret: they are built at
//! the call and never logged.
//!
//! By job: [`client`] the client ([`Platform`]) and its calls; [`error`]
//! the platform's refusals; [`auth`] a token's approval; [`token`] the
//! token store and [`token_source`] finding the token; [`naming`] the
//! connection-naming rule; [`types`] the shapes.

pub(crate) mod auth;
mod client;
mod error;
pub(crate) mod naming;
pub(crate) mod token;
pub(crate) mod token_source;
pub(crate) mod types;

pub(crate) use self::client::Platform;
pub(crate) use self::error::platform_error;
