//! The launch details' resource pickers in English and Chinese: what was listed from the account, that a list is
//! loading or could not be read, and the default public image on offer.

use super::Lang;

/// How many of the account's resources a picker offers, and that an id can still be typed.
pub fn listed(lang: Lang, count: usize, public_images: usize, truncated: bool) -> String {
    let more = if truncated {
        match lang {
            Lang::En => "; more exist: type the id of one not listed",
            Lang::Zh => "；还有更多：未列出的请直接输入 ID",
        }
    } else {
        ""
    };
    match (lang, public_images) {
        (Lang::En, 0) => format!("{count} from your account — type to search, or type an id{more}"),
        (Lang::Zh, 0) => format!("账号中有 {count} 个 — 输入以搜索，或直接输入 ID{more}"),
        (Lang::En, public) => {
            format!("{count} of your own and {public} public — type to search by name or id{more}")
        }
        (Lang::Zh, public) => format!("自有 {count} 个，公共 {public} 个 — 按名称或 ID 搜索{more}"),
    }
}

/// Resources were listed, but none fits the chosen offer: none in its zone (or the chosen VPC).
pub fn none_fit(lang: Lang, listed: usize, place: &str) -> String {
    match lang {
        Lang::En => {
            format!("None of your account's {listed} is in {place}: create one there in the console, or type an id")
        }
        Lang::Zh => format!("账号中的 {listed} 个都不在 {place}：请在控制台创建，或直接输入 ID"),
    }
}

/// A list being fetched.
pub fn loading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Listing your account's resources…",
        Lang::Zh => "正在读取账号资源…",
    }
}

/// A list the proxy could not give, and that the id can still be typed.
pub fn failed(lang: Lang, why: &str) -> String {
    match lang {
        Lang::En => format!("Could not list them ({why}); type the id"),
        Lang::Zh => format!("无法列出（{why}）；请直接输入 ID"),
    }
}

/// The button that fills in the default public image.
pub fn use_default_image(lang: Lang, name: &str) -> String {
    match lang {
        Lang::En => format!("Use {name} (default public image)"),
        Lang::Zh => format!("使用 {name}（默认公共镜像）"),
    }
}

/// Why there is no list: the browser is not signed in, or the proxy has no credentials for the cloud.
pub fn needs_credentials(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Sign in with a proxy that holds this cloud's credentials to pick from your account's resources",
        Lang::Zh => "登录持有该云凭证的代理后，可从账号资源中选择",
    }
}

/// The image Tencent quotes use while none is typed (the placeholder of the quote image field).
pub fn default_for_quotes(lang: Lang, id: &str, name: &str) -> String {
    match lang {
        Lang::En => format!("{id} — {name} (default public image)"),
        Lang::Zh => format!("{id} — {name}（默认公共镜像）"),
    }
}

/// The mark of the cloud's default VPC, subnet or security group in a suggestion.
pub fn default_mark(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "default",
        Lang::Zh => "默认",
    }
}

/// The label of a fleet pool's subnet choice.
pub fn subnet_for_zone(lang: Lang, zone: &str) -> String {
    match lang {
        Lang::En => format!("Subnet / vSwitch for {zone}: "),
        Lang::Zh => format!("{zone} 的子网 / 交换机："),
    }
}

/// The empty first option of a choice.
pub fn choose(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "choose…",
        Lang::Zh => "请选择…",
    }
}
