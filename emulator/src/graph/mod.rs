//! Emulated Microsoft Graph v1.0 (`/graph/v1.0`): the slice `aad-setup` calls
//! (docs/graph.md §2, checklist §7).
//!
//! Every request needs a token the emulated Entra issued; every route checks the
//! token's `roles`/`scp`; every response carries `request-id` and `client-request-id`;
//! errors have Graph's body shape (docs/graph.md §4.1). Submodules: `odata`
//! (`$filter`, `$select`, `$top`, paging), `body` (strict JSON body reading), `apps`,
//! `sps`, `grants`, `org`.

mod apps;
mod body;
mod grants;
mod odata;
mod org;
mod policies;
mod sps;

use serde_json::{Value, json};

use super::GraphIds;
use super::contract;
use super::state::{State, TokenInfo};
use super::util::{ODATA_JSON, Reply, Req, graph_error_date, segments};

/// A Graph error before it becomes a reply.
#[derive(Debug)]
pub(crate) struct GErr {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub details: Option<Vec<Value>>,
    pub headers: Vec<(String, String)>,
}

impl GErr {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            details: None,
            headers: Vec::new(),
        }
    }

    /// Adds one `details[]` entry (`code`, `message`, `target`).
    pub fn detail(mut self, code: &str, message: impl Into<String>, target: &str) -> Self {
        self.details
            .get_or_insert_with(Vec::new)
            .push(json!({"code": code, "message": message.into(), "target": target}));
        self
    }

    /// 400 `Request_BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "Request_BadRequest", message)
    }

    /// 404 `Request_ResourceNotFound`: absent, or not yet replicated (docs/graph.md §4.1, §5).
    pub fn not_found(id: &str) -> Self {
        Self::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// 403 `Authorization_RequestDenied` (docs/graph.md §4.2).
    pub fn denied() -> Self {
        Self::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    /// 400 for a path id that is not a GUID.
    pub fn bad_id(id: &str) -> Self {
        Self::bad_request(format!("Invalid object identifier '{id}'."))
    }

    /// 400 `BadRequest` for an unknown path segment, as Graph answers.
    pub fn no_segment(segment: &str) -> Self {
        Self::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
    }

    /// "Invalid value specified for property '…' of resource '…'." with a reason in details.
    pub fn invalid_value(property: &str, resource: &str, reason: impl Into<String>) -> Self {
        Self::bad_request(format!(
            "Invalid value specified for property '{property}' of resource '{resource}'."
        ))
        .detail("InvalidValue", reason, property)
    }
}

pub(crate) type GResult = Result<Reply, GErr>;

/// Graph's error body (docs/graph.md §4.1).
pub(crate) fn error_reply(
    ids: &GraphIds,
    status: u16,
    code: &str,
    message: &str,
    details: Option<Vec<Value>>,
) -> Reply {
    let mut error = json!({
        "code": code,
        "message": message,
        "innerError": {
            "date": graph_error_date(),
            "request-id": ids.request_id,
            "client-request-id": ids.client_request_id,
        }
    });
    if let (Some(d), Value::Object(map)) = (details, &mut error) {
        map.insert("details".to_owned(), Value::Array(d));
    }
    Reply::json_typed(status, &json!({ "error": error }), ODATA_JSON)
}

/// What handlers get besides the state: the caller's token, the query and URLs.
pub(crate) struct Ctx<'a> {
    pub token: TokenInfo,
    pub req: &'a Req,
    /// `{graph}/v1.0`
    pub root: String,
    /// The token's permissions that Microsoft's map says allow this request.
    pub granted: Vec<String>,
}

impl Ctx<'_> {
    pub fn ok(&self, status: u16, value: &Value) -> GResult {
        Ok(Reply::json_typed(status, value, ODATA_JSON))
    }
}

pub(crate) fn handle(st: &mut State, req: &Req, ids: &GraphIds) -> Reply {
    let reply = answer(st, req, ids);
    let entry = contract_entry(st, req, reply.status);
    st.contract_log.push(entry);
    reply
}

/// What the contract test needs to know of a request (`crate::contract::Entry`).
fn contract_entry(st: &State, req: &Req, status: u16) -> contract::Entry {
    let path = req
        .path
        .strip_prefix("/graph/v1.0")
        .unwrap_or(&req.path)
        .to_owned();
    let token = req.bearer().and_then(|t| st.tokens.get(t));
    let body: Option<Value> = if matches!(req.method.as_str(), "POST" | "PATCH") {
        serde_json::from_slice(&req.body).ok()
    } else {
        None
    };
    let select = req.query_value("$select");
    let schema_errors = contract::Schema::ALL
        .iter()
        .filter_map(|s| {
            contract::check_request(*s, &req.method, &path, select, body.as_ref())
                .err()
                .map(|e| format!("{}: {e}", s.name()))
        })
        .collect();
    let user = token
        .filter(|t| t.delegated)
        .and_then(|t| st.users.iter().find(|u| u.id == t.oid))
        .map(|u| u.user_principal_name.clone());
    contract::Entry {
        method: req.method.clone(),
        path: contract::template(&path),
        delegated: token.is_some_and(|t| t.delegated),
        client_id: token.map(|t| t.app_id.clone()).unwrap_or_default(),
        user,
        held: token
            .map(|t| {
                if t.delegated {
                    t.scp.clone()
                } else {
                    t.roles.clone()
                }
            })
            .unwrap_or_default(),
        status,
        schema_errors,
    }
}

/// A read's or a create's answer as the emulated cloud's schema has it: what that cloud
/// lacks is not in it (`contract::prune`).
fn as_the_cloud_has_it(st: &State, req: &Req, mut reply: Reply) -> Reply {
    let path = req.path.strip_prefix("/graph/v1.0").unwrap_or(&req.path);
    let template = contract::template(path);
    let segs: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let Some(entity) = segs
        .first()
        .and_then(|f| contract::entity_of(f.split('(').next().unwrap_or_default()))
    else {
        return reply;
    };
    let whole = segs.len() == 1 || (segs.len() == 2 && !segs[0].contains('('));
    let shaped = match req.method.as_str() {
        "GET" => whole,
        "POST" => segs.len() == 1,
        _ => false,
    };
    if !shaped || !(200..300).contains(&reply.status) {
        return reply;
    }
    let Some(mut body) = reply
        .body
        .as_deref()
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
    else {
        return reply;
    };
    let schema = contract::Schema::of(st.config.cloud);
    match body.get_mut("value").and_then(Value::as_array_mut) {
        Some(items) => items.iter_mut().for_each(|i| {
            contract::prune(schema, entity, i);
        }),
        None => {
            contract::prune(schema, entity, &mut body);
        }
    }
    reply.body = serde_json::to_vec(&body).ok();
    reply
}

fn answer(st: &mut State, req: &Req, ids: &GraphIds) -> Reply {
    match dispatch(st, req) {
        Ok(reply) => as_the_cloud_has_it(st, req, reply),
        Err(e) => {
            let mut reply = error_reply(ids, e.status, &e.code, &e.message, e.details);
            for (k, v) in e.headers {
                reply = reply.with_header(&k, v);
            }
            reply
        }
    }
}

fn dispatch(st: &mut State, req: &Req) -> GResult {
    let segs = segments(req.path.strip_prefix("/graph").unwrap_or(""));
    match segs.first().map(String::as_str) {
        Some("v1.0") => {}
        Some(other) => {
            return Err(GErr::new(
                400,
                "BadRequest",
                format!("Invalid version: {other}"),
            ));
        }
        None => return Err(GErr::no_segment("")),
    }
    let token = authenticate(st, req)?;
    let rest: Vec<&str> = segs[1..].iter().map(String::as_str).collect();
    let Some(first) = rest.first() else {
        return Err(GErr::no_segment(""));
    };
    let granted = authorize(&token, &req.method, &rest)?;
    check_schema(st, req, &rest)?;
    let ctx = Ctx {
        token,
        req,
        root: format!("{}/v1.0", st.graph_url()),
        granted,
    };
    let entity = first.split('(').next().unwrap_or_default();
    match entity {
        "applications" => apps::route(st, &ctx, &rest),
        "servicePrincipals" => sps::route(st, &ctx, &rest),
        "oauth2PermissionGrants" => grants::route(st, &ctx, &rest),
        "organization" | "me" => org::route(st, &ctx, &rest),
        "policies" => policies::route(st, &ctx, &rest),
        _ => Err(GErr::no_segment(first)),
    }
}

/// Which of the token's permissions allow this method on this path, as Microsoft's
/// permissions map says (`crate::contract`); none → 403. A path the map does not know
/// for any method is left to the handlers (400 for an unknown segment); one it knows
/// for other methods is 405.
fn authorize(token: &TokenInfo, method: &str, rest: &[&str]) -> Result<Vec<String>, GErr> {
    let template = contract::template(&format!("/{}", rest.join("/")));
    if !token.delegated && (template == "/me" || template.starts_with("/me/")) {
        // Graph's own answer to an app-only /me (400) comes first (org.rs).
        return Ok(Vec::new());
    }
    if !contract::in_map(method, &template) {
        return if contract::path_in_map(&template) {
            Err(GErr::method_not_allowed())
        } else {
            Ok(Vec::new())
        };
    }
    let (held, scheme) = if token.delegated {
        (&token.scp, contract::Scheme::Delegated)
    } else {
        (&token.roles, contract::Scheme::Application)
    };
    let allowing = contract::allowing(held, scheme, method, &template);
    if allowing.is_empty() {
        return Err(GErr::denied());
    }
    Ok(allowing.into_iter().map(str::to_owned).collect())
}

/// The body of a create, an update or an action, and `$select`, against the emulated
/// cloud's schema (`crate::contract`): an unknown property, one this cloud lacks, or a
/// value of the wrong type is Graph's 400. Bodies that are not JSON objects are left to
/// the handlers' reader.
fn check_schema(st: &State, req: &Req, rest: &[&str]) -> Result<(), GErr> {
    let schema = contract::Schema::of(st.config.cloud);
    let body: Option<Value> = if matches!(req.method.as_str(), "POST" | "PATCH") {
        serde_json::from_slice(&req.body)
            .ok()
            .filter(Value::is_object)
    } else {
        None
    };
    let path = format!("/{}", rest.join("/"));
    contract::check_request(
        schema,
        &req.method,
        &path,
        req.query_value("$select"),
        body.as_ref(),
    )
    .map_err(|e| {
        let code = if e.target == "$select" {
            "Request_BadRequest"
        } else {
            "BadRequest"
        };
        GErr::new(400, code, e.message.clone()).detail(code, e.message, &e.target)
    })
}

/// Bearer required; only tokens the emulated Entra issued (or a test minted), unexpired
/// (docs/sign-in.md §12: expired or foreign token → 401 `InvalidAuthenticationToken`).
fn authenticate(st: &State, req: &Req) -> Result<TokenInfo, GErr> {
    let unauthorized = |message: &str| {
        let mut e = GErr::new(401, "InvalidAuthenticationToken", message);
        e.headers.push((
            "www-authenticate".to_owned(),
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"".to_owned(),
        ));
        e
    };
    let Some(token) = req.bearer() else {
        return Err(unauthorized("Access token is empty."));
    };
    if token.split('.').count() != 3 {
        return Err(unauthorized(
            "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
        ));
    }
    let Some(info) = st.tokens.get(token) else {
        return Err(unauthorized(
            "Access token validation failure. Invalid audience.",
        ));
    };
    if info.exp <= super::util::unix_now() {
        return Err(unauthorized(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    Ok(info.clone())
}

/// How much of a collection a token may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    All,
    /// `Application.ReadWrite.OwnedBy`: only objects the caller owns.
    Owned,
    None,
}

/// Whether the token's only grant for this request is `Directory.AccessAsUser.All`:
/// acting as the user, whose role then decides (`crate::contract`'s notes).
fn only_as_user(ctx: &Ctx<'_>) -> bool {
    ctx.token.delegated
        && ctx
            .granted
            .iter()
            .all(|g| g.eq_ignore_ascii_case(contract::AS_USER))
}

/// Reading applications and service principals: whatever Microsoft's map allows
/// (`Application.ReadWrite.OwnedBy` included: the map lets it list every application
/// and service principal; only its writes are limited to what it owns).
pub(crate) fn app_read_access(ctx: &Ctx<'_>) -> Access {
    if ctx.granted.is_empty() {
        Access::None
    } else {
        Access::All
    }
}

/// Creating, changing and deleting applications and service principals: what the map
/// allows, narrowed as Entra narrows it (`crate::contract`'s notes): OwnedBy and
/// AppRegistration.Create change only what the caller owns, and so does a user whose
/// role limits them to their own objects (Application Developer).
pub(crate) fn app_write_access(ctx: &Ctx<'_>) -> Access {
    let t = &ctx.token;
    if ctx.granted.is_empty() {
        Access::None
    } else if (t.delegated && t.owner_only)
        || ctx.granted.iter().all(|g| {
            contract::OWNED_ONLY
                .iter()
                .any(|o| o.eq_ignore_ascii_case(g))
        })
    {
        Access::Owned
    } else {
        Access::All
    }
}

/// Reading delegated permission grants: what the map allows (Directory.Read.All at
/// least, or DelegatedPermissionGrant.ReadWrite.All; not Application.ReadWrite.All nor
/// DelegatedPermissionGrant.Read.All); acting as an Application Developer, no.
pub(crate) fn grant_read(ctx: &Ctx<'_>) -> bool {
    let developer_as_user = ctx.token.owner_only && only_as_user(ctx);
    !ctx.granted.is_empty() && !developer_as_user
}

/// Writing delegated permission grants: what the map allows, and a user must also hold
/// a role that may consent tenant-wide, which an Application Developer does not.
pub(crate) fn grant_write(ctx: &Ctx<'_>) -> bool {
    let developer = ctx.token.delegated && ctx.token.owner_only;
    !ctx.granted.is_empty() && !developer
}

/// Reading app management policies: what the map allows, and a user must also hold a
/// role that may read them (Global Reader at least, Graph's reference for the policy
/// reads says), which an Application Developer does not.
pub(crate) fn policy_read(ctx: &Ctx<'_>) -> bool {
    let developer = ctx.token.delegated && ctx.token.owner_only;
    !ctx.granted.is_empty() && !developer
}

/// `GET /organization`, `GET /me`: what the map allows.
pub(crate) fn org_read(ctx: &Ctx<'_>) -> bool {
    !ctx.granted.is_empty()
}

/// Who owns what a caller creates, as Entra decides: an app-only caller (its service
/// principal) always; a user only when their role creates "as owner"
/// (`microsoft.directory/applications/createAsOwner`: Application Developer and
/// ordinary members, whose creations count against their 250-object quota), never an
/// administrator, whose role holds `applications/create` (Entra's role permission
/// reference, "Application Developer" and "applications/create").
pub(crate) fn creator_owners(t: &TokenInfo) -> Vec<String> {
    if !t.delegated || t.owner_only {
        vec![t.oid.clone()]
    } else {
        Vec::new()
    }
}

/// Counts an object a user creates as owner against Entra's quota for users who are not
/// administrators (250, deleted objects included: see `contract`'s notes);
/// 400 `Directory_QuotaExceeded` once it is used up.
pub(crate) fn count_created(st: &mut State, t: &TokenInfo) -> Result<(), GErr> {
    if !t.delegated || !t.owner_only {
        return Ok(());
    }
    let quota = st.config.user_object_quota;
    let Some(user) = st.users.iter_mut().find(|u| u.id == t.oid) else {
        return Ok(());
    };
    if user.created_objects >= quota {
        return Err(GErr::new(
            400,
            "Directory_QuotaExceeded",
            "The directory object quota limit for the Principal has been exceeded. Please ask your administrator to increase the quota limit or delete objects to reduce the used quota.",
        ));
    }
    user.created_objects += 1;
    Ok(())
}

pub(crate) fn owns(t: &TokenInfo, owners: &[String]) -> bool {
    owners.iter().any(|o| o.eq_ignore_ascii_case(&t.oid))
}

/// Parses `entity(appId='…')`: `Some(Ok(appId))`, `Some(Err)` for a malformed key, `None`
/// when the segment has no key.
pub(crate) fn alternate_key(segment: &str, entity: &str) -> Option<Result<String, GErr>> {
    let inner = segment.strip_prefix(entity)?.strip_prefix('(')?;
    let Some(inner) = inner.strip_suffix(')') else {
        return Some(Err(GErr::no_segment(segment)));
    };
    let value = inner
        .strip_prefix("appId=")
        .and_then(|v| v.strip_prefix('\''))
        .and_then(|v| v.strip_suffix('\''))
        .map(|v| v.replace("''", "'"));
    Some(value.ok_or_else(|| GErr::no_segment(segment)))
}
