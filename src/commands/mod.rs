//! One module per command: each takes resolved settings and a printer.

pub(crate) mod connect;
#[cfg(feature = "emulator")]
pub(crate) mod demo;
#[cfg(feature = "emulator")]
pub(crate) mod emulator;
pub(crate) mod platform_login;
pub(crate) mod register;
pub(crate) mod remove;
pub(crate) mod rotate;
pub(crate) mod setup;
pub(crate) mod status;
pub(crate) mod wizard;

use crate::cli::{Cli, Command, Given, SetupArgs};
use crate::output::Interaction;
use crate::output::Printer;
use crate::settings;
use crate::stop::{Interrupts, Stop, interrupted};

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let interaction = settings::interaction(&cli.global);
    init_logging(interaction.verbose);
    let printer = Printer::new(&interaction);
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
        return match runtime.block_on(emulator::run(args, &printer)) {
            Ok(()) => 0,
            Err(err) => {
                printer.error(&err);
                crate::error::exit_code(&err)
            }
        };
    }
    let result = runtime.block_on(async {
        let mut interrupts = Interrupts::listen()?;
        let work = dispatch(cli, &interaction, &printer);
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

async fn dispatch(cli: Cli, interaction: &Interaction, printer: &Printer) -> anyhow::Result<()> {
    match cli.command {
        None => setup(&cli.setup, &cli.given, interaction, printer).await,
        Some(Command::Setup(cmd)) => setup(&cmd.args, &cmd.given, interaction, printer).await,
        Some(Command::Register(args)) => register::run(&args, interaction, printer).await,
        Some(Command::Rotate(args)) => rotate::run(&args, interaction, printer).await,
        Some(Command::Connect(args)) => connect::run(&args, printer).await,
        Some(Command::PlatformLogin(args)) => {
            platform_login::run(&args, interaction, printer).await
        }
        Some(Command::Schema(args)) => {
            let (_, schema) = crate::report::SCHEMAS
                .iter()
                .find(|(name, _)| *name == args.name)
                .ok_or_else(|| crate::error::usage(format!("no schema {}", args.name)))?;
            printer.line(schema.trim_end());
            Ok(())
        }
        Some(Command::Status(args)) => status::run(&args, interaction, printer).await,
        Some(Command::Remove(args)) => remove::run(&args, interaction, printer).await,
        #[cfg(feature = "emulator")]
        Some(Command::Demo(args)) => demo::run(&args, interaction, printer).await,
        #[cfg(feature = "emulator")]
        Some(Command::Emulator(_)) => {
            unreachable!("the emulator runs outside the interrupt handler")
        }
    }
}

/// `setup`: the wizard at a terminal, the flags alone elsewhere.
async fn setup(
    args: &SetupArgs,
    given: &Given,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    if interaction.interactive {
        wizard::run(args, given, interaction, printer).await
    } else {
        setup::run(&settings::plan(args, interaction)?, printer).await
    }
}

/// Logs go to stderr. -v: aad-setup's choices and HTTP exchanges; -vv: also
/// query strings. Other crates stay at warnings: their debug output is not
/// vetted for secrets.
fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => "warn",
        1 => "warn,aad_setup=debug",
        _ => "warn,aad_setup=trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && crate::env::var(crate::env::NO_COLOR).is_none(),
        )
        .with_target(false)
        .without_time()
        .try_init();
}
