//! Graph: app management policies (the tenant default, the tenant's others and whom
//! each applies to) and the restrictions `addPassword` enforces; the movable clock.

use super::*;

async fn policy_reader(t: &T) -> String {
    t.emu.mint_graph_token(TokenKind::App(vec![
        "Application.ReadWrite.All".into(),
        "Policy.Read.All".into(),
    ]))
}

#[tokio::test]
async fn the_default_policy_needs_policy_read_all_and_has_microsofts_shape() {
    let t = start_with(EmulatorConfig {
        max_secret_lifetime_days: Some(90),
        ..EmulatorConfig::default()
    })
    .await;
    let path = "/policies/defaultAppManagementPolicy";
    let writer = t
        .emu
        .mint_graph_token(TokenKind::App(vec!["Application.ReadWrite.All".into()]));
    let r = t.graph(Method::GET, path, &writer, None).await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    // The seeded admin holds Policy.Read.All.
    let r = t.graph(Method::GET, path, &t.admin().await, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = t
        .graph(Method::GET, path, &policy_reader(&t).await, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["isEnabled"], true);
    let restriction = &r.body["applicationRestrictions"]["passwordCredentials"][0];
    assert_eq!(restriction["restrictionType"], "passwordLifetime");
    assert_eq!(restriction["maxLifetime"], "P90D");
    assert_eq!(restriction["state"], "enabled");
    assert!(restriction["restrictForAppsCreatedAfterDateTime"].is_string());
    assert!(r.body["servicePrincipalRestrictions"]["passwordCredentials"].is_array());
}

#[tokio::test]
async fn add_password_respects_the_tenant_default_unless_the_app_has_its_own_policy() {
    let t = start_with(EmulatorConfig {
        password_credentials_allowed: false,
        ..EmulatorConfig::default()
    })
    .await;
    let token = policy_reader(&t).await;
    let app = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "exempt-me"})),
        )
        .await;
    let id = s(&app.body["id"]);
    let add_path = format!("/applications/{id}/addPassword");
    let add = || {
        t.graph(
            Method::POST,
            &add_path,
            &token,
            Some(json!({"passwordCredential": {"displayName": "k"}})),
        )
    };
    // The app replicates first (no delay configured): then the policy answers.
    let r = add().await;
    assert_graph_error(&r, 400, "CredentialTypeNotAllowedAsPerAppPolicy");
    // Microsoft's map has no GET on the app's appManagementPolicies (only assigning
    // and unassigning): the policies are read from the policies' side.
    let r = t
        .graph(
            Method::GET,
            &format!("/applications/{id}/appManagementPolicies"),
            &token,
            None,
        )
        .await;
    assert_eq!(r.status, 405, "{}", r.text);
    let r = t
        .graph(Method::GET, "/policies/appManagementPolicies", &token, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"], json!([]));

    t.emu.update(|c| {
        c.app_management_policies = vec![
            AppPolicyConfig {
                display_name: "Someone else's".into(),
                applies_to: vec!["another-app".into()],
                password_credentials_allowed: false,
                ..AppPolicyConfig::default()
            },
            AppPolicyConfig {
                display_name: "Exempt".into(),
                applies_to: vec!["exempt-me".into()],
                max_secret_lifetime_days: Some(30),
                ..AppPolicyConfig::default()
            },
        ];
    });
    let r = t
        .graph(Method::GET, "/policies/appManagementPolicies", &token, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let exempt = &r.body["value"][1];
    assert_eq!(exempt["displayName"], "Exempt");
    assert_eq!(exempt["isEnabled"], true);
    assert_eq!(
        exempt["restrictions"]["passwordCredentials"][0]["maxLifetime"],
        "P30D"
    );
    let policy = s(&exempt["id"]);
    let one = t
        .graph(
            Method::GET,
            &format!("/policies/appManagementPolicies/{policy}"),
            &token,
            None,
        )
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["displayName"], "Exempt");
    // Whom it applies to: the app, as a directoryObject.
    let applies = format!("/policies/appManagementPolicies/{policy}/appliesTo?$select=id");
    let r = t.graph(Method::GET, &applies, &token, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["value"],
        json!([{"@odata.type": "#microsoft.graph.application", "id": id}])
    );
    let r = t
        .graph(
            Method::GET,
            &format!("/policies/appManagementPolicies/{id}/appliesTo"),
            &token,
            None,
        )
        .await;
    assert_eq!(r.status, 404, "an app's id is no policy's: {}", r.text);
    // Without a policy permission, the policies are not read; appliesTo also
    // answers Application.Read.All, as the map says.
    let writer = t
        .emu
        .mint_graph_token(TokenKind::App(vec!["Application.ReadWrite.All".into()]));
    let r = t
        .graph(
            Method::GET,
            "/policies/appManagementPolicies",
            &writer,
            None,
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    let r = t
        .graph(Method::GET, &applies, &t.reader().await, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Its own policy's lifetime: the default two years is too long, 20 days is not.
    let r = add().await;
    assert_graph_error(&r, 400, "CredentialInvalidLifetimeAsPerAppPolicy");
    let end = (crate::util::now() + jiff::SignedDuration::from_hours(24 * 20)).to_string();
    let r = t
        .graph(
            Method::POST,
            &format!("/applications/{id}/addPassword"),
            &token,
            Some(json!({"passwordCredential": {"displayName": "k", "endDateTime": end}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn the_clock_moves_forward_and_a_secret_expires_with_it() {
    let t = start().await;
    let token = t.admin().await;
    let app = t
        .graph(
            Method::POST,
            "/applications",
            &token,
            Some(json!({"displayName": "short-lived"})),
        )
        .await;
    let id = s(&app.body["id"]);
    let app_id = s(&app.body["appId"]);
    t.graph(
        Method::POST,
        "/servicePrincipals",
        &token,
        Some(json!({"appId": app_id})),
    )
    .await;
    let end = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 40)).to_string();
    let added = t
        .graph(
            Method::POST,
            &format!("/applications/{id}/addPassword"),
            &token,
            Some(json!({"passwordCredential": {"displayName": "k", "endDateTime": end}})),
        )
        .await;
    let secret = s(&added.body["secretText"]);
    assert_eq!(t.token_for(&app_id, &secret).await.status, 200);

    let r = read(
        t.http
            .post(format!("{}/_emulator/clock", t.emu.base_url()))
            .json(&json!({"advance_secs": 41 * 86_400}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["offset_secs"], 41 * 86_400);
    let r = t.token_for(&app_id, &secret).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(
        s(&r.body["error_description"]).contains("AADSTS7000222"),
        "{}",
        r.text
    );
    // Graph's Date says the emulated time.
    let r = t
        .graph(Method::GET, "/applications", &t.admin().await, None)
        .await;
    let date = r.headers.get("date").unwrap().to_str().unwrap().to_owned();
    let at = jiff::fmt::rfc2822::parse(&date).unwrap().timestamp();
    assert!(
        at > jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 40),
        "{date}"
    );
    // A body that is not a number of seconds is refused.
    let r = read(
        t.http
            .post(format!("{}/_emulator/clock", t.emu.base_url()))
            .json(&json!({"advance": "41d"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 400);
}
