//! The client itself ([`Platform`]): one team's signed-in connection to
//! the integrations API, and its calls (integrations, connections).

use anyhow::Context as _;
use reqwest::{Method, StatusCode};
use url::Url;

use crate::error::{Failure, Kind};
use crate::http::{Http, Reply, Retry};

use super::error::{PlatformError, platform_error};
use super::token::PlatformToken;
use super::types::*;

/// The largest page the API serves (the SDKs ask for 25, docs/platform.md
/// §3.2): one request finds the integration among up to 100.
const PAGE_SIZE: &str = "100";

/// `{base}/api/{segments…}`, each segment percent-encoded on its own.
pub(super) fn api_url(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    {
        let mut path = url.path_segments_mut().expect("an http(s) URL has a path");
        path.pop_if_empty().push("api");
        for s in segments {
            path.push(s);
        }
    }
    url
}

/// A platform client, signed in with a team's token.
pub(crate) struct Platform {
    http: Http,
    base: Url,
    token: PlatformToken,
}

impl Platform {
    pub(crate) fn new(http: Http, base: &Url, token: PlatformToken) -> Platform {
        Platform {
            http,
            base: base.clone(),
            token,
        }
    }

    pub(crate) fn team(&self) -> &str {
        &self.token.domain
    }

    fn url(&self, segments: &[&str]) -> Url {
        api_url(&self.base, segments)
    }

    /// Integration ids look like `name/action/version`: the three-segment
    /// route is preferred (proxies reject `%2F`); other ids go encoded.
    fn integration_segments(id: &str) -> Vec<&str> {
        let parts: Vec<&str> = id.split('/').collect();
        if parts.len() == 3 && parts.iter().all(|p| !p.is_empty()) {
            parts
        } else {
            vec![id]
        }
    }

    async fn call(
        &self,
        action: &str,
        method: Method,
        url: Url,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
        retry: Retry,
    ) -> anyhow::Result<Reply> {
        let reply = self
            .http
            .send("the workflow platform", retry, {
                let mut req = self
                    .http
                    .request(method.clone(), url)
                    .bearer_auth(self.token.bearer())
                    .header(reqwest::header::ACCEPT, "application/json");
                if !query.is_empty() {
                    req = req.query(query);
                }
                if let Some(body) = body {
                    req = req.json(body);
                }
                req
            })
            .await?;
        // A delete that finds nothing after a retry was done by the attempt
        // whose answer was lost.
        if reply.status.is_success() || (method == Method::DELETE && reply.gone_after_retry()) {
            return Ok(reply);
        }
        let err = PlatformError::from_reply(&reply);
        let kind = err.kind();
        let hint = match kind {
            Kind::SignIn => Some(format!(
                "the platform did not accept the access token from {} (team {}): check that it is complete and not revoked",
                self.token.source, self.token.domain
            )),
            Kind::Privileges => Some(
                "integrations can be set up only by team Admins: use an access token of an Admin of this team".to_owned(),
            ),
            _ => None,
        };
        let mut failure = Failure::new(kind, format!("the platform refused to {action}"));
        if let Some(hint) = hint {
            failure = failure.with_hint(hint);
        }
        Err(anyhow::Error::new(err).context(failure))
    }

    pub(crate) async fn list_integrations(
        &self,
        page_token: Option<&str>,
    ) -> anyhow::Result<IntegrationsPage> {
        let mut query = vec![("page_size", PAGE_SIZE)];
        if let Some(t) = page_token {
            query.push(("page_token", t));
        }
        self.call(
            "list integrations",
            Method::GET,
            self.url(&["integrations"]),
            &query,
            None,
            Retry::Idempotent,
        )
        .await?
        .json()
        .context("reading the platform's list of integrations")
    }

    /// Every integration, page by page.
    pub(crate) async fn all_integrations(&self) -> anyhow::Result<Vec<Integration>> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        // A bound, so that a server that keeps answering the same token cannot loop us forever.
        for _ in 0..1000 {
            let page = self.list_integrations(token.as_deref()).await?;
            all.extend(page.integrations);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                _ => return Ok(all),
            }
        }
        anyhow::bail!("the platform's integration list did not end after 1000 pages")
    }

    pub(crate) async fn get_integration(&self, id: &str) -> anyhow::Result<Integration> {
        let mut segments = vec!["integrations"];
        segments.extend(Self::integration_segments(id));
        self.call(
            "read the integration",
            Method::GET,
            self.url(&segments),
            &[],
            None,
            Retry::Idempotent,
        )
        .await?
        .json()
        .context("reading the platform's integration")
    }

    /// Creates a connection. Never retried on anything but 429: a lost
    /// answer may mean it exists (the caller looks before trying again).
    pub(crate) async fn create_connection(
        &self,
        body: &NewConnection<'_>,
    ) -> anyhow::Result<Connection> {
        let mut segments = vec!["integrations"];
        segments.extend(Self::integration_segments(body.integration_id));
        segments.push("connections");
        let json = serde_json::to_value(body)?;
        self.call(
            "create the connection",
            Method::POST,
            self.url(&segments),
            &[],
            Some(&json),
            Retry::Create,
        )
        .await?
        .json()
        .context("reading the platform's new connection")
    }

    /// `None` on 404.
    pub(crate) async fn get_connection(
        &self,
        connection_id: &str,
    ) -> anyhow::Result<Option<Connection>> {
        let result = self
            .call(
                "read the connection",
                Method::GET,
                self.url(&["integrations", "-", "connections", connection_id]),
                &[],
                None,
                Retry::Idempotent,
            )
            .await;
        match result {
            Ok(reply) => Ok(Some(reply.json()?)),
            Err(err) if platform_error(&err).is_some_and(|e| e.status == StatusCode::NOT_FOUND) => {
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    pub(crate) async fn delete_connection(&self, connection_id: &str) -> anyhow::Result<()> {
        self.call(
            "delete the connection",
            Method::DELETE,
            self.url(&["integrations", "-", "connections", connection_id]),
            &[],
            None,
            Retry::Idempotent,
        )
        .await?;
        Ok(())
    }
}
