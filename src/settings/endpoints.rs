//! Where the services are (the cloud, the sign-in, Graph and platform
//! hosts) and which tenant, from the resolved values, checked.

use super::inputs::Inputs;
use crate::cli::{CloudChoice, Flag};
use crate::cloud::{Cloud, Endpoints};
use crate::env::{self, Environment};
use crate::error::usage;
use crate::validate;

/// Where the services are.
pub(crate) fn endpoints(args: &Inputs) -> anyhow::Result<Endpoints> {
    endpoints_of(
        args.cloud,
        args.login_url.as_deref(),
        args.graph_url.as_deref(),
        &args.platform_url,
        &args.env,
        &|flag| args.named(flag),
    )
}

/// The cloud a run is in: `--cloud` when given; else the one whose sign-in
/// host AZURE_AUTHORITY_HOST names (a pipeline in GCC High may set only that;
/// its Graph host and scope must follow — docs/sign-in.md §2); else the
/// public cloud. The US Government host is shared by GCC High and DoD: it
/// means GCC High unless `--cloud usgov-dod` says DoD.
/// A host that names no Microsoft cloud is refused (it would silently mean the
/// public cloud's Graph), unless it is local (the emulator) or `--cloud` says.
pub(super) fn resolve_cloud(
    explicit: Option<CloudChoice>,
    authority_host: Option<&str>,
) -> Result<Cloud, String> {
    if let Some(choice) = explicit {
        return Ok(match choice {
            CloudChoice::Public => Cloud::PUBLIC,
            CloudChoice::Usgov => Cloud::USGOV,
            CloudChoice::UsgovDod => Cloud::USGOV_DOD,
            CloudChoice::China => Cloud::CHINA,
        });
    }
    let Some(host) = authority_host
        .and_then(|h| validate::service_url(env::AZURE_AUTHORITY_HOST, h).ok())
        .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
    else {
        return Ok(Cloud::PUBLIC);
    };
    if let Some(cloud) = Cloud::signing_in_at(&host) {
        return Ok(cloud);
    }
    if matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
        return Ok(Cloud::PUBLIC);
    }
    Err(format!(
        "{} names {host}, which is not a Microsoft sign-in host aad-setup knows ({}): pass --cloud public|usgov|usgov-dod|china to say which cloud it signs in to",
        env::AZURE_AUTHORITY_HOST,
        crate::cloud::known_login_hosts()
    ))
}

pub(super) fn endpoints_of(
    cloud: Option<CloudChoice>,
    login_url: Option<&str>,
    graph_url: Option<&str>,
    platform_url: &str,
    environment: &Environment,
    named: &dyn Fn(Flag) -> String,
) -> anyhow::Result<Endpoints> {
    let authority_host = environment.var(env::AZURE_AUTHORITY_HOST);
    let cloud = resolve_cloud(cloud, authority_host.as_deref()).map_err(usage)?;
    // A bad value names where it came from: the flag, or its variable.
    let (login_raw, login_from) = match (login_url, authority_host) {
        (Some(v), _) => (v.to_owned(), named(Flag::LoginUrl)),
        (None, Some(v)) => (v, env::AZURE_AUTHORITY_HOST.to_owned()),
        (None, None) => (cloud.login.to_owned(), Flag::Cloud.to_string()),
    };
    let login = validate::service_url(&login_from, &login_raw).map_err(usage)?;
    let graph = match graph_url {
        Some(url) => validate::service_url(&named(Flag::GraphUrl), url),
        None => validate::service_url(&Flag::Cloud.to_string(), cloud.graph),
    }
    .map_err(usage)?;
    let platform = validate::service_url(&named(Flag::PlatformUrl), platform_url).map_err(usage)?;
    Ok(Endpoints {
        cloud,
        login,
        graph,
        platform,
    })
}

/// The tenant from `--tenant`, its variable, or AZURE_TENANT_ID, checked.
pub(crate) fn tenant(args: &Inputs) -> anyhow::Result<Option<String>> {
    let Some(raw) = &args.tenant else {
        return Ok(None);
    };
    let from = args
        .source(Flag::Tenant)
        .map_or_else(|| Flag::Tenant.to_string(), ToString::to_string);
    validate::tenant(raw)
        .map(Some)
        .map_err(|e| usage(format!("{from}: {e}")))
}
