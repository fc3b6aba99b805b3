//! The only place that prints.
//!
//! stdout carries the result only (a human summary, or one JSON document);
//! progress, warnings and errors go to stderr, spinners only on a terminal,
//! colour only on a terminal without NO_COLOR. The secret is printed only
//! when the report carries it (the user asked), and on GitHub Actions it is
//! masked (a workflow command on stderr) before anything could print it.
//!
//! A closed stdout or stderr (`aad-setup status | head -1`) is not a panic:
//! what cannot be written is dropped and the run goes on, so that a setup
//! is never cut short because its reader went away. Whether the result
//! reached stdout is remembered, for the one case where that matters: a
//! secret that was to be handed on there ([`Printer::result`]).

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use secrecy::ExposeSecret as _;

use crate::error::Kind;
use crate::report::Outcome;

/// How the result is printed (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A summary for people.
    Human,
    /// One JSON document.
    Json,
}

/// How the run talks to its user.
#[derive(Debug, Clone)]
pub(crate) struct Interaction {
    pub format: OutputFormat,
    /// Prompts are allowed: a terminal on stdin and stderr, no --no-input, not CI.
    pub interactive: bool,
    pub verbose: u8,
    /// Colour is allowed (no NO_COLOR); used only on a terminal.
    pub color: bool,
    /// Running in GitHub Actions: errors are also annotations.
    pub github_actions: bool,
    /// $GITHUB_OUTPUT, where step outputs are appended.
    pub github_output: Option<std::path::PathBuf>,
    /// $GITHUB_STEP_SUMMARY, where the job summary is appended.
    pub github_step_summary: Option<std::path::PathBuf>,
}

/// Set when a write to stdout failed (a closed pipe). A static because
/// stdout is the process's, and every printer and the exit path share it.
static STDOUT_LOST: AtomicBool = AtomicBool::new(false);

/// Set once a result is on stdout: an error after it (exit 5, 6, 130) is
/// not a second JSON document. A static for the same reason: what stdout
/// already holds is the process's, whichever printer wrote it.
static RESULT_PRINTED: AtomicBool = AtomicBool::new(false);

/// `println!` that cannot panic (see the module's documentation).
macro_rules! out {
    () => {
        out!("")
    };
    ($($arg:tt)*) => {{
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            STDOUT_LOST.store(true, Ordering::Relaxed);
        }
    }};
}

/// `eprintln!` that cannot panic.
macro_rules! err {
    () => {
        err!("")
    };
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

#[derive(Debug, Clone)]
pub(crate) struct Printer {
    format: OutputFormat,
    color: bool,
    stderr_tty: bool,
    github: bool,
    github_output: Option<std::path::PathBuf>,
    github_step_summary: Option<std::path::PathBuf>,
    /// Finished-step lines are shown (off for a look-ahead pass whose
    /// result is shown as a plan instead).
    steps: bool,
}

impl Printer {
    pub(crate) fn new(interaction: &Interaction) -> Printer {
        let stderr_tty = std::io::stderr().is_terminal();
        let color = stderr_tty && interaction.color;
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        Printer {
            format: interaction.format,
            color,
            stderr_tty,
            github: interaction.github_actions,
            github_output: interaction.github_output.clone(),
            github_step_summary: interaction.github_step_summary.clone(),
            steps: true,
        }
    }

    /// Colour is on (a terminal, no NO_COLOR): prompts match it.
    pub(crate) fn color(&self) -> bool {
        self.color
    }

    /// The same printer without finished-step lines, for a pass that only
    /// looks (its outcome is shown as the plan).
    pub(crate) fn without_steps(&self) -> Printer {
        Printer {
            steps: false,
            ..self.clone()
        }
    }

    /// A finished step: `✓ label: detail`.
    pub(crate) fn step(&self, label: &str, detail: &str) {
        if !self.steps {
            return;
        }
        let mark = if self.color {
            style("✓").green().to_string()
        } else {
            "✓".into()
        };
        err!("{mark} {label}: {detail}");
    }

    /// A neutral progress line.
    pub(crate) fn info(&self, message: &str) {
        err!("  {message}");
    }

    /// Something the user must act on now (a device code): set apart and bold.
    pub(crate) fn notice(&self, message: &str) {
        let text = if self.color {
            style(message).bold().to_string()
        } else {
            message.to_owned()
        };
        err!();
        err!("  >>> {text}");
        err!();
    }

    pub(crate) fn warn(&self, message: &str) {
        let label = if self.color {
            style("warning:").yellow().bold().to_string()
        } else {
            "warning:".into()
        };
        err!("{label} {message}");
        if self.github {
            err!("::warning::{}", message.replace('\n', " "));
        }
    }

    /// A line for the person at the terminal, on stderr, as it is (the
    /// wizard's prose, laid out by [`crate::prompt`]).
    pub(crate) fn aside(&self, line: &str) {
        err!("{line}");
    }

    /// A spinner on a terminal; elsewhere (and where indicatif will not
    /// draw: TERM unset or `dumb`) one line saying what is awaited.
    pub(crate) fn spinner(&self, message: &str) -> Spinner {
        if self.stderr_tty {
            let bar = ProgressBar::new_spinner();
            if !bar.is_hidden() {
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_message(message.to_owned());
                bar.enable_steady_tick(Duration::from_millis(100));
                return Spinner { bar: Some(bar) };
            }
        }
        err!("  {message}…");
        Spinner { bar: None }
    }

    /// The error chain, then the hint, on stderr; with `--output json`
    /// also one JSON document on stdout (kind, message, hint, exit code),
    /// unless the result is there already. "Done, but needs attention" and
    /// a declined plan are not errors: said plainly, without `error:`.
    pub(crate) fn error(&self, err: &anyhow::Error) {
        let kind = crate::error::kind(err);
        let mut chain = err.chain();
        match kind {
            Kind::NeedsAttention | Kind::Declined => {
                if let Some(first) = chain.next() {
                    err!("{first}");
                }
            }
            _ => {
                let label = self.paint("error:", |s| s.red().bold());
                if let Some(first) = chain.next() {
                    err!("{label} {first}");
                }
            }
        }
        for cause in chain {
            err!("  Caused by: {cause}");
        }
        if let Some(hint) = crate::error::hint(err) {
            let label = self.paint("hint:", |s| s.cyan().bold());
            err!("  {label} {hint}");
        }
        if self.github && !matches!(kind, Kind::Declined) {
            let level = if kind == Kind::NeedsAttention {
                "warning"
            } else {
                "error"
            };
            err!("::{level}::{}", err.to_string().replace('\n', " "));
        }
        if self.format == OutputFormat::Json && !RESULT_PRINTED.load(Ordering::Relaxed) {
            let doc = crate::report::envelope(error_document(err, kind));
            out!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
    }

    fn paint(
        &self,
        text: &str,
        how: impl FnOnce(console::StyledObject<&str>) -> console::StyledObject<&str>,
    ) -> String {
        if self.color {
            how(style(text)).to_string()
        } else {
            text.to_owned()
        }
    }

    /// Ends the line a prompt or spinner left the cursor on: a Ctrl-C,
    /// heard while a question waits, is followed by a message of its own.
    pub(crate) fn break_line(&self) {
        if self.stderr_tty {
            err!();
        }
    }

    /// Masks a value in GitHub Actions logs. Must run before the value could
    /// be printed anywhere. Written to stderr, which the runner scans for
    /// workflow commands as it does stdout (actions/runner ScriptHandler), so
    /// that stdout stays exactly the result (`--output json > file` parses).
    pub(crate) fn mask(&self, value: &str) {
        if self.github {
            err!("::add-mask::{value}");
        }
    }

    /// A generated document (a completion script, the manual) on stdout,
    /// as it is.
    pub(crate) fn document(&self, bytes: &[u8]) {
        if std::io::stdout().lock().write_all(bytes).is_err() {
            STDOUT_LOST.store(true, Ordering::Relaxed);
        }
    }

    /// A plain line of the human result.
    pub(crate) fn line(&self, text: &str) {
        out!("{text}");
    }

    /// A command's result, in the chosen format (see [`Outcome`]), after
    /// masking a secret it shows, and its GitHub step outputs. False when
    /// it did not reach stdout (closed) and the step outputs do not carry
    /// the shown secret either: whoever was to receive it did not.
    pub(crate) fn result(&self, outcome: &impl Outcome) -> bool {
        STDOUT_LOST.store(false, Ordering::Relaxed);
        if let Some(value) = outcome.shown_secret() {
            self.mask(value.expose_secret());
        }
        match self.format {
            OutputFormat::Json => {
                let doc = crate::report::envelope(outcome.json());
                out!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            }
            OutputFormat::Human => {
                for line in outcome.human(self.color) {
                    out!("{line}");
                }
            }
        }
        if std::io::stdout().lock().flush().is_err() {
            STDOUT_LOST.store(true, Ordering::Relaxed);
        }
        RESULT_PRINTED.store(true, Ordering::Relaxed);
        if self.github {
            self.github_summary(&outcome.step_summary());
        }
        let outputs = outcome.step_outputs();
        let secret_in_outputs = self.github
            && !outputs.is_empty()
            && self.github_outputs(&outputs)
            && outcome.shown_secret().is_some();
        // The secret reached the step's outputs even if stdout was closed.
        !STDOUT_LOST.load(Ordering::Relaxed) || secret_in_outputs
    }

    /// Appends the job summary to $GITHUB_STEP_SUMMARY (never a secret:
    /// the summary is built from what the result shows without one).
    fn github_summary(&self, lines: &[String]) {
        let Some(path) = self
            .github_step_summary
            .as_ref()
            .filter(|_| !lines.is_empty())
        else {
            return;
        };
        let written = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .and_then(|mut f| f.write_all((lines.join("\n") + "\n").as_bytes()));
        if let Err(e) = written {
            self.warn(&format!(
                "could not write the job summary to {}: {e}",
                path.display()
            ));
        }
    }

    /// Appends the step outputs to $GITHUB_OUTPUT; false when it could not.
    fn github_outputs(&self, lines: &[String]) -> bool {
        let Some(path) = &self.github_output else {
            return false;
        };
        let written = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .and_then(|mut f| f.write_all((lines.join("\n") + "\n").as_bytes()));
        if let Err(e) = written {
            self.warn(&format!(
                "could not write GitHub outputs to {}: {e}",
                path.display()
            ));
            return false;
        }
        true
    }
}

/// A command line clap refused: clap's message on stderr; with `json`, the
/// error document on stdout too (kind `usage`, clap's tip as the hint).
/// Returns the exit code, 2.
pub(crate) fn refused(err: &clap::Error, json: bool) -> i32 {
    let _ = err.print();
    if json {
        let rendered = err.render().to_string();
        let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next().unwrap_or("the command line was refused");
        let message = first.strip_prefix("error:").unwrap_or(first).trim();
        let rest: Vec<&str> = lines.collect();
        let hint = rest
            .iter()
            .find_map(|l| l.strip_prefix("tip:"))
            .or_else(|| rest.last().copied())
            .map(str::trim);
        let mut failure = crate::error::Failure::new(Kind::Usage, message);
        if let Some(hint) = hint {
            failure = failure.with_hint(hint);
        }
        let err = anyhow::Error::from(failure);
        let doc = crate::report::envelope(error_document(&err, Kind::Usage));
        out!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    Kind::Usage.exit_code()
}

/// The JSON document of an error (README "Output"; `src/schema/error.json`).
fn error_document(err: &anyhow::Error, kind: Kind) -> serde_json::Value {
    let causes: Vec<String> = err.chain().skip(1).map(ToString::to_string).collect();
    serde_json::json!({
        "status": if kind == Kind::Declined { "declined" } else { "error" },
        "error": {
            "kind": kind.as_str(),
            "message": err.to_string(),
            "causes": causes,
            "hint": crate::error::hint(err),
            "exitCode": kind.exit_code(),
        }
    })
}

/// A running spinner; finishes (and clears) when dropped.
pub(crate) struct Spinner {
    bar: Option<ProgressBar>,
}

impl Spinner {
    pub(crate) fn set_message(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_owned());
        }
    }

    /// A line on stderr above the spinner (or as it is, without one).
    pub(crate) fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => err!("{line}"),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
