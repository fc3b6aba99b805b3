//! Graph: applications

use super::*;

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
