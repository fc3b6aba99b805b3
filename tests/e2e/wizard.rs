//! The interactive wizard, driven in a real pseudo-terminal (rexpect): what
//! the admin sees and answers, what ends up in the emulator, and that the
//! terminal is left as it was found.

use std::process::{Command, Stdio};

use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession, spawn_with_options};
use serde_json::{Value, json};

use crate::support::*;

/// Per expectation. The debug binary answers in milliseconds; this is
/// room for a loaded machine (CI's two cores, every test at once), not a
/// pause: a wait ends as soon as the text is there.
const TIMEOUT_MS: u64 = 60_000;

/// A wizard in a pseudo-terminal, with everything it printed kept.
struct Pty {
    session: PtySession,
    transcript: String,
}

impl Pty {
    /// Runs `cmd` with the terminal as its stdin, stdout and stderr.
    fn spawn(mut cmd: Command) -> Pty {
        cmd.stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
        let session = spawn_with_options(cmd, Options::new().timeout_ms(Some(TIMEOUT_MS)))
            .expect("the binary starts in a pseudo-terminal");
        Pty {
            session,
            transcript: String::new(),
        }
    }

    /// Waits for `needle`, failing with everything seen so far.
    #[track_caller]
    fn expect(&mut self, needle: &str) -> &mut Pty {
        match self.session.exp_string(needle) {
            Ok(before) => {
                self.transcript.push_str(&before);
                self.transcript.push_str(needle);
            }
            Err(e) => panic!(
                "waiting for {needle:?}: {e}\n--- screen so far\n{}",
                self.transcript
            ),
        }
        self
    }

    /// Waits for the prompt `prompt`, then types `line` and Enter.
    #[track_caller]
    fn answer(&mut self, prompt: &str, line: &str) -> &mut Pty {
        self.expect(prompt);
        self.session.send_line(line).expect("typing");
        self
    }

    /// The app's and the secret's questions, each answered with its
    /// default: name, redirect URI, description, expiry.
    fn accept_app_and_secret_defaults(&mut self) -> &mut Pty {
        self.answer("Name [workflow-activedirectory-integration]: ", "")
            .answer(
                "Redirect URI (type Web) [https://security.pushbot.com/oauth]: ",
                "",
            )
            .answer("Description [pagerdutysecretkey]: ", "")
            .answer("Expires [24 months]: ", "")
    }

    fn ctrl_c(&mut self) {
        self.session.send_control('c').expect("Ctrl-C");
    }

    /// Waits until the terminal's line settings satisfy `ready`: a prompt
    /// prints its text first and only then switches the terminal (raw mode
    /// for a menu, echo off for hidden input), so the text on the screen
    /// does not yet mean the prompt is reading.
    #[track_caller]
    fn wait_for_terminal(&mut self, what: &str, ready: impl Fn(&rustix::termios::Termios) -> bool) {
        let master = self
            .session
            .process()
            .get_file_handle()
            .expect("the terminal");
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(TIMEOUT_MS);
        loop {
            let settings = rustix::termios::tcgetattr(&master).expect("the terminal's settings");
            if ready(&settings) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "waiting for {what}\n--- screen so far\n{}",
                self.transcript
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Waits until a hidden prompt reads: echo is off. Only then may it be
    /// typed to: the prompt turns echo off with TCSAFLUSH, which throws away
    /// whatever was typed before (and a Ctrl-C before it would test a
    /// prompt that is not yet hiding anything). Needs a terminal that
    /// starts with echo on ([`with_echo_on`]).
    #[track_caller]
    fn wait_for_hidden_input(&mut self) -> &mut Pty {
        self.wait_for_terminal("the hidden prompt to turn echo off", |t| {
            !t.local_modes.contains(rustix::termios::LocalModes::ECHO)
        });
        self
    }

    /// Waits for the hidden prompt `prompt`, then types `line` and Enter.
    #[track_caller]
    fn answer_hidden(&mut self, prompt: &str, line: &str) -> &mut Pty {
        self.expect(prompt).wait_for_hidden_input();
        self.session.send_line(line).expect("typing");
        self
    }

    /// Waits for the end; the exit code and the whole screen.
    #[track_caller]
    fn finish(mut self) -> (i32, String) {
        match self.session.exp_eof() {
            Ok(rest) => self.transcript.push_str(&rest),
            Err(e) => panic!("waiting for the end: {e}\n--- screen\n{}", self.transcript),
        }
        let code = match self.session.process().wait() {
            Ok(WaitStatus::Exited(_, code)) => code,
            other => panic!(
                "the wizard did not exit normally: {other:?}\n{}",
                self.transcript
            ),
        };
        (code, self.transcript)
    }
}

/// `aad-setup ARGS` as the emulator's admin, at a terminal.
fn wizard(h: &Harness, args: &[&str]) -> Pty {
    let mut cmd = h.cmd();
    cmd.args(args);
    Pty::spawn(cmd)
}

/// The prompts of a run that accepts every default, from the app's name on.
fn accept_defaults(p: &mut Pty) {
    p.accept_app_and_secret_defaults()
        .answer("Grant tenant-wide admin consent now? [y/N]", "")
        .answer("Connection name [Azure Active Directory (aad-setup)]: ", "");
}

/// What a setup leaves in the tenant and on the platform, without the ids
/// and times that differ from run to run.
fn outcome(h: &Harness) -> Value {
    let state = h.state();
    let ours = h.our_apps();
    let app_ids: Vec<&Value> = ours.iter().map(|a| &a["appId"]).collect();
    let apps: Vec<Value> = ours
        .iter()
        .map(|a| {
            json!({
                "displayName": a["displayName"],
                "signInAudience": a["signInAudience"],
                // The held-secret tag names a key id, which differs per run.
                "tags": a["tags"].as_array().unwrap().iter().map(|t| {
                    let t = t.as_str().unwrap();
                    match t.strip_prefix("aad-setup:connection-secret:") {
                        Some(_) => "aad-setup:connection-secret:<key id>".to_owned(),
                        None => t.to_owned(),
                    }
                }).collect::<Vec<_>>(),
                "web": a["web"],
                "requiredResourceAccess": a["requiredResourceAccess"],
                "secrets": a["passwordCredentials"].as_array().unwrap().iter().map(|c| json!({
                    "displayName": c["displayName"],
                    "lifetime": lifetime(c),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let connections: Vec<Value> = state["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            json!({
                "name": c["name"],
                "integrationId": c["integrationId"],
                "team": c["team"],
                "params": c["params"].as_array().unwrap().iter().map(|p| json!({
                    "referenceName": p["referenceName"],
                    // Ids differ per run: say whose they are.
                    "value": if app_ids.contains(&&p["value"]) {
                        json!("<the app's client id>")
                    } else if p["value"] == h.creds.tenant_id.as_str() {
                        json!("<the tenant id>")
                    } else {
                        p["value"].clone()
                    },
                    "holdsTheAppsSecret": app_ids.contains(&&p["matchesCredential"]["appId"]),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "apps": apps,
        "servicePrincipals": state["servicePrincipals"].as_array().unwrap().iter().filter(|s| app_ids.contains(&&s["appId"])).count(),
        "grants": state["oauth2PermissionGrants"].as_array().unwrap().len(),
        "connections": connections,
    })
}

/// How long a secret lives from when Graph made it: in whole months when
/// it is that (whatever the calendar does at month ends), else in days. Not
/// the day it ends: two runs seconds apart may straddle midnight (UTC).
fn lifetime(credential: &Value) -> String {
    let at = |key: &str| -> jiff::Timestamp { credential[key].as_str().unwrap().parse().unwrap() };
    let (start, end) = (at("startDateTime"), at("endDateTime"));
    let from = start.to_zoned(jiff::tz::TimeZone::UTC);
    // The expiry is reckoned when the plan is made, a little before the
    // secret is: an hour is room for that, and far less than a day.
    let near =
        |t: jiff::Timestamp| t.duration_since(end).abs() < jiff::SignedDuration::from_hours(1);
    (1..=1200)
        .find(|&months| {
            near(
                from.checked_add(jiff::Span::new().months(months))
                    .unwrap()
                    .timestamp(),
            )
        })
        .map_or_else(
            || format!("{} days", end.duration_since(start).as_secs() / 86_400),
            |months| format!("{months} months"),
        )
}

#[test]
fn the_wizard_with_its_defaults_ends_where_setup_does_and_shows_plan_steps_and_summary() {
    let h = Harness::new();
    let mut p = wizard(&h, &["--auth", "client-secret"]);
    p.expect("[1/7] Sign in to Microsoft")
        .expect("Signed in to Microsoft")
        .expect("[2/7] Sign in to the platform")
        .expect("Signed in to the platform")
        .expect("[3/7] Register the app");
    accept_defaults(&mut p);
    p.expect("The plan for Contoso (contoso.onmicrosoft.com) (nothing has been changed yet):")
        .expect("create the app registration \"workflow-activedirectory-integration\"")
        .expect("create the platform connection \"Azure Active Directory (aad-setup)\"");
    assert!(
        h.our_apps().is_empty() && h.list("connections").is_empty(),
        "nothing exists while the plan is shown"
    );
    p.answer(
        "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
        "",
    );
    p.expect("App registration: workflow-activedirectory-integration (created)")
        .expect("Client secret: \"pagerdutysecretkey\" created")
        .expect("Platform connection: \"Azure Active Directory (aad-setup)\" created")
        .expect("Verified: the new secret signs in")
        .expect("Azure Active Directory integration is set up.")
        .expect("Client ID")
        .expect("Admin > Integrations");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("connection permissions are set only there"),
        "{screen}"
    );
    h.assert_no_secret("the screen", &screen);

    let flags = Harness::new();
    flags.setup(&[]).assert_code(0);
    assert_eq!(outcome(&h), outcome(&flags));
    assert_eq!(h.our_apps().len(), 1);
    assert_eq!(h.list("connections").len(), 1);
}

#[test]
fn a_bad_answer_is_explained_and_asked_again() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.env_remove("AZURE_TENANT_ID")
        .args(["--auth", "client-secret"]);
    let mut p = Pty::spawn(cmd);
    let tenant_prompt = "Tenant (directory id or domain, e.g. contoso.onmicrosoft.com): ";
    p.answer(tenant_prompt, "not-a-guid")
        .expect("error: tenant 'not-a-guid' is neither a tenant id (GUID) nor a domain")
        .answer(tenant_prompt, &h.creds.tenant_id)
        .expect("Signed in to Microsoft")
        .answer("Name [workflow-activedirectory-integration]: ", "");
    let redirect_prompt = "Redirect URI (type Web) [https://security.pushbot.com/oauth]: ";
    p.answer(redirect_prompt, "http://security.pushbot.com/oauth")
        .expect("must use https (http is accepted only for localhost)")
        .answer(redirect_prompt, "")
        .answer("Description [pagerdutysecretkey]: ", "")
        .answer("Expires [24 months]: ", "soon")
        .expect("error: secret expiry 'soon' is not understood")
        .answer("Expires [24 months]: ", "")
        .answer("Grant tenant-wide admin consent now? [y/N]", "")
        .answer("Connection name [Azure Active Directory (aad-setup)]: ", "")
        .answer(
            "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
            "",
        )
        .expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");

    let apps = h.our_apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(
        apps[0]["web"]["redirectUris"],
        json!(["https://security.pushbot.com/oauth"])
    );
    let end: jiff::Timestamp = apps[0]["passwordCredentials"][0]["endDateTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let days = jiff::Timestamp::now().until(end).unwrap().get_seconds() / 86_400;
    assert!(
        (725..=735).contains(&days),
        "the default 24 months: {days} days"
    );
    let tenant = h.list("connections")[0]["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["referenceName"] == "tenant")
        .unwrap()["value"]
        .clone();
    assert_eq!(tenant, h.creds.tenant_id.as_str());
    h.assert_no_secret("the screen", &screen);
}

#[test]
fn values_given_by_flags_or_variables_are_shown_and_not_asked() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.env("AAD_SETUP_SECRET_DESCRIPTION", "from-the-environment")
        .args([
            "setup",
            "--auth",
            "client-secret",
            "--app-name",
            "custom-integration",
            "--redirect-uri",
            "https://example.com/callback",
            "--secret-expiry",
            "12mo",
            "--admin-consent",
            "--connection-name",
            "Entra (ops)",
        ]);
    let mut p = Pty::spawn(cmd);
    p.expect("Name: custom-integration (from --app-name)")
        .expect("Redirect URI (type Web): https://example.com/callback (from --redirect-uri)")
        .expect("Description: from-the-environment (from AAD_SETUP_SECRET_DESCRIPTION)")
        .expect("Expires: 12mo (from --secret-expiry)")
        .expect("Admin consent: grant it (from --admin-consent)")
        .expect("Connection name: Entra (ops) (from --connection-name)")
        .expect("grant tenant-wide admin consent for Directory.ReadWrite.All")
        .answer(
            "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
            "",
        )
        .expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    for asked in [
        "Name [",
        "Redirect URI (type Web) [",
        "Description [",
        "Expires [",
        "admin consent now?",
        "Connection name [",
        "How do you want to sign in",
    ] {
        assert!(!screen.contains(asked), "{asked:?} was asked:\n{screen}");
    }

    let apps = h.list("applications");
    let app = apps
        .iter()
        .find(|a| a["displayName"] == "custom-integration")
        .expect("the app has the given name");
    assert_eq!(
        app["web"]["redirectUris"],
        json!(["https://example.com/callback"])
    );
    let secret = &app["passwordCredentials"][0];
    assert_eq!(secret["displayName"], "from-the-environment");
    let end: jiff::Timestamp = secret["endDateTime"].as_str().unwrap().parse().unwrap();
    let days = jiff::Timestamp::now().until(end).unwrap().get_seconds() / 86_400;
    assert!((360..=370).contains(&days), "12 months: {days} days");
    assert_eq!(h.list("oauth2PermissionGrants").len(), 1, "consent granted");
    assert_eq!(h.list("connections")[0]["name"], "Entra (ops)");
}

#[test]
fn ctrl_c_at_a_prompt_exits_130_shows_the_cursor_and_changes_nothing() {
    let h = Harness::new();
    let before = h.created();
    let mut p = wizard(&h, &[]);
    // The menu hides the cursor (dialoguer leaves it hidden on Ctrl-C).
    p.expect("\x1b[?25l")
        .expect("How do you want to sign in to Microsoft?")
        .expect("None: I'll do the Azure steps in the portal myself");
    // Pressed while the menu reads keys (raw mode), not while it is still
    // being drawn.
    p.wait_for_terminal("the menu to read keys", |t| {
        !t.local_modes.contains(rustix::termios::LocalModes::ICANON)
    });
    let seen = p.transcript.len();
    p.ctrl_c();
    let (code, screen) = p.finish();
    assert_eq!(code, 130, "{screen}");
    let after = &screen[seen..];
    assert!(
        after.contains("\x1b[?25h"),
        "the cursor is shown again after Ctrl-C: {after:?}"
    );
    assert!(after.contains("nothing was changed"), "{after}");
    // On a line of its own, not after the menu's text.
    assert!(
        strip_ansi(after)
            .split(['\n', '\r'])
            .any(|line| line.starts_with("error: interrupted; nothing was changed")),
        "{after:?}"
    );
    assert_eq!(h.created(), before);
    assert_eq!(h.requests("POST", &h.graph_path("")), 0);
    assert_eq!(h.requests("POST", "/platform"), 0);
}

#[test]
fn ctrl_c_at_a_hidden_prompt_turns_echo_back_on() {
    use rustix::termios::{LocalModes, tcgetattr};

    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.env_remove("AZURE_CLIENT_SECRET")
        .args(["--auth", "client-secret"]);
    // rexpect starts its terminal without echo; a real one has it.
    let mut p = Pty::spawn(with_echo_on(cmd));
    p.expect("Its client secret (typed hidden): ")
        .wait_for_hidden_input();
    p.ctrl_c();
    let master = p.session.process().get_file_handle().expect("the terminal");
    let (code, screen) = p.finish();
    assert_eq!(code, 130, "{screen}");
    // The message on a line of its own, not after the prompt's text.
    assert!(
        strip_ansi(&screen)
            .split(['\n', '\r'])
            .any(|line| line.starts_with("error: interrupted; nothing was changed")),
        "{screen:?}"
    );
    let settings = tcgetattr(&master).expect("the terminal's settings");
    assert!(
        settings.local_modes.contains(LocalModes::ECHO),
        "echo is back on after Ctrl-C at a hidden prompt"
    );
    assert!(h.our_apps().is_empty());
}

#[test]
fn the_portal_path_checks_what_it_is_given_and_makes_only_the_connection() {
    let h = Harness::new();
    let (app_id, key_id, secret) = portal_app(&h);
    let graph_writes = h.requests("POST", &h.graph_path(""));
    let mut cmd = h.cmd();
    // No secret in the environment and no `az`: the menu starts at its top.
    cmd.env_remove("AZURE_CLIENT_SECRET").env("PATH", "");
    // Echo on, as at a real terminal, so that the test can tell when the
    // hidden prompts read.
    let mut p = Pty::spawn(with_echo_on(cmd));
    p.expect("How do you want to sign in to Microsoft?")
        .expect("None: I'll do the Azure steps in the portal myself");
    // Up from the first item is the last: "None: I'll do the Azure steps in the portal".
    p.session.send("k").unwrap();
    p.session.send_line("").unwrap();
    p.expect("Signed in to the platform")
        .expect("[3/7] Register the app (in the portal)")
        .expect("Name: workflow-activedirectory-integration")
        .answer("Press Enter once the app is registered", "")
        .expect("[4/7] Add the API permission (in the portal)")
        .answer("Press Enter once the permission is added", "")
        .expect("[5/7] Create the client secret (in the portal)")
        .expect("Description: pagerdutysecretkey")
        .answer("Press Enter once you have copied the Value", "")
        .answer("Application (client) ID: ", &app_id)
        .answer(
            &format!("Directory (tenant) ID [{}]: ", h.creds.tenant_id),
            "",
        )
        .answer_hidden(
            "Client secret Value (typed hidden): ",
            "not-the-secret-value",
        )
        .expect("AADSTS7000215")
        .expect("That secret does not sign in with these IDs")
        .answer(&format!("Application (client) ID [{app_id}]: "), "")
        .answer(
            &format!("Directory (tenant) ID [{}]: ", h.creds.tenant_id),
            "",
        )
        .answer_hidden("Client secret Value (typed hidden): ", &secret)
        .expect("Checked the app: its client secret signs in to Entra")
        .answer("Connection name [Azure Active Directory (aad-setup)]: ", "")
        .expect("create the platform connection \"Azure Active Directory (aad-setup)\"")
        .answer("Make these changes? [Y/n]", "")
        .expect("Platform connection: \"Azure Active Directory (aad-setup)\" created")
        .expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    h.assert_no_secret("the screen", &screen);
    assert!(!screen.contains("not-the-secret-value"), "typed hidden");

    let connections = h.list("connections");
    assert_eq!(connections.len(), 1);
    let params = connections[0]["params"].as_array().unwrap().clone();
    let param = |r: &str| {
        params
            .iter()
            .find(|p| p["referenceName"] == r)
            .unwrap()
            .clone()
    };
    assert_eq!(param("client-id")["value"], app_id.as_str());
    assert_eq!(param("tenant")["value"], h.creds.tenant_id.as_str());
    assert_eq!(param("resource")["value"], "https://graph.microsoft.com");
    assert_eq!(
        param("client-secret")["matchesCredential"]["keyId"],
        key_id.as_str()
    );
    assert_eq!(h.our_apps().len(), 1, "no app was made");
    assert_eq!(
        h.requests("POST", &h.graph_path("")),
        graph_writes,
        "nothing was written to Graph"
    );
}

#[test]
fn the_wizard_gets_a_platform_token_by_approval_and_saves_it_privately() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.env_remove("CATALYTIC_TOKEN")
        .args(["--auth", "client-secret"]);
    let mut p = Pty::spawn(cmd);
    p.expect("No platform access token was found")
        .answer("Get a platform access token now? [Y/n]", "")
        .answer("Your platform team: ", "acme")
        .expect("https://acme.pushbot.com/access-tokens/approve?userTokenID=");
    let (_, id) = p
        .session
        .exp_regex("[0-9a-fA-F-]{36}")
        .expect("the token's id in the address");
    p.expect("&application=aad-setup");
    control(&h, "platform/approve", json!({ "id": id }));
    p.expect("Signed in to the platform: access token approved for team acme.pushbot.com")
        .expect("Saved the platform token");
    accept_defaults(&mut p);
    p.answer(
        "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
        "",
    )
    .expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    h.assert_no_secret("the screen", &screen);

    let path = h.home.path().join(".catalytic/tokens/default");
    assert_mode_0600(&path);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        h.emu.issued_secrets().contains(&saved.trim().to_owned()),
        "the approved token is what was saved"
    );
    assert_eq!(h.list("connections").len(), 1, "made with that token");
}

#[test]
fn platform_login_saves_a_private_token_and_never_overwrites_one() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.platform.auto_approve_tokens_after_millis = Some(0);
    let h = Harness::with(config);
    let login = |extra: &[&str]| {
        let mut cmd = h.bare_cmd();
        cmd.env("AAD_SETUP_PLATFORM_URL", h.emu.platform_url())
            .args(["platform-login", "--team", "acme"])
            .args(extra);
        h.run(&mut cmd)
    };
    let first = login(&[]);
    first.assert_code(0);
    let path = h.home.path().join(".catalytic/tokens/default");
    assert_eq!(
        first.stdout.trim(),
        path.display().to_string(),
        "prints the path"
    );
    assert!(
        first.stderr.contains("approve?userTokenID="),
        "{}",
        first.stderr
    );
    assert_mode_0600(&path);
    let saved = std::fs::read_to_string(&path).unwrap();
    h.assert_no_secret("stdout", &first.stdout);
    h.assert_no_secret("stderr", &first.stderr);
    let token_requests = |h: &Harness| {
        h.request_log()
            .iter()
            .filter(|r| r["method"] == "POST" && r["path"] == "/platform/v2.0.0/api/auth")
            .count()
    };
    assert_eq!(token_requests(&h), 1);

    // The token works: setup finds it where the SDKs look.
    let setup = h.run(h.cmd().env_remove("CATALYTIC_TOKEN").args(["setup"]));
    setup.assert_code(0);

    let again = login(&[]);
    again.assert_code(2);
    assert!(
        again.stderr.contains("never overwritten"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("--name"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), saved);
    assert_eq!(
        token_requests(&h),
        1,
        "refused before asking the platform for a token"
    );

    let named = login(&["--name", "acme-ci", "--output", "json"]);
    named.assert_code(0);
    let other = h.home.path().join(".catalytic/tokens/acme-ci");
    assert_eq!(named.json()["path"], other.display().to_string());
    assert_mode_0600(&other);
    assert_ne!(std::fs::read_to_string(&other).unwrap(), saved);
}

#[test]
fn platform_login_at_a_terminal_asks_for_the_team() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.platform.auto_approve_tokens_after_millis = Some(0);
    let h = Harness::with(config);
    let mut cmd = h.bare_cmd();
    cmd.env("AAD_SETUP_PLATFORM_URL", h.emu.platform_url())
        .args(["platform-login", "--name", "acme"]);
    let mut p = Pty::spawn(cmd);
    p.answer("Your platform team: ", "acme team")
        .expect("error: team 'acme team' is not a team name")
        .answer("Your platform team: ", "https://acme.pushbot.com/")
        .expect("Saved the platform token");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    let path = h.home.path().join(".catalytic/tokens/acme");
    assert!(screen.contains(&path.display().to_string()), "{screen}");
    assert_mode_0600(&path);
    h.assert_no_secret("the screen", &screen);
}

#[test]
fn platform_login_without_an_approval_fails_sign_in_and_saves_nothing() {
    let h = Harness::new();
    let mut cmd = h.bare_cmd();
    cmd.env("AAD_SETUP_PLATFORM_URL", h.emu.platform_url())
        .env("AAD_SETUP_TEAM", "acme.pushbot.com")
        .args(["platform-login", "--wait", "1"]);
    let run = h.run(&mut cmd);
    run.assert_code(3);
    assert!(run.stderr.contains("was not approved"), "{}", run.stderr);
    assert!(!h.home.path().join(".catalytic/tokens/default").exists());

    let no_team = h.run(
        h.bare_cmd()
            .env("AAD_SETUP_PLATFORM_URL", h.emu.platform_url())
            .arg("platform-login"),
    );
    no_team.assert_code(2);
    assert!(no_team.stderr.contains("--team"), "{}", no_team.stderr);
    assert!(
        no_team.stderr.contains("AAD_SETUP_TEAM"),
        "{}",
        no_team.stderr
    );
}

#[test]
fn without_a_terminal_or_with_no_input_nothing_is_asked() {
    let h = Harness::new();
    // Pointed at the emulator, with nothing to sign in with.
    let unsigned = || {
        let mut cmd = h.bare_cmd();
        cmd.env("AAD_SETUP_LOGIN_URL", h.emu.login_url())
            .env("AAD_SETUP_GRAPH_URL", h.emu.graph_url())
            .env("AAD_SETUP_PLATFORM_URL", h.emu.platform_url())
            .args(["--auth", "client-secret"]);
        cmd
    };
    let names_the_tenant = |text: &str| {
        for name in ["--tenant", "AAD_SETUP_TENANT", "AZURE_TENANT_ID"] {
            assert!(text.contains(name), "names {name}: {text}");
        }
        for prompt in ["[1/7]", "Tenant (", "[y/N]", "[Y/n]"] {
            assert!(!text.contains(prompt), "asked {prompt:?}: {text}");
        }
    };

    // Answers piped in are never read as answers.
    let mut piped = unsigned();
    piped
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = piped.spawn().unwrap();
    // The tool never reads these, so it may well exit before they are
    // written: a broken pipe here is the behaviour under test, not a failure.
    let written = std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        format!("{}\n\n\n\n\ny\n", h.creds.tenant_id).as_bytes(),
    );
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    names_the_tenant(&String::from_utf8_lossy(&out.stderr));

    // At a terminal, --no-input and CI=true mean the same.
    let mut no_input = unsigned();
    no_input.arg("--no-input");
    let mut ci = unsigned();
    ci.env("CI", "true");
    for cmd in [no_input, ci] {
        let (code, screen) = Pty::spawn(cmd).finish();
        assert_eq!(code, 2, "{screen}");
        names_the_tenant(&screen);
    }

    // The platform token too: exit 2, naming every way to give one.
    let mut cmd = h.cmd();
    cmd.env_remove("CATALYTIC_TOKEN").args(["--no-input"]);
    let (code, screen) = Pty::spawn(cmd).finish();
    assert_eq!(code, 2, "{screen}");
    assert!(screen.contains("CATALYTIC_TOKEN"), "{screen}");
    assert!(screen.contains("platform-login"), "{screen}");
    assert!(
        !screen.contains("Get a platform access token now?"),
        "{screen}"
    );
    assert!(h.our_apps().is_empty());
}

#[test]
fn replacing_what_exists_asks_with_no_as_the_default() {
    let h = Harness::new();
    h.setup(&[]).assert_code(0);
    let before = h.state();
    let mut p = wizard(&h, &["--auth", "client-secret", "--rotate"]);
    p.expect("[3/7] Register the app");
    accept_defaults(&mut p);
    p.expect("replace the platform connection")
        .expect("Already in place, kept as it is:")
        .expect("the app registration \"workflow-activedirectory-integration\"")
        .expect("so the answer defaults to")
        .answer(
            "Make these changes in Contoso (contoso.onmicrosoft.com)? [y/N]",
            "",
        );
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "a deliberate no is not a failure: {screen}");
    assert!(screen.contains("Nothing changed"), "{screen}");
    assert!(!screen.contains("error:"), "{screen}");
    let after = h.state();
    assert_eq!(after["applications"], before["applications"]);
    assert_eq!(after["connections"], before["connections"]);
}

#[test]
fn ctrl_c_during_the_changes_stops_at_a_step_boundary_and_reports_what_exists() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    // A new app stays invisible until the test lets it replicate: the run
    // waits for it, visibly, for as long as the Ctrl-C takes to land (no
    // delay to outrun on a loaded machine).
    config.replication.requests = u32::MAX;
    let h = Harness::with(config);
    let mut cmd = h.cmd();
    // Short waits between looks, yet a minute or more in all before the
    // run would give up on the app.
    cmd.env("AAD_SETUP_BACKOFF_SCALE", "0.25")
        .args(["--auth", "client-secret"]);
    let mut p = Pty::spawn(cmd);
    p.expect("[3/7] Register the app");
    accept_defaults(&mut p);
    p.answer(
        "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
        "",
    )
    .expect("Waiting for the new app to replicate");
    p.ctrl_c();
    p.expect("stopping once the step in hand is done");
    // The stop is requested while the step is in hand; now it may end.
    h.emu.update(|c| c.replication.requests = 0);
    p.expect("App registration: workflow-activedirectory-integration (created)")
        .expect("Setup was INTERRUPTED before it finished")
        .expect("stopped on Ctrl-C before adding the client secret");
    let (code, screen) = p.finish();
    assert_eq!(code, 130, "{screen}");
    let apps = h.our_apps();
    assert_eq!(apps.len(), 1, "the app the step made is kept and reported");
    assert_eq!(
        apps[0]["passwordCredentials"],
        json!([]),
        "no secret was made"
    );
    assert!(
        h.list("servicePrincipals")
            .iter()
            .any(|s| s["appId"] == apps[0]["appId"]),
        "the step in hand (the service principal) was finished"
    );
    assert!(h.list("connections").is_empty());
    assert!(
        screen.contains(apps[0]["appId"].as_str().unwrap()),
        "{screen}"
    );
}

#[test]
fn connect_puts_an_app_made_elsewhere_on_the_platform_and_refuses_a_secret_that_does_not_work() {
    let h = Harness::new();
    let (app_id, key_id, secret) = portal_app(&h);
    let graph_writes = h.requests("POST", &h.graph_path(""));
    // The harness's AZURE_* sign in for `setup`; `connect` must not take
    // them for the app's values (the tenant, from AZURE_TENANT_ID, is the same).
    let connect = |secret: Option<&str>, extra: &[&str]| {
        let mut cmd = h.cmd();
        cmd.args(["connect", "--client-id", &app_id]).args(extra);
        if let Some(secret) = secret {
            cmd.env("AAD_SETUP_APP_CLIENT_SECRET", secret);
        }
        h.run(&mut cmd)
    };

    let missing = connect(None, &[]);
    missing.assert_code(2);
    for name in ["AAD_SETUP_APP_CLIENT_SECRET", "--app-secret-file"] {
        assert!(
            missing.stderr.contains(name),
            "names {name}: {}",
            missing.stderr
        );
    }

    let wrong = connect(Some("not-the-secret-value"), &[]);
    wrong.assert_code(3);
    assert!(wrong.stderr.contains("AADSTS7000215"), "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("use the secret's value, not its id"),
        "{}",
        wrong.stderr
    );

    let dry = connect(Some(&secret), &["--dry-run", "--output", "json"]);
    dry.assert_code(0);
    assert_eq!(dry.json()["status"], "dry-run");
    assert!(
        h.list("connections").is_empty(),
        "a failed check and a dry run make nothing"
    );

    let file = h.home.path().join("app-secret");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let made = connect(
        None,
        &[
            "--app-secret-file",
            file.to_str().unwrap(),
            "--output",
            "json",
        ],
    );
    made.assert_code(0);
    let out = made.json();
    assert_eq!(out["status"], "done");
    assert_eq!(out["clientId"], app_id.as_str());
    assert_eq!(out["connection"]["status"], "created");
    assert_eq!(
        out["verification"],
        json!({ "secretSignsIn": true, "connectionVisible": true })
    );
    h.assert_no_secret("stdout", &made.stdout);
    h.assert_no_secret("stderr", &made.stderr);
    let connections = h.list("connections");
    assert_eq!(connections.len(), 1);
    let params = connections[0]["params"].as_array().unwrap().clone();
    let param = |r: &str| {
        params
            .iter()
            .find(|p| p["referenceName"] == r)
            .unwrap()
            .clone()
    };
    assert_eq!(param("client-id")["value"], app_id.as_str());
    assert_eq!(param("tenant")["value"], h.creds.tenant_id.as_str());
    assert_eq!(
        param("client-secret")["matchesCredential"]["keyId"],
        key_id.as_str()
    );

    // The same values again converge: kept, checked, exit 0.
    let again = connect(Some(&secret), &["--output", "json"]);
    again.assert_code(0);
    assert_eq!(again.json()["connection"]["status"], "reused");
    assert_eq!(again.json()["connection"]["id"], connections[0]["id"]);
    assert_eq!(h.list("connections").len(), 1);

    // Different values need --replace.
    let other = connect(Some(&secret), &["--resource", "https://example.org"]);
    other.assert_code(2);
    assert!(other.stderr.contains("--replace"), "{}", other.stderr);
    assert_eq!(h.list("connections")[0]["id"], connections[0]["id"]);

    let replaced = connect(Some(&secret), &["--replace", "--output", "json"]);
    replaced.assert_code(0);
    let out = replaced.json();
    assert_eq!(out["connection"]["status"], "replaced");
    assert_eq!(out["connection"]["previousId"], connections[0]["id"]);
    let now = h.list("connections");
    assert_eq!(now.len(), 1, "the old connection was deleted");
    assert_ne!(now[0]["id"], connections[0]["id"]);
    assert_eq!(
        h.requests("POST", &h.graph_path("")),
        graph_writes,
        "connect never writes to Azure"
    );
}

/// `cmd`, started by a shell that turns the terminal's echo on first
/// (`command -p`: `cmd`'s PATH may be empty).
fn with_echo_on(cmd: Command) -> Command {
    let mut sh = Command::new("/bin/sh");
    sh.env_clear();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            sh.env(key, value);
        }
    }
    sh.arg("-c")
        .arg("command -p stty echo && exec \"$0\" \"$@\"")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    sh
}

/// The emulator's control plane: the "user" side of interactive flows.
fn control(h: &Harness, route: &str, body: Value) {
    let url = format!("{}/_emulator/{route}", h.emu.base_url());
    let status = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            crate::support::http_client()
                .post(url)
                .json(&body)
                .send()
                .await
        })
        .expect("the emulator answers")
        .status();
    assert!(status.is_success(), "{route}: {status}");
}

#[track_caller]
fn assert_mode_0600(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} is private", path.display());
}

#[test]
fn remove_at_a_terminal_asks_first_and_no_keeps_everything() {
    let h = Harness::new();
    h.setup(&[]).assert_code(0);
    let before = h.created();

    let mut p = wizard(&h, &["remove"]);
    p.expect("Removing, in Contoso (contoso.onmicrosoft.com), will:")
        .expect("delete the platform connection")
        .expect("delete the app registration")
        .answer("Remove these? [y/N]", "");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "a deliberate no: {screen}");
    assert!(
        screen.contains("Nothing changed: the removal was declined."),
        "{screen}"
    );
    assert!(
        screen.contains("  - delete the platform connection"),
        "{screen}"
    );
    assert_eq!(h.created(), before, "a plain Enter is no");

    let mut p = wizard(&h, &["remove"]);
    p.answer("Remove these? [y/N]", "y");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(h.our_apps().is_empty(), "{screen}");
    assert!(h.list("connections").is_empty(), "{screen}");
}

#[test]
fn the_wizard_signs_in_through_the_browser_when_chosen() {
    let h = Harness::new();
    let browser = h.fake_browser();
    let mut cmd = h.cmd();
    // No secret and no `az`: the menu starts at its top, the device code.
    cmd.env_remove("AZURE_CLIENT_SECRET").env("PATH", "");
    browser.on(&mut cmd);
    let mut p = Pty::spawn(cmd);
    p.expect("How do you want to sign in to Microsoft?")
        .expect("Browser: sign in as yourself in a browser on this machine")
        .expect("None: I'll do the Azure steps in the portal myself");
    p.session.send("j").unwrap();
    p.session.send_line("").unwrap();
    // Signing in as yourself: consent is decided first, since the sign-in
    // asks for the right to grant it only when it is wanted.
    p.answer(
        "Grant tenant-wide admin consent as part of this setup? [y/N]",
        "",
    );
    p.expect("Sign in to Microsoft in your browser");
    let url = browser.opened_url();
    assert_eq!(h.browse(&url).0, 200);
    p.expect("Signed in to Microsoft: user")
        .expect("(browser), tenant Contoso (contoso.onmicrosoft.com, id ")
        .expect("[3/7] Register the app")
        .accept_app_and_secret_defaults()
        // Answered before signing in: not asked again.
        .expect("as answered before signing in")
        .answer("Connection name [Azure Active Directory (aad-setup)]: ", "")
        .answer(
            "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
            "",
        );
    p.expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    h.assert_no_secret("the screen", &screen);
    assert_eq!(h.our_apps().len(), 1);
    assert_eq!(h.list("connections").len(), 1);
}

#[test]
fn signing_in_as_yourself_decides_consent_first_and_asks_for_its_scope() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.sign_in.device_code_interval_secs = 0;
    config.sign_in.device_auto_approve_after_polls = Some(0);
    let h = Harness::with(config);
    let mut cmd = h.cmd();
    // No secret and no `az`: the menu starts at its top, the device code.
    cmd.env_remove("AZURE_CLIENT_SECRET").env("PATH", "");
    let mut p = Pty::spawn(cmd);
    p.expect("How do you want to sign in to Microsoft?")
        .expect("None: I'll do the Azure steps in the portal myself");
    p.session.send_line("").unwrap();
    p.answer(
        "Grant tenant-wide admin consent as part of this setup? [y/N]",
        "y",
    )
    .expect(&h.creds.device_approval_url)
    // The directory is named, not only its id.
    .expect("(device-code), tenant Contoso (contoso.onmicrosoft.com, id ")
    .accept_app_and_secret_defaults()
    .expect("as answered before signing in")
    .answer("Connection name [Azure Active Directory (aad-setup)]: ", "")
    .answer(
        "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
        "",
    );
    p.expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    // The sign-in asked for the grant right, so the grant was made.
    let grants = h.list("oauth2PermissionGrants");
    assert_eq!(grants.len(), 1, "{screen}");
    assert_eq!(grants[0]["scope"], "Directory.ReadWrite.All");
}

/// The text without terminal escape sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_bad_value_given_by_flag_is_refused_before_any_sign_in_and_asked_again_at_its_step() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    // No tenant: the wizard asks for it, which holds it before the sign-in.
    cmd.env_remove("AZURE_TENANT_ID").args([
        "setup",
        "--auth",
        "client-secret",
        "--redirect-uri",
        "http://bad.example",
    ]);
    let mut p = Pty::spawn(cmd);
    let tenant_prompt = "Tenant (directory id or domain, e.g. contoso.onmicrosoft.com): ";
    p.expect("--redirect-uri: redirect URI 'http://bad.example' must use https")
        .expect("it is asked for again at its step")
        .expect(tenant_prompt);
    assert_eq!(
        h.request_log().len(),
        0,
        "nothing reached the emulator before the bad value was refused"
    );
    p.session.send_line(&h.creds.tenant_id).expect("typing");
    p.expect("Signed in to Microsoft")
        .answer("Name [workflow-activedirectory-integration]: ", "")
        // Asked, with the guide's value offered, not shown as given.
        .answer(
            "Redirect URI (type Web) [https://security.pushbot.com/oauth]: ",
            "https://example.com/fixed",
        )
        .answer("Description [pagerdutysecretkey]: ", "")
        .answer("Expires [24 months]: ", "")
        .answer("Grant tenant-wide admin consent now? [y/N]", "")
        .answer("Connection name [Azure Active Directory (aad-setup)]: ", "")
        .answer(
            "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
            "",
        )
        .expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("(from --redirect-uri)"), "{screen}");
    assert_eq!(
        h.our_apps()[0]["web"]["redirectUris"],
        json!(["https://example.com/fixed"])
    );
}

#[test]
fn a_bad_value_the_wizard_does_not_ask_for_ends_it_before_the_first_question() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.env("AAD_SETUP_LOGIN_URL", "http://login.example")
        .args(["setup"]);
    let (code, screen) = Pty::spawn(cmd).finish();
    assert_eq!(code, 2, "{screen}");
    assert!(screen.contains("AAD_SETUP_LOGIN_URL"), "{screen}");
    assert!(!screen.contains("How do you want to sign in"), "{screen}");
    assert_eq!(h.request_log().len(), 0);

    // With --no-input the same bad redirect URI is exit 2 at once.
    let mut cmd = h.cmd();
    cmd.args([
        "setup",
        "--no-input",
        "--redirect-uri",
        "http://bad.example",
    ]);
    let (code, screen) = Pty::spawn(cmd).finish();
    assert_eq!(code, 2, "{screen}");
    assert_eq!(h.request_log().len(), 0);
}

#[test]
fn a_declined_device_code_offers_another_try_which_can_succeed() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.sign_in.device_code_interval_secs = 1;
    let h = Harness::with(config);
    let mut cmd = h.cmd();
    cmd.env_remove("AZURE_CLIENT_SECRET")
        .args(["setup", "--auth", "device-code"]);
    let mut p = Pty::spawn(cmd);
    // Signing in as yourself: consent is decided first (once).
    p.answer(
        "Grant tenant-wide admin consent as part of this setup? [y/N]",
        "",
    );
    let code = |p: &mut Pty| {
        let (_, found) = p
            .session
            .exp_regex(r"enter the code [A-Z0-9-]+")
            .expect("a device code is shown");
        found.rsplit(' ').next().unwrap().to_owned()
    };
    let first = code(&mut p);
    assert!((200..300).contains(&h.control_post("device/decline", json!({ "user_code": first }))));
    p.expect("That did not sign in. What now?");
    assert_eq!(h.our_apps().len(), 0);
    // "Try again" is the default.
    p.session.send_line("").expect("choosing");
    let second = code(&mut p);
    assert_ne!(first, second, "a new code");
    assert!((200..300).contains(&h.control_post("device/approve", json!({ "user_code": second }))));
    p.expect("Signed in to Microsoft")
        .accept_app_and_secret_defaults()
        .answer("Connection name [Azure Active Directory (aad-setup)]: ", "")
        .answer(
            "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
            "",
        )
        .expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(h.our_apps().len(), 1);
}

#[test]
fn a_declined_device_code_can_end_the_run_with_nothing_changed() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.sign_in.device_code_interval_secs = 1;
    let h = Harness::with(config);
    let mut cmd = h.cmd();
    cmd.env_remove("AZURE_CLIENT_SECRET")
        .args(["setup", "--auth", "device-code"]);
    let mut p = Pty::spawn(cmd);
    p.answer(
        "Grant tenant-wide admin consent as part of this setup? [y/N]",
        "",
    );
    let (_, found) = p
        .session
        .exp_regex(r"enter the code [A-Z0-9-]+")
        .expect("a device code is shown");
    let code = found.rsplit(' ').next().unwrap().to_owned();
    assert!((200..300).contains(&h.control_post("device/decline", json!({ "user_code": code }))));
    p.expect("That did not sign in. What now?");
    // Down twice: "Stop here".
    p.session.send("\x1b[B\x1b[B").expect("moving");
    p.session.send_line("").expect("choosing");
    let (code, screen) = p.finish();
    assert_eq!(code, 3, "the sign-in's own failure: {screen}");
    assert_eq!(h.our_apps().len(), 0);
    assert_eq!(h.list("connections").len(), 0);
}

#[test]
fn a_platform_token_not_approved_in_time_can_be_asked_for_again() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    // platform-login's wait, from its variable: one second for the first.
    cmd.env_remove("CATALYTIC_TOKEN")
        .env("AAD_SETUP_WAIT", "1")
        .args(["--auth", "client-secret"]);
    let mut p = Pty::spawn(cmd);
    p.answer("Get a platform access token now? [Y/n]", "")
        .answer("Your platform team: ", "acme")
        .expect("was not approved")
        .expect("The token was not approved. What now?");
    assert!(!h.home.path().join(".catalytic/tokens/default").exists());
    p.session.send_line("").expect("asking again");
    p.expect("https://acme.pushbot.com/access-tokens/approve?userTokenID=");
    let (_, id) = p
        .session
        .exp_regex("[0-9a-fA-F-]{36}")
        .expect("the token's id in the address");
    control(&h, "platform/approve", json!({ "id": id }));
    p.expect("Saved the platform token");
    accept_defaults(&mut p);
    p.answer(
        "Make these changes in Contoso (contoso.onmicrosoft.com)? [Y/n]",
        "",
    )
    .expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(h.list("connections").len(), 1);
}

#[test]
fn without_a_platform_token_the_wizard_offers_the_azure_half_and_the_hand_off() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.env_remove("CATALYTIC_TOKEN")
        .args(["--auth", "client-secret"]);
    let mut p = Pty::spawn(cmd);
    p.answer("Get a platform access token now? [Y/n]", "n")
        .expect("Without a platform token, what now?");
    // The default: the Azure half now.
    p.session.send_line("").expect("choosing");
    p.accept_app_and_secret_defaults()
        .answer("Grant tenant-wide admin consent now? [y/N]", "");
    let file = h.home.path().join("handed-on-secret");
    p.answer(
        "Save the new client secret in (a new file, mode 0600) [aad-setup-client-secret]: ",
        &file.display().to_string(),
    )
    .answer("Make these changes? [Y/n]", "")
    .expect("aad-setup connect --client-id");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    h.assert_no_secret("the screen", &screen);

    assert_eq!(h.our_apps().len(), 1, "the Azure half is made");
    assert_eq!(
        h.list("connections").len(),
        0,
        "the platform is left to its Admin"
    );
    assert_mode_0600(&file);
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        h.emu.issued_secrets().contains(&saved.trim().to_owned()),
        "the file holds the app's new secret"
    );
}

#[test]
fn without_a_platform_token_the_wizard_can_stop_with_nothing_changed() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.env_remove("CATALYTIC_TOKEN")
        .args(["--auth", "client-secret"]);
    let mut p = Pty::spawn(cmd);
    p.answer("Get a platform access token now? [Y/n]", "n")
        .expect("Without a platform token, what now?");
    p.session.send("\x1b[B").expect("moving");
    p.session.send_line("").expect("choosing");
    let (code, screen) = p.finish();
    assert_eq!(code, 2, "{screen}");
    assert!(
        screen.contains("no platform access token was found"),
        "{screen}"
    );
    assert_eq!(h.our_apps().len(), 0);
}

/// What is left on a terminal after `text` was written to it: lines, with
/// the cursor moves and erasures the prompts use (a menu redrawn, an answer
/// rewritten) applied, and colours dropped.
fn screen_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.peek() != Some(&'[') {
                    chars.next();
                    continue;
                }
                chars.next();
                let mut param = String::new();
                let mut end = ' ';
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        end = c;
                        break;
                    }
                    param.push(c);
                }
                let n: usize = param.trim_start_matches('?').parse().unwrap_or(0);
                match end {
                    'A' => row = row.saturating_sub(n.max(1)),
                    'B' => row += n.max(1),
                    'G' => col = n.saturating_sub(1),
                    'K' if n == 2 => lines[row].clear(),
                    'K' => lines[row].truncate(col),
                    'J' => {
                        lines.truncate(row + 1);
                        lines[row].truncate(col);
                    }
                    _ => {}
                }
                while lines.len() <= row {
                    lines.push(String::new());
                }
            }
            '\r' => col = 0,
            '\n' => {
                row += 1;
                col = 0;
                if lines.len() <= row {
                    lines.push(String::new());
                }
            }
            c => {
                let line = &mut lines[row];
                let mut chars: Vec<char> = line.chars().collect();
                while chars.len() < col {
                    chars.push(' ');
                }
                if col < chars.len() {
                    chars[col] = c;
                } else {
                    chars.push(c);
                }
                *line = chars.into_iter().collect();
                col += 1;
            }
        }
    }
    lines
}

/// The wizard in a 100-column, 24-line terminal.
fn wizard_in_a_screen(h: &Harness, args: &[&str], vars: &[(&str, &str)]) -> Pty {
    let mut inner = h.cmd();
    inner.envs(vars.iter().copied());
    // The shell gets the harness's cleared environment and no more (a CI
    // runner's own CI=true would turn the wizard off).
    let mut cmd = Command::new("/bin/sh");
    cmd.env_clear();
    cmd.arg("-c")
        .arg("command -p stty cols 100 rows 24 && exec \"$0\" \"$@\"")
        .arg(inner.get_program())
        .args(inner.get_args())
        .args(args);
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    if let Some(dir) = inner.get_current_dir() {
        cmd.current_dir(dir);
    }
    Pty::spawn(cmd)
}

/// The default path (the client secret from AZURE_*, the platform token
/// from CATALYTIC_TOKEN, Enter at every question) up to the plan's
/// question; what the screen held before "The plan".
fn default_path_until_the_plan(h: &Harness, args: &[&str]) -> Vec<String> {
    let mut p = wizard_in_a_screen(h, args, &[]);
    p.expect("How do you want to sign in to Microsoft?")
        .expect("None: I'll do the Azure steps in the portal myself");
    p.session.send_line("").expect("Enter");
    accept_defaults(&mut p);
    p.expect("The plan for Contoso");
    let screen = screen_lines(&p.transcript);
    p.answer("Make these changes in Contoso", "n");
    let (code, rest) = p.finish();
    assert_eq!(code, 0, "a declined plan is not a failure: {rest}");
    let end = screen
        .iter()
        .position(|l| l.contains("The plan for Contoso"))
        .expect("the plan's heading");
    screen[..end].to_vec()
}

#[test]
fn the_default_path_fits_one_screen_before_the_plan() {
    let h = Harness::new();
    let before = default_path_until_the_plan(&h, &[]);
    let text = before.join("\n");
    // Rows on a 100-column terminal: a longer line takes more than one.
    let rows: usize = before
        .iter()
        .map(|l| l.chars().count().div_ceil(100).max(1))
        .sum();
    assert!(rows <= 24, "{rows} rows before the plan:\n{text}");
    assert!(
        text.contains("--explain"),
        "says how to get details:\n{text}"
    );
    assert!(!text.contains("Azure portal:"), "{text}");
    assert!(
        text.contains("[7/7] Create the platform connection"),
        "{text}"
    );
    assert!(h.our_apps().is_empty(), "a declined plan changes nothing");
}

#[test]
fn explain_shows_what_each_step_does_and_where_it_lives() {
    for how in ["flag", "variable"] {
        let h = Harness::new();
        let args: &[&str] = if how == "flag" { &["--explain"] } else { &[] };
        let vars: &[(&str, &str)] = if how == "variable" {
            &[("AAD_SETUP_EXPLAIN", "1")]
        } else {
            &[]
        };
        let mut p = wizard_in_a_screen(&h, args, vars);
        p.expect("How do you want to sign in to Microsoft?")
            .expect("None: I'll do the Azure steps in the portal myself");
        p.session.send_line("").expect("Enter");
        accept_defaults(&mut p);
        p.expect("The plan for Contoso");
        let screen = strip_ansi(&p.transcript);
        for place in [
            "Azure portal: https://portal.azure.com",
            "Azure portal: Microsoft Entra ID > App registrations > New registration",
            "Azure portal: the app > Certificates & secrets > Client secrets > New client secret",
            "Platform: Admin > Integrations > Azure Active Directory > Add this Connection",
        ] {
            assert!(screen.contains(place), "{how}: {place}\n{screen}");
        }
        assert!(
            screen.contains("Dynamics CRM no longer offers"),
            "{how}: {screen}"
        );
        assert!(!screen.contains("(--explain says"), "{how}: {screen}");
        p.answer("Make these changes in Contoso", "n");
        p.finish();
    }
}

#[test]
fn the_resource_of_another_api_is_offered_as_derived_from_its_service_principal() {
    let h = Harness::new();
    let mut p = wizard(
        &h,
        &[
            "--auth",
            "client-secret",
            "--api",
            "Dynamics CRM",
            "--permission",
            "user_impersonation",
        ],
    );
    accept_defaults(&mut p);
    // Dynamics' principal names no App ID URL: its appId is the v1 resource,
    // offered so that Enter takes it.
    p.answer(
        "Resource (the App ID URI of Dynamics CRM) [00000007-0000-0000-c000-000000000000]: ",
        "",
    );
    p.answer("Make these changes in Contoso", "");
    p.expect("Azure Active Directory integration is set up.");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    let connections = h.list("connections");
    assert_eq!(connections.len(), 1);
    assert!(
        connections[0]
            .to_string()
            .contains("\"00000007-0000-0000-c000-000000000000\""),
        "the connection's Resource is the derived one: {connections:?}"
    );
}

#[test]
fn the_wizard_offers_to_renew_a_secret_near_expiry_and_asks_within_the_policys_limit() {
    let h = Harness::with(aad_setup_emulator::EmulatorConfig {
        max_secret_lifetime_days: Some(90),
        ..aad_setup_emulator::EmulatorConfig::default()
    });
    h.setup(&["--secret-expiry", "10d"]).assert_code(0);
    let old_key = h.our_apps()[0]["passwordCredentials"][0]["keyId"].clone();
    // Signed in as an identity that may read the tenant's policy.
    let token = h
        .emu
        .mint_graph_token(aad_setup_emulator::TokenKind::App(vec![
            "Application.ReadWrite.All".into(),
            "Policy.Read.All".into(),
        ]));
    let file = h.write_file("graph-token", &token);
    let mut cmd = h.cmd();
    cmd.env_remove("AZURE_CLIENT_SECRET")
        .env("AAD_SETUP_GRAPH_TOKEN_FILE", &file)
        .args(["--auth", "token"]);
    let mut p = Pty::spawn(cmd);
    p.expect("[3/7] Register the app")
        .accept_app_and_secret_defaults()
        .expect("The client secret \"pagerdutysecretkey\" expires ")
        .answer(
            "Make a new one now (and a new connection holding it)? [Y/n]",
            "",
        )
        .expect("The tenant's policy caps client secrets at 90 days.")
        // Beyond the policy: asked again, then within it.
        .answer("Expires [90d]: ", "6mo")
        .expect("at most 90 days")
        .answer("Expires [90d]: ", "")
        .answer("Connection name [Azure Active Directory (aad-setup)]: ", "")
        .expect("replace the platform connection")
        .answer("[y/N]", "y");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    let creds = h.our_apps()[0]["passwordCredentials"].clone();
    let creds = creds.as_array().unwrap();
    assert_eq!(creds.len(), 1, "the old secret went with its connection");
    assert_ne!(creds[0]["keyId"], old_key, "renewed");
    let at = |key: &str| -> jiff::Timestamp { creds[0][key].as_str().unwrap().parse().unwrap() };
    let days = at("endDateTime")
        .duration_since(at("startDateTime"))
        .as_secs()
        / 86_400;
    assert!((89..=90).contains(&days), "{days} days");
    assert_eq!(h.list("connections").len(), 1);
    h.assert_no_secret("the screen", &screen);
}
