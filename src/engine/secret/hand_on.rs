//! The new secret handed on to the platform (or the one a connection holds
//! kept): the connection made, recorded and tagged, the secret checked by
//! signing in with it, then what it replaced retired.

use secrecy::SecretString;

use crate::auth::Session;
use crate::custody;
use crate::graph::Graph;
use crate::report::{Action, Report};
use crate::settings::Mode;
use crate::steps::connect_platform::{self, Values};
use crate::steps::platform_preflight::PlatformTarget;
use crate::steps::register_app::AppState;
use crate::steps::{Ctx, create_secret, renewal, verify};

use super::release::partial;
use super::retire::{Replaced, held_secret, keep_previous, retire};
use super::sweep::remove_strays;
use super::tags::{confirm_held, mark_held};

/// What a pass hands on to the platform: the new secret of the app, and
/// where it goes. Travels as one value: every part of the hand-on needs
/// most of it.
pub(crate) struct Handover<'h> {
    /// Who signed in (the connection's Tenant).
    pub session: &'h Session,
    /// The platform's integration, and the connection a new one replaces.
    pub target: &'h PlatformTarget,
    pub app: &'h AppState,
    pub secret: &'h create_secret::SecretState,
    /// The new secret's value, which no one holds yet.
    pub value: &'h SecretString,
    /// The connection's Resource.
    pub resource: &'h str,
}

/// Hands the new secret on to the platform: the connection made (a failure
/// releases the secret: exit 5), recorded and tagged on the app, the secret
/// checked by signing in with it, then what it replaced removed.
pub(crate) async fn hand_on(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    on: &Handover<'_>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let plan = ctx.plan;
    let platform = plan.platform()?;
    let Handover {
        session,
        target,
        app,
        secret,
        value,
        resource,
    } = *on;
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
    let mut tags = app.app.tags.clone();
    let visible = tag_and_verify(ctx, graph, on, &connected, &mut tags, read, report).await;
    said(ctx, on, &connected, report)?;
    report.verification.secret_signs_in = Some(true);
    report.verification.connection_visible = Some(visible?);

    // Replaced: the old connection, then the secret it held, then its tag
    // go only now (in that order: a run killed in between leaves a tag that
    // names a deleted connection, and the next run removes its secret). The
    // new ones work already, so a failure here is reported, not fatal.
    if let (Some(old), Some(held)) = (&connected.replaced, held) {
        let replaced = Replaced {
            target,
            app,
            old,
            held,
            new_connection: &new_connection,
            new_key: &secret.key_id,
        };
        if plan.secret.keep_previous {
            // `rotate --keep-previous`: both stay until the rotation is
            // finished (crate::steps::renewal).
            keep_previous(ctx, graph, replaced, report).await;
        } else {
            retire(ctx, graph, replaced, &mut tags, report).await;
        }
    }
    let replaced = connected.replaced.as_ref().map(|c| c.id.as_str());
    let kept = (new_connection.as_str(), replaced);
    remove_strays(ctx, graph, target, &app.app.id, kept, report).await;
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

/// The app says which secret the new connection holds (the old one's tag
/// stays while the old connection does), and this run's intent ends, in
/// one write made while the new secret signs in and the connection is read
/// back: one round trip. A failed tag write is a warning; returns the
/// check's answer (whether the connection is visible), judged by the
/// caller after the result says what was made.
async fn tag_and_verify(
    ctx: &Ctx<'_>,
    graph: &Graph,
    on: &Handover<'_>,
    connected: &connect_platform::ConnectionState,
    tags: &mut Vec<String>,
    read: Option<Vec<String>>,
    report: &mut Report,
) -> anyhow::Result<bool> {
    let (app, secret) = (on.app, on.secret);
    let run = ctx.custody.run_id().to_owned();
    let holding = custody::Holding {
        connection: &connected.connection.id,
        key: &secret.key_id,
        gone: &[],
        settles: (!secret.lost_answer).then_some(run.as_str()),
    };
    let (_, checked) = tokio::join!(
        mark_held(
            &ctx.custody,
            graph,
            &app.app.id,
            tags,
            &holding,
            Some(read),
            report
        ),
        verify::secret_and_connection(
            ctx,
            &on.session.tenant_id,
            &app.app.app_id,
            on.value,
            &on.target.client,
            &connected.connection.id,
        )
    );
    checked
}

/// The result's connection, and what its replacement means: said before
/// the checks are judged, so that a failed check still shows what exists.
fn said(
    ctx: &Ctx<'_>,
    on: &Handover<'_>,
    connected: &connect_platform::ConnectionState,
    report: &mut Report,
) -> anyhow::Result<()> {
    let plan = ctx.plan;
    report.connection = Some(
        on.target
            .connection_info(&connected.connection, connected.action)
            .replacing(connected.replaced.as_ref().map(|old| old.id.as_str())),
    );
    if let Some(old) = &connected.replaced {
        report.notes.push(crate::engine::narrate::replaced_note(
            &old.id,
            &connected.connection.name,
        ));
    }
    if plan.mode == Mode::Rotate && connected.replaced.is_none() {
        report.notes.push(format!(
            "there was no platform connection \"{}\" to replace, so one was made; other secrets \"{}\" of the app, if any, were kept: remove them in the Azure portal once nothing uses them",
            plan.platform()?.connection_name, plan.secret.description
        ));
    }
    Ok(())
}

/// The secret exists and a connection already holds it: the connection
/// stays, checked, recorded and tagged as holding it.
pub(crate) async fn keep_held(
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

/// Writes down which connection holds which secret (`key`, only when it is
/// known), and the Resource it was given when that changed.
fn record_connection(
    ctx: &mut Ctx<'_>,
    target: &PlatformTarget,
    connection: &str,
    key: Option<String>,
    resource: Option<String>,
) {
    ctx.record.connection_id = Some(connection.to_owned());
    ctx.record.secret_key_id = key;
    ctx.record.integration_id = Some(target.integration.id.clone());
    ctx.record.team = Some(target.client.team().to_owned());
    if resource.is_some() {
        ctx.record.resource = resource;
    }
    ctx.save_record();
}
