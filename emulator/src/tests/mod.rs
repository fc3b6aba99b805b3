//! Tests of the emulator through its own HTTP surface, as a client sees it. Each test
//! asserts something a client depends on: a status, an error code, a header, a shape.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use super::*;

const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const DYNAMICS_APP_ID: &str = "00000007-0000-0000-c000-000000000000";
const DIRECTORY_RW_SCOPE: &str = "c5366453-9fb0-48a5-a156-24f0c49a4b84";
const USER_IMPERSONATION: &str = "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4";

struct T {
    emu: Emulator,
    http: Client,
    creds: Credentials,
}

/// The TLS provider reqwest needs to build a client (the tool ships ring).
fn install_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

async fn start_with(config: EmulatorConfig) -> T {
    install_tls_provider();
    let emu = Emulator::start(config).await.expect("emulator starts");
    let creds = emu.credentials();
    T {
        emu,
        http: Client::new(),
        creds,
    }
}

async fn start() -> T {
    start_with(EmulatorConfig::default()).await
}

struct Resp {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
    text: String,
}

async fn read(r: reqwest::Response) -> Resp {
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
        text,
    }
}

impl T {
    async fn token_request(&self, tenant: &str, form: &[(&str, &str)]) -> Resp {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", self.emu.login_url());
        read(self.http.post(url).form(form).send().await.expect("send")).await
    }

    async fn token_for(&self, client_id: &str, secret: &str) -> Resp {
        self.token_request(
            &self.creds.tenant_id,
            &[
                ("client_id", client_id),
                ("client_secret", secret),
                ("scope", "https://graph.microsoft.com/.default"),
                ("grant_type", "client_credentials"),
            ],
        )
        .await
    }

    async fn admin(&self) -> String {
        let r = self
            .token_for(&self.creds.admin_client_id, &self.creds.admin_client_secret)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["access_token"].as_str().expect("token").to_owned()
    }

    async fn reader(&self) -> String {
        let r = self
            .token_for(
                &self.creds.reader_client_id,
                &self.creds.reader_client_secret,
            )
            .await;
        r.body["access_token"].as_str().expect("token").to_owned()
    }

    async fn graph(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}/v1.0{path}", self.emu.graph_url())
        };
        let mut rb = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        read(rb.send().await.expect("send")).await
    }

    async fn platform(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
        let url = format!("{}{path}", self.emu.platform_url());
        let mut rb = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        read(rb.send().await.expect("send")).await
    }

    /// Creates an app (and its SP) with the admin token; returns (id, appId, spId).
    async fn app_with_sp(&self, token: &str, name: &str) -> (String, String, String) {
        let r = self
            .graph(
                Method::POST,
                "/applications",
                token,
                Some(json!({"displayName": name, "signInAudience": "AzureADMyOrg", "tags": ["aad-setup"]})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let (id, app_id) = (s(&r.body["id"]), s(&r.body["appId"]));
        let r = self
            .graph(
                Method::POST,
                "/servicePrincipals",
                token,
                Some(json!({"appId": app_id})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        (id, app_id, s(&r.body["id"]))
    }

    async fn add_password(&self, token: &str, id: &str, body: Value) -> Resp {
        self.graph(
            Method::POST,
            &format!("/applications/{id}/addPassword"),
            token,
            Some(body),
        )
        .await
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn claims(token: &str) -> serde_json::Map<String, Value> {
    jwt::claims(token).expect("JWT-shaped token")
}

fn assert_aad_error(r: &Resp, status: u16, error: &str, code: u64) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.body["error"], error, "{}", r.text);
    assert_eq!(r.body["error_codes"], json!([code]));
    let d = s(&r.body["error_description"]);
    assert!(d.starts_with(&format!("AADSTS{code}: ")), "{d}");
    assert!(
        d.contains("\r\nTrace ID: ")
            && d.contains("\r\nCorrelation ID: ")
            && d.contains("\r\nTimestamp: ")
    );
    for k in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(r.body[k].is_string(), "missing {k}");
    }
}

fn assert_graph_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.body["error"]["code"], code, "{}", r.text);
    let inner = &r.body["error"]["innerError"];
    assert!(
        inner["date"].is_string()
            && inner["request-id"].is_string()
            && inner["client-request-id"].is_string()
    );
    assert!(r.headers.contains_key("request-id"));
}

fn param<'a>(name: &'a str, reference_name: &'a str, value: &'a str) -> Value {
    json!({"name": name, "referenceName": reference_name, "value": value})
}

const AAD: &str = "/api/integrations/azure-active-directory/oauth2/v1";

mod applications;
mod auth_code_pkce;
mod contract;
mod control;
mod device_code_federated_approval;
mod faults;
mod grants;
mod graph_auth;
mod identities;
mod platform;
mod policies;
mod replication;
mod sign_in;
