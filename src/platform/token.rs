//! The platform's access token: its format and where it lives
//! (docs/platform.md §2.1, §2.2).
//!
//! The token is `base64("<id>:<secret>:<domain>:<environment>")`, sent whole
//! as the Bearer value. It is decoded locally only to check its shape and to
//! show the team; the secret part never leaves [`PlatformToken`].

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};

/// A parsed platform token.
#[derive(Clone)]
pub(crate) struct PlatformToken {
    serialized: SecretString,
    /// The token's id (not secret).
    pub id: String,
    /// The team host, e.g. `acme.pushbot.com`.
    pub domain: String,
    /// Where it came from, for messages ("CATALYTIC_TOKEN", a path).
    pub source: String,
}

impl fmt::Debug for PlatformToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformToken")
            .field("id", &self.id)
            .field("domain", &self.domain)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl PlatformToken {
    /// Checks the shape: base64 of exactly four non-empty `:`-separated parts.
    pub(crate) fn parse(raw: &str, source: &str) -> Result<PlatformToken, String> {
        let trimmed = raw.trim();
        let bad = || {
            format!(
                "the platform token from {source} is not a platform access token (expected the serialized token: base64 of id:secret:domain:environment)"
            )
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(trimmed)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
            .map_err(|_| bad())?;
        let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
        let parts: Vec<&str> = decoded.split(':').collect();
        if parts.len() != 4 || parts.iter().any(|p| p.trim().is_empty()) {
            return Err(bad());
        }
        Ok(PlatformToken {
            serialized: SecretString::from(trimmed.to_owned()),
            id: parts[0].to_owned(),
            domain: parts[2].to_ascii_lowercase(),
            source: source.to_owned(),
        })
    }

    pub(crate) fn bearer(&self) -> &str {
        self.serialized.expose_secret()
    }
}

/// `~/.catalytic/tokens`, where the platform's SDKs keep tokens.
pub(crate) fn store_dir() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".catalytic").join("tokens"))
}

/// A `--platform-token-file` value: an existing path, or a token name in the
/// store (as the SDKs' "from file" lookup does).
pub(crate) fn locate(value: &str) -> PathBuf {
    let path = Path::new(value);
    if path.exists() || value.contains(std::path::MAIN_SEPARATOR) {
        return path.to_owned();
    }
    match store_dir() {
        Some(dir) if dir.join(value).exists() => dir.join(value),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn a_well_formed_token_shows_its_team_but_not_its_secret() {
        let raw = encode("0b4b2bd1-6b1f-4f47-9f0c-1c2a3b4c5d6e:topsecret:Acme.pushbot.com:v1");
        let token = PlatformToken::parse(&format!("  {raw}\n"), "CATALYTIC_TOKEN").unwrap();
        assert_eq!(token.domain, "acme.pushbot.com");
        assert_eq!(token.bearer(), raw);
        assert!(!format!("{token:?}").contains("topsecret"));
    }

    #[test]
    fn malformed_tokens_are_refused_with_their_source() {
        for raw in ["not base64!", &encode("a:b:c"), &encode("a::c:d"), ""] {
            let err = PlatformToken::parse(raw, "/tmp/t").unwrap_err();
            assert!(err.contains("/tmp/t"), "{err}");
        }
    }
}

/// Property tests: the token parser never panics and accepts exactly base64
/// of four non-empty `:`-separated parts.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_is_parsed_without_panic(s in ".{0,80}") {
            let _ = PlatformToken::parse(&s, "test");
        }

        #[test]
        fn exactly_four_non_empty_parts_are_a_token(
            parts in proptest::collection::vec("[A-Za-z0-9.-]{0,12}", 1..7),
            pad in any::<bool>(),
        ) {
            let joined = parts.join(":");
            let engine = if pad {
                base64::engine::general_purpose::STANDARD
            } else {
                base64::engine::general_purpose::STANDARD_NO_PAD
            };
            let encoded = format!("  {}\n", engine.encode(&joined));
            let good = parts.len() == 4 && parts.iter().all(|p| !p.is_empty());
            match PlatformToken::parse(&encoded, "test") {
                Ok(t) => {
                    prop_assert!(good);
                    prop_assert_eq!(&t.domain, &parts[2].to_ascii_lowercase());
                    prop_assert_eq!(t.bearer(), encoded.trim());
                }
                Err(e) => {
                    prop_assert!(!good);
                    // The message never repeats the token.
                    prop_assert!(encoded.trim().len() < 4 || !e.contains(encoded.trim()));
                }
            }
        }
    }
}
