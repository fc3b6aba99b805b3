//! The least-privilege table (README, "Least privilege"), row by row: every
//! command run as each identity admins really use, against a tenant that
//! holds exactly those identities. Each row asserts the exit code, what the
//! user is told, and what exists in the emulator afterwards.

use std::process::Command;

use aad_setup_emulator::EmulatorConfig;

use crate::support::*;

/// Who runs the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// App-only: Application.ReadWrite.All + DelegatedPermissionGrant.ReadWrite.All
    /// (+ Organization.Read.All, Policy.Read.All).
    Admin,
    /// App-only: Application.ReadWrite.All only.
    Writer,
    /// App-only: Application.ReadWrite.OwnedBy only.
    OwnedBy,
    /// App-only: Application.Read.All only.
    Reader,
    /// App-only: Directory.Read.All only.
    DirectoryReader,
    /// A user by device code, an Application Developer: cannot obtain
    /// DelegatedPermissionGrant.ReadWrite.All, changes only apps they own.
    Developer,
}

impl Who {
    fn identity(self) -> &'static str {
        match self {
            Who::Admin => "admin",
            Who::Writer => "writer",
            Who::OwnedBy => "owned-by",
            Who::Reader => "reader",
            Who::DirectoryReader => "directory-reader",
            Who::Developer => "developer",
        }
    }
}

/// What exists before the command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Before {
    Nothing,
    /// A whole setup, with admin consent, made by the full admin.
    SetUpByAdmin,
    /// A whole setup made by the same identity.
    SetUpBySelf,
}

/// A harness whose device code is approved at once by the developer.
fn harness() -> Harness {
    let mut config = EmulatorConfig::default();
    config.sign_in.device_code_interval_secs = 0;
    config.sign_in.device_auto_approve_after_polls = Some(0);
    config.sign_in.user = "developer".into();
    Harness::with(config)
}

/// The binary signed in as `who`.
fn cmd_as(h: &Harness, who: Who) -> Command {
    let mut cmd = h.cmd();
    match who {
        Who::Developer => {
            cmd.env_remove("AZURE_CLIENT_ID")
                .env_remove("AZURE_CLIENT_SECRET")
                .env("AAD_SETUP_AUTH", "device-code");
        }
        other => {
            let id = h.creds.identity(other.identity()).expect("seeded identity");
            cmd.env("AZURE_CLIENT_ID", &id.client_id)
                .env("AZURE_CLIENT_SECRET", &id.client_secret);
        }
    }
    cmd
}

fn prepare(h: &Harness, who: Who, before: Before) {
    match before {
        Before::Nothing => {}
        Before::SetUpByAdmin => {
            h.setup(&["--admin-consent"]).assert_code(0);
        }
        Before::SetUpBySelf => {
            h.run(cmd_as(h, who).args(["setup", "--output", "json"]))
                .assert_code(0);
        }
    }
}

/// One row: `args` run as `who` after `before`; the exit code and words the
/// output must contain (stdout and stderr together).
struct Row {
    who: Who,
    before: Before,
    args: &'static [&'static str],
    code: i32,
    says: &'static [&'static str],
    /// Whether the emulator's objects (apps, service principals, grants,
    /// connections) must be as before the command.
    unchanged: bool,
}

#[track_caller]
fn check(rows: &[Row]) {
    for row in rows {
        let h = harness();
        prepare(&h, row.who, row.before);
        let before = h.created();
        let secrets_before = secret_count(&h);
        let home = h.home.path().display().to_string();
        let args: Vec<String> = row
            .args
            .iter()
            .map(|a| a.replace("{home}", &home))
            .collect();
        let run = h.run(cmd_as(&h, row.who).args(&args));
        let what = format!("{:?} {:?} {:?}", row.who, row.before, row.args);
        assert_eq!(
            run.code, row.code,
            "{what}: exit {}\n--- stdout\n{}\n--- stderr\n{}",
            run.code, run.stdout, run.stderr
        );
        let all = format!("{}\n{}", run.stdout, run.stderr);
        for word in row.says {
            assert!(all.contains(word), "{what}: does not say {word:?}:\n{all}");
        }
        if row.unchanged {
            assert_eq!(h.created(), before, "{what}: something changed");
            assert_eq!(secret_count(&h), secrets_before, "{what}: a secret changed");
        }
        h.assert_no_secret("stdout", &run.stdout);
        h.assert_no_secret("stderr", &run.stderr);
    }
}

fn secret_count(h: &Harness) -> usize {
    h.our_apps()
        .iter()
        .map(|a| a["passwordCredentials"].as_array().map_or(0, Vec::len))
        .sum()
}

#[test]
fn setup_as_each_identity() {
    use Who::*;
    let row = |who, code, says, unchanged| Row {
        who,
        before: Before::Nothing,
        args: &["setup"],
        code,
        says,
        unchanged,
    };
    check(&[
        row(Admin, 0, &[], false),
        row(Writer, 0, &["--admin-consent"], false),
        row(OwnedBy, 0, &[], false),
        row(Developer, 0, &[], false),
        row(Reader, 4, &["Application.ReadWrite.All"], true),
    ]);
    // A re-run over the admin's setup: nothing to do, even for identities
    // that may not change that app (the reader still stops up front: a
    // setup may write); it reads no grants it was not asked to make.
    for who in [Writer, OwnedBy, Developer] {
        check(&[Row {
            who,
            before: Before::SetUpByAdmin,
            args: &["setup"],
            code: 0,
            says: &[],
            unchanged: true,
        }]);
    }
    // What a setup as each leaves: the app, its service principal (tagged for
    // the portal's Enterprise applications) and the connection.
    for who in [Writer, OwnedBy, Developer] {
        let h = harness();
        h.run(cmd_as(&h, who).arg("setup")).assert_code(0);
        let app = &h.our_apps()[0];
        let sp = h
            .list("servicePrincipals")
            .into_iter()
            .find(|s| s["appId"] == app["appId"])
            .unwrap_or_else(|| panic!("{who:?}: no service principal"));
        assert!(
            sp["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "WindowsAzureActiveDirectoryIntegratedApp"),
            "{who:?}: {sp}"
        );
        assert_eq!(h.list("connections").len(), 1, "{who:?}");
        assert!(h.list("oauth2PermissionGrants").is_empty(), "{who:?}");
    }
}

#[test]
fn setup_with_admin_consent_as_each_identity() {
    use Who::*;
    let row = |who, code, says, unchanged| Row {
        who,
        before: Before::Nothing,
        args: &["setup", "--admin-consent"],
        code,
        says,
        unchanged,
    };
    check(&[
        row(Admin, 0, &[], false),
        row(Writer, 4, &["DelegatedPermissionGrant.ReadWrite.All"], true),
        row(
            OwnedBy,
            4,
            &["DelegatedPermissionGrant.ReadWrite.All"],
            true,
        ),
        row(Reader, 4, &["Application.ReadWrite.All"], true),
        // The scope is asked for at sign-in, which the developer cannot
        // obtain: Entra refuses the sign-in, before anything is made.
        row(Developer, 3, &["AADSTS65001", "admin"], true),
    ]);
}

#[test]
fn a_dry_run_as_each_identity_shows_the_plan() {
    use Who::*;
    let row = |who, says| Row {
        who,
        before: Before::Nothing,
        args: &["setup", "--dry-run"],
        code: 0,
        says,
        unchanged: true,
    };
    check(&[
        row(Admin, &["create"]),
        row(Writer, &["create"]),
        row(OwnedBy, &["create"]),
        row(Developer, &["create"]),
        // A reviewer with read rights sees the plan and what a real run needs.
        row(Reader, &["create", "Application.ReadWrite.All"]),
    ]);
    // With consent asked for, the plan also names the grant permission.
    check(&[
        Row {
            who: Reader,
            before: Before::Nothing,
            args: &["setup", "--dry-run", "--admin-consent"],
            code: 0,
            says: &[
                "Application.ReadWrite.All",
                "DelegatedPermissionGrant.ReadWrite.All",
            ],
            unchanged: true,
        },
        // Over an existing setup, grants it cannot read are said to be unknown.
        Row {
            who: Writer,
            before: Before::SetUpByAdmin,
            args: &["setup", "--dry-run", "--admin-consent"],
            code: 0,
            says: &[
                "DelegatedPermissionGrant.ReadWrite.All",
                "Directory.Read.All",
            ],
            unchanged: true,
        },
    ]);
}

#[test]
fn register_as_each_identity() {
    use Who::*;
    let row = |who, code, says, unchanged| Row {
        who,
        before: Before::Nothing,
        args: &["register", "--secret-file", "{home}/aad.secret"],
        code,
        says,
        unchanged,
    };
    check(&[
        row(Admin, 0, &[], false),
        row(Writer, 0, &[], false),
        row(OwnedBy, 0, &[], false),
        row(Developer, 0, &[], false),
        row(Reader, 4, &["Application.ReadWrite.All"], true),
    ]);
}

#[test]
fn status_as_each_identity() {
    use Who::*;
    let row = |who, says| Row {
        who,
        before: Before::SetUpByAdmin,
        args: &["status"],
        code: 0,
        says,
        unchanged: true,
    };
    check(&[
        // The directory is named where the identity may read it.
        row(
            Admin,
            &[
                "granted for all users",
                "Tenant Contoso (contoso.onmicrosoft.com, id ",
            ],
        ),
        // Reading grants needs Directory.Read.All: consent is unknown, not a
        // failure.
        row(
            Writer,
            &["• admin consent", "unknown", "Directory.Read.All"],
        ),
        row(OwnedBy, &["unknown", "Directory.Read.All"]),
        row(Reader, &["unknown", "Directory.Read.All"]),
        row(Developer, &["unknown", "Directory.Read.All"]),
        // Directory.Read.All reads the grants.
        row(DirectoryReader, &["granted for all users"]),
    ]);
}

#[test]
fn status_json_marks_what_it_could_not_read() {
    let h = harness();
    h.setup(&["--admin-consent"]).assert_code(0);
    let run = h.run(cmd_as(&h, Who::Writer).args(["status", "--output", "json"]));
    run.assert_code(0);
    let out = run.json();
    assert_eq!(out["healthy"], true);
    let consent = out["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "admin consent")
        .unwrap();
    assert_eq!(consent["consent"], "unknown", "{consent}");
    assert_eq!(consent["result"], "info", "{consent}");
    assert_eq!(consent["ok"], true);
    assert!(
        consent["detail"]
            .as_str()
            .unwrap()
            .contains("Directory.Read.All"),
        "{consent}"
    );
}

#[test]
fn rotate_as_each_identity() {
    use Who::*;
    let row = |who, before, code, says, unchanged| Row {
        who,
        before,
        args: &["rotate"],
        code,
        says,
        unchanged,
    };
    check(&[
        row(Admin, Before::SetUpByAdmin, 0, &[], false),
        row(Writer, Before::SetUpByAdmin, 0, &[], false),
        row(OwnedBy, Before::SetUpBySelf, 0, &[], false),
        row(Developer, Before::SetUpBySelf, 0, &[], false),
        // Someone else's app: OwnedBy and the developer may not change it.
        row(
            OwnedBy,
            Before::SetUpByAdmin,
            4,
            &[
                "Application.ReadWrite.All",
                "OwnedBy changes only the apps this identity owns",
            ],
            true,
        ),
        row(
            Developer,
            Before::SetUpByAdmin,
            4,
            &[
                "Application.ReadWrite.All",
                "Application Administrator",
                "only the apps they own",
            ],
            true,
        ),
        row(
            Reader,
            Before::SetUpByAdmin,
            4,
            &["Application.ReadWrite.All"],
            true,
        ),
    ]);
}

#[test]
fn remove_as_each_identity() {
    use Who::*;
    let row = |who, before, code, says, unchanged| Row {
        who,
        before,
        args: &["remove", "--yes"],
        code,
        says,
        unchanged,
    };
    check(&[
        row(Admin, Before::SetUpByAdmin, 0, &[], false),
        row(Writer, Before::SetUpByAdmin, 0, &[], false),
        row(OwnedBy, Before::SetUpBySelf, 0, &[], false),
        row(Developer, Before::SetUpBySelf, 0, &[], false),
        row(
            Reader,
            Before::SetUpByAdmin,
            4,
            &["Application.ReadWrite.All"],
            true,
        ),
        // Someone else's app: refused before the connection is deleted, so
        // nothing is half removed.
        row(
            OwnedBy,
            Before::SetUpByAdmin,
            4,
            &["OwnedBy changes only the apps this identity owns"],
            true,
        ),
        row(
            Developer,
            Before::SetUpByAdmin,
            4,
            &["only the apps they own"],
            true,
        ),
    ]);
    // A dry run is for anyone who can read.
    check(&[Row {
        who: Reader,
        before: Before::SetUpByAdmin,
        args: &["remove", "--dry-run"],
        code: 0,
        says: &["delete"],
        unchanged: true,
    }]);
}

#[test]
fn an_adopted_app_keeps_every_web_setting_except_what_the_guide_requires() {
    let h = harness();
    let planted = h.graph_post(
        "applications",
        serde_json::json!({
            "displayName": APP_NAME,
            "signInAudience": "AzureADMyOrg",
            "web": {
                "redirectUris": ["https://intranet.example/callback"],
                "homePageUrl": "https://intranet.example/",
                "logoutUrl": "https://intranet.example/logout",
                "implicitGrantSettings": {"enableIdTokenIssuance": true, "enableAccessTokenIssuance": true},
            },
        }),
    );
    h.setup(&["--adopt"]).assert_code(0);
    let app = &h.our_apps()[0];
    assert_eq!(app["id"], planted["id"]);
    assert_eq!(
        app["web"],
        serde_json::json!({
            "redirectUris": ["https://intranet.example/callback", "https://security.pushbot.com/oauth"],
            "homePageUrl": "https://intranet.example/",
            "logoutUrl": "https://intranet.example/logout",
            "enableIdTokenIssuance": true,
            "enableAccessTokenIssuance": true,
        })
    );
    // Its service principal, made by the tool, is an Enterprise application.
    let sp = h
        .list("servicePrincipals")
        .into_iter()
        .find(|s| s["appId"] == app["appId"])
        .expect("service principal");
    assert_eq!(
        sp["tags"],
        serde_json::json!(["WindowsAzureActiveDirectoryIntegratedApp", "aad-setup"])
    );
}

#[test]
fn the_default_resource_of_another_api_comes_from_its_service_principal() {
    let h = harness();
    let run = h.setup(&[
        "--api",
        "Dynamics CRM",
        "--permission",
        "user_impersonation",
    ]);
    run.assert_code(0);
    // Dynamics' principal names no App ID URL: its appId is the v1 resource.
    let connection = &h.list("connections")[0];
    assert_eq!(
        param(connection, "resource")["value"],
        "00000007-0000-0000-c000-000000000000"
    );
    assert_eq!(
        run.json()["resource"],
        "00000007-0000-0000-c000-000000000000"
    );
}

#[test]
fn a_device_code_with_no_tenant_signs_in_through_organizations() {
    let h = harness();
    let mut cmd = cmd_as(&h, Who::Developer);
    cmd.env_remove("AZURE_TENANT_ID")
        .args(["setup", "--output", "json"]);
    let run = h.run(&mut cmd);
    run.assert_code(0);
    // The tenant came from the token; the directory is named.
    assert_eq!(
        run.json()["tenant"],
        serde_json::json!({
            "id": h.creds.tenant_id,
            "name": "Contoso",
            "defaultDomain": "contoso.onmicrosoft.com",
        }),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("tenant Contoso (contoso.onmicrosoft.com, id "),
        "{}",
        run.stderr
    );
    assert!(h.requests("POST", "/login/organizations/oauth2/v2.0/devicecode") == 1);
    assert!(h.requests("POST", "/login/organizations/oauth2/v2.0/token") >= 1);
    assert_eq!(h.our_apps().len(), 1);
}

/// An Application Developer in a tenant where no administrator has consented
/// for the public client: Entra refuses the sign-in (AADSTS65001), and the
/// run says what an administrator must do, with the admin-consent URL of the
/// signing-in client. Nothing is created.
#[test]
fn a_developer_without_an_admins_consent_is_told_what_an_admin_must_do() {
    let mut config = EmulatorConfig::default();
    config.sign_in.device_code_interval_secs = 0;
    config.sign_in.device_auto_approve_after_polls = Some(0);
    config.sign_in.user = "developer".into();
    config.sign_in.public_client_admin_consent = false;
    let h = Harness::with(config);
    let before = h.created();
    let run = h.run(cmd_as(&h, Who::Developer).args(["setup"]));
    run.assert_code(3);
    let all = format!("{}\n{}", run.stdout, run.stderr);
    for word in [
        "AADSTS65001",
        "/v2.0/adminconsent?client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e",
        "Application.ReadWrite.All",
        "Cloud Application Administrator",
    ] {
        assert!(all.contains(word), "does not say {word:?}:\n{all}");
    }
    assert_eq!(h.created(), before);
}

/// The 403 "…must in the local tenant" that an OwnedBy identity gets for a
/// service principal of an app it does not own is exit 4 at once when this
/// run did not create the app (rotate over a missing service principal; a
/// setup over another's app), not three minutes of waiting for replication.
#[test]
fn owned_by_over_anothers_app_without_its_service_principal_is_exit_4_at_once() {
    for args in [&["rotate"][..], &["setup"][..]] {
        let h = harness();
        h.setup(&[]).assert_code(0);
        let app = &h.our_apps()[0];
        let app_id = app["appId"].as_str().unwrap().to_owned();
        let sp = h
            .list("servicePrincipals")
            .into_iter()
            .find(|s| s["appId"] == app_id.as_str())
            .expect("its service principal");
        h.graph_delete(&format!("servicePrincipals/{}", sp["id"].as_str().unwrap()));
        let graph = h.graph_path("servicePrincipals");
        let before = h.requests("POST", &graph);
        let started = std::time::Instant::now();
        let run = h.run(cmd_as(&h, Who::OwnedBy).args(args));
        run.assert_code(4);
        assert_eq!(
            h.requests("POST", &graph) - before,
            1,
            "{args:?}: tried again"
        );
        assert!(started.elapsed().as_secs() < 20, "{args:?}: waited");
        let all = format!("{}\n{}", run.stdout, run.stderr);
        assert!(all.contains("Application.ReadWrite.All"), "{all}");
    }
}

/// A service principal without the portal's tag (made by a script, say) is
/// missing from Enterprise applications: `status` says so (exit 6), `setup`
/// adds the tag and keeps the others; an identity that may not change it is
/// warned, and `status` keeps flagging it.
#[test]
fn a_service_principal_without_the_enterprise_tag_is_tagged_or_flagged() {
    let h = harness();
    h.setup(&[]).assert_code(0);
    let app_id = h.our_apps()[0]["appId"].as_str().unwrap().to_owned();
    let sp = || {
        h.list("servicePrincipals")
            .into_iter()
            .find(|s| s["appId"] == app_id.as_str())
            .expect("its service principal")
    };
    let id = sp()["id"].as_str().unwrap().to_owned();
    h.graph_patch(
        &format!("servicePrincipals/{id}"),
        serde_json::json!({"tags": ["kept-by-admin"]}),
    );
    let status = h.run(h.cmd().args(["status"]));
    status.assert_code(6);
    assert!(
        status.stdout.contains("Enterprise applications"),
        "{}",
        status.stdout
    );
    // Another's service principal: OwnedBy may not change it.
    let run = h.run(cmd_as(&h, Who::OwnedBy).args(["setup"]));
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("WindowsAzureActiveDirectoryIntegratedApp"),
        "{}",
        run.stderr
    );
    assert_eq!(sp()["tags"], serde_json::json!(["kept-by-admin"]));
    h.setup(&[]).assert_code(0);
    assert_eq!(
        sp()["tags"],
        serde_json::json!(["kept-by-admin", "WindowsAzureActiveDirectoryIntegratedApp"])
    );
    h.run(h.cmd().args(["status"])).assert_code(0);
}
