//! Authorization code with PKCE and a loopback redirect (docs/sign-in.md
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
use crate::cloud::Endpoints;
use crate::error::{Failure, Kind};
use crate::http::Http;
use crate::output::Printer;

/// Signing in as a user in a browser on this machine (authorization code
/// with PKCE).
#[derive(Debug)]
pub(crate) struct Request {
    /// A tenant, or `organizations` (the token says which).
    pub tenant: String,
    pub client_id: String,
    pub scope: String,
    /// $BROWSER, if set: the browser to open.
    pub browser: Option<String>,
}

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
pub(crate) fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// What came back to the listener.
enum Return {
    Code(String),
    Error { error: String, description: String },
}

/// Signs in in the browser: opens Entra's authorize page, waits for the
/// browser to come back to the loopback listener, and redeems the code.
pub(crate) async fn sign_in(
    http: &Http,
    endpoints: &Endpoints,
    printer: &Printer,
    tenant: &str,
    client_id: &str,
    scope: &str,
    browser: Option<&str>,
) -> anyhow::Result<Session> {
    let (listener, listener_v6) = listen().await?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://localhost:{port}");
    let verifier = verifier();
    let state = random_state();
    let ask = Ask {
        login: &endpoints.login,
        tenant,
        client_id,
        scope,
    };
    let url = ask.authorize_url(&redirect_uri, &state, &verifier);
    let opened = open_browser(&url, browser);
    printer.notice(&if opened {
        format!("Sign in to Microsoft in your browser. If no browser opened, open {url}")
    } else {
        format!("To sign in to Microsoft, open {url} in a browser on this machine")
    });
    printer.info("If the browser shows an error instead of returning here, press Ctrl-C.");
    let back = {
        let _spinner = printer.spinner("Waiting for you to sign in in the browser");
        tokio::time::timeout(
            WAIT,
            receive(printer, &listener, listener_v6.as_ref(), &state),
        )
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
            return Err(ask.refused_in_browser(&error, &description));
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
        Err(e) => Err(ask.code_refused(&e)),
    }
}

/// What the sign-in asks Entra for: where, in which tenant, for which
/// client and scope.
struct Ask<'a> {
    login: &'a Url,
    tenant: &'a str,
    client_id: &'a str,
    scope: &'a str,
}

impl Ask<'_> {
    /// Entra's authorize page for this sign-in, returning to
    /// `redirect_uri` with `state`, the code bound to `verifier` (PKCE).
    fn authorize_url(&self, redirect_uri: &str, state: &str, verifier: &str) -> Url {
        let mut url = entra::endpoint(self.login, self.tenant, "authorize");
        url.query_pairs_mut()
            .append_pair("client_id", self.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", self.scope)
            .append_pair("state", state)
            .append_pair("code_challenge", &challenge(verifier))
            .append_pair("code_challenge_method", "S256")
            .append_pair("prompt", "select_account");
        url
    }

    /// Entra's `consent_hint` for `e` on this sign-in, if it has one.
    fn consent_hint(&self, e: &entra::EntraError) -> Option<String> {
        entra::consent_hint(e, self.login, self.tenant, self.client_id, self.scope)
    }

    /// The browser came back with an error instead of a code.
    fn refused_in_browser(&self, error: &str, description: &str) -> anyhow::Error {
        let e = entra::EntraError::from_redirect(error, description);
        let failure = Failure::new(
            Kind::SignIn,
            format!("the browser sign-in failed: {}", e.summary()),
        );
        let failure = match self.consent_hint(&e) {
            Some(hint) => failure.with_hint(hint),
            None => failure.with_hint(e.hint().unwrap_or(if error == "access_denied" {
                "run again and accept in the browser, or choose another --auth method"
            } else {
                "run again, or choose another --auth method (device-code, az-cli)"
            })),
        };
        failure.into()
    }

    /// Entra would not redeem the code the browser brought back.
    fn code_refused(&self, e: &entra::EntraError) -> anyhow::Error {
        let mut failure = Failure::new(
            Kind::SignIn,
            format!("Entra refused the browser sign-in's code: {e}"),
        );
        if let Some(hint) = self.consent_hint(e) {
            failure = failure.with_hint(hint);
        } else if let Some(hint) = e.hint() {
            failure = failure.with_hint(hint);
        }
        failure.into()
    }
}

/// Opens `url` in the user's browser: `$BROWSER` if set (as other tools
/// read it: `:`-separated commands, tried in turn, each with its arguments
/// and `%s` for the URL, else the URL last), else the platform's opener.
/// False when none could be started (the URL is shown either way).
fn open_browser(url: &Url, browser: Option<&str>) -> bool {
    let commands: Vec<Vec<String>> = match browser {
        Some(browser) => browser
            .split(if cfg!(windows) { ';' } else { ':' })
            .map(|entry| browser_command(entry, url.as_str()))
            .collect(),
        None if cfg!(target_os = "macos") => vec![vec!["open".into(), url.to_string()]],
        None if cfg!(windows) => vec![vec!["explorer".into(), url.to_string()]],
        None => vec![vec!["xdg-open".into(), url.to_string()]],
    };
    commands.iter().any(|argv| {
        let Some((program, args)) = argv.split_first() else {
            return false;
        };
        std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
    })
}

/// One `$BROWSER` entry as argv: a path to a program as it is (it may hold
/// spaces: `/mnt/c/Program Files/…/chrome.exe` under WSL), else split on
/// spaces; `%s` replaced by the URL, else the URL added.
fn browser_command(entry: &str, url: &str) -> Vec<String> {
    if std::path::Path::new(entry.trim()).is_file() {
        return vec![entry.trim().to_owned(), url.to_owned()];
    }
    let mut argv: Vec<String> = entry.split_whitespace().map(str::to_owned).collect();
    if argv.iter().any(|a| a.contains("%s")) {
        for a in &mut argv {
            *a = a.replace("%s", url);
        }
    } else if !argv.is_empty() {
        argv.push(url.to_owned());
    }
    argv
}

/// A loopback port for the browser to return to, on 127.0.0.1 and, where
/// the machine has IPv6, on ::1 too (`localhost` may resolve to ::1 first
/// in a browser): the same port on both, or another port.
async fn listen() -> anyhow::Result<(TcpListener, Option<TcpListener>)> {
    for _ in 0..20 {
        let v4 = TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("opening a local port for the browser to return to")?;
        let port = v4.local_addr()?.port();
        match TcpListener::bind(("::1", port)).await {
            Ok(v6) => return Ok((v4, Some(v6))),
            // Taken on ::1 by something else: another port.
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            // No IPv6 here: 127.0.0.1 is all a browser can reach.
            Err(_) => return Ok((v4, None)),
        }
    }
    anyhow::bail!("no local port was free on both 127.0.0.1 and ::1 for the browser to return to")
}

/// What one connection brought.
enum Knock {
    /// The sign-in's return.
    Back(Return),
    /// A return with another `state`: answered, ignored.
    Stray,
}

/// Accepts connections, each read in a task of its own (a browser may open
/// one and send nothing), until one brings this sign-in's `state` back.
async fn receive(
    printer: &Printer,
    v4: &TcpListener,
    v6: Option<&TcpListener>,
    state: &str,
) -> anyhow::Result<Return> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Knock>(8);
    loop {
        let accepted = tokio::select! {
            knock = rx.recv() => match knock {
                Some(Knock::Back(back)) => return Ok(back),
                Some(Knock::Stray) => {
                    printer.warn("ignored a return to the sign-in port that this run did not start (its state did not match)");
                    continue;
                }
                None => continue,
            },
            s = v4.accept() => s,
            s = async {
                match v6 {
                    Some(v6) => v6.accept().await,
                    None => std::future::pending().await,
                }
            } => s,
        };
        let (stream, _) = accepted.context("waiting for the browser")?;
        let (tx, state) = (tx.clone(), state.to_owned());
        tokio::spawn(async move {
            if let Ok(Some(knock)) =
                tokio::time::timeout(Duration::from_secs(30), answer(stream, &state)).await
            {
                let _ = tx.send(knock).await;
            }
        });
    }
}

/// Reads one request and answers it with a page for the user. `None` when
/// it was not a return to the sign-in (a favicon, say).
async fn answer(mut stream: TcpStream, state: &str) -> Option<Knock> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
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
    let (status, page, knock) = match (get("state"), get("code"), get("error")) {
        (Some(s), _, _) if s != state => (
            "400 Bad Request",
            "This is not the sign-in aad-setup started. Nothing was done; you can close this tab.",
            Some(Knock::Stray),
        ),
        (Some(_), Some(code), _) => (
            "200 OK",
            "Signed in. aad-setup carries on in the terminal; you can close this tab.",
            Some(Knock::Back(Return::Code(code))),
        ),
        (Some(_), None, Some(error)) => (
            "200 OK",
            "The sign-in did not complete. See the terminal; you can close this tab.",
            Some(Knock::Back(Return::Error {
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
    knock
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
    fn browser_entries_take_their_arguments_and_the_url() {
        assert_eq!(browser_command("firefox", "U"), ["firefox", "U"]);
        assert_eq!(
            browser_command("firefox --new-window", "U"),
            ["firefox", "--new-window", "U"]
        );
        assert_eq!(
            browser_command("open -a Safari %s", "U"),
            ["open", "-a", "Safari", "U"]
        );
        assert!(browser_command("  ", "U").is_empty());
        let dir = tempfile::tempdir().unwrap();
        let spaced = dir.path().join("Program Files").join("browser");
        std::fs::create_dir_all(spaced.parent().unwrap()).unwrap();
        std::fs::write(&spaced, "").unwrap();
        let spaced = spaced.to_str().unwrap();
        assert_eq!(browser_command(spaced, "U"), [spaced, "U"]);
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
