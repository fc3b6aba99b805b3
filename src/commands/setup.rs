//! `aad-setup setup`: the whole guide, steps 1–8, then the summary.

use secrecy::SecretString;

use crate::auth::{self, MANAGE_APPS, Session};
use crate::error::{self, Failure, Kind};
use crate::graph::{Graph, graph_error};
use crate::http::Http;
use crate::output::Printer;
use crate::record::{Record, Store};
use crate::report::{Action, AppInfo, ConnectionInfo, PermissionInfo, Report, SecretInfo, Status};
use crate::settings::Plan;
use crate::steps::connect_platform::{self, Values};
use crate::steps::register_app::SINGLE_TENANT;
use crate::steps::{
    Ctx, create_secret, grant_consent, platform_preflight, register_app, resolve_permission,
    sign_in, verify,
};

pub async fn run(plan: &Plan, printer: &Printer) -> anyhow::Result<()> {
    for warning in &plan.warnings {
        printer.warn(warning);
    }
    let mut ctx = Ctx {
        http: Http::new()?,
        printer,
        plan,
        store: None,
        record: Record::default(),
    };
    let (graph, session) = sign_in::run(&ctx).await?;
    let store = Store::new(&plan.state_dir, &session.tenant_id, &plan.app.name);
    ctx.record = store.load(&session.tenant_id, &plan.app.name);
    ctx.store = Some(store);
    run_signed_in(&mut ctx, &graph, &session)
        .await
        .map_err(|err| classify_graph_refusal(err, &session))
}

/// A Graph 403 that is not already explained becomes exit 4 with the same
/// message the up-front check gives (DESIGN "Sign-in to Microsoft"); a 401
/// (expired or foreign token) is a sign-in failure, exit 3.
fn classify_graph_refusal(err: anyhow::Error, session: &Session) -> anyhow::Error {
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

async fn run_signed_in(ctx: &mut Ctx<'_>, graph: &Graph, session: &Session) -> anyhow::Result<()> {
    let plan = ctx.plan;
    let printer = ctx.printer;
    let target = platform_preflight::run(ctx).await?;
    let perm = resolve_permission::run(ctx, graph).await?;
    let resource = plan
        .platform
        .resource
        .clone()
        .or_else(|| perm.resource_uri.clone())
        .unwrap_or_default();

    let mut report = Report::new(session.tenant_id.clone());
    report.resource = resource.clone();
    report.permission = Some(PermissionInfo {
        api: perm.api_name.clone(),
        api_app_id: perm.api_app_id.clone(),
        name: perm.value.clone(),
        id: perm.permission_id.clone(),
        kind: "Scope".into(),
        admin_consent_required: perm.admin_consent_required,
    });

    let app = register_app::run(ctx, graph, &perm).await?;
    report.app = Some(AppInfo {
        display_name: plan.app.name.clone(),
        object_id: app.app.id.clone(),
        client_id: app.app.app_id.clone(),
        sign_in_audience: SINGLE_TENANT.into(),
        redirect_uri: plan.app.redirect_uri.clone(),
        action: app.action,
        service_principal_id: app.sp.as_ref().map(|s| s.id.clone()).unwrap_or_default(),
        service_principal_action: app.sp_action,
    });
    report.changes.extend(app.changes.iter().cloned());

    // A connection made for another app is not ours to keep.
    let existing = target.existing.clone();
    let secret = create_secret::run(ctx, graph, &app.app, existing.is_some()).await?;
    if plan.app.admin_consent {
        let consent = grant_consent::run(ctx, graph, app.sp.as_ref(), &perm).await?;
        if plan.dry_run && consent.action != Action::Reused {
            report.changes.push(format!(
                "grant tenant-wide admin consent for {}",
                perm.value
            ));
        }
        report.consent = Some(consent);
    }
    report.secret = Some(SecretInfo {
        description: plan.secret.description.clone(),
        key_id: secret.key_id.clone(),
        hint: secret.hint.clone(),
        expires: secret.end.clone(),
        action: secret.action,
        file: plan
            .secret
            .file
            .as_ref()
            .filter(|_| secret.action == Action::Created)
            .map(|p| p.display().to_string()),
        value: None,
    });
    let team = target.client.team().to_owned();
    let connection_info = |c: &crate::platform::types::Connection, action: Action| ConnectionInfo {
        id: c.id.clone(),
        name: c.name.clone(),
        integration_id: target.integration.id.clone(),
        integration_name: target.integration.name.clone(),
        team: team.clone(),
        action,
    };

    if plan.dry_run {
        if secret.action == Action::WouldCreate {
            report.changes.push(format!(
                "add a client secret \"{}\" expiring {}",
                plan.secret.description,
                secret.end.as_deref().unwrap_or("?")
            ));
            report.changes.push(match &existing {
                Some(c) => format!(
                    "replace the platform connection \"{}\" ({}) with one holding the new secret",
                    c.name, c.id
                ),
                None => format!(
                    "create the platform connection \"{}\" on \"{}\" for team {team}",
                    plan.platform.connection_name, target.integration.name
                ),
            });
        }
        report.status = Status::DryRun;
        if report.changes.is_empty() {
            report
                .changes
                .push("nothing: everything is in place".into());
        }
        printer.report(&report);
        return Ok(());
    }

    let Some(value) = secret.value else {
        // Reused secret: the connection that holds it stays.
        let connection = existing.expect("a secret is reused only with an existing connection");
        report.connection = Some(connection_info(&connection, Action::Reused));
        report.verification.connection_visible =
            Some(verify::connection_visible(ctx, &target.client, &connection.id).await?);
        ctx.record.connection_id = Some(connection.id.clone());
        ctx.record.secret_key_id = Some(secret.key_id.clone());
        ctx.record.integration_id = Some(target.integration.id.clone());
        ctx.record.team = Some(team.clone());
        ctx.save_record();
        report.notes.push(
            "the platform connection and its secret were reused; pass --rotate for a new secret"
                .into(),
        );
        finish(&mut report, plan, &perm);
        printer.report(&report);
        return Ok(());
    };

    let values = Values {
        client_id: &app.app.app_id,
        client_secret: &value,
        resource: &resource,
        tenant: &session.tenant_id,
    };
    let connected = match connect_platform::create(ctx, &target, &values).await {
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
    let previous_key = ctx.record.secret_key_id.clone();
    ctx.record.connection_id = Some(connected.connection.id.clone());
    ctx.record.secret_key_id = Some(secret.key_id.clone());
    ctx.record.integration_id = Some(target.integration.id.clone());
    ctx.record.team = Some(team.clone());
    ctx.save_record();
    report.connection = Some(connection_info(&connected.connection, connected.action));

    verify::secret_signs_in(ctx, &session.tenant_id, &app.app.app_id, &value).await?;
    report.verification.secret_signs_in = Some(true);
    report.verification.connection_visible =
        Some(verify::connection_visible(ctx, &target.client, &connected.connection.id).await?);

    // Replaced: the old connection, then the secret it held, go only now.
    if let Some(old) = &connected.replaced {
        target.client.delete_connection(&old.id).await?;
        report.notes.push(format!(
            "the previous connection {} was replaced and deleted",
            old.id
        ));
        if let Some(old_key) = previous_key.filter(|k| *k != secret.key_id) {
            if app
                .app
                .password_credentials
                .iter()
                .any(|c| c.key_id == old_key)
            {
                graph.remove_password(&app.app.id, &old_key).await?;
                report
                    .notes
                    .push(format!("the secret it held ({old_key}) was removed"));
            }
        }
    }
    if plan.secret.show {
        if let Some(s) = report.secret.as_mut() {
            s.value = Some(value.clone());
        }
    }
    finish(&mut report, plan, &perm);
    printer.report(&report);
    Ok(())
}

fn finish(report: &mut Report, plan: &Plan, perm: &resolve_permission::ResolvedPermission) {
    report.status = Status::Done;
    let connection = &plan.platform.connection_name;
    report.next_steps.push(format!(
        "In the platform, open Admin > Integrations > Azure Active Directory and select the connection \"{connection}\": set who may use it (connection permissions are set only there), then select Connect and sign in to Microsoft as an Azure admin."
    ));
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
            "The client secret expires {end}: run `aad-setup --rotate` before then."
        ));
    }
}

/// The platform step failed after the secret exists: do not leave it
/// dangling. Remove it (default) or keep it in a 0600 file; print what
/// exists; exit 5.
async fn partial(
    ctx: &Ctx<'_>,
    graph: &Graph,
    report: &mut Report,
    app: &crate::graph::types::Application,
    key_id: &str,
    value: &SecretString,
    err: anyhow::Error,
) -> anyhow::Error {
    let plan = ctx.plan;
    report.status = Status::Partial;
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
                report.notes.push(format!("the new secret ({key_id}) was removed, so nothing is left dangling"));
                if let Some(s) = report.secret.as_mut() {
                    s.action = Action::Removed;
                }
            }
            Err(e) => report.notes.push(format!("the new secret ({key_id}) could not be removed: {e:#}; remove it in the Azure portal")),
        }
    }
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
