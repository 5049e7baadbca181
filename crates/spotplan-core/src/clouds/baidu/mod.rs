//! baidu

pub mod order;
pub mod prices;
pub(crate) mod rules;
