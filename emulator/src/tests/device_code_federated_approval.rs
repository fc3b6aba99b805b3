//! Phase 2: device code, federated credentials, platform token approval

use super::*;

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
