//! Checks for every value the user gives, run before anything is created.
//!
//! Each returns a message that names the value and what is accepted; the
//! caller turns it into a usage error (exit 2).

use jiff::{Span, Timestamp, Unit, civil::Date, tz::TimeZone};
use url::Url;

/// `8-4-4-4-12` hexadecimal, the form Entra ids take.
pub(crate) fn is_guid(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

pub(crate) fn guid(what: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    if is_guid(value) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(format!(
            "{what} '{value}' is not a GUID (expected the form 00000000-0000-0000-0000-000000000000)"
        ))
    }
}

/// A tenant: its id (GUID) or a domain such as `contoso.onmicrosoft.com`.
pub(crate) fn tenant(value: &str) -> Result<String, String> {
    let value = value.trim();
    if is_guid(value) {
        return Ok(value.to_ascii_lowercase());
    }
    if matches!(
        value.to_ascii_lowercase().as_str(),
        "common" | "organizations" | "consumers"
    ) {
        return Err(format!(
            "tenant '{value}' names no single directory: give the tenant id (a GUID) or a verified domain such as contoso.onmicrosoft.com"
        ));
    }
    let labels: Vec<&str> = value.split('.').collect();
    let domain_like = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if domain_like {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(format!(
            "tenant '{value}' is neither a tenant id (GUID) nor a domain such as contoso.onmicrosoft.com"
        ))
    }
}

/// A URL the tool will call: https, or http on a loopback host only.
pub(crate) fn service_url(what: &str, value: &str) -> Result<Url, String> {
    let trimmed = value.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        // AZURE_AUTHORITY_HOST may be a bare host (docs/sign-in.md §2).
        format!("https://{trimmed}")
    };
    let url =
        Url::parse(&with_scheme).map_err(|e| format!("{what} '{value}' is not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "{what} '{value}' uses http; only https is accepted (http only on 127.0.0.1 or localhost)"
            ));
        }
        other => return Err(format!("{what} '{value}' has scheme '{other}'; use https")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{what} '{value}' must not carry a query or fragment"
        ));
    }
    Ok(url)
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Characters Entra refuses in a redirect URI (reply-url.md, "Restrictions":
/// special characters), with `*` (no wildcards) and `#` (no fragment).
const REDIRECT_FORBIDDEN: &[char] = &['!', '$', '\'', '(', ')', ',', ';', '*', '#'];

/// Entra's length limit for a redirect URI.
pub const REDIRECT_MAX: usize = 256;

/// A Web redirect URI, by Entra's documented rules (reply-url.md): an
/// absolute URL with a host, https (http only for a loopback host:
/// localhost, 127.0.0.1, `[::1]`), no wildcard, no fragment, none of the
/// characters `! $ ' ( ) , ;`, no spaces, at most 256 characters.
pub(crate) fn redirect_uri(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.len() > REDIRECT_MAX {
        return Err(format!(
            "redirect URI is {} characters long; Entra accepts at most {REDIRECT_MAX}",
            value.len()
        ));
    }
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "redirect URI '{}' contains a space or control character ({:?})",
            value.escape_default(),
            c
        ));
    }
    if value.contains('*') {
        return Err(format!(
            "redirect URI '{value}' contains a wildcard (*); Entra needs the exact URI"
        ));
    }
    if value.contains('#') {
        return Err(format!(
            "redirect URI '{value}' has a fragment (#...); Entra does not accept one"
        ));
    }
    if let Some(c) = value.chars().find(|c| REDIRECT_FORBIDDEN.contains(c)) {
        return Err(format!(
            "redirect URI '{value}' contains '{c}'; Entra does not accept any of ! $ ' ( ) , ;"
        ));
    }
    let url = Url::parse(value)
        .map_err(|e| format!("redirect URI '{value}' is not an absolute URL: {e}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("redirect URI '{value}' has no host"));
    }
    match url.scheme() {
        "https" => Ok(value.to_owned()),
        "http" if is_loopback(&url) => Ok(value.to_owned()),
        _ => Err(format!(
            "redirect URI '{value}' must use https (http is accepted only for localhost)"
        )),
    }
}

/// The Resource the platform passes to the token endpoint: the App ID URI
/// of an API (docs/graph.md §6), so an absolute URI — a scheme, then
/// the rest, such as `https://graph.microsoft.com` or `api://<client id>` —
/// without spaces or a fragment, at most 256 characters.
pub fn resource(value: &str) -> Result<String, String> {
    let value = value.trim();
    const FORMS: &str = "an absolute URI such as https://graph.microsoft.com or api://<client id>";
    if value.is_empty() {
        return Err(format!("--resource is empty; give {FORMS}"));
    }
    if value.len() > REDIRECT_MAX {
        return Err(format!(
            "--resource is {} characters long; an App ID URI has at most {REDIRECT_MAX}",
            value.len()
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) || value.contains('#') {
        return Err(format!(
            "--resource '{}' is not {FORMS} (no spaces or fragment)",
            value.escape_default()
        ));
    }
    let url = Url::parse(value).map_err(|_| format!("--resource '{value}' is not {FORMS}"))?;
    // `Url` accepts `scheme:rest`; an App ID URI with an authority needs a host.
    let after_scheme = &value[url.scheme().len() + 1..];
    if after_scheme.is_empty()
        || (after_scheme.starts_with("//") && url.host_str().is_none_or(str::is_empty))
    {
        return Err(format!("--resource '{value}' is not {FORMS}"));
    }
    Ok(value.to_owned())
}

/// The value names `--field VALUE=FIELD` accepts, in their spelling.
pub const FIELD_VALUES: [&str; 4] = ["clientId", "clientSecret", "resource", "tenant"];

/// `--field VALUE=FIELD`: which of the four values (one of
/// [`FIELD_VALUES`], any case, spaces around ignored) goes into the
/// platform field FIELD (its name or referenceName, not empty).
pub fn field(entry: &str) -> Result<(&'static str, String), String> {
    let (value, field) = entry.split_once('=').ok_or_else(|| {
        format!("--field '{entry}' is not VALUE=FIELD (e.g. tenant=directory-id)")
    })?;
    let value = FIELD_VALUES
        .into_iter()
        .find(|v| v.eq_ignore_ascii_case(value.trim()))
        .ok_or_else(|| {
            format!(
                "--field '{entry}': '{value}' is not one of clientId, clientSecret, resource, tenant"
            )
        })?;
    let field = field.trim();
    if field.is_empty() {
        return Err(format!("--field '{entry}' names no field"));
    }
    if field.chars().any(char::is_control) {
        return Err(format!(
            "--field '{}' contains control characters",
            entry.escape_default()
        ));
    }
    Ok((value, field.to_owned()))
}

/// A display or connection name: printable, 1–120 characters.
pub(crate) fn name(what: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if value.chars().count() > 120 {
        return Err(format!("{what} '{value}' is longer than 120 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{what} contains control characters"));
    }
    Ok(value.to_owned())
}

/// When a new client secret expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    At(Timestamp),
    /// The portal's old "Never": 99 years (docs/graph.md §6).
    Never(Timestamp),
}

impl Expiry {
    pub(crate) fn timestamp(self) -> Timestamp {
        match self {
            Expiry::At(t) | Expiry::Never(t) => t,
        }
    }
}

/// `24 months`, `18mo`, `1y`, `P2Y`, `90d`, a date (`2027-11-29`), an RFC 3339
/// time, or `never`.
pub(crate) fn expiry(value: &str, now: Timestamp) -> Result<Expiry, String> {
    const ACCEPTED: &str =
        "a duration (24 months, 18mo, 1y, P2Y, 90d), a date (2027-11-29), or 'never'";
    let value = value.trim();
    let utc_now = now.to_zoned(TimeZone::UTC);
    let at = if value.eq_ignore_ascii_case("never") {
        let t = utc_now
            .checked_add(Span::new().years(99))
            .map_err(|e| e.to_string())?
            .timestamp();
        return Ok(Expiry::Never(
            t.round(Unit::Second).map_err(|e| e.to_string())?,
        ));
    } else if let Ok(span) = value.parse::<Span>() {
        utc_now
            .checked_add(span)
            .map_err(|e| format!("secret expiry '{value}' is out of range: {e}"))?
            .timestamp()
    } else if let Ok(date) = value.parse::<Date>() {
        date.to_zoned(TimeZone::UTC)
            .map_err(|e| e.to_string())?
            .timestamp()
    } else if let Ok(t) = value.parse::<Timestamp>() {
        t
    } else {
        return Err(format!(
            "secret expiry '{value}' is not understood; use {ACCEPTED}"
        ));
    };
    if at <= now {
        return Err(format!(
            "secret expiry '{value}' is not in the future; use {ACCEPTED}"
        ));
    }
    let at = at.round(Unit::Second).map_err(|e| e.to_string())?;
    Ok(Expiry::At(at))
}

/// A window before an expiry (`--if-expiring-within`, `--warn-within`):
/// a duration such as `30d`, `2 weeks`, `3mo`, `P30D`, not negative.
pub(crate) fn window(flag: &str, value: &str) -> Result<Span, String> {
    let span: Span = value
        .trim()
        .parse()
        .map_err(|_| format!("{flag} '{value}' is not a duration (e.g. 30d, 2 weeks, 3mo)"))?;
    if span.is_negative() {
        return Err(format!("{flag} '{value}' is negative"));
    }
    // Months and years need a date to count from: the check is made once now.
    Timestamp::now()
        .to_zoned(TimeZone::UTC)
        .checked_add(span)
        .map_err(|e| format!("{flag} '{value}' is out of range: {e}"))?;
    Ok(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_a_duration_and_not_negative() {
        assert!(window("--if-expiring-within", "30d").is_ok());
        assert!(window("--if-expiring-within", "2 weeks").is_ok());
        assert!(window("--if-expiring-within", "3mo").is_ok());
        let bad = window("--if-expiring-within", "soon").unwrap_err();
        assert!(bad.contains("--if-expiring-within 'soon'"), "{bad}");
        assert!(window("--if-expiring-within", "-5d").is_err());
    }

    fn now() -> Timestamp {
        "2026-11-29T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn guids_and_tenants() {
        assert!(is_guid("c5366453-9fb0-48a5-a156-24f0c49a4b84"));
        assert!(!is_guid("c5366453-9fb0-48a5-a156-24f0c49a4b8"));
        assert!(tenant("Contoso.onmicrosoft.com").is_ok());
        assert!(tenant("not a tenant").is_err());
        assert!(
            tenant("common")
                .unwrap_err()
                .contains("no single directory")
        );
        assert!(tenant("1234").is_err());
    }

    #[test]
    fn urls_are_https_or_loopback_http() {
        assert!(service_url("--graph-url", "http://127.0.0.1:8080/graph").is_ok());
        assert!(service_url("--graph-url", "http://localhost:1").is_ok());
        assert!(
            service_url("--graph-url", "http://example.com")
                .unwrap_err()
                .contains("only https")
        );
        assert_eq!(
            service_url("AZURE_AUTHORITY_HOST", "login.microsoftonline.us")
                .unwrap()
                .as_str(),
            "https://login.microsoftonline.us/"
        );
        assert!(redirect_uri(crate::guide::REDIRECT_URI).is_ok());
        assert!(redirect_uri("http://security.pushbot.com/oauth").is_err());
        assert!(redirect_uri("http://localhost:3000/cb").is_ok());
    }

    #[test]
    fn expiry_forms() {
        let two_years = expiry(crate::guide::SECRET_EXPIRY, now()).unwrap();
        assert_eq!(two_years.timestamp().to_string(), "2028-11-29T10:00:00Z");
        assert_eq!(
            expiry("P1Y", now()).unwrap().timestamp().to_string(),
            "2027-11-29T10:00:00Z"
        );
        assert_eq!(
            expiry("90d", now()).unwrap().timestamp().to_string(),
            "2027-02-27T10:00:00Z"
        );
        assert_eq!(
            expiry("2027-06-01", now()).unwrap().timestamp().to_string(),
            "2027-06-01T00:00:00Z"
        );
        assert!(
            matches!(expiry("never", now()).unwrap(), Expiry::Never(t) if t.to_string().starts_with("2125-11-29"))
        );
        assert!(
            expiry("soon", now())
                .unwrap_err()
                .contains("not understood")
        );
        assert!(
            expiry("2020-01-01", now())
                .unwrap_err()
                .contains("not in the future")
        );
    }
}

/// Property tests: every parser and validator here never panics, and
/// accepts exactly the documented forms.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn now() -> Timestamp {
        "2026-11-29T10:00:00Z".parse().unwrap()
    }

    /// The GUID form, checked independently of [`is_guid`].
    fn guid_form(s: &str) -> bool {
        s.len() == 36
            && s.char_indices().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    }

    const GUID: &str =
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    const HOST: &str = "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?){0,3}\\.[a-z]{2,6}";
    const PATH: &str = "(/[A-Za-z0-9._~-]{0,12}){0,4}";

    proptest! {
        #[test]
        fn guids_are_exactly_the_8_4_4_4_12_hex_form(s in ".{0,40}") {
            prop_assert_eq!(is_guid(&s), guid_form(&s));
            match guid("x", &s) {
                Ok(g) => prop_assert!(guid_form(s.trim()) && g == s.trim().to_ascii_lowercase()),
                Err(e) => prop_assert!(!guid_form(s.trim()) && e.contains("not a GUID")),
            }
        }

        #[test]
        fn every_guid_is_accepted_lowercased(g in GUID) {
            prop_assert_eq!(guid("x", &g).unwrap(), g.to_ascii_lowercase());
            prop_assert_eq!(tenant(&g).unwrap(), g.to_ascii_lowercase());
        }

        #[test]
        fn tenants_are_a_guid_or_a_dns_name(s in ".{0,60}") {
            if let Ok(t) = tenant(&s) {
                let t2 = t.clone();
                let dns = t.split('.').count() >= 2
                    && t.split('.').all(|l| !l.is_empty() && l.len() <= 63
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && !l.starts_with('-') && !l.ends_with('-'));
                prop_assert!(guid_form(&t2) || dns, "{t2}");
            }
        }

        #[test]
        fn dns_names_are_tenants(d in HOST) {
            prop_assert_eq!(tenant(&d).unwrap(), d.to_ascii_lowercase());
        }

        #[test]
        fn redirect_uris_never_panic_and_what_passes_follows_entra(s in ".{0,300}") {
            if let Ok(v) = redirect_uri(&s) {
                prop_assert!(v.len() <= REDIRECT_MAX);
                prop_assert!(!v.chars().any(|c| REDIRECT_FORBIDDEN.contains(&c) || c.is_whitespace()));
                let url = Url::parse(&v).unwrap();
                prop_assert!(url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)));
            }
        }

        #[test]
        fn https_redirect_uris_are_accepted_and_any_forbidden_character_refuses_one(
            host in HOST, path in PATH, port in proptest::option::of(1u16..),
            bad in proptest::sample::select(REDIRECT_FORBIDDEN.to_vec()), at in any::<prop::sample::Index>(),
        ) {
            // A label starting `xn--` is punycode, and most such strings
            // are not valid punycode: the URL parser refuses them, as a
            // browser would (proptest once found `xn--a.aa`).
            prop_assume!(!host.split('.').any(|l| l.starts_with("xn--")));
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let uri = format!("https://{host}{port}{path}");
            prop_assert_eq!(redirect_uri(&uri).unwrap(), uri.clone());
            let http_loopback = format!("http://localhost{port}{path}");
            prop_assert!(redirect_uri(&http_loopback).is_ok());
            let holds = redirect_uri(&format!("http://{host}.example{path}")).is_err();
            prop_assert!(holds);
            let split = "https://".len() + at.index(uri.len() - "https://".len() + 1);
            let spoiled = format!("{}{bad}{}", &uri[..split], &uri[split..]);
            prop_assert!(redirect_uri(&spoiled).is_err(), "{spoiled}");
            let long = format!("https://{host}/{}", "a".repeat(REDIRECT_MAX));
            prop_assert!(redirect_uri(&long).is_err());
        }

        #[test]
        fn resources_are_absolute_uris(s in ".{0,100}") {
            if let Ok(r) = resource(&s) {
                prop_assert!(Url::parse(&r).is_ok() && !r.contains(' ') && !r.contains('#'));
            }
            if !s.contains(':') {
                prop_assert!(resource(&s).is_err());
            }
        }

        #[test]
        fn app_id_uris_are_resources(host in HOST, path in PATH, g in GUID) {
            let https = format!("https://{host}{path}");
            prop_assert_eq!(resource(&https).unwrap(), https.clone());
            let api = format!("api://{g}");
            prop_assert_eq!(resource(&api).unwrap(), api.clone());
            let holds = resource(&format!("{host} {path}")).is_err();
            prop_assert!(holds);
        }

        #[test]
        fn expiry_never_panics(s in ".{0,40}") {
            if let Ok(e) = expiry(&s, now()) {
                prop_assert!(e.timestamp() > now());
            }
        }

        #[test]
        fn durations_in_days_and_months_and_future_dates_are_expiries(
            days in 1i64..=3650, months in 1i64..=120, year in 2027i16..=2100,
        ) {
            let d = expiry(&format!("{days}d"), now()).unwrap().timestamp();
            prop_assert_eq!(d.as_second() - now().as_second(), days * 86_400);
            let holds = expiry(&format!("{months} months"), now()).is_ok();
            prop_assert!(holds);
            let holds = expiry(&format!("{months}mo"), now()).is_ok();
            prop_assert!(holds);
            let holds = expiry(&format!("{year}-06-01"), now()).is_ok();
            prop_assert!(holds);
            let holds = expiry(&format!("{}-06-01", year - 100), now()).is_err();
            prop_assert!(holds);
            let holds = expiry(&format!("-{days}d"), now()).is_err();
            prop_assert!(holds);
        }

        #[test]
        fn field_mappings_are_value_equals_field(s in ".{0,40}") {
            if let Ok((value, field)) = field(&s) {
                prop_assert!(FIELD_VALUES.contains(&value));
                prop_assert!(!field.is_empty() && s.contains('='));
            }
            if !s.contains('=') {
                prop_assert!(field(&s).is_err());
            }
        }

        #[test]
        fn every_value_name_in_any_case_maps_to_any_field(
            which in 0usize..4, upper in any::<bool>(), f in "[A-Za-z][A-Za-z0-9 _-]{0,20}",
        ) {
            let v = FIELD_VALUES[which];
            let typed = if upper { v.to_ascii_uppercase() } else { v.to_owned() };
            let (value, field_name) = field(&format!(" {typed} ={f}")).unwrap();
            prop_assert_eq!(value, v);
            prop_assert_eq!(field_name, f.trim().to_owned());
            let holds = field(&format!("client{typed}={f}")).is_err();
            prop_assert!(holds);
            let holds = field(&format!("{typed}=  ")).is_err();
            prop_assert!(holds);
        }
    }
}
