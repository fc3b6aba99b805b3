//! The tenant's credential policy, read before a client secret is asked
//! for: the default lifetime fits it and says so, a longer `--secret-expiry`
//! is exit 2 and a policy that blocks client secrets exit 4, both with
//! nothing written; without Policy.Read.All, Graph's refusal is explained.

use aad_setup_emulator::{AppPolicyConfig, EmulatorConfig, TokenKind};
use serde_json::Value;

use crate::support::*;

const RUN: &str = include_str!("../../src/schema/run.json");
const STATUS: &str = include_str!("../../src/schema/status.json");

/// The binary signed in with a Graph token that may also read policies.
fn policy_reader(h: &Harness) -> std::process::Command {
    let token = h.emu.mint_graph_token(TokenKind::App(vec![
        "Application.ReadWrite.All".into(),
        "Policy.Read.All".into(),
    ]));
    let file = h.write_file("graph-token", &token);
    let mut cmd = h.cmd();
    cmd.env_remove("AZURE_CLIENT_ID")
        .env_remove("AZURE_CLIENT_SECRET")
        .env("AAD_SETUP_AUTH", "token")
        .env("AAD_SETUP_GRAPH_TOKEN_FILE", file);
    cmd
}

fn ninety_days() -> Harness {
    Harness::with(EmulatorConfig {
        max_secret_lifetime_days: Some(90),
        ..EmulatorConfig::default()
    })
}

fn graph_writes(h: &Harness) -> usize {
    ["POST", "PATCH", "DELETE"]
        .iter()
        .map(|m| h.requests(m, &h.graph_path("")))
        .sum()
}

#[test]
fn a_90_day_policy_caps_the_default_lifetime_and_says_so() {
    let h = ninety_days();
    let run = h.run(policy_reader(&h).args(["setup", "-o", "json"]));
    run.assert_code(0);
    let out = run.json();
    assert_matches(RUN, &out, &run.stderr);
    assert_eq!(out["policy"]["source"], "tenant-default");
    assert_eq!(out["policy"]["maxLifetime"], "P90D");
    assert_eq!(out["policy"]["maxDays"], 90);
    assert!(
        out["notes"]
            .to_string()
            .contains("the tenant's policy caps client secrets at 90 days"),
        "{out}"
    );
    assert!(
        run.stderr.contains("caps client secrets at 90 days"),
        "{}",
        run.stderr
    );
    // What Entra holds: a secret that lives 90 days, no more.
    let cred = &h.our_apps()[0]["passwordCredentials"][0];
    let start: jiff::Timestamp = cred["startDateTime"].as_str().unwrap().parse().unwrap();
    let end: jiff::Timestamp = cred["endDateTime"].as_str().unwrap().parse().unwrap();
    let days = end.duration_since(start).as_secs() / 86_400;
    assert!((89..=90).contains(&days), "{cred}");
    assert_eq!(h.list("connections").len(), 1);

    // `status` reports the policy that applies.
    let status = h.run(policy_reader(&h).args(["status", "-o", "json"]));
    status.assert_code(0);
    let report = status.json();
    assert_matches(STATUS, &report, &status.stderr);
    assert_eq!(report["policy"]["maxDays"], 90);
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "credential-policy")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(check["result"], "info", "{report}");
}

#[test]
fn a_secret_expiry_beyond_the_policy_is_exit_2_with_nothing_written() {
    let h = ninety_days();
    let before = h.created();
    let run = h.run(policy_reader(&h).args(["setup", "--secret-expiry", "24mo"]));
    run.assert_code(2);
    assert!(run.stderr.contains("at most 90 days"), "{}", run.stderr);
    assert!(
        run.stderr.contains("P90D") || run.stderr.contains("policy"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--secret-expiry 90d"), "{}", run.stderr);
    assert_eq!(h.created(), before, "no app, grant or connection");
    assert_eq!(graph_writes(&h), 0, "nothing written to Graph");
    // Within the policy: it works.
    let ok = h.run(policy_reader(&h).args(["setup", "--secret-expiry", "60d"]));
    ok.assert_code(0);
}

#[test]
fn a_policy_that_blocks_client_secrets_is_exit_4_with_nothing_written_unless_the_app_is_exempt() {
    let h = Harness::with(EmulatorConfig {
        password_credentials_allowed: false,
        ..EmulatorConfig::default()
    });
    let before = h.created();
    let run = h.run(policy_reader(&h).arg("setup"));
    run.assert_code(4);
    assert!(
        run.stderr.contains("does not allow client secrets"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Policy.ReadWrite.ApplicationConfiguration"),
        "{}",
        run.stderr
    );
    assert_eq!(h.created(), before);
    assert_eq!(graph_writes(&h), 0);

    // Without Policy.Read.All (the `writer`; the seeded admin holds it) the
    // policy is not read: Graph's refusal gets the same message and exit
    // code (the app, made first, is kept).
    let writer = h.creds.identity("writer").expect("seeded").clone();
    let run = h.run(
        h.cmd()
            .env("AZURE_CLIENT_ID", &writer.client_id)
            .env("AZURE_CLIENT_SECRET", &writer.client_secret)
            .arg("setup"),
    );
    run.assert_code(4);
    assert!(
        run.stderr.contains("does not allow client secrets"),
        "{}",
        run.stderr
    );
    assert!(h.list("connections").is_empty());
    assert_eq!(
        h.our_apps()[0]["passwordCredentials"],
        serde_json::json!([])
    );

    // An admin assigns the app a policy that exempts it: setup works.
    h.emu.update(|c| {
        c.app_management_policies = vec![AppPolicyConfig {
            display_name: "Exempt the workflow platform".into(),
            applies_to: vec![APP_NAME.into()],
            ..AppPolicyConfig::default()
        }];
    });
    let run = h.run(policy_reader(&h).args(["setup", "-o", "json"]));
    run.assert_code(0);
    assert!(run.json().get("policy").is_none(), "{}", run.stdout);
    assert_eq!(h.list("connections").len(), 1);
    // Which policy is the app's was read from the policies' side: the
    // tenant's policies, then whom the one that could exempt it applies to.
    let policies = h.graph_path("policies/appManagementPolicies");
    let applies_to = h
        .request_log()
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/appliesTo"))
        })
        .count();
    assert_eq!(
        h.requests("GET", &policies),
        2,
        "the list and one appliesTo"
    );
    assert_eq!(applies_to, 1);
}

/// A policy assigned to the app (found from the policy's side, `appliesTo`)
/// caps its secrets where the tenant default does not.
#[test]
fn a_policy_assigned_to_the_app_caps_a_rotation_and_status_names_it() {
    let h = Harness::with(EmulatorConfig {
        app_management_policies: vec![
            AppPolicyConfig {
                display_name: "Another app's".into(),
                applies_to: vec!["another-app".into()],
                password_credentials_allowed: false,
                ..AppPolicyConfig::default()
            },
            AppPolicyConfig {
                display_name: "Thirty days".into(),
                applies_to: vec![APP_NAME.into()],
                max_secret_lifetime_days: Some(30),
                ..AppPolicyConfig::default()
            },
        ],
        ..EmulatorConfig::default()
    });
    h.run(policy_reader(&h).args(["setup", "--secret-expiry", "20d"]))
        .assert_code(0);
    let run = h.run(policy_reader(&h).args(["rotate", "-o", "json"]));
    run.assert_code(0);
    let out = run.json();
    assert_matches(RUN, &out, &run.stderr);
    assert_eq!(out["policy"]["source"], "app", "{out}");
    assert_eq!(out["policy"]["displayName"], "Thirty days", "{out}");
    assert_eq!(out["policy"]["maxDays"], 30, "{out}");
    let newest = h.our_apps()[0]["passwordCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["endDateTime"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
        })
        .max()
        .unwrap();
    let days = newest.duration_since(h.emu.clock_now()).as_secs() / 86_400;
    assert!((29..=30).contains(&days), "{days}");
    // Both policies restrict client secrets: whom each applies to was asked.
    let applies_to = h
        .request_log()
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/appliesTo"))
        })
        .count();
    assert_eq!(applies_to, 2);

    let status = h.run(policy_reader(&h).args(["status", "-o", "json"]));
    let report = status.json();
    assert_matches(STATUS, &report, &status.stderr);
    assert_eq!(report["policy"]["source"], "app", "{report}");
}
