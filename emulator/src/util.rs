//! Small helpers shared by the emulated services: the reply type every handler returns,
//! ids and random values, time formats, percent-decoding and query parsing.
//!
//! Nothing here knows about a particular service.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use rand::Rng as _;
use serde_json::Value;

/// What a handler answers, before it becomes an HTTP response. Kept as plain data so
/// that the dispatcher can swap it for an injected fault or add headers afterwards.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub content_type: Option<&'static str>,
}

pub(crate) const JSON: &str = "application/json; charset=utf-8";
/// Graph's own content type (what graph.microsoft.com sends).
pub(crate) const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
pub(crate) const PROBLEM_JSON: &str = "application/problem+json; charset=utf-8";

impl Reply {
    pub fn json(status: u16, value: &Value) -> Self {
        Self::json_typed(status, value, JSON)
    }

    pub fn json_typed(status: u16, value: &Value, content_type: &'static str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(serde_json::to_vec(value).unwrap_or_default()),
            content_type: Some(content_type),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
            content_type: None,
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn into_response(self) -> Response {
        let mut builder = Response::builder()
            .status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        if let Some(ct) = self.content_type {
            builder = builder.header("content-type", ct);
        }
        for (k, v) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                builder = builder.header(name, value);
            }
        }
        builder
            .body(Body::from(self.body.unwrap_or_default()))
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }
}

/// A request as the handlers see it: raw (percent-encoded) path, parsed query, headers
/// and the whole body.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
    /// When the request arrived, in microseconds since the Unix epoch.
    pub received_micros: u64,
}

/// Now, in microseconds since the Unix epoch (the request log's clock).
pub(crate) fn now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type of the body, lowercased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The bearer token of `Authorization`, trimmed.
    pub fn bearer(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, rest) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| rest.trim())
            .filter(|t| !t.is_empty())
    }

    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits a raw query string into decoded pairs (`+` is a space, as in forms).
pub(crate) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

/// Percent-decodes one path segment (`%2F` becomes `/`; `+` stays `+`).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a raw path (after a service prefix) into decoded segments, dropping empty ones
/// at the ends.
pub(crate) fn segments(raw: &str) -> Vec<String> {
    raw.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect()
}

pub(crate) fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) fn is_guid(s: &str) -> bool {
    // Graph accepts GUIDs in their 36-character form only.
    s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()
}

/// Random string of `len` characters drawn from `charset`.
pub(crate) fn random_from(charset: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| charset[rng.random_range(0..charset.len())] as char)
        .collect()
}

pub(crate) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub(crate) fn random_bytes(len: usize) -> Vec<u8> {
    let mut rng = rand::rng();
    (0..len).map(|_| rng.random::<u8>()).collect()
}

pub(crate) fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

pub(crate) fn b64_std(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes a serialized platform token: base64 of exactly four non-empty `:`-separated
/// parts `id:secret:domain:environment` (docs/platform.md §2.1). Surrounding whitespace is
/// trimmed, as the SDKs do.
pub(crate) fn decode_platform_token(token: &str) -> Option<[String; 4]> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    Some([
        parts[0].to_owned(),
        parts[1].to_owned(),
        parts[2].to_owned(),
        parts[3].to_owned(),
    ])
}

pub(crate) fn encode_platform_token(id: &str, secret: &str, domain: &str, env: &str) -> String {
    b64_std(format!("{id}:{secret}:{domain}:{env}").as_bytes())
}

/// Now, on this emulator's clock (see [`super::clock`]).
pub(crate) fn now() -> jiff::Timestamp {
    super::clock::now()
}

pub(crate) fn unix_now() -> i64 {
    now().as_second()
}

/// `2025-11-29T10:12:31Z` (Graph `createdDateTime`, platform `createdAt`).
pub(crate) fn iso_seconds(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2025-11-29T10:12:31.12Z`-style: RFC 3339 with at most millisecond precision
/// (password credential dates).
pub(crate) fn iso_millis(ts: jiff::Timestamp) -> String {
    ts.round(jiff::Unit::Millisecond).unwrap_or(ts).to_string()
}

/// `2025-11-29T10:12:31` (Graph `innerError.date`; docs/graph.md §4.1).
pub(crate) fn graph_error_date() -> String {
    now().strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `2025-06-09 09:07:41Z` (Entra `timestamp`; docs/sign-in.md §11).
pub(crate) fn aad_timestamp() -> String {
    now().strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// ASP.NET Core's `traceId` (W3C trace context) for ProblemDetails.
pub(crate) fn trace_id() -> String {
    let hex = |n: usize| {
        random_bytes(n)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    format!("00-{}-{}-00", hex(16), hex(8))
}

/// Lowercase, runs of non-alphanumerics become one `-`, trimmed of `-`.
pub(crate) fn slug(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn percent_decode_handles_encoded_slashes_and_bad_escapes() {
        assert_eq!(percent_decode("a%2Fb%2fc"), "a/b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%27x%27"), "'x'");
    }

    #[test]
    fn platform_token_needs_four_non_empty_parts() {
        let t = encode_platform_token("i", "s", "acme.pushbot.com", "v1");
        assert!(decode_platform_token(&t).is_some());
        assert!(decode_platform_token(&b64_std(b"i:s:acme.pushbot.com")).is_none());
        assert!(decode_platform_token(&b64_std(b"i::acme.pushbot.com:v1")).is_none());
        assert!(decode_platform_token("not base64!").is_none());
    }
}
