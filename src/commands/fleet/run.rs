//! The command over a fleet file: which file ([`wanted`]), every chosen
//! target checked, then run several at once ([`run`]), the result as one
//! table or document; and `matrix`, the file's targets for GitHub Actions.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::cli::{FleetArgs, MatrixArgs};
use crate::env::{self, Environment};
use crate::output::{Interaction, OutputFormat, Printer};

use super::file::{self, CLIENT_SECRET_ENV, PLATFORM_TOKEN_ENV};
use super::jobs::{Job, check_all, chosen, dry_run, passed_on};
use super::{result, runner};

/// Targets run at once unless `--jobs` says otherwise.
pub(crate) const DEFAULT_JOBS: usize = 4;

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
