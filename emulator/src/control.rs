//! The control plane (`/_emulator`), for the `aad-setup emulator` command and for tests
//! that drive the emulator out of process: state snapshot, credentials, minted tokens,
//! run-time configuration, and the "user" side of interactive flows (approving a device
//! code or a platform access token, the GitHub Actions OIDC endpoint). The same
//! approvals as HTML pages for a person are in `pages`. The README's emulator section
//! documents every route.
//!
//! These requests are not throttled, not faulted and not logged in the snapshot.

use serde_json::{Value, json};

use super::TokenKind;
use super::config;
use super::state::State;
use super::util::{Reply, Req, segments};

fn bad(message: impl Into<String>) -> Reply {
    Reply::json(400, &json!({"error": message.into()}))
}

fn body(req: &Req) -> Result<serde_json::Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad("the body must be a JSON object")),
    }
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v?.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

pub(crate) fn handle(st: &mut State, req: &Req) -> Reply {
    let segs = segments(req.path.strip_prefix("/_emulator").unwrap_or(""));
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    if let Some(reply) = super::pages::handle(st, req, &segs) {
        return reply;
    }
    let result = match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["state"]) => Ok(Reply::json(
            200,
            &serde_json::to_value(super::snapshot::build(st)).unwrap_or(Value::Null),
        )),
        ("GET", ["credentials"]) => Ok(Reply::json(
            200,
            &serde_json::to_value(&st.credentials).unwrap_or(Value::Null),
        )),
        ("GET", ["config"]) => Ok(Reply::json(
            200,
            &serde_json::to_value(&st.config).unwrap_or(Value::Null),
        )),
        ("PATCH", ["config"]) => patch_config(st, req),
        ("GET", ["clock"]) => Ok(clock_reply(st)),
        ("POST", ["clock"]) => advance_clock(st, req),
        ("POST", ["tokens"]) => mint(st, req),
        ("POST", ["device", decision @ ("approve" | "decline")]) => device(st, req, decision),
        ("POST", ["platform", decision @ ("approve" | "cancel")]) => platform(st, req, decision),
        ("GET", ["github-oidc"]) => Ok(super::entra::github_oidc(st, req)),
        _ => Ok(Reply::json(404, &json!({"error": "unknown control route"}))),
    };
    result.unwrap_or_else(|e| e)
}

fn patch_config(st: &mut State, req: &Req) -> Result<Reply, Reply> {
    let patch: Value = serde_json::from_slice(&req.body).map_err(|e| bad(e.to_string()))?;
    let next = config::patched(&st.config, &patch).map_err(bad)?;
    st.config = next;
    Ok(Reply::json(
        200,
        &serde_json::to_value(&st.config).unwrap_or(Value::Null),
    ))
}

/// The emulated services' time, and how far it runs ahead of this machine's.
fn clock_reply(st: &State) -> Reply {
    Reply::json(
        200,
        &json!({
            "now": super::util::now().to_string(),
            "offset_secs": st.config.clock_offset_secs,
        }),
    )
}

/// `{"advance_secs": N}`: the clock moves N seconds forward (back, if negative).
fn advance_clock(st: &mut State, req: &Req) -> Result<Reply, Reply> {
    let map = body(req)?;
    let secs = match (map.get("advance_secs"), map.len()) {
        (Some(v), 1) => v
            .as_i64()
            .ok_or_else(|| bad("advance_secs must be a whole number of seconds"))?,
        _ => return Err(bad("send {\"advance_secs\": N}")),
    };
    st.config.clock_offset_secs = st.config.clock_offset_secs.saturating_add(secs);
    // The new offset is this thread's clock from now on.
    super::clock::enter(st.config.clock_offset_secs);
    Ok(clock_reply(st))
}

/// `{"scp": [...], "user"?}` → delegated token (of the admin user, or the
/// user named: `admin`, `developer` or a UPN); `{"roles": [...]}` → app-only
/// token of the admin app.
fn mint(st: &mut State, req: &Req) -> Result<Reply, Reply> {
    let map = body(req)?;
    let user = match map.get("user") {
        None => None,
        Some(Value::String(u)) if st.user_index(u).is_some() => Some(u.clone()),
        Some(_) => return Err(bad("user must be admin or developer (or their UPN)")),
    };
    let kind = match (map.get("scp"), map.get("roles"), map.len(), user) {
        (Some(scp), None, 1, None) => TokenKind::Delegated(
            strings(Some(scp)).ok_or_else(|| bad("scp must be an array of strings"))?,
        ),
        (Some(scp), None, 2, Some(user)) => TokenKind::DelegatedAs(
            user,
            strings(Some(scp)).ok_or_else(|| bad("scp must be an array of strings"))?,
        ),
        (None, Some(roles), 1, None) => TokenKind::App(
            strings(Some(roles)).ok_or_else(|| bad("roles must be an array of strings"))?,
        ),
        _ => {
            return Err(bad(
                "send exactly one of {\"scp\": [...], \"user\"?: \"...\"} or {\"roles\": [...]}",
            ));
        }
    };
    let token = super::entra::mint(st, &kind);
    Ok(Reply::json(200, &json!({"access_token": token})))
}

/// The signed-in user approving (`{"user_code", "user"?, "scp"?}`) or declining a
/// device code.
fn device(st: &mut State, req: &Req, decision: &str) -> Result<Reply, Reply> {
    let map = body(req)?;
    let code = map
        .get("user_code")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("user_code is required"))?;
    let user = match map.get("user") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) => Some(u.as_str()),
        Some(_) => return Err(bad("user must be a string")),
    };
    let choice = if decision == "approve" {
        Some(match map.get("scp") {
            None | Some(Value::Null) => Vec::new(),
            v => strings(v).ok_or_else(|| bad("scp must be an array of strings"))?,
        })
    } else {
        None
    };
    match super::entra::decide_device(st, code, user, choice) {
        Ok(()) => Ok(Reply::empty(204)),
        Err(super::entra::DeviceDecisionError::UnknownUser) => {
            Err(bad("user must be admin or developer (or their UPN)"))
        }
        Err(super::entra::DeviceDecisionError::NoPendingCode) => Err(Reply::json(
            404,
            &json!({"error": "no pending device code with that user_code"}),
        )),
    }
}

/// The team admin approving or cancelling a pending platform access token (`{"id"}`).
fn platform(st: &mut State, req: &Req, decision: &str) -> Result<Reply, Reply> {
    let map = body(req)?;
    let id = map
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("id is required"))?;
    if super::platform::decide_token(st, id, decision == "approve") {
        Ok(Reply::empty(204))
    } else {
        Err(Reply::json(
            404,
            &json!({"error": "no pending access token with that id"}),
        ))
    }
}
