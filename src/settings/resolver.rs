//! Flag > variable > default, one flag at a time, remembering where each
//! value came from. The variable and the default of each flag, and which
//! commands take it, come from the table the help shows ([`Flag`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::cli::{Cmd, Flag};
use crate::env::Environment;
use crate::error::usage;

/// Where a value came from: the wizard shows it beside a value it does not
/// ask for, and `-v` logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// The command line (`--app-name`).
    Flag(Flag),
    /// An environment variable.
    Variable(&'static str),
    /// The flag's default.
    Default,
    /// Typed at the wizard's prompt.
    Prompt,
}

impl Source {
    /// Given by the user (a flag or a variable), not a default or an answer.
    pub(crate) fn is_given(&self) -> bool {
        matches!(self, Source::Flag(_) | Source::Variable(_))
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "{flag}"),
            Source::Variable(var) => f.write_str(var),
            Source::Default => f.write_str("the default"),
            Source::Prompt => f.write_str("your answer"),
        }
    }
}

/// Each flag's source, for messages: a bad value names where it came from.
pub(crate) type Sources = BTreeMap<Flag, Source>;

/// What names `flag`'s value in a message: the variable it came from, when
/// it came from one (the person never typed the flag), else the flag.
pub(crate) fn named(sources: &Sources, flag: Flag) -> String {
    match sources.get(&flag) {
        Some(Source::Variable(var)) => (*var).to_owned(),
        _ => flag.to_string(),
    }
}

/// Resolves a command's flags. A flag the command does not take takes its
/// default, never its variable: `AAD_SETUP_API` is setup's, and `remove`
/// does not read it.
pub(crate) struct Resolver<'a> {
    /// `None`: only the options every command takes.
    command: Option<Cmd>,
    env: &'a Environment,
    pub(super) sources: Sources,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(command: Cmd, env: &'a Environment) -> Resolver<'a> {
        Resolver {
            command: Some(command),
            env,
            sources: Sources::new(),
        }
    }

    /// For the options every command takes, before the command is known.
    pub(crate) fn global(env: &'a Environment) -> Resolver<'a> {
        Resolver {
            command: None,
            env,
            sources: Sources::new(),
        }
    }

    fn takes(&self, flag: Flag) -> bool {
        match self.command {
            Some(command) => flag.on(command),
            None => flag.on_every_command(),
        }
    }

    /// The flag's variable and its value, if the command takes the flag
    /// and the variable is set.
    pub(crate) fn variable(&self, flag: Flag) -> Option<(&'static str, String)> {
        if !self.takes(flag) {
            return None;
        }
        let var = flag.variable()?;
        self.env.var(var).map(|v| (var, v))
    }

    /// A text value: the flag, else its variable, else its default.
    pub(crate) fn text(&mut self, flag: Flag, given: Option<&str>) -> Option<String> {
        let (value, source) = match (given, self.variable(flag)) {
            (Some(v), _) => (v.to_owned(), Source::Flag(flag)),
            (None, Some((var, v))) => (v, Source::Variable(var)),
            (None, None) => (flag.default()?.to_owned(), Source::Default),
        };
        self.sources.insert(flag, source);
        Some(value)
    }

    /// Where `flag`'s value came from, in a message.
    pub(crate) fn named(&self, flag: Flag) -> String {
        named(&self.sources, flag)
    }

    /// A value that has a default (in the [`Flag`] table).
    pub(crate) fn required(&mut self, flag: Flag, given: Option<&str>) -> String {
        self.text(flag, given).unwrap_or_default()
    }

    pub(crate) fn path(&mut self, flag: Flag, given: Option<&Path>) -> Option<PathBuf> {
        let given = given.map(|p| p.to_string_lossy().into_owned());
        self.text(flag, given.as_deref()).map(PathBuf::from)
    }

    /// A switch: on by the flag, else by its variable (`1`, `true`…).
    pub(crate) fn switch(&mut self, flag: Flag, given: bool) -> bool {
        let var = flag.variable().filter(|_| self.takes(flag));
        let (on, source) = if given {
            (true, Source::Flag(flag))
        } else if let Some(var) = var.filter(|v| self.env.var(v).is_some()) {
            (self.env.flag(var), Source::Variable(var))
        } else {
            (false, Source::Default)
        };
        self.sources.insert(flag, source);
        on
    }

    /// One of a flag's possible values, spelled as the flag takes it.
    pub(crate) fn choice<T: ValueEnum + Clone>(
        &mut self,
        flag: Flag,
        given: Option<T>,
    ) -> anyhow::Result<T> {
        if let Some(value) = given {
            self.sources.insert(flag, Source::Flag(flag));
            return Ok(value);
        }
        let raw = self.required(flag, None);
        T::from_str(&raw, true).map_err(|_| {
            let accepted: Vec<String> = T::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value())
                .map(|v| v.get_name().to_owned())
                .collect();
            usage(format!(
                "{}: '{raw}' is not one of {}",
                self.sources
                    .get(&flag)
                    .map_or_else(|| flag.to_string(), ToString::to_string),
                accepted.join(", ")
            ))
        })
    }

    /// A choice given by its flag or variable, else `None` (not its
    /// default): `--cloud` left out lets AZURE_AUTHORITY_HOST imply one.
    pub(crate) fn choice_given<T: ValueEnum + Clone>(
        &mut self,
        flag: Flag,
        given: Option<T>,
    ) -> anyhow::Result<Option<T>> {
        if given.is_none() && self.variable(flag).is_none() {
            self.sources.insert(flag, Source::Default);
            return Ok(None);
        }
        self.choice(flag, given).map(Some)
    }

    /// A repeatable flag; its variable is a comma-separated list.
    pub(crate) fn list(&mut self, flag: Flag, given: &[String]) -> Vec<String> {
        if !given.is_empty() {
            self.sources.insert(flag, Source::Flag(flag));
            return given.to_vec();
        }
        match self.variable(flag) {
            Some((var, v)) => {
                self.sources.insert(flag, Source::Variable(var));
                v.split(',').map(|s| s.trim().to_owned()).collect()
            }
            None => Vec::new(),
        }
    }

    /// A number within `range`.
    pub(crate) fn number<T>(
        &mut self,
        flag: Flag,
        given: Option<T>,
        range: std::ops::RangeInclusive<T>,
    ) -> anyhow::Result<T>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let raw = self.required(flag, given.map(|g| g.to_string()).as_deref());
        raw.trim()
            .parse::<T>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                usage(format!(
                    "{}: '{raw}' is not a number from {} to {}",
                    self.sources[&flag],
                    range.start(),
                    range.end()
                ))
            })
    }
}
