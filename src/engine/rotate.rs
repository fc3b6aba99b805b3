//! `rotate`: a new client secret for an existing setup. It is `setup` with
//! a new secret asked for, in a plan of its own kind
//! ([`Mode::Rotate`](crate::settings::Mode::Rotate)) that never creates the
//! app registration or changes its settings (only its held-secret tag) and
//! gives the connection the Resource it had: a new secret → a new platform
//! connection holding it → verified → the old connection deleted and the
//! secret it held removed.
//!
//! The credential's life ([`crate::steps::renewal`]): `--if-expiring-within`
//! rotates only when the held secret is due (safe on a daily schedule);
//! `--keep-previous` leaves the replaced connection and its secret working
//! until `--finish`, or until the previous secret has expired, when any
//! later run finishes the rotation on its own.

use crate::auth::Session;
use crate::error::{Failure, Kind};
use crate::graph::Graph;
use crate::graph::types::Application;
use crate::http::Http;
use crate::output::Printer;
use crate::record::Store;
use crate::report::{
    Action, Code, RenewalInfo, Report, RotationState, SecretInfo, Status, when_at,
};
use crate::settings::{Plan, Renewal};
use crate::steps::platform_preflight::PlatformTarget;
use crate::steps::renewal::{self, InProgress};
use crate::steps::{Ctx, create_secret, platform_preflight, register_app, sign_in};

use super::failures::unfinished;
use super::setup::Setup;

/// What `rotate` was asked for beyond today's rotation.
enum When<'r> {
    /// `--finish`: end the rotation in progress.
    Finish,
    /// `--if-expiring-within`: rotate only if the held secret is due; the
    /// window as given (for messages), and parsed.
    Due(&'r str, jiff::Span),
}

/// Rotates today, or decides first (`--finish`, `--if-expiring-within`).
pub(super) async fn run(plan: &Plan, renewal: &Renewal, printer: &Printer) -> anyhow::Result<()> {
    let when = match (&renewal.if_expiring_within, renewal.finish) {
        (_, true) => When::Finish,
        (Some((text, span)), false) => When::Due(text, *span),
        // Today's rotation (a rotation in progress is finished or stops it
        // within the run: crate::steps::renewal::settle).
        (None, false) => return super::setup::run(plan, printer).await,
    };
    // Read first: whether anything is due, or in progress.
    let Read {
        ctx,
        graph,
        session,
        target,
        app,
    } = read(plan, printer).await?;
    let Some(app) = app else {
        // Nothing to renew: the rotation says so as it always has.
        let http = ctx.http.clone();
        drop(ctx);
        return Setup::new(plan, printer, http, graph, session)
            .apply(None)
            .await;
    };
    let now = graph.clock().now();
    let mut report = Report::new(session.tenant_id.clone());
    report.resource = ctx.record.resource.clone().unwrap_or_default();
    report.links.platform = Some(format!("https://{}", target.client.team()));
    let progress = renewal::in_progress(&app, &target.integration.connections);
    let finishing = matches!(when, When::Finish);
    let (finish, left): (Vec<InProgress>, Vec<InProgress>) = progress
        .into_iter()
        .partition(|p| finishing || p.expired(now));
    for previous in &finish {
        finish_one(&ctx, &graph, &target, &app.id, previous, &mut report, now).await?;
    }
    let (window_text, window) = match when {
        When::Finish => {
            report.headline = Some(match finish.is_empty() {
                true => "No rotation is in progress: nothing to finish.".into(),
                false if plan.dry_run => "Dry run: the rotation would be finished.".into(),
                false => {
                    "The rotation is finished: the previous connection and its secret are gone."
                        .into()
                }
            });
            printer.result(&report);
            return Ok(());
        }
        When::Due(text, span) => (text, span),
    };
    let named = target
        .existing
        .as_ref()
        .and_then(|c| create_secret::named_for(&app, &ctx.record, &c.id));
    let held = create_secret::current(&app, &plan.secret.description, named);
    if let Some(previous) = left.first() {
        return still_in_progress(printer, &target, previous, held.as_ref(), report, now);
    }
    let end = held.as_ref().and_then(|h| h.credential.end());
    if held.is_none() || renewal::due(end, window, now) {
        let expires = held
            .as_ref()
            .and_then(|h| h.credential.end_date_time.clone());
        let http = ctx.http.clone();
        drop(ctx);
        let setup = Setup::new(plan, printer, http, graph, session);
        return rotate_due(setup, printer, window_text, (end, expires), now).await;
    }
    if let Some(c) = &target.existing {
        report.connection = Some(target.connection_info(c, Action::Reused));
    }
    not_due(
        &plan.secret.description,
        held,
        window_text,
        now,
        &mut report,
    );
    printer.result(&report);
    Ok(())
}

/// What `rotate` reads before it decides: signed in, the app (found only),
/// and the platform's integration, read at the same time.
struct Read<'a> {
    ctx: Ctx<'a>,
    graph: Graph,
    session: Session,
    target: PlatformTarget,
    /// The app this tool made, if there is one.
    app: Option<Application>,
}

async fn read<'a>(plan: &'a Plan, printer: &'a Printer) -> anyhow::Result<Read<'a>> {
    let http = Http::new(&plan.http)?;
    let spec = plan.platform()?;
    let (signed_in, fetched) = tokio::join!(
        sign_in::for_plan_on(&http, plan, printer),
        platform_preflight::fetch(&http, &plan.endpoints.platform, spec)
    );
    let (graph, session) = signed_in?;
    let store = Store::new(&plan.state_dir, &session.tenant_id, &plan.app.name);
    let ctx = Ctx {
        http,
        printer,
        plan,
        record: store.load(&session.tenant_id, &plan.app.name),
        store: None,
        dry_run: true,
        custody: crate::custody::Custody::new(&plan.state_dir, plan.pending_lease),
        credential_policy: Default::default(),
    };
    let found = register_app::look(&ctx, &graph, register_app::Existing::Required).await;
    let recorded = ctx.record.connection_id.as_deref();
    let target = platform_preflight::settle(fetched?, printer, spec, recorded)?;
    let (app, _) = found?.into_parts();
    Ok(Read {
        ctx,
        graph,
        session,
        target,
        app: app.map(|(app, _)| app),
    })
}

/// A rotation in progress: not rotated again before the platform admin
/// has connected the new connection (exit 6 until it is finished).
fn still_in_progress(
    printer: &Printer,
    target: &PlatformTarget,
    previous: &InProgress,
    held: Option<&create_secret::Current<'_>>,
    mut report: Report,
    now: jiff::Timestamp,
) -> anyhow::Result<()> {
    let current = target
        .existing
        .as_ref()
        .filter(|c| c.id != previous.connection_id)
        .map(|c| {
            let cred = held.map(|h| h.credential);
            (
                c.id.as_str(),
                c.name.as_str(),
                cred.map(|h| h.key_id.as_str()),
                cred.and_then(|h| h.end_date_time.as_deref()),
            )
        });
    let team = target.client.team();
    let info = renewal::info(previous, current, RotationState::InProgress, team, now);
    if let Some(action) = &info.admin_action {
        report.warn(Code::RotationInProgress, action.clone());
    }
    report.rotation = Some(info);
    report.status = Status::NeedsAttention;
    report.headline = Some(
        "Rotation IN PROGRESS: both connections work; nothing is rotated again until it is finished."
            .into(),
    );
    printer.result(&report);
    unfinished(&report)
}

/// The held secret is due (it ends at `end`, as Graph wrote it in
/// `expires`, within `window`): today's rotation, its result saying why.
async fn rotate_due(
    setup: Setup<'_>,
    printer: &Printer,
    window: &str,
    (end, expires): (Option<jiff::Timestamp>, Option<String>),
    now: jiff::Timestamp,
) -> anyhow::Result<()> {
    let when = end.map_or("(no unexpired secret)".to_owned(), |e| {
        format!("expires {}", when_at(&e.to_string(), now))
    });
    printer.step(
        "Due",
        &format!("the client secret {when}, within {window}: rotating"),
    );
    let renewal = RenewalInfo {
        due: true,
        window: window.to_owned(),
        days_left: expires
            .as_deref()
            .and_then(|e| crate::report::days_left_at(e, now)),
        expires,
    };
    if setup.dry_run() {
        let mut previewed = setup.preview(printer).await?;
        previewed.preview.report.renewal = Some(renewal);
        printer.result(&previewed.preview.report);
        return Ok(());
    }
    setup.apply(Some(renewal)).await
}

/// The secret is not due: nothing changes, exit 0.
fn not_due(
    description: &str,
    held: Option<create_secret::Current<'_>>,
    window: &str,
    now: jiff::Timestamp,
    report: &mut Report,
) {
    let credential = held.map(|h| h.credential);
    let expires = credential.and_then(|c| c.end_date_time.clone());
    let when = expires
        .as_deref()
        .map_or("never".into(), |e| when_at(e, now));
    report.headline = Some(format!(
        "Not due: the client secret expires {when}, not within {window}; nothing was changed."
    ));
    report.renewal = Some(RenewalInfo {
        due: false,
        window: window.to_owned(),
        expires: expires.clone(),
        days_left: expires
            .as_deref()
            .and_then(|e| crate::report::days_left_at(e, now)),
    });
    if let Some(c) = credential {
        report.secret = Some(SecretInfo {
            description: description.to_owned(),
            key_id: c.key_id.clone(),
            hint: c.hint.clone(),
            expires,
            action: Action::Reused,
            file: None,
            value: None,
        });
    }
}

/// Finishes one rotation (`--finish`, or its previous secret has expired),
/// or says what it would do (`--dry-run`).
async fn finish_one(
    ctx: &Ctx<'_>,
    graph: &Graph,
    target: &PlatformTarget,
    app_object_id: &str,
    previous: &InProgress,
    report: &mut Report,
    now: jiff::Timestamp,
) -> anyhow::Result<()> {
    let team = target.client.team();
    let mut info = renewal::info(previous, None, RotationState::Finished, team, now);
    let name = previous
        .connection
        .as_ref()
        .map_or(previous.connection_id.clone(), |c| c.name.clone());
    if ctx.plan.dry_run {
        report.status = Status::DryRun;
        report.change(
            crate::report::Op::Delete,
            Code::RotationFinish,
            format!(
                "delete the previous connection \"{name}\" ({}) and remove the secret it held ({})",
                previous.connection_id,
                previous.key_id.as_deref().unwrap_or("already gone")
            ),
        );
        info.state = RotationState::InProgress;
        report.rotation = Some(info);
        return Ok(());
    }
    let done = renewal::retire(&ctx.custody, graph, &target.client, app_object_id, previous)
        .await
        .map_err(|e| {
            let failure = Failure::new(
                Kind::Failed,
                format!("the rotation could not be finished: {e:#}"),
            )
            .with_hint("run `aad-setup rotate --finish` again; what was done stays done");
            e.context(failure)
        })?;
    if previous.expired(now) && !done.is_empty() {
        let ended = previous
            .expires
            .as_deref()
            .map_or("is gone".into(), |e| format!("expired {}", when_at(e, now)));
        report.notes.push(format!(
            "the previous secret {ended}: the rotation is finished on its own"
        ));
    }
    report.notes.extend(done);
    report.rotation = Some(info);
    Ok(())
}
