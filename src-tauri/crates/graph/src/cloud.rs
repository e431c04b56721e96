//! National clouds and custom endpoints: where to sign in, where Graph and ARM live.

use url::Url;

/// Why a custom cloud's base URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CloudUrlError {
    #[error("invalid base URL: {0}")]
    Parse(#[from] url::ParseError),
    #[error("{0} is not HTTPS: plain HTTP is accepted only on this machine (loopback)")]
    NotHttps(String),
}

/// The three hosts Recert talks to. Tokens are per cloud and per resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cloud {
    pub name: String,
    /// Authority host, e.g. `https://login.microsoftonline.com`.
    pub login: Url,
    /// Graph root without the version, e.g. `https://graph.microsoft.com`.
    pub graph: Url,
    /// ARM root, e.g. `https://management.azure.com`.
    pub arm: Url,
    /// The resource ids that scopes are formed from (`{resource}/.default`).
    pub graph_resource: String,
    pub arm_resource: String,
}

fn url(s: &str) -> Url {
    // These are compile-time constants; a typo is a programming error caught by the tests.
    Url::parse(s).expect("built-in cloud URLs are valid")
}

impl Cloud {
    pub fn public() -> Cloud {
        Cloud {
            name: "public".into(),
            login: url("https://login.microsoftonline.com"),
            graph: url("https://graph.microsoft.com"),
            arm: url("https://management.azure.com"),
            graph_resource: "https://graph.microsoft.com".into(),
            arm_resource: "https://management.azure.com".into(),
        }
    }

    pub fn us_government() -> Cloud {
        Cloud {
            name: "usGovernment".into(),
            login: url("https://login.microsoftonline.us"),
            graph: url("https://graph.microsoft.us"),
            arm: url("https://management.usgovcloudapi.net"),
            graph_resource: "https://graph.microsoft.us".into(),
            arm_resource: "https://management.usgovcloudapi.net".into(),
        }
    }

    pub fn china() -> Cloud {
        Cloud {
            name: "china".into(),
            login: url("https://login.chinacloudapi.cn"),
            graph: url("https://microsoftgraph.chinacloudapi.cn"),
            arm: url("https://management.chinacloudapi.cn"),
            graph_resource: "https://microsoftgraph.chinacloudapi.cn".into(),
            arm_resource: "https://management.chinacloudapi.cn".into(),
        }
    }

    /// One server playing all three hosts, as the emulator does: login at the root (credential
    /// libraries join `/{tenant}/oauth2/v2.0/token` onto the authority *host*, so a path would be
    /// lost), Graph under `/graph` and ARM under `/arm`. The resource ids stay the public ones,
    /// since tokens are requested for them.
    ///
    /// Plain HTTP is accepted only on loopback (an emulator served without TLS): a token is
    /// never sent in the clear over a network.
    pub fn custom(base: &str) -> Result<Cloud, CloudUrlError> {
        let base = base.trim_end_matches('/');
        let parsed = Url::parse(base)?;
        let loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
            return Err(CloudUrlError::NotHttps(base.to_string()));
        }
        Ok(Cloud {
            name: "custom".into(),
            login: Url::parse(base)?,
            graph: Url::parse(&format!("{base}/graph"))?,
            arm: Url::parse(&format!("{base}/arm"))?,
            graph_resource: "https://graph.microsoft.com".into(),
            arm_resource: "https://management.azure.com".into(),
        })
    }

    pub fn graph_scope(&self) -> String {
        format!("{}/.default", self.graph_resource)
    }

    pub fn arm_scope(&self) -> String {
        format!("{}/.default", self.arm_resource)
    }

    /// `{graph}/v1.0/{path}`; `path` may carry a query string.
    pub fn graph_url(&self, path: &str) -> String {
        format!(
            "{}/v1.0/{}",
            self.graph.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    /// `{arm}/{path}`; `path` is an ARM resource path, e.g. `/subscriptions?api-version=…`.
    pub fn arm_url(&self, path: &str) -> String {
        format!("{}/{}", self.arm.as_str().trim_end_matches('/'), path.trim_start_matches('/'))
    }

    /// Whether `url` is on this cloud's ARM host (and so needs an ARM token).
    pub fn is_arm(&self, url: &str) -> bool {
        url.starts_with(self.arm.as_str().trim_end_matches('/'))
    }

    /// `{login}/{tenant}/oauth2/v2.0`, the base of the authorize, token and devicecode endpoints.
    pub fn oauth_base(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0", self.login.as_str().trim_end_matches('/'))
    }

    /// A cloud by its stable name (`public`, `usGovernment`, `china`) or, for `custom`, its base.
    pub fn by_name(name: &str, base_url: Option<&str>) -> Option<Cloud> {
        match name {
            "public" => Some(Cloud::public()),
            "usGovernment" => Some(Cloud::us_government()),
            "china" => Some(Cloud::china()),
            "custom" => base_url.and_then(|b| Cloud::custom(b).ok()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_clouds_parse_and_join() {
        for cloud in [Cloud::public(), Cloud::us_government(), Cloud::china()] {
            assert!(cloud.graph_url("/users").ends_with("/v1.0/users"), "{}", cloud.name);
        }
        let custom = Cloud::custom("https://127.0.0.1:9/").expect("valid");
        assert_eq!(custom.graph_url("users?$top=1"), "https://127.0.0.1:9/graph/v1.0/users?$top=1");
        assert_eq!(custom.login.as_str(), "https://127.0.0.1:9/");
    }

    #[test]
    fn a_custom_cloud_never_sends_tokens_over_plain_http_beyond_loopback() {
        assert!(Cloud::custom("http://127.0.0.1:9").is_ok(), "an emulator without TLS");
        assert!(Cloud::custom("http://localhost:9").is_ok());
        assert!(Cloud::custom("http://graph.example.test").is_err());
        assert!(Cloud::custom("http://10.0.0.5:8080").is_err());
        assert!(Cloud::custom("ftp://127.0.0.1").is_err());
        for cloud in [Cloud::public(), Cloud::us_government(), Cloud::china()] {
            for url in [&cloud.login, &cloud.graph, &cloud.arm] {
                assert_eq!(url.scheme(), "https", "{}: {url}", cloud.name);
            }
        }
    }
}
