//! Only what is provably the tool's is deleted or replaced (issue 15): a
//! platform connection someone made by hand with the tool's own default
//! name survives `setup`, `rotate` and `remove` untouched — each stops
//! before any write, exit 2, naming it — unless `--replace` takes it over.

use aad_setup_emulator::EmulatorConfig;
use serde_json::Value;

use crate::support::*;

const DEFAULT_NAME: &str = "Azure Active Directory (aad-setup)";

fn ids(h: &Harness) -> Vec<String> {
    h.list("connections")
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Exit 2, naming the person's connection and both ways on.
#[track_caller]
fn refused(run: &Run, theirs: &str) {
    run.assert_code(2);
    let err = flat(&run.stderr);
    assert!(
        err.contains(theirs) && err.contains("--replace") && err.contains("--connection-name"),
        "{err}"
    );
}

/// The app's secrets' key ids.
fn keys(h: &Harness) -> Vec<String> {
    h.our_apps()
        .iter()
        .flat_map(|a| {
            a["passwordCredentials"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|c| c["keyId"].as_str().unwrap().to_owned())
        .collect()
}

/// The secret the connection `id` holds (the emulator says which of the
/// app's secrets its value is).
fn held_by(h: &Harness, id: &str) -> Option<String> {
    let all: Vec<Value> = h.list("connections");
    let c = all.iter().find(|c| c["id"] == id)?;
    param(c, "client-secret")["matchesCredential"]["keyId"]
        .as_str()
        .map(str::to_owned)
}

#[test]
fn a_persons_connection_with_the_tools_name_stops_setup_before_any_write() {
    let h = Harness::new();
    let theirs = h.platform_create_connection(DEFAULT_NAME);
    let before = h.request_log().len();
    let run = h.setup(&[]);
    refused(&run, &theirs);
    assert_eq!(
        ids(&h),
        std::slice::from_ref(&theirs),
        "their connection is untouched"
    );
    assert!(h.our_apps().is_empty(), "nothing was made in Azure");
    let writes: Vec<Value> = h.request_log()[before..]
        .iter()
        .filter(|r| r["method"] != "GET" && !r["path"].as_str().unwrap().contains("token"))
        .cloned()
        .collect();
    assert!(
        writes
            .iter()
            .all(|r| r["path"].as_str().unwrap().contains("/oauth2/")),
        "no write before the refusal: {writes:?}"
    );
    // `--dry-run` says the same.
    refused(&h.setup(&["--dry-run"]), &theirs);
    // Another name: theirs stays, ours is made beside it.
    let other = h.setup(&["--connection-name", "Azure AD (ours)"]);
    other.assert_code(0);
    let ours = other.json()["connection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ids(&h).len(), 2);
    assert!(ids(&h).contains(&theirs));
    assert_eq!(keys(&h), [held_by(&h, &ours).unwrap()]);
}

#[test]
fn setup_replace_takes_a_persons_connection_over() {
    let h = Harness::new();
    let theirs = h.platform_create_connection(DEFAULT_NAME);
    let run = h.setup(&["--replace"]);
    run.assert_code(0);
    let out = run.json();
    let ours = out["connection"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&h),
        std::slice::from_ref(&ours),
        "theirs was replaced and deleted"
    );
    assert_ne!(ours, theirs);
    assert_eq!(out["connection"]["previousId"], theirs.as_str());
    assert_eq!(keys(&h), [held_by(&h, &ours).unwrap()]);
    // From now on it is ours: a re-run keeps it, no flag needed.
    h.setup(&[]).assert_code(0);
    assert_eq!(ids(&h), [ours]);
}

/// The tool's own connection, and a person's beside it with the same name
/// (a platform that takes two connections of one name).
fn ours_and_theirs() -> (Harness, String, String) {
    let mut config = EmulatorConfig::default();
    config.platform.allow_duplicate_connection_names = true;
    let h = Harness::with(config);
    let first = h.setup(&[]);
    first.assert_code(0);
    let ours = first.json()["connection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let theirs = h.platform_create_connection(DEFAULT_NAME);
    (h, ours, theirs)
}

#[test]
fn beside_the_tools_own_connection_a_persons_survives_setup_rotate_and_remove() {
    let (h, ours, theirs) = ours_and_theirs();
    let key = held_by(&h, &ours).unwrap();
    // On this machine (the record names ours) and on another (only the
    // app's tag does).
    for elsewhere in [false, true] {
        let mut env: Vec<(&str, std::path::PathBuf)> = Vec::new();
        if elsewhere {
            env.push(("AAD_SETUP_STATE_DIR", h.home.path().join("elsewhere")));
        }
        for args in [
            &["setup", "--output", "json"][..],
            &["setup", "--rotate", "--output", "json"],
            &["rotate", "--output", "json"],
            &["remove", "--yes", "--output", "json"],
        ] {
            let mut cmd = h.cmd();
            cmd.args(args).envs(env.iter().map(|(k, v)| (*k, v)));
            let run = h.run(&mut cmd);
            refused(&run, &theirs);
            let mut now = ids(&h);
            now.sort();
            let mut both = vec![ours.clone(), theirs.clone()];
            both.sort();
            assert_eq!(now, both, "{args:?}: both connections are untouched");
            assert_eq!(
                keys(&h),
                std::slice::from_ref(&key),
                "{args:?}: the secrets too"
            );
            assert_eq!(h.our_apps().len(), 1, "{args:?}: the app too");
        }
    }
}

/// A run stopped by a person's connection has changed nothing at all: not
/// even the empty app a parallel run left (killed after making it), which
/// the tool removes only with its first change. Then a run that goes on
/// (another connection name) removes it and says so.
#[test]
fn a_refused_run_leaves_even_a_parallel_runs_empty_app() {
    let (h, _ours, theirs) = ours_and_theirs();
    h.graph_post(
        "applications",
        serde_json::json!({
            "displayName": "workflow-activedirectory-integration",
            "signInAudience": "AzureADMyOrg",
            "tags": ["aad-setup"],
        }),
    );
    h.settle();
    assert_eq!(h.our_apps().len(), 2);
    for args in [&["setup"][..], &["remove", "--yes"]] {
        let before = h.state();
        let run = h.run(
            h.cmd()
                .env("AAD_SETUP_STATE_DIR", h.home.path().join("elsewhere"))
                .args(args),
        );
        refused(&run, &theirs);
        let after = h.state();
        assert_eq!(before["applications"], after["applications"], "{args:?}");
        assert_eq!(before["connections"], after["connections"], "{args:?}");
    }
    let on = h.setup(&["--connection-name", "Azure AD (ours)"]);
    on.assert_code(0);
    assert!(
        flat(&on.stderr).contains("another run made a second app registration"),
        "{}",
        on.stderr
    );
    assert_eq!(h.our_apps().len(), 1, "the empty one is gone");
}

#[test]
fn rotate_replace_takes_it_over_and_remove_replace_deletes_it() {
    let (h, ours, theirs) = ours_and_theirs();
    let run = h.run(h.cmd().args(["rotate", "--replace", "--output", "json"]));
    run.assert_code(0);
    let new = run.json()["connection"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&h),
        std::slice::from_ref(&new),
        "ours replaced, theirs taken over"
    );
    assert!(!ids(&h).contains(&ours) && !ids(&h).contains(&theirs));
    assert_eq!(keys(&h), [held_by(&h, &new).unwrap()]);

    let (h, _, theirs) = ours_and_theirs();
    let run = h.run(
        h.cmd()
            .args(["remove", "--yes", "--replace", "--output", "json"]),
    );
    run.assert_code(0);
    assert!(ids(&h).is_empty(), "both deleted");
    assert!(h.our_apps().is_empty());
    let _ = theirs;
}

/// A run killed after `addPassword` (a cancelled CI job), re-run at once on
/// another machine (a new runner): the dead run's secret is in flight for
/// all the new run can tell, so it is kept and said — exit 6, naming the
/// run, when it may be reclaimed and how to reclaim it now; with
/// `--reclaim` it is removed. The connection works throughout.
#[test]
fn a_run_killed_after_add_password_is_said_then_reclaimed() {
    let h = killed_after_add_password();
    let dead_keys = keys(&h);
    assert_eq!(dead_keys.len(), 1, "the killed run's secret: {dead_keys:?}");
    let pending = dead_keys[0].clone();

    // At once, on another runner.
    let elsewhere = h.home.path().join("runner-2");
    let run = h.run(
        h.cmd()
            .env("AAD_SETUP_STATE_DIR", &elsewhere)
            .args(["setup", "--output", "json"]),
    );
    run.assert_code(6);
    let out = run.json();
    let warning = out["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap().to_owned())
        .find(|m| m.contains("--reclaim"))
        .unwrap_or_else(|| panic!("the in-flight secret is said: {out}"));
    let dead_run = warning
        .split("--reclaim ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert!(
        warning.contains(&format!("run {dead_run}")) && warning.contains("reclaim it after"),
        "{warning}"
    );
    assert!(
        keys(&h).contains(&pending),
        "kept while it may be in flight"
    );
    let connection = out["connection"]["id"].as_str().unwrap().to_owned();
    let held = held_by(&h, &connection).expect("the connection holds a live secret");
    assert_ne!(held, pending);
    h.assert_no_secret("stdout", &run.stdout);

    // The person knows that run is gone: reclaimed now.
    let run = h.run(h.cmd().env("AAD_SETUP_STATE_DIR", &elsewhere).args([
        "setup",
        "--output",
        "json",
        "--reclaim",
        &dead_run,
    ]));
    run.assert_code(0);
    assert_eq!(
        keys(&h),
        std::slice::from_ref(&held),
        "the dead run's secret is removed"
    );
    assert_eq!(
        held_by(&h, &connection).as_deref(),
        Some(held.as_str()),
        "the connection still works"
    );
    // Once its lease is over, a run anywhere does the same (here: nothing left).
    let after = h.run(
        h.cmd()
            .env("AAD_SETUP_STATE_DIR", h.home.path().join("runner-3"))
            .env("AAD_SETUP_PENDING_LEASE", "0")
            .args(["setup", "--output", "json"]),
    );
    after.assert_code(0);
    assert_eq!(keys(&h), std::slice::from_ref(&held));
}

/// The same, left to the lease: once it is over, the next run removes it.
#[test]
fn after_the_lease_the_dead_runs_secret_is_removed() {
    let h = killed_after_add_password();
    let pending = keys(&h);
    let run = h.run(
        h.cmd()
            .env("AAD_SETUP_STATE_DIR", h.home.path().join("runner-2"))
            .env("AAD_SETUP_PENDING_LEASE", "1")
            .args(["setup", "--output", "json"]),
    );
    // Within a second of the kill the lease may or may not be over.
    assert!([0, 6].contains(&run.code), "{}", run.stderr);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let run = h.run(
        h.cmd()
            .env("AAD_SETUP_STATE_DIR", h.home.path().join("runner-2"))
            .env("AAD_SETUP_PENDING_LEASE", "1")
            .args(["setup", "--output", "json"]),
    );
    run.assert_code(0);
    let connection = run.json()["connection"]["id"].as_str().unwrap().to_owned();
    let now = keys(&h);
    assert!(
        !now.iter().any(|k| pending.contains(k)),
        "removed after the lease: {now:?}"
    );
    assert_eq!(now, [held_by(&h, &connection).unwrap()]);
}

/// A `setup` on "runner-1" killed (SIGKILL) while its connection's create is
/// held, that is after `addPassword`: its secret is on the app, in flight.
fn killed_after_add_password() -> Harness {
    use aad_setup_emulator::{Fault, FaultKind};
    use std::process::{Command, Stdio};
    let h = Harness::new();
    h.emu.update(|c| {
        c.faults.push(Fault {
            method: "POST".into(),
            path_pattern: "/platform/v2.0.0/api/integrations/*/*/*/connections".into(),
            kind: FaultKind::Hold,
            ..Fault::default()
        });
    });
    let child = h
        .cmd()
        .env("AAD_SETUP_STATE_DIR", h.home.path().join("runner-1"))
        .args(["setup", "--output", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while h.emu.held().is_empty() {
        assert!(std::time::Instant::now() < deadline, "never held");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    h.emu.release_held(false);
    let _ = child.wait_with_output();
    h.settle();
    h
}
