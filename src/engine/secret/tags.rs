//! The app's held-secret tags: which connection holds which secret,
//! written through the custodian, and read back at the end of a run.

use crate::custody;
use crate::graph::Graph;
use crate::report::Report;
use crate::steps::create_secret;

/// Tags the app with the secret a connection holds, and drops the tags of
/// connections that are gone (see [`custody::Custody::held_by`]). `tags` is the
/// app's tags as last written, kept up to date; `read`, the tags as read
/// a moment ago (see [`custody::Custody::edit_tags_on`]). A failure is a warning:
/// the connection works; only a later rotation elsewhere would lack the
/// tag.
pub(super) async fn mark_held(
    custody: &custody::Custody,
    graph: &Graph,
    app_object_id: &str,
    tags: &mut Vec<String>,
    holding: &custody::Holding<'_>,
    read: Option<Option<Vec<String>>>,
    report: &mut Report,
) {
    let connection = holding.connection;
    if create_secret::tags_holding(tags, connection, Some(holding.key), holding.gone).is_none() {
        report.notes.push(format!(
            "the connection id {connection} is too long for the app's held-secret tag; a rotation on another machine will list the secrets instead of removing one"
        ));
        return;
    }
    match custody.held_by(graph, app_object_id, holding, read).await {
        Ok(now) => *tags = now,
        Err(e) => report.warn(
            crate::report::Code::AppTagFailed,
            format!(
                "the app could not be tagged with the key id of the secret its connection holds ({e:#}); a rotation on another machine will not know which secret to remove"
            ),
        ),
    }
}

/// The last tag write, read back: this run's intent goes, and the held
/// tag is written again if a concurrent write dropped it.
pub(super) async fn confirm_held(
    custody: &custody::Custody,
    graph: &Graph,
    app_object_id: &str,
    new_connection: &str,
    secret: &create_secret::SecretState,
    report: &mut Report,
) {
    let confirmed = custody
        .confirm_held(
            graph,
            app_object_id,
            (new_connection, &secret.key_id),
            secret.lost_answer,
        )
        .await;
    match confirmed {
        Ok(false) => {}
        Ok(true) => report.notes.push(format!(
            "a concurrent write had dropped the app's tag saying that the connection {new_connection} holds the secret {}; it was written again",
            secret.key_id
        )),
        Err(e) => report.warn(
            crate::report::Code::AppTagFailed,
            format!(
                "the app's tags could not be read back to confirm that the connection {new_connection} holds the secret {} ({e:#}); run the same command again to check",
                secret.key_id
            ),
        ),
    }
}
