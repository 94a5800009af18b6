//! Command line: ExternalDNS flag names (being written).
