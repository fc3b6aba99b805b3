//! Adding the secret: `addPassword` (or the one kept), with the app's
//! service principal when the run just made the app, then admin consent;
//! a Ctrl-C at either boundary ([`checkpoint`]) releases a secret that no
//! one holds yet.

use secrecy::SecretString;

use crate::graph::Graph;
use crate::graph::types::Application;
use crate::report::Report;
use crate::steps::register_app::AppState;
use crate::steps::resolve_permission::ResolvedPermission;
use crate::steps::{Ctx, create_secret, grant_consent, register_app};
use crate::stop::Stop;

use super::release::{interrupted, release_secret};

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
pub(in crate::engine) async fn checkpoint(
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
