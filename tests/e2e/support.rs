//! The harness: an emulator on a private runtime, a clean environment for
//! the binary (no developer `AZURE_*` can leak in), and helpers to read what
//! happened.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use aad_setup_emulator::{Credentials, Emulator, EmulatorConfig, TokenKind};
use serde_json::{Value, json};

pub const APP_NAME: &str = "workflow-activedirectory-integration";
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub const DIRECTORY_RW_SCOPE: &str = "c5366453-9fb0-48a5-a156-24f0c49a4b84";

pub struct Harness {
    pub emu: Emulator,
    pub creds: Credentials,
    pub home: tempfile::TempDir,
    // Dropped last: it serves the emulator.
    rt: tokio::runtime::Runtime,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as JSON; every result code in it must be one its schema
    /// lists ([`unlisted_codes`]), so the whole suite checks the codes.
    pub fn json(&self) -> serde_json::Value {
        let doc: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        });
        let unlisted = unlisted_codes(&doc);
        assert!(
            unlisted.is_empty(),
            "result codes the schemas do not list (add each to src/schema/ with its meaning, and to src/report/code.rs): {unlisted:?}\n--- stdout\n{}",
            self.stdout
        );
        doc
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code {} (wanted {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

impl Harness {
    /// `E2E_STALE_READ_MILLIS` (a number) turns the emulator's stale reads
    /// on for every harness made with the default configuration: how the
    /// fault matrix and the crash test are run with stale reads (README,
    /// Development). A test that sets its own configuration is left alone.
    pub fn new() -> Harness {
        let mut config = EmulatorConfig::default();
        if let Some(ms) = std::env::var("E2E_STALE_READ_MILLIS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            config.stale_read_millis = ms;
        }
        Harness::with(config)
    }

    pub fn with(config: EmulatorConfig) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let emu = rt
            .block_on(Emulator::start(config))
            .expect("emulator starts");
        let creds = emu.credentials();
        Harness {
            emu,
            creds,
            home: tempfile::tempdir().expect("temp home"),
            rt,
        }
    }

    /// A copy of this world to run a scenario in: a fork of the emulator
    /// (same objects, credentials and tokens) and a copy of the home folder
    /// (the local record, files handed on).
    pub fn fork(&self) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let emu = rt.block_on(self.emu.fork()).expect("emulator forks");
        let creds = emu.credentials();
        let home = tempfile::tempdir().expect("temp home");
        copy_tree(self.home.path(), home.path());
        Harness {
            emu,
            creds,
            home,
            rt,
        }
    }

    /// Waits until the emulator serves no request: the work of a slow
    /// answer goes on after the client gave up.
    pub fn settle(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.emu.in_flight() > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the emulator never settled"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.home.path().join("state")
    }

    /// The binary with a clean environment pointed at the emulator and
    /// signed in as the emulator's admin app and platform Admin.
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare_cmd();
        cmd.env("AAD_SETUP_LOGIN_URL", self.emu.login_url())
            .env("AAD_SETUP_GRAPH_URL", self.emu.graph_url())
            .env("AAD_SETUP_PLATFORM_URL", self.emu.platform_url())
            .env("AZURE_TENANT_ID", &self.creds.tenant_id)
            .env("AZURE_CLIENT_ID", &self.creds.admin_client_id)
            .env("AZURE_CLIENT_SECRET", &self.creds.admin_client_secret)
            .env("CATALYTIC_TOKEN", &self.creds.platform_admin_token);
        cmd
    }

    /// The binary with only the harmless basics set.
    pub fn bare_cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aad-setup"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AAD_SETUP_STATE_DIR", self.state_dir())
            .env("AAD_SETUP_BACKOFF_SCALE", "0")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, cmd: &mut Command) -> Run {
        let out = cmd.output().expect("the binary runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `aad-setup setup --output json ARGS` as the admin.
    pub fn setup(&self, args: &[&str]) -> Run {
        self.run(self.cmd().args(["setup", "--output", "json"]).args(args))
    }

    /// The emulator's state as JSON (the same document as `GET /_emulator/state`).
    pub fn state(&self) -> Value {
        serde_json::to_value(self.emu.snapshot()).expect("snapshot serializes")
    }

    /// Apps with the guide's name.
    pub fn our_apps(&self) -> Vec<Value> {
        self.list("applications")
            .into_iter()
            .filter(|a| a["displayName"] == APP_NAME)
            .collect()
    }

    /// A top-level collection of the state.
    pub fn list(&self, key: &str) -> Vec<Value> {
        self.state()[key].as_array().cloned().unwrap_or_default()
    }

    /// Everything that could be created: apps, service principals, grants
    /// and connections, as JSON text (for "nothing changed" checks).
    pub fn created(&self) -> (usize, usize, usize, usize) {
        let state = self.state();
        let n = |k: &str| state[k].as_array().map_or(0, Vec::len);
        (
            n("applications"),
            n("servicePrincipals"),
            n("oauth2PermissionGrants"),
            n("connections"),
        )
    }

    /// Calls Graph directly (as a test fixture would, e.g. to plant a namesake).
    pub fn graph_post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let token = self
            .emu
            .mint_graph_token(TokenKind::App(vec!["Application.ReadWrite.All".into()]));
        let url = format!("{}/v1.0/{path}", self.emu.graph_url());
        self.rt.block_on(async move {
            let resp = crate::support::http_client()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("graph call");
            assert!(
                resp.status().is_success(),
                "fixture call failed: {}",
                resp.status()
            );
            resp.json().await.expect("json")
        })
    }

    /// `DELETE {graph}/v1.0/{path}` as an Application.ReadWrite.All app.
    pub fn graph_delete(&self, path: &str) {
        self.graph_send(reqwest::Method::DELETE, path, None);
    }

    /// `PATCH {graph}/v1.0/{path}` as an Application.ReadWrite.All app.
    pub fn graph_patch(&self, path: &str, body: Value) {
        self.graph_send(reqwest::Method::PATCH, path, Some(body));
    }

    fn graph_send(&self, method: reqwest::Method, path: &str, body: Option<Value>) {
        let token = self
            .emu
            .mint_graph_token(TokenKind::App(vec!["Application.ReadWrite.All".into()]));
        let url = format!("{}/v1.0/{path}", self.emu.graph_url());
        let status = self.rt.block_on(async move {
            let mut req = crate::support::http_client()
                .request(method, url)
                .bearer_auth(token);
            if let Some(body) = body {
                req = req.json(&body);
            }
            req.send().await.expect("graph call").status()
        });
        assert!(status.is_success(), "fixture call failed: {status}");
    }

    /// Deletes a platform connection as the team's admin would in the
    /// platform's own pages.
    pub fn platform_delete_connection(&self, id: &str) {
        let url = format!(
            "{}/api/integrations/-/connections/{id}",
            self.emu.platform_url()
        );
        let token = self.creds.platform_admin_token.clone();
        self.rt.block_on(async move {
            let status = http_client()
                .delete(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("platform call")
                .status();
            assert_eq!(status.as_u16(), 204, "the connection is deleted");
        });
    }

    /// Makes a platform connection by hand, as a person would through the
    /// platform's API with the team admin's token (values of their own):
    /// returns its id.
    pub fn platform_create_connection(&self, name: &str) -> String {
        let base = self.emu.platform_url();
        let token = self.creds.platform_admin_token.clone();
        let name = name.to_owned();
        self.rt.block_on(async move {
            let client = http_client();
            // The seeded Azure AD integration, by id.
            let integration: Value = client
                .get(format!("{base}/api/integrations/azure-active-directory/oauth2/v1"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("platform call")
                .json()
                .await
                .expect("json");
            let params: Vec<Value> = integration["connectionParams"]
                .as_array()
                .expect("its fields")
                .iter()
                .map(|f| json!({ "referenceName": f["referenceName"], "value": "typed-by-a-person" }))
                .collect();
            let id = integration["id"].as_str().unwrap().to_owned();
            let resp = client
                .post(format!("{base}/api/integrations/{id}/connections"))
                .bearer_auth(&token)
                .json(&json!({ "integrationId": id, "name": name, "connectionParams": params }))
                .send()
                .await
                .expect("platform call");
            assert_eq!(resp.status().as_u16(), 201, "the connection is made");
            let made: Value = resp.json().await.expect("json");
            made["id"].as_str().unwrap().to_owned()
        })
    }

    /// POSTs to the emulator's control plane (`/_emulator/...`): a user's
    /// decision on a device code, for instance.
    pub fn control_post(&self, path: &str, body: serde_json::Value) -> u16 {
        let url = format!("{}/_emulator/{path}", self.emu.base_url());
        self.rt.block_on(async move {
            crate::support::http_client()
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("control call")
                .status()
                .as_u16()
        })
    }

    /// `setup --rotate --show-secret --output json` as on GitHub Actions; the
    /// stdout must parse as JSON.
    pub fn setup_json_on_github(&self, outputs: &Path) -> Value {
        let run = self.run(
            self.cmd()
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_OUTPUT", outputs)
                .args(["setup", "--rotate", "--show-secret", "--output", "json"]),
        );
        run.assert_code(0);
        run.json()
    }

    /// What a browser does with a URL: GET it, following redirects (to the
    /// tool's loopback listener, for a sign-in). The final status and URL.
    pub fn browse(&self, url: &str) -> (u16, String) {
        let url = url.to_owned();
        self.rt.block_on(async move {
            let resp = crate::support::http_client()
                .get(url)
                .send()
                .await
                .expect("the browser's request");
            (resp.status().as_u16(), resp.url().to_string())
        })
    }

    /// A "browser" for `--auth browser` that only notes the URL it is asked
    /// to open: set `BROWSER` and `URL_FILE` on the command to `browser` and
    /// `noted`, then [`Harness::opened_url`] waits for it, and the test plays
    /// the browser with [`Harness::browse`].
    pub fn fake_browser(&self) -> FakeBrowser {
        let browser = self.write_file(
            "browser.sh",
            "#!/bin/sh\nprintf '%s' \"$1\" > \"$URL_FILE\"\n",
        );
        std::fs::set_permissions(
            &browser,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
        FakeBrowser {
            browser,
            noted: self.home.path().join("opened-url"),
        }
    }

    /// GETs a JSON document (from another emulator, for instance).
    pub fn block_on_get(&self, url: &str) -> Value {
        let url = url.to_owned();
        self.rt.block_on(async move {
            crate::support::http_client()
                .get(url)
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json")
        })
    }

    /// GETs a page as a browser would: its status and text.
    pub fn block_on_get_text(&self, url: &str) -> (u16, String) {
        let url = url.to_owned();
        self.rt.block_on(async move {
            let resp = crate::support::http_client()
                .get(url)
                .send()
                .await
                .expect("get");
            let status = resp.status().as_u16();
            (status, resp.text().await.expect("text"))
        })
    }

    /// POSTs an HTML form as a browser would: its status and text.
    pub fn block_on_post_form(&self, url: &str, pairs: &[(String, String)]) -> (u16, String) {
        let (url, pairs) = (url.to_owned(), pairs.to_vec());
        self.rt.block_on(async move {
            let resp = crate::support::http_client()
                .post(url)
                .form(&pairs)
                .send()
                .await
                .expect("post");
            let status = resp.status().as_u16();
            (status, resp.text().await.expect("text"))
        })
    }

    /// A federated token from the emulated GitHub Actions OIDC endpoint.
    pub fn github_oidc_token(&self) -> String {
        let mut url = url::Url::parse(&self.creds.github_oidc_request_url).expect("url");
        url.query_pairs_mut()
            .append_pair("audience", "api://AzureADTokenExchange");
        let bearer = self.creds.github_oidc_request_token.clone();
        self.rt.block_on(async move {
            let v: serde_json::Value = crate::support::http_client()
                .get(url)
                .bearer_auth(bearer)
                .send()
                .await
                .expect("oidc call")
                .json()
                .await
                .expect("json");
            v["value"].as_str().expect("value").to_owned()
        })
    }

    pub fn write_file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.home.path().join(name);
        std::fs::write(&path, content).expect("write");
        path
    }

    /// Every secret a run could leak: what Graph issued, access tokens, the
    /// emulator's own credentials.
    pub fn secrets(&self) -> Vec<String> {
        let mut all = self.emu.issued_secrets();
        all.push(self.creds.admin_client_secret.clone());
        all.push(self.creds.reader_client_secret.clone());
        all.extend(
            self.creds
                .identities
                .iter()
                .map(|i| i.client_secret.clone()),
        );
        all.push(self.creds.platform_admin_token.clone());
        all.push(self.creds.platform_member_token.clone());
        all.retain(|s| s.len() >= 8);
        all
    }

    /// Fails if any secret appears in `text`.
    #[track_caller]
    pub fn assert_no_secret(&self, what: &str, text: &str) {
        for secret in self.secrets() {
            assert!(!text.contains(&secret), "a secret appears in {what}");
        }
    }

    /// Counts requests in the emulator's log by method and path prefix.
    pub fn requests(&self, method: &str, path_prefix: &str) -> usize {
        self.request_log()
            .iter()
            .filter(|r| {
                r["method"] == method
                    && r["path"]
                        .as_str()
                        .is_some_and(|p| p.starts_with(path_prefix))
            })
            .count()
    }

    pub fn request_log(&self) -> Vec<Value> {
        let state = self.state();
        let requests = &state["requests"];
        requests
            .as_array()
            .or_else(|| requests["log"].as_array())
            .cloned()
            .unwrap_or_default()
    }

    pub fn graph_path(&self, rest: &str) -> String {
        let base = url::Url::parse(&self.emu.graph_url()).expect("url");
        format!("{}/v1.0/{rest}", base.path().trim_end_matches('/'))
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read").flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            std::fs::create_dir_all(&dst).expect("mkdir");
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// All the files under a folder, read as text (lossy).
pub fn read_tree(dir: &Path) -> String {
    let mut all = String::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                all.push_str(&read_tree(&path));
            } else if let Ok(bytes) = std::fs::read(&path) {
                all.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    all
}

/// See [`Harness::fake_browser`].
pub struct FakeBrowser {
    pub browser: PathBuf,
    pub noted: PathBuf,
}

impl FakeBrowser {
    /// Sets `BROWSER` (and where it notes the URL) on `cmd`.
    pub fn on(&self, cmd: &mut Command) {
        cmd.env("BROWSER", &self.browser)
            .env("URL_FILE", &self.noted);
    }

    /// The URL the tool asked the browser to open, once it has.
    #[track_caller]
    pub fn opened_url(&self) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            match std::fs::read_to_string(&self.noted) {
                Ok(url) if !url.is_empty() => return url,
                _ if std::time::Instant::now() > deadline => panic!("the browser was never opened"),
                _ => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
    }
}

/// A platform connection's param, by its field's referenceName (as the
/// emulator's state shows it).
pub fn param<'a>(connection: &'a Value, reference: &str) -> &'a Value {
    connection["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["referenceName"] == reference)
        .unwrap_or_else(|| panic!("no param {reference} in {connection}"))
}

/// An HTTP client for the tests' own calls to the emulator, with the TLS
/// provider the tool ships (ring) installed first: reqwest is built without
/// one of its own, and panics at client build when none is installed.
/// A platform token of the right shape for the emulator's team, with a
/// secret the platform does not know: refused with 401.
pub fn forged_platform_token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .encode("9c1d6c0e-0000-4000-8000-000000000000:wrong:acme.pushbot.com:v1")
}

pub fn http_client() -> reqwest::Client {
    aad_setup::tls::install_provider();
    reqwest::Client::new()
}

/// An app registered by hand, as in the portal: the app, its service
/// principal and a secret. Returns the client id, the secret's key id and
/// its value.
pub fn portal_app(h: &Harness) -> (String, String, String) {
    let app = h.graph_post(
        "applications",
        json!({ "displayName": APP_NAME, "signInAudience": "AzureADMyOrg" }),
    );
    let app_id = app["appId"].as_str().unwrap().to_owned();
    h.graph_post("servicePrincipals", json!({ "appId": app_id }));
    let secret = h.graph_post(
        &format!("applications/{}/addPassword", app["id"].as_str().unwrap()),
        json!({ "passwordCredential": { "displayName": "pagerdutysecretkey" } }),
    );
    (
        app_id,
        secret["keyId"].as_str().unwrap().to_owned(),
        secret["secretText"].as_str().unwrap().to_owned(),
    )
}

/// `doc` (a command's stdout) matches `schema` (one of src/schema), and
/// carries the schema version and the tool's version.
#[track_caller]
pub fn assert_matches(schema: &str, doc: &Value, stderr: &str) {
    let schema: Value = serde_json::from_str(schema).expect("the schema is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "stdout does not match its schema:\n{}\n--- stdout\n{doc:#}\n--- stderr\n{stderr}",
        errors.join("\n")
    );
    assert_eq!(doc["schemaVersion"], 1);
    assert_eq!(doc["version"], env!("CARGO_PKG_VERSION"));
}

/// The codes a schema lists in a `oneOf` of `const` + `description`.
fn listed(one_of: &Value) -> Vec<String> {
    one_of["oneOf"]
        .as_array()
        .expect("a oneOf of codes")
        .iter()
        .map(|c| c["const"].as_str().expect("a const code").to_owned())
        .collect()
}

/// Every `code` of a result document (its `changes`, `unchanged`,
/// `warnings`, `nextSteps`, a status's `checks`; a fleet's targets'
/// documents too) that the command's schema under `src/schema/` does not
/// list, as `where: code`.
pub fn unlisted_codes(doc: &Value) -> Vec<String> {
    let run: Value = serde_json::from_str(include_str!("../../src/schema/run.json")).unwrap();
    let remove: Value = serde_json::from_str(include_str!("../../src/schema/remove.json")).unwrap();
    let status: Value = serde_json::from_str(include_str!("../../src/schema/status.json")).unwrap();
    let removals = listed(&remove["properties"]["changes"]["items"]["properties"]["code"]);
    let checks = listed(&status["$defs"]["check"]["properties"]["code"]);
    let lists = |key: &str, is_remove: bool| -> Option<Vec<String>> {
        Some(match key {
            "changes" if is_remove => removals.clone(),
            "changes" => listed(&run["$defs"]["changeCode"]),
            "unchanged" => listed(&run["$defs"]["unchangedCode"]),
            "warnings" => listed(&run["$defs"]["warningCode"]),
            "nextSteps" => listed(&run["$defs"]["nextStepCode"]),
            "checks" => checks.clone(),
            _ => return None,
        })
    };
    fn walk(
        value: &Value,
        lists: &dyn Fn(&str, bool) -> Option<Vec<String>>,
        out: &mut Vec<String>,
    ) {
        match value {
            Value::Object(map) => {
                let is_remove = map.contains_key("removed");
                for (key, v) in map {
                    if let (Some(known), Some(items)) = (lists(key, is_remove), v.as_array()) {
                        for code in items.iter().filter_map(|i| i["code"].as_str()) {
                            if !known.iter().any(|k| k == code) {
                                out.push(format!("{key}: {code}"));
                            }
                        }
                    }
                    walk(v, lists, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, lists, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, &lists, &mut out);
    out
}
