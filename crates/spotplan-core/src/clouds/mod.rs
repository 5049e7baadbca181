//! clouds

pub mod alibaba;
pub mod baidu;
pub mod tencent;
