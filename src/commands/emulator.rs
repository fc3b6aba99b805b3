//! `aad-setup emulator`: the built-in emulator on a local port, until Ctrl-C.
//! Prints where it is and the credentials a client should use (they are the
//! emulator's own, not real ones).

use anyhow::Context as _;

use crate::output::Printer;
use crate::report::Outcome;
use crate::settings::EmulatorSettings;
use aad_setup_emulator::{Credentials, Emulator, EmulatorConfig};

pub(crate) async fn run(args: &EmulatorSettings, printer: &Printer) -> anyhow::Result<()> {
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
    printer.result(&Listening {
        base_url: emulator.base_url(),
        login_url: emulator.login_url(),
        graph_url: emulator.graph_url(),
        platform_url: emulator.platform_url(),
        state_url: format!("{}/_emulator/state", emulator.base_url()),
        credentials: emulator.credentials(),
    });
    interrupts.next().await;
    emulator.shutdown().await;
    Ok(())
}

/// Where the emulator listens, and the (emulator's own) credentials.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Listening {
    base_url: String,
    login_url: String,
    graph_url: String,
    platform_url: String,
    state_url: String,
    credentials: Credentials,
}

impl Outcome for Listening {
    fn human(&self, _color: bool) -> Vec<String> {
        let creds = &self.credentials;
        vec![
            format!("Emulator listening on {}", self.base_url),
            String::new(),
            "Point aad-setup at it with:".into(),
            format!("  export AAD_SETUP_LOGIN_URL={}", self.login_url),
            format!("  export AAD_SETUP_GRAPH_URL={}", self.graph_url),
            format!("  export AAD_SETUP_PLATFORM_URL={}", self.platform_url),
            format!("  export AZURE_TENANT_ID={}", creds.tenant_id),
            format!("  export AZURE_CLIENT_ID={}", creds.admin_client_id),
            format!("  export AZURE_CLIENT_SECRET={}", creds.admin_client_secret),
            format!("  export CATALYTIC_TOKEN={}", creds.platform_admin_token),
            String::new(),
            format!("Tenant domain: {}", creds.tenant_domain),
            format!(
                "Read-only app (no write permission): {} / {}",
                creds.reader_client_id, creds.reader_client_secret
            ),
            format!(
                "Platform member token (not an Admin): {}",
                creds.platform_member_token
            ),
            format!("State: {}", self.state_url),
            "Press Ctrl-C to stop.".into(),
        ]
    }
}
