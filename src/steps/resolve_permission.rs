//! Step 3: the API's service principal in this tenant, and the delegated
//! permission's id on it, resolved by name (docs/graph.md §2.8).
//!
//! The guide says "Dynamics"; Dynamics CRM offers only `user_impersonation`
//! today, and Directory.ReadWrite.All is Microsoft Graph's. Asking Dynamics
//! for it is a usage error that says where the permission lives.

use crate::error::{Failure, Kind};
use crate::graph::Graph;
use crate::graph::types::ServicePrincipal;
use crate::guide::GRAPH_APP_ID;
use crate::settings::ApiRef;

use super::ctx::Ctx;

const SELECT: &str = "id,appId,displayName,oauth2PermissionScopes,appRoles,servicePrincipalNames";

#[derive(Debug, Clone)]
pub(crate) struct ResolvedPermission {
    pub api_name: String,
    pub api_app_id: String,
    /// The API's service principal in this tenant: the grant's resourceId.
    pub api_sp_id: String,
    pub permission_id: String,
    pub value: String,
    pub admin_consent_required: bool,
    /// The API's URI, the platform's default Resource.
    pub resource_uri: Option<String>,
}

impl ResolvedPermission {
    /// For the summary and the JSON.
    pub(crate) fn info(&self) -> crate::report::PermissionInfo {
        crate::report::PermissionInfo {
            api: self.api_name.clone(),
            api_app_id: self.api_app_id.clone(),
            name: self.value.clone(),
            id: self.permission_id.clone(),
            kind: "Scope".into(),
            admin_consent_required: self.admin_consent_required,
        }
    }
}

/// Says what [`look_up`] found (callers that read it together with other
/// things say it once the steps before it have been said).
pub(crate) fn announce(printer: &crate::output::Printer, resolved: &ResolvedPermission) {
    printer.step(
        "Resolved the permission",
        &format!(
            "{} / {} (delegated, id {})",
            resolved.api_name, resolved.value, resolved.permission_id
        ),
    );
}

/// The step's read, without a word (the caller says it: [`announce`]).
pub(crate) async fn look_up(ctx: &Ctx<'_>, graph: &Graph) -> anyhow::Result<ResolvedPermission> {
    let app = &ctx.plan.app;
    let sp = match &app.api {
        ApiRef::AppId(id) => graph.find_service_principal(id, SELECT).await?,
        ApiRef::Name(name) => {
            let mut found = graph.find_service_principals_by_name(name, SELECT).await?;
            if found.len() > 1 {
                return Err(Failure::new(
                    Kind::Usage,
                    format!(
                        "several service principals are named \"{name}\": {}",
                        found
                            .iter()
                            .map(|s| s.app_id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_hint("name the API by its appId with --api")
                .into());
            }
            found.pop()
        }
    };
    let api_label = match &app.api {
        ApiRef::AppId(id) => id.clone(),
        ApiRef::Name(n) => n.clone(),
    };
    let Some(sp) = sp else {
        return Err(Failure::new(
            Kind::Usage,
            format!("the API {api_label} has no service principal in this tenant, so its permissions cannot be added"),
        )
        .with_hint("check --api; an API such as Dynamics CRM exists only in tenants that use it")
        .into());
    };
    resolve(&sp, &app.permission, ctx.plan.endpoints.cloud.graph)
}

/// The v1 `resource` of an API other than Microsoft Graph: its App ID URI, the
/// first of its `servicePrincipalNames` that is an https URL without a
/// wildcard; else its appId, which the v1 endpoint also accepts
/// (docs/graph.md §6).
pub(crate) fn app_id_uri(sp: &ServicePrincipal) -> String {
    sp.service_principal_names
        .iter()
        .find(|n| {
            !n.contains('*')
                && url::Url::parse(n).is_ok_and(|u| u.scheme() == "https" && u.has_host())
        })
        .map_or_else(|| sp.app_id.clone(), |n| n.trim_end_matches('/').to_owned())
}

/// Finds the delegated permission on the API, or explains what it offers.
pub(crate) fn resolve(
    sp: &ServicePrincipal,
    wanted: &str,
    graph_host: &str,
) -> anyhow::Result<ResolvedPermission> {
    let api_name = sp.display_name.clone().unwrap_or_else(|| sp.app_id.clone());
    let scope = sp.oauth2_permission_scopes.iter().find(|s| {
        s.is_enabled
            && s.value
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case(wanted))
    });
    if let Some(scope) = scope {
        let resource_uri = Some(if sp.app_id == GRAPH_APP_ID {
            graph_host.trim_end_matches('/').to_owned()
        } else {
            app_id_uri(sp)
        });
        return Ok(ResolvedPermission {
            api_name,
            api_app_id: sp.app_id.clone(),
            api_sp_id: sp.id.clone(),
            permission_id: scope.id.clone(),
            value: scope.value.clone().unwrap_or_default(),
            admin_consent_required: scope.kind.as_deref() != Some("User"),
            resource_uri,
        });
    }
    let offered: Vec<&str> = sp
        .oauth2_permission_scopes
        .iter()
        .filter(|s| s.is_enabled)
        .filter_map(|s| s.value.as_deref())
        .collect();
    let is_role = sp.app_roles.iter().any(|r| {
        r.value
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case(wanted))
    });
    let mut message = format!("{api_name} has no delegated permission \"{wanted}\"");
    if is_role {
        message.push_str(" (it exists there only as an application permission; the guide asks for a delegated one)");
    }
    let listed = if offered.len() > 12 {
        format!(
            "{} and {} more",
            offered[..12].join(", "),
            offered.len() - 12
        )
    } else {
        offered.join(", ")
    };
    message.push_str(&format!(
        "; its delegated permissions are: {}",
        if listed.is_empty() { "none" } else { &listed }
    ));
    let mut failure = Failure::new(Kind::Usage, message);
    if sp.app_id != GRAPH_APP_ID && wanted.to_ascii_lowercase().starts_with("directory.") {
        failure = failure.with_hint(format!(
            "{wanted} is a Microsoft Graph permission (the guide's \"Dynamics\" step is out of date): use --api \"Microsoft Graph\", the default"
        ));
    }
    Err(failure.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::types::PermissionScope;

    fn dynamics() -> ServicePrincipal {
        ServicePrincipal {
            id: "sp".into(),
            app_id: "00000007-0000-0000-c000-000000000000".into(),
            display_name: Some("Dynamics CRM".into()),
            oauth2_permission_scopes: vec![PermissionScope {
                id: "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4".into(),
                value: Some("user_impersonation".into()),
                kind: Some("User".into()),
                is_enabled: true,
            }],
            ..ServicePrincipal::default()
        }
    }

    #[test]
    fn dynamics_has_no_directory_permission_and_says_where_it_lives() {
        let err = resolve(
            &dynamics(),
            crate::guide::PERMISSION,
            "https://graph.microsoft.com",
        )
        .unwrap_err();
        let failure = crate::error::failure(&err).unwrap();
        assert!(
            failure.message.contains("user_impersonation"),
            "{}",
            failure.message
        );
        assert!(failure.hint.as_deref().unwrap().contains(crate::guide::API));
        assert_eq!(failure.kind, Kind::Usage);
        let ok = resolve(&dynamics(), "user_impersonation", "x").unwrap();
        assert_eq!(ok.permission_id, "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4");
        assert!(!ok.admin_consent_required);
        // No App ID URI among its names: the appId is the resource.
        assert_eq!(
            ok.resource_uri.as_deref(),
            Some("00000007-0000-0000-c000-000000000000")
        );
        let mut named = dynamics();
        named.service_principal_names = vec![
            "00000007-0000-0000-c000-000000000000".into(),
            "Microsoft.CRM".into(),
            "https://*.crm.dynamics.com".into(),
            "https://contoso.crm.dynamics.com/".into(),
        ];
        let ok = resolve(&named, "user_impersonation", "x").unwrap();
        assert_eq!(
            ok.resource_uri.as_deref(),
            Some("https://contoso.crm.dynamics.com")
        );
    }
}
