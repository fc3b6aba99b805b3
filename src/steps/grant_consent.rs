//! Step 6 (optional, `--admin-consent`): tenant-wide admin consent for the
//! delegated permission (portal: API permissions > Grant admin consent).
//!
//! One grant per (client, resource, AllPrincipals): an existing one is
//! extended with PATCH, never duplicated (docs/graph.md §2.9).

use crate::graph::Graph;
use crate::graph::types::ServicePrincipal;
use crate::report::{Action, ConsentInfo};

use super::Ctx;
use super::resolve_permission::ResolvedPermission;

pub(crate) async fn run(
    ctx: &Ctx<'_>,
    graph: &Graph,
    sp: Option<&ServicePrincipal>,
    perm: &ResolvedPermission,
) -> anyhow::Result<ConsentInfo> {
    let Some(sp) = sp else {
        // Dry run with a service principal still to be made.
        return Ok(ConsentInfo {
            action: Action::WouldCreate,
            grant_id: None,
        });
    };
    let grants = match ctx
        .through_replication("the new service principal to replicate", || {
            graph.list_grants(&sp.id)
        })
        .await
    {
        Ok(grants) => grants,
        // A dry run by an identity that cannot read grants (it needs
        // Directory.Read.All, docs/graph.md §2.9): what exists is unknown.
        Err(err)
            if ctx.dry_run && crate::graph::graph_error(&err).is_some_and(|e| e.is_denied()) =>
        {
            ctx.printer.warn(&format!(
                "the existing grants cannot be read (that needs Directory.Read.All): a real run would create the grant for {}, or extend an existing one",
                perm.value
            ));
            return Ok(ConsentInfo {
                action: Action::WouldCreate,
                grant_id: None,
            });
        }
        Err(err) => return Err(err),
    };
    let existing = grants
        .iter()
        .find(|g| g.resource_id == perm.api_sp_id && g.consent_type == "AllPrincipals");
    let info = match existing {
        Some(g)
            if g.scope
                .split_whitespace()
                .any(|s| s.eq_ignore_ascii_case(&perm.value)) =>
        {
            ConsentInfo {
                action: Action::Reused,
                grant_id: Some(g.id.clone()),
            }
        }
        Some(g) if ctx.dry_run => ConsentInfo {
            action: Action::WouldUpdate,
            grant_id: Some(g.id.clone()),
        },
        Some(g) => {
            let scope = format!("{} {}", g.scope.trim(), perm.value)
                .trim()
                .to_owned();
            graph.update_grant_scope(&g.id, &scope).await?;
            ConsentInfo {
                action: Action::Updated,
                grant_id: Some(g.id.clone()),
            }
        }
        None if ctx.dry_run => ConsentInfo {
            action: Action::WouldCreate,
            grant_id: None,
        },
        None => {
            // 409 "Permission entry already exists." (a grant an earlier
            // run made that is not listed yet) is re-read by the client,
            // never posted again (docs/graph.md §2.9).
            let made = ctx
                .through_replication("the new service principal to replicate", || {
                    graph.create_grant(&sp.id, &perm.api_sp_id, &perm.value)
                })
                .await?;
            let g = made.value;
            let has_scope = g
                .scope
                .split_whitespace()
                .any(|s| s.eq_ignore_ascii_case(&perm.value));
            if !made.found || has_scope {
                ConsentInfo {
                    action: if made.found {
                        Action::Reused
                    } else {
                        Action::Created
                    },
                    grant_id: Some(g.id),
                }
            } else {
                let scope = format!("{} {}", g.scope.trim(), perm.value)
                    .trim()
                    .to_owned();
                ctx.through_replication("the grant to replicate", || {
                    graph.update_grant_scope(&g.id, &scope)
                })
                .await?;
                ConsentInfo {
                    action: Action::Updated,
                    grant_id: Some(g.id),
                }
            }
        }
    };
    ctx.printer.step(
        "Admin consent",
        &format!("{} for all users ({})", perm.value, info.action.as_str()),
    );
    Ok(info)
}
