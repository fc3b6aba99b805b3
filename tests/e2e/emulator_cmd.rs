//! `aad-setup emulator`: runs out of process, prints how to point the tool at
//! it, serves a full setup, shows its state, stops on Ctrl-C.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use crate::support::*;

#[test]
fn the_emulator_command_serves_a_setup_and_stops_on_ctrl_c() {
    let h = Harness::new();
    let mut child = h
        .bare_cmd()
        .args(["emulator", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut doc = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "stdout ended: {doc}"
        );
        doc.push_str(&line);
        if line.trim_end() == "}" {
            break;
        }
    }
    let info: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_matches(include_str!("../../src/schema/emulator.json"), &info, "");
    let creds = &info["credentials"];
    let s = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    assert!(s(&info["baseUrl"]).starts_with("http://127.0.0.1:"));

    let run = h.run(
        h.bare_cmd()
            .env("AAD_SETUP_LOGIN_URL", s(&info["loginUrl"]))
            .env("AAD_SETUP_GRAPH_URL", s(&info["graphUrl"]))
            .env("AAD_SETUP_PLATFORM_URL", s(&info["platformUrl"]))
            .env("AZURE_TENANT_ID", s(&creds["tenant_id"]))
            .env("AZURE_CLIENT_ID", s(&creds["admin_client_id"]))
            .env("AZURE_CLIENT_SECRET", s(&creds["admin_client_secret"]))
            .env("CATALYTIC_TOKEN", s(&creds["platform_admin_token"]))
            .args(["setup", "--output", "json"]),
    );
    run.assert_code(0);

    let state: serde_json::Value = h.block_on_get(&s(&info["stateUrl"]));
    let apps: Vec<_> = state["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["displayName"] == APP_NAME)
        .collect();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["appId"], run.json()["app"]["clientId"]);
    assert!(
        h.request_log().is_empty(),
        "the harness's own emulator was not used"
    );

    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn ctrl_c_right_after_the_banner_with_its_reader_gone_is_a_clean_stop() {
    let h = Harness::new();
    let mut child = h
        .bare_cmd()
        .arg("emulator")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("Emulator listening on"), "{first}");
    // No pause: the banner is the promise that Ctrl-C is heard. The reader
    // is gone too, so the rest of the banner meets a closed pipe.
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "stopped cleanly, not killed by the signal: {status:?}"
    );
}

#[test]
fn a_bad_emulator_config_file_is_a_usage_error() {
    let h = Harness::new();
    let file = h.write_file(
        "emulator.json",
        r#"{ "replication": { "requests": "many" } }"#,
    );
    let run = h.run(h.bare_cmd().args(["emulator", "--config"]).arg(&file));
    run.assert_code(2);
    assert!(run.stderr.contains("emulator.json"), "{}", run.stderr);
}
