//! Region and zone names the raw price data uses, mapped to the clouds' API ids and display names.
//!
//! Facts from the clouds' region tables: Alibaba's region and endpoint list
//! (https://help.aliyun.com/document_detail/140601.html) and Tencent's region and zone tables
//! (https://www.tencentcloud.com/document/product/416/6479 and
//! https://www.tencentcloud.com/document/product/457/36736). Tencent ids marked unconfirmed follow the cloud's naming
//! but were not in those tables; the catalog labels them so.

use spotplan_core::Cloud;
use spotplan_core::catalog::{Region, RegionStatus};

/// Alibaba regions of the 2024-10-09 data: (id, English, Chinese, status).
pub const ALIBABA: &[(&str, &str, &str, RegionStatus)] = &[
    ("cn-qingdao", "China (Qingdao)", "华北1（青岛）", RegionStatus::Open),
    ("cn-beijing", "China (Beijing)", "华北2（北京）", RegionStatus::Open),
    (
        "cn-zhangjiakou",
        "China (Zhangjiakou)",
        "华北3（张家口）",
        RegionStatus::Open,
    ),
    (
        "cn-huhehaote",
        "China (Hohhot)",
        "华北5（呼和浩特）",
        RegionStatus::Open,
    ),
    (
        "cn-wulanchabu",
        "China (Ulanqab)",
        "华北6（乌兰察布）",
        RegionStatus::Open,
    ),
    ("cn-hangzhou", "China (Hangzhou)", "华东1（杭州）", RegionStatus::Open),
    ("cn-shanghai", "China (Shanghai)", "华东2（上海）", RegionStatus::Open),
    (
        "cn-nanjing",
        "China (Nanjing – Local Region)",
        "华东5（南京-本地地域）",
        RegionStatus::Open,
    ),
    (
        "cn-fuzhou",
        "China (Fuzhou – Local Region)",
        "华东6（福州-本地地域）",
        RegionStatus::Open,
    ),
    ("cn-shenzhen", "China (Shenzhen)", "华南1（深圳）", RegionStatus::Open),
    ("cn-heyuan", "China (Heyuan)", "华南2（河源）", RegionStatus::Open),
    ("cn-guangzhou", "China (Guangzhou)", "华南3（广州）", RegionStatus::Open),
    ("cn-chengdu", "China (Chengdu)", "西南1（成都）", RegionStatus::Open),
    ("cn-hongkong", "China (Hong Kong)", "中国（香港）", RegionStatus::Open),
    // The display name of this local region was not in the stored tables: show the id until confirmed.
    (
        "cn-wuhan-lr",
        "cn-wuhan-lr (Wuhan local region)",
        "cn-wuhan-lr（武汉本地地域）",
        RegionStatus::Open,
    ),
    ("ap-northeast-1", "Japan (Tokyo)", "日本（东京）", RegionStatus::Open),
    (
        "ap-northeast-2",
        "South Korea (Seoul)",
        "韩国（首尔）",
        RegionStatus::Open,
    ),
    ("ap-southeast-1", "Singapore", "新加坡", RegionStatus::Open),
    (
        "ap-southeast-2",
        "Australia (Sydney), closed",
        "澳大利亚（悉尼）（已关闭）",
        RegionStatus::Closed,
    ),
    (
        "ap-southeast-3",
        "Malaysia (Kuala Lumpur)",
        "马来西亚（吉隆坡）",
        RegionStatus::Open,
    ),
    (
        "ap-southeast-5",
        "Indonesia (Jakarta)",
        "印度尼西亚（雅加达）",
        RegionStatus::Open,
    ),
    (
        "ap-southeast-6",
        "Philippines (Manila)",
        "菲律宾（马尼拉）",
        RegionStatus::Open,
    ),
    (
        "ap-southeast-7",
        "Thailand (Bangkok)",
        "泰国（曼谷）",
        RegionStatus::Open,
    ),
    ("us-west-1", "US (Silicon Valley)", "美国（硅谷）", RegionStatus::Open),
    ("us-east-1", "US (Virginia)", "美国（弗吉尼亚）", RegionStatus::Open),
    (
        "eu-central-1",
        "Germany (Frankfurt)",
        "德国（法兰克福）",
        RegionStatus::Open,
    ),
    ("eu-west-1", "UK (London)", "英国（伦敦）", RegionStatus::Open),
    ("me-east-1", "UAE (Dubai)", "阿联酋（迪拜）", RegionStatus::Open),
];

/// Tencent regions by the Chinese name in the 2022 price list: (name, id, English, status).
pub const TENCENT: &[(&str, &str, &str, RegionStatus)] = &[
    ("广州", "ap-guangzhou", "South China (Guangzhou)", RegionStatus::Open),
    ("上海", "ap-shanghai", "East China (Shanghai)", RegionStatus::Open),
    ("南京", "ap-nanjing", "East China (Nanjing)", RegionStatus::Open),
    ("北京", "ap-beijing", "North China (Beijing)", RegionStatus::Open),
    ("成都", "ap-chengdu", "Southwest China (Chengdu)", RegionStatus::Open),
    (
        "重庆",
        "ap-chongqing",
        "Southwest China (Chongqing)",
        RegionStatus::Open,
    ),
    ("中国香港", "ap-hongkong", "Hong Kong, China", RegionStatus::Open),
    (
        "新加坡",
        "ap-singapore",
        "Southeast Asia (Singapore)",
        RegionStatus::Open,
    ),
    ("首尔", "ap-seoul", "South Korea (Seoul)", RegionStatus::Open),
    ("东京", "ap-tokyo", "Japan (Tokyo)", RegionStatus::Open),
    ("曼谷", "ap-bangkok", "Thailand (Bangkok)", RegionStatus::Open),
    (
        "硅谷",
        "na-siliconvalley",
        "US West (Silicon Valley)",
        RegionStatus::Open,
    ),
    ("法兰克福", "eu-frankfurt", "Europe (Frankfurt)", RegionStatus::Open),
    (
        "雅加达",
        "ap-jakarta",
        "Indonesia (Jakarta)",
        RegionStatus::IdUnconfirmed,
    ),
    ("孟买", "ap-mumbai", "India (Mumbai)", RegionStatus::IdUnconfirmed),
    (
        "弗吉尼亚",
        "na-ashburn",
        "US East (Virginia)",
        RegionStatus::IdUnconfirmed,
    ),
    (
        "多伦多",
        "na-toronto",
        "North America (Toronto)",
        RegionStatus::IdUnconfirmed,
    ),
    (
        "圣保罗",
        "sa-saopaulo",
        "South America (São Paulo)",
        RegionStatus::IdUnconfirmed,
    ),
    ("莫斯科", "eu-moscow", "Europe (Moscow)", RegionStatus::IdUnconfirmed),
];

/// Baidu BCC regions with a documented endpoint (`bcc.<id>.baidubce.com`, BCC "Service domain", the docs'
/// endpoint list): (id, English, Chinese).
pub const BAIDU: &[(&str, &str, &str)] = &[
    ("bj", "Beijing", "北京"),
    ("gz", "Guangzhou", "广州"),
    ("su", "Suzhou", "苏州"),
    ("bd", "Baoding", "保定"),
    ("fwh", "Wuhan (finance)", "武汉（金融）"),
    ("fsh", "Shanghai", "上海"),
    ("hkg", "Hong Kong", "香港"),
    ("sin", "Singapore", "新加坡"),
];

/// Tencent zone id for a Chinese zone name of a region: `广州六区` → `ap-guangzhou-6`, `香港二区` →
/// `ap-hongkong-2`; `欧洲东北一区` (Moscow's only zone) → `eu-moscow-1`.
pub fn tencent_zone_id(region_id: &str, zone_name: &str) -> Option<String> {
    let numeral = zone_name.strip_suffix('区')?.chars().last()?;
    let number = match numeral {
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        _ => return None,
    };
    Some(format!("{region_id}-{number}"))
}

/// Builds a catalog region record.
pub fn region(cloud: Cloud, id: &str, name_en: &str, name_zh: &str, status: RegionStatus) -> Region {
    Region {
        cloud,
        id: id.into(),
        name_en: name_en.into(),
        name_zh: name_zh.into(),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_numerals_map_to_ids() {
        assert_eq!(
            tencent_zone_id("ap-guangzhou", "广州六区").as_deref(),
            Some("ap-guangzhou-6")
        );
        assert_eq!(
            tencent_zone_id("ap-hongkong", "香港二区").as_deref(),
            Some("ap-hongkong-2")
        );
        assert_eq!(
            tencent_zone_id("eu-moscow", "欧洲东北一区").as_deref(),
            Some("eu-moscow-1")
        );
        assert_eq!(tencent_zone_id("ap-guangzhou", "广州区"), None);
        assert_eq!(tencent_zone_id("ap-guangzhou", "广州九区"), None);
    }
}
