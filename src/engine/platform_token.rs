//! A platform access token through the platform's approval flow: asked
//! for, approved by a team Admin in a browser, saved (new, mode 0600).
//! `platform-login` and the wizard (when it finds no token) both use it.

use std::path::Path;
use std::time::Duration;

use url::Url;

use crate::http::Http;
use crate::output::Printer;
use crate::platform::auth;
use crate::platform::token::PlatformToken;

/// The approval flow with the admin: a pending token, the address where a
/// team Admin approves it, the wait (a spinner; Ctrl-C gives up); then the
/// token saved as `path` (new, mode 0600).
pub(crate) async fn approve_and_save(
    http: &Http,
    base: &Url,
    team: &str,
    wait: Duration,
    path: &Path,
    printer: &Printer,
) -> anyhow::Result<PlatformToken> {
    let pending = auth::request(http, base, team).await?;
    printer.notice(&format!(
        "Open this address signed in as an Admin of {team}, and approve the access token for {}:\n      {}",
        auth::APPLICATION,
        pending.approval_url
    ));
    let spinner = printer.spinner(&format!(
        "Waiting for the approval (up to {} min; Ctrl-C gives up)",
        wait.as_secs().div_ceil(60)
    ));
    auth::wait_for_approval(http, base, &pending, wait).await?;
    drop(spinner);
    printer.step(
        "Signed in to the platform",
        &format!("access token approved for team {}", pending.token.domain),
    );
    auth::save(path, &pending.token)?;
    printer.step(
        "Saved the platform token",
        &format!("{} (mode 0600)", path.display()),
    );
    let mut token = pending.token;
    token.source = path.display().to_string();
    Ok(token)
}
