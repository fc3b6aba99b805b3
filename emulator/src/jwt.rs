//! JWT-shaped tokens: `base64url(header).base64url(claims).base64url(signature)`.
//!
//! The emulator does not sign anything: the "signature" is random bytes, and Graph
//! accepts a token only because the emulator remembers issuing it (docs/sign-in.md §3:
//! clients must never validate a Graph token, only possibly read it). The claims are the
//! ones a real Graph token carries, so a client that reads `tid`, `roles` or `scp` for an
//! early permission check sees realistic values.

use serde_json::{Map, Value, json};

use super::util::{b64url, b64url_decode, random_bytes, random_from};

/// Encodes `claims` as an RS256-looking JWT with a random signature.
pub(crate) fn encode(claims: &Value) -> String {
    let header = json!({
        "typ": "JWT",
        "alg": "RS256",
        "x5t": "emulator-key",
        "kid": "emulator-key",
    });
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(&random_bytes(256)),
    )
}

/// Reads the claims of a JWT without validating anything. `None` when the token is not
/// three base64url parts with a JSON object in the middle.
pub(crate) fn claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = b64url_decode(payload)?;
    match serde_json::from_slice::<Value>(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// What goes into an access token for Microsoft Graph.
pub(crate) struct AccessClaims<'a> {
    /// Microsoft Graph's resource URI in the emulated cloud.
    pub audience: &'a str,
    pub tenant_id: &'a str,
    pub oid: &'a str,
    pub app_id: &'a str,
    pub app_display_name: &'a str,
    pub delegated: bool,
    pub roles: &'a [String],
    pub scp: &'a [String],
    pub upn: Option<&'a str>,
    pub lifetime_secs: u64,
}

/// Builds a Graph access token (v1 token format, as Graph tokens are today:
/// `iss` = `https://sts.windows.net/{tid}/`).
pub(crate) fn graph_access_token(c: &AccessClaims<'_>) -> (String, i64) {
    let iat = super::util::unix_now();
    let exp = iat + i64::try_from(c.lifetime_secs).unwrap_or(3599);
    let mut claims = json!({
        "aud": c.audience,
        "iss": format!("https://sts.windows.net/{}/", c.tenant_id),
        "iat": iat,
        "nbf": iat,
        "exp": exp,
        "aio": random_from(super::util::ALNUM, 48),
        "app_displayname": c.app_display_name,
        "appid": c.app_id,
        "appidacr": "1",
        "idp": format!("https://sts.windows.net/{}/", c.tenant_id),
        "idtyp": if c.delegated { "user" } else { "app" },
        "oid": c.oid,
        "sub": c.oid,
        "tid": c.tenant_id,
        "uti": random_from(super::util::ALNUM, 22),
        "ver": "1.0",
    });
    if let Value::Object(map) = &mut claims {
        // Entra omits `roles` when the app holds none, and `scp` on app-only tokens.
        if !c.roles.is_empty() {
            map.insert("roles".to_owned(), json!(c.roles));
        }
        if c.delegated {
            map.insert("scp".to_owned(), json!(c.scp.join(" ")));
            map.insert("appidacr".to_owned(), json!("0"));
            if let Some(upn) = c.upn {
                map.insert("upn".to_owned(), json!(upn));
                map.insert("unique_name".to_owned(), json!(upn));
            }
        }
    }
    (encode(&claims), exp)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn encoded_token_round_trips_its_claims() {
        let t = encode(&json!({"tid": "t", "roles": ["A"]}));
        assert_eq!(t.split('.').count(), 3);
        let c = claims(&t).expect("claims");
        assert_eq!(c["tid"], "t");
        assert!(claims("abc").is_none());
        assert!(claims("a.b.c.d").is_none());
    }
}
