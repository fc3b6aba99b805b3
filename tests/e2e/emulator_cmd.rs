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

/// Starts `aad-setup emulator --output json ARGS` and reads its document.
fn start_emulator_command(h: &Harness, args: &[&str]) -> (std::process::Child, serde_json::Value) {
    let mut child = h
        .bare_cmd()
        .args(["emulator", "--output", "json"])
        .args(args)
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
    (child, serde_json::from_str(&doc).unwrap())
}

#[test]
fn a_person_takes_the_wizards_default_path_with_the_printed_approval_pages() {
    let h = Harness::new();
    // A device code polled every second, so the test does not wait Entra's 5 s.
    let config = h.write_file(
        "emulator.json",
        r#"{ "sign_in": { "device_code_interval_secs": 1 } }"#,
    );
    let (mut emulator, info) = start_emulator_command(&h, &["--config", config.to_str().unwrap()]);
    let s = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    let device_page = s(&info["deviceApprovalUrl"]);
    let platform_page = s(&info["platformApprovalUrl"]);

    // The wizard as a newcomer runs it: no tenant, no secret, no `az`, no
    // platform token.
    let mut cmd = h.bare_cmd();
    cmd.env("AAD_SETUP_LOGIN_URL", s(&info["loginUrl"]))
        .env("AAD_SETUP_GRAPH_URL", s(&info["graphUrl"]))
        .env("AAD_SETUP_PLATFORM_URL", s(&info["platformUrl"]))
        .env("PATH", "")
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).expect("pty");
    p.exp_string("How do you want to sign in to Microsoft?")
        .unwrap();
    p.exp_string("None: I'll do the Azure steps in the portal")
        .unwrap();
    p.send_line("").unwrap();
    p.exp_string("Grant tenant-wide admin consent as part of this setup? [y/N]")
        .unwrap();
    p.send_line("").unwrap();
    // The code is to be entered on the page the emulator printed.
    p.exp_string(&format!("open {device_page} and enter the code "))
        .unwrap();
    let (_, code) = p.exp_regex("[A-Z0-9]{9}").unwrap();
    let form = |url: &str, pairs: &[(&str, &str)]| {
        let url = url.to_owned();
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        h.block_on_post_form(&url, &pairs)
    };
    assert_eq!(h.block_on_get_text(&device_page).0, 200);
    let (status, _) = form(
        &device_page,
        &[
            ("user_code", &code),
            ("user", "admin"),
            ("decision", "approve"),
        ],
    );
    assert_eq!(status, 200);
    p.exp_string("tenant Contoso (contoso.onmicrosoft.com, id ")
        .unwrap();

    // The platform token: asked for, then approved on the other page.
    p.exp_string("Get a platform access token now? [Y/n]")
        .unwrap();
    p.send_line("").unwrap();
    p.exp_string("Your platform team").unwrap();
    p.send_line("acme").unwrap();
    let id = {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let (_, html) = h.block_on_get_text(&platform_page);
            if let Some(at) = html.find("name=\"id\" value=\"") {
                let rest = &html[at + "name=\"id\" value=\"".len()..];
                break rest[..rest.find('"').unwrap()].to_owned();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no pending token: {html}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    let (status, _) = form(&platform_page, &[("id", &id), ("decision", "approve")]);
    assert_eq!(status, 200);

    for (prompt, answer) in [
        ("Name [workflow-activedirectory-integration]: ", ""),
        (
            "Redirect URI (type Web) [https://security.pushbot.com/oauth]: ",
            "",
        ),
        ("Description [pagerdutysecretkey]: ", ""),
        ("Expires [24 months]: ", ""),
        ("Connection name [Azure Active Directory (aad-setup)]: ", ""),
        (
            "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
            "",
        ),
    ] {
        p.exp_string(prompt).unwrap();
        p.send_line(answer).unwrap();
    }
    p.exp_string("Azure Active Directory integration is set up.")
        .unwrap();
    p.exp_eof().unwrap();

    let state: serde_json::Value = h.block_on_get(&s(&info["stateUrl"]));
    let apps: Vec<_> = state["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["displayName"] == APP_NAME)
        .collect();
    assert_eq!(apps.len(), 1);
    assert_eq!(state["connections"].as_array().unwrap().len(), 1);

    Command::new("kill")
        .args(["-INT", &emulator.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(emulator.wait().unwrap().code(), Some(0));
}
