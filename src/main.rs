//! The `flaredns` binary: set the allocator up, then hand over to `cli`.

mod alloc;

fn main() -> std::process::ExitCode {
    let _allocator = alloc::start();
    // kube and reqwest link two rustls back ends; with two, rustls cannot pick
    // one by itself and building a kube client would panic.
    let _ = rustls::crypto::ring::default_provider().install_default();
    flaredns::cli::main()
}
