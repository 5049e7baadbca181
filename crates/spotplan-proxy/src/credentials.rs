//! Where the proxy finds each cloud's credentials, by the clouds' own conventions: environment variables, the
//! aliyun CLI's `~/.aliyun/config.json` current profile, tccli's `~/.tccli/default.credential`, or Spotplan's own
//! optional config file. Secrets stay inside [`spotplan_sign::Credentials`], whose `Debug` redacts them; only the
//! *source* (a variable or file name) is ever shown.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use spotplan_core::Cloud;
use spotplan_sign::Credentials;

/// Credentials for one cloud and where they came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The key pair.
    pub credentials: Credentials,
    /// Where it was found, e.g. `environment (TENCENTCLOUD_SECRET_ID)` — never the values.
    pub source: String,
}

/// Every cloud's credentials, when configured.
#[derive(Debug, Clone, Default)]
pub struct CloudCredentials {
    /// Alibaba Cloud.
    pub alibaba: Option<Loaded>,
    /// Tencent Cloud.
    pub tencent: Option<Loaded>,
    /// Baidu AI Cloud.
    pub baidu: Option<Loaded>,
}

impl CloudCredentials {
    /// The credentials of a cloud.
    pub fn get(&self, cloud: Cloud) -> Option<&Loaded> {
        match cloud {
            Cloud::Alibaba => self.alibaba.as_ref(),
            Cloud::Tencent => self.tencent.as_ref(),
            Cloud::Baidu => self.baidu.as_ref(),
        }
    }

    /// Every secret value, for the tests and the log scrubber that prove none leaks.
    pub fn secrets(&self) -> Vec<String> {
        [&self.alibaba, &self.tencent, &self.baidu]
            .into_iter()
            .flatten()
            .map(|loaded| loaded.credentials.secret.expose_secret().to_owned())
            .collect()
    }
}

/// Spotplan's own optional credentials file (JSON): `{"alibaba": {"access_key_id": "…", "access_key_secret":
/// "…"}, "tencent": {"secret_id": "…", "secret_key": "…"}, "baidu": {"access_key_id": "…", "secret_access_key":
/// "…"}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    alibaba: Option<AlibabaFile>,
    #[serde(default)]
    tencent: Option<TencentFile>,
    #[serde(default)]
    baidu: Option<BaiduFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlibabaFile {
    access_key_id: String,
    access_key_secret: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TencentFile {
    secret_id: String,
    secret_key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BaiduFile {
    access_key_id: String,
    secret_access_key: String,
}

impl std::fmt::Debug for AlibabaFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AlibabaFile { .. }")
    }
}
impl std::fmt::Debug for TencentFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TencentFile { .. }")
    }
}
impl std::fmt::Debug for BaiduFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BaiduFile { .. }")
    }
}

/// Why credentials could not be read (a file that exists but is broken; missing files are simply skipped).
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// A credentials file could not be read or parsed.
    #[error("cannot use credentials file {path}: {reason}")]
    BadFile {
        /// The file.
        path: String,
        /// What is wrong (never its contents).
        reason: String,
    },
}

/// Where to look: the environment (a lookup function, so tests need not touch the process environment), the
/// home directory, and an optional Spotplan config file.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Environment variables to consider, as (name, value).
    pub env: Vec<(String, String)>,
    /// The user's home directory, for the CLIs' files.
    pub home: Option<PathBuf>,
    /// Spotplan's own credentials file.
    pub config_file: Option<PathBuf>,
}

impl Sources {
    /// The real process environment and home directory.
    pub fn from_process(config_file: Option<PathBuf>) -> Sources {
        Sources {
            env: std::env::vars().collect(),
            home: std::env::var_os("HOME").map(PathBuf::from),
            config_file,
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }
}

/// Loads every cloud's credentials; the first source that has a cloud's pair wins: environment, then the
/// config file, then the cloud's CLI file.
pub fn load(sources: &Sources) -> Result<CloudCredentials, CredentialsError> {
    let file = match &sources.config_file {
        Some(path) => read_config_file(path)?,
        None => ConfigFile::default(),
    };
    let config_source =
        |path: &Option<PathBuf>| format!("config file {}", path.as_deref().map(display).unwrap_or_default());
    let alibaba = from_env(
        sources,
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    )
    .or_else(|| {
        file.alibaba.as_ref().map(|pair| Loaded {
            credentials: Credentials::new(pair.access_key_id.clone(), pair.access_key_secret.clone()),
            source: config_source(&sources.config_file),
        })
    })
    .or_else(|| aliyun_cli_profile(sources));
    let tencent = from_env(sources, "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY")
        .or_else(|| {
            file.tencent.as_ref().map(|pair| Loaded {
                credentials: Credentials::new(pair.secret_id.clone(), pair.secret_key.clone()),
                source: config_source(&sources.config_file),
            })
        })
        .or_else(|| tccli_credential(sources));
    let baidu = from_env(sources, "BCE_ACCESS_KEY_ID", "BCE_SECRET_ACCESS_KEY").or_else(|| {
        file.baidu.as_ref().map(|pair| Loaded {
            credentials: Credentials::new(pair.access_key_id.clone(), pair.secret_access_key.clone()),
            source: config_source(&sources.config_file),
        })
    });
    Ok(CloudCredentials {
        alibaba,
        tencent,
        baidu,
    })
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn from_env(sources: &Sources, id: &str, secret: &str) -> Option<Loaded> {
    let (id_value, secret_value) = (sources.var(id)?, sources.var(secret)?);
    Some(Loaded {
        credentials: Credentials::new(id_value.to_owned(), secret_value.to_owned()),
        source: format!("environment ({id}, {secret})"),
    })
}

fn read_config_file(path: &Path) -> Result<ConfigFile, CredentialsError> {
    let bad = |reason: String| CredentialsError::BadFile {
        path: display(path),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|error| bad(error.to_string()))?;
    // serde's message may quote a value; report only the position.
    serde_json::from_str(&text)
        .map_err(|error| bad(format!("not valid JSON of the expected shape at line {}", error.line())))
}

/// The aliyun CLI's current profile in `~/.aliyun/config.json` (mode AK).
fn aliyun_cli_profile(sources: &Sources) -> Option<Loaded> {
    let path = sources.home.as_ref()?.join(".aliyun/config.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
    let wanted = sources
        .var("ALIBABA_CLOUD_PROFILE")
        .map(str::to_owned)
        .or_else(|| json["current"].as_str().map(str::to_owned))?;
    let profile = json["profiles"]
        .as_array()?
        .iter()
        .find(|profile| profile["name"].as_str() == Some(wanted.as_str()))?;
    let id = profile["access_key_id"].as_str().filter(|value| !value.is_empty())?;
    let secret = profile["access_key_secret"]
        .as_str()
        .filter(|value| !value.is_empty())?;
    Some(Loaded {
        credentials: Credentials::new(id.to_owned(), secret.to_owned()),
        source: format!("aliyun CLI profile `{wanted}` in {}", display(&path)),
    })
}

/// tccli's default credential file `~/.tccli/default.credential` (`{"secretId", "secretKey"}`).
fn tccli_credential(sources: &Sources) -> Option<Loaded> {
    let path = sources.home.as_ref()?.join(".tccli/default.credential");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
    let id = json["secretId"].as_str().filter(|value| !value.is_empty())?;
    let secret = json["secretKey"].as_str().filter(|value| !value.is_empty())?;
    Some(Loaded {
        credentials: Credentials::new(id.to_owned(), secret.to_owned()),
        source: format!("tccli credential {}", display(&path)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn environment_variables_by_each_clouds_convention() {
        let sources = Sources {
            env: env(&[
                ("TENCENTCLOUD_SECRET_ID", "AKIDtest"),
                ("TENCENTCLOUD_SECRET_KEY", "s3cret-tencent"),
            ]),
            ..Sources::default()
        };
        let loaded = load(&sources).unwrap();
        assert!(loaded.alibaba.is_none() && loaded.baidu.is_none());
        let tencent = loaded.tencent.unwrap();
        assert_eq!(tencent.credentials.access_key_id, "AKIDtest");
        assert_eq!(
            tencent.source,
            "environment (TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY)"
        );
        assert!(!format!("{tencent:?}").contains("s3cret-tencent"));
    }

    #[test]
    fn cli_files_and_config_file() {
        let home = std::env::temp_dir().join(format!("spotplan-home-{}", std::process::id()));
        std::fs::create_dir_all(home.join(".aliyun")).unwrap();
        std::fs::create_dir_all(home.join(".tccli")).unwrap();
        std::fs::write(
            home.join(".aliyun/config.json"),
            r#"{"current":"work","profiles":[{"name":"default","mode":"AK","access_key_id":"a","access_key_secret":"b"},{"name":"work","mode":"AK","access_key_id":"LTAIwork","access_key_secret":"work-secret"}]}"#,
        )
        .unwrap();
        std::fs::write(
            home.join(".tccli/default.credential"),
            r#"{"secretId":"AKIDcli","secretKey":"cli-secret"}"#,
        )
        .unwrap();
        let config = home.join("spotplan.json");
        std::fs::write(
            &config,
            r#"{"baidu":{"access_key_id":"bce-ak","secret_access_key":"bce-sk"}}"#,
        )
        .unwrap();
        let loaded = load(&Sources {
            env: Vec::new(),
            home: Some(home.clone()),
            config_file: Some(config),
        })
        .unwrap();
        assert_eq!(loaded.alibaba.as_ref().unwrap().credentials.access_key_id, "LTAIwork");
        assert!(
            loaded
                .alibaba
                .as_ref()
                .unwrap()
                .source
                .contains("aliyun CLI profile `work`")
        );
        assert_eq!(loaded.tencent.as_ref().unwrap().credentials.access_key_id, "AKIDcli");
        assert_eq!(loaded.baidu.as_ref().unwrap().credentials.access_key_id, "bce-ak");
        assert_eq!(loaded.secrets().len(), 3);
    }

    #[test]
    fn a_broken_config_file_is_an_error_that_shows_no_contents() {
        let path = std::env::temp_dir().join(format!("spotplan-bad-{}.json", std::process::id()));
        std::fs::write(
            &path,
            r#"{"alibaba": {"access_key_id": "x", "access_key_secret": "topsecret", "extra": 1}}"#,
        )
        .unwrap();
        let error = load(&Sources {
            config_file: Some(path),
            ..Sources::default()
        })
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("cannot use credentials file"), "{error}");
        assert!(!error.contains("topsecret"), "{error}");
    }
}
