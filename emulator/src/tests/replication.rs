//! Replication

use super::*;

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

/// Stale reads: a replica behind serves an app as it was before the writes of
/// the last `stale_read_millis` (tags included), by id and listed; then it
/// catches up.
#[tokio::test]
async fn reads_of_an_app_come_from_a_replica_behind_when_stale_reads_are_on() {
    let t = start_with(EmulatorConfig {
        stale_read_millis: 400,
        ..EmulatorConfig::default()
    })
    .await;
    let token = t.admin().await;
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "stale", "tags": ["a"]})),
        )
        .await;
    let id = s(&r.body["id"]);
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            &token,
            Some(json!({"tags": ["a", "b"]})),
        )
        .await;
    assert_eq!(r.status, 204);
    let path = format!("/applications/{id}");
    let get = |_: ()| t.graph(Method::GET, &path, &token, None);
    assert_eq!(
        get(()).await.body["tags"],
        json!(["a"]),
        "the replica is behind"
    );
    let listed = t
        .graph(
            Method::GET,
            "/applications?$filter=tags/any(t:t eq 'b')",
            &token,
            None,
        )
        .await;
    assert_eq!(listed.body["value"], json!([]), "{}", listed.text);
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    assert_eq!(get(()).await.body["tags"], json!(["a", "b"]), "caught up");
}

/// Graph's tag rules: 1–256 characters, no whitespace, no duplicates; else 400.
#[tokio::test]
async fn tags_that_break_graphs_rules_are_refused() {
    let t = start().await;
    let token = t.admin().await;
    let long = "x".repeat(257);
    for tags in [
        json!([""]),
        json!([long]),
        json!(["has space"]),
        json!(["tab\there"]),
        json!(["same", "same"]),
    ] {
        let r = t
            .graph(
                Method::POST,
                "/applications",
                &token,
                Some(json!({"displayName": "tags", "tags": tags})),
            )
            .await;
        assert_graph_error(&r, 400, "Request_BadRequest");
        assert!(
            r.text
                .contains("Invalid value specified for property 'tags'"),
            "{}",
            r.text
        );
    }
    let ok = "y".repeat(256);
    let r = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "tags", "tags": [ok, "aad-setup"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = s(&r.body["id"]);
    let r = t
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            &token,
            Some(json!({"tags": ["a", "a"]})),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
}
