//! The interactive wizard, driven in a real pseudo-terminal (rexpect): what
//! the admin sees and answers, what ends up in the emulator, and that the
//! terminal is left as it was found.

use std::process::{Command, Stdio};

use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession, spawn_with_options};
use serde_json::{Value, json};

use crate::support::*;

/// Per expectation. The debug binary answers in milliseconds; this is
/// room for a loaded machine, not a pause.
const TIMEOUT_MS: u64 = 8_000;

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

    fn ctrl_c(&mut self) {
        self.session.send_control('c').expect("Ctrl-C");
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
            other => panic!("the wizard did not exit normally: {other:?}\n{}", self.transcript),
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
    p.answer("Name [workflow-activedirectory-integration]: ", "")
        .answer(
            "Redirect URI (type Web) [https://security.pushbot.com/oauth]: ",
            "",
        )
        .answer("Description [pagerdutysecretkey]: ", "")
        .answer("Expires [24 months]: ", "")
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
                "tags": a["tags"],
                "web": a["web"],
                "requiredResourceAccess": a["requiredResourceAccess"],
                "secrets": a["passwordCredentials"].as_array().unwrap().iter().map(|c| json!({
                    "displayName": c["displayName"],
                    // The day it expires: the runs are seconds apart.
                    "expires": c["endDateTime"].as_str().unwrap()[..10].to_owned(),
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
    p.expect("The plan (nothing has been changed yet):")
        .expect("create the app registration \"workflow-activedirectory-integration\"")
        .expect("create the platform connection \"Azure Active Directory (aad-setup)\"");
    assert!(
        h.our_apps().is_empty() && h.list("connections").is_empty(),
        "nothing exists while the plan is shown"
    );
    p.answer("Make these changes? [Y/n]", "");
    p.expect("App registration: workflow-activedirectory-integration (created)")
        .expect("Client secret: \"pagerdutysecretkey\" created")
        .expect("Platform connection: \"Azure Active Directory (aad-setup)\" created")
        .expect("Verified: the new secret signs in")
        .expect("Azure Active Directory integration is set up.")
        .expect("Client ID")
        .expect("Admin > Integrations");
    let (code, screen) = p.finish();
    std::fs::write("/tmp/wizard-screen.txt", &screen).unwrap();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("connection permissions are set only there"), "{screen}");
    h.assert_no_secret("the screen", &screen);

    let flags = Harness::new();
    flags.setup(&[]).assert_code(0);
    assert_eq!(outcome(&h), outcome(&flags));
    assert_eq!(h.our_apps().len(), 1);
    assert_eq!(h.list("connections").len(), 1);
}
