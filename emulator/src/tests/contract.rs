//! What Graph and Entra refuse, as Microsoft's files and pages say (issue 19): the
//! emulator is no kinder.

use super::*;

const CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

impl T {
    async fn as_identity(&self, name: &str) -> String {
        let id = self.creds.identity(name).expect("seeded identity");
        let r = self.token_for(&id.client_id, &id.client_secret).await;
        assert_eq!(r.status, 200, "{}", r.text);
        s(&r.body["access_token"])
    }

    async fn device_code_as(&self, scope: &str, user: &str) -> Resp {
        let login = |path: &str| {
            format!(
                "{}/{}/oauth2/v2.0/{path}",
                self.emu.login_url(),
                self.creds.tenant_id
            )
        };
        let r = read(
            self.http
                .post(login("devicecode"))
                .form(&[("client_id", CLI), ("scope", scope)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let approve = read(
            self.http
                .post(format!("{}/_emulator/device/approve", self.emu.base_url()))
                .json(&json!({"user_code": s(&r.body["user_code"]), "user": user}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(approve.status, 204, "{}", approve.text);
        read(
            self.http
                .post(login("token"))
                .form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("client_id", CLI),
                    ("device_code", &s(&r.body["device_code"])),
                ])
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    fn owners_of(&self, app_id: &str) -> Vec<String> {
        self.emu
            .snapshot()
            .applications
            .iter()
            .find(|a| a.app_id == app_id)
            .expect("the app")
            .owners
            .clone()
    }
}

#[tokio::test]
async fn a_display_name_over_120_characters_is_refused() {
    let t = start().await;
    let token = t.admin().await;
    let post = |name: String| {
        t.graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": name})),
        )
    };
    let r = post("n".repeat(121)).await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    assert_eq!(
        r.body["error"]["message"],
        "Invalid value specified for property 'displayName' of resource 'Application'."
    );
    let r = post("é".repeat(120)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = s(&r.body["id"]);
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            &token,
            Some(json!({"displayName": "n".repeat(121)})),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
}

#[tokio::test]
async fn a_logout_url_must_be_https_or_localhost() {
    let t = start().await;
    let token = t.admin().await;
    let post = |web: Value| {
        t.graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "x", "web": web})),
        )
    };
    let r = post(json!({"logoutUrl": "http://intranet.example/logout"})).await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    assert_eq!(r.body["error"]["details"][0]["target"], "web.logoutUrl");
    for ok in [
        json!({"logoutUrl": "https://intranet.example/logout"}),
        json!({"logoutUrl": "http://localhost:8080/logout"}),
        // A home page may be plain http.
        json!({"homePageUrl": "http://intranet.example/"}),
    ] {
        let r = post(ok.clone()).await;
        assert_eq!(r.status, 201, "{ok}: {}", r.text);
    }
}

#[tokio::test]
async fn reading_grants_takes_what_the_map_names_not_delegated_permission_grant_read_all() {
    let t = start().await;
    for (roles, status) in [
        (vec!["DelegatedPermissionGrant.Read.All"], 403),
        (vec!["Application.ReadWrite.All"], 403),
        (vec!["Directory.Read.All"], 200),
        (vec!["DelegatedPermissionGrant.ReadWrite.All"], 200),
    ] {
        let token = t.emu.mint_graph_token(TokenKind::App(
            roles.iter().map(|r| (*r).to_owned()).collect(),
        ));
        let r = t
            .graph(Method::GET, "/oauth2PermissionGrants", &token, None)
            .await;
        assert_eq!(r.status, status, "{roles:?}: {}", r.text);
        if status == 403 {
            assert_graph_error(&r, 403, "Authorization_RequestDenied");
        }
    }
}

#[tokio::test]
async fn creators_are_owners_only_as_entra_makes_them() {
    let mut config = EmulatorConfig::default();
    config.sign_in.device_code_interval_secs = 0;
    let t = start_with(config).await;
    let body = |n: &str| Some(json!({"displayName": n}));
    // An app-only caller owns what it creates.
    let app = t.as_identity("owned-by").await;
    let r = t
        .graph(Method::POST, "/applications", &app, body("by-app"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let caller_sp = t
        .emu
        .snapshot()
        .service_principals
        .iter()
        .find(|sp| sp.app_id == t.creds.identity("owned-by").unwrap().client_id)
        .expect("caller's service principal")
        .id
        .clone();
    assert_eq!(t.owners_of(&s(&r.body["appId"])), [caller_sp]);
    // A Global Administrator's role creates without owning.
    let scope = "https://graph.microsoft.com/Application.ReadWrite.All openid";
    let admin = t.device_code_as(scope, "admin").await;
    let admin = s(&admin.body["access_token"]);
    let r = t
        .graph(Method::POST, "/applications", &admin, body("by-admin"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(t.owners_of(&s(&r.body["appId"])).is_empty());
    // An Application Developer creates as owner.
    let dev = t.device_code_as(scope, "developer").await;
    let dev = s(&dev.body["access_token"]);
    let r = t
        .graph(Method::POST, "/applications", &dev, body("by-dev"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(t.owners_of(&s(&r.body["appId"])).len(), 1);
}

#[tokio::test]
async fn without_an_admins_consent_the_developer_gets_only_what_a_user_may_consent_to() {
    let mut config = EmulatorConfig::default();
    config.sign_in.device_code_interval_secs = 0;
    config.sign_in.public_client_admin_consent = false;
    let t = start_with(config).await;
    let r = t
        .device_code_as(
            "https://graph.microsoft.com/Application.ReadWrite.All https://graph.microsoft.com/User.Read openid",
            "developer",
        )
        .await;
    assert_aad_error(&r, 400, "invalid_grant", 65001);
    assert!(s(&r.body["error_description"]).contains("Application.ReadWrite.All"));
    // User.Read needs no administrator (the map: adminConsent false).
    let r = t
        .device_code_as("https://graph.microsoft.com/User.Read openid", "developer")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The administrator may consent to anything.
    let r = t
        .device_code_as(
            "https://graph.microsoft.com/Application.ReadWrite.All openid",
            "admin",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // What the developer may obtain is the map's user-consentable permissions.
    let users = t.emu.credentials().users;
    let scopes = users[1].consentable_scopes.clone().expect("limited");
    assert!(scopes.iter().any(|s| s == "User.Read"), "{scopes:?}");
    assert!(
        !scopes.iter().any(|s| s.starts_with("Application.")),
        "{scopes:?}"
    );
}

#[tokio::test]
async fn the_map_decides_who_may_call_what() {
    let t = start().await;
    let token = |roles: &[&str]| {
        t.emu.mint_graph_token(TokenKind::App(
            roles.iter().map(|r| (*r).to_owned()).collect(),
        ))
    };
    // AppRegistration.Create: POST /applications and nothing else.
    let create = token(&["AppRegistration.Create"]);
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &create,
            Some(json!({"displayName": "made"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = s(&r.body["id"]);
    for (method, path, body) in [
        (Method::GET, "/applications".to_owned(), None),
        (
            Method::PATCH,
            format!("/applications/{id}"),
            Some(json!({"notes": "x"})),
        ),
        (
            Method::POST,
            format!("/applications/{id}/addPassword"),
            Some(json!({})),
        ),
        (Method::GET, "/organization".to_owned(), None),
    ] {
        let r = t.graph(method.clone(), &path, &create, body).await;
        assert_graph_error(&r, 403, "Authorization_RequestDenied");
        assert_eq!(
            r.body["error"]["code"], "Authorization_RequestDenied",
            "{method} {path}"
        );
    }
    // Organization.Read.All reads the organization and nothing of the apps.
    let org = token(&["Organization.Read.All"]);
    let r = t.graph(Method::GET, "/organization", &org, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = t.graph(Method::GET, "/applications", &org, None).await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    // A method the map does not know for a path it knows.
    let admin = t.admin().await;
    let r = t
        .graph(Method::PUT, "/applications", &admin, Some(json!({})))
        .await;
    assert_eq!(r.status, 405, "{}", r.text);
}

#[tokio::test]
async fn bodies_and_select_are_checked_against_the_clouds_schema() {
    let t = start().await;
    let admin = t.admin().await;
    let r = t
        .graph(
            Method::GET,
            "/applications?$select=id,notAProperty",
            &admin,
            None,
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    assert_eq!(
        r.body["error"]["message"],
        "Could not find a property named 'notAProperty' on type 'microsoft.graph.application'."
    );
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &admin,
            Some(json!({"displayName": "x", "web": {"redirectUris": "https://a"}})),
        )
        .await;
    assert_graph_error(&r, 400, "BadRequest");
    assert_eq!(r.body["error"]["details"][0]["target"], "web.redirectUris");
    // Prod has `verifiedPublisher` and `nativeAuthenticationApisEnabled`; the US
    // Government cloud's schema does not.
    let r = t
        .graph(
            Method::GET,
            "/applications?$select=id,verifiedPublisher",
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let gov = start_with(EmulatorConfig {
        cloud: EmulatedCloud::Usgov,
        ..Default::default()
    })
    .await;
    let r = gov
        .token_request(
            &gov.creds.tenant_id,
            &[
                ("client_id", gov.creds.admin_client_id.as_str()),
                ("client_secret", gov.creds.admin_client_secret.as_str()),
                ("scope", "https://graph.microsoft.us/.default"),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    let gov_admin = s(&r.body["access_token"]);
    // Answers carry only what the cloud's schema has.
    let made = gov
        .graph(
            Method::POST,
            "/applications",
            &gov_admin,
            Some(json!({"displayName": "gov"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert!(made.body.get("displayName").is_some());
    let id = s(&made.body["id"]);
    let prod_made = t
        .graph(
            Method::POST,
            "/applications",
            &admin,
            Some(json!({"displayName": "prod"})),
        )
        .await;
    let prod_id = s(&prod_made.body["id"]);
    for (tenant, token, id, has) in [(&gov, &gov_admin, &id, false), (&t, &admin, &prod_id, true)] {
        let r = tenant
            .graph(Method::GET, &format!("/applications/{id}"), token, None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body.get("verifiedPublisher").is_some(), has, "{}", r.text);
        assert!(r.body.get("nativeAuthenticationApisEnabled").is_none());
        let r = tenant
            .graph(Method::GET, "/servicePrincipals", token, None)
            .await;
        let first = &r.body["value"][0];
        assert!(first.get("appId").is_some(), "{}", r.text);
        assert_eq!(first.get("verifiedPublisher").is_some(), has, "{first}");
    }
    let r = gov
        .graph(
            Method::GET,
            "/applications?$select=id,verifiedPublisher",
            &gov_admin,
            None,
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = gov
        .graph(
            Method::POST,
            "/applications",
            &gov_admin,
            Some(json!({"displayName": "x", "nativeAuthenticationApisEnabled": "none"})),
        )
        .await;
    assert_graph_error(&r, 400, "BadRequest");
    assert!(
        s(&r.body["error"]["message"]).contains("'nativeAuthenticationApisEnabled' does not exist"),
        "{}",
        r.text
    );
}
