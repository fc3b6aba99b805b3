//! The secret never appears in output, logs or files unless asked for.

use crate::support::*;

#[test]
fn no_secret_in_any_output_or_log_even_at_vv() {
    let h = Harness::new();
    for args in [
        &["setup", "-vv"][..],
        &["setup", "-vv", "--output", "json", "--rotate"][..],
    ] {
        let run = h.run(h.cmd().args(args));
        run.assert_code(0);
        assert!(
            run.stderr.contains("request-id"),
            "-vv logs the HTTP exchanges: {}",
            run.stderr
        );
        h.assert_no_secret("stdout", &run.stdout);
        h.assert_no_secret("stderr", &run.stderr);
    }
    assert!(
        h.emu.issued_secrets().len() >= 2,
        "two secrets were issued and checked"
    );
    // The local record holds ids, never a secret.
    let record = read_tree(&h.state_dir());
    assert!(
        record.contains("appObjectId"),
        "the record exists: {record}"
    );
    h.assert_no_secret("the state directory", &record);
}

#[test]
fn show_secret_prints_exactly_the_issued_secret() {
    let h = Harness::new();
    let run = h.setup(&["--show-secret"]);
    run.assert_code(0);
    let value = run.json()["secret"]["value"]
        .as_str()
        .expect("asked for")
        .to_owned();
    assert!(h.emu.issued_secrets().contains(&value));
}

#[test]
fn secret_file_is_created_0600_and_never_overwritten() {
    let h = Harness::new();
    let path = h.home.path().join("client-secret.txt");
    let run = h.setup(&["--secret-file", path.to_str().unwrap()]);
    run.assert_code(0);
    let content = std::fs::read_to_string(&path).unwrap();
    assert!(h.emu.issued_secrets().contains(&content.trim().to_owned()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    h.assert_no_secret("stdout", &run.stdout);
    // An existing file is refused up front, and nothing is rotated.
    let before = h.our_apps()[0]["passwordCredentials"].clone();
    let again = h.setup(&["--rotate", "--secret-file", path.to_str().unwrap()]);
    again.assert_code(2);
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);
    assert_eq!(h.our_apps()[0]["passwordCredentials"], before);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), content);
}

#[test]
fn github_actions_masks_before_printing_and_writes_outputs() {
    let h = Harness::new();
    let outputs = h.home.path().join("github-output");
    let run = h.run(
        h.cmd()
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &outputs)
            .args(["setup", "--show-secret"]),
    );
    run.assert_code(0);
    let secret = h
        .emu
        .issued_secrets()
        .into_iter()
        .find(|s| run.stdout.contains(s.as_str()))
        .expect("shown");
    // The mask goes to stderr (the runner reads workflow commands there too),
    // so stdout stays exactly the result.
    assert!(
        run.stderr.contains(&format!("::add-mask::{secret}")),
        "masked: {}",
        run.stderr
    );
    assert!(!run.stdout.contains("::add-mask::"));
    let json = h.setup_json_on_github(&outputs);
    assert!(
        json["secret"]["value"].is_string(),
        "--output json stays parseable with masking on"
    );
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(written.contains("client-id="), "{written}");
    assert!(written.contains("connection-id="), "{written}");
    assert!(
        written.contains("resource=https://graph.microsoft.com\n"),
        "{written}"
    );
}
