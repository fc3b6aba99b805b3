//! The local approval pages a person uses with `aad-setup emulator`: where the emulated
//! Microsoft sign-in asks for the device code (the device code answer's
//! `verification_uri`), and where a team Admin approves a pending platform access token.
//! They do what `POST /_emulator/device/approve|decline` and
//! `POST /_emulator/platform/approve|cancel` do, as plain HTML forms, without scripts.
//!
//! Routes (under `/_emulator`): `GET|POST device`, `GET|POST platform`, and
//! `GET access-tokens/approve?userTokenID=…` (the real approval address's path).

use super::entra::{DeviceDecisionError, Form, decide_device};
use super::state::{State, TokenApproval};
use super::util::{Reply, Req};

const HTML: &str = "text/html; charset=utf-8";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: u16, title: &str, body: &str) -> Reply {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}\
         input,select,button{{font-size:1em;margin:.2em}}</style></head>\
         <body><h1>{t}</h1>\n{body}\n<p><small>aad-setup emulator: nothing here is a real \
         Microsoft or platform page.</small></p></body></html>\n",
        t = escape(title)
    );
    Reply {
        status,
        headers: Vec::new(),
        body: Some(html.into_bytes()),
        content_type: Some(HTML),
    }
}

/// `GET /_emulator/device`: enter the code, choose who signs in, approve or decline.
fn device_form(st: &State, message: Option<&str>) -> String {
    let users: String = st
        .users
        .iter()
        .map(|u| {
            format!(
                "<option value=\"{upn}\">{name} ({upn}, {role})</option>",
                upn = escape(&u.user_principal_name),
                name = escape(&u.display_name),
                role = escape(&u.role)
            )
        })
        .collect();
    let pending = st
        .device_codes
        .iter()
        .filter(|d| d.status == super::state::DeviceStatus::Pending)
        .count();
    format!(
        "{msg}<p>Enter the code the application shows ({pending} waiting).</p>\
         <form method=\"post\" action=\"device\">\
         <p><label>Code <input name=\"user_code\" autocomplete=\"off\" autofocus></label></p>\
         <p><label>Sign in as <select name=\"user\">{users}</select></label></p>\
         <p><button name=\"decision\" value=\"approve\">Approve</button> \
         <button name=\"decision\" value=\"decline\">Decline</button></p></form>",
        msg = message.map_or_else(String::new, |m| format!(
            "<p><strong>{}</strong></p>",
            escape(m)
        ))
    )
}

fn device(st: &mut State, req: &Req) -> Reply {
    if req.method == "GET" {
        return page(
            200,
            "Sign in to the emulated tenant",
            &device_form(st, None),
        );
    }
    let form = Form::parse(req);
    let code = form.get("user_code").unwrap_or_default().to_owned();
    let user = form.get("user").map(str::to_owned);
    let approve = match form.get("decision") {
        Some("approve") => true,
        Some("decline") => false,
        _ => {
            let body = device_form(st, Some("Choose Approve or Decline."));
            return page(400, "Sign in to the emulated tenant", &body);
        }
    };
    let choice = approve.then(Vec::new);
    match decide_device(st, &code, user.as_deref(), choice) {
        Ok(()) => {
            let text = if approve {
                "Approved. You can close this page and return to the application."
            } else {
                "Declined. The application will report that the sign-in was refused."
            };
            page(200, "Done", &format!("<p>{text}</p>"))
        }
        Err(e) => {
            let text = match e {
                DeviceDecisionError::NoPendingCode => "No code like that is waiting. Check it.",
                DeviceDecisionError::UnknownUser => "Choose one of the listed users.",
            };
            let body = device_form(st, Some(text));
            page(
                if e == DeviceDecisionError::NoPendingCode {
                    404
                } else {
                    400
                },
                "Sign in to the emulated tenant",
                &body,
            )
        }
    }
}

/// The pending access tokens (only `only`, when given) with Approve and Cancel buttons.
fn platform_list(st: &State, only: Option<&str>, message: Option<&str>) -> String {
    let rows: String = st
        .platform
        .tokens
        .iter()
        .filter(|t| t.approval == TokenApproval::Pending)
        .filter(|t| only.is_none_or(|id| t.id.eq_ignore_ascii_case(id)))
        .map(|t| {
            format!(
                "<li><form method=\"post\" action=\"{action}\">\"{name}\" for {domain} \
                 <input type=\"hidden\" name=\"id\" value=\"{id}\">\
                 <button name=\"decision\" value=\"approve\">Approve</button> \
                 <button name=\"decision\" value=\"cancel\">Cancel</button></form></li>",
                action = escape(&format!("{}/_emulator/platform", st.base_url)),
                name = escape(&t.name),
                domain = escape(&t.domain),
                id = escape(&t.id)
            )
        })
        .collect();
    let list = if rows.is_empty() {
        "<p>No access token is waiting for approval. Reload once the application has asked \
         for one.</p>"
            .to_owned()
    } else {
        format!(
            "<p>As an Admin of {}, approve the applications that asked for an access \
             token:</p><ul>{rows}</ul>",
            escape(&st.credentials.platform_team)
        )
    };
    format!(
        "{}{list}",
        message.map_or_else(String::new, |m| format!(
            "<p><strong>{}</strong></p>",
            escape(m)
        ))
    )
}

fn platform(st: &mut State, req: &Req, only: Option<&str>) -> Reply {
    const TITLE: &str = "Approve platform access tokens";
    if req.method == "GET" {
        return page(200, TITLE, &platform_list(st, only, None));
    }
    let form = Form::parse(req);
    let id = form.get("id").unwrap_or_default().to_owned();
    let approve = match form.get("decision") {
        Some("approve") => true,
        Some("cancel") => false,
        _ => {
            let body = platform_list(st, None, Some("Choose Approve or Cancel."));
            return page(400, TITLE, &body);
        }
    };
    if super::platform::decide_token(st, &id, approve) {
        let text = if approve { "Approved." } else { "Cancelled." };
        page(200, TITLE, &platform_list(st, None, Some(text)))
    } else {
        let body = platform_list(st, None, Some("No access token like that is waiting."));
        page(404, TITLE, &body)
    }
}

/// Serves a page, or `None` when the path is not one.
pub(crate) fn handle(st: &mut State, req: &Req, segs: &[&str]) -> Option<Reply> {
    let method_ok = |post: bool| req.method == "GET" || (post && req.method == "POST");
    match segs {
        ["device"] if method_ok(true) => Some(device(st, req)),
        ["platform"] if method_ok(true) => Some(platform(st, req, None)),
        ["access-tokens", "approve"] if method_ok(false) => {
            let id = req.query_value("userTokenID").map(str::to_owned);
            Some(platform(st, req, id.as_deref()))
        }
        _ => None,
    }
}
