//! `aad-setup register`: the Azure half of the guide only (steps 1–4 and
//! consent): the app registration, its permission, a client secret, checked
//! by signing in with it, then handed on: to a 0600 file (`--secret-file`),
//! or on stdout when asked (`--show-secret`, with `--output json` as
//! `secret.value`). The platform is not touched; `connect` (or an admin in
//! the platform's Admin > Integrations) takes it from there.

use secrecy::SecretString;

use crate::auth::Session;
use crate::error::{Failure, Kind};
use crate::graph::Graph;
use crate::output::Printer;
use crate::record::Store;
use crate::report::{Action, Code, Item, Op, Report, Status};
use crate::settings::Plan;
use crate::steps::register_app::AppState;
use crate::steps::resolve_permission::ResolvedPermission;
use crate::steps::{Ctx, create_secret, resolve_permission, sign_in, verify};

use super::failures::classify_graph_refusal;
use super::look::{look, register_the_app};
use super::narrate::narrate_consent;
use super::secret;

pub(super) async fn run(plan: &Plan, printer: &Printer) -> anyhow::Result<()> {
    let http = crate::http::Http::new(&plan.http)?;
    let (graph, session) = sign_in::for_plan_on(&http, plan, printer).await?;
    // The directory's name is read with the first lookups.
    run_on(plan, http, &graph, &session, printer, true).await
}

/// [`run`] after the sign-in: the wizard's hand-off, signed in already
/// (the directory's name read).
pub(crate) async fn run_signed_in(
    plan: &Plan,
    http: crate::http::Http,
    graph: &Graph,
    session: &Session,
    printer: &Printer,
) -> anyhow::Result<()> {
    run_on(plan, http, graph, session, printer, false).await
}

async fn run_on(
    plan: &Plan,
    http: crate::http::Http,
    graph: &Graph,
    session: &Session,
    printer: &Printer,
    read_directory: bool,
) -> anyhow::Result<()> {
    let store = Store::new(&plan.state_dir, &session.tenant_id, &plan.app.name);
    let record = store.load(&session.tenant_id, &plan.app.name);
    let mut ctx = Ctx {
        http,
        printer,
        plan,
        store: (!plan.dry_run).then_some(store),
        record,
        dry_run: plan.dry_run,
        custody: crate::custody::Custody::new(&plan.state_dir, plan.pending_lease),
        credential_policy: Default::default(),
    };
    let report = pass(&mut ctx, graph, session, read_directory)
        .await
        .map_err(|err| classify_graph_refusal(err, session))?;
    let delivered = printer.result(&report);
    let shown = report
        .secret
        .as_ref()
        .filter(|s| s.value.is_some() && s.file.is_none() && s.action == Action::Created);
    if let (true, Some(secret), Some(app)) = (delivered, shown, report.app.as_ref()) {
        // The person reading the output holds it now (crate::custody).
        ctx.record.handed_key_ids.push(secret.key_id.clone());
        ctx.save_record();
        if let Err(e) = ctx
            .custody
            .handed(graph, &app.object_id, &secret.key_id)
            .await
        {
            printer.warn(&format!(
                "the app could not be tagged with the secret handed on ({e:#})"
            ));
        }
    }
    // A new secret meant for stdout alone that did not get there is no
    // one's: remove it rather than leave it dangling.
    let stranded = report
        .secret
        .as_ref()
        .filter(|s| s.value.is_some() && s.file.is_none() && s.action == Action::Created);
    if let (false, Some(secret), Some(app)) = (delivered, stranded, report.app.as_ref()) {
        let what = secret::remove_unheld(&ctx.custody, graph, &app.object_id, &secret.key_id).await;
        return Err(Failure::new(
            Kind::Failed,
            format!("the output was closed before the new secret could be handed on; {what}"),
        )
        .with_hint("run again with its output read to the end, or with --secret-file PATH")
        .into());
    }
    Ok(())
}

async fn pass(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    session: &Session,
    read_directory: bool,
) -> anyhow::Result<Report> {
    let plan: &Plan = ctx.plan;
    // The directory's name, when sign-in left it, with the lookups; said in
    // the documented order.
    let (directory, looked) = tokio::join!(
        sign_in::pending_directory(graph, session, read_directory),
        look(ctx, graph)
    );
    let session = &sign_in::with_directory(ctx.printer, session, directory)?;
    let (perm, found) = looked?;
    resolve_permission::announce(ctx.printer, &perm);
    let mut report = super::narrate::report_for(session);
    report.heading = Some("The Azure app is registered; the platform connection is not made.");
    report.resource = plan
        .resource
        .clone()
        .or_else(|| perm.resource_uri.clone())
        .unwrap_or_default();
    report.permission = Some(perm.info());

    let mut app = register_the_app(ctx, graph, &perm, found, &mut report).await?;
    secret::sweep(ctx, graph, &mut app, None, &mut report).await?;
    let reuse = create_secret::Reuse::Any;
    let secret = secret::add(ctx, graph, &mut app, reuse, &perm, &mut report).await?;
    if ctx.dry_run {
        narrate(plan, &perm, &app, &secret, &mut report);
        return Ok(report);
    }

    let Some(value) = &secret.value else {
        return Err(Failure::new(
            Kind::Failed,
            format!(
                "the app has an unexpired client secret \"{}\" already (key id {}, expires {}): its value cannot be read back, so there is nothing new to hand on",
                plan.secret.description,
                secret.key_id,
                secret.end.as_deref().unwrap_or("unknown")
            ),
        )
        .with_hint("use the value handed on when it was made, or pass --new-secret to add another (the old one stays until you remove it; `aad-setup rotate` replaces the platform's)")
        .into());
    };
    hand_on(
        ctx,
        graph,
        session,
        (&app, &secret, value),
        &perm,
        &mut report,
    )
    .await?;
    Ok(report)
}

/// A look's lines: what a real run would add and hand on, or why it would
/// stop (a secret whose value cannot be read back).
fn narrate(
    plan: &Plan,
    perm: &ResolvedPermission,
    app: &AppState,
    secret: &create_secret::SecretState,
    report: &mut Report,
) {
    narrate_consent(perm, report);
    if secret.action == Action::WouldCreate {
        report.change(
            Op::Create,
            Code::SecretCreate,
            format!(
                "add a client secret \"{}\" expiring {}, and hand it on{}",
                plan.secret.description,
                secret
                    .end
                    .as_deref()
                    .map_or("?".into(), crate::report::when),
                match &plan.secret.file {
                    Some(p) => format!(" in {} (mode 0600)", p.display()),
                    None => String::new(),
                }
            ),
        );
    } else {
        report.notes.push(format!(
            "a real run would stop here: the app has an unexpired client secret \"{}\" (expires {}) whose value cannot be read back to hand on; pass --new-secret for another",
            plan.secret.description,
            secret.end.as_deref().unwrap_or("unknown")
        ));
    }
    if app.action == Action::Reused {
        report.unchanged.insert(
            0,
            Item::new(
                Code::AppKeep,
                format!(
                    "the app registration \"{}\" (client id {})",
                    plan.app.name, app.app.app_id
                ),
            ),
        );
    }
    report.status = Status::DryRun;
}

/// The new secret checked by signing in with it (a failure removes it,
/// unless a file holds it), then handed on: in the result, with the next
/// steps for the platform half.
async fn hand_on(
    ctx: &Ctx<'_>,
    graph: &Graph,
    session: &Session,
    (app, secret, value): (&AppState, &create_secret::SecretState, &SecretString),
    perm: &ResolvedPermission,
    report: &mut Report,
) -> anyhow::Result<()> {
    let plan = ctx.plan;
    if let Err(err) = verify::secret_signs_in(ctx, &session.tenant_id, &app.app.app_id, value).await
    {
        let what = match &plan.secret.file {
            Some(path) => format!("the new secret is kept in {}", path.display()),
            // To be shown only after the check: no one has it.
            None => secret::remove_unheld(&ctx.custody, graph, &app.app.id, &secret.key_id).await,
        };
        return Err(err.context(Failure::new(Kind::Failed, what)));
    }
    report.verification.secret_signs_in = Some(true);
    if plan.secret.show {
        if let Some(s) = report.secret.as_mut() {
            s.value = Some(value.clone());
        }
    }
    let connect = connect_step(
        &app.app.app_id,
        &session.tenant_id,
        &report.resource,
        plan.secret.file.as_deref(),
    );
    report.next(Code::PlatformConnect, connect);
    report.status = Status::Done;
    if perm.admin_consent_required
        && report
            .consent
            .as_ref()
            .is_none_or(|c| c.action == Action::WouldCreate)
    {
        report.next(
            Code::ConsentGrant,
            format!(
                "Grant admin consent for {} (Azure portal: App registrations > {} > API permissions > Grant admin consent), or run again with --admin-consent.",
                perm.value, plan.app.name
            ),
        );
    }
    Ok(())
}

/// The platform half, from what `register` handed on.
fn connect_step(
    client_id: &str,
    tenant_id: &str,
    resource: &str,
    secret_file: Option<&std::path::Path>,
) -> String {
    let secret = match secret_file {
        Some(path) => format!("--app-secret-file {}", path.display()),
        None => "--app-secret-file PATH (a file holding the secret shown above)".into(),
    };
    format!(
        "Create the platform connection: `aad-setup connect --client-id {client_id} --tenant {tenant_id} --resource {resource} {secret}`, or in the platform's Admin > Integrations > Azure Active Directory > Add this Connection with these four values."
    )
}
