//! The sign-in, from the resolved values: `auth::choice` picks the method
//! and builds its request from plain values; this side hands them over,
//! and says where the pipeline identity's values came from (the wizard
//! shows it).

use secrecy::SecretString;

use super::endpoints::tenant;
use super::inputs::Inputs;
use super::resolver::Source;
use crate::auth::SignIn;
use crate::auth::choice::{self, Given, Method};
use crate::cli::{AuthChoice, Flag};
use crate::cloud::Endpoints;
use crate::env;
use crate::output::Interaction;

/// How to sign in to Microsoft, from `--auth` and what it needs. A secret
/// the wizard had typed (`typed_secret`) is used only when neither
/// `--client-secret-file` nor AZURE_CLIENT_SECRET gives one.
pub(crate) fn sign_in_method(
    args: &Inputs,
    interaction: &Interaction,
    endpoints: &Endpoints,
    typed_secret: Option<SecretString>,
) -> anyhow::Result<SignIn> {
    let tenant = tenant(args)?;
    given(args, interaction).sign_in(tenant, endpoints, typed_secret)
}

/// What `--auth auto` would pick (the wizard offers it as the default), or
/// `None` when nothing is configured and there is no terminal.
pub(crate) fn auto_method(args: &Inputs, interaction: &Interaction) -> Option<AuthChoice> {
    given(args, interaction).auto().map(auth_choice)
}

fn given<'a>(args: &'a Inputs, interaction: &Interaction) -> Given<'a> {
    Given {
        method: method(args.auth),
        client_id: args.client_id.as_deref(),
        client_secret_file: args.client_secret_file.as_deref(),
        graph_token_file: args.graph_token_file.as_deref(),
        admin_consent: args.admin_consent,
        interactive: interaction.interactive,
        env: &args.env,
    }
}

/// `--auth`'s method; `None` for `auto`.
fn method(choice: AuthChoice) -> Option<Method> {
    match choice {
        AuthChoice::Auto => None,
        AuthChoice::AzCli => Some(Method::AzCli),
        AuthChoice::DeviceCode => Some(Method::DeviceCode),
        AuthChoice::Browser => Some(Method::Browser),
        AuthChoice::ClientSecret => Some(Method::ClientSecret),
        AuthChoice::WorkloadIdentity => Some(Method::WorkloadIdentity),
        AuthChoice::Token => Some(Method::Token),
    }
}

fn auth_choice(method: Method) -> AuthChoice {
    match method {
        Method::AzCli => AuthChoice::AzCli,
        Method::DeviceCode => AuthChoice::DeviceCode,
        Method::Browser => AuthChoice::Browser,
        Method::ClientSecret => AuthChoice::ClientSecret,
        Method::WorkloadIdentity => AuthChoice::WorkloadIdentity,
        Method::Token => AuthChoice::Token,
    }
}

/// The client id of the pipeline's identity (`--client-id`, else
/// AZURE_CLIENT_ID) and where it came from.
pub(crate) fn pipeline_client_id(args: &Inputs) -> Option<(String, Source)> {
    match (&args.client_id, args.env.var(env::AZURE_CLIENT_ID)) {
        (Some(id), _) => Some((
            id.clone(),
            args.source(Flag::ClientId)
                .cloned()
                .unwrap_or(Source::Prompt),
        )),
        (None, Some(id)) => Some((id, Source::Variable(env::AZURE_CLIENT_ID))),
        (None, None) => None,
    }
}

/// Where the pipeline identity's client secret would come from, if anywhere.
pub(crate) fn client_secret_source(args: &Inputs) -> Option<Source> {
    match (
        &args.client_secret_file,
        args.env.var(env::AZURE_CLIENT_SECRET),
    ) {
        (Some(_), _) => args.source(Flag::ClientSecretFile).cloned(),
        (None, Some(_)) => Some(Source::Variable(env::AZURE_CLIENT_SECRET)),
        (None, None) => None,
    }
}

/// A federated token is available (a file, or GitHub Actions OIDC).
pub(crate) fn federated_available(args: &Inputs) -> bool {
    choice::federated_available(&args.env)
}

/// Whether `az` is on PATH (`--auth auto` and the wizard's choices).
pub(crate) fn az_available(inputs: &Inputs) -> bool {
    crate::auth::az_cli::available(inputs.env.os(env::PATH), inputs.env.os(env::PATHEXT))
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum as _;

    use super::*;

    #[test]
    fn each_method_is_named_as_auth_takes_it() {
        for choice in AuthChoice::value_variants() {
            let name = choice.to_possible_value().expect("named");
            match method(*choice) {
                Some(method) => {
                    assert_eq!(method.name(), name.get_name());
                    assert_eq!(auth_choice(method), *choice);
                }
                None => assert_eq!(name.get_name(), "auto"),
            }
        }
    }
}
