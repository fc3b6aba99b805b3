//! How a run's failures and unfinished results become exit codes: a Graph
//! refusal named for what it means (exit 3 or 4), a result with something
//! left to do by hand (exit 6).

use crate::auth::{self, MANAGE_APPS, Session};
use crate::error::{self, Failure, Kind};
use crate::graph::graph_error;
use crate::report::Report;

/// A Graph 403 that is not already explained becomes exit 4 with the same
/// message the up-front check gives (DESIGN "Sign-in to Microsoft"); a 401
/// (expired or foreign token) is a sign-in failure, exit 3.
pub(crate) fn classify_graph_refusal(err: anyhow::Error, session: &Session) -> anyhow::Error {
    if error::failure(&err).is_some() {
        return err;
    }
    match graph_error(&err) {
        Some(g) if g.status == reqwest::StatusCode::UNAUTHORIZED => {
            let failure = Failure::new(
                Kind::SignIn,
                format!(
                    "Microsoft Graph did not accept the token of {} ({})",
                    session.identity, g.code
                ),
            )
            .with_hint("the token may have expired or be meant for another API: sign in again");
            err.context(failure)
        }
        Some(g) if g.has_code("Directory_QuotaExceeded") => {
            let failure = Failure::new(Kind::Failed, format!("{} has reached its directory object quota", session.identity))
                .with_hint("a user who is not an administrator may create at most 250 directory objects (apps and service principals), deleted ones included until they are purged 30 days later: permanently delete unused ones (Entra admin center > App registrations > Deleted applications), or run as an administrator or a pipeline identity");
            err.context(failure)
        }
        Some(g) if g.has_code("TooManyAppPasswords") => {
            let failure = Failure::new(Kind::Failed, "the app holds as many client secrets as Entra allows it")
                .with_hint("remove a secret no one uses (Entra admin center > the app > Certificates & secrets; `aad-setup rotate` removes the one it replaces), then run again");
            err.context(failure)
        }
        Some(g) if g.is_denied() => {
            let why = format!("Graph answered {} to {}", g.code, g.action);
            let failure = auth::denied(session, &MANAGE_APPS, &why);
            let f = error::failure(&failure).expect("denied() builds a Failure");
            let f = Failure::new(f.kind, f.message.clone())
                .with_hint(f.hint.clone().unwrap_or_default());
            err.context(f)
        }
        _ => err,
    }
}

/// A result in place with something left to do by hand (see
/// [`Report::warnings`]): exit 6 after the summary, which lists it.
pub(crate) fn unfinished(report: &Report) -> anyhow::Result<()> {
    if report.warnings.is_empty() {
        return Ok(());
    }
    Err(error::needs_attention(report.warnings.len()))
}
