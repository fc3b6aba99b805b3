//! `aad-setup remove`: deletes the platform connection, then the app
//! registration (which takes its service principal with it; Entra keeps the
//! app restorable for 30 days). Only an app this tool made, or the one named
//! with `--app-id`, is ever deleted. Asks first, or needs `--yes`.

use serde_json::json;

use crate::auth::{self, MANAGE_APPS};
use crate::cli::RemoveArgs;
use crate::error::{Failure, Kind};
use crate::output::Interaction;
use crate::output::Printer;
use crate::report::Outcome;
use crate::settings::{self, Mode};
use crate::steps::{platform_preflight, register_app, sign_in};

pub(crate) async fn run(
    args: &RemoveArgs,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let mode = Mode::Remove {
        platform: !args.azure_only,
    };
    let plan = settings::plan_for(mode, &args.as_setup(), interaction)?;
    let needs: &[auth::Need] = if args.dry_run { &[] } else { &[MANAGE_APPS] };
    let (ctx, graph, _session) = sign_in::begin(&plan, printer, needs).await?;
    // The plan has the platform unless --azure-only.
    let target = match &plan.platform {
        Some(_) => Some(platform_preflight::run(&ctx).await?),
        None => None,
    };
    let app = register_app::locate(&ctx, &graph, register_app::Existing::Reconciled).await?;

    let mut changes = Vec::new();
    let existing = target
        .as_ref()
        .and_then(|t| t.existing.as_ref().map(|c| (t, c)));
    if let Some((target, c)) = existing {
        changes.push(format!(
            "delete the platform connection \"{}\" ({}) on team {}",
            c.name,
            c.id,
            target.client.team()
        ));
    }
    if target.is_none() && app.is_some() {
        printer.warn(&match &ctx.record.connection_id {
            Some(id) => format!("--azure-only: the platform connection {id}, which holds this app's secret, is kept and will stop working"),
            None => "--azure-only: the platform is not checked; a connection there that holds this app's secret would stop working".into(),
        });
    }
    if let Some((app, _)) = &app {
        changes.push(format!(
            "delete the app registration \"{}\" (client id {}) and its service principal; Entra keeps it restorable for 30 days",
            app.display_name, app.app_id
        ));
    }
    if changes.is_empty() {
        printer.line("Nothing to remove: no app registration or platform connection made by aad-setup was found.");
        return Ok(());
    }
    if args.dry_run {
        printer.line("Dry run: nothing was changed. Removing would:");
        for c in &changes {
            printer.line(&format!("  - {c}"));
        }
        return Ok(());
    }
    if !args.yes {
        if !interaction.interactive {
            return Err(Failure::new(
                Kind::Usage,
                format!("remove would {}", changes.join("; and ")),
            )
            .with_hint("run again with --yes to confirm (or --dry-run to only list)")
            .into());
        }
        crate::prompt::say(printer, "Removing will:");
        for c in &changes {
            crate::prompt::say(printer, &format!("  - {c}"));
        }
        if !crate::prompt::confirm(printer, "Remove these?").await? {
            return Err(Failure::new(
                Kind::Failed,
                "the removal was declined; nothing was removed",
            )
            .into());
        }
    }

    // From here a Ctrl-C waits for the deletion in hand, and says so.
    crate::stop::Stop::process().begin_changes();
    let mut removed = json!({});
    if let Some((target, c)) = existing {
        target.client.delete_connection(&c.id).await?;
        printer.step("Platform connection", &format!("\"{}\" deleted", c.name));
        removed["connectionId"] = json!(c.id);
    }
    if let Some((app, _)) = &app {
        graph.delete_application(&app.id).await?;
        printer.step("App registration", &format!("{} deleted", app.display_name));
        removed["app"] = json!({ "objectId": app.id, "clientId": app.app_id });
    }
    if let Some(store) = &ctx.store {
        store.remove()?;
    }
    printer.result(&Removed {
        status: "removed",
        removed,
        changes,
    });
    Ok(())
}

/// What `remove` deleted.
#[derive(serde::Serialize)]
struct Removed {
    status: &'static str,
    removed: serde_json::Value,
    /// What was to be removed, in the words of the question.
    #[serde(skip)]
    changes: Vec<String>,
}

impl Outcome for Removed {
    fn human(&self, _color: bool) -> Vec<String> {
        let mut lines = vec!["Removed:".to_owned()];
        for c in &self.changes {
            lines.push(format!("  - {}", c.replacen("delete", "deleted", 1)));
        }
        lines
    }
}
