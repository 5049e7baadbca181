//! The rules each cloud documents for a spot order; `shared` holds the ones all three have in common.

pub(crate) mod alibaba;
pub(crate) mod baidu;
pub(crate) mod shared;
pub(crate) mod tencent;
