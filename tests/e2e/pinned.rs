//! What people read, pinned (insta): the dry-run plan, the setup summary,
//! the status report, `remove`'s plan, and the main errors. Ids, ports,
//! paths and times are filtered, so that a change of wording is a reviewed
//! diff (`cargo insta review`, or INSTA_UPDATE=always and `git diff`).

use crate::support::*;

/// The filters for what changes from run to run.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "[GUID]",
        ),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"localhost:\d+", "localhost:[PORT]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]"),
        (
            r"\d{1,2} [A-Z][a-z]{2} \d{4}, (in \d+ (months|days)|today|tomorrow|yesterday|\d+ days ago)",
            "[DATE]",
        ),
        (r"/tmp/\.tmp[A-Za-z0-9]+", "[TMP]"),
        (r"\(\d+(\.\d+)?m?s\)", "([ELAPSED])"),
        (
            r"\(rotated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)",
            "(rotated [TIME])",
        ),
    ]
}

macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({ filters => filters(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

#[test]
fn the_dry_run_plan_the_summary_and_the_status_report() {
    let h = Harness::new();
    let dry = h.run(h.cmd().args(["setup", "--dry-run"]));
    dry.assert_code(0);
    snapshot!("setup_dry_run", dry.stdout);

    let done = h.run(h.cmd().arg("setup"));
    done.assert_code(0);
    snapshot!("setup_summary", done.stdout);

    let again = h.run(h.cmd().args(["setup", "--dry-run"]));
    again.assert_code(0);
    snapshot!("setup_dry_run_in_place", again.stdout);

    let status = h.run(h.cmd().arg("status"));
    status.assert_code(0);
    snapshot!("status_healthy", status.stdout);

    let soon = h.run(h.cmd().args(["status", "--warn-within", "1000d"]));
    soon.assert_code(6);
    snapshot!(
        "status_needs_attention",
        format!("{}--- stderr\n{}", soon.stdout, soon.stderr)
    );

    let remove = h.run(h.cmd().args(["remove", "--dry-run"]));
    remove.assert_code(0);
    snapshot!("remove_dry_run", remove.stdout);
}

#[test]
fn the_main_errors() {
    let h = Harness::new();
    let usage = h.run(h.cmd().args(["status", "--warn-within", "soon"]));
    usage.assert_code(2);
    snapshot!("error_usage", usage.stderr);

    let sign_in = h.run(
        h.cmd()
            .env("AZURE_CLIENT_SECRET", "not-the-secret")
            .arg("setup"),
    );
    sign_in.assert_code(3);
    snapshot!("error_sign_in", sign_in.stderr);

    let no_app = h.run(h.cmd().arg("rotate"));
    no_app.assert_code(1);
    snapshot!("error_rotate_without_an_app", no_app.stderr);

    let no_token = h.run(h.cmd().env_remove("CATALYTIC_TOKEN").arg("setup"));
    no_token.assert_code(2);
    snapshot!("error_no_platform_token", no_token.stderr);
}

#[test]
fn the_credential_life_not_due_a_rotation_in_progress_and_finished_and_the_policy() {
    let h = Harness::new();
    h.run(h.cmd().args(["setup", "--secret-expiry", "40d"]))
        .assert_code(0);
    let not_due = h.run(h.cmd().args(["rotate", "--if-expiring-within", "30d"]));
    not_due.assert_code(0);
    snapshot!("rotate_not_due", not_due.stdout);

    let keep = h.run(h.cmd().args(["rotate", "--keep-previous"]));
    keep.assert_code(6);
    snapshot!(
        "rotate_keep_previous",
        format!(
            "{}--- stderr (last line)\n{}",
            keep.stdout,
            last_line(&keep.stderr)
        )
    );
    let status = h.run(h.cmd().arg("status"));
    status.assert_code(6);
    snapshot!("status_rotation_in_progress", status.stdout);
    let finish = h.run(h.cmd().args(["rotate", "--finish"]));
    finish.assert_code(0);
    snapshot!("rotate_finish", finish.stdout);

    let strict = Harness::with(aad_setup_emulator::EmulatorConfig {
        max_secret_lifetime_days: Some(90),
        ..aad_setup_emulator::EmulatorConfig::default()
    });
    let token = strict
        .emu
        .mint_graph_token(aad_setup_emulator::TokenKind::App(vec![
            "Application.ReadWrite.All".into(),
            "Policy.Read.All".into(),
        ]));
    let file = strict.write_file("graph-token", &token);
    let reader = || {
        let mut cmd = strict.cmd();
        cmd.env_remove("AZURE_CLIENT_SECRET")
            .env("AAD_SETUP_AUTH", "token")
            .env("AAD_SETUP_GRAPH_TOKEN_FILE", &file);
        cmd
    };
    let refused = strict.run(reader().args(["setup", "--secret-expiry", "24mo"]));
    refused.assert_code(2);
    snapshot!("error_secret_expiry_beyond_the_policy", refused.stderr);
    let capped = strict.run(reader().arg("setup"));
    capped.assert_code(0);
    snapshot!("setup_summary_within_the_policy", capped.stdout);
}

fn last_line(text: &str) -> &str {
    text.trim_end().lines().last().unwrap_or_default()
}
