//! The scripting contract: every command's `--output json` is one document
//! on stdout that validates against its committed schema (src/schema), in
//! success, dry run, partial, needs-attention and failure; the exit codes
//! say which.

use std::process::Command;

use serde_json::Value;

use crate::support::*;

const RUN: &str = include_str!("../../src/schema/run.json");
const STATUS: &str = include_str!("../../src/schema/status.json");
const REMOVE: &str = include_str!("../../src/schema/remove.json");
const ERROR: &str = include_str!("../../src/schema/error.json");
const PLATFORM_LOGIN: &str = include_str!("../../src/schema/platform-login.json");

/// Runs `cmd`, checks the exit code, and validates stdout (one JSON
/// document) against `schema`. Returns the document.
#[track_caller]
fn valid(h: &Harness, cmd: &mut Command, code: i32, schema: &str) -> Value {
    let run = h.run(cmd);
    run.assert_code(code);
    let doc = run.json();
    assert_matches(schema, &doc, &run.stderr);
    h.assert_no_secret("stdout", &run.stdout);
    doc
}

fn json_cmd(h: &Harness, args: &[&str]) -> Command {
    let mut cmd = h.cmd();
    cmd.args(args).args(["--output", "json"]);
    cmd
}

#[test]
fn setup_rotate_status_and_remove_match_their_schemas() {
    let h = Harness::new();
    let dry = valid(&h, &mut json_cmd(&h, &["setup", "--dry-run"]), 0, RUN);
    assert_eq!(dry["status"], "dry-run");
    assert!(
        dry["secret"].get("keyId").is_none(),
        "a secret to be made has no id: {}",
        dry["secret"]
    );
    let codes: Vec<&str> = dry["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"app.create"), "{codes:?}");
    assert!(codes.contains(&"connection.create"), "{codes:?}");

    let done = valid(&h, &mut json_cmd(&h, &["setup"]), 0, RUN);
    assert_eq!(done["status"], "done");
    assert_eq!(done["connection"]["status"], "created");
    assert!(
        done["nextSteps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "platform.finish-connection")
    );

    let kept = valid(&h, &mut json_cmd(&h, &["setup", "--dry-run"]), 0, RUN);
    assert!(kept.get("changes").is_none(), "{kept}");
    assert!(!kept["unchanged"].as_array().unwrap().is_empty());

    let healthy = valid(&h, &mut json_cmd(&h, &["status"]), 0, STATUS);
    assert_eq!(healthy["status"], "healthy");
    let check = |doc: &Value, code: &str| {
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap_or_else(|| panic!("no check {code}: {doc}"))
            .clone()
    };
    let secret = check(&healthy, "client-secret");
    assert_eq!(secret["expiresAt"], done["secret"]["expires"]);
    assert!(secret["daysLeft"].as_i64().unwrap() > 600, "{secret}");
    let consent = check(&healthy, "admin-consent");
    assert_eq!(consent["consent"], "not-granted");
    assert_eq!(consent["result"], "info");

    let rotated = valid(&h, &mut json_cmd(&h, &["rotate"]), 0, RUN);
    assert_eq!(rotated["connection"]["status"], "replaced");
    assert_eq!(
        rotated["connection"]["previousId"],
        done["connection"]["id"]
    );

    let preview = valid(&h, &mut json_cmd(&h, &["remove", "--dry-run"]), 0, REMOVE);
    assert_eq!(preview["status"], "dry-run");
    assert_eq!(preview["changes"].as_array().unwrap().len(), 2);
    assert_eq!(h.our_apps().len(), 1, "a dry run removes nothing");

    let removed = valid(&h, &mut json_cmd(&h, &["remove", "--yes"]), 0, REMOVE);
    assert_eq!(removed["status"], "done");
    assert_eq!(
        removed["removed"]["connectionId"],
        rotated["connection"]["id"]
    );
    assert!(h.our_apps().is_empty());

    let nothing = valid(&h, &mut json_cmd(&h, &["remove", "--yes"]), 0, REMOVE);
    assert_eq!(nothing["changes"], serde_json::json!([]));
    let nothing = valid(&h, &mut json_cmd(&h, &["remove", "--dry-run"]), 0, REMOVE);
    assert_eq!(nothing["changes"], serde_json::json!([]));

    // Nothing to check: a result that needs attention, exit 6.
    let missing = valid(&h, &mut json_cmd(&h, &["status"]), 6, STATUS);
    assert_eq!(missing["status"], "needs-attention");
    assert_eq!(check(&missing, "app-registration")["result"], "attention");
}

#[test]
fn status_with_the_secret_inside_warn_within_is_the_needs_attention_code() {
    let h = Harness::new();
    h.setup(&[]).assert_code(0);
    let doc = valid(
        &h,
        &mut json_cmd(&h, &["status", "--warn-within", "1000d"]),
        6,
        STATUS,
    );
    assert_eq!(doc["status"], "needs-attention");
    let secret = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "client-secret")
        .unwrap();
    assert_eq!(secret["result"], "attention");
    assert!(secret["daysLeft"].as_i64().unwrap() < 1000);

    let human = h.run(h.cmd().args(["status", "--warn-within", "1000d"]));
    human.assert_code(6);
    assert!(human.stdout.contains("✗ client secret"), "{}", human.stdout);
    assert!(
        !human.stderr.contains("error:"),
        "needs attention is not an error: {}",
        human.stderr
    );
}

#[test]
fn register_and_connect_match_the_run_schema_and_connect_converges() {
    let h = Harness::new();
    let file = h.home.path().join("app.secret");
    let file = file.to_str().unwrap();
    let dry = valid(&h, &mut json_cmd(&h, &["register", "--dry-run"]), 0, RUN);
    assert_eq!(dry["status"], "dry-run");
    let registered = valid(
        &h,
        &mut json_cmd(&h, &["register", "--secret-file", file]),
        0,
        RUN,
    );
    let client_id = registered["app"]["clientId"].as_str().unwrap();
    let connect = |extra: &[&str]| {
        let mut cmd = json_cmd(&h, &["connect", "--client-id", client_id]);
        cmd.args(["--app-secret-file", file]).args(extra);
        cmd
    };
    let preview = valid(&h, &mut connect(&["--dry-run"]), 0, RUN);
    assert_eq!(preview["changes"][0]["code"], "connection.create");
    let first = valid(&h, &mut connect(&[]), 0, RUN);
    assert_eq!(first["connection"]["status"], "created");
    let again = valid(&h, &mut connect(&[]), 0, RUN);
    assert_eq!(again["connection"]["status"], "reused");
    assert_eq!(again["connection"]["id"], first["connection"]["id"]);
    assert_eq!(h.list("connections").len(), 1, "one connection");
    let again_dry = valid(&h, &mut connect(&["--dry-run"]), 0, RUN);
    assert_eq!(again_dry["unchanged"][0]["code"], "connection.keep");

    // Different values: an error document, exit 2, nothing changed.
    let refused = valid(
        &h,
        &mut connect(&["--resource", "https://example.org"]),
        2,
        ERROR,
    );
    assert_eq!(refused["error"]["kind"], "usage");
    assert_eq!(refused["error"]["exitCode"], 2);
    assert!(
        refused["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("--replace")
    );
    assert_eq!(h.list("connections")[0]["id"], first["connection"]["id"]);
}

#[test]
fn a_partial_setup_and_a_rotation_needing_attention_match_the_run_schema() {
    let h = Harness::new();
    let mut partial = json_cmd(&h, &["setup"]);
    partial.env("CATALYTIC_TOKEN", &h.creds.platform_member_token);
    let doc = valid(&h, &mut partial, 5, RUN);
    assert_eq!(doc["status"], "partial");

    // `register` + `connect`, then a rotation elsewhere that cannot tell
    // which secret the connection held.
    let h = Harness::new();
    let file = h.home.path().join("app.secret");
    let file = file.to_str().unwrap();
    let registered = valid(
        &h,
        &mut json_cmd(&h, &["register", "--secret-file", file]),
        0,
        RUN,
    );
    let client_id = registered["app"]["clientId"].as_str().unwrap();
    let mut connect = json_cmd(&h, &["connect", "--client-id", client_id]);
    connect.args([
        "--app-secret-file",
        file,
        "--connection-name",
        "Azure Active Directory (aad-setup)",
    ]);
    valid(&h, &mut connect, 0, RUN);
    // (--replace: elsewhere nothing says the tool made that connection.)
    let mut rotate = json_cmd(&h, &["rotate", "--replace"]);
    rotate.env("AAD_SETUP_STATE_DIR", h.home.path().join("elsewhere"));
    let run = h.run(&mut rotate);
    run.assert_code(6);
    assert!(
        run.stderr
            .contains("Done, but 1 thing needs your attention"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("error:"), "{}", run.stderr);
    let mut rotate = json_cmd(&h, &["rotate", "--dry-run"]);
    rotate.env("AAD_SETUP_STATE_DIR", h.home.path().join("elsewhere"));
    valid(&h, &mut rotate, 0, RUN);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["status"], "needs-attention");
    assert_eq!(doc["warnings"][0]["code"], "secret.previous-unknown");
}

#[test]
fn failures_are_one_error_document_on_stdout() {
    let h = Harness::new();
    // Usage, found before anything is sent.
    let doc = valid(
        &h,
        &mut json_cmd(&h, &["status", "--warn-within", "soon"]),
        2,
        ERROR,
    );
    assert_eq!(doc["error"]["kind"], "usage");
    // Sign-in.
    let mut wrong = json_cmd(&h, &["setup"]);
    wrong.env("AZURE_CLIENT_SECRET", "not-the-secret");
    let doc = valid(&h, &mut wrong, 3, ERROR);
    assert_eq!(doc["error"]["kind"], "sign-in");
    assert!(!doc["error"]["message"].as_str().unwrap().is_empty());
    // A plain failure: rotate with nothing to rotate.
    let doc = valid(&h, &mut json_cmd(&h, &["rotate"]), 1, ERROR);
    assert_eq!(doc["error"]["kind"], "failed");
    assert!(doc["error"]["hint"].is_string());
}

#[test]
fn platform_login_matches_its_schema() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.platform.auto_approve_tokens_after_millis = Some(0);
    let h = Harness::with(config);
    let mut cmd = h.bare_cmd();
    cmd.env("AAD_SETUP_PLATFORM_URL", h.emu.platform_url())
        .args(["platform-login", "--team", "acme", "--output", "json"]);
    let run = h.run(&mut cmd);
    run.assert_code(0);
    let doc = run.json();
    assert_matches(PLATFORM_LOGIN, &doc, &run.stderr);
    assert_eq!(doc["team"], "acme.pushbot.com");
}

#[test]
fn the_schemas_ship_in_the_binary() {
    let h = Harness::new();
    for (name, text) in [
        ("run", RUN),
        ("status", STATUS),
        ("remove", REMOVE),
        ("error", ERROR),
    ] {
        let run = h.run(h.bare_cmd().args(["schema", name]));
        run.assert_code(0);
        assert_eq!(run.stdout.trim_end(), text.trim_end(), "{name}");
    }
    h.run(h.bare_cmd().args(["schema", "nonsense"]))
        .assert_code(2);
}

#[test]
fn a_command_line_clap_refuses_is_an_error_document_under_output_json() {
    let h = Harness::new();
    // The command line, the variables, what the message names.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 6] = [
        (&["status", "--bogus", "-o", "json"], &[], "--bogus"),
        (&["-o", "json", "status", "--bogus"], &[], "--bogus"),
        (&["--output=json", "remove", "--yes=maybe"], &[], "--yes"),
        (
            &["-ojson", "setup", "--secret-expiry"],
            &[],
            "--secret-expiry",
        ),
        (
            &["setup", "--output", "json", "--cloud", "mars"],
            &[],
            "mars",
        ),
        (
            &["status", "--bogus"],
            &[("AAD_SETUP_OUTPUT", "json")],
            "--bogus",
        ),
    ];
    for (args, vars, named) in cases {
        let mut cmd = h.bare_cmd();
        cmd.args(args).envs(vars.iter().copied());
        let run = h.run(&mut cmd);
        run.assert_code(2);
        let doc = run.json();
        assert_matches(ERROR, &doc, &run.stderr);
        assert_eq!(doc["error"]["kind"], "usage", "{args:?}");
        assert_eq!(doc["error"]["exitCode"], 2, "{args:?}");
        let message = doc["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{args:?}: {message}");
        // The human message stays on stderr.
        assert!(run.stderr.contains("error:"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(named), "{args:?}: {}", run.stderr);
    }
    // Without --output json: clap's message only, stdout empty.
    let run = h.run(h.bare_cmd().args(["status", "--bogus"]));
    run.assert_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // Help is not a refusal: it prints as help, with -o json too.
    let run = h.run(h.bare_cmd().args(["-o", "json", "status", "--help"]));
    run.assert_code(0);
    assert!(run.stdout.contains("Usage"), "{}", run.stdout);
}

/// The code check `Run::json` applies to every document of the suite sees
/// a code the schema lacks, where it is, and passes the listed ones.
#[test]
fn a_result_code_the_schema_lacks_is_caught() {
    let doc = serde_json::json!({
        "changes": [{ "op": "create", "code": "app.create", "message": "m" }],
        "unchanged": [{ "code": "app.keep", "message": "m" }],
        "warnings": [{ "code": "secret.kept", "message": "m" }, { "code": "secret.made-up", "message": "m" }],
        "nextSteps": [{ "code": "consent.grant", "message": "m" }, { "code": "app.create", "message": "m" }],
        "targets": [{ "result": { "checks": [{ "code": "rotation" }, { "code": "vibes" }] } }],
    });
    let mut found = unlisted_codes(&doc);
    found.sort();
    assert_eq!(
        found,
        [
            "checks: vibes",
            "nextSteps: app.create",
            "warnings: secret.made-up"
        ]
    );
    let removal = serde_json::json!({ "removed": {}, "changes": [{ "code": "app.delete" }, { "code": "app.create" }] });
    assert_eq!(unlisted_codes(&removal), ["changes: app.create"]);
}
