//! `aad-setup setup`: the whole guide, steps 1–8, then the summary.
//!
//! Signed in once, a [`Setup`] runs the steps in one of two passes: a look
//! ([`Setup::preview`], nothing changed: `--dry-run`, and the wizard's plan)
//! and the real thing ([`Setup::apply`]). Once the first change is made, a
//! Ctrl-C stops the run at the next step boundary, never in the middle of
//! one (see [`Stop`]). The secret's life, from `addPassword` to its
//! hand-off or removal, is [`secret`]; this module reads, registers the app
//! ([`register_the_app`], shared with `register`) and says what a look found
//! ([`narrate`]).

pub(super) mod secret;

use std::sync::Mutex;

use crate::auth::{self, MANAGE_APPS, Session};
use crate::custody;
use crate::error::{self, Failure, Kind};
use crate::graph::{Graph, graph_error};
use crate::http::Http;
use crate::output::Printer;
use crate::record::{Record, Store};
use crate::report::{Action, Item, Op, Report, Status};
use crate::settings::{Mode, Plan};
use crate::steps::platform_preflight::PlatformTarget;
use crate::steps::register_app::AppState;
use crate::steps::resolve_permission::ResolvedPermission;
use crate::steps::{
    Ctx, create_secret, credential_policy, platform_preflight, register_app, resolve_permission,
    sign_in,
};
use crate::stop::Stop;

/// `setup` without the wizard: sign in, then look (`--dry-run`) or do.
///
/// The platform's requests need nothing from Microsoft: they are made while
/// signing in. What either found is judged in the documented order, sign-in
/// first, so a run that both would fail reports the sign-in's failure.
pub(crate) async fn run(plan: &Plan, printer: &Printer) -> anyhow::Result<()> {
    let http = Http::new(&plan.http)?;
    let (signed_in, platform) = tokio::join!(sign_in::for_plan_on(&http, plan, printer), async {
        match &plan.platform {
            Some(spec) => {
                Some(platform_preflight::fetch(&http, &plan.endpoints.platform, spec).await)
            }
            None => None,
        }
    });
    let (graph, session) = signed_in?;
    let platform = match platform.transpose() {
        Ok(platform) => platform,
        Err(err) => {
            // A token Graph refuses is reported before the platform's
            // failure (the documented order): one read says.
            sign_in::directory(&graph, &session).await?;
            return Err(err);
        }
    };
    let mut setup = Setup::new(plan, printer, http, graph, session);
    setup.platform = Mutex::new(platform);
    // Read with the first lookups, then said (crate::steps::sign_in).
    setup.directory_unread = Mutex::new(true);
    if plan.dry_run {
        let preview = setup.preview(printer).await?;
        printer.result(&preview.report);
        return Ok(());
    }
    setup.apply().await
}

/// A signed-in setup, ready to look or to do.
pub(crate) struct Setup<'a> {
    plan: &'a Plan,
    printer: &'a Printer,
    http: Http,
    graph: Graph,
    session: Session,
    store: Store,
    record: Record,
    /// The platform as read while signing in, for the first pass only (a
    /// later one, such as the wizard's run after its look, reads it again).
    platform: Mutex<Option<platform_preflight::Fetched>>,
    /// Sign-in left the directory's name to the first pass, which reads it
    /// with its first lookups.
    directory_unread: Mutex<bool>,
}

/// What a look found.
pub(crate) struct Preview {
    /// Status `dry-run`; `changes` and `unchanged` say what a run would do.
    pub report: Report,
    /// Something would be created or changed.
    pub changes: bool,
    /// Something that exists would be changed or replaced (an app patched,
    /// a connection and its secret replaced): confirm with "no" as default.
    pub destructive: bool,
}

impl Preview {
    fn of(report: Report) -> Preview {
        let changes = !report.changes.is_empty();
        let would_update = |action: Option<Action>| action == Some(Action::WouldUpdate);
        let destructive = would_update(report.app.as_ref().map(|a| a.action))
            || report.connection.as_ref().map(|c| c.action) == Some(Action::WouldReplace);
        Preview {
            report,
            changes,
            destructive,
        }
    }
}

impl<'a> Setup<'a> {
    pub(crate) fn new(
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
            platform: Mutex::new(None),
            directory_unread: Mutex::new(false),
        }
    }

    /// What sign-in left to the first pass: the platform as read, and
    /// whether the directory's name is still to be read.
    fn take_first(&self) -> First {
        First {
            platform: self.platform.lock().map_or(None, |mut p| p.take()),
            read_directory: self
                .directory_unread
                .lock()
                .is_ok_and(|mut d| std::mem::take(&mut *d)),
        }
    }

    /// Reads everything and says what a run would change; changes nothing.
    /// Finished steps are shown through `printer` (the wizard passes one
    /// without them: it shows the plan instead).
    pub(crate) async fn preview(&self, printer: &Printer) -> anyhow::Result<Preview> {
        let mut ctx = Ctx {
            http: self.http.clone(),
            printer,
            plan: self.plan,
            store: None,
            record: self.record.clone(),
            dry_run: true,
            custody: crate::custody::Custody::new(&self.plan.state_dir, self.plan.pending_lease),
            credential_policy: Default::default(),
        };
        let first = self.take_first();
        let report = pass(&mut ctx, &self.graph, &self.session, first)
            .await
            .map_err(|err| classify_graph_refusal(err, &self.session))?;
        Ok(Preview::of(report))
    }

    /// Makes the changes, verifies them, and prints the summary.
    pub(crate) async fn apply(self) -> anyhow::Result<()> {
        self.apply_renewing(None).await
    }

    /// [`Setup::apply`], its result saying why it rotated
    /// (`rotate --if-expiring-within` found the secret due).
    pub(crate) async fn apply_renewing(
        self,
        renewal: Option<crate::report::RenewalInfo>,
    ) -> anyhow::Result<()> {
        let first = self.take_first();
        let mut ctx = Ctx {
            http: self.http,
            printer: self.printer,
            plan: self.plan,
            store: Some(self.store),
            record: self.record,
            dry_run: false,
            custody: crate::custody::Custody::new(&self.plan.state_dir, self.plan.pending_lease),
            credential_policy: Default::default(),
        };
        let mut report = pass(&mut ctx, &self.graph, &self.session, first)
            .await
            .map_err(|err| classify_graph_refusal(err, &self.session))?;
        report.renewal = renewal;
        if !report.warnings.is_empty() {
            report.status = Status::NeedsAttention;
        }
        self.printer.result(&report);
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
        Some(g) if g.has_code("Directory_QuotaExceeded") => {
            let failure = Failure::new(Kind::Failed, format!("{} has reached its directory object quota", session.identity))
                .with_hint("a user who is not an administrator may create at most 250 directory objects (apps and service principals), deleted ones included until they are purged 30 days later: permanently delete unused ones (Entra admin center > App registrations > Deleted applications), or run as an administrator or a pipeline identity");
            err.context(failure)
        }
        Some(g) if g.has_code("TooManyAppPasswords") => {
            let failure = Failure::new(Kind::Failed, "the app holds as many client secrets as Entra allows it")
                .with_hint("remove a secret no one uses (Entra admin center > the app > Certificates & secrets; `aad-setup rotate` removes the one it replaces), then run again");
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

/// What sign-in left to the first pass.
struct First {
    /// The platform as read while signing in (else the pass reads it).
    platform: Option<platform_preflight::Fetched>,
    /// The directory's name is to be read, and who signed in said.
    read_directory: bool,
}

/// One pass over the steps: a look when `ctx.dry_run`, else the run.
async fn pass(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    session: &Session,
    first: First,
) -> anyhow::Result<Report> {
    let plan = ctx.plan;
    let platform = plan.platform()?;
    let Reads {
        session,
        mut target,
        perm,
        found,
        seen,
    } = first_reads(ctx, graph, session, first).await?;
    let session = &session;
    let resource = resource_for(ctx, &target, &perm);
    let mut report = Report::new(session.tenant_id.clone()).in_directory(
        session.directory.as_ref().map(|d| d.display_name.clone()),
        session
            .directory
            .as_ref()
            .and_then(|d| d.default_domain.clone()),
    );
    if plan.mode == Mode::Rotate {
        report.heading =
            Some("The client secret is rotated: the platform connection holds the new one.");
    }
    report.resource = resource.clone();
    report.permission = Some(perm.info());
    // Only a connection provably ours is kept, replaced or deleted: a
    // namesake someone made stops the run here, before any write.
    let recorded = ctx.record.connection_id.as_deref();
    if let Some(platform) = &plan.platform {
        let (connections, base) = (&target.integration.connections, &platform.connection_name);
        custody::claim_all(base, connections, &found.tags(), recorded, plan.replace)?;
    }
    let held_apps = found.held().to_vec();
    let mut app = register_the_app(ctx, graph, &perm, found, &mut report).await?;
    // What earlier runs left: secrets in flight whose run is gone, the
    // secrets of connections deleted on the platform; and which of several
    // connections of ours is the one to keep.
    secret::sweep(ctx, graph, &mut app, Some(&mut target), &mut report).await?;

    // A connection made for another app is not ours to keep.
    let reuse = match &target.existing {
        Some(c) => create_secret::Reuse::HeldBy(&c.id),
        None => create_secret::Reuse::Nothing,
    };
    let secret = secret::add(ctx, graph, &mut app, reuse, &perm, &mut report).await?;
    if ctx.dry_run {
        narrate(ctx, &target, &perm, &app, &secret, &mut report);
        return Ok(report);
    }
    match &secret.value {
        None => {
            let kept = secret::keep_held(ctx, graph, &target, &app, &secret, seen, &mut report);
            kept.await?;
        }
        Some(value) => {
            let hand_on = secret::hand_on(
                ctx,
                graph,
                session,
                &target,
                &app,
                &secret,
                value,
                &resource,
                &mut report,
            );
            hand_on.await?;
        }
    }
    // A parallel run's app whose secret its connection held: gone with
    // that connection (a stray, deleted above), else kept and said.
    secret::retire_held_apps(ctx, graph, &target, &held_apps, &mut report).await;
    // A rotation's new connection may have a name of its own.
    let name = report
        .connection
        .as_ref()
        .map_or_else(|| platform.connection_name.clone(), |c| c.name.clone());
    finish(&mut report, plan, &name, &perm);
    Ok(report)
}

/// What a pass reads before it decides anything.
struct Reads {
    /// With the directory's name.
    session: Session,
    target: PlatformTarget,
    perm: ResolvedPermission,
    found: register_app::Found,
    /// The connection of ours the platform lists, read by id at the same
    /// time (what a re-run that keeps it checks).
    seen: Option<Seen>,
}

/// A connection read by id: its id, and whether it was found.
pub(super) type Seen = (String, anyhow::Result<bool>);

/// The pass's reads, all at once (each needs only the sign-in and the
/// platform's listing): the directory's name when sign-in left it, the
/// permission, the app with its service principal, and the connection of
/// ours. Judged, and said, in the documented order: sign-in, platform,
/// permission, app.
async fn first_reads(
    ctx: &Ctx<'_>,
    graph: &Graph,
    session: &Session,
    first: First,
) -> anyhow::Result<Reads> {
    let plan = ctx.plan;
    let platform = plan.platform()?;
    let fetched = match first.platform {
        Some(found) => found,
        None => platform_preflight::fetch(&ctx.http, &plan.endpoints.platform, platform).await?,
    };
    let recorded = ctx.record.connection_id.as_deref();
    let decided = platform_preflight::decide(fetched, platform, recorded);
    // Read by id only when it may be kept (a rotation replaces it).
    let existing = decided
        .as_ref()
        .ok()
        .filter(|_| !plan.secret.rotate)
        .and_then(|t| t.existing.as_ref().map(|c| (&t.client, c.id.clone())));
    let (directory, looked, seen) = tokio::join!(
        sign_in::pending_directory(graph, session, first.read_directory),
        async {
            match decided.is_ok() {
                true => Some(look(ctx, graph).await),
                false => None,
            }
        },
        async {
            match existing {
                Some((client, id)) => {
                    let found = client.get_connection(&id).await.map(|c| c.is_some());
                    Some((id, found))
                }
                None => None,
            }
        }
    );
    let session = sign_in::with_directory(ctx.printer, session, directory)?;
    let target = decided?;
    platform_preflight::announce(ctx.printer, &target);
    let (perm, found) = match looked {
        Some(looked) => looked?,
        None => unreachable!("looked up whenever the platform was decided"),
    };
    resolve_permission::announce(ctx.printer, &perm);
    Ok(Reads {
        session,
        target,
        perm,
        found,
        seen,
    })
}

/// The Resource the connection gets: `--resource`, else for a rotation
/// (`rotate`, `setup --rotate`) the one the replaced connection was given,
/// else the API's URI.
fn resource_for(ctx: &Ctx<'_>, target: &PlatformTarget, perm: &ResolvedPermission) -> String {
    let plan = ctx.plan;
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
    resource
}

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
pub(super) async fn look(
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
pub(super) async fn register_the_app(
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

/// What a look found, said as what a real run would change and keep.
fn narrate(
    ctx: &Ctx<'_>,
    target: &PlatformTarget,
    perm: &ResolvedPermission,
    app: &AppState,
    secret: &create_secret::SecretState,
    report: &mut Report,
) {
    let plan = ctx.plan;
    narrate_consent(perm, report);
    let existing = &target.existing;
    if secret.action == Action::WouldCreate {
        report.change(
            Op::Create,
            crate::report::Code::SecretCreate,
            format!(
                "add a client secret \"{}\" expiring {}",
                plan.secret.description,
                secret
                    .end
                    .as_deref()
                    .map_or("?".into(), crate::report::when)
            ),
        );
        match existing {
            Some(c) => {
                report.connection = Some(target.connection_info(c, Action::WouldReplace));
                report.change(
                    Op::Change,
                    crate::report::Code::ConnectionReplace,
                    if plan.secret.keep_previous {
                        format!(
                            "make a new platform connection holding the new secret beside \"{}\" ({}), and keep that one and its secret working until the rotation is finished (`rotate --finish`)",
                            c.name, c.id
                        )
                    } else {
                        format!(
                            "replace the platform connection \"{}\" ({}) with one holding the new secret (and tag the app with its key id), then delete the old one and remove the secret it held",
                            c.name, c.id
                        )
                    },
                );
            }
            None => report.change(
                Op::Create,
                crate::report::Code::ConnectionCreate,
                format!(
                    "create the platform connection \"{}\" on \"{}\" for team {} (Client ID, Client Secret, Resource {}, Tenant), and tag the app with the key id of the secret it holds",
                    plan.platform.as_ref().map_or("", |p| p.connection_name.as_str()),
                    target.integration.name,
                    target.client.team(),
                    report.resource
                ),
            ),
        }
    } else if let Some(c) = existing {
        report.connection = Some(target.connection_info(c, Action::Reused));
        report.keep(
            crate::report::Code::SecretKeep,
            format!(
                "the client secret \"{}\" (expires {}), which the platform connection \"{}\" ({}) holds",
                plan.secret.description,
                secret.end.as_deref().map_or("unknown".into(), crate::report::when),
                c.name,
                c.id
            ),
        );
        if secret.known && create_secret::tagged(&app.app, &c.id) != Some(secret.key_id.as_str()) {
            report.change(
                Op::Change,
                crate::report::Code::AppTagHeldSecret,
                format!(
                    "tag the app with the key id of the secret the connection holds ({})",
                    crate::custody::held_tag(&c.id, &secret.key_id)
                ),
            );
        }
    }
    if app.action == Action::Reused {
        report.unchanged.insert(
            0,
            Item::new(
                crate::report::Code::AppKeep,
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
            ),
        );
    }
    if report
        .consent
        .as_ref()
        .is_some_and(|c| c.action == Action::Reused)
    {
        report.keep(
            crate::report::Code::ConsentKeep,
            format!("tenant-wide admin consent for {}", perm.value),
        );
    }
    report.status = Status::DryRun;
}

/// A look's line for admin consent, when it would be granted.
pub(super) fn narrate_consent(perm: &ResolvedPermission, report: &mut Report) {
    if report
        .consent
        .as_ref()
        .is_some_and(|c| c.action != Action::Reused)
    {
        let change = format!("grant tenant-wide admin consent for {}", perm.value);
        // Said before the secret, as the run does it.
        report.change(Op::Create, crate::report::Code::ConsentGrant, change);
    }
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

/// A result in place with something left to do by hand (see
/// [`Report::warnings`]): exit 6 after the summary, which lists it.
pub(crate) fn unfinished(report: &Report) -> anyhow::Result<()> {
    if report.warnings.is_empty() {
        return Ok(());
    }
    Err(error::needs_attention(report.warnings.len()))
}

/// What a replacement means for the platform admin; `connect --replace`
/// says the same.
pub(crate) fn replaced_note(previous: &str, name: &str) -> String {
    format!(
        "the connection is a new object, \"{name}\", replacing {previous} (the platform cannot update a connection): the platform admin repeats Connect and sets its permissions again"
    )
}

/// What to do in the platform once the connection exists; `connect` says
/// the same.
pub(crate) fn platform_next_step(connection: &str) -> String {
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
    report.next(
        crate::report::Code::PlatformFinishConnection,
        platform_next_step(connection_name),
    );
    let consented = report
        .consent
        .as_ref()
        .is_some_and(|c| c.action != Action::WouldCreate);
    if perm.admin_consent_required && !consented {
        report.next(
            crate::report::Code::ConsentGrant,
            format!(
                "Grant admin consent for {} (Azure portal: App registrations > {} > API permissions > Grant admin consent), or run again with --admin-consent.",
                perm.value, plan.app.name
            ),
        );
    }
    if let Some(end) = report.secret.as_ref().and_then(|s| s.expires.clone()) {
        report.next(
            crate::report::Code::SecretRotate,
            format!(
                "The client secret expires {}: run `aad-setup rotate` before then.",
                crate::report::when(&end)
            ),
        );
    }
}
