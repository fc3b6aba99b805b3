//! `aad-setup connect`: the platform half of the guide only, for an app
//! registered elsewhere (in the Azure portal, or by another tool). It
//! checks the platform and that the app's secret signs in to Entra, then
//! creates the connection and verifies it. The wizard's "I'll do the Azure
//! steps in the portal" path ends with the same functions.
//!
//! Nothing here writes to Azure: the app and its secret are the admin's.

use crate::auth;
use crate::cli::ConnectArgs;
use crate::cloud::Endpoints;
use crate::error::{Failure, Kind};
use crate::http::Http;
use crate::output::Printer;
use crate::report::{Action, ConnectionInfo, Report, Status};
use crate::settings::{self, AppCredentials, ConnectPlan, Supplied};
use crate::steps::connect_platform::{self, Values};
use crate::steps::platform_preflight::{self, PlatformTarget};
use crate::steps::verify;
use crate::stop::Stop;

pub(crate) async fn run(args: &ConnectArgs, printer: &Printer) -> anyhow::Result<()> {
    let plan = settings::connect_plan(args, Supplied::default())?;
    let http = Http::new()?;
    let target = preflight(&http, &plan, printer).await?;
    let tenant_id = check_secret(&http, &plan.endpoints, &plan.app, printer).await?;
    if let Some(existing) = target.existing.as_ref().filter(|_| !plan.replace) {
        return Err(Failure::new(
            Kind::Usage,
            format!(
                "the platform has a connection named \"{}\" already ({}); nothing was changed",
                existing.name, existing.id
            ),
        )
        .with_hint("pass --replace to replace it (the new one is created and checked before the old one is deleted), or choose another --connection-name")
        .into());
    }
    if plan.dry_run {
        printer.result(&preview(&plan, &target, &tenant_id));
        return Ok(());
    }
    let report = apply(&plan, &target, &tenant_id, printer).await?;
    printer.result(&report);
    Ok(())
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
    report.changes.push(match &target.existing {
        Some(c) => format!(
            "replace the platform connection \"{}\" ({}) with one holding these values, then delete the old one",
            c.name, c.id
        ),
        None => format!(
            "create the platform connection \"{}\" on \"{}\" for team {} (Client ID {}, Client Secret, Resource {}, Tenant {tenant_id})",
            plan.platform.connection_name,
            target.integration.name,
            target.client.team(),
            plan.app.client_id,
            plan.resource
        ),
    });
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
        verify::connection_visible(printer, &target.client, &connected.connection.id).await?;
    let mut report = base_report(plan, tenant_id);
    if let Some(old) = &connected.replaced {
        target.client.delete_connection(&old.id).await?;
        report.notes.push(format!(
            "the previous connection {} was replaced and deleted",
            old.id
        ));
    }
    report.connection = Some(ConnectionInfo {
        id: connected.connection.id.clone(),
        name: connected.connection.name.clone(),
        integration_id: target.integration.id.clone(),
        integration_name: target.integration.name.clone(),
        team: target.client.team().to_owned(),
        action: if connected.replaced.is_some() {
            Action::Updated
        } else {
            Action::Created
        },
        previous_id: connected.replaced.as_ref().map(|old| old.id.clone()),
    });
    if let Some(old) = &connected.replaced {
        report.notes.push(super::setup::replaced_note(
            &old.id,
            &connected.connection.name,
        ));
    }
    report.verification.secret_signs_in = Some(true);
    report.verification.connection_visible = Some(visible);
    report.status = Status::Done;
    report.next_steps = vec![
        super::setup::platform_next_step(&connected.connection.name),
        "If it is not done yet, grant admin consent for the app's permission (Azure portal: App registrations > the app > API permissions > Grant admin consent).".into(),
        "Note when the client secret expires (Azure portal: the app > Certificates & secrets) and replace it before then: a new secret, then `aad-setup connect --replace`.".into(),
    ];
    Ok(report)
}

fn base_report(plan: &ConnectPlan, tenant_id: &str) -> Report {
    let mut report = Report::new(tenant_id.to_owned());
    report.client_id = Some(plan.app.client_id.clone());
    report.resource = plan.resource.clone();
    report
}
