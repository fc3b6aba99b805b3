//! Each target as a checked run ([`Job`]): the command line and the
//! variables it is given, its keys as the command's flags, every target
//! checked by the command's own settings before any of them runs.

use std::ffi::OsString;

use crate::cli::Command;
use crate::env::{self, Environment};
use crate::output::{Interaction, OutputFormat};
use crate::settings::{
    Plan, RemoveSettings, RotateSettings, SetupSettings, StatusSettings, Supplied,
};

use super::file::{self, CLIENT_SECRET_ENV, FleetFile, PLATFORM_TOKEN_ENV, Setting, Target};
use super::signin;

/// Variables a target's run must not inherit: they would make it a fleet
/// run itself, or change its output.
const NOT_PASSED_ON: &[&str] = &[env::FILE, env::JOBS, env::OUTPUT];

/// One target's run: the command line and the variables it is given.
#[derive(Clone)]
pub(crate) struct Job {
    pub name: String,
    pub argv: Vec<String>,
    pub set: Vec<(&'static str, String)>,
    pub remove: Vec<&'static str>,
    /// The sign-in it shares with the other targets of its tenant and
    /// identity, if any.
    pub shared: Option<std::sync::Arc<signin::Shared>>,
}

/// Whether the command line passed on asks for `--dry-run`.
pub(super) fn dry_run(passed: &[String]) -> bool {
    passed.iter().any(|a| a == "--dry-run")
}

/// The targets `--target` names (all without it); an unknown name is a
/// usage error listing the file's.
pub(super) fn chosen<'a>(file: &'a FleetFile, names: &[String]) -> anyhow::Result<Vec<&'a Target>> {
    if names.is_empty() {
        return Ok(file.targets.iter().collect());
    }
    let mut out = Vec::new();
    for name in names {
        match file.targets.iter().find(|t| &t.name == name) {
            Some(t) if !out.iter().any(|o: &&Target| o.name == t.name) => out.push(t),
            Some(_) => {}
            None => {
                let known: Vec<&str> = file.targets.iter().map(|t| t.name.as_str()).collect();
                return Err(crate::error::usage(format!(
                    "--target {name}: {} has no such target (it has {})",
                    file.path.display(),
                    known.join(", ")
                )));
            }
        }
    }
    Ok(out)
}

/// Each target's run, checked as the single command checks its flags:
/// every problem, with its line, in one usage error (exit 2) before any
/// target runs.
pub(super) fn check_all(
    command: &str,
    file: &FleetFile,
    targets: &[&Target],
    passed: &[String],
    env: &Environment,
) -> anyhow::Result<Vec<Job>> {
    let mut problems = file::Problems {
        file: file.path.display().to_string(),
        text: "",
        found: Vec::new(),
    };
    let mut jobs = Vec::new();
    let mut sign_ins = signin::SignIns::default();
    for target in targets {
        match job(command, target, passed, env) {
            Ok((mut job, env)) => match check(&job, &env) {
                Ok(plan) => {
                    job.shared = plan.and_then(|p| sign_ins.of(p));
                    jobs.push(job);
                }
                Err(message) => {
                    let line = line_for(target, &message);
                    problems.at(line, &format!("target `{}`: {message}", target.name));
                }
            },
            Err((line, message)) => {
                problems.at(line, &format!("target `{}`: {message}", target.name));
            }
        }
    }
    problems.into_result()?;
    // An identity only one target uses signs in with that target's run.
    for job in &mut jobs {
        if job
            .shared
            .as_ref()
            .is_some_and(|s| std::sync::Arc::strong_count(s) <= 2)
        {
            job.shared = None;
        }
    }
    Ok(jobs)
}

/// The line of the key a message names (`--tenant: …`), else the target's.
fn line_for(target: &Target, message: &str) -> usize {
    target
        .entries
        .iter()
        .find(|e| message.contains(&format!("--{}", e.key)))
        .map_or(target.line, |e| e.line)
}

/// A target's run: `COMMAND --no-input --output json` with its keys as
/// flags (those the command has; a flag given on the command line wins)
/// and what was passed on; its secrets from the variables it names. Also
/// the environment that run will see, for the check.
pub(crate) fn job(
    command: &str,
    target: &Target,
    passed: &[String],
    env: &Environment,
) -> Result<(Job, Environment), (usize, String)> {
    let flags = crate::cli::flags_of(command);
    let mut argv = vec![command.to_owned()];
    for entry in &target.entries {
        if !flags.contains(&entry.key) {
            continue;
        }
        let flag = format!("--{}", entry.key);
        if passed
            .iter()
            .any(|a| a == &flag || a.starts_with(&format!("{flag}=")))
        {
            continue;
        }
        match &entry.value {
            Setting::Text(v) => argv.extend([flag, v.clone()]),
            Setting::Switch(true) => argv.push(flag),
            Setting::Switch(false) => {}
            Setting::List(values) => {
                for v in values {
                    argv.extend([flag.clone(), v.clone()]);
                }
            }
        }
    }
    argv.extend(passed.iter().cloned());
    argv.extend(["--no-input", "--output", "json"].map(str::to_owned));
    let mut run_env = NOT_PASSED_ON
        .iter()
        .fold(env.clone(), |e, name| e.without(name));
    let mut job = Job {
        name: target.name.clone(),
        argv,
        set: Vec::new(),
        remove: NOT_PASSED_ON.to_vec(),
        shared: None,
    };
    for (key, var, file_var) in [
        (
            PLATFORM_TOKEN_ENV,
            env::CATALYTIC_TOKEN,
            env::PLATFORM_TOKEN_FILE,
        ),
        (
            CLIENT_SECRET_ENV,
            env::AZURE_CLIENT_SECRET,
            env::CLIENT_SECRET_FILE,
        ),
    ] {
        let Some(entry) = target.get(key) else {
            continue;
        };
        let Setting::Text(name) = &entry.value else {
            continue;
        };
        let Some(value) = env.named(name) else {
            return Err((
                entry.line,
                format!("`{key}` names {name}, which is not set (or is empty)"),
            ));
        };
        run_env = run_env.with_var(var, &value).without(file_var);
        job.set.push((var, value));
        job.remove.push(file_var);
    }
    Ok((job, run_env))
}

/// Checks a run's command line as the single command would: clap, then
/// the command's settings (no network). Returns its plan (how it signs in).
fn check(job: &Job, env: &Environment) -> Result<Option<Plan>, String> {
    let args = std::iter::once("aad-setup".to_owned()).chain(job.argv.iter().cloned());
    let cli = crate::cli::parse_from(args).map_err(|e| {
        let rendered = e.render().to_string();
        let first = rendered.lines().next().unwrap_or("refused").to_owned();
        first.trim_start_matches("error:").trim().to_owned()
    })?;
    let interaction = Interaction {
        format: OutputFormat::Json,
        interactive: false,
        verbose: 0,
        color: false,
        github_actions: false,
        github_output: None,
        github_step_summary: None,
    };
    let resolved = match cli.command {
        Some(Command::Setup(a)) => SetupSettings::resolve(&a, env)
            .and_then(|s| s.plan(&interaction, Supplied::default()))
            .map(Some),
        Some(Command::Status(a)) => {
            StatusSettings::resolve(&a, env, &interaction).map(|s| Some(s.plan))
        }
        Some(Command::Rotate(a)) => {
            RotateSettings::resolve(&a, env, &interaction).map(|s| Some(s.plan))
        }
        Some(Command::Remove(a)) => {
            RemoveSettings::resolve(&a, env, &interaction).map(|s| Some(s.plan))
        }
        _ => Ok(None),
    };
    resolved.map_err(|e| {
        e.chain()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ")
    })
}

/// What the command line gives every target: the typed arguments without
/// the program, the command's name, the fleet's own flags, `--output` and
/// `--no-input` (each run has its own), and `-v`.
pub(crate) fn passed_on(typed: &[OsString], command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut args = typed
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    let mut command_seen = false;
    while let Some(arg) = args.next() {
        if !command_seen && arg == command {
            command_seen = true;
            continue;
        }
        let takes_value = matches!(
            arg.as_str(),
            "-f" | "--file" | "--target" | "--jobs" | "-o" | "--output"
        );
        if takes_value {
            args.next();
            continue;
        }
        let joined = ["--file=", "--target=", "--jobs=", "--output="]
            .iter()
            .any(|p| arg.starts_with(p))
            || (arg.starts_with("-f") || arg.starts_with("-o")) && !arg.starts_with("--");
        let dropped = matches!(arg.as_str(), "--no-input" | "--verbose")
            || (arg.starts_with("-v") && arg.trim_start_matches('-').chars().all(|c| c == 'v'));
        if joined || dropped {
            continue;
        }
        out.push(arg);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn typed(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_fleet_flags_and_output_are_not_passed_on() {
        let passed = passed_on(
            &typed(&[
                "aad-setup",
                "-o",
                "json",
                "status",
                "--file",
                "x.toml",
                "--target",
                "a",
                "-fy.toml",
                "--jobs=3",
                "--warn-within",
                "60d",
                "--no-input",
                "-vv",
                "--dry-run",
            ]),
            "status",
        );
        assert_eq!(passed, ["--warn-within", "60d", "--dry-run"]);
    }

    #[test]
    fn a_targets_keys_become_the_commands_flags() {
        let file = file::parse(
            Path::new("f.toml"),
            "[defaults]\nsecret-expiry = \"90d\"\nadmin-consent = true\n[[target]]\nname = \"a\"\ntenant = \"t.onmicrosoft.com\"\nplatform-token-env = \"TEAM_A\"\n",
        )
        .expect("parses");
        let target = &file.targets[0];
        let env = Environment::default().with_named("TEAM_A", "the-token");
        let passed = ["--warn-within".to_owned(), "60d".to_owned()];
        let (status, run_env) = job("status", target, &passed, &env).expect("a job");
        assert_eq!(
            status.argv,
            [
                "status",
                "--tenant",
                "t.onmicrosoft.com",
                "--warn-within",
                "60d",
                "--no-input",
                "--output",
                "json"
            ]
        );
        assert_eq!(
            run_env.var(env::CATALYTIC_TOKEN).as_deref(),
            Some("the-token")
        );
        assert!(status.remove.contains(&env::FILE));
        let (setup, _) = job("setup", target, &[], &env).expect("a job");
        assert!(
            setup
                .argv
                .windows(2)
                .any(|w| w == ["--secret-expiry", "90d"]),
            "{:?}",
            setup.argv
        );
        assert!(setup.argv.contains(&"--admin-consent".to_owned()));
        let Err((line, message)) = job("setup", target, &[], &Environment::default()) else {
            panic!("TEAM_A is unset: the job must be refused");
        };
        assert_eq!(line, 7);
        assert!(message.contains("TEAM_A"), "{message}");
    }
}
