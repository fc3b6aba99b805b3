//! `aad-setup remove`: deletes the platform connection, then the app
//! registration (which takes its service principal with it; Entra keeps the
//! app restorable for 30 days). Only an app this tool made, or the one named
//! with `--app-id`, is ever deleted. Asks first, or needs `--yes`. An
//! identity that may not delete the app is stopped before the connection goes.

use serde_json::json;

use crate::auth::{self, MANAGE_APPS};
use crate::error::{Failure, Kind};
use crate::output::Interaction;
use crate::output::Printer;
use crate::platform::types::Connection;
use crate::report::{Change, Code, Op, Outcome, Status, plan_lines};
use crate::settings::RemoveSettings;
use crate::steps::{platform_preflight, register_app, sign_in};

pub(super) async fn run(
    settings: &RemoveSettings,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let RemoveSettings { plan, yes } = settings;
    let needs: &[auth::Need] = if plan.dry_run { &[] } else { &[MANAGE_APPS] };
    // The plan has the platform unless --azure-only; it is read while
    // signing in, and the app while the directory's name is. Failures are
    // reported in the documented order: sign-in (a token Graph refuses
    // included), the platform, the app.
    let http = crate::http::Http::new(&plan.http)?;
    let (signed_in, fetched) =
        tokio::join!(sign_in::begin(http.clone(), plan, printer, needs), async {
            match &plan.platform {
                Some(spec) => {
                    let base = &plan.endpoints.platform;
                    Some(platform_preflight::fetch(&http, base, spec).await)
                }
                None => None,
            }
        });
    let (ctx, graph, mut session) = signed_in?;
    let (directory, app) = tokio::join!(
        sign_in::directory(&graph, &session),
        register_app::locate_all(&ctx, &graph, register_app::Existing::Reconciled)
    );
    session.directory = directory?;
    let recorded = ctx.record.connection_id.as_deref();
    let target = match (fetched, &plan.platform) {
        (Some(fetched), Some(spec)) => Some(platform_preflight::settle(
            fetched?, printer, spec, recorded,
        )?),
        _ => None,
    };
    let register_app::Located { app, losers, .. } = app?;
    let tags = app.as_ref().map_or(&[][..], |(a, _)| a.tags.as_slice());
    let existing = ours(target.as_ref(), plan, tags, recorded)?;
    if target.is_none() && app.is_some() {
        printer.warn(&match &ctx.record.connection_id {
            Some(id) => format!("--azure-only: the platform connection {id}, which holds this app's secret, is kept and will stop working"),
            None => "--azure-only: the platform is not checked; a connection there that holds this app's secret would stop working".into(),
        });
    }
    let changes = listed(&existing, app.as_ref().map(|(app, _)| app));
    let mut result = Removed {
        status: if plan.dry_run {
            Status::DryRun
        } else {
            Status::Done
        },
        removed: json!({}),
        changes,
    };
    if result.changes.is_empty() || plan.dry_run {
        printer.result(&result);
        return Ok(());
    }
    if !yes {
        confirm(&result.changes, &session, interaction, printer).await?;
    }

    // An identity that may change only the apps it owns (OwnedBy, a user who
    // is not an administrator) would be refused at the app, after the
    // connection is gone. Ask Graph first, with a PATCH that changes nothing
    // (the display name as read; not the tags, which a read from a replica
    // behind could write back without another run's custody tags): a
    // refusal is exit 4 with nothing removed.
    if let Some((app, _)) = &app {
        graph
            .update_application(&app.id, &json!({ "displayName": app.display_name }))
            .await
            .map_err(|e| super::failures::classify_graph_refusal(e, &session))?;
    }

    // From here a Ctrl-C waits for the deletion in hand, and says so.
    crate::stop::Stop::process().begin_changes();
    // The empty apps a parallel run left beside it go too, as `setup`
    // removes them with its first change.
    if let Some((winner, _)) = &app {
        register_app::remove_losers(&ctx, &graph, &winner.app_id, losers).await?;
    }
    for &(target, c) in &existing {
        target.client.delete_connection(&c.id).await?;
        printer.step("Platform connection", &format!("\"{}\" deleted", c.name));
        result.removed["connectionId"] = json!(c.id);
    }
    if let Some((app, _)) = &app {
        graph.delete_application(&app.id).await?;
        printer.step("App registration", &format!("{} deleted", app.display_name));
        result.removed["app"] = json!({ "objectId": app.id, "clientId": app.app_id });
    }
    if let Some(store) = &ctx.store {
        store.remove()?;
    }
    printer.result(&result);
    Ok(())
}

/// What the removal deletes, in order: the connections, then the app.
fn listed(
    existing: &[(&platform_preflight::PlatformTarget, &Connection)],
    app: Option<&crate::graph::types::Application>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    for &(target, c) in existing {
        changes.push(Change::new(
            Op::Delete,
            Code::ConnectionDelete,
            format!(
                "delete the platform connection \"{}\" ({}) on team {}",
                c.name,
                c.id,
                target.client.team()
            ),
        ));
    }
    if let Some(app) = app {
        changes.push(Change::new(
            Op::Delete,
            Code::AppDelete,
            format!(
                "delete the app registration \"{}\" (client id {}) and its service principal; Entra keeps it restorable for 30 days",
                app.display_name, app.app_id
            ),
        ));
    }
    changes
}

/// Without `--yes`: the removal listed and confirmed at a terminal, or
/// refused (exit 2) where no one can answer.
async fn confirm(
    changes: &[Change],
    session: &crate::auth::Session,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    if !interaction.interactive {
        let list: Vec<&str> = changes.iter().map(|c| c.message.as_str()).collect();
        return Err(
            Failure::new(Kind::Usage, format!("remove would {}", list.join("; and ")))
                .with_hint("run again with --yes to confirm (or --dry-run to only list)")
                .into(),
        );
    }
    crate::prompt::say(
        printer,
        &format!("Removing, in {}, will:", sign_in::directory_name(session)),
    );
    for line in plan_lines(changes, &[]) {
        crate::prompt::say(printer, &line);
    }
    if !crate::prompt::confirm(printer, "Remove these?").await? {
        return Err(crate::error::declined("the removal"));
    }
    Ok(())
}

/// The connections to delete: the one found (the record's, else the newest
/// of the name) and every other of the tool's name. Only a connection
/// provably ours is deleted: a namesake someone made stops the removal
/// here, before anything is deleted, unless `--replace`.
fn ours<'t>(
    target: Option<&'t platform_preflight::PlatformTarget>,
    plan: &crate::settings::Plan,
    tags: &[String],
    recorded: Option<&str>,
) -> anyhow::Result<Vec<(&'t platform_preflight::PlatformTarget, &'t Connection)>> {
    let (Some(t), Some(spec)) = (target, &plan.platform) else {
        return Ok(Vec::new());
    };
    let base = spec.connection_name.as_str();
    crate::custody::claim_all(
        base,
        &t.integration.connections,
        tags,
        recorded,
        plan.replace,
    )?;
    Ok(t.integration
        .connections
        .iter()
        .filter(|c| {
            t.existing.as_ref().is_some_and(|e| e.id == c.id)
                || crate::platform::naming::is_ours(&c.name, base)
        })
        .map(|c| (t, c))
        .collect())
}

/// What `remove` deleted (`done`), or would delete (`dry-run`); nothing
/// found is `done` with no `changes`.
#[derive(serde::Serialize)]
struct Removed {
    status: Status,
    /// The ids of what was deleted.
    removed: serde_json::Value,
    /// What was (or would be) removed.
    changes: Vec<Change>,
}

impl Outcome for Removed {
    fn human(&self, _color: bool) -> Vec<String> {
        if self.changes.is_empty() {
            return vec![
                "Nothing to remove: no app registration or platform connection made by aad-setup was found."
                    .into(),
            ];
        }
        let mut lines = vec![
            match self.status {
                Status::DryRun => "Dry run: nothing was changed. Removing would:",
                _ => "Removed:",
            }
            .to_owned(),
        ];
        for c in &self.changes {
            let text = match self.status {
                Status::DryRun => c.message.clone(),
                _ => c.message.replacen("delete", "deleted", 1),
            };
            lines.push(format!("  {} {text}", c.op.marker()));
        }
        lines
    }
}
