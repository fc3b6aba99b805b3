//! The main job: a fresh tenant gets exactly one of everything; a re-run
//! changes nothing; namesakes are left alone; field layouts vary.

use serde_json::{Value, json};

use crate::support::*;

#[test]
fn a_fresh_tenant_gets_exactly_one_app_secret_and_connection() {
    let h = Harness::new();
    let run = h.setup(&[]);
    run.assert_code(0);
    let out = run.json();

    let apps = h.our_apps();
    assert_eq!(apps.len(), 1, "exactly one app: {apps:?}");
    let app = &apps[0];
    assert_eq!(app["signInAudience"], "AzureADMyOrg");
    assert_eq!(
        app["web"]["redirectUris"],
        json!(["https://security.pushbot.com/oauth"])
    );
    assert!(
        app["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("aad-setup"))
    );
    let rra = app["requiredResourceAccess"].as_array().unwrap();
    assert_eq!(rra.len(), 1);
    assert_eq!(rra[0]["resourceAppId"], GRAPH_APP_ID);
    assert_eq!(
        rra[0]["resourceAccess"],
        json!([{ "id": DIRECTORY_RW_SCOPE, "type": "Scope" }])
    );

    let creds = app["passwordCredentials"].as_array().unwrap();
    assert_eq!(creds.len(), 1, "exactly one secret");
    assert_eq!(creds[0]["displayName"], "pagerdutysecretkey");
    // The default expiry: 24 months from now (the year is two ahead).
    let end: jiff::Timestamp = creds[0]["endDateTime"].as_str().unwrap().parse().unwrap();
    let months = jiff::Timestamp::now().until(end).unwrap().get_seconds() / 86_400;
    assert!(
        (725..=735).contains(&months),
        "about 730 days, got {months}"
    );

    // The service principal exists, as the portal would have made it.
    let sps = h.list("servicePrincipals");
    assert_eq!(sps.iter().filter(|s| s["appId"] == app["appId"]).count(), 1);

    let connections = h.list("connections");
    assert_eq!(connections.len(), 1);
    let c = &connections[0];
    assert_eq!(c["name"], "Azure Active Directory (aad-setup)");
    let p = c;
    assert_eq!(param(p, "client-id")["value"], app["appId"]);
    assert_eq!(param(p, "resource")["value"], "https://graph.microsoft.com");
    assert_eq!(param(p, "tenant")["value"], h.creds.tenant_id.as_str());
    // The very secret Graph issued, proven without the secret in the snapshot.
    let secret = param(p, "client-secret");
    assert_eq!(secret["matchesCredential"]["keyId"], creds[0]["keyId"]);
    assert_eq!(secret["matchesCredential"]["appId"], app["appId"]);

    // The JSON output carries the same ids.
    assert_eq!(out["status"], "done");
    assert_eq!(out["tenant"]["id"], h.creds.tenant_id.as_str());
    assert_eq!(out["app"]["clientId"], app["appId"]);
    assert_eq!(out["app"]["objectId"], app["id"]);
    assert_eq!(out["app"]["action"], "created");
    assert_eq!(out["secret"]["keyId"], creds[0]["keyId"]);
    assert_eq!(out["secret"]["action"], "created");
    assert_eq!(out["connection"]["id"], c["id"]);
    assert_eq!(out["connection"]["status"], "created");
    assert_eq!(out["permission"]["id"], DIRECTORY_RW_SCOPE);
    assert_eq!(out["verification"]["secretSignsIn"], true);
    assert_eq!(out["verification"]["connectionVisible"], true);
    assert!(
        out["secret"].get("value").is_none(),
        "no secret without --show-secret"
    );
}

#[test]
fn running_again_changes_nothing_and_says_reused() {
    let h = Harness::new();
    h.setup(&[]).assert_code(0);
    let before = h.created();
    let graph_writes = |h: &Harness| {
        let graph = h.graph_path("");
        h.requests("POST", &graph) + h.requests("PATCH", &graph) + h.requests("DELETE", &graph)
    };
    let writes_before = graph_writes(&h);
    let platform_posts_before = h.requests("POST", "/platform");

    let again = h.setup(&[]);
    again.assert_code(0);
    let out = again.json();
    assert_eq!(
        h.created(),
        before,
        "no new app, principal, grant or connection"
    );
    assert_eq!(out["app"]["action"], "reused");
    assert_eq!(out["app"]["servicePrincipalAction"], "reused");
    assert_eq!(out["secret"]["action"], "reused");
    assert_eq!(out["connection"]["status"], "reused");
    assert_eq!(
        h.our_apps()[0]["passwordCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Nothing was created or changed: no Graph write, no platform POST.
    assert_eq!(
        graph_writes(&h),
        writes_before,
        "no Graph writes on the re-run"
    );
    assert_eq!(h.requests("POST", "/platform"), platform_posts_before);

    // A fresh machine (no local record, e.g. a new CI runner) converges too.
    let fresh = h.run(
        h.cmd()
            .env("AAD_SETUP_STATE_DIR", h.home.path().join("other-state"))
            .args(["--output", "json"]),
    );
    fresh.assert_code(0);
    assert_eq!(h.created(), before);
    assert_eq!(fresh.json()["secret"]["action"], "reused");

    // The human summary says so as well.
    let human = h.run(h.cmd().arg("setup"));
    human.assert_code(0);
    assert!(human.stdout.contains("(reused)"), "{}", human.stdout);
}

#[test]
fn rotate_replaces_the_secret_and_the_connection_and_removes_the_old_ones() {
    let h = Harness::new();
    let first = h.setup(&[]).json();
    let second = h.setup(&["--rotate"]);
    second.assert_code(0);
    let out = second.json();
    assert_eq!(out["secret"]["action"], "created");
    assert_ne!(out["secret"]["keyId"], first["secret"]["keyId"]);
    let creds = h.our_apps()[0]["passwordCredentials"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        creds.len(),
        1,
        "the old secret is removed after the new one works"
    );
    assert_eq!(creds[0]["keyId"], out["secret"]["keyId"]);
    let connections = h.list("connections");
    assert_eq!(connections.len(), 1, "the old connection is deleted");
    assert_eq!(connections[0]["id"], out["connection"]["id"]);
    let secret = param(&connections[0], "client-secret").clone();
    assert_eq!(secret["matchesCredential"]["keyId"], out["secret"]["keyId"]);
}

#[test]
fn an_app_of_the_same_name_that_the_tool_did_not_make_is_left_alone() {
    let h = Harness::new();
    let planted = h.graph_post(
        "applications",
        json!({ "displayName": APP_NAME, "signInAudience": "AzureADMultipleOrgs" }),
    );
    let before = h.created();

    let run = h.setup(&[]);
    run.assert_code(2);
    assert!(run.stderr.contains("--adopt"), "{}", run.stderr);
    assert!(
        run.stderr.contains(planted["appId"].as_str().unwrap()),
        "{}",
        run.stderr
    );
    assert_eq!(h.created(), before, "nothing created");
    let apps = h.our_apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(
        apps[0]["signInAudience"], "AzureADMultipleOrgs",
        "not patched"
    );
    assert_eq!(apps[0]["passwordCredentials"], json!([]));

    // --adopt takes it over: tagged, reconciled, still one app.
    let adopted = h.setup(&["--adopt"]);
    adopted.assert_code(0);
    let apps = h.our_apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["id"], planted["id"]);
    assert_eq!(apps[0]["signInAudience"], "AzureADMyOrg");
    assert!(
        apps[0]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("aad-setup"))
    );
    assert_eq!(adopted.json()["app"]["action"], "updated");
}

#[test]
fn app_id_selects_an_existing_app_explicitly() {
    let h = Harness::new();
    let planted = h.graph_post(
        "applications",
        json!({ "displayName": APP_NAME, "signInAudience": "AzureADMyOrg" }),
    );
    let run = h.setup(&["--app-id", planted["appId"].as_str().unwrap()]);
    run.assert_code(0);
    assert_eq!(run.json()["app"]["objectId"], planted["id"]);
    assert_eq!(h.our_apps().len(), 1);
}

#[test]
fn differently_named_fields_still_map() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    let seed = config
        .platform
        .azure_ad
        .as_mut()
        .expect("the default platform has the integration");
    for (field, (name, reference)) in seed.fields.iter_mut().zip([
        ("Application (client) ID", "applicationId"),
        ("Client secret value", "clientSecret"),
        ("Resource URI", "resourceUri"),
        ("Directory (tenant) ID", "directoryId"),
    ]) {
        field.name = name.into();
        field.reference_name = reference.into();
    }
    let h = Harness::with(config);
    let run = h.setup(&[]);
    run.assert_code(0);
    let connections = h.list("connections");
    assert_eq!(connections.len(), 1);
    let p = &connections[0];
    assert_eq!(param(p, "directoryId")["value"], h.creds.tenant_id.as_str());
    assert_eq!(
        param(p, "resourceUri")["value"],
        "https://graph.microsoft.com"
    );
    assert!(param(p, "clientSecret")["matchesCredential"]["keyId"].is_string());
}

#[test]
fn an_extra_required_field_is_refused_before_anything_is_created() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    let seed = config.platform.azure_ad.as_mut().unwrap();
    let mut extra = seed.fields[0].clone();
    extra.name = "Subscription ID".into();
    extra.reference_name = "subscription-id".into();
    extra.required = true;
    seed.fields.push(extra);
    let h = Harness::with(config);
    let before = h.created();
    let run = h.setup(&[]);
    run.assert_code(1);
    assert!(run.stderr.contains("Subscription ID"), "{}", run.stderr);
    assert_eq!(h.created(), before);
    assert!(h.our_apps().is_empty());
}

#[test]
fn a_field_the_tool_cannot_guess_is_named_with_field() {
    let mut config = aad_setup_emulator::EmulatorConfig::default();
    let seed = config.platform.azure_ad.as_mut().unwrap();
    seed.fields[3].name = "AAD Realm".into();
    seed.fields[3].reference_name = "realm".into();
    let h = Harness::with(config);
    let run = h.setup(&[]);
    run.assert_code(2);
    assert!(run.stderr.contains("--field tenant="), "{}", run.stderr);
    assert!(run.stderr.contains("AAD Realm"), "{}", run.stderr);
    assert!(h.our_apps().is_empty());
    h.setup(&["--field", "tenant=realm"]).assert_code(0);
    let connections = h.list("connections");
    let p = &connections[0];
    assert_eq!(param(p, "realm")["value"], h.creds.tenant_id.as_str());
}

#[test]
fn admin_consent_is_granted_once_and_reused() {
    let h = Harness::new();
    let run = h.setup(&["--admin-consent"]);
    run.assert_code(0);
    assert_eq!(run.json()["consent"]["action"], "created");
    let again = h.setup(&["--admin-consent"]);
    again.assert_code(0);
    assert_eq!(again.json()["consent"]["action"], "reused");
    let app_id = h.our_apps()[0]["appId"].clone();
    let sp_id = h
        .list("servicePrincipals")
        .into_iter()
        .find(|s| s["appId"] == app_id)
        .unwrap()["id"]
        .clone();
    let grants: Vec<Value> = h
        .list("oauth2PermissionGrants")
        .into_iter()
        .filter(|g| g["clientId"] == sp_id)
        .collect();
    assert_eq!(grants.len(), 1, "never a second grant");
    assert_eq!(grants[0]["consentType"], "AllPrincipals");
    assert_eq!(grants[0]["scope"], "Directory.ReadWrite.All");
}

#[test]
fn dry_run_signs_in_reads_and_changes_nothing() {
    let h = Harness::new();
    let before = h.created();
    let run = h.setup(&["--dry-run", "--admin-consent"]);
    run.assert_code(0);
    let out = run.json();
    assert_eq!(out["status"], "dry-run");
    let changes = out["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["message"]
            .as_str()
            .unwrap()
            .contains("create the app registration")),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|c| c["message"]
            .as_str()
            .unwrap()
            .contains("platform connection")),
        "{changes:?}"
    );
    assert_eq!(h.created(), before);
    assert_eq!(h.requests("POST", &h.graph_path("")), 0);
    assert_eq!(h.requests("PATCH", &h.graph_path("")), 0);
}

#[test]
fn replication_delay_and_throttling_are_ridden_out_with_one_of_everything() {
    let mut config = aad_setup_emulator::EmulatorConfig::demo();
    config.replication.millis = 0;
    config.replication.requests = 3;
    config.throttle.every = 4;
    config.throttle.retry_after_secs = Some(1);
    config.throttle.omit_retry_after_every_other = true;
    let h = Harness::with(config);
    let run = h.setup(&["--admin-consent"]);
    run.assert_code(0);
    assert_eq!(h.our_apps().len(), 1);
    assert_eq!(
        h.our_apps()[0]["passwordCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(h.list("connections").len(), 1);
    let state = h.state();
    let counters = &state["requests"];
    let throttled = counters["throttled"]
        .as_u64()
        .or_else(|| state["counters"]["throttled"].as_u64())
        .unwrap_or(0);
    let misses = counters["replicationMisses"]
        .as_u64()
        .or_else(|| state["counters"]["replicationMisses"].as_u64())
        .unwrap_or(0);
    assert!(
        throttled > 0,
        "the run was throttled at least once: {counters}"
    );
    assert!(misses > 0, "the run met replication delay: {counters}");
    // POST /applications went through once: only refused (429) attempts were repeated.
    let creates: Vec<Value> = h
        .request_log()
        .into_iter()
        .filter(|r| r["method"] == "POST" && r["path"] == h.graph_path("applications").as_str())
        .collect();
    assert_eq!(
        creates.iter().filter(|r| r["status"] != 429).count(),
        1,
        "{creates:?}"
    );
}

#[test]
fn never_expiring_secrets_are_99_years_with_a_warning() {
    let h = Harness::new();
    let run = h.setup(&["--secret-expiry", "never"]);
    run.assert_code(0);
    assert!(run.stderr.contains("warning:"), "{}", run.stderr);
    assert!(run.stderr.contains("removed \"Never\""), "{}", run.stderr);
    // 99 years from when the secret was made (not from the test's clock
    // afterwards, which may already be in the next year).
    let secret = &h.our_apps()[0]["passwordCredentials"][0];
    let at = |key: &str| -> jiff::Timestamp { secret[key].as_str().unwrap().parse().unwrap() };
    let (start, end) = (at("startDateTime"), at("endDateTime"));
    let expected = start
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(jiff::Span::new().years(99))
        .unwrap()
        .timestamp();
    assert!(
        expected.duration_since(end).abs() < jiff::SignedDuration::from_mins(10),
        "{start} + 99 years is {expected}, not {end}"
    );
}

#[test]
fn rotate_on_a_new_machine_still_removes_the_secret_the_old_connection_held() {
    let h = Harness::new();
    let first = h.setup(&[]).json();
    // Another machine: no local record of which secret the connection holds.
    let run = h.run(
        h.cmd()
            .env("AAD_SETUP_STATE_DIR", h.home.path().join("elsewhere"))
            .args(["setup", "--rotate", "--output", "json"]),
    );
    run.assert_code(0);
    let out = run.json();
    let creds = h.our_apps()[0]["passwordCredentials"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(creds.len(), 1, "{creds:?}");
    assert_eq!(creds[0]["keyId"], out["secret"]["keyId"]);
    assert_ne!(creds[0]["keyId"], first["secret"]["keyId"]);
}

#[test]
fn a_reader_that_goes_away_does_not_cut_the_setup_short() {
    // `aad-setup setup | head -1`, at its harshest: stdout is closed before
    // the tool writes a byte of its result.
    let h = Harness::new();
    let mut child = h
        .cmd()
        .args(["setup", "--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(h.our_apps().len(), 1);
    assert_eq!(h.list("connections").len(), 1, "the setup was finished");
}
