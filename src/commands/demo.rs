//! `aad-setup demo`: the whole setup against the built-in emulator, so a
//! newcomer sees every step work with no tenant and no platform account.
//!
//! The emulator runs in-process on an ephemeral loopback port, with
//! replication delay and throttling on (unless `--no-faults`), so the retries
//! a real tenant needs are part of what the demo shows.

use secrecy::SecretString;

use crate::cli::{
    AppArgs, AuthChoice, CloudChoice, DemoArgs, MicrosoftArgs, PlatformArgs, SecretArgs, SetupArgs,
};
use crate::guide;
use crate::output::Interaction;
use crate::output::Printer;
use crate::settings;
use aad_setup_emulator::{Emulator, EmulatorConfig};

pub(crate) async fn run(
    args: &DemoArgs,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let config = if args.no_faults {
        EmulatorConfig::default()
    } else {
        EmulatorConfig::demo()
    };
    let emulator = Emulator::start(config).await?;
    let creds = emulator.credentials();
    printer.info(&format!(
        "Built-in emulator at {} (Entra, Microsoft Graph and the platform; {}).",
        emulator.base_url(),
        if args.no_faults {
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

    let setup = SetupArgs {
        microsoft: MicrosoftArgs {
            auth: AuthChoice::ClientSecret,
            tenant: Some(creds.tenant_id.clone()),
            client_id: Some(creds.admin_client_id.clone()),
            client_secret_file: Some(secret_file),
            graph_token_file: None,
            cloud: CloudChoice::Public,
            login_url: Some(emulator.login_url()),
            graph_url: Some(emulator.graph_url()),
        },
        platform: PlatformArgs {
            platform_url: emulator.platform_url(),
            platform_token_file: Some(token_file.display().to_string()),
            integration: guide::INTEGRATION.into(),
            connection_name: guide::CONNECTION_NAME.into(),
            resource: None,
            fields: Vec::new(),
        },
        app: AppArgs {
            app_name: guide::APP_NAME.into(),
            redirect_uri: guide::REDIRECT_URI.into(),
            api: guide::API.into(),
            permission: guide::PERMISSION.into(),
            app_id: None,
            adopt: false,
        },
        secret: SecretArgs {
            secret_description: guide::SECRET_DESCRIPTION.into(),
            secret_expiry: guide::SECRET_EXPIRY.into(),
            show_secret: args.show_secret,
            secret_file: None,
            rotate: false,
            keep_secret_on_failure: false,
        },
        admin_consent: true,
        dry_run: false,
        state_dir: Some(dir.join("state")),
    };
    let plan = settings::plan(&setup, interaction)?;
    let result = super::setup::run(&plan, printer).await;
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
