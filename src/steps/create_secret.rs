//! Step 5: the client secret (portal: Certificates & secrets > New client
//! secret).
//!
//! `addPassword` mints a new secret on every success, so it is never retried
//! blindly: a 404 (the app not replicated yet) is safe to retry, because
//! nothing was made; a lost answer is followed by removing whatever the lost
//! call may have made, then one more call (microsoft-graph.md §2.4). A
//! working secret the platform connection already holds is reused.

use std::collections::HashSet;

use secrecy::SecretString;

use crate::error::{Failure, Kind};
use crate::graph::types::{AddedPassword, Application, PasswordCredential};
use crate::graph::{Graph, graph_error};
use crate::report::Action;
use crate::settings::Mode;

use super::{Ctx, is_ambiguous};

pub struct SecretState {
    pub key_id: String,
    /// A reused secret is known to be the one the connection holds (the
    /// local record or the app's tag says so), not the likeliest guess.
    pub known: bool,
    /// The value, only when this run created it.
    pub value: Option<SecretString>,
    pub hint: Option<String>,
    pub end: Option<String>,
    pub action: Action,
}

impl SecretState {
    /// For the summary and the JSON (never with the value: the output
    /// module adds it when it was asked for).
    pub fn info(&self, spec: &crate::settings::SecretSpec) -> crate::report::SecretInfo {
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

/// The app tag that names the secret the platform connection holds
/// (`aad-setup:connection-secret:<keyId>`): kept on the app itself, so that
/// any machine can tell which secret a rotation replaces. A key id is not a
/// secret; the portal shows it.
pub const HELD_TAG: &str = "aad-setup:connection-secret:";

/// The key id the app's tag names, if any.
pub fn tagged(app: &Application) -> Option<&str> {
    app.tags.iter().find_map(|t| t.strip_prefix(HELD_TAG))
}

/// The app's tags with `key_id` as the held secret (and the tool's own tag).
pub fn tags_holding(app: &Application, key_id: &str) -> Vec<String> {
    let mut tags: Vec<String> = app
        .tags
        .iter()
        .filter(|t| !t.starts_with(HELD_TAG))
        .cloned()
        .collect();
    if !tags.iter().any(|t| t == crate::settings::APP_TAG) {
        tags.push(crate::settings::APP_TAG.to_owned());
    }
    tags.push(format!("{HELD_TAG}{key_id}"));
    tags
}

/// The secret the connection holds, and whether that is known.
pub struct Current<'a> {
    pub credential: &'a PasswordCredential,
    /// The local record or the app's tag names it; otherwise it is the
    /// newest unexpired secret of our description: a guess.
    pub known: bool,
}

/// The secret the connection holds: the recorded key, else the key the
/// app's tag names, else (a guess) the newest one with our description that
/// has not expired.
pub fn current<'a>(
    app: &'a Application,
    description: &str,
    recorded: Option<&str>,
) -> Option<Current<'a>> {
    let find = |key: &str| app.password_credentials.iter().find(|c| c.key_id == key);
    if let Some(credential) = recorded.into_iter().chain(tagged(app)).find_map(find) {
        return Some(Current {
            credential,
            known: true,
        });
    }
    let now = jiff::Timestamp::now();
    app.password_credentials
        .iter()
        .filter(|c| c.display_name.as_deref() == Some(description))
        .filter(|c| {
            c.end_date_time
                .as_deref()
                .and_then(|e| e.parse::<jiff::Timestamp>().ok())
                .is_none_or(|end| end > now)
        })
        .max_by(|a, b| a.end_date_time.cmp(&b.end_date_time))
        .map(|credential| Current {
            credential,
            known: false,
        })
}

/// Adds the secret, or reuses the current one when `reusable` (`setup`:
/// the platform connection holds it; `register`: it exists, and the run
/// then stops, having nothing new to hand on) and no new one was asked for.
pub async fn run(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    app: &Application,
    reusable: bool,
) -> anyhow::Result<SecretState> {
    let spec = &ctx.plan.secret;
    if !spec.rotate && reusable {
        if let Some(Current {
            credential: c,
            known,
        }) = current(app, &spec.description, ctx.record.secret_key_id.as_deref())
        {
            let why = match ctx.plan.mode {
                Mode::Register => "an unexpired one exists; its value cannot be read back",
                Mode::Setup | Mode::Rotate | Mode::Remove { .. } => {
                    "the platform connection holds it"
                }
            };
            ctx.printer.step(
                "Client secret",
                &format!("\"{}\" reused ({why})", spec.description),
            );
            return Ok(SecretState {
                key_id: c.key_id.clone(),
                known,
                value: None,
                hint: c.hint.clone(),
                end: c.end_date_time.clone(),
                action: Action::Reused,
            });
        }
    }
    let end = spec.expiry.timestamp().to_string();
    if ctx.dry_run {
        return Ok(SecretState {
            key_id: String::new(),
            known: false,
            value: None,
            hint: None,
            end: Some(end),
            action: Action::WouldCreate,
        });
    }
    let before: HashSet<String> = app
        .password_credentials
        .iter()
        .map(|c| c.key_id.clone())
        .collect();
    let add = || {
        ctx.through_replication("the new app to replicate in Entra", || {
            graph.add_password(&app.id, &spec.description, Some(&end))
        })
    };
    let added: AddedPassword = match add().await {
        Ok(p) => p,
        Err(err) if is_ambiguous(&err) => {
            ctx.printer.warn("the answer to adding the secret was lost; removing whatever that call made, then adding once more");
            remove_unknown(graph, app, &spec.description, &before).await?;
            add()
                .await
                .map_err(|e| policy_error(e, &spec.description))?
        }
        Err(err) => return Err(policy_error(err, &spec.description)),
    };
    if let Some(path) = &spec.file {
        crate::secret_file::write_new(path, &added.secret_text)?;
    }
    ctx.printer.step(
        "Client secret",
        &format!(
            "\"{}\" created, expires {}",
            spec.description,
            added.end_date_time.as_deref().unwrap_or(&end)
        ),
    );
    Ok(SecretState {
        known: true,
        key_id: added.key_id,
        hint: added.hint,
        end: added.end_date_time.or(Some(end)),
        value: Some(added.secret_text),
        action: Action::Created,
    })
}

/// Removes secrets with our description that were not there before the lost call.
async fn remove_unknown(
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
            graph.remove_password(&app.id, &c.key_id).await?;
        }
    }
    Ok(())
}

/// Tenant app-management policies, explained (microsoft-graph.md §4.2).
fn policy_error(err: anyhow::Error, description: &str) -> anyhow::Error {
    let Some(g) = graph_error(&err) else {
        return err;
    };
    if g.has_code("CredentialInvalidLifetimeAsPerAppPolicy") {
        let message = format!(
            "the tenant's app management policy refuses a secret that lives this long: {}",
            g.message
        );
        return err.context(
            Failure::new(Kind::Failed, message)
                .with_hint("run again with a shorter --secret-expiry (for example 6mo or 12mo); the app is kept and will be reused"),
        );
    }
    if g.has_code("CredentialTypeNotAllowedAsPerAppPolicy") {
        return err.context(
            Failure::new(
                Kind::Failed,
                format!("the tenant's app management policy forbids client secrets (\"{description}\" could not be added)"),
            )
            .with_hint("ask your Entra administrator for an exemption for this app; the platform's connection needs a client secret"),
        );
    }
    err
}
