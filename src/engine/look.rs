//! The first reads every pass makes (the permission, the app, the
//! tenant's credential policy), and the first change: the app registration
//! and its service principal.

use crate::graph::Graph;
use crate::report::Report;
use crate::settings::{Mode, Plan};
use crate::steps::register_app::{self, AppState};
use crate::steps::resolve_permission::{self, ResolvedPermission};
use crate::steps::{Ctx, credential_policy};
use crate::stop::Stop;

use super::secret;

/// What the plan's mode lets the run do with the app it finds.
fn existing_app(plan: &Plan) -> register_app::Existing {
    match plan.mode {
        Mode::Rotate => register_app::Existing::Required,
        _ => register_app::Existing::Reconciled,
    }
}

/// Steps 3 and 4's reads, made together (neither needs the other): the
/// permission on the API's service principal, and the app (on a re-run, by
/// the record's ids, with its service principal). A failure of both is
/// reported as step 3's, as when they ran one after the other. Says
/// nothing: the caller says the steps once the reads are in.
pub(crate) async fn look(
    ctx: &Ctx<'_>,
    graph: &Graph,
) -> anyhow::Result<(ResolvedPermission, register_app::Found)> {
    let plan = ctx.plan;
    let existing = existing_app(plan);
    // The tenant's credential policy, when a new secret may be asked for: a
    // first run, a rotation, `register`, a re-run after one that made the
    // app but no secret (a re-run that keeps its secret does not read it).
    let recorded = ctx.record.app_object_id.as_deref();
    let rotating = plan.secret.rotate || plan.mode == Mode::Register;
    let wanted = rotating || recorded.is_none() || ctx.record.secret_key_id.is_none();
    let (perm, found, policy) = tokio::join!(
        resolve_permission::look_up(ctx, graph),
        register_app::look(ctx, graph, existing),
        credential_policy::read(graph, recorded.is_some(), wanted)
    );
    let (perm, found) = (perm?, found?);
    let known = credential_policy::settle(graph, policy, found.app()).await;
    if let (Some(known), Ok(mut this)) = (&known, ctx.credential_policy.lock()) {
        *this = Some(known.clone());
    }
    // A new secret is certain: one the policy does not allow is refused
    // now, before anything is written.
    if let (true, Some(credential_policy::Known::Read(Some(p)))) =
        (rotating || found.app().is_none(), &known)
    {
        let app = found.app().map_or("", |a| a.id.as_str());
        credential_policy::decide(Some(p), &plan.secret, app, graph.clock().now())?;
    }
    Ok((perm, found))
}

/// The first change, shared by `setup`, `rotate` and `register`: the app
/// registration and its service principal (`rotate` only finds them), from
/// what [`look`] found. Everything before this only read; a
/// Ctrl-C from here on stops at a step boundary.
pub(crate) async fn register_the_app(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    perm: &ResolvedPermission,
    found: register_app::Found,
    report: &mut Report,
) -> anyhow::Result<AppState> {
    if !ctx.dry_run {
        Stop::process().begin_changes();
    }
    let existing = existing_app(ctx.plan);
    let app = register_app::run(ctx, graph, perm, existing, found).await?;
    report.app = Some(app.info(&ctx.plan.app));
    policy_said(ctx, graph, &app.app.id, report);
    report.changes.extend(app.changes.iter().cloned());
    secret::checkpoint(ctx, graph, report, None, "before adding the client secret").await?;
    Ok(app)
}

/// The credential policy this run read, in the result; and, when it made
/// the new secret's default lifetime shorter, why.
fn policy_said(ctx: &Ctx<'_>, graph: &Graph, app_object_id: &str, report: &mut Report) {
    let Some(policy) = credential_policy::this_run(&ctx.credential_policy) else {
        return;
    };
    credential_policy::announce(ctx.printer, &policy);
    let spec = &ctx.plan.secret;
    let now = graph.clock().now();
    let capped = credential_policy::decide(Some(&policy), spec, app_object_id, now)
        .is_ok_and(|end| end < spec.expiry.timestamp());
    if capped {
        report.notes.push(format!(
            "{}: without --secret-expiry, a new secret gets the longest it allows",
            credential_policy::describe(&policy)
        ));
    }
    report.policy = Some(policy);
}
