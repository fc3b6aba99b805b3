//! Entra's token endpoint and its error answers (docs/sign-in.md §6, §11).

use std::fmt;

use anyhow::Context as _;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::http::{Http, Retry};

/// A successful token answer.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: SecretString,
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// Delegated flows: the granted scopes, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Entra's error body. Control flow keys on `error`; the AADSTS number only
/// chooses a friendlier hint (Microsoft warns that the numbers change).
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct EntraError {
    pub error: String,
    pub error_description: String,
    pub error_codes: Vec<u64>,
    pub trace_id: Option<String>,
    pub correlation_id: Option<String>,
    #[serde(skip)]
    pub status: u16,
}

impl EntraError {
    /// An error the browser brought back on the redirect (`error`,
    /// `error_description`), whose AADSTS code is in the description.
    pub(crate) fn from_redirect(error: &str, description: &str) -> EntraError {
        let code = description
            .strip_prefix("AADSTS")
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|digits| digits.parse().ok());
        EntraError {
            error: error.to_owned(),
            error_description: description.to_owned(),
            error_codes: code.into_iter().collect(),
            ..EntraError::default()
        }
    }

    pub(crate) fn has_code(&self, code: u64) -> bool {
        self.error_codes.contains(&code)
            || self
                .error_description
                .starts_with(&format!("AADSTS{code}:"))
    }

    /// The first line of `error_description` ("AADSTS7000215: Invalid client
    /// secret provided. …"), without the trace lines that follow it.
    pub(crate) fn summary(&self) -> &str {
        self.error_description
            .split(['\r', '\n'])
            .next()
            .unwrap_or_default()
            .trim()
    }

    /// What to do about it, for the codes admins hit (docs/sign-in.md §11).
    pub(crate) fn hint(&self) -> Option<&'static str> {
        const HINTS: &[(&[u64], &str)] = &[
            (
                &[90002],
                "check the tenant id or domain, and the cloud (--cloud)",
            ),
            (
                &[50020, 50034, 51004],
                "sign in with an account of the target tenant, or fix --tenant",
            ),
            (
                &[50076, 50079],
                "multi-factor authentication is required: use an interactive sign-in method",
            ),
            (
                &[53003, 530035],
                "blocked by Conditional Access or security defaults (which often block the device code flow): try --auth browser or --auth az-cli, or ask your Entra administrator",
            ),
            (
                &[65001, 90094],
                "an administrator must consent to the client first, or the account lacks a role that may consent to what was asked (--admin-consent asks for DelegatedPermissionGrant.ReadWrite.All): sign in as a Cloud Application Administrator, or run without --admin-consent",
            ),
            (
                &[7000218],
                "the client is not a public client: turn on \"Allow public client flows\" (Authentication) on the app named by --client-id, or pass a credential (--auth client-secret)",
            ),
            (
                &[50011],
                "the redirect URI does not match: register http://localhost under \"Mobile and desktop applications\" on the app named by --client-id (browser sign-in answers on http://localhost:<port>)",
            ),
            (
                &[700016],
                "check the client id and the tenant; a just-created app can take a minute to become usable",
            ),
            (
                &[7000215],
                "check the client secret: use the secret's value, not its id",
            ),
            (
                &[7000222],
                "the client secret has expired: create a new one for the signing-in app in the Azure portal (for the integration's own app, aad-setup rotate makes one)",
            ),
            (
                &[7000229],
                "the app has no service principal in this tenant",
            ),
            (&[500011], "the API is not available in this tenant"),
            (
                &[50194, 9001023, 90124, 90130],
                "use the tenant id instead of 'common' or 'organizations'",
            ),
        ];
        HINTS
            .iter()
            .find(|(codes, _)| codes.iter().any(|c| self.has_code(*c)))
            .map(|(_, hint)| *hint)
    }
}

impl fmt::Display for EntraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let summary = self.summary();
        if summary.is_empty() {
            write!(f, "Entra answered {} {}", self.status, self.error)?;
        } else {
            write!(f, "{summary} ({})", self.error)?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " [correlation id {id}")?;
            if let Some(trace) = &self.trace_id {
                write!(f, ", trace id {trace}")?;
            }
            write!(f, "]")?;
        }
        Ok(())
    }
}

impl std::error::Error for EntraError {}

/// `{authority}/{tenant}/oauth2/v2.0/{leaf}`.
/// What an administrator must do when Entra refuses a user's sign-in for want of
/// consent (AADSTS65001 at the device code's poll, AADSTS90094 in the browser): the
/// admin-consent URL of the signing-in public client for the Graph scopes asked, and
/// which roles may consent (docs/sign-in.md §1, §11; the v2.0 `adminconsent`
/// endpoint). `None` for other errors.
pub(crate) fn consent_hint(
    error: &EntraError,
    login_url: &Url,
    tenant: &str,
    client_id: &str,
    scope: &str,
) -> Option<String> {
    if !error.has_code(65001) && !error.has_code(90094) {
        return None;
    }
    let graph_scopes: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| s.contains('/'))
        .collect();
    let mut url = endpoint(login_url, tenant, "x");
    let path = url.path().replace("/oauth2/v2.0/x", "/v2.0/adminconsent");
    url.set_path(&path);
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("scope", &graph_scopes.join(" "))
        .append_pair("redirect_uri", "http://localhost");
    let names: Vec<&str> = graph_scopes
        .iter()
        .map(|s| s.rsplit('/').next().unwrap_or(s))
        .collect();
    Some(format!(
        "a user may not consent to {} alone: an administrator (Global Administrator, Privileged Role Administrator, Cloud Application Administrator or Application Administrator) must first consent for the whole tenant to the signing-in client {client_id}, by opening {url} and accepting; or sign in as one of them. --admin-consent also asks for DelegatedPermissionGrant.ReadWrite.All, which only such an administrator obtains: run without it otherwise",
        names.join(", ")
    ))
}

pub(crate) fn endpoint(login_url: &Url, tenant: &str, leaf: &str) -> Url {
    let mut url = login_url.clone();
    let path = format!(
        "{}/{}/oauth2/v2.0/{leaf}",
        url.path().trim_end_matches('/'),
        tenant
    );
    url.set_path(&path);
    url
}

/// POSTs a token request. The form carries secrets: it is built at the last
/// moment by `form` and never logged.
pub(crate) async fn request_token(
    http: &Http,
    login_url: &Url,
    tenant: &str,
    form: &[(&str, &str)],
) -> anyhow::Result<Result<TokenResponse, EntraError>> {
    let url = endpoint(login_url, tenant, "token");
    let reply = http
        .send(
            "Microsoft Entra sign-in",
            Retry::Idempotent,
            http.request(reqwest::Method::POST, url).form(form),
        )
        .await?;
    if reply.status.is_success() {
        return Ok(Ok(reply.json().context("reading Entra's token answer")?));
    }
    let mut error: EntraError = serde_json::from_str(&reply.body).unwrap_or_default();
    error.status = reply.status.as_u16();
    Ok(Err(error))
}

/// The tenant id for a domain, from the tenant's OpenID configuration
/// (docs/sign-in.md §3): the path segment of `issuer` before `/v2.0`.
pub(crate) async fn resolve_tenant_id(
    http: &Http,
    login_url: &Url,
    tenant: &str,
) -> anyhow::Result<String> {
    let mut url = login_url.clone();
    let path = format!(
        "{}/{tenant}/v2.0/.well-known/openid-configuration",
        url.path().trim_end_matches('/')
    );
    url.set_path(&path);
    let reply = http
        .send(
            "Microsoft Entra discovery",
            Retry::Idempotent,
            http.request(reqwest::Method::GET, url),
        )
        .await?;
    if !reply.status.is_success() {
        let error: EntraError = serde_json::from_str(&reply.body).unwrap_or_default();
        return Err(crate::error::Failure::new(
            crate::error::Kind::SignIn,
            format!("Entra does not know the tenant '{tenant}': {error}"),
        )
        .with_hint("check the tenant id or domain, and the cloud (--cloud)")
        .into());
    }
    #[derive(Deserialize)]
    struct Discovery {
        issuer: String,
    }
    let doc: Discovery = reply.json()?;
    let issuer = Url::parse(&doc.issuer).context("the tenant's issuer is not a URL")?;
    issuer
        .path_segments()
        .and_then(|mut s| s.next().map(str::to_owned))
        .filter(|id| crate::validate::is_guid(id))
        .with_context(|| format!("the tenant's issuer ({}) carries no tenant id", doc.issuer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_drop_the_trace_lines_and_hints_follow_the_code() {
        let err = EntraError {
            error: "invalid_client".into(),
            error_description:
                "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c"
                    .into(),
            error_codes: vec![7000215],
            trace_id: Some("t".into()),
            correlation_id: Some("c".into()),
            status: 401,
        };
        assert_eq!(
            err.summary(),
            "AADSTS7000215: Invalid client secret provided."
        );
        assert!(err.hint().unwrap().contains("secret"));
        assert_eq!(
            err.to_string(),
            "AADSTS7000215: Invalid client secret provided. (invalid_client) [correlation id c, trace id t]"
        );
    }

    #[test]
    fn an_organisations_own_public_client_gets_hints_that_say_what_to_fix() {
        let hint = |code: u64| {
            EntraError {
                error_codes: vec![code],
                ..EntraError::default()
            }
            .hint()
            .unwrap_or_default()
        };
        assert!(hint(7000218).contains("Allow public client flows"));
        assert!(hint(50011).contains("http://localhost"));
        assert!(hint(50011).contains("Mobile and desktop applications"));
        assert!(hint(65001).contains("--admin-consent"));
        assert!(!hint(7000222).contains("once available"));
        assert!(hint(7000222).contains("aad-setup rotate"));
    }

    #[test]
    fn endpoints_keep_a_path_prefix() {
        let login = Url::parse("http://127.0.0.1:9/login").unwrap();
        assert_eq!(
            endpoint(&login, "contoso.onmicrosoft.com", "token").as_str(),
            "http://127.0.0.1:9/login/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }
}
