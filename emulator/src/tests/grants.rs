//! Grants and deletion

use super::*;

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
