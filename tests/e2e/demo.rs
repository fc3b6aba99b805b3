//! `aad-setup demo`: the README's first command works on its own.

use crate::support::*;

#[test]
fn demo_runs_the_whole_setup_against_the_embedded_emulator() {
    let h = Harness::new();
    // As a newcomer runs it: real backoff delays, faults on.
    let run = h.run(
        h.bare_cmd()
            .env_remove("AAD_SETUP_BACKOFF_SCALE")
            .arg("demo"),
    );
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("Azure Active Directory integration is set up."),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Client ID"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("Built-in emulator at http://127.0.0.1:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("1 app registration(s)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("1 platform connection(s)"),
        "{}",
        run.stderr
    );
    // The harness's own emulator was not used.
    assert!(h.request_log().is_empty());
}
