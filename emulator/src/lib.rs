//! The built-in emulator: Entra sign-in, the Microsoft Graph slice `aad-setup` uses,
//! and the workflow platform's integrations API, served on one loopback port.
//!
//! It is what `aad-setup demo`, `aad-setup emulator` and the test suite run against, so
//! it is deliberately strict: real error shapes and codes, request validation,
//! replication delay, throttling and injected faults (docs/design.md, "The built-in
//! emulator"). Every behaviour cites the reference section it comes from; where the
//! reference says [unk], the stricter choice is made and commented.
//!
//! It never prints: everything it knows is returned as data ([`Emulator::snapshot`],
//! `GET /_emulator/state`). It is its own crate and depends on nothing of `aad-setup`.
//!
//! Layout: `config` (what can be configured), `seed` (the starting world), `state` (the
//! world), `entra` (`/login`), `graph` (`/graph`), `platform` (`/platform`), `control`
//! (`/_emulator`), `pages` (the approval pages a person uses), `snapshot` (what tests inspect), `jwt`, `util`.

mod clock;
mod config;
pub mod contract;
mod control;
mod entra;
mod fleet;
mod graph;
mod jwt;
mod pages;
mod platform;
mod seed;
mod snapshot;
mod state;
mod util;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State as AxumState};
use axum::response::Response;
use serde::{Deserialize, Serialize};

pub use config::{
    AppPolicyConfig, BrowserDecision, EmulatedCloud, EmulatorConfig, Fault, FaultKind,
    FederatedCredential, FieldSeed, IntegrationSeed, PlatformConfig, ReplicationConfig,
    SignInConfig, ThrottleConfig,
};
pub use fleet::{Fleet, fleet_configs};
pub use snapshot::{
    ApplicationSnapshot, ConnectionParamSnapshot, ConnectionSnapshot, CredentialMatch,
    GrantSnapshot, PasswordCredentialSnapshot, RequestLog, RequestRecordSnapshot,
    RequiredResourceAccessSnapshot, ResourceAccessSnapshot, SECRET_MASK, ServicePrincipalSnapshot,
    Snapshot, TenantSnapshot, WebSnapshot,
};

use state::{RequestRecord, State};
use util::{Reply, Req};

/// What a running emulator hands to clients: the tenant, the caller apps' secrets, the
/// interactive users, the two platform tokens and the local approval pages. `Debug`
/// redacts the secrets.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Credentials {
    pub tenant_id: String,
    pub tenant_domain: String,
    /// App-only caller with Application.ReadWrite.All + DelegatedPermissionGrant.ReadWrite.All.
    pub admin_client_id: String,
    pub admin_client_secret: String,
    /// App-only caller with Application.Read.All only.
    pub reader_client_id: String,
    pub reader_client_secret: String,
    /// Serialized platform token of a team admin of `platform_team`.
    pub platform_admin_token: String,
    /// Serialized platform token of a member of the same team (may read, may not create).
    pub platform_member_token: String,
    pub platform_team: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` for the emulated GitHub Actions OIDC endpoint.
    pub github_oidc_request_url: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN` that endpoint accepts.
    pub github_oidc_request_token: String,
    /// Every app-only identity the tenant holds, the two above included: the
    /// identities admins really run the tool with, each holding exactly its `roles`.
    pub identities: Vec<AppIdentity>,
    /// The users who sign in interactively (device code, browser).
    pub users: Vec<UserIdentity>,
    /// The page where a person enters a device code and approves or declines it (also
    /// the device code answer's `verification_uri`).
    pub device_approval_url: String,
    /// The page listing pending platform access tokens to approve or cancel.
    pub platform_approval_url: String,
}

impl Credentials {
    /// The app-only identity with this name (`admin`, `writer`, `owned-by`, `reader`,
    /// `directory-reader`).
    pub fn identity(&self, name: &str) -> Option<&AppIdentity> {
        self.identities.iter().find(|i| i.name == name)
    }
}

/// An app-only caller (client credentials): its name, appId, secret and the Microsoft
/// Graph application permissions (`roles`) its tokens carry. `Debug` redacts the secret.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppIdentity {
    pub name: String,
    pub display_name: String,
    pub client_id: String,
    pub client_secret: String,
    pub roles: Vec<String>,
}

impl std::fmt::Debug for AppIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppIdentity")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("roles", &self.roles)
            .finish()
    }
}

/// A user who signs in interactively: who they are, their directory role, and the
/// delegated scopes they can obtain (`None`: any, they may consent to everything).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserIdentity {
    pub user_principal_name: String,
    pub display_name: String,
    pub role: String,
    pub consentable_scopes: Option<Vec<String>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("tenant_id", &self.tenant_id)
            .field("tenant_domain", &self.tenant_domain)
            .field("admin_client_id", &self.admin_client_id)
            .field("admin_client_secret", &"[REDACTED]")
            .field("reader_client_id", &self.reader_client_id)
            .field("reader_client_secret", &"[REDACTED]")
            .field("platform_admin_token", &"[REDACTED]")
            .field("platform_member_token", &"[REDACTED]")
            .field("platform_team", &self.platform_team)
            .field("github_oidc_request_url", &self.github_oidc_request_url)
            .field("github_oidc_request_token", &"[REDACTED]")
            .field("identities", &self.identities)
            .field("users", &self.users)
            .field("device_approval_url", &self.device_approval_url)
            .field("platform_approval_url", &self.platform_approval_url)
            .finish()
    }
}

/// The kind of Graph token [`Emulator::mint_graph_token`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A user token (the seeded admin user, via the Azure CLI client id) with these
    /// delegated scopes in `scp`.
    Delegated(Vec<String>),
    /// A user token of the seeded user with this UPN or local part (`developer`) with
    /// these delegated scopes: their role still limits what Graph lets them do.
    DelegatedAs(String, Vec<String>),
    /// An app-only token of the admin caller app with exactly these `roles`.
    App(Vec<String>),
}

/// Shared between the server task and the [`Emulator`] handle.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Requests held by a `hold` fault, oldest first.
    holds: Mutex<Vec<Held>>,
    /// Requests being served (a slow or held one may outlive its client).
    in_flight: std::sync::atomic::AtomicUsize,
}

impl Shared {
    pub(crate) fn new(state: State) -> Shared {
        Shared {
            state: Mutex::new(state),
            holds: Mutex::new(Vec::new()),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

/// Serves `app` on `listener` until the sender is used (or dropped).
pub(crate) fn spawn_server(
    listener: tokio::net::TcpListener,
    app: axum::Router,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    (stop, task)
}

/// The services' roots under one address (what [`handle`] routes by).
pub(crate) fn login_url(base: &str) -> String {
    format!("{base}/login")
}

pub(crate) fn graph_url(base: &str) -> String {
    format!("{base}/graph")
}

pub(crate) fn platform_url(base: &str) -> String {
    format!("{base}/platform/v2.0.0")
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the data usable for an emulator.
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // The handler that holds the state reads this emulator's clock.
        clock::enter(state.config.clock_offset_secs);
        state
    }

    fn holds(&self) -> MutexGuard<'_, Vec<Held>> {
        self.holds.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn held(&self) -> Vec<HeldRequest> {
        self.holds()
            .iter()
            .filter(|h| !h.release.is_closed())
            .map(|h| HeldRequest {
                method: h.method.clone(),
                path: h.path.clone(),
            })
            .collect()
    }

    fn release_first(&self, process: bool, method: Option<&str>) -> bool {
        let mut holds = self.holds();
        holds.retain(|h| !h.release.is_closed());
        let Some(i) = holds
            .iter()
            .position(|h| method.is_none_or(|m| h.method.eq_ignore_ascii_case(m)))
        else {
            return false;
        };
        let first = holds.remove(i);
        drop(holds);
        first.release.send(process).is_ok()
    }

    fn release(&self, process: bool) -> usize {
        let held: Vec<Held> = std::mem::take(&mut *self.holds());
        let n = held.len();
        for h in held {
            let _ = h.release.send(process);
        }
        n
    }
}

/// A running emulator. Dropping it without [`Emulator::shutdown`] leaves the server
/// running until the runtime stops.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Emulator {
    /// Binds 127.0.0.1:config.port (0 = ephemeral) and serves in a spawned tokio task.
    pub async fn start(config: EmulatorConfig) -> anyhow::Result<Emulator> {
        config
            .validate()
            .map_err(|e| anyhow::anyhow!("invalid emulator config: {e}"))?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|e| anyhow::anyhow!("cannot bind 127.0.0.1:{}: {e}", config.port))?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        Ok(Self::serve(listener, addr, seed::build(config, base_url)))
    }

    /// A second emulator on an ephemeral port that starts from this one's
    /// world as it is now: its objects, credentials, issued tokens and
    /// secrets (its request log empty). Tests prepare a world once and run
    /// many scenarios from it.
    pub async fn fork(&self) -> anyhow::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| anyhow::anyhow!("cannot bind 127.0.0.1:0: {e}"))?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let mut state = self.shared.lock().clone();
        state.credentials.github_oidc_request_url = state
            .credentials
            .github_oidc_request_url
            .replace(&state.base_url, &base_url);
        state.base_url = base_url;
        state.log.clear();
        Ok(Self::serve(listener, addr, state))
    }

    fn serve(listener: tokio::net::TcpListener, addr: SocketAddr, state: State) -> Emulator {
        let shared = Arc::new(Shared::new(state));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let (stop, task) = spawn_server(listener, app);
        Emulator {
            shared,
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The authority host; clients append `/{tenant}/oauth2/v2.0/token`.
    pub fn login_url(&self) -> String {
        login_url(&self.base_url())
    }

    /// Graph's root; clients append `/v1.0/...`.
    pub fn graph_url(&self) -> String {
        graph_url(&self.base_url())
    }

    /// The platform API's base; clients append `/api/...`.
    pub fn platform_url(&self) -> String {
        platform_url(&self.base_url())
    }

    pub fn credentials(&self) -> Credentials {
        self.shared.lock().credentials.clone()
    }

    /// Everything tests inspect, without any secret.
    pub fn snapshot(&self) -> Snapshot {
        snapshot::build(&self.shared.lock())
    }

    /// Every client secret `addPassword` has issued and every access (and refresh) token
    /// issued or minted, for tests that prove no secret leaks. Never serialized.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.shared.lock().issued_secrets.clone()
    }

    /// Every Graph request so far as Microsoft's contract sees it: its path in the
    /// permissions map's form, the caller's permissions, its answer, and what the three
    /// clouds' schemas say of its body and `$select` ([`contract::violations`]).
    pub fn contract_log(&self) -> Vec<contract::Entry> {
        self.shared.lock().contract_log.clone()
    }

    /// An access token for Graph with exactly these delegated scopes or app roles.
    pub fn mint_graph_token(&self, kind: TokenKind) -> String {
        entra::mint(&mut self.shared.lock(), &kind)
    }

    /// Changes run-time settings (replication, throttle, faults, policies, sign-in
    /// switches, platform error casing). Changes to fields that shape the seeded world
    /// (port, ids, secrets, domains, integrations) are ignored; a change that fails
    /// validation is not applied (and panics in debug builds).
    pub fn update(&self, f: impl FnOnce(&mut EmulatorConfig)) {
        let valid = {
            let mut st = self.shared.lock();
            let mut next = st.config.clone();
            f(&mut next);
            config::keep_frozen(&st.config, &mut next);
            let valid = next.validate();
            if valid.is_ok() {
                st.config = next;
            }
            valid
        };
        // A test that configures nonsense should hear about it.
        debug_assert!(valid.is_ok(), "Emulator::update: {valid:?}");
    }

    /// Moves the emulated services' clock forward by `secs` seconds (back, if
    /// negative): secrets expire, policies' dates pass, as they would in that time.
    /// The same as `POST /_emulator/clock` with `{"advance_secs": secs}`.
    pub fn advance_clock(&self, secs: i64) {
        let mut st = self.shared.lock();
        st.config.clock_offset_secs = st.config.clock_offset_secs.saturating_add(secs);
    }

    /// Now, on the emulated services' clock.
    pub fn clock_now(&self) -> jiff::Timestamp {
        let _clock = self.shared.lock();
        util::now()
    }

    /// Requests being served right now, held ones included: a slow answer's
    /// work goes on after its client gave up, so tests wait for zero before
    /// they look at the state.
    pub fn in_flight(&self) -> usize {
        self.shared
            .in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The requests a `hold` fault is holding, oldest first.
    pub fn held(&self) -> Vec<HeldRequest> {
        self.shared.held()
    }

    /// Lets every held request go on: `process` does the work and answers (to a client
    /// that may be gone), else each is dropped unprocessed. Returns how many.
    pub fn release_held(&self, process: bool) -> usize {
        self.shared.release(process)
    }

    /// Lets only the request held longest go on (`process` as in
    /// [`Emulator::release_held`]), the others staying held: how a test
    /// fixes the order in which two clients' requests land. Returns whether
    /// one was held.
    pub fn release_first_held(&self, process: bool) -> bool {
        self.shared.release_first(process, None)
    }

    /// [`Emulator::release_first_held`], of the requests of one method only.
    pub fn release_first_held_of(&self, method: &str, process: bool) -> bool {
        self.shared.release_first(process, Some(method))
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Which emulated service a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Login,
    Graph,
    Platform,
    Control,
    Unknown,
}

impl Service {
    fn of(path: &str) -> Self {
        let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
        if under("/login") {
            Self::Login
        } else if under("/graph") {
            Self::Graph
        } else if under("/platform") {
            Self::Platform
        } else if under("/_emulator") {
            Self::Control
        } else {
            Self::Unknown
        }
    }
}

/// Graph's per-request ids (`request-id`, echoed `client-request-id`; docs/graph.md §1).
#[derive(Debug, Clone)]
pub(crate) struct GraphIds {
    pub request_id: String,
    pub client_request_id: String,
}

const MAX_BODY: usize = 1024 * 1024;

/// The one handler behind every route. The work goes on in a task of its own, so that a
/// client that hangs up (or is killed) while it waits does not cancel what the service
/// has started, as on a real server.
async fn handle(AxumState(shared): AxumState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Reply::empty(413).into_response();
    };
    let req = Req {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: util::parse_query(parts.uri.query()),
        headers: parts.headers,
        body: body.to_vec(),
        received_micros: util::now_micros(),
    };
    shared
        .in_flight
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let counted = Arc::clone(&shared);
    let task = tokio::spawn(async move {
        let answer = serve(Arc::clone(&counted), req).await;
        counted
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        answer
    });
    match task.await {
        Ok(Answer::Reply(reply)) => reply.into_response(),
        Ok(Answer::Dropped) | Err(_) => dropped_response(),
    }
}

/// What goes back to the client.
enum Answer {
    Reply(Reply),
    /// The connection is closed without a complete answer.
    Dropped,
}

/// Throttling and faults first, then the service, then Graph's headers and the request log.
async fn serve(shared: Arc<Shared>, req: Req) -> Answer {
    let service = Service::of(&req.path);
    if service == Service::Control && req.path.starts_with("/_emulator/holds") {
        return Answer::Reply(holds_route(&shared, &req));
    }
    let latency = shared.lock().config.latency_millis;
    if latency > 0 && service != Service::Control {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let request_id = util::new_guid();
    // Graph echoes the client's id, or repeats its own when none was sent.
    let client_request_id = req
        .header("client-request-id")
        .filter(|v| !v.is_empty())
        .map_or_else(|| request_id.clone(), str::to_owned);
    let ids = GraphIds {
        request_id,
        client_request_id,
    };

    let decision = {
        let mut st = shared.lock();
        pre_process(&mut st, &req, service, &ids)
    };
    let fault = match decision {
        Decision::Early(reply) => {
            return finish(&shared, &req, service, &ids, Answer::Reply(reply));
        }
        Decision::Go(fault) => fault,
    };
    if let Some(f) = &fault {
        match f.kind {
            FaultKind::Slow => tokio::time::sleep(std::time::Duration::from_millis(f.millis)).await,
            FaultKind::Hold => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                shared.holds().push(Held {
                    method: req.method.clone(),
                    path: req.path.clone(),
                    release: tx,
                });
                if !rx.await.unwrap_or(false) {
                    return finish(&shared, &req, service, &ids, Answer::Dropped);
                }
            }
            _ if !f.after_processing && f.kind != FaultKind::Truncated => {
                let answer = fault_answer(&shared, f, service, &ids, None);
                return finish(&shared, &req, service, &ids, answer);
            }
            _ => {}
        }
    }
    let reply = match service {
        Service::Login => entra::handle(&mut shared.lock(), &req),
        Service::Graph => graph::handle(&mut shared.lock(), &req, &ids),
        Service::Platform => platform::handle(&shared, &req).await,
        Service::Control => control::handle(&mut shared.lock(), &req),
        Service::Unknown => Reply::json(404, &serde_json::json!({"error": "not found"})),
    };
    let answer = match &fault {
        Some(f) if !matches!(f.kind, FaultKind::Slow | FaultKind::Hold) => {
            fault_answer(&shared, f, service, &ids, Some(reply))
        }
        _ => Answer::Reply(reply),
    };
    finish(&shared, &req, service, &ids, answer)
}

/// Graph's headers, and the request log (status 0: dropped).
fn finish(shared: &Shared, req: &Req, service: Service, ids: &GraphIds, answer: Answer) -> Answer {
    let answer = match answer {
        Answer::Reply(reply) if service == Service::Graph => Answer::Reply(
            reply
                .with_header("date", {
                    let _clock = shared.lock();
                    clock::http_date(util::now())
                })
                .with_header("request-id", ids.request_id.clone())
                .with_header("client-request-id", ids.client_request_id.clone()),
        ),
        other => other,
    };
    if service != Service::Control {
        // Paths and query keys only: values could carry secrets (or filters naming them).
        shared.lock().log.push(RequestRecord {
            method: req.method.clone(),
            path: req.path.clone(),
            query_keys: req.query.iter().map(|(k, _)| k.clone()).collect(),
            status: match &answer {
                Answer::Reply(r) => r.status,
                Answer::Dropped => 0,
            },
            started_micros: req.received_micros,
            finished_micros: util::now_micros(),
        });
    }
    answer
}

/// What a fired fault answers; `done` is the service's own reply when the work was done.
fn fault_answer(
    shared: &Shared,
    fault: &Fault,
    service: Service,
    ids: &GraphIds,
    done: Option<Reply>,
) -> Answer {
    let mut st = shared.lock();
    st.counters.faults_injected += 1;
    match fault.kind {
        FaultKind::Status => {
            let mut reply = fault_reply(&st, service, fault.status, ids);
            if let Some(secs) = fault.retry_after_secs {
                reply = reply.with_header("retry-after", secs.to_string());
            }
            Answer::Reply(reply)
        }
        FaultKind::Drop => Answer::Dropped,
        FaultKind::NonJson => {
            let mut reply = Reply::empty(200);
            reply.body = Some(
                b"<html><head><title>Service busy</title></head><body><h1>The service is busy</h1><p>Please try again later.</p></body></html>"
                    .to_vec(),
            );
            reply.content_type = Some("text/html; charset=utf-8");
            Answer::Reply(reply)
        }
        FaultKind::Truncated => {
            let mut reply = done.unwrap_or_else(|| Reply::empty(200));
            let body = reply.body.take().unwrap_or_default();
            if body.is_empty() {
                reply.status = 200;
                reply.body = Some(b"{\"".to_vec());
                reply.content_type = Some(util::JSON);
            } else {
                reply.body = Some(body[..body.len() / 2].to_vec());
            }
            Answer::Reply(reply)
        }
        FaultKind::Slow | FaultKind::Hold => {
            Answer::Reply(done.unwrap_or_else(|| Reply::empty(204)))
        }
    }
}

/// A 200 whose body breaks off: hyper closes the connection without a complete answer.
fn dropped_response() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault injected: connection dropped",
        ))
    });
    Response::builder()
        .status(200)
        .header("content-type", util::JSON)
        .body(axum::body::Body::from_stream(stream))
        .unwrap_or_else(|_| Response::new(axum::body::Body::empty()))
}

/// A request held by a [`FaultKind::Hold`] fault.
pub(crate) struct Held {
    method: String,
    path: String,
    /// `true`: do the work and answer; `false`: drop it unprocessed.
    release: tokio::sync::oneshot::Sender<bool>,
}

/// A held request, as tests see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRequest {
    pub method: String,
    pub path: String,
}

/// `GET /_emulator/holds` (the held requests) and `POST /_emulator/holds/release`
/// (`{"process": bool}`: release them all).
fn holds_route(shared: &Shared, req: &Req) -> Reply {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/_emulator/holds") => Reply::json(
            200,
            &serde_json::to_value(shared.held()).unwrap_or(serde_json::Value::Null),
        ),
        ("POST", "/_emulator/holds/release") => {
            let process = serde_json::from_slice::<serde_json::Value>(&req.body)
                .ok()
                .and_then(|v| v.get("process").and_then(serde_json::Value::as_bool));
            match process {
                Some(process) => {
                    let n = shared.release(process);
                    Reply::json(200, &serde_json::json!({ "released": n }))
                }
                None => Reply::json(
                    400,
                    &serde_json::json!({"error": "send {\"process\": true|false}"}),
                ),
            }
        }
        _ => Reply::json(404, &serde_json::json!({"error": "unknown control route"})),
    }
}

/// What [`pre_process`] decided.
enum Decision {
    /// Answer this without going further.
    Early(Reply),
    /// Go on, with this fault to apply (before or after the work, by its kind).
    Go(Option<Fault>),
}

/// Throttling (Graph only, answered before any processing; docs/graph.md §4.3) and
/// the choice of an injected fault.
fn pre_process(st: &mut State, req: &Req, service: Service, ids: &GraphIds) -> Decision {
    if service == Service::Graph {
        st.graph_requests += 1;
        let t = st.config.throttle;
        if t.every > 0 && st.graph_requests % u64::from(t.every) == 0 {
            st.counters.throttled += 1;
            let mut reply = graph::error_reply(
                ids,
                429,
                // Graph's code for a throttled directory request is [unk]; clients must
                // branch on the status (docs/graph.md §4.2).
                "TooManyRequests",
                "Too many requests. Please retry after the time given in Retry-After, or back off.",
                None,
            )
            .with_header(
                "x-ms-throttle-information",
                if req.method == "GET" {
                    "ResourceUnitLimitExceeded"
                } else {
                    "WriteLimitExceeded"
                },
            );
            if let Some(secs) = t.retry_after_secs {
                let omit = t.omit_retry_after_every_other && st.counters.throttled % 2 == 0;
                if !omit {
                    reply = reply.with_header("retry-after", secs.to_string());
                }
            }
            return Decision::Early(reply);
        }
    }
    if matches!(service, Service::Control | Service::Unknown) {
        return Decision::Go(None);
    }
    let hit = st
        .config
        .faults
        .iter_mut()
        .find(|f| f.times > 0 && f.matches(&req.method, &req.path));
    let Some(fault) = hit else {
        return Decision::Go(None);
    };
    if fault.skip > 0 {
        fault.skip -= 1;
        return Decision::Go(None);
    }
    fault.times -= 1;
    Decision::Go(Some(fault.clone()))
}

/// The body an injected fault answers with, in the shape of the service hit.
fn fault_reply(st: &State, service: Service, status: u16, ids: &GraphIds) -> Reply {
    match service {
        Service::Graph => {
            let (code, message) = match status {
                400 => ("BadRequest", "The request is invalid."),
                401 => (
                    "InvalidAuthenticationToken",
                    "Access token validation failure.",
                ),
                403 => (
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                ),
                404 => ("Request_ResourceNotFound", "Resource does not exist."),
                409 => (
                    "Conflict",
                    "The request conflicts with the current state of the object.",
                ),
                429 => ("TooManyRequests", "Too many requests."),
                500 => ("generalException", "An unexpected error occurred."),
                502 => ("BadGateway", "Bad gateway."),
                503 => (
                    "serviceNotAvailable",
                    "The service is temporarily unavailable.",
                ),
                504 => ("GatewayTimeout", "The gateway timed out."),
                _ => ("UnknownError", "An error occurred."),
            };
            graph::error_reply(ids, status, code, message, None)
        }
        Service::Login => {
            // AADSTS90033 is Entra's transient-error code; 4xx faults use invalid_request.
            let error = if status >= 500 || status == 429 {
                "temporarily_unavailable"
            } else {
                "invalid_request"
            };
            entra::aad_error(
                status,
                error,
                90033,
                "A transient error has occurred. Please try again.",
            )
        }
        _ => platform::problem(
            st.config.platform.pascal_case_errors,
            status,
            "The platform could not complete the request.",
        ),
    }
}
