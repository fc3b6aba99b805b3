//! Platform

use super::*;

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

#[tokio::test]
async fn a_duplicate_connection_name_is_refused_unless_allowed() {
    let t = start().await;
    let tok = t.creds.platform_admin_token.clone();
    let body = json!({
        "integrationId": "azure-active-directory/oauth2/v1",
        "name": "Azure AD (aad-setup)",
        "connectionParams": [
            param("Client ID", "client-id", "00000000-0000-0000-0000-000000000001"),
            param("Client Secret", "client-secret", "s3cret"),
            param("Resource", "resource", "https://graph.microsoft.com"),
            param("Tenant", "tenant", "contoso.onmicrosoft.com"),
        ]
    });
    let path = format!("{AAD}/connections");
    let r = t
        .platform(Method::POST, &path, &tok, Some(body.clone()))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = t
        .platform(Method::POST, &path, &tok, Some(body.clone()))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        s(&r.body["detail"]).contains("already exists"),
        "{}",
        r.text
    );
    assert!(r.body["errors"]["$.name"].is_array(), "{}", r.text);
    assert_eq!(t.emu.snapshot().connections.len(), 1);
    t.emu
        .update(|c| c.platform.allow_duplicate_connection_names = true);
    let r = t.platform(Method::POST, &path, &tok, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(t.emu.snapshot().connections.len(), 2);
}
