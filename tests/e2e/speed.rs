//! How many requests a setup makes (requests, not time: the bench measures
//! round trips), counted from the emulator's log; and that the requests
//! made together still report the failure the documented order names first.

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

/// Request budgets: the most a run may make (today's figures; a change
/// that makes fewer passes, one that makes more fails here by name).
const FRESH_SETUP_REQUESTS: usize = 15;
const RERUN_REQUESTS: usize = 8;
/// Round trips (waves of requests made together), likewise.
const FRESH_SETUP_WAVES: usize = 7;
const RERUN_WAVES: usize = 2;
const STATUS_WAVES: usize = 3;
const ROTATE_WAVES: usize = 10;

#[track_caller]
fn within(what: &str, made: usize, budget: usize, shown: &str) {
    assert!(
        made <= budget,
        "{what}: {made} made, over the budget of {budget}\n{shown}"
    );
}

fn count(lines: &[String], method: &str, contains: &str) -> usize {
    lines
        .iter()
        .filter(|l| l.starts_with(&format!("{method} ")) && l.contains(contains))
        .count()
}

#[test]
fn a_setup_and_its_rerun_stay_within_their_request_budgets() {
    let h = Harness::new();
    h.setup(&[]).assert_code(0);
    let fresh = lines(&h, 0);
    let all = fresh.join("\n");
    // Sign-in and the platform's listing; the directory's name, the
    // tenant's credential policy, the API's and the app's lookups; the app; its service principal and the
    // secret; the connection and a read of the app's tags; the held tag,
    // the secret's own sign-in and the connection read back.
    // The last tag write is read back (issue 15).
    within("a fresh setup", fresh.len(), FRESH_SETUP_REQUESTS, &all);
    assert_eq!(
        count(&fresh, "GET", "/policies/defaultAppManagementPolicy"),
        1,
        "{all}"
    );
    // The app is about to be made: no policy can be assigned to it yet, so
    // the tenant's other policies are not read.
    assert_eq!(
        count(&fresh, "GET", "/policies/appManagementPolicies"),
        0,
        "{all}"
    );
    // Custody: one tag write in all. The intent is in the created app's own
    // tags; the key id goes on the app once, in the held tag that ends the
    // intent (crate::custody).
    assert_eq!(count(&fresh, "PATCH", "/v1.0/applications/"), 1, "{all}");
    let app = &h.our_apps()[0];
    let connection = &h.list("connections")[0];
    let key = app["passwordCredentials"][0]["keyId"].as_str().unwrap();
    assert_eq!(
        app["tags"],
        json!([
            "aad-setup",
            format!(
                "aad-setup:connection-secret:{}:{key}",
                connection["id"].as_str().unwrap()
            )
        ]),
        "{app}"
    );
    let created = fresh
        .iter()
        .position(|l| l == "POST /graph/v1.0/applications")
        .expect("created");
    let added = fresh
        .iter()
        .position(|l| l.ends_with("/addPassword"))
        .expect("added");
    let connected = fresh
        .iter()
        .position(|l| l.ends_with("/connections"))
        .expect("connected");
    let tagged = fresh
        .iter()
        .position(|l| l.starts_with("PATCH "))
        .expect("tagged");
    assert!(
        created < added && added < connected && connected < tagged,
        "{all}"
    );
    within(
        "directory name reads",
        count(&fresh, "GET", "/v1.0/organization"),
        1,
        &all,
    );
    // The platform: one page of 100 finds the integration (30 listed before
    // it), whose listing carries its fields: it is not read again by id.
    within(
        "platform reads",
        count(&fresh, "GET", "/api/integrations"),
        2,
        &all,
    );
    within(
        "connection visibility checks",
        count(&fresh, "GET", "/api/integrations/-/connections/"),
        1,
        &all,
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
    assert_eq!(count(&fresh, "POST", "/oauth2/v2.0/token"), 2, "{all}");
    within(
        "service principal reads",
        count(&fresh, "GET", "/v1.0/servicePrincipals"),
        1,
        &all,
    );
    // The app's lookup, and custody's read of the tags before its write.
    within(
        "app reads",
        count(&fresh, "GET", "/v1.0/applications"),
        3,
        &all,
    );

    let n = h.request_log().len();
    let again = h.setup(&[]);
    again.assert_code(0);
    assert_eq!(again.json()["app"]["action"], "reused");
    let rerun = lines(&h, n);
    let all = rerun.join("\n");
    // Sign-in and the platform's listing, then everything recorded, read
    // together: the directory's name, the API, the app by its object id and
    // its service principal, the app listed by name (to find a second
    // tagged app a parallel run made, crate::custody), the connection.
    within("a re-run", rerun.len(), RERUN_REQUESTS, &all);
    within(
        "directory name reads",
        count(&rerun, "GET", "/v1.0/organization"),
        1,
        &all,
    );
    let app = again.json()["app"]["objectId"].as_str().unwrap().to_owned();
    within(
        "reads of the app by its id",
        count(&rerun, "GET", &format!("/v1.0/applications/{app}")),
        1,
        &all,
    );
    within(
        "app reads",
        count(&rerun, "GET", "/v1.0/applications"),
        2,
        &all,
    );
    within(
        "service principal reads",
        count(&rerun, "GET", "/v1.0/servicePrincipals"),
        2,
        &all,
    );
    within(
        "platform reads",
        count(&rerun, "GET", "/api/integrations"),
        2,
        &all,
    );
    // A re-run changes nothing: its one POST is the sign-in.
    assert_eq!(count(&rerun, "POST", ""), 1, "only the sign-in: {all}");
    assert_eq!(count(&rerun, "PATCH", ""), 0, "nothing written: {all}");
}

/// The requests of a run as waves: each wave is the requests that began
/// before the earliest answer of the wave came back (made together, none
/// waiting on another). With every answer held for `LATENCY`, requests made
/// one after another can only be in different waves.
fn waves(h: &Harness, from: usize) -> Vec<Vec<String>> {
    let mut log: Vec<(u64, u64, String)> = h.request_log()[from..]
        .iter()
        .map(|r| {
            (
                r["startedMicros"].as_u64().expect("started"),
                r["finishedMicros"].as_u64().expect("finished"),
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or_default(),
                    r["path"].as_str().unwrap_or_default()
                ),
            )
        })
        .collect();
    log.sort();
    let mut waves: Vec<(u64, Vec<String>)> = Vec::new();
    for (start, end, line) in log {
        match waves.last_mut() {
            Some((first_answer, wave)) if start < *first_answer => {
                *first_answer = (*first_answer).min(end);
                wave.push(line);
            }
            _ => waves.push((end, vec![line])),
        }
    }
    waves.into_iter().map(|(_, w)| w).collect()
}

#[test]
fn independent_requests_are_made_together_and_runs_stay_within_their_round_trip_budgets() {
    // Long enough that requests made one after another never overlap,
    // however loaded the machine.
    let h = Harness::with(aad_setup_emulator::EmulatorConfig {
        latency_millis: 400,
        ..Default::default()
    });
    h.setup(&[]).assert_code(0);
    let fresh = waves(&h, 0);
    let shown = format!("{fresh:#?}");
    within(
        "a fresh setup's round trips",
        fresh.len(),
        FRESH_SETUP_WAVES,
        &shown,
    );
    let has = |wave: &Vec<String>, what: &str| wave.iter().any(|l| l.contains(what));
    let together = |a: &str, b: &str| fresh.iter().any(|w| has(w, a) && has(w, b));
    // Microsoft's sign-in and the platform together; then every lookup;
    // the app; its service principal with its secret; the connection with
    // the read of the tags; the held tag with both checks.
    assert!(
        has(&fresh[0], "/token") && has(&fresh[0], "/api/integrations"),
        "{shown}"
    );
    assert!(
        together("/organization", "GET /graph/v1.0/servicePrincipals"),
        "{shown}"
    );
    assert!(
        together("/addPassword", "POST /graph/v1.0/servicePrincipals"),
        "{shown}"
    );
    // The held tag goes with the secret's own sign-in, after the first wave.
    assert!(
        fresh[1..]
            .iter()
            .any(|w| has(w, "PATCH ") && has(w, "/token")),
        "{shown}"
    );
    // The tags are read back last (issue 15).
    assert!(
        fresh
            .last()
            .is_some_and(|w| has(w, "GET /graph/v1.0/applications/")),
        "{shown}"
    );

    let n = h.request_log().len();
    h.setup(&[]).assert_code(0);
    let rerun = waves(&h, n);
    within(
        "a re-run's round trips",
        rerun.len(),
        RERUN_WAVES,
        &format!("{rerun:#?}"),
    );

    // `status`: sign-in with the platform, every lookup, then the grants
    // (they need the app's service principal).
    let n = h.request_log().len();
    h.run(h.cmd().arg("status")).assert_code(0);
    let status = waves(&h, n);
    within(
        "status's round trips",
        status.len(),
        STATUS_WAVES,
        &format!("{status:#?}"),
    );
    // The tenant's policies need no app id: read with the lookups, and no
    // `appliesTo` where no policy restricts client secrets.
    assert!(
        has(&status[1], "GET /graph/v1.0/policies/appManagementPolicies")
            && has(&status[1], "/policies/defaultAppManagementPolicy"),
        "{status:#?}"
    );
    assert!(
        !status.iter().flatten().any(|l| l.ends_with("/appliesTo")),
        "{status:#?}"
    );

    // `rotate`: the reads; the intent; `addPassword`; the connection; the
    // tag with the checks; then, in custody's order, the old connection,
    // its secret (while the tags are read), its tag; the read-back.
    let n = h.request_log().len();
    h.run(h.cmd().arg("rotate")).assert_code(0);
    let rotate = waves(&h, n);
    within(
        "rotate's round trips",
        rotate.len(),
        ROTATE_WAVES,
        &format!("{rotate:#?}"),
    );
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
