//! The Microsoft Graph v1.0 client: the calls of docs/graph.md §2, and
//! nothing else.
//!
//! Each method is one request (or one paged listing). Retrying through
//! replication delay is the steps' business, because only a step knows
//! whether it just created the object it cannot see; throttling is retried
//! below, in [`crate::http`].
//!
//! By job: [`client`] the client ([`Graph`]) and the request helpers every
//! call goes through; [`error`] Graph's refusals ([`GraphError`]); the
//! calls by what they touch: [`apps`] (applications and their secrets),
//! [`principals`] (service principals and admin consent grants),
//! [`policies`] (app management policies); [`types`] the shapes; [`clock`]
//! the directory's clock.

mod apps;
mod client;
pub(crate) mod clock;
mod error;
pub(crate) mod policies;
mod principals;
pub(crate) mod types;

pub(crate) use self::client::Graph;
pub(crate) use self::error::{GraphError, graph_error, is_ambiguous};
