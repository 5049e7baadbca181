//! Where the proxy finds each cloud's credentials, by the clouds' own conventions (named in each cloud's folder
//! in the core): environment variables, Spotplan's optional credentials file, or the cloud CLI's own file
//! (`~/.aliyun/config.json`'s current profile, tccli's `~/.tccli/default.credential`). Secrets stay inside
//! [`spotplan_sign::Credentials`], whose `Debug` redacts them; only the *source* (a variable or file name) is ever
//! shown.
//!
//! Each credential also says which site its account is on, and so the currency its bids are in: CNY on the China
//! sites (the default), USD on the international sites. `SPOTPLAN_ACCOUNT_CURRENCY_<CLOUD>` (e.g.
//! `SPOTPLAN_ACCOUNT_CURRENCY_TENCENT=USD`) or an `account_currency` field in the credentials file sets it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use spotplan_core::api::health::AccountSiteSource;
use spotplan_core::clouds::wire;
use spotplan_core::{Cloud, Currency};
use spotplan_sign::Credentials;

/// Credentials for one cloud and where they came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The key pair.
    pub credentials: Credentials,
    /// Where it was found, e.g. `environment (TENCENTCLOUD_SECRET_ID)` — never the values.
    pub source: String,
    /// The currency the account is billed in, and so the currency of its bids and price answers.
    pub account_currency: Currency,
    /// Where the currency was set, e.g. `environment (SPOTPLAN_ACCOUNT_CURRENCY_TENCENT)`, or the default.
    pub account_currency_source: AccountSiteSource,
}

impl Loaded {
    /// A China-site credential (the default site) of `cloud`, from `source`.
    pub fn china_site(cloud: Cloud, credentials: Credentials, source: String) -> Loaded {
        Loaded {
            credentials,
            source,
            account_currency: Currency::Cny,
            account_currency_source: AccountSiteSource::default_site(account_currency_env(cloud)),
        }
    }
}

/// The environment variable naming a cloud's account currency.
pub fn account_currency_env(cloud: Cloud) -> String {
    format!("SPOTPLAN_ACCOUNT_CURRENCY_{}", cloud.id().to_uppercase())
}

/// Every cloud's credentials, when configured.
#[derive(Debug, Clone, Default)]
pub struct CloudCredentials(BTreeMap<Cloud, Loaded>);

impl CloudCredentials {
    /// The credentials of a cloud.
    pub fn get(&self, cloud: Cloud) -> Option<&Loaded> {
        self.0.get(&cloud)
    }

    /// These credentials with `cloud`'s set (tests, the benchmark).
    pub fn with(mut self, cloud: Cloud, loaded: Loaded) -> CloudCredentials {
        self.0.insert(cloud, loaded);
        self
    }

    /// Every secret value, for the tests and the log scrubber that prove none leaks.
    pub fn secrets(&self) -> Vec<String> {
        self.0
            .values()
            .map(|loaded| loaded.credentials.secret.expose_secret().to_owned())
            .collect()
    }
}

/// Why credentials could not be read (a file that exists but is broken; missing files are simply skipped).
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// An account currency that is not CNY or USD.
    #[error("{source_name} is `{value}`: an account currency is CNY (China site) or USD (international site)")]
    BadAccountCurrency {
        /// The variable or file that holds it.
        source_name: String,
        /// The value given.
        value: String,
    },
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
///
/// Spotplan's credentials file is JSON with one object per cloud id, each holding the cloud's own two field
/// names: `{"alibaba": {"access_key_id", "access_key_secret"}, "tencent": {"secret_id", "secret_key"},
/// "baidu": {"access_key_id", "secret_access_key"}}`.
pub fn load(sources: &Sources) -> Result<CloudCredentials, CredentialsError> {
    let file = match &sources.config_file {
        Some(path) => read_config_file(path)?,
        None => serde_json::Map::new(),
    };
    let mut loaded = CloudCredentials::default();
    for cloud in Cloud::ALL {
        let found = from_env(sources, cloud)
            .or_else(|| from_config_file(sources, &file, cloud))
            .or_else(|| from_cli_file(sources, cloud));
        if let Some(mut found) = found {
            if let Some((currency, source)) = account_currency(sources, &file, cloud)? {
                found.account_currency = currency;
                found.account_currency_source = source;
            }
            loaded.0.insert(cloud, found);
        }
    }
    Ok(loaded)
}

/// The account currency configured for a cloud, when one is: the environment first, then the credentials file.
fn account_currency(
    sources: &Sources,
    file: &serde_json::Map<String, serde_json::Value>,
    cloud: Cloud,
) -> Result<Option<(Currency, AccountSiteSource)>, CredentialsError> {
    let name = account_currency_env(cloud);
    let from_file = file
        .get(cloud.id())
        .and_then(|entry| entry.get("account_currency"))
        .and_then(serde_json::Value::as_str);
    let (value, source) = match (sources.var(&name), from_file) {
        (Some(value), _) => (value, AccountSiteSource::environment(name)),
        (None, Some(value)) => (
            value,
            AccountSiteSource::credentials_file(sources.config_file.as_deref().map(display).unwrap_or_default()),
        ),
        (None, None) => return Ok(None),
    };
    let currency = Currency::from_code(value).ok_or_else(|| CredentialsError::BadAccountCurrency {
        source_name: source.to_string(),
        value: value.chars().take(16).collect(),
    })?;
    Ok(Some((currency, source)))
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn from_env(sources: &Sources, cloud: Cloud) -> Option<Loaded> {
    let names = wire(cloud).credential_names();
    let (id, secret) = (sources.var(names.key_id_env)?, sources.var(names.secret_env)?);
    Some(Loaded::china_site(
        cloud,
        Credentials::new(id.to_owned(), secret.to_owned()),
        format!("environment ({}, {})", names.key_id_env, names.secret_env),
    ))
}

fn from_config_file(
    sources: &Sources,
    file: &serde_json::Map<String, serde_json::Value>,
    cloud: Cloud,
) -> Option<Loaded> {
    let (id_field, secret_field) = wire(cloud).credential_names().file_fields;
    let entry = file.get(cloud.id())?;
    let text = |field: &str| entry.get(field).and_then(serde_json::Value::as_str).map(str::to_owned);
    Some(Loaded::china_site(
        cloud,
        Credentials::new(text(id_field)?, text(secret_field)?),
        format!(
            "config file {}",
            sources.config_file.as_deref().map(display).unwrap_or_default()
        ),
    ))
}

fn from_cli_file(sources: &Sources, cloud: Cloud) -> Option<Loaded> {
    let path = sources.home.as_ref()?.join(wire(cloud).credential_names().cli_file?);
    let text = std::fs::read_to_string(&path).ok()?;
    let env = |name: &str| sources.var(name).map(str::to_owned);
    let found = wire(cloud).read_cli_credentials(&text, &env)?;
    let source = match &found.profile {
        Some(profile) => format!("{} CLI profile `{profile}` in {}", cloud.vendor(), display(&path)),
        None => format!("{} CLI credential {}", cloud.vendor(), display(&path)),
    };
    Some(Loaded::china_site(
        cloud,
        Credentials::new(found.key_id, found.secret),
        source,
    ))
}

/// Reads Spotplan's credentials file: an object with one object per cloud id, each with exactly that cloud's two
/// fields and optionally `account_currency` (anything else is refused, so a typo does not silently leave a cloud in
/// planning mode or on the wrong site).
fn read_config_file(path: &Path) -> Result<serde_json::Map<String, serde_json::Value>, CredentialsError> {
    let bad = |reason: String| CredentialsError::BadFile {
        path: display(path),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|error| bad(error.to_string()))?;
    // serde's message may quote a value; report only the position.
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| bad(format!("not valid JSON at line {}", error.line())))?;
    let serde_json::Value::Object(file) = json else {
        return Err(bad("not a JSON object".into()));
    };
    for (key, entry) in &file {
        let cloud = Cloud::from_id(key).ok_or_else(|| bad(format!("`{key}` is not a cloud id")))?;
        let (id_field, secret_field) = wire(cloud).credential_names().file_fields;
        let fields_ok = entry.as_object().is_some_and(|object| {
            let site = object.get("account_currency");
            object.len() == 2 + usize::from(site.is_some())
                && site.is_none_or(serde_json::Value::is_string)
                && [id_field, secret_field]
                    .iter()
                    .all(|field| object.get(*field).is_some_and(serde_json::Value::is_string))
        });
        if !fields_ok {
            return Err(bad(format!(
                "`{key}` must hold exactly `{id_field}` and `{secret_field}` (and optionally `account_currency`), \
                 as text"
            )));
        }
    }
    Ok(file)
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
        assert!(loaded.get(Cloud::Alibaba).is_none() && loaded.get(Cloud::Baidu).is_none());
        let tencent = loaded.get(Cloud::Tencent).unwrap();
        assert_eq!(tencent.credentials.access_key_id, "AKIDtest");
        assert_eq!(
            tencent.source,
            "environment (TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY)"
        );
        assert!(!format!("{tencent:?}").contains("s3cret-tencent"));
    }

    #[test]
    fn an_account_site_per_cloud_from_the_environment_or_the_file() {
        let dir = std::env::temp_dir().join(format!("spotplan-site-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("spotplan.json");
        std::fs::write(
            &config,
            r#"{"baidu":{"access_key_id":"bce-ak","secret_access_key":"bce-sk","account_currency":"USD"}}"#,
        )
        .unwrap();
        let sources = Sources {
            env: env(&[
                ("TENCENTCLOUD_SECRET_ID", "AKIDtest"),
                ("TENCENTCLOUD_SECRET_KEY", "s3cret-tencent"),
                ("SPOTPLAN_ACCOUNT_CURRENCY_TENCENT", "usd"),
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAItest"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cret-alibaba"),
            ]),
            home: None,
            config_file: Some(config.clone()),
        };
        let loaded = load(&sources).unwrap();
        let tencent = loaded.get(Cloud::Tencent).unwrap();
        assert_eq!(tencent.account_currency, Currency::Usd);
        assert_eq!(
            tencent.account_currency_source,
            AccountSiteSource::environment("SPOTPLAN_ACCOUNT_CURRENCY_TENCENT".into())
        );
        assert_eq!(loaded.get(Cloud::Baidu).unwrap().account_currency, Currency::Usd);
        let alibaba = loaded.get(Cloud::Alibaba).unwrap();
        assert_eq!(alibaba.account_currency, Currency::Cny);
        assert_eq!(
            alibaba.account_currency_source.to_string(),
            "China site (the default; set SPOTPLAN_ACCOUNT_CURRENCY_ALIBABA=USD for an international-site account)"
        );
        // A currency that is neither is refused at start, naming where it came from and not echoing much of it.
        let mut wrong = sources.clone();
        wrong
            .env
            .push(("SPOTPLAN_ACCOUNT_CURRENCY_ALIBABA".into(), "EUR".into()));
        let error = load(&wrong).unwrap_err().to_string();
        assert!(
            error.contains("environment (SPOTPLAN_ACCOUNT_CURRENCY_ALIBABA) is `EUR`"),
            "{error}"
        );
        std::fs::write(
            &config,
            r#"{"baidu":{"access_key_id":"a","secret_access_key":"b","site":"USD"}}"#,
        )
        .unwrap();
        assert!(load(&sources).is_err(), "an unknown field in the file is refused");
        std::fs::remove_dir_all(&dir).unwrap();
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
        assert_eq!(
            loaded.get(Cloud::Alibaba).unwrap().credentials.access_key_id,
            "LTAIwork"
        );
        assert!(
            loaded
                .get(Cloud::Alibaba)
                .unwrap()
                .source
                .contains("Alibaba CLI profile `work`")
        );
        assert_eq!(loaded.get(Cloud::Tencent).unwrap().credentials.access_key_id, "AKIDcli");
        assert_eq!(loaded.get(Cloud::Baidu).unwrap().credentials.access_key_id, "bce-ak");
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
