//! Reusing an Azure CLI login (docs/sign-in.md §8): `az account
//! get-access-token --resource-type ms-graph`. Run without a shell; stdout
//! (the token) is never logged; stderr gives the error message.

use std::ffi::OsStr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use super::{Session, claims};
use crate::error::{Failure, Kind};

/// Signing in with the Azure CLI's login.
#[derive(Debug)]
pub(crate) struct Request {
    pub tenant: Option<String>,
    /// The `az` found on PATH (`az.cmd` on Windows); `None`: plain `az`.
    pub program: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzToken {
    access_token: SecretString,
    #[serde(default)]
    tenant: Option<String>,
}

/// Whether an `az` executable is on `path` (PATH, for `auto`).
pub(crate) fn available(path: Option<&OsStr>, pathext: Option<&OsStr>) -> bool {
    locate(path, pathext).is_some()
}

/// The Azure CLI's executable on `path`. On Windows it is `az.cmd`, which
/// `Command` does not find from `az` (it only tries `.exe`), so the PATH is
/// searched with each PATHEXT extension; the standard library runs a `.cmd`
/// found this way through `cmd.exe` with its arguments escaped.
pub(crate) fn locate(path: Option<&OsStr>, pathext: Option<&OsStr>) -> Option<PathBuf> {
    find_on_path(path?, pathext, cfg!(windows))
}

/// `az` in the first PATH directory that has it: the bare name elsewhere,
/// `az` plus one of PATHEXT's extensions (default `.COM;.EXE;.BAT;.CMD`) on
/// Windows.
fn find_on_path(path: &OsStr, pathext: Option<&OsStr>, windows: bool) -> Option<PathBuf> {
    let names: Vec<String> = if windows {
        pathext
            .and_then(|p| p.to_str())
            .unwrap_or(".COM;.EXE;.BAT;.CMD")
            .split(';')
            .filter(|e| !e.is_empty())
            .map(|e| format!("az{}", e.to_ascii_lowercase()))
            .collect()
    } else {
        vec!["az".to_owned()]
    };
    std::env::split_paths(path).find_map(|dir| {
        names
            .iter()
            .map(|n| dir.join(n))
            .find(|candidate| candidate.is_file())
    })
}

pub(crate) async fn sign_in(request: &Request) -> anyhow::Result<Session> {
    let tenant = request.tenant.as_deref();
    let program = request.program.clone().unwrap_or_else(|| "az".into());
    let mut cmd = tokio::process::Command::new(program);
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
        directory: None,
    })
}

#[cfg(test)]
mod tests {
    use super::find_on_path;

    fn dir_with(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for f in files {
            std::fs::write(dir.path().join(f), "").expect("write");
        }
        dir
    }

    #[test]
    fn windows_finds_az_cmd_through_pathext() {
        let empty = dir_with(&[]);
        let cli = dir_with(&["az.cmd"]);
        let path = std::env::join_paths([empty.path(), cli.path()]).unwrap();
        let found = find_on_path(&path, Some(".COM;.EXE;.BAT;.CMD".as_ref()), true);
        assert_eq!(found, Some(cli.path().join("az.cmd")));
        // Without PATHEXT, the Windows default list still has .CMD.
        assert_eq!(
            find_on_path(&path, None, true),
            Some(cli.path().join("az.cmd"))
        );
        // A bare `az` (no extension) is not what Windows runs.
        let bare = dir_with(&["az"]);
        let path = std::env::join_paths([bare.path()]).unwrap();
        assert_eq!(find_on_path(&path, None, true), None);
    }

    #[test]
    fn elsewhere_the_bare_name_is_found_in_path_order() {
        let first = dir_with(&["az"]);
        let second = dir_with(&["az"]);
        let path = std::env::join_paths([first.path(), second.path()]).unwrap();
        assert_eq!(
            find_on_path(&path, None, false),
            Some(first.path().join("az"))
        );
        let cmd_only = dir_with(&["az.cmd"]);
        let path = std::env::join_paths([cmd_only.path()]).unwrap();
        assert_eq!(find_on_path(&path, None, false), None);
    }
}
