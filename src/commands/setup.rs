//! `aad-setup setup`: the whole guide, steps 1–8, then the summary.
//!
//! Signed in once, a [`Setup`] runs the steps in one of two passes: a look
//! ([`Setup::preview`], nothing changed: `--dry-run`, and the wizard's plan)
//! and the real thing ([`Setup::apply`]). Once the first change is made, a
//! Ctrl-C stops the run at the next step boundary, never in the middle of
//! one (see [`Stop`]).

use secrecy::SecretString;

use crate::auth::{self, MANAGE_APPS, Session};
use crate::custody;
use crate::error::{self, Failure, Kind};
use crate::graph::{Graph, graph_error};
use crate::http::Http;
use crate::output::Printer;
use crate::record::{Record, Store};
use crate::report::{Action, ConnectionInfo, Report, Status};
use crate::settings::{Mode, Plan};
use crate::steps::connect_platform::{self, Values};
use crate::steps::{
    Ctx, Stop, create_secret, grant_consent, platform_preflight, register_app, resolve_permission,
    sign_in, verify,
};

/// `setup` without the wizard: sign in, then look (`--dry-run`) or do.
pub async fn run(plan: &Plan, printer: &Printer) -> anyhow::Result<()> {
    let (http, graph, session) = sign_in::for_plan(plan, printer).await?;
    let setup = Setup::new(plan, printer, http, graph, session);
    if plan.dry_run {
        let preview = setup.preview(printer).await?;
        printer.report(&preview.report);
        return Ok(());
    }
    setup.apply().await
}

/// A signed-in setup, ready to look or to do.
pub struct Setup<'a> {
    plan: &'a Plan,
    printer: &'a Printer,
    http: Http,
    graph: Graph,
    session: Session,
    store: Store,
    record: Record,
}

/// What a look found.
pub struct Preview {
    /// Status `dry-run`; `changes` and `unchanged` say what a run would do.
    pub report: Report,
    /// Something would be created or changed.
    pub changes: bool,
    /// Something that exists would be changed or replaced (an app patched,
    /// a connection and its secret replaced): confirm with "no" as default.
    pub destructive: bool,
}

impl Preview {
    fn of(mut report: Report) -> Preview {
        let changes = !report.changes.is_empty();
        if !changes {
            report
                .changes
                .push("nothing: everything is in place".into());
        }
        let would_update = |action: Option<Action>| action == Some(Action::WouldUpdate);
        let destructive = would_update(report.app.as_ref().map(|a| a.action))
            || would_update(report.connection.as_ref().map(|c| c.action));
        Preview {
            report,
            changes,
            destructive,
        }
    }
}

impl<'a> Setup<'a> {
    pub fn new(
        plan: &'a Plan,
        printer: &'a Printer,
        http: Http,
        graph: Graph,
        session: Session,
    ) -> Setup<'a> {
        let store = Store::new(&plan.state_dir, &session.tenant_id, &plan.app.name);
        let record = store.load(&session.tenant_id, &plan.app.name);
        Setup {
            plan,
            printer,
            http,
            graph,
            session,
            store,
            record,
        }
    }

    /// Reads everything and says what a run would change; changes nothing.
    /// Finished steps are shown through `printer` (the wizard passes one
    /// without them: it shows the plan instead).
    pub async fn preview(&self, printer: &Printer) -> anyhow::Result<Preview> {
        let mut ctx = Ctx {
            http: self.http.clone(),
            printer,
            plan: self.plan,
            store: None,
            record: self.record.clone(),
            dry_run: true,
        };
        let report = pass(&mut ctx, &self.graph, &self.session)
            .await
            .map_err(|err| classify_graph_refusal(err, &self.session))?;
        Ok(Preview::of(report))
    }

    /// Makes the changes, verifies them, and prints the summary.
    pub async fn apply(self) -> anyhow::Result<()> {
        let mut ctx = Ctx {
            http: self.http,
            printer: self.printer,
            plan: self.plan,
            store: Some(self.store),
            record: self.record,
            dry_run: false,
        };
        let mut report = pass(&mut ctx, &self.graph, &self.session)
            .await
            .map_err(|err| classify_graph_refusal(err, &self.session))?;
        if !report.warnings.is_empty() {
            report.status = Status::NeedsAttention;
        }
        self.printer.report(&report);
        unfinished(&report)
    }
}

/// A Graph 403 that is not already explained becomes exit 4 with the same
/// message the up-front check gives (DESIGN "Sign-in to Microsoft"); a 401
/// (expired or foreign token) is a sign-in failure, exit 3.
pub(crate) fn classify_graph_refusal(err: anyhow::Error, session: &Session) -> anyhow::Error {
    if error::failure(&err).is_some() {
        return err;
    }
    match graph_error(&err) {
        Some(g) if g.status == reqwest::StatusCode::UNAUTHORIZED => {
            let failure = Failure::new(
                Kind::SignIn,
                format!(
                    "Microsoft Graph did not accept the token of {} ({})",
                    session.identity, g.code
                ),
            )
            .with_hint("the token may have expired or be meant for another API: sign in again");
            err.context(failure)
        }
        Some(g) if g.is_denied() => {
            let why = format!("Graph answered {} to {}", g.code, g.action);
            let failure = auth::denied(session, &MANAGE_APPS, &why);
            let f = error::failure(&failure).expect("denied() builds a Failure");
            let f = Failure::new(f.kind, f.message.clone())
                .with_hint(f.hint.clone().unwrap_or_default());
            err.context(f)
        }
        _ => err,
    }
}

/// One pass over the steps: a look when `ctx.dry_run`, else the run.
async fn pass(ctx: &mut Ctx<'_>, graph: &Graph, session: &Session) -> anyhow::Result<Report> {
    let plan = ctx.plan;
    let platform = plan.platform()?;
    let mut target = platform_preflight::run(ctx).await?;
    let perm = resolve_permission::run(ctx, graph).await?;
    // A rotation (`rotate`, `setup --rotate`) keeps the Resource the
    // connection was given last time.
    let rotating = plan.secret.rotate;
    // The record's, only if it recorded the connection being replaced.
    let recorded_resource = target
        .existing
        .as_ref()
        .filter(|c| ctx.record.connection_id.as_deref() == Some(c.id.as_str()))
        .and_then(|_| ctx.record.resource.clone());
    let resource = plan
        .resource
        .clone()
        .or_else(|| rotating.then(|| recorded_resource.clone()).flatten())
        .or_else(|| perm.resource_uri.clone())
        .unwrap_or_default();
    if rotating
        && target.existing.is_some()
        && plan.resource.is_none()
        && recorded_resource.is_none()
    {
        ctx.printer.warn(&format!(
            "the Resource the connection was given is not known here (the local record does not have it): the new connection gets {resource}; pass --resource if it was another"
        ));
    }

    let mut report = Report::new(session.tenant_id.clone());
    if plan.mode == Mode::Rotate {
        report.heading =
            Some("The client secret is rotated: the platform connection holds the new one.");
    }
    report.resource = resource.clone();
    report.permission = Some(perm.info());

    // Everything before this point only read.
    let stop = Stop::process();
    if !ctx.dry_run {
        stop.begin_changes();
    }
    let mut app = register_app::run(ctx, graph, &perm).await?;
    report.app = Some(app.info(&plan.app));
    report.changes.extend(app.changes.iter().cloned());
    if !ctx.dry_run {
        // What earlier runs left: secrets in flight whose run is gone, and
        // the secrets of connections deleted on the platform.
        let listed: Vec<String> = target
            .integration
            .connections
            .iter()
            .map(|c| c.id.clone())
            .collect();
        let deleted = custody::deleted_connections(&app.app, &listed, &target.client).await?;
        let protected: Vec<String> = ctx
            .record
            .handed_key_ids
            .iter()
            .chain(&ctx.record.secret_key_id)
            .cloned()
            .collect();
        let swept = custody::sweep(
            graph,
            &mut app.app,
            &plan.secret.description,
            &plan.state_dir,
            &deleted,
            &protected,
        )
        .await?;
        report.notes.extend(swept);
        choose_existing(&mut target, &app.app, &platform.connection_name);
    }
    if stop.requested() {
        return Err(interrupted(
            ctx,
            graph,
            &mut report,
            None,
            "before adding the client secret",
        )
        .await);
    }

    // A connection made for another app is not ours to keep.
    let existing = target.existing.clone();
    let reuse = match &existing {
        Some(c) => create_secret::Reuse::HeldBy(&c.id),
        None => create_secret::Reuse::Nothing,
    };
    let secret = create_secret::run(ctx, graph, &app.app, reuse).await?;
    let new_secret = secret
        .value
        .as_ref()
        .map(|value| (&app.app, secret.key_id.as_str(), value));
    report.secret = Some(secret.info(&plan.secret));
    if stop.requested() {
        return Err(interrupted(
            ctx,
            graph,
            &mut report,
            new_secret,
            "before admin consent and the platform connection",
        )
        .await);
    }
    if plan.app.admin_consent {
        let consent = match grant_consent::run(ctx, graph, app.sp.as_ref(), &perm).await {
            Ok(consent) => consent,
            Err(err) => {
                // The new secret is no one's yet: it goes with the failure.
                if let Some((app, key_id, value)) = new_secret {
                    release_secret(ctx, graph, &mut report, app, key_id, value).await;
                    for note in &report.notes {
                        ctx.printer.warn(note);
                    }
                }
                return Err(err);
            }
        };
        if ctx.dry_run && consent.action != Action::Reused {
            report.changes.push(format!(
                "grant tenant-wide admin consent for {}",
                perm.value
            ));
        }
        report.consent = Some(consent);
        if stop.requested() {
            return Err(interrupted(
                ctx,
                graph,
                &mut report,
                new_secret,
                "before the platform connection",
            )
            .await);
        }
    }
    let team = target.client.team().to_owned();
    let connection_info = |c: &crate::platform::types::Connection, action: Action| ConnectionInfo {
        id: c.id.clone(),
        name: c.name.clone(),
        integration_id: target.integration.id.clone(),
        integration_name: target.integration.name.clone(),
        team: team.clone(),
        action,
        previous_id: None,
    };

    if ctx.dry_run {
        if secret.action == Action::WouldCreate {
            report.changes.push(format!(
                "add a client secret \"{}\" expiring {}",
                plan.secret.description,
                secret.end.as_deref().unwrap_or("?")
            ));
            report.changes.push(match &existing {
                Some(c) => {
                    report.connection = Some(connection_info(c, Action::WouldUpdate));
                    format!(
                        "replace the platform connection \"{}\" ({}) with one holding the new secret (and tag the app with it), then delete the old one and remove the secret it held",
                        c.name, c.id
                    )
                }
                None => format!(
                    "create the platform connection \"{}\" on \"{}\" for team {team} (Client ID, Client Secret, Resource {resource}, Tenant), and tag the app with the secret it holds",
                    platform.connection_name, target.integration.name
                ),
            });
        } else if let Some(c) = &existing {
            report.connection = Some(connection_info(c, Action::Reused));
            report.unchanged.push(format!(
                "the client secret \"{}\" (expires {}), which the platform connection \"{}\" ({}) holds",
                plan.secret.description,
                secret.end.as_deref().unwrap_or("unknown"),
                c.name,
                c.id
            ));
            if secret.known
                && create_secret::tagged(&app.app, &c.id) != Some(secret.key_id.as_str())
            {
                report.changes.push(format!(
                    "tag the app with the secret the connection holds ({}{}:{})",
                    create_secret::HELD_TAG,
                    c.id,
                    secret.key_id
                ));
            }
        }
        if app.action == Action::Reused {
            report.unchanged.insert(
                0,
                format!(
                    "the app registration \"{}\" (client id {}){}",
                    plan.app.name,
                    app.app.app_id,
                    if app.sp_action == Action::Reused {
                        " and its service principal"
                    } else {
                        ""
                    }
                ),
            );
        }
        if report
            .consent
            .as_ref()
            .is_some_and(|c| c.action == Action::Reused)
        {
            report
                .unchanged
                .push(format!("tenant-wide admin consent for {}", perm.value));
        }
        report.status = Status::DryRun;
        return Ok(report);
    }

    let Some(value) = secret.value else {
        // Reused secret: the connection that holds it stays.
        let connection = existing.expect("a secret is reused only with an existing connection");
        report.connection = Some(connection_info(&connection, Action::Reused));
        report.verification.connection_visible =
            Some(verify::connection_visible(ctx.printer, &target.client, &connection.id).await?);
        ctx.record.connection_id = Some(connection.id.clone());
        // A guess is not written down: a later rotation would trust it.
        ctx.record.secret_key_id = secret.known.then(|| secret.key_id.clone());
        ctx.record.integration_id = Some(target.integration.id.clone());
        ctx.record.team = Some(team.clone());
        ctx.save_record();
        if secret.known
            && create_secret::tagged(&app.app, &connection.id) != Some(secret.key_id.as_str())
        {
            let mut tags = app.app.tags.clone();
            let held = Some(secret.key_id.as_str());
            mark_held(
                ctx,
                graph,
                &app.app.id,
                &mut tags,
                &connection.id,
                held,
                &[],
                &mut report,
            )
            .await;
        }
        report.notes.push(
            "the platform connection and its secret were reused; `aad-setup rotate` makes a new secret"
                .into(),
        );
        remove_strays(
            ctx,
            graph,
            &target,
            &app.app.id,
            &connection.id,
            &mut report,
        )
        .await;
        finish(&mut report, plan, &connection.name, &perm);
        return Ok(report);
    };

    let values = Values {
        client_id: &app.app.app_id,
        client_secret: &value,
        resource: &resource,
        tenant: &session.tenant_id,
    };
    let connected =
        match connect_platform::create(ctx.printer, &target, &platform.connection_name, &values)
            .await
        {
            Ok(c) => c,
            Err(err) => {
                return Err(partial(
                    ctx,
                    graph,
                    &mut report,
                    &app.app,
                    &secret.key_id,
                    &value,
                    err,
                )
                .await);
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
    ctx.record.connection_id = Some(new_connection.clone());
    ctx.record.secret_key_id = Some(secret.key_id.clone());
    ctx.record.integration_id = Some(target.integration.id.clone());
    ctx.record.team = Some(team.clone());
    ctx.record.resource = Some(resource.clone());
    ctx.save_record();
    // The app says which secret the new connection holds (the old one's
    // tag stays while the old connection does).
    let mut tags = app.app.tags.clone();
    let key = Some(secret.key_id.as_str());
    mark_held(
        ctx,
        graph,
        &app.app.id,
        &mut tags,
        &new_connection,
        key,
        &[],
        &mut report,
    )
    .await;
    report.connection = Some(ConnectionInfo {
        previous_id: connected.replaced.as_ref().map(|old| old.id.clone()),
        ..connection_info(&connected.connection, connected.action)
    });
    if let Some(old) = &connected.replaced {
        report
            .notes
            .push(replaced_note(&old.id, &connected.connection.name));
    }
    if plan.mode == Mode::Rotate && connected.replaced.is_none() {
        report.notes.push(format!(
            "there was no platform connection \"{}\" to replace, so one was made; other secrets \"{}\" of the app, if any, were kept: remove them in the Azure portal once nothing uses them",
            platform.connection_name, plan.secret.description
        ));
    }

    verify::secret_signs_in(ctx, &session.tenant_id, &app.app.app_id, &value).await?;
    report.verification.secret_signs_in = Some(true);
    report.verification.connection_visible = Some(
        verify::connection_visible(ctx.printer, &target.client, &connected.connection.id).await?,
    );

    // Replaced: the old connection, then the secret it held, then its tag
    // go only now (in that order: a run killed in between leaves a tag that
    // names a deleted connection, and the next run removes its secret). The
    // new ones work already, so a failure here is reported, not fatal.
    if let (Some(old), Some(held)) = (&connected.replaced, held) {
        let deleted = match target.client.delete_connection(&old.id).await {
            Ok(()) => {
                report.notes.push(format!(
                    "the previous connection {} was replaced and deleted",
                    old.id
                ));
                true
            }
            Err(e) => {
                report.warnings.push(format!(
                    "the previous connection {} could not be deleted ({e:#}): delete it in the platform's Admin > Integrations",
                    old.id
                ));
                false
            }
        };
        let removed = match held {
            Held::Known(old_key) => match graph.remove_password(&app.app.id, &old_key).await {
                Ok(()) => {
                    report
                        .notes
                        .push(format!("the secret it held ({old_key}) was removed"));
                    true
                }
                Err(e) => {
                    report.warnings.push(format!(
                        "the secret it held ({old_key}) could not be removed ({e:#}): remove it in the Azure portal, Certificates & secrets"
                    ));
                    false
                }
            },
            Held::Unknown(candidates) => {
                report.warnings.push(format!(
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
            mark_held(
                ctx,
                graph,
                &app.app.id,
                &mut tags,
                &new_connection,
                key,
                &gone,
                &mut report,
            )
            .await;
        }
    }
    remove_strays(
        ctx,
        graph,
        &target,
        &app.app.id,
        &new_connection,
        &mut report,
    )
    .await;
    if plan.secret.show {
        if let Some(s) = report.secret.as_mut() {
            s.value = Some(value.clone());
        }
    }
    custody::settle(graph, &app.app.id, &plan.state_dir, secret.lost_answer).await;
    finish(&mut report, plan, &connected.connection.name, &perm);
    Ok(report)
}

/// Other connections of ours (the connection's name, or one a rotation
/// gave it) than `keep`: what a run killed mid-rotation, or a second run at
/// the same time, left. Each is deleted, then the secret the app's tag says
/// it held, then that tag. A failure is a warning.
async fn remove_strays(
    ctx: &Ctx<'_>,
    graph: &Graph,
    target: &platform_preflight::PlatformTarget,
    app_object_id: &str,
    keep: &str,
    report: &mut Report,
) {
    let base = &ctx
        .plan
        .platform
        .as_ref()
        .map(|p| p.connection_name.clone())
        .unwrap_or_default();
    let Ok(now) = target.client.get_integration(&target.integration.id).await else {
        return;
    };
    let strays: Vec<_> = now
        .connections
        .iter()
        .filter(|c| c.id != keep && connect_platform::is_ours(&c.name, base))
        .collect();
    if strays.is_empty() {
        return;
    }
    let Ok(Some(app)) = graph.get_application(app_object_id).await else {
        return;
    };
    let holders = custody::holders(&app.tags);
    for stray in strays {
        if let Err(e) = target.client.delete_connection(&stray.id).await {
            report.warnings.push(format!(
                "the connection {} (\"{}\"), left by an earlier or parallel run, could not be deleted ({e:#}): delete it in the platform's Admin > Integrations",
                stray.id, stray.name
            ));
            continue;
        }
        report.notes.push(format!(
            "the connection {} (\"{}\"), left by an earlier or parallel run, was deleted",
            stray.id, stray.name
        ));
        for (_, key) in holders.iter().filter(|(c, _)| *c == stray.id) {
            if graph.remove_password(app_object_id, key).await.is_ok() {
                report
                    .notes
                    .push(format!("the secret it held ({key}) was removed"));
            }
        }
        let id = stray.id.clone();
        let _ = custody::edit_tags(graph, app_object_id, |tags| {
            custody::retag(tags, &[], |t| {
                t.strip_prefix(custody::HELD)
                    .and_then(|rest| rest.rsplit_once(':'))
                    .is_some_and(|(c, _)| c == id)
            })
        })
        .await;
    }
}

/// Of several connections of ours, the one to keep or replace: the one
/// the app's tag says holds a secret the app still has, else the one
/// found by the platform step (the record's, else the newest).
fn choose_existing(
    target: &mut platform_preflight::PlatformTarget,
    app: &crate::graph::types::Application,
    base: &str,
) {
    let tagged = target.integration.connections.iter().find(|c| {
        connect_platform::is_ours(&c.name, base)
            && create_secret::tagged(app, &c.id)
                .is_some_and(|k| app.password_credentials.iter().any(|p| p.key_id == k))
    });
    if let Some(c) = tagged {
        target.existing = Some(c.clone());
    }
}

/// A result in place with something left to do by hand (see
/// [`Report::warnings`]): exit 1 after the summary, which lists it.
pub(crate) fn unfinished(report: &Report) -> anyhow::Result<()> {
    if report.warnings.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        Kind::Failed,
        format!(
            "done, but {} thing(s) need your attention (listed in the result)",
            report.warnings.len()
        ),
    )
    .into())
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
    app: &crate::graph::types::Application,
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

/// Tags the app with the secret `connection` holds (`key`), and drops the
/// tags of connections that are `gone` (see [`create_secret::HELD_TAG`]).
/// `tags` is the app's tags as last written, kept up to date. A failure is
/// a warning: the connection works; only a later rotation elsewhere would
/// lack the tag.
#[allow(clippy::too_many_arguments)]
async fn mark_held(
    ctx: &Ctx<'_>,
    graph: &Graph,
    app_object_id: &str,
    tags: &mut Vec<String>,
    connection: &str,
    key: Option<&str>,
    gone: &[&str],
    report: &mut Report,
) {
    let Some(wanted) = create_secret::tags_holding(tags, connection, key, gone) else {
        report.notes.push(format!(
            "the connection id {connection} is too long for the app's held-secret tag; a rotation on another machine will list the secrets instead of removing one"
        ));
        return;
    };
    let Some(key) = key else {
        *tags = wanted;
        return;
    };
    // Custody: the held tag replaces the secret's pending one.
    let written = custody::held_by(graph, app_object_id, connection, key, gone).await;
    let _ = ctx;
    match written {
        Ok(now) => *tags = now,
        Err(e) => report.warnings.push(format!(
            "the app could not be tagged with the secret its connection holds ({e:#}); a rotation on another machine will not know which secret to remove"
        )),
    }
}

/// What a replacement means for the platform admin; `connect --replace`
/// says the same.
pub fn replaced_note(previous: &str, name: &str) -> String {
    format!(
        "the connection is a new object, \"{name}\", replacing {previous} (the platform cannot update a connection): the platform admin repeats Connect and sets its permissions again"
    )
}

/// What to do in the platform once the connection exists; `connect` says
/// the same.
pub fn platform_next_step(connection: &str) -> String {
    format!(
        "In the platform, open Admin > Integrations > Azure Active Directory and select the connection \"{connection}\": set who may use it (connection permissions are set only there), then select Connect and sign in to Microsoft as an Azure admin."
    )
}

fn finish(
    report: &mut Report,
    plan: &Plan,
    connection_name: &str,
    perm: &resolve_permission::ResolvedPermission,
) {
    report.status = Status::Done;
    report.next_steps.push(platform_next_step(connection_name));
    let consented = report
        .consent
        .as_ref()
        .is_some_and(|c| c.action != Action::WouldCreate);
    if perm.admin_consent_required && !consented {
        report.next_steps.push(format!(
            "Grant admin consent for {} (Azure portal: App registrations > {} > API permissions > Grant admin consent), or run again with --admin-consent.",
            perm.value, plan.app.name
        ));
    }
    if let Some(end) = report.secret.as_ref().and_then(|s| s.expires.clone()) {
        report.next_steps.push(format!(
            "The client secret expires {end}: run `aad-setup rotate` before then."
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
    app: &crate::graph::types::Application,
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
                let _ = custody::handed(graph, &app.id, key_id).await;
                remember_handed(ctx, key_id);
                report.notes.push(format!("the new secret was kept (--keep-secret-on-failure) and written to {} (mode 0600)", p.display()));
                if let Some(s) = report.secret.as_mut() {
                    s.file = Some(p.display().to_string());
                }
            }
            Err(e) => report.notes.push(format!("the new secret was kept but could not be written to a file: {e:#}; remove it with the Azure portal (key id {key_id})")),
        }
    } else {
        match graph.remove_password(&app.id, key_id).await {
            Ok(()) => {
                let _ = custody::released(graph, &app.id, key_id).await;
                custody::settle(graph, &app.id, &plan.state_dir, false).await;
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
    app: &crate::graph::types::Application,
    key_id: &str,
    value: &SecretString,
    err: anyhow::Error,
) -> anyhow::Error {
    report.status = Status::Partial;
    release_secret(ctx, graph, report, app, key_id, value).await;
    report
        .next_steps
        .push(format!("Fix the platform problem: {err}"));
    report.next_steps.push(
        "Run the same command again: it reuses the app and creates only what is missing.".into(),
    );
    ctx.printer.report(report);
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
    new_secret: Option<(&crate::graph::types::Application, &str, &SecretString)>,
    stopped: &str,
) -> anyhow::Error {
    report.status = Status::Interrupted;
    report.notes.push(format!("stopped on Ctrl-C {stopped}"));
    if let Some((app, key_id, value)) = new_secret {
        release_secret(ctx, graph, report, app, key_id, value).await;
    }
    report.next_steps.push(
        "Run the same command again: it reuses what exists and creates only what is missing."
            .into(),
    );
    ctx.printer.report(report);
    Failure::new(
        Kind::Interrupted,
        format!("interrupted {stopped}; what exists is listed above"),
    )
    .into()
}
