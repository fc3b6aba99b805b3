//! Thin: parse, run, print the error chain, exit with its code.

use clap::Parser as _;

fn main() {
    aad_setup::tls::install_provider();
    let cli = aad_setup::cli::Cli::parse();
    std::process::exit(aad_setup::commands::run(cli));
}
