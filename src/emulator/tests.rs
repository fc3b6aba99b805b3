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

async fn start_with(config: EmulatorConfig) -> T {
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

// --- Sign-in --------------------------------------------------------------------------

#[tokio::test]
async fn client_credentials_token_is_a_graph_jwt_with_the_callers_roles() {
    let t = start().await;
    let r = t
        .token_for(&t.creds.admin_client_id, &t.creds.admin_client_secret)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3599);
    assert_eq!(r.body["ext_expires_in"], 3599);
    let c = claims(r.body["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["tid"], t.creds.tenant_id.as_str());
    assert_eq!(
        c["iss"],
        format!("https://sts.windows.net/{}/", t.creds.tenant_id).as_str()
    );
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["appid"], t.creds.admin_client_id.as_str());
    assert_eq!(
        c["roles"],
        json!([
            "Application.ReadWrite.All",
            "DelegatedPermissionGrant.ReadWrite.All"
        ])
    );
    assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());
    assert!(t.emu.issued_secrets().contains(&s(&r.body["access_token"])));
}

#[tokio::test]
async fn token_accepts_a_verified_domain_and_http_basic() {
    let t = start().await;
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        t.emu.login_url(),
        t.creds.tenant_domain
    );
    let r = read(
        t.http
            .post(url)
            .basic_auth(
                &t.creds.reader_client_id,
                Some(&t.creds.reader_client_secret),
            )
            .form(&[
                ("scope", "00000003-0000-0000-c000-000000000000/.default"),
                ("grant_type", "client_credentials"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        claims(&s(&r.body["access_token"]))["roles"],
        json!(["Application.Read.All"])
    );
}

#[tokio::test]
async fn token_errors_have_entras_codes_and_shape() {
    let t = start().await;
    let bad = t
        .token_for(&t.creds.admin_client_id, "not-the-secret")
        .await;
    assert_aad_error(&bad, 401, "invalid_client", 7000215);

    let unknown = t.token_for(&uuid::Uuid::new_v4().to_string(), "x").await;
    assert_aad_error(&unknown, 400, "unauthorized_client", 700016);

    let tenant = t
        .token_request(
            "fabrikam.onmicrosoft.com",
            &[("grant_type", "client_credentials"), ("client_id", "x")],
        )
        .await;
    assert_aad_error(&tenant, 400, "invalid_tenant", 90002);

    let missing = t
        .token_request(&t.creds.tenant_id, &[("client_id", "x")])
        .await;
    assert_aad_error(&missing, 400, "invalid_request", 900144);
    assert!(s(&missing.body["error_description"]).contains("'grant_type'"));

    let scope = t
        .token_request(
            &t.creds.tenant_id,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &t.creds.admin_client_id),
                ("client_secret", &t.creds.admin_client_secret),
                (
                    "scope",
                    "https://graph.microsoft.com/Application.ReadWrite.All",
                ),
            ],
        )
        .await;
    assert_aad_error(&scope, 400, "invalid_scope", 1002012);

    let resource = t
        .token_request(
            &t.creds.tenant_id,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &t.creds.admin_client_id),
                ("client_secret", &t.creds.admin_client_secret),
                ("scope", "https://graph.windows.net/.default"),
            ],
        )
        .await;
    assert_aad_error(&resource, 400, "invalid_resource", 500011);
}

#[tokio::test]
async fn openid_configuration_resolves_a_domain_to_the_tenant_id() {
    let t = start().await;
    let url = format!(
        "{}/{}/v2.0/.well-known/openid-configuration",
        t.emu.login_url(),
        t.creds.tenant_domain
    );
    let r = read(t.http.get(url).send().await.unwrap()).await;
    assert_eq!(r.status, 200);
    let tid = &t.creds.tenant_id;
    assert_eq!(
        r.body["issuer"],
        format!("{}/{tid}/v2.0", t.emu.login_url()).as_str()
    );
    assert_eq!(
        r.body["token_endpoint"],
        format!("{}/{tid}/oauth2/v2.0/token", t.emu.login_url()).as_str()
    );
    assert!(s(&r.body["device_authorization_endpoint"]).ends_with("/oauth2/v2.0/devicecode"));
    assert_eq!(r.body["msgraph_host"], "graph.microsoft.com");

    let url = format!(
        "{}/nope.example/v2.0/.well-known/openid-configuration",
        t.emu.login_url()
    );
    let r = read(t.http.get(url).send().await.unwrap()).await;
    assert_aad_error(&r, 400, "invalid_tenant", 90002);
}

// --- Graph: authentication and authorization -------------------------------------------

#[tokio::test]
async fn graph_rejects_missing_foreign_and_expired_tokens() {
    let t = start_with(EmulatorConfig {
        access_token_lifetime_secs: 0,
        ..EmulatorConfig::default()
    })
    .await;
    let url = format!("{}/v1.0/applications", t.emu.graph_url());
    let none = read(t.http.get(&url).send().await.unwrap()).await;
    assert_graph_error(&none, 401, "InvalidAuthenticationToken");
    assert!(none.headers.contains_key("www-authenticate"));

    let forged = jwt::encode(
        &json!({"aud": "https://graph.microsoft.com", "roles": ["Application.ReadWrite.All"]}),
    );
    let r = t.graph(Method::GET, "/applications", &forged, None).await;
    assert_graph_error(&r, 401, "InvalidAuthenticationToken");

    let expired = t.admin().await;
    let r = t.graph(Method::GET, "/applications", &expired, None).await;
    assert_graph_error(&r, 401, "InvalidAuthenticationToken");
    assert!(s(&r.body["error"]["message"]).contains("expired"));
}

#[tokio::test]
async fn graph_echoes_client_request_id_and_sends_request_id() {
    let t = start().await;
    let token = t.admin().await;
    let r = read(
        t.http
            .get(format!("{}/v1.0/organization", t.emu.graph_url()))
            .bearer_auth(&token)
            .header("client-request-id", "abc-123")
            .send()
            .await
            .unwrap(),
    )
    .await;
    // The admin app has no Organization.Read.All: 403, still with both ids.
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    assert_eq!(r.headers["client-request-id"], "abc-123");
    assert_eq!(
        r.body["error"]["innerError"]["client-request-id"],
        "abc-123"
    );
    assert_eq!(
        r.body["error"]["innerError"]["request-id"],
        r.headers["request-id"].to_str().unwrap()
    );
}

#[tokio::test]
async fn reader_token_may_read_but_not_write() {
    let t = start().await;
    let reader = t.reader().await;
    let r = t.graph(Method::GET, "/applications", &reader, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &reader,
            Some(json!({"displayName": "x"})),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    assert_eq!(
        r.body["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
    assert!(
        t.emu
            .snapshot()
            .applications
            .iter()
            .all(|a| a.display_name != "x")
    );
}

#[tokio::test]
async fn minted_tokens_carry_exactly_the_given_permissions() {
    let t = start().await;
    let org = t
        .emu
        .mint_graph_token(TokenKind::Delegated(vec!["User.Read".into()]));
    let r = t
        .graph(
            Method::GET,
            "/organization?$select=id,verifiedDomains",
            &org,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"][0]["id"], t.creds.tenant_id.as_str());
    assert_eq!(
        r.body["value"][0]["verifiedDomains"][0]["name"],
        t.creds.tenant_domain.as_str()
    );
    assert!(
        r.body["value"][0].get("displayName").is_none(),
        "$select honoured"
    );
    let r = t.graph(Method::GET, "/applications", &org, None).await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");

    // OwnedBy: may create, and manage only what it owns.
    let owned_by = t
        .emu
        .mint_graph_token(TokenKind::App(vec!["Application.ReadWrite.OwnedBy".into()]));
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &owned_by,
            Some(json!({"displayName": "mine"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = t
        .graph(
            Method::POST,
            &format!("/applications/{}/addPassword", s(&r.body["id"])),
            &owned_by,
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let reader_app = t
        .emu
        .snapshot()
        .applications
        .into_iter()
        .find(|a| a.display_name == "aad-setup-emulator-reader")
        .unwrap();
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{}", reader_app.id),
            &owned_by,
            Some(json!({"notes": "x"})),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
}

// --- Graph: applications ---------------------------------------------------------------

#[tokio::test]
async fn create_application_defaults_and_validation() {
    let t = start().await;
    let token = t.admin().await;
    let post = |body: Value| t.graph(Method::POST, "/applications", &token, Some(body));

    let r = post(json!({"displayName": "no-audience"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["signInAudience"],
        "AzureADandPersonalMicrosoftAccount"
    );
    assert_eq!(r.body["passwordCredentials"], json!([]));
    assert!(uuid::Uuid::parse_str(&s(&r.body["appId"])).is_ok());
    assert_ne!(r.body["id"], r.body["appId"]);

    let r = post(json!({"displayName": "x", "signInAudience": "AzureADMyOrgs"})).await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    assert!(s(&r.body["error"]["message"]).contains("signInAudience"));

    let r = post(
        json!({"displayName": "x", "web": {"redirectUris": ["http://security.pushbot.com/oauth"]}}),
    )
    .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = post(json!({"displayName": "x", "web": {"redirectUris": ["http://localhost:8400/cb", "https://security.pushbot.com/oauth"]}})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let long = format!("https://example.com/{}", "a".repeat(240));
    let r = post(json!({"displayName": "x", "web": {"redirectUris": [long]}})).await;
    assert_graph_error(&r, 400, "Request_BadRequest");

    let rra = |app: &str, id: &str, kind: &str| json!({"displayName": "x", "requiredResourceAccess": [{"resourceAppId": app, "resourceAccess": [{"id": id, "type": kind}]}]});
    let r = post(rra(GRAPH_APP_ID, DIRECTORY_RW_SCOPE, "Scope")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    for body in [
        rra(GRAPH_APP_ID, &uuid::Uuid::new_v4().to_string(), "Scope"),
        rra(GRAPH_APP_ID, DIRECTORY_RW_SCOPE, "Role"),
        rra(DYNAMICS_APP_ID, DIRECTORY_RW_SCOPE, "Scope"),
        rra(
            &uuid::Uuid::new_v4().to_string(),
            DIRECTORY_RW_SCOPE,
            "Scope",
        ),
    ] {
        let r = post(body).await;
        assert_graph_error(&r, 400, "Request_BadRequest");
        assert_eq!(
            r.body["error"]["message"],
            "Property requiredResourceAccess.resourceAccess is invalid."
        );
    }
    let r = post(rra(DYNAMICS_APP_ID, USER_IMPERSONATION, "Scope")).await;
    assert_eq!(r.status, 201, "{}", r.text);

    let r = post(json!({"displayName": "x", "passwordCredentials": [{"displayName": "s"}]})).await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    assert!(
        s(&r.body["error"]["message"])
            .contains("New password credentials must be generated using service actions")
    );

    let r = post(json!({"displayName": "x", "redirectUri": "https://a"})).await;
    assert_eq!(r.status, 400);
    assert!(
        s(&r.body["error"]["message"]).contains("'redirectUri'"),
        "{}",
        r.text
    );

    let r = post(json!({"signInAudience": "AzureADMyOrg"})).await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = post(json!({"displayName": 5})).await;
    assert_graph_error(&r, 400, "BadRequest");
    let r = post(json!({"displayName": "x", "tags": "aad-setup"})).await;
    assert_graph_error(&r, 400, "BadRequest");
}

#[tokio::test]
async fn patch_keeps_absent_properties_and_validates() {
    let t = start().await;
    let token = t.admin().await;
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "p", "tags": ["a"], "web": {"redirectUris": ["https://x.example/cb"]}})),
        )
        .await;
    let id = s(&r.body["id"]);
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            &token,
            Some(json!({"signInAudience": "AzureADMyOrg"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty());
    let r = t
        .graph(Method::GET, &format!("/applications/{id}"), &token, None)
        .await;
    assert_eq!(r.body["signInAudience"], "AzureADMyOrg");
    assert_eq!(r.body["tags"], json!(["a"]));
    assert_eq!(
        r.body["web"]["redirectUris"],
        json!(["https://x.example/cb"])
    );
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            &token,
            Some(json!({"passwordCredentials": []})),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{}", uuid::Uuid::new_v4()),
            &token,
            Some(json!({"notes": "n"})),
        )
        .await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn list_filters_select_and_pages_with_absolute_next_links() {
    let t = start_with(EmulatorConfig {
        graph_page_size: 2,
        ..EmulatorConfig::default()
    })
    .await;
    let token = t.admin().await;
    for name in ["O'Brien", "O'Brien", "other", "third"] {
        let r = t
            .graph(
                Method::POST,
                "/applications",
                &token,
                Some(json!({"displayName": name, "tags": ["aad-setup"]})),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let r = t
        .graph(
            Method::GET,
            "/applications?$filter=displayName eq 'O''Brien'&$select=id,displayName",
            &token,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 2);
    assert_eq!(
        r.body["value"][0].as_object().unwrap().len(),
        2,
        "only selected properties"
    );
    assert!(s(&r.body["@odata.context"]).contains("$metadata#applications(id,displayName)"));

    let r = t
        .graph(
            Method::GET,
            "/applications?$filter=tags/any(t:t eq 'aad-setup')&$select=id",
            &token,
            None,
        )
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 2);
    let next = s(&r.body["@odata.nextLink"]);
    assert!(
        next.starts_with(&t.emu.graph_url()),
        "absolute nextLink: {next}"
    );
    let r2 = t.graph(Method::GET, &next, &token, None).await;
    assert_eq!(r2.status, 200, "{}", r2.text);
    assert_eq!(r2.body["value"].as_array().unwrap().len(), 2);
    assert!(r2.body.get("@odata.nextLink").is_none());

    let r = t
        .graph(
            Method::GET,
            "/applications?$filter=startswith(displayName,'O')",
            &token,
            None,
        )
        .await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    let r = t
        .graph(Method::GET, "/applications?$select=id,secret", &token, None)
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    assert!(s(&r.body["error"]["message"]).contains("'secret'"));
    let r = t
        .graph(Method::GET, "/applications?$top=1000", &token, None)
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = t.graph(Method::GET, "/applicationz", &token, None).await;
    assert_graph_error(&r, 400, "BadRequest");
    assert_eq!(
        r.body["error"]["message"],
        "Resource not found for the segment 'applicationz'."
    );
}

#[tokio::test]
async fn add_password_returns_the_secret_once() {
    let t = start().await;
    let token = t.admin().await;
    let (id, app_id, _) = t.app_with_sp(&token, "pw").await;
    let r = t
        .add_password(
            &token,
            &id,
            json!({"passwordCredential": {"displayName": "pagerdutysecretkey"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let secret = s(&r.body["secretText"]);
    assert!(
        (38..=42).contains(&secret.len()) && secret.contains('~'),
        "{secret}"
    );
    assert_eq!(s(&r.body["hint"]), secret[..3]);
    assert_eq!(r.body["displayName"], "pagerdutysecretkey");
    let start: jiff::Timestamp = s(&r.body["startDateTime"]).parse().unwrap();
    let end: jiff::Timestamp = s(&r.body["endDateTime"]).parse().unwrap();
    let days = end.duration_since(start).as_hours() / 24;
    assert!(
        (729..=731).contains(&days),
        "default lifetime is 2 years, got {days} days"
    );
    assert!(t.emu.issued_secrets().contains(&secret));

    let get = t
        .graph(Method::GET, &format!("/applications/{id}"), &token, None)
        .await;
    assert_eq!(get.body["passwordCredentials"][0]["keyId"], r.body["keyId"]);
    assert_eq!(
        get.body["passwordCredentials"][0]["secretText"],
        Value::Null
    );
    let list = t
        .graph(
            Method::GET,
            &format!("/applications?$filter=appId eq '{app_id}'&$select=id,passwordCredentials"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        list.body["value"][0]["passwordCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(!get.text.contains(&secret) && !list.text.contains(&secret));
    assert!(
        !serde_json::to_string(&t.emu.snapshot())
            .unwrap()
            .contains(&secret)
    );

    // The new secret signs the app in (it has an SP); it has no roles and still gets a token.
    let r = t.token_for(&app_id, &secret).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(claims(&s(&r.body["access_token"])).get("roles").is_none());

    // removePassword: 204, then unknown.
    let key = s(&get.body["passwordCredentials"][0]["keyId"]);
    let rm_path = format!("/applications/{id}/removePassword");
    let rm = |k: String| t.graph(Method::POST, &rm_path, &token, Some(json!({"keyId": k})));
    assert_eq!(rm(key.clone()).await.status, 204);
    assert_graph_error(&rm(key).await, 400, "Request_BadRequest");
    assert_aad_error(
        &t.token_for(&app_id, &secret).await,
        401,
        "invalid_client",
        7000215,
    );
}

#[tokio::test]
async fn secret_policies_and_expiry() {
    let t = start_with(EmulatorConfig {
        max_secret_lifetime_days: Some(365),
        ..EmulatorConfig::default()
    })
    .await;
    let token = t.admin().await;
    let (id, app_id, _) = t.app_with_sp(&token, "policy").await;
    let r = t
        .add_password(&token, &id, json!({"passwordCredential": {}}))
        .await;
    assert_graph_error(&r, 400, "CredentialInvalidLifetimeAsPerAppPolicy");
    assert_eq!(r.body["error"]["details"][0]["code"], "InvalidKeyEndDate");

    let r = t
        .add_password(&token, &id, json!({"passwordCredential": {"startDateTime": "2020-01-01T00:00:00Z", "endDateTime": "2020-06-01T00:00:00Z"}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["endDateTime"], "2020-06-01T00:00:00Z");
    assert_aad_error(
        &t.token_for(&app_id, &s(&r.body["secretText"])).await,
        401,
        "invalid_client",
        7000222,
    );

    t.emu.update(|c| c.password_credentials_allowed = false);
    let r = t.add_password(&token, &id, json!({})).await;
    assert_graph_error(&r, 400, "CredentialTypeNotAllowedAsPerAppPolicy");
}

#[tokio::test]
async fn app_without_service_principal_cannot_sign_in() {
    let t = start().await;
    let token = t.admin().await;
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "no-sp"})),
        )
        .await;
    let (id, app_id) = (s(&r.body["id"]), s(&r.body["appId"]));
    let r = t.add_password(&token, &id, json!({})).await;
    let r = t.token_for(&app_id, &s(&r.body["secretText"])).await;
    assert_aad_error(&r, 401, "invalid_client", 7000229);
}

// --- Replication -----------------------------------------------------------------------

#[tokio::test]
async fn new_objects_are_invisible_until_replicated() {
    let t = start_with(EmulatorConfig {
        replication: ReplicationConfig {
            requests: 2,
            millis: 0,
        },
        ..EmulatorConfig::default()
    })
    .await;
    let token = t.admin().await;
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "repl"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let (id, app_id) = (s(&r.body["id"]), s(&r.body["appId"]));

    // SP create before the app replicated: the documented NoBackingApplicationObject shape.
    let sp = |_: ()| {
        t.graph(
            Method::POST,
            "/servicePrincipals",
            &token,
            Some(json!({"appId": app_id})),
        )
    };
    for _ in 0..2 {
        let r = sp(()).await;
        assert_graph_error(&r, 400, "Request_BadRequest");
        assert_eq!(
            r.body["error"]["details"][0]["code"],
            "NoBackingApplicationObject"
        );
        assert_eq!(
            r.body["error"]["message"],
            format!("The appId '{app_id}' of the service principal does not reference a valid application object.").as_str()
        );
    }
    let r = sp(()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["appDisplayName"], "repl");
    let sp_id = s(&r.body["id"]);
    assert_eq!(sp(()).await.status, 409, "one SP per appId");

    // A new secret: invisible on reads and rejected by the token endpoint until replicated.
    let r = t.add_password(&token, &id, json!({})).await;
    let secret = s(&r.body["secretText"]);
    let get = t
        .graph(
            Method::GET,
            &format!("/applications/{id}?$select=passwordCredentials"),
            &token,
            None,
        )
        .await;
    assert_eq!(get.body["passwordCredentials"], json!([]));
    assert_aad_error(
        &t.token_for(&app_id, &secret).await,
        401,
        "invalid_client",
        7000215,
    );
    // The SP itself replicates too: the grant create cannot see it yet.
    let graph_sp = t
        .graph(
            Method::GET,
            &format!("/servicePrincipals?$filter=appId eq '{GRAPH_APP_ID}'&$select=id"),
            &token,
            None,
        )
        .await;
    let r = t
        .graph(
            Method::POST,
            "/oauth2PermissionGrants",
            &token,
            Some(json!({"clientId": sp_id, "consentType": "AllPrincipals", "resourceId": s(&graph_sp.body["value"][0]["id"]), "scope": "Directory.ReadWrite.All"})),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    assert!(s(&r.body["error"]["message"]).contains("reference-property objects are not present"));
    let mut ok = false;
    for _ in 0..3 {
        if t.token_for(&app_id, &secret).await.status == 200 {
            ok = true;
            break;
        }
    }
    assert!(ok, "the secret works once replicated");
    assert!(t.emu.snapshot().requests.replication_misses >= 6);
}

#[tokio::test]
async fn new_app_get_is_404_until_replicated_then_200() {
    let t = start_with(EmulatorConfig {
        replication: ReplicationConfig {
            requests: 1,
            millis: 0,
        },
        ..EmulatorConfig::default()
    })
    .await;
    let token = t.admin().await;
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "r"})),
        )
        .await;
    let id = s(&r.body["id"]);
    let r = t
        .graph(Method::GET, &format!("/applications/{id}"), &token, None)
        .await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");
    assert!(s(&r.body["error"]["message"]).contains(&id));
    let r = t
        .graph(Method::GET, &format!("/applications/{id}"), &token, None)
        .await;
    assert_eq!(r.status, 200);
}

// --- Throttling and faults ---------------------------------------------------------------

#[tokio::test]
async fn throttle_answers_429_with_and_without_retry_after() {
    let t = start_with(EmulatorConfig {
        throttle: ThrottleConfig {
            every: 2,
            retry_after_secs: Some(1),
            omit_retry_after_every_other: true,
        },
        ..EmulatorConfig::default()
    })
    .await;
    let token = t.admin().await;
    let get = || t.graph(Method::GET, "/applications?$select=id", &token, None);
    assert_eq!(get().await.status, 200);
    let r = get().await;
    assert_graph_error(&r, 429, "TooManyRequests");
    assert_eq!(r.headers["retry-after"], "1");
    assert_eq!(get().await.status, 200);
    let r = get().await;
    assert_eq!(r.status, 429);
    assert!(!r.headers.contains_key("retry-after"));
    assert_eq!(t.emu.snapshot().requests.throttled, 2);
}

#[tokio::test]
async fn fault_after_processing_emulates_a_lost_response() {
    let t = start().await;
    let token = t.admin().await;
    t.emu.update(|c| {
        c.faults.push(Fault {
            method: "POST".into(),
            path_contains: "/v1.0/applications".into(),
            status: 504,
            times: 1,
            after_processing: true,
        });
    });
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "lost"})),
        )
        .await;
    assert_graph_error(&r, 504, "GatewayTimeout");
    let snap = t.emu.snapshot();
    assert_eq!(
        snap.applications
            .iter()
            .filter(|a| a.display_name == "lost")
            .count(),
        1
    );
    assert_eq!(snap.requests.faults_injected, 1);
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "next"})),
        )
        .await;
    assert_eq!(r.status, 201, "one-shot");
}

// --- Grants and deletion ---------------------------------------------------------------

#[tokio::test]
async fn grants_use_sp_object_ids_and_scope_values() {
    let t = start().await;
    let token = t.admin().await;
    let (app, app_id, sp) = t.app_with_sp(&token, "consent").await;
    let graph = t
        .graph(Method::GET, &format!("/servicePrincipals?$filter=appId eq '{GRAPH_APP_ID}'&$select=id,appId,oauth2PermissionScopes,appRoles"), &token, None)
        .await;
    assert_eq!(graph.status, 200, "{}", graph.text);
    let graph_sp = s(&graph.body["value"][0]["id"]);
    let scopes = graph.body["value"][0]["oauth2PermissionScopes"]
        .as_array()
        .unwrap();
    assert!(
        scopes
            .iter()
            .any(|s| s["value"] == "Directory.ReadWrite.All"
                && s["id"] == DIRECTORY_RW_SCOPE
                && s["type"] == "Admin")
    );

    let grant = |client: &str, resource: &str, scope: &str| json!({"clientId": client, "consentType": "AllPrincipals", "resourceId": resource, "scope": scope});
    let post = |b: Value| t.graph(Method::POST, "/oauth2PermissionGrants", &token, Some(b));
    let r = post(grant(&sp, GRAPH_APP_ID, "Directory.ReadWrite.All")).await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = post(grant(&app_id, &graph_sp, "Directory.ReadWrite.All")).await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = post(grant(&sp, &graph_sp, DIRECTORY_RW_SCOPE)).await;
    assert_graph_error(&r, 400, "Request_BadRequest");

    let r = post(grant(&sp, &graph_sp, "Directory.ReadWrite.All")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let gid = s(&r.body["id"]);
    assert!(
        uuid::Uuid::parse_str(&gid).is_err(),
        "grant ids are not GUIDs"
    );
    assert_eq!(r.body["principalId"], Value::Null);
    let dup = post(grant(&sp, &graph_sp, "User.Read")).await;
    assert_graph_error(&dup, 409, "Request_MultipleObjectsWithSameKeyValue");

    let r = t
        .graph(
            Method::PATCH,
            &format!("/oauth2PermissionGrants/{gid}"),
            &token,
            Some(json!({"scope": "Directory.ReadWrite.All User.Read"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = t
        .graph(
            Method::GET,
            &format!("/oauth2PermissionGrants?$filter=clientId eq '{sp}'"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        r.body["value"][0]["scope"],
        "Directory.ReadWrite.All User.Read"
    );

    // The reader holds no grant permission.
    let reader = t.reader().await;
    let r = t
        .graph(
            Method::POST,
            "/oauth2PermissionGrants",
            &reader,
            Some(grant(&sp, &graph_sp, "User.Read")),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");

    // Deleting the app removes its SP and the SP's grants.
    let r = t
        .graph(
            Method::DELETE,
            &format!("/applications/{app}"),
            &token,
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let snap = t.emu.snapshot();
    assert!(snap.service_principals.iter().all(|s| s.id != sp));
    assert!(snap.oauth2_permission_grants.is_empty());
    let r = t
        .graph(
            Method::GET,
            &format!("/applications(appId='{app_id}')"),
            &token,
            None,
        )
        .await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");
}

// --- Platform --------------------------------------------------------------------------

#[tokio::test]
async fn platform_pages_and_finds_azure_ad_on_page_two() {
    let t = start().await;
    let tok = t.creds.platform_admin_token.clone();
    let r = t
        .platform(Method::GET, "/api/integrations", &tok, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let names = |b: &Value| -> Vec<String> {
        b["integrations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| s(&i["name"]))
            .collect()
    };
    assert_eq!(names(&r.body).len(), 25);
    assert!(!names(&r.body).contains(&"Azure Active Directory".to_owned()));
    assert_eq!(r.body["count"], 25);
    let next = s(&r.body["nextPageToken"]);
    assert!(!next.is_empty());
    let r = t
        .platform(
            Method::GET,
            &format!(
                "/api/integrations?page_size=25&page_token={}",
                urlencode(&next)
            ),
            &tok,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(names(&r.body).contains(&"Azure Active Directory".to_owned()));
    assert_eq!(r.body["nextPageToken"], "");
    let aad = r.body["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Azure Active Directory")
        .unwrap();
    assert_eq!(aad["id"], "azure-active-directory/oauth2/v1");
    assert_eq!(aad["connectionParams"].as_array().unwrap().len(), 4);
    assert_eq!(aad["connectionParams"][1]["fieldType"], "password");
    assert_eq!(aad["connectionParams"][1]["display"]["valueRequired"], true);

    for bad in ["page_size=0", "page_size=abc", "page_token=%%%"] {
        let r = t
            .platform(Method::GET, &format!("/api/integrations?{bad}"), &tok, None)
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    // Both id forms reach the same integration; unknown → 404.
    let enc = t
        .platform(
            Method::GET,
            "/api/integrations/azure-active-directory%2Foauth2%2Fv1",
            &tok,
            None,
        )
        .await;
    let seg = t.platform(Method::GET, AAD, &tok, None).await;
    assert_eq!(enc.status, 200);
    assert_eq!(enc.body["id"], seg.body["id"]);
    let r = t
        .platform(Method::GET, "/api/integrations/nope/oauth2/v1", &tok, None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["status"], 404);
}

fn urlencode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[tokio::test]
async fn platform_rejects_bad_tokens_with_problem_details() {
    let t = start().await;
    let url = format!("{}/api/integrations", t.emu.platform_url());
    let none = read(t.http.get(&url).send().await.unwrap()).await;
    assert_eq!(none.status, 401);
    let three = util::b64_std(b"id:secret:acme.pushbot.com");
    let parts = util::decode_platform_token(&t.creds.platform_admin_token).unwrap();
    let wrong_secret = util::encode_platform_token(&parts[0], "nope", &parts[2], &parts[3]);
    for bad in ["garbage", three.as_str(), wrong_secret.as_str()] {
        let r = t
            .platform(Method::GET, "/api/integrations", bad, None)
            .await;
        assert_eq!(r.status, 401, "{bad}");
        for k in ["type", "title", "status", "detail", "traceId"] {
            assert!(!r.body[k].is_null(), "ProblemDetails.{k}: {}", r.text);
        }
    }
    t.emu.update(|c| c.platform.pascal_case_errors = true);
    let r = t
        .platform(Method::GET, "/api/integrations", "garbage", None)
        .await;
    assert_eq!(r.body["Status"], 401);
    assert!(r.body["Detail"].is_string() && r.body.get("detail").is_none());
}

#[tokio::test]
async fn member_may_read_but_not_create_connections() {
    let t = start().await;
    let member = t.creds.platform_member_token.clone();
    let r = t.platform(Method::GET, AAD, &member, None).await;
    assert_eq!(r.status, 200);
    let body = json!({"integrationId": "azure-active-directory/oauth2/v1", "name": "c", "connectionParams": []});
    let r = t
        .platform(
            Method::POST,
            &format!("{AAD}/connections"),
            &member,
            Some(body),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(t.emu.snapshot().connections.is_empty());
}

#[tokio::test]
async fn connection_params_are_validated_strictly() {
    let t = start().await;
    let tok = t.creds.platform_admin_token.clone();
    let full = || {
        vec![
            param(
                "Client ID",
                "client-id",
                "00000000-0000-0000-0000-000000000001",
            ),
            param("Client Secret", "client-secret", "s3cret"),
            param("Resource", "resource", "https://graph.microsoft.com"),
            param("Tenant", "tenant", "contoso.onmicrosoft.com"),
        ]
    };
    let conn_path = format!("{AAD}/connections");
    let post = |params: Vec<Value>, iid: &str| {
        t.platform(
            Method::POST,
            &conn_path,
            &tok,
            Some(json!({"integrationId": iid, "name": "Azure AD (aad-setup)", "connectionParams": params})),
        )
    };
    let iid = "azure-active-directory/oauth2/v1";
    let mut unknown = full();
    unknown.push(json!({"referenceName": "clientId", "value": "x"}));
    let r = post(unknown, iid).await;
    assert_eq!(r.status, 400);
    assert!(s(&r.body["detail"]).contains("'clientId'"), "{}", r.text);

    let missing: Vec<Value> = full()
        .into_iter()
        .filter(|p| p["referenceName"] != "client-secret")
        .collect();
    let r = post(missing, iid).await;
    assert_eq!(r.status, 400);
    assert!(s(&r.body["detail"]).contains("Client Secret"), "{}", r.text);

    let mut empty = full();
    empty[3] = param("Tenant", "tenant", "");
    assert_eq!(post(empty, iid).await.status, 400);

    let mut number = full();
    number[0] = json!({"name": "Client ID", "referenceName": "client-id", "value": 5});
    assert_eq!(post(number, iid).await.status, 400);

    assert_eq!(post(full(), "dropbox/oauth2/v1").await.status, 400);

    // By name only is fine; the created connection is reachable through every id form.
    let by_name: Vec<Value> = full()
        .into_iter()
        .map(|p| json!({"name": p["name"], "value": p["value"]}))
        .collect();
    let r = post(by_name, iid).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["integrationId"], iid);
    let cid = s(&r.body["id"]);
    for path in [
        format!("{AAD}/connections/{cid}"),
        format!("/api/integrations/azure-active-directory%2Foauth2%2Fv1/connections/{cid}"),
        format!("/api/integrations/-/connections/{cid}"),
    ] {
        let r = t.platform(Method::GET, &path, &tok, None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.body["id"], cid.as_str());
    }
    let r = t.platform(Method::GET, AAD, &tok, None).await;
    assert_eq!(r.body["connections"][0]["id"], cid.as_str());
    // Members see only their own connections.
    let member = t.creds.platform_member_token.clone();
    let r = t.platform(Method::GET, AAD, &member, None).await;
    assert_eq!(r.body["connections"], json!([]));
    let r = t
        .platform(
            Method::GET,
            &format!("/api/integrations/-/connections/{cid}"),
            &member,
            None,
        )
        .await;
    assert_eq!(r.status, 403);

    let del = t
        .platform(
            Method::DELETE,
            &format!("/api/integrations/-/connections/{cid}"),
            &tok,
            None,
        )
        .await;
    assert_eq!(del.status, 204);
    let r = t
        .platform(Method::GET, &format!("{AAD}/connections/{cid}"), &tok, None)
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn snapshot_proves_the_connection_holds_the_issued_secret() {
    let t = start().await;
    let token = t.admin().await;
    let (id, app_id, _) = t
        .app_with_sp(&token, "workflow-activedirectory-integration")
        .await;
    let r = t
        .add_password(
            &token,
            &id,
            json!({"passwordCredential": {"displayName": "pagerdutysecretkey"}}),
        )
        .await;
    let (secret, key_id) = (s(&r.body["secretText"]), s(&r.body["keyId"]));
    let r = t
        .platform(
            Method::POST,
            &format!("{AAD}/connections"),
            &t.creds.platform_admin_token,
            Some(json!({"integrationId": "azure-active-directory/oauth2/v1", "name": "Azure AD", "connectionParams": [
                param("Client ID", "client-id", &app_id),
                param("Client Secret", "client-secret", &secret),
                param("Resource", "resource", "https://graph.microsoft.com"),
                param("Tenant", "tenant", &t.creds.tenant_id),
            ]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let snap = t.emu.snapshot();
    let conn = &snap.connections[0];
    assert_eq!(conn.team, "acme.pushbot.com");
    let p = conn
        .params
        .iter()
        .find(|p| p.reference_name == "client-secret")
        .unwrap();
    assert_eq!(p.value, "[secret]");
    assert_eq!(
        p.matches_credential,
        Some(CredentialMatch {
            app_id: app_id.clone(),
            key_id
        })
    );
    let c = conn
        .params
        .iter()
        .find(|p| p.reference_name == "client-id")
        .unwrap();
    assert_eq!(c.value, app_id);
    assert_eq!(c.matches_credential, None);
    let text = serde_json::to_string(&snap).unwrap();
    assert!(!text.contains(&secret));
    assert!(text.contains("\"matchesCredential\""));
    // The log keeps paths and query keys only.
    assert!(
        snap.requests
            .log
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/addPassword") && r.status == 200)
    );

    // Out of process, the same snapshot.
    let r = read(
        t.http
            .get(format!("{}/_emulator/state", t.emu.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let remote: Snapshot = serde_json::from_value(r.body).unwrap();
    assert_eq!(remote.connections, snap.connections);
}

// --- Control plane and config ------------------------------------------------------------

#[tokio::test]
async fn control_plane_mints_tokens_and_patches_config() {
    let t = start().await;
    let base = t.emu.base_url();
    let r = read(
        t.http
            .post(format!("{base}/_emulator/tokens"))
            .json(&json!({"roles": ["Application.Read.All"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let tok = s(&r.body["access_token"]);
    assert_eq!(
        t.graph(Method::GET, "/applications", &tok, None)
            .await
            .status,
        200
    );
    let r = read(
        t.http
            .get(format!("{base}/_emulator/credentials"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let creds: Credentials = serde_json::from_value(r.body).unwrap();
    assert_eq!(creds, t.creds);

    let patch = |b: Value| {
        t.http
            .patch(format!("{base}/_emulator/config"))
            .json(&b)
            .send()
    };
    let r = read(patch(json!({"throttle": {"every": 1}})).await.unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        t.graph(Method::GET, "/applications", &tok, None)
            .await
            .status,
        429
    );
    assert_eq!(
        read(patch(json!({"throttle": {"evry": 1}})).await.unwrap())
            .await
            .status,
        400
    );
    assert_eq!(
        read(patch(json!({"tenant_domain": "x.example"})).await.unwrap())
            .await
            .status,
        400
    );
}

#[test]
fn config_json_is_strict_and_demo_is_realistic() {
    let c: EmulatorConfig = serde_json::from_str(r#"{"replication": {"requests": 3}}"#).unwrap();
    assert_eq!(c.replication.requests, 3);
    assert_eq!(c.platform.filler_integrations, 30);
    assert!(serde_json::from_str::<EmulatorConfig>(r#"{"replicaton": {}}"#).is_err());
    let none: EmulatorConfig = serde_json::from_str(r#"{"platform": {"azure_ad": null}}"#).unwrap();
    assert!(none.platform.azure_ad.is_none());
    let d = EmulatorConfig::demo();
    assert!(d.replication.requests > 0 && d.replication.millis > 0);
    assert!(d.throttle.every > 0 && d.throttle.omit_retry_after_every_other);
    assert_eq!(EmulatorConfig::default().throttle.every, 0);
    let bad = EmulatorConfig {
        tenant_id: Some("not-a-guid".into()),
        ..EmulatorConfig::default()
    };
    assert!(bad.validate().is_err());
}

#[test]
fn credentials_debug_redacts_secrets() {
    let c = Credentials {
        tenant_id: "t".into(),
        tenant_domain: "d".into(),
        admin_client_id: "a".into(),
        admin_client_secret: "SECRET1".into(),
        reader_client_id: "r".into(),
        reader_client_secret: "SECRET2".into(),
        platform_admin_token: "SECRET3".into(),
        platform_member_token: "SECRET4".into(),
        platform_team: "acme.pushbot.com".into(),
        github_oidc_request_url: "u".into(),
        github_oidc_request_token: "SECRET5".into(),
    };
    assert!(!format!("{c:?}").contains("SECRET"));
}

// --- Phase 2: device code, federated credentials, platform token approval ---------------

fn fast_device(config: EmulatorConfig) -> EmulatorConfig {
    EmulatorConfig {
        sign_in: SignInConfig {
            device_code_interval_secs: 0,
            ..config.sign_in.clone()
        },
        ..config
    }
}

impl T {
    async fn device_code(&self, client_id: &str, scope: &str) -> Resp {
        let url = format!(
            "{}/{}/oauth2/v2.0/devicecode",
            self.emu.login_url(),
            self.creds.tenant_id
        );
        read(
            self.http
                .post(url)
                .form(&[("client_id", client_id), ("scope", scope)])
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn poll(&self, client_id: &str, device_code: &str) -> Resp {
        self.token_request(
            &self.creds.tenant_id,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", client_id),
                ("device_code", device_code),
            ],
        )
        .await
    }

    async fn control(&self, path: &str, body: Value) -> Resp {
        read(
            self.http
                .post(format!("{}/_emulator{path}", self.emu.base_url()))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

const CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

#[tokio::test]
async fn device_code_flow_pending_approved_redeemed_and_refreshed() {
    let t = &start_with(fast_device(EmulatorConfig::default())).await;
    let r = t
        .device_code(
            CLI,
            "https://graph.microsoft.com/Application.ReadWrite.All openid profile offline_access",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for k in ["device_code", "user_code", "verification_uri", "message"] {
        assert!(r.body[k].is_string(), "{k}");
    }
    assert_eq!(r.body["expires_in"], 900);
    assert!(r.body["interval"].is_u64());
    assert!(r.body.get("verification_uri_complete").is_none());
    let (code, user_code) = (s(&r.body["device_code"]), s(&r.body["user_code"]));

    assert_aad_error(
        &t.poll(CLI, &code).await,
        400,
        "authorization_pending",
        70016,
    );
    assert_aad_error(
        &t.poll(CLI, "nope").await,
        400,
        "bad_verification_code",
        70018,
    );
    assert_eq!(
        t.control("/device/approve", json!({"user_code": user_code}))
            .await
            .status,
        204
    );

    let r = t.poll(CLI, &code).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let access = s(&r.body["access_token"]);
    let c = claims(&access);
    assert_eq!(c["scp"], "Application.ReadWrite.All");
    assert_eq!(c["idtyp"], "user");
    assert!(s(&r.body["scope"]).contains("https://graph.microsoft.com/Application.ReadWrite.All"));
    let refresh = s(&r.body["refresh_token"]);
    assert!(!refresh.is_empty());
    let created = t
        .graph(
            Method::POST,
            "/applications",
            &access,
            Some(json!({"displayName": "by-user"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    // A device code is redeemed once.
    assert_eq!(t.poll(CLI, &code).await.body["error"], "invalid_grant");

    let refreshed = |rt: String| async move {
        t.token_request(
            &t.creds.tenant_id,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLI),
                ("refresh_token", &rt),
            ],
        )
        .await
    };
    let r = refreshed(refresh.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_ne!(
        s(&r.body["refresh_token"]),
        refresh,
        "refresh tokens rotate"
    );
    assert_eq!(
        refreshed(refresh.clone()).await.body["error"],
        "invalid_grant"
    );
    let secrets = t.emu.issued_secrets();
    assert!(secrets.contains(&access) && secrets.contains(&refresh));
}

#[tokio::test]
async fn device_code_slow_down_decline_expiry_and_auto_approval() {
    // An interval no two back-to-back polls can take, however loaded the
    // machine: the second poll is always too soon.
    let t = start_with(EmulatorConfig {
        sign_in: SignInConfig {
            device_code_interval_secs: 3600,
            ..SignInConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let r = t.device_code(CLI, "Application.ReadWrite.All").await;
    let code = s(&r.body["device_code"]);
    assert_eq!(
        t.poll(CLI, &code).await.body["error"],
        "authorization_pending"
    );
    assert_eq!(t.poll(CLI, &code).await.body["error"], "slow_down");
    t.emu.update(|c| c.sign_in.device_code_slow_down = false);
    assert_eq!(
        t.poll(CLI, &code).await.body["error"],
        "authorization_pending"
    );

    let r = t.device_code(CLI, "Application.ReadWrite.All").await;
    let code = s(&r.body["device_code"]);
    t.control(
        "/device/decline",
        json!({"user_code": s(&r.body["user_code"])}),
    )
    .await;
    assert_aad_error(
        &t.poll(CLI, &code).await,
        400,
        "authorization_declined",
        70020,
    );

    // Unknown Graph scope, and a scope of another resource.
    let r = t
        .device_code(CLI, "https://graph.microsoft.com/Nope.All")
        .await;
    assert_aad_error(&r, 400, "invalid_scope", 70011);
    let r = t
        .device_code(CLI, "https://outlook.office.com/Mail.Read")
        .await;
    assert_aad_error(&r, 400, "invalid_resource", 500011);

    // Auto approval after one poll: the first is pending, the next approved.
    t.emu
        .update(|c| c.sign_in.device_auto_approve_after_polls = Some(1));
    let r = t
        .device_code(CLI, "Application.ReadWrite.All offline_access")
        .await;
    let code = s(&r.body["device_code"]);
    assert_eq!(
        t.poll(CLI, &code).await.body["error"],
        "authorization_pending"
    );
    let r = t.poll(CLI, &code).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Codes that live 1 s, polled only after that (a lower bound on time,
    // which load cannot break): expired, though the first poll of each
    // would be approved; auto approval never beats expiry.
    t.emu.update(|c| {
        c.sign_in.device_auto_approve_after_polls = Some(0);
        c.sign_in.device_code_expires_in_secs = 1;
    });
    let r = t
        .device_code(CLI, "Application.ReadWrite.All offline_access")
        .await;
    let code = s(&r.body["device_code"]);
    let expiring = s(&t.device_code(CLI, "User.Read").await.body["device_code"]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_aad_error(&t.poll(CLI, &code).await, 400, "expired_token", 70019);
    assert_aad_error(&t.poll(CLI, &expiring).await, 400, "expired_token", 70019);
}

#[tokio::test]
async fn device_code_needs_a_public_client() {
    let t = start().await;
    let r = t.device_code(&t.creds.admin_client_id, "User.Read").await;
    assert_aad_error(&r, 401, "invalid_client", 7000218);
    let r = t
        .device_code(&uuid::Uuid::new_v4().to_string(), "User.Read")
        .await;
    assert_aad_error(&r, 400, "unauthorized_client", 700016);
}

#[tokio::test]
async fn federated_assertion_from_the_github_oidc_endpoint_signs_in() {
    let t = &start().await;
    let url = format!(
        "{}&audience=api%3A%2F%2FAzureADTokenExchange",
        t.creds.github_oidc_request_url
    );
    let r = read(t.http.get(&url).send().await.unwrap()).await;
    assert_eq!(r.status, 401, "bearer required");
    let r = read(
        t.http
            .get(&url)
            .bearer_auth(&t.creds.github_oidc_request_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let assertion = s(&r.body["value"]);
    let form = |a: &str| {
        vec![
            ("client_id".to_owned(), t.creds.admin_client_id.clone()),
            (
                "scope".to_owned(),
                "https://graph.microsoft.com/.default".to_owned(),
            ),
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            (
                "client_assertion_type".to_owned(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion".to_owned(), a.to_owned()),
        ]
    };
    let post = |f: Vec<(String, String)>| async move {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            t.emu.login_url(),
            t.creds.tenant_id
        );
        read(t.http.post(url).form(&f).send().await.unwrap()).await
    };
    let r = post(form(&assertion)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        claims(&s(&r.body["access_token"]))["appid"],
        t.creds.admin_client_id.as_str()
    );

    let other = jwt::encode(&json!({
        "iss": "https://token.actions.githubusercontent.com",
        "sub": "repo:evil/fork:ref:refs/heads/main",
        "aud": "api://AzureADTokenExchange",
        "exp": util::unix_now() + 60,
    }));
    assert_aad_error(&post(form(&other)).await, 400, "invalid_client", 700213);
    // The reader app has no federated credential.
    let mut f = form(&assertion);
    f[0].1 = t.creds.reader_client_id.clone();
    assert_aad_error(&post(f).await, 400, "invalid_client", 700213);
}

#[tokio::test]
async fn platform_access_token_needs_approval() {
    let t = &start().await;
    let auth = |path: &str, body: Value| {
        let url = format!("{}/api/auth{path}", t.emu.platform_url());
        async move { read(t.http.post(url).json(&body).send().await.unwrap()).await }
    };
    let r = auth(
        "",
        json!({"domain": "acme.pushbot.com", "name": "aad-setup"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (id, token) = (s(&r.body["id"]), s(&r.body["token"]));
    assert_eq!(
        util::decode_platform_token(&token).unwrap()[2],
        "acme.pushbot.com"
    );
    assert_eq!(
        t.platform(Method::GET, "/api/integrations", &token, None)
            .await
            .status,
        401
    );

    let wait = |ms: u64| {
        auth(
            "/wait-for-approval",
            json!({"token": &token, "waitTimeMillis": ms}),
        )
    };
    let r = wait(50).await;
    assert_eq!(r.status, 401, "not approved in time: {}", r.text);
    assert_eq!(
        t.control("/platform/approve", json!({"id": id}))
            .await
            .status,
        204
    );
    assert_eq!(wait(50).await.status, 200);
    assert_eq!(
        t.platform(Method::GET, "/api/integrations", &token, None)
            .await
            .status,
        200
    );

    let r = auth("", json!({"domain": "acme.pushbot.com", "name": "again"})).await;
    let (id2, token2) = (s(&r.body["id"]), s(&r.body["token"]));
    t.control("/platform/cancel", json!({"id": id2})).await;
    let r = auth("/wait-for-approval", json!({"token": token2})).await;
    assert_eq!(r.status, 401);
    assert!(s(&r.body["detail"]).contains("cancelled"));

    assert_eq!(
        auth("", json!({"domain": "other.pushbot.com", "name": "x"}))
            .await
            .status,
        400
    );
    t.emu
        .update(|c| c.platform.auto_approve_tokens_after_millis = Some(0));
    let r = auth("", json!({"domain": "acme.pushbot.com"})).await;
    let r = auth(
        "/wait-for-approval",
        json!({"token": s(&r.body["token"]), "waitTimeMillis": 1000}),
    )
    .await;
    assert_eq!(r.status, 200);
}

// --- Authorization code with PKCE (entra-sign-in.md §5) -----------------------------

/// The RFC 7636 Appendix B pair.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

impl T {
    /// `GET /authorize` without following the redirect: the status and `Location`.
    async fn authorize(&self, params: &[(&str, &str)]) -> (StatusCode, Option<url::Url>, Value) {
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let url = format!(
            "{}/{}/oauth2/v2.0/authorize",
            self.emu.login_url(),
            self.creds.tenant_id
        );
        let r = client.get(url).query(params).send().await.unwrap();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|l| url::Url::parse(l).unwrap());
        let status = r.status();
        let body = r.json().await.unwrap_or(Value::Null);
        (status, location, body)
    }
}

fn returned(location: &url::Url, name: &str) -> Option<String> {
    location
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

const GRAPH_CLI: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
const SCOPE: &str = "https://graph.microsoft.com/Application.ReadWrite.All openid offline_access";

#[tokio::test]
async fn authorization_code_with_pkce_is_redeemed_once_with_the_verifier() {
    let t = &start().await;
    let params = [
        ("client_id", GRAPH_CLI),
        ("response_type", "code"),
        ("redirect_uri", "http://localhost:49152"),
        ("scope", SCOPE),
        ("state", "s1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let (status, location, _) = t.authorize(&params).await;
    assert_eq!(status, 302);
    let location = location.expect("Location");
    assert_eq!(
        location.as_str().split('?').next(),
        Some("http://localhost:49152/")
    );
    assert_eq!(returned(&location, "state").as_deref(), Some("s1"));
    let code = returned(&location, "code").expect("code");
    let redeem = |verifier: &'static str, redirect: &'static str| {
        let code = code.clone();
        async move {
            t.token_request(
                &t.creds.tenant_id,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", GRAPH_CLI),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", verifier),
                    ("scope", SCOPE),
                ],
            )
            .await
        }
    };
    assert_aad_error(
        &redeem("a-verifier-that-is-not-the-one", "http://localhost:49152").await,
        400,
        "invalid_grant",
        501481,
    );
    assert_aad_error(
        &redeem(VERIFIER, "http://localhost:50000").await,
        400,
        "invalid_grant",
        50011,
    );
    let ok = redeem(VERIFIER, "http://localhost:49152").await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let c = claims(&s(&ok.body["access_token"]));
    assert_eq!(c["scp"], "Application.ReadWrite.All");
    assert_eq!(c["tid"], t.creds.tenant_id.as_str());
    assert!(ok.body["refresh_token"].is_string(), "offline_access");
    assert_aad_error(
        &redeem(VERIFIER, "http://localhost:49152").await,
        400,
        "invalid_grant",
        54005,
    );
}

#[tokio::test]
async fn authorize_refuses_bad_redirects_on_the_page_and_the_rest_on_the_redirect() {
    let t = &start().await;
    let with = |redirect: &'static str, response_type: &'static str, scope: &'static str| {
        [
            ("client_id", GRAPH_CLI),
            ("response_type", response_type),
            ("redirect_uri", redirect),
            ("scope", scope),
            ("state", "s2"),
        ]
    };
    // Not a loopback `localhost` redirect: shown on the page, never redirected to.
    for bad in [
        "https://evil.example/cb",
        "http://127.0.0.1:5000",
        "http://localhost:5000/x",
    ] {
        let (status, location, body) = t.authorize(&with(bad, "code", SCOPE)).await;
        assert_eq!(status, 400, "{bad}");
        assert!(location.is_none(), "{bad}");
        assert!(
            s(&body["error_description"]).starts_with("AADSTS50011"),
            "{body}"
        );
    }
    // An unknown client: the page too.
    let (status, location, body) = t
        .authorize(&[
            ("client_id", "00000000-1111-2222-3333-444444444444"),
            ("response_type", "code"),
            ("redirect_uri", "http://localhost"),
            ("scope", SCOPE),
        ])
        .await;
    assert_eq!(status, 400);
    assert!(location.is_none());
    assert!(
        s(&body["error_description"]).starts_with("AADSTS700016"),
        "{body}"
    );
    // The rest go back to the client, with its state.
    let (status, location, _) = t
        .authorize(&with("http://localhost:5000", "token", SCOPE))
        .await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert_eq!(
        returned(&location, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert_eq!(returned(&location, "state").as_deref(), Some("s2"));
    let (_, location, _) = t
        .authorize(&with(
            "http://localhost:5000",
            "code",
            "https://graph.microsoft.com/No.Such.Scope",
        ))
        .await;
    assert_eq!(
        returned(&location.unwrap(), "error").as_deref(),
        Some("invalid_scope")
    );
}

#[tokio::test]
async fn a_declining_admin_sends_the_browser_back_with_access_denied() {
    let mut config = EmulatorConfig::default();
    config.sign_in.browser_decision = BrowserDecision::Decline;
    let t = &start_with(config).await;
    let (status, location, _) = t
        .authorize(&[
            ("client_id", GRAPH_CLI),
            ("response_type", "code"),
            ("redirect_uri", "http://localhost:6000"),
            ("scope", SCOPE),
        ])
        .await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert_eq!(
        returned(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert!(
        returned(&location, "error_description")
            .unwrap()
            .starts_with("AADSTS65004:")
    );
    assert!(returned(&location, "code").is_none());
}

#[tokio::test]
async fn a_tenant_apps_browser_sign_in_returns_only_to_its_registered_redirect_uris() {
    let t = &start().await;
    let token = t.admin().await;
    let app = |body: Value| t.graph(Method::POST, "/applications", &token, Some(body));
    let with = s(&app(json!({
        "displayName": "org-cli",
        "publicClient": {"redirectUris": ["http://localhost"]},
    }))
    .await
    .body["appId"]);
    // A web redirect URI does not make a public client.
    let without = s(&app(json!({
        "displayName": "org-web",
        "web": {"redirectUris": ["http://localhost"]},
    }))
    .await
    .body["appId"]);
    let bad = app(
        json!({"displayName": "x", "publicClient": {"redirectUris": ["http://example.com/cb"]}}),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let ask = |client: String, challenge: &'static str| async move {
        t.authorize(&[
            ("client_id", client.as_str()),
            ("response_type", "code"),
            ("redirect_uri", "http://localhost:43210"),
            ("scope", SCOPE),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
        .await
    };
    let (status, location, _) = ask(with.clone(), CHALLENGE).await;
    assert_eq!(status, 302, "any port on a registered http://localhost");
    assert!(returned(&location.unwrap(), "code").is_some());
    // Registered under `web` only: the code is issued, but it belongs to a
    // confidential client, so it is redeemed only with the client's secret.
    let (status, location, _) = ask(without.clone(), CHALLENGE).await;
    assert_eq!(status, 302);
    let code = returned(&location.unwrap(), "code").expect("code");
    let r = t
        .token_request(
            &t.creds.tenant_id,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", without.as_str()),
                ("code", code.as_str()),
                ("redirect_uri", "http://localhost:43210"),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_aad_error(&r, 401, "invalid_client", 7000218);
    // Registered nowhere: refused on the page.
    let stranger = s(&app(json!({"displayName": "org-none"})).await.body["appId"]);
    let (status, location, body) = ask(stranger, CHALLENGE).await;
    assert_eq!(status, 400);
    assert!(location.is_none());
    assert!(
        s(&body["error_description"]).starts_with("AADSTS50011"),
        "{body}"
    );
    let (_, location, _) = ask(with, "too-short").await;
    assert_eq!(
        returned(&location.unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
}
