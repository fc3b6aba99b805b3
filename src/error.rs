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
    /// 6: done, but something needs attention: `status` found something to
    /// act on (a secret inside `--warn-within`, a missing piece), or a run
    /// is in place with something left to do by hand (its `warnings`).
    NeedsAttention,
    /// 0: a deliberate "no" at a prompt (a plan or a removal declined):
    /// nothing changed, nothing failed.
    Declined,
    /// 130: interrupted (Ctrl-C).
    Interrupted,
}

/// The exit code of "done, but needs attention" (README "Exit codes").
pub(crate) const NEEDS_ATTENTION: i32 = 6;

impl Kind {
    pub(crate) fn exit_code(self) -> i32 {
        match self {
            Kind::Failed => 1,
            Kind::Usage => 2,
            Kind::SignIn => 3,
            Kind::Privileges => 4,
            Kind::Partial => 5,
            Kind::NeedsAttention => NEEDS_ATTENTION,
            Kind::Declined => 0,
            Kind::Interrupted => 130,
        }
    }
}

impl Kind {
    /// The kind's name in the JSON error document.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Failed => "failed",
            Kind::Usage => "usage",
            Kind::SignIn => "sign-in",
            Kind::Privileges => "privileges",
            Kind::Partial => "partial",
            Kind::NeedsAttention => "needs-attention",
            Kind::Declined => "declined",
            Kind::Interrupted => "interrupted",
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

/// A deliberate "no" at a prompt: nothing changed (exit 0).
pub(crate) fn declined(what: &str) -> anyhow::Error {
    Failure::new(
        Kind::Declined,
        format!("Nothing changed: {what} was declined."),
    )
    .into()
}

/// Done, but `count` thing(s) listed in the result need attention (exit 6).
pub(crate) fn needs_attention(count: usize) -> anyhow::Error {
    let things = if count == 1 {
        "1 thing needs".to_owned()
    } else {
        format!("{count} things need")
    };
    Failure::new(
        Kind::NeedsAttention,
        format!("Done, but {things} your attention (marked NEEDS ATTENTION above)."),
    )
    .into()
}

/// The kind of an error: the outermost [`Failure`]'s, else `Failed`.
pub(crate) fn kind(err: &anyhow::Error) -> Kind {
    failure(err).map_or(Kind::Failed, |f| f.kind)
}

/// The outermost classified failure, whether it is the root error or a
/// context layer (anyhow's `downcast_ref` looks through both).
pub(crate) fn failure(err: &anyhow::Error) -> Option<&Failure> {
    err.downcast_ref::<Failure>()
}

/// The exit code for an error: the kind of the outermost [`Failure`] in the
/// chain, else 1.
pub(crate) fn exit_code(err: &anyhow::Error) -> i32 {
    kind(err).exit_code()
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
