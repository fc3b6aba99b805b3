//! Signing in to Microsoft every way admins and pipelines do: each method
//! completes a setup; failures are exit 3 (sign-in) or 4 (privileges) with
//! nothing changed; `auto` explains its choice under -v.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aad_setup_emulator::{EmulatorConfig, TokenKind};
use serde_json::json;

use crate::support::*;

/// The admin's environment without a client secret: nothing configured.
fn without_secret(h: &Harness) -> Command {
    let mut cmd = h.cmd();
    cmd.env_remove("AZURE_CLIENT_SECRET");
    cmd
}

#[track_caller]
fn assert_set_up(h: &Harness, run: &Run) {
    run.assert_code(0);
    assert_eq!(h.our_apps().len(), 1, "the app exists");
    assert_eq!(h.list("connections").len(), 1, "the connection exists");
    h.assert_no_secret("stdout", &run.stdout);
    h.assert_no_secret("stderr", &run.stderr);
}

#[test]
fn a_graph_token_from_a_file_completes_a_setup() {
    let h = Harness::new();
    let token = h
        .emu
        .mint_graph_token(TokenKind::App(vec!["Application.ReadWrite.All".into()]));
    let file = h.write_file("graph-token", &token);
    let run = h.run(
        without_secret(&h)
            .env_remove("AZURE_TENANT_ID")
            .args(["setup", "--auth", "token", "--graph-token-file"])
            .arg(&file),
    );
    assert_set_up(&h, &run);
}

#[test]
fn a_delegated_token_on_stdin_completes_a_setup() {
    let h = Harness::new();
    let token = h.emu.mint_graph_token(TokenKind::Delegated(vec![
        "Application.ReadWrite.All".into(),
    ]));
    let mut child = without_secret(&h)
        .args(["setup", "-v", "--graph-token-file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), token.as_bytes()).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    };
    assert_set_up(&h, &run);
    assert!(
        run.stderr.contains("a Graph token file is given"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_token_lacking_application_write_stops_before_any_write_with_exit_4() {
    for kind in [
        TokenKind::App(vec!["Application.Read.All".into()]),
        TokenKind::Delegated(vec!["User.Read".into(), "Application.Read.All".into()]),
    ] {
        let h = Harness::new();
        let before = h.created();
        let file = h.write_file("graph-token", &h.emu.mint_graph_token(kind));
        let run = h.run(
            without_secret(&h)
                .args(["setup", "--graph-token-file"])
                .arg(&file),
        );
        run.assert_code(4);
        assert!(
            run.stderr.contains("Application.ReadWrite.All"),
            "names the permission: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("hint:"),
            "says what to do: {}",
            run.stderr
        );
        assert_eq!(h.created(), before);
        assert_eq!(
            h.requests("POST", &h.graph_path("")),
            0,
            "no write was attempted"
        );
    }
}

#[test]
fn admin_consent_needs_its_own_permission_up_front() {
    let h = Harness::new();
    let file = h.write_file(
        "graph-token",
        &h.emu
            .mint_graph_token(TokenKind::App(vec!["Application.ReadWrite.All".into()])),
    );
    let run = h.run(
        without_secret(&h)
            .args(["setup", "--admin-consent", "--graph-token-file"])
            .arg(&file),
    );
    run.assert_code(4);
    assert!(
        run.stderr
            .contains("DelegatedPermissionGrant.ReadWrite.All"),
        "{}",
        run.stderr
    );
    assert!(h.our_apps().is_empty());
}

#[test]
fn a_tenant_given_as_a_domain_works() {
    let h = Harness::new();
    let run = h.run(
        h.cmd()
            .env("AZURE_TENANT_ID", &h.creds.tenant_domain)
            .args(["setup", "--output", "json"]),
    );
    assert_set_up(&h, &run);
    assert_eq!(
        run.json()["tenant"]["id"],
        h.creds.tenant_id.as_str(),
        "the domain resolved to the tenant id"
    );
}

#[test]
fn an_unreadable_token_resolves_its_tenant_through_discovery_and_names_an_unknown_one() {
    let h = Harness::new();
    // An opaque (non-JWT) token: the tool cannot read tid, so it asks the
    // tenant's OpenID configuration, which does not know this domain.
    let file = h.write_file("graph-token", "opaque-token-value");
    let run = h.run(
        without_secret(&h)
            .env("AZURE_TENANT_ID", "nosuchtenant.onmicrosoft.com")
            .args(["setup", "--graph-token-file"])
            .arg(&file),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("AADSTS90002"), "{}", run.stderr);
    assert!(
        run.stderr.contains("nosuchtenant.onmicrosoft.com"),
        "{}",
        run.stderr
    );
}

#[test]
fn workload_identity_from_a_federated_token_file() {
    let h = Harness::new();
    let file = h.write_file("federated-token", &h.github_oidc_token());
    let run = h.run(
        without_secret(&h)
            .env("AZURE_FEDERATED_TOKEN_FILE", &file)
            .args(["setup", "-v"]),
    );
    assert_set_up(&h, &run);
    assert!(
        run.stderr.contains("AZURE_FEDERATED_TOKEN_FILE is set"),
        "auto explains: {}",
        run.stderr
    );
    assert!(run.stderr.contains("workload-identity"), "{}", run.stderr);
}

#[test]
fn workload_identity_from_github_actions_oidc() {
    let h = Harness::new();
    let run = h.run(
        without_secret(&h)
            .env("GITHUB_ACTIONS", "true")
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                &h.creds.github_oidc_request_url,
            )
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                &h.creds.github_oidc_request_token,
            )
            .args(["setup", "-v"]),
    );
    run.assert_code(0);
    assert_eq!(h.our_apps().len(), 1);
    assert!(
        run.stderr.contains("GitHub Actions OIDC is available"),
        "{}",
        run.stderr
    );
    // The OIDC token is masked (a workflow command on stderr) and appears
    // nowhere else.
    let oidc = h
        .emu
        .issued_secrets()
        .into_iter()
        .find(|s| run.stderr.contains(&format!("::add-mask::{s}")))
        .expect("the federated token is masked");
    assert!(!run.stdout.contains(&oidc));
    assert_eq!(
        run.stderr.matches(&oidc).count(),
        1,
        "only in the mask line"
    );
}

#[test]
fn a_federated_token_entra_does_not_trust_is_a_sign_in_failure() {
    let h = Harness::new();
    let file = h.write_file(
        "federated-token",
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2V2aWwuZXhhbXBsZSIsInN1YiI6Im5vIn0.c2ln",
    );
    let before = h.created();
    let run = h.run(
        without_secret(&h)
            .env("AZURE_FEDERATED_TOKEN_FILE", &file)
            .args(["setup", "--auth", "workload-identity"]),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("AADSTS"), "{}", run.stderr);
    assert!(
        run.stderr.contains("federated credential"),
        "{}",
        run.stderr
    );
    assert_eq!(h.created(), before);
}

/// A fake `az` on PATH that prints what the real one prints.
fn fake_az(h: &Harness, script_body: &str) -> std::path::PathBuf {
    let bin = h.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let az = bin.join("az");
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\necho \"$@\" >> \"{}/az-args\"\n{script_body}\n",
            h.home.path().display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn path_with(bin: &std::path::Path) -> std::ffi::OsString {
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

#[test]
fn an_azure_cli_login_is_reused() {
    let h = Harness::new();
    let token = h.emu.mint_graph_token(TokenKind::Delegated(vec![
        "Application.ReadWrite.All".into(),
        "User.Read".into(),
    ]));
    let answer = json!({
        "accessToken": token,
        "expiresOn": "2026-11-29 12:00:00.000000",
        "expires_on": 1_900_000_000u64,
        "tenant": h.creds.tenant_id,
        "tokenType": "Bearer"
    });
    let bin = fake_az(&h, &format!("cat <<'JSON'\n{answer}\nJSON"));
    let run = h.run(
        without_secret(&h)
            .env_remove("AZURE_TENANT_ID")
            .env("PATH", path_with(&bin))
            .args(["setup", "-v"]),
    );
    assert_set_up(&h, &run);
    assert!(
        run.stderr.contains("the Azure CLI (az) is on PATH"),
        "auto explains: {}",
        run.stderr
    );
    let args = std::fs::read_to_string(h.home.path().join("az-args")).unwrap();
    assert!(
        args.contains("account get-access-token --resource-type ms-graph"),
        "{args}"
    );
}

#[test]
fn an_azure_cli_that_is_not_logged_in_says_to_run_az_login() {
    let h = Harness::new();
    let bin = fake_az(
        &h,
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
    );
    let run = h.run(
        without_secret(&h)
            .env("PATH", path_with(&bin))
            .args(["setup", "--auth", "az-cli"]),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("az login"), "{}", run.stderr);
    assert!(h.our_apps().is_empty());
}

#[test]
fn a_missing_azure_cli_is_a_clear_error() {
    let h = Harness::new();
    let run = h.run(
        without_secret(&h)
            .env("PATH", h.home.path().join("empty-bin"))
            .args(["setup", "--auth", "az-cli"]),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("not installed"), "{}", run.stderr);
}

#[test]
fn auto_in_a_pipeline_with_nothing_configured_explains_every_skip() {
    let h = Harness::new();
    let run = h.run(
        without_secret(&h)
            .env("PATH", h.home.path().join("empty-bin"))
            .env("CI", "true")
            .args(["setup", "-v"]),
    );
    run.assert_code(3);
    for reason in [
        "no --graph-token-file",
        "no AZURE_CLIENT_SECRET",
        "no AZURE_FEDERATED_TOKEN_FILE",
        "no GitHub Actions OIDC",
        "the Azure CLI (az) is not on PATH",
        "no terminal",
    ] {
        assert!(
            run.stderr.contains(reason),
            "explains '{reason}': {}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("AZURE_CLIENT_ID"), "{}", run.stderr);
}

fn device_config() -> EmulatorConfig {
    let mut config = EmulatorConfig::default();
    config.sign_in.device_code_interval_secs = 1;
    config
}

/// Spawns `setup --auth device-code` and returns the child and the user code
/// it showed (read from stderr as it appears).
fn spawn_device_code(h: &Harness, extra: &[&str]) -> (std::process::Child, String, Vec<String>) {
    let mut child = without_secret(h)
        .args(["setup", "--auth", "device-code"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let code = loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "stderr ended before a code: {lines:?}"
        );
        lines.push(line.clone());
        if let Some(rest) = line.split("enter the code ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    (child, code, lines)
}

#[test]
fn device_code_shows_the_code_and_url_and_completes_when_approved() {
    let h = Harness::with(device_config());
    let (child, code, lines) = spawn_device_code(&h, &["--output", "json"]);
    // The emulator's own approval page stands in for microsoft.com/devicelogin.
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&h.creds.device_approval_url)),
        "{lines:?}"
    );
    assert!((200..300).contains(&h.control_post("device/approve", json!({ "user_code": code }))));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(h.our_apps().len(), 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    h.assert_no_secret("stdout", &stdout);
}

#[test]
fn device_code_polling_honours_interval_and_slow_down() {
    // Polled on time: never told to slow down.
    let mut config = device_config();
    config.sign_in.device_auto_approve_after_polls = Some(1);
    let h = Harness::with(config);
    let run = h.run(without_secret(&h).args(["setup", "-v", "--auth", "device-code"]));
    run.assert_code(0);
    assert!(!run.stderr.contains("poll more slowly"), "{}", run.stderr);

    // Told to slow down: the next poll waits 5 s more, and the sign-in completes.
    let mut config = device_config();
    config.sign_in.device_code_slow_down_polls = 1;
    config.sign_in.device_auto_approve_after_polls = Some(1);
    config.sign_in.device_code_expires_in_secs = 60;
    let h = Harness::with(config);
    let started = Instant::now();
    let run = h.run(without_secret(&h).args(["setup", "-v", "--auth", "device-code"]));
    run.assert_code(0);
    assert!(run.stderr.contains("now every 6s"), "{}", run.stderr);
    assert!(
        started.elapsed() >= Duration::from_secs(6),
        "the slower pace was kept"
    );
}

#[test]
fn a_declined_device_code_is_exit_3_with_nothing_changed() {
    let h = Harness::with(device_config());
    let before = h.created();
    let (child, code, _) = spawn_device_code(&h, &[]);
    assert!((200..300).contains(&h.control_post("device/decline", json!({ "user_code": code }))));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(h.created(), before);
}

#[test]
fn an_expired_device_code_is_exit_3() {
    let mut config = device_config();
    config.sign_in.device_code_expires_in_secs = 2;
    let h = Harness::with(config);
    let run = h.run(without_secret(&h).args(["setup", "--auth", "device-code"]));
    run.assert_code(3);
    assert!(run.stderr.contains("expired"), "{}", run.stderr);
}

#[test]
fn ctrl_c_during_device_code_exits_130_promptly_having_changed_nothing() {
    // The first poll is two minutes off: "promptly" means the wait for it
    // is cut short, which a bound of one minute proves with room to spare
    // on a loaded machine.
    let mut config = device_config();
    config.sign_in.device_code_interval_secs = 120;
    let h = Harness::with(config);
    let before = h.created();
    // The code is shown once the run is under way, past the point where the
    // process listens for Ctrl-C.
    let (mut child, _code, _) = spawn_device_code(&h, &[]);
    let sent = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if sent.elapsed() >= Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still running 60 s after Ctrl-C (the next poll is 120 s off)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(130));
    assert_eq!(h.created(), before);
}

#[test]
fn auto_on_a_terminal_with_nothing_configured_offers_the_device_code() {
    let h = Harness::with(device_config());
    let mut cmd = without_secret(&h);
    cmd.env("PATH", h.home.path().join("empty-bin"))
        .args(["setup", "-v"])
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    // Per expectation: room for a loaded machine, not a pause.
    let mut session = rexpect::session::spawn_command(cmd, Some(60_000)).expect("pty");
    session
        .exp_string("this is a terminal: using --auth device-code")
        .expect("auto explains");
    // The wizard offers the methods with auto's choice highlighted.
    session
        .exp_string("> Device code")
        .expect("device code is the default");
    session
        .exp_string("None: I'll do the Azure steps in the portal")
        .expect("the whole menu");
    session.send_line("").expect("enter");
    session
        .exp_string("Grant tenant-wide admin consent as part of this setup? [y/N]")
        .expect("consent is decided before the sign-in");
    session.send_line("").expect("enter");
    session
        .exp_string(&h.creds.device_approval_url)
        .expect("the URL is shown");
    session.send_control('c').expect("ctrl-c");
    session.exp_eof().expect("it ends");
    assert!(h.our_apps().is_empty());
}

#[test]
fn a_token_graph_does_not_accept_is_a_sign_in_failure() {
    let h = Harness::new();
    // JWT-shaped, readable, with the right claims — but not issued by Entra.
    let forged = h
        .emu
        .mint_graph_token(TokenKind::App(vec!["Application.ReadWrite.All".into()]));
    let mut parts: Vec<String> = forged.split('.').map(str::to_owned).collect();
    parts[2] = "forged-signature".into();
    let file = h.write_file("graph-token", &parts.join("."));
    let run = h.run(
        without_secret(&h)
            .args(["setup", "--graph-token-file"])
            .arg(&file),
    );
    run.assert_code(3);
    assert!(
        run.stderr.contains("did not accept the token"),
        "{}",
        run.stderr
    );
    assert!(h.our_apps().is_empty());

    // The platform, read while signing in, refuses its token too: the
    // sign-in's failure is still the one reported (the documented order).
    let run = h.run(
        without_secret(&h)
            .env("CATALYTIC_TOKEN", forged_platform_token())
            .args(["setup", "--graph-token-file"])
            .arg(&file),
    );
    run.assert_code(3);
    assert!(
        run.stderr.contains("did not accept the token"),
        "{}",
        run.stderr
    );
}

#[test]
fn azure_authority_host_points_sign_in_elsewhere() {
    let h = Harness::new();
    let run = h.run(
        h.cmd()
            .env_remove("AAD_SETUP_LOGIN_URL")
            .env("AZURE_AUTHORITY_HOST", h.emu.login_url())
            .args(["setup", "--output", "json"]),
    );
    assert_set_up(&h, &run);
    // And a plain-http authority that is not loopback is refused before any request.
    let run = h.run(
        h.cmd()
            .env_remove("AAD_SETUP_LOGIN_URL")
            .env("AZURE_AUTHORITY_HOST", "http://login.example.com")
            .arg("setup"),
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("AZURE_AUTHORITY_HOST"),
        "{}",
        run.stderr
    );
}

// --- Browser sign-in (authorization code with PKCE) -------------------------

/// `setup --auth browser ARGS`, with a "browser" that only notes the URL it
/// is asked to open (the test then plays the browser). Returns the child and
/// the URL.
fn spawn_browser(h: &Harness, extra: &[&str]) -> (std::process::Child, String) {
    let browser = h.fake_browser();
    let mut cmd = without_secret(h);
    browser.on(&mut cmd);
    let child = cmd
        .args(["setup", "--auth", "browser", "--output", "json"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, browser.opened_url())
}

fn finish(child: std::process::Child) -> Run {
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn a_browser_sign_in_completes_a_setup_with_pkce_and_shows_nothing_secret() {
    let h = Harness::new();
    let (child, url) = spawn_browser(&h, &["-vv"]);
    // What the tool asks Entra for: a code, for exactly the scopes the run
    // needs, bound to a PKCE challenge, returned to a localhost port.
    assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_param(&url, "code_challenge").is_some_and(|c| c.len() == 43));
    let redirect = query_param(&url, "redirect_uri").unwrap();
    assert!(redirect.starts_with("http://localhost:"), "{redirect}");
    let scope = query_param(&url, "scope").unwrap();
    assert!(scope.contains("Application.ReadWrite.All"), "{scope}");
    assert!(!scope.contains("DelegatedPermissionGrant"), "{scope}");

    let (status, landed) = h.browse(&url);
    assert_eq!(status, 200, "the tool's page after the sign-in");
    assert!(landed.starts_with(&redirect), "{landed}");
    let run = finish(child);
    assert_set_up(&h, &run);
    assert!(run.stderr.contains("(browser)"), "{}", run.stderr);
    // The code came back through the browser: it is in no output either
    // (it is among the emulator's issued secrets).
    assert!(
        h.emu
            .issued_secrets()
            .iter()
            .any(|s| landed.contains(s.as_str()))
    );
}

#[test]
fn a_declined_browser_sign_in_is_exit_3_with_nothing_changed() {
    let mut config = EmulatorConfig::default();
    config.sign_in.browser_decision = aad_setup_emulator::BrowserDecision::Decline;
    let h = Harness::with(config);
    let before = h.created();
    let (child, url) = spawn_browser(&h, &[]);
    h.browse(&url);
    let run = finish(child);
    run.assert_code(3);
    assert!(run.stderr.contains("AADSTS65004"), "{}", run.stderr);
    assert!(run.stderr.contains("declined"), "{}", run.stderr);
    assert_eq!(h.created(), before);
}

#[test]
fn a_browser_return_this_run_did_not_start_is_ignored_and_the_real_one_taken() {
    let h = Harness::new();
    let (child, url) = spawn_browser(&h, &[]);
    // Something else knocks first, with a forged code: refused, not redeemed
    // (a redeemed forgery would end the sign-in with Entra's invalid_grant).
    let redirect = query_param(&url, "redirect_uri").unwrap();
    let (status, _) = h.browse(&format!("{redirect}/?code=forged&state=not-ours"));
    assert_eq!(status, 400);
    // A connection that sends nothing holds nothing up either.
    let port: u16 = redirect.rsplit(':').next().unwrap().parse().unwrap();
    let _idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (status, _) = h.browse(&url);
    assert_eq!(status, 200);
    let run = finish(child);
    assert_set_up(&h, &run);
    assert!(run.stderr.contains("did not start"), "{}", run.stderr);
}
