//! What earlier runs left, judged before a secret is added: secrets in
//! flight whose run is gone, the secrets of deleted connections, stray
//! connections, and a parallel run's second app.

use crate::custody;
use crate::graph::Graph;
use crate::graph::types::Application;
use crate::record::Record;
use crate::report::Report;
use crate::steps::platform_preflight::PlatformTarget;
use crate::steps::register_app::AppState;
use crate::steps::{Ctx, create_secret, renewal};

/// The sweep (crate::custody) before a secret is added: secrets in flight
/// whose run is gone, the secrets of connections deleted on the platform
/// (`target`, for the commands that have one), stale tags. With a target,
/// the connection kept or replaced is then the one the app's tag names.
pub(crate) async fn sweep(
    ctx: &Ctx<'_>,
    graph: &Graph,
    app: &mut AppState,
    target: Option<&mut PlatformTarget>,
    report: &mut Report,
) -> anyhow::Result<()> {
    if ctx.dry_run || app.app.id.is_empty() {
        return Ok(());
    }
    let plan = ctx.plan;
    let deleted = match &target {
        Some(t) => {
            let listed: Vec<String> = t
                .integration
                .connections
                .iter()
                .map(|c| c.id.clone())
                .collect();
            custody::deleted_connections(&app.app, &listed, &t.client).await?
        }
        None => Vec::new(),
    };
    // What this machine's record says someone holds stays, whatever the
    // tags say (a late write may have lost a tag).
    let protected: Vec<String> = ctx
        .record
        .handed_key_ids
        .iter()
        .chain(&ctx.record.secret_key_id)
        .cloned()
        .collect();
    // The platform's connections of the tool's name, for the sweep's
    // cross-check: one may hold a secret an interrupted run left untagged.
    let connections: Vec<(String, Option<i64>)> = match (&target, plan.platform.as_ref()) {
        (Some(t), Some(p)) => t
            .integration
            .connections
            .iter()
            .filter(|c| crate::platform::naming::is_ours(&c.name, &p.connection_name))
            .map(|c| {
                let made = c
                    .created_at
                    .as_deref()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok());
                (c.id.clone(), made.map(|t| t.as_second()))
            })
            .collect(),
        _ => Vec::new(),
    };
    let recorded: Vec<(String, String)> = ctx
        .record
        .connection_id
        .iter()
        .zip(&ctx.record.secret_key_id)
        .map(|(c, k)| (c.clone(), k.clone()))
        .collect();
    let seen = custody::Seen {
        description: &plan.secret.description,
        deleted: &deleted,
        connections: &connections,
        recorded: &recorded,
    };
    let swept = ctx
        .custody
        .sweep(graph, &mut app.app, &seen, &protected, &plan.reclaim)
        .await?;
    report.notes.extend(swept.notes);
    for warning in swept.warnings {
        report.warn(crate::report::Code::SecretKept, warning);
    }
    if let Some(t) = target {
        // A rotation in two phases: finished once its previous secret has
        // expired; one in progress stops a new rotation.
        renewal::settle(ctx, graph, &mut app.app, t, report).await?;
        if let Some(p) = plan.platform.as_ref() {
            choose_existing(t, &app.app, &ctx.record, &p.connection_name);
        }
    }
    Ok(())
}

/// Of several connections of ours, the one to keep or replace: the one
/// this machine's record names with a secret the app still has, else the
/// one the app's tag says holds such a secret, else the one the platform
/// step found (the newest).
fn choose_existing(target: &mut PlatformTarget, app: &Application, record: &Record, base: &str) {
    let has = |k: &str| app.password_credentials.iter().any(|p| p.key_id == k);
    let ours =
        |c: &&crate::platform::types::Connection| crate::platform::naming::is_ours(&c.name, base);
    let recorded = target
        .integration
        .connections
        .iter()
        .filter(ours)
        .find(|c| {
            record.connection_id.as_deref() == Some(c.id.as_str())
                && record.secret_key_id.as_deref().is_some_and(has)
        });
    // Never the connection a rotation in progress replaced.
    let previous = renewal::previous_ids(&app.tags);
    let tagged = || {
        target
            .integration
            .connections
            .iter()
            .filter(ours)
            .filter(|c| !previous.contains(&c.id))
            .find(|c| create_secret::tagged(app, &c.id).is_some_and(has))
    };
    if let Some(c) = recorded.or_else(tagged) {
        target.existing = Some(c.clone());
    }
}

/// Other connections of ours (the connection's name, or one a rotation
/// gave it) than `keep`: what a run killed mid-rotation, or a second run at
/// the same time, left. Each is deleted, then the secret the app's tag says
/// it held, then that tag. A failure is a warning.
pub(super) async fn remove_strays(
    ctx: &Ctx<'_>,
    graph: &Graph,
    target: &PlatformTarget,
    app_object_id: &str,
    (keep, replaced): (&str, Option<&str>),
    report: &mut Report,
) {
    let Some(base) = ctx
        .plan
        .platform
        .as_ref()
        .map(|p| p.connection_name.clone())
    else {
        return;
    };
    // What the platform listed when the run began (a parallel run's newer
    // one is the next run's to judge), less the one kept and one replaced.
    let strays: Vec<_> = target
        .integration
        .connections
        .iter()
        .filter(|c| c.id != keep && Some(c.id.as_str()) != replaced)
        .filter(|c| crate::platform::naming::is_ours(&c.name, &base))
        .collect();
    if strays.is_empty() {
        return;
    }
    for stray in strays {
        // One another run made and is still handing its secret to (its
        // intent is on the app, within its lease) is that run's: kept.
        if let Ok(Some(app)) = graph.get_application(app_object_id).await {
            let live = ctx.custody.in_flight_maker(
                &app.tags,
                stray.created_at.as_deref(),
                &ctx.plan.reclaim,
            );
            if let Some(run) = live {
                report.notes.push(format!(
                    "the connection {} (\"{}\") was kept: run {run}, still in flight, made it",
                    stray.id, stray.name
                ));
                continue;
            }
        }
        if let Err(e) = target.client.delete_connection(&stray.id).await {
            report.warn(
                crate::report::Code::ConnectionStrayNotDeleted,
                format!(
                    "the connection {} (\"{}\"), left by an earlier or parallel run, could not be deleted ({e:#}): delete it in the platform's Admin > Integrations",
                    stray.id, stray.name
                ),
            );
            continue;
        }
        report.notes.push(format!(
            "the connection {} (\"{}\"), left by an earlier or parallel run, was deleted",
            stray.id, stray.name
        ));
        // The secret it held, by the app's tag as it is now (a parallel run
        // may have just written it); the tag goes only with its secret, so
        // that a later run can still tell what the deleted connection held.
        let Ok(Some(app)) = graph.get_application(app_object_id).await else {
            continue;
        };
        let mut removed = Vec::new();
        for (_, key) in custody::holders(&app.tags)
            .into_iter()
            .filter(|(c, _)| *c == stray.id)
        {
            if ctx.custody.remove(graph, app_object_id, &key).await.is_ok() {
                report
                    .notes
                    .push(format!("the secret it held ({key}) was removed"));
                removed.push(custody::held_tag(&stray.id, &key));
            }
        }
        if !removed.is_empty() {
            let _ = ctx
                .custody
                .edit_tags(graph, app_object_id, |tags| {
                    custody::retag(tags, &[], |t| removed.iter().any(|r| r == t))
                })
                .await;
        }
    }
}

/// The apps of our name a parallel run made, kept by the look because they
/// have a secret: each is deleted once every secret it has is held by a
/// connection that no longer exists (this run deleted it as a stray), as
/// its held tags say on a fresh read; else it stays, and the run says so
/// (exit 6).
pub(crate) async fn retire_held_apps(
    ctx: &Ctx<'_>,
    graph: &Graph,
    target: &PlatformTarget,
    apps: &[Application],
    report: &mut Report,
) {
    for app in apps {
        let app = match graph.get_application(&app.id).await {
            Ok(Some(now)) => now,
            Ok(None) => continue,
            Err(_) => app.clone(),
        };
        let mut live = Vec::new();
        for (connection, _) in custody::holders(&app.tags) {
            match target.client.get_connection(&connection).await {
                Ok(None) => {}
                Ok(Some(_)) | Err(_) => live.push(connection),
            }
        }
        let holders = custody::holders(&app.tags);
        let all_of_gone = app.password_credentials.iter().all(|c| {
            holders
                .iter()
                .any(|(conn, k)| *k == c.key_id && !live.contains(conn))
        });
        if all_of_gone && !ctx.dry_run {
            match graph.delete_application(&app.id).await {
                Ok(()) => report.notes.push(format!(
                    "the second app registration \"{}\" (client id {}) that a parallel run made was removed once the connection holding its secret was deleted",
                    app.display_name, app.app_id
                )),
                Err(e) => report.warn(crate::report::Code::AppSecondNotRemoved, format!(
                    "the second app registration \"{}\" (client id {}) that a parallel run made could not be removed ({e:#}): delete it in the Azure portal",
                    app.display_name, app.app_id
                )),
            }
            continue;
        }
        report.warn(crate::report::Code::AppSecondHeld, format!(
            "a parallel run made a second app registration \"{}\" (client id {}) and it has a secret someone may hold ({}), so it was kept: once nothing uses it, delete it with `aad-setup remove --app-id {}` or in the Azure portal, App registrations",
            app.display_name,
            app.app_id,
            if live.is_empty() { "a person, or a run still in flight".to_owned() } else { format!("the connection {}", live.join(", ")) },
            app.app_id
        ));
    }
}
