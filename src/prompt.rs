//! Every question the tool asks, and the terminal the questions borrow:
//! dialoguer is used here and nowhere else. The wizard asks through
//! [`Prompts`]; [`confirm`] and [`ask_team`] are the single questions other
//! commands ask.
//!
//! Each prompt runs on a blocking thread, so that Ctrl-C is heard (by
//! `commands`) while it waits. Dialoguer hides the cursor in menus and turns
//! echo off for hidden input, and leaves both so when Ctrl-C interrupts it:
//! [`Terminal`] puts them back however the wizard ends.

use std::cell::RefCell;
use std::sync::Arc;

use anyhow::Context as _;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, Password, Select};
use secrecy::SecretString;

use crate::error;
use console::style;

use crate::output::Printer;
use crate::platform::auth as platform_auth;

/// One question outside the wizard (`remove` at a terminal without
/// --yes): yes or no, "no" unless typed otherwise.
pub(crate) async fn confirm(printer: &Printer, question: &str) -> anyhow::Result<bool> {
    Prompts::new(printer).confirm(question, false).await
}

/// `platform-login` at a terminal without --team.
pub(crate) async fn ask_team(printer: &Printer) -> anyhow::Result<String> {
    Prompts::new(printer).team(printer).await
}

/// The prompts, and the terminal they borrow.
pub(crate) struct Prompts {
    color: bool,
    terminal: Terminal,
}

type Check = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

impl Prompts {
    pub(crate) fn new(printer: &Printer) -> Prompts {
        Prompts {
            color: printer.color(),
            terminal: Terminal::default(),
        }
    }

    /// Runs a dialoguer prompt on a blocking thread, so that Ctrl-C is
    /// heard (by `commands`) while it waits.
    async fn ask<T: Send + 'static>(
        &self,
        prompt: impl FnOnce(&dyn Theme) -> dialoguer::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        self.terminal.remember();
        let color = self.color;
        let answer = tokio::task::spawn_blocking(move || {
            let colorful = ColorfulTheme::default();
            let theme: &dyn Theme = if color { &colorful } else { &SimpleTheme };
            prompt(theme)
        })
        .await
        .context("the prompt stopped unexpectedly")?;
        answer.map_err(|dialoguer::Error::IO(e)| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                crate::stop::interrupted().into()
            } else {
                anyhow::Error::new(e).context("reading your answer from the terminal")
            }
        })
    }

    /// A line of text, checked as it is typed; the checked (normalised)
    /// value is returned.
    pub(crate) async fn text(
        &self,
        label: &str,
        default: Option<&str>,
        check: impl Fn(&str) -> Result<String, String> + Send + Sync + 'static,
    ) -> anyhow::Result<String> {
        let check: Check = Arc::new(check);
        let label = label.to_owned();
        let default = default.map(str::to_owned);
        let checker = Arc::clone(&check);
        let raw = self
            .ask(move |theme| {
                let mut input = Input::<String>::with_theme(theme)
                    .with_prompt(label)
                    .validate_with(move |v: &String| checker(v).map(|_| ()));
                if let Some(default) = default {
                    input = input.default(default);
                }
                input.interact_text()
            })
            .await?;
        check(&raw).map_err(error::usage)
    }

    /// A secret, typed hidden: nothing is echoed, and dialoguer's copy is
    /// wiped once it is held as a secret.
    pub(crate) async fn secret(&self, label: &str) -> anyhow::Result<SecretString> {
        let label = label.to_owned();
        let mut raw = self
            .ask(move |theme| {
                Password::with_theme(theme)
                    .with_prompt(label)
                    .validate_with(|v: &String| {
                        if v.trim().is_empty() {
                            Err("it is empty")
                        } else {
                            Ok(())
                        }
                    })
                    .interact()
            })
            .await?;
        let secret = SecretString::from(raw.trim().to_owned());
        secrecy::zeroize::Zeroize::zeroize(&mut raw);
        Ok(secret)
    }

    pub(crate) async fn confirm(&self, label: &str, default: bool) -> anyhow::Result<bool> {
        let label = label.to_owned();
        self.ask(move |theme| {
            Confirm::with_theme(theme)
                .with_prompt(label)
                .default(default)
                .wait_for_newline(true)
                .interact()
        })
        .await
    }

    pub(crate) async fn select(
        &self,
        label: &str,
        items: Vec<String>,
        default: usize,
    ) -> anyhow::Result<usize> {
        let label = label.to_owned();
        self.ask(move |theme| {
            Select::with_theme(theme)
                .with_prompt(label)
                .items(&items)
                .default(default)
                .interact()
        })
        .await
    }

    /// Waits for Enter (a step done in the portal).
    pub(crate) async fn pause(&self, label: &str) -> anyhow::Result<()> {
        let label = label.to_owned();
        self.ask(move |theme| {
            Input::<String>::with_theme(theme)
                .with_prompt(label)
                .allow_empty(true)
                .report(false)
                .interact_text()
        })
        .await
        .map(drop)
    }

    /// The platform team, as the approval flow needs it.
    pub(crate) async fn team(&self, printer: &Printer) -> anyhow::Result<String> {
        crate::prompt::say(
            printer,
            "Your team is the name before .pushbot.com in the address you sign in to the platform at \
             (acme for https://acme.pushbot.com).",
        );
        self.text("Your platform team", None, platform_auth::team_domain)
            .await
    }
}

/// The terminal as the prompts found it. Dialoguer hides the cursor in
/// menus and turns echo off for hidden input, and leaves both so when
/// interrupted; dropping this (at the end, or when Ctrl-C drops the run)
/// shows the cursor and restores the line settings saved before the last
/// prompt.
#[derive(Default)]
struct Terminal {
    #[cfg(unix)]
    saved: RefCell<Option<rustix::termios::Termios>>,
    #[cfg(not(unix))]
    saved: RefCell<Option<()>>,
}

impl Terminal {
    fn remember(&self) {
        #[cfg(unix)]
        if let Ok(settings) = rustix::termios::tcgetattr(std::io::stdin()) {
            *self.saved.borrow_mut() = Some(settings);
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(settings) = self.saved.borrow_mut().take() {
            let _ = rustix::termios::tcsetattr(
                std::io::stdin(),
                rustix::termios::OptionalActions::Now,
                &settings,
            );
        }
        let _ = console::Term::stderr().show_cursor();
    }
}

// The prose around the questions: laid out here, printed by the printer.

/// a step of the guide begins (`[2/7] Sign in to the platform`), after a
/// blank line when `spaced`.
pub(crate) fn heading(printer: &Printer, number: usize, of: usize, title: &str, spaced: bool) {
    let text = format!("[{number}/{of}] {title}");
    let text = if printer.color() {
        style(text).bold().cyan().to_string()
    } else {
        text
    };
    if spaced {
        printer.aside("");
    }
    printer.aside(&text);
}

/// a paragraph of explanation, wrapped to the terminal.
pub(crate) fn say(printer: &Printer, text: &str) {
    for line in wrap(text, text_width(), "  ") {
        printer.aside(&line);
    }
}

/// where the same thing lives in the Azure portal or the
/// platform (`Azure portal: Microsoft Entra ID > App registrations`).
pub(crate) fn place(printer: &Printer, site: &str, path: &str) {
    printer.aside(&format!("  {} {path}", dim(printer, &format!("{site}:"))));
}

/// a value it will use without asking, and where it came
/// from (`Name: x (from --app-name)`).
pub(crate) fn shown(printer: &Printer, label: &str, value: &str, source: &str) {
    printer.aside(&format!(
        "  {label}: {value} {}",
        dim(printer, &format!("({source})"))
    ));
}

/// a numbered list (the portal's clicks, in order).
pub(crate) fn numbered(printer: &Printer, items: &[String]) {
    for (i, item) in items.iter().enumerate() {
        hanging(printer, &format!("{:>2}.", i + 1), item);
    }
}

fn dim(printer: &Printer, text: &str) -> String {
    if printer.color() {
        style(text).dim().to_string()
    } else {
        text.to_owned()
    }
}

/// what a run would do, before it asks to go ahead.
pub(crate) fn plan(printer: &Printer, report: &crate::report::Report, changes: bool) {
    printer.aside("");
    if changes {
        let tenant = &report.tenant;
        let directory = match (&tenant.name, &tenant.default_domain) {
            (Some(name), Some(domain)) => format!("{name} ({domain})"),
            (Some(name), None) => name.clone(),
            _ => format!("tenant {}", tenant.id),
        };
        printer.aside(&format!(
            "The plan for {directory} (nothing has been changed yet):"
        ));
        for change in &report.changes {
            hanging(printer, change.op.marker(), &change.message);
        }
    } else {
        printer.aside("Nothing to change: everything is in place.");
    }
    if !report.unchanged.is_empty() {
        printer.aside("Already in place, kept as it is:");
        for kept in &report.unchanged {
            hanging(printer, crate::report::Op::Keep.marker(), &kept.message);
        }
    }
}

/// `  LEAD text…` on stderr, wrapped, the following lines indented under
/// the text.
fn hanging(printer: &Printer, lead: &str, text: &str) {
    let indent = " ".repeat(lead.len() + 3);
    let mut lines = wrap(text, text_width(), &indent).into_iter();
    if let Some(first) = lines.next() {
        printer.aside(&format!("  {lead} {}", first.trim_start()));
    }
    for line in lines {
        printer.aside(&line);
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
