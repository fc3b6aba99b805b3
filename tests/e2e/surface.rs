//! The command line people read: help, version, completions, the manual,
//! and options given before or after the command (issue 9). The help is
//! pinned in snapshots (tests/e2e/snapshots/), so a change in wording is a
//! reviewed diff.

use std::process::{Command, Stdio};

/// The binary with an empty environment (a help text must not depend on
/// the developer's variables) and a fixed width.
fn bin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aad-setup"))
        .env_clear()
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const COMMANDS: &[&str] = &[
    "setup",
    "register",
    "connect",
    "rotate",
    "status",
    "remove",
    "platform-login",
    "completions",
    "man",
    "demo",
    "emulator",
];

#[test]
fn root_help_is_short_and_says_where_to_start() {
    let (code, short, _) = bin(&["-h"]);
    assert_eq!(code, 0);
    assert!(
        short.lines().count() <= 60,
        "{} lines",
        short.lines().count()
    );
    for command in COMMANDS {
        assert!(
            short.contains(&format!("  {command} ")),
            "-h lists {command}"
        );
    }
    assert!(short.contains("aad-setup demo"), "where to start");
    assert!(
        !short.contains("--redirect-uri"),
        "setup's flags are in --help only"
    );
    insta::assert_snapshot!("root_short_help", short);

    let (code, long, _) = bin(&["--help"]);
    assert_eq!(code, 0);
    assert!(long.contains("--redirect-uri") && long.contains("Exit codes"));
    insta::assert_snapshot!("root_long_help", long);
}

#[test]
fn each_command_shows_its_own_flags_with_an_example() {
    for command in COMMANDS {
        let (code, help, _) = bin(&[command, "-h"]);
        assert_eq!(code, 0, "{command} -h");
        assert!(help.contains("Example"), "{command} -h has an example");
        insta::assert_snapshot!(format!("help_{command}"), help);
    }
    let (_, remove, _) = bin(&["remove", "-h"]);
    for setup_only in [
        "--redirect-uri",
        "--api ",
        "--permission",
        "--secret-expiry",
        "--field",
    ] {
        assert!(!remove.contains(setup_only), "remove -h lists {setup_only}");
    }
}

#[test]
fn version_short_is_one_line_and_long_names_the_commit_and_date() {
    let (code, short, _) = bin(&["-V"]);
    assert_eq!(code, 0);
    assert_eq!(
        short.trim(),
        format!("aad-setup {}", env!("CARGO_PKG_VERSION"))
    );
    let (code, long, _) = bin(&["--version"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = long.lines().collect();
    assert_eq!(lines[0], short.trim());
    assert!(lines[1].starts_with("commit: ") && lines[1].len() > "commit: ".len());
    let date = lines[2].strip_prefix("built: ").expect("built: DATE");
    assert!(
        date == "unknown" || jiff::civil::Date::strptime("%Y-%m-%d", date).is_ok(),
        "{date}"
    );
}

#[test]
fn completions_for_every_shell_and_the_manual_name_every_command_and_flag() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, script, err) = bin(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for command in COMMANDS {
            assert!(script.contains(command), "{shell} completes {command}");
        }
        for flag in [
            "redirect-uri",
            "warn-within",
            "azure-only",
            "no-input",
            "output",
        ] {
            assert!(script.contains(flag), "{shell} completes --{flag}");
        }
    }
    let (code, _, err) = bin(&["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error: {err}");

    let (code, page, err) = bin(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        page.starts_with(".ie") || page.contains(".TH aad-setup"),
        "roff"
    );
    for command in COMMANDS {
        let roff = command.replace('-', "\\-");
        assert!(page.contains(&roff), "the manual names {command}");
    }
    assert!(page.contains("redirect") && page.contains("no\\-input"));
}

#[test]
fn options_every_command_takes_go_before_or_after_it() {
    // Without a way to sign in each run stops at the same place: the
    // options were accepted, and the run got as far as signing in.
    for args in [
        &["-v", "status"][..],
        &["status", "-v"],
        &["-o", "json", "status"],
        &["--no-input", "status"],
        &["status", "--no-input"],
        &["--dry-run", "rotate"],
    ] {
        let (code, _, err) = bin(args);
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains("no way to sign in"), "{args:?}: {err}");
    }
    let (_, out, _) = bin(&["-o", "json", "status"]);
    let (_, err_json, _) = bin(&["status", "-o", "json"]);
    assert_eq!(out, err_json, "-o before or after: the same");

    // Setup's own flags before another command are refused, not ignored.
    let (code, _, err) = bin(&["--app-name", "x", "status"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--app-name") && err.contains("after the command"),
        "{err}"
    );
    let (code, _, err) = bin(&["--dry-run", "status"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn remove_neither_takes_nor_reads_setup_only_values() {
    // AAD_SETUP_API is setup's; remove stops at the sign-in, not at the Resource.
    let out = Command::new(env!("CARGO_BIN_EXE_aad-setup"))
        .env_clear()
        .env("AAD_SETUP_API", "foo")
        .env("NO_COLOR", "1")
        .args(["remove", "--dry-run", "--azure-only"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("Resource"), "{err}");
    assert!(err.contains("no way to sign in"), "{err}");
    let (code, _, err) = bin(&["remove", "--api", "foo", "--dry-run"]);
    assert_eq!(code, 2, "remove has no --api: {err}");
    assert!(!err.contains("Resource"), "{err}");
}
