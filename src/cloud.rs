//! Where the services are: the hosts of each Microsoft cloud and the
//! endpoints a run talks to. Plain values; imports nothing of the product.

use url::Url;

/// Hosts per cloud (docs/sign-in.md §2), and the audience a GitHub OIDC
/// token is asked for there (§7: a federated credential's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cloud {
    pub name: &'static str,
    pub login: &'static str,
    pub graph: &'static str,
    pub token_exchange_audience: &'static str,
}

impl Cloud {
    pub(crate) const PUBLIC: Cloud = Cloud {
        name: "public",
        login: "https://login.microsoftonline.com",
        graph: "https://graph.microsoft.com",
        token_exchange_audience: "api://AzureADTokenExchange",
    };
    /// US Government L4 (GCC High).
    pub(crate) const USGOV: Cloud = Cloud {
        name: "usgov",
        login: "https://login.microsoftonline.us",
        graph: "https://graph.microsoft.us",
        token_exchange_audience: "api://AzureADTokenExchangeUSGov",
    };
    /// US Government L5 (DoD): GCC High's sign-in host, its own Graph host.
    pub(crate) const USGOV_DOD: Cloud = Cloud {
        name: "usgov-dod",
        login: "https://login.microsoftonline.us",
        graph: "https://dod-graph.microsoft.us",
        token_exchange_audience: "api://AzureADTokenExchangeUSGov",
    };
    /// China, operated by 21Vianet.
    pub(crate) const CHINA: Cloud = Cloud {
        name: "china",
        login: "https://login.chinacloudapi.cn",
        graph: "https://microsoftgraph.chinacloudapi.cn",
        token_exchange_audience: "api://AzureADTokenExchangeChina",
    };

    /// The cloud whose sign-in host is `host` (lower case, no scheme): GCC
    /// High for the US Government host it shares with DoD.
    /// China's sign-in host also goes by `login.partner.microsoftonline.cn`,
    /// as Microsoft's national-cloud page gives it.
    pub(crate) fn signing_in_at(host: &str) -> Option<Cloud> {
        if host == CHINA_PARTNER_LOGIN_HOST {
            return Some(Cloud::CHINA);
        }
        [Cloud::PUBLIC, Cloud::USGOV, Cloud::CHINA]
            .into_iter()
            .find(|c| c.login.trim_start_matches("https://") == host)
    }
}

/// China's other sign-in host (Microsoft's national cloud deployments page).
pub(crate) const CHINA_PARTNER_LOGIN_HOST: &str = "login.partner.microsoftonline.cn";

/// The Microsoft sign-in hosts a cloud is known by, for messages.
pub(crate) fn known_login_hosts() -> String {
    let mut hosts: Vec<&str> = [Cloud::PUBLIC, Cloud::USGOV, Cloud::CHINA]
        .iter()
        .map(|c| c.login.trim_start_matches("https://"))
        .collect();
    hosts.push(CHINA_PARTNER_LOGIN_HOST);
    hosts.join(", ")
}

impl Cloud {
    /// The cloud whose Graph host a token's audience names (`aud`:
    /// `https://graph.microsoft.com`, with or without a trailing slash, or
    /// Graph's app id, which every cloud shares). `None`: another API.
    pub(crate) fn graph_audience_matches(self, aud: &str) -> bool {
        let aud = aud.trim_end_matches('/').to_ascii_lowercase();
        aud == "00000003-0000-0000-c000-000000000000" || aud == self.graph
    }
}

/// Where the services are.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub cloud: Cloud,
    pub login: Url,
    pub graph: Url,
    pub platform: Url,
}
