//! `/servicePrincipals`: list (by appId, display name or tag), get, create, delete
//! (docs/graph.md §2.7, §2.8).

use serde_json::{Value, json};

use super::super::state::{Repl, Sp, State};
use super::super::util::{Reply, is_guid, new_guid};
use super::odata::{self, EntityMeta};
use super::{
    Access, Ctx, GErr, GResult, alternate_key, app_read_access, app_write_access, body, owns,
};

pub(crate) const META: EntityMeta = EntityMeta {
    set: "servicePrincipals",
    type_name: "servicePrincipal",
    resource: "ServicePrincipal",
    properties: &[
        "id",
        "deletedDateTime",
        "accountEnabled",
        "addIns",
        "alternativeNames",
        "appDescription",
        "appDisplayName",
        "appId",
        "appOwnerOrganizationId",
        "appRoleAssignmentRequired",
        "appRoles",
        "description",
        "displayName",
        "homepage",
        "info",
        "keyCredentials",
        "loginUrl",
        "logoutUrl",
        "notes",
        "notificationEmailAddresses",
        "oauth2PermissionScopes",
        "passwordCredentials",
        "preferredSingleSignOnMode",
        "replyUrls",
        "servicePrincipalNames",
        "servicePrincipalType",
        "signInAudience",
        "tags",
        "tokenEncryptionKeyId",
        "verifiedPublisher",
    ],
    eq: &["appId", "displayName"],
    any: &["tags", "servicePrincipalNames"],
};

fn sp_json(sp: &Sp, reply_urls: &[String]) -> Value {
    json!({
        "id": sp.id,
        "deletedDateTime": null,
        "accountEnabled": sp.account_enabled,
        "addIns": [],
        "alternativeNames": [],
        "appDescription": null,
        "appDisplayName": sp.app_display_name,
        "appId": sp.app_id,
        "appOwnerOrganizationId": if sp.app_owner_organization_id.is_empty() { Value::Null } else { json!(sp.app_owner_organization_id) },
        "appRoleAssignmentRequired": sp.app_role_assignment_required,
        "appRoles": sp.app_roles.iter().map(|r| json!({
            "allowedMemberTypes": ["Application"],
            "description": r.display_name,
            "displayName": r.display_name,
            "id": r.id,
            "isEnabled": true,
            "origin": "Application",
            "value": r.value,
        })).collect::<Vec<_>>(),
        "description": sp.description,
        "displayName": sp.display_name,
        "homepage": null,
        "info": {"logoUrl": null, "marketingUrl": null, "privacyStatementUrl": null, "supportUrl": null, "termsOfServiceUrl": null},
        "keyCredentials": [],
        "loginUrl": null,
        "logoutUrl": null,
        "notes": sp.notes,
        "notificationEmailAddresses": [],
        "oauth2PermissionScopes": sp.scopes.iter().map(|s| json!({
            "adminConsentDescription": s.admin_consent_display_name,
            "adminConsentDisplayName": s.admin_consent_display_name,
            "id": s.id,
            "isEnabled": true,
            "type": s.kind,
            "userConsentDescription": s.user_consent_display_name,
            "userConsentDisplayName": s.user_consent_display_name,
            "value": s.value,
        })).collect::<Vec<_>>(),
        "passwordCredentials": [],
        "preferredSingleSignOnMode": null,
        "replyUrls": reply_urls,
        "servicePrincipalNames": sp.service_principal_names,
        "servicePrincipalType": "Application",
        "signInAudience": sp.sign_in_audience,
        "tags": sp.tags,
        "tokenEncryptionKeyId": null,
        "verifiedPublisher": {"displayName": null, "verifiedPublisherId": null, "addedDateTime": null},
    })
}

/// An SP's JSON; `replyUrls` mirror the backing app's web redirect URIs.
fn json_of(st: &State, i: usize) -> Value {
    let sp = &st.sps[i];
    let reply = st
        .app_index_by_app_id(&sp.app_id)
        .map(|a| st.apps[a].web.redirect_uris.clone())
        .unwrap_or_default();
    sp_json(sp, &reply)
}

pub(crate) fn route(st: &mut State, ctx: &Ctx<'_>, segs: &[&str]) -> GResult {
    let method = ctx.req.method.as_str();
    let (key, rest) = match alternate_key(segs[0], "servicePrincipals") {
        Some(app_id) => (Some(Key::AppId(app_id?)), &segs[1..]),
        None => match segs.get(1) {
            None => (None, &segs[1..]),
            Some(id) => (Some(Key::Id((*id).to_owned())), &segs[2..]),
        },
    };
    match (key, rest) {
        (None, _) => match method {
            "GET" => list(st, ctx),
            "POST" => create(st, ctx),
            _ => Err(GErr::method_not_allowed()),
        },
        (Some(key), []) => match method {
            "GET" => get(st, ctx, &key),
            "PATCH" => update(st, ctx, &key),
            "DELETE" => delete(st, ctx, &key),
            _ => Err(GErr::method_not_allowed()),
        },
        (Some(_), [other, ..]) => Err(GErr::no_segment(other)),
    }
}

enum Key {
    Id(String),
    AppId(String),
}

fn find(st: &mut State, key: &Key) -> Result<usize, GErr> {
    let (index, shown) = match key {
        Key::Id(id) => {
            if !is_guid(id) {
                return Err(GErr::bad_id(id));
            }
            (st.sp_index(id), id)
        }
        Key::AppId(app_id) => (st.sp_index_by_app_id(app_id), app_id),
    };
    match index {
        Some(i) if st.sp_visible(i) => Ok(i),
        _ => Err(GErr::not_found(shown)),
    }
}

fn list(st: &mut State, ctx: &Ctx<'_>) -> GResult {
    let access = app_read_access(ctx);
    if access == Access::None {
        return Err(GErr::denied());
    }
    let q = odata::list_query(ctx, &META)?;
    let mut items = Vec::new();
    for i in 0..st.sps.len() {
        let sp = &st.sps[i];
        let matched = q.matches(&|prop| match prop {
            "appId" => vec![sp.app_id.clone()],
            "displayName" => vec![sp.display_name.clone()],
            "tags" => sp.tags.clone(),
            "servicePrincipalNames" => sp.service_principal_names.clone(),
            _ => Vec::new(),
        });
        if matched && st.sp_visible(i) {
            items.push(json_of(st, i));
        }
    }
    let size = st.config.graph_page_size as usize;
    ctx.ok(200, &odata::page(ctx, &META, &q, items, size))
}

fn get(st: &mut State, ctx: &Ctx<'_>, key: &Key) -> GResult {
    let access = app_read_access(ctx);
    if access == Access::None {
        return Err(GErr::denied());
    }
    let select = odata::entity_select(ctx, &META)?;
    let i = find(st, key)?;
    let mut value = odata::project(json_of(st, i), select.as_deref());
    if let Value::Object(map) = &mut value {
        map.insert(
            "@odata.context".to_owned(),
            json!(odata::context(ctx, &META, select.as_deref(), true)),
        );
    }
    ctx.ok(200, &value)
}

fn create(st: &mut State, ctx: &Ctx<'_>) -> GResult {
    let access = app_write_access(ctx);
    if access == Access::None {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let map = body::object(ctx.req)?;
    let mut app_id = None;
    let mut account_enabled = true;
    let mut tags = None;
    let mut notes = None;
    let mut description = None;
    let mut assignment_required = false;
    for (k, v) in &map {
        match k.as_str() {
            "@odata.type" => body::check_odata_type(v, "servicePrincipal", k)?,
            "appId" => app_id = Some(body::string(v, k)?),
            "accountEnabled" => account_enabled = body::opt_boolean(v, k)?.unwrap_or(true),
            "tags" => tags = Some(body::strings(v, k)?),
            "notes" => notes = body::opt_string(v, k)?,
            "description" => description = body::opt_string(v, k)?,
            "appRoleAssignmentRequired" => assignment_required = body::boolean(v, k)?,
            "id"
            | "appDisplayName"
            | "appOwnerOrganizationId"
            | "servicePrincipalNames"
            | "servicePrincipalType"
            | "signInAudience"
            | "deletedDateTime" => {
                return Err(body::read_only(k, k));
            }
            "displayName"
            | "appRoles"
            | "oauth2PermissionScopes"
            | "keyCredentials"
            | "passwordCredentials"
            | "replyUrls"
            | "homepage"
            | "loginUrl"
            | "logoutUrl"
            | "preferredSingleSignOnMode"
            | "notificationEmailAddresses"
            | "alternativeNames"
            | "info"
            | "addIns"
            | "tokenEncryptionKeyId"
            | "samlSingleSignOnSettings" => {
                return Err(body::not_modelled(k, "servicePrincipal", k));
            }
            _ => return Err(body::unknown_property(k, "servicePrincipal", k)),
        }
    }
    let Some(app_id) = app_id else {
        return Err(GErr::invalid_value(
            "appId",
            "ServicePrincipal",
            "appId is required",
        ));
    };
    // One service principal per appId in a tenant (docs/graph.md §2.7), counted
    // whether or not it has replicated: the write goes to the same directory.
    if st.sp_index_by_app_id(&app_id).is_some() {
        return Err(GErr::new(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "Another object with the same value for property servicePrincipalNames already exists.",
        )
        .detail(
            "ObjectConflict",
            format!("a service principal for appId '{app_id}' exists"),
            "servicePrincipalNames",
        ));
    }
    let app = st.app_index_by_app_id(&app_id);
    let visible = app.filter(|&a| st.app_visible(a));
    let owned = visible.is_some_and(|a| owns(&ctx.token, &st.apps[a].owners));
    if access == Access::Owned && !owned && ctx.token.delegated {
        // An Application Developer may create the service principal only of an app
        // they own (docs/graph.md §2.7).
        return Err(GErr::denied());
    }
    if access == Access::Owned && !owned {
        // With OwnedBy the backing app must be one the caller owns; Graph's message is
        // the misleading "must in the local tenant", also seen while the app replicates
        // (docs/graph.md §2.7).
        return Err(GErr::new(
            403,
            "Authorization_RequestDenied",
            "When using this permission, the backing application of the service principal being created must in the local tenant",
        ));
    }
    let Some(ai) = visible else {
        // docs/graph.md §2.7: the replication error's exact shape.
        let message = format!(
            "The appId '{app_id}' of the service principal does not reference a valid application object."
        );
        return Err(
            GErr::new(400, "Request_BadRequest", message.clone()).detail(
                "NoBackingApplicationObject",
                message,
                "appId",
            ),
        );
    };
    super::count_created(st, &ctx.token)?;
    let app = &st.apps[ai];
    let sp = Sp {
        id: new_guid(),
        app_id: app.app_id.clone(),
        display_name: app.display_name.clone(),
        app_display_name: Some(app.display_name.clone()),
        // Tags are copied from the app (docs/graph.md §2.1) unless given.
        tags: tags.unwrap_or_else(|| app.tags.clone()),
        account_enabled,
        service_principal_names: vec![app.app_id.clone()],
        scopes: Vec::new(),
        app_roles: Vec::new(),
        app_owner_organization_id: st.tenant.id.clone(),
        sign_in_audience: app.sign_in_audience.clone(),
        description,
        notes,
        app_role_assignment_required: assignment_required,
        owners: super::creator_owners(&ctx.token),
        graph_roles: Vec::new(),
        repl: Repl::fresh(),
    };
    let mut value = sp_json(&sp, &app.web.redirect_uris);
    if let Value::Object(m) = &mut value {
        m.insert(
            "@odata.context".to_owned(),
            json!(odata::context(ctx, &META, None, true)),
        );
    }
    st.sps.push(sp);
    ctx.ok(201, &value)
}

/// `PATCH /servicePrincipals/{id}`: the properties a client of this tool may change
/// (`tags`, `notes`, `description`, `accountEnabled`, `appRoleAssignmentRequired`);
/// OwnedBy and an Application Developer only on one they own
/// (serviceprincipal-update.md).
fn update(st: &mut State, ctx: &Ctx<'_>, key: &Key) -> GResult {
    let access = app_write_access(ctx);
    if access == Access::None {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let i = find(st, key)?;
    if access == Access::Owned && !owns(&ctx.token, &st.sps[i].owners) {
        return Err(GErr::denied());
    }
    let map = body::object(ctx.req)?;
    let mut sp = st.sps[i].clone();
    for (k, v) in &map {
        match k.as_str() {
            "@odata.type" => body::check_odata_type(v, "servicePrincipal", k)?,
            "tags" => sp.tags = body::strings(v, k)?,
            "notes" => sp.notes = body::opt_string(v, k)?,
            "description" => sp.description = body::opt_string(v, k)?,
            "accountEnabled" => sp.account_enabled = body::opt_boolean(v, k)?.unwrap_or(true),
            "appRoleAssignmentRequired" => sp.app_role_assignment_required = body::boolean(v, k)?,
            "id"
            | "appId"
            | "appDisplayName"
            | "appOwnerOrganizationId"
            | "servicePrincipalNames"
            | "servicePrincipalType"
            | "signInAudience"
            | "deletedDateTime" => return Err(body::read_only(k, k)),
            _ => return Err(body::not_modelled(k, "servicePrincipal", k)),
        }
    }
    st.sps[i] = sp;
    Ok(Reply::empty(204))
}

fn delete(st: &mut State, ctx: &Ctx<'_>, key: &Key) -> GResult {
    let access = app_write_access(ctx);
    if access == Access::None {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let i = find(st, key)?;
    if access == Access::Owned && !owns(&ctx.token, &st.sps[i].owners) {
        return Err(GErr::denied());
    }
    let sp = &st.sps[i];
    let seeded = sp.app_owner_organization_id != st.tenant.id
        || sp
            .app_id
            .eq_ignore_ascii_case(&st.credentials.admin_client_id)
        || sp
            .app_id
            .eq_ignore_ascii_case(&st.credentials.reader_client_id);
    if seeded {
        // The first-party and caller principals are the emulator's fixed world; deleting
        // them would only break the emulator, never prove a client.
        return Err(GErr::denied());
    }
    st.remove_sp(i);
    Ok(Reply::empty(204))
}
