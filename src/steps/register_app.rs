//! Step 4: find or create the app registration and its service principal,
//! and reconcile an existing app with the guide (single tenant, the Web
//! redirect URI, the permission).
//!
//! An app is adopted only when this tool made it (tagged `aad-setup`), or
//! with `--adopt` / `--app-id`: an untagged namesake is never patched
//! silently. `POST /applications` is never retried blindly.

use serde_json::{Map, Value, json};

use crate::error::{Failure, Kind};
use crate::graph::Graph;
use crate::graph::GraphError;
use crate::graph::types::{
    Application, NewApplication, RequiredResourceAccess, ResourceAccess, ServicePrincipal, Web,
};
use crate::guide::{self, APP_TAG};
use crate::report::{Action, Change, Op};

use super::ctx::{Ctx, is_replication};
use super::resolve_permission::ResolvedPermission;

const SP_SELECT: &str = "id,appId,displayName,tags";

pub(crate) struct AppState {
    pub app: Application,
    pub sp: Option<ServicePrincipal>,
    pub action: Action,
    pub sp_action: Action,
    /// Changes a dry run would make.
    pub changes: Vec<Change>,
    /// The app was just created and its service principal is still to be
    /// made: [`service_principal_of`], while the secret is added.
    pub sp_to_make: bool,
}

/// What the run may do with the app it finds (the command decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existing {
    /// Create it when missing, bring it in line with the plan when not.
    Reconciled,
    /// It must exist and stays as it is (a rotation changes the secret,
    /// never the app it belongs to).
    Required,
}

/// What [`look`] read, before anything is changed.
pub(crate) struct Found {
    app: Option<(Application, bool)>,
    /// Apps a parallel run made that [`converge`] kept because a connection
    /// or a person holds one of their secrets (see [`Located`]).
    held: Vec<Application>,
    /// Apps a parallel run made with no secret at all (read twice), to be
    /// removed with the first change ([`run`]), not while only looking: a
    /// run that stops before any write (a connection it cannot prove its
    /// own, a policy) has changed nothing.
    losers: Vec<Application>,
    /// The service principal of the client id the local record names, read
    /// together with the app: used when that is the app found.
    recorded_sp: Option<(String, anyhow::Result<Option<ServicePrincipal>>)>,
}

/// A service principal as read: found, missing, or the read failed.
pub(crate) type SpRead = anyhow::Result<Option<ServicePrincipal>>;

impl Found {
    /// The app found, if any.
    pub(crate) fn app(&self) -> Option<&Application> {
        self.app.as_ref().map(|(app, _)| app)
    }

    /// The tags of the app found (none when there is no app yet).
    /// With the tags of the held apps a parallel run made ([`Located`]):
    /// all of them say which connections are this tool's.
    pub(crate) fn tags(&self) -> Vec<String> {
        self.app
            .iter()
            .map(|(app, _)| app)
            .chain(&self.held)
            .flat_map(|a| a.tags.iter().cloned())
            .collect()
    }

    /// The apps a parallel run made that someone holds a secret of: kept
    /// until the connections that hold them are gone.
    pub(crate) fn held(&self) -> &[Application] {
        &self.held
    }

    /// The app found (and whether it still needs our tag), and its service
    /// principal when it was read with it.
    pub(crate) fn into_parts(self) -> (Option<(Application, bool)>, Option<SpRead>) {
        let sp = match (&self.app, self.recorded_sp) {
            (Some((app, _)), Some((id, sp))) if *id == app.app_id => Some(sp),
            _ => None,
        };
        (self.app, sp)
    }
}

/// The reads of this step, which need nothing from the permission: the app
/// ([`locate_all`]) and, on a re-run, the recorded app's service principal at
/// the same time. A failure to read the service principal counts only if
/// that app is the one found, as it would have read it after.
pub(crate) async fn look(
    ctx: &Ctx<'_>,
    graph: &Graph,
    existing: Existing,
) -> anyhow::Result<Found> {
    let recorded = ctx
        .record
        .app_id
        .clone()
        .filter(|_| ctx.plan.app.app_id.is_none());
    let Some(app_id) = recorded else {
        let Located { app, held, losers } = locate_all(ctx, graph, existing).await?;
        return Ok(Found {
            app,
            held,
            losers,
            recorded_sp: None,
        });
    };
    let (located, sp) = tokio::join!(
        locate_all(ctx, graph, existing),
        graph.find_service_principal(&app_id, SP_SELECT)
    );
    let Located { app, held, losers } = located?;
    Ok(Found {
        app,
        held,
        losers,
        recorded_sp: Some((app_id, sp)),
    })
}

pub(crate) async fn run(
    ctx: &mut Ctx<'_>,
    graph: &Graph,
    perm: &ResolvedPermission,
    existing: Existing,
    mut found: Found,
) -> anyhow::Result<AppState> {
    let dry_run = ctx.dry_run;
    if let Some(winner) = found.app() {
        let winner = winner.app_id.clone();
        remove_losers(ctx, graph, &winner, std::mem::take(&mut found.losers)).await?;
    }
    let (found, recorded_sp) = found.into_parts();
    let mut changes = Vec::new();
    let rotating = existing == Existing::Required;
    let (app, action, created) = match found {
        None if rotating => {
            return Err(Failure::new(
                Kind::Failed,
                format!(
                    "there is no app registration \"{}\" made by aad-setup in this tenant, so there is no secret to rotate",
                    ctx.plan.app.name
                ),
            )
            .with_hint("run `aad-setup setup` to make one, or give --app-id for an app registered another way")
            .into());
        }
        // A rotation changes the secret, never the app it belongs to.
        Some((app, _)) if rotating => (app, Action::Reused, false),
        None if dry_run => {
            changes.push(Change::new(
                Op::Create,
                crate::report::Code::AppCreate,
                format!(
                    "create the app registration \"{}\" (single tenant, Web redirect URI {}, {} / {} delegated)",
                    ctx.plan.app.name, ctx.plan.app.redirect_uri, perm.api_name, perm.value
                ),
            ));
            (Application::default(), Action::WouldCreate, true)
        }
        None => (create(ctx, graph, perm).await?, Action::Created, true),
        Some((app, needs_tag)) => {
            let (app, action) = reconciled(ctx, graph, perm, app, needs_tag, &mut changes).await?;
            (app, action, false)
        }
    };
    if !dry_run {
        ctx.record.app_object_id = Some(app.id.clone());
        ctx.record.app_id = Some(app.app_id.clone());
        ctx.save_record();
    }

    let (sp, sp_action) = if created && dry_run {
        changes.push(Change::new(
            Op::Create,
            crate::report::Code::ServicePrincipalCreate,
            "create its service principal (the portal's enterprise application)",
        ));
        (None, Action::WouldCreate)
    } else if created {
        // Made with the secret (neither needs the other): see
        // [`service_principal_of`].
        (None, Action::WouldCreate)
    } else {
        service_principal(ctx, graph, &app, false, recorded_sp).await?
    };
    let state = AppState {
        app,
        sp,
        action,
        sp_action,
        changes,
        sp_to_make: created && !dry_run,
    };
    if !state.sp_to_make {
        state.announce(ctx);
    }
    Ok(state)
}

/// An existing app, reconciled with the guide (single tenant, the Web
/// redirect URI, the permission) and tagged as this tool's when it was
/// adopted; on a dry run, the change it would make, in `changes`.
async fn reconciled(
    ctx: &Ctx<'_>,
    graph: &Graph,
    perm: &ResolvedPermission,
    mut app: Application,
    needs_tag: bool,
    changes: &mut Vec<Change>,
) -> anyhow::Result<(Application, Action)> {
    let Some((patch, what)) = reconcile(&app, &ctx.plan.app.redirect_uri, perm, needs_tag) else {
        return Ok((app, Action::Reused));
    };
    if ctx.dry_run {
        changes.push(Change::new(
            Op::Change,
            crate::report::Code::AppUpdate,
            format!(
                "update the app \"{}\": {}",
                app.display_name,
                what.join("; ")
            ),
        ));
        return Ok((app, Action::WouldUpdate));
    }
    if patch.as_object().is_some_and(|p| !p.is_empty()) {
        graph.update_application(&app.id, &patch).await?;
    }
    tracing::info!("updated the app: {}", what.join("; "));
    if needs_tag {
        // Later writes of the tags start from what was written.
        app.tags = ctx
            .custody
            .edit_tags(graph, &app.id, |tags| {
                let mut tags = tags.to_vec();
                if !tags.iter().any(|t| t == APP_TAG) {
                    tags.push(APP_TAG.into());
                }
                tags
            })
            .await?;
    }
    Ok((app, Action::Updated))
}

/// The service principal of an app this run just created
/// ([`AppState::sp_to_make`]), made now; `None` when there is nothing to
/// make. Says the step once it is made.
pub(crate) async fn service_principal_of(
    ctx: &Ctx<'_>,
    graph: &Graph,
    state: &AppState,
) -> Option<anyhow::Result<(Option<ServicePrincipal>, Action)>> {
    if !state.sp_to_make {
        return None;
    }
    Some(service_principal(ctx, graph, &state.app, true, None).await)
}

impl AppState {
    /// The service principal [`service_principal_of`] made.
    pub(crate) fn made(&mut self, ctx: &Ctx<'_>, sp: Option<ServicePrincipal>, action: Action) {
        self.sp = sp;
        self.sp_action = action;
        self.sp_to_make = false;
        self.announce(ctx);
    }

    fn announce(&self, ctx: &Ctx<'_>) {
        ctx.printer.step(
            "App registration",
            &format!(
                "{} ({}), client id {}; service principal {}",
                ctx.plan.app.name,
                self.action.as_str(),
                if self.app.app_id.is_empty() {
                    "(new)"
                } else {
                    &self.app.app_id
                },
                self.sp_action.as_str()
            ),
        );
    }

    /// For the summary and the JSON.
    pub(crate) fn info(&self, spec: &crate::settings::AppSpec) -> crate::report::AppInfo {
        crate::report::AppInfo {
            display_name: spec.name.clone(),
            object_id: self.app.id.clone(),
            client_id: self.app.app_id.clone(),
            sign_in_audience: guide::SIGN_IN_AUDIENCE.into(),
            redirect_uri: spec.redirect_uri.clone(),
            action: self.action,
            service_principal_id: self.sp.as_ref().map(|s| s.id.clone()).unwrap_or_default(),
            service_principal_action: self.sp_action,
        }
    }
}

/// What [`locate_all`] found: the app, the apps of our name a parallel run
/// made that [`converge`] keeps because someone holds one of their
/// secrets, and those it would remove (no secret at all).
pub(crate) struct Located {
    pub app: Option<(Application, bool)>,
    pub held: Vec<Application>,
    pub losers: Vec<Application>,
}

/// The app to use, and whether it still needs our tag (an untagged namesake
/// is an error unless `--adopt` / `--app-id`), with the apps a parallel run
/// made. Only reads: the empty ones are removed by [`remove_losers`] once
/// the caller has decided to change something.
pub(crate) async fn locate_all(
    ctx: &Ctx<'_>,
    graph: &Graph,
    existing: Existing,
) -> anyhow::Result<Located> {
    let found = |app| Located {
        app,
        held: Vec::new(),
        losers: Vec::new(),
    };
    let spec = &ctx.plan.app;
    let tagged = |a: &Application| a.tags.iter().any(|t| t == APP_TAG);
    if let Some(id) = &spec.app_id {
        let app = match graph.find_application_by_app_id(id).await? {
            Some(app) => Some(app),
            None => graph.get_application(id).await?,
        };
        let app = app.ok_or_else(|| {
            Failure::new(
                Kind::Usage,
                format!(
                    "--app-id {id}: no application with that client id or object id in this tenant"
                ),
            )
        })?;
        let needs_tag = !tagged(&app);
        return Ok(found(Some((app, needs_tag))));
    }
    let mut listed = None;
    if let Some(object_id) = ctx.record.app_object_id.clone() {
        // Our own record: the app may be too new to be listed yet, so a 404
        // is waited out for a recent record; an old one means it was deleted.
        let recent = ctx
            .record
            .updated_at
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .is_some_and(|t| jiff::Timestamp::now().duration_since(t).as_secs() < 600);
        let recorded = read_recorded(ctx, graph, &object_id, recent);
        // Listed by name at the same time: another run may have made one
        // too (and if the recorded app is gone, the name finds the rest).
        let (app, namesakes) = tokio::join!(recorded, graph.find_applications_by_name(&spec.name));
        let app: Option<Application> = app?;
        let namesakes = namesakes?;
        if let Some(app) = app.filter(|a| a.display_name == spec.name) {
            let others: Vec<Application> = namesakes
                .into_iter()
                .filter(|a| tagged(a) && a.id != app.id)
                .collect();
            if !others.is_empty() {
                let mut all = others;
                all.push(app);
                return converge(ctx, graph, all).await;
            }
            let needs_tag = !tagged(&app);
            return Ok(found(Some((app, needs_tag))));
        }
        listed = Some(namesakes);
    }
    let namesakes = match listed {
        Some(namesakes) => namesakes,
        None => graph.find_applications_by_name(&spec.name).await?,
    };
    let (ours, others): (Vec<_>, Vec<_>) = namesakes.into_iter().partition(|a| tagged(a));
    match (ours.as_slice(), others.as_slice()) {
        ([one], _) => Ok(found(Some((one.clone(), false)))),
        ([], []) => Ok(found(None)),
        ([], [one]) if spec.adopt => Ok(found(Some((one.clone(), true)))),
        ([], others) => Err(Failure::new(
            Kind::Usage,
            format!(
                "{} app registration(s) named \"{}\" exist that aad-setup did not create ({}); they were not touched",
                others.len(),
                spec.name,
                others.iter().map(|a| format!("client id {}", a.app_id)).collect::<Vec<_>>().join(", ")
            ),
        )
        .with_hint(if existing == Existing::Required {
            "to rotate its secret, give --app-id <client id>"
        } else if others.len() == 1 {
            "to use it, run again with --adopt (or --app-id <client id>); to make a separate app, choose another --app-name"
        } else {
            "pick one with --app-id <client id>, or choose another --app-name"
        })
        .into()),
        (several, _) => converge(ctx, graph, several.to_vec()).await,
    }
}

/// The app the local record names: a 404 is waited out while a recent
/// record's app may still be replicating (making another would leave two).
async fn read_recorded(
    ctx: &Ctx<'_>,
    graph: &Graph,
    object_id: &str,
    recent: bool,
) -> anyhow::Result<Option<Application>> {
    if !recent {
        return graph.get_application(object_id).await;
    }
    let seen = ctx
        .through_replication("the application recorded by the last run", || async {
            graph
                .get_application(object_id)
                .await?
                .ok_or_else(|| not_found(object_id))
        })
        .await;
    match seen {
        Ok(app) => Ok(Some(app)),
        // Not visible after the whole budget: it may still be
        // replicating. Making another would leave two.
        Err(err) if is_replication(&err) => Err(err.context(Failure::new(
            Kind::Failed,
            format!(
                "the app registration the last run made ({object_id}) is not visible in Entra yet; no second one was made"
            ),
        )
        .with_hint("run the same command again in a few minutes"))),
        Err(err) => Err(err),
    }
}

/// Two runs at once (a CI job retried while the first still runs, two
/// admins) can each make a tagged app. One is kept, whichever run looks:
/// the one whose secret a connection holds (its held-secret tag), else the
/// one this machine's record names, else one with a secret, else the oldest
/// (then the smallest object id). Another is to be removed only when it
/// has no secret at all, read twice (a listing may come from a replica
/// behind, and a secret there may be someone's whose tag is not visible
/// yet): those are returned as `losers`, for [`remove_losers`] with the
/// first change. One with a secret is kept and returned as `held`: the caller
/// removes it once every secret it has is held by a connection the run
/// deleted (`setup`'s strays), or says why it stays. Only reads here.
async fn converge(
    ctx: &Ctx<'_>,
    graph: &Graph,
    mut apps: Vec<Application>,
) -> anyhow::Result<Located> {
    let holds = |a: &Application| a.tags.iter().any(|t| crate::custody::is_holding(t));
    let recorded = |a: &Application| ctx.record.app_object_id.as_deref() == Some(a.id.as_str());
    let has_secret = |a: &Application| !a.password_credentials.is_empty();
    apps.sort_by(|a, b| {
        holds(b)
            .cmp(&holds(a))
            .then_with(|| recorded(b).cmp(&recorded(a)))
            .then_with(|| has_secret(b).cmp(&has_secret(a)))
            .then_with(|| a.created_date_time.cmp(&b.created_date_time))
            .then_with(|| a.id.cmp(&b.id))
    });
    let winner = apps.remove(0);
    let (kept, apps): (Vec<Application>, Vec<Application>) =
        apps.into_iter().partition(|a| has_secret(a) || recorded(a));
    let needs_tag = !winner.tags.iter().any(|t| t == APP_TAG);
    let mut located = Located {
        app: Some((winner, needs_tag)),
        held: kept,
        losers: Vec::new(),
    };
    if ctx.dry_run {
        return Ok(located);
    }
    for loser in apps {
        // Read again by id: a secret the listing's replica did not show
        // yet keeps it.
        match graph.get_application(&loser.id).await? {
            Some(again) if has_secret(&again) => located.held.push(again),
            _ => located.losers.push(loser),
        }
    }
    Ok(located)
}

/// Removes the apps [`converge`] found a parallel run made with no secret,
/// saying so; `winner`, the client id kept.
pub(crate) async fn remove_losers(
    ctx: &Ctx<'_>,
    graph: &Graph,
    winner: &str,
    losers: Vec<Application>,
) -> anyhow::Result<()> {
    for loser in losers {
        ctx.printer.warn(&format!(
            "another run made a second app registration \"{}\" (client id {}) at the same time; it was removed, keeping client id {winner}",
            ctx.plan.app.name, loser.app_id
        ));
        graph.delete_application(&loser.id).await?;
    }
    Ok(())
}

fn not_found(object_id: &str) -> anyhow::Error {
    GraphError {
        status: reqwest::StatusCode::NOT_FOUND,
        code: "Request_ResourceNotFound".into(),
        message: format!("application {object_id} not found"),
        detail_codes: vec![],
        request_id: None,
        action: "read the application".into(),
        method: reqwest::Method::GET,
    }
    .into()
}

fn new_application(name: &str, redirect_uri: &str, perm: &ResolvedPermission) -> NewApplication {
    NewApplication {
        display_name: name.to_owned(),
        sign_in_audience: guide::SIGN_IN_AUDIENCE.into(),
        tags: vec![APP_TAG.into()],
        web: Web {
            redirect_uris: vec![redirect_uri.to_owned()],
            ..Web::default()
        },
        required_resource_access: vec![RequiredResourceAccess {
            resource_app_id: perm.api_app_id.clone(),
            resource_access: vec![ResourceAccess {
                id: perm.permission_id.clone(),
                kind: "Scope".into(),
            }],
        }],
    }
}

async fn create(
    ctx: &Ctx<'_>,
    graph: &Graph,
    perm: &ResolvedPermission,
) -> anyhow::Result<Application> {
    let spec = &ctx.plan.app;
    let mut body = new_application(&spec.name, &spec.redirect_uri, perm);
    // The app this run makes gets a secret from this run: the intent
    // (crate::custody) is in its first tags, so it is durable before
    // `addPassword` without a write of its own.
    body.tags.push(ctx.custody.new_intent().tag());
    // A lost answer is looked up by the client before anything is sent
    // again (docs/graph.md §2.2; the table in `crate::http`).
    let made = graph.create_application(&body, APP_TAG).await?;
    if made.found {
        ctx.printer
            .warn("the answer to creating the app was lost; the app it made was found and is used");
    }
    Ok(made.value)
}

/// The PATCH that brings an existing app in line, and what it changes.
fn reconcile(
    app: &Application,
    redirect_uri: &str,
    perm: &ResolvedPermission,
    needs_tag: bool,
) -> Option<(Value, Vec<String>)> {
    let mut patch = Map::new();
    let mut what = Vec::new();
    if app.sign_in_audience.as_deref() != Some(guide::SIGN_IN_AUDIENCE) {
        patch.insert("signInAudience".into(), json!(guide::SIGN_IN_AUDIENCE));
        what.push(format!(
            "sign-in audience {} -> {} (single tenant)",
            app.sign_in_audience.as_deref().unwrap_or("unset"),
            guide::SIGN_IN_AUDIENCE
        ));
    }
    if !app.redirect_uris().iter().any(|u| u == redirect_uri) {
        // A complex value is replaced whole, and collections are sent whole:
        // send `web` as read (home page, logout URL, implicit-grant settings
        // and the admin's other URIs kept), with the guide's URI added.
        // `redirectUriSettings` is left out: it restates `redirectUris` (with
        // indexes) and would contradict the new list.
        let mut web = app.web.clone().unwrap_or_default();
        web.other.remove("redirectUriSettings");
        web.redirect_uris.push(redirect_uri.to_owned());
        patch.insert("web".into(), serde_json::to_value(web).unwrap_or_default());
        what.push(format!("add the Web redirect URI {redirect_uri}"));
    }
    let has_permission = app.required_resource_access.iter().any(|r| {
        r.resource_app_id.eq_ignore_ascii_case(&perm.api_app_id)
            && r.resource_access
                .iter()
                .any(|a| a.id.eq_ignore_ascii_case(&perm.permission_id) && a.kind == "Scope")
    });
    if !has_permission {
        let mut all = app.required_resource_access.clone();
        let wanted = ResourceAccess {
            id: perm.permission_id.clone(),
            kind: "Scope".into(),
        };
        match all
            .iter_mut()
            .find(|r| r.resource_app_id.eq_ignore_ascii_case(&perm.api_app_id))
        {
            Some(entry) => entry.resource_access.push(wanted),
            None => all.push(RequiredResourceAccess {
                resource_app_id: perm.api_app_id.clone(),
                resource_access: vec![wanted],
            }),
        }
        patch.insert(
            "requiredResourceAccess".into(),
            serde_json::to_value(all).unwrap_or_default(),
        );
        what.push(format!(
            "add the delegated permission {} / {}",
            perm.api_name, perm.value
        ));
    }
    if needs_tag {
        // Written by the custodian on a fresh read, not here from this read
        // (a replica behind could lack another run's custody tags).
        what.push("tag it as managed by aad-setup".into());
    }
    (!what.is_empty()).then_some((Value::Object(patch), what))
}

/// The tag the portal gives the service principals it creates: what lists one
/// under Enterprise applications.
pub(crate) const ENTERPRISE_APP_TAG: &str = "WindowsAzureActiveDirectoryIntegratedApp";

/// Finds or creates the app's service principal. Right after the app was
/// created, Entra may not know it yet: those answers are waited out.
/// `read`: what [`look`] read of it already.
async fn service_principal(
    ctx: &Ctx<'_>,
    graph: &Graph,
    app: &Application,
    created: bool,
    read: Option<anyhow::Result<Option<ServicePrincipal>>>,
) -> anyhow::Result<(Option<ServicePrincipal>, Action)> {
    if !created {
        let sp = match read {
            Some(sp) => sp?,
            None => graph.find_service_principal(&app.app_id, SP_SELECT).await?,
        };
        if let Some(mut sp) = sp {
            crate::steps::enterprise_tag::ensure(ctx, graph, &mut sp).await;
            return Ok((Some(sp), Action::Reused));
        }
        if ctx.dry_run {
            return Ok((None, Action::WouldCreate));
        }
    }
    // The portal's tag lists it under Enterprise applications
    // (docs/graph.md §2.7); ours says who made it.
    let tags = vec![ENTERPRISE_APP_TAG.to_owned(), APP_TAG.to_owned()];
    // A 409 or a lost answer is looked up by the client, never re-posted
    // blindly (docs/graph.md §2.7).
    // The 403 "…must in the local tenant" is also what a caller that does not
    // own the app gets (Application.ReadWrite.OwnedBy): it means replication
    // only for an app this run just created (docs/graph.md §2.7).
    let made = ctx
        .retry_while(
            "the new app to replicate in Entra (for its service principal)",
            |err| is_replication(err) && (created || !is_not_local(err)),
            || graph.create_service_principal(&app.app_id, &tags, SP_SELECT),
        )
        .await?;
    let action = if made.found {
        Action::Reused
    } else {
        Action::Created
    };
    Ok((Some(made.value), action))
}

/// Graph's 403 "the backing application … must in the local tenant".
fn is_not_local(err: &anyhow::Error) -> bool {
    crate::graph::graph_error(err).is_some_and(|g| g.is_denied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm() -> ResolvedPermission {
        ResolvedPermission {
            api_name: guide::API.into(),
            api_app_id: "00000003-0000-0000-c000-000000000000".into(),
            api_sp_id: "sp".into(),
            permission_id: "c5366453-9fb0-48a5-a156-24f0c49a4b84".into(),
            value: guide::PERMISSION.into(),
            admin_consent_required: true,
            resource_uri: None,
        }
    }

    #[test]
    fn a_conforming_app_needs_no_patch() {
        let body = new_application("n", guide::REDIRECT_URI, &perm());
        let app = Application {
            sign_in_audience: Some(body.sign_in_audience.clone()),
            tags: body.tags.clone(),
            web: Some(body.web.clone()),
            required_resource_access: body.required_resource_access.clone(),
            ..Application::default()
        };
        assert!(reconcile(&app, guide::REDIRECT_URI, &perm(), false).is_none());
    }

    #[test]
    fn a_drifted_app_is_patched_keeping_what_the_admin_added() {
        let app = Application {
            sign_in_audience: Some("AzureADMultipleOrgs".into()),
            web: Some(Web {
                redirect_uris: vec!["https://other.example/cb".into()],
                other: json!({
                    "homePageUrl": "https://other.example/",
                    "logoutUrl": "https://other.example/logout",
                    "implicitGrantSettings": {"enableIdTokenIssuance": true, "enableAccessTokenIssuance": false},
                    "redirectUriSettings": [{"uri": "https://other.example/cb", "index": null}],
                })
                .as_object()
                .cloned()
                .unwrap(),
            }),
            required_resource_access: vec![RequiredResourceAccess {
                resource_app_id: "00000003-0000-0000-c000-000000000000".into(),
                resource_access: vec![ResourceAccess {
                    id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d".into(),
                    kind: "Scope".into(),
                }],
            }],
            ..Application::default()
        };
        let (patch, what) = reconcile(&app, guide::REDIRECT_URI, &perm(), true).unwrap();
        assert_eq!(patch["signInAudience"], guide::SIGN_IN_AUDIENCE);
        assert_eq!(
            patch["web"],
            json!({
                "redirectUris": ["https://other.example/cb", guide::REDIRECT_URI],
                "homePageUrl": "https://other.example/",
                "logoutUrl": "https://other.example/logout",
                "implicitGrantSettings": {"enableIdTokenIssuance": true, "enableAccessTokenIssuance": false},
            }),
            "the whole web object as read, with the guide's URI added"
        );
        assert_eq!(
            patch["requiredResourceAccess"][0]["resourceAccess"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // The owner tag is the custodian's write, on a fresh read.
        assert!(patch.get("tags").is_none());
        assert_eq!(what.len(), 4);
    }
}
