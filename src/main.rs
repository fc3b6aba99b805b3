//! Thin: parse, run, print the error chain, exit with its code.

fn main() {
    aad_setup::tls::install_provider();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match aad_setup::cli::parse_from(args.iter().cloned()) {
        Ok(cli) => cli,
        Err(err) => std::process::exit(aad_setup::commands::refused(err, &args)),
    };
    std::process::exit(aad_setup::commands::run(cli));
}
