//! Where the services are: the hosts of each Microsoft cloud and the
//! endpoints a run talks to. Plain values; imports nothing of the product.

use url::Url;

/// Hosts per cloud (entra-sign-in.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cloud {
    pub name: &'static str,
    pub login: &'static str,
    pub graph: &'static str,
}

impl Cloud {
    pub(crate) const PUBLIC: Cloud = Cloud {
        name: "public",
        login: "https://login.microsoftonline.com",
        graph: "https://graph.microsoft.com",
    };
    pub(crate) const USGOV: Cloud = Cloud {
        name: "usgov",
        login: "https://login.microsoftonline.us",
        graph: "https://graph.microsoft.us",
    };
    pub(crate) const CHINA: Cloud = Cloud {
        name: "china",
        login: "https://login.chinacloudapi.cn",
        graph: "https://microsoftgraph.chinacloudapi.cn",
    };
}

/// Where the services are.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub cloud: Cloud,
    pub login: Url,
    pub graph: Url,
    pub platform: Url,
}
