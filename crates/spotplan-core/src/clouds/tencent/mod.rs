//! tencent

pub mod order;
pub mod prices;
pub(crate) mod rules;
