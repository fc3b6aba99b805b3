//! `aad-setup demo --fleet`: a fleet file of 3 tenants × 4 platform teams
//! (12 targets) against the built-in emulator's fleet, one address for
//! all: the plan, the apply, a drift check after a connection is deleted
//! behind the tool's back, the repair, and the check again.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use aad_setup_emulator::{EmulatorConfig, Fleet, fleet_configs};

use crate::cli::{DemoArgs, FleetArgs};
use crate::env::Environment;
use crate::output::{Interaction, Printer};

const TENANTS: usize = 3;
const TEAMS: usize = 4;

pub(crate) async fn run(
    args: &DemoArgs,
    env: &Environment,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let base = if args.no_faults {
        EmulatorConfig::default()
    } else {
        EmulatorConfig::demo()
    };
    let fleet = Fleet::start(fleet_configs(TENANTS, TEAMS, &base), 0).await?;
    let dir = super::run::private_dir("aad-setup-fleet")?;
    let result = walk(&fleet, &dir, env, interaction, printer).await;
    let summary = summary(&fleet);
    let _ = std::fs::remove_dir_all(&dir);
    fleet.shutdown().await;
    result?;
    printer.info(&summary);
    printer.info("Write your own with `aad-setup setup --save aad-setup.toml`; see README \"Many targets from one file\".");
    Ok(())
}

/// Plan, apply, drift, repair, check.
async fn walk(
    fleet: &Fleet,
    dir: &Path,
    env: &Environment,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let file = write_file(fleet, dir)?;
    printer.info(&format!(
        "Built-in emulator fleet at {}: {TENANTS} tenants and {TEAMS} platform teams, each with its own admin identity and team token.",
        fleet.base_url()
    ));
    printer.info(&format!(
        "The fleet file ({} targets; secrets named as files, never written in it):",
        TENANTS * TEAMS
    ));
    let text = std::fs::read_to_string(&file)?;
    for line in text.lines().take(22) {
        printer.aside(&format!("    {line}"));
    }
    printer.aside("    …");
    let state = dir.join("state");
    let fleet_args = FleetArgs {
        file: Some(file.clone()),
        targets: Vec::new(),
        jobs: None,
    };
    let typed = |command: &str, extra: &[&str]| -> Vec<std::ffi::OsString> {
        ["aad-setup", command, "--state-dir"]
            .iter()
            .map(Into::into)
            .chain(std::iter::once(state.clone().into_os_string()))
            .chain(extra.iter().map(Into::into))
            .collect()
    };
    let step = |title: &str| printer.aside(&format!("\n== {title}"));
    let over = |command: &'static str, extra: &'static [&'static str]| {
        let typed = typed(command, extra);
        let fleet_args = fleet_args.clone();
        let file = file.clone();
        async move {
            super::run::run(
                command,
                &typed,
                &fleet_args,
                &file,
                env,
                interaction,
                printer,
            )
            .await
        }
    };

    step("The plan: aad-setup setup --file aad-setup.toml --dry-run");
    over("setup", &["--dry-run"]).await?;
    step("The apply: aad-setup setup --file aad-setup.toml");
    over("setup", &[]).await?;
    step("Again: nothing to change");
    over("setup", &[]).await?;

    let drifted = "Azure AD (tenant1)";
    if !fleet.delete_connection(2, drifted) {
        anyhow::bail!("the demo's connection was not found in team 2");
    }
    step(
        "Someone deletes team 2's connection to tenant 1; the drift check: aad-setup status --file aad-setup.toml",
    );
    match over("status", &[]).await {
        Err(err) if crate::error::kind(&err) == crate::error::Kind::NeedsAttention => {
            printer.info(&format!("{err}: the drift is found"));
        }
        Err(err) => return Err(err),
        Ok(()) => anyhow::bail!("the drift check did not find the deleted connection"),
    }
    step("The repair: aad-setup setup --file aad-setup.toml --target tenant1-team2");
    let repair = FleetArgs {
        targets: vec!["tenant1-team2".to_owned()],
        ..fleet_args.clone()
    };
    super::run::run(
        "setup",
        &typed("setup", &[]),
        &repair,
        &file,
        env,
        interaction,
        printer,
    )
    .await?;
    step("The drift check again");
    over("status", &[]).await
}

/// The fleet file: one target per tenant and team, its secrets as files.
fn write_file(fleet: &Fleet, dir: &Path) -> anyhow::Result<PathBuf> {
    let mut text = format!(
        "# aad-setup demo --fleet: {TENANTS} tenants x {TEAMS} platform teams\n[defaults]\nauth = \"client-secret\"\nlogin-url = \"{}\"\ngraph-url = \"{}\"\nplatform-url = \"{}\"\nsecret-expiry = \"12mo\"\n",
        fleet.login_url(),
        fleet.graph_url(),
        fleet.platform_url()
    );
    for tenant in 0..TENANTS {
        let c = fleet.credentials(tenant);
        let secret = dir.join(format!("tenant{tenant}.secret"));
        crate::secret_file::write_new(&secret, &SecretString::from(c.admin_client_secret.clone()))?;
        for team in 0..TEAMS {
            let token = dir.join(format!("team{team}.token"));
            if tenant == 0 {
                let t = fleet.credentials(team);
                crate::secret_file::write_new(
                    &token,
                    &SecretString::from(t.platform_admin_token.clone()),
                )?;
            }
            text.push_str(&format!(
                "\n[[target]]\nname = \"tenant{tenant}-team{team}\"\ntenant = \"{}\"\nclient-id = \"{}\"\nclient-secret-file = \"{}\"\nplatform-token-file = \"{}\"\napp-name = \"Workflow (team{team})\"\nconnection-name = \"Azure AD (tenant{tenant})\"\n",
                c.tenant_domain,
                c.admin_client_id,
                secret.display(),
                token.display()
            ));
        }
    }
    let path = dir.join(super::file::DEFAULT_NAME);
    std::fs::write(&path, text)?;
    Ok(path)
}

/// What the emulator's worlds hold afterwards.
fn summary(fleet: &Fleet) -> String {
    let mut apps = 0;
    let mut connections = 0;
    let mut requests = 0;
    let mut throttled = 0;
    for world in 0..fleet.len() {
        let s = fleet.snapshot(world);
        apps += s
            .applications
            .iter()
            .filter(|a| a.display_name.starts_with("Workflow (team"))
            .count();
        connections += s.connections.len();
        requests += s.requests.log.len();
        throttled += s.requests.throttled;
    }
    format!(
        "Emulator fleet afterwards: {apps} app registration(s) in {TENANTS} tenants, {connections} platform connection(s) in {TEAMS} teams; {requests} requests, {throttled} throttled (429) and ridden out."
    )
}
