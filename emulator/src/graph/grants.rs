//! `/oauth2PermissionGrants`: delegated permission grants, i.e. admin consent
//! (docs/graph.md §2.9). Keyed by service-principal object ids; `scope` is a
//! space-separated list of scope values the resource exposes.

use serde_json::{Value, json};

use super::super::state::{Grant, Repl, State};
use super::super::util::{Reply, b64url, is_guid};
use super::odata::{self, EntityMeta};
use super::{Ctx, GErr, GResult, body, grant_read, grant_write};

pub(crate) const META: EntityMeta = EntityMeta {
    set: "oauth2PermissionGrants",
    type_name: "oAuth2PermissionGrant",
    resource: "OAuth2PermissionGrant",
    properties: &[
        "id",
        "clientId",
        "consentType",
        "principalId",
        "resourceId",
        "scope",
    ],
    eq: &["clientId", "resourceId", "consentType", "principalId"],
    any: &[],
};

fn grant_json(g: &Grant) -> Value {
    json!({
        "id": g.id,
        "clientId": g.client_id,
        "consentType": g.consent_type,
        "principalId": g.principal_id,
        "resourceId": g.resource_id,
        "scope": g.scope,
    })
}

pub(crate) fn route(st: &mut State, ctx: &Ctx<'_>, segs: &[&str]) -> GResult {
    if segs[0] != "oauth2PermissionGrants" {
        return Err(GErr::no_segment(segs[0]));
    }
    let method = ctx.req.method.as_str();
    match &segs[1..] {
        [] => match method {
            "GET" => list(st, ctx),
            "POST" => create(st, ctx),
            _ => Err(GErr::method_not_allowed()),
        },
        [id] => match method {
            "GET" => get(st, ctx, id),
            "PATCH" => update(st, ctx, id),
            "DELETE" => delete(st, ctx, id),
            _ => Err(GErr::method_not_allowed()),
        },
        [_, other, ..] => Err(GErr::no_segment(other)),
    }
}

fn find(st: &mut State, id: &str) -> Result<usize, GErr> {
    match st.grants.iter().position(|g| g.id == id) {
        Some(i) if st.grant_visible(i) => Ok(i),
        _ => Err(GErr::not_found(id)),
    }
}

fn list(st: &mut State, ctx: &Ctx<'_>) -> GResult {
    if !grant_read(ctx) {
        return Err(GErr::denied());
    }
    let q = odata::list_query(ctx, &META)?;
    let mut items = Vec::new();
    for i in 0..st.grants.len() {
        let g = &st.grants[i];
        let matched = q.matches(&|prop| match prop {
            "clientId" => vec![g.client_id.clone()],
            "resourceId" => vec![g.resource_id.clone()],
            "consentType" => vec![g.consent_type.clone()],
            "principalId" => g.principal_id.clone().into_iter().collect(),
            _ => Vec::new(),
        });
        if matched && st.grant_visible(i) {
            items.push(grant_json(&st.grants[i]));
        }
    }
    let size = st.config.graph_page_size as usize;
    ctx.ok(200, &odata::page(ctx, &META, &q, items, size))
}

fn get(st: &mut State, ctx: &Ctx<'_>, id: &str) -> GResult {
    if !grant_read(ctx) {
        return Err(GErr::denied());
    }
    let select = odata::entity_select(ctx, &META)?;
    let i = find(st, id)?;
    let mut value = odata::project(grant_json(&st.grants[i]), select.as_deref());
    if let Value::Object(m) = &mut value {
        m.insert(
            "@odata.context".to_owned(),
            json!(odata::context(ctx, &META, select.as_deref(), true)),
        );
    }
    ctx.ok(200, &value)
}

/// The reference-property error Graph answers for a missing or unreplicated
/// `clientId`/`resourceId`/`principalId` (docs/graph.md §2.9, §5).
fn missing_reference(id: &str) -> GErr {
    GErr::bad_request(format!(
        "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
    ))
}

/// Checks space-separated scope values against the resource's delegated scopes.
fn check_scope(st: &State, resource_sp: usize, scope: &str) -> Result<(), GErr> {
    let sp = &st.sps[resource_sp];
    for value in scope.split_whitespace() {
        if !sp.scopes.iter().any(|s| s.value == value) {
            return Err(GErr::invalid_value(
                "scope",
                "OAuth2PermissionGrant",
                format!(
                    "'{value}' is not a delegated permission of {} (scope takes values such as Directory.ReadWrite.All, not ids)",
                    sp.display_name
                ),
            ));
        }
    }
    Ok(())
}

/// Grant ids are opaque: base64url of the client, resource (and principal) object ids,
/// as real ids are (docs/graph.md §2.9: "not a GUID").
fn grant_id(client: &str, resource: &str, principal: Option<&str>) -> String {
    let mut bytes = Vec::new();
    for id in [Some(client), Some(resource), principal]
        .into_iter()
        .flatten()
    {
        if let Ok(u) = uuid::Uuid::parse_str(id) {
            bytes.extend_from_slice(&u.to_bytes_le());
        }
    }
    b64url(&bytes)
}

fn create(st: &mut State, ctx: &Ctx<'_>) -> GResult {
    if !grant_write(ctx) {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let map = body::object(ctx.req)?;
    let mut client_id = None;
    let mut resource_id = None;
    let mut consent_type = None;
    let mut principal_id = None;
    let mut scope = String::new();
    for (k, v) in &map {
        match k.as_str() {
            "@odata.type" => body::check_odata_type(v, "oAuth2PermissionGrant", k)?,
            "clientId" => client_id = Some(body::string(v, k)?),
            "resourceId" => resource_id = Some(body::string(v, k)?),
            "consentType" => consent_type = Some(body::string(v, k)?),
            "principalId" => principal_id = body::opt_string(v, k)?,
            "scope" => scope = body::opt_string(v, k)?.unwrap_or_default(),
            "id" => return Err(body::read_only(k, k)),
            _ => return Err(body::unknown_property(k, "oAuth2PermissionGrant", k)),
        }
    }
    let (Some(client_id), Some(resource_id)) = (client_id, resource_id) else {
        return Err(GErr::invalid_value(
            "clientId",
            "OAuth2PermissionGrant",
            "clientId and resourceId (service principal object ids) are required",
        ));
    };
    let Some(consent_type) = consent_type else {
        return Err(GErr::invalid_value(
            "consentType",
            "OAuth2PermissionGrant",
            "consentType is required (AllPrincipals or Principal)",
        ));
    };
    match (consent_type.as_str(), &principal_id) {
        ("AllPrincipals", None) => {}
        ("AllPrincipals", Some(_)) => {
            return Err(GErr::invalid_value(
                "principalId",
                "OAuth2PermissionGrant",
                "principalId must be null for AllPrincipals",
            ));
        }
        ("Principal", Some(p)) => {
            if !st.users.iter().any(|u| u.id.eq_ignore_ascii_case(p)) {
                return Err(missing_reference(p));
            }
        }
        ("Principal", None) => {
            return Err(GErr::invalid_value(
                "principalId",
                "OAuth2PermissionGrant",
                "principalId is required for Principal",
            ));
        }
        (other, _) => {
            return Err(GErr::invalid_value(
                "consentType",
                "OAuth2PermissionGrant",
                format!("'{other}' is not AllPrincipals or Principal"),
            ));
        }
    }
    // Both ids must be service-principal OBJECT ids, visible to this request.
    let mut resolve = |id: &str| -> Result<usize, GErr> {
        if !is_guid(id) {
            return Err(missing_reference(id));
        }
        match st.sp_index(id) {
            Some(i) if st.sp_visible(i) => Ok(i),
            _ => Err(missing_reference(id)),
        }
    };
    let ci = resolve(&client_id)?;
    let ri = resolve(&resource_id)?;
    check_scope(st, ri, &scope)?;
    let (client_id, resource_id) = (st.sps[ci].id.clone(), st.sps[ri].id.clone());
    let principal_id = principal_id.map(|p| p.to_ascii_lowercase());
    let id = grant_id(&client_id, &resource_id, principal_id.as_deref());
    // One grant per (client, resource, consentType, principal); a second POST is a
    // conflict (docs/graph.md §2.9; 409 observed in terraform-provider-azuread #690).
    if st.grants.iter().any(|g| g.id == id) {
        return Err(GErr::new(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "Permission entry already exists.",
        ));
    }
    let grant = Grant {
        id,
        client_id,
        consent_type,
        principal_id,
        resource_id,
        scope,
        repl: Repl::fresh(),
    };
    let mut value = grant_json(&grant);
    if let Value::Object(m) = &mut value {
        m.insert(
            "@odata.context".to_owned(),
            json!(odata::context(ctx, &META, None, true)),
        );
    }
    st.grants.push(grant);
    ctx.ok(201, &value)
}

fn update(st: &mut State, ctx: &Ctx<'_>, id: &str) -> GResult {
    if !grant_write(ctx) {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let i = find(st, id)?;
    let map = body::object(ctx.req)?;
    let mut scope = None;
    for (k, v) in &map {
        match k.as_str() {
            "scope" => scope = Some(body::opt_string(v, k)?.unwrap_or_default()),
            // Only the scope of a grant can change (oauth2permissiongrant-update.md).
            "id" | "clientId" | "resourceId" | "consentType" | "principalId" => {
                return Err(body::read_only(k, k));
            }
            _ => return Err(body::unknown_property(k, "oAuth2PermissionGrant", k)),
        }
    }
    if let Some(scope) = scope {
        let resource = st.sp_index(&st.grants[i].resource_id);
        let Some(ri) = resource else {
            return Err(missing_reference(&st.grants[i].resource_id.clone()));
        };
        check_scope(st, ri, &scope)?;
        st.grants[i].scope = scope;
    }
    Ok(Reply::empty(204))
}

fn delete(st: &mut State, ctx: &Ctx<'_>, id: &str) -> GResult {
    if !grant_write(ctx) {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let i = find(st, id)?;
    st.grants.remove(i);
    Ok(Reply::empty(204))
}
