//! After setup: `status` checks health read-only; `remove` deletes what the
//! tool made, only with --yes, never a namesake it did not make.

use serde_json::Value;

use crate::support::*;

fn status(h: &Harness, args: &[&str]) -> Run {
    h.run(h.cmd().args(["status", "--output", "json"]).args(args))
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {report}"))
}

#[test]
fn status_is_healthy_after_setup_and_changes_nothing() {
    let h = Harness::new();
    h.setup(&[]).assert_code(0);
    let before = h.created();
    let writes = h.requests("POST", &h.graph_path("")) + h.requests("PATCH", &h.graph_path(""));
    let run = status(&h, &[]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["healthy"], true);
    for name in [
        "app registration",
        "single tenant",
        "redirect URI",
        "permission",
        "service principal",
        "client secret",
        "platform connection",
    ] {
        assert_eq!(check(&report, name)["ok"], true, "{name}: {report}");
    }
    assert_eq!(h.created(), before);
    assert_eq!(
        h.requests("POST", &h.graph_path("")) + h.requests("PATCH", &h.graph_path("")),
        writes
    );
    h.assert_no_secret("stdout", &run.stdout);
}

#[test]
fn status_before_setup_says_what_to_run() {
    let h = Harness::new();
    let run = status(&h, &[]);
    run.assert_code(6);
    let report = run.json();
    assert_eq!(report["healthy"], false);
    assert!(
        check(&report, "app registration")["detail"]
            .as_str()
            .unwrap()
            .contains("aad-setup setup")
    );
}

#[test]
fn status_flags_a_secret_that_expires_soon() {
    let h = Harness::new();
    h.setup(&["--secret-expiry", "10d"]).assert_code(0);
    let run = status(&h, &[]);
    run.assert_code(6);
    let secret = check(&run.json(), "client secret").clone();
    assert_eq!(secret["ok"], false);
    assert!(
        secret["detail"]
            .as_str()
            .unwrap()
            .contains("aad-setup rotate"),
        "{secret}"
    );
    status(&h, &["--warn-within", "5d"]).assert_code(0);
    let human = h.run(h.cmd().arg("status"));
    human.assert_code(6);
    assert!(human.stdout.contains("✗ client secret"), "{}", human.stdout);
}

#[test]
fn remove_needs_yes_lists_with_dry_run_and_then_deletes_what_the_tool_made() {
    let h = Harness::new();
    h.setup(&[]).assert_code(0);
    let app_id = h.our_apps()[0]["appId"].as_str().unwrap().to_owned();

    let refused = h.run(h.cmd().arg("remove"));
    refused.assert_code(2);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    let dry = h.run(h.cmd().args(["remove", "--dry-run"]));
    dry.assert_code(0);
    assert!(dry.stdout.contains(&app_id), "{}", dry.stdout);
    assert_eq!(h.our_apps().len(), 1);
    assert_eq!(h.list("connections").len(), 1);

    let run = h.run(h.cmd().args(["remove", "--yes", "--output", "json"]));
    run.assert_code(0);
    assert_eq!(run.json()["removed"]["app"]["clientId"], app_id.as_str());
    assert!(h.our_apps().is_empty());
    assert!(h.list("connections").is_empty());
    assert!(
        h.list("servicePrincipals")
            .iter()
            .all(|s| s["appId"] != app_id.as_str()),
        "its service principal went with it"
    );
    assert!(
        !read_tree(&h.state_dir()).contains(&app_id),
        "the local record is gone"
    );
    // A second remove finds nothing.
    let again = h.run(h.cmd().args(["remove", "--yes"]));
    again.assert_code(0);
    assert!(
        again.stdout.contains("Nothing to remove"),
        "{}",
        again.stdout
    );
}

#[test]
fn remove_never_deletes_a_namesake_the_tool_did_not_make() {
    let h = Harness::new();
    h.graph_post(
        "applications",
        serde_json::json!({ "displayName": APP_NAME, "signInAudience": "AzureADMyOrg" }),
    );
    let run = h.run(h.cmd().args(["remove", "--yes"]));
    run.assert_code(2);
    assert_eq!(h.our_apps().len(), 1, "the namesake is still there");
}
