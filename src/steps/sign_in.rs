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
