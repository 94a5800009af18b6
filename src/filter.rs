//! Domain filters (being written).
