//! Which site each cloud account is on, and so the currency its bids are sent in: CNY on the China sites, USD on
//! the international sites. The proxy that holds a cloud's credentials says which (and then the person cannot
//! change it); without one the person chooses, and the choice travels in the URL (`acct=tencent:USD`).

use std::collections::BTreeMap;

use spotplan_core::api::health::{AccountSiteSource, Health};
use spotplan_core::order::native_bid::AccountCurrencies;
use spotplan_core::{Cloud, Currency};

/// The account currency of each cloud: the proxy's word where it has one, else the person's choice, else CNY.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSites {
    /// What the person chose, for clouds the proxy says nothing about.
    chosen: BTreeMap<Cloud, Currency>,
    /// What the proxy reports for the credentials it holds, with where it was set (told to those signed in).
    from_proxy: BTreeMap<Cloud, (Currency, Option<AccountSiteSource>)>,
}

impl AccountSites {
    /// The person's choices (e.g. read from the URL).
    pub fn chosen(chosen: BTreeMap<Cloud, Currency>) -> AccountSites {
        AccountSites {
            chosen,
            from_proxy: BTreeMap::new(),
        }
    }

    /// The currency `cloud`'s bids are sent in.
    pub fn currency(&self, cloud: Cloud) -> Currency {
        self.from_proxy
            .get(&cloud)
            .map(|(currency, _)| *currency)
            .or_else(|| self.chosen.get(&cloud).copied())
            .unwrap_or(Currency::Cny)
    }

    /// Every cloud's account currency, as the planner takes it.
    pub fn currencies(&self) -> AccountCurrencies {
        let mut currencies = AccountCurrencies::default();
        for cloud in Cloud::ALL {
            currencies.set(cloud, self.currency(cloud));
        }
        currencies
    }

    /// Whether the proxy decides `cloud`'s site, and then where it was set when the proxy told.
    pub fn set_by_proxy(&self, cloud: Cloud) -> Option<Option<&AccountSiteSource>> {
        self.from_proxy.get(&cloud).map(|(_, source)| source.as_ref())
    }

    /// The person chose `currency` for `cloud` (ignored while the proxy decides it).
    pub fn choose(&mut self, cloud: Cloud, currency: Currency) {
        if currency == Currency::Cny {
            self.chosen.remove(&cloud);
        } else {
            self.chosen.insert(cloud, currency);
        }
    }

    /// Takes the account currencies a proxy's health answer reports.
    pub fn take_from(&mut self, health: &Health) {
        self.from_proxy = health
            .clouds
            .iter()
            .filter_map(|line| {
                let currency = line.account_currency?;
                Some((line.cloud, (currency, line.account_currency_source.clone())))
            })
            .collect();
    }

    /// The URL value of the person's choices (`tencent:USD,baidu:USD`), empty when every account is CNY.
    pub fn url_value(&self) -> String {
        self.chosen
            .iter()
            .map(|(cloud, currency)| format!("{}:{}", cloud.id(), currency.code()))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads a URL value; unknown clouds or currencies are skipped.
    pub fn from_url_value(value: &str) -> AccountSites {
        let chosen = value
            .split(',')
            .map(str::trim)
            .filter_map(|part| {
                let (cloud, currency) = part.split_once(':')?;
                Some((Cloud::from_id(cloud)?, Currency::from_code(currency)?))
            })
            .collect();
        AccountSites::chosen(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::api::health::{CloudHealth, CloudMode, SpendCeilings};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_choice_survives_the_url_and_cny_is_the_default() {
        let mut sites = AccountSites::default();
        sites.choose(Cloud::Tencent, Currency::Usd);
        assert_eq!(sites.url_value(), "tencent:USD");
        let back = AccountSites::from_url_value(&sites.url_value());
        assert_eq!(back.currency(Cloud::Tencent), Currency::Usd);
        assert_eq!(back.currency(Cloud::Alibaba), Currency::Cny);
        assert_eq!(AccountSites::from_url_value("moon:USD,baidu:EUR").url_value(), "");
    }

    #[test]
    fn the_proxys_word_wins_over_the_choice() {
        let mut sites = AccountSites::from_url_value("alibaba:USD");
        let health = Health {
            service: "spotplan-proxy".into(),
            version: "0".into(),
            signed_in: true,
            person: None,
            clouds: vec![CloudHealth {
                cloud: Cloud::Alibaba,
                name: "Alibaba Cloud ECS".into(),
                credentials_configured: true,
                credentials_source: None,
                mode: CloudMode::Submit,
                endpoint_override: None,
                account_currency: Some(Currency::Cny),
                account_currency_source: Some(AccountSiteSource::default_site(
                    "SPOTPLAN_ACCOUNT_CURRENCY_ALIBABA".into(),
                )),
            }],
            spend: SpendCeilings {
                max_order_per_hour: None,
                max_spend_per_hour: None,
                max_instances_per_order: 100,
            },
        };
        sites.take_from(&health);
        assert_eq!(sites.currency(Cloud::Alibaba), Currency::Cny);
        let source = sites
            .set_by_proxy(Cloud::Alibaba)
            .flatten()
            .expect("the proxy says where");
        assert_eq!(
            crate::i18n::site_source(crate::i18n::Lang::Zh, source),
            "默认中国站（国际站账户请设置 SPOTPLAN_ACCOUNT_CURRENCY_ALIBABA=USD）"
        );
        assert_eq!(
            crate::i18n::site_source(crate::i18n::Lang::En, source),
            "China site by default (SPOTPLAN_ACCOUNT_CURRENCY_ALIBABA=USD for an international-site account)"
        );
        assert_eq!(sites.set_by_proxy(Cloud::Tencent), None);
    }
}
