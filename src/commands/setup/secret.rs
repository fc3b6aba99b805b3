//! A new client secret's life in `setup`, `rotate` and `register`, in one
//! place: from the moment it is asked for (`addPassword`, [`add`]) through
//! admin consent and the platform connection ([`hand_on`]) to the moment
//! someone holds it, or to its removal on every way out: a platform failure
//! ([`partial`]), a Ctrl-C at a step boundary ([`checkpoint`]), a failed
//! check or an output that could not take it ([`remove_unheld`]).
//!
//! Everything that decides whether a secret is held (the local record's
//! key id, the app's held-secret tags, the replaced connection's secret) is
//! here too; the commands around it only read, register the app, and render.

use secrecy::SecretString;

use super::record_connection;
use crate::auth::Session;
use crate::custody;
use crate::error::{self, Failure, Kind};
use crate::graph::Graph;
use crate::graph::types::Application;
use crate::record::Record;
use crate::report::{Action, Report, Status};
use crate::settings::Mode;
use crate::steps::connect_platform::{self, Values};
use crate::steps::platform_preflight::PlatformTarget;
use crate::steps::register_app::AppState;
use crate::steps::resolve_permission::ResolvedPermission;
use crate::steps::{Ctx, create_secret, grant_consent, register_app, renewal, verify};
use crate::stop::Stop;

/// Adds the secret (or keeps the one `reuse` allows), then grants admin
/// consent when asked; a Ctrl-C after either stops here, releasing a new
/// secret that no one holds yet.
pub(crate) async fn add(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    app: &mut AppState,
    reuse: create_secret::Reuse<'_>,
    perm: &ResolvedPermission,
    report: &mut Report,
) -> anyhow::Result<create_secret::SecretState> {
    let plan = ctx.plan;
    let secret = with_service_principal(ctx, graph, app, reuse, report).await?;
    let app: &AppState = app;
    let new_secret = secret
        .value
        .as_ref()
        .map(|value| (&app.app, secret.key_id.as_str(), value));
    report.secret = Some(secret.info(&plan.secret));
    let on_the_platform = plan.platform.is_some();
    if on_the_platform {
        let stopped = "before admin consent and the platform connection";
        checkpoint(ctx, graph, report, new_secret, stopped).await?;
    }
    if plan.app.admin_consent {
        let consent = match grant_consent::run(ctx, graph, app.sp.as_ref(), perm).await {
            Ok(consent) => consent,
            Err(err) => {
                // The new secret is no one's yet (unless a file holds it):
                // it goes with the failure.
                if let (Some((app, key_id, value)), None) = (new_secret, &plan.secret.file) {
                    release_secret(ctx, graph, report, app, key_id, value).await;
                    for note in &report.notes {
                        ctx.printer.warn(note);
                    }
                }
                return Err(err);
            }
        };
        report.consent = Some(consent);
        if on_the_platform {
            let stopped = "before the platform connection";
            checkpoint(ctx, graph, report, new_secret, stopped).await?;
        }
    }
    Ok(secret)
}

/// The secret added (or kept), and, for an app this run just created, its
/// service principal made at the same time (neither needs the other:
/// `addPassword` waits for the app, as the service principal does). A
/// failure to make the service principal releases a secret no one holds
/// yet; it is reported before the secret's own failure, as step 4 comes
/// before step 5.
async fn with_service_principal(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    app: &mut AppState,
    reuse: create_secret::Reuse<'_>,
    report: &mut Report,
) -> anyhow::Result<create_secret::SecretState> {
    let plan = ctx.plan;
    let shared: &Ctx<'_> = ctx;
    let (sp, secret) = if plan.secret.file.is_none() {
        tokio::join!(
            register_app::service_principal_of(shared, graph, app),
            create_secret::run(shared, graph, &app.app, reuse)
        )
    } else {
        // A secret handed on in a file is written the moment it exists, and
        // only this machine's record then protects it until the app's tag
        // says so: the service principal comes first, so that a run stopped
        // while it is made has not written a secret to disk yet.
        let sp = register_app::service_principal_of(shared, graph, app).await;
        if let Some(Err(err)) = sp {
            return Err(err);
        }
        (sp, create_secret::run(shared, graph, &app.app, reuse).await)
    };
    match sp {
        Some(Ok((sp, action))) => {
            app.made(ctx, sp, action);
            report.app = Some(app.info(&plan.app));
        }
        Some(Err(err)) => {
            if let Ok(made) = &secret {
                report.secret = Some(made.info(&plan.secret));
                if let (Some(value), false) = (&made.value, made.handed) {
                    release_secret(ctx, graph, report, &app.app, &made.key_id, value).await;
                    for note in &report.notes {
                        ctx.printer.warn(note);
                    }
                }
            }
            return Err(err);
        }
        None => {}
    }
    let secret = match secret {
        Ok(secret) => secret,
        // Stopped while the app replicated, before a secret was sent for.
        Err(err) if err.is::<create_secret::NotAdded>() => {
            checkpoint(ctx, graph, report, None, "before adding the client secret").await?;
            return Err(err);
        }
        Err(err) => return Err(err),
    };
    secret.announce(ctx.printer, &plan.secret, reuse);
    if secret.handed {
        // A person holds it (`--secret-file`): saved already with the file;
        // kept in the record this run saves from here on.
        ctx.record.handed_key_ids.push(secret.key_id.clone());
    }
    Ok(secret)
}

/// A Ctrl-C asked the run to stop at this step boundary: release a secret
/// no connection holds yet, print what exists, exit 130.
pub(super) async fn checkpoint(
    ctx: &Ctx<'_>,
    graph: &Graph,
    report: &mut Report,
    new_secret: Option<(&Application, &str, &SecretString)>,
    stopped: &str,
) -> anyhow::Result<()> {
    if Stop::process().requested() {
        return Err(interrupted(ctx, graph, report, new_secret, stopped).await);
    }
    Ok(())
}

/// The secret exists and a connection already holds it: the connection
/// stays, checked, recorded and tagged as holding it.
pub(super) async fn keep_held(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    target: &PlatformTarget,
    app: &AppState,
    secret: &create_secret::SecretState,
    seen: Option<super::Seen>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let connection = target
        .existing
        .clone()
        .expect("a secret is reused only with an existing connection");
    report.connection = Some(target.connection_info(&connection, Action::Reused));
    // Read with the pass's first reads, when that was this connection.
    let seen = seen.filter(|(id, _)| *id == connection.id).map(|(_, v)| v);
    report.verification.connection_visible =
        Some(verify::connection_visible(ctx.printer, &target.client, &connection.id, seen).await?);
    // A guess is not written down: a later rotation would trust it.
    let key = secret.known.then(|| secret.key_id.clone());
    record_connection(ctx, target, &connection.id, key, None);
    if secret.known
        && create_secret::tagged(&app.app, &connection.id) != Some(secret.key_id.as_str())
    {
        let mut tags = app.app.tags.clone();
        let holding = custody::Holding {
            connection: &connection.id,
            key: &secret.key_id,
            gone: &[],
            settles: None,
        };
        mark_held(
            &ctx.custody,
            graph,
            &app.app.id,
            &mut tags,
            &holding,
            None,
            report,
        )
        .await;
    }
    report.notes.push(
        "the platform connection and its secret were reused; `aad-setup rotate` makes a new secret"
            .into(),
    );
    // The connection a rotation in progress replaced is not a stray.
    let previous = renewal::previous_ids(&app.app.tags).into_iter().next();
    remove_strays(
        ctx,
        graph,
        target,
        &app.app.id,
        (&connection.id, previous.as_deref()),
        report,
    )
    .await;
    Ok(())
}

/// Hands the new secret on to the platform: the connection made (a failure
/// releases the secret: exit 5), recorded and tagged on the app, the secret
/// checked by signing in with it, then what it replaced removed.
#[allow(clippy::too_many_arguments)]
pub(super) async fn hand_on(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    session: &Session,
    target: &PlatformTarget,
    app: &AppState,
    secret: &create_secret::SecretState,
    value: &SecretString,
    resource: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let plan = ctx.plan;
    let platform = plan.platform()?;
    let values = Values {
        client_id: &app.app.app_id,
        client_secret: value,
        resource,
        tenant: &session.tenant_id,
    };
    // The app's tags are read while the connection is made: the held tag
    // is then written with no read of its own (crate::custody).
    let (connected, read) = tokio::join!(
        connect_platform::create(ctx.printer, target, &platform.connection_name, &values),
        custody::read_tags(graph, &app.app.id)
    );
    let connected = match connected {
        Ok(c) => c,
        Err(err) => {
            let key_id = &secret.key_id;
            return Err(partial(ctx, graph, report, &app.app, key_id, value, err).await);
        }
    };
    // From here the run finishes even when asked to stop: what remains
    // checks the result and removes what it replaced.
    let held = connected.replaced.as_ref().map(|old| {
        held_secret(
            &app.app,
            &plan.secret.description,
            &ctx.record,
            &old.id,
            &secret.key_id,
        )
    });
    let new_connection = connected.connection.id.clone();
    let key = Some(secret.key_id.clone());
    record_connection(ctx, target, &new_connection, key, Some(resource.to_owned()));
    // The app says which secret the new connection holds (the old one's
    // tag stays while the old connection does), and this run's intent
    // ends, in one write made while the new secret signs in and the
    // connection is read back: one round trip. A failed tag write is a
    // warning; the sign-in's failure is reported before the read's.
    let mut tags = app.app.tags.clone();
    let run = ctx.custody.run_id().to_owned();
    let holding = custody::Holding {
        connection: &new_connection,
        key: &secret.key_id,
        gone: &[],
        settles: (!secret.lost_answer).then_some(run.as_str()),
    };
    let shared: &Ctx<'_> = ctx;
    let (_, checked) = tokio::join!(
        mark_held(
            &shared.custody,
            graph,
            &app.app.id,
            &mut tags,
            &holding,
            Some(read),
            report
        ),
        verify::secret_and_connection(
            shared,
            &session.tenant_id,
            &app.app.app_id,
            value,
            &target.client,
            &connected.connection.id,
        )
    );
    report.connection = Some(
        target
            .connection_info(&connected.connection, connected.action)
            .replacing(connected.replaced.as_ref().map(|old| old.id.as_str())),
    );
    if let Some(old) = &connected.replaced {
        report
            .notes
            .push(super::replaced_note(&old.id, &connected.connection.name));
    }
    if plan.mode == Mode::Rotate && connected.replaced.is_none() {
        report.notes.push(format!(
            "there was no platform connection \"{}\" to replace, so one was made; other secrets \"{}\" of the app, if any, were kept: remove them in the Azure portal once nothing uses them",
            platform.connection_name, plan.secret.description
        ));
    }

    let visible = checked?;
    report.verification.secret_signs_in = Some(true);
    report.verification.connection_visible = Some(visible);

    // Replaced: the old connection, then the secret it held, then its tag
    // go only now (in that order: a run killed in between leaves a tag that
    // names a deleted connection, and the next run removes its secret). The
    // new ones work already, so a failure here is reported, not fatal.
    if let (Some(old), Some(held)) = (&connected.replaced, held) {
        let (app_id, new) = (app.app.id.as_str(), new_connection.as_str());
        let key = secret.key_id.as_str();
        if plan.secret.keep_previous {
            // `rotate --keep-previous`: both stay until the rotation is
            // finished (crate::steps::renewal).
            keep_previous(ctx, graph, target, app, old, held, (new, key), report).await;
        } else {
            retire(
                ctx, graph, target, app_id, old, held, new, key, &mut tags, report,
            )
            .await;
        }
    }
    let replaced = connected.replaced.as_ref().map(|c| c.id.as_str());
    remove_strays(
        ctx,
        graph,
        target,
        &app.app.id,
        (&new_connection, replaced),
        report,
    )
    .await;
    confirm_held(
        &ctx.custody,
        graph,
        &app.app.id,
        &new_connection,
        secret,
        report,
    )
    .await;
    if plan.secret.show {
        if let Some(s) = report.secret.as_mut() {
            s.value = Some(value.clone());
        }
    }
    Ok(())
}

/// The last tag write, read back: this run's intent goes, and the held
/// tag is written again if a concurrent write dropped it.
async fn confirm_held(
    custody: &custody::Custody,
    graph: &Graph,
    app_object_id: &str,
    new_connection: &str,
    secret: &create_secret::SecretState,
    report: &mut Report,
) {
    let confirmed = custody
        .confirm_held(
            graph,
            app_object_id,
            (new_connection, &secret.key_id),
            secret.lost_answer,
        )
        .await;
    match confirmed {
        Ok(false) => {}
        Ok(true) => report.notes.push(format!(
            "a concurrent write had dropped the app's tag saying that the connection {new_connection} holds the secret {}; it was written again",
            secret.key_id
        )),
        Err(e) => report.warn(
            crate::report::Code::AppTagFailed,
            format!(
                "the app's tags could not be read back to confirm that the connection {new_connection} holds the secret {} ({e:#}); run the same command again to check",
                secret.key_id
            ),
        ),
    }
}

/// The connection a new one replaced: deleted, then the secret it held
/// removed, then its tag dropped (in that order: a run killed in between
/// leaves a tag that names a deleted connection, and the next run removes
/// its secret). The new ones work already, so a failure here is reported,
/// not fatal.
#[allow(clippy::too_many_arguments)]
async fn retire(
    ctx: &Ctx<'_>,
    graph: &Graph,
    target: &PlatformTarget,
    app_object_id: &str,
    old: &crate::platform::types::Connection,
    held: Held,
    new_connection: &str,
    key: &str,
    tags: &mut Vec<String>,
    report: &mut Report,
) {
    let plan = ctx.plan;
    let deleted = match target.client.delete_connection(&old.id).await {
        Ok(()) => {
            report.notes.push(format!(
                "the previous connection {} was replaced and deleted",
                old.id
            ));
            true
        }
        Err(e) => {
            report.warn(crate::report::Code::ConnectionPreviousNotDeleted, format!(
                    "the previous connection {} could not be deleted ({e:#}): delete it in the platform's Admin > Integrations",
                    old.id
                ));
            false
        }
    };
    // The app's tags are read while the secret is removed: the tag write
    // after it then needs no read of its own.
    let mut read = None;
    let removed = match held {
        Held::Known(old_key) if deleted => {
            let (removal, tags_now) = tokio::join!(
                ctx.custody.remove(graph, app_object_id, &old_key),
                custody::read_tags(graph, app_object_id)
            );
            read = Some(tags_now);
            removal_said(removal, &old_key, report)
        }
        Held::Known(old_key) => {
            let removal = ctx.custody.remove(graph, app_object_id, &old_key).await;
            removal_said(removal, &old_key, report)
        }
        Held::Unknown(candidates) => {
            report.warn(crate::report::Code::SecretPreviousUnknown, format!(
                    "which secret the previous connection held is not known (neither the local record nor the app's tag names it), so none was removed; {} \"{}\" could be it: {}. Remove the one no one uses in the Azure portal, Certificates & secrets",
                    if candidates.len() == 1 { "one secret" } else { "these secrets" },
                    plan.secret.description,
                    candidates.join(", ")
                ));
            true
        }
        Held::None => true,
    };
    if deleted && removed {
        let gone = [old.id.as_str()];
        let holding = custody::Holding {
            connection: new_connection,
            key,
            gone: &gone,
            settles: None,
        };
        mark_held(
            &ctx.custody,
            graph,
            app_object_id,
            tags,
            &holding,
            read,
            report,
        )
        .await;
    }
}

/// `rotate --keep-previous`: the replaced connection and the secret it held
/// stay, and the app's tag says a rotation is in progress; the result shows
/// both and what the platform admin must do (exit 6 until it is finished).
#[allow(clippy::too_many_arguments)]
async fn keep_previous(
    ctx: &Ctx<'_>,
    graph: &Graph,
    target: &PlatformTarget,
    app: &AppState,
    old: &crate::platform::types::Connection,
    held: Held,
    (new, key): (&str, &str),
    report: &mut Report,
) {
    if let Err(e) = renewal::begin(&ctx.custody, graph, &app.app.id, &old.id).await {
        report.warn(crate::report::Code::RotationNotRecorded, format!(
            "the app could not be tagged with the rotation in progress ({e:#}): once the platform admin has connected the new connection, delete the previous one ({}) in the platform's Admin > Integrations and its secret in the Azure portal",
            old.id
        ));
    }
    let (old_key, old_end) = match held {
        Held::Known(k) => {
            let end = app
                .app
                .password_credentials
                .iter()
                .find(|c| c.key_id == k)
                .and_then(|c| c.end_date_time.clone());
            (Some(k), end)
        }
        _ => (None, None),
    };
    let previous = renewal::InProgress {
        named: old_key.is_some(),
        connection_id: old.id.clone(),
        connection: Some(old.clone()),
        key_id: old_key,
        expires: old_end,
    };
    let name = report
        .connection
        .as_ref()
        .map_or(String::new(), |c| c.name.clone());
    let end = report.secret.as_ref().and_then(|s| s.expires.clone());
    let now = graph.clock().now();
    let info = renewal::info(
        &previous,
        Some((new, &name, Some(key), end.as_deref())),
        crate::report::RotationState::InProgress,
        target.client.team(),
        now,
    );
    if let Some(action) = &info.admin_action {
        report.warn(crate::report::Code::RotationInProgress, action.clone());
    }
    report.rotation = Some(info);
    report.headline = Some(
        "Rotation IN PROGRESS: the new connection holds the new secret, and the previous one keeps working until the rotation is finished.".into(),
    );
}

/// What the removal of the secret a replaced connection held came to.
fn removal_said(removal: anyhow::Result<()>, old_key: &str, report: &mut Report) -> bool {
    match removal {
        Ok(()) => {
            report
                .notes
                .push(format!("the secret it held ({old_key}) was removed"));
            true
        }
        Err(e) => {
            report.warn(crate::report::Code::SecretPreviousNotRemoved, format!(
                "the secret it held ({old_key}) could not be removed ({e:#}): remove it in the Azure portal, Certificates & secrets"
            ));
            false
        }
    }
}

/// Removes a new secret that no one holds; says how that went.
pub(crate) async fn remove_unheld(
    custody: &custody::Custody,
    graph: &Graph,
    app_object_id: &str,
    key_id: &str,
) -> String {
    match custody.remove_new(graph, app_object_id, key_id).await {
        Ok(()) => {
            let _ = custody.released(graph, app_object_id, key_id).await;
            format!("the new secret ({key_id}) was removed, so none is left that no one holds")
        }
        Err(e) => format!(
            "the new secret ({key_id}) could not be removed ({e:#}): remove it in the Azure portal, Certificates & secrets"
        ),
    }
}

/// The secret a replaced connection held.
enum Held {
    Known(String),
    /// Neither the record nor the app's tag says; these could be it.
    Unknown(Vec<String>),
    None,
}

/// The key a replaced connection held: the local record's, when it is the
/// record of that very connection, else the one the app's tag names for it
/// (written whenever a connection is made). Never a guess: removing the
/// wrong secret would break whoever holds it, so without either the
/// unexpired secrets of our description are listed, and none is removed.
fn held_secret(
    app: &Application,
    description: &str,
    record: &Record,
    replaced: &str,
    new_key: &str,
) -> Held {
    if let Some(key) = create_secret::named_for(app, record, replaced) {
        let exists = key != new_key && app.password_credentials.iter().any(|c| c.key_id == key);
        return if exists {
            Held::Known(key.to_owned())
        } else {
            // Named, and gone already: nothing to remove.
            Held::None
        };
    }
    let now = jiff::Timestamp::now();
    let candidates: Vec<String> = app
        .password_credentials
        .iter()
        .filter(|c| c.display_name.as_deref() == Some(description) && c.key_id != new_key)
        .filter(|c| c.unexpired_at(now))
        .map(|c| c.key_id.clone())
        .collect();
    if candidates.is_empty() {
        Held::None
    } else {
        Held::Unknown(candidates)
    }
}

/// Tags the app with the secret a connection holds, and drops the tags of
/// connections that are gone (see [`custody::held_by`]). `tags` is the
/// app's tags as last written, kept up to date; `read`, the tags as read
/// a moment ago (see [`custody::edit_tags_on`]). A failure is a warning:
/// the connection works; only a later rotation elsewhere would lack the
/// tag.
async fn mark_held(
    custody: &custody::Custody,
    graph: &Graph,
    app_object_id: &str,
    tags: &mut Vec<String>,
    holding: &custody::Holding<'_>,
    read: Option<Option<Vec<String>>>,
    report: &mut Report,
) {
    let connection = holding.connection;
    if create_secret::tags_holding(tags, connection, Some(holding.key), holding.gone).is_none() {
        report.notes.push(format!(
            "the connection id {connection} is too long for the app's held-secret tag; a rotation on another machine will list the secrets instead of removing one"
        ));
        return;
    }
    match custody.held_by(graph, app_object_id, holding, read).await {
        Ok(now) => *tags = now,
        Err(e) => report.warn(
            crate::report::Code::AppTagFailed,
            format!(
                "the app could not be tagged with the key id of the secret its connection holds ({e:#}); a rotation on another machine will not know which secret to remove"
            ),
        ),
    }
}

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
async fn remove_strays(
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
pub(super) async fn retire_held_apps(
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

/// Notes in the local record that a person holds `key_id`.
fn remember_handed(ctx: &Ctx<'_>, key_id: &str) {
    if let Some(store) = &ctx.store {
        let mut record = ctx.record.clone();
        if !record.handed_key_ids.iter().any(|k| k == key_id) {
            record.handed_key_ids.push(key_id.to_owned());
        }
        let _ = store.save(&record);
    }
}

/// A new secret that no platform connection holds must not be left
/// dangling: remove it (default), or keep it in a 0600 file
/// (`--keep-secret-on-failure`). Says which in the report.
async fn release_secret(
    ctx: &Ctx<'_>,
    graph: &Graph,
    report: &mut Report,
    app: &Application,
    key_id: &str,
    value: &SecretString,
) {
    let plan = ctx.plan;
    if plan.secret.keep_on_failure {
        let path = match &plan.secret.file {
            Some(p) => Ok(p.clone()),
            None => {
                let p = plan
                    .state_dir
                    .join(&report.tenant.id)
                    .join(format!("{}-{key_id}.secret", app.app_id));
                std::fs::create_dir_all(p.parent().expect("joined path has a parent"))
                    .map_err(anyhow::Error::from)
                    .and_then(|()| crate::secret_file::write_new(&p, value))
                    .map(|()| p)
            }
        };
        match path {
            Ok(p) => {
                // A person holds it now.
                let _ = ctx.custody.handed(graph, &app.id, key_id).await;
                remember_handed(ctx, key_id);
                report.notes.push(format!("the new secret was kept (--keep-secret-on-failure) and written to {} (mode 0600)", p.display()));
                if let Some(s) = report.secret.as_mut() {
                    s.file = Some(p.display().to_string());
                }
            }
            Err(e) => report.notes.push(format!("the new secret was kept but could not be written to a file: {e:#}; remove it with the Azure portal (key id {key_id})")),
        }
    } else {
        match ctx.custody.remove_new(graph, &app.id, key_id).await {
            Ok(()) => {
                let _ = ctx.custody.released(graph, &app.id, key_id).await;
                ctx.custody.settle(graph, &app.id, false).await;
                report.notes.push(format!("the new secret ({key_id}) was removed, so nothing is left dangling"));
                if let Some(s) = report.secret.as_mut() {
                    s.action = Action::Removed;
                }
            }
            Err(e) => report.notes.push(format!("the new secret ({key_id}) could not be removed: {e:#}; remove it in the Azure portal")),
        }
    }
}

/// The platform step failed after the secret exists: release the secret,
/// print what exists, exit 5.
async fn partial(
    ctx: &Ctx<'_>,
    graph: &Graph,
    report: &mut Report,
    app: &Application,
    key_id: &str,
    value: &SecretString,
    err: anyhow::Error,
) -> anyhow::Error {
    report.status = Status::Partial;
    release_secret(ctx, graph, report, app, key_id, value).await;
    report.next(
        crate::report::Code::PlatformFix,
        format!("Fix the platform problem: {err}"),
    );
    report.next(
        crate::report::Code::RunAgain,
        "Run the same command again: it reuses the app and creates only what is missing.",
    );
    ctx.printer.result(report);
    let inner = error::failure(&err);
    let mut failure = Failure::new(
        Kind::Partial,
        "setup is partial: the Azure app exists, the platform connection was not created",
    );
    if let Some(hint) = inner.and_then(|f| f.hint.clone()) {
        failure = failure.with_hint(hint);
    }
    err.context(failure)
}

/// Ctrl-C during the changes, at a step boundary: release a secret no
/// connection holds yet, print what exists, exit 130.
async fn interrupted(
    ctx: &Ctx<'_>,
    graph: &Graph,
    report: &mut Report,
    new_secret: Option<(&Application, &str, &SecretString)>,
    stopped: &str,
) -> anyhow::Error {
    report.status = Status::Interrupted;
    report.notes.push(format!("stopped on Ctrl-C {stopped}"));
    if let Some((app, key_id, value)) = new_secret {
        release_secret(ctx, graph, report, app, key_id, value).await;
    }
    report.next(
        crate::report::Code::RunAgain,
        "Run the same command again: it reuses what exists and creates only what is missing.",
    );
    ctx.printer.result(report);
    Failure::new(
        Kind::Interrupted,
        format!("interrupted {stopped}; what exists is listed above"),
    )
    .into()
}
