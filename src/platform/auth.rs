//! Getting a platform access token: the approval flow (docs/platform.md
//! §2.4), and saving it where the platform's SDKs look (§2.2).
//!
//! `POST /api/auth {domain, name}` creates a pending token; a team Admin
//! approves it in a browser at the approval address; `POST
//! /api/auth/wait-for-approval {token, waitTimeMillis}` answers 200 once it
//! is approved and 401 when it is cancelled (or, as far as anyone knows, not
//! approved in time). Neither call takes a Bearer token.
//!
//! The token is a secret from the moment it arrives: it lives in a
//! [`PlatformToken`], is never printed, and is written only to a new file,
//! mode 0600, never over an existing one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use serde::Deserialize;
use url::Url;

use super::client::api_url;
use super::error::PlatformError;
use super::token::{self, PlatformToken};
use crate::error::{Failure, Kind};
use crate::http::{Http, Retry};

/// How the token and the approval page name this tool.
pub(crate) const APPLICATION: &str = "aad-setup";

/// The host of every team (docs/platform.md §2.3).
const TEAM_HOST: &str = "pushbot.com";

/// A team as the platform knows it: `acme`, `acme.pushbot.com` or
/// `https://acme.pushbot.com/` → `acme.pushbot.com` (the platform SDKs'
/// normalisation, docs/platform.md §2.3).
pub(crate) fn team_domain(input: &str) -> Result<String, String> {
    let trimmed = input.trim();
    let bare = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .unwrap_or(trimmed)
        .trim_end_matches('/');
    let accepted = "a team name such as acme (the part before .pushbot.com in your sign-in address) or the address acme.pushbot.com";
    let label_ok = |label: &str| {
        label.chars().count() >= 2
            && label
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if bare.contains('.') {
        let labels: Vec<&str> = bare.split('.').collect();
        let host_like = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if host_like && label_ok(labels[0]) {
            return Ok(bare.to_ascii_lowercase());
        }
        return Err(format!("team '{trimmed}' is not {accepted}"));
    }
    if label_ok(bare) {
        Ok(format!("{}.{TEAM_HOST}", bare.to_ascii_lowercase()))
    } else {
        Err(format!("team '{trimmed}' is not {accepted}"))
    }
}

/// `~/.catalytic/tokens/<name>`: a plain name, not a path.
pub(crate) fn token_path(name: &str) -> Result<PathBuf, String> {
    let valid = !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(format!(
            "token name '{name}' must be a plain file name (letters, digits, '-', '_', '.')"
        ));
    }
    let dir = token::store_dir()
        .ok_or("no home directory was found for ~/.catalytic/tokens (set HOME)")?;
    Ok(dir.join(name))
}

/// Refuses, before anything is asked of the platform, a token file that
/// exists already: a token is never written over another.
pub(crate) fn ensure_free(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Err(Failure::new(
            Kind::Usage,
            format!(
                "a platform token is saved as {} already; it is never overwritten",
                path.display()
            ),
        )
        .with_hint(if name == "default" {
            "use it (it is found without being named), or save the new one under another name: --name NAME, then --platform-token-file NAME"
        } else {
            "choose another --name, or delete that file first if it is no longer wanted"
        })
        .into());
    }
    Ok(())
}

/// The page where a team Admin approves a pending token.
pub(crate) fn approval_url(domain: &str, token_id: &str) -> Url {
    let mut url = Url::parse(&format!("https://{domain}/access-tokens/approve"))
        .expect("a validated team domain makes a URL");
    url.query_pairs_mut()
        .append_pair("userTokenID", token_id)
        .append_pair("application", APPLICATION);
    url
}

/// A token waiting for an Admin's approval.
pub(crate) struct Pending {
    pub token: PlatformToken,
    pub approval_url: Url,
}

/// The API's `AccessToken` (docs/platform.md §2.1): the serialized token,
/// or its parts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessToken {
    id: String,
    domain: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    environment: Option<String>,
}

/// `POST /api/auth`: a new token for `domain`, pending approval.
pub(crate) async fn request(http: &Http, base: &Url, domain: &str) -> anyhow::Result<Pending> {
    let url = api_url(base, &["auth"]);
    let body = serde_json::json!({ "domain": domain, "name": APPLICATION });
    let reply = http
        .send(
            "the workflow platform",
            Retry::Create,
            http.request(reqwest::Method::POST, url).json(&body),
        )
        .await?;
    if !reply.status.is_success() {
        let err = PlatformError::from_reply(&reply);
        let failure = if reply.status.as_u16() == 400 {
            Failure::new(Kind::Usage, err.to_string()).with_hint(
                "check the team: the name before .pushbot.com in the address you sign in at",
            )
        } else {
            Failure::new(err.kind(), err.to_string())
        };
        return Err(anyhow::Error::new(err).context(failure));
    }
    let answer: AccessToken = reply
        .json()
        .context("reading the platform's new access token")?;
    let serialized = match (
        answer.token.filter(|t| !t.is_empty()),
        answer.secret,
        answer.environment,
    ) {
        (Some(t), _, _) => t,
        (None, Some(secret), Some(environment)) => base64::engine::general_purpose::STANDARD
            .encode(format!(
                "{}:{secret}:{}:{environment}",
                answer.id, answer.domain
            )),
        _ => {
            anyhow::bail!("the platform's new access token carries neither the token nor its parts")
        }
    };
    let token = PlatformToken::parse(&serialized, "the platform's approval flow")
        .map_err(anyhow::Error::msg)?;
    Ok(Pending {
        approval_url: approval_url(&token.domain, &token.id),
        token,
    })
}

/// `POST /api/auth/wait-for-approval`: returns once the token is approved;
/// a cancelled (or unapproved) token is a sign-in failure (exit 3).
pub(crate) async fn wait_for_approval(
    http: &Http,
    base: &Url,
    pending: &Pending,
    wait: Duration,
) -> anyhow::Result<()> {
    let url = api_url(base, &["auth", "wait-for-approval"]);
    let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    let body = serde_json::json!({ "token": pending.token.bearer(), "waitTimeMillis": millis });
    // The server holds the answer until the approval: give it the whole wait.
    let timeout = wait + Duration::from_secs(30);
    let reply = http
        .send(
            "the workflow platform",
            Retry::Idempotent,
            http.request(reqwest::Method::POST, url)
                .json(&body)
                .timeout(timeout),
        )
        .await?;
    if reply.status.is_success() {
        return Ok(());
    }
    let err = PlatformError::from_reply(&reply);
    let failure = if reply.status.as_u16() == 401 {
        Failure::new(
            Kind::SignIn,
            format!(
                "the access token was not approved (cancelled, or not approved within {} s): {err}",
                wait.as_secs()
            ),
        )
        .with_hint(
            "run again, open the address shown while signed in as a team Admin, and approve it",
        )
    } else {
        Failure::new(err.kind(), err.to_string())
    };
    Err(anyhow::Error::new(err).context(failure))
}

/// Saves an approved token as a new file, mode 0600, in a folder only its
/// owner can enter; never over an existing file.
pub(crate) fn save(path: &Path, token: &PlatformToken) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let serialized = secrecy::SecretString::from(token.bearer().to_owned());
    crate::secret_file::write_new(path, &serialized)
        .with_context(|| format!("saving the platform token as {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_are_normalised_as_the_sdks_do() {
        assert_eq!(team_domain("acme").unwrap(), "acme.pushbot.com");
        assert_eq!(team_domain(" Acme ").unwrap(), "acme.pushbot.com");
        assert_eq!(
            team_domain("https://acme.pushbot.com/").unwrap(),
            "acme.pushbot.com"
        );
        assert_eq!(team_domain("ACME.pushbot.com").unwrap(), "acme.pushbot.com");
        for bad in ["", "a", "-acme", "acme team", "acme..com", "https://"] {
            assert!(team_domain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn token_names_are_plain_file_names() {
        assert!(token_path("default").is_ok());
        assert!(token_path("aad-setup.acme").is_ok());
        for bad in ["", ".", "..", "a/b", "../x", "a b"] {
            assert!(token_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_approval_address_names_the_token_and_this_tool() {
        assert_eq!(
            approval_url("acme.pushbot.com", "0b4b2bd1").as_str(),
            "https://acme.pushbot.com/access-tokens/approve?userTokenID=0b4b2bd1&application=aad-setup"
        );
    }
}
