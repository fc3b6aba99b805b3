//! Per-cloud sign-in: `--cloud usgov|usgov-dod|china`, and AZURE_AUTHORITY_HOST
//! alone, give the cloud's Graph scope, Graph host (the default Resource) and
//! GitHub OIDC audience; an explicit `--cloud` wins. The emulator is put in
//! the same cloud: it issues tokens only for that cloud's Graph
//! (AADSTS500011 otherwise) and its federated credential expects that
//! cloud's audience (AADSTS700213 otherwise). Hosts are reached on loopback
//! (`AAD_SETUP_LOGIN_URL` / `_GRAPH_URL`); which hosts a cloud means is
//! proven in `settings`' unit tests.

use std::process::Command;

use aad_setup_emulator::{EmulatedCloud, EmulatorConfig};

use crate::support::*;

const CLOUDS: [(&str, EmulatedCloud, &str); 3] = [
    ("usgov", EmulatedCloud::Usgov, "https://graph.microsoft.us"),
    (
        "usgov-dod",
        EmulatedCloud::UsgovDod,
        "https://dod-graph.microsoft.us",
    ),
    (
        "china",
        EmulatedCloud::China,
        "https://microsoftgraph.chinacloudapi.cn",
    ),
];

fn in_cloud(cloud: EmulatedCloud) -> Harness {
    let mut config = EmulatorConfig {
        cloud,
        ..EmulatorConfig::default()
    };
    config.sign_in.device_code_interval_secs = 0;
    config.sign_in.device_auto_approve_after_polls = Some(0);
    Harness::with(config)
}

/// The connection's Resource: the cloud's Graph host by default.
#[track_caller]
fn assert_resource(h: &Harness, run: &Run, graph: &str) {
    run.assert_code(0);
    let connections = h.list("connections");
    assert_eq!(connections.len(), 1);
    assert_eq!(param(&connections[0], "resource")["value"], graph);
}

fn github_oidc(h: &Harness) -> Command {
    let mut cmd = h.cmd();
    cmd.env_remove("AZURE_CLIENT_SECRET")
        .env("GITHUB_ACTIONS", "true")
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &h.creds.github_oidc_request_url,
        )
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            &h.creds.github_oidc_request_token,
        );
    cmd
}

#[test]
fn each_cloud_gets_its_own_scope_graph_host_and_oidc_audience() {
    for (name, cloud, graph) in CLOUDS {
        // Client secret: the token is asked for the cloud's Graph.
        let h = in_cloud(cloud);
        let run = h.run(h.cmd().args(["setup", "--cloud", name]));
        assert_resource(&h, &run, graph);
        assert!(
            run.stderr
                .contains(&format!("the {name} cloud is selected")),
            "{}",
            run.stderr
        );

        // Device code: the delegated scopes are the cloud's Graph's.
        let h = in_cloud(cloud);
        let mut cmd = h.cmd();
        cmd.env_remove("AZURE_CLIENT_SECRET").args([
            "setup",
            "--auth",
            "device-code",
            "--cloud",
            name,
        ]);
        assert_resource(&h, &h.run(&mut cmd), graph);

        // GitHub OIDC: the token is asked for the cloud's audience.
        let h = in_cloud(cloud);
        let run = h.run(github_oidc(&h).args(["setup", "--cloud", name]));
        assert_resource(&h, &run, graph);

        // The public cloud's scope is not a resource of this tenant.
        let h = in_cloud(cloud);
        let before = h.created();
        let run = h.run(h.cmd().arg("setup"));
        run.assert_code(3);
        assert!(
            run.stderr.contains("AADSTS500011"),
            "{name}: {}",
            run.stderr
        );
        assert_eq!(h.created(), before);
    }
}

#[test]
fn azure_authority_host_alone_implies_the_cloud_and_an_explicit_cloud_wins() {
    // A GCC High pipeline sets only AZURE_AUTHORITY_HOST (the sign-in itself
    // goes to the emulator through AAD_SETUP_LOGIN_URL, which wins for the
    // host): the scope, Graph host and OIDC audience follow it.
    let h = in_cloud(EmulatedCloud::Usgov);
    let run = h.run(
        h.cmd()
            .env("AZURE_AUTHORITY_HOST", "login.microsoftonline.us")
            .arg("setup"),
    );
    assert_resource(&h, &run, "https://graph.microsoft.us");
    let h = in_cloud(EmulatedCloud::Usgov);
    let run = h.run(
        github_oidc(&h)
            .env("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us")
            .arg("setup"),
    );
    assert_resource(&h, &run, "https://graph.microsoft.us");

    // --cloud wins over the variable: DoD shares GCC High's sign-in host.
    let h = in_cloud(EmulatedCloud::UsgovDod);
    let run = h.run(
        h.cmd()
            .env("AZURE_AUTHORITY_HOST", "login.microsoftonline.us")
            .args(["setup", "--cloud", "usgov-dod"]),
    );
    assert_resource(&h, &run, "https://dod-graph.microsoft.us");
    // …and the variable alone would have meant GCC High, whose Graph the DoD
    // tenant does not know.
    let h = in_cloud(EmulatedCloud::UsgovDod);
    let run = h.run(
        h.cmd()
            .env("AZURE_AUTHORITY_HOST", "login.microsoftonline.us")
            .arg("setup"),
    );
    run.assert_code(3);
    assert!(run.stderr.contains("AADSTS500011"), "{}", run.stderr);
    // AAD_SETUP_CLOUD is --cloud too.
    let h = in_cloud(EmulatedCloud::China);
    let run = h.run(
        h.cmd()
            .env("AZURE_AUTHORITY_HOST", "login.microsoftonline.us")
            .env("AAD_SETUP_CLOUD", "china")
            .arg("setup"),
    );
    assert_resource(&h, &run, "https://microsoftgraph.chinacloudapi.cn");
}

#[test]
fn a_variable_names_another_oidc_audience() {
    // A federated credential made with an audience of its own.
    let custom = |audience: &str| {
        let mut config = EmulatorConfig::default();
        if let Some(fed) = &mut config.sign_in.federated_credential {
            fed.audience = audience.to_owned();
        }
        Harness::with(config)
    };
    let h = custom("api://ContosoPipelines");
    let run = h.run(
        github_oidc(&h)
            .env("AAD_SETUP_OIDC_AUDIENCE", "api://ContosoPipelines")
            .arg("setup"),
    );
    assert_resource(&h, &run, "https://graph.microsoft.com");
    // Without it, the cloud's default is asked for, which this credential
    // does not trust.
    let h = custom("api://ContosoPipelines");
    let run = h.run(github_oidc(&h).arg("setup"));
    run.assert_code(3);
    assert!(run.stderr.contains("AADSTS700213"), "{}", run.stderr);
    assert!(h.our_apps().is_empty());
}
