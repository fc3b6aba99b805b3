//! Issue 19's fixes to the tool seen from outside: the authority host names
//! the cloud or the run stops; a token made elsewhere must be for this
//! cloud's Graph; Graph's quota and password-count errors get a hint.

use aad_setup_emulator::{EmulatedCloud, EmulatorConfig, TokenKind};

use crate::support::*;

#[test]
fn an_unknown_authority_host_is_exit_2_naming_cloud_and_chinas_partner_host_is_china() {
    let h = Harness::new();
    let before = h.created();
    let run = h.run(
        h.cmd()
            .env("AZURE_AUTHORITY_HOST", "https://login.example.com")
            .args(["setup", "--dry-run"]),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("--cloud"), "{}", run.stderr);
    assert!(run.stderr.contains("login.example.com"), "{}", run.stderr);
    // --cloud says which cloud the host signs in to.
    let run = h.run(
        h.cmd()
            .env("AZURE_AUTHORITY_HOST", "https://login.example.com")
            .env("AAD_SETUP_CLOUD", "public")
            .args(["setup", "--dry-run"]),
    );
    run.assert_code(0);
    assert_eq!(h.created(), before);

    // China's host as Microsoft's national-cloud page gives it: the scope
    // and Graph host are China's.
    let h = Harness::with(EmulatorConfig {
        cloud: EmulatedCloud::China,
        ..Default::default()
    });
    let run = h.run(
        h.cmd()
            .env(
                "AZURE_AUTHORITY_HOST",
                "https://login.partner.microsoftonline.cn",
            )
            .args(["setup", "--output", "json"]),
    );
    run.assert_code(0);
}

#[test]
fn a_token_for_another_clouds_graph_is_refused_naming_the_cloud() {
    let h = Harness::new();
    let token = h
        .emu
        .mint_graph_token(TokenKind::App(vec!["Application.ReadWrite.All".into()]));
    let file = h.write_file("graph-token", &token);
    let before = h.requests("GET", &h.graph_path(""));
    let run = h.run(
        h.cmd()
            .env_remove("AZURE_CLIENT_SECRET")
            .args(["setup", "--cloud", "usgov", "--graph-token-file"])
            .arg(&file),
    );
    run.assert_code(3);
    assert!(
        run.stderr.contains("https://graph.microsoft.com"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--cloud public"), "{}", run.stderr);
    assert_eq!(
        h.requests("GET", &h.graph_path("")),
        before,
        "Graph was called"
    );
    // The same token in its own cloud is fine.
    let run = h.run(
        h.cmd()
            .env_remove("AZURE_CLIENT_SECRET")
            .args(["setup", "--output", "json", "--graph-token-file"])
            .arg(&file),
    );
    run.assert_code(0);
}

/// Entra's quota for users who are not administrators (250 objects, deleted
/// ones included), here cut to one: the developer's second app is refused
/// with Directory_QuotaExceeded, and the run says what to do.
#[test]
fn the_object_quota_and_the_password_cap_get_hints() {
    let mut config = EmulatorConfig::default();
    config.sign_in.device_code_interval_secs = 0;
    config.sign_in.device_auto_approve_after_polls = Some(0);
    config.sign_in.user = "developer".into();
    config.user_object_quota = 1;
    let h = Harness::with(config);
    let run = h.run(
        h.cmd()
            .env_remove("AZURE_CLIENT_ID")
            .env_remove("AZURE_CLIENT_SECRET")
            .env("AAD_SETUP_AUTH", "device-code")
            .args(["setup"]),
    );
    run.assert_code(1);
    assert!(
        run.stderr.contains("Directory_QuotaExceeded"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("250 directory objects"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Deleted applications"),
        "{}",
        run.stderr
    );

    let h = Harness::with(EmulatorConfig {
        max_app_passwords: Some(1),
        ..Default::default()
    });
    h.setup(&[]).assert_code(0);
    let run = h.run(h.cmd().args(["rotate"]));
    run.assert_code(1);
    assert!(run.stderr.contains("TooManyAppPasswords"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Certificates & secrets"),
        "{}",
        run.stderr
    );
}

/// A 409 on creating the service principal means it exists; its listing may
/// lag as long as replication does. The look lasts as long as that (28
/// looks, about two minutes with the real waits; it was 8, about 20 s): here
/// the principal a lost answer made stays unlisted for 12 lookups.
#[test]
fn after_a_409_the_tool_looks_as_long_as_replication_can_take() {
    let h = Harness::new();
    h.setup(&[]).assert_code(0);
    let app_id = h.our_apps()[0]["appId"].clone();
    let sp_of_app = || {
        h.list("servicePrincipals")
            .into_iter()
            .filter(|s| s["appId"] == app_id)
            .collect::<Vec<_>>()
    };
    let id = sp_of_app()[0]["id"].as_str().unwrap().to_owned();
    h.graph_delete(&format!("servicePrincipals/{id}"));
    h.emu.update(|c| {
        c.replication.requests = 12;
        c.faults.push(aad_setup_emulator::Fault {
            method: "POST".into(),
            path_contains: "/v1.0/servicePrincipals".into(),
            status: 503,
            times: 1,
            after_processing: true,
            ..Default::default()
        });
    });
    let run = h.setup(&[]);
    run.assert_code(0);
    // One POST lost (it made the principal), one answered 409, then found.
    let sps = h.graph_path("servicePrincipals");
    let posts: Vec<u64> = h
        .request_log()
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == sps.as_str())
        .map(|r| r["status"].as_u64().unwrap_or_default())
        .collect();
    assert_eq!(posts[posts.len() - 2..], [503, 409], "{posts:?}");
    assert_eq!(sp_of_app().len(), 1);
}
