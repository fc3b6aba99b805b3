//! The portal's tag on a service principal, `WindowsAzureActiveDirectoryIntegratedApp`:
//! what lists it under Enterprise applications (docs/graph.md §2.7). A service
//! principal made without it (by a script, or an older aad-setup) is tagged when found.

use serde_json::json;

use super::ctx::Ctx;
use crate::graph::Graph;
use crate::graph::types::ServicePrincipal;

/// The tag the portal gives the service principals it creates.
pub(crate) const TAG: &str = "WindowsAzureActiveDirectoryIntegratedApp";

pub(crate) fn has(sp: &ServicePrincipal) -> bool {
    sp.tags.iter().any(|t| t == TAG)
}

/// Adds the tag to an existing service principal that lacks it (keeping its other
/// tags); a refusal is a warning, and `status` keeps flagging it.
pub(crate) async fn ensure(ctx: &Ctx<'_>, graph: &Graph, sp: &mut ServicePrincipal) {
    if ctx.dry_run || has(sp) {
        return;
    }
    let mut tags = sp.tags.clone();
    tags.push(TAG.to_owned());
    match graph
        .update_service_principal(&sp.id, &json!({ "tags": tags }))
        .await
    {
        Ok(()) => {
            tracing::info!("tagged the service principal {TAG} (Enterprise applications)");
            sp.tags = tags;
        }
        Err(err) => ctx.printer.warn(&format!(
            "the service principal {} lacks the tag {TAG}, so the app is missing from Enterprise applications, and it could not be added ({err:#}): an identity with Application.ReadWrite.All (or the owner) can add it by running setup again",
            sp.id
        )),
    }
}
