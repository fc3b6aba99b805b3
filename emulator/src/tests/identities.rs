//! The identities admins really use, `/organizations`, the approval pages, and the
//! platform's leniency where the API is lenient (issue 8).

use super::*;

const CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const DPG: &str = "DelegatedPermissionGrant.ReadWrite.All";

fn fast(config: EmulatorConfig) -> EmulatorConfig {
    EmulatorConfig {
        sign_in: SignInConfig {
            device_code_interval_secs: 0,
            ..config.sign_in.clone()
        },
        ..config
    }
}

impl T {
    async fn identity_token(&self, name: &str) -> String {
        let id = self.creds.identity(name).expect("seeded identity");
        let r = self.token_for(&id.client_id, &id.client_secret).await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
        s(&r.body["access_token"])
    }

    async fn login(&self, tenant: &str, endpoint: &str, form: &[(&str, &str)]) -> Resp {
        let url = format!("{}/{tenant}/oauth2/v2.0/{endpoint}", self.emu.login_url());
        read(self.http.post(url).form(form).send().await.unwrap()).await
    }

    async fn control_post(&self, path: &str, body: Value) -> Resp {
        let url = format!("{}/_emulator{path}", self.emu.base_url());
        read(self.http.post(url).json(&body).send().await.unwrap()).await
    }

    /// A device code on `tenant` for the Azure CLI client, approved by `user`, then
    /// polled on `tenant`.
    async fn device_sign_in(&self, tenant: &str, scope: &str, user: &str) -> Resp {
        let r = self
            .login(
                tenant,
                "devicecode",
                &[("client_id", CLI), ("scope", scope)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let approve = self
            .control_post(
                "/device/approve",
                json!({"user_code": s(&r.body["user_code"]), "user": user}),
            )
            .await;
        assert_eq!(approve.status, 204, "{}", approve.text);
        self.login(
            tenant,
            "token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", CLI),
                ("device_code", &s(&r.body["device_code"])),
            ],
        )
        .await
    }
}

#[tokio::test]
async fn every_seeded_identity_signs_in_with_exactly_its_roles() {
    let t = &start().await;
    let names: Vec<&str> = t.creds.identities.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        ["admin", "writer", "owned-by", "reader", "directory-reader"]
    );
    assert_eq!(
        t.creds.identity("admin").unwrap().client_id,
        t.creds.admin_client_id
    );
    assert_eq!(
        t.creds.identity("reader").unwrap().client_secret,
        t.creds.reader_client_secret
    );
    for identity in &t.creds.identities {
        let token = t.identity_token(&identity.name).await;
        assert_eq!(
            claims(&token)["roles"],
            json!(identity.roles),
            "{}",
            identity.name
        );
    }
    assert!(!format!("{:?}", t.creds).contains(&t.creds.identities[1].client_secret));
    let users: Vec<&str> = t.creds.users.iter().map(|u| u.role.as_str()).collect();
    assert_eq!(users, ["Global Administrator", "Application Developer"]);
}

#[tokio::test]
async fn owned_by_lists_what_it_does_not_own_but_changes_only_its_own() {
    let t = &start().await;
    let admin = t.admin().await;
    let (other_id, other_app_id, other_sp) = t.app_with_sp(&admin, "someone-elses").await;
    let owned_by = t.identity_token("owned-by").await;

    // Reads: the permission tables of both list calls accept OwnedBy.
    let filter = format!("/applications?$filter=appId eq '{other_app_id}'");
    let r = t.graph(Method::GET, &filter, &owned_by, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    let filter = format!("/servicePrincipals?$filter=appId eq '{other_app_id}'");
    let r = t.graph(Method::GET, &filter, &owned_by, None).await;
    assert_eq!(r.body["value"][0]["id"], json!(other_sp));
    let r = t
        .graph(
            Method::GET,
            &format!("/applications/{other_id}"),
            &owned_by,
            None,
        )
        .await;
    assert_eq!(r.status, 200);

    // Writes: only what it owns.
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{other_id}"),
            &owned_by,
            Some(json!({"notes": "mine now"})),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    let (own_id, _, _) = t.app_with_sp(&owned_by, "its-own").await;
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{own_id}"),
            &owned_by,
            Some(json!({"notes": "mine"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    // Grants: neither read nor write.
    let r = t
        .graph(Method::GET, "/oauth2PermissionGrants", &owned_by, None)
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
}

#[tokio::test]
async fn reading_grants_needs_directory_read_all_not_application_readwrite_all() {
    let t = &start().await;
    for (name, status) in [
        ("writer", 403),
        ("reader", 403),
        ("directory-reader", 200),
        ("admin", 200),
    ] {
        let token = t.identity_token(name).await;
        let r = t
            .graph(Method::GET, "/oauth2PermissionGrants", &token, None)
            .await;
        assert_eq!(r.status, status, "{name}: {}", r.text);
    }
    // The readers read applications and write nothing.
    for name in ["reader", "directory-reader"] {
        let token = t.identity_token(name).await;
        let r = t.graph(Method::GET, "/applications", &token, None).await;
        assert_eq!(r.status, 200, "{name}");
        let r = t
            .graph(
                Method::POST,
                "/applications",
                &token,
                Some(json!({"displayName": "x"})),
            )
            .await;
        assert_graph_error(&r, 403, "Authorization_RequestDenied");
    }
    // The writer writes applications and service principals, but not grants.
    let writer = t.identity_token("writer").await;
    let (_, _, sp) = t.app_with_sp(&writer, "written").await;
    let graph_sp = t
        .graph(
            Method::GET,
            &format!("/servicePrincipals?$filter=appId eq '{GRAPH_APP_ID}'"),
            &writer,
            None,
        )
        .await;
    let r = t
        .graph(
            Method::POST,
            "/oauth2PermissionGrants",
            &writer,
            Some(json!({"clientId": sp, "consentType": "AllPrincipals",
                "resourceId": s(&graph_sp.body["value"][0]["id"]), "scope": "User.Read"})),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
}

#[tokio::test]
async fn device_code_on_organizations_and_common_takes_the_tenant_from_the_user() {
    let t = &start_with(fast(EmulatorConfig::default())).await;
    for segment in ["organizations", "common"] {
        let r = t
            .device_sign_in(
                segment,
                "https://graph.microsoft.com/Application.ReadWrite.All openid",
                "admin",
            )
            .await;
        assert_eq!(r.status, 200, "{segment}: {}", r.text);
        let c = claims(&s(&r.body["access_token"]));
        assert_eq!(c["tid"], json!(t.creds.tenant_id), "{segment}");
        let me = t
            .graph(Method::GET, "/me", &s(&r.body["access_token"]), None)
            .await;
        assert_eq!(me.status, 403, "no User.Read asked for");
    }
    // The discovery document of /organizations has the `{tenantid}` placeholder.
    let url = format!(
        "{}/organizations/v2.0/.well-known/openid-configuration",
        t.emu.login_url()
    );
    let r = read(t.http.get(url).send().await.unwrap()).await;
    assert_eq!(r.status, 200);
    assert!(
        s(&r.body["issuer"]).ends_with("/{tenantid}/v2.0"),
        "{}",
        r.text
    );
    // Client credentials need the tenant.
    for segment in ["organizations", "common"] {
        let r = t
            .login(
                segment,
                "token",
                &[
                    ("client_id", &t.creds.admin_client_id),
                    ("client_secret", &t.creds.admin_client_secret),
                    ("scope", "https://graph.microsoft.com/.default"),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await;
        assert_aad_error(&r, 400, "invalid_request", 9001023);
    }
    // An unknown segment is still an unknown tenant.
    let r = t
        .login(
            "consumers",
            "devicecode",
            &[("client_id", CLI), ("scope", "User.Read")],
        )
        .await;
    assert_aad_error(&r, 400, "invalid_tenant", 90002);
}

#[tokio::test]
async fn a_single_tenant_public_client_cannot_use_organizations() {
    let t = &start_with(fast(EmulatorConfig::default())).await;
    let admin = t.admin().await;
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &admin,
            Some(
                json!({"displayName": "own-public-client", "signInAudience": "AzureADMyOrg",
                "isFallbackPublicClient": true}),
            ),
        )
        .await;
    let client = s(&r.body["appId"]);
    let form = [("client_id", client.as_str()), ("scope", "User.Read")];
    let r = t.login("organizations", "devicecode", &form).await;
    assert_aad_error(&r, 400, "invalid_request", 50194);
    let r = t.login(&t.creds.tenant_id, "devicecode", &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn the_developer_cannot_obtain_grant_rights_and_changes_only_their_own_apps() {
    let t = &start_with(fast(EmulatorConfig::default())).await;
    let with_dpg = format!(
        "https://graph.microsoft.com/Application.ReadWrite.All https://graph.microsoft.com/{DPG} openid"
    );
    let r = t
        .device_sign_in(&t.creds.tenant_id, &with_dpg, "developer")
        .await;
    assert_aad_error(&r, 400, "invalid_grant", 65001);
    assert!(s(&r.body["error_description"]).contains(DPG));
    // The admin may obtain it.
    let r = t
        .device_sign_in(&t.creds.tenant_id, &with_dpg, "admin")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let r = t
        .device_sign_in(
            &t.creds.tenant_id,
            "https://graph.microsoft.com/Application.ReadWrite.All https://graph.microsoft.com/User.Read",
            "developer",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let dev = s(&r.body["access_token"]);
    assert!(s(&claims(&dev)["upn"]).starts_with("developer@"));
    let me = t.graph(Method::GET, "/me", &dev, None).await;
    assert!(s(&me.body["userPrincipalName"]).starts_with("developer@"));

    // Registers an app and its service principal, as the owner.
    let (own_id, _, _) = t.app_with_sp(&dev, "developers-app").await;
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{own_id}"),
            &dev,
            Some(json!({"notes": "ok"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    // Someone else's: readable, not changeable, no service principal for it.
    let admin = t.admin().await;
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &admin,
            Some(json!({"displayName": "admins-app"})),
        )
        .await;
    let (other_id, other_app_id) = (s(&r.body["id"]), s(&r.body["appId"]));
    let r = t
        .graph(
            Method::GET,
            &format!("/applications/{other_id}"),
            &dev,
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{other_id}"),
            &dev,
            Some(json!({"notes": "no"})),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    let r = t
        .graph(
            Method::POST,
            "/servicePrincipals",
            &dev,
            Some(json!({"appId": other_app_id})),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    let r = t
        .graph(Method::GET, "/oauth2PermissionGrants", &dev, None)
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
}

#[tokio::test]
async fn the_browser_sign_in_as_the_developer_stops_on_a_scope_they_cannot_consent_to() {
    let mut config = EmulatorConfig::default();
    config.sign_in.user = "developer".into();
    let t = &start_with(config).await;
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = |scope: String| {
        let url = format!("{}/organizations/oauth2/v2.0/authorize", t.emu.login_url());
        let client = client.clone();
        async move {
            let r = client
                .get(url)
                .query(&[
                    ("client_id", CLI),
                    ("response_type", "code"),
                    ("redirect_uri", "http://localhost:4711"),
                    ("scope", scope.as_str()),
                    ("state", "s1"),
                ])
                .send()
                .await
                .unwrap();
            let location = r.headers()["location"].to_str().unwrap().to_owned();
            url::Url::parse(&location).unwrap()
        }
    };
    let back = authorize(format!("https://graph.microsoft.com/{DPG}")).await;
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "consent_required");
    assert!(q["error_description"].starts_with("AADSTS90094:"));
    assert_eq!(q["state"], "s1");
    let back = authorize("https://graph.microsoft.com/Application.ReadWrite.All".into()).await;
    assert!(back.query_pairs().any(|(k, _)| k == "code"), "{back}");
}

#[tokio::test]
async fn a_patched_web_object_replaces_the_stored_one_whole() {
    let t = &start().await;
    let admin = t.admin().await;
    let web = json!({
        "redirectUris": ["https://example.com/a"],
        "homePageUrl": "https://example.com/",
        "logoutUrl": "https://example.com/logout",
        "implicitGrantSettings": {"enableIdTokenIssuance": true, "enableAccessTokenIssuance": false},
    });
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &admin,
            Some(json!({"displayName": "web-app", "web": web})),
        )
        .await;
    let id = s(&r.body["id"]);
    let read_web = || async {
        t.graph(
            Method::GET,
            &format!("/applications/{id}?$select=web"),
            &admin,
            None,
        )
        .await
        .body["web"]
            .clone()
    };
    // Sent whole (with a URI added): everything kept.
    let mut whole = web.clone();
    whole["redirectUris"] = json!(["https://example.com/a", "https://example.com/b"]);
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            &admin,
            Some(json!({"web": whole})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let now = read_web().await;
    assert_eq!(now["logoutUrl"], "https://example.com/logout");
    assert_eq!(now["implicitGrantSettings"]["enableIdTokenIssuance"], true);
    assert_eq!(now["redirectUris"].as_array().unwrap().len(), 2);
    // Only redirectUris: the rest of the complex value is gone.
    t.graph(
        Method::PATCH,
        &format!("/applications/{id}"),
        &admin,
        Some(json!({"web": {"redirectUris": ["https://example.com/a"]}})),
    )
    .await;
    let now = read_web().await;
    assert_eq!(now["logoutUrl"], Value::Null);
    assert_eq!(now["homePageUrl"], Value::Null);
    assert_eq!(now["implicitGrantSettings"]["enableIdTokenIssuance"], false);
}

#[tokio::test]
async fn a_service_principal_keeps_the_tags_it_was_created_with() {
    let t = &start().await;
    let admin = t.admin().await;
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &admin,
            Some(json!({"displayName": "tagged", "tags": ["aad-setup"]})),
        )
        .await;
    let app_id = s(&r.body["appId"]);
    let tags = json!(["aad-setup", "WindowsAzureActiveDirectoryIntegratedApp"]);
    let r = t
        .graph(
            Method::POST,
            "/servicePrincipals",
            &admin,
            Some(json!({"appId": app_id, "tags": tags})),
        )
        .await;
    assert_eq!(r.body["tags"], tags);
    let filter =
        "/servicePrincipals?$filter=tags/any(t:t eq 'WindowsAzureActiveDirectoryIntegratedApp')";
    let r = t.graph(Method::GET, filter, &admin, None).await;
    assert!(
        r.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|sp| sp["appId"] == json!(app_id)),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn the_platform_ignores_parameters_it_does_not_bind_and_caps_page_size() {
    let mut config = EmulatorConfig::default();
    config.platform.filler_integrations = 120;
    let t = &start_with(config).await;
    let tok = t.creds.platform_admin_token.clone();
    // The Node SDK's find({query}) sends `query`.
    let r = t
        .platform(
            Method::GET,
            "/api/integrations?query=Azure&page_size=25",
            &tok,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["count"], 25, "query is ignored, not applied");
    let r = t
        .platform(Method::GET, "/api/integrations?page_size=500", &tok, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["integrations"].as_array().unwrap().len(), 100);
    assert!(!s(&r.body["nextPageToken"]).is_empty());
}

#[tokio::test]
async fn a_person_approves_a_device_code_on_the_local_page() {
    let t = &start_with(fast(EmulatorConfig::default())).await;
    let code = t
        .login(
            &t.creds.tenant_id,
            "devicecode",
            &[("client_id", CLI), ("scope", "User.Read")],
        )
        .await;
    // The device code answer sends the user to the local page.
    assert_eq!(
        code.body["verification_uri"],
        json!(t.creds.device_approval_url)
    );
    assert!(s(&code.body["message"]).contains(&t.creds.device_approval_url));
    let page = t
        .http
        .get(&t.creds.device_approval_url)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"user_code\"") && html.contains("developer@"));

    let post = |form: Vec<(&'static str, String)>| {
        let url = t.creds.device_approval_url.clone();
        async move { t.http.post(url).form(&form).send().await.unwrap() }
    };
    let r = post(vec![
        ("user_code", "NOSUCHCODE".into()),
        ("decision", "approve".into()),
    ])
    .await;
    assert_eq!(r.status(), 404);
    let r = post(vec![
        ("user_code", s(&code.body["user_code"]).to_lowercase()),
        ("user", "admin".into()),
        ("decision", "approve".into()),
    ])
    .await;
    assert_eq!(r.status(), 200);
    let poll = t
        .login(
            &t.creds.tenant_id,
            "token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", CLI),
                ("device_code", &s(&code.body["device_code"])),
            ],
        )
        .await;
    assert_eq!(poll.status, 200, "{}", poll.text);

    // Declining on the page declines.
    let code = t
        .login(
            &t.creds.tenant_id,
            "devicecode",
            &[("client_id", CLI), ("scope", "User.Read")],
        )
        .await;
    post(vec![
        ("user_code", s(&code.body["user_code"])),
        ("decision", "decline".into()),
    ])
    .await;
    let poll = t
        .login(
            &t.creds.tenant_id,
            "token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", CLI),
                ("device_code", &s(&code.body["device_code"])),
            ],
        )
        .await;
    assert_eq!(poll.body["error"], "authorization_declined");
}

#[tokio::test]
async fn a_team_admin_approves_a_platform_token_on_the_local_page() {
    let t = &start().await;
    let url = format!("{}/api/auth", t.emu.platform_url());
    let r = read(
        t.http
            .post(&url)
            .json(&json!({"domain": "acme.pushbot.com", "name": "aad-setup"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (id, token) = (s(&r.body["id"]), s(&r.body["token"]));
    let html = t
        .http
        .get(&t.creds.platform_approval_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&id) && html.contains("aad-setup"), "{html}");
    // The real approval address's path shows the one token.
    let one = format!(
        "{}/_emulator/access-tokens/approve?userTokenID={id}&application=aad-setup",
        t.emu.base_url()
    );
    let html = t.http.get(one).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&id));
    assert!(!html.contains(&token), "the page never shows the token");

    let r = t
        .http
        .post(&t.creds.platform_approval_url)
        .form(&[("id", id.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = t
        .platform(Method::GET, "/api/integrations", &token, None)
        .await;
    assert_eq!(r.status, 200, "approved: {}", r.text);
    let r = t
        .http
        .post(&t.creds.platform_approval_url)
        .form(&[("id", id.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "no longer pending");
}

#[tokio::test]
async fn each_cloud_has_its_own_graph_resource_hosts_and_token_exchange_audience() {
    let cases = [
        (
            EmulatedCloud::Usgov,
            "https://graph.microsoft.us",
            "microsoftonline.us",
            "api://AzureADTokenExchangeUSGov",
        ),
        (
            EmulatedCloud::UsgovDod,
            "https://dod-graph.microsoft.us",
            "microsoftonline.us",
            "api://AzureADTokenExchangeUSGov",
        ),
        (
            EmulatedCloud::China,
            "https://microsoftgraph.chinacloudapi.cn",
            "chinacloudapi.cn",
            "api://AzureADTokenExchangeChina",
        ),
        (
            EmulatedCloud::Public,
            "https://graph.microsoft.com",
            "microsoftonline.com",
            "api://AzureADTokenExchange",
        ),
    ];
    for (cloud, graph, instance, audience) in cases {
        let t = &start_with(EmulatorConfig {
            cloud,
            ..EmulatorConfig::default()
        })
        .await;
        let tenant = t.creds.tenant_id.clone();
        let token = |scope: String, assertion: Option<String>| async move {
            let mut form = vec![
                ("client_id", t.creds.admin_client_id.clone()),
                ("scope", scope),
                ("grant_type", "client_credentials".to_owned()),
            ];
            match assertion {
                Some(a) => {
                    form.push((
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
                    ));
                    form.push(("client_assertion", a));
                }
                None => form.push(("client_secret", t.creds.admin_client_secret.clone())),
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.login(&t.creds.tenant_id, "token", &form).await
        };
        let r = token(format!("{graph}/.default"), None).await;
        assert_eq!(r.status, 200, "{cloud:?}: {}", r.text);
        assert_eq!(claims(&s(&r.body["access_token"]))["aud"], graph);
        if cloud != EmulatedCloud::Public {
            // Another cloud's Graph is not a resource of this tenant.
            let r = token("https://graph.microsoft.com/.default".into(), None).await;
            assert_aad_error(&r, 400, "invalid_resource", 500011);
        }
        let url = format!(
            "{}/{tenant}/v2.0/.well-known/openid-configuration",
            t.emu.login_url()
        );
        let doc = read(t.http.get(url).send().await.unwrap()).await;
        assert_eq!(
            doc.body["msgraph_host"],
            graph.trim_start_matches("https://")
        );
        assert_eq!(doc.body["cloud_instance_name"], instance);
        // The federated credential trusts the cloud's default audience only.
        for (aud, ok) in [
            (audience, true),
            ("api://AzureADTokenExchangeElsewhere", false),
        ] {
            let r = read(
                t.http
                    .get(&t.creds.github_oidc_request_url)
                    .query(&[("audience", aud)])
                    .bearer_auth(&t.creds.github_oidc_request_token)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            let r = token(format!("{graph}/.default"), Some(s(&r.body["value"]))).await;
            if ok {
                assert_eq!(r.status, 200, "{cloud:?} {aud}: {}", r.text);
            } else {
                assert_aad_error(&r, 400, "invalid_client", 700213);
            }
        }
    }
}

#[tokio::test]
async fn the_control_api_mints_a_token_for_the_user_named() {
    let t = &start().await;
    let r = t
        .control_post(
            "/tokens",
            json!({"scp": ["Application.ReadWrite.All"], "user": "developer"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let token = s(&r.body["access_token"]);
    assert!(s(&claims(&token)["upn"]).starts_with("developer@"));
    // The developer's role still limits the token: another's app is not theirs.
    let admin = t.admin().await;
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &admin,
            Some(json!({"displayName": "admins"})),
        )
        .await;
    let r = t
        .graph(
            Method::DELETE,
            &format!("/applications/{}", s(&r.body["id"])),
            &token,
            None,
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    let r = t
        .control_post("/tokens", json!({"scp": [], "user": "nobody"}))
        .await;
    assert_eq!(r.status, 400);
}
