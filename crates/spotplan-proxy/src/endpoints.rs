//! Which hosts the proxy may contact: each cloud's own API hosts, or an override base URL per cloud
//! (`SPOTPLAN_ENDPOINT_ALIBABA`, `…_TENCENT`, `…_BAIDU`) for private endpoints and tests. Plain HTTP is allowed
//! only for loopback overrides; the request's Host and signature follow the override.

use std::net::IpAddr;

use spotplan_core::Cloud;
use spotplan_core::order::request::HttpRequest;

/// An override of a cloud's endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointOverride {
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]`.
    pub authority: String,
}

/// Per-cloud overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints(std::collections::BTreeMap<Cloud, EndpointOverride>);

/// A bad endpoint setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not an `http(s)://host[:port]` base URL.
    #[error("{name}=`{value}` is not a base URL like https://ecs.example.com or http://127.0.0.1:9001")]
    Malformed {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
    },
    /// Plain HTTP to a non-loopback host.
    #[error("{name}=`{value}`: plain http is allowed only for loopback hosts; use https")]
    InsecureRemote {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
    },
    /// A request for a host that is not the cloud's.
    #[error("refusing to contact `{host}`: not a {cloud} API host")]
    ForeignHost {
        /// The host.
        host: String,
        /// The cloud.
        cloud: Cloud,
    },
}

impl Endpoints {
    /// Reads the `SPOTPLAN_ENDPOINT_*` variables from a lookup function.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Endpoints, EndpointError> {
        let mut endpoints = Endpoints::default();
        for cloud in Cloud::ALL {
            let name = variable(cloud);
            if let Some(value) = lookup(&name).filter(|value| !value.is_empty()) {
                endpoints.0.insert(cloud, parse(&name, &value)?);
            }
        }
        Ok(endpoints)
    }

    /// Points `cloud` at an override (tests, private endpoints).
    pub fn with(mut self, cloud: Cloud, endpoint: EndpointOverride) -> Endpoints {
        self.0.insert(cloud, endpoint);
        self
    }

    /// The override of a cloud.
    pub fn get(&self, cloud: Cloud) -> Option<&EndpointOverride> {
        self.0.get(&cloud)
    }

    /// The host names of the overrides (without ports), which the proxy may resolve besides the clouds' domains.
    pub fn hosts(&self) -> Vec<String> {
        Cloud::ALL
            .into_iter()
            .filter_map(|cloud| self.get(cloud))
            .map(|endpoint| {
                let authority = endpoint.authority.as_str();
                match authority.strip_prefix('[') {
                    Some(rest) => rest.split(']').next().unwrap_or_default().to_owned(),
                    None => authority
                        .rsplit_once(':')
                        .map_or(authority, |(host, _)| host)
                        .to_owned(),
                }
            })
            .collect()
    }

    /// Points a request at its cloud (or the override), rewriting scheme, host and the `host` header, and
    /// refuses any host that is not the cloud's own.
    pub fn route(&self, cloud: Cloud, request: &mut HttpRequest) -> Result<(), EndpointError> {
        match self.get(cloud) {
            Some(endpoint) => {
                request.scheme = endpoint.scheme.clone();
                request.host = endpoint.authority.clone();
            }
            None => {
                if !is_cloud_host(cloud, &request.host) {
                    return Err(EndpointError::ForeignHost {
                        host: request.host.clone(),
                        cloud,
                    });
                }
                request.scheme = "https".into();
            }
        }
        let host = request.host.clone();
        request.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("host"));
        request.headers.insert(0, ("host".into(), host));
        Ok(())
    }
}

/// A region id that would put something other than one host label into a cloud's API host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("region `{region}` is not a region id (lower-case letters, digits and single hyphens, at most 63 characters)")]
pub struct InvalidRegion {
    /// The region as given (escaped when shown).
    pub region: String,
}

/// Refuses a region id that is not one DNS label (`cn-hangzhou`, `ap-guangzhou`, `bj`): the proxy builds API
/// host names from it, so `evil.com#`, `a.evil.com`, `cn-x:8080` or a line break never reach a request.
pub fn check_region(region: &str) -> Result<(), InvalidRegion> {
    let label = !region.is_empty()
        && region.len() <= 63
        && !region.starts_with('-')
        && !region.ends_with('-')
        && !region.contains("--")
        && region
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    if label {
        Ok(())
    } else {
        Err(InvalidRegion {
            region: region.escape_default().to_string(),
        })
    }
}

/// Whether a host is one of the cloud's API hosts (the cloud's folder in the core knows them).
pub fn is_cloud_host(cloud: Cloud, host: &str) -> bool {
    spotplan_core::clouds::wire(cloud).is_api_host(host)
}

/// The variable that overrides a cloud's endpoint: `SPOTPLAN_ENDPOINT_ALIBABA` and so on.
pub fn variable(cloud: Cloud) -> String {
    format!("SPOTPLAN_ENDPOINT_{}", cloud.id().to_ascii_uppercase())
}

fn parse(name: &str, value: &str) -> Result<EndpointOverride, EndpointError> {
    let malformed = || EndpointError::Malformed {
        name: name.into(),
        value: value.into(),
    };
    let (scheme, rest) = value.split_once("://").ok_or_else(malformed)?;
    let authority = rest.trim_end_matches('/');
    if !matches!(scheme, "http" | "https") || authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(malformed());
    }
    if scheme == "http" && !is_loopback(authority) {
        return Err(EndpointError::InsecureRemote {
            name: name.into(),
            value: value.into(),
        });
    }
    Ok(EndpointOverride {
        scheme: scheme.into(),
        authority: authority.into(),
    })
}

fn is_loopback(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(host, _)| host)
    };
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_and_http_is_loopback_only() {
        let lookup = |name: &str| (name == "SPOTPLAN_ENDPOINT_TENCENT").then(|| "http://127.0.0.1:9001/".to_owned());
        let endpoints = Endpoints::from_env(lookup).unwrap();
        assert_eq!(
            endpoints.get(Cloud::Tencent),
            Some(&EndpointOverride {
                scheme: "http".into(),
                authority: "127.0.0.1:9001".into()
            })
        );
        assert_eq!(endpoints.get(Cloud::Alibaba), None);
        assert!(matches!(
            Endpoints::from_env(|_| Some("http://10.0.0.5:80".into())),
            Err(EndpointError::InsecureRemote { .. })
        ));
        assert!(Endpoints::from_env(|_| Some("https://ecs.internal.example".into())).is_ok());
        assert!(matches!(
            Endpoints::from_env(|_| Some("ftp://x".into())),
            Err(EndpointError::Malformed { .. })
        ));
    }

    #[test]
    fn region_ids_are_one_host_label() {
        for region in ["cn-hangzhou", "ap-guangzhou", "bj", "cn-north-2"] {
            assert!(check_region(region).is_ok(), "{region}");
        }
        for region in [
            "evil.com#",
            "a.evil.com",
            "cn-x:8080",
            "A\r\nB",
            "",
            "-x",
            "x-",
            "cn--x",
            "CN-HANGZHOU",
        ] {
            assert!(check_region(region).is_err(), "{region:?}");
        }
        assert_eq!(
            check_region("A\r\nB").unwrap_err().to_string(),
            "region `A\\r\\nB` is not a region id (lower-case letters, digits and single hyphens, at most 63 characters)"
        );
    }

    #[test]
    fn only_the_clouds_hosts() {
        assert!(is_cloud_host(Cloud::Alibaba, "ecs.cn-beijing.aliyuncs.com"));
        assert!(is_cloud_host(Cloud::Alibaba, "ecs-cn-hangzhou.aliyuncs.com"));
        assert!(!is_cloud_host(Cloud::Alibaba, "ecs.evil.com.aliyuncs.com"));
        assert!(!is_cloud_host(Cloud::Alibaba, "evil.com"));
        assert!(is_cloud_host(Cloud::Tencent, "cvm.tencentcloudapi.com"));
        assert!(is_cloud_host(Cloud::Baidu, "bcc.bj.baidubce.com"));
        assert!(!is_cloud_host(Cloud::Baidu, "bcc.bj.baidubce.com.evil.net"));
    }
}
