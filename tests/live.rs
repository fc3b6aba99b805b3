//! The live suite: the real binary against a real test tenant and platform
//! team, the way the Terraform azuread provider runs its acceptance tests
//! (issue 19; README "The live suite").
//!
//! `cargo test --test live` skips, with a one-line reason, unless
//! `AAD_SETUP_LIVE_TENANT`, `AAD_SETUP_LIVE_CLIENT_ID`,
//! `AAD_SETUP_LIVE_CLIENT_SECRET` and `AAD_SETUP_LIVE_PLATFORM_TOKEN` name a
//! test tenant, an identity in it (app-only: Application.ReadWrite.OwnedBy
//! at least) and a platform team (a team Admin's token). Optional:
//! `AAD_SETUP_LIVE_CLOUD` (`public`, …), `AAD_SETUP_LIVE_PLATFORM_URL`, and
//! for a rehearsal against `aad-setup emulator`, `AAD_SETUP_LIVE_LOGIN_URL`
//! and `AAD_SETUP_LIVE_GRAPH_URL`.
//!
//! With them it runs `setup`, the same `setup` again (nothing to change),
//! `status`, `rotate`, `status` again and `remove`, each checked by its exit
//! code and JSON. Everything it makes is named `aad-setup-live-<run id>` (the
//! app, its service principal, the platform connection; the app also carries
//! aad-setup's own tag), so a sweeper can find what a killed run left; and
//! whatever happens, it removes what it made before it exits. Its last line
//! says, with the date, what it proved.
//!
//! A plain `main` (`harness = false`), so that the skip and the result are
//! printed whatever the capture settings.

use std::io::Write as _;
use std::process::{Command, Stdio};

const REQUIRED: [&str; 4] = [
    "AAD_SETUP_LIVE_TENANT",
    "AAD_SETUP_LIVE_CLIENT_ID",
    "AAD_SETUP_LIVE_CLIENT_SECRET",
    "AAD_SETUP_LIVE_PLATFORM_TOKEN",
];

/// The prefix of everything a live run makes (what a sweeper looks for).
const PREFIX: &str = "aad-setup-live-";

struct Live {
    tenant: String,
    client_id: String,
    client_secret: String,
    platform_token: String,
    cloud: Option<String>,
    platform_url: Option<String>,
    name: String,
    state: tempfile::TempDir,
}

fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "live: {line}");
}

fn main() {
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|v| std::env::var(v).map_or(true, |s| s.trim().is_empty()))
        .collect();
    if !missing.is_empty() {
        say(&format!(
            "skipped: {} not set (a test tenant, an identity and a platform team; README \"The live suite\")",
            missing.join(", ")
        ));
        return;
    }
    let var = |v: &str| std::env::var(v).unwrap_or_default().trim().to_owned();
    let opt = |v: &str| Some(var(v)).filter(|s| !s.is_empty());
    let run_id = format!(
        "{}-{:08x}",
        jiff::Timestamp::now().strftime("%Y%m%d%H%M%S"),
        rand::random::<u32>()
    );
    let live = Live {
        tenant: var("AAD_SETUP_LIVE_TENANT"),
        client_id: var("AAD_SETUP_LIVE_CLIENT_ID"),
        client_secret: var("AAD_SETUP_LIVE_CLIENT_SECRET"),
        platform_token: var("AAD_SETUP_LIVE_PLATFORM_TOKEN"),
        cloud: opt("AAD_SETUP_LIVE_CLOUD"),
        platform_url: opt("AAD_SETUP_LIVE_PLATFORM_URL"),
        name: format!("{PREFIX}{run_id}"),
        state: tempfile::tempdir().expect("a state folder"),
    };
    say(&format!(
        "run {}: everything it makes is named {}",
        run_id, live.name
    ));
    // Steps panic on failure; the cleanup runs either way, then the
    // failure is reported.
    let steps = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| live.steps()));
    let cleaned = live.clean_up();
    match (steps, cleaned) {
        (Ok(proved), Ok(())) => say(&format!(
            "{} ok: {} in tenant {} ({} cloud); everything made was removed",
            jiff::Timestamp::now().strftime("%Y-%m-%d"),
            proved.join(", "),
            live.tenant,
            live.cloud.as_deref().unwrap_or("public"),
        )),
        (Ok(_), Err(e)) => {
            say(&format!(
                "FAILED cleaning up: {e}; look for {PREFIX}* leftovers"
            ));
            std::process::exit(1);
        }
        (Err(_), cleaned) => {
            if let Err(e) = cleaned {
                say(&format!(
                    "cleanup failed too: {e}; look for {PREFIX}* leftovers"
                ));
            }
            say("FAILED (the step's message is above)");
            std::process::exit(1);
        }
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Live {
    fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aad-setup"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.state.path())
            .env("AAD_SETUP_STATE_DIR", self.state.path().join("state"))
            .env("NO_COLOR", "1")
            .env("AZURE_TENANT_ID", &self.tenant)
            .env("AZURE_CLIENT_ID", &self.client_id)
            .env("AZURE_CLIENT_SECRET", &self.client_secret)
            .env("CATALYTIC_TOKEN", &self.platform_token)
            .env("AAD_SETUP_APP_NAME", &self.name)
            .env("AAD_SETUP_CONNECTION_NAME", &self.name)
            .stdin(Stdio::null());
        if let Some(cloud) = &self.cloud {
            cmd.env("AAD_SETUP_CLOUD", cloud);
        }
        if let Some(url) = &self.platform_url {
            cmd.env("AAD_SETUP_PLATFORM_URL", url);
        }
        // A rehearsal against `aad-setup emulator` (README "The live suite").
        for (from, to) in [
            ("AAD_SETUP_LIVE_LOGIN_URL", "AAD_SETUP_LOGIN_URL"),
            ("AAD_SETUP_LIVE_GRAPH_URL", "AAD_SETUP_GRAPH_URL"),
        ] {
            if let Some(url) = std::env::var_os(from).filter(|v| !v.is_empty()) {
                cmd.env(to, url);
            }
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = self
            .cmd()
            .args(args)
            .args(["--output", "json"])
            .output()
            .expect("the binary runs");
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        // Nothing a run prints may hold the identity's secret or the token.
        for secret in [&self.client_secret, &self.platform_token] {
            assert!(
                !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                "{args:?} printed a secret"
            );
        }
        run
    }

    /// One step: the exit code it must end with; its JSON.
    fn step(&self, what: &str, args: &[&str], code: i32) -> serde_json::Value {
        say(&format!("{what}: aad-setup {}", args.join(" ")));
        let run = self.run(args);
        assert_eq!(
            run.code, code,
            "{what}: exit {} (wanted {code})\n--- stdout\n{}\n--- stderr\n{}",
            run.code, run.stdout, run.stderr
        );
        serde_json::from_str(&run.stdout).unwrap_or(serde_json::Value::Null)
    }

    /// The whole life; returns what it proved.
    fn steps(&self) -> Vec<&'static str> {
        let first = self.step("setup", &["setup"], 0);
        let app = &first["app"];
        assert_eq!(app["displayName"], self.name.as_str(), "{first}");
        assert_eq!(app["action"], "created", "{first}");
        let again = self.step("re-run", &["setup"], 0);
        assert_eq!(again["app"]["action"], "reused", "{again}");
        self.step("status", &["status"], 0);
        self.step("rotate", &["rotate"], 0);
        self.step("status after rotate", &["status"], 0);
        self.step("remove", &["remove", "--yes"], 0);
        vec!["setup", "re-run", "status", "rotate", "status", "remove"]
    }

    /// Removes what the run made, whatever state it is in: `remove` (the
    /// app and the connection), else the app alone; then checks that
    /// `status` finds no app of this run's name.
    fn clean_up(&self) -> Result<(), String> {
        let full = self.run(&["remove", "--yes"]);
        if full.code != 0 {
            let azure = self.run(&["remove", "--yes", "--azure-only"]);
            if azure.code != 0 {
                return Err(format!(
                    "remove exited {}, remove --azure-only {}: {}",
                    full.code, azure.code, azure.stderr
                ));
            }
        }
        // A fresh state folder: status finds the app by name only.
        let fresh = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = self
            .cmd()
            .env("AAD_SETUP_STATE_DIR", fresh.path())
            .args(["status", "--output", "json"])
            .output()
            .map_err(|e| e.to_string())?;
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let app_left = doc["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["code"] == "app-registration" && c["ok"] == true);
        if app_left {
            return Err(format!("an app named {} is still there", self.name));
        }
        Ok(())
    }
}
