//! The proxy's answers in the person's language: an error by its stable code (`ErrorBody.error.code`), with the
//! proxy's own message kept as the detail where it carries what the code cannot (figures, ids, names); the API
//! client's own failures (no answer, an unreadable one); an order's status in words. English is the proxy's
//! message as it is.

use spotplan_core::api::error::ErrorBody;
use spotplan_core::order::outcome::OrderStatus;

use crate::api::ApiError;
use crate::i18n::Lang;

/// A call's failure as a person reads it.
pub fn api_error(lang: Lang, error: &ApiError) -> String {
    if lang == Lang::En {
        return error.to_string();
    }
    match error {
        ApiError::NoAnswer(_) => "代理没有应答".into(),
        ApiError::Refused(body) => refusal_zh(body),
        ApiError::ServerFault { status, body } => format!("{}（HTTP {status}）", refusal_zh(body)),
        ApiError::Unreadable { status, .. } => format!("不是代理的应答（HTTP {status}）"),
    }
}

/// A refusal's message as a person reads it: the proxy's own in English; in Chinese by its code, the proxy's
/// message following as the detail where it names what the code cannot.
pub fn refusal(lang: Lang, body: &ErrorBody) -> String {
    match lang {
        Lang::En => body.error.message.clone(),
        Lang::Zh => refusal_zh(body),
    }
}

fn refusal_zh(body: &ErrorBody) -> String {
    let error = &body.error;
    let detail = |sentence: &str| format!("{sentence}。详情：{}", error.message);
    match error.code.as_str() {
        "token_required" | "unauthorized" => {
            "此浏览器尚未登录代理：请打开代理启动时打印的登录链接，或在“规划”页下方用令牌登录".into()
        }
        "sign_in_refused" => {
            "不是代理的令牌、它打印的登录码（每个只能用一次，15 分钟内有效），也不是有效成员的密钥".into()
        }
        "host_not_allowed" => {
            "代理拒绝了该主机名（Host）：请用 127.0.0.1、localhost 或代理配置的名称打开应用".into()
        }
        "foreign_origin" | "forbidden" => "代理拒绝了来自其他网站的请求".into(),
        "not_yours" => detail("只有创建者或运营者（代理令牌）可以操作，未做任何更改"),
        "operator_only" => detail("这属于整个团队：只有运营者（代理令牌）可以执行此操作，未做任何更改"),
        "invalid_order" => {
            let problems = error.problems.as_ref().map_or(0, Vec::len);
            format!("订单有 {problems} 个问题，未发送任何请求（见各字段旁的说明）")
        }
        "spend_ceiling" => detail("超出代理的花费上限，未发送任何请求"),
        "no_credentials" => detail("代理没有该云的凭证（仅规划模式），未发送任何请求"),
        "account_currency_mismatch" => detail("出价货币与该云账号的结算货币不一致，未发送任何请求"),
        "invalid_region" => detail("地域无效，未发送任何请求"),
        "idempotency_key_required" | "idempotency_key_invalid" => detail("幂等键缺失或无效，未发送任何请求"),
        "idempotency_key_reserved" => detail("该幂等键属于一个编队的订单：请使用你自己的键，未发送任何请求"),
        "idempotency_key_reused" => "该幂等键已用于内容不同的另一个请求：内容已更改时请使用新键".into(),
        "idempotency_key_of_another" => detail("该幂等键属于另一个人的请求：只有他们可以重试；请使用你自己的键"),
        "client_token_reserved" | "client_token_of_another" => detail("该 ClientToken 不能使用，未发送任何请求"),
        "outcome_unknown" => {
            "订单可能已在云端存在，且首次发送距今过久，无法安全重发：请在云控制台按 ClientToken 查找实例，确认没有后再提交新订单"
                .into()
        }
        "order_not_found_at_cloud" => {
            "首次发送距今过久，无法安全重发；按标签查找未发现任何实例。本次未发送；如需下单，请用新的幂等键提交".into()
        }
        "order_not_found" => detail("代理的订单日志中没有该订单"),
        "lookup_failed" => detail("无法在云端查找该订单"),
        "list_incomplete" => detail("云只列出了部分实例，未做任何更改"),
        "cloud_unreachable" => detail("无法连接云 API"),
        "cloud_refused" => detail("云拒绝了请求"),
        "unknown_instance" => detail("该实例不在 Spotplan 的实例簿中"),
        "fleet_not_found" => detail("没有该编队"),
        "no_such_list" | "resources_unavailable" => detail("无法列出"),
        "no_signals" | "signals_unavailable" => detail("云没有给出这些资源池的信号"),
        "order_log_unavailable" => "订单日志不可用；若这是新订单，则未发送任何请求——请用相同的幂等键重试".into(),
        "order_log_unconfirmed" => {
            "订单日志的数据库在确认写入前停止应答：订单可能已记录，而已记录的订单会被发送——请用相同的幂等键重试以获知结果，切勿换新键"
                .into()
        }
        "log_failed_after_sending" => detail(
            "请求已记录，发往云的调用可能已发出，但日志未能记录结果：云可能已执行——请用相同的幂等键重试（停止机群则再次停止）以获知结果，切勿换新键",
        ),
        "internal" => "代理内部错误（详情见代理日志）".into(),
        "timeout" | "request_timeout" => detail(
            "代理处理超时：请求可能仍在处理，结果未知——若这是下单、释放或机群，请用相同的幂等键重试以获知结果，切勿换新键",
        ),
        "release_in_progress" => detail("此幂等键下的释放正在进行：稍后用相同的幂等键重试以获知结果"),
        "too_many_requests" | "unavailable" => detail("代理繁忙，请稍后重试"),
        code => format!("代理拒绝了请求（{code}）。详情：{}", error.message),
    }
}

/// Why the proxy could not quote an offer, by the failure's code (a cloud's own code keeps the cloud's message).
pub fn quote_failure(lang: Lang, code: &str, message: &str) -> String {
    if lang == Lang::En {
        return message.to_owned();
    }
    let detail = |sentence: &str| format!("{sentence}。详情：{message}");
    match code {
        "needs_image" => "腾讯云询价针对完整配置：请提供镜像 ID".into(),
        "needs_zone" => "该云按可用区定价：请提供可用区".into(),
        "needs_shape" => "百度的 bidPrice 需要规格的 CPU 核数和内存".into(),
        "no_history" => "云没有给出该报价的价格历史".into(),
        "no_credentials" => "代理没有该云的凭证".into(),
        "invalid_region" => detail("地域无效"),
        "invalid_id" => detail("ID 无效"),
        "bad_query" => detail("询价请求不正确"),
        "no_random" => detail("代理无法生成随机数"),
        "endpoint_refused" => detail("代理拒绝了该云的 API 地址"),
        "signing" => detail("签名失败"),
        "unreachable" | "unreadable_answer" => detail("无法从云 API 得到可读的应答"),
        cloud_code => format!("云拒绝了询价（{cloud_code}）：{message}"),
    }
}

/// An order's status in words (the orders table, the submit panel's result).
pub fn status_word(lang: Lang, status: OrderStatus) -> &'static str {
    match lang {
        Lang::En => match status {
            OrderStatus::DryRunPassed => "dry run passed",
            OrderStatus::NotSent => "not sent",
            OrderStatus::NotFound => "not found",
            OrderStatus::Pending | OrderStatus::Succeeded | OrderStatus::Failed | OrderStatus::Unknown => {
                status.as_str()
            }
        },
        Lang::Zh => match status {
            OrderStatus::Pending => "处理中",
            OrderStatus::Succeeded => "成功",
            OrderStatus::DryRunPassed => "预检通过",
            OrderStatus::Failed => "失败",
            OrderStatus::NotSent => "未发送",
            OrderStatus::Unknown => "结果未知",
            OrderStatus::NotFound => "未找到",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spotplan_core::api::error::ErrorDetail;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn body(code: &str, message: &str) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                field: None,
                problems: None,
            },
        }
    }

    #[test]
    fn chinese_reads_the_code_and_keeps_the_proxys_figures_as_detail() {
        let ceiling = ApiError::Refused(body("spend_ceiling", "this order may cost 9.6 CNY/h, above 8 CNY/h"));
        assert_eq!(
            api_error(Lang::Zh, &ceiling),
            "超出代理的花费上限，未发送任何请求。详情：this order may cost 9.6 CNY/h, above 8 CNY/h"
        );
        assert_eq!(
            api_error(Lang::En, &ceiling),
            "this order may cost 9.6 CNY/h, above 8 CNY/h"
        );
        let signed_out = ApiError::Refused(body("token_required", "this call needs the proxy's token"));
        assert!(api_error(Lang::Zh, &signed_out).starts_with("此浏览器尚未登录代理"));
        let new_code = ApiError::Refused(body("a_new_code", "why"));
        assert_eq!(
            api_error(Lang::Zh, &new_code),
            "代理拒绝了请求（a_new_code）。详情：why"
        );
        let fault = ApiError::ServerFault {
            status: 503,
            body: body("order_log_unconfirmed", "…"),
        };
        assert!(api_error(Lang::Zh, &fault).ends_with("切勿换新键（HTTP 503）"));
        // The browser's own words are not a reader's.
        let no_answer = ApiError::NoAnswer("TypeError: Failed to fetch".into());
        assert_eq!(api_error(Lang::Zh, &no_answer), "代理没有应答");
        assert_eq!(api_error(Lang::En, &no_answer), "the proxy did not answer");
    }

    #[test]
    fn every_status_has_a_chinese_word_and_english_words() {
        for status in OrderStatus::ALL {
            assert!(!status_word(Lang::Zh, status).is_ascii(), "{status:?}");
            let english = status_word(Lang::En, status);
            assert_eq!(english, status.as_str().replace('_', " "), "{status:?}");
        }
    }
}
