//! The interactive face of `setup`: `aad-setup` at a terminal walks an admin through
//! the platform's setup guide, in the guide's order and with its names; with
//! `--explain` (and always on the portal path) it also says what each step
//! does and where it lives in the Azure portal. By default it is compact: the
//! default path fits one screen before the plan.
//!
//! It asks only for what it cannot find: a value given by a flag or the
//! environment is shown, not asked; everything else is offered with the
//! guide's default. Each answer is checked as it is typed (with
//! [`crate::validate`]), and a bad one is explained and asked again. Then
//! the answers become flag values (or [`Supplied`](crate::settings::Supplied) secrets) and go through
//! [`settings`] like any others, so the wizard cannot accept what the flags
//! would refuse. Before anything changes it shows the plan and asks.
//!
//! Two paths after step 1: aad-setup signs in and makes the Azure changes
//! ([`Wizard::automated`]), or the admin makes them in the portal, one step
//! at a time, and types in what the portal shows ([`Wizard::in_the_portal`],
//! which ends as `aad-setup connect` does). Step 2 (the platform) and step 7
//! (the connection) are the same in both.
//!
//! It runs only when [`Interaction::interactive`] allows prompts; the
//! prompts themselves, and the terminal they borrow, are in [`crate::prompt`].

//! By job: step 1's questions and the sign-in ([`sign_in`]),
//! step 2's platform token ([`platform`]), steps 3 to 7's questions
//! ([`questions`]), then the two paths: the engine makes the changes
//! ([`automated`]), or the admin makes them in the portal ([`portal`]).

mod automated;
mod platform;
mod portal;
mod questions;
mod sign_in;

use crate::auth::{Session, SignIn};
use crate::cli::AuthChoice;
use crate::cloud::Endpoints;
use crate::error::{self, Kind};
use crate::graph::Graph;
use crate::http::Http;
use crate::output::Interaction;
use crate::output::Printer;
use crate::prompt::Prompts;
use crate::settings::Flag;
use crate::settings::{self, Inputs, SetupSettings};

/// Steps in either path; the headings count them.
const STEPS: usize = 7;

/// `aad-setup` / `aad-setup setup` at a terminal.
pub(crate) async fn run(
    settings: SetupSettings,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let mut inputs = settings.inputs;
    welcome(printer, inputs.explain);
    refuse_bad_values(&mut inputs, printer)?;
    // Where the services are: the wizard asks nothing that changes it.
    let endpoints = settings::endpoints(&inputs)?;
    let inputs_explain = inputs.explain;
    let http = Http::new(&settings::http_options(&inputs.env))?;
    let mut wizard = Wizard {
        printer,
        interaction,
        inputs,
        endpoints,
        http,
        prompts: Prompts::new(printer),
        consent_first: None,
        explain: inputs_explain,
    };
    match wizard.microsoft().await? {
        Some(signed_in) => wizard.automated(signed_in).await,
        None => wizard.in_the_portal().await,
    }
}

struct Wizard<'a> {
    printer: &'a Printer,
    interaction: &'a Interaction,
    /// Settings' values, with the answers written in as they come.
    inputs: Inputs,
    endpoints: Endpoints,
    http: Http,
    prompts: Prompts,
    /// The admin-consent answer, when it was asked before an interactive
    /// sign-in (whose scope depends on it).
    consent_first: Option<bool>,
    /// Explanations and portal places shown (`--explain`, or the portal path).
    explain: bool,
}

/// Signed in to Microsoft: the wizard makes the Azure changes.
struct SignedIn {
    graph: Graph,
    session: Session,
    method: SignIn,
}

/// Step 1's choices.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Choice {
    Method(AuthChoice),
    Portal,
}

/// What step 1 asked for: asked again, with the same defaults, when the
/// sign-in fails.
#[derive(Default)]
struct Typed {
    tenant: Option<String>,
    client_id: Option<String>,
    secret: bool,
    token_file: Option<String>,
}

impl Typed {
    fn any(&self) -> bool {
        self.tenant.is_some()
            || self.client_id.is_some()
            || self.secret
            || self.token_file.is_some()
    }
}

impl Wizard<'_> {
    /// A step begins; with `--explain`, after a blank line.
    fn heading(&self, number: usize, title: &str) {
        crate::prompt::heading(self.printer, number, STEPS, title, self.explain);
    }

    /// A step's explanation: shown with `--explain` (and on the portal
    /// path, which is all explanation).
    fn detail(&self, text: &str) {
        if self.explain {
            crate::prompt::say(self.printer, text);
        }
    }

    /// Where a step lives in the Azure portal or on the platform: shown
    /// with `--explain` (and on the portal path).
    fn place(&self, site: &str, path: &str) {
        if self.explain {
            crate::prompt::place(self.printer, site, path);
        }
    }

    /// The value of `--flag`: shown when it was given, else asked with
    /// `current` (the guide's default) offered.
    async fn value(
        &mut self,
        flag: Flag,
        label: &str,
        current: &str,
        check: impl Fn(&str) -> Result<String, String> + Send + Sync + 'static,
    ) -> anyhow::Result<String> {
        match self.inputs.given(flag) {
            Some(source) => {
                crate::prompt::shown(self.printer, label, current, &format!("from {source}"));
                Ok(current.to_owned())
            }
            None => {
                let answer = self.prompts.text(label, Some(current), check).await?;
                self.inputs.answer(flag);
                Ok(answer)
            }
        }
    }

    /// The plan is shown: ask to go ahead ("no" by default when something
    /// that exists would be changed or replaced).
    /// The plan's confirmation, naming the directory it changes: guest and
    /// MSP admins can be signed in to another than they meant.
    async fn go_ahead(&self, destructive: bool, directory: Option<&str>) -> anyhow::Result<()> {
        if destructive {
            crate::prompt::say(
                self.printer,
                "Something that exists would be changed or replaced, so the answer defaults to no.",
            );
        }
        if self
            .prompts
            .confirm(
                &directory.map_or_else(
                    || "Make these changes?".to_owned(),
                    |d| format!("Make these changes in {d}?"),
                ),
                !destructive,
            )
            .await?
        {
            return Ok(());
        }
        Err(crate::error::declined("the plan"))
    }
}

fn welcome(printer: &Printer, explain: bool) {
    let more = if explain {
        ""
    } else {
        " --explain says more at each step."
    };
    crate::prompt::say(
        printer,
        &format!(
            "aad-setup registers an app in Microsoft Entra ID and connects the platform to it. \
             Nothing changes until you accept the plan; Ctrl-C stops.{more}"
        ),
    );
}

/// Every value given by a flag or a variable is checked before the first
/// question: one the wizard asks for at a step is reported and asked again
/// there; any other is refused at once (exit 2), before anything is signed
/// in to.
fn refuse_bad_values(inputs: &mut Inputs, printer: &Printer) -> anyhow::Result<()> {
    for (flag, problem) in settings::check_given(inputs) {
        if settings::ASKED.contains(&flag) {
            printer.warn(&format!("{problem}; it is asked for again at its step"));
            inputs.forget(flag);
        } else {
            return Err(error::usage(problem));
        }
    }
    Ok(())
}

fn is_kind(err: &anyhow::Error, kind: Kind) -> bool {
    error::failure(err).is_some_and(|f| f.kind == kind)
}
