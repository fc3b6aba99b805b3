//! The credential's life after setup: `rotate --if-expiring-within` renews
//! only when due; `rotate --keep-previous` leaves the previous connection and
//! its secret working until `--finish`, or until the previous secret has
//! expired (the emulator's clock moved forward), when a later run finishes
//! the rotation on its own.

use serde_json::{Value, json};

use crate::support::*;

const RUN: &str = include_str!("../../src/schema/run.json");
const STATUS: &str = include_str!("../../src/schema/status.json");

fn rotate(h: &Harness, args: &[&str]) -> Run {
    h.run(h.cmd().args(["rotate", "--output", "json"]).args(args))
}

fn key_ids(h: &Harness) -> Vec<String> {
    h.our_apps()[0]["passwordCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["keyId"].as_str().unwrap().to_owned())
        .collect()
}

fn graph_writes(h: &Harness) -> usize {
    ["POST", "PATCH", "DELETE"]
        .iter()
        .map(|m| h.requests(m, &h.graph_path("")))
        .sum()
}

/// Which key each platform connection holds (the emulator matches the
/// value it holds against the app's credentials; the value never leaves it).
fn held_keys(h: &Harness) -> Vec<(String, String)> {
    h.list("connections")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                param(c, "client-secret")["matchesCredential"]["keyId"]
                    .as_str()
                    .unwrap_or("none")
                    .to_owned(),
            )
        })
        .collect()
}

/// How many of the secrets the emulator issued get a token from Entra now.
fn secrets_that_sign_in(h: &Harness) -> usize {
    let app_id = h.our_apps()[0]["appId"].as_str().unwrap().to_owned();
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        h.emu.login_url(),
        h.creds.tenant_id
    );
    h.emu
        .issued_secrets()
        .into_iter()
        .filter(|secret| {
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", app_id.as_str()),
                ("client_secret", secret.as_str()),
                ("scope", "https://graph.microsoft.com/.default"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
            h.block_on_post_form(&url, &form).0 == 200
        })
        .count()
}

#[test]
fn rotate_if_expiring_within_changes_nothing_until_the_secret_is_due() {
    let h = Harness::new();
    let first = h.setup(&["--secret-expiry", "40d"]);
    first.assert_code(0);
    let first = first.json();
    let keys = key_ids(&h);
    let connections = h.list("connections");
    let writes = graph_writes(&h);

    // 40 days left, a 30-day window: not due.
    let run = rotate(&h, &["--if-expiring-within", "30d"]);
    run.assert_code(0);
    let out = run.json();
    assert_matches(RUN, &out, &run.stderr);
    assert_eq!(out["renewal"]["due"], false, "{out}");
    assert_eq!(out["renewal"]["window"], "30d");
    let days = out["renewal"]["daysLeft"].as_i64().unwrap();
    assert!((38..=40).contains(&days), "{out}");
    assert_eq!(out["secret"]["keyId"], first["secret"]["keyId"]);
    assert_eq!(key_ids(&h), keys, "no secret added or removed");
    assert_eq!(h.list("connections"), connections, "the connection is kept");
    assert_eq!(graph_writes(&h), writes, "nothing was written to Graph");
    // The same, for people, from the variable.
    let human = h.run(
        h.cmd()
            .env("AAD_SETUP_IF_EXPIRING_WITHIN", "30d")
            .arg("rotate"),
    );
    human.assert_code(0);
    assert!(
        human
            .stdout
            .starts_with("Not due: the client secret expires "),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("in 39 days") || human.stdout.contains("in 40 days"));
    assert_eq!(key_ids(&h), keys);

    // A 60-day window: due, rotated as `rotate` does.
    let run = rotate(&h, &["--if-expiring-within", "60d"]);
    run.assert_code(0);
    let out = run.json();
    assert_eq!(out["secret"]["action"], "created", "{out}");
    // The result says why it rotated: the old secret was due.
    assert_eq!(out["renewal"]["due"], true, "{out}");
    assert_eq!(out["renewal"]["window"], "60d", "{out}");
    let days = out["renewal"]["daysLeft"].as_i64().expect("days left");
    assert!((38..=40).contains(&days), "the old secret's days: {out}");
    assert!(
        run.stderr.contains("within 60d: rotating"),
        "{}",
        run.stderr
    );
    assert_ne!(out["secret"]["keyId"], first["secret"]["keyId"]);
    assert_eq!(key_ids(&h), vec![out["secret"]["keyId"].as_str().unwrap()]);
    let held = held_keys(&h);
    assert_eq!(held.len(), 1, "the old connection is deleted");
    assert_eq!(held[0].1, out["secret"]["keyId"].as_str().unwrap());
    h.assert_no_secret("stdout", &run.stdout);

    // A window that is not a duration: exit 2, nothing read or changed.
    let bad = rotate(&h, &["--if-expiring-within", "soon"]);
    bad.assert_code(2);
    assert!(
        bad.stderr.contains("--if-expiring-within 'soon'"),
        "{}",
        bad.stderr
    );
}

#[test]
fn keep_previous_leaves_both_connections_working_until_finish() {
    let h = Harness::new();
    let first = h.setup(&["--secret-expiry", "40d"]).json();
    let old_connection = first["connection"]["id"].as_str().unwrap().to_owned();
    let old_key = first["secret"]["keyId"].as_str().unwrap().to_owned();

    let look = h.run(h.cmd().args(["rotate", "--keep-previous", "--dry-run"]));
    look.assert_code(0);
    assert!(
        look.stdout.contains("keep that one and its secret working"),
        "{}",
        look.stdout
    );
    assert_eq!(h.list("connections").len(), 1, "a look changes nothing");

    let run = rotate(&h, &["--keep-previous"]);
    run.assert_code(6);
    let out = run.json();
    assert_matches(RUN, &out, &run.stderr);
    let new_connection = out["connection"]["id"].as_str().unwrap().to_owned();
    let new_key = out["secret"]["keyId"].as_str().unwrap().to_owned();
    assert_eq!(out["rotation"]["state"], "in-progress", "{out}");
    assert_eq!(out["rotation"]["previous"]["connectionId"], old_connection);
    assert_eq!(out["rotation"]["previous"]["keyId"], old_key.as_str());
    assert_eq!(out["rotation"]["current"]["connectionId"], new_connection);
    assert!(out["rotation"]["previous"]["expires"].is_string());
    assert!(out["rotation"]["current"]["expires"].is_string());
    let action = out["rotation"]["adminAction"].as_str().unwrap();
    assert!(action.contains("select Connect"), "{action}");
    assert!(action.contains("aad-setup rotate --finish"), "{action}");
    assert!(
        out["rotation"]["platform"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    // Both connections exist, each holding its own secret, and both sign in.
    let mut held = held_keys(&h);
    held.sort();
    let mut want = vec![
        (old_connection.clone(), old_key.clone()),
        (new_connection.clone(), new_key.clone()),
    ];
    want.sort();
    assert_eq!(held, want);
    assert_eq!(secrets_that_sign_in(&h), 2, "both secrets still sign in");
    let tags = h.our_apps()[0]["tags"].clone();
    assert!(
        tags.as_array().unwrap().contains(&json!(format!(
            "aad-setup:previous-connection:{old_connection}"
        ))),
        "{tags}"
    );
    // People see both, and what the admin must do.
    let human = h.run(h.cmd().arg("status"));
    human.assert_code(6);
    assert!(human.stdout.contains("✗ rotation"), "{}", human.stdout);
    assert!(human.stdout.contains("Previous"), "{}", human.stdout);
    assert!(human.stdout.contains("rotate --finish"), "{}", human.stdout);
    let status = h.run(h.cmd().args(["status", "-o", "json"]));
    status.assert_code(6);
    let report = status.json();
    assert_matches(STATUS, &report, &status.stderr);
    assert_eq!(report["rotation"]["state"], "in-progress");

    // Another rotation now would strand the admin: refused, nothing changed.
    let writes = graph_writes(&h);
    let again = h.run(h.cmd().arg("rotate"));
    again.assert_code(6);
    assert!(
        again.stderr.contains("a rotation is in progress"),
        "{}",
        again.stderr
    );
    assert_eq!(graph_writes(&h), writes);
    let daily = rotate(&h, &["--if-expiring-within", "30d", "--keep-previous"]);
    daily.assert_code(6);
    assert_eq!(daily.json()["rotation"]["state"], "in-progress");
    assert_eq!(graph_writes(&h), writes);

    // The admin has connected the new one: finish.
    let done = rotate(&h, &["--finish"]);
    done.assert_code(0);
    let out = done.json();
    assert_matches(RUN, &out, &done.stderr);
    assert_eq!(out["rotation"]["state"], "finished");
    assert_eq!(
        held_keys(&h),
        vec![(new_connection.clone(), new_key.clone())]
    );
    assert_eq!(key_ids(&h), vec![new_key.clone()]);
    assert_eq!(secrets_that_sign_in(&h), 1);
    let tags = h.our_apps()[0]["tags"].clone();
    assert_eq!(
        tags,
        json!([
            "aad-setup",
            format!("aad-setup:connection-secret:{new_connection}:{new_key}")
        ])
    );
    h.run(h.cmd().arg("status")).assert_code(0);
    // Nothing left to finish.
    let nothing = h.run(h.cmd().args(["rotate", "--finish"]));
    nothing.assert_code(0);
    assert!(
        nothing.stdout.contains("No rotation is in progress"),
        "{}",
        nothing.stdout
    );
}

#[test]
fn a_later_run_finishes_the_rotation_once_the_previous_secret_has_expired() {
    let h = Harness::new();
    let first = h.setup(&["--secret-expiry", "40d"]).json();
    let old_connection = first["connection"]["id"].as_str().unwrap().to_owned();
    let out = rotate(&h, &["--keep-previous"]);
    out.assert_code(6);
    let out = out.json();
    let new_connection = out["connection"]["id"].as_str().unwrap().to_owned();
    let new_key = out["secret"]["keyId"].as_str().unwrap().to_owned();

    // 41 days later, on the directory's clock: the previous secret is dead.
    let day = 86_400;
    assert_eq!(
        h.control_post("clock", json!({"advance_secs": 41 * day})),
        200
    );
    assert_eq!(
        secrets_that_sign_in(&h),
        1,
        "the previous secret has expired"
    );
    let status = h.run(h.cmd().args(["status", "-o", "json"]));
    status.assert_code(6);
    let rotation = status.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "rotation")
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        rotation["detail"]
            .as_str()
            .unwrap_or("")
            .contains("expired"),
        "{rotation}"
    );

    // The daily run finishes it, and the new secret is not due.
    let run = rotate(&h, &["--if-expiring-within", "30d", "--keep-previous"]);
    run.assert_code(0);
    let report = run.json();
    assert_matches(RUN, &report, &run.stderr);
    assert_eq!(report["rotation"]["state"], "finished", "{report}");
    assert_eq!(
        report["rotation"]["previous"]["connectionId"],
        old_connection
    );
    assert_eq!(report["renewal"]["due"], false);
    assert!(
        report["notes"].to_string().contains("finished on its own"),
        "{report}"
    );
    assert_eq!(held_keys(&h), vec![(new_connection, new_key.clone())]);
    assert_eq!(key_ids(&h), vec![new_key]);
    h.run(h.cmd().arg("status")).assert_code(0);
}
