//! Every `AAD_SETUP_*` variable is checked as strictly as its flag, and a
//! bad value is exit 2 before sign-in, naming the variable it came from
//! (the person never typed the flag).

use crate::support::*;

#[test]
fn a_bad_variable_is_refused_before_sign_in_by_its_own_name() {
    let h = Harness::new();
    for (var, value, flag) in [
        ("AAD_SETUP_SECRET_EXPIRY", "soon", "--secret-expiry"),
        (
            "AAD_SETUP_SECRET_DESCRIPTION",
            "bad\u{7}name",
            "--secret-description",
        ),
        ("AAD_SETUP_APP_ID", "not-a-guid", "--app-id"),
        ("AAD_SETUP_CONNECTION_NAME", "\u{7}", "--connection-name"),
    ] {
        let before = h.request_log().len();
        let run = h.run(h.cmd().env(var, value).args(["setup", "--output", "json"]));
        run.assert_code(2);
        assert!(run.stderr.contains(var), "{var}: {}", run.stderr);
        assert!(
            !run.stderr.contains(flag),
            "{var} named {flag}: {}",
            run.stderr
        );
        assert_eq!(
            h.request_log().len(),
            before,
            "{var}: refused before sign-in"
        );
        // The flag, given as a flag, is named as the flag.
        let run = h.run(h.cmd().args(["setup", "--output", "json", flag, value]));
        run.assert_code(2);
        assert!(run.stderr.contains(flag), "{flag}: {}", run.stderr);
    }
}

#[test]
fn a_bad_service_url_variable_is_refused_before_sign_in_by_its_own_name() {
    let h = Harness::new();
    for (var, flag) in [
        ("AAD_SETUP_LOGIN_URL", "--login-url"),
        ("AAD_SETUP_GRAPH_URL", "--graph-url"),
        ("AAD_SETUP_PLATFORM_URL", "--platform-url"),
    ] {
        let before = h.request_log().len();
        let run = h.run(
            h.cmd()
                .env(var, "not a url")
                .args(["setup", "--output", "json"]),
        );
        run.assert_code(2);
        assert!(run.stderr.contains(var), "{var}: {}", run.stderr);
        assert!(
            !run.stderr.contains(flag),
            "{var} named {flag}: {}",
            run.stderr
        );
        assert_eq!(
            h.request_log().len(),
            before,
            "{var}: refused before sign-in"
        );
        // Given as a flag, it is named as the flag.
        let run = h.run(
            h.cmd()
                .args(["setup", "--output", "json", flag, "not a url"]),
        );
        run.assert_code(2);
        assert!(run.stderr.contains(flag), "{flag}: {}", run.stderr);
    }
    // platform-login reads the same variable.
    let run = h.run(h.cmd().env("AAD_SETUP_PLATFORM_URL", "not a url").args([
        "platform-login",
        "--name",
        "x",
    ]));
    run.assert_code(2);
    assert!(
        run.stderr.contains("AAD_SETUP_PLATFORM_URL") && !run.stderr.contains("--platform-url"),
        "{}",
        run.stderr
    );
}
