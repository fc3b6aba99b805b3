//! Emulated Entra ID sign-in (`/login`): the v2.0 token endpoint, the OpenID
//! configuration documents and the signing-keys document.
//!
//! Tokens are issued only for Microsoft Graph, only to apps of the emulated tenant that
//! have a (replicated) service principal, and only with a secret Graph issued (or a
//! matching federated assertion, or an approved device code). Errors have Entra's exact
//! body shape (docs/sign-in.md §11).

use serde_json::{Value, json};

use super::TokenKind;
use super::jwt;
use super::seed::GRAPH_APP_ID;
use super::state::{State, TokenInfo};
use super::util::{Reply, Req, aad_timestamp, new_guid, segments};

/// Azure CLI's public client id (docs/sign-in.md §10): the client of minted delegated tokens.
pub(crate) const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/// Microsoft Graph Command Line Tools' public client id (docs/sign-in.md §10): also
/// first-party, so present in every tenant.
pub(crate) const GRAPH_CLI_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
const GRANT_REFRESH_TOKEN: &str = "refresh_token";
const ASSERTION_TYPE_JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Entra's error body: `error`, `error_description` starting `AADSTSnnnnn: ` and ending
/// with trace id, correlation id and timestamp, `error_codes`, `timestamp`, `trace_id`,
/// `correlation_id`, `error_uri` (docs/sign-in.md §11).
pub(crate) fn aad_error(status: u16, error: &str, code: u32, description: &str) -> Reply {
    let trace_id = new_guid();
    let correlation_id = new_guid();
    let timestamp = aad_timestamp();
    Reply::json(
        status,
        &json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {description}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

fn invalid_tenant(segment: &str) -> Reply {
    // docs/sign-in.md §3: unknown tenant → 400 invalid_tenant AADSTS90002.
    aad_error(
        400,
        "invalid_tenant",
        90002,
        &format!(
            "Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
}

fn missing_parameter(name: &str) -> Reply {
    aad_error(
        400,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

fn malformed() -> Reply {
    aad_error(
        400,
        "invalid_request",
        9002313,
        "Invalid request. Request is malformed or invalid.",
    )
}

pub(crate) fn handle(st: &mut State, req: &Req) -> Reply {
    let segs = segments(req.path.strip_prefix("/login").unwrap_or(""));
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let Some((&tenant, rest)) = segs.split_first() else {
        return Reply::json(404, &json!({"error": "not found"}));
    };
    let endpoint = match rest {
        ["oauth2", "v2.0", "token"] => Endpoint::Token,
        ["oauth2", "v2.0", "devicecode"] => Endpoint::DeviceCode,
        ["oauth2", "v2.0", "authorize"] => Endpoint::Authorize,
        ["v2.0", ".well-known", "openid-configuration"] => Endpoint::OpenIdV2,
        [".well-known", "openid-configuration"] => Endpoint::OpenIdV1,
        ["discovery", "v2.0", "keys"] => Endpoint::Keys,
        _ => return Reply::json(404, &json!({"error": "not found"})),
    };
    let segment = if st.tenant_matches(tenant) {
        Segment::Tenant
    } else if tenant.eq_ignore_ascii_case("organizations") {
        Segment::Organizations
    } else if tenant.eq_ignore_ascii_case("common") {
        Segment::Common
    } else {
        return invalid_tenant(tenant);
    };
    let post_only = matches!(endpoint, Endpoint::Token | Endpoint::DeviceCode);
    if post_only && req.method != "POST" {
        return aad_error(
            400,
            "invalid_request",
            900561,
            &format!(
                "The endpoint only accepts POST, OPTIONS requests. Received a {} request.",
                req.method
            ),
        );
    }
    if !post_only && req.method != "GET" {
        return Reply::empty(405);
    }
    match endpoint {
        Endpoint::Token => token(st, req, segment),
        Endpoint::DeviceCode => device_code(st, req, segment),
        Endpoint::Authorize => authorize(st, req, segment),
        Endpoint::OpenIdV2 => openid(st, true, segment),
        Endpoint::OpenIdV1 => openid(st, false, segment),
        Endpoint::Keys => Reply::json(
            200,
            &json!({"keys": [{
                "kty": "RSA", "use": "sig", "kid": "emulator-key", "x5t": "emulator-key",
                "n": super::util::b64url(&super::util::random_bytes(256)), "e": "AQAB",
                "issuer": format!("{}/{}/v2.0", st.login_url(), st.tenant.id),
            }]}),
        ),
    }
}

/// The `{tenant}` path segment (docs/sign-in.md §2): the tenant (id or verified
/// domain), or `organizations` / `common`, valid for the device code and authorization
/// code flows, where the tenant comes from the user who signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    Tenant,
    Organizations,
    Common,
}

impl Segment {
    fn name(self) -> &'static str {
        match self {
            Self::Tenant => "tenant",
            Self::Organizations => "organizations",
            Self::Common => "common",
        }
    }
}

/// A tenant app (not a first-party one) that is single-tenant cannot use
/// `/organizations` or `/common` (AADSTS50194; docs/sign-in.md §2, §11).
fn check_multi_tenant_segment(st: &State, client_id: &str, segment: Segment) -> Result<(), Reply> {
    if segment == Segment::Tenant || is_first_party(client_id) {
        return Ok(());
    }
    let Some(ai) = st.app_index_by_app_id(client_id) else {
        return Ok(());
    };
    let app = &st.apps[ai];
    if app.sign_in_audience == "AzureADMyOrg" {
        return Err(aad_error(
            400,
            "invalid_request",
            50194,
            &format!(
                "Application '{}'({}) is not configured as a multi-tenant application. Usage of the /{} endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.",
                app.app_id,
                app.display_name,
                segment.name()
            ),
        ));
    }
    Ok(())
}

fn is_first_party(client_id: &str) -> bool {
    [AZURE_CLI_CLIENT_ID, GRAPH_CLI_CLIENT_ID]
        .iter()
        .any(|id| client_id.eq_ignore_ascii_case(id))
}

enum Endpoint {
    Token,
    DeviceCode,
    Authorize,
    OpenIdV2,
    OpenIdV1,
    Keys,
}

/// The discovery document (docs/sign-in.md §3), pointing at the emulator.
fn openid(st: &State, v2: bool, segment: Segment) -> Reply {
    let login = st.login_url();
    // `/organizations` and `/common` publish the placeholder `{tenantid}` in the issuer
    // and their own segment in the endpoints.
    let tid = match segment {
        Segment::Tenant => st.tenant.id.clone(),
        other => other.name().to_owned(),
    };
    let tid = &tid;
    let issuer_tid = if segment == Segment::Tenant {
        tid.as_str()
    } else {
        "{tenantid}"
    };
    let (issuer, base) = if v2 {
        (
            format!("{login}/{issuer_tid}/v2.0"),
            format!("{login}/{tid}/oauth2/v2.0"),
        )
    } else {
        (
            format!("https://sts.windows.net/{issuer_tid}/"),
            format!("{login}/{tid}/oauth2"),
        )
    };
    Reply::json(
        200,
        &json!({
            "token_endpoint": format!("{base}/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": format!("{login}/{tid}/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": issuer,
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": format!("{}/oidc/userinfo", st.graph_resource()),
            "authorization_endpoint": format!("{base}/authorize"),
            "device_authorization_endpoint": format!("{base}/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": format!("{base}/logout"),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "kerberos_endpoint": format!("{login}/{tid}/kerberos"),
            "tenant_region_scope": "NA",
            // The cloud-identifying hosts are the emulated cloud's (docs/sign-in.md §2, §3).
            "cloud_instance_name": st.config.cloud.instance_name(),
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": st.graph_resource().trim_start_matches("https://"),
            "rbac_url": "https://pas.windows.net",
        }),
    )
}

/// Parsed `application/x-www-form-urlencoded` body. Any other content type reads as an
/// empty form (Entra then reports the missing `grant_type`).
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(req: &Req) -> Self {
        if req.media_type().as_deref() != Some("application/x-www-form-urlencoded") {
            return Self(Vec::new());
        }
        Self(
            url::form_urlencoded::parse(&req.body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// A non-empty value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn has_duplicates(&self) -> bool {
        let mut keys: Vec<&str> = self.0.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.windows(2).any(|w| w[0] == w[1])
    }
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_credentials(req: &Req) -> Option<Option<(String, String)>> {
    let value = req.header("authorization")?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    Some(decoded.and_then(|text| {
        let (id, secret) = text.split_once(':')?;
        let dec = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        Some((dec(id)?, dec(secret)?))
    }))
}

fn token(st: &mut State, req: &Req, segment: Segment) -> Reply {
    let form = Form::parse(req);
    if form.has_duplicates() {
        return malformed();
    }
    let Some(grant_type) = form.get("grant_type") else {
        return missing_parameter("grant_type");
    };
    if grant_type == GRANT_CLIENT_CREDENTIALS && segment != Segment::Tenant {
        // Client credentials need an explicit tenant (docs/sign-in.md §6). Entra's
        // answer on `/organizations` is [unk]: refused with the `/common` code.
        let text = if segment == Segment::Common {
            "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint."
        } else {
            "The client credentials grant needs a tenant-specific endpoint: use the tenant id or a verified domain instead of /organizations."
        };
        return aad_error(400, "invalid_request", 9001023, text);
    }
    if let Some(client_id) = form.get("client_id") {
        if let Err(reply) = check_multi_tenant_segment(st, client_id, segment) {
            return reply;
        }
    }
    match grant_type {
        GRANT_CLIENT_CREDENTIALS => client_credentials(st, req, &form),
        GRANT_DEVICE_CODE => device_code_poll(st, &form),
        "authorization_code" => redeem_code(st, &form),
        GRANT_REFRESH_TOKEN => refresh(st, &form),
        other => aad_error(
            400,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

/// Checks a client-credentials `scope`: one value, `<Graph>/.default`
/// (docs/sign-in.md §1, §6).
fn check_default_scope(st: &State, scope: &str) -> Result<(), Reply> {
    let items: Vec<&str> = scope.split_whitespace().collect();
    for item in &items {
        if !item.ends_with("/.default") {
            return Err(aad_error(
                400,
                "invalid_scope",
                1002012,
                &format!(
                    "The provided value for scope {item} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            ));
        }
    }
    if items.len() != 1 {
        return Err(aad_error(
            400,
            "invalid_scope",
            70011,
            &format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        ));
    }
    let resource = items[0].trim_end_matches("/.default");
    if !is_graph_resource(st, resource) {
        return Err(resource_not_found(st, resource));
    }
    Ok(())
}

/// The identifiers of Microsoft Graph a scope may name: its appId, or its resource URI
/// in the emulated cloud (another cloud's Graph is not a resource of this tenant). The
/// emulator issues tokens for Graph only.
fn is_graph_resource(st: &State, resource: &str) -> bool {
    let r = resource.trim_end_matches('/');
    r == st.graph_resource() || r.eq_ignore_ascii_case(GRAPH_APP_ID)
}

fn resource_not_found(st: &State, resource: &str) -> Reply {
    aad_error(
        400,
        "invalid_resource",
        500011,
        &format!(
            "The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
            st.tenant.display_name
        ),
    )
}

fn app_not_found(st: &State, client_id: &str) -> Reply {
    aad_error(
        400,
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
            st.tenant.display_name
        ),
    )
}

fn invalid_secret(client_id: &str) -> Reply {
    aad_error(
        401,
        "invalid_client",
        7000215,
        &format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
        ),
    )
}

fn client_credentials(st: &mut State, req: &Req, form: &Form) -> Reply {
    let basic = basic_credentials(req);
    let (client_id, secret) = match basic {
        Some(None) => return malformed(),
        Some(Some((id, secret))) => {
            if form.get("client_secret").is_some()
                || form
                    .get("client_id")
                    .is_some_and(|f| !f.eq_ignore_ascii_case(&id))
            {
                // Two credentials, or two client ids: ambiguous, rejected.
                return malformed();
            }
            (id, Some(secret))
        }
        None => {
            let Some(id) = form.get("client_id") else {
                return missing_parameter("client_id");
            };
            (id.to_owned(), form.get("client_secret").map(str::to_owned))
        }
    };
    let Some(scope) = form.get("scope") else {
        return missing_parameter("scope");
    };
    if let Err(r) = check_default_scope(st, scope) {
        return r;
    }
    let assertion = form.get("client_assertion");
    if secret.is_some() && assertion.is_some() {
        return malformed();
    }

    // The app must exist and be replicated (AADSTS700016; docs/sign-in.md §6).
    let Some(ai) = st.app_index_by_app_id(&client_id) else {
        return app_not_found(st, &client_id);
    };
    if !st.app_visible(ai) {
        return app_not_found(st, &client_id);
    }

    if let Some(assertion) = assertion {
        if form.get("client_assertion_type") != Some(ASSERTION_TYPE_JWT_BEARER) {
            return aad_error(
                400,
                "invalid_request",
                50027,
                "Invalid JWT token. The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            );
        }
        if let Err(r) = check_assertion(st, ai, assertion) {
            return r;
        }
    } else {
        let Some(secret) = secret else {
            return aad_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        };
        if let Err(r) = check_secret(st, ai, &secret) {
            return r;
        }
    }

    // Without a service principal the app cannot sign in to this tenant
    // (AADSTS7000229; docs/graph.md §2.7).
    let sp = st.sp_index_by_app_id(&client_id);
    let Some(si) = sp.filter(|&si| st.sp_visible(si)) else {
        return aad_error(
            401,
            "invalid_client",
            7000229,
            &format!(
                "The client application {client_id} is missing service principal in the tenant {}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119",
                st.tenant.id
            ),
        );
    };
    let info = TokenInfo {
        oid: st.sps[si].id.clone(),
        app_id: st.apps[ai].app_id.clone(),
        delegated: false,
        roles: st.sps[si].graph_roles.clone(),
        scp: Vec::new(),
        exp: 0,
        owner_only: false,
    };
    let name = st.apps[ai].display_name.clone();
    let (token, _) = issue(st, info, &name, None);
    Reply::json(
        200,
        &json!({
            "token_type": "Bearer",
            "expires_in": st.config.access_token_lifetime_secs,
            "ext_expires_in": st.config.access_token_lifetime_secs,
            "access_token": token,
        }),
    )
}

/// The secret must be one of the app's replicated, current password credentials
/// (docs/sign-in.md §6, §13).
fn check_secret(st: &mut State, ai: usize, secret: &str) -> Result<(), Reply> {
    let cfg = st.repl_cfg();
    let now = super::util::now();
    let app = &mut st.apps[ai];
    let Some(cred) = app
        .password_credentials
        .iter_mut()
        .find(|c| c.secret == secret)
    else {
        return Err(invalid_secret(&app.app_id));
    };
    if !cred.repl.visible(&cfg, &mut st.counters.replication_misses) {
        // A just-added secret is unknown to the replica that serves the sign-in.
        return Err(invalid_secret(&app.app_id));
    }
    if cred.end <= now {
        return Err(aad_error(
            401,
            "invalid_client",
            7000222,
            &format!(
                "The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
                app.app_id
            ),
        ));
    }
    if cred.start > now {
        // Not yet valid: [unk] how Entra words it; rejected as an invalid secret.
        return Err(invalid_secret(&app.app_id));
    }
    Ok(())
}

/// A `client_assertion` must match the configured federated credential of the admin
/// app exactly: issuer, subject, an audience, and not expired (docs/sign-in.md §7).
fn check_assertion(st: &State, ai: usize, assertion: &str) -> Result<(), Reply> {
    let app_id = &st.apps[ai].app_id;
    let fed = st
        .config
        .sign_in
        .federated_credential
        .as_ref()
        .filter(|_| app_id.eq_ignore_ascii_case(&st.admin_app_id));
    let Some(claims) = jwt::claims(assertion) else {
        return Err(aad_error(
            400,
            "invalid_client",
            50027,
            "JWT token is invalid or malformed.",
        ));
    };
    let str_claim = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or_default();
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if exp <= super::util::unix_now() {
        return Err(aad_error(
            400,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    let matches = fed.is_some_and(|f| {
        str_claim("iss") == f.issuer
            && str_claim("sub") == f.subject
            && audiences.contains(&f.audience.as_str())
    });
    if !matches {
        return Err(aad_error(
            400,
            "invalid_client",
            700213,
            &format!(
                "No matching federated identity record found for presented assertion subject '{}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
                str_claim("sub")
            ),
        ));
    }
    Ok(())
}

/// Records and returns a new access token (and, for delegated tokens with
/// `offline_access`, a refresh token).
fn issue(
    st: &mut State,
    mut info: TokenInfo,
    app_display_name: &str,
    refresh_for: Option<(&str, usize)>,
) -> (String, Option<String>) {
    let upn = info.delegated.then(|| {
        st.users
            .iter()
            .find(|u| u.id == info.oid)
            .unwrap_or_else(|| st.admin_user())
            .user_principal_name
            .clone()
    });
    let (token, exp) = jwt::graph_access_token(&jwt::AccessClaims {
        audience: st.graph_resource(),
        tenant_id: &st.tenant.id,
        oid: &info.oid,
        app_id: &info.app_id,
        app_display_name,
        delegated: info.delegated,
        roles: &info.roles,
        scp: &info.scp,
        upn: upn.as_deref(),
        lifetime_secs: st.config.access_token_lifetime_secs,
    });
    info.exp = exp;
    let refresh = refresh_for.map(|(client_id, user)| {
        let rt = format!("1.A{}", super::util::random_from(super::util::ALNUM, 120));
        st.refresh_tokens.insert(
            rt.clone(),
            super::state::RefreshInfo {
                client_id: client_id.to_owned(),
                scp: info.scp.clone(),
                user,
            },
        );
        st.issued_secrets.push(rt.clone());
        rt
    });
    st.tokens.insert(token.clone(), info);
    st.issued_secrets.push(token.clone());
    (token, refresh)
}

/// `Emulator::mint_graph_token` and `POST /_emulator/tokens`.
pub(crate) fn mint(st: &mut State, kind: &TokenKind) -> String {
    let delegated = |user: &super::state::User, scp: &[String]| {
        (
            TokenInfo {
                oid: user.id.clone(),
                app_id: AZURE_CLI_CLIENT_ID.to_owned(),
                delegated: true,
                roles: Vec::new(),
                scp: scp.to_vec(),
                exp: 0,
                owner_only: user.owner_only,
            },
            "Microsoft Azure CLI".to_owned(),
        )
    };
    let (info, name) = match kind {
        TokenKind::Delegated(scp) => delegated(st.admin_user(), scp),
        TokenKind::DelegatedAs(user, scp) => {
            let i = st.user_index(user).unwrap_or(0);
            delegated(&st.users[i], scp)
        }
        TokenKind::App(roles) => {
            let app_id = st.admin_app_id.clone();
            let oid = st
                .sp_index_by_app_id(&app_id)
                .map(|i| st.sps[i].id.clone())
                .unwrap_or_default();
            (
                TokenInfo {
                    oid,
                    app_id,
                    delegated: false,
                    roles: roles.clone(),
                    scp: Vec::new(),
                    exp: 0,
                    owner_only: false,
                },
                "aad-setup-emulator-admin".to_owned(),
            )
        }
    };
    issue(st, info, &name, None).0
}

// --- Device code flow (docs/sign-in.md §4) -------------------------------------------

/// Splits a delegated `scope` parameter into Graph scope values, the OIDC scopes, and
/// the first resource that is not Graph (a scope string must not mix resources).
struct DelegatedScopes {
    graph: Vec<String>,
    offline_access: bool,
    foreign: Option<String>,
}

fn delegated_scopes(st: &State, scope: &str) -> DelegatedScopes {
    let mut out = DelegatedScopes {
        graph: Vec::new(),
        offline_access: false,
        foreign: None,
    };
    for item in scope.split_whitespace() {
        match item {
            "openid" | "profile" | "email" => {}
            "offline_access" => out.offline_access = true,
            _ => {
                let (resource, value) = match item.rsplit_once('/') {
                    Some((r, v)) => (r, v),
                    // A bare value means Microsoft Graph (v2 endpoint convention).
                    None => (st.graph_resource(), item),
                };
                if is_graph_resource(st, resource) && !value.is_empty() {
                    out.graph.push(value.to_owned());
                } else if out.foreign.is_none() {
                    out.foreign = Some(resource.to_owned());
                }
            }
        }
    }
    out
}

fn device_code(st: &mut State, req: &Req, segment: Segment) -> Reply {
    let form = Form::parse(req);
    if form.has_duplicates() {
        return malformed();
    }
    let Some(client_id) = form.get("client_id") else {
        return missing_parameter("client_id");
    };
    let Some(scope) = form.get("scope") else {
        return missing_parameter("scope");
    };
    // The public client must be known: a first-party id (Azure CLI, Microsoft Graph
    // Command Line Tools), or an app of the tenant. A tenant app that is not a public
    // client (`isFallbackPublicClient`) gets AADSTS7000218 (docs/sign-in.md §4).
    if let Err(reply) = check_public_client(st, client_id) {
        return reply;
    }
    if let Err(reply) = check_multi_tenant_segment(st, client_id, segment) {
        return reply;
    }
    let scopes = delegated_scopes(st, scope);
    if let Some(foreign) = scopes.foreign {
        return resource_not_found(st, &foreign);
    }
    let graph_sp = st.sp_index_by_app_id(GRAPH_APP_ID);
    if let Some(bad) = scopes.graph.iter().find(|v| {
        *v != ".default"
            && !graph_sp.is_some_and(|i| st.sps[i].scopes.iter().any(|s| &s.value == *v))
    }) {
        return aad_error(
            400,
            "invalid_scope",
            70011,
            &format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {}/{bad} does not exist.",
                st.graph_resource()
            ),
        );
    }
    let cfg = &st.config.sign_in;
    let user_code = super::util::random_from(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 9);
    let device_code = format!(
        "DAQABIQEAAAB{}",
        super::util::random_from(super::util::ALNUM, 140)
    );
    let expires_in = cfg.device_code_expires_in_secs;
    let interval = cfg.device_code_interval_secs;
    st.device_codes.push(super::state::DeviceCode {
        device_code: device_code.clone(),
        user_code: user_code.clone(),
        client_id: client_id.to_owned(),
        scopes: if scopes.graph.iter().any(|s| s == ".default") {
            // `.default` on Azure CLI's client: the scopes pre-authorised for it.
            vec![
                "Application.ReadWrite.All".to_owned(),
                "DelegatedPermissionGrant.ReadWrite.All".to_owned(),
                "Directory.AccessAsUser.All".to_owned(),
                "User.Read".to_owned(),
            ]
        } else {
            scopes.graph
        },
        offline_access: scopes.offline_access,
        expires_at: std::time::Instant::now() + std::time::Duration::from_secs(expires_in),
        interval: std::time::Duration::from_secs(interval),
        last_poll: None,
        polls: 0,
        status: super::state::DeviceStatus::Pending,
    });
    // Entra answers `https://microsoft.com/devicelogin` (docs/sign-in.md §4); the
    // emulator's users sign in on its own local page instead, which a client shows the
    // same way.
    let verification_uri = st.credentials.device_approval_url.clone();
    Reply::json(
        200,
        &json!({
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": verification_uri,
            "expires_in": expires_in,
            "interval": interval,
            "message": format!(
                "To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."
            ),
        }),
    )
}

fn device_code_poll(st: &mut State, form: &Form) -> Reply {
    use super::state::DeviceStatus;
    let Some(client_id) = form.get("client_id") else {
        return missing_parameter("client_id");
    };
    let Some(code) = form.get("device_code") else {
        return missing_parameter("device_code");
    };
    let auto = st.config.sign_in.device_auto_approve_after_polls;
    let auto_user = st.user_index(&st.config.sign_in.user).unwrap_or(0);
    let users = st.users.clone();
    let slow_down = st.config.sign_in.device_code_slow_down;
    let forced_slow_downs = st.config.sign_in.device_code_slow_down_polls;
    let Some(dc) = st
        .device_codes
        .iter_mut()
        .find(|d| d.device_code == code && d.client_id.eq_ignore_ascii_case(client_id))
    else {
        return aad_error(
            400,
            "bad_verification_code",
            70018,
            "Invalid verification code entered.",
        );
    };
    let now = std::time::Instant::now();
    if now >= dc.expires_at {
        return aad_error(400, "expired_token", 70019, "Verification code expired.");
    }
    let too_fast = dc
        .last_poll
        .is_some_and(|last| now.duration_since(last) < dc.interval);
    let forced = dc.polls < forced_slow_downs;
    dc.last_poll = Some(now);
    dc.polls += 1;
    if (forced || (slow_down && too_fast)) && dc.status == DeviceStatus::Pending {
        // RFC 8628 §3.5; whether Entra sends it is [unk] (docs/sign-in.md §13). The
        // interval grows by 5 s "for this and all subsequent requests".
        dc.interval += std::time::Duration::from_secs(5);
        return Reply::json(
            400,
            &json!({
                "error": "slow_down",
                "error_description": "Polling too frequently. Increase the interval between token requests by 5 seconds.",
            }),
        );
    }
    if dc.status == DeviceStatus::Pending && auto.is_some_and(|n| dc.polls > n) {
        dc.status = approval(&users[auto_user], auto_user, dc.scopes.clone());
    }
    match dc.status.clone() {
        DeviceStatus::Pending => aad_error(
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        ),
        // The AADSTS number of a declined device code is [unk]; clients branch on `error`.
        DeviceStatus::Declined => aad_error(
            400,
            "authorization_declined",
            70020,
            "The end user denied the authorization request.",
        ),
        DeviceStatus::Redeemed => aad_error(
            400,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        ),
        DeviceStatus::ConsentMissing(scope) => {
            let client = dc.client_id.clone();
            consent_missing(&client, &scope)
        }
        DeviceStatus::Approved(user, scp) => {
            let offline = dc.offline_access;
            let client = dc.client_id.clone();
            dc.status = DeviceStatus::Redeemed;
            delegated_token_reply(st, &client, user, scp, offline)
        }
    }
}

/// What the user's approval of these scopes gives: the token, or AADSTS65001 for a
/// scope the user can neither find consented nor consent to.
fn approval(
    user: &super::state::User,
    index: usize,
    scopes: Vec<String>,
) -> super::state::DeviceStatus {
    match user.missing_consent(&scopes) {
        Some(missing) => super::state::DeviceStatus::ConsentMissing(missing.clone()),
        None => super::state::DeviceStatus::Approved(index, scopes),
    }
}

/// AADSTS65001: the user may not consent to a scope the client asked for
/// (docs/sign-in.md §11).
fn consent_missing(client_id: &str, scope: &str) -> Reply {
    aad_error(
        400,
        "invalid_grant",
        65001,
        &format!(
            "The user or administrator has not consented to use the application with ID '{client_id}'. Send an interactive authorization request for this user and resource. (Missing consent: {scope}; an administrator must consent.)"
        ),
    )
}

fn delegated_token_reply(
    st: &mut State,
    client_id: &str,
    user: usize,
    scp: Vec<String>,
    offline: bool,
) -> Reply {
    let info = TokenInfo {
        oid: st.users[user].id.clone(),
        app_id: client_id.to_owned(),
        delegated: true,
        roles: Vec::new(),
        scp: scp.clone(),
        exp: 0,
        owner_only: st.users[user].owner_only,
    };
    let (token, refresh) = issue(
        st,
        info,
        "public client",
        offline.then_some((client_id, user)),
    );
    let scope = scp
        .iter()
        .map(|s| format!("{}/{s}", st.graph_resource()))
        .chain(std::iter::once("openid profile".to_owned()))
        .chain(offline.then(|| "offline_access".to_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scope,
        "expires_in": st.config.access_token_lifetime_secs,
        "ext_expires_in": st.config.access_token_lifetime_secs,
        "access_token": token,
    });
    if let (Some(rt), Value::Object(map)) = (refresh, &mut body) {
        map.insert("refresh_token".to_owned(), json!(rt));
    }
    Reply::json(200, &body)
}

fn refresh(st: &mut State, form: &Form) -> Reply {
    let Some(client_id) = form.get("client_id") else {
        return missing_parameter("client_id");
    };
    let Some(rt) = form.get("refresh_token") else {
        return missing_parameter("refresh_token");
    };
    let Some(info) = st.refresh_tokens.get(rt).cloned() else {
        return aad_error(
            400,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        );
    };
    if !info.client_id.eq_ignore_ascii_case(client_id) {
        return aad_error(
            400,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed.",
        );
    }
    // Refresh tokens rotate: the old one is spent.
    st.refresh_tokens.remove(rt);
    delegated_token_reply(st, &info.client_id, info.user, info.scp, true)
}

// --- Authorization code with PKCE (docs/sign-in.md §5) -----------------------------

/// A public client may sign in users: a first-party one, or a tenant app that allows
/// public client flows (device code and browser alike).
fn check_public_client(st: &mut State, client_id: &str) -> Result<(), Reply> {
    if is_first_party(client_id) {
        return Ok(());
    }
    let app = st.app_index_by_app_id(client_id);
    let Some(ai) = app.filter(|&ai| st.app_visible(ai)) else {
        return Err(app_not_found(st, client_id));
    };
    if st.apps[ai].is_fallback_public_client != Some(true) {
        return Err(aad_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    }
    Ok(())
}

/// Whether a requested redirect URI matches a registered one: exactly, or, for
/// `localhost`, with any port (reply-url.md, "Localhost exceptions"). Whether the port is
/// ignored for `127.0.0.1` too is not clearly documented, so it is not here.
fn redirect_matches(registered: &str, requested: &str) -> bool {
    let (Ok(r), Ok(q)) = (url::Url::parse(registered), url::Url::parse(requested)) else {
        return false;
    };
    if r.host_str() == Some("localhost") && q.host_str() == Some("localhost") {
        return r.scheme() == q.scheme()
            && r.path() == q.path()
            && q.query().is_none()
            && q.fragment().is_none();
    }
    r == q
}

/// `GET /authorize`: the sign-in page. The emulated admin answers at once, as the
/// configuration says, and the browser is sent back to `redirect_uri`. Errors about the
/// client or the redirect URI are shown on the page (no redirect: the URI is not
/// trusted); the others go back on the redirect, with the `state`.
fn authorize(st: &mut State, req: &Req, segment: Segment) -> Reply {
    let q = |k: &str| {
        req.query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let page = |code: u32, text: &str| {
        Reply::json(
            400,
            &json!({"error": "invalid_request", "error_description": format!("AADSTS{code}: {text}")}),
        )
    };
    let Some(client_id) = q("client_id") else {
        return page(
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some(redirect_uri) = q("redirect_uri") else {
        return page(
            900144,
            "The request body must contain the following parameter: 'redirect_uri'.",
        );
    };
    // The first-party public clients have `http://localhost` registered; a tenant app
    // has its `publicClient.redirectUris` and its `web` ones. A code issued to a `web`
    // redirect belongs to a confidential client: redeeming it needs the secret.
    if let Err(reply) = check_multi_tenant_segment(st, client_id, segment) {
        return reply;
    }
    let registered: Vec<(String, bool)> = if is_first_party(client_id) {
        vec![("http://localhost".to_owned(), true)]
    } else {
        let app = st.app_index_by_app_id(client_id);
        let Some(ai) = app.filter(|&ai| st.app_visible(ai)) else {
            return app_not_found(st, client_id);
        };
        let app = &st.apps[ai];
        let public = app
            .public_client_redirect_uris
            .iter()
            .map(|u| (u.clone(), true));
        let web = app.web.redirect_uris.iter().map(|u| (u.clone(), false));
        public.chain(web).collect()
    };
    let Some(public) = registered
        .iter()
        .find(|(r, _)| redirect_matches(r, redirect_uri))
        .map(|(_, public)| *public)
    else {
        return page(
            50011,
            &format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'."
            ),
        );
    };
    let state = q("state").map(str::to_owned);
    let back = |pairs: &[(&str, &str)]| {
        let mut url = url::Url::parse(redirect_uri).expect("checked above");
        {
            let mut query = url.query_pairs_mut();
            for (k, v) in pairs {
                query.append_pair(k, v);
            }
            if let Some(s) = &state {
                query.append_pair("state", s);
            }
        }
        let mut reply = Reply::empty(302);
        reply.headers.push(("Location".into(), url.to_string()));
        reply
    };
    let error = |error: &str, code: u32, text: &str| {
        back(&[
            ("error", error),
            ("error_description", &format!("AADSTS{code}: {text}")),
        ])
    };
    if q("response_type") != Some("code") {
        return error(
            "unsupported_response_type",
            700054,
            "response_type 'code' is required for this flow.",
        );
    }
    let challenge = match (q("code_challenge"), q("code_challenge_method")) {
        (None, _) => None,
        // RFC 7636 §4.2: 43 to 128 characters.
        (Some(c), _) if !(43..=128).contains(&c.len()) => {
            return error(
                "invalid_request",
                501491,
                "Invalid size of Code_Challenge parameter.",
            );
        }
        (Some(c), None | Some("plain")) => Some((c.to_owned(), "plain".to_owned())),
        (Some(c), Some("S256")) => Some((c.to_owned(), "S256".to_owned())),
        (Some(_), Some(_)) => {
            return error(
                "invalid_request",
                501491,
                "Invalid size of Code_Challenge parameter or code_challenge_method.",
            );
        }
    };
    let Some(scope) = q("scope") else {
        return error(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        );
    };
    let scopes = delegated_scopes(st, scope);
    let graph_sp = st.sp_index_by_app_id(GRAPH_APP_ID);
    if let Some(bad) = scopes.graph.iter().find(|v| {
        *v != ".default"
            && !graph_sp.is_some_and(|i| st.sps[i].scopes.iter().any(|s| &s.value == *v))
    }) {
        return error(
            "invalid_scope",
            70011,
            &format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {}/{bad} does not exist.",
                st.graph_resource()
            ),
        );
    }
    if scopes.foreign.is_some() || scopes.graph.is_empty() {
        return error(
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid.",
        );
    }
    if st.config.sign_in.browser_decision == super::config::BrowserDecision::Decline {
        return error(
            "access_denied",
            65004,
            "User declined to consent to access the app.",
        );
    }
    // The configured user signs in; a scope that needs an administrator's consent, which
    // no administrator gave and the user may not give, stops the sign-in: Entra's "Need
    // admin approval" page, AADSTS90094, and back to the client as `consent_required`
    // (docs/sign-in.md §1, §11; the device code answers AADSTS65001 instead).
    let user = st.user_index(&st.config.sign_in.user).unwrap_or(0);
    if let Some(missing) = st.users[user].missing_consent(&scopes.graph) {
        return error(
            "consent_required",
            90094,
            &format!(
                "The grant requires admin permission. (Application '{client_id}' asks for {missing}, which needs an administrator's consent.)"
            ),
        );
    }
    let code = format!("1.AQ{}", super::util::random_from(super::util::ALNUM, 160));
    st.issued_secrets.push(code.clone());
    st.auth_codes.push(super::state::AuthCode {
        code: code.clone(),
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        challenge,
        public,
        scopes: scopes.graph,
        offline_access: scopes.offline_access,
        // Authorization codes live about ten minutes.
        expires_at: std::time::Instant::now() + std::time::Duration::from_secs(600),
        redeemed: false,
        user,
    });
    back(&[("code", &code), ("session_state", &super::util::new_guid())])
}

/// `grant_type=authorization_code`: the code, once, by the client it was issued to, with
/// the same redirect URI and the PKCE verifier.
fn redeem_code(st: &mut State, form: &Form) -> Reply {
    use sha2::Digest as _;
    let Some(client_id) = form.get("client_id") else {
        return missing_parameter("client_id");
    };
    let Some(code) = form.get("code") else {
        return missing_parameter("code");
    };
    let Some(redirect_uri) = form.get("redirect_uri") else {
        return missing_parameter("redirect_uri");
    };
    let Some(ac) = st.auth_codes.iter_mut().find(|c| c.code == code) else {
        return aad_error(
            400,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed.",
        );
    };
    if ac.redeemed {
        return aad_error(
            400,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        );
    }
    if std::time::Instant::now() >= ac.expires_at {
        return aad_error(
            400,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        );
    }
    if !ac.client_id.eq_ignore_ascii_case(client_id) {
        return aad_error(
            400,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed.",
        );
    }
    if ac.redirect_uri != redirect_uri {
        return aad_error(
            400,
            "invalid_grant",
            50011,
            &format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URI the authorization code was issued for."
            ),
        );
    }
    if let Some((challenge, method)) = &ac.challenge {
        let Some(verifier) = form.get("code_verifier") else {
            return missing_parameter("code_verifier");
        };
        let computed = if method == "S256" {
            super::util::b64url(&sha2::Sha256::digest(verifier.as_bytes()))
        } else {
            verifier.to_owned()
        };
        if &computed != challenge {
            return aad_error(
                400,
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            );
        }
    }
    let public = ac.public;
    let (client, scp, offline, user) = (
        ac.client_id.clone(),
        ac.scopes.clone(),
        ac.offline_access,
        ac.user,
    );
    if !public {
        // Issued to a `web` redirect: a confidential client's code.
        let Some(secret) = form.get("client_secret") else {
            return aad_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        };
        let Some(ai) = st.app_index_by_app_id(&client) else {
            return app_not_found(st, &client);
        };
        if let Err(reply) = check_secret(st, ai, secret) {
            return reply;
        }
    }
    // Spent only once the client is satisfied.
    if let Some(ac) = st.auth_codes.iter_mut().find(|c| c.code == code) {
        ac.redeemed = true;
    }
    delegated_token_reply(st, &client, user, scp, offline)
}

/// `POST /_emulator/device/approve|decline` and the device page: the user's decision
/// for a user code. `user` names who signs in (`None`: the configured `sign_in.user`);
/// `decision` is `None` to decline, else the scopes to approve (empty: those asked
/// for). A scope the user may not consent to makes the next poll answer AADSTS65001.
pub(crate) fn decide_device(
    st: &mut State,
    user_code: &str,
    user: Option<&str>,
    decision: Option<Vec<String>>,
) -> Result<(), DeviceDecisionError> {
    use super::state::DeviceStatus;
    let user = match user {
        Some(name) => st
            .user_index(name)
            .ok_or(DeviceDecisionError::UnknownUser)?,
        None => st.user_index(&st.config.sign_in.user).unwrap_or(0),
    };
    let signed_in = st.users[user].clone();
    let code = user_code.trim().replace('-', "");
    let Some(dc) = st
        .device_codes
        .iter_mut()
        .find(|d| d.user_code.eq_ignore_ascii_case(&code) && d.status == DeviceStatus::Pending)
    else {
        return Err(DeviceDecisionError::NoPendingCode);
    };
    dc.status = match decision {
        Some(scp) if scp.is_empty() => approval(&signed_in, user, dc.scopes.clone()),
        Some(scp) => approval(&signed_in, user, scp),
        None => DeviceStatus::Declined,
    };
    Ok(())
}

/// Why a device code decision was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceDecisionError {
    NoPendingCode,
    UnknownUser,
}

/// `GET /_emulator/github-oidc`: a GitHub-Actions-style OIDC token whose claims match
/// the configured federated credential (docs/sign-in.md §7).
pub(crate) fn github_oidc(st: &mut State, req: &Req) -> Reply {
    let expected = &st.credentials.github_oidc_request_token;
    if req.bearer() != Some(expected.as_str()) {
        return Reply::json(401, &json!({"message": "Bad credentials"}));
    }
    let Some(audience) = req.query_value("audience").filter(|a| !a.is_empty()) else {
        return Reply::json(400, &json!({"message": "audience is required"}));
    };
    let fed = st
        .config
        .sign_in
        .federated_credential
        .clone()
        .unwrap_or_default();
    let now = super::util::unix_now();
    let token = jwt::encode(&json!({
        "iss": fed.issuer,
        "sub": fed.subject,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": new_guid(),
        "repository": "acme/pipelines",
        "ref": "refs/heads/main",
    }));
    st.issued_secrets.push(token.clone());
    // The runner's response carries the JWT in `value` (docs/sign-in.md §7).
    Reply::json(200, &json!({ "value": token }))
}
