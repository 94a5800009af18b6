//! DNSEndpoint custom resource (being written).
