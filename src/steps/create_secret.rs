//! Step 5: the client secret (portal: Certificates & secrets > New client
//! secret).
//!
//! `addPassword` mints a new secret on every success, so it is never retried
//! blindly: a 404 (the app not replicated yet) is safe to retry, because
//! nothing was made; a lost answer is followed by removing whatever the lost
//! call may have made, then one more call (docs/graph.md §2.4). A
//! working secret the platform connection already holds is reused.

use std::collections::HashSet;

use secrecy::SecretString;

use crate::graph::Graph;
use crate::graph::types::{AddedPassword, Application, PasswordCredential};
use crate::report::Action;
use crate::stop::Stop;

use super::ctx::{Ctx, is_ambiguous};

pub(crate) struct SecretState {
    pub key_id: String,
    /// A reused secret is known to be the one the connection holds (the
    /// local record or the app's tag says so), not the likeliest guess.
    pub known: bool,
    /// The value, only when this run created it.
    pub value: Option<SecretString>,
    pub hint: Option<String>,
    pub end: Option<String>,
    pub action: Action,
    /// An answer to `addPassword` was lost on the way: the intent stays on
    /// the app for the next run (see [`crate::custody::Custody::settle`]).
    pub lost_answer: bool,
    /// Written to `--secret-file`: a person holds it (the caller notes it
    /// in the local record).
    pub handed: bool,
}

impl SecretState {
    /// For the summary and the JSON (never with the value: the output
    /// module adds it when it was asked for).
    pub(crate) fn info(&self, spec: &crate::settings::SecretSpec) -> crate::report::SecretInfo {
        crate::report::SecretInfo {
            description: spec.description.clone(),
            key_id: self.key_id.clone(),
            hint: self.hint.clone(),
            expires: self.end.clone(),
            action: self.action,
            file: spec
                .file
                .as_ref()
                .filter(|_| self.action == Action::Created)
                .map(|p| p.display().to_string()),
            value: None,
        }
    }
}

// The app tags that name the secret each platform connection holds
// (`aad-setup:connection-secret:<connectionId>:<keyId>`, one per
// connection, [`crate::custody::Tag::Held`]): kept on the app itself, so
// that any machine can tell which secret a connection holds, and a
// rotation removes that one and no other. Neither id is a secret; the
// portal shows key ids.

/// The key id the app's tag names for `connection`, if any.
pub(crate) fn tagged<'a>(app: &'a Application, connection: &str) -> Option<&'a str> {
    app.tags.iter().find_map(|t| {
        crate::custody::is_held_by(t, connection)
            .then(|| t.rsplit_once(':').map(|(_, k)| k))
            .flatten()
    })
}

/// The app's tags with `key_id` held by `connection`, and no tag for the
/// connections in `gone`; the app's other tags as they are. `None` when
/// the tag would be too long to write.
pub(crate) fn tags_holding(
    tags: &[String],
    connection: &str,
    key_id: Option<&str>,
    gone: &[&str],
) -> Option<Vec<String>> {
    let names = crate::custody::is_held_by;
    let mut out: Vec<String> = tags
        .iter()
        .filter(|t| !names(t, connection) && !gone.iter().any(|g| names(t, g)))
        .cloned()
        .collect();
    if let Some(key) = key_id {
        let tag = crate::custody::Tag::Held {
            connection: connection.to_owned(),
            key: key.to_owned(),
        }
        .checked()
        .ok()?;
        out.push(tag.to_string());
    }
    Some(out)
}

/// The secret a connection holds, and whether that is known.
pub(crate) struct Current<'a> {
    pub credential: &'a PasswordCredential,
    /// Named for that connection by the local record or the app's tag;
    /// otherwise it is the newest unexpired secret of our description: a
    /// guess.
    pub known: bool,
}

/// The unexpired secret a connection holds: the one `named` (by the record
/// or the tag, for that connection), else (a guess) the newest unexpired
/// one with our description. An expired secret is never current: a new one
/// replaces it.
pub(crate) fn current<'a>(
    app: &'a Application,
    description: &str,
    named: Option<&str>,
) -> Option<Current<'a>> {
    let now = jiff::Timestamp::now();
    if let Some(key) = named {
        return app
            .password_credentials
            .iter()
            .find(|c| c.key_id == key && c.unexpired_at(now))
            .map(|credential| Current {
                credential,
                known: true,
            });
    }
    app.password_credentials
        .iter()
        .filter(|c| c.display_name.as_deref() == Some(description) && c.unexpired_at(now))
        .max_by(|a, b| a.end_date_time.cmp(&b.end_date_time))
        .map(|credential| Current {
            credential,
            known: false,
        })
}

/// The key the record or the app's tag names for `connection`: the
/// record's only when it recorded that very connection.
pub(crate) fn named_for<'a>(
    app: &'a Application,
    record: &'a crate::record::Record,
    connection: &str,
) -> Option<&'a str> {
    record
        .secret_key_id
        .as_deref()
        .filter(|_| record.connection_id.as_deref() == Some(connection))
        .or_else(|| tagged(app, connection))
}

/// What a run may reuse instead of adding a secret.
#[derive(Clone, Copy)]
pub(crate) enum Reuse<'a> {
    /// `setup`: the secret this platform connection holds.
    HeldBy(&'a str),
    /// `register`: any unexpired secret of the description (the run then
    /// stops, having nothing new to hand on).
    Any,
    /// Always a new secret.
    Nothing,
}

/// Adds the secret, or reuses the current one (see [`Reuse`]) unless a new
/// one was asked for.
/// Says nothing: the caller says the step ([`SecretState::announce`]) once
/// the steps before it are said.
pub(crate) async fn run(
    ctx: &Ctx<'_>,
    graph: &Graph,
    app: &Application,
    reuse: Reuse<'_>,
) -> anyhow::Result<SecretState> {
    let spec = &ctx.plan.secret;
    if let Some(reused) = reusable(ctx, app, reuse) {
        return Ok(reused);
    }
    // Within the tenant's credential policy, when it was read.
    let end = super::credential_policy::end_for(
        &ctx.credential_policy,
        spec,
        &app.id,
        graph.clock().now(),
    )?
    .to_string();
    if ctx.dry_run {
        return Ok(SecretState {
            key_id: String::new(),
            known: false,
            value: None,
            hint: None,
            end: Some(end),
            action: Action::WouldCreate,
            lost_answer: false,
            handed: false,
        });
    }
    let (added, lost) = add_in_custody(ctx, graph, app, &end).await?;
    if let Some(path) = &spec.file {
        hand_to_file(ctx, graph, &app.id, path, &added).await?;
    }
    Ok(SecretState {
        known: true,
        key_id: added.key_id,
        hint: added.hint,
        end: added.end_date_time.or(Some(end)),
        value: Some(added.secret_text),
        action: Action::Created,
        lost_answer: lost,
        handed: spec.file.is_some(),
    })
}

/// The secret to reuse, unless a new one was asked for (`--rotate`) or
/// [`Reuse`] allows none.
fn reusable(ctx: &Ctx<'_>, app: &Application, reuse: Reuse<'_>) -> Option<SecretState> {
    let spec = &ctx.plan.secret;
    let Current {
        credential: c,
        known,
    } = match reuse {
        _ if spec.rotate => None,
        // Named for this connection, or (nothing names it) the likeliest
        // one, flagged as a guess.
        Reuse::HeldBy(connection) => current(
            app,
            &spec.description,
            named_for(app, &ctx.record, connection),
        ),
        Reuse::Any => current(app, &spec.description, None),
        Reuse::Nothing => None,
    }?;
    Some(SecretState {
        key_id: c.key_id.clone(),
        known,
        value: None,
        hint: c.hint.clone(),
        end: c.end_date_time.clone(),
        action: Action::Reused,
        lost_answer: false,
        handed: false,
    })
}

/// `addPassword` in the custodian's care: the run's intent on the app
/// first, so that a run killed from here on, or whose answer is lost, is
/// explained to the next run on any machine ([`crate::custody`]); a lost
/// answer is followed by removing whatever that call made, then one more
/// call. Returns the secret, and whether an answer was lost on the way.
async fn add_in_custody(
    ctx: &Ctx<'_>,
    graph: &Graph,
    app: &Application,
    end: &str,
) -> anyhow::Result<(AddedPassword, bool)> {
    let description = &ctx.plan.secret.description;
    let before: HashSet<String> = app
        .password_credentials
        .iter()
        .map(|c| c.key_id.clone())
        .collect();
    ctx.custody.remember_tags(&app.id, &app.tags);
    // The app was read (or written) by this pass a moment ago, with no
    // change of ours between: its tags are the read the write is built on.
    let read = Some(app.tags.clone());
    ctx.custody.intend(graph, &app.id, read).await?;
    // A stop asked for before a secret is sent for (while the new app
    // replicates, say) is honoured here: no secret is made.
    let add = || {
        ctx.through_replication(
            "the new app to replicate in Entra (for its client secret)",
            || async {
                if Stop::process().requested() {
                    return Err(NotAdded.into());
                }
                graph.add_password(&app.id, description, Some(end)).await
            },
        )
    };
    let mut lost = false;
    let added: Result<AddedPassword, anyhow::Error> = match add().await {
        Ok(p) => Ok(p),
        Err(err) if is_ambiguous(&err) => {
            lost = true;
            ctx.custody.answer_lost(&app.id);
            ctx.printer.warn("the answer to adding the secret was lost; removing whatever that call made, then adding once more");
            match remove_unknown(&ctx.custody, graph, app, description, &before).await {
                Ok(()) => add().await.map_err(|e| policy_error(e, &app.id)),
                Err(e) => Err(e),
            }
        }
        Err(err) => Err(policy_error(err, &app.id)),
    };
    match added {
        Ok(added) => Ok((added, lost)),
        Err(err) => {
            // Nothing held: the intent goes, unless a lost call may yet
            // land a secret (the next run removes it).
            ctx.custody.settle(graph, &app.id, lost).await;
            Err(err)
        }
    }
}

/// `--secret-file`: the new secret written there. A person holds it from
/// then on: this machine's record says so at once (no request between the
/// file and it), then the app's tag.
async fn hand_to_file(
    ctx: &Ctx<'_>,
    graph: &Graph,
    app_object_id: &str,
    path: &std::path::Path,
    added: &AddedPassword,
) -> anyhow::Result<()> {
    crate::secret_file::write_new(path, &added.secret_text)?;
    if let Some(store) = &ctx.store {
        let mut record = ctx.record.clone();
        record.handed_key_ids.push(added.key_id.clone());
        if let Err(e) = store.save(&record) {
            ctx.printer.warn(&format!(
                "could not save the local record {}: {e:#}",
                store.path().display()
            ));
        }
    }
    if let Err(e) = ctx
        .custody
        .handed(graph, app_object_id, &added.key_id)
        .await
    {
        ctx.printer.warn(&format!(
            "the app could not be tagged with the secret handed on in {} ({e:#})",
            path.display()
        ));
    }
    Ok(())
}

impl SecretState {
    /// Says what [`run`] did (nothing for a look).
    pub(crate) fn announce(
        &self,
        printer: &crate::output::Printer,
        spec: &crate::settings::SecretSpec,
        reuse: Reuse<'_>,
    ) {
        match self.action {
            Action::Reused => {
                let why = match reuse {
                    Reuse::Any => "an unexpired one exists; its value cannot be read back",
                    Reuse::HeldBy(_) | Reuse::Nothing => "the platform connection holds it",
                };
                printer.step(
                    "Client secret",
                    &format!("\"{}\" reused ({why})", spec.description),
                );
            }
            Action::Created => printer.step(
                "Client secret",
                &format!(
                    "\"{}\" created, expires {}",
                    spec.description,
                    self.end.as_deref().unwrap_or("?")
                ),
            ),
            _ => {}
        }
    }
}

/// A stop was asked for before the secret was sent for: none was made.
#[derive(Debug)]
pub(crate) struct NotAdded;

impl std::fmt::Display for NotAdded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped before the client secret was added")
    }
}

impl std::error::Error for NotAdded {}

/// Removes secrets with our description that were not there before the lost call.
async fn remove_unknown(
    custody: &crate::custody::Custody,
    graph: &Graph,
    app: &Application,
    description: &str,
    before: &HashSet<String>,
) -> anyhow::Result<()> {
    let Some(now) = graph.get_application(&app.id).await? else {
        return Ok(());
    };
    for c in now.password_credentials {
        if c.display_name.as_deref() == Some(description) && !before.contains(&c.key_id) {
            custody.remove(graph, &app.id, &c.key_id).await?;
        }
    }
    Ok(())
}

/// Tenant app-management policies, explained (docs/graph.md §4.2).
fn policy_error(err: anyhow::Error, app_object_id: &str) -> anyhow::Error {
    match super::credential_policy::refused(&err, app_object_id) {
        Some(failure) => err.context(failure),
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;

    fn cred(key: &str, description: &str, end: &str) -> PasswordCredential {
        PasswordCredential {
            key_id: key.into(),
            display_name: Some(description.into()),
            end_date_time: Some(end.into()),
            ..PasswordCredential::default()
        }
    }

    fn app(tags: &[&str], creds: Vec<PasswordCredential>) -> Application {
        Application {
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            password_credentials: creds,
            ..Application::default()
        }
    }

    const LATER: &str = "2099-01-01T00:00:00Z";
    const LATEST: &str = "2099-06-01T00:00:00Z";
    const PAST: &str = "2001-01-01T00:00:00Z";

    #[test]
    fn each_connection_has_its_own_tag_and_only_its_own_is_replaced() {
        let tags = vec![
            "aad-setup".to_owned(),
            "team:x".to_owned(),
            crate::custody::held_tag("c1", "k1"),
            crate::custody::held_tag("c2", "k2"),
        ];
        let after = tags_holding(&tags, "c1", Some("k3"), &[]).unwrap();
        assert_eq!(
            after,
            [
                "aad-setup".to_owned(),
                "team:x".to_owned(),
                crate::custody::held_tag("c2", "k2"),
                crate::custody::held_tag("c1", "k3"),
            ]
        );
        // A replaced connection's tag goes with it; another's stays.
        let after = tags_holding(&after, "c3", Some("k4"), &["c1"]).unwrap();
        assert!(!after.iter().any(|t| t.contains("c1:")), "{after:?}");
        assert!(after.contains(&crate::custody::held_tag("c2", "k2")));
        // A connection id that is a prefix of another is not mistaken for it.
        let after = tags_holding(&[crate::custody::held_tag("c10", "k")], "c1", None, &[]).unwrap();
        assert_eq!(after, [crate::custody::held_tag("c10", "k")]);
        // Too long to write: not written.
        assert!(tags_holding(&[], &"x".repeat(300), Some("k"), &[]).is_none());

        let a = app(
            &[
                &crate::custody::held_tag("c2", "k2"),
                &crate::custody::held_tag("c10", "k9"),
            ],
            vec![],
        );
        assert_eq!(tagged(&a, "c2"), Some("k2"));
        assert_eq!(tagged(&a, "c1"), None);
    }

    #[test]
    fn the_record_names_a_secret_only_for_the_connection_it_recorded() {
        let a = app(&[&crate::custody::held_tag("c2", "k-tag")], vec![]);
        let record = Record {
            connection_id: Some("c1".into()),
            secret_key_id: Some("k-record".into()),
            ..Record::default()
        };
        assert_eq!(named_for(&a, &record, "c1"), Some("k-record"));
        assert_eq!(
            named_for(&a, &record, "c2"),
            Some("k-tag"),
            "stale record: the tag"
        );
        assert_eq!(named_for(&a, &record, "c3"), None);
    }

    #[test]
    fn a_named_secret_is_current_only_while_unexpired_and_a_guess_is_flagged() {
        let a = app(
            &[],
            vec![
                cred("old", crate::guide::SECRET_DESCRIPTION, PAST),
                cred("k1", crate::guide::SECRET_DESCRIPTION, LATER),
                cred("k2", crate::guide::SECRET_DESCRIPTION, LATEST),
                cred("other", "something else", LATEST),
            ],
        );
        let named = current(&a, crate::guide::SECRET_DESCRIPTION, Some("k1")).unwrap();
        assert_eq!(
            (named.credential.key_id.as_str(), named.known),
            ("k1", true)
        );
        assert!(
            current(&a, crate::guide::SECRET_DESCRIPTION, Some("old")).is_none(),
            "expired"
        );
        assert!(current(&a, crate::guide::SECRET_DESCRIPTION, Some("gone")).is_none());
        let guess = current(&a, crate::guide::SECRET_DESCRIPTION, None).unwrap();
        assert_eq!(
            (guess.credential.key_id.as_str(), guess.known),
            ("k2", false)
        );
    }
}
