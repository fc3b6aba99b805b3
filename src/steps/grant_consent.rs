//! Step 6 (optional, `--admin-consent`): tenant-wide admin consent for the
//! delegated permission (portal: API permissions > Grant admin consent).
//!
//! One grant per (client, resource, AllPrincipals): an existing one is
//! extended with PATCH, never duplicated (docs/graph.md §2.9).

use crate::graph::Graph;
use crate::graph::types::{PermissionGrant, ServicePrincipal};
use crate::report::{Action, ConsentInfo};

use super::ctx::Ctx;
use super::resolve_permission::ResolvedPermission;

/// Grants the permission for all users, or extends or keeps the grant
/// that exists; says the step.
pub(crate) async fn run(
    ctx: &Ctx<'_>,
    graph: &Graph,
    sp: Option<&ServicePrincipal>,
    perm: &ResolvedPermission,
) -> anyhow::Result<ConsentInfo> {
    let would_create = ConsentInfo {
        action: Action::WouldCreate,
        grant_id: None,
    };
    // Dry run with a service principal still to be made.
    let Some(sp) = sp else {
        return Ok(would_create);
    };
    let Some(grants) = read_grants(ctx, graph, sp, perm).await? else {
        return Ok(would_create);
    };
    let existing = grants
        .iter()
        .find(|g| g.resource_id == perm.api_sp_id && g.consent_type == "AllPrincipals");
    let info = match existing {
        Some(g) if has_scope(&g.scope, &perm.value) => ConsentInfo {
            action: Action::Reused,
            grant_id: Some(g.id.clone()),
        },
        Some(g) if ctx.dry_run => ConsentInfo {
            action: Action::WouldUpdate,
            grant_id: Some(g.id.clone()),
        },
        Some(g) => {
            graph
                .update_grant_scope(&g.id, &with_scope(&g.scope, &perm.value))
                .await?;
            ConsentInfo {
                action: Action::Updated,
                grant_id: Some(g.id.clone()),
            }
        }
        None if ctx.dry_run => would_create,
        None => create(ctx, graph, sp, perm).await?,
    };
    ctx.printer.step(
        "Admin consent",
        &format!("{} for all users ({})", perm.value, info.action.as_str()),
    );
    Ok(info)
}

/// The service principal's grants, once it has replicated; `None` on a dry
/// run by an identity that cannot read them (it needs Directory.Read.All,
/// docs/graph.md §2.9): what exists is unknown, and the warning says what a
/// real run would do.
async fn read_grants(
    ctx: &Ctx<'_>,
    graph: &Graph,
    sp: &ServicePrincipal,
    perm: &ResolvedPermission,
) -> anyhow::Result<Option<Vec<PermissionGrant>>> {
    match ctx
        .through_replication("the new service principal to replicate", || {
            graph.list_grants(&sp.id)
        })
        .await
    {
        Ok(grants) => Ok(Some(grants)),
        Err(err)
            if ctx.dry_run && crate::graph::graph_error(&err).is_some_and(|e| e.is_denied()) =>
        {
            ctx.printer.warn(&format!(
                "the existing grants cannot be read (that needs Directory.Read.All): a real run would create the grant for {}, or extend an existing one",
                perm.value
            ));
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// A new grant. A 409 "Permission entry already exists." (a grant an
/// earlier run made that is not listed yet) is re-read by the client,
/// never posted again (docs/graph.md §2.9); the grant so found is kept, or
/// extended with the permission.
async fn create(
    ctx: &Ctx<'_>,
    graph: &Graph,
    sp: &ServicePrincipal,
    perm: &ResolvedPermission,
) -> anyhow::Result<ConsentInfo> {
    let made = ctx
        .through_replication("the new service principal to replicate", || {
            graph.create_grant(&sp.id, &perm.api_sp_id, &perm.value)
        })
        .await?;
    let g = made.value;
    if !made.found || has_scope(&g.scope, &perm.value) {
        return Ok(ConsentInfo {
            action: if made.found {
                Action::Reused
            } else {
                Action::Created
            },
            grant_id: Some(g.id),
        });
    }
    let scope = with_scope(&g.scope, &perm.value);
    ctx.through_replication("the grant to replicate", || {
        graph.update_grant_scope(&g.id, &scope)
    })
    .await?;
    Ok(ConsentInfo {
        action: Action::Updated,
        grant_id: Some(g.id),
    })
}

/// Does the grant's `scope` (space-separated) hold `value`?
fn has_scope(scope: &str, value: &str) -> bool {
    scope
        .split_whitespace()
        .any(|s| s.eq_ignore_ascii_case(value))
}

/// The grant's `scope` with `value` added.
fn with_scope(scope: &str, value: &str) -> String {
    format!("{} {value}", scope.trim()).trim().to_owned()
}
