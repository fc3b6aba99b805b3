//! One module per command: each takes resolved settings and a printer,
//! and enters the engine ([`crate::engine`]) once with what it wants. No
//! command imports another: what they share is the engine's. `setup` has
//! no module of its own: [`dispatch`] sends it to the wizard at a terminal,
//! else straight to the engine.

pub(crate) mod connect;
#[cfg(feature = "emulator")]
pub(crate) mod demo;
#[cfg(feature = "emulator")]
pub(crate) mod emulator;
pub(crate) mod fleet;
pub(crate) mod platform_login;
pub(crate) mod register;
pub(crate) mod remove;
pub(crate) mod rotate;
pub(crate) mod status;
pub(crate) mod wizard;

use std::io::IsTerminal as _;

use crate::cli::{Cli, Command, SetupArgs};
use crate::env::Environment;
use crate::output::{Interaction, OutputFormat, Printer};
use crate::settings::{
    self, ConnectSettings, PlatformLoginSettings, RegisterSettings, RemoveSettings, RotateSettings,
    SetupSettings, StatusSettings,
};
use crate::stop::{Interrupts, Stop, interrupted};

/// Runs a parsed command line; returns the process exit code. The entry
/// point: the environment is read here, once, and every command's
/// settings are resolved from it before the command runs.
/// A command line clap refused (an unknown flag, a bad value): its message
/// on stderr, exit 2 — and with `--output json` (anywhere on the line, or
/// AAD_SETUP_OUTPUT=json) also the error document on stdout. Help and
/// `--version` print as clap prints them.
pub fn refused(err: clap::Error, args: &[std::ffi::OsString]) -> i32 {
    if !err.use_stderr() {
        err.exit();
    }
    let json = crate::cli::asks_for_json(args).unwrap_or_else(|| {
        Environment::capture()
            .var(crate::env::OUTPUT)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("json"))
    });
    crate::output::refused(&err, json)
}

pub fn run(cli: Cli) -> i32 {
    let environment = Environment::capture();
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let interaction = match settings::interaction(&cli.global, &environment, terminal) {
        Ok(interaction) => interaction,
        Err(err) => {
            let printer = Printer::new(&Interaction {
                format: OutputFormat::Human,
                interactive: false,
                verbose: 0,
                color: false,
                github_actions: false,
                github_output: None,
                github_step_summary: None,
            });
            printer.error(&err);
            return crate::error::exit_code(&err);
        }
    };
    init_logging(interaction.verbose, interaction.color);
    let printer = Printer::new(&interaction);
    if let Some(code) = document(&cli, &environment, &printer) {
        return code;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            printer.error(&anyhow::Error::new(e).context("could not start the async runtime"));
            return 1;
        }
    };
    // The emulator runs until Ctrl-C: for it that is the normal end.
    #[cfg(feature = "emulator")]
    if let Some(Command::Emulator(args)) = &cli.command {
        let result = match settings::EmulatorSettings::resolve(args, &environment) {
            Ok(settings) => runtime.block_on(emulator::run(&settings, &printer)),
            Err(err) => Err(err),
        };
        return match result {
            Ok(()) => 0,
            Err(err) => {
                printer.error(&err);
                crate::error::exit_code(&err)
            }
        };
    }
    let result = runtime.block_on(async {
        let mut interrupts = Interrupts::listen()?;
        let work = dispatch(cli, &environment, &interaction, &printer);
        tokio::pin!(work);
        loop {
            tokio::select! {
                // First, so that Ctrl-C is caught before the first prompt.
                biased;
                () = interrupts.next() => {
                    printer.break_line();
                    if Stop::process().request() {
                        printer.warn("stopping once the step in hand is done, so that nothing is left half-made; press Ctrl-C again to stop at once");
                        continue;
                    }
                    break Err(interrupted().into());
                }
                result = &mut work => break result,
            }
        }
    });
    // A prompt may still be waiting for a line on its thread: do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => 0,
        Err(err) => {
            printer.error(&err);
            crate::error::exit_code(&err)
        }
    }
}

/// The documents a command line may ask for (completions, a schema, the
/// fleet matrix, the manual): printed before any runtime starts. `None`
/// when the command is not one of them; else its exit code.
fn document(cli: &Cli, environment: &Environment, printer: &Printer) -> Option<i32> {
    match &cli.command {
        Some(Command::Completions(args)) => {
            let mut script = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut crate::cli::command(),
                "aad-setup",
                &mut script,
            );
            printer.document(&script);
            Some(0)
        }
        Some(Command::Schema(args)) => Some(
            match crate::report::SCHEMAS
                .iter()
                .find(|(name, _)| *name == args.name)
            {
                Some((_, schema)) => {
                    printer.line(schema.trim_end());
                    0
                }
                None => {
                    let err = crate::error::usage(format!("no schema {}", args.name));
                    printer.error(&err);
                    crate::error::exit_code(&err)
                }
            },
        ),
        Some(Command::Matrix(args)) => Some(match fleet::matrix(args, environment, printer) {
            Ok(()) => 0,
            Err(err) => {
                printer.error(&err);
                crate::error::exit_code(&err)
            }
        }),
        Some(Command::Man) => {
            let mut page = Vec::new();
            Some(
                match clap_mangen::Man::new(crate::cli::command()).render(&mut page) {
                    Ok(()) => {
                        printer.document(&page);
                        0
                    }
                    Err(e) => {
                        printer
                            .error(&anyhow::Error::new(e).context("could not render the manual"));
                        1
                    }
                },
            )
        }
        _ => None,
    }
}

/// Resolves the command's settings, then runs it.
async fn dispatch(
    cli: Cli,
    env: &Environment,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let typed = &cli.typed;
    // `status`, `rotate` and `remove` over a fleet file: each target runs
    // as that command would.
    let over_file = match &cli.command {
        Some(Command::Rotate(a)) => Some(("rotate", &a.fleet)),
        Some(Command::Status(a)) => Some(("status", &a.fleet)),
        Some(Command::Remove(a)) => Some(("remove", &a.fleet)),
        _ => None,
    };
    if let Some((command, args)) = over_file
        && let Some(path) = fleet::wanted(args, env)
    {
        return fleet::run(command, typed, args, &path, env, interaction, printer).await;
    }
    match cli.command {
        None => setup(&cli.setup, typed, env, interaction, printer).await,
        Some(Command::Setup(args)) => setup(&args, typed, env, interaction, printer).await,
        Some(Command::Register(args)) => {
            let settings = RegisterSettings::resolve(&args, env, interaction)?;
            register::run(settings, printer).await
        }
        Some(Command::Rotate(args)) => {
            fleet::single(&args.fleet)?;
            let settings = RotateSettings::resolve(&args, env, interaction)?;
            rotate::run(settings, printer).await
        }
        Some(Command::Connect(args)) => {
            let settings = ConnectSettings::resolve(&args, env)?;
            connect::run(settings, printer).await
        }
        Some(Command::PlatformLogin(args)) => {
            let settings = PlatformLoginSettings::resolve(&args, env)?;
            platform_login::run(settings, interaction, printer).await
        }
        Some(Command::Status(args)) => {
            fleet::single(&args.fleet)?;
            let settings = StatusSettings::resolve(&args, env, interaction)?;
            status::run(settings, printer).await
        }
        Some(Command::Remove(args)) => {
            fleet::single(&args.fleet)?;
            let settings = RemoveSettings::resolve(&args, env, interaction)?;
            remove::run(settings, interaction, printer).await
        }
        #[cfg(feature = "emulator")]
        Some(Command::Demo(args)) if args.fleet => {
            fleet::demo::run(&args, env, interaction, printer).await
        }
        #[cfg(feature = "emulator")]
        Some(Command::Demo(args)) => {
            let settings = settings::DemoSettings::resolve(&args, env);
            demo::run(settings, interaction, printer).await
        }
        #[cfg(feature = "emulator")]
        Some(Command::Emulator(_)) => {
            unreachable!("the emulator runs outside the interrupt handler")
        }
        Some(Command::Completions(_) | Command::Man | Command::Schema(_) | Command::Matrix(_)) => {
            unreachable!("documents are printed before the runtime starts")
        }
    }
}

/// `setup`: the wizard at a terminal, the flags alone elsewhere.
async fn setup(
    args: &SetupArgs,
    typed: &[std::ffi::OsString],
    env: &Environment,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    if let Some(path) = fleet::wanted(&args.fleet, env) {
        return fleet::run(
            "setup",
            typed,
            &args.fleet,
            &path,
            env,
            interaction,
            printer,
        )
        .await;
    }
    fleet::single(&args.fleet)?;
    let settings = SetupSettings::resolve(args, env)?;
    let result = if interaction.interactive {
        wizard::run(settings, interaction, printer).await
    } else {
        let plan = settings.plan(interaction, settings::Supplied::default())?;
        crate::engine::run(crate::engine::Job::Setup(&plan), printer).await
    };
    let in_place = match &result {
        Ok(()) => true,
        Err(err) => crate::error::kind(err) == crate::error::Kind::NeedsAttention,
    };
    if let (Some(path), true, false) = (&args.save, in_place, args.change.dry_run) {
        let entries = fleet::save::entries(args, env);
        match fleet::save::save(path, &entries) {
            Ok(name) => {
                printer.step("Saved", &format!("target `{name}` in {}", path.display()));
                if interaction.interactive {
                    printer.warn("the target holds the flags and variables this run was given, not the answers typed in the wizard: check it, or give those as flags with --save");
                }
            }
            Err(err) => printer.warn(&format!("the target was not saved: {err:#}")),
        }
    }
    result
}

/// Logs go to stderr. -v: aad-setup's choices and HTTP exchanges; -vv: also
/// query strings. Other crates stay at warnings: their debug output is not
/// vetted for secrets.
fn init_logging(verbose: u8, color: bool) {
    let filter = match verbose {
        0 => "warn",
        1 => "warn,aad_setup=debug",
        _ => "warn,aad_setup=trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()) && color)
        .with_target(false)
        .without_time()
        .try_init();
}
