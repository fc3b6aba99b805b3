//! Emulated workflow platform API (Catalytic SDK API v2.0.0, `/platform/v2.0.0/api`):
//! integrations, their connections, and the access-token approval flow
//! (docs/platform.md §2–§5, checklist §10).
//!
//! The team comes from the bearer token's domain; members may read but not create, and
//! see only their own connections; errors are ProblemDetails, optionally Pascal-cased.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::Shared;
use super::state::{Connection, ConnectionParam, Integration, PlatformToken, State, TokenApproval};
use super::util::{
    PROBLEM_JSON, Reply, Req, b64_std, decode_platform_token, iso_seconds, new_guid, now, segments,
    slug, trace_id,
};

/// SDK default page size (docs/platform.md §3.2).
const DEFAULT_PAGE_SIZE: usize = 25;
/// [unk] the server's maximum page size: larger requests get pages of 100.
const MAX_PAGE_SIZE: usize = 100;
/// Default `waitTimeMillis` (docs/platform.md §2.4).
const DEFAULT_WAIT_MILLIS: u64 = 300_000;

fn title_and_type(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => (
            "Bad Request",
            "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        ),
        401 => (
            "Unauthorized",
            "https://tools.ietf.org/html/rfc7235#section-3.1",
        ),
        403 => (
            "Forbidden",
            "https://tools.ietf.org/html/rfc7231#section-6.5.3",
        ),
        404 => (
            "Not Found",
            "https://tools.ietf.org/html/rfc7231#section-6.5.4",
        ),
        405 => (
            "Method Not Allowed",
            "https://tools.ietf.org/html/rfc7231#section-6.5.5",
        ),
        409 => (
            "Conflict",
            "https://tools.ietf.org/html/rfc7231#section-6.5.8",
        ),
        415 => (
            "Unsupported Media Type",
            "https://tools.ietf.org/html/rfc7231#section-6.5.13",
        ),
        429 => (
            "Too Many Requests",
            "https://tools.ietf.org/html/rfc6585#section-4",
        ),
        502 => (
            "Bad Gateway",
            "https://tools.ietf.org/html/rfc7231#section-6.6.3",
        ),
        503 => (
            "Service Unavailable",
            "https://tools.ietf.org/html/rfc7231#section-6.6.4",
        ),
        504 => (
            "Gateway Timeout",
            "https://tools.ietf.org/html/rfc7231#section-6.6.5",
        ),
        _ => (
            "An error occurred while processing your request.",
            "https://tools.ietf.org/html/rfc7231#section-6.6.1",
        ),
    }
}

/// An ASP.NET Core ProblemDetails body (docs/platform.md §5), Pascal-cased on request.
pub(crate) fn problem(pascal: bool, status: u16, detail: &str) -> Reply {
    problem_with(pascal, status, None, detail, None)
}

fn problem_with(
    pascal: bool,
    status: u16,
    title: Option<&str>,
    detail: &str,
    errors: Option<Value>,
) -> Reply {
    let (default_title, kind) = title_and_type(status);
    let key =
        |camel: &'static str, pascal_key: &'static str| if pascal { pascal_key } else { camel };
    let mut map = Map::new();
    map.insert(key("type", "Type").to_owned(), json!(kind));
    map.insert(
        key("title", "Title").to_owned(),
        json!(title.unwrap_or(default_title)),
    );
    map.insert(key("status", "Status").to_owned(), json!(status));
    map.insert(key("detail", "Detail").to_owned(), json!(detail));
    map.insert(key("traceId", "TraceId").to_owned(), json!(trace_id()));
    if let Some(e) = errors {
        map.insert(key("errors", "Errors").to_owned(), e);
    }
    Reply::json_typed(status, &Value::Object(map), PROBLEM_JSON)
}

/// A platform error before it becomes a reply.
struct PErr {
    status: u16,
    detail: String,
    title: Option<&'static str>,
    errors: Option<Value>,
}

impl PErr {
    fn new(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            title: None,
            errors: None,
        }
    }

    /// A model-binding failure, ASP.NET Core style (`errors` keyed by JSON path).
    fn validation(path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status: 400,
            detail: message.clone(),
            title: Some("One or more validation errors occurred."),
            errors: Some(json!({ path: [message] })),
        }
    }
}

type PResult = Result<Reply, PErr>;

pub(crate) async fn handle(shared: &Arc<Shared>, req: &Req) -> Reply {
    let pascal = shared.lock().config.platform.pascal_case_errors;
    let result = if is_wait_for_approval(req) {
        wait_for_approval(shared, req).await
    } else {
        dispatch(&mut shared.lock(), req)
    };
    result.unwrap_or_else(|e| problem_with(pascal, e.status, e.title, &e.detail, e.errors))
}

fn is_wait_for_approval(req: &Req) -> bool {
    req.method == "POST"
        && req.path.trim_end_matches('/') == "/platform/v2.0.0/api/auth/wait-for-approval"
}

fn not_found() -> PErr {
    PErr::new(404, "The requested resource was not found.")
}

fn dispatch(st: &mut State, req: &Req) -> PResult {
    let Some(rest) = req.path.strip_prefix("/platform/v2.0.0/") else {
        return Err(not_found());
    };
    let segs = segments(rest);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["api", "auth"] => {
            if req.method != "POST" {
                return Err(PErr::new(405, "Method not allowed."));
            }
            create_access_token(st, req)
        }
        ["api", "integrations", rest @ ..] => {
            let route = integration_route(st, rest).ok_or_else(not_found)?;
            let caller = authenticate(st, req)?;
            match (route, req.method.as_str()) {
                (Route::List, "GET") => list(st, req, &caller),
                (Route::Get(id), "GET") => get(st, &id, &caller),
                (Route::Create(id), "POST") => create_connection(st, req, &id, &caller),
                (Route::Connection(iid, cid), "GET") => {
                    let i = find_connection(st, &iid, &cid, &caller)?;
                    Ok(Reply::json(
                        200,
                        &connection_json(&st.platform.connections[i]),
                    ))
                }
                (Route::Connection(iid, cid), "DELETE") => {
                    let i = find_connection(st, &iid, &cid, &caller)?;
                    if !caller.user.admin {
                        // Only admins manage integrations (docs/platform.md §8); [unk] whether
                        // a member may delete a connection: strict, no.
                        return Err(PErr::new(
                            403,
                            "You do not have permission to delete this connection.",
                        ));
                    }
                    st.platform.connections.remove(i);
                    Ok(Reply::empty(204))
                }
                _ => Err(PErr::new(405, "Method not allowed.")),
            }
        }
        _ => Err(not_found()),
    }
}

enum Route {
    List,
    Get(String),
    Create(String),
    Connection(String, String),
}

/// Maps the segments after `/api/integrations` to a route. Ids with slashes come either
/// percent-encoded as one segment or as three segments; `-` is the wildcard integration
/// id for connection get/delete (docs/platform.md §3.1).
fn integration_route(st: &State, segs: &[&str]) -> Option<Route> {
    let exists = |id: &str| st.platform.integrations.iter().any(|i| i.id == id);
    Some(match segs {
        [] => Route::List,
        [id] => Route::Get((*id).to_owned()),
        [id, "connections"] => Route::Create((*id).to_owned()),
        [a, "connections", c]
            if a.contains('/') || *a == "-" || !exists(&format!("{a}/connections/{c}")) =>
        {
            Route::Connection((*a).to_owned(), (*c).to_owned())
        }
        [a, b, c] => Route::Get(format!("{a}/{b}/{c}")),
        [a, b, c, "connections"] => Route::Create(format!("{a}/{b}/{c}")),
        [a, b, c, "connections", id] => Route::Connection(format!("{a}/{b}/{c}"), (*id).to_owned()),
        _ => return None,
    })
}

/// Bearer = the serialized token: base64 of four non-empty `:`-separated parts whose id
/// and secret belong to an approved token (docs/platform.md §2.1).
fn authenticate(st: &State, req: &Req) -> Result<PlatformToken, PErr> {
    let Some(raw) = req.bearer() else {
        return Err(PErr::new(
            401,
            "An access token is required (Authorization: Bearer <token>).",
        ));
    };
    let invalid = || PErr::new(401, "The access token is invalid or has been revoked.");
    let parts = decode_platform_token(raw).ok_or_else(invalid)?;
    st.platform
        .tokens
        .iter()
        .find(|t| {
            t.id == parts[0]
                && t.secret == parts[1]
                && t.domain.eq_ignore_ascii_case(&parts[2])
                && t.environment == parts[3]
                && t.approval == TokenApproval::Approved
        })
        .cloned()
        .ok_or_else(invalid)
}

fn integration_not_found(id: &str) -> PErr {
    PErr::new(404, format!("Integration with id {id} not found"))
}

fn find_integration<'a>(st: &'a State, id: &str) -> Result<&'a Integration, PErr> {
    st.platform
        .integrations
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(|| integration_not_found(id))
}

/// Who may view a connection: admins of its team see all, members only their own
/// (docs/platform.md §4, §8).
fn may_view(c: &Connection, caller: &PlatformToken) -> bool {
    caller.user.admin || c.created_by == caller.user.id
}

fn connection_json(c: &Connection) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "referenceName": c.reference_name,
        "integrationId": c.integration_id,
        "createdAt": iso_seconds(c.created_at),
    })
}

fn integration_json(st: &State, integ: &Integration, caller: &PlatformToken) -> Value {
    let connections: Vec<Value> = st
        .platform
        .connections
        .iter()
        .filter(|c| {
            c.integration_id == integ.id
                && c.team.eq_ignore_ascii_case(&caller.domain)
                && may_view(c, caller)
        })
        .map(connection_json)
        .collect();
    json!({
        "id": integ.id,
        "referenceName": integ.reference_name,
        "name": integ.name,
        "isCustomIntegration": false,
        "connections": connections,
        "connectionParams": integ.fields.iter().map(|f| json!({
            "id": f.id,
            "name": f.name,
            "referenceName": f.reference_name,
            "description": f.description,
            "example": null,
            "position": f.position,
            "display": {"choices": [], "valueRequired": f.required},
            "fieldType": f.field_type,
            "value": null,
            "templateValue": null,
            "defaultValue": null,
        })).collect::<Vec<_>>(),
    })
}

fn list(st: &State, req: &Req, caller: &PlatformToken) -> PResult {
    // v2.0.0 binds only `page_size` and `page_token` (docs/platform.md §3.2); an ASP.NET
    // API ignores parameters it does not bind, such as the `query` the platform's Node
    // SDK still sends for `find({query})`. So they are ignored, not refused.
    let size = match req.query_value("page_size") {
        None => DEFAULT_PAGE_SIZE,
        Some(s) => match s.parse::<usize>() {
            // Over the maximum: capped, as paging APIs do, not refused.
            Ok(n) if n >= 1 => n.min(MAX_PAGE_SIZE),
            _ => {
                return Err(PErr::validation(
                    "page_size",
                    format!("The value '{s}' is not valid for page_size."),
                ));
            }
        },
    };
    let offset = match req.query_value("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => decode_page_token(t).ok_or_else(|| {
            PErr::validation(
                "page_token",
                format!("The value '{t}' is not a valid page_token."),
            )
        })?,
    };
    let all = &st.platform.integrations;
    let end = (offset + size).min(all.len());
    let start = offset.min(end);
    let page: Vec<Value> = all[start..end]
        .iter()
        .map(|i| integration_json(st, i, caller))
        .collect();
    let next = if end < all.len() {
        encode_page_token(end)
    } else {
        String::new()
    };
    // `count`: the number of integrations in this page ([unk] whether it is the total).
    Ok(Reply::json(
        200,
        &json!({"integrations": page, "nextPageToken": next, "count": end - start}),
    ))
}

fn encode_page_token(offset: usize) -> String {
    b64_std(format!("offset:{offset}").as_bytes())
}

fn decode_page_token(t: &str) -> Option<usize> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD.decode(t).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

fn get(st: &State, id: &str, caller: &PlatformToken) -> PResult {
    if id == "-" {
        return Err(integration_not_found(id));
    }
    let integ = find_integration(st, id)?;
    Ok(Reply::json(200, &integration_json(st, integ, caller)))
}

fn find_connection(
    st: &State,
    integration_id: &str,
    connection_id: &str,
    caller: &PlatformToken,
) -> Result<usize, PErr> {
    if integration_id != "-" {
        find_integration(st, integration_id)?;
    }
    let i = st
        .platform
        .connections
        .iter()
        .position(|c| {
            c.id.eq_ignore_ascii_case(connection_id)
                && c.team.eq_ignore_ascii_case(&caller.domain)
                && (integration_id == "-" || c.integration_id == integration_id)
        })
        .ok_or_else(|| PErr::new(404, format!("Connection with id {connection_id} not found")))?;
    if !may_view(&st.platform.connections[i], caller) {
        return Err(PErr::new(
            403,
            "You do not have permission to view this connection.",
        ));
    }
    Ok(i)
}

/// JSON request bodies the API accepts (docs/platform.md §1); anything else is 415.
fn json_body(req: &Req) -> Result<Value, PErr> {
    let media = req.media_type().unwrap_or_default();
    let ok = media == "application/json"
        || media == "text/json"
        || media == "application/json-patch+json"
        || (media.starts_with("application/") && media.ends_with("+json"));
    if !ok {
        return Err(PErr::new(
            415,
            "The request body must be JSON (Content-Type: application/json).",
        ));
    }
    serde_json::from_slice::<Value>(&req.body)
        .map_err(|e| PErr::validation("$", format!("The JSON value could not be read: {e}")))
}

fn create_connection(st: &mut State, req: &Req, path_id: &str, caller: &PlatformToken) -> PResult {
    let integ = find_integration(st, path_id)?.clone();
    if !caller.user.admin {
        // Integrations are set up only by Admin users (docs/platform.md §8; docs/design.md: a
        // member's token is refused only at the POST, 403).
        return Err(PErr::new(
            403,
            format!(
                "You do not have permission to create connections for integration {}.",
                integ.id
            ),
        ));
    }
    let body = json_body(req)?;
    let Value::Object(map) = body else {
        return Err(PErr::validation(
            "$",
            "The request body must be a JSON object.",
        ));
    };
    // [unk] whether unknown members are ignored; strict: refused.
    if let Some(k) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "integrationId" | "name" | "connectionParams"))
    {
        return Err(PErr::validation(
            &format!("$.{k}"),
            format!("Unknown property '{k}' in IntegrationConnectionCreationRequest."),
        ));
    }
    match map.get("integrationId") {
        Some(Value::String(id)) if id == &integ.id => {}
        Some(Value::String(id)) => {
            return Err(PErr::new(
                400,
                format!(
                    "integrationId '{id}' does not match the integration in the path ('{}').",
                    integ.id
                ),
            ));
        }
        Some(Value::Null) | None => {
            return Err(PErr::validation(
                "$.integrationId",
                "The integrationId field is required.",
            ));
        }
        Some(_) => {
            return Err(PErr::validation(
                "$.integrationId",
                "integrationId must be a string.",
            ));
        }
    }
    let name = match map.get("name") {
        Some(Value::String(n)) if !n.trim().is_empty() => n.clone(),
        Some(Value::String(_) | Value::Null) | None => {
            return Err(PErr::validation("$.name", "The name field is required."));
        }
        Some(_) => return Err(PErr::validation("$.name", "name must be a string.")),
    };
    let items = match map.get("connectionParams") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => {
            return Err(PErr::validation(
                "$.connectionParams",
                "connectionParams must be an array.",
            ));
        }
    };
    let mut values: Vec<Option<String>> = vec![None; integ.fields.len()];
    for (n, item) in items.iter().enumerate() {
        let path = format!("$.connectionParams[{n}]");
        let Value::Object(p) = item else {
            return Err(PErr::validation(
                &path,
                "Each connection parameter must be an object.",
            ));
        };
        if let Some(k) = p
            .keys()
            .find(|k| !matches!(k.as_str(), "name" | "referenceName" | "value"))
        {
            return Err(PErr::validation(
                &format!("{path}.{k}"),
                format!("Unknown property '{k}' in a connection parameter."),
            ));
        }
        let text = |key: &str| -> Result<Option<String>, PErr> {
            match p.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(PErr::validation(
                    &format!("{path}.{key}"),
                    format!("{key} must be a string."),
                )),
            }
        };
        let (param_name, param_ref) = (text("name")?, text("referenceName")?);
        // Match by referenceName, else by name (docs/platform.md §7 step 3, 5).
        let field = match (&param_ref, &param_name) {
            (Some(r), _) => integ.fields.iter().position(|f| &f.reference_name == r).ok_or_else(|| {
                PErr::new(
                    400,
                    format!(
                        "Unknown connection parameter referenceName '{r}' for integration {}. Fields: {}.",
                        integ.id,
                        field_list(&integ)
                    ),
                )
            })?,
            (None, Some(nm)) => integ.fields.iter().position(|f| &f.name == nm).ok_or_else(|| {
                PErr::new(
                    400,
                    format!(
                        "Unknown connection parameter name '{nm}' for integration {}. Fields: {}.",
                        integ.id,
                        field_list(&integ)
                    ),
                )
            })?,
            (None, None) => {
                return Err(PErr::validation(
                    &path,
                    "A connection parameter needs a name or a referenceName.",
                ));
            }
        };
        let f = &integ.fields[field];
        if let (Some(nm), Some(_)) = (&param_name, &param_ref) {
            if nm != &f.name {
                return Err(PErr::new(
                    400,
                    format!(
                        "Connection parameter name '{nm}' does not match referenceName '{}' (field '{}').",
                        f.reference_name, f.name
                    ),
                ));
            }
        }
        let value = match p.get("value") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                // All values travel as strings (docs/platform.md §4).
                return Err(PErr::validation(
                    &format!("{path}.value"),
                    format!(
                        "The value of connection parameter '{}' must be a string.",
                        f.name
                    ),
                ));
            }
        };
        if values[field].is_some() {
            return Err(PErr::new(
                400,
                format!(
                    "Connection parameter '{}' ({}) is given more than once.",
                    f.name, f.reference_name
                ),
            ));
        }
        values[field] = Some(value.unwrap_or_default());
    }
    for (f, v) in integ.fields.iter().zip(&values) {
        if f.required && v.as_deref().is_none_or(|s| s.trim().is_empty()) {
            return Err(PErr::new(
                400,
                format!(
                    "Connection parameter '{}' ({}) is required.",
                    f.name, f.reference_name
                ),
            ));
        }
    }
    // Whether the platform accepts a second connection of one name is [unk]; the spec
    // lists only 400 for create, so by default the duplicate is refused with 400
    // (docs/platform.md §7 item 6), unless configured to allow it.
    if !st.config.platform.allow_duplicate_connection_names
        && st.platform.connections.iter().any(|c| {
            c.integration_id == integ.id
                && c.team == caller.domain
                && c.name.eq_ignore_ascii_case(&name)
        })
    {
        return Err(PErr::validation(
            "$.name",
            format!(
                "A connection named '{name}' already exists for integration {}.",
                integ.id
            ),
        ));
    }
    // Reference names are made unique.
    let base = slug(&name);
    let base = if base.is_empty() {
        "connection".to_owned()
    } else {
        base
    };
    let mut reference_name = base.clone();
    let mut n = 2;
    while st
        .platform
        .connections
        .iter()
        .any(|c| c.integration_id == integ.id && c.reference_name == reference_name)
    {
        reference_name = format!("{base}-{n}");
        n += 1;
    }
    let connection = Connection {
        id: new_guid(),
        integration_id: integ.id.clone(),
        name,
        reference_name,
        team: caller.domain.clone(),
        created_at: now(),
        created_by: caller.user.id.clone(),
        params: integ
            .fields
            .iter()
            .zip(values)
            .filter_map(|(f, v)| {
                v.map(|value| ConnectionParam {
                    name: f.name.clone(),
                    reference_name: f.reference_name.clone(),
                    value,
                    is_password: f.field_type == "password",
                })
            })
            .collect(),
    };
    let value = connection_json(&connection);
    st.platform.connections.push(connection);
    Ok(Reply::json(201, &value))
}

fn field_list(integ: &Integration) -> String {
    integ
        .fields
        .iter()
        .map(|f| {
            format!(
                "'{}' ({}, {}{})",
                f.name,
                f.reference_name,
                f.field_type,
                if f.required { ", required" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

// --- Access-token approval flow (docs/platform.md §2.4) --------------------------------

fn access_token_json(t: &PlatformToken) -> Value {
    json!({
        "id": t.id,
        "domain": t.domain,
        "name": t.name,
        "type": "user",
        "token": t.serialized(),
        "secret": t.secret,
        "environment": t.environment,
        "owner": t.user.email,
    })
}

fn create_access_token(st: &mut State, req: &Req) -> PResult {
    let Value::Object(map) = json_body(req)? else {
        return Err(PErr::validation(
            "$",
            "The request body must be a JSON object.",
        ));
    };
    let domain = match map.get("domain") {
        Some(Value::String(d)) if !d.trim().is_empty() => d.trim().to_ascii_lowercase(),
        _ => {
            return Err(PErr::validation(
                "$.domain",
                "The domain field is required.",
            ));
        }
    };
    let name = match map.get("name") {
        Some(Value::String(n)) if !n.trim().is_empty() => n.clone(),
        None | Some(Value::Null) => "Catalytic SDK".to_owned(),
        _ => {
            return Err(PErr::validation(
                "$.name",
                "name must be a non-empty string.",
            ));
        }
    };
    if let Some(k) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "domain" | "name"))
    {
        return Err(PErr::validation(
            &format!("$.{k}"),
            format!("Unknown property '{k}'."),
        ));
    }
    let team = st.credentials.platform_team.clone();
    if domain != team {
        return Err(PErr::new(400, format!("Team '{domain}' was not found.")));
    }
    let admin = st
        .platform
        .tokens
        .iter()
        .find(|t| t.user.admin)
        .map(|t| t.user.clone())
        .ok_or_else(|| PErr::new(500, "no admin user"))?;
    let token = PlatformToken {
        id: new_guid(),
        secret: new_guid(),
        domain,
        environment: st.config.platform.environment.clone(),
        name,
        user: admin,
        approval: TokenApproval::Pending,
        created: Instant::now(),
    };
    let body = access_token_json(&token);
    st.issued_secrets.push(token.serialized());
    st.platform.tokens.push(token);
    Ok(Reply::json(201, &body))
}

/// Marks a pending token approved (or cancelled). `false` when no pending token has `id`.
pub(crate) fn decide_token(st: &mut State, id: &str, approve: bool) -> bool {
    match st
        .platform
        .tokens
        .iter_mut()
        .find(|t| t.id.eq_ignore_ascii_case(id) && t.approval == TokenApproval::Pending)
    {
        Some(t) => {
            t.approval = if approve {
                TokenApproval::Approved
            } else {
                TokenApproval::Cancelled
            };
            true
        }
        None => false,
    }
}

/// Blocks until the token is approved (200) or cancelled (401), or `waitTimeMillis`
/// passes. What the real API answers on timeout is [unk]; strict: 401 with a detail
/// saying it was not approved in time, so a client can never mistake it for approval.
async fn wait_for_approval(shared: &Arc<Shared>, req: &Req) -> PResult {
    let (token_id, wait) = {
        let st = shared.lock();
        let Value::Object(map) = json_body(req)? else {
            return Err(PErr::validation(
                "$",
                "The request body must be a JSON object.",
            ));
        };
        let token = match map.get("token") {
            Some(Value::String(t)) if !t.is_empty() => t.clone(),
            _ => return Err(PErr::validation("$.token", "The token field is required.")),
        };
        let wait = match map.get("waitTimeMillis") {
            None | Some(Value::Null) => DEFAULT_WAIT_MILLIS,
            Some(v) => v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                PErr::validation(
                    "$.waitTimeMillis",
                    "waitTimeMillis must be a positive integer.",
                )
            })?,
        };
        let parts = decode_platform_token(&token)
            .ok_or_else(|| PErr::new(401, "The access token is invalid."))?;
        let known = st
            .platform
            .tokens
            .iter()
            .any(|t| t.id == parts[0] && t.secret == parts[1]);
        if !known {
            return Err(PErr::new(401, "The access token is invalid."));
        }
        (parts[0].clone(), wait)
    };
    let deadline = Instant::now() + Duration::from_millis(wait);
    loop {
        {
            let mut st = shared.lock();
            let auto = st.config.platform.auto_approve_tokens_after_millis;
            let Some(t) = st.platform.tokens.iter_mut().find(|t| t.id == token_id) else {
                return Err(PErr::new(401, "The access token is invalid."));
            };
            if t.approval == TokenApproval::Pending
                && auto.is_some_and(|ms| t.created.elapsed() >= Duration::from_millis(ms))
            {
                t.approval = TokenApproval::Approved;
            }
            match t.approval {
                TokenApproval::Approved => return Ok(Reply::empty(200)),
                TokenApproval::Cancelled => {
                    return Err(PErr::new(401, "The access token request was cancelled."));
                }
                TokenApproval::Pending => {}
            }
        }
        if Instant::now() >= deadline {
            return Err(PErr::new(
                401,
                "The access token was not approved within waitTimeMillis.",
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
