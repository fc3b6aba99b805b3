//! The client itself ([`Graph`]): one signed-in connection to Graph, and
//! the request helpers every call goes through (one request, a delete that
//! a lost answer may have done, a paged listing, the create-then-look loop
//! of the retry table).

use anyhow::Context as _;
use reqwest::Method;
use secrecy::{ExposeSecret as _, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::http::{Http, Reply, Retry};

use super::clock;
use super::error::{GraphError, graph_error, is_ambiguous};
use super::types::{Organization, Page};

/// A signed-in Graph client.
pub(crate) struct Graph {
    pub(super) http: Http,
    /// `https://graph.microsoft.com/v1.0` or an override.
    base: Url,
    token: SecretString,
    /// The directory's clock, moved by every answer's `Date` header.
    clock: clock::Clock,
}

impl Graph {
    /// `graph_url` is the host (`https://graph.microsoft.com`); `/v1.0` is added.
    pub(crate) fn new(http: Http, graph_url: &Url, token: SecretString) -> Graph {
        let mut base = graph_url.clone();
        let path = format!("{}/v1.0", base.path().trim_end_matches('/'));
        base.set_path(&path);
        Graph {
            http,
            base,
            token,
            clock: clock::Clock::default(),
        }
    }

    /// The directory's clock as this client's answers tell it: what every
    /// expiry is judged against.
    pub(crate) fn clock(&self) -> &clock::Clock {
        &self.clock
    }

    pub(super) fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!(
            "{}/{}",
            url.path().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        url.set_path(&joined);
        url
    }

    pub(super) async fn call(
        &self,
        action: &str,
        method: Method,
        url: Url,
        query: &[(&str, String)],
        body: Option<&Value>,
        retry: Retry,
    ) -> anyhow::Result<Reply> {
        let reply = self.exchange(&method, url, query, body, retry).await?;
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(GraphError::from_reply(action, &method, &reply).into())
        }
    }

    /// A delete (or `removePassword`): not found after a retry means an
    /// earlier attempt did it, and its answer was lost.
    pub(super) async fn delete_call(
        &self,
        action: &str,
        method: Method,
        url: Url,
        body: Option<&Value>,
        gone: impl Fn(&GraphError) -> bool,
    ) -> anyhow::Result<()> {
        let reply = self
            .exchange(&method, url, &[], body, Retry::Idempotent)
            .await?;
        if reply.status.is_success() {
            return Ok(());
        }
        let err = GraphError::from_reply(action, &method, &reply);
        if reply.attempts > 1 && gone(&err) {
            tracing::info!("{action}: already done by an attempt whose answer was lost");
            return Ok(());
        }
        Err(err.into())
    }

    pub(super) async fn exchange(
        &self,
        method: &Method,
        url: Url,
        query: &[(&str, String)],
        body: Option<&Value>,
        retry: Retry,
    ) -> anyhow::Result<Reply> {
        let reply = self
            .http
            .send("Microsoft Graph", retry, {
                // One client-request-id for the request and its retries, as
                // Microsoft's SDKs send it, so a support case names them all.
                let mut req = self
                    .http
                    .request(method.clone(), url)
                    .bearer_auth(self.token.expose_secret())
                    .header("client-request-id", uuid::Uuid::new_v4().to_string());
                if !query.is_empty() {
                    req = req.query(query);
                }
                if let Some(body) = body {
                    req = req.json(body);
                }
                req
            })
            .await?;
        self.clock.observe(&reply.headers);
        Ok(reply)
    }

    pub(super) async fn get_json<T: DeserializeOwned>(
        &self,
        action: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<T> {
        let reply = self
            .call(
                action,
                Method::GET,
                self.url(path),
                query,
                None,
                Retry::Idempotent,
            )
            .await?;
        reply
            .json()
            .with_context(|| format!("reading Graph's answer while trying to {action}"))
    }

    /// A whole collection, following `@odata.nextLink` as an opaque URL (it
    /// must stay on Graph's host: the token goes with it).
    pub(super) async fn list<T: DeserializeOwned>(
        &self,
        action: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<Vec<T>> {
        let mut items = Vec::new();
        let mut page: Page<T> = self.get_json(action, path, query).await?;
        loop {
            items.append(&mut page.value);
            let Some(next) = page.next_link.take() else {
                return Ok(items);
            };
            let next = Url::parse(&next).with_context(|| {
                format!("Graph sent a next-page link that is not a URL while trying to {action}")
            })?;
            anyhow::ensure!(
                next.origin() == self.base.origin(),
                "Graph's next-page link points at another host ({}); not following it",
                next.origin().ascii_serialization()
            );
            let reply = self
                .call(action, Method::GET, next, &[], None, Retry::Idempotent)
                .await?;
            page = reply.json()?;
        }
    }

    /// The directory's name and domains: User.Read (delegated) or
    /// Organization.Read.All (app-only) reads them.
    pub(crate) async fn organization(&self) -> anyhow::Result<Option<Organization>> {
        let orgs: Vec<Organization> = self
            .list(
                "read the organization",
                "organization",
                &[("$select", "id,displayName,verifiedDomains".into())],
            )
            .await?;
        Ok(orgs.into_iter().next())
    }

    /// The delay before look `n` while waiting for Entra to replicate.
    pub(crate) fn poll_delay(&self, n: u32) -> std::time::Duration {
        self.http.policy.poll_delay(n)
    }

    /// The create-then-look loop of the retry table ([`crate::http`]): a
    /// lost answer is followed by a look, and the create is sent again only
    /// when nothing is found; a 409 is followed by looks (the existing
    /// object may not be listed yet), never by a second create.
    pub(super) async fn create_or_find<T, C, CF, F, FF>(
        &self,
        create: C,
        find: F,
    ) -> anyhow::Result<Made<T>>
    where
        C: Fn() -> CF,
        CF: std::future::Future<Output = anyhow::Result<T>>,
        F: Fn() -> FF,
        FF: std::future::Future<Output = anyhow::Result<Option<T>>>,
    {
        let mut sent = 0u32;
        loop {
            sent += 1;
            let err = match create().await {
                Ok(value) => {
                    return Ok(Made {
                        value,
                        found: false,
                    });
                }
                Err(err) => err,
            };
            let conflict = graph_error(&err).is_some_and(GraphError::is_conflict);
            if !conflict && !is_ambiguous(&err) {
                return Err(err);
            }
            // A conflict: it exists, wait for it to be listed; a lost
            // answer: one look, then send again.
            let looks = if conflict { LOOKS_AFTER_CONFLICT } else { 1 };
            for n in 0..looks {
                if let Some(value) = find().await? {
                    return Ok(Made { value, found: true });
                }
                if n + 1 < looks {
                    tokio::time::sleep(self.http.policy.look_delay(n)).await;
                }
            }
            if conflict || sent >= self.http.policy.attempts {
                return Err(err);
            }
            tracing::info!("nothing found after a lost answer; creating again: {err:#}");
            tokio::time::sleep(self.http.policy.delay(sent - 1, None)).await;
        }
    }
}

/// What a create-or-find call got: the object, and whether it existed
/// already (found) rather than being made by this call.
#[derive(Debug)]
pub struct Made<T> {
    pub value: T,
    pub found: bool,
}

/// Looks (with short waits between) for an object a 409 says exists: the
/// object is there, only the listing lags, as long as replication can (the
/// waits of [`crate::http::Policy::look_delay`]: 0.5, 1, 2, 4 s, then every
/// 5 s, about two minutes in all, within the three-minute replication budget
/// of docs/graph.md §5; it was 8 looks, about 20 s).
const LOOKS_AFTER_CONFLICT: u32 = 28;

/// An OData string literal: quoted, with single quotes doubled.
pub(super) fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A 404 as `None`: the object is absent (or not replicated yet).
pub(super) fn not_found_as_none<T>(result: anyhow::Result<T>) -> anyhow::Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(err) if graph_error(&err).is_some_and(GraphError::is_not_found) => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_literals_double_single_quotes() {
        assert_eq!(odata_string("O'Brien"), "'O''Brien'");
        assert_eq!(odata_string("plain"), "'plain'");
    }
}
