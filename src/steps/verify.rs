//! Step 8: the result works. The new secret obtains a token from Entra
//! (retrying while the new app and secret replicate: AADSTS700016,
//! AADSTS7000215, AADSTS7000229 are expected for a while,
//! docs/sign-in.md §6), and the connection is visible on the platform.

use secrecy::SecretString;

use crate::auth::client_secret::{self, Credential};
use crate::auth::entra::EntraError;
use crate::error::{Failure, Kind};
use crate::output::Printer;
use crate::platform::Platform;

use super::ctx::Ctx;

/// Codes that mean "not replicated yet" right after creating the app or secret.
const REPLICATING: [u64; 3] = [700016, 7000215, 7000229];

#[derive(Debug)]
struct NotYet(EntraError);

impl std::fmt::Display for NotYet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for NotYet {}

pub(crate) async fn secret_signs_in(
    ctx: &Ctx<'_>,
    tenant_id: &str,
    client_id: &str,
    secret: &SecretString,
) -> anyhow::Result<()> {
    signs_in(ctx, tenant_id, client_id, secret).await?;
    ctx.printer
        .step("Verified", "the new secret signs in to Entra");
    Ok(())
}

/// The new secret signs in, and the new connection is visible: asked
/// together, reported in that order (the sign-in's failure first).
pub(crate) async fn secret_and_connection(
    ctx: &Ctx<'_>,
    tenant_id: &str,
    client_id: &str,
    secret: &SecretString,
    platform: &Platform,
    connection_id: &str,
) -> anyhow::Result<bool> {
    let (signed_in, visible) = tokio::join!(
        signs_in(ctx, tenant_id, client_id, secret),
        platform.get_connection(connection_id)
    );
    signed_in?;
    ctx.printer
        .step("Verified", "the new secret signs in to Entra");
    let visible = visible?.is_some();
    if visible {
        ctx.printer
            .step("Verified", "the connection is visible on the platform");
    }
    Ok(visible)
}

async fn signs_in(
    ctx: &Ctx<'_>,
    tenant_id: &str,
    client_id: &str,
    secret: &SecretString,
) -> anyhow::Result<()> {
    let result = ctx
        .retry_while(
            "the new secret to work (Entra replicates it)",
            |e| e.downcast_ref::<NotYet>().is_some(),
            || async {
                let answer = client_secret::request(
                    &ctx.http,
                    &ctx.plan.endpoints,
                    tenant_id,
                    client_id,
                    Credential::Secret(secret),
                )
                .await?;
                match answer {
                    Ok(_) => Ok(()),
                    Err(e) if REPLICATING.iter().any(|c| e.has_code(*c)) => Err(NotYet(e).into()),
                    Err(e) => Err(e.into()),
                }
            },
        )
        .await;
    result.map_err(|err| {
        err.context(Failure::new(
            Kind::Failed,
            "the new client secret did not obtain a token from Entra",
        ).with_hint("if Entra is slow to replicate, run `aad-setup` again in a few minutes; it reuses what exists"))
    })
}

/// The connection is visible on the platform: read by id, unless `seen`
/// says already (read earlier in the run).
pub(crate) async fn connection_visible(
    printer: &Printer,
    platform: &Platform,
    connection_id: &str,
    seen: Option<anyhow::Result<bool>>,
) -> anyhow::Result<bool> {
    let visible = match seen {
        Some(seen) => seen?,
        None => platform.get_connection(connection_id).await?.is_some(),
    };
    if visible {
        printer.step("Verified", "the connection is visible on the platform");
    }
    Ok(visible)
}
