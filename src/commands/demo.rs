//! `aad-setup demo`: the whole setup against the built-in emulator, so a
//! newcomer sees every step work with no tenant and no platform account.
//!
//! The emulator runs in-process on an ephemeral loopback port, with
//! replication delay and throttling on (unless `--no-faults`), so the retries
//! a real tenant needs are part of what the demo shows.

use secrecy::SecretString;

use crate::cli::{AuthChoice, CloudChoice};
use crate::env::Environment;
use crate::guide;
use crate::output::Interaction;
use crate::output::Printer;
use crate::settings::{DemoSettings, Inputs, SetupSettings, Supplied};
use aad_setup_emulator::{Emulator, EmulatorConfig};

pub(crate) async fn run(
    settings: DemoSettings,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let config = if !settings.faults {
        EmulatorConfig::default()
    } else {
        EmulatorConfig::demo()
    };
    let emulator = Emulator::start(config).await?;
    let creds = emulator.credentials();
    printer.info(&format!(
        "Built-in emulator at {} (Entra, Microsoft Graph and the platform; {}).",
        emulator.base_url(),
        if !settings.faults {
            "no faults"
        } else {
            "replication delay and throttling on"
        }
    ));
    printer.info(&format!(
        "Demo tenant {} ({}), platform team {}.",
        creds.tenant_id, creds.tenant_domain, creds.platform_team
    ));

    // The demo's credentials travel as files, like a pipeline's would.
    let dir = tempfile_dir()?;
    let secret_file = dir.join("client-secret");
    let token_file = dir.join("platform-token");
    crate::secret_file::write_new(
        &secret_file,
        &SecretString::from(creds.admin_client_secret.clone()),
    )?;
    crate::secret_file::write_new(
        &token_file,
        &SecretString::from(creds.platform_admin_token.clone()),
    )?;

    // The guide's values, whatever the environment says: it is the demo.
    let mut inputs = Inputs::guide(&Environment::default());
    inputs.auth = AuthChoice::ClientSecret;
    inputs.tenant = Some(creds.tenant_id.clone());
    inputs.client_id = Some(creds.admin_client_id.clone());
    inputs.client_secret_file = Some(secret_file);
    inputs.cloud = Some(CloudChoice::Public);
    inputs.login_url = Some(emulator.login_url());
    inputs.graph_url = Some(emulator.graph_url());
    inputs.platform_url = emulator.platform_url();
    inputs.platform_token_file = Some(token_file.display().to_string());
    inputs.show_secret = settings.show_secret;
    inputs.admin_consent = true;
    inputs.state_dir = Some(dir.join("state"));
    let plan = SetupSettings { inputs }.plan(interaction, Supplied::default())?;
    let result = crate::engine::run(crate::engine::Job::Setup(&plan), printer).await;
    let snapshot = emulator.snapshot();
    let _ = std::fs::remove_dir_all(&dir);
    emulator.shutdown().await;
    result?;
    printer.info(&format!(
        "Emulator state afterwards: {} app registration(s) named {}, {} platform connection(s); {} requests, {} throttled (429) and {} that met replication delay, all ridden out.",
        snapshot
            .applications
            .iter()
            .filter(|a| a.display_name == guide::APP_NAME)
            .count(),
        guide::APP_NAME,
        snapshot.connections.len(),
        snapshot.requests.log.len(),
        snapshot.requests.throttled,
        snapshot.requests.replication_misses,
    ));
    printer
        .info("Run it for real with `aad-setup setup --dry-run` first; see README \"Real use\".");
    Ok(())
}

/// A private temporary folder for the demo's credential files.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("aad-setup-demo-{}", uuid::Uuid::new_v4()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(&dir)?;
    Ok(dir)
}
