//! What a new connection replaced: the old connection, then the secret it
//! held, then its tag (`rotate`, `setup --rotate`); or, with
//! `--keep-previous`, both kept until the rotation is finished.

use crate::custody;
use crate::graph::Graph;
use crate::graph::types::Application;
use crate::platform::types::Connection;
use crate::record::Record;
use crate::report::Report;
use crate::steps::platform_preflight::PlatformTarget;
use crate::steps::register_app::AppState;
use crate::steps::{Ctx, create_secret, renewal};

use super::tags::mark_held;

/// A rotation's replacement, as `retire` and `keep_previous` take it: the
/// connection replaced and the secret it held, and the new connection and
/// the key of the secret it holds.
pub(super) struct Replaced<'r> {
    pub target: &'r PlatformTarget,
    pub app: &'r AppState,
    /// The connection the new one replaced.
    pub old: &'r Connection,
    /// The secret `old` held, as far as is known.
    pub held: Held,
    pub new_connection: &'r str,
    pub new_key: &'r str,
}

/// The connection a new one replaced: deleted, then the secret it held
/// removed, then its tag dropped (in that order: a run killed in between
/// leaves a tag that names a deleted connection, and the next run removes
/// its secret). The new ones work already, so a failure here is reported,
/// not fatal.
pub(super) async fn retire(
    ctx: &Ctx<'_>,
    graph: &Graph,
    replaced: Replaced<'_>,
    tags: &mut Vec<String>,
    report: &mut Report,
) {
    let Replaced {
        target,
        app,
        old,
        held,
        new_connection,
        new_key: key,
    } = replaced;
    let app_object_id = app.app.id.as_str();
    let plan = ctx.plan;
    let deleted = match target.client.delete_connection(&old.id).await {
        Ok(()) => {
            report.notes.push(format!(
                "the previous connection {} was replaced and deleted",
                old.id
            ));
            true
        }
        Err(e) => {
            report.warn(crate::report::Code::ConnectionPreviousNotDeleted, format!(
                    "the previous connection {} could not be deleted ({e:#}): delete it in the platform's Admin > Integrations",
                    old.id
                ));
            false
        }
    };
    // The app's tags are read while the secret is removed: the tag write
    // after it then needs no read of its own.
    let mut read = None;
    let removed = match held {
        Held::Known(old_key) if deleted => {
            let (removal, tags_now) = tokio::join!(
                ctx.custody.remove(graph, app_object_id, &old_key),
                custody::read_tags(graph, app_object_id)
            );
            read = Some(tags_now);
            removal_said(removal, &old_key, report)
        }
        Held::Known(old_key) => {
            let removal = ctx.custody.remove(graph, app_object_id, &old_key).await;
            removal_said(removal, &old_key, report)
        }
        Held::Unknown(candidates) => {
            report.warn(crate::report::Code::SecretPreviousUnknown, format!(
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
        let holding = custody::Holding {
            connection: new_connection,
            key,
            gone: &gone,
            settles: None,
        };
        mark_held(
            &ctx.custody,
            graph,
            app_object_id,
            tags,
            &holding,
            read,
            report,
        )
        .await;
    }
}

/// `rotate --keep-previous`: the replaced connection and the secret it held
/// stay, and the app's tag says a rotation is in progress; the result shows
/// both and what the platform admin must do (exit 6 until it is finished).
pub(super) async fn keep_previous(
    ctx: &Ctx<'_>,
    graph: &Graph,
    replaced: Replaced<'_>,
    report: &mut Report,
) {
    let Replaced {
        target,
        app,
        old,
        held,
        new_connection: new,
        new_key: key,
    } = replaced;
    if let Err(e) = renewal::begin(&ctx.custody, graph, &app.app.id, &old.id).await {
        report.warn(crate::report::Code::RotationNotRecorded, format!(
            "the app could not be tagged with the rotation in progress ({e:#}): once the platform admin has connected the new connection, delete the previous one ({}) in the platform's Admin > Integrations and its secret in the Azure portal",
            old.id
        ));
    }
    let (old_key, old_end) = match held {
        Held::Known(k) => {
            let end = app
                .app
                .password_credentials
                .iter()
                .find(|c| c.key_id == k)
                .and_then(|c| c.end_date_time.clone());
            (Some(k), end)
        }
        _ => (None, None),
    };
    let previous = renewal::InProgress {
        named: old_key.is_some(),
        connection_id: old.id.clone(),
        connection: Some(old.clone()),
        key_id: old_key,
        expires: old_end,
    };
    let name = report
        .connection
        .as_ref()
        .map_or(String::new(), |c| c.name.clone());
    let end = report.secret.as_ref().and_then(|s| s.expires.clone());
    let now = graph.clock().now();
    let info = renewal::info(
        &previous,
        Some((new, &name, Some(key), end.as_deref())),
        crate::report::RotationState::InProgress,
        target.client.team(),
        now,
    );
    if let Some(action) = &info.admin_action {
        report.warn(crate::report::Code::RotationInProgress, action.clone());
    }
    report.rotation = Some(info);
    report.headline = Some(
        "Rotation IN PROGRESS: the new connection holds the new secret, and the previous one keeps working until the rotation is finished.".into(),
    );
}

/// What the removal of the secret a replaced connection held came to.
fn removal_said(removal: anyhow::Result<()>, old_key: &str, report: &mut Report) -> bool {
    match removal {
        Ok(()) => {
            report
                .notes
                .push(format!("the secret it held ({old_key}) was removed"));
            true
        }
        Err(e) => {
            report.warn(crate::report::Code::SecretPreviousNotRemoved, format!(
                "the secret it held ({old_key}) could not be removed ({e:#}): remove it in the Azure portal, Certificates & secrets"
            ));
            false
        }
    }
}

/// The secret a replaced connection held.
pub(super) enum Held {
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
pub(super) fn held_secret(
    app: &Application,
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
