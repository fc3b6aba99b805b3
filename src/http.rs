//! The one HTTP client: timeouts, the retry policy, and redacted logging.
//!
//! Every request to Entra, Graph and the platform goes through [`Http::send`].
//! It logs method, path, status, request-id and timing, and never a header
//! value or a body (bodies carry secrets). Retries follow one rule set:
//!
//! - 429 is retried for every request: the service refused it before doing
//!   anything, so even a create is safe to send again.
//! - 503, 504 and transport errors are retried only for [`Retry::Idempotent`]
//!   requests. A create (`POST /applications`, `addPassword`, a platform
//!   connection) may have been carried out before the answer was lost; its
//!   caller looks before trying again (microsoft-graph.md §2.2, §2.4).
//! - `Retry-After` is honoured; without it, exponential backoff with jitter.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::Rng as _;
use reqwest::{Method, StatusCode, header::HeaderMap};

use std::sync::atomic::{AtomicU64, Ordering};

/// Which failures a request may be retried on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads, deletes and whole-value updates: 429, 503, 504, transport errors.
    Idempotent,
    /// Creates: 429 only.
    ThrottleOnly,
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
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
    /// The standard policy, its delays scaled by [`set_backoff_scale`].
    pub(crate) fn from_env() -> Policy {
        let scale = f64::from_bits(BACKOFF_SCALE.load(Ordering::Relaxed));
        Policy {
            attempts: 6,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            scale,
        }
    }

    /// The delay before retry number `n` (0-based), honouring `Retry-After`.
    pub(crate) fn delay(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        let raw = match retry_after {
            Some(d) => d.min(Duration::from_secs(120)),
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

/// The delays' multiplier (AAD_SETUP_BACKOFF_SCALE, resolved by settings),
/// as f64 bits; 1 until the entry point sets it.
static BACKOFF_SCALE: AtomicU64 = AtomicU64::new(0x3FF0_0000_0000_0000);

/// Sets the multiplier of every retry delay for the rest of the process.
pub(crate) fn set_backoff_scale(scale: f64) {
    BACKOFF_SCALE.store(scale.to_bits(), Ordering::Relaxed);
}

/// The shared client.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    pub policy: Policy,
}

impl Http {
    pub(crate) fn new() -> anyhow::Result<Http> {
        crate::tls::install_provider();
        let client = reqwest::Client::builder()
            .user_agent(concat!("aad-setup/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .context("could not set up the HTTP client")?;
        Ok(Http {
            client,
            policy: Policy::from_env(),
        })
    }

    /// Sends the request that `build` makes (called again for each attempt)
    /// and reads the whole answer. `service` names the service in messages.
    pub(crate) async fn send(
        &self,
        service: &str,
        retry: Retry,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<Reply> {
        let mut attempt = 0u32;
        loop {
            let request = build(&self.client)
                .build()
                .with_context(|| format!("could not build a request to {service}"))?;
            let method = request.method().clone();
            let path = request.url().path().to_owned();
            let query = request.url().query().map(str::to_owned);
            let started = Instant::now();
            let outcome = self.client.execute(request).await;
            let elapsed = started.elapsed().as_millis();
            match outcome {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = response
                        .text()
                        .await
                        .with_context(|| format!("{service} closed the connection mid-answer"))?;
                    let reply = Reply {
                        status,
                        headers,
                        body,
                    };
                    log_exchange(service, &method, &path, query.as_deref(), &reply, elapsed);
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS
                        || (retry == Retry::Idempotent && matches!(status.as_u16(), 503 | 504));
                    if retryable && attempt + 1 < self.policy.attempts {
                        let wait = self.policy.delay(attempt, retry_after(&reply.headers));
                        tracing::info!(
                            "{service} answered {status} to {method} {path}; retrying in {:.1}s",
                            wait.as_secs_f64()
                        );
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return Ok(reply);
                }
                Err(err) => {
                    tracing::debug!("{service} {method} {path} failed after {elapsed} ms: {err}");
                    if retry == Retry::Idempotent && attempt + 1 < self.policy.attempts {
                        let wait = self.policy.delay(attempt, None);
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(anyhow::Error::new(err)
                        .context(format!("could not reach {service} ({method} {path})")));
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

/// `Retry-After` in seconds (the HTTP-date form is not used by these services).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
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
        assert_eq!(
            policy.delay(3, Some(Duration::from_secs(4))),
            Duration::from_secs(2)
        );
        let backoff = policy.delay(2, None);
        // 4 s ± 20 %, halved.
        assert!(backoff >= Duration::from_millis(1600) && backoff <= Duration::from_millis(2400));
        // The cap holds for late retries.
        assert!(policy.delay(9, None) <= Duration::from_secs(18));
    }

    #[test]
    fn zero_scale_removes_sleeps() {
        let policy = Policy {
            scale: 0.0,
            ..Policy::from_env()
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

        let http = Http::new().expect("the HTTPS client builds");
        let err = http
            .send("a local server", Retry::ThrottleOnly, |c| c.get(&url))
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
