//! Several independent emulator worlds behind one address: a fleet of
//! tenants and platform teams, for many-target runs (`aad-setup demo
//! --fleet`, the fleet tests and bench).
//!
//! Each world is a whole emulator (its own tenant with its admin
//! identities, its own platform team with its tokens, its own request log);
//! none knows the others. A request goes to the world it belongs to, as
//! each real service would tell: sign-in by the tenant in its path
//! (`/login/{tenant}/…`, a GUID or a verified domain), Graph by the tenant
//! (`tid`) of its bearer token, the platform by the team its token names
//! (or, for `POST /api/auth`, the team in the body). What no world claims
//! goes to the first, which refuses it as a real service would (an
//! unknown tenant, a token it did not issue).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State as AxumState};
use axum::response::Response;
use base64::Engine as _;

use super::{Answer, Credentials, EmulatorConfig, Service, Shared, Snapshot, seed, snapshot, util};

/// The configurations of a fleet of `tenants` tenants and `teams` teams
/// from one base configuration: world i holds tenant i
/// (`tenant{i}.onmicrosoft.com`) and team i (`team{i}.pushbot.com`), so
/// max(tenants, teams) worlds; a target pairs any tenant with any team.
pub fn fleet_configs(tenants: usize, teams: usize, base: &EmulatorConfig) -> Vec<EmulatorConfig> {
    (0..tenants.max(teams).max(1))
        .map(|i| {
            let mut config = base.clone();
            config.port = 0;
            config.tenant_id = None;
            config.admin_client_id = None;
            config.admin_client_secret = None;
            config.reader_client_id = None;
            config.reader_client_secret = None;
            config.tenant_domain = format!("tenant{i}.onmicrosoft.com");
            config.tenant_display_name = format!("Tenant {i}");
            config.platform.team = format!("team{i}.pushbot.com");
            config.platform.admin_token = None;
            config.platform.member_token = None;
            config
        })
        .collect()
}

/// A running fleet on one loopback port.
pub struct Fleet {
    worlds: Arc<Vec<Arc<Shared>>>,
    addr: SocketAddr,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Fleet {
    /// Binds 127.0.0.1:port (0: an ephemeral one) and serves every world.
    /// The worlds' tenants and teams must differ.
    pub async fn start(configs: Vec<EmulatorConfig>, port: u16) -> anyhow::Result<Fleet> {
        anyhow::ensure!(!configs.is_empty(), "a fleet needs at least one world");
        for (i, c) in configs.iter().enumerate() {
            c.validate()
                .map_err(|e| anyhow::anyhow!("invalid config of world {i}: {e}"))?;
            for d in &configs[..i] {
                anyhow::ensure!(
                    !d.tenant_domain.eq_ignore_ascii_case(&c.tenant_domain)
                        && !d.platform.team.eq_ignore_ascii_case(&c.platform.team),
                    "two worlds share a tenant domain or a team"
                );
            }
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| anyhow::anyhow!("cannot bind 127.0.0.1:{port}: {e}"))?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let worlds: Vec<Arc<Shared>> = configs
            .into_iter()
            .map(|c| Arc::new(Shared::new(seed::build(c, base_url.clone()))))
            .collect();
        let worlds = Arc::new(worlds);
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&worlds));
        let (stop, task) = super::spawn_server(listener, app);
        Ok(Fleet {
            worlds,
            addr,
            stop: Mutex::new(Some(stop)),
            task,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The authority host every world's tenant signs in at.
    pub fn login_url(&self) -> String {
        super::login_url(&self.base_url())
    }

    pub fn graph_url(&self) -> String {
        super::graph_url(&self.base_url())
    }

    pub fn platform_url(&self) -> String {
        super::platform_url(&self.base_url())
    }

    /// How many worlds.
    pub fn len(&self) -> usize {
        self.worlds.len()
    }

    /// Never: a fleet has at least one world.
    pub fn is_empty(&self) -> bool {
        self.worlds.is_empty()
    }

    /// World i's tenant, identities and team tokens.
    pub fn credentials(&self, world: usize) -> Credentials {
        self.worlds[world].lock().credentials.clone()
    }

    /// World i's state (its own request log), without any secret.
    pub fn snapshot(&self, world: usize) -> Snapshot {
        snapshot::build(&self.worlds[world].lock())
    }

    /// Every secret and token any world issued (tests prove none leaks).
    pub fn issued_secrets(&self) -> Vec<String> {
        self.worlds
            .iter()
            .flat_map(|w| w.lock().issued_secrets.clone())
            .collect()
    }

    /// Changes run-time settings of world i, as [`super::Emulator::update`].
    pub fn update(&self, world: usize, f: impl FnOnce(&mut EmulatorConfig)) {
        let mut st = self.worlds[world].lock();
        let mut next = st.config.clone();
        f(&mut next);
        super::config::keep_frozen(&st.config, &mut next);
        if next.validate().is_ok() {
            st.config = next;
        }
    }

    /// Deletes world i's platform connection of this name, as its team's
    /// admin would in the platform's own pages; false when there is none.
    pub fn delete_connection(&self, world: usize, name: &str) -> bool {
        let mut st = self.worlds[world].lock();
        let before = st.platform.connections.len();
        st.platform.connections.retain(|c| c.name != name);
        st.platform.connections.len() < before
    }

    /// Requests being served by any world.
    pub fn in_flight(&self) -> usize {
        self.worlds
            .iter()
            .map(|w| w.in_flight.load(std::sync::atomic::Ordering::SeqCst))
            .sum()
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(self) {
        let stop = self.stop.lock().ok().and_then(|mut s| s.take());
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

/// The world a request belongs to (see the module's documentation).
fn route(worlds: &[Arc<Shared>], req: &util::Req) -> usize {
    let find = |pred: &dyn Fn(&Credentials) -> bool| {
        worlds
            .iter()
            .position(|w| pred(&w.lock().credentials))
            .unwrap_or(0)
    };
    let bearer = req
        .header("authorization")
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    match Service::of(&req.path) {
        Service::Login => {
            let tenant = req.path.split('/').nth(2).unwrap_or_default().to_owned();
            find(&|c| {
                c.tenant_id.eq_ignore_ascii_case(&tenant)
                    || c.tenant_domain.eq_ignore_ascii_case(&tenant)
            })
        }
        Service::Graph => {
            let tid = bearer
                .split('.')
                .nth(1)
                .and_then(|p| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(p)
                        .ok()
                })
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|claims| claims["tid"].as_str().map(str::to_owned))
                .unwrap_or_default();
            find(&|c| c.tenant_id.eq_ignore_ascii_case(&tid))
        }
        Service::Platform => {
            let team = util::decode_platform_token(&bearer)
                .map(|[_, _, team, _]| team)
                .or_else(|| {
                    serde_json::from_slice::<serde_json::Value>(&req.body)
                        .ok()
                        .and_then(|b| b["domain"].as_str().map(str::to_ascii_lowercase))
                })
                .unwrap_or_default();
            find(&|c| c.platform_team.eq_ignore_ascii_case(&team))
        }
        Service::Control | Service::Unknown => 0,
    }
}

/// Reads the request, picks its world, and has that world serve it as a
/// lone emulator would.
async fn handle(AxumState(worlds): AxumState<Arc<Vec<Arc<Shared>>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, super::MAX_BODY).await else {
        return util::Reply::empty(413).into_response();
    };
    let req = util::Req {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: util::parse_query(parts.uri.query()),
        headers: parts.headers,
        body: body.to_vec(),
        received_micros: util::now_micros(),
    };
    let shared = Arc::clone(&worlds[route(&worlds, &req)]);
    shared
        .in_flight
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let task = tokio::spawn(async move {
        let answer = super::serve(Arc::clone(&shared), req).await;
        shared
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        answer
    });
    match task.await {
        Ok(Answer::Reply(reply)) => reply.into_response(),
        Ok(Answer::Dropped) | Err(_) => super::dropped_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn token(fleet: &Fleet, world: usize) -> (u16, String) {
        let c = fleet.credentials(world);
        let resp = reqwest::Client::new()
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                fleet.login_url(),
                c.tenant_domain
            ))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", c.admin_client_id.as_str()),
                ("client_secret", c.admin_client_secret.as_str()),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await
            .expect("sign-in");
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.expect("json");
        (
            status,
            body["access_token"].as_str().unwrap_or_default().to_owned(),
        )
    }

    #[tokio::test]
    async fn each_request_reaches_its_own_world() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let fleet = Fleet::start(fleet_configs(2, 3, &EmulatorConfig::default()), 0)
            .await
            .expect("starts");
        assert_eq!(fleet.len(), 3);
        let (status, graph) = token(&fleet, 1).await;
        assert_eq!(status, 200);
        // Tenant 1's token reads tenant 1's organization, and only its log grows.
        let org: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/v1.0/organization", fleet.graph_url()))
            .bearer_auth(&graph)
            .send()
            .await
            .expect("graph")
            .json()
            .await
            .expect("json");
        assert_eq!(org["value"][0]["id"], fleet.credentials(1).tenant_id);
        assert!(fleet.snapshot(0).requests.log.is_empty());
        assert_eq!(fleet.snapshot(1).requests.log.len(), 2);
        // World 2's team token lists world 2's integrations.
        let team = fleet.credentials(2);
        let status = reqwest::Client::new()
            .get(format!("{}/api/integrations", fleet.platform_url()))
            .bearer_auth(&team.platform_admin_token)
            .send()
            .await
            .expect("platform")
            .status();
        assert_eq!(status, 200);
        assert_eq!(fleet.snapshot(2).requests.log.len(), 1);
        // A secret of tenant 0 does not sign in to tenant 1.
        let c0 = fleet.credentials(0);
        let c1 = fleet.credentials(1);
        let refused = reqwest::Client::new()
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                fleet.login_url(),
                c1.tenant_id
            ))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", c0.admin_client_id.as_str()),
                ("client_secret", c0.admin_client_secret.as_str()),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await
            .expect("sign-in")
            .status()
            .as_u16();
        assert_eq!(refused, 400);
        fleet.shutdown().await;
    }
}
