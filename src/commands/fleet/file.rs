//! The fleet file: what should exist, per team and tenant, checked into
//! git with no secret in it (README "Many targets from one file").
//!
//! TOML: a `[defaults]` table and one `[[target]]` per target, each with a
//! `name`. The other keys are `setup`'s long flag names, a value as the
//! flag takes it (a string; `true`/`false` for a switch; a string or a list
//! for a repeatable flag). Secrets are named, never written:
//! `platform-token-file` (a path, or a name under ~/.catalytic/tokens/),
//! `platform-token-env` and `client-secret-env` (a variable's name). A bad
//! key or value is an error with its line, before anything signs in.

use std::path::{Path, PathBuf};

use toml_edit::{ImDocument, Item, TableLike, Value};

use crate::cli::{Cmd, Flag};

/// The file's default name.
pub(crate) const DEFAULT_NAME: &str = "aad-setup.toml";

/// Keys that name a variable holding a secret (not flags of their own).
pub(crate) const PLATFORM_TOKEN_ENV: &str = "platform-token-env";
pub(crate) const CLIENT_SECRET_ENV: &str = "client-secret-env";

/// `setup`'s flags that are not a target's: how a run is shown or driven,
/// or where a secret would be written. Given on the command line, they
/// apply to every target of the run.
const NOT_IN_THE_FILE: &[Flag] = &[
    Flag::File,
    Flag::Target,
    Flag::Jobs,
    Flag::Save,
    Flag::DryRun,
    Flag::Explain,
    Flag::ShowSecret,
    Flag::SecretFile,
    Flag::Rotate,
    Flag::Replace,
    Flag::Reclaim,
    Flag::Output,
    Flag::NoInput,
    Flag::Verbose,
    Flag::StateDir,
];

/// Whether `key` is one of [`NOT_IN_THE_FILE`], or clap's own `--help`
/// and `--version`.
fn not_in_the_file(key: &str) -> bool {
    matches!(key, "help" | "version")
        || Flag::find(Cmd::Setup, key).is_some_and(|flag| NOT_IN_THE_FILE.contains(&flag))
}

/// One key of a target, after `[defaults]` were merged in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub value: Setting,
    /// Its line in the file (1-based).
    pub line: usize,
}

/// A key's value, as the flag takes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Setting {
    Text(String),
    Switch(bool),
    List(Vec<String>),
}

/// One `[[target]]`: its name, its line and its keys (its own, then the
/// defaults it does not override), secrets by name only.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub name: String,
    pub line: usize,
    pub entries: Vec<Entry>,
}

impl Target {
    /// The value of a key, if the target (or the defaults) sets it.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// A text key's value.
    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        match self.get(key).map(|e| &e.value) {
            Some(Setting::Text(t)) => Some(t),
            _ => None,
        }
    }
}

/// A parsed, checked fleet file.
#[derive(Debug, Clone)]
pub(crate) struct FleetFile {
    pub path: PathBuf,
    pub targets: Vec<Target>,
}

/// How a flag takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    Text,
    Switch,
    List,
}

/// The keys a target may have, and how each takes its value.
fn keys() -> Vec<(String, Shape)> {
    let command = crate::cli::command();
    let Some(setup) = command.find_subcommand("setup") else {
        return Vec::new();
    };
    let mut keys: Vec<(String, Shape)> = setup
        .get_arguments()
        .chain(command.get_arguments().filter(|a| a.is_global_set()))
        .filter_map(|arg| {
            let long = arg.get_long()?;
            if not_in_the_file(long) {
                return None;
            }
            let shape = if !arg.get_action().takes_values() {
                Shape::Switch
            } else if matches!(arg.get_action(), clap::ArgAction::Append) {
                Shape::List
            } else {
                Shape::Text
            };
            Some((long.to_owned(), shape))
        })
        .collect();
    keys.push((PLATFORM_TOKEN_ENV.to_owned(), Shape::Text));
    keys.push((CLIENT_SECRET_ENV.to_owned(), Shape::Text));
    keys.sort();
    keys.dedup();
    keys
}

/// The names a target's keys may have (for the schema and messages).
#[cfg(test)]
pub(crate) fn key_names() -> Vec<String> {
    keys().into_iter().map(|(k, _)| k).collect()
}

/// Which keys are switches (for the schema).
#[cfg(test)]
pub(crate) fn is_switch(key: &str) -> bool {
    keys()
        .iter()
        .any(|(k, shape)| k == key && *shape == Shape::Switch)
}

/// Which keys are lists (for the schema).
#[cfg(test)]
pub(crate) fn is_list(key: &str) -> bool {
    keys()
        .iter()
        .any(|(k, shape)| k == key && *shape == Shape::List)
}

/// Reads and checks the file at `path`. Every problem found is in the
/// error (a usage error, exit 2), each with its line.
pub(crate) fn load(path: &Path) -> anyhow::Result<FleetFile> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        crate::error::usage(format!(
            "cannot read the fleet file {}: {e}",
            path.display()
        ))
    })?;
    parse(path, &text)
}

/// Parses and checks a fleet file's text.
pub(crate) fn parse(path: &Path, text: &str) -> anyhow::Result<FleetFile> {
    let shown = path.display().to_string();
    let doc = ImDocument::parse(text.to_owned()).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        crate::error::usage(format!(
            "{shown}:{line}: not valid TOML: {}",
            e.message().trim()
        ))
    })?;
    let mut problems = Problems {
        file: shown,
        text,
        found: Vec::new(),
    };
    let keys = keys();
    let root = doc.as_table();
    let mut defaults = Vec::new();
    let mut targets = Vec::new();
    for (key, item) in root.iter() {
        let line = root
            .get_key_value(key)
            .and_then(|(k, _)| k.span())
            .map_or(1, |s| line_of(text, s.start));
        match (key, item) {
            ("defaults", item) if item.is_table_like() => {
                let table = item.as_table_like().expect("a table");
                defaults = entries(table, &keys, &mut problems, false);
            }
            ("target", Item::ArrayOfTables(list)) => {
                for table in list.iter() {
                    let at = table
                        .span()
                        .or_else(|| table.iter().next().and_then(|(_, i)| i.span()))
                        .map_or(line, |s| line_of(text, s.start));
                    let own = entries(table, &keys, &mut problems, true);
                    targets.push((at, own));
                }
            }
            ("defaults", _) => problems.at(line, "`defaults` must be a table: [defaults]"),
            ("target", _) => problems.at(line, "`target` must be a list of tables: [[target]]"),
            (other, _) => problems.at(
                line,
                &format!(
                    "unknown table or key `{other}`: the file has [defaults] and [[target]] tables"
                ),
            ),
        }
    }
    let targets = merge(targets, &defaults, &mut problems);
    if targets.is_empty() && problems.found.is_empty() {
        problems.at(1, "no [[target]] in the file");
    }
    problems.into_result()?;
    Ok(FleetFile {
        path: path.to_owned(),
        targets,
    })
}

/// Each target with the defaults it does not set itself; its name checked
/// and unique; no two targets sharing one app in one tenant.
fn merge(
    targets: Vec<(usize, Vec<Entry>)>,
    defaults: &[Entry],
    problems: &mut Problems,
) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    for (line, own) in targets {
        let name = match own.iter().find(|e| e.key == "name") {
            Some(Entry {
                value: Setting::Text(name),
                line,
                ..
            }) => {
                if !valid_name(name) {
                    problems.at(
                        *line,
                        &format!("target name `{name}`: use letters, digits, `.`, `_` and `-`"),
                    );
                }
                name.clone()
            }
            _ => {
                problems.at(line, "a [[target]] needs a `name`");
                continue;
            }
        };
        if let Some(first) = out.iter().find(|t| t.name == name) {
            problems.at(
                line,
                &format!(
                    "a second target named `{name}` (the first is on line {})",
                    first.line
                ),
            );
        }
        let mut entries: Vec<Entry> = own.into_iter().filter(|e| e.key != "name").collect();
        for d in defaults {
            if !entries.iter().any(|e| e.key == d.key) {
                entries.push(d.clone());
            }
        }
        out.push(Target {
            name,
            line,
            entries,
        });
    }
    for (i, a) in out.iter().enumerate() {
        for b in &out[..i] {
            let same = |key: &str| {
                a.text(key).map(str::to_ascii_lowercase) == b.text(key).map(str::to_ascii_lowercase)
            };
            if a.get("app-id").is_none()
                && b.get("app-id").is_none()
                && same("tenant")
                && same("app-name")
                && same("login-url")
            {
                problems.at(
                    a.line,
                    &format!(
                        "targets `{}` and `{}` would share one app in one tenant: give each its own `app-name`",
                        b.name, a.name
                    ),
                );
            }
            let team = |t: &Target| {
                t.text("platform-token-env")
                    .or_else(|| t.text("platform-token-file"))
                    .map(str::to_owned)
            };
            if same("platform-url")
                && team(a) == team(b)
                && same("connection-name")
                && same("integration")
            {
                problems.at(
                    a.line,
                    &format!(
                        "targets `{}` and `{}` would share one connection of one team: give each its own `connection-name`",
                        b.name, a.name
                    ),
                );
            }
        }
    }
    out
}

/// The keys of one table, checked.
fn entries(
    table: &dyn TableLike,
    keys: &[(String, Shape)],
    problems: &mut Problems,
    target: bool,
) -> Vec<Entry> {
    let mut out = Vec::new();
    for (key, item) in table.iter() {
        let line = table
            .get_key_value(key)
            .and_then(|(k, _)| k.span())
            .or_else(|| item.span())
            .map_or(1, |s| problems.line(s.start));
        let shape = if key == "name" && target {
            Some(Shape::Text)
        } else {
            keys.iter().find(|(k, _)| k == key).map(|(_, s)| *s)
        };
        let Some(shape) = shape else {
            let hint = if not_in_the_file(key) {
                format!("`{key}` is given on the command line, not in the file")
            } else if key == "name" {
                "`name` belongs to a [[target]]".to_owned()
            } else if key.contains('_') || key.chars().any(|c| c.is_ascii_uppercase()) {
                format!(
                    "keys are setup's long flag names, like `{}`",
                    key.replace('_', "-").to_ascii_lowercase()
                )
            } else {
                "keys are setup's long flag names (`aad-setup schema file` lists them)".to_owned()
            };
            problems.at(line, &format!("unknown key `{key}`: {hint}"));
            continue;
        };
        let Some(value) = setting(item, shape) else {
            let wanted = match shape {
                Shape::Text => "a string",
                Shape::Switch => "true or false",
                Shape::List => "a string or a list of strings",
            };
            problems.at(line, &format!("`{key}` must be {wanted}"));
            continue;
        };
        if let Some(why) = secret_in(key, &value) {
            problems.at(line, &why);
            continue;
        }
        out.push(Entry {
            key: key.to_owned(),
            value,
            line,
        });
    }
    out
}

/// The value of an item as a flag of this shape takes it.
fn setting(item: &Item, shape: Shape) -> Option<Setting> {
    let value = item.as_value()?;
    match (shape, value) {
        (Shape::Text, Value::String(s)) => Some(Setting::Text(s.value().clone())),
        (Shape::List, Value::String(s)) => Some(Setting::List(vec![s.value().clone()])),
        (Shape::List, Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Setting::List),
        (Shape::Switch, Value::Boolean(b)) => Some(Setting::Switch(*b.value())),
        _ => None,
    }
}

/// Why a key's value may not be in the file: it holds a secret's value, or
/// a `-env` key does not hold a variable's name.
fn secret_in(key: &str, value: &Setting) -> Option<String> {
    let texts: Vec<&str> = match value {
        Setting::Text(t) => vec![t.as_str()],
        Setting::List(l) => l.iter().map(String::as_str).collect(),
        Setting::Switch(_) => Vec::new(),
    };
    for text in texts {
        if key.ends_with("-env") {
            if !is_variable_name(text) {
                return Some(format!(
                    "`{key}` names a variable (like TEAM_A_TOKEN), and `{}` is not a variable's name{}",
                    if looks_like_a_secret(text) || looks_like_a_token(text) {
                        "[redacted]"
                    } else {
                        text
                    },
                    if looks_like_a_secret(text) || looks_like_a_token(text) {
                        ": it looks like a secret's value, which never goes in the file"
                    } else {
                        ""
                    }
                ));
            }
        } else if looks_like_a_token(text) || (!key.ends_with("-file") && looks_like_a_secret(text))
        {
            return Some(format!(
                "`{key}` holds what looks like a secret's value (shown as [redacted]); the file names secrets, never holds them: use `platform-token-env`, `client-secret-env` or a `-file` key"
            ));
        }
    }
    None
}

/// A bearer token: a JWT, or a platform token (base64 of
/// `id:secret:team:environment`).
pub(crate) fn looks_like_a_token(text: &str) -> bool {
    use base64::Engine as _;
    let t = text.trim();
    if t.starts_with("eyJ") && t.matches('.').count() == 2 && !t.contains(char::is_whitespace) {
        return true;
    }
    if t.len() >= 24 && !t.contains(char::is_whitespace) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(t)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(t))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t));
        if let Ok(bytes) = decoded {
            if let Ok(s) = std::str::from_utf8(&bytes) {
                return s.matches(':').count() >= 2;
            }
        }
    }
    false
}

/// A client secret or an API key: long, no spaces, not a URL, a GUID or a
/// domain, and a mix of cases and digits (Entra's secrets also carry `~`).
pub(crate) fn looks_like_a_secret(text: &str) -> bool {
    let t = text.trim();
    if t.len() < 32 || t.contains(char::is_whitespace) || t.contains("://") {
        return false;
    }
    if uuid::Uuid::parse_str(t).is_ok() {
        return false;
    }
    let upper = t.chars().any(|c| c.is_ascii_uppercase());
    let lower = t.chars().any(|c| c.is_ascii_lowercase());
    let digit = t.chars().any(|c| c.is_ascii_digit());
    (upper && lower && digit) || (t.contains('~') && digit)
}

fn is_variable_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A target's name: safe in a matrix, a job's name and a path.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// The problems found in a file, each with its line.
pub(crate) struct Problems<'a> {
    pub file: String,
    pub text: &'a str,
    pub found: Vec<(usize, String)>,
}

impl Problems<'_> {
    fn line(&self, offset: usize) -> usize {
        line_of(self.text, offset)
    }

    pub(crate) fn at(&mut self, line: usize, message: &str) {
        self.found.push((line, message.to_owned()));
    }

    /// One usage error listing every problem (exit 2), or nothing.
    pub(crate) fn into_result(mut self) -> anyhow::Result<()> {
        if self.found.is_empty() {
            return Ok(());
        }
        self.found.sort_by_key(|(line, _)| *line);
        let lines: Vec<String> = self
            .found
            .iter()
            .map(|(line, m)| format!("{}:{line}: {m}", self.file))
            .collect();
        Err(crate::error::Failure::new(crate::error::Kind::Usage, lines.join("\n"))
            .with_hint("nothing was signed in to or changed; `aad-setup schema file` describes the file")
            .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> anyhow::Result<FleetFile> {
        parse(Path::new("f.toml"), text)
    }

    #[test]
    fn defaults_fill_what_a_target_leaves_out() {
        let file = parsed(
            "[defaults]\nplatform-url = \"https://p.example\"\napp-name = \"a\"\n\n[[target]]\nname = \"one\"\ntenant = \"contoso.onmicrosoft.com\"\n\n[[target]]\nname = \"two\"\ntenant = \"contoso.onmicrosoft.com\"\napp-name = \"b\"\nconnection-name = \"B\"\nadmin-consent = true\nfield = [\"tenant=Tenant\"]\n",
        )
        .expect("a good file");
        assert_eq!(file.targets.len(), 2);
        assert_eq!(file.targets[0].text("app-name"), Some("a"));
        assert_eq!(file.targets[1].text("app-name"), Some("b"));
        assert_eq!(file.targets[1].line, 9);
        assert_eq!(
            file.targets[1].get("admin-consent").map(|e| &e.value),
            Some(&Setting::Switch(true))
        );
        assert_eq!(
            file.targets[1].get("field").map(|e| &e.value),
            Some(&Setting::List(vec!["tenant=Tenant".into()]))
        );
    }

    #[test]
    fn a_bad_key_or_value_is_named_with_its_line() {
        let err = parsed(
            "[[target]]\nname = \"one\"\ntenat = \"x\"\nadmin-consent = \"yes\"\ndry-run = true\n",
        )
        .expect_err("refused")
        .to_string();
        assert!(err.contains("f.toml:3: unknown key `tenat`"), "{err}");
        assert!(
            err.contains("f.toml:4: `admin-consent` must be true or false"),
            "{err}"
        );
        assert!(err.contains("f.toml:5: unknown key `dry-run`"), "{err}");
        let err = parsed("[[target]]\ntenant = \"x\"\n")
            .expect_err("refused")
            .to_string();
        assert!(err.contains("needs a `name`"), "{err}");
        let err = parsed("[[target]]\nname = \"a\"\n[[target]]\nname = \"a\"\n")
            .expect_err("refused")
            .to_string();
        assert!(err.contains("f.toml:3: a second target named `a`"), "{err}");
        let err = parsed("name = [\n").expect_err("refused").to_string();
        assert!(err.contains("not valid TOML"), "{err}");
    }

    #[test]
    fn a_secrets_value_is_refused_and_not_repeated() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        let entra = "Abc8Q~Zq0r1Sx2Ty3Uz4Va5Wb6Xc7Yd8Ze9Afz0";
        for (key, value) in [
            ("platform-token-file", jwt),
            ("app-name", entra),
            ("platform-token-env", jwt),
            ("client-secret-env", entra),
            (
                "tenant",
                "YWJjZDEyMzQ6c2VjcmV0c2VjcmV0OmFjbWUucHVzaGJvdC5jb206djE=",
            ),
        ] {
            let err = parsed(&format!("[[target]]\nname = \"a\"\n{key} = \"{value}\"\n"))
                .expect_err("refused")
                .to_string();
            assert!(err.contains("f.toml:3:"), "{err}");
            assert!(err.contains("secret"), "{err}");
            assert!(!err.contains(value), "the value is repeated: {err}");
        }
        let ok = parsed(
            "[[target]]\nname = \"a\"\napp-name = \"workflow-activedirectory-integration\"\ntenant = \"4a1c0f7e-52b6-4f7b-9a55-2d0a8f1e3c11\"\nplatform-token-env = \"TEAM_A_TOKEN\"\nplatform-token-file = \"acme\"\n",
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn two_targets_may_not_share_an_app_or_a_connection() {
        let err = parsed(
            "[defaults]\ntenant = \"t\"\n[[target]]\nname = \"a\"\n[[target]]\nname = \"b\"\n",
        )
        .expect_err("refused")
        .to_string();
        assert!(err.contains("would share one app"), "{err}");
        let err = parsed(
            "[[target]]\nname = \"a\"\ntenant = \"t\"\n[[target]]\nname = \"b\"\ntenant = \"u\"\n",
        )
        .expect_err("refused")
        .to_string();
        assert!(err.contains("would share one connection"), "{err}");
        assert!(
            parsed("[[target]]\nname = \"a\"\ntenant = \"t\"\n[[target]]\nname = \"b\"\ntenant = \"u\"\nplatform-token-file = \"other\"\n")
                .is_ok()
        );
    }
}

#[cfg(test)]
mod schema_tests {
    /// `aad-setup schema file` lists exactly the keys the file takes, each
    /// with its type.
    #[test]
    fn the_published_schema_matches_the_keys() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schema/file.json")).expect("JSON");
        let props = schema["properties"]["defaults"]["properties"]
            .as_object()
            .expect("defaults' keys");
        let listed: Vec<&String> = props.keys().collect();
        let keys = super::key_names();
        assert_eq!(listed, keys.iter().collect::<Vec<_>>());
        for key in &keys {
            let boolean = props[key.as_str()]["type"] == "boolean";
            assert_eq!(boolean, super::is_switch(key), "{key}");
            assert_eq!(
                props[key.as_str()].get("oneOf").is_some(),
                super::is_list(key),
                "{key}"
            );
        }
    }
}
