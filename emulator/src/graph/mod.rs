//! Emulated Microsoft Graph v1.0 (`/graph/v1.0`): the slice `aad-setup` calls
//! (microsoft-graph.md §2, checklist §7).
//!
//! Every request needs a token the emulated Entra issued; every route checks the
//! token's `roles`/`scp`; every response carries `request-id` and `client-request-id`;
//! errors have Graph's body shape (microsoft-graph.md §4.1). Submodules: `odata`
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

    /// 404 `Request_ResourceNotFound`: absent, or not yet replicated (microsoft-graph.md §4.1, §5).
    pub fn not_found(id: &str) -> Self {
        Self::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// 403 `Authorization_RequestDenied` (microsoft-graph.md §4.2).
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

/// Graph's error body (microsoft-graph.md §4.1).
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
}

impl Ctx<'_> {
    pub fn ok(&self, status: u16, value: &Value) -> GResult {
        Ok(Reply::json_typed(status, value, ODATA_JSON))
    }
}

pub(crate) fn handle(st: &mut State, req: &Req, ids: &GraphIds) -> Reply {
    match dispatch(st, req) {
        Ok(reply) => reply,
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
    let ctx = Ctx {
        token,
        req,
        root: format!("{}/v1.0", st.graph_url()),
    };
    let rest: Vec<&str> = segs[1..].iter().map(String::as_str).collect();
    let Some(first) = rest.first() else {
        return Err(GErr::no_segment(""));
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

/// Bearer required; only tokens the emulated Entra issued (or a test minted), unexpired
/// (entra-sign-in.md §12: expired or foreign token → 401 `InvalidAuthenticationToken`).
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

// Delegated tokens of Azure CLI carry `Directory.AccessAsUser.All` (act as the signed-in
// user): for the emulated Global Administrator that grants everything; for a user whose
// role limits them to their own objects it grants what that role allows.
const AS_USER: &str = "Directory.AccessAsUser.All";

fn delegated_as_user(t: &TokenInfo) -> bool {
    t.delegated && t.has_any(&[AS_USER])
}

/// Reading applications and service principals (microsoft-graph.md §2.1, §2.7, §2.8).
/// `Application.ReadWrite.OwnedBy` may list every application and service principal:
/// the permission tables of both list calls accept it (microsoft-graph.md §2.7); only
/// its writes are limited to what it owns. Reading one object by id is allowed alike
/// [inf]: a list already returns the same object.
pub(crate) fn app_read_access(t: &TokenInfo) -> Access {
    let readers = [
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ];
    if t.has_any(&readers)
        || delegated_as_user(t)
        || (!t.delegated && t.has_any(&["Application.ReadWrite.OwnedBy"]))
    {
        Access::All
    } else {
        Access::None
    }
}

/// Creating, changing and deleting applications and service principals
/// (microsoft-graph.md §2.2, §2.7; entra-sign-in.md §1). A delegated token acts within
/// the user's role: an Application Developer changes only what they own.
pub(crate) fn app_write_access(t: &TokenInfo) -> Access {
    if t.has_any(&["Application.ReadWrite.All"]) || delegated_as_user(t) {
        if t.delegated && t.owner_only {
            Access::Owned
        } else {
            Access::All
        }
    } else if !t.delegated && t.has_any(&["Application.ReadWrite.OwnedBy"]) {
        Access::Owned
    } else {
        Access::None
    }
}

/// Reading delegated permission grants: `Directory.Read.All` at least, or a grant
/// permission; `Application.ReadWrite.All` alone is refused (microsoft-graph.md §2.9).
pub(crate) fn grant_read(t: &TokenInfo) -> bool {
    t.has_any(&[
        "DelegatedPermissionGrant.Read.All",
        "DelegatedPermissionGrant.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ]) || (delegated_as_user(t) && !t.owner_only)
}

/// Writing delegated permission grants (microsoft-graph.md §2.9); a user must also hold
/// a role that may consent tenant-wide, which an Application Developer does not.
pub(crate) fn grant_write(t: &TokenInfo) -> bool {
    if t.delegated && t.owner_only {
        return false;
    }
    t.has_any(&[
        "DelegatedPermissionGrant.ReadWrite.All",
        "Directory.ReadWrite.All",
    ]) || delegated_as_user(t)
}

/// `GET /organization` (microsoft-graph.md §2.10; entra-sign-in.md §1).
pub(crate) fn org_read(t: &TokenInfo) -> bool {
    t.has_any(&[
        "Organization.Read.All",
        "Organization.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ]) || (t.delegated && t.has_any(&["User.Read", AS_USER]))
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
