//! A new secret no one holds, on every way out: removed (or kept in a 0600
//! file, `--keep-secret-on-failure`) when the platform step fails, when a
//! Ctrl-C stops the run at a step boundary, or when a check fails.

use secrecy::SecretString;

use crate::custody;
use crate::error::{self, Failure, Kind};
use crate::graph::Graph;
use crate::graph::types::Application;
use crate::report::{Action, Report, Status};
use crate::steps::Ctx;

/// A new secret that no platform connection holds must not be left
/// dangling: remove it (default), or keep it in a 0600 file
/// (`--keep-secret-on-failure`). Says which in the report.
pub(super) async fn release_secret(
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

/// The platform step failed after the secret exists: release the secret,
/// print what exists, exit 5.
pub(super) async fn partial(
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
pub(super) async fn interrupted(
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
