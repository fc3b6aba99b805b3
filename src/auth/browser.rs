//! Authorization code with PKCE and a loopback redirect (entra-sign-in.md
//! §5): for an admin at a machine with a browser, where the device code
//! flow is blocked by Conditional Access (as Microsoft recommends).
//!
//! A one-shot listener on an ephemeral loopback port receives the browser's
//! return (`http://localhost:<port>`; the port is ignored when Entra matches
//! a `localhost` redirect URI). The `state` is checked, the code is redeemed
//! with the PKCE verifier, and nothing of either is ever printed.

use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use rand::Rng as _;
use sha2::Digest as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use super::{Session, device_code, entra};
use crate::error::{Failure, Kind};
use crate::http::Http;
use crate::output::Printer;
use crate::settings::Endpoints;

/// How long the browser has to come back.
const WAIT: Duration = Duration::from_secs(300);

/// RFC 7636 §4.1: 43 to 128 characters of the unreserved set.
fn verifier() -> String {
    const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut rng = rand::rng();
    (0..64)
        .map(|_| UNRESERVED[rng.random_range(0..UNRESERVED.len())] as char)
        .collect()
}

/// The `state` that ties the browser's return to this run.
fn random_state() -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..32)
        .map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char)
        .collect()
}

/// RFC 7636 §4.2, S256.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// What came back to the listener.
enum Return {
    Code(String),
    Error { error: String, description: String },
}

pub async fn sign_in(
    http: &Http,
    endpoints: &Endpoints,
    printer: &Printer,
    tenant: &str,
    client_id: &str,
    scope: &str,
) -> anyhow::Result<Session> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("opening a local port for the browser to return to")?;
    let port = listener.local_addr()?.port();
    // `localhost` may resolve to ::1 first in a browser: listen there too,
    // on the same port, where the machine allows it.
    let listener_v6 = TcpListener::bind(("::1", port)).await.ok();
    let redirect_uri = format!("http://localhost:{port}");
    let verifier = verifier();
    let state = random_state();

    let mut url = entra::endpoint(&endpoints.login, tenant, "authorize");
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_mode", "query")
        .append_pair("scope", scope)
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("prompt", "select_account");
    let opened = open_browser(&url);
    printer.notice(&if opened {
        format!("Sign in to Microsoft in your browser. If no browser opened, open {url}")
    } else {
        format!("To sign in to Microsoft, open {url} in a browser on this machine")
    });

    let back = {
        let _spinner = printer.spinner("Waiting for you to sign in in the browser");
        tokio::time::timeout(WAIT, receive(&listener, listener_v6.as_ref(), &state))
            .await
            .map_err(|_| {
                Failure::new(
                    Kind::SignIn,
                    format!(
                        "no sign-in came back from the browser within {} minutes",
                        WAIT.as_secs() / 60
                    ),
                )
                .with_hint("run again and finish the sign-in in the browser, or use --auth device-code on a machine without a browser")
            })??
    };
    let code = match back {
        Return::Code(code) => code,
        Return::Error { error, description } => {
            let e = entra::EntraError::from_redirect(&error, &description);
            let mut failure = Failure::new(
                Kind::SignIn,
                format!("the browser sign-in failed: {}", e.summary()),
            );
            failure = failure.with_hint(e.hint().unwrap_or(if error == "access_denied" {
                "run again and accept in the browser, or choose another --auth method"
            } else {
                "run again, or choose another --auth method (device-code, az-cli)"
            }));
            return Err(failure.into());
        }
    };
    let answer = entra::request_token(
        http,
        &endpoints.login,
        tenant,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
            ("scope", scope),
        ],
    )
    .await?;
    match answer {
        Ok(token) => Ok(device_code::delegated_session(token, tenant, "browser")),
        Err(e) => {
            let mut failure = Failure::new(
                Kind::SignIn,
                format!("Entra refused the browser sign-in's code: {e}"),
            );
            if let Some(hint) = e.hint() {
                failure = failure.with_hint(hint);
            }
            Err(failure.into())
        }
    }
}

/// Opens `url` in the user's browser: `$BROWSER` if set, else the
/// platform's opener. False when none could be started (the URL is shown
/// either way).
fn open_browser(url: &Url) -> bool {
    let command = match crate::env::var(crate::env::BROWSER) {
        Some(browser) => browser,
        None if cfg!(target_os = "macos") => "open".into(),
        None if cfg!(windows) => "explorer".into(),
        None => "xdg-open".into(),
    };
    std::process::Command::new(command)
        .arg(url.as_str())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// Accepts connections until one brings this sign-in's `state` back (a
/// browser may ask for a favicon first, or something else may knock).
async fn receive(
    v4: &TcpListener,
    v6: Option<&TcpListener>,
    state: &str,
) -> anyhow::Result<Return> {
    loop {
        let (stream, _) = match v6 {
            Some(v6) => tokio::select! {
                s = v4.accept() => s,
                s = v6.accept() => s,
            },
            None => v4.accept().await,
        }
        .context("waiting for the browser")?;
        if let Some(back) = answer(stream, state).await? {
            return Ok(back);
        }
    }
}

/// Reads one request; answers it with a page for the user. `None` when it
/// was not the sign-in's return.
async fn answer(mut stream: TcpStream, state: &str) -> anyhow::Result<Option<Return>> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await {
            Ok(Ok(n)) => n,
            _ => return Ok(None),
        };
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or("/");
    let query: Vec<(String, String)> = Url::parse(&format!("http://localhost{target}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let get = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let (status, page, back) = match (get("state"), get("code"), get("error")) {
        (Some(s), _, _) if s != state => (
            "400 Bad Request",
            "This is not the sign-in aad-setup started. Nothing was done; you can close this tab.",
            Some(Err(Failure::new(
                Kind::SignIn,
                "the browser returned a sign-in that this run did not start (its state does not match); nothing was done",
            )
            .with_hint("run again, and use only the sign-in page aad-setup opens"))),
        ),
        (Some(_), Some(code), _) => (
            "200 OK",
            "Signed in. aad-setup carries on in the terminal; you can close this tab.",
            Some(Ok(Return::Code(code))),
        ),
        (Some(_), None, Some(error)) => (
            "200 OK",
            "The sign-in did not complete. See the terminal; you can close this tab.",
            Some(Ok(Return::Error {
                error,
                description: get("error_description").unwrap_or_default(),
            })),
        ),
        _ => ("404 Not Found", "Not found.", None),
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>aad-setup</title></head><body><p>{page}</p></body></html>"
    );
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    // The user's tab may be gone already; the sign-in does not depend on it.
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
    match back {
        None => Ok(None),
        Some(Ok(r)) => Ok(Some(r)),
        Some(Err(f)) => Err(f.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // RFC 7636 Appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_long_unreserved_and_different() {
        let (a, b) = (verifier(), verifier());
        assert_ne!(a, b);
        assert!((43..=128).contains(&a.len()));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        );
    }
}
