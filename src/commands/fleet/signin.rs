//! One sign-in per tenant and identity, shared by its targets: targets
//! that sign in to the same tenant as the same app with the same secret
//! (`auth = "client-secret"`, or `auto` finding a secret) get one Graph
//! token, signed in for by the fleet when the first of them starts (again
//! when it has less than ten minutes left), and handed to each run on its
//! stdin as `--auth token --graph-token-file -`. Each run still checks
//! what the token may do, as it does any token. When the fleet cannot sign
//! in, each run signs in itself and reports its own error.

use std::collections::HashMap;
use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretString};
use sha2::Digest as _;

use crate::auth::{self, SignIn};
use crate::output::Printer;
use crate::settings::Plan;

/// Ten minutes: a token with less left is not handed on.
const MARGIN_SECS: i64 = 600;

/// One identity in one tenant, and its token once signed in.
pub(crate) struct Shared {
    plan: Plan,
    state: tokio::sync::Mutex<State>,
}

enum State {
    NotYet,
    Token(SecretString, Option<i64>),
    /// The fleet's sign-in failed: each run signs in itself.
    Failed,
}

/// Which identity a plan signs in as, when it is one that can be shared.
fn key(plan: &Plan) -> Option<String> {
    match &plan.sign_in {
        SignIn::ClientSecret(r) => {
            let digest = sha2::Sha256::digest(r.secret.expose_secret().as_bytes());
            let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
            Some(format!(
                "{}|{}|{}|{hash}",
                plan.endpoints.login,
                r.tenant.to_ascii_lowercase(),
                r.client_id.to_ascii_lowercase()
            ))
        }
        _ => None,
    }
}

/// The shared sign-ins of a fleet run, by identity.
#[derive(Default)]
pub(crate) struct SignIns {
    by_key: HashMap<String, Arc<Shared>>,
}

impl SignIns {
    /// The shared sign-in for this target's plan (the first plan of an
    /// identity is kept for signing in), if its method can be shared.
    pub(crate) fn of(&mut self, plan: Plan) -> Option<Arc<Shared>> {
        let key = key(&plan)?;
        Some(Arc::clone(self.by_key.entry(key).or_insert_with(|| {
            Arc::new(Shared {
                plan,
                state: tokio::sync::Mutex::new(State::NotYet),
            })
        })))
    }
}

impl Shared {
    /// The identity's token: signed in for once, again near its expiry;
    /// `None` when the fleet could not sign in.
    pub(crate) async fn token(&self, printer: &Printer) -> Option<SecretString> {
        let mut state = self.state.lock().await;
        let now = jiff::Timestamp::now().as_second();
        match &*state {
            State::Token(token, exp) if exp.is_none_or(|e| e - now > MARGIN_SECS) => {
                return Some(token.clone());
            }
            State::Failed => return None,
            _ => {}
        }
        let signed = match crate::http::Http::new(&self.plan.http) {
            Ok(http) => {
                auth::sign_in(&http, &self.plan.endpoints, printer, &self.plan.sign_in).await
            }
            Err(e) => Err(e),
        };
        match signed {
            Ok(session) => {
                let exp = auth::claims::read(&session.token).and_then(|c| c.exp);
                *state = State::Token(session.token.clone(), exp);
                Some(session.token)
            }
            Err(err) => {
                tracing::debug!("the fleet's shared sign-in failed, each run signs in: {err:#}");
                *state = State::Failed;
                None
            }
        }
    }
}

/// The run's command line with the shared token in place of its own
/// sign-in: `--auth token --graph-token-file -` (the token on stdin).
pub(crate) fn with_token(argv: &[String]) -> Vec<String> {
    const OWN: &[&str] = &[
        "--auth",
        "--client-id",
        "--client-secret-file",
        "--graph-token-file",
    ];
    let mut out = Vec::with_capacity(argv.len() + 4);
    let mut args = argv.iter();
    while let Some(arg) = args.next() {
        if OWN.contains(&arg.as_str()) {
            args.next();
            continue;
        }
        if OWN.iter().any(|f| arg.starts_with(&format!("{f}="))) {
            continue;
        }
        out.push(arg.clone());
    }
    out.extend(["--auth", "token", "--graph-token-file", "-"].map(str::to_owned));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_runs_own_sign_in_gives_way_to_the_shared_token() {
        let argv: Vec<String> = [
            "setup",
            "--tenant",
            "t",
            "--auth",
            "client-secret",
            "--client-id",
            "c",
            "--client-secret-file=/s",
            "--no-input",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            super::with_token(&argv),
            [
                "setup",
                "--tenant",
                "t",
                "--no-input",
                "--auth",
                "token",
                "--graph-token-file",
                "-"
            ]
        );
    }
}
