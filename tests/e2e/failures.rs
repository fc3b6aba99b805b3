//! Things that go wrong: each stops with the documented exit code and a
//! message that says what to fix, and — before the first write — leaves the
//! tenant and the platform untouched.

use crate::support::*;

/// Nothing exists in the tenant or on the platform beyond the seed.
#[track_caller]
fn assert_untouched(h: &Harness, before: (usize, usize, usize, usize)) {
    assert_eq!(
        h.created(),
        before,
        "the tenant and the platform are unchanged"
    );
    assert!(h.our_apps().is_empty());
    let graph = h.graph_path("");
    assert_eq!(
        h.requests("POST", &graph) + h.requests("PATCH", &graph) + h.requests("DELETE", &graph),
        0
    );
}

#[test]
fn a_malformed_platform_token_is_a_usage_error_before_anything() {
    let h = Harness::new();
    let before = h.created();
    let run = h.run(
        h.cmd()
            .env("CATALYTIC_TOKEN", "not-a-token")
            .args(["setup"]),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("CATALYTIC_TOKEN"), "{}", run.stderr);
    assert!(
        run.stderr.contains("not a platform access token"),
        "{}",
        run.stderr
    );
    assert_untouched(&h, before);
}

#[test]
fn a_platform_token_the_platform_refuses_fails_sign_in_before_anything() {
    let h = Harness::new();
    let before = h.created();
    let run = h.run(
        h.cmd()
            .env("CATALYTIC_TOKEN", forged_platform_token())
            .args(["setup"]),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(
        run.stderr.contains("revoked"),
        "the hint says what to check: {}",
        run.stderr
    );
    assert_untouched(&h, before);
}

#[test]
fn a_missing_platform_token_names_every_way_to_give_one() {
    let h = Harness::new();
    let before = h.created();
    let run = h.run(h.cmd().env_remove("CATALYTIC_TOKEN").args(["setup"]));
    run.assert_code(2);
    for name in [
        "CATALYTIC_TOKEN",
        "--platform-token-file",
        "~/.catalytic/tokens/default",
    ] {
        assert!(run.stderr.contains(name), "mentions {name}: {}", run.stderr);
    }
    assert_eq!(h.created(), before);
}

#[test]
fn the_token_store_default_file_is_used() {
    let h = Harness::new();
    let dir = h.home.path().join(".catalytic/tokens");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("default"),
        format!("{}\n", h.creds.platform_admin_token),
    )
    .unwrap();
    let run = h.run(
        h.cmd()
            .env_remove("CATALYTIC_TOKEN")
            .args(["setup", "--output", "json"]),
    );
    run.assert_code(0);
    assert_eq!(h.list("connections").len(), 1);
}

#[test]
fn a_platform_without_the_integration_fails_before_anything() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.platform.azure_ad = None;
    let h = Harness::with(config);
    let before = h.created();
    let run = h.setup(&[]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("no integration named \"Azure Active Directory\""),
        "{}",
        run.stderr
    );
    assert_untouched(&h, before);
}

#[test]
fn dynamics_does_not_offer_directory_read_write_all() {
    let h = Harness::new();
    let before = h.created();
    let run = h.setup(&[
        "--api",
        "Dynamics CRM",
        "--resource",
        "https://contoso.crm.dynamics.com",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("user_impersonation"),
        "names what Dynamics offers: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Microsoft Graph"),
        "says where the permission lives: {}",
        run.stderr
    );
    assert_untouched(&h, before);
}

#[test]
fn an_identity_without_application_write_stops_before_any_write_with_exit_4() {
    let h = Harness::new();
    let before = h.created();
    let run = h.run(
        h.cmd()
            .env("AZURE_CLIENT_ID", &h.creds.reader_client_id)
            .env("AZURE_CLIENT_SECRET", &h.creds.reader_client_secret)
            .arg("setup"),
    );
    run.assert_code(4);
    assert!(
        run.stderr.contains("Application.ReadWrite.All"),
        "{}",
        run.stderr
    );
    assert_untouched(&h, before);
}

#[test]
fn a_wrong_client_secret_is_a_sign_in_failure_with_entras_code() {
    let h = Harness::new();
    let run = h.run(
        h.cmd()
            .env("AZURE_CLIENT_SECRET", "definitely-not-the-secret")
            .arg("setup"),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("AADSTS7000215"), "{}", run.stderr);
    assert!(run.stderr.contains("correlation id"), "{}", run.stderr);
}

#[test]
fn an_unknown_tenant_is_a_sign_in_failure() {
    let h = Harness::new();
    let run = h.run(
        h.cmd()
            .env("AZURE_TENANT_ID", "nosuchtenant.onmicrosoft.com")
            .arg("setup"),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("AADSTS90002"), "{}", run.stderr);
}

#[test]
fn nothing_to_sign_in_with_in_a_pipeline_names_the_variables() {
    let h = Harness::new();
    let run = h.run(
        h.cmd()
            .env_remove("AZURE_CLIENT_SECRET")
            .env("CI", "true")
            .arg("setup"),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("AZURE_CLIENT_SECRET"), "{}", run.stderr);
    assert!(run.stderr.contains("AZURE_TENANT_ID"), "{}", run.stderr);
}

#[test]
fn bad_values_are_usage_errors_that_send_nothing() {
    let h = Harness::new();
    for (args, needle) in [
        (
            vec!["--redirect-uri", "http://security.pushbot.com/oauth"],
            "https",
        ),
        (vec!["--secret-expiry", "soon"], "not understood"),
        (vec!["--app-id", "not-a-guid"], "not a GUID"),
        (
            vec!["--graph-url", "http://graph.example.com"],
            "only https",
        ),
        (
            vec!["--field", "password=x"],
            "clientId, clientSecret, resource, tenant",
        ),
    ] {
        let run = h.run(h.cmd().arg("setup").args(&args));
        run.assert_code(2);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    let run = h.run(h.cmd().env("AZURE_TENANT_ID", "not a tenant").arg("setup"));
    run.assert_code(2);
    assert!(run.stderr.contains("AZURE_TENANT_ID"), "{}", run.stderr);
    assert!(
        h.request_log().is_empty(),
        "no request was sent: {:?}",
        h.request_log()
    );
}

#[test]
fn a_member_token_leaves_a_partial_setup_with_the_secret_removed() {
    let h = Harness::new();
    let run = h.run(
        h.cmd()
            .env("CATALYTIC_TOKEN", &h.creds.platform_member_token)
            .args(["setup", "--output", "json"]),
    );
    run.assert_code(5);
    let out = run.json();
    assert_eq!(out["status"], "partial");
    assert_eq!(out["secret"]["action"], "removed");
    assert!(run.stderr.contains("403"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Admin"),
        "the hint says an Admin token is needed: {}",
        run.stderr
    );
    // The app exists (Azure done); no secret dangles; no connection.
    let apps = h.our_apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["passwordCredentials"].as_array().unwrap().len(), 0);
    assert!(h.list("connections").is_empty());
    assert!(
        out["nextSteps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["message"].as_str().unwrap().contains("again"))
    );

    // Re-run with an Admin token: completes, reusing the app.
    let again = h.setup(&[]);
    again.assert_code(0);
    assert_eq!(again.json()["app"]["action"], "reused");
    assert_eq!(h.our_apps().len(), 1);
}

#[test]
fn keep_secret_on_failure_writes_a_private_file() {
    let h = Harness::new();
    let run = h.run(
        h.cmd()
            .env("CATALYTIC_TOKEN", &h.creds.platform_member_token)
            .args(["setup", "--output", "json", "--keep-secret-on-failure"]),
    );
    run.assert_code(5);
    let out = run.json();
    let path = out["secret"]["file"]
        .as_str()
        .expect("the file is named")
        .to_owned();
    let content = std::fs::read_to_string(&path).unwrap();
    assert!(
        h.emu.issued_secrets().contains(&content.trim().to_owned()),
        "the file holds the issued secret"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(
        h.our_apps()[0]["passwordCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "kept"
    );
    h.assert_no_secret("stdout", &run.stdout);
    h.assert_no_secret("stderr", &run.stderr);
}

#[test]
fn a_lost_answer_to_create_the_app_is_not_retried_blindly() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.faults.push(aad_setup_emulator::Fault {
        method: "POST".into(),
        path_contains: "/v1.0/applications".into(),
        status: 503,
        times: 1,
        after_processing: true,
        ..Default::default()
    });
    let h = Harness::with(config);
    let run = h.setup(&[]);
    run.assert_code(0);
    assert_eq!(
        h.our_apps().len(),
        1,
        "the lost create was found, not repeated"
    );
    assert!(run.stderr.contains("lost"), "{}", run.stderr);
}

#[test]
fn a_tenant_policy_on_secret_lifetime_names_the_flag_and_a_shorter_expiry_then_works() {
    let config = aad_setup_emulator::EmulatorConfig {
        max_secret_lifetime_days: Some(365),
        ..aad_setup_emulator::EmulatorConfig::default()
    };
    let h = Harness::with(config);
    // An identity without Policy.Read.All (the seeded admin holds it and
    // would read the policy first, policy.rs): Graph's refusal is explained.
    let writer = h.creds.identity("writer").expect("seeded").clone();
    let setup = |args: &[&str]| {
        h.run(
            h.cmd()
                .env("AZURE_CLIENT_ID", &writer.client_id)
                .env("AZURE_CLIENT_SECRET", &writer.client_secret)
                .args(["setup", "--output", "json"])
                .args(args),
        )
    };
    let run = setup(&[]);
    run.assert_code(1);
    assert!(run.stderr.contains("policy"), "{}", run.stderr);
    assert!(run.stderr.contains("--secret-expiry"), "{}", run.stderr);
    assert!(h.list("connections").is_empty());
    assert_eq!(
        h.our_apps()[0]["passwordCredentials"],
        serde_json::json!([])
    );

    let again = setup(&["--secret-expiry", "6mo"]);
    again.assert_code(0);
    assert_eq!(
        again.json()["app"]["action"],
        "reused",
        "the app from the first run is kept"
    );
    assert_eq!(h.our_apps().len(), 1);
}

#[test]
fn pascal_cased_problem_details_are_read_too() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.platform.pascal_case_errors = true;
    let h = Harness::with(config);
    let run = h.run(
        h.cmd()
            .env("CATALYTIC_TOKEN", &h.creds.platform_member_token)
            .arg("setup"),
    );
    run.assert_code(5);
    // The platform's `Detail` is shown, not just the status.
    assert!(
        run.stderr
            .contains("the platform answered 403: You do not have permission"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_value_typed_wrong_is_reported_before_a_missing_sign_in() {
    // Nothing to sign in with, and one bad value: the bad value is what the
    // admin hears about (exit 2), before anything is asked of Microsoft.
    let h = Harness::new();
    let bare = || {
        let mut cmd = h.bare_cmd();
        cmd.env("AAD_SETUP_LOGIN_URL", h.emu.login_url())
            .env("AAD_SETUP_GRAPH_URL", h.emu.graph_url())
            .env("AAD_SETUP_PLATFORM_URL", h.emu.platform_url());
        cmd
    };
    let expiry = h.run(bare().args(["rotate", "--secret-expiry", "soon"]));
    expiry.assert_code(2);
    assert!(
        expiry.stderr.contains("--secret-expiry"),
        "{}",
        expiry.stderr
    );

    let token = h.run(bare().env("CATALYTIC_TOKEN", "abc").arg("setup"));
    token.assert_code(2);
    assert!(token.stderr.contains("CATALYTIC_TOKEN"), "{}", token.stderr);
    assert!(!token.stderr.contains("sign in"), "{}", token.stderr);
    assert!(
        h.request_log().is_empty(),
        "nothing was asked of any service"
    );
}

#[test]
fn a_bad_resource_or_redirect_uri_is_refused_before_sign_in() {
    let h = Harness::new();
    for args in [
        &["--resource", "not a uri"][..],
        &["--resource", "graph.microsoft.com"],
        &["--redirect-uri", "https://*.pushbot.com/oauth"],
        &["--redirect-uri", "https://security.pushbot.com/oauth#top"],
        &["--redirect-uri", "https://security.pushbot.com/o(auth)"],
        &["--redirect-uri", "https://security.pushbot.com/a;b"],
        &["--redirect-uri", "http://security.pushbot.com/oauth"],
    ] {
        let run = h.setup(args);
        run.assert_code(2);
        assert!(
            run.stderr.contains(args[1]),
            "names the value: {}",
            run.stderr
        );
    }
    assert!(
        h.request_log().is_empty(),
        "nothing was sent, not even a sign-in: {:?}",
        h.request_log()
    );
}
