//! What flaredns tells its operators: metrics (and, as they arrive, logs and
//! health endpoints).

pub mod exposition;
pub mod log;
pub mod metrics;
