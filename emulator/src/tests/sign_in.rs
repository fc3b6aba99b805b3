//! Sign-in

use super::*;

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
            "DelegatedPermissionGrant.ReadWrite.All",
            "Organization.Read.All",
            "Policy.Read.All"
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
