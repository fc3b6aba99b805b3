//! The settings' tests: resolution, provenance and each command's plan.
use super::endpoints::resolve_cloud;
use super::*;
use crate::auth::SignIn;
use crate::cli::{AuthChoice, CloudChoice};
use crate::cloud::Cloud;
use crate::env::{self, Environment};
use crate::guide::{self, DYNAMICS_APP_ID, GRAPH_APP_ID};
use crate::output::Interaction;

#[test]
fn the_cloud_comes_from_the_flag_else_the_authority_host_else_public() {
    // (--cloud, AZURE_AUTHORITY_HOST) → (login, Graph, scope's resource, OIDC audience)
    let cases = [
        (None, None, Cloud::PUBLIC),
        (Some(CloudChoice::Usgov), None, Cloud::USGOV),
        (Some(CloudChoice::UsgovDod), None, Cloud::USGOV_DOD),
        (Some(CloudChoice::China), None, Cloud::CHINA),
        // The variable alone implies the cloud, with or without a scheme.
        (None, Some("login.microsoftonline.us"), Cloud::USGOV),
        (
            None,
            Some("https://login.microsoftonline.us/"),
            Cloud::USGOV,
        ),
        (None, Some("https://LOGIN.chinacloudapi.cn"), Cloud::CHINA),
        (None, Some("login.microsoftonline.com"), Cloud::PUBLIC),
        (None, Some("http://127.0.0.1:8080/login"), Cloud::PUBLIC),
        // An explicit --cloud wins.
        (
            Some(CloudChoice::China),
            Some("login.microsoftonline.us"),
            Cloud::CHINA,
        ),
        (
            Some(CloudChoice::UsgovDod),
            Some("login.microsoftonline.us"),
            Cloud::USGOV_DOD,
        ),
        (
            Some(CloudChoice::Public),
            Some("login.microsoftonline.us"),
            Cloud::PUBLIC,
        ),
    ];
    for (flag, host, want) in cases {
        assert_eq!(resolve_cloud(flag, host), Ok(want), "{flag:?} {host:?}");
    }
    // China's partner host, as Microsoft's national-cloud page gives it.
    assert_eq!(
        resolve_cloud(None, Some("https://login.partner.microsoftonline.cn")),
        Ok(Cloud::CHINA)
    );
    // An unknown host names --cloud, unless --cloud says.
    let err = resolve_cloud(None, Some("https://login.example.com")).unwrap_err();
    assert!(
        err.contains("--cloud") && err.contains("login.example.com"),
        "{err}"
    );
    assert_eq!(
        resolve_cloud(Some(CloudChoice::Usgov), Some("https://login.example.com")),
        Ok(Cloud::USGOV)
    );
    assert_eq!(Cloud::USGOV_DOD.graph, "https://dod-graph.microsoft.us");
    assert_eq!(Cloud::USGOV_DOD.login, "https://login.microsoftonline.us");
    assert_eq!(
        Cloud::USGOV.token_exchange_audience,
        "api://AzureADTokenExchangeUSGov"
    );
    assert_eq!(
        Cloud::CHINA.token_exchange_audience,
        "api://AzureADTokenExchangeChina"
    );
}

#[test]
fn api_names_resolve_to_the_well_known_ids() {
    assert!(ApiRef::parse(crate::guide::API).is_graph());
    assert_eq!(
        ApiRef::parse("Dynamics CRM"),
        ApiRef::AppId(DYNAMICS_APP_ID.into())
    );
    assert_eq!(
        ApiRef::parse("Dynamics"),
        ApiRef::AppId(DYNAMICS_APP_ID.into())
    );
    assert_eq!(
        ApiRef::parse("Contoso API"),
        ApiRef::Name("Contoso API".into())
    );
    assert_eq!(
        ApiRef::parse("00000003-0000-0000-C000-000000000000"),
        ApiRef::AppId(GRAPH_APP_ID.into())
    );
}

use crate::cli::{Cli, Command};
use base64::Engine as _;
use clap::Parser as _;

/// The command line as typed; no environment is read.
fn parse(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("aad-setup").chain(args.iter().copied())).expect("parses")
}

fn setup(args: &[&str], env: &[(&'static str, &str)]) -> Inputs {
    let cli = parse(args);
    let args = match cli.command {
        Some(Command::Setup(args)) => *args,
        None => cli.setup,
        _ => panic!("setup"),
    };
    SetupSettings::resolve(&args, &Environment::from_pairs(env))
        .expect("resolves")
        .inputs
}

fn quiet() -> Interaction {
    Interaction {
        format: crate::output::OutputFormat::Human,
        interactive: false,
        verbose: 0,
        color: false,
        github_actions: false,
        github_output: None,
        github_step_summary: None,
    }
}

const TENANT_ID: &str = "11111111-2222-3333-4444-555555555555";
const CLIENT_ID: &str = "66666666-7777-8888-9999-000000000000";

fn platform_token() -> String {
    base64::engine::general_purpose::STANDARD.encode("id:secret:acme.pushbot.com:prod")
}

/// A pipeline's environment: a client secret and a platform token.
fn pipeline() -> Vec<(&'static str, String)> {
    vec![
        (env::AZURE_TENANT_ID, TENANT_ID.to_owned()),
        (env::AZURE_CLIENT_ID, CLIENT_ID.to_owned()),
        (env::AZURE_CLIENT_SECRET, "s3cret".to_owned()),
        (env::CATALYTIC_TOKEN, platform_token()),
        (env::STATE_DIR, "/nonexistent/state".to_owned()),
    ]
}

fn with<'a>(
    base: &'a [(&'static str, String)],
    more: &[(&'static str, &'a str)],
) -> Vec<(&'static str, &'a str)> {
    base.iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(more.iter().copied())
        .collect()
}

#[test]
fn setup_flag_beats_variable_beats_default_and_says_which() {
    let inputs = setup(&[], &[]);
    assert_eq!(inputs.app_name, guide::APP_NAME);
    assert_eq!(inputs.source(Flag::AppName), Some(&Source::Default));
    assert_eq!(inputs.given(Flag::AppName), None);

    let inputs = setup(&[], &[(env::APP_NAME, "From Env")]);
    assert_eq!(inputs.app_name, "From Env");
    assert_eq!(
        inputs.given(Flag::AppName),
        Some(&Source::Variable(env::APP_NAME))
    );

    let inputs = setup(
        &["setup", "--app-name", "From Flag"],
        &[(env::APP_NAME, "From Env")],
    );
    assert_eq!(inputs.app_name, "From Flag");
    assert_eq!(
        inputs
            .given(Flag::AppName)
            .map(ToString::to_string)
            .as_deref(),
        Some("--app-name")
    );

    // Switches and choices too.
    let inputs = setup(&[], &[(env::DRY_RUN, "true"), (env::AUTH, "device-code")]);
    assert!(inputs.dry_run);
    assert_eq!(inputs.auth, AuthChoice::DeviceCode);
    assert_eq!(
        inputs.source(Flag::Auth),
        Some(&Source::Variable(env::AUTH))
    );
    let inputs = setup(
        &["--auth", "az-cli"],
        &[(env::DRY_RUN, "0"), (env::AUTH, "device-code")],
    );
    assert!(!inputs.dry_run);
    assert_eq!(inputs.auth, AuthChoice::AzCli);
    // A repeatable flag's variable is a list.
    let inputs = setup(&[], &[(env::FIELD, "tenant=dir, resource=res")]);
    assert_eq!(inputs.fields, ["tenant=dir", "resource=res"]);
}

#[test]
fn a_bad_variable_is_named_in_the_error() {
    let cli = parse(&[]);
    let err = SetupSettings::resolve(
        &cli.setup,
        &Environment::from_pairs(&[(env::AUTH, "magic")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(env::AUTH) && err.contains("device-code"),
        "{err}"
    );
}

#[test]
fn the_tenant_comes_from_the_flag_then_its_variable_then_azure_tenant_id() {
    let az = [(env::AZURE_TENANT_ID, "az.onmicrosoft.com")];
    let inputs = setup(&[], &az);
    assert_eq!(inputs.tenant.as_deref(), Some("az.onmicrosoft.com"));
    assert_eq!(
        inputs.given(Flag::Tenant),
        Some(&Source::Variable(env::AZURE_TENANT_ID))
    );
    let inputs = setup(&[], &[az[0], (env::TENANT, "ours.onmicrosoft.com")]);
    assert_eq!(
        inputs.given(Flag::Tenant),
        Some(&Source::Variable(env::TENANT))
    );
    let inputs = setup(
        &["--tenant", "flag.onmicrosoft.com"],
        &[az[0], (env::TENANT, "x")],
    );
    assert_eq!(inputs.tenant.as_deref(), Some("flag.onmicrosoft.com"));
    assert_eq!(setup(&[], &[]).tenant, None);
}

#[test]
fn setup_plans_a_pipeline_run_from_the_environment_alone() {
    let env = pipeline();
    let inputs = setup(&[], &with(&env, &[]));
    let plan = SetupSettings { inputs }
        .plan(&quiet(), Supplied::default())
        .unwrap();
    assert_eq!(plan.mode, Mode::Setup);
    let SignIn::ClientSecret(request) = &plan.sign_in else {
        panic!("auto picks the client secret: {:?}", plan.sign_in)
    };
    assert_eq!(request.client_id, CLIENT_ID);
    assert_eq!(request.source, env::AZURE_CLIENT_SECRET);
    assert_eq!(plan.platform().unwrap().token.domain, "acme.pushbot.com");
    assert_eq!(plan.app.redirect_uri, guide::REDIRECT_URI);
}

#[test]
fn register_needs_somewhere_to_put_the_secret_by_flag_or_variable() {
    let env = pipeline();
    let cli = parse(&["register"]);
    let Some(Command::Register(args)) = cli.command else {
        panic!()
    };
    let err =
        RegisterSettings::resolve(&args, &Environment::from_pairs(&with(&env, &[])), &quiet())
            .unwrap_err()
            .to_string();
    assert!(err.contains("say where it goes"), "{err}");
    let settings = RegisterSettings::resolve(
        &args,
        &Environment::from_pairs(&with(&env, &[(env::SHOW_SECRET, "1")])),
        &quiet(),
    )
    .unwrap();
    assert!(settings.plan.secret.show);
    assert!(
        settings.plan.platform.is_none(),
        "register leaves the platform alone"
    );
    // A setup-only variable does not reach register: it has no --connection-name.
    assert_eq!(settings.plan.mode, Mode::Register);
}

#[test]
fn rotate_takes_its_expiry_from_flag_or_variable_and_always_rotates() {
    let env = pipeline();
    let resolve = |args: &[&str], more: &[(&'static str, &str)]| {
        let cli = parse(args);
        let Some(Command::Rotate(args)) = cli.command else {
            panic!()
        };
        RotateSettings::resolve(&args, &Environment::from_pairs(&with(&env, more)), &quiet())
            .unwrap()
            .plan
    };
    let plan = resolve(&["rotate"], &[]);
    assert!(plan.secret.rotate);
    assert_eq!(plan.mode, Mode::Rotate);
    let plan = resolve(&["rotate"], &[(env::SECRET_DESCRIPTION, "from-env")]);
    assert_eq!(plan.secret.description, "from-env");
    let plan = resolve(
        &["rotate", "--secret-description", "from-flag"],
        &[(env::SECRET_DESCRIPTION, "from-env")],
    );
    assert_eq!(plan.secret.description, "from-flag");
}

#[test]
fn status_warns_within_flag_variable_or_thirty_days() {
    let env = pipeline();
    let resolve = |args: &[&str], more: &[(&'static str, &str)]| {
        let cli = parse(args);
        let Some(Command::Status(args)) = cli.command else {
            panic!()
        };
        StatusSettings::resolve(&args, &Environment::from_pairs(&with(&env, more)), &quiet())
            .unwrap()
            .warn_within
    };
    assert_eq!(resolve(&["status"], &[]), "30d");
    assert_eq!(
        resolve(&["status"], &[(env::WARN_WITHIN, "2 weeks")]),
        "2 weeks"
    );
    assert_eq!(
        resolve(
            &["status", "--warn-within", "3mo"],
            &[(env::WARN_WITHIN, "2 weeks")]
        ),
        "3mo"
    );
}

#[test]
fn remove_ignores_setup_only_variables_and_reads_its_own() {
    let env = pipeline();
    // AAD_SETUP_API is setup's: a non-Graph API would need a Resource.
    let more = [(env::API, "foo"), (env::YES, "yes"), (env::DRY_RUN, "1")];
    let cli = parse(&["remove"]);
    let Some(Command::Remove(args)) = cli.command else {
        panic!()
    };
    let settings = RemoveSettings::resolve(
        &args,
        &Environment::from_pairs(&with(&env, &more)),
        &quiet(),
    )
    .unwrap();
    assert!(settings.yes && settings.plan.dry_run);
    assert!(settings.plan.app.api.is_graph());
    assert!(matches!(
        settings.plan.mode,
        Mode::Remove { platform: true }
    ));
}

#[test]
fn connect_reads_the_apps_client_id_not_the_pipelines() {
    let env = [
        (env::AZURE_CLIENT_ID, CLIENT_ID),
        (env::APP_CLIENT_ID, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
        (env::APP_CLIENT_SECRET, "app-secret"),
        (env::TENANT, TENANT_ID),
    ];
    let token = platform_token();
    let env: Vec<_> = env
        .into_iter()
        .chain([(env::CATALYTIC_TOKEN, token.as_str())])
        .collect();
    let cli = parse(&["connect"]);
    let Some(Command::Connect(args)) = cli.command else {
        panic!()
    };
    let plan = ConnectSettings::resolve(&args, &Environment::from_pairs(&env))
        .unwrap()
        .plan;
    assert_eq!(plan.app.client_id, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    assert_eq!(plan.app.source, env::APP_CLIENT_SECRET);
    assert_eq!(plan.app.tenant, TENANT_ID);
    assert_eq!(plan.resource, "https://graph.microsoft.com");
}

#[test]
fn platform_login_defaults_and_checks_its_values() {
    let resolve = |args: &[&str], env: &[(&'static str, &str)]| {
        let cli = parse(args);
        let Some(Command::PlatformLogin(args)) = cli.command else {
            panic!()
        };
        PlatformLoginSettings::resolve(&args, &Environment::from_pairs(env))
    };
    let settings = resolve(&["platform-login"], &[]).unwrap();
    assert_eq!(
        (settings.name.as_str(), settings.wait.as_secs()),
        ("default", 300)
    );
    assert_eq!(settings.team, None);
    let settings = resolve(
        &["platform-login"],
        &[
            (env::TOKEN_NAME, "ci"),
            (env::TEAM, "acme"),
            (env::WAIT, "60"),
        ],
    )
    .unwrap();
    assert_eq!(
        (settings.name.as_str(), settings.wait.as_secs()),
        ("ci", 60)
    );
    assert_eq!(settings.team.as_deref(), Some("acme.pushbot.com"));
    let err = resolve(&["platform-login"], &[(env::WAIT, "9999")])
        .unwrap_err()
        .to_string();
    assert!(err.contains(env::WAIT), "{err}");
}

#[test]
fn the_wizard_learns_which_given_values_are_bad_and_where_they_came_from() {
    let inputs = setup(
        &["--redirect-uri", "http://bad.example"],
        &[
            (env::SECRET_EXPIRY, "sometime"),
            (env::LOGIN_URL, "http://login.example"),
        ],
    );
    let problems = check_given(&inputs);
    let flags: Vec<Flag> = problems.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        flags,
        [Flag::RedirectUri, Flag::SecretExpiry, Flag::LoginUrl]
    );
    assert!(
        problems[0].1.starts_with("--redirect-uri: "),
        "{problems:?}"
    );
    assert!(
        problems[1].1.starts_with(env::SECRET_EXPIRY),
        "{problems:?}"
    );
    // The defaults are never reported; a forgotten value is asked again.
    assert!(check_given(&setup(&[], &[])).is_empty());
    let mut inputs = inputs;
    inputs.forget(Flag::RedirectUri);
    assert_eq!(inputs.redirect_uri, guide::REDIRECT_URI);
    assert_eq!(inputs.given(Flag::RedirectUri), None);
    inputs.answer(Flag::RedirectUri);
    assert_eq!(inputs.source(Flag::RedirectUri), Some(&Source::Prompt));
}

#[test]
fn the_pipeline_identity_is_found_with_its_source() {
    let inputs = setup(
        &[],
        &[
            (env::AZURE_CLIENT_ID, CLIENT_ID),
            (env::AZURE_CLIENT_SECRET, "x"),
        ],
    );
    assert_eq!(
        pipeline_client_id(&inputs),
        Some((CLIENT_ID.to_owned(), Source::Variable(env::AZURE_CLIENT_ID)))
    );
    assert_eq!(
        client_secret_source(&inputs),
        Some(Source::Variable(env::AZURE_CLIENT_SECRET))
    );
    let inputs = setup(&["--client-id", CLIENT_ID], &[]);
    assert_eq!(
        pipeline_client_id(&inputs)
            .map(|(_, s)| s.to_string())
            .as_deref(),
        Some("--client-id")
    );
    assert_eq!(client_secret_source(&inputs), None);
    assert!(!federated_available(&inputs));
}

#[test]
fn new_files_must_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("x");
    std::fs::write(&existing, "").unwrap();
    assert!(check_new_file("--secret-file", &existing).is_err());
    assert!(check_new_file("--secret-file", &dir.path().join("y")).is_ok());
    assert!(check_new_file("--secret-file", &dir.path().join("no/such/y")).is_err());
}
