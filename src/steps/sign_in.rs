//! Step 1: sign in to Microsoft and learn the tenant id; check, before any
//! write, that the identity may do what the run needs.

use crate::auth::SignIn;
use crate::auth::{self, GRANT_CONSENT, MANAGE_APPS, Session};
use crate::cloud::Endpoints;
use crate::graph::Graph;
use crate::http::Http;
use crate::output::Printer;

use super::ctx::Ctx;

/// Signs in with `method`, and checks the rights the run needs (to grant
/// consent as well, with `admin_consent`). It comes before the rest of the
/// plan exists: the wizard signs in first, then asks the other questions.
/// A dry run only reads: a missing right is a warning naming what a real run
/// needs, so a reviewer with read rights sees the plan.
pub(crate) async fn run(
    http: &Http,
    endpoints: &Endpoints,
    method: &SignIn,
    admin_consent: bool,
    dry_run: bool,
    printer: &Printer,
) -> anyhow::Result<(Graph, Session)> {
    let (graph, mut session) =
        authenticate(http, endpoints, method, admin_consent, dry_run, printer).await?;
    session.directory = directory(&graph, &session).await?;
    announce(printer, &session);
    Ok((graph, session))
}

/// Says who signed in where (once the directory's name is known).
pub(crate) fn announce(printer: &Printer, session: &Session) {
    printer.step("Signed in to Microsoft", &signed_in(session));
}

/// [`run`] without the directory's name: the caller reads it ([`directory`])
/// together with its first reads, then says who signed in ([`announce`]).
pub(crate) async fn authenticate(
    http: &Http,
    endpoints: &Endpoints,
    method: &SignIn,
    admin_consent: bool,
    dry_run: bool,
    printer: &Printer,
) -> anyhow::Result<(Graph, Session)> {
    let session = auth::sign_in(http, endpoints, printer, method).await?;
    let mut needs = vec![MANAGE_APPS];
    if admin_consent {
        needs.push(GRANT_CONSENT);
    }
    if dry_run {
        for need in &needs {
            if let Err(err) = auth::require(&session, std::slice::from_ref(need)) {
                let (message, hint) = crate::error::failure(&err).map_or_else(
                    || (format!("{err:#}"), None),
                    |f| (f.message.clone(), f.hint.clone()),
                );
                printer.warn(&format!(
                    "{message}: a real run would stop here (exit 4){}",
                    hint.map_or_else(String::new, |h| format!("; {h}"))
                ));
            }
        }
    } else {
        auth::require(&session, &needs)?;
    }
    let graph = Graph::new(http.clone(), &endpoints.graph, session.token.clone());
    Ok((graph, session))
}

/// "user x (device-code), tenant Contoso (contoso.onmicrosoft.com, id …)".
pub(crate) fn signed_in(session: &Session) -> String {
    format!(
        "{} ({}), tenant {}",
        session.identity,
        session.method,
        tenant_label(session)
    )
}

/// The tenant by name and default domain when known, always with its id.
pub(crate) fn tenant_label(session: &Session) -> String {
    match &session.directory {
        Some(d) => match &d.default_domain {
            Some(domain) => format!("{} ({domain}, id {})", d.display_name, session.tenant_id),
            None => format!("{} (id {})", d.display_name, session.tenant_id),
        },
        None => session.tenant_id.clone(),
    }
}

/// The directory as a person knows it: "Contoso (contoso.onmicrosoft.com)",
/// else `"tenant <id>"`.
pub(crate) fn directory_name(session: &Session) -> String {
    match &session.directory {
        Some(d) => match &d.default_domain {
            Some(domain) => format!("{} ({domain})", d.display_name),
            None => d.display_name.clone(),
        },
        None => format!("tenant {}", session.tenant_id),
    }
}

/// The directory's name when sign-in left it to the caller (`pending`,
/// [`authenticate`]): read with the caller's first lookups, then given to
/// [`with_directory`].
pub(crate) async fn pending_directory(
    graph: &Graph,
    session: &Session,
    pending: bool,
) -> Option<anyhow::Result<Option<auth::Directory>>> {
    match pending {
        true => Some(directory(graph, session).await),
        false => None,
    }
}

/// The session with what [`pending_directory`] read, and who signed in
/// said ([`announce`]); as it was when nothing was pending.
pub(crate) fn with_directory(
    printer: &Printer,
    session: &Session,
    read: Option<anyhow::Result<Option<auth::Directory>>>,
) -> anyhow::Result<Session> {
    let mut session = session.clone();
    if let Some(read) = read {
        session.directory = read?;
        announce(printer, &session);
    }
    Ok(session)
}

/// The directory's display name and default domain (`GET /organization`).
/// Reading it needs User.Read (delegated) or Organization.Read.All
/// (app-only); without them the run goes on with the tenant id alone. As the
/// first Graph call, it is where a token Graph does not accept shows (exit 3).
pub(crate) async fn directory(
    graph: &Graph,
    session: &Session,
) -> anyhow::Result<Option<auth::Directory>> {
    let org = match graph.organization().await {
        Ok(org) => org,
        Err(err) => match crate::graph::graph_error(&err) {
            Some(e) if e.is_denied() => {
                tracing::info!("the directory's name is not readable: {err:#}");
                return Ok(None);
            }
            Some(e) if e.status == reqwest::StatusCode::UNAUTHORIZED => {
                let failure = crate::error::Failure::new(
                    crate::error::Kind::SignIn,
                    format!(
                        "Microsoft Graph did not accept the token of {} ({})",
                        session.identity, e.code
                    ),
                )
                .with_hint("the token may have expired or be meant for another API: sign in again");
                return Err(err.context(failure));
            }
            _ => return Err(err),
        },
    };
    Ok(org.and_then(|o| {
        let name = o.display_name?;
        let default_domain = o
            .verified_domains
            .iter()
            .find(|d| d.is_default)
            .map(|d| d.name.clone());
        Some(auth::Directory {
            display_name: name,
            default_domain,
        })
    }))
}

/// How `setup` and `register` begin, on a client the caller has already
/// made (`setup` reads the platform on it at the same time): the plan's
/// warnings, then [`authenticate`]; the directory's name is read with the
/// first lookups.
pub(crate) async fn for_plan_on(
    http: &Http,
    plan: &crate::settings::Plan,
    printer: &Printer,
) -> anyhow::Result<(Graph, Session)> {
    for warning in &plan.warnings {
        printer.warn(warning);
    }
    authenticate(
        http,
        &plan.endpoints,
        &plan.sign_in,
        plan.app.admin_consent,
        plan.dry_run,
        printer,
    )
    .await
}

/// For commands that work on an existing setup (`status`, `remove`): signs
/// in on `http` (they read the platform on it at the same time), checks
/// `needs`, and loads the local record into a fresh [`Ctx`]. The
/// directory's name is theirs to read ([`directory`]), alongside their
/// first reads.
pub(crate) async fn begin<'a>(
    http: Http,
    plan: &'a crate::settings::Plan,
    printer: &'a Printer,
    needs: &[auth::Need],
) -> anyhow::Result<(Ctx<'a>, Graph, Session)> {
    let session = auth::sign_in(&http, &plan.endpoints, printer, &plan.sign_in).await?;
    auth::require(&session, needs)?;
    let graph = Graph::new(http.clone(), &plan.endpoints.graph, session.token.clone());
    let store = crate::record::Store::new(&plan.state_dir, &session.tenant_id, &plan.app.name);
    let ctx = Ctx {
        http,
        printer,
        plan,
        record: store.load(&session.tenant_id, &plan.app.name),
        store: Some(store),
        dry_run: plan.dry_run,
        custody: crate::custody::Custody::new(&plan.state_dir, plan.pending_lease),
        credential_policy: Default::default(),
    };
    Ok((ctx, graph, session))
}
