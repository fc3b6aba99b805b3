//! The one HTTP client: timeouts, the retry policy, and redacted logging.
//!
//! Every request to Entra, Graph and the platform goes through [`Http::send`].
//! It logs method, path, status, request-id and timing, and never a header
//! value or a body (bodies carry secrets).
//!
//! # The retry policy, per request
//!
//! Whether a failed request may be sent again depends on what the request
//! does, not on its method: a create whose duplicate can be detected is safe
//! to send again after looking; one whose duplicate cannot is never re-sent
//! without removing what the lost call made. The transport layer here does
//! the part every request shares ([`Retry`]); the clients
//! ([`crate::graph`], [`crate::platform`]) and [`crate::custody`] do the
//! looking.
//!
//! | request | 429 | 5xx, dropped, garbled 2xx | 409 | 404 |
//! | --- | --- | --- | --- | --- |
//! | every read (`GET`, a token request) | retry | retry | — | an answer |
//! | `POST /applications` | retry | look for the tagged app; found: use it, else retry | — | — |
//! | `POST /servicePrincipals` | retry | look it up by appId; found: use it, else retry | it exists: look it up, never re-post | — |
//! | `POST /oauth2PermissionGrants` | retry | look it up; found: use it (PATCH its scope), else retry | it exists: re-read, PATCH the scope | replication: wait |
//! | `addPassword` | retry | look for a new key id (the app's keys before and after); remove it (its value is unknown), then add again | — | replication: wait |
//! | `PATCH` (app, grant) | retry | retry (whole values) | replication: wait | replication: wait |
//! | `removePassword`, `DELETE` | retry | retry | — | not found after a retry: done |
//! | platform `POST …/connections` | retry | look for the connection by its (unique) name; found: use it, else retry | — | — |
//! | platform `DELETE …/connections/{id}` | retry | retry | — | not found after a retry: done |
//!
//! - 429 is retried for every request: the service refused it before doing
//!   anything, so even a create is safe to send again.
//! - "Garbled" is a success whose body is not JSON, or is cut off: for a
//!   read it is retried; for a create it is a lost answer ([`Lost`]), since
//!   the work was likely done.
//! - `Retry-After` is honoured as a minimum (its jitter only lengthens
//!   the wait); without it, exponential backoff with
//!   jitter, capped. Waiting for Entra to replicate a new object is
//!   another matter, with its own shorter intervals and a three-minute
//!   budget ([`Policy::poll_delay`]).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::Rng as _;
use reqwest::{Method, StatusCode, header::HeaderMap};

/// Which failures a request may be retried on (see the table above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads, deletes and whole-value updates: 429, 5xx, transport errors,
    /// and a success whose body is not JSON.
    Idempotent,
    /// Creates: 429 only. A transport error or a garbled success comes back
    /// as [`Lost`]; a 5xx as the reply. The caller looks before trying again.
    Create,
}

/// The answer to a create was lost: the connection dropped, or the success
/// came back garbled. The object may or may not exist.
#[derive(Debug)]
pub struct Lost {
    pub service: String,
    pub what: String,
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the answer of {} to {} was lost or garbled; it may have been carried out",
            self.service, self.what
        )
    }
}

impl std::error::Error for Lost {}

/// A lost answer to a create ([`Lost`], a transport error) or a 5xx: the
/// object may or may not exist; the caller must look before trying again.
pub fn is_lost(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref::<Lost>().is_some() || e.downcast_ref::<reqwest::Error>().is_some())
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// Attempts made, the first included: a delete that finds nothing after
    /// a retry has been done by an earlier attempt whose answer was lost.
    pub attempts: u32,
}

impl Reply {
    /// Not found, after an earlier attempt of the same request may have done it.
    pub fn gone_after_retry(&self) -> bool {
        self.attempts > 1 && self.status == StatusCode::NOT_FOUND
    }
}

impl Reply {
    /// Graph's `request-id` header, which Microsoft support asks for.
    pub(crate) fn request_id(&self) -> Option<&str> {
        self.headers
            .get("request-id")
            .or_else(|| self.headers.get("x-ms-request-id"))
            .and_then(|v| v.to_str().ok())
    }

    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> anyhow::Result<T> {
        serde_json::from_str(&self.body).with_context(|| {
            format!(
                "the service answered {} with a body that is not the expected JSON",
                self.status
            )
        })
    }
}

/// Bounds of the retry policy.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// First backoff delay when the service gives no `Retry-After`.
    pub base: Duration,
    /// Longest single delay.
    pub cap: Duration,
    /// Multiplies every delay; 0 removes them (tests).
    pub scale: f64,
}

impl Policy {
    /// The standard policy, its delays scaled by `scale`
    /// ([`Options::backoff_scale`]).
    pub(crate) fn standard(scale: f64) -> Policy {
        Policy {
            attempts: 6,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            scale,
        }
    }

    /// The delay before look number `n` (0-based) while waiting for Entra to
    /// replicate a new object on the run's way (the app before its secret
    /// and service principal, the secret before it signs in): 0.25 s, 0.5 s,
    /// then every 0.75 s for about 18 s, every 2 s to about a minute, then
    /// every 5 s, with ±20 % jitter so that parallel runs do not poll in
    /// step. Replication usually takes seconds, so a short interval ends the
    /// wait soon after the object appears (a doubling backoff overshoots by
    /// up to the last delay); a long one is polled gently. Throttling has
    /// its own backoff ([`Policy::delay`]); the three-minute budget is the
    /// caller's.
    pub fn poll_delay(&self, n: u32) -> Duration {
        let raw = match n {
            0 => Duration::from_millis(250),
            1 => Duration::from_millis(500),
            2..=23 => Duration::from_millis(750),
            24..=43 => Duration::from_secs(2),
            _ => Duration::from_secs(5),
        };
        let jitter = rand::rng().random_range(0.8..1.2);
        raw.mul_f64(jitter).mul_f64(self.scale)
    }

    /// The delay before look number `n` (0-based) for something off the
    /// run's way that may take a while to show (a create whose answer was
    /// lost, listed by a replica behind; a just-added key a removal does not
    /// know yet): 0.5, 1, 2, 4 s, then 5 s, with ±30 % jitter, so that a
    /// few looks span several seconds.
    pub fn look_delay(&self, n: u32) -> Duration {
        let raw = Duration::from_millis(500)
            .saturating_mul(1u32 << n.min(4))
            .min(Duration::from_secs(5));
        let jitter = rand::rng().random_range(0.7..1.3);
        raw.mul_f64(jitter).mul_f64(self.scale)
    }

    /// The delay before retry number `n` (0-based), honouring `Retry-After`
    /// as a minimum: its jitter only ever lengthens the wait (up to 20 %),
    /// so parallel runs still spread out and none comes back early.
    pub(crate) fn delay(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        let raw = match retry_after {
            Some(d) => {
                let d = d.min(Duration::from_secs(120));
                d + d.mul_f64(rand::rng().random_range(0.0..0.2))
            }
            None => {
                let exp = self.base.saturating_mul(1u32 << n.min(10)).min(self.cap);
                // ±20 % jitter so that parallel runs do not retry in step.
                let jitter = rand::rng().random_range(0.8..1.2);
                exp.mul_f64(jitter)
            }
        };
        raw.mul_f64(self.scale)
    }
}

/// The HTTP policy of a run, built by settings from the environment and
/// handed to [`Http::new`]: no process-wide state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    /// How long a request may take (AAD_SETUP_HTTP_TIMEOUT; default 60 s):
    /// a slower answer counts as lost.
    pub timeout: Duration,
    /// Multiplies every retry delay (AAD_SETUP_BACKOFF_SCALE; default 1;
    /// 0 removes them, for tests).
    pub backoff_scale: f64,
    /// Where the runs of one fleet share their 429s (AAD_SETUP_THROTTLE_DIR,
    /// set by a fleet run for its targets' runs): a 429 answered to one
    /// caller (one token: one app in one tenant for Graph, one team for the
    /// platform) holds every run that calls as it, not only the one that
    /// got it.
    pub throttle_dir: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: Duration::from_secs(60),
            backoff_scale: 1.0,
            throttle_dir: None,
        }
    }
}

/// The file a caller's 429s are shared in: a digest of the host and the
/// request's credentials (not reversible), under `dir`
/// ([`Options::throttle_dir`]).
fn throttle_file(
    dir: Option<&std::path::Path>,
    request: &reqwest::Request,
) -> Option<std::path::PathBuf> {
    use sha2::Digest as _;
    let dir = dir?;
    let auth = request.headers().get(reqwest::header::AUTHORIZATION)?;
    let mut digest = sha2::Sha256::new();
    digest.update(request.url().host_str().unwrap_or_default().as_bytes());
    digest.update(
        request
            .url()
            .port_or_known_default()
            .unwrap_or(0)
            .to_be_bytes(),
    );
    digest.update(auth.as_bytes());
    let name: String = digest
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(dir.join(name))
}

fn now_millis() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0)
}

/// Waits until a 429 another run of the fleet got for this caller has run out.
async fn wait_for_shared_throttle(file: &std::path::Path) {
    let until = std::fs::read_to_string(file)
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let now = now_millis();
    if until > now {
        let wait = Duration::from_millis(until - now);
        tracing::info!(
            "another run was throttled as this caller: waiting {:.1}s",
            wait.as_secs_f64()
        );
        tokio::time::sleep(wait).await;
    }
}

/// Tells the fleet's other runs of this caller to hold off for `wait`.
fn share_throttle(file: &std::path::Path, wait: Duration) {
    let until = now_millis() + u64::try_from(wait.as_millis()).unwrap_or(0);
    let tmp = file.with_extension(format!("{}.tmp", std::process::id()));
    if std::fs::write(&tmp, until.to_string()).is_ok() {
        let _ = std::fs::rename(&tmp, file);
    }
}

/// The shared client.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    pub policy: Policy,
    throttle_dir: Option<std::path::PathBuf>,
}

impl Http {
    pub(crate) fn new(options: &Options) -> anyhow::Result<Http> {
        crate::tls::install_provider();
        let timeout = options.timeout.max(Duration::from_millis(1));
        let client = reqwest::Client::builder()
            .user_agent(concat!("aad-setup/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10).min(timeout))
            .timeout(timeout)
            .build()
            .context("could not set up the HTTP client")?;
        Ok(Http {
            client,
            policy: Policy::standard(options.backoff_scale),
            throttle_dir: options.throttle_dir.clone(),
        })
    }

    /// A request to `url`, to hand to [`Http::send`].
    pub(crate) fn request(&self, method: Method, url: url::Url) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends `request` (again, as it is, for each attempt the policy allows)
    /// and reads the whole answer. `service` names the service in messages.
    /// The request is a value, not a callback: what is sent is decided by
    /// the caller once, and retrying is this module's alone.
    pub(crate) async fn send(
        &self,
        service: &str,
        retry: Retry,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<Reply> {
        let request = request
            .build()
            .with_context(|| format!("could not build a request to {service}"))?;
        let mut attempt = 0u32;
        loop {
            // Every body this tool sends is in memory, so a copy always exists.
            let request = request
                .try_clone()
                .with_context(|| format!("could not repeat a request to {service}"))?;
            let method = request.method().clone();
            let path = request.url().path().to_owned();
            let query = request.url().query().map(str::to_owned);
            let shared = throttle_file(self.throttle_dir.as_deref(), &request);
            if let Some(file) = &shared {
                wait_for_shared_throttle(file).await;
            }
            let started = Instant::now();
            let outcome = match self.client.execute(request).await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    response.text().await.map(|body| Reply {
                        status,
                        headers,
                        body,
                        attempts: attempt + 1,
                    })
                }
                Err(err) => Err(err),
            };
            let elapsed = started.elapsed().as_millis();
            let more = attempt + 1 < self.policy.attempts;
            let what = format!("{method} {path}");
            match outcome {
                Ok(reply) => {
                    log_exchange(service, &method, &path, query.as_deref(), &reply, elapsed);
                    let status = reply.status;
                    let garbled = status.is_success() && !reply.body.trim().is_empty() && {
                        serde_json::from_str::<serde::de::IgnoredAny>(&reply.body).is_err()
                    };
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS
                        || (retry == Retry::Idempotent && (status.is_server_error() || garbled));
                    if retryable && more {
                        let wait = self.policy.delay(attempt, retry_after(&reply.headers));
                        if let (Some(file), true) =
                            (&shared, status == StatusCode::TOO_MANY_REQUESTS)
                        {
                            share_throttle(file, wait);
                        }
                        tracing::info!(
                            "{service} answered {status}{} to {what}; retrying in {:.1}s",
                            if garbled { " (garbled)" } else { "" },
                            wait.as_secs_f64()
                        );
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    if garbled {
                        return Err(anyhow::Error::new(Lost {
                            service: service.to_owned(),
                            what,
                        }));
                    }
                    return Ok(reply);
                }
                Err(err) => {
                    tracing::debug!("{service} {what} failed after {elapsed} ms: {err}");
                    if retry == Retry::Idempotent && more {
                        let wait = self.policy.delay(attempt, None);
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(anyhow::Error::new(err)
                        .context(Lost {
                            service: service.to_owned(),
                            what: what.clone(),
                        })
                        .context(format!("could not reach {service} ({what})")));
                }
            }
        }
    }
}

fn log_exchange(
    service: &str,
    method: &Method,
    path: &str,
    query: Option<&str>,
    reply: &Reply,
    elapsed_ms: u128,
) {
    let request_id = reply.request_id().unwrap_or("-");
    tracing::debug!(
        "{service}: {method} {path} -> {} (request-id {request_id}) {elapsed_ms} ms",
        reply.status.as_u16()
    );
    if let Some(query) = query {
        // Query strings carry filters (display names, app ids), never secrets.
        tracing::trace!("{service}: query {query}");
    }
}

/// `Retry-After`: seconds, as Graph and the platform send it, or an
/// HTTP-date (RFC 9110 §10.2.3), as a proxy or gateway in front of them may;
/// a date in the past means now.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    retry_after_value(value, jiff::Timestamp::now())
}

fn retry_after_value(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let secs = at.as_second().saturating_sub(now.as_second());
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_wins_over_backoff_and_is_scaled() {
        let policy = Policy {
            attempts: 6,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            scale: 0.5,
        };
        // Retry-After is a minimum: never shortened, at most 20 % longer.
        for _ in 0..200 {
            let wait = policy.delay(3, Some(Duration::from_secs(4)));
            assert!(wait >= Duration::from_secs(2), "{wait:?}");
            assert!(wait <= Duration::from_millis(2400), "{wait:?}");
        }
        let backoff = policy.delay(2, None);
        // 4 s ± 20 %, halved.
        assert!(backoff >= Duration::from_millis(1600) && backoff <= Duration::from_millis(2400));
        // The cap holds for late retries.
        assert!(policy.delay(9, None) <= Duration::from_secs(18));
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now: jiff::Timestamp = "2026-11-30T12:00:00Z".parse().unwrap();
        assert_eq!(retry_after_value("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after_value("Mon, 30 Nov 2026 12:00:45 GMT", now),
            Some(Duration::from_secs(45))
        );
        // Already past: retry now.
        assert_eq!(
            retry_after_value("Mon, 30 Nov 2026 11:59:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after_value("soon", now), None);
        assert_eq!(retry_after_value("-3", now), None);
    }

    #[test]
    fn zero_scale_removes_sleeps() {
        let policy = Policy {
            scale: 0.0,
            ..Policy::standard(1.0)
        };
        assert_eq!(
            policy.delay(5, Some(Duration::from_secs(30))),
            Duration::ZERO
        );
    }

    /// The client every command uses does TLS with the installed provider:
    /// against a server whose certificate no root vouches for, the handshake
    /// runs and the certificate is refused; a client of the same build that
    /// trusts the certificate completes the handshake and the request.
    #[tokio::test]
    async fn the_real_client_speaks_tls_and_checks_the_certificate() {
        crate::tls::install_provider();
        let (port, cert) = crate::tls::tests::https_server().await;
        let url = format!("https://localhost:{port}/");

        let http = Http::new(&Options::default()).expect("the HTTPS client builds");
        let request = http.request(Method::GET, url.parse().expect("a URL"));
        let err = http
            .send("a local server", Retry::Create, request)
            .await
            .expect_err("a self-signed certificate is not trusted");
        let chain = format!("{err:?}");
        assert!(
            chain.to_lowercase().contains("certificate"),
            "refused for its certificate: {chain}"
        );

        let trusting = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_der(&cert).unwrap()])
            .build()
            .expect("the client builds");
        let reply = trusting.get(&url).send().await.expect("the TLS request");
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.text().await.unwrap(), "hello over tls");
    }
}
