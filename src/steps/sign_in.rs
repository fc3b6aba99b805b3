//! Step 1: sign in to Microsoft and learn the tenant id; check, before any
//! write, that the identity may do what the run needs.

use crate::auth::SignIn;
use crate::auth::{self, GRANT_CONSENT, MANAGE_APPS, Session};
use crate::cloud::Endpoints;
use crate::graph::Graph;
use crate::http::Http;
use crate::output::Printer;

use super::Ctx;

/// Signs in with `method`, and checks the rights the run needs (to grant
/// consent as well, with `admin_consent`). It comes before the rest of the
/// plan exists: the wizard signs in first, then asks the other questions.
pub(crate) async fn run(
    http: &Http,
    endpoints: &Endpoints,
    method: &SignIn,
    admin_consent: bool,
    printer: &Printer,
) -> anyhow::Result<(Graph, Session)> {
    let session = auth::sign_in(http, endpoints, printer, method).await?;
    let mut needs = vec![MANAGE_APPS];
    if admin_consent {
        needs.push(GRANT_CONSENT);
    }
    auth::require(&session, &needs)?;
    let graph = Graph::new(http.clone(), &endpoints.graph, session.token.clone());
    printer.step(
        "Signed in to Microsoft",
        &format!(
            "{} ({}), tenant {}",
            session.identity, session.method, session.tenant_id
        ),
    );
    Ok((graph, session))
}

/// How `setup` and `register` begin: the plan's warnings, then [`run`]
/// with the plan's sign-in and rights.
pub(crate) async fn for_plan(
    plan: &crate::settings::Plan,
    printer: &Printer,
) -> anyhow::Result<(Http, Graph, Session)> {
    let http = Http::new()?;
    let (graph, session) = for_plan_on(&http, plan, printer).await?;
    Ok((http, graph, session))
}

/// [`for_plan`] on a client the caller has already made (`setup` reads the
/// platform on it at the same time).
pub(crate) async fn for_plan_on(
    http: &Http,
    plan: &crate::settings::Plan,
    printer: &Printer,
) -> anyhow::Result<(Graph, Session)> {
    for warning in &plan.warnings {
        printer.warn(warning);
    }
    run(
        http,
        &plan.endpoints,
        &plan.sign_in,
        plan.app.admin_consent,
        printer,
    )
    .await
}

/// For commands that work on an existing setup (`status`, `remove`): signs
/// in, checks `needs`, and loads the local record into a fresh [`Ctx`].
pub(crate) async fn begin<'a>(
    plan: &'a crate::settings::Plan,
    printer: &'a Printer,
    needs: &[auth::Need],
) -> anyhow::Result<(Ctx<'a>, Graph, Session)> {
    let http = Http::new()?;
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
    };
    Ok((ctx, graph, session))
}
