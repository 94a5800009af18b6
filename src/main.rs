//! The `flaredns` binary: parse the command line, then hand over to `cli`.

/// mimalloc: the reconcile loop allocates and frees many small strings; with
/// glibc's allocator a fifth of planning time went to consolidating free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // kube and reqwest link two rustls back ends; with two, rustls cannot pick
    // one by itself and building a kube client would panic.
    let _ = rustls::crypto::ring::default_provider().install_default();
    flaredns::cli::main()
}
