//! Thin: parse, run, print the error chain, exit with its code.

fn main() {
    aad_setup::tls::install_provider();
    let cli = match aad_setup::cli::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    std::process::exit(aad_setup::commands::run(cli));
}
