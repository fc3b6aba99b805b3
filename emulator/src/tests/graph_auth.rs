//! Graph: authentication and authorization

use super::*;

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
    let token = t.reader().await;
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
    // The reader app has no Organization.Read.All: 403, still with both ids.
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
