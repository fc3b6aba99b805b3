//! Two runs in fixed interleavings (issue 15), through the emulator's holds,
//! with and without stale reads (an app read from a replica behind its
//! writes). The invariant is checked after every run, not only at the end:
//! every connection the tool made holds a secret that exists (and so signs
//! in), and once no run is in flight no secret of ours is left without a
//! holder (a connection, or the person `register` handed it to).
//!
//! A makes a connection and writes its held tag (the connection holds its
//! new secret); B, a `register --new-secret` on another machine, writes its
//! intent, a tag write built on what it read before A's write, or from a
//! replica behind it. Two orders:
//!
//! - B reads, A writes its held tag and ends, B writes (A a `rotate`): A's
//!   tag is dropped, and its ended intent written back, after A read it
//!   back. The next run anywhere must not take A's secret for an orphan:
//!   the platform says a connection made in A's intent window may hold it
//!   (the cross-check), and A's connection is kept.
//! - B reads, A writes its held tag, B writes, A ends (A a fresh `setup`):
//!   A's read-back finds its tag dropped and writes it again.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use aad_setup_emulator::{EmulatorConfig, Fault, FaultKind};
use serde_json::Value;

use crate::support::*;

const APP_BY_ID: &str = "/graph/v1.0/applications/*";

fn hold(h: &Harness, method: &str, skip: u32) {
    h.emu.update(|c| {
        c.faults.push(Fault {
            method: method.into(),
            path_pattern: APP_BY_ID.into(),
            skip,
            kind: FaultKind::Hold,
            ..Fault::default()
        });
    });
}

fn wait_held(h: &Harness, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.emu.held().len() < n {
        assert!(
            Instant::now() < deadline,
            "never {n} held: {:?}",
            h.emu.held()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn wait_for(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn spawn(h: &Harness, machine: &str, args: &[&str]) -> Child {
    h.cmd()
        .env("AAD_SETUP_STATE_DIR", h.home.path().join(machine))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// B: `register --new-secret` on another machine, its secret to a file.
fn spawn_b(h: &Harness) -> Child {
    let file = h.home.path().join("b.secret");
    spawn(
        h,
        "b",
        &[
            "register",
            "--new-secret",
            "--output",
            "json",
            "--secret-file",
            file.to_str().unwrap(),
        ],
    )
}

fn finish(child: Child) -> Run {
    let out = child.wait_with_output().expect("the binary ends");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn app(h: &Harness) -> Value {
    let apps = h.our_apps();
    assert_eq!(apps.len(), 1, "{apps:#?}");
    apps[0].clone()
}

fn keys(h: &Harness) -> Vec<String> {
    app(h)["passwordCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["keyId"].as_str().unwrap().to_owned())
        .collect()
}

/// The invariant: every connection holds a secret of the app that exists;
/// with no run in flight, every secret is held by a connection or by the
/// person it was handed to (`handed`).
#[track_caller]
fn invariant(h: &Harness, handed: &[String], in_flight: bool, when: &str) {
    let keys = keys(h);
    let connections = h.list("connections");
    let mut holders = Vec::new();
    for c in &connections {
        let held = param(c, "client-secret")["matchesCredential"]["keyId"].as_str();
        let Some(held) = held.filter(|k| keys.iter().any(|x| x == k)) else {
            panic!(
                "{when}: the connection {} holds no secret of the app (keys {keys:?})\n{:#?}",
                c["id"],
                app(h)["tags"]
            );
        };
        holders.push(held.to_owned());
    }
    if !in_flight {
        for k in &keys {
            assert!(
                holders.contains(k) || handed.contains(k),
                "{when}: the secret {k} is held by no one (connections hold {holders:?}, handed {handed:?}); tags {:#?}",
                app(h)["tags"]
            );
        }
    }
}

/// Does the app's held tag say that `connection` holds `key`?
fn tagged(h: &Harness, connection: &str, key: &str) -> bool {
    let tag = format!("aad-setup:connection-secret:{connection}:{key}");
    app(h)["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == tag.as_str())
}

struct Ended {
    a: Run,
    b: Run,
    /// A's new connection and secret; B's handed secret.
    a_connection: String,
    a_key: String,
    b_key: String,
}

/// A fresh `setup` (its held tag is its last write) and B `register
/// --new-secret`: A's held tag lands, then B's intent (built on what B read
/// before it), then A's check of its connection goes on and A ends — with
/// its read-back, which finds the tag dropped and writes it again.
fn interleave_read_back(stale_ms: u64) -> (Harness, Ended) {
    let h = Harness::with(EmulatorConfig {
        stale_read_millis: stale_ms,
        ..EmulatorConfig::default()
    });
    // A, held as it sends its held tag and as it checks its connection.
    hold(&h, "PATCH", 0);
    h.emu.update(|c| {
        c.faults.push(Fault {
            method: "GET".into(),
            path_pattern: "/platform/v2.0.0/api/integrations/-/connections/*".into(),
            kind: FaultKind::Hold,
            ..Fault::default()
        });
    });
    let a = spawn(&h, "a", &["setup", "--output", "json"]);
    wait_held(&h, 2);
    // B reads the app, and is held as it sends its intent (and then as it
    // adds its secret, until A has ended: B's next tag write then reads
    // what A's read-back wrote).
    hold(&h, "PATCH", 0);
    h.emu.update(|c| {
        c.faults.push(Fault {
            method: "POST".into(),
            path_pattern: "/graph/v1.0/applications/*/addPassword".into(),
            kind: FaultKind::Hold,
            ..Fault::default()
        });
    });
    let b = spawn_b(&h);
    wait_held(&h, 3);
    // Each released request is let land (the emulator's log says) before
    // the next goes: the order is the test's, not the scheduler's.
    let patches = || {
        h.request_log()
            .iter()
            .filter(|r| r["method"] == "PATCH")
            .count()
    };
    let before = patches();
    assert!(
        h.emu.release_first_held_of("PATCH", true),
        "A's held tag lands"
    );
    wait_for(|| patches() > before);
    assert!(
        h.emu.release_first_held_of("PATCH", true),
        "B's intent lands"
    );
    wait_for(|| patches() > before + 1);
    assert!(h.emu.release_first_held_of("GET", true), "A goes on");
    let a = finish(a);
    invariant(&h, &[], true, "after A (B in flight)");
    wait_held(&h, 1);
    assert!(h.emu.release_first_held(true), "B adds its secret");
    let b = finish(b);
    let ended = conclude(&h, a, b);
    (h, ended)
}

/// A `rotate` and B `register --new-secret`: B reads, A's held tag lands,
/// A ends (its read-back sees its tag), then B's intent lands, built on
/// what B read before A's write (or from a replica behind it).
fn interleave(stale_ms: u64) -> (Harness, Ended) {
    let h = Harness::with(EmulatorConfig {
        stale_read_millis: stale_ms,
        ..EmulatorConfig::default()
    });
    h.setup(&[]).assert_code(0);
    std::thread::sleep(Duration::from_millis(stale_ms));
    invariant(&h, &[], false, "after the first setup");
    // A, held as it sends its held tag (its second write of the app).
    hold(&h, "PATCH", 1);
    let a = spawn(&h, "a", &["rotate", "--output", "json"]);
    wait_held(&h, 1);
    // B reads the app, and is held as it sends its intent.
    hold(&h, "PATCH", 0);
    let b = spawn_b(&h);
    wait_held(&h, 2);
    assert!(h.emu.release_first_held(true), "A's held tag lands");
    let a = finish(a);
    invariant(&h, &[], true, "after A (B in flight)");
    assert!(h.emu.release_first_held(true), "B's intent lands");
    let b = finish(b);
    let ended = conclude(&h, a, b);
    (h, ended)
}

/// Both ended: their exit codes, no secret printed, the invariant.
fn conclude(h: &Harness, a: Run, b: Run) -> Ended {
    assert!([0, 6].contains(&a.code), "A {}", a.stderr);
    assert!([0, 6].contains(&b.code), "B {}", b.stderr);
    for run in [&a, &b] {
        h.assert_no_secret("stdout", &run.stdout);
        h.assert_no_secret("stderr", &run.stderr);
    }
    let (ja, jb) = (a.json(), b.json());
    let ended = Ended {
        a_connection: ja["connection"]["id"].as_str().unwrap().to_owned(),
        a_key: ja["secret"]["keyId"].as_str().unwrap().to_owned(),
        b_key: jb["secret"]["keyId"].as_str().unwrap().to_owned(),
        a,
        b,
    };
    invariant(h, std::slice::from_ref(&ended.b_key), false, "after both");
    ended
}

/// The next run, on a third machine once both have ended (their leases
/// over). With fresh reads it keeps A's connection and the secret it holds
/// (the app, or the platform cross-check, says A made it). When every trace
/// on the app was written over from a stale read, nothing proves A's
/// connection is the tool's: the run stops before any write, naming it
/// (exit 2), and a run on A's machine, whose record names it, keeps it and
/// tags it again.
fn third_run_keeps_as_connection(h: &Harness, ended: &Ended, stale_ms: u64) {
    std::thread::sleep(Duration::from_millis(stale_ms));
    let third = |machine: &str| {
        h.run(
            h.cmd()
                .env("AAD_SETUP_STATE_DIR", h.home.path().join(machine))
                .env("AAD_SETUP_PENDING_LEASE", "0")
                .args(["setup", "--output", "json"]),
        )
    };
    let before = h.state();
    let mut c = third("c");
    if c.code == 2 && stale_ms > 0 {
        assert!(c.stderr.contains(&ended.a_connection), "{}", c.stderr);
        let after = h.state();
        assert_eq!(
            before["applications"], after["applications"],
            "nothing changed"
        );
        assert_eq!(
            before["connections"], after["connections"],
            "nothing changed"
        );
        c = third("a");
    }
    assert!([0, 6].contains(&c.code), "C {}\n{}", c.stderr, c.stdout);
    invariant(
        h,
        std::slice::from_ref(&ended.b_key),
        false,
        "after a third run",
    );
    let out = c.json();
    assert_eq!(
        out["connection"]["id"],
        ended.a_connection.as_str(),
        "A's connection is kept, not replaced: {out}"
    );
    assert!(keys(h).contains(&ended.a_key), "A's secret is kept");
    std::thread::sleep(Duration::from_millis(stale_ms));
    assert!(
        tagged(h, &ended.a_connection, &ended.a_key),
        "and the app says who holds it"
    );
}

#[test]
fn b_reads_a_writes_its_held_tag_and_ends_b_writes() {
    for stale in [0, 1500] {
        let (h, ended) = interleave(stale);
        let _ = (&ended.a, &ended.b);
        third_run_keeps_as_connection(&h, &ended, stale);
    }
}

#[test]
fn b_writes_between_as_held_tag_and_its_read_back() {
    for stale in [0, 1500] {
        let (h, ended) = interleave_read_back(stale);
        if stale == 0 {
            // Read back after B's write: A wrote its held tag again. (From a
            // replica behind, B's own later write may drop it once more: the
            // next run then judges, below.)
            assert!(
                tagged(&h, &ended.a_connection, &ended.a_key),
                "A's read-back wrote its held tag again: {:#?}\nA {}\nB {}",
                app(&h)["tags"],
                ended.a.stdout,
                ended.b.stderr
            );
            assert!(
                ended.a.stdout.contains("written again"),
                "{}",
                ended.a.stdout
            );
        }
        third_run_keeps_as_connection(&h, &ended, stale);
    }
}
