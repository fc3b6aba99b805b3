//! App management policies (docs/graph.md §4.2; the shapes are the Graph schema's
//! `tenantAppManagementPolicy` and `appManagementPolicy`, with
//! `passwordCredentialConfiguration` restrictions): the tenant default
//! (`GET /policies/defaultAppManagementPolicy`), the tenant's other policies
//! (`GET /policies/appManagementPolicies`, `…/{id}`) and the objects each is assigned
//! to (`GET /policies/appManagementPolicies/{id}/appliesTo`), and the restrictions
//! `addPassword` enforces. Who may read them is Microsoft's permissions map
//! (`crate::contract`: Policy.Read.All or Policy.ReadWrite.ApplicationConfiguration;
//! `appliesTo` also Application.Read.All). The map has no `GET
//! /applications/{id}/appManagementPolicies` (only `POST`/`DELETE`, to assign and
//! unassign), so that is 405, as the map makes it.
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

/// Whether a configured policy is assigned to `app` (by appId, object id or name).
fn names(policy: &AppPolicyConfig, app: &App) -> bool {
    policy.applies_to.iter().any(|a| {
        a.eq_ignore_ascii_case(&app.app_id)
            || a.eq_ignore_ascii_case(&app.id)
            || *a == app.display_name
    })
}

/// The enabled policy assigned to `app`, if any: (index, policy).
fn assigned<'a>(st: &'a State, app: &App) -> Option<(usize, &'a AppPolicyConfig)> {
    st.config
        .app_management_policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_enabled)
        .find(|(_, p)| names(p, app))
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

/// `appliesTo`'s `$select`: what a `directoryObject` (here an application) has.
const APPLIES_TO: super::odata::EntityMeta = super::odata::EntityMeta {
    set: "directoryObjects",
    type_name: "directoryObject",
    resource: "DirectoryObject",
    properties: &["id", "deletedDateTime", "appId", "displayName"],
    eq: &[],
    any: &[],
};

/// `/policies/...`: reads only; who may read is the map's (`super::authorize`), and a
/// user's role ([`super::policy_read`]).
pub(crate) fn route(st: &mut State, ctx: &Ctx<'_>, segs: &[&str]) -> GResult {
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let get = || {
        if ctx.req.method != "GET" {
            Err(GErr::method_not_allowed())
        } else if !super::policy_read(ctx) {
            Err(GErr::denied())
        } else {
            Ok(())
        }
    };
    match lower.as_slice() {
        ["policies", "defaultappmanagementpolicy"] => {
            get()?;
            super::odata::no_options(ctx)?;
            ctx.ok(200, &default_policy(st, ctx))
        }
        ["policies", "appmanagementpolicies"] => {
            get()?;
            super::odata::no_options(ctx)?;
            let value: Vec<Value> = st
                .config
                .app_management_policies
                .iter()
                .enumerate()
                .map(|(i, p)| policy_json(i, p))
                .collect();
            ctx.ok(
                200,
                &json!({
                    "@odata.context": format!("{}/$metadata#policies/appManagementPolicies", ctx.root),
                    "value": value,
                }),
            )
        }
        ["policies", "appmanagementpolicies", _, rest @ ..] => {
            if let Some(other) = rest.iter().find(|r| **r != "appliesto") {
                return Err(GErr::no_segment(other));
            }
            get()?;
            let (i, policy) = find_policy(st, segs[2])?;
            match rest {
                [] => {
                    super::odata::no_options(ctx)?;
                    let mut body = policy_json(i, policy);
                    if let Value::Object(map) = &mut body {
                        map.insert(
                            "@odata.context".to_owned(),
                            json!(format!(
                                "{}/$metadata#policies/appManagementPolicies/$entity",
                                ctx.root
                            )),
                        );
                    }
                    ctx.ok(200, &body)
                }
                ["appliesto"] => applies_to(st, ctx, policy),
                [_, other, ..] | [other] => Err(GErr::no_segment(other)),
            }
        }
        ["policies", other, ..] => Err(GErr::no_segment(other)),
        _ => Err(GErr::no_segment("policies")),
    }
}

/// A configured policy by its id (404 as Graph answers an unknown one).
fn find_policy<'a>(st: &'a State, id: &str) -> Result<(usize, &'a AppPolicyConfig), GErr> {
    st.config
        .app_management_policies
        .iter()
        .enumerate()
        .find(|(i, p)| app_policy_id(*i, p).eq_ignore_ascii_case(id))
        .ok_or_else(|| GErr::not_found(id))
}

/// One `appManagementPolicy`, in the schema's shape.
fn policy_json(index: usize, p: &AppPolicyConfig) -> Value {
    json!({
        "id": app_policy_id(index, p),
        "deletedDateTime": null,
        "displayName": p.display_name,
        "description": p.description,
        "isEnabled": p.is_enabled,
        "restrictions": {
            "passwordCredentials": password_restrictions(p.password_credentials_allowed, p.max_secret_lifetime_days, None),
            "keyCredentials": [],
            "applicationRestrictions": null,
        },
    })
}

/// `GET /policies/appManagementPolicies/{id}/appliesTo`: the applications the policy
/// is assigned to, as `directoryObject`s (`@odata.type` says which), with `$select`,
/// `$top` and paging.
fn applies_to(st: &State, ctx: &Ctx<'_>, policy: &AppPolicyConfig) -> GResult {
    let q = super::odata::list_query(ctx, &APPLIES_TO)?;
    let items: Vec<Value> = st
        .apps
        .iter()
        .filter(|a| names(policy, a))
        .map(|a| {
            json!({
                "@odata.type": "#microsoft.graph.application",
                "id": a.id,
                "deletedDateTime": null,
                "appId": a.app_id,
                "displayName": a.display_name,
            })
        })
        .collect();
    let mut body = super::odata::page(ctx, &APPLIES_TO, &q, items, 100);
    // The next page is this path's, not the directory's.
    if let Some(Value::String(next)) = body.get_mut("@odata.nextLink") {
        if let Some((_, query)) = next.split_once('?') {
            let path = ctx
                .req
                .path
                .strip_prefix("/graph/v1.0")
                .unwrap_or(&ctx.req.path);
            *next = format!("{}{path}?{query}", ctx.root);
        }
    }
    ctx.ok(200, &body)
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
