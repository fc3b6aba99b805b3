//! `connect`: the platform half of the guide only, for an app
//! registered elsewhere (in the Azure portal, or by another tool). It
//! checks the platform and that the app's secret signs in to Entra, then
//! creates the connection and verifies it. The wizard's "I'll do the Azure
//! steps in the portal" path ends with the same functions.
//!
//! Nothing here writes to Azure: the app and its secret are the admin's.
//!
//! It converges: run again with the same values, it verifies and keeps the
//! connection it made (exit 0). The platform never returns a connection's
//! values, so "the same" is what this machine recorded when it made the
//! connection: its id and a fingerprint (SHA-256) of the Client ID, tenant,
//! Resource and secret, in the local record; and the secret signs in.
//! Different values, or a connection made elsewhere, need `--replace`.

use crate::auth;
use crate::cloud::Endpoints;
use crate::error::{Failure, Kind};
use crate::http::Http;
use crate::output::Printer;
use secrecy::ExposeSecret as _;
use sha2::{Digest as _, Sha256};

use crate::platform::types::Connection;
use crate::record::{Record, Store};
use crate::report::{Action, Code, Op, Report, Status};
use crate::settings::{AppCredentials, ConnectPlan};
use crate::steps::connect_platform::{self, Values};
use crate::steps::platform_preflight::{self, PlatformTarget};
use crate::steps::verify;
use crate::stop::Stop;

pub(super) async fn run(plan: &ConnectPlan, printer: &Printer) -> anyhow::Result<()> {
    let http = Http::new(&plan.http)?;
    let target = preflight(&http, plan, printer).await?;
    let tenant_id = check_secret(&http, &plan.endpoints, &plan.app, printer).await?;
    let store = store(plan, &tenant_id);
    if let Some(existing) = target.existing.as_ref().filter(|_| !plan.replace) {
        if !same_values(
            &store.load(&tenant_id, &store_name(plan)),
            existing,
            plan,
            &tenant_id,
        ) {
            return Err(Failure::new(
                Kind::Usage,
                format!(
                    "the platform has a connection named \"{}\" already ({}), and it is not known to hold these values; nothing was changed",
                    existing.name, existing.id
                ),
            )
            .with_hint("pass --replace to replace it (the new one is created and checked before the old one is deleted), or choose another --connection-name; `connect` reuses a connection without --replace only when this machine made it with the same values")
            .into());
        }
        let report = reuse(plan, &target, existing, &tenant_id, printer).await?;
        printer.result(&report);
        return Ok(());
    }
    if plan.dry_run {
        printer.result(&preview(plan, &target, &tenant_id));
        return Ok(());
    }
    let report = apply(plan, &target, &tenant_id, printer).await?;
    if let Some(c) = &report.connection {
        let mut record = store.load(&tenant_id, &store_name(plan));
        record.app_id = Some(plan.app.client_id.clone());
        record.connection_id = Some(c.id.clone());
        record.integration_id = Some(c.integration_id.clone());
        record.team = Some(c.team.clone());
        record.resource = Some(plan.resource.clone());
        record.connection_values = Some(fingerprint(&c.id, plan, &tenant_id));
        if let Err(e) = store.save(&record) {
            printer.warn(&format!(
                "could not write the local record ({e:#}): running `connect` again with the same values will need --replace"
            ));
        }
    }
    printer.result(&report);
    Ok(())
}

/// `connect`'s local record: one per tenant and connection name.
fn store_name(plan: &ConnectPlan) -> String {
    format!("connect-{}", plan.platform.connection_name)
}

fn store(plan: &ConnectPlan, tenant_id: &str) -> Store {
    Store::new(&plan.state_dir, tenant_id, &store_name(plan))
}

/// The values a connection is given, as a fingerprint bound to its id:
/// the platform never returns them, so "the same values" is known only
/// from what this machine recorded when it made the connection.
fn fingerprint(connection_id: &str, plan: &ConnectPlan, tenant_id: &str) -> String {
    let mut hash = Sha256::new();
    for part in [
        connection_id,
        &plan.app.client_id,
        tenant_id,
        &plan.resource,
        plan.app.secret.expose_secret(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The existing connection is the one this machine made with these values
/// (the client id, tenant, Resource and secret; the secret has signed in
/// already).
fn same_values(
    record: &Record,
    existing: &Connection,
    plan: &ConnectPlan,
    tenant_id: &str,
) -> bool {
    record.connection_id.as_deref() == Some(existing.id.as_str())
        && record.connection_values.as_deref()
            == Some(fingerprint(&existing.id, plan, tenant_id).as_str())
}

/// The same values again: the connection is checked and kept.
async fn reuse(
    plan: &ConnectPlan,
    target: &PlatformTarget,
    existing: &Connection,
    tenant_id: &str,
    printer: &Printer,
) -> anyhow::Result<Report> {
    let mut report = base_report(plan, tenant_id);
    report.connection = Some(target.connection_info(existing, Action::Reused));
    if plan.dry_run {
        report.status = Status::DryRun;
        report.keep(
            Code::ConnectionKeep,
            format!(
                "the platform connection \"{}\" ({}), which holds these values",
                existing.name, existing.id
            ),
        );
        return Ok(report);
    }
    let visible = verify::connection_visible(printer, &target.client, &existing.id, None).await?;
    printer.step(
        "Platform connection",
        &format!("\"{}\" holds these values already; kept", existing.name),
    );
    report.notes.push(format!(
        "the platform connection {} holds these values already (this machine made it with them); it was kept",
        existing.id
    ));
    report.verification.secret_signs_in = Some(true);
    report.verification.connection_visible = Some(visible);
    next_steps(plan, &mut report);
    Ok(report)
}

/// The platform, read-only: the token works, the integration exists, its
/// fields map, and whether a connection of this name exists.
pub(crate) async fn preflight(
    http: &Http,
    plan: &ConnectPlan,
    printer: &Printer,
) -> anyhow::Result<PlatformTarget> {
    platform_preflight::check(
        http,
        printer,
        &plan.endpoints.platform,
        &plan.platform,
        None,
    )
    .await
}

/// The app's secret obtains a token from Entra (client credentials), which
/// proves the Client ID, the Tenant and the secret belong together. Returns
/// the tenant id (a GUID, even when a domain was given).
pub(crate) async fn check_secret(
    http: &Http,
    endpoints: &Endpoints,
    app: &AppCredentials,
    printer: &Printer,
) -> anyhow::Result<String> {
    let session = auth::sign_in(http, endpoints, printer, &app.sign_in()).await?;
    printer.step(
        "Checked the app",
        &format!(
            "its client secret signs in to Entra (client id {}, tenant {})",
            app.client_id, session.tenant_id
        ),
    );
    Ok(session.tenant_id)
}

/// What [`apply`] would do, as a dry-run report.
pub(crate) fn preview(plan: &ConnectPlan, target: &PlatformTarget, tenant_id: &str) -> Report {
    let mut report = base_report(plan, tenant_id);
    report.status = Status::DryRun;
    match &target.existing {
        Some(c) => {
            report.connection = Some(target.connection_info(c, Action::WouldReplace));
            report.change(
                Op::Change,
                Code::ConnectionReplace,
                format!(
                    "replace the platform connection \"{}\" ({}) with one holding these values, then delete the old one",
                    c.name, c.id
                ),
            );
        }
        None => report.change(
            Op::Create,
            Code::ConnectionCreate,
            format!(
                "create the platform connection \"{}\" on \"{}\" for team {} (Client ID {}, Client Secret, Resource {}, Tenant {tenant_id})",
                plan.platform.connection_name,
                target.integration.name,
                target.client.team(),
                plan.app.client_id,
                plan.resource
            ),
        ),
    }
    report
}

/// Creates the connection (replacing one of the same name: the new one
/// first, then the old one is deleted), and checks it is there.
pub(crate) async fn apply(
    plan: &ConnectPlan,
    target: &PlatformTarget,
    tenant_id: &str,
    printer: &Printer,
) -> anyhow::Result<Report> {
    Stop::process().begin_changes();
    let values = Values {
        client_id: &plan.app.client_id,
        client_secret: &plan.app.secret,
        resource: &plan.resource,
        tenant: tenant_id,
    };
    let connected =
        connect_platform::create(printer, target, &plan.platform.connection_name, &values).await?;
    let visible =
        verify::connection_visible(printer, &target.client, &connected.connection.id, None).await?;
    let mut report = base_report(plan, tenant_id);
    if let Some(old) = &connected.replaced {
        target.client.delete_connection(&old.id).await?;
        report.notes.push(format!(
            "the previous connection {} was replaced and deleted",
            old.id
        ));
    }
    report.connection = Some(
        target
            .connection_info(&connected.connection, connected.action)
            .replacing(connected.replaced.as_ref().map(|old| old.id.as_str())),
    );
    if let Some(old) = &connected.replaced {
        report.notes.push(super::narrate::replaced_note(
            &old.id,
            &connected.connection.name,
        ));
    }
    report.verification.secret_signs_in = Some(true);
    report.verification.connection_visible = Some(visible);
    report.status = Status::Done;
    next_steps(plan, &mut report);
    Ok(report)
}

fn next_steps(plan: &ConnectPlan, report: &mut Report) {
    report.next(
        Code::PlatformFinishConnection,
        super::narrate::platform_next_step(&plan.platform.connection_name),
    );
    report.next(
        Code::ConsentGrant,
        "If it is not done yet, grant admin consent for the app's permission (Azure portal: App registrations > the app > API permissions > Grant admin consent).",
    );
    report.next(
        Code::SecretRotate,
        "Note when the client secret expires (Azure portal: the app > Certificates & secrets) and replace it before then: a new secret, then `aad-setup connect --replace`.",
    );
}

fn base_report(plan: &ConnectPlan, tenant_id: &str) -> Report {
    let mut report = Report::new(tenant_id.to_owned());
    report.client_id = Some(plan.app.client_id.clone());
    report.resource = plan.resource.clone();
    report
}
