//! `/applications`: list, create, get (by id or `(appId='…')`), update, delete,
//! `addPassword`, `removePassword` (docs/graph.md §2.1–§2.6).

use serde_json::{Map, Value, json};

use super::super::seed::new_client_secret;
use super::super::state::{
    App, PasswordCred, Repl, RequiredResourceAccess, ResourceAccess, State, Web,
};
use super::super::util::{Reply, is_guid, iso_millis, iso_seconds, new_guid, now};
use super::odata::{self, EntityMeta};
use super::{
    Access, Ctx, GErr, GResult, alternate_key, app_read_access, app_write_access, body, owns,
};

pub(crate) const META: EntityMeta = EntityMeta {
    set: "applications",
    type_name: "application",
    resource: "Application",
    properties: &[
        "id",
        "deletedDateTime",
        "addIns",
        "api",
        "appId",
        "appRoles",
        "createdDateTime",
        "defaultRedirectUri",
        "description",
        "disabledByMicrosoftStatus",
        "displayName",
        "groupMembershipClaims",
        "identifierUris",
        "info",
        "isDeviceOnlyAuthSupported",
        "isFallbackPublicClient",
        "keyCredentials",
        "notes",
        "optionalClaims",
        "parentalControlSettings",
        "passwordCredentials",
        "publicClient",
        "publisherDomain",
        "requiredResourceAccess",
        "serviceManagementReference",
        "signInAudience",
        "spa",
        "tags",
        "tokenEncryptionKeyId",
        "verifiedPublisher",
        "web",
    ],
    eq: &["displayName", "appId"],
    any: &["tags"],
};

/// The four audiences (docs/graph.md §2.2).
const AUDIENCES: &[&str] = &[
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
];

/// Graph properties the emulator does not model: refused with a clear message.
const NOT_MODELLED: &[&str] = &[
    "addIns",
    "api",
    "appRoles",
    "certification",
    "defaultRedirectUri",
    "groupMembershipClaims",
    "identifierUris",
    "info",
    "isDeviceOnlyAuthSupported",
    "keyCredentials",
    "nativeAuthenticationApisEnabled",
    "oauth2RequirePostResponse",
    "optionalClaims",
    "parentalControlSettings",
    "requestSignatureVerification",
    "samlMetadataUrl",
    "serviceManagementReference",
    "servicePrincipalLockConfiguration",
    "spa",
    "tokenEncryptionKeyId",
    "uniqueName",
    "verifiedPublisher",
];

const READ_ONLY: &[&str] = &[
    "id",
    "appId",
    "createdDateTime",
    "deletedDateTime",
    "publisherDomain",
    "disabledByMicrosoftStatus",
];

/// Where a request points: the collection or one app.
enum Target {
    Collection,
    ById(String),
    ByAppId(String),
}

pub(crate) fn route(st: &mut State, ctx: &Ctx<'_>, segs: &[&str]) -> GResult {
    let (target, rest) = match alternate_key(segs[0], "applications") {
        Some(key) => (Target::ByAppId(key?), &segs[1..]),
        None => match segs.get(1) {
            None => (Target::Collection, &segs[1..]),
            Some(id) => (Target::ById((*id).to_owned()), &segs[2..]),
        },
    };
    let method = ctx.req.method.as_str();
    match (target, rest) {
        (Target::Collection, []) => match method {
            "GET" => list(st, ctx),
            "POST" => create(st, ctx),
            _ => Err(GErr::method_not_allowed()),
        },
        (target, []) => match method {
            "GET" => get(st, ctx, &target),
            "PATCH" => update(st, ctx, &target),
            "DELETE" => delete(st, ctx, &target),
            _ => Err(GErr::method_not_allowed()),
        },
        (target, [action]) if *action == "addPassword" || *action == "removePassword" => {
            if method != "POST" {
                return Err(GErr::method_not_allowed());
            }
            if *action == "addPassword" {
                add_password(st, ctx, &target)
            } else {
                remove_password(st, ctx, &target)
            }
        }
        (_, [other, ..]) => Err(GErr::no_segment(other)),
    }
}

/// Finds the app a path names, visible to this request (404 otherwise, also while it
/// replicates; docs/graph.md §5).
fn find(st: &mut State, target: &Target) -> Result<usize, GErr> {
    let (index, shown) = match target {
        Target::ById(id) => {
            if !is_guid(id) {
                return Err(GErr::bad_id(id));
            }
            (st.app_index(id), id.clone())
        }
        Target::ByAppId(app_id) => (st.app_index_by_app_id(app_id), app_id.clone()),
        Target::Collection => (None, String::new()),
    };
    match index {
        Some(i) if st.app_visible(i) => Ok(i),
        _ => Err(GErr::not_found(&shown)),
    }
}

/// The caller may write this app: ReadWrite.All, or OwnedBy and an owner.
fn check_write(st: &State, ctx: &Ctx<'_>, i: usize) -> Result<(), GErr> {
    match app_write_access(ctx) {
        Access::All => Ok(()),
        Access::Owned if owns(&ctx.token, &st.apps[i].owners) => Ok(()),
        _ => Err(GErr::denied()),
    }
}

pub(crate) fn app_json(app: &App, creds: &[&PasswordCred]) -> Value {
    json!({
        "id": app.id,
        "deletedDateTime": null,
        "addIns": [],
        "api": {
            "acceptMappedClaims": null,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": null,
            "oauth2PermissionScopes": [],
            "preAuthorizedApplications": [],
        },
        "appId": app.app_id,
        "appRoles": [],
        "createdDateTime": iso_seconds(app.created),
        "defaultRedirectUri": null,
        "description": app.description,
        "disabledByMicrosoftStatus": null,
        "displayName": app.display_name,
        "groupMembershipClaims": null,
        "identifierUris": [],
        "info": {
            "logoUrl": null, "marketingUrl": null, "privacyStatementUrl": null,
            "supportUrl": null, "termsOfServiceUrl": null,
        },
        "isDeviceOnlyAuthSupported": null,
        "isFallbackPublicClient": app.is_fallback_public_client,
        "keyCredentials": [],
        "notes": app.notes,
        "optionalClaims": null,
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": creds.iter().map(|c| password_json(c, false)).collect::<Vec<_>>(),
        "publicClient": {"redirectUris": app.public_client_redirect_uris},
        "publisherDomain": null,
        "requiredResourceAccess": app.required_resource_access.iter().map(|r| json!({
            "resourceAppId": r.resource_app_id,
            "resourceAccess": r.resource_access.iter().map(|a| json!({"id": a.id, "type": a.kind})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "serviceManagementReference": null,
        "signInAudience": app.sign_in_audience,
        "spa": {"redirectUris": []},
        "tags": app.tags,
        "tokenEncryptionKeyId": null,
        "verifiedPublisher": {"displayName": null, "verifiedPublisherId": null, "addedDateTime": null},
        "web": {
            "homePageUrl": app.web.home_page_url,
            "logoutUrl": app.web.logout_url,
            "redirectUris": app.web.redirect_uris,
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": app.web.enable_access_token_issuance,
                "enableIdTokenIssuance": app.web.enable_id_token_issuance,
            },
            "redirectUriSettings": app.web.redirect_uris.iter().map(|u| json!({"uri": u, "index": null})).collect::<Vec<_>>(),
        },
    })
}

/// A password credential; `secretText` only in `addPassword`'s answer
/// (docs/graph.md §2.1, §2.4).
fn password_json(c: &PasswordCred, with_secret: bool) -> Value {
    json!({
        "customKeyIdentifier": c.custom_key_identifier,
        "displayName": c.display_name,
        "endDateTime": iso_millis(c.end),
        "hint": c.hint,
        "keyId": c.key_id,
        "secretText": if with_secret { Value::String(c.secret.clone()) } else { Value::Null },
        "startDateTime": iso_millis(c.start),
    })
}

/// Visible app `i` as JSON; password credentials only when selected (reading them is
/// what can miss a just-added one). With stale reads on, its other properties are
/// those a replica behind has ([`as_replica_sees`]).
fn visible_json(st: &mut State, i: usize, with_creds: bool) -> Value {
    let creds = if with_creds {
        st.visible_creds(i)
    } else {
        Vec::new()
    };
    let app = &st.apps[i];
    let refs: Vec<&PasswordCred> = creds
        .iter()
        .map(|&k| &app.password_credentials[k])
        .collect();
    match as_replica_sees(st, i) {
        Some(old) => app_json(old, &refs),
        None => app_json(app, &refs),
    }
}

/// With stale reads on (`stale_read_millis`), app `i` as a replica that far behind
/// has it: as it was before the first `PATCH` that landed within that time, if any.
fn as_replica_sees(st: &State, i: usize) -> Option<&App> {
    let behind = std::time::Duration::from_millis(st.config.stale_read_millis);
    if behind.is_zero() {
        return None;
    }
    let id = &st.apps[i].id;
    st.app_versions
        .iter()
        .find(|(at, old)| old.id == *id && at.elapsed() < behind)
        .map(|(_, old)| old)
}

/// Graph's rules for `tags` (Application): each 1–256 characters, no whitespace, no
/// two alike; otherwise 400 for the whole write.
fn check_tags(tags: &[String]) -> Result<(), GErr> {
    let invalid = |why: String| GErr::invalid_value("tags", "Application", why);
    for (n, tag) in tags.iter().enumerate() {
        let chars = tag.chars().count();
        if chars == 0 || chars > 256 {
            return Err(invalid(format!(
                "a tag must be 1 to 256 characters long; tag {n} has {chars}"
            )));
        }
        if tag.chars().any(char::is_whitespace) {
            return Err(invalid(format!(
                "a tag must not contain whitespace: '{tag}'"
            )));
        }
        if tags[..n].contains(tag) {
            return Err(invalid(format!("the tag '{tag}' is given more than once")));
        }
    }
    Ok(())
}

fn list(st: &mut State, ctx: &Ctx<'_>) -> GResult {
    let access = app_read_access(ctx);
    if access == Access::None {
        return Err(GErr::denied());
    }
    let q = odata::list_query(ctx, &META)?;
    let mut items = Vec::new();
    for i in 0..st.apps.len() {
        // A replica behind filters on what it has.
        let app = as_replica_sees(st, i).unwrap_or(&st.apps[i]);
        let matched = q.matches(&|prop| match prop {
            "displayName" => vec![app.display_name.clone()],
            "appId" => vec![app.app_id.clone()],
            "tags" => app.tags.clone(),
            _ => Vec::new(),
        });
        // Only candidates the query would return can be missed by a lagging replica.
        if matched && st.app_visible(i) {
            items.push(visible_json(st, i, q.selects("passwordCredentials")));
        }
    }
    let size = st.config.graph_page_size as usize;
    ctx.ok(200, &odata::page(ctx, &META, &q, items, size))
}

fn get(st: &mut State, ctx: &Ctx<'_>, target: &Target) -> GResult {
    let access = app_read_access(ctx);
    if access == Access::None {
        return Err(GErr::denied());
    }
    let select = odata::entity_select(ctx, &META)?;
    let i = find(st, target)?;
    let with_creds = select
        .as_ref()
        .is_none_or(|s| s.iter().any(|p| p == "passwordCredentials"));
    let mut value = odata::project(visible_json(st, i, with_creds), select.as_deref());
    if let Value::Object(map) = &mut value {
        map.insert(
            "@odata.context".to_owned(),
            json!(odata::context(ctx, &META, select.as_deref(), true)),
        );
    }
    ctx.ok(200, &value)
}

/// Validated application properties from a POST or PATCH body.
#[derive(Default)]
struct AppInput {
    display_name: Option<String>,
    sign_in_audience: Option<String>,
    tags: Option<Vec<String>>,
    web: Option<WebInput>,
    required_resource_access: Option<Vec<RequiredResourceAccess>>,
    description: Option<Option<String>>,
    notes: Option<Option<String>>,
    is_fallback_public_client: Option<Option<bool>>,
    public_client_redirect_uris: Option<Vec<String>>,
}

#[derive(Default)]
struct WebInput {
    redirect_uris: Option<Vec<String>>,
    home_page_url: Option<Option<String>>,
    logout_url: Option<Option<String>>,
    id_token_issuance: Option<bool>,
    access_token_issuance: Option<bool>,
}

fn parse_input(st: &mut State, map: &Map<String, Value>) -> Result<AppInput, GErr> {
    let mut input = AppInput::default();
    for (key, v) in map {
        match key.as_str() {
            "@odata.type" => body::check_odata_type(v, "application", key)?,
            "displayName" => {
                let name = body::string(v, key)?;
                if name.trim().is_empty() {
                    return Err(GErr::invalid_value(
                        "displayName",
                        "Application",
                        "displayName must not be empty",
                    ));
                }
                // Entra's limit for an app's name (the portal's too); Graph refuses
                // longer ones rather than cutting them.
                if name.chars().count() > 120 {
                    return Err(GErr::invalid_value(
                        "displayName",
                        "Application",
                        "displayName must be at most 120 characters",
                    ));
                }
                input.display_name = Some(name);
            }
            "signInAudience" => {
                let aud = body::string(v, key)?;
                if !AUDIENCES.contains(&aud.as_str()) {
                    return Err(GErr::invalid_value(
                        "signInAudience",
                        "Application",
                        format!("'{aud}' is not one of {}", AUDIENCES.join(", ")),
                    ));
                }
                input.sign_in_audience = Some(aud);
            }
            "tags" => {
                let tags = body::strings(v, key)?;
                check_tags(&tags)?;
                input.tags = Some(tags);
            }
            "web" => input.web = Some(parse_web(body::object_of(v, key)?)?),
            "requiredResourceAccess" => {
                input.required_resource_access = Some(parse_rra(st, v)?);
            }
            "description" => input.description = Some(body::opt_string(v, key)?),
            "notes" => input.notes = Some(body::opt_string(v, key)?),
            "isFallbackPublicClient" => {
                input.is_fallback_public_client = Some(body::opt_boolean(v, key)?);
            }
            "publicClient" => {
                input.public_client_redirect_uris =
                    Some(parse_public_client(body::object_of(v, key)?)?);
            }
            // Secrets are created only by addPassword (docs/graph.md §2.2).
            "passwordCredentials" => {
                return Err(GErr::bad_request(
                    "New password credentials must be generated using service actions.",
                )
                .detail(
                    "ServiceActionRequired",
                    "use addPassword",
                    "passwordCredentials",
                ));
            }
            k if READ_ONLY.contains(&k) => return Err(body::read_only(k, k)),
            k if NOT_MODELLED.contains(&k) => return Err(body::not_modelled(k, "application", k)),
            k => return Err(body::unknown_property(k, "application", k)),
        }
    }
    Ok(input)
}

fn parse_web(map: &Map<String, Value>) -> Result<WebInput, GErr> {
    let mut web = WebInput::default();
    for (key, v) in map {
        let target = format!("web.{key}");
        match key.as_str() {
            "redirectUris" => {
                let uris = body::strings(v, &target)?;
                for uri in &uris {
                    check_redirect_uri(uri)?;
                }
                if uris.len() > 256 {
                    return Err(GErr::invalid_value(
                        "web.redirectUris",
                        "Application",
                        "at most 256 redirect URIs",
                    ));
                }
                web.redirect_uris = Some(uris);
            }
            "homePageUrl" | "logoutUrl" => {
                let url = body::opt_string(v, &target)?;
                if let Some(u) = &url {
                    // A (front-channel) logout URL must be https, or http on localhost /
                    // 127.0.0.1, as Entra requires of redirect URIs (issue 19's review
                    // of Microsoft's pages); a home page may be plain http.
                    let ok = url::Url::parse(u).is_ok_and(|p| {
                        p.has_host()
                            && match p.scheme() {
                                "https" => true,
                                "http" => {
                                    key == "homePageUrl"
                                        || matches!(p.host_str(), Some("localhost" | "127.0.0.1"))
                                }
                                _ => false,
                            }
                    });
                    if !ok {
                        return Err(GErr::invalid_value(
                            &target,
                            "Application",
                            if key == "logoutUrl" {
                                format!(
                                    "'{u}' must be an absolute https URL (http only on localhost)"
                                )
                            } else {
                                format!("'{u}' is not an absolute http(s) URL")
                            },
                        ));
                    }
                }
                if key == "homePageUrl" {
                    web.home_page_url = Some(url);
                } else {
                    web.logout_url = Some(url);
                }
            }
            "implicitGrantSettings" => {
                for (k, v) in body::object_of(v, &target)? {
                    let t = format!("{target}.{k}");
                    match k.as_str() {
                        "enableIdTokenIssuance" => {
                            web.id_token_issuance = Some(body::boolean(v, &t)?)
                        }
                        "enableAccessTokenIssuance" => {
                            web.access_token_issuance = Some(body::boolean(v, &t)?);
                        }
                        _ => return Err(body::unknown_property(k, "implicitGrantSettings", &t)),
                    }
                }
            }
            "redirectUriSettings" => {
                return Err(body::not_modelled(key, "webApplication", &target));
            }
            _ => return Err(body::unknown_property(key, "webApplication", &target)),
        }
    }
    Ok(web)
}

/// Web redirect URI rules (docs/graph.md §2.2, from reply-url.md): absolute, https
/// (http only for localhost / 127.0.0.1), at most 256 characters, no wildcard [inf:
/// wildcards are restricted by audience; strict: refused], no fragment.
/// `publicClient`: only `redirectUris`, each an absolute URI without a fragment or
/// wildcard: https, http on localhost, or a custom scheme (`msal<appId>://auth`).
fn parse_public_client(map: &Map<String, Value>) -> Result<Vec<String>, GErr> {
    let mut uris = Vec::new();
    for (key, v) in map {
        let target = format!("publicClient.{key}");
        match key.as_str() {
            "redirectUris" => {
                for uri in body::strings(v, &target)? {
                    let parsed = url::Url::parse(&uri);
                    let ok = !uri.contains('*')
                        && parsed.as_ref().is_ok_and(|p| {
                            p.fragment().is_none()
                                && match p.scheme() {
                                    "http" => {
                                        p.host_str() == Some("localhost")
                                            || p.host_str() == Some("127.0.0.1")
                                    }
                                    _ => true,
                                }
                        });
                    if !ok {
                        return Err(GErr::invalid_value(
                            "publicClient.redirectUris",
                            "Application",
                            format!("'{uri}' is not a valid public client redirect URI"),
                        ));
                    }
                    uris.push(uri);
                }
            }
            k => {
                return Err(body::unknown_property(
                    k,
                    "publicClientApplication",
                    &target,
                ));
            }
        }
    }
    Ok(uris)
}

fn check_redirect_uri(uri: &str) -> Result<(), GErr> {
    let bad = |reason: String| {
        Err(GErr::invalid_value(
            "web.redirectUris",
            "Application",
            reason,
        ))
    };
    if uri.chars().count() > 256 {
        return bad(format!("'{uri}' is longer than 256 characters"));
    }
    if uri.contains('*') {
        return bad(format!("'{uri}' contains a wildcard"));
    }
    let Ok(parsed) = url::Url::parse(uri) else {
        return bad(format!("'{uri}' is not an absolute URI"));
    };
    if parsed.fragment().is_some() {
        return bad(format!("'{uri}' contains a fragment"));
    }
    let host = parsed.host_str().unwrap_or_default();
    match parsed.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if host == "localhost" || host == "127.0.0.1" => Ok(()),
        "http" => bad(format!(
            "'{uri}' must use https (http is allowed only for localhost and 127.0.0.1)"
        )),
        _ => bad(format!("'{uri}' must be an https URL")),
    }
}

/// `requiredResourceAccess`: each resource an API whose service principal is in the
/// tenant; each id one of its scopes (`Scope`) or app roles (`Role`); at most 50 APIs
/// and 400 permissions (docs/graph.md §2.2).
fn parse_rra(st: &mut State, v: &Value) -> Result<Vec<RequiredResourceAccess>, GErr> {
    let invalid = |reason: String| {
        GErr::bad_request("Property requiredResourceAccess.resourceAccess is invalid.").detail(
            "InvalidValue",
            reason,
            "requiredResourceAccess",
        )
    };
    let entries = body::objects(v, "requiredResourceAccess")?;
    if entries.len() > 50 {
        return Err(invalid("at most 50 resources".to_owned()));
    }
    let mut out: Vec<RequiredResourceAccess> = Vec::new();
    let mut total = 0usize;
    for entry in entries {
        let mut resource_app_id = None;
        let mut access = Vec::new();
        for (k, v) in entry {
            let t = format!("requiredResourceAccess.{k}");
            match k.as_str() {
                "resourceAppId" => resource_app_id = Some(body::string(v, &t)?),
                "resourceAccess" => {
                    for item in body::objects(v, &t)? {
                        let mut id = None;
                        let mut kind = None;
                        for (k2, v2) in item {
                            let t2 = format!("{t}.{k2}");
                            match k2.as_str() {
                                "id" => id = Some(body::string(v2, &t2)?),
                                "type" => kind = Some(body::string(v2, &t2)?),
                                _ => return Err(body::unknown_property(k2, "resourceAccess", &t2)),
                            }
                        }
                        let (Some(id), Some(kind)) = (id, kind) else {
                            return Err(invalid(
                                "each resourceAccess needs id and type".to_owned(),
                            ));
                        };
                        access.push(ResourceAccess { id, kind });
                    }
                }
                _ => return Err(body::unknown_property(k, "requiredResourceAccess", &t)),
            }
        }
        let Some(resource_app_id) = resource_app_id.filter(|r| is_guid(r)) else {
            return Err(invalid(
                "resourceAppId must be an API's appId (GUID)".to_owned(),
            ));
        };
        if out
            .iter()
            .any(|r| r.resource_app_id.eq_ignore_ascii_case(&resource_app_id))
        {
            // [unk] whether Graph merges duplicates: strict, refused.
            return Err(invalid(format!(
                "resource {resource_app_id} is listed twice"
            )));
        }
        let sp = st
            .sp_index_by_app_id(&resource_app_id)
            .filter(|&i| st.sp_visible(i));
        let Some(si) = sp else {
            return Err(invalid(format!(
                "no API with appId {resource_app_id} in this tenant"
            )));
        };
        for (n, a) in access.iter().enumerate() {
            let known = match a.kind.as_str() {
                "Scope" => st.sps[si]
                    .scopes
                    .iter()
                    .any(|s| s.id.eq_ignore_ascii_case(&a.id)),
                "Role" => st.sps[si]
                    .app_roles
                    .iter()
                    .any(|r| r.id.eq_ignore_ascii_case(&a.id)),
                _ => false,
            };
            if !known {
                return Err(invalid(format!(
                    "{} {} is not a {} of {} ({resource_app_id})",
                    a.kind,
                    a.id,
                    if a.kind == "Role" {
                        "app role"
                    } else {
                        "delegated scope"
                    },
                    st.sps[si].display_name
                )));
            }
            if access[..n].iter().any(|b| b.id.eq_ignore_ascii_case(&a.id)) {
                return Err(invalid(format!("permission {} is listed twice", a.id)));
            }
        }
        total += access.len();
        out.push(RequiredResourceAccess {
            resource_app_id,
            resource_access: access,
        });
    }
    if total > 400 {
        return Err(invalid("at most 400 permissions in total".to_owned()));
    }
    Ok(out)
}

fn apply(app: &mut App, input: AppInput) {
    if let Some(v) = input.display_name {
        app.display_name = v;
    }
    if let Some(v) = input.sign_in_audience {
        app.sign_in_audience = v;
    }
    if let Some(v) = input.tags {
        app.tags = v;
    }
    if let Some(w) = input.web {
        // A complex value in a PATCH replaces the stored one whole: properties of `web`
        // not sent fall back to their defaults. docs/graph.md §2.3 says only that
        // properties not sent keep their values; whether Graph merges inside a complex
        // value is [unk], so strict: replaced, and a client must send `web` whole as it
        // read it (OData's PATCH semantics for complex values).
        app.web = Web {
            redirect_uris: w.redirect_uris.unwrap_or_default(),
            home_page_url: w.home_page_url.flatten(),
            logout_url: w.logout_url.flatten(),
            enable_id_token_issuance: w.id_token_issuance.unwrap_or(false),
            enable_access_token_issuance: w.access_token_issuance.unwrap_or(false),
        };
    }
    if let Some(v) = input.required_resource_access {
        app.required_resource_access = v;
    }
    if let Some(v) = input.description {
        app.description = v;
    }
    if let Some(v) = input.notes {
        app.notes = v;
    }
    if let Some(v) = input.is_fallback_public_client {
        app.is_fallback_public_client = v;
    }
    if let Some(v) = input.public_client_redirect_uris {
        app.public_client_redirect_uris = v;
    }
}

fn create(st: &mut State, ctx: &Ctx<'_>) -> GResult {
    if app_write_access(ctx) == Access::None {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let map = body::object(ctx.req)?;
    let input = parse_input(st, &map)?;
    if input.display_name.is_none() {
        // displayName is the only required property (docs/graph.md §2.2).
        return Err(GErr::invalid_value(
            "displayName",
            "Application",
            "displayName is required",
        ));
    }
    let mut app = App {
        id: new_guid(),
        app_id: new_guid(),
        display_name: String::new(),
        // Omitted audience means multi-tenant plus personal accounts (§2.2).
        sign_in_audience: "AzureADandPersonalMicrosoftAccount".to_owned(),
        tags: Vec::new(),
        web: Web::default(),
        required_resource_access: Vec::new(),
        description: None,
        notes: None,
        is_fallback_public_client: None,
        public_client_redirect_uris: Vec::new(),
        password_credentials: Vec::new(),
        owners: super::creator_owners(&ctx.token),
        created: now(),
        repl: Repl::fresh(),
    };
    apply(&mut app, input);
    super::count_created(st, &ctx.token)?;
    let mut value = app_json(&app, &[]);
    if let Value::Object(map) = &mut value {
        map.insert(
            "@odata.context".to_owned(),
            json!(odata::context(ctx, &META, None, true)),
        );
    }
    st.apps.push(app);
    ctx.ok(201, &value)
}

fn update(st: &mut State, ctx: &Ctx<'_>, target: &Target) -> GResult {
    if app_write_access(ctx) == Access::None {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let i = find(st, target)?;
    check_write(st, ctx, i)?;
    let map = body::object(ctx.req)?;
    let input = parse_input(st, &map)?;
    if st.config.stale_read_millis > 0 {
        // What a replica behind still serves after this write.
        let behind = std::time::Duration::from_millis(st.config.stale_read_millis);
        st.app_versions.retain(|(at, _)| at.elapsed() < behind);
        st.app_versions
            .push((std::time::Instant::now(), st.apps[i].clone()));
    }
    apply(&mut st.apps[i], input);
    Ok(Reply::empty(204))
}

fn delete(st: &mut State, ctx: &Ctx<'_>, target: &Target) -> GResult {
    if app_write_access(ctx) == Access::None {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let i = find(st, target)?;
    check_write(st, ctx, i)?;
    let app = st.apps.remove(i);
    // Deleting the app removes its service principal in the home tenant, and with it
    // the grants it takes part in (docs/graph.md §2.6).
    while let Some(si) = st.sp_index_by_app_id(&app.app_id) {
        st.remove_sp(si);
    }
    Ok(Reply::empty(204))
}

fn add_password(st: &mut State, ctx: &Ctx<'_>, target: &Target) -> GResult {
    if app_write_access(ctx) == Access::None {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let i = find(st, target)?;
    check_write(st, ctx, i)?;
    let map = body::object(ctx.req)?;
    let mut display_name = None;
    let mut custom_key_identifier = None;
    let mut start = None;
    let mut end = None;
    for (k, v) in &map {
        match k.as_str() {
            "passwordCredential" => {
                if v.is_null() {
                    continue;
                }
                for (k2, v2) in body::object_of(v, k)? {
                    let t = format!("passwordCredential.{k2}");
                    match k2.as_str() {
                        "displayName" => display_name = body::opt_string(v2, &t)?,
                        "startDateTime" => start = parse_date(v2, &t)?,
                        "endDateTime" => end = parse_date(v2, &t)?,
                        "customKeyIdentifier" => {
                            custom_key_identifier = body::opt_string(v2, &t)?;
                            if let Some(c) = &custom_key_identifier {
                                use base64::Engine as _;
                                if base64::engine::general_purpose::STANDARD.decode(c).is_err() {
                                    return Err(GErr::invalid_value(
                                        "customKeyIdentifier",
                                        "PasswordCredential",
                                        "must be base64 (Edm.Binary)",
                                    ));
                                }
                            }
                        }
                        "@odata.type" => body::check_odata_type(v2, "passwordCredential", &t)?,
                        // The service generates these (docs/graph.md §2.4).
                        "keyId" | "hint" | "secretText" => return Err(body::read_only(k2, &t)),
                        _ => return Err(body::unknown_property(k2, "passwordCredential", &t)),
                    }
                }
            }
            _ => return Err(body::unknown_property(k, "application.addPassword", k)),
        }
    }
    // App management policies: the app's own, else the tenant default
    // (docs/graph.md §4.2; super::policies).
    let effective = super::policies::effective(st, &st.apps[i]);
    let policy = effective.policy_id.clone();
    if effective.blocked {
        let message =
            format!("Password credentials are not allowed as per assigned policy '{policy}'.");
        return Err(GErr::new(
            400,
            "CredentialTypeNotAllowedAsPerAppPolicy",
            message.clone(),
        )
        .detail("InvalidCredentialType", message, "PasswordCredentials"));
    }
    if let Some(max) = st.config.max_app_passwords {
        if st.apps[i].password_credentials.len() >= max {
            return Err(GErr::new(
                400,
                "TooManyAppPasswords",
                format!("You can only add a maximum of {max} passwords."),
            ));
        }
    }
    let start = start.unwrap_or_else(now);
    // Default end: start + 2 years (docs/graph.md §2.4).
    let end = match end {
        Some(e) => e,
        None => start
            .to_zoned(jiff::tz::TimeZone::UTC)
            .checked_add(jiff::Span::new().years(2))
            .map_or(start, |z| z.timestamp()),
    };
    if end <= start {
        return Err(GErr::invalid_value(
            "endDateTime",
            "PasswordCredential",
            "endDateTime must be after startDateTime",
        ));
    }
    if let Some(days) = effective.max_days {
        if end.duration_since(start) > jiff::SignedDuration::from_hours(i64::from(days) * 24) {
            let message = format!(
                "Credential lifetime exceeds the max value allowed as per assigned policy '{policy}'."
            );
            return Err(GErr::new(
                400,
                "CredentialInvalidLifetimeAsPerAppPolicy",
                message.clone(),
            )
            .detail("InvalidKeyEndDate", message, "EndDate"));
        }
    }
    let secret = new_client_secret();
    let cred = PasswordCred {
        key_id: new_guid(),
        display_name,
        custom_key_identifier,
        hint: secret.chars().take(3).collect(),
        secret: secret.clone(),
        start,
        end,
        repl: Repl::fresh(),
    };
    let mut value = password_json(&cred, true);
    if let Value::Object(m) = &mut value {
        m.insert(
            "@odata.context".to_owned(),
            json!(format!(
                "{}/$metadata#microsoft.graph.passwordCredential",
                ctx.root
            )),
        );
    }
    st.apps[i].password_credentials.push(cred);
    st.issued_secrets.push(secret);
    // 200, not 201 (docs/graph.md §2.4).
    ctx.ok(200, &value)
}

fn parse_date(v: &Value, target: &str) -> Result<Option<jiff::Timestamp>, GErr> {
    match body::opt_string(v, target)? {
        None => Ok(None),
        Some(s) => s.parse::<jiff::Timestamp>().map(Some).map_err(|_| {
            GErr::new(
                400,
                "BadRequest",
                format!(
                    "Cannot convert the literal '{s}' to the expected type 'Edm.DateTimeOffset'."
                ),
            )
            .detail(
                "BadRequest",
                format!("'{s}' is not an ISO 8601 date-time with offset"),
                target,
            )
        }),
    }
}

fn remove_password(st: &mut State, ctx: &Ctx<'_>, target: &Target) -> GResult {
    if app_write_access(ctx) == Access::None {
        return Err(GErr::denied());
    }
    odata::no_options(ctx)?;
    let i = find(st, target)?;
    check_write(st, ctx, i)?;
    let map = body::object(ctx.req)?;
    let mut key_id = None;
    for (k, v) in &map {
        match k.as_str() {
            "keyId" => key_id = Some(body::string(v, k)?),
            _ => return Err(body::unknown_property(k, "application.removePassword", k)),
        }
    }
    let Some(key_id) = key_id else {
        // keyId is required (docs/graph.md §2.5).
        return Err(GErr::invalid_value(
            "keyId",
            "PasswordCredential",
            "keyId is required",
        ));
    };
    let visible = st.visible_creds(i);
    let found = visible.into_iter().find(|&k| {
        st.apps[i].password_credentials[k]
            .key_id
            .eq_ignore_ascii_case(&key_id)
    });
    let Some(k) = found else {
        // [unk] Graph's exact answer for an unknown keyId: strict 400.
        return Err(GErr::invalid_value(
            "keyId",
            "PasswordCredential",
            format!("no password credential with keyId '{key_id}' on this application"),
        ));
    };
    st.apps[i].password_credentials.remove(k);
    Ok(Reply::empty(204))
}
