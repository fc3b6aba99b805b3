//! The GitHub Action (`.github/actions/aad-setup`): its step script run as
//! the runner runs it, with the inputs as INPUT_* variables, against the
//! emulator; and its action.yml checked against the script, so that an
//! input cannot be declared and then silently dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::install::{OLD_MARKER, OLD_VERSION, Releases, host_target, path_without_aad_setup};
use crate::support::*;

const ACTION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/actions/aad-setup");

/// The step as the runner starts it: `bash run.sh`, with the workflow's env
/// (here: the emulator's URLs and the pipeline app's secret) and the inputs.
fn step(h: &Harness, outputs: &Path, inputs: &[(&str, &str)]) -> Run {
    step_with(h, outputs, inputs, &[])
}

/// [`step`], with more of the job's env.
fn step_with(h: &Harness, outputs: &Path, inputs: &[(&str, &str)], env: &[(&str, &str)]) -> Run {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_aad-setup"))
        .parent()
        .expect("the binary's folder");
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(PathBuf::from(ACTION).join("run.sh"))
        .env_clear()
        .env("PATH", path)
        .env("HOME", h.home.path())
        .env("AAD_SETUP_STATE_DIR", h.state_dir())
        .env("AAD_SETUP_BACKOFF_SCALE", "0")
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", outputs)
        .env("AAD_SETUP_LOGIN_URL", h.emu.login_url())
        .env("AAD_SETUP_GRAPH_URL", h.emu.graph_url())
        .env("AAD_SETUP_PLATFORM_URL", h.emu.platform_url())
        .env("AZURE_CLIENT_SECRET", &h.creds.admin_client_secret)
        .stdin(std::process::Stdio::null());
    for (name, value) in env {
        cmd.env(name, value);
    }
    for (name, value) in inputs {
        cmd.env(
            format!("INPUT_{}", name.to_uppercase().replace('-', "_")),
            value,
        );
    }
    h.run(&mut cmd)
}

fn outputs(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn output<'a>(all: &'a [(String, String)], name: &str) -> &'a str {
    all.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no output {name} in {all:?}"))
}

#[test]
fn the_action_sets_up_from_its_inputs_and_fills_its_outputs() {
    let h = Harness::new();
    let out = h.home.path().join("github_output");
    let inputs = [
        ("tenant", h.creds.tenant_id.as_str()),
        ("client-id", h.creds.admin_client_id.as_str()),
        ("platform-token", h.creds.platform_admin_token.as_str()),
        ("secret-expiry", "12mo"),
        ("admin-consent", "true"),
        ("dry-run", "false"),
        // Over two lines, as a YAML block would give them.
        ("args", "--connection-name Entra\n--output json"),
    ];
    // Looking first, as a pipeline might: nothing is made.
    let look = step(&h, &out, &[&inputs[..], &[("dry-run", "true")]].concat());
    look.assert_code(0);
    assert_eq!(look.json()["status"], "dry-run");
    assert!(h.our_apps().is_empty());

    let run = step(&h, &out, &inputs);
    run.assert_code(0);
    let report = run.json();
    let written = outputs(&out);
    let apps = h.our_apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(
        output(&written, "client-id"),
        apps[0]["appId"].as_str().unwrap()
    );
    assert_eq!(output(&written, "tenant-id"), h.creds.tenant_id);
    assert_eq!(output(&written, "resource"), "https://graph.microsoft.com");
    let connections = h.list("connections");
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0]["name"], "Entra", "args reach aad-setup");
    assert_eq!(
        output(&written, "connection-id"),
        connections[0]["id"].as_str().unwrap()
    );
    assert_eq!(
        report["consent"]["action"], "created",
        "admin-consent: true"
    );
    let expires: jiff::Timestamp = report["secret"]["expires"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let days = expires.duration_since(jiff::Timestamp::now()).as_secs() / 86_400;
    assert!(
        (360..=370).contains(&days),
        "secret-expiry 12mo: {days} days"
    );
    h.assert_no_secret("the step's log", &(run.stdout.clone() + &run.stderr));
    h.assert_no_secret(
        "the step's outputs",
        &std::fs::read_to_string(&out).unwrap(),
    );
}

#[test]
fn a_command_the_action_does_not_know_fails_the_step_and_changes_nothing() {
    let h = Harness::new();
    let out = h.home.path().join("github_output");
    let run = step(&h, &out, &[("command", "demo")]);
    run.assert_code(2);
    assert!(run.stdout.contains("::error::"), "{}", run.stdout);
    assert!(h.request_log().is_empty());
}

#[test]
fn every_input_the_action_declares_reaches_its_script() {
    let yml = std::fs::read_to_string(PathBuf::from(ACTION).join("action.yml")).unwrap();
    // The run step's script and the install step's.
    let script = ["run.sh", "install.sh"]
        .map(|f| std::fs::read_to_string(PathBuf::from(ACTION).join(f)).unwrap())
        .concat();
    let section = |name: &str| -> Vec<String> {
        let start = yml
            .find(&format!("\n{name}:\n"))
            .unwrap_or_else(|| panic!("no {name}:"));
        yml[start + name.len() + 3..]
            .lines()
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
            .map(|l| l.trim().trim_end_matches(':').to_owned())
            .collect()
    };
    let inputs = section("inputs");
    assert!(inputs.len() >= 8, "{inputs:?}");
    // A default would always reach run.sh and override what the job's own
    // AAD_SETUP_ variables say; only the command has one.
    let defaults = yml.matches("\n    default:").count();
    assert_eq!(defaults, 1, "only `command` has a default");
    assert!(yml.contains("  command:\n    description: \"What to run: setup, register, rotate, status or remove\"\n    default: setup\n"));
    for input in &inputs {
        let var = format!("INPUT_{}", input.to_uppercase().replace('-', "_"));
        assert!(
            yml.contains(&format!("{var}: ${{{{ inputs.{input} }}}}")),
            "action.yml passes {input} to the step as {var}"
        );
        assert!(script.contains(&var), "run.sh or install.sh reads {var}");
    }
    // Each output is one that aad-setup writes to $GITHUB_OUTPUT.
    let outputs = section("outputs");
    assert_eq!(
        outputs,
        [
            "tenant-id",
            "client-id",
            "object-id",
            "resource",
            "connection-id",
            "client-secret",
            "days-left",
            "needs-attention"
        ]
    );
    let h = Harness::new();
    let out = h.home.path().join("github_output");
    h.setup_json_on_github(&out);
    let written = std::fs::read_to_string(&out).unwrap();
    for name in &outputs {
        assert!(
            written.contains(&format!("{name}=")),
            "aad-setup writes {name}"
        );
    }
}

#[test]
fn inputs_left_empty_leave_the_jobs_own_variables_alone() {
    // The job says dry run in its env; the action's switches are not given.
    let h = Harness::new();
    let out = h.home.path().join("github_output");
    let inputs = [
        ("tenant", h.creds.tenant_id.as_str()),
        ("client-id", h.creds.admin_client_id.as_str()),
        ("platform-token", h.creds.platform_admin_token.as_str()),
        ("dry-run", ""),
        ("admin-consent", ""),
        ("args", "--output json"),
    ];
    let run = step_with(&h, &out, &inputs, &[("AAD_SETUP_DRY_RUN", "true")]);
    run.assert_code(0);
    assert_eq!(run.json()["status"], "dry-run");
    assert!(h.our_apps().is_empty(), "the job's AAD_SETUP_DRY_RUN held");
}

// --- The install step: the release binary, checked and cached -------------

/// The install step (`install.sh`, or `install.sh plan`) as the runner runs
/// it: no aad-setup on PATH, releases from a local directory, the runner's
/// tool cache and its GITHUB_PATH / GITHUB_OUTPUT files in `job`.
fn install_step(
    releases: &Releases,
    job: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Run, Vec<(String, String)>) {
    let output = job.join("github_output");
    let _ = std::fs::remove_file(&output);
    let mut cmd = Command::new("bash");
    cmd.arg(PathBuf::from(ACTION).join("install.sh"))
        .args(args)
        .env_clear()
        .env("PATH", path_without_aad_setup())
        .env("HOME", job)
        .env("RUNNER_TOOL_CACHE", job.join("toolcache"))
        .env("GITHUB_PATH", job.join("github_path"))
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_ACTIONS", "true")
        .env("AAD_SETUP_RELEASES_URL", releases.url());
    for (name, value) in env {
        cmd.env(name, value);
    }
    let run = crate::install::run(&mut cmd);
    (run, outputs(&output))
}

/// The directories the step added to the job's PATH.
fn github_path(job: &Path) -> Vec<PathBuf> {
    std::fs::read_to_string(job.join("github_path"))
        .unwrap_or_default()
        .lines()
        .map(PathBuf::from)
        .collect()
}

fn version_of(binary: &Path) -> String {
    let out = Command::new(binary).arg("--version").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_action_installs_the_pinned_release_for_the_runner_and_caches_it() {
    let releases = Releases::new();
    let job = tempfile::tempdir().unwrap();
    let pin = [("INPUT_VERSION", OLD_VERSION)];

    // The plan, for the cache step: a pinned version is cached per OS and CPU.
    let (plan, planned) = install_step(&releases, job.path(), &["plan"], &pin);
    plan.assert_code(0);
    assert_eq!(output(&planned, "mode"), "release");
    assert_eq!(output(&planned, "version"), OLD_VERSION);
    let key = output(&planned, "cache-key");
    assert!(
        key.starts_with(&format!("aad-setup-{OLD_VERSION}-")),
        "{key}"
    );
    let dir = PathBuf::from(output(&planned, "dir"));
    assert!(dir.starts_with(job.path().join("toolcache")), "{dir:?}");
    assert!(!dir.exists(), "the plan installs nothing");

    let (run, _) = install_step(&releases, job.path(), &[], &pin);
    run.assert_code(0);
    assert_eq!(version_of(&dir.join("aad-setup")), OLD_MARKER);
    assert!(
        run.stdout.contains(OLD_MARKER),
        "the step shows the version"
    );
    assert_eq!(github_path(job.path()), std::slice::from_ref(&dir));

    // A later job with the cache restored downloads nothing: the releases
    // are gone and it still installs.
    drop(releases);
    let gone = Releases {
        dir: tempfile::tempdir().unwrap(),
    };
    let (again, _) = install_step(&gone, job.path(), &[], &pin);
    again.assert_code(0);
    assert!(again.stderr.contains("cached"), "{}", again.stderr);
    assert_eq!(version_of(&dir.join("aad-setup")), OLD_MARKER);
}

#[test]
fn the_action_takes_its_own_release_tag_else_the_latest_release() {
    let releases = Releases::new();

    // Used at a release tag (uses: …/aad-setup@v9.8.6), no version input.
    let job = tempfile::tempdir().unwrap();
    let (run, _) = install_step(&releases, job.path(), &[], &[("ACTION_REF", OLD_VERSION)]);
    run.assert_code(0);
    let dir = &github_path(job.path())[0];
    assert_eq!(version_of(&dir.join("aad-setup")), OLD_MARKER);

    // Used at a branch: the latest release, the real binary for this machine,
    // and not cached (latest names no fixed release).
    let job = tempfile::tempdir().unwrap();
    let (plan, planned) = install_step(&releases, job.path(), &["plan"], &[("ACTION_REF", "main")]);
    plan.assert_code(0);
    assert_eq!(output(&planned, "version"), "latest");
    assert_eq!(output(&planned, "cache-key"), "");
    let (run, _) = install_step(&releases, job.path(), &[], &[("ACTION_REF", "main")]);
    run.assert_code(0);
    let installed = github_path(job.path())[0].join("aad-setup");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_aad-setup")).unwrap(),
        "this machine's archive: {}",
        host_target()
    );
}

#[test]
fn the_action_refuses_a_release_whose_checksum_does_not_match() {
    let releases = Releases::new();
    releases.tamper(OLD_VERSION);
    let job = tempfile::tempdir().unwrap();
    let (run, planned) = install_step(
        &releases,
        job.path(),
        &["plan"],
        &[("INPUT_VERSION", OLD_VERSION)],
    );
    run.assert_code(0);
    let dir = PathBuf::from(output(&planned, "dir"));
    let (run, _) = install_step(
        &releases,
        job.path(),
        &[],
        &[("INPUT_VERSION", OLD_VERSION)],
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("checksum mismatch"), "{}", run.stderr);
    assert!(run.stdout.contains("::error::"), "{}", run.stdout);
    assert!(!dir.join("aad-setup").exists(), "nothing installed");
    assert!(github_path(job.path()).is_empty(), "nothing put on PATH");
}

#[test]
fn the_action_uses_an_aad_setup_already_on_path_and_refuses_a_bad_version() {
    let releases = Releases {
        dir: tempfile::tempdir().unwrap(), // nothing to download
    };
    let job = tempfile::tempdir().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_aad-setup")).parent().unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin_dir.to_path_buf())
            .chain(std::env::split_paths(&path_without_aad_setup())),
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let (run, planned) = install_step(&releases, job.path(), &["plan"], &[("PATH", path)]);
    run.assert_code(0);
    assert_eq!(output(&planned, "mode"), "path");
    assert_eq!(output(&planned, "cache-key"), "");
    let (run, _) = install_step(&releases, job.path(), &[], &[("PATH", path)]);
    run.assert_code(0);
    assert!(run.stderr.contains("already on PATH"), "{}", run.stderr);
    assert!(github_path(job.path()).is_empty());

    let (run, _) = install_step(&releases, job.path(), &[], &[("INPUT_VERSION", "newest")]);
    run.assert_code(2);
    assert!(run.stdout.contains("::error::"), "{}", run.stdout);
}

#[test]
fn on_a_schedule_the_action_renews_when_due_keeps_the_previous_and_summarizes() {
    let h = Harness::new();
    h.setup(&["--secret-expiry", "40d"]).assert_code(0);
    let connection = h.list("connections")[0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = h.home.path().join("github_output");
    let summary = h.home.path().join("step_summary");
    let job = [("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())];
    let daily = |within: &str| {
        let inputs = [
            ("command", "rotate"),
            ("tenant", h.creds.tenant_id.as_str()),
            ("client-id", h.creds.admin_client_id.as_str()),
            ("platform-token", h.creds.platform_admin_token.as_str()),
            ("if-expiring-within", within),
            ("keep-previous", "true"),
        ];
        step_with(&h, &out, &inputs, &job)
    };

    // Not due: nothing changes, the step passes, a person has nothing to do.
    let run = daily("30d");
    run.assert_code(0);
    let written = outputs(&out);
    let days: i64 = output(&written, "days-left").parse().unwrap();
    assert!((38..=40).contains(&days), "{written:?}");
    assert_eq!(output(&written, "needs-attention"), "false");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains("### aad-setup: Not due"), "{text}");
    assert!(text.contains(&connection), "{text}");
    assert!(text.contains("days left"), "{text}");
    assert!(!text.contains("What a person must do"), "{text}");
    assert_eq!(h.list("connections").len(), 1);

    // Due: rotated with the previous kept; the step fails (6) and says
    // what the platform admin must do.
    std::fs::remove_file(&summary).unwrap();
    let run = daily("60d");
    run.assert_code(6);
    let written = outputs(&out);
    assert_eq!(output(&written, "needs-attention"), "true");
    let days: i64 = output(&written, "days-left").parse().unwrap();
    assert!(days > 600, "the new secret's days: {written:?}");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains("Rotation IN PROGRESS"), "{text}");
    assert!(text.contains("What a person must do"), "{text}");
    assert!(text.contains("select Connect"), "{text}");
    assert_eq!(h.list("connections").len(), 2);
    h.assert_no_secret("summary", &text);
    h.assert_no_secret("outputs", &std::fs::read_to_string(&out).unwrap());

    // `status` on the same schedule: the same outputs.
    let inputs = [
        ("command", "status"),
        ("tenant", h.creds.tenant_id.as_str()),
        ("client-id", h.creds.admin_client_id.as_str()),
        ("platform-token", h.creds.platform_admin_token.as_str()),
    ];
    let run = step_with(&h, &out, &inputs, &job);
    run.assert_code(6);
    assert_eq!(output(&outputs(&out), "needs-attention"), "true");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.contains("### aad-setup status: NEEDS ATTENTION"),
        "{text}"
    );
}

#[test]
fn the_action_runs_one_target_of_a_fleet_file_and_fills_its_outputs() {
    let h = Harness::new();
    let out = h.home.path().join("github_output");
    let target = |name: &str| {
        format!(
            "[[target]]\nname = \"{name}\"\napp-name = \"workflow-aad-{name}\"\nconnection-name = \"Azure AD ({name})\"\nplatform-token-env = \"TEAM_TOKEN\"\n\n"
        )
    };
    let file = h.write_file(
        "aad-setup.toml",
        &format!(
            "[defaults]\ntenant = \"{}\"\nclient-id = \"{}\"\n\n{}{}",
            h.creds.tenant_id,
            h.creds.admin_client_id,
            target("east"),
            target("west")
        ),
    );
    let inputs = [
        ("file", file.to_str().unwrap()),
        ("target", "west"),
        ("args", "--output json"),
    ];
    let run = step_with(
        &h,
        &out,
        &inputs,
        &[("TEAM_TOKEN", h.creds.platform_admin_token.as_str())],
    );
    run.assert_code(0);
    let doc = run.json();
    assert_eq!(doc["summary"]["targets"], 1, "{doc}");
    assert_eq!(doc["targets"][0]["name"], "west");
    let names: Vec<String> = h
        .list("applications")
        .iter()
        .filter_map(|a| a["displayName"].as_str().map(str::to_owned))
        .filter(|n| n.starts_with("workflow-aad-"))
        .collect();
    assert_eq!(names, ["workflow-aad-west"]);
    let all = outputs(&out);
    let connection = h.list("connections")[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(output(&all, "connection-id"), connection);
    h.assert_no_secret("the step's output", &(run.stdout.clone() + &run.stderr));
}
