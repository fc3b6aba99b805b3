//! App management policies (microsoft-graph.md §4.2; the shapes are the Graph schema's
//! `tenantAppManagementPolicy` and `appManagementPolicy`, with
//! `passwordCredentialConfiguration` restrictions): the tenant default
//! (`GET /policies/defaultAppManagementPolicy`, Policy.Read.All) and the policies
//! assigned to an app (`GET /applications/{id}/appManagementPolicies`), and the
//! restrictions `addPassword` enforces.
//!
//! What the world holds comes from the configuration: the tenant default's password
//! restrictions are `max_secret_lifetime_days` and `password_credentials_allowed`, for
//! apps created after `secret_policy_applies_after`; `app_management_policies` are
//! assigned to the apps they name. A policy assigned to an app takes the tenant
//! default's place for it (an admin exempts an app that way).

use serde_json::{Value, json};

use super::{Ctx, GErr, GResult};
use crate::config::AppPolicyConfig;
use crate::state::{App, State};

/// What `addPassword` must respect for one app.
pub(crate) struct Effective {
    /// The policy named in the error.
    pub policy_id: String,
    /// `passwordAddition` restricted: no new password credential.
    pub blocked: bool,
    /// `passwordLifetime`: the longest a new one may live.
    pub max_days: Option<u32>,
}

/// The id of the `index`th configured app policy, when the configuration gives none.
fn app_policy_id(index: usize, policy: &AppPolicyConfig) -> String {
    policy
        .id
        .clone()
        .unwrap_or_else(|| format!("6d1f3a2e-8c4b-4a7e-9f00-{:012x}", index + 1))
}

/// The enabled policy assigned to `app`, if any: (index, policy).
fn assigned<'a>(st: &'a State, app: &App) -> Option<(usize, &'a AppPolicyConfig)> {
    st.config
        .app_management_policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_enabled)
        .find(|(_, p)| {
            p.applies_to.iter().any(|a| {
                a.eq_ignore_ascii_case(&app.app_id)
                    || a.eq_ignore_ascii_case(&app.id)
                    || *a == app.display_name
            })
        })
}

/// The restrictions that apply to `app`.
pub(crate) fn effective(st: &State, app: &App) -> Effective {
    if let Some((i, p)) = assigned(st, app) {
        return Effective {
            policy_id: app_policy_id(i, p),
            blocked: !p.password_credentials_allowed,
            max_days: p.max_secret_lifetime_days,
        };
    }
    let after = st
        .config
        .secret_policy_applies_after
        .parse::<jiff::Timestamp>()
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let applies = app.created > after;
    Effective {
        policy_id: st.tenant.policy_id.clone(),
        blocked: applies && !st.config.password_credentials_allowed,
        max_days: st.config.max_secret_lifetime_days.filter(|_| applies),
    }
}

/// `passwordCredentials[]` of a policy, in the schema's shape.
fn password_restrictions(allowed: bool, max_days: Option<u32>, after: Option<&str>) -> Vec<Value> {
    let mut out = Vec::new();
    if !allowed {
        out.push(json!({
            "restrictionType": "passwordAddition",
            "state": "enabled",
            "maxLifetime": null,
            "restrictForAppsCreatedAfterDateTime": after,
            "excludeActors": null,
        }));
    }
    if let Some(days) = max_days {
        out.push(json!({
            "restrictionType": "passwordLifetime",
            "state": "enabled",
            "maxLifetime": format!("P{days}D"),
            "restrictForAppsCreatedAfterDateTime": after,
            "excludeActors": null,
        }));
    }
    out
}

/// Reading policies: Policy.Read.All or Policy.ReadWrite.ApplicationConfiguration
/// (graph-permissions.json, `/policies/defaultappmanagementpolicy`).
fn may_read_policies(ctx: &Ctx<'_>) -> bool {
    ctx.token.has_any(&[
        "Policy.Read.All",
        "Policy.ReadWrite.ApplicationConfiguration",
    ])
}

/// `/policies/...`
pub(crate) fn route(st: &mut State, ctx: &Ctx<'_>, segs: &[&str]) -> GResult {
    match segs {
        ["policies", "defaultAppManagementPolicy"] => {
            if ctx.req.method != "GET" {
                return Err(GErr::method_not_allowed());
            }
            if !may_read_policies(ctx) {
                return Err(GErr::denied());
            }
            super::odata::no_options(ctx)?;
            ctx.ok(200, &default_policy(st, ctx))
        }
        ["policies", other, ..] => Err(GErr::no_segment(other)),
        _ => Err(GErr::no_segment("policies")),
    }
}

fn default_policy(st: &State, ctx: &Ctx<'_>) -> Value {
    let allowed = st.config.password_credentials_allowed;
    let max = st.config.max_secret_lifetime_days;
    let after = st.config.secret_policy_applies_after.as_str();
    let restrictions = password_restrictions(allowed, max, Some(after));
    json!({
        "@odata.context": format!("{}/$metadata#policies/defaultAppManagementPolicy/$entity", ctx.root),
        "id": st.tenant.policy_id,
        "displayName": "Default app management tenant policy",
        "description": "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
        "isEnabled": !restrictions.is_empty(),
        "applicationRestrictions": {
            "passwordCredentials": restrictions,
            "keyCredentials": [],
            "identifierUris": null,
        },
        "servicePrincipalRestrictions": {
            "passwordCredentials": [],
            "keyCredentials": [],
        },
    })
}

/// `GET /applications/{id}/appManagementPolicies`: the policies assigned to the app
/// (read with the app's read permission, or a policy permission).
pub(crate) fn of_app(st: &State, ctx: &Ctx<'_>, app: &App) -> GResult {
    if ctx.req.method != "GET" {
        return Err(GErr::method_not_allowed());
    }
    let reads_apps = super::app_read_access(ctx) != super::Access::None;
    if !reads_apps && !may_read_policies(ctx) {
        return Err(GErr::denied());
    }
    super::odata::no_options(ctx)?;
    let value: Vec<Value> = st
        .config
        .app_management_policies
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.applies_to.iter().any(|a| {
                a.eq_ignore_ascii_case(&app.app_id)
                    || a.eq_ignore_ascii_case(&app.id)
                    || *a == app.display_name
            })
        })
        .map(|(i, p)| {
            json!({
                "id": app_policy_id(i, p),
                "displayName": p.display_name,
                "description": p.description,
                "isEnabled": p.is_enabled,
                "restrictions": {
                    "passwordCredentials": password_restrictions(p.password_credentials_allowed, p.max_secret_lifetime_days, None),
                    "keyCredentials": [],
                    "applicationRestrictions": null,
                },
            })
        })
        .collect();
    ctx.ok(
        200,
        &json!({
            "@odata.context": format!("{}/$metadata#appManagementPolicies", ctx.root),
            "value": value,
        }),
    )
}
