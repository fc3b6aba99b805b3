//! Signing in to Microsoft: one module per method, one [`Session`] out.
//!
//! Methods: [`client_secret`] and [`workload_identity`] (app-only, for
//! pipelines), [`device_code`] and [`az_cli`] (an admin), and a token given
//! as it is. The token is a secret from the moment it arrives: held in
//! a `SecretString`, never printed or logged.

pub(crate) mod az_cli;
pub(crate) mod browser;
pub(crate) mod choice;
pub(crate) mod claims;
pub(crate) mod client_secret;
pub(crate) mod device_code;
pub(crate) mod entra;
pub(crate) mod workload_identity;

use secrecy::SecretString;

use crate::cloud::Endpoints;
use crate::error::{Failure, Kind};
use crate::http::Http;
use crate::output::Printer;
use crate::validate;

/// How to sign in to Microsoft, resolved.
#[derive(Debug)]
pub(crate) enum SignIn {
    /// App-only, client credentials with a secret.
    ClientSecret(client_secret::Request),
    /// A bearer token given as it is.
    Token(GivenToken),
    /// The Azure CLI's login.
    AzCli(az_cli::Request),
    /// The device authorization flow, as a user.
    DeviceCode(device_code::Request),
    /// Authorization code with PKCE, in a browser on this machine.
    Browser(browser::Request),
    /// App-only with a federated assertion.
    WorkloadIdentity(workload_identity::Request),
}

/// A Graph token given as it is.
#[derive(Debug)]
pub(crate) struct GivenToken {
    pub token: SecretString,
    pub tenant: Option<String>,
}

/// A signed-in Graph identity.
#[derive(Clone)]
pub(crate) struct Session {
    pub token: SecretString,
    /// The directory's id (GUID).
    pub tenant_id: String,
    /// What the token may do (`scp` or `roles`), when that can be read.
    pub permissions: Option<Vec<String>>,
    /// App-only (roles) rather than delegated (scopes).
    pub app_only: bool,
    /// Who signed in, for messages ("app 1234…", "the given token").
    pub identity: String,
    /// The method used (`client-secret`, `token`).
    pub method: &'static str,
    /// The directory's name and default domain, when Graph would say
    /// (filled in after sign-in: `steps::sign_in`).
    pub directory: Option<Directory>,
}

/// Which directory a sign-in landed in, by name: guest and MSP admins can
/// land in another than they meant (docs/graph.md §2.10).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    pub display_name: String,
    pub default_domain: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("tenant_id", &self.tenant_id)
            .field("permissions", &self.permissions)
            .field("identity", &self.identity)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// Signs in with the planned method and learns the tenant id.
/// A token made elsewhere (Azure CLI, a file) must be for this cloud's Graph:
/// its audience names the Graph host (or Graph's app id, which every cloud
/// shares). Another cloud's token would only meet 401s.
fn check_audience(
    endpoints: &Endpoints,
    identity: &str,
    audiences: &[String],
) -> anyhow::Result<()> {
    let cloud = endpoints.cloud;
    if audiences.is_empty() || audiences.iter().any(|a| cloud.graph_audience_matches(a)) {
        return Ok(());
    }
    let aud = &audiences[0];
    let other = [
        crate::cloud::Cloud::PUBLIC,
        crate::cloud::Cloud::USGOV,
        crate::cloud::Cloud::USGOV_DOD,
        crate::cloud::Cloud::CHINA,
    ]
    .into_iter()
    .find(|c| c.graph_audience_matches(aud));
    let hint = match other {
        Some(c) => format!(
            "the token is for the {} cloud's Graph: pass --cloud {} (or get a token for {})",
            c.name, c.name, cloud.graph
        ),
        None => format!(
            "get a token for Microsoft Graph ({}), e.g. az account get-access-token --resource-type ms-graph",
            cloud.graph
        ),
    };
    Err(Failure::new(
        Kind::SignIn,
        format!(
            "{identity} is for {aud}, not Microsoft Graph of the {} cloud (--cloud {})",
            cloud.name, cloud.name
        ),
    )
    .with_hint(hint)
    .into())
}

pub(crate) async fn sign_in(
    http: &Http,
    endpoints: &Endpoints,
    printer: &Printer,
    plan: &SignIn,
) -> anyhow::Result<Session> {
    let mut session = match plan {
        SignIn::ClientSecret(client_secret::Request {
            tenant,
            client_id,
            secret,
            source,
        }) => client_secret::sign_in(http, endpoints, tenant, client_id, secret, source).await?,
        SignIn::WorkloadIdentity(workload_identity::Request {
            tenant,
            client_id,
            assertion,
        }) => {
            workload_identity::sign_in(http, endpoints, printer, tenant, client_id, assertion)
                .await?
        }
        SignIn::DeviceCode(device_code::Request {
            tenant,
            client_id,
            scope,
        }) => device_code::sign_in(http, endpoints, printer, tenant, client_id, scope).await?,
        SignIn::Browser(browser::Request {
            tenant,
            client_id,
            scope,
            browser,
        }) => {
            browser::sign_in(
                http,
                endpoints,
                printer,
                tenant,
                client_id,
                scope,
                browser.as_deref(),
            )
            .await?
        }
        SignIn::AzCli(request) => az_cli::sign_in(request).await?,
        SignIn::Token(GivenToken { token, tenant }) => {
            let claims = claims::read(token);
            let tenant_id = claims
                .as_ref()
                .and_then(|c| c.tid.clone())
                .or_else(|| tenant.clone())
                .unwrap_or_default();
            Session {
                token: token.clone(),
                tenant_id,
                permissions: claims.as_ref().map(claims::Claims::permissions),
                app_only: claims.as_ref().is_some_and(|c| c.scp.is_none()),
                identity: "the given Graph token".into(),
                method: "token",
                directory: None,
            }
        }
    };
    if let Some(claims) = claims::read(&session.token) {
        if matches!(plan, SignIn::AzCli(_) | SignIn::Token(_)) {
            check_audience(endpoints, &session.identity, &claims.audiences())?;
        }
        if let Some(exp) = claims.exp {
            if exp < jiff::Timestamp::now().as_second() {
                return Err(Failure::new(
                    Kind::SignIn,
                    format!("{} has expired", session.identity),
                )
                .with_hint("get a fresh token and run again")
                .into());
            }
        }
    }
    if !validate::is_guid(&session.tenant_id) {
        // A domain, or nothing readable: the tenant's discovery document knows.
        let tenant = match (session.tenant_id.is_empty(), plan) {
            (false, _) => session.tenant_id.clone(),
            (
                true,
                SignIn::Token(GivenToken {
                    tenant: Some(t), ..
                }),
            ) => t.clone(),
            _ => {
                return Err(Failure::new(
                    Kind::Usage,
                    "the tenant cannot be read from the Graph token; give --tenant (or AZURE_TENANT_ID)",
                )
                .into());
            }
        };
        session.tenant_id = entra::resolve_tenant_id(http, &endpoints.login, &tenant).await?;
    }
    Ok(session)
}

/// A right the run needs, with the alternatives that grant it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Need {
    pub what: &'static str,
    /// Delegated scopes that grant it.
    pub scopes: &'static [&'static str],
    /// Application roles that grant it.
    pub roles: &'static [&'static str],
    /// The directory roles an admin needs for the delegated case.
    pub admin_roles: &'static str,
}

pub(crate) const MANAGE_APPS: Need = Need {
    what: "Application.ReadWrite.All",
    scopes: &["Application.ReadWrite.All"],
    roles: &["Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"],
    admin_roles: "Application Administrator or Cloud Application Administrator",
};

pub(crate) const GRANT_CONSENT: Need = Need {
    what: "DelegatedPermissionGrant.ReadWrite.All",
    scopes: &[
        "DelegatedPermissionGrant.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    roles: &[
        "DelegatedPermissionGrant.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    admin_roles: "Cloud Application Administrator, Application Administrator or Privileged Role Administrator",
};

/// Fails with exit 4 before any write when the token visibly lacks a right.
/// A token whose permissions cannot be read passes; Graph's first 403 then
/// gets the same message (see [`denied`]).
pub(crate) fn require(session: &Session, needs: &[Need]) -> anyhow::Result<()> {
    let Some(have) = &session.permissions else {
        return Ok(());
    };
    for need in needs {
        let accepted = if session.app_only {
            need.roles
        } else {
            need.scopes
        };
        if !accepted
            .iter()
            .any(|a| have.iter().any(|h| h.eq_ignore_ascii_case(a)))
        {
            let has = if have.is_empty() {
                "none".to_owned()
            } else {
                have.join(", ")
            };
            return Err(denied(session, need, &format!("it has: {has}")));
        }
    }
    Ok(())
}

/// The "insufficient privileges" failure for a need.
pub(crate) fn denied(session: &Session, need: &Need, why: &str) -> anyhow::Error {
    let holds = |p: &str| {
        session
            .permissions
            .as_ref()
            .is_some_and(|have| have.iter().any(|h| h.eq_ignore_ascii_case(p)))
    };
    // Application.ReadWrite.OwnedBy (app-only) and an Application Developer
    // (delegated) change only the apps they own (docs/sign-in.md §1).
    let owned_only = if session.app_only
        && holds("Application.ReadWrite.OwnedBy")
        && !holds("Application.ReadWrite.All")
    {
        " (Application.ReadWrite.OwnedBy changes only the apps this identity owns, such as those it created)"
    } else if !session.app_only && holds("Application.ReadWrite.All") {
        " (a user who is not an administrator may change only the apps they own)"
    } else {
        ""
    };
    let hint = if session.app_only {
        format!(
            "grant the application permission {} to the signing-in app ({}) and grant admin consent for it, or sign in as an admin{owned_only}",
            need.what, session.identity
        )
    } else {
        format!(
            "sign in as a user with the {} role, with consent to {}{owned_only}",
            need.admin_roles, need.what
        )
    };
    Failure::new(
        Kind::Privileges,
        format!(
            "{} lacks {}, which this run needs ({why})",
            session.identity, need.what
        ),
    )
    .with_hint(hint)
    .into()
}
