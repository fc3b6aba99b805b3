//! Error kinds and the exit codes they map to.
//!
//! Everything inside the tool uses `anyhow` with context written in the
//! user's words; a [`Failure`] placed in the chain classifies the error once,
//! at the edge, into one of the documented exit codes. An error without a
//! `Failure` is a plain failure (exit 1).

/// The documented exit codes (README "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 1: the run failed; nothing more specific applies.
    Failed,
    /// 2: usage or bad input; nothing was changed.
    Usage,
    /// 3: signing in to Microsoft or the platform failed.
    SignIn,
    /// 4: the signed-in identity lacks a permission or role the run needs.
    Privileges,
    /// 5: partial: the Azure half exists, the platform half does not.
    Partial,
    /// 130: interrupted (Ctrl-C).
    Interrupted,
}

impl Kind {
    pub(crate) fn exit_code(self) -> i32 {
        match self {
            Kind::Failed => 1,
            Kind::Usage => 2,
            Kind::SignIn => 3,
            Kind::Privileges => 4,
            Kind::Partial => 5,
            Kind::Interrupted => 130,
        }
    }
}

/// A classified error: what happened (`message`) and, optionally, what to do
/// about it (`hint`).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Failure {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// A usage error (exit 2) as an `anyhow::Error`.
pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    Failure::new(Kind::Usage, message).into()
}

/// The outermost classified failure, whether it is the root error or a
/// context layer (anyhow's `downcast_ref` looks through both).
pub(crate) fn failure(err: &anyhow::Error) -> Option<&Failure> {
    err.downcast_ref::<Failure>()
}

/// The exit code for an error: the kind of the outermost [`Failure`] in the
/// chain, else 1.
pub(crate) fn exit_code(err: &anyhow::Error) -> i32 {
    failure(err).map_or(1, |f| f.kind.exit_code())
}

/// The hint to print under the error, if the outermost failure has one.
pub(crate) fn hint(err: &anyhow::Error) -> Option<&str> {
    failure(err).and_then(|f| f.hint.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_kind_survives_context() {
        let err: anyhow::Result<()> = Err(usage("bad tenant"));
        let err = err.context("reading settings").unwrap_err();
        assert_eq!(exit_code(&err), 2);
        assert_eq!(exit_code(&anyhow::anyhow!("plain")), 1);
    }

    #[test]
    fn hints_survive_context() {
        let err: anyhow::Error = Failure::new(Kind::SignIn, "bad secret")
            .with_hint("check AZURE_CLIENT_SECRET")
            .into();
        let err = err.context("signing in");
        assert_eq!(hint(&err), Some("check AZURE_CLIENT_SECRET"));
        assert_eq!(exit_code(&err), 3);
    }
}
