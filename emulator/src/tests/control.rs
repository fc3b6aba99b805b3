//! Control plane and config

use super::*;

#[tokio::test]
async fn control_plane_mints_tokens_and_patches_config() {
    let t = start().await;
    let base = t.emu.base_url();
    let r = read(
        t.http
            .post(format!("{base}/_emulator/tokens"))
            .json(&json!({"roles": ["Application.Read.All"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let tok = s(&r.body["access_token"]);
    assert_eq!(
        t.graph(Method::GET, "/applications", &tok, None)
            .await
            .status,
        200
    );
    let r = read(
        t.http
            .get(format!("{base}/_emulator/credentials"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let creds: Credentials = serde_json::from_value(r.body).unwrap();
    assert_eq!(creds, t.creds);

    let patch = |b: Value| {
        t.http
            .patch(format!("{base}/_emulator/config"))
            .json(&b)
            .send()
    };
    let r = read(patch(json!({"throttle": {"every": 1}})).await.unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        t.graph(Method::GET, "/applications", &tok, None)
            .await
            .status,
        429
    );
    assert_eq!(
        read(patch(json!({"throttle": {"evry": 1}})).await.unwrap())
            .await
            .status,
        400
    );
    assert_eq!(
        read(patch(json!({"tenant_domain": "x.example"})).await.unwrap())
            .await
            .status,
        400
    );
}

#[test]
fn config_json_is_strict_and_demo_is_realistic() {
    let c: EmulatorConfig = serde_json::from_str(r#"{"replication": {"requests": 3}}"#).unwrap();
    assert_eq!(c.replication.requests, 3);
    assert_eq!(c.platform.filler_integrations, 30);
    assert!(serde_json::from_str::<EmulatorConfig>(r#"{"replicaton": {}}"#).is_err());
    let none: EmulatorConfig = serde_json::from_str(r#"{"platform": {"azure_ad": null}}"#).unwrap();
    assert!(none.platform.azure_ad.is_none());
    let d = EmulatorConfig::demo();
    assert!(d.replication.requests > 0 && d.replication.millis > 0);
    assert!(d.throttle.every > 0 && d.throttle.omit_retry_after_every_other);
    assert_eq!(EmulatorConfig::default().throttle.every, 0);
    let bad = EmulatorConfig {
        tenant_id: Some("not-a-guid".into()),
        ..EmulatorConfig::default()
    };
    assert!(bad.validate().is_err());
}

#[test]
fn credentials_debug_redacts_secrets() {
    let c = Credentials {
        tenant_id: "t".into(),
        tenant_domain: "d".into(),
        admin_client_id: "a".into(),
        admin_client_secret: "SECRET1".into(),
        reader_client_id: "r".into(),
        reader_client_secret: "SECRET2".into(),
        platform_admin_token: "SECRET3".into(),
        platform_member_token: "SECRET4".into(),
        platform_team: "acme.pushbot.com".into(),
        github_oidc_request_url: "u".into(),
        github_oidc_request_token: "SECRET5".into(),
        identities: vec![AppIdentity {
            name: "writer".into(),
            display_name: "w".into(),
            client_id: "w".into(),
            client_secret: "SECRET6".into(),
            roles: vec!["Application.ReadWrite.All".into()],
        }],
        users: Vec::new(),
        device_approval_url: "d".into(),
        platform_approval_url: "p".into(),
    };
    assert!(!format!("{c:?}").contains("SECRET"));
}
