//! Step 1: sign in to Microsoft and learn the tenant id; check, before any
//! write, that the identity may do what the run needs.

use crate::auth::{self, GRANT_CONSENT, MANAGE_APPS, Session};
use crate::graph::Graph;

use super::Ctx;

pub async fn run(ctx: &Ctx<'_>) -> anyhow::Result<(Graph, Session)> {
    let plan = ctx.plan;
    let session = auth::sign_in(&ctx.http, &plan.endpoints, ctx.printer, &plan.sign_in).await?;
    let mut needs = vec![MANAGE_APPS];
    if plan.app.admin_consent {
        needs.push(GRANT_CONSENT);
    }
    auth::require(&session, &needs)?;
    let graph = Graph::new(
        ctx.http.clone(),
        &plan.endpoints.graph,
        session.token.clone(),
    );
    ctx.printer.step(
        "Signed in to Microsoft",
        &format!(
            "{} ({}), tenant {}",
            session.identity, session.method, session.tenant_id
        ),
    );
    Ok((graph, session))
}

/// For commands that work on an existing setup (`status`, `remove`): signs
/// in, checks `needs`, and loads the local record into a fresh [`Ctx`].
pub async fn begin<'a>(
    plan: &'a crate::settings::Plan,
    printer: &'a crate::output::Printer,
    needs: &[auth::Need],
) -> anyhow::Result<(Ctx<'a>, Graph, Session)> {
    let http = crate::http::Http::new()?;
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
    };
    Ok((ctx, graph, session))
}
