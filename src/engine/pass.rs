//! One pass of `setup` over the steps: a look (nothing changed) or the run.
//! Its reads first, all at once, judged in the documented order; then the
//! app, the sweep of what earlier runs left, the secret, and its hand-on.

use crate::auth::Session;
use crate::custody;
use crate::graph::Graph;
use crate::report::Report;
use crate::settings::Mode;
use crate::steps::platform_preflight::{self, PlatformTarget};
use crate::steps::resolve_permission::{self, ResolvedPermission};
use crate::steps::{Ctx, create_secret, register_app, sign_in};

use super::look::{look, register_the_app};
use super::narrate::{finish, narrate};
use super::secret::{self, Handover, Seen};

/// What sign-in left to the first pass. Handed over by value: the first
/// pass takes it, a later one (the wizard's run after its look) starts
/// from [`First::default`] and reads again.
#[derive(Default)]
pub(super) struct First {
    /// The platform as read while signing in (else the pass reads it).
    pub platform: Option<platform_preflight::Fetched>,
    /// The directory's name is to be read, and who signed in said.
    pub read_directory: bool,
}

/// One pass over the steps: a look when `ctx.dry_run`, else the run.
pub(super) async fn pass(
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
    let mut report = super::narrate::report_for(session);
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
            let on = Handover {
                session,
                target: &target,
                app: &app,
                secret: &secret,
                value,
                resource: &resource,
            };
            secret::hand_on(ctx, graph, &on, &mut report).await?;
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
    // Microsoft's reads wait for nothing but a platform decided: a platform
    // that fails is judged after the sign-in, and nothing more is read.
    let reads = async {
        let target = decided?;
        // Read by id only when it may be kept (a rotation replaces it).
        let existing = target.existing.as_ref().filter(|_| !plan.secret.rotate);
        let (looked, seen) = tokio::join!(look(ctx, graph), async {
            match existing {
                Some(c) => {
                    let found = target.client.get_connection(&c.id).await;
                    Some((c.id.clone(), found.map(|c| c.is_some())))
                }
                None => None,
            }
        });
        Ok::<_, anyhow::Error>((target, looked, seen))
    };
    let (directory, reads) = tokio::join!(
        sign_in::pending_directory(graph, session, first.read_directory),
        reads
    );
    let session = sign_in::with_directory(ctx.printer, session, directory)?;
    let (target, looked, seen) = reads?;
    platform_preflight::announce(ctx.printer, &target);
    let (perm, found) = looked?;
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
