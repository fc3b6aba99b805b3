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
//! secret that was to be handed on there ([`Printer::report`]).

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use secrecy::ExposeSecret as _;

use crate::env;
use crate::report::{Report, Status};

/// How the result is printed (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A summary for people.
    Human,
    /// One JSON document.
    Json,
}

/// How the run talks to its user.
#[derive(Debug, Clone, Copy)]
pub struct Interaction {
    pub format: OutputFormat,
    /// Prompts are allowed: a terminal on stdin and stderr, no --no-input, not CI.
    pub interactive: bool,
    pub verbose: u8,
}

/// Set when a write to stdout failed (a closed pipe).
static STDOUT_LOST: AtomicBool = AtomicBool::new(false);

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
pub struct Printer {
    format: OutputFormat,
    color: bool,
    stderr_tty: bool,
    github: bool,
    /// Finished-step lines are shown (off for a look-ahead pass whose
    /// result is shown as a plan instead).
    steps: bool,
}

impl Printer {
    pub fn new(interaction: &Interaction) -> Printer {
        let stderr_tty = std::io::stderr().is_terminal();
        let color = stderr_tty && env::var(env::NO_COLOR).is_none();
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        Printer {
            format: interaction.format,
            color,
            stderr_tty,
            github: env::flag(env::GITHUB_ACTIONS),
            steps: true,
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Colour is on (a terminal, no NO_COLOR): prompts match it.
    pub fn color(&self) -> bool {
        self.color
    }

    /// The same printer without finished-step lines, for a pass that only
    /// looks (its outcome is shown as the plan).
    pub fn without_steps(&self) -> Printer {
        Printer {
            steps: false,
            ..self.clone()
        }
    }

    /// A finished step: `✓ label: detail`.
    pub fn step(&self, label: &str, detail: &str) {
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
    pub fn info(&self, message: &str) {
        err!("  {message}");
    }

    /// Something the user must act on now (a device code): set apart and bold.
    pub fn notice(&self, message: &str) {
        let text = if self.color {
            style(message).bold().to_string()
        } else {
            message.to_owned()
        };
        err!();
        err!("  >>> {text}");
        err!();
    }

    pub fn warn(&self, message: &str) {
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

    /// The wizard: a step of the guide begins (`[2/7] Sign in to the platform`).
    pub fn heading(&self, number: usize, of: usize, title: &str) {
        let text = format!("[{number}/{of}] {title}");
        let text = if self.color {
            style(text).bold().cyan().to_string()
        } else {
            text
        };
        err!();
        err!("{text}");
    }

    /// The wizard: a paragraph of explanation, wrapped to the terminal.
    pub fn say(&self, text: &str) {
        for line in wrap(text, text_width(), "  ") {
            err!("{line}");
        }
    }

    /// The wizard: where the same thing lives in the Azure portal or the
    /// platform (`Azure portal: Microsoft Entra ID > App registrations`).
    pub fn place(&self, site: &str, path: &str) {
        err!("  {} {path}", self.dim(&format!("{site}:")));
    }

    /// The wizard: a value it will use without asking, and where it came
    /// from (`Name: x (from --app-name)`).
    pub fn shown(&self, label: &str, value: &str, source: &str) {
        err!("  {label}: {value} {}", self.dim(&format!("({source})")));
    }

    /// The wizard: a numbered list (the portal's clicks, in order).
    pub fn numbered(&self, items: &[String]) {
        for (i, item) in items.iter().enumerate() {
            hanging(&format!("{:>2}.", i + 1), item);
        }
    }

    fn dim(&self, text: &str) -> String {
        if self.color {
            style(text).dim().to_string()
        } else {
            text.to_owned()
        }
    }

    /// The wizard: what a run would do, before it asks to go ahead.
    pub fn plan(&self, report: &Report, changes: bool) {
        err!();
        if changes {
            err!("The plan (nothing has been changed yet):");
            for change in &report.changes {
                hanging("+", change);
            }
        } else {
            err!("Nothing to change: everything is in place.");
        }
        if !report.unchanged.is_empty() {
            err!("Already in place, kept as it is:");
            for kept in &report.unchanged {
                hanging("=", kept);
            }
        }
    }

    /// A spinner on a terminal; elsewhere (and where indicatif will not
    /// draw: TERM unset or `dumb`) one line saying what is awaited.
    pub fn spinner(&self, message: &str) -> Spinner {
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

    /// The error chain, then the hint, on stderr.
    pub fn error(&self, err: &anyhow::Error) {
        let label = if self.color {
            style("error:").red().bold().to_string()
        } else {
            "error:".into()
        };
        let mut chain = err.chain();
        if let Some(first) = chain.next() {
            err!("{label} {first}");
        }
        for cause in chain {
            err!("  Caused by: {cause}");
        }
        if let Some(hint) = crate::error::hint(err) {
            let label = if self.color {
                style("hint:").cyan().bold().to_string()
            } else {
                "hint:".into()
            };
            err!("  {label} {hint}");
        }
        if self.github {
            err!("::error::{}", err.to_string().replace('\n', " "));
        }
    }

    /// Masks a value in GitHub Actions logs. Must run before the value could
    /// be printed anywhere. Written to stderr, which the runner scans for
    /// workflow commands as it does stdout (actions/runner ScriptHandler), so
    /// that stdout stays exactly the result (`--output json > file` parses).
    pub fn mask(&self, value: &str) {
        if self.github {
            err!("::add-mask::{value}");
        }
    }

    /// Prints any JSON document as the result (commands other than setup).
    pub fn json(&self, value: &serde_json::Value) {
        out!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    }

    /// The result of `status`: one line per check, or JSON.
    pub fn status(&self, report: &crate::report::StatusReport) {
        match self.format {
            OutputFormat::Json => {
                out!(
                    "{}",
                    serde_json::to_string_pretty(report).unwrap_or_default()
                );
            }
            OutputFormat::Human => {
                out!("Tenant {}", report.tenant_id);
                for check in &report.checks {
                    let mark = match (check.ok, self.color) {
                        (true, true) => style("✓").green().to_string(),
                        (false, true) => style("✗").red().to_string(),
                        (true, false) => "✓".into(),
                        (false, false) => "✗".into(),
                    };
                    out!("{mark} {:<20} {}", check.name, check.detail);
                }
                out!();
                out!(
                    "{}",
                    if report.healthy {
                        "Healthy."
                    } else {
                        "Needs attention."
                    }
                );
            }
        }
    }

    /// A plain line of the human result.
    pub fn line(&self, text: &str) {
        out!("{text}");
    }

    /// The result of a setup run, in the chosen format, plus GitHub outputs.
    /// Prints the result; false when it did not reach stdout (closed).
    pub fn report(&self, report: &Report) -> bool {
        STDOUT_LOST.store(false, Ordering::Relaxed);
        if let Some(value) = report.secret.as_ref().and_then(|s| s.value.as_ref()) {
            self.mask(value.expose_secret());
        }
        match self.format {
            OutputFormat::Json => {
                let mut doc = serde_json::to_value(report).unwrap_or_default();
                if let (Some(value), Some(secret)) = (
                    report.secret.as_ref().and_then(|s| s.value.as_ref()),
                    doc.get_mut("secret").and_then(|s| s.as_object_mut()),
                ) {
                    secret.insert("value".into(), value.expose_secret().into());
                }
                out!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            }
            OutputFormat::Human => self.human(report),
        }
        if std::io::stdout().lock().flush().is_err() {
            STDOUT_LOST.store(true, Ordering::Relaxed);
        }
        let secret_in_outputs = self.github && self.github_outputs(report);
        // The secret reached the step's outputs even if stdout was closed.
        !STDOUT_LOST.load(Ordering::Relaxed) || secret_in_outputs
    }

    fn human(&self, r: &Report) {
        let heading = match r.status {
            Status::Done => r
                .heading
                .unwrap_or("Azure Active Directory integration is set up."),
            Status::Partial => {
                "Setup is PARTIAL: the Azure side exists, the platform connection does not."
            }
            Status::DryRun => "Dry run: nothing was changed. The run would:",
            Status::Interrupted => {
                "Setup was INTERRUPTED before it finished. What exists now is listed below."
            }
            Status::NeedsAttention => "Done, but something NEEDS YOUR ATTENTION (below).",
        };
        out!("{heading}");
        if r.status == Status::DryRun {
            for change in &r.changes {
                out!("  - {change}");
            }
            if !r.unchanged.is_empty() {
                out!("Already in place:");
                for kept in &r.unchanged {
                    out!("  = {kept}");
                }
            }
        }
        out!();
        let row = |k: &str, v: &str| {
            if !v.trim().is_empty() {
                out!("  {k:<20} {v}");
            }
        };
        row("Tenant ID", &r.tenant.id);
        if let Some(name) = &r.tenant.name {
            row("Tenant", name);
        }
        if let Some(app) = &r.app {
            row(
                "App",
                &format!("{} ({})", app.display_name, app.action.as_str()),
            );
            row("Client ID", &app.client_id);
            row("Object ID", &app.object_id);
            row("Redirect URI", &format!("{} (Web)", app.redirect_uri));
            row(
                "Service principal",
                &format!(
                    "{} ({})",
                    app.service_principal_id,
                    app.service_principal_action.as_str()
                ),
            );
        }
        if let (None, Some(client_id)) = (&r.app, &r.client_id) {
            row("Client ID", client_id);
        }
        if let Some(p) = &r.permission {
            row("Permission", &format!("{} / {} (delegated)", p.api, p.name));
        }
        if let Some(c) = &r.consent {
            row("Admin consent", c.action.as_str());
        }
        if let Some(s) = &r.secret {
            let expires = s.expires.as_deref().unwrap_or("unknown");
            row(
                "Secret",
                &format!(
                    "{} ({}), expires {expires}",
                    s.description,
                    s.action.as_str()
                ),
            );
            if let Some(file) = &s.file {
                row("Secret file", file);
            }
            if let Some(value) = &s.value {
                row("Client secret", value.expose_secret());
            }
        }
        row("Resource", &r.resource);
        if let Some(c) = &r.connection {
            row("Connection", &format!("{} ({})", c.name, c.action.as_str()));
            row("Connection ID", &c.id);
            row(
                "Integration",
                &format!("{} [{}]", c.integration_name, c.integration_id),
            );
            row("Team", &c.team);
        }
        let verified = |v: Option<bool>| match v {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "not checked",
        };
        if matches!(r.status, Status::Done | Status::NeedsAttention) {
            row("Secret signs in", verified(r.verification.secret_signs_in));
            // `register` makes no connection: nothing to check there.
            if r.connection.is_some() || r.verification.connection_visible.is_some() {
                row(
                    "Connection visible",
                    verified(r.verification.connection_visible),
                );
            }
        }
        if !r.notes.is_empty() {
            out!();
            for note in &r.notes {
                out!("Note: {note}");
            }
        }
        if !r.warnings.is_empty() {
            out!();
            for warning in &r.warnings {
                out!("NEEDS ATTENTION: {warning}");
            }
        }
        if !r.next_steps.is_empty() {
            out!();
            out!("Next:");
            for (i, step) in r.next_steps.iter().enumerate() {
                out!("  {}. {step}", i + 1);
            }
        }
    }

    /// Writes the step outputs; true when they carry the shown secret.
    fn github_outputs(&self, r: &Report) -> bool {
        let Some(path) = env::var(env::GITHUB_OUTPUT) else {
            return false;
        };
        let mut lines = vec![format!("tenant-id={}", r.tenant.id)];
        if let Some(app) = &r.app {
            lines.push(format!("client-id={}", app.client_id));
            lines.push(format!("object-id={}", app.object_id));
        }
        if !r.resource.is_empty() {
            lines.push(format!("resource={}", r.resource));
        }
        if let Some(c) = &r.connection {
            lines.push(format!("connection-id={}", c.id));
        }
        let with_secret = if let Some(value) = r.secret.as_ref().and_then(|s| s.value.as_ref()) {
            lines.push(format!("client-secret={}", value.expose_secret()));
            true
        } else {
            false
        };
        let written = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut f| f.write_all((lines.join("\n") + "\n").as_bytes()));
        if let Err(e) = written {
            self.warn(&format!("could not write GitHub outputs to {path}: {e}"));
            return false;
        }
        with_secret
    }
}

/// `  LEAD text…` on stderr, wrapped, the following lines indented under
/// the text.
fn hanging(lead: &str, text: &str) {
    let indent = " ".repeat(lead.len() + 3);
    let mut lines = wrap(text, text_width(), &indent).into_iter();
    if let Some(first) = lines.next() {
        err!("  {lead} {}", first.trim_start());
    }
    for line in lines {
        err!("{line}");
    }
}

/// Columns for the wizard's prose: the terminal's width, at most 100.
fn text_width() -> usize {
    usize::from(console::Term::stderr().size().1).clamp(40, 100)
}

/// `text` in lines of at most `width` columns, each starting with `indent`.
/// A word longer than a line stands alone rather than being cut (URLs).
fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        let empty = line.len() == indent.len();
        if !empty
            && console::measure_text_width(&line) + 1 + console::measure_text_width(word) > width
        {
            lines.push(std::mem::replace(&mut line, String::from(indent)));
        } else if !empty {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > indent.len() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A running spinner; finishes (and clears) when dropped.
pub struct Spinner {
    bar: Option<ProgressBar>,
}

impl Spinner {
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_owned());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_wraps_at_words_and_keeps_its_indent() {
        let lines = wrap("one two three four five six", 15, "  ");
        assert_eq!(lines, ["  one two three", "  four five six"]);
        let lines = wrap("see https://security.pushbot.com/oauth now", 12, "  ");
        assert_eq!(
            lines,
            ["  see", "  https://security.pushbot.com/oauth", "  now"]
        );
        assert_eq!(wrap("", 10, "  "), ["  "]);
    }
}
