//! Many targets from one file: `setup`, `status`, `matrix` and `setup
//! --save` over a fleet file whose targets live in two tenants and three
//! platform teams (three emulators: tenants A and B, teams one, two and
//! three), with each emulator's state and request log read afterwards.

use std::path::PathBuf;
use std::process::Command;

use aad_setup_emulator::{EmulatorConfig, PlatformConfig};
use serde_json::Value;

use crate::support::*;

const FLEET: &str = include_str!("../../src/schema/fleet.json");
const MATRIX: &str = include_str!("../../src/schema/matrix.json");
const RUN: &str = include_str!("../../src/schema/run.json");
const STATUS: &str = include_str!("../../src/schema/status.json");
const ERROR: &str = include_str!("../../src/schema/error.json");

/// Three worlds: `one` holds tenant A and team one, `two` tenant B and
/// team two, `three` team three (its tenant is not used).
struct Fleet {
    worlds: Vec<Harness>,
}

impl Fleet {
    fn new() -> Fleet {
        let worlds = ["one", "two", "three"]
            .into_iter()
            .map(|team| {
                Harness::with(EmulatorConfig {
                    platform: PlatformConfig {
                        team: format!("{team}.pushbot.com"),
                        ..PlatformConfig::default()
                    },
                    ..EmulatorConfig::default()
                })
            })
            .collect();
        Fleet { worlds }
    }

    /// A target in the tenant of world `tenant` and the team of world `team`.
    fn target(&self, name: &str, tenant: usize, team: usize, token_var: &str) -> String {
        let t = &self.worlds[tenant];
        let p = &self.worlds[team];
        format!(
            "[[target]]\nname = \"{name}\"\ntenant = \"{}\"\nclient-id = \"{}\"\nclient-secret-env = \"SECRET_{tenant}\"\nlogin-url = \"{}\"\ngraph-url = \"{}\"\nplatform-url = \"{}\"\nplatform-token-env = \"{token_var}\"\napp-name = \"workflow-aad-{name}\"\nconnection-name = \"Azure AD ({name})\"\n\n",
            t.creds.tenant_id,
            t.creds.admin_client_id,
            t.emu.login_url(),
            t.emu.graph_url(),
            p.emu.platform_url(),
        )
    }

    /// The file of the done-when: two tenants, three teams, four targets.
    fn file(&self) -> String {
        "# two tenants, three teams\n[defaults]\nsecret-expiry = \"12mo\"\n\n".to_owned()
            + &self.target("a-one", 0, 0, "TOKEN_0")
            + &self.target("a-two", 0, 1, "TOKEN_1")
            + &self.target("b-two", 1, 1, "TOKEN_1")
            + &self.target("b-three", 1, 2, "TOKEN_2")
    }

    fn write(&self, text: &str) -> PathBuf {
        self.worlds[0].write_file("aad-setup.toml", text)
    }

    /// The binary with each tenant's admin secret and each team's token
    /// in the variables the file names, and nothing else.
    fn cmd(&self) -> Command {
        let mut cmd = self.worlds[0].bare_cmd();
        for (i, w) in self.worlds.iter().enumerate() {
            cmd.env(format!("SECRET_{i}"), &w.creds.admin_client_secret)
                .env(format!("TOKEN_{i}"), &w.creds.platform_admin_token);
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        self.worlds[0].run(self.cmd().args(args))
    }

    /// Writes (not sign-ins) each world's emulator has served.
    fn writes(&self) -> Vec<String> {
        self.worlds
            .iter()
            .flat_map(|w| w.request_log())
            .filter(|r| {
                let method = r["method"].as_str().unwrap_or("");
                let path = r["path"].as_str().unwrap_or("");
                method != "GET" && !path.contains("/oauth2/")
            })
            .map(|r| format!("{} {}", r["method"], r["path"]))
            .collect()
    }

    /// The apps the file's targets made in a world's tenant, by name.
    fn apps(&self, world: usize) -> Vec<String> {
        let mut names: Vec<String> = self.worlds[world]
            .list("applications")
            .iter()
            .filter_map(|a| a["displayName"].as_str())
            .filter(|n| n.starts_with("workflow-aad-"))
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    }

    /// Graph tokens world `w`'s tenant issued to its admin identity: how
    /// many times the admin signed in.
    fn admin_sign_ins(&self, w: usize) -> usize {
        use base64::Engine as _;
        let admin = &self.worlds[w].creds.admin_client_id;
        self.worlds[w]
            .emu
            .issued_secrets()
            .iter()
            .filter_map(|t| t.split('.').nth(1))
            .filter_map(|p| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            })
            .filter_map(|b| serde_json::from_slice::<Value>(&b).ok())
            .filter(|c| c["appid"].as_str() == Some(admin.as_str()))
            .count()
    }

    fn connections(&self, world: usize) -> Vec<Value> {
        self.worlds[world].list("connections")
    }
}

fn result<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no result for {name} in {doc}"))
}

fn secrets_of(f: &Fleet) -> Vec<String> {
    f.worlds.iter().flat_map(Harness::secrets).collect()
}

#[test]
fn a_file_of_two_tenants_and_three_teams_is_applied_then_changes_nothing() {
    let f = Fleet::new();
    let path = f.write(&f.file());
    let file = path.to_str().expect("utf-8");

    let plan = f.run(&["setup", "--file", file, "--dry-run", "-o", "json"]);
    plan.assert_code(0);
    // One sign-in per tenant and identity, shared by its two targets.
    assert_eq!((f.admin_sign_ins(0), f.admin_sign_ins(1)), (1, 1));
    let doc = plan.json();
    assert_matches(FLEET, &doc, &plan.stderr);
    assert_eq!(doc["dryRun"], true);
    assert_eq!(doc["summary"]["changed"], 4, "{doc}");
    assert!(
        f.writes().is_empty(),
        "a plan writes nothing: {:?}",
        f.writes()
    );

    let apply = f.run(&["setup", "--file", file, "-o", "json", "--jobs", "3"]);
    apply.assert_code(0);
    assert_eq!((f.admin_sign_ins(0), f.admin_sign_ins(1)), (2, 2));
    let doc = apply.json();
    assert_matches(FLEET, &doc, &apply.stderr);
    assert_eq!(doc["summary"]["targets"], 4);
    assert_eq!(doc["summary"]["succeeded"], 4);
    for name in ["a-one", "a-two", "b-two", "b-three"] {
        let r = result(&doc, name);
        assert_eq!(r["exitCode"], 0, "{r}");
        assert_matches(RUN, &r["result"], &apply.stderr);
        assert_eq!(r["result"]["status"], "done");
    }
    // Tenant A holds two apps, tenant B two; teams one, two and three
    // hold one, two and one connections.
    assert_eq!(f.apps(0), ["workflow-aad-a-one", "workflow-aad-a-two"]);
    assert_eq!(f.apps(1), ["workflow-aad-b-three", "workflow-aad-b-two"]);
    assert_eq!(f.connections(0).len(), 1);
    assert_eq!(f.connections(1).len(), 2);
    assert_eq!(f.connections(2).len(), 1);
    for text in [&apply.stdout, &apply.stderr, &plan.stdout, &plan.stderr] {
        for secret in secrets_of(&f) {
            assert!(!text.contains(&secret), "a secret is in the output");
        }
    }

    let before = f.writes().len();
    let again = f.run(&["setup", "--file", file, "-o", "json"]);
    again.assert_code(0);
    let doc = again.json();
    assert_eq!(doc["summary"]["changed"], 0, "{doc}");
    let writes = f.writes();
    assert_eq!(
        writes.len(),
        before,
        "the second run writes nothing: {:?}",
        &writes[before..]
    );

    // The drift check: all as written, then one connection deleted.
    let status = f.run(&["status", "--file", file, "-o", "json"]);
    status.assert_code(0);
    for t in status.json()["targets"].as_array().expect("targets") {
        assert_matches(STATUS, &t["result"], &status.stderr);
    }
    let gone = f
        .connections(1)
        .into_iter()
        .find(|c| c["name"].is_string())
        .expect("a connection");
    f.worlds[1].platform_delete_connection(gone["id"].as_str().expect("id"));
    let drift = f.run(&["status", "--file", file, "-o", "json"]);
    drift.assert_code(6);
    let doc = drift.json();
    assert_matches(FLEET, &doc, &drift.stderr);
    assert_eq!(doc["status"], "needs-attention");
    assert_eq!(doc["summary"]["needsAttention"], 1, "{doc}");
    let named: Vec<&str> = doc["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter(|t| t["exitCode"] == 6)
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(named.len(), 1, "{doc}");
    assert!(drift.stderr.contains(named[0]), "{}", drift.stderr);
    assert!(
        result(&doc, named[0])["status"]
            .as_str()
            .is_some_and(|s| s.contains("platform-connection")),
        "{doc}"
    );

    // The human table at once: one line per target and the summary.
    let table = f.run(&["status", "-f", file, "--target", named[0]]);
    table.assert_code(6);
    assert!(table.stdout.starts_with("TARGET"), "{}", table.stdout);
    assert_eq!(
        table
            .stdout
            .lines()
            .filter(|l| l.contains(named[0]))
            .count(),
        1
    );
}

#[test]
fn a_refused_team_token_fails_its_target_only() {
    let f = Fleet::new();
    let path = f.write(&(f.file() + &f.target("b-refused", 1, 2, "FORGED")));
    let file = path.to_str().expect("utf-8");
    let mut cmd = f.cmd();
    use base64::Engine as _;
    let forged = base64::engine::general_purpose::STANDARD
        .encode("9c1d6c0e-0000-4000-8000-000000000000:wrong:three.pushbot.com:v1");
    cmd.env("FORGED", &forged)
        .args(["setup", "--file", file, "-o", "json"]);
    let run = f.worlds[0].run(&mut cmd);
    let doc = run.json();
    assert_matches(FLEET, &doc, &run.stderr);
    let refused = result(&doc, "b-refused");
    let code = refused["exitCode"].as_i64().expect("a code");
    assert!(![0, 2, 6].contains(&code), "{refused}");
    assert_eq!(run.code as i64, code, "the worst target's code");
    assert_matches(ERROR, &refused["result"], &run.stderr);
    assert_eq!(refused["result"]["error"]["exitCode"], code);
    for name in ["a-one", "a-two", "b-two", "b-three"] {
        assert_eq!(result(&doc, name)["exitCode"], 0, "{doc}");
    }
    assert_eq!(doc["summary"]["failed"], 1);
    assert_eq!(doc["summary"]["succeeded"], 4);
    assert!(run.stderr.contains("b-refused"), "{}", run.stderr);
    assert!(!run.stdout.contains(&forged) && !run.stderr.contains(&forged));
}

#[test]
fn matrix_lists_every_target_and_target_picks_some() {
    let f = Fleet::new();
    let path = f.write(&f.file());
    let file = path.to_str().expect("utf-8");
    let run = f.run(&["matrix", "--file", file]);
    run.assert_code(0);
    let doc = run.json();
    // Exactly the matrix GitHub reads: no envelope (another top-level key
    // would be another dimension of the matrix).
    let schema: Value = serde_json::from_str(MATRIX).expect("JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("compiles");
    assert!(validator.is_valid(&doc), "{doc}");
    assert_eq!(
        doc,
        serde_json::json!({"include": [
            {"target": "a-one"}, {"target": "a-two"}, {"target": "b-two"}, {"target": "b-three"}
        ]})
    );
    let one = f.run(&["setup", "--file", file, "--target", "b-three", "-o", "json"]);
    one.assert_code(0);
    assert_eq!(one.json()["summary"]["targets"], 1, "{}", one.stdout);
    assert_eq!(f.connections(2).len(), 1);
    assert!(f.connections(0).is_empty() && f.connections(1).is_empty());
    // A secret handed on must reach someone: one file takes one target,
    // and the secrets shown are in the JSON document only.
    let one_file = f.run(&["setup", "--file", file, "--secret-file", "s.txt"]);
    one_file.assert_code(2);
    assert!(
        one_file.stderr.contains("choose one target"),
        "{}",
        one_file.stderr
    );
    let shown = f.run(&["setup", "--file", file, "--show-secret"]);
    shown.assert_code(2);
    assert!(shown.stderr.contains("--output json"), "{}", shown.stderr);
    assert!(
        f.connections(0).is_empty() && f.connections(1).is_empty(),
        "the refused runs changed nothing"
    );
    // Without a file, --target is refused, not ignored.
    let alone = f.run(&["status", "--target", "b-three"]);
    alone.assert_code(2);
    assert!(alone.stderr.contains("--file"), "{}", alone.stderr);
    let unknown = f.run(&["setup", "--file", file, "--target", "nope"]);
    unknown.assert_code(2);
    assert!(
        unknown.stderr.contains("a-one, a-two, b-two, b-three"),
        "{}",
        unknown.stderr
    );
    // AAD_SETUP_FILE stands in for --file.
    let by_var = f.worlds[0].run(f.cmd().env("AAD_SETUP_FILE", file).args(["matrix"]));
    by_var.assert_code(0);
    assert_eq!(by_var.json(), doc);
}

#[test]
fn a_bad_file_or_a_secrets_value_is_refused_before_anything_signs_in() {
    let f = Fleet::new();
    let good = f.file();
    let token = f.worlds[0].creds.platform_admin_token.clone();
    let cases = [
        (
            good.replace("secret-expiry = \"12mo\"", "secret-expiry = \"soon\""),
            "--secret-expiry",
        ),
        (
            good.replace("app-name", "app_name"),
            "unknown key `app_name`",
        ),
        (
            good.replacen(
                "platform-token-env = \"TOKEN_0\"",
                &format!("platform-token-file = \"{token}\""),
                1,
            ),
            "secret",
        ),
        (
            good.replacen(
                "platform-token-env = \"TOKEN_0\"",
                &format!("platform-token-env = \"{token}\""),
                1,
            ),
            "secret",
        ),
        (
            good.replacen("TOKEN_0", "UNSET_TOKEN", 1),
            "UNSET_TOKEN, which is not set",
        ),
    ];
    for (text, said) in cases {
        let path = f.write(&text);
        let run = f.run(&[
            "setup",
            "--file",
            path.to_str().expect("utf-8"),
            "-o",
            "json",
        ]);
        run.assert_code(2);
        assert!(run.stderr.contains(said), "{said}: {}", run.stderr);
        assert!(
            run.stderr.contains("aad-setup.toml:"),
            "the line: {}",
            run.stderr
        );
        assert!(!run.stderr.contains(&token) && !run.stdout.contains(&token));
        assert_matches(ERROR, &run.json(), &run.stderr);
        assert!(
            f.worlds.iter().all(|w| w.request_log().is_empty()),
            "nothing was signed in to"
        );
    }
}

#[test]
fn setup_save_then_setup_file_changes_nothing() {
    let h = Harness::new();
    let path = h.home.path().join("aad-setup.toml");
    std::fs::write(&path, "# ours\n").expect("write");
    let file = path.to_str().expect("utf-8");
    h.setup(&["--save", file]).assert_code(0);
    let text = std::fs::read_to_string(&path).expect("saved");
    assert!(text.starts_with("# ours\n"), "{text}");
    assert!(
        text.contains("platform-token-env = \"CATALYTIC_TOKEN\""),
        "{text}"
    );
    assert!(
        text.contains("client-secret-env = \"AZURE_CLIENT_SECRET\""),
        "{text}"
    );
    for secret in h.secrets() {
        assert!(!text.contains(&secret), "a secret was saved");
    }
    let before = h.request_log().len();
    let again = h.run(h.cmd().args(["setup", "--file", file, "-o", "json"]));
    again.assert_code(0);
    assert_eq!(again.json()["summary"]["changed"], 0, "{}", again.stdout);
    let writes: Vec<String> = h.request_log()[before..]
        .iter()
        .filter(|r| r["method"] != "GET" && !r["path"].as_str().unwrap_or("").contains("/oauth2/"))
        .map(|r| format!("{} {}", r["method"], r["path"]))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    // Saved again: the same target is updated, not added.
    h.setup(&["--save", file]).assert_code(0);
    let text = std::fs::read_to_string(&path).expect("saved");
    assert_eq!(text.matches("[[target]]").count(), 1, "{text}");
}

#[test]
fn demo_fleet_plans_applies_and_finds_the_drift_in_one_emulator_fleet() {
    let h = Harness::new();
    let run = h.run(h.bare_cmd().args(["demo", "--fleet", "--no-faults"]));
    run.assert_code(0);
    // Five tables: plan, apply, again, drift, repair, drift again.
    assert_eq!(run.stdout.matches("TARGET ").count(), 6, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("setup (dry run): 12 targets, 12 succeeded"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("0 failed, 0 changed"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("tenant1-team2  6     needs attention: platform-connection"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("1 of 12 targets need attention: tenant1-team2 (exit 6)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("12 app registration(s) in 3 tenants, 12 platform connection(s) in 4 teams"),
        "{}",
        run.stderr
    );
    assert!(
        h.request_log().is_empty(),
        "the harness's emulator was not used"
    );
}

#[test]
fn rotate_and_remove_run_over_the_file_too() {
    let f = Fleet::new();
    let path = f.write(&f.file());
    let file = path.to_str().expect("utf-8");
    f.run(&["setup", "--file", file]).assert_code(0);
    let secrets_before: Vec<String> = f.worlds[..2]
        .iter()
        .flat_map(|w| w.list("applications"))
        .filter(|a| {
            a["displayName"]
                .as_str()
                .is_some_and(|n| n.starts_with("workflow-aad-"))
        })
        .flat_map(|a| {
            a["passwordCredentials"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| c["keyId"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(secrets_before.len(), 4);

    let rotate = f.run(&["rotate", "--file", file, "-o", "json", "--target", "a-two"]);
    rotate.assert_code(0);
    let doc = rotate.json();
    assert_matches(FLEET, &doc, &rotate.stderr);
    assert_eq!(doc["command"], "rotate");
    assert_matches(RUN, &result(&doc, "a-two")["result"], &rotate.stderr);
    assert_eq!(
        result(&doc, "a-two")["result"]["secret"]["action"],
        "created"
    );

    // Without --yes every target refuses on its own (exit 2), and nothing goes.
    let refused = f.run(&["remove", "--file", file, "-o", "json"]);
    refused.assert_code(2);
    assert_eq!(refused.json()["summary"]["failed"], 4);
    assert_eq!(f.connections(1).len(), 2);

    let remove = f.run(&["remove", "--file", file, "--yes", "-o", "json"]);
    remove.assert_code(0);
    assert_matches(FLEET, &remove.json(), &remove.stderr);
    assert!(f.apps(0).is_empty() && f.apps(1).is_empty());
    assert!((0..3).all(|w| f.connections(w).is_empty()));
}

#[test]
fn the_fleet_schemas_ship_in_the_binary() {
    let h = Harness::new();
    for (name, text) in [
        ("fleet", FLEET),
        ("matrix", MATRIX),
        ("file", include_str!("../../src/schema/file.json")),
    ] {
        let run = h.run(h.bare_cmd().args(["schema", name]));
        run.assert_code(0);
        assert_eq!(run.stdout.trim_end(), text.trim_end(), "{name}");
    }
}

#[test]
fn a_429_holds_every_target_of_its_tenant_not_only_the_one_that_got_it() {
    let f = Fleet::new();
    // Tenant A's Graph throttles its first application lookup for 2 s, and
    // answers the API's service principal lookup (made beside it by both of
    // tenant A's targets) 800 ms late, so that neither target's next wave
    // can start before the 429 is shared: which target gets the 429 is a
    // race, what follows is not.
    f.worlds[0].emu.update(|c| {
        c.faults.push(aad_setup_emulator::Fault {
            method: "GET".into(),
            path_contains: "/applications".into(),
            status: 429,
            retry_after_secs: Some(2),
            ..aad_setup_emulator::Fault::default()
        });
        c.faults.push(aad_setup_emulator::Fault {
            method: "GET".into(),
            path_contains: "/servicePrincipals".into(),
            kind: aad_setup_emulator::FaultKind::Slow,
            millis: 800,
            times: 2,
            ..aad_setup_emulator::Fault::default()
        });
    });
    let text = f.target("a-one", 0, 0, "TOKEN_0")
        + &f.target("a-two", 0, 1, "TOKEN_1")
        + &f.target("b-three", 1, 2, "TOKEN_2");
    let path = f.write(&text);
    let run = f.worlds[0].run(f.cmd().env("AAD_SETUP_BACKOFF_SCALE", "1").args([
        "setup",
        "--file",
        path.to_str().expect("utf-8"),
        "-o",
        "json",
        "--jobs",
        "3",
    ]));
    run.assert_code(0);
    let doc = run.json();
    let graph: Vec<Value> = f.worlds[0]
        .request_log()
        .into_iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains("/v1.0/")))
        .collect();
    let micros = |r: &Value, key: &str| r[key].as_u64().expect("micros");
    let throttled: Vec<&Value> = graph.iter().filter(|r| r["status"] == 429).collect();
    assert_eq!(throttled.len(), 1, "one 429");
    let at = micros(throttled[0], "finishedMicros");
    // Once the 429 is shared, no request of tenant A starts until its
    // Retry-After has passed (a moment is allowed for the throttled run to
    // share it), whichever target sends it.
    let early: Vec<String> = graph
        .iter()
        .filter(|r| {
            let started = micros(r, "startedMicros");
            started > at + 300_000 && started < at + 1_800_000
        })
        .map(|r| format!("{} {}", r["method"], r["path"]))
        .collect();
    assert!(early.is_empty(), "sent inside the 429's window: {early:?}");
    // Both targets' apps were created after the window: each waited.
    let creates_after = graph
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("/applications"))
        })
        .filter(|r| micros(r, "startedMicros") >= at + 1_800_000)
        .count();
    assert_eq!(
        creates_after, 2,
        "both of tenant A's apps after the 429's window"
    );
    // Tenant B's target was not held: it needed no more than tenant A's.
    let seconds = |name: &str| result(&doc, name)["seconds"].as_f64().expect("seconds");
    for name in ["a-one", "a-two"] {
        assert!(seconds(name) >= 1.8, "{name}: {} s\n{doc}", seconds(name));
    }
    assert!(
        seconds("b-three") + 1.0 < seconds("a-one").min(seconds("a-two")),
        "b-three: {} s",
        seconds("b-three")
    );
    assert!(f.worlds[1].request_log().iter().all(|r| r["status"] != 429));
}
