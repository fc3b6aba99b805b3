//! Step 1: sign in to Microsoft and learn the tenant id; check, before any
//! write, that the identity may do what the run needs.

use crate::auth::{self, GRANT_CONSENT, MANAGE_APPS, Session};
use crate::graph::Graph;
use crate::http::Http;
use crate::output::Printer;
use crate::settings::{Endpoints, SignIn};

/// Signs in with `method`, and checks the rights the run needs (to grant
/// consent as well, with `admin_consent`). It comes before the rest of the
/// plan exists: the wizard signs in first, then asks the other questions.
pub async fn run(
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
