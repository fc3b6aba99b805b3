//! `aad-setup emulator`: the built-in emulator on a local port, until Ctrl-C.
//! Prints where it is and the credentials a client should use (they are the
//! emulator's own, not real ones).

use anyhow::Context as _;

use crate::cli::EmulatorArgs;
use crate::emulator::{Emulator, EmulatorConfig};
use crate::output::OutputFormat;
use crate::output::Printer;

pub async fn run(args: &EmulatorArgs, printer: &Printer) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                crate::error::usage(format!("--config: cannot read {}: {e}", path.display()))
            })?;
            serde_json::from_str::<EmulatorConfig>(&text)
                .map_err(|e| crate::error::usage(format!("--config {}: {e}", path.display())))?
        }
        None if args.faults => EmulatorConfig::demo(),
        None => EmulatorConfig::default(),
    };
    if args.port != 0 || config.port == 0 {
        config.port = args.port;
    }
    // Heard before the banner says to press it.
    let mut interrupts = crate::stop::Interrupts::listen()?;
    let emulator = Emulator::start(config)
        .await
        .context("starting the emulator")?;
    let creds = emulator.credentials();
    match printer.format() {
        OutputFormat::Json => printer.json(&serde_json::json!({
            "baseUrl": emulator.base_url(),
            "loginUrl": emulator.login_url(),
            "graphUrl": emulator.graph_url(),
            "platformUrl": emulator.platform_url(),
            "stateUrl": format!("{}/_emulator/state", emulator.base_url()),
            "credentials": creds,
        })),
        OutputFormat::Human => {
            printer.line(&format!("Emulator listening on {}", emulator.base_url()));
            printer.line("");
            printer.line("Point aad-setup at it with:");
            printer.line(&format!(
                "  export AAD_SETUP_LOGIN_URL={}",
                emulator.login_url()
            ));
            printer.line(&format!(
                "  export AAD_SETUP_GRAPH_URL={}",
                emulator.graph_url()
            ));
            printer.line(&format!(
                "  export AAD_SETUP_PLATFORM_URL={}",
                emulator.platform_url()
            ));
            printer.line(&format!("  export AZURE_TENANT_ID={}", creds.tenant_id));
            printer.line(&format!(
                "  export AZURE_CLIENT_ID={}",
                creds.admin_client_id
            ));
            printer.line(&format!(
                "  export AZURE_CLIENT_SECRET={}",
                creds.admin_client_secret
            ));
            printer.line(&format!(
                "  export CATALYTIC_TOKEN={}",
                creds.platform_admin_token
            ));
            printer.line("");
            printer.line(&format!("Tenant domain: {}", creds.tenant_domain));
            printer.line(&format!(
                "Read-only app (no write permission): {} / {}",
                creds.reader_client_id, creds.reader_client_secret
            ));
            printer.line(&format!(
                "Platform member token (not an Admin): {}",
                creds.platform_member_token
            ));
            printer.line(&format!("State: {}/_emulator/state", emulator.base_url()));
            printer.line("Press Ctrl-C to stop.");
        }
    }
    interrupts.next().await;
    emulator.shutdown().await;
    Ok(())
}
