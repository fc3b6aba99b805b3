//! The credential's life after setup: whether the secret a connection holds
//! is due for renewal, and a rotation in two phases.
//!
//! The platform cannot update a connection: a rotation makes a new one, and
//! a platform admin must open it, set who may use it and select Connect
//! before workflows can use it. `rotate --keep-previous` therefore leaves
//! the previous connection and the secret it holds working, and records on
//! the app which connection that is:
//!
//! | tag | meaning |
//! | --- | --- |
//! | `aad-setup:previous-connection:<connectionId>` | a rotation is in progress: that connection (and the secret the app's held-secret tag names for it) is the one replaced, to retire once the admin has connected the new one (`rotate --finish`), or once its secret has expired |
//!
//! The tag is on the app, not only in this machine's record, so that a
//! scheduled pipeline on a fresh runner sees the rotation too. Only what
//! the tags name is ever retired: a connection or secret this tool did not
//! record is never touched.
//!
//! The decisions ([`due`], [`InProgress::expired`]) are pure functions of
//! what was read and the directory's clock ([`crate::graph::clock`]); the
//! I/O around them ([`retire`]) is thin.

use crate::custody;
use crate::graph::Graph;
use crate::graph::types::Application;
use crate::platform::Platform;
use crate::platform::types::Connection;
use crate::report::{RotationInfo, RotationSide, RotationState, days_left_at};

// The tag naming the connection a rotation in progress replaced:
// [`custody::Tag::Previous`].
pub(crate) use custody::{previous_ids, previous_tag};

/// Is the secret that ends at `end` due for renewal: does it expire within
/// `window` of `now`? A secret that never expires is never due.
pub(crate) fn due(end: Option<jiff::Timestamp>, window: jiff::Span, now: jiff::Timestamp) -> bool {
    let Some(end) = end else {
        return false;
    };
    let limit = now
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(window)
        .map_or(now, |z| z.timestamp());
    end <= limit
}

/// A rotation made with `--keep-previous`, not finished: the previous
/// connection and the secret it holds, as the app's tags record them.
#[derive(Debug, Clone)]
pub(crate) struct InProgress {
    pub connection_id: String,
    /// `None`: the connection is gone from the platform already.
    pub connection: Option<Connection>,
    /// The secret the app's held-secret tag names for it, if the app still
    /// has it.
    pub key_id: Option<String>,
    /// A held-secret tag names a secret for it (which may be gone): without
    /// one, what it holds is not known, and only `--finish` retires it.
    pub named: bool,
    /// When that secret expires (ISO 8601, as Graph wrote it).
    pub expires: Option<String>,
}

impl InProgress {
    /// The previous secret has expired (or is gone, or its connection is):
    /// nothing works with it any more, so the rotation can finish on its own.
    pub(crate) fn expired(&self, now: jiff::Timestamp) -> bool {
        let end = self
            .expires
            .as_deref()
            .and_then(|e| e.parse::<jiff::Timestamp>().ok());
        self.connection.is_none()
            || (self.named && self.key_id.is_none())
            || end.is_some_and(|end| end <= now)
    }
}

/// The rotations in progress on `app`, with what the platform lists.
pub(crate) fn in_progress(app: &Application, connections: &[Connection]) -> Vec<InProgress> {
    let holders = custody::holders(&app.tags);
    previous_ids(&app.tags)
        .into_iter()
        .map(|id| {
            let credential = holders
                .iter()
                .filter(|(c, _)| *c == id)
                .find_map(|(_, k)| app.password_credentials.iter().find(|p| p.key_id == *k));
            InProgress {
                named: holders.iter().any(|(c, _)| *c == id),
                connection: connections.iter().find(|c| c.id == id).cloned(),
                key_id: credential.map(|c| c.key_id.clone()),
                expires: credential.and_then(|c| c.end_date_time.clone()),
                connection_id: id,
            }
        })
        .collect()
}

/// What the platform admin must do before the rotation can finish.
pub(crate) fn admin_action(current: &str, previous: &str) -> String {
    format!(
        "In the platform, open Admin > Integrations > Azure Active Directory and select the new connection \"{current}\": set who may use it, select Connect and sign in to Microsoft as an Azure admin, and move the workflows that use \"{previous}\" to it. Then run `aad-setup rotate --finish` to delete the previous connection and remove its secret (a later run does it on its own once the previous secret has expired)."
    )
}

/// The rotation as the result and `status` show it: `current` is the new
/// connection and the secret it holds (connection, name, key, expiry).
pub(crate) fn info(
    previous: &InProgress,
    current: Option<(&str, &str, Option<&str>, Option<&str>)>,
    state: RotationState,
    team: &str,
    now: jiff::Timestamp,
) -> RotationInfo {
    let previous_name = previous
        .connection
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let current_side = current.map(|(id, name, key, expires)| RotationSide {
        connection_id: id.to_owned(),
        connection_name: Some(name.to_owned()),
        key_id: key.map(str::to_owned),
        expires: expires.map(str::to_owned),
        days_left: expires.and_then(|e| days_left_at(e, now)),
    });
    RotationInfo {
        state,
        admin_action: (state == RotationState::InProgress)
            .then(|| admin_action(current.map_or("", |(_, name, _, _)| name), &previous_name)),
        previous: RotationSide {
            connection_id: previous.connection_id.clone(),
            connection_name: previous.connection.as_ref().map(|c| c.name.clone()),
            key_id: previous.key_id.clone(),
            expires: previous.expires.clone(),
            days_left: previous
                .expires
                .as_deref()
                .and_then(|e| days_left_at(e, now)),
        },
        current: current_side,
        platform: format!("https://{team}"),
    }
}

/// Finishes a rotation: the previous connection deleted, then the secret it
/// held removed, then the tags that named them dropped (in that order: a run
/// killed in between leaves tags that the next run finishes from). Returns
/// what was done, in the user's words; a failure is an error, and what was
/// done before it stays done.
pub(crate) async fn retire(
    custody: &custody::Custody,
    graph: &Graph,
    platform: &Platform,
    app_object_id: &str,
    previous: &InProgress,
) -> anyhow::Result<Vec<String>> {
    let mut said = Vec::new();
    if let Some(c) = &previous.connection {
        platform.delete_connection(&c.id).await?;
        said.push(format!(
            "the previous connection \"{}\" ({}) was deleted",
            c.name, c.id
        ));
    }
    if let Some(key) = &previous.key_id {
        custody.remove(graph, app_object_id, key).await?;
        said.push(format!("the secret it held ({key}) was removed"));
    }
    let id = previous.connection_id.clone();
    let previous_tag = previous_tag(&id);
    custody
        .edit_tags(graph, app_object_id, |tags| {
            custody::retag(tags, &[], |t| {
                t == previous_tag || custody::is_held_by(t, &id)
            })
        })
        .await?;
    Ok(said)
}

/// Records on the app that `previous` is the connection a rotation in
/// progress replaced.
pub(crate) async fn begin(
    custody: &custody::Custody,
    graph: &Graph,
    app_object_id: &str,
    previous: &str,
) -> anyhow::Result<()> {
    let tag = previous_tag(previous);
    custody
        .edit_tags(graph, app_object_id, |tags| {
            custody::retag(tags, std::slice::from_ref(&tag), |_| false)
        })
        .await?;
    Ok(())
}

/// Before a run adds a secret (`setup`, `rotate`), what earlier
/// rotations left: one whose previous secret has expired is finished (it is
/// dead anyway); one still in progress stops a new rotation (exit 6,
/// nothing changed): rotating again before the platform admin has
/// connected the new connection would leave no working one they know of.
pub(crate) async fn settle(
    ctx: &super::ctx::Ctx<'_>,
    graph: &Graph,
    app: &mut Application,
    target: &mut super::platform_preflight::PlatformTarget,
    report: &mut crate::report::Report,
) -> anyhow::Result<()> {
    let now = graph.clock().now();
    for previous in in_progress(app, &target.integration.connections) {
        if previous.expired(now) {
            let done = match retire(&ctx.custody, graph, &target.client, &app.id, &previous).await {
                Ok(done) => done,
                Err(e) => {
                    report.warn(
                        crate::report::Code::RotationNotFinished,
                        format!(
                            "the rotation in progress could not be finished ({e:#}): run `aad-setup rotate --finish`"
                        ),
                    );
                    continue;
                }
            };
            forget(app, &previous);
            target
                .integration
                .connections
                .retain(|c| c.id != previous.connection_id);
            let ended = previous
                .expires
                .as_deref()
                .map_or("is gone".to_owned(), |e| {
                    format!("expired {}", crate::report::when_at(e, now))
                });
            report.notes.push(format!(
                "the rotation in progress is finished: the previous secret {ended}, so {}",
                done.join("; ")
            ));
            let mut info = info(
                &previous,
                None,
                RotationState::Finished,
                target.client.team(),
                now,
            );
            info.admin_action = None;
            report.rotation = Some(info);
            continue;
        }
        if ctx.plan.secret.rotate {
            let name = previous
                .connection
                .as_ref()
                .map_or(previous.connection_id.as_str(), |c| c.name.as_str());
            let current = target
                .existing
                .as_ref()
                .filter(|c| c.id != previous.connection_id)
                .map_or("the new connection", |c| c.name.as_str());
            return Err(crate::error::Failure::new(
                crate::error::Kind::NeedsAttention,
                format!(
                    "a rotation is in progress: the previous connection \"{name}\" ({}) and its secret (expires {}) still work beside the new one; nothing was changed",
                    previous.connection_id,
                    previous.expires.as_deref().map_or("unknown".into(), |e| crate::report::when_at(e, now)),
                ),
            )
            .with_hint(admin_action(current, name))
            .into());
        }
    }
    Ok(())
}

/// The app as read, less what [`retire`] took off it.
fn forget(app: &mut Application, previous: &InProgress) {
    let id = &previous.connection_id;
    let tag = previous_tag(id);
    app.tags
        .retain(|t| *t != tag && !custody::is_held_by(t, id));
    if let Some(key) = &previous.key_id {
        app.password_credentials.retain(|c| c.key_id != *key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn due_within_the_window_and_never_for_a_secret_without_end() {
        let now = at("2026-12-06T00:00:00Z");
        let d30: jiff::Span = "30d".parse().unwrap();
        let d60: jiff::Span = "60d".parse().unwrap();
        let in40 = Some(at("2027-01-15T00:00:00Z"));
        assert!(!due(in40, d30, now));
        assert!(due(in40, d60, now));
        assert!(due(Some(at("2026-12-01T00:00:00Z")), d30, now), "expired");
        assert!(!due(None, d60, now));
    }

    #[test]
    fn a_rotation_in_progress_is_read_from_the_tags_and_finishes_when_its_secret_expires() {
        let app: Application = serde_json::from_value(serde_json::json!({
            "id": "o", "appId": "a", "displayName": "n",
            "tags": [
                "aad-setup",
                "aad-setup:connection-secret:old:k1",
                "aad-setup:connection-secret:new:k2",
                "aad-setup:previous-connection:old"
            ],
            "passwordCredentials": [
                {"keyId": "k1", "endDateTime": "2027-01-15T00:00:00Z"},
                {"keyId": "k2", "endDateTime": "2028-12-06T00:00:00Z"}
            ]
        }))
        .unwrap();
        let old = Connection {
            id: "old".into(),
            name: "AAD".into(),
            reference_name: None,
            integration_id: None,
            created_at: None,
        };
        let found = in_progress(&app, std::slice::from_ref(&old));
        assert_eq!(found.len(), 1);
        let p = &found[0];
        assert_eq!(p.key_id.as_deref(), Some("k1"));
        assert!(!p.expired(at("2027-01-14T00:00:00Z")));
        assert!(p.expired(at("2027-01-15T00:00:01Z")));
        // What an untagged previous connection holds is not known: only
        // `--finish` retires it.
        let mut untagged = app.clone();
        untagged
            .tags
            .retain(|t| t != "aad-setup:connection-secret:old:k1");
        let unknown = in_progress(&untagged, std::slice::from_ref(&old));
        assert!(!unknown[0].expired(at("2030-01-01T00:00:00Z")));
        // Its connection deleted by hand: nothing is left to wait for.
        let gone = in_progress(&app, &[]);
        assert!(gone[0].expired(at("2026-12-06T00:00:00Z")));
        // No tag, no rotation: an untagged connection is never ours to retire.
        let mut plain = app.clone();
        plain
            .tags
            .retain(|t| !matches!(custody::Tag::parse(t), Some(custody::Tag::Previous { .. })));
        assert!(in_progress(&plain, &[old]).is_empty());
    }
}
