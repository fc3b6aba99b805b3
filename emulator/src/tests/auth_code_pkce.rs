//! Authorization code with PKCE (docs/sign-in.md §5)

use super::*;

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
