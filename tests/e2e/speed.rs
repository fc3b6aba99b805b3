//! How many requests a setup makes (requests, not time: the bench measures
//! round trips), counted from the emulator's log; and that the requests
//! made together still report the failure the documented order names first.

use base64::Engine as _;
use serde_json::json;

use crate::support::*;

/// The log from `from` on, as "METHOD path" lines (ids left in).
fn lines(h: &Harness, from: usize) -> Vec<String> {
    h.request_log()[from..]
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap_or_default(),
                r["path"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn count(lines: &[String], method: &str, contains: &str) -> usize {
    lines
        .iter()
        .filter(|l| l.starts_with(&format!("{method} ")) && l.contains(contains))
        .count()
}

#[test]
fn a_fresh_setup_makes_15_requests_and_a_rerun_8() {
    let h = Harness::new();
    h.setup(&[]).assert_code(0);
    let fresh = lines(&h, 0);
    let all = fresh.join("\n");
    // 11, custody's tag writes of the key id after `addPassword` and of the
    // connection that holds it, each a fresh read and a write so that a
    // parallel run's tags are never written over (the intent before
    // `addPassword` is in the created app's own tags; crate::custody), and
    // the directory's name, once, right after the token (made while the
    // platform is read).
    assert_eq!(fresh.len(), 15, "{all}");
    // No tag write between the app's create and `addPassword`.
    let created = fresh
        .iter()
        .position(|l| l == "POST /graph/v1.0/applications")
        .expect("created");
    let added = fresh
        .iter()
        .position(|l| l.ends_with("/addPassword"))
        .expect("added");
    assert_eq!(count(&fresh[created..added], "PATCH", ""), 0, "{all}");
    assert_eq!(count(&fresh, "GET", "/v1.0/organization"), 1, "{all}");
    // The platform: one page of 100 finds the integration (30 listed before
    // it), whose listing carries its fields: it is not read again by id.
    assert_eq!(count(&fresh, "GET", "/api/integrations"), 2, "{all}");
    assert_eq!(
        count(&fresh, "GET", "/api/integrations/-/connections/"),
        1,
        "{all}"
    );
    assert_eq!(count(&fresh, "GET", "/oauth2/v1"), 0, "{all}");
    let list = h
        .request_log()
        .into_iter()
        .find(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/api/integrations"))
        })
        .expect("listed");
    assert_eq!(list["query"], json!(["page_size"]), "one page: {list}");
    // The created connection is not read back: one visibility check.
    assert_eq!(count(&fresh, "POST", "/connections"), 1, "{all}");
    // Sign-in, the directory's name, the API's and the app's lookups, the app, its service
    // principal, the secret, the tag, the secret's own sign-in.
    assert_eq!(count(&fresh, "POST", "/oauth2/v2.0/token"), 2, "{all}");
    assert_eq!(count(&fresh, "GET", "/v1.0/servicePrincipals"), 1, "{all}");
    // The app's lookup, and custody's fresh read before each of its two
    // tag writes.
    assert_eq!(count(&fresh, "GET", "/v1.0/applications"), 3, "{all}");

    let n = h.request_log().len();
    let again = h.setup(&[]);
    again.assert_code(0);
    assert_eq!(again.json()["app"]["action"], "reused");
    let rerun = lines(&h, n);
    let all = rerun.join("\n");
    // 6, the listing by name that finds a second tagged app a parallel run
    // (or a create whose answer came late) made (crate::custody), and the
    // directory's name.
    assert_eq!(rerun.len(), 8, "{all}");
    assert_eq!(count(&rerun, "GET", "/v1.0/organization"), 1, "{all}");
    // Straight to the recorded objects: the app by its object id, its
    // service principal, the connection; listed by name only to find a
    // second tagged app.
    let app = again.json()["app"]["objectId"].as_str().unwrap().to_owned();
    assert_eq!(
        count(&rerun, "GET", &format!("/v1.0/applications/{app}")),
        1,
        "{all}"
    );
    assert_eq!(count(&rerun, "GET", "/v1.0/applications"), 2, "{all}");
    assert_eq!(count(&rerun, "GET", "/v1.0/servicePrincipals"), 2, "{all}");
    assert_eq!(count(&rerun, "GET", "/api/integrations"), 2, "{all}");
    assert_eq!(count(&rerun, "POST", ""), 1, "only the sign-in: {all}");
}

#[test]
fn an_integration_beyond_the_first_100_is_found_on_the_next_page() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.platform.filler_integrations = 130;
    let h = Harness::with(config);
    h.setup(&[]).assert_code(0);
    let log = lines(&h, 0);
    let pages = log
        .iter()
        .filter(|l| l.ends_with("/api/integrations"))
        .count();
    assert_eq!(pages, 2, "{}", log.join("\n"));
    assert_eq!(count(&log, "GET", "/oauth2/v1"), 0);
}

fn forged_platform_token() -> String {
    base64::engine::general_purpose::STANDARD
        .encode("9c1d6c0e-0000-4000-8000-000000000000:wrong:acme.pushbot.com:v1")
}

#[test]
fn a_failed_sign_in_wins_over_a_platform_token_refused_at_the_same_time() {
    let h = Harness::new();
    let run = h.run(
        h.cmd()
            .env("AZURE_CLIENT_SECRET", "definitely-not-the-secret")
            .env("CATALYTIC_TOKEN", forged_platform_token())
            .arg("setup"),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("AADSTS7000215"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("platform"),
        "the platform's refusal is not what is reported: {}",
        run.stderr
    );
    // Both were asked (together), and only the sign-in's failure reported.
    assert_eq!(h.requests("GET", "/platform/"), 1);
}

#[test]
fn missing_rights_win_over_a_platform_without_the_integration() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    config.platform.azure_ad = None;
    let h = Harness::with(config);
    let run = h.run(
        h.cmd()
            .env("AZURE_CLIENT_ID", &h.creds.reader_client_id)
            .env("AZURE_CLIENT_SECRET", &h.creds.reader_client_secret)
            .arg("setup"),
    );
    run.assert_code(4);
    assert!(
        run.stderr.contains("Application.ReadWrite.All"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("no integration"), "{}", run.stderr);
}

#[test]
fn a_refused_platform_token_wins_over_an_api_without_the_permission() {
    let h = Harness::new();
    let run = h.run(
        h.cmd()
            .env("CATALYTIC_TOKEN", forged_platform_token())
            .args([
                "setup",
                "--api",
                "Dynamics CRM",
                "--resource",
                "https://contoso.crm.dynamics.com",
            ]),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(!run.stderr.contains("user_impersonation"), "{}", run.stderr);
}

#[test]
fn the_permission_wins_over_an_app_lookup_that_fails_at_the_same_time() {
    let h = Harness::new();
    let planted = h.graph_post("applications", json!({ "displayName": APP_NAME }));
    let before = h.created();
    let run = h.setup(&[
        "--api",
        "Dynamics CRM",
        "--resource",
        "https://contoso.crm.dynamics.com",
    ]);
    run.assert_code(2);
    assert!(run.stderr.contains("user_impersonation"), "{}", run.stderr);
    assert!(
        !run.stderr.contains(planted["appId"].as_str().unwrap()),
        "the namesake app is step 4's problem, not reported: {}",
        run.stderr
    );
    // Both were read, together.
    assert_eq!(h.requests("GET", &h.graph_path("applications")), 1);
    assert_eq!(h.created(), before);
}
