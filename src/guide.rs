//! The values the platform's setup guide gives (`setup-guide.txt`), and
//! the few fixed names the tool adds to them: every default and every name
//! the tool looks for, in one place, so that the flags' defaults, the
//! wizard, `demo` and the steps cannot drift apart. A leaf: imports nothing.

/// The app registration's name.
pub(crate) const APP_NAME: &str = "workflow-activedirectory-integration";
/// The app's Web redirect URI.
pub(crate) const REDIRECT_URI: &str = "https://security.pushbot.com/oauth";
/// Single tenant ("Accounts in this organizational directory only").
pub(crate) const SIGN_IN_AUDIENCE: &str = "AzureADMyOrg";
/// The API whose permission the app gets (the guide says "Dynamics"; the
/// permission lives on Microsoft Graph, docs/design.md).
pub(crate) const API: &str = "Microsoft Graph";
/// The delegated permission the app gets.
pub(crate) const PERMISSION: &str = "Directory.ReadWrite.All";
/// The client secret's description.
pub(crate) const SECRET_DESCRIPTION: &str = "pagerdutysecretkey";
/// The client secret's lifetime ("Never" is gone from the portal).
pub(crate) const SECRET_EXPIRY: &str = "24 months";
/// The platform's integration.
pub(crate) const INTEGRATION: &str = "Azure Active Directory";
/// The connection the tool makes on the platform.
pub(crate) const CONNECTION_NAME: &str = "Azure Active Directory (aad-setup)";

/// Microsoft Graph's appId; its resource URI is the cloud's Graph host.
pub(crate) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Dynamics CRM's appId (what the guide calls "Dynamics").
pub(crate) const DYNAMICS_APP_ID: &str = "00000007-0000-0000-c000-000000000000";
/// The tag that marks apps this tool created (docs/graph.md §2.1).
pub(crate) const APP_TAG: &str = "aad-setup";
