//! The guide in parts: `register` (the Azure half, credentials handed on),
//! `connect` (the platform half) and `rotate` (a new secret for a setup that
//! exists).

use std::os::unix::fs::PermissionsExt as _;

use serde_json::{Value, json};

use crate::support::*;

fn register(h: &Harness, args: &[&str]) -> Run {
    h.run(h.cmd().args(["register", "--output", "json"]).args(args))
}

fn rotate(h: &Harness, args: &[&str]) -> Run {
    h.run(h.cmd().args(["rotate", "--output", "json"]).args(args))
}

fn platform_requests(h: &Harness) -> usize {
    h.request_log()
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains("/platform/")))
        .count()
}

fn graph_writes(h: &Harness) -> usize {
    ["POST", "PATCH", "DELETE"]
        .iter()
        .map(|m| h.requests(m, &h.graph_path("")))
        .sum()
}

fn key_ids(app: &Value) -> Vec<String> {
    app["passwordCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["keyId"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn register_makes_the_azure_half_and_connect_finishes_it_from_what_was_handed_on() {
    let h = Harness::new();
    let file = h.home.path().join("app.secret");
    let run = register(&h, &["--secret-file", file.to_str().unwrap()]);
    run.assert_code(0);
    let out = run.json();

    // The Azure half, exactly as setup makes it.
    let apps = h.our_apps();
    assert_eq!(apps.len(), 1, "{apps:?}");
    let app = &apps[0];
    assert_eq!(app["signInAudience"], "AzureADMyOrg");
    assert_eq!(
        app["web"]["redirectUris"],
        json!(["https://security.pushbot.com/oauth"])
    );
    assert_eq!(
        app["requiredResourceAccess"][0]["resourceAccess"][0]["id"],
        DIRECTORY_RW_SCOPE
    );
    assert_eq!(key_ids(app), vec![out["secret"]["keyId"].as_str().unwrap()]);
    assert_eq!(
        app["passwordCredentials"][0]["displayName"],
        "pagerdutysecretkey"
    );
    assert_eq!(out["app"]["clientId"], app["appId"]);
    assert_eq!(out["verification"]["secretSignsIn"], true);
    assert_eq!(out["resource"], "https://graph.microsoft.com");
    // Custody: the file holds the secret, and the app says so; the run's
    // intent ended with that write (nothing pending is left for the next
    // run to sweep).
    let key = out["secret"]["keyId"].as_str().unwrap();
    assert_eq!(
        app["tags"],
        json!(["aad-setup", format!("aad-setup:handed-secret:{key}")]),
        "{app}"
    );

    // The platform is left alone.
    assert!(h.list("connections").is_empty());
    assert_eq!(
        platform_requests(&h),
        0,
        "register never calls the platform"
    );

    // The secret went to the file, private, and nowhere else.
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let value = std::fs::read_to_string(&file).unwrap();
    assert!(
        h.emu.issued_secrets().contains(&value.trim().to_owned()),
        "the file holds the secret Graph issued"
    );
    h.assert_no_secret("stdout", &run.stdout);
    h.assert_no_secret("stderr", &run.stderr);
    assert!(out["secret"].get("value").is_none(), "{out}");
    assert_eq!(out["secret"]["file"], file.to_str().unwrap());

    // The next step is a command that works as printed.
    let words = printed_connect(&out);
    let connected = h.run(h.cmd().args(&words).args(["--output", "json"]));
    connected.assert_code(0);
    let connections = h.list("connections");
    assert_eq!(connections.len(), 1);
    let c = &connections[0];
    assert_eq!(param(c, "client-id")["value"], app["appId"]);
    assert_eq!(param(c, "tenant")["value"], h.creds.tenant_id.as_str());
    assert_eq!(param(c, "resource")["value"], "https://graph.microsoft.com");
    assert_eq!(
        param(c, "client-secret")["matchesCredential"]["keyId"],
        out["secret"]["keyId"],
        "the connection holds the very secret register handed on"
    );
}

#[test]
fn register_without_a_place_for_the_secret_stops_before_anything() {
    let h = Harness::new();
    let before = h.created();
    let run = register(&h, &[]);
    run.assert_code(2);
    for named in ["--secret-file", "--show-secret"] {
        assert!(run.stderr.contains(named), "names {named}: {}", run.stderr);
    }
    assert_eq!(h.created(), before);
    assert_eq!(graph_writes(&h), 0);
    assert!(h.request_log().is_empty(), "not even a sign-in");
}

#[test]
fn register_again_has_nothing_to_hand_on_unless_a_new_secret_is_asked_for() {
    let h = Harness::new();
    let file = h.home.path().join("first.secret");
    let first = register(&h, &["--secret-file", file.to_str().unwrap()]).json();

    // Again: the existing secret cannot be read back, so there is nothing to
    // hand on, and the run says so rather than succeed with nothing.
    let second = h.home.path().join("second.secret");
    let again = register(&h, &["--secret-file", second.to_str().unwrap()]);
    again.assert_code(1);
    assert!(
        again.stderr.contains("cannot be read back"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("--new-secret"), "{}", again.stderr);
    assert!(!second.exists());
    assert_eq!(key_ids(&h.our_apps()[0]).len(), 1, "no secret was added");

    // --new-secret: one more, the first kept (something may hold it).
    let newer = register(&h, &["--new-secret", "--show-secret"]);
    newer.assert_code(0);
    let out = newer.json();
    assert_eq!(out["app"]["action"], "reused");
    assert_eq!(out["secret"]["action"], "created");
    let keys = key_ids(&h.our_apps()[0]);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.contains(&first["secret"]["keyId"].as_str().unwrap().to_owned()));
    let shown = out["secret"]["value"]
        .as_str()
        .expect("--show-secret shows it");
    assert!(h.emu.issued_secrets().contains(&shown.to_owned()));
    assert!(h.list("connections").is_empty());
}

#[test]
fn a_secret_that_cannot_be_handed_on_is_not_left_behind() {
    // Its check fails: shown only after the check, so no one has it.
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.faults.push(aad_setup_emulator::Fault {
        method: "POST".into(),
        path_contains: "/oauth2/v2.0/token".into(),
        status: 400,
        times: 1,
        ..Default::default()
    });
    let h = Harness::with(config);
    let token = h.write_file(
        "graph-token",
        &h.emu
            .mint_graph_token(aad_setup_emulator::TokenKind::App(vec![
                "Application.ReadWrite.All".into(),
            ])),
    );
    let failed = register(
        &h,
        &[
            "--show-secret",
            "--graph-token-file",
            token.to_str().unwrap(),
        ],
    );
    failed.assert_code(1);
    assert!(failed.stderr.contains("was removed"), "{}", failed.stderr);
    assert!(key_ids(&h.our_apps()[0]).is_empty(), "no dangling secret");

    // Its reader goes away: the same.
    let mut child = h
        .cmd()
        .args(["register", "--show-secret", "--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("output was closed"), "{stderr}");
    assert!(key_ids(&h.our_apps()[0]).is_empty(), "no dangling secret");
    h.assert_no_secret("stderr", &stderr);
}

#[test]
fn register_dry_run_lists_the_changes_and_makes_none() {
    let h = Harness::new();
    let before = h.created();
    let run = h.run(h.cmd().args(["register", "--dry-run"]));
    run.assert_code(0);
    assert!(
        run.stdout.contains("Dry run: nothing was changed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("create the app registration"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("add a client secret"), "{}", run.stdout);
    assert_eq!(h.created(), before);
    assert_eq!(graph_writes(&h), 0);
}

#[test]
fn rotate_replaces_secret_and_connection_and_changes_only_the_apps_held_secret_tag() {
    let h = Harness::new();
    // Set up with values off the guide's defaults: rotate must keep them.
    let first = h
        .setup(&[
            "--redirect-uri",
            "https://workflows.example.com/oauth",
            "--resource",
            "https://graph.microsoft.com/",
        ])
        .json();
    let app_before = h.our_apps()[0].clone();

    // Looking first changes nothing and says what would happen.
    let writes = graph_writes(&h);
    let connections = h.list("connections");
    let look = h.run(h.cmd().args(["rotate", "--dry-run"]));
    look.assert_code(0);
    assert!(
        look.stdout.contains("add a client secret"),
        "{}",
        look.stdout
    );
    assert!(
        look.stdout.contains("replace the platform connection"),
        "{}",
        look.stdout
    );
    assert_eq!(graph_writes(&h), writes);
    assert_eq!(h.list("connections"), connections);

    let run = rotate(&h, &[]);
    run.assert_code(0);
    let out = run.json();
    assert_eq!(out["secret"]["action"], "created");
    assert_ne!(out["secret"]["keyId"], first["secret"]["keyId"]);
    assert_eq!(out["app"]["action"], "reused");

    let app = &h.our_apps()[0];
    assert_eq!(
        key_ids(app),
        vec![out["secret"]["keyId"].as_str().unwrap()],
        "the old secret is removed once the new one works"
    );
    assert_eq!(app["web"], app_before["web"], "the redirect URI is kept");
    assert_eq!(
        app["requiredResourceAccess"],
        app_before["requiredResourceAccess"]
    );
    // The only change to the app: its tag names the secret now held.
    let held = format!(
        "aad-setup:connection-secret:{}:{}",
        out["connection"]["id"].as_str().unwrap(),
        out["secret"]["keyId"].as_str().unwrap()
    );
    assert_eq!(app["tags"], json!(["aad-setup", held]));
    let connections = h.list("connections");
    assert_eq!(connections.len(), 1, "the old connection is deleted");
    let c = &connections[0];
    assert_eq!(c["id"], out["connection"]["id"]);
    assert_ne!(c["id"], first["connection"]["id"]);
    assert_eq!(
        param(c, "client-secret")["matchesCredential"]["keyId"],
        out["secret"]["keyId"]
    );
    assert_eq!(
        param(c, "resource")["value"],
        "https://graph.microsoft.com/",
        "the Resource the connection was given is given again"
    );
    h.assert_no_secret("stdout", &run.stdout);
    h.assert_no_secret("stderr", &run.stderr);

    let human = h.run(h.cmd().arg("rotate"));
    human.assert_code(0);
    assert!(
        human.stdout.starts_with("The client secret is rotated"),
        "{}",
        human.stdout
    );
}

#[test]
fn rotate_without_a_setup_creates_nothing() {
    let h = Harness::new();
    let before = h.created();
    let run = rotate(&h, &[]);
    run.assert_code(1);
    assert!(run.stderr.contains("no secret to rotate"), "{}", run.stderr);
    assert!(run.stderr.contains("aad-setup setup"), "{}", run.stderr);
    assert_eq!(h.created(), before);
    assert_eq!(graph_writes(&h), 0);
    assert!(h.list("connections").is_empty());
}

#[test]
fn switches_read_their_variables_as_pipelines_set_them() {
    let h = Harness::new();
    let before = h.created();
    let look = h.run(
        h.cmd()
            .env("AAD_SETUP_DRY_RUN", "1")
            .env("AAD_SETUP_SHOW_SECRET", "true")
            .arg("register"),
    );
    look.assert_code(0);
    assert!(look.stdout.contains("Dry run"), "{}", look.stdout);
    assert_eq!(h.created(), before, "AAD_SETUP_DRY_RUN=1 is --dry-run");

    let run = h.run(
        h.cmd()
            .env("AAD_SETUP_DRY_RUN", "false")
            .env("AAD_SETUP_SHOW_SECRET", "true")
            .args(["register", "--output", "json"]),
    );
    run.assert_code(0);
    let out = run.json();
    assert_eq!(out["status"], "done", "AAD_SETUP_DRY_RUN=false is off");
    let shown = out["secret"]["value"]
        .as_str()
        .expect("AAD_SETUP_SHOW_SECRET");
    assert!(h.emu.issued_secrets().contains(&shown.to_owned()));
}

#[test]
fn remove_without_a_platform_token_needs_azure_only_to_leave_the_platform_alone() {
    let h = Harness::new();
    register(&h, &["--show-secret"]).assert_code(0);
    let no_token = || {
        let mut cmd = h.cmd();
        cmd.env_remove("CATALYTIC_TOKEN").args(["remove", "--yes"]);
        cmd
    };
    // Without a token the platform cannot be checked: nothing is removed,
    // and nothing is asked of Microsoft either (not even a sign-in).
    let requests = h.request_log().len();
    let refused = h.run(&mut no_token());
    refused.assert_code(2);
    assert_eq!(h.request_log().len(), requests);
    assert!(
        refused.stderr.contains("nothing was removed"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--azure-only"),
        "{}",
        refused.stderr
    );
    assert_eq!(h.our_apps().len(), 1);

    // --azure-only does not look at the platform's settings at all.
    let removed = h.run(
        no_token()
            .env("CATALYTIC_TOKEN", "not-a-token")
            .arg("--azure-only"),
    );
    removed.assert_code(0);
    assert!(h.our_apps().is_empty(), "{}", removed.stderr);
    assert!(
        removed.stderr.contains("--azure-only"),
        "{}",
        removed.stderr
    );
    assert_eq!(platform_requests(&h), 0, "the platform is not called");
}

/// The `connect` command a `register` run printed as its next step: the
/// arguments after `aad-setup`.
#[track_caller]
fn printed_connect(out: &Value) -> Vec<String> {
    let next = out["nextSteps"][0]["message"].as_str().unwrap();
    let command = next
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no command in {next}"));
    let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
    assert_eq!(words[..2], ["aad-setup", "connect"], "{command}");
    words[1..].to_vec()
}

/// `register --new-secret` into a file: another secret of the same
/// description, handed to someone else. The run's JSON.
fn hand_on_another(h: &Harness) -> Value {
    let handed = h.home.path().join("handed.secret");
    register(
        h,
        &["--new-secret", "--secret-file", handed.to_str().unwrap()],
    )
    .json()
}

/// The same binary on another machine: no local record.
fn elsewhere(h: &Harness, name: &str) -> std::process::Command {
    let mut cmd = h.cmd();
    cmd.env("AAD_SETUP_STATE_DIR", h.home.path().join(name));
    cmd
}

#[test]
fn rotate_on_another_machine_removes_the_secret_the_apps_tag_names_and_no_other() {
    let h = Harness::new();
    let first = h.setup(&[]).json();
    // Another secret of the same description, handed to someone else.
    let other = hand_on_another(&h);

    // A re-run elsewhere reuses the secret the connection holds, not the
    // newest one.
    let again = h.run(elsewhere(&h, "b").args(["setup", "--output", "json"]));
    again.assert_code(0);
    assert_eq!(again.json()["secret"]["keyId"], first["secret"]["keyId"]);

    let run = h.run(elsewhere(&h, "b").args(["rotate", "--output", "json"]));
    run.assert_code(0);
    let out = run.json();
    let keys = key_ids(&h.our_apps()[0]);
    assert!(
        !keys.contains(&first["secret"]["keyId"].as_str().unwrap().to_owned()),
        "the held one is removed"
    );
    assert!(
        keys.contains(&other["secret"]["keyId"].as_str().unwrap().to_owned()),
        "the handed-on one is kept"
    );
    assert!(keys.contains(&out["secret"]["keyId"].as_str().unwrap().to_owned()));
    assert_eq!(keys.len(), 2, "{keys:?}");

    // And back on the first machine, whose record is now stale: the tag wins.
    let back = h.run(h.cmd().args(["rotate", "--output", "json"]));
    back.assert_code(0);
    let keys = key_ids(&h.our_apps()[0]);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(!keys.contains(&out["secret"]["keyId"].as_str().unwrap().to_owned()));
}

#[test]
fn rotate_that_cannot_tell_which_secret_was_held_removes_none_and_says_so() {
    let h = Harness::new();
    // The Azure half by `register`, the platform half by `connect`: no tag
    // and no record say which secret the connection holds.
    let file = h.home.path().join("app.secret");
    let first = register(&h, &["--secret-file", file.to_str().unwrap()]).json();
    h.run(
        h.cmd()
            .args(printed_connect(&first))
            .args(["--connection-name", "Azure Active Directory (aad-setup)"]),
    )
    .assert_code(0);
    let other = hand_on_another(&h);

    // Elsewhere nothing says the tool made that connection (issue 15): the
    // rotation stops before any write, naming it, until --replace.
    let refused = h.run(elsewhere(&h, "b").args(["rotate", "--output", "json"]));
    refused.assert_code(2);
    assert!(refused.stderr.contains("--replace"), "{}", refused.stderr);
    let run = h.run(elsewhere(&h, "b").args(["rotate", "--replace", "--output", "json"]));
    run.assert_code(6);
    let out = run.json();
    assert_eq!(out["status"], "needs-attention");
    let warning = out["warnings"][0]["message"].as_str().unwrap();
    assert!(warning.contains("none was removed"), "{warning}");
    let keys = key_ids(&h.our_apps()[0]);
    for kept in [&first["secret"]["keyId"], &other["secret"]["keyId"]] {
        let kept = kept.as_str().unwrap();
        assert!(keys.contains(&kept.to_owned()), "{keys:?}");
        assert!(warning.contains(kept), "{warning}");
    }
    let connections = h.list("connections");
    assert_eq!(connections.len(), 1, "the old connection is deleted");
    assert_eq!(
        param(&connections[0], "client-secret")["matchesCredential"]["keyId"],
        out["secret"]["keyId"]
    );
    assert!(
        run.stderr
            .contains("Resource the connection was given is not known"),
        "{}",
        run.stderr
    );
}

#[test]
fn two_connections_on_one_app_each_keep_their_own_secret_through_a_rotation() {
    let h = Harness::new();
    let x = h.setup(&[]).json();
    let y = h
        .run(elsewhere(&h, "b").args(["setup", "--output", "json", "--connection-name", "Y"]))
        .json();
    assert_ne!(x["secret"]["keyId"], y["secret"]["keyId"]);

    // From a third machine, rotate the first: its secret goes, Y's stays.
    let run = h.run(elsewhere(&h, "c").args(["rotate", "--output", "json"]));
    run.assert_code(0);
    let out = run.json();
    let keys = key_ids(&h.our_apps()[0]);
    let key = |v: &Value| v["secret"]["keyId"].as_str().unwrap().to_owned();
    assert!(!keys.contains(&key(&x)), "{keys:?}");
    assert!(keys.contains(&key(&y)), "Y's secret is kept: {keys:?}");
    assert!(keys.contains(&key(&out)));
    let y_connection = h
        .list("connections")
        .into_iter()
        .find(|c| c["name"] == "Y")
        .expect("Y is kept");
    assert_eq!(
        param(&y_connection, "client-secret")["matchesCredential"]["keyId"],
        y["secret"]["keyId"]
    );
}

#[test]
fn rotating_an_app_given_by_id_adds_only_the_held_secret_tag() {
    let h = Harness::new();
    let planted = h.graph_post(
        "applications",
        json!({ "displayName": "made-elsewhere", "signInAudience": "AzureADMyOrg", "tags": ["team:x"] }),
    );
    let app_id = planted["appId"].as_str().unwrap();
    let run = h.run(
        h.cmd()
            .args(["rotate", "--output", "json", "--app-id", app_id]),
    );
    run.assert_code(0);
    let out = run.json();
    let app = h
        .list("applications")
        .into_iter()
        .find(|a| a["appId"] == app_id)
        .unwrap();
    let held = format!(
        "aad-setup:connection-secret:{}:{}",
        out["connection"]["id"].as_str().unwrap(),
        out["secret"]["keyId"].as_str().unwrap()
    );
    assert_eq!(
        app["tags"],
        json!(["team:x", held]),
        "not marked as made by aad-setup"
    );
}

#[test]
fn a_shown_secret_that_reaches_the_github_step_outputs_is_handed_on() {
    let h = Harness::new();
    let outputs = h.home.path().join("github_output");
    let mut child = h
        .cmd()
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &outputs)
        .args(["register", "--show-secret", "--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody reads stdout; the step's outputs carry the secret instead.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&outputs).unwrap();
    let secret = written
        .lines()
        .find_map(|l| l.strip_prefix("client-secret="))
        .expect("the secret is a step output");
    assert!(h.emu.issued_secrets().contains(&secret.to_owned()));
    assert_eq!(key_ids(&h.our_apps()[0]).len(), 1, "and it is kept");
}

#[test]
fn register_dry_run_says_when_a_real_run_would_stop() {
    let h = Harness::new();
    register(&h, &["--show-secret"]).assert_code(0);
    let look = h.run(h.cmd().args(["register", "--dry-run"]));
    look.assert_code(0);
    assert!(
        look.stdout.contains("a real run would stop here"),
        "{}",
        look.stdout
    );
    assert!(look.stdout.contains("--new-secret"), "{}", look.stdout);
}
