//! Many targets from one file: `setup`, `status`, `rotate` and `remove`
//! over a fleet file (`--file`), and `matrix`, the file's targets as a
//! GitHub Actions matrix (README "Many targets from one file").
//!
//! Each target is the single command as it is: its keys become that
//! command's flags, checked by the same parser and settings as typed
//! flags (all targets, before any of them signs in), and the command runs
//! once per target, as its own process of this binary with `--no-input
//! --output json`, several at once (`--jobs`). Each run's JSON document is
//! collected as it is; the result is one table, or one JSON document with
//! a result per target and a summary, and the exit code is the worst
//! target's. One target's failure never stops the others.

#[cfg(feature = "emulator")]
pub(crate) mod demo;
pub(crate) mod file;
mod result;
mod runner;
pub(crate) mod save;
mod signin;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::cli::{Command, FleetArgs, MatrixArgs};
use crate::env::{self, Environment};
use crate::output::{Interaction, OutputFormat, Printer};
use crate::settings::{
    Plan, RemoveSettings, RotateSettings, SetupSettings, StatusSettings, Supplied,
};

use file::{CLIENT_SECRET_ENV, FleetFile, PLATFORM_TOKEN_ENV, Setting, Target};

/// Targets run at once unless `--jobs` says otherwise.
pub(crate) const DEFAULT_JOBS: usize = 4;

/// Variables a target's run must not inherit: they would make it a fleet
/// run itself, or change its output.
const NOT_PASSED_ON: &[&str] = &[env::FILE, env::JOBS, env::OUTPUT];

/// The fleet file a command runs over: `--file`, else `AAD_SETUP_FILE`.
pub(crate) fn wanted(args: &FleetArgs, env: &Environment) -> Option<PathBuf> {
    args.file
        .clone()
        .or_else(|| env.os(env::FILE).map(PathBuf::from))
}

/// Without a fleet file, `--target` and `--jobs` mean nothing: refused
/// rather than ignored (a run meant for one target must not set up the
/// flags' own).
pub(crate) fn single(args: &FleetArgs) -> anyhow::Result<()> {
    match (args.targets.first(), args.jobs) {
        (Some(name), _) => Err(crate::error::usage(format!(
            "--target {name} picks a target of a fleet file: give the file with --file (or {})",
            env::FILE
        ))),
        (None, Some(_)) => Err(crate::error::usage(format!(
            "--jobs is for a fleet file's targets: give the file with --file (or {})",
            env::FILE
        ))),
        (None, None) => Ok(()),
    }
}

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

/// `COMMAND --file PATH`: every (chosen) target, checked first, then run.
pub(crate) async fn run(
    command: &str,
    typed: &[OsString],
    fleet: &FleetArgs,
    path: &Path,
    env: &Environment,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let file = file::load(path)?;
    let targets = chosen(&file, &fleet.targets)?;
    let mut env = env.clone();
    env.read_named(targets.iter().flat_map(|t| {
        [PLATFORM_TOKEN_ENV, CLIENT_SECRET_ENV]
            .into_iter()
            .filter_map(|k| t.text(k))
    }));
    let passed = passed_on(typed, command);
    secrets_handed_on(&passed, targets.len(), &env, interaction)?;
    let jobs = check_all(command, &file, &targets, &passed, &env)?;
    let parallel = match fleet.jobs {
        Some(n) => usize::from(n),
        None => parallel_from(&env)?,
    };
    if command != "status" && !dry_run(&passed) && !env.flag(env::DRY_RUN) {
        // The targets' runs change things: a first Ctrl-C lets the running
        // ones finish (each stops at its own step boundary) and starts no
        // more; a second stops at once.
        crate::stop::Stop::process().begin_changes();
    }
    // The runs share their 429s through a private folder of this run's.
    let throttles = private_dir("aad-setup-throttle")?;
    let jobs: Vec<Job> = jobs
        .into_iter()
        .map(|mut job| {
            job.set
                .push((env::THROTTLE_DIR, throttles.display().to_string()));
            job
        })
        .collect();
    let started = std::time::Instant::now();
    let done = runner::run_all(jobs, parallel, printer).await;
    let _ = std::fs::remove_dir_all(&throttles);
    let dry = dry_run(&passed) || env.flag(env::DRY_RUN);
    let summary = result::Fleet::new(command, dry, done, started.elapsed());
    printer.result(&summary);
    summary.into_exit(interaction.format == OutputFormat::Json)
}

/// A new secret handed on must reach someone: `--secret-file` names one
/// file, so it takes one target; `--show-secret` puts each target's secret
/// in its result, which only the JSON document carries.
fn secrets_handed_on(
    passed: &[String],
    targets: usize,
    env: &Environment,
    interaction: &Interaction,
) -> anyhow::Result<()> {
    let has = |flag: &str| {
        passed
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    if (has("--secret-file") || env.var(env::SECRET_FILE).is_some()) && targets > 1 {
        return Err(crate::error::usage(format!(
            "--secret-file / {} names one file: with --file, choose one target (--target NAME)",
            env::SECRET_FILE
        )));
    }
    if (has("--show-secret") || env.flag(env::SHOW_SECRET))
        && interaction.format != OutputFormat::Json
    {
        return Err(crate::error::usage(
            "with --file, --show-secret needs --output json: each target's secret is in its result",
        ));
    }
    Ok(())
}

/// A new folder under the temporary folder, mode 0700.
pub(crate) fn private_dir(prefix: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(&dir)?;
    Ok(dir)
}

/// `AAD_SETUP_JOBS`, else the default.
fn parallel_from(env: &Environment) -> anyhow::Result<usize> {
    match env.var(env::JOBS) {
        None => Ok(DEFAULT_JOBS),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=64).contains(n))
            .ok_or_else(|| {
                crate::error::usage(format!("{}: a number from 1 to 64, got `{v}`", env::JOBS))
            }),
    }
}

fn dry_run(passed: &[String]) -> bool {
    passed.iter().any(|a| a == "--dry-run")
}

/// The targets `--target` names (all without it); an unknown name is a
/// usage error listing the file's.
fn chosen<'a>(file: &'a FleetFile, names: &[String]) -> anyhow::Result<Vec<&'a Target>> {
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
fn check_all(
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

/// `aad-setup matrix`: `{"include":[{"target":"NAME"},…]}` on stdout.
pub(crate) fn matrix(
    args: &MatrixArgs,
    env: &Environment,
    printer: &Printer,
) -> anyhow::Result<()> {
    let path = args
        .file
        .clone()
        .or_else(|| env.os(env::FILE).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(file::DEFAULT_NAME));
    let file = file::load(&path)?;
    let targets = chosen(&file, &args.targets)?;
    let include: Vec<serde_json::Value> = targets
        .iter()
        .map(|t| serde_json::json!({ "target": t.name }))
        .collect();
    let doc = serde_json::json!({ "include": include });
    printer.line(&serde_json::to_string(&doc).unwrap_or_default());
    Ok(())
}

#[cfg(test)]
mod tests {
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
