//! Reading (never validating) a Graph token's claims.
//!
//! Microsoft asks clients not to depend on reading access tokens for APIs
//! they do not own (docs/sign-in.md §3). Graph tokens are JWTs today, so the
//! tool reads `tid`, `scp` and `roles` for an early, friendly check, and
//! works on when the token cannot be read.

use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct Claims {
    pub tid: Option<String>,
    /// Delegated scopes, space-separated.
    pub scp: Option<String>,
    /// Application roles.
    pub roles: Option<Vec<String>>,
    pub exp: Option<i64>,
    pub appid: Option<String>,
    /// The signed-in user, in delegated tokens.
    pub upn: Option<String>,
    /// The API the token is for: a string, or (rarely) a list.
    pub aud: Option<serde_json::Value>,
}

impl Claims {
    /// The audiences the token names.
    pub(crate) fn audiences(&self) -> Vec<String> {
        match &self.aud {
            Some(serde_json::Value::String(a)) => vec![a.clone()],
            Some(serde_json::Value::Array(all)) => all
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn permissions(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .scp
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        all.extend(self.roles.iter().flatten().cloned());
        all
    }
}

/// The payload of a JWT-shaped token, if it is one.
pub(crate) fn read(token: &SecretString) -> Option<Claims> {
    let payload = token.expose_secret().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scopes_roles_and_tenant_and_tolerates_opaque_tokens() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"tid":"t","scp":"A.Read B.Write","roles":["C"],"exp":5}"#);
        let token = SecretString::from(format!("h.{payload}.s"));
        let claims = read(&token).unwrap();
        assert_eq!(claims.tid.as_deref(), Some("t"));
        assert_eq!(claims.permissions(), ["A.Read", "B.Write", "C"]);
        assert!(read(&SecretString::from("opaque-token".to_owned())).is_none());
    }
}
