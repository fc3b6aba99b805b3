//! The platform's refusals as a value ([`PlatformError`]: its status and
//! ProblemDetails), and the exit-code kind each one makes.

use std::fmt;

use reqwest::StatusCode;

use crate::error::Kind;
use crate::http::Reply;

/// An error answer (ASP.NET ProblemDetails, camel- or Pascal-cased).
#[derive(Debug)]
pub(crate) struct PlatformError {
    pub status: StatusCode,
    pub title: Option<String>,
    pub detail: Option<String>,
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the platform answered {}", self.status.as_u16())?;
        match (&self.title, &self.detail) {
            (_, Some(detail)) if !detail.is_empty() => write!(f, ": {detail}"),
            (Some(title), _) => write!(f, ": {title}"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for PlatformError {}

impl PlatformError {
    pub(crate) fn from_reply(reply: &Reply) -> PlatformError {
        let value: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
        let member = |name: &str| {
            value.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, v)| v.as_str().map(str::to_owned))
            })
        };
        let detail = member("detail").or_else(|| {
            // Not JSON: the raw text, shortened.
            (!reply.body.trim().is_empty() && value.is_null())
                .then(|| reply.body.trim().chars().take(300).collect())
        });
        PlatformError {
            status: reply.status,
            title: member("title"),
            detail,
        }
    }

    /// The exit-code kind: 401 sign-in, 403 privileges, else failure.
    pub(crate) fn kind(&self) -> Kind {
        match self.status.as_u16() {
            401 => Kind::SignIn,
            403 => Kind::Privileges,
            _ => Kind::Failed,
        }
    }
}

/// Finds the [`PlatformError`] in an error chain, if the failure was the
/// platform's answer.
pub(crate) fn platform_error(err: &anyhow::Error) -> Option<&PlatformError> {
    err.downcast_ref::<PlatformError>()
}
