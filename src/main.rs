//! Thin: parse, run, print the error chain, exit with its code.

use clap::Parser as _;

fn main() {
    let cli = aad_setup::cli::Cli::parse();
    std::process::exit(aad_setup::commands::run(cli));
}
