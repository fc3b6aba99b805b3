//! Reusing an Azure CLI login (entra-sign-in.md §8): `az account
//! get-access-token --resource-type ms-graph`. Run without a shell; stdout
//! (the token) is never logged; stderr gives the error message.

use secrecy::SecretString;
use serde::Deserialize;

use super::{Session, claims};
use crate::error::{Failure, Kind};

/// Signing in with the Azure CLI's login.
#[derive(Debug)]
pub(crate) struct Request {
    pub tenant: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzToken {
    access_token: SecretString,
    #[serde(default)]
    tenant: Option<String>,
}

/// Whether an `az` executable is on `path` (PATH, for `auto`).
pub(crate) fn available(path: Option<&std::ffi::OsStr>) -> bool {
    let Some(path) = path else {
        return false;
    };
    std::env::split_paths(path).any(|dir| {
        let candidate = dir.join("az");
        candidate.is_file()
    })
}

pub(crate) async fn sign_in(tenant: Option<&str>) -> anyhow::Result<Session> {
    let mut cmd = tokio::process::Command::new("az");
    cmd.args([
        "account",
        "get-access-token",
        "--resource-type",
        "ms-graph",
        "--output",
        "json",
    ]);
    if let Some(t) = tenant {
        cmd.args(["--tenant", t]);
    }
    cmd.stdin(std::process::Stdio::null()).kill_on_drop(true);
    let out = match cmd.output().await {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failure::new(
                Kind::SignIn,
                "the Azure CLI (az) is not installed or not on PATH",
            )
            .with_hint("install the Azure CLI and run `az login`, or choose another --auth method")
            .into());
        }
        Err(e) => return Err(anyhow::Error::new(e).context("running the Azure CLI (az)")),
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message")
            .trim_start_matches("ERROR: ")
            .to_owned();
        let hint = if stderr.contains("az login")
            || stderr.to_ascii_lowercase().contains("not logged in")
        {
            "run `az login` (with --tenant for the target directory), or choose another --auth method"
        } else if stderr.contains("AADSTS50076") || stderr.contains("AADSTS53003") {
            "the Azure CLI needs you to sign in again: run `az login`"
        } else {
            "check `az account show`, or choose another --auth method"
        };
        return Err(Failure::new(
            Kind::SignIn,
            format!("the Azure CLI could not give a Microsoft Graph token: {first}"),
        )
        .with_hint(hint)
        .into());
    }
    let token: AzToken = serde_json::from_slice(&out.stdout).map_err(|_| {
        Failure::new(
            Kind::SignIn,
            "the Azure CLI's answer was not the expected JSON",
        )
    })?;
    let read = claims::read(&token.access_token);
    let tenant_id = read
        .as_ref()
        .and_then(|c| c.tid.clone())
        .or(token.tenant)
        .or_else(|| tenant.map(str::to_owned))
        .unwrap_or_default();
    Ok(Session {
        tenant_id,
        permissions: read.as_ref().map(claims::Claims::permissions),
        app_only: read.as_ref().is_some_and(|c| c.scp.is_none()),
        identity: read.as_ref().and_then(|c| c.upn.clone()).map_or_else(
            || "the Azure CLI login".to_owned(),
            |u| format!("user {u} (Azure CLI)"),
        ),
        method: "az-cli",
        token: token.access_token,
    })
}
